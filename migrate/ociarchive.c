/* SPDX-License-Identifier: MIT */
/*
 * ociarchive.c --- oci-archive input, and --verify of an oci-archive
 * output.  The tar is untrusted: lib/archive refuses absolute names, '..',
 * links and special files; here only oci-layout, index.json and
 * blobs/<alg>/<hex> are taken (anything else is skipped, as an OCI layout
 * may carry unknown files), JSON is size-capped, and every blob streams
 * straight into its final directory at the destination, hashed on the
 * way and renamed into place only when it matches its name.  Nothing is
 * ever written under a name taken from the archive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "migrate.h"

#define LAYOUT_FILE_MAX (64u << 10)
#define INDEX_FILE_MAX (16u << 20)

/* "blobs/<alg>/<hex>" -> digest: 1; a blobs/ directory: 2; other: 0 */
static int
blob_name(struct drydock_digest *d, const char *path, int type)
{
	const char *p, *slash;
	int alg;

	if (strncmp(path, "blobs", 5) != 0 ||
	    (path[5] != '\0' && path[5] != '/'))
		return 0;
	if (path[5] == '\0')
		return type == DRYDOCK_ARCHIVE_DIR ? 2 : 0;
	p = path + 6;
	if ((slash = strchr(p, '/')) == NULL)
		return type == DRYDOCK_ARCHIVE_DIR ? 2 : 0;
	alg = drydock_digest_alg_lookup(p, (size_t)(slash - p));
	if (alg == DRYDOCK_DIGEST_NONE || type != DRYDOCK_ARCHIVE_FILE)
		return 0;
	if (drydock_digest_from_hex(d, alg, slash + 1, strlen(slash + 1)) < 0)
		return -1;
	return 1;
}

static int
check_layout_json(const char *buf, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, 0, &je);
	const char *v =
	    json_string_value(json_object_get(root, "imageLayoutVersion"));
	int error = 0;

	if (v == NULL || strncmp(v, "1.", 2) != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE, "oci-layout: %s",
		    root == NULL    ? je.text
		        : v == NULL ? "no imageLayoutVersion"
		                    : "unsupported version");
		error = DRYDOCK_ECORRUPT;
	}
	json_decref(root);
	return error;
}

/* Stream the current entry into place as blob d. */
static int
stream_blob(struct mig_run *run, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *ae, const struct drydock_digest *d)
{
	struct drydock_blobcopy_sink *s = NULL;
	char name[DRYDOCK_DIGEST_STRMAX];
	const void *buf;
	size_t len;
	int dfd, owned, how, error;

	if (mig_dest_has_blob(run, d, ae->size))
		return 0; /* a rerun: skip the bytes */
	if ((dfd = mig_dest_blob_dir(&run->dst, d, name, &owned)) < 0)
		return dfd;
	if (owned)
		(void)drydock_blobcopy_sweep_temps_locked(dfd);
	if ((error = drydock_blobcopy_sink_new(&s, run->bc, dfd, d->alg)) < 0)
		goto out;
	for (;;) {
		if ((error = drydock_archive_reader_data(&buf, &len, r)) < 0)
			goto out;
		if (len == 0)
			break;
		if ((error = drydock_blobcopy_sink_write(s, buf, len)) < 0)
			goto out;
	}
	if ((error = drydock_blobcopy_sink_finish(s, NULL, NULL, d)) < 0)
		goto out;
	if ((error = drydock_blobcopy_sink_commit(s, &how, dfd, name)) == 0)
		error = mig_dest_blob_staged(run, dfd, name, d);
out:
	drydock_blobcopy_sink_free(s);
	if (owned)
		close(dfd);
	if (error < 0 && error != DRYDOCK_EINTR)
		mig_dest_blob_abandon(run, d);
	return error;
}

static int
entry_error(const char *archive, const char *entry, int error)
{
	char msg[DRYDOCK_ERROR_MSGMAX];

	if (mig_error_fatal())
		return error; /* the destination's fault, not the tar's */
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	if (entry != NULL)
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "archive '%s': entry '%s': %s", archive, entry, msg);
	else
		drydock_error_set(
		    DRYDOCK_ERRCLASS_ARCHIVE, "archive '%s': %s", archive, msg);
	return error;
}

/*
 * Walk the archive: take oci-layout and index.json (capped), hand every
 * blob to cb.  *index_out gets index.json (new).
 */
typedef int (*blob_fn)(struct mig_run *run, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *ae, const struct drydock_digest *d);

static int
walk_archive(struct mig_run *run, const char *path, char **index_out,
    size_t *index_len, blob_fn cb)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry ae;
	struct drydock_digest d;
	char *buf = NULL;
	size_t len;
	int error, kind, have_layout = 0;

	*index_out = NULL;
	if ((error = drydock_archive_reader_open(&r, path, 0)) < 0)
		return error;
	while ((error = drydock_archive_reader_next(&ae, r)) == 0) {
		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
		if (strcmp(ae.path, "oci-layout") == 0 &&
		    ae.type == DRYDOCK_ARCHIVE_FILE) {
			if ((error = drydock_archive_reader_read_all(
			         &buf, &len, r, LAYOUT_FILE_MAX)) < 0 ||
			    (error = check_layout_json(buf, len)) < 0) {
				error = entry_error(path, ae.path, error);
				goto out;
			}
			free(buf);
			buf = NULL;
			have_layout = 1;
			continue;
		}
		if (strcmp(ae.path, "index.json") == 0 &&
		    ae.type == DRYDOCK_ARCHIVE_FILE) {
			free(*index_out);
			*index_out = NULL;
			if ((error = drydock_archive_reader_read_all(index_out,
			         index_len, r, INDEX_FILE_MAX)) < 0) {
				error = entry_error(path, ae.path, error);
				goto out;
			}
			continue;
		}
		kind = blob_name(&d, ae.path, ae.type);
		if (kind < 0) {
			drydock_error_set(
			    DRYDOCK_ERRCLASS_ARCHIVE, "not a valid blob name");
			error = entry_error(path, ae.path, DRYDOCK_ECORRUPT);
			goto out;
		}
		if (kind == 1 && (error = cb(run, r, &ae, &d)) < 0) {
			if (error != DRYDOCK_EINTR)
				error = entry_error(path, ae.path, error);
			goto out;
		}
	}
	if (error != DRYDOCK_ITEROVER) {
		error = entry_error(path, NULL, error);
		goto out;
	}
	error = 0;
	if (!have_layout || *index_out == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "archive '%s' is not an OCI layout (no %s)", path,
		    have_layout ? "index.json" : "oci-layout");
		error = DRYDOCK_ECORRUPT;
	}
out:
	if (error < 0) {
		free(*index_out);
		*index_out = NULL;
	}
	free(buf);
	drydock_archive_reader_free(r);
	return error;
}

int
mig_archive_import(struct mig_run *run)
{
	const struct mig_opts *o = run->o;
	struct drydock_ocilayout_index *idx = NULL;
	char *buf = NULL;
	size_t len = 0;
	int error;

	if ((error = mig_dest_open(&run->dst, &o->dst, run)) < 0)
		return error;
	if ((error = walk_archive(run, o->src.path, &buf, &len, stream_blob)) <
	    0)
		return error;
	error = drydock_ocilayout_index_parse(&idx, buf, len);
	free(buf);
	if (error < 0)
		return entry_error(o->src.path, "index.json", error);
	run->src_index = idx;
	return mig_source_from_index(
	    &run->src, idx, run->dst.st, run->dst.lay, run);
}

/* --- verify an oci-archive destination ------------------------------- */

struct held {
	struct drydock_digest d;
	char *buf;
	size_t len;
};

struct averify {
	struct drydock_digestmap *present;
	struct held *mf;
	size_t nmf, capmf;
};

static struct averify *cur_av;

static int
hash_blob(struct mig_run *run, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *ae, const struct drydock_digest *d)
{
	struct averify *av = cur_av;
	struct drydock_hasher *h = NULL;
	struct drydock_digest got;
	char *keep = NULL, *nk;
	size_t klen = 0;
	const void *buf;
	size_t len;
	int error;

	(void)run;
	if ((error = drydock_hasher_new(&h, d->alg)) < 0)
		return error;
	for (;;) {
		if ((error = drydock_archive_reader_data(&buf, &len, r)) < 0)
			goto out;
		if (len == 0)
			break;
		if ((error = drydock_hasher_update(h, buf, len)) < 0)
			goto out;
		/* small JSON may be a manifest: keep it for the tree walk */
		if (ae->size <= (int64_t)DRYDOCK_MANIFEST_MAX) {
			if ((nk = realloc(keep, klen + len + 1)) == NULL) {
				error = mig_oom();
				goto out;
			}
			keep = nk;
			memcpy(keep + klen, buf, len);
			klen += len;
		}
	}
	if ((error = drydock_hasher_final(&got, h)) < 0)
		goto out;
	if (!drydock_digest_equal(&got, d)) {
		char gs[DRYDOCK_DIGEST_STRMAX];

		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "digest mismatch: content hashes to '%s'",
		    drydock_digest_format(gs, &got));
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	if (drydock_digestmap_put(av->present, d, 0) < 0) {
		error = mig_oom();
		goto out;
	}
	if (keep != NULL && klen > 0 && keep[0] == '{') {
		if (fe_grow((void **)&av->mf, &av->capmf, av->nmf + 1,
		        sizeof(*av->mf)) < 0) {
			error = mig_oom();
			goto out;
		}
		keep[klen] = '\0';
		av->mf[av->nmf].d = *d;
		av->mf[av->nmf].buf = keep;
		av->mf[av->nmf].len = klen;
		av->nmf++;
		keep = NULL;
	}
out:
	free(keep);
	drydock_hasher_free(h);
	return error;
}

static const struct held *
held_find(const struct averify *av, const struct drydock_digest *d)
{
	size_t i;

	for (i = 0; i < av->nmf; i++)
		if (drydock_digest_equal(&av->mf[i].d, d))
			return &av->mf[i];
	return NULL;
}

/* 0 complete, 1 with why filled */
static int
tree_complete(const struct averify *av, const struct drydock_digest *d,
    int depth, char *why, size_t whysz)
{
	struct drydock_manifest *m = NULL;
	const struct held *h = held_find(av, d);
	char ds[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int rc = 0;

	if (h == NULL || depth > 16 ||
	    drydock_manifest_parse(&m, h->buf, h->len) < 0) {
		snprintf(why, whysz, "manifest '%s' missing or unreadable",
		    drydock_digest_format(ds, d));
		drydock_error_clear();
		return 1;
	}
	for (i = 0; rc == 0 && i < drydock_manifest_ref_count(m); i++) {
		const struct drydock_descriptor *r = drydock_manifest_ref(m, i);

		if (r->role == DRYDOCK_REF_CHILD)
			rc = tree_complete(
			    av, &r->digest, depth + 1, why, whysz);
		else if ((r->role == DRYDOCK_REF_CONFIG ||
		             r->role == DRYDOCK_REF_LAYER) &&
		    !r->foreign &&
		    !drydock_digestmap_get(av->present, &r->digest, NULL)) {
			snprintf(why, whysz, "blob '%s' missing",
			    drydock_digest_format(ds, &r->digest));
			rc = 1;
		}
	}
	drydock_manifest_free(m);
	return rc;
}

int
mig_oci_archive_verify(struct mig_run *run)
{
	struct averify av;
	struct drydock_ocilayout_index *idx = NULL;
	struct mig_source view;
	char *buf = NULL, why[512];
	size_t len = 0, i;
	int error;

	memset(&av, 0, sizeof(av));
	memset(&view, 0, sizeof(view));
	if ((error = drydock_digestmap_new(&av.present, 1024)) < 0)
		return error;
	cur_av = &av;
	error = walk_archive(run, run->o->dst.path, &buf, &len, hash_blob);
	cur_av = NULL;
	if (error == 0 &&
	    (error = drydock_ocilayout_index_parse(&idx, buf, len)) == 0)
		error = mig_source_from_index(&view, idx, NULL, NULL, run);
	for (i = 0; error == 0 && i < run->nroots; i++) {
		struct mig_root *r = &run->roots[i];
		struct mig_entry *e;

		if (r->status != MIG_OK)
			continue;
		why[0] = '\0';
		e = mig_source_lookup(
		    &view, r->e->repo, r->e->tag, &r->dest_digest);
		if (e == NULL)
			snprintf(why, sizeof(why), "not in index.json");
		else if (!drydock_digest_equal(&e->digest, &r->dest_digest))
			snprintf(why, sizeof(why),
			    "index.json names another "
			    "digest");
		else
			tree_complete(
			    &av, &r->dest_digest, 0, why, sizeof(why));
		mig_root_verified(run, r, why);
	}
	if (error < 0 && error != DRYDOCK_EINTR) {
		/* a damaged archive fails every image it should hold */
		mig_problem(run, "verify: %s", drydock_error_message());
		run->verify_failures++;
		error = 0;
	}
	mig_source_release(&view, 0);
	drydock_ocilayout_index_free(idx);
	free(buf);
	for (i = 0; i < av.nmf; i++)
		free(av.mf[i].buf);
	free(av.mf);
	drydock_digestmap_free(av.present);
	return error;
}
