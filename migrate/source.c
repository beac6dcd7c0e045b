/* SPDX-License-Identifier: MIT */
/*
 * source.c --- what a source holds, as a catalogue of names: every tag and
 * every untagged manifest of a registry root (revision links), or every
 * named entry of an OCI layout's index.json; and reading its blobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate.h"

/* --- registry --------------------------------------------------------- */

struct reg_walk {
	struct mig_source *src;
	struct mig_run *run;
};

static int
reg_tag(const struct drydock_repo_info *ri, const struct drydock_tag_info *ti,
    void *payload)
{
	struct reg_walk *w = payload;

	if (ti->current.status != 0) {
		mig_problem(w->run,
		    "%s:%s: tag without a readable current "
		    "link (%s); skipped",
		    ri->name, ti->name,
		    drydock_error_code_name(ti->current.status));
		return 0;
	}
	return mig_source_add(
	    w->src, ri->name, ti->name, &ti->current.target, -1);
}

static int
reg_revision(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct reg_walk *w = payload;

	if (li->status != 0)
		return 0; /* debris: a revision directory without link */
	return mig_source_add(w->src, ri->name, NULL, &li->digest, -1);
}

static int
reg_repo(const struct drydock_repo_info *ri, void *payload)
{
	struct reg_walk *w = payload;
	int error;

	if (mig_stop)
		return DRYDOCK_EINTR;
	if (!(ri->has & DRYDOCK_REPO_MANIFESTS))
		return 0;
	if ((error = drydock_tag_foreach(w->src->st, ri, 0, reg_tag, w)) < 0)
		return error;
	return drydock_revision_foreach(
	    w->src->st, ri, DRYDOCK_WALK_READ, reg_revision, w);
}

static void
store_problem(const char *path, int code, const char *message, void *payload)
{
	(void)code;
	mig_problem(payload, "%s: %s", path, message);
}

int
mig_source_from_store(
    struct mig_source *src, struct drydock_store *st, struct mig_run *run)
{
	struct reg_walk w = {src, run};
	int error;

	memset(src, 0, sizeof(*src));
	src->type = MIG_LOC_REGISTRY;
	src->st = st;
	drydock_store_set_problem_cb(st, store_problem, run);
	error = drydock_repo_foreach(st, 0, reg_repo, &w);
	drydock_store_set_problem_cb(st, NULL, NULL);
	if (error < 0)
		return error;
	mig_source_sort(src);
	return 0;
}

/* --- OCI layout ---------------------------------------------------------- */

/*
 * The repository and tag an index.json entry names: ref.name "REPO:TAG"
 * (drydock, skopeo with a full reference), io.containerd.image.name
 * "REPO:TAG" or "REPO@DIGEST" (Docker, containerd, drydock's untagged
 * entries) with ref.name the tag alone.  0 and *repo_out (new), *tag_out
 * (new or NULL), or 1 when the entry names no repository.
 */
static int
oci_names(char **repo_out, char **tag_out, const char *ref, const char *img)
{
	const char *name = NULL, *at, *colon, *slash;
	int docker, error;

	*repo_out = *tag_out = NULL;
	if (ref != NULL && (colon = strrchr(ref, ':')) != NULL &&
	    ((slash = strrchr(ref, '/')) == NULL || slash < colon))
		name = ref;
	else if (img != NULL)
		name = img;
	if (name == NULL)
		return 1;
	if ((at = strchr(name, '@')) != NULL) {
		*repo_out = strndup(name, (size_t)(at - name));
		return *repo_out == NULL ? mig_oom() : 0;
	}
	/*
	 * Docker's and containerd's full reference: the registry host
	 * ("docker.io/") is not part of a repository name here, and ref.name
	 * is the tag alone
	 */
	docker = name == img && ref != NULL && strchr(ref, ':') == NULL;
	if ((error = mig_split_ref(repo_out, tag_out, name, docker)) != 0 ||
	    !docker)
		return error;
	free(*tag_out);
	if ((*tag_out = mig_strdup(ref)) == NULL) {
		free(*repo_out);
		*repo_out = NULL;
		return mig_oom();
	}
	return 0;
}

int
mig_source_from_index(struct mig_source *src,
    struct drydock_ocilayout_index *idx, struct drydock_store *st,
    struct drydock_ocilayout *lay, struct mig_run *run)
{
	struct drydock_ocilayout_entry e;
	char *repo, *tag;
	size_t i, n = drydock_ocilayout_index_count(idx);
	int error;

	memset(src, 0, sizeof(*src));
	src->type = MIG_LOC_OCI;
	src->st = st;
	src->lay = lay;
	for (i = 0; i < n; i++) {
		if ((error = drydock_ocilayout_index_entry(&e, idx, i)) < 0)
			return error;
		if ((error = oci_names(&repo, &tag, e.ref_name, e.image_name)) <
		    0)
			return error;
		if (error == 1) {
			if (e.ref_name != NULL)
				mig_problem(run,
				    "index.json entry %zu ('%s') names no "
				    "repository; skipped",
				    i, e.ref_name);
			continue;
		}
		error = mig_source_add(src, repo, tag, &e.digest, e.size);
		free(repo);
		free(tag);
		if (error < 0)
			return error;
	}
	mig_source_sort(src);
	return 0;
}

int
mig_source_from_layout(
    struct mig_source *src, struct drydock_ocilayout *lay, struct mig_run *run)
{
	return mig_source_from_index(
	    src, drydock_ocilayout_index(lay), NULL, lay, run);
}

int
mig_store_open(struct drydock_store **out, const struct mig_loc *loc,
    unsigned flags, struct mig_run *run)
{
	*out = NULL;
	if (loc->cfg != NULL)
		return drydock_store_open_config(
		    out, loc->cfg, flags, (unsigned)run->o->jobs);
	return drydock_store_open(out, loc->path, flags);
}

int
mig_source_open(
    struct mig_source *src, const struct mig_loc *loc, struct mig_run *run)
{
	struct drydock_store *st = NULL;
	struct drydock_ocilayout *lay = NULL;
	const char *path = loc->path;
	int type = loc->type, error;

	memset(src, 0, sizeof(*src));
	if (type == MIG_LOC_DOCKER) {
		struct mig_loc rl = {MIG_LOC_DOCKER, path, path, NULL, NULL};

		src->type = MIG_LOC_DOCKER;
		if ((error = mig_remote_open(&src->rem, run, &rl, 0)) < 0 ||
		    (error = mig_remote_catalogue(src, src->rem, run)) < 0) {
			mig_source_release(src, 1);
			return error;
		}
		return 0;
	}
	if (type == MIG_LOC_REGISTRY)
		error = mig_store_open(&st, loc, DRYDOCK_STORE_RDONLY, run);
	else
		error = drydock_ocilayout_open(
		    &lay, path, DRYDOCK_OCILAYOUT_RDONLY);
	if (error < 0)
		return error;
	error = st != NULL ? mig_source_from_store(src, st, run)
	                   : mig_source_from_layout(src, lay, run);
	if (error < 0) {
		mig_source_release(src, 0);
		drydock_store_close(st);
		drydock_ocilayout_close(lay);
		src->st = NULL;
		src->lay = NULL;
	}
	return error;
}

void
mig_source_release(struct mig_source *src, int owned)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		free(src->entries[i].repo);
		free(src->entries[i].tag);
	}
	free(src->entries);
	src->entries = NULL;
	src->n = src->cap = 0;
	if (owned) {
		mig_remote_free(src->rem);
		src->rem = NULL;
		drydock_store_close(src->st);
		drydock_ocilayout_close(src->lay);
		src->st = NULL;
		src->lay = NULL;
	}
}

/* --- blobs ------------------------------------------------------------- */

int
mig_source_blob_open(struct mig_source *src, const struct drydock_digest *d)
{
	if (src->rem != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "a docker:// source's blobs are pulled, not opened");
		return DRYDOCK_EUNSUPPORTED;
	}
	if (src->st != NULL)
		return drydock_store_blob_open(src->st, d);
	return drydock_ocilayout_blob_open(src->lay, d);
}

int
mig_source_blob_open_file(int *fd_out, struct mig_source *src,
    const struct drydock_digest *d, int64_t size)
{
	struct drydock_blobcopy *bc = NULL;
	struct stat sb;
	int fd, tmp = -1, error, cerror;

	*fd_out = -1;
	if ((fd = mig_source_blob_open(src, d)) < 0)
		return fd;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		*fd_out = fd;
		return 0;
	}
	/* a bc of its own: this may run on any of the -j threads */
	if ((error = drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0)) ==
	    0) {
		drydock_blobcopy_set_cancel(bc, &mig_stop);
		error = drydock_blobcopy_spool(bc, &tmp, fd, d, size);
	}
	drydock_blobcopy_free(bc);
	/*
	 * A stream that failed half-way (a GET not resumed, the object gone)
	 * ends as a short file would: its own error says why, not the digest
	 * mismatch that the short read became.
	 */
	cerror = 0;
	if (src->st != NULL)
		cerror = drydock_store_blob_close(src->st, fd);
	else
		close(fd);
	if (cerror < 0 && error != DRYDOCK_EINTR) {
		if (tmp >= 0)
			close(tmp);
		return cerror;
	}
	if (error < 0)
		return error;
	*fd_out = tmp;
	return 0;
}

int
mig_source_manifest_read(char **buf_out, size_t *len_out,
    struct mig_source *src, const char *repo, const struct drydock_digest *d)
{
	char e[DRYDOCK_DIGEST_STRMAX], g[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest got;
	int error;

	*buf_out = NULL;
	if (src->rem != NULL) /* checked as it came */
		return mig_remote_manifest_read(
		    buf_out, len_out, src->rem, repo, d);
	if (src->st != NULL)
		error = drydock_store_blob_read(
		    buf_out, len_out, src->st, d, DRYDOCK_MANIFEST_MAX);
	else
		error = drydock_ocilayout_blob_read(
		    buf_out, len_out, src->lay, d, DRYDOCK_MANIFEST_MAX);
	if (error < 0)
		return error;
	if ((error = drydock_digest_buffer(&got, d->alg, *buf_out, *len_out)) <
	    0)
		goto fail;
	if (!drydock_digest_equal(&got, d)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "manifest '%s': digest mismatch: content hashes to '%s'",
		    drydock_digest_format(e, d),
		    drydock_digest_format(g, &got));
		error = DRYDOCK_ECORRUPT;
		goto fail;
	}
	return 0;
fail:
	free(*buf_out);
	*buf_out = NULL;
	return error;
}
