/* SPDX-License-Identifier: MIT */
/*
 * verify.c --- --verify and `drydock-migrate verify`: a registry root or
 * an OCI layout is read back as a source of its own, and every selected
 * image must resolve there to the expected manifest digest, every
 * manifest and blob under it must exist and hash to its digest, and at a
 * registry root every _layers and revision link the registry needs to
 * serve it must be there.  A docker-archive is streamed: every layer and
 * config must hash to its name, and every tag be in manifest.json with
 * them.  An oci-archive is checked by ociarchive.c, which walks the tar.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "migrate.h"

/* --- a registry root or an OCI layout ------------------------------------ */

struct vctx {
	struct mig_run *run;
	struct mig_source dv; /* the destination, read back */
	struct drydock_digestmap *blob_ok; /* digest */
	struct drydock_digestmap *link_ok; /* (repo, digest) */
	struct drydock_digestmap *mf_ok; /* (repo, manifest) */
	char why[DRYDOCK_ERROR_MSGMAX + 256];
};

/* "<what> '<digest>': <last error>" as the reason; returns 1 */
static int
vfail(struct vctx *v, const char *what, const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX];

	snprintf(v->why, sizeof(v->why), "%s '%s': %s", what,
	    drydock_digest_format(ds, d), drydock_error_message());
	return 1;
}

/* A registry link of repo: 0 present and right, else 1 with v->why. */
static int
check_link(struct vctx *v, const char *repo, const char *middle,
    const struct drydock_digest *d)
{
	char path[PATH_MAX], hex[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest key, got;

	if (v->dv.type != MIG_LOC_REGISTRY)
		return 0;
	mig_repo_key(&key, middle, d);
	mig_repo_key(&key, repo, &key);
	if (drydock_digestmap_get(v->link_ok, &key, NULL))
		return 0;
	snprintf(path, sizeof(path), "repositories/%s/%s/%s/%s/link", repo,
	    middle, drydock_digest_alg_name(d->alg),
	    drydock_digest_hex(hex, d));
	if (drydock_link_read(&got, v->dv.st, -1, path) < 0 ||
	    !drydock_digest_equal(&got, d)) {
		snprintf(v->why, sizeof(v->why),
		    "'%.300s' missing or wrong: %.900s", path,
		    drydock_error_message());
		return 1;
	}
	return drydock_digestmap_put(v->link_ok, &key, 0) < 0 ? mig_oom() : 0;
}

static int
check_blob(
    struct vctx *v, const char *repo, const struct drydock_descriptor *desc)
{
	int fd, error;

	if (v->dv.rem != NULL) {
		/* a registry checked the digest when it took the bytes */
		if (drydock_digestmap_get(v->blob_ok, &desc->digest, NULL) ||
		    (desc->foreign && desc->size < 0))
			return 0;
		error = mig_remote_blob_exists(
		    v->dv.rem, repo, &desc->digest, desc->size);
		if (error == DRYDOCK_EINTR || error == DRYDOCK_EAUTH)
			return error;
		if (error <= 0) {
			if (error == 0) {
				if (desc->foreign)
					return 0;
				drydock_error_set(DRYDOCK_ERRCLASS_STORE,
				    "not in '%s', or of another size", repo);
			}
			return vfail(v, "missing blob", &desc->digest);
		}
		return drydock_digestmap_put(v->blob_ok, &desc->digest, 0) < 0
		    ? mig_oom()
		    : 0;
	}
	if (!drydock_digestmap_get(v->blob_ok, &desc->digest, NULL)) {
		fd = mig_source_blob_open(&v->dv, &desc->digest);
		if (fd == DRYDOCK_ENOTFOUND && desc->foreign)
			return 0;
		if (fd < 0)
			return vfail(v, "missing blob", &desc->digest);
		error = drydock_blobcopy_verify_fd(
		    v->run->bc, fd, &desc->digest, desc->size);
		close(fd);
		if (error == DRYDOCK_EINTR)
			return error;
		if (error < 0)
			return vfail(v, "blob", &desc->digest);
		if (drydock_digestmap_put(v->blob_ok, &desc->digest, 0) < 0)
			return mig_oom();
	}
	return check_link(v, repo, "_layers", &desc->digest);
}

static int
check_manifest(
    struct vctx *v, const char *repo, const struct drydock_digest *d, int depth)
{
	struct drydock_manifest *m = NULL;
	struct drydock_digest key;
	char *buf = NULL;
	size_t len, i;
	int error;

	mig_repo_key(&key, repo, d);
	if (drydock_digestmap_get(v->mf_ok, &key, NULL))
		return 0;
	if (depth > 16) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST, "nested too deep");
		return vfail(v, "index", d);
	}
	if (mig_source_manifest_read(&buf, &len, &v->dv, repo, d) < 0)
		return vfail(v, "manifest", d);
	if (drydock_manifest_parse(&m, buf, len) < 0) {
		free(buf);
		return vfail(v, "manifest", d);
	}
	error = check_link(v, repo, "_manifests/revisions", d);
	for (i = 0; error == 0 && i < drydock_manifest_ref_count(m); i++) {
		const struct drydock_descriptor *r = drydock_manifest_ref(m, i);

		if (r->role == DRYDOCK_REF_CONFIG ||
		    r->role == DRYDOCK_REF_LAYER)
			error = check_blob(v, repo, r);
		else if (r->role == DRYDOCK_REF_CHILD)
			error = check_manifest(v, repo, &r->digest, depth + 1);
	}
	drydock_manifest_free(m);
	free(buf);
	if (error == 0 && drydock_digestmap_put(v->mf_ok, &key, 0) < 0)
		return mig_oom();
	return error;
}

/*
 * At a docker:// destination: the tag (as named there) resolves to the
 * expected digest, and the manifests and blobs under it are there.
 */
static int
check_remote_root(struct vctx *v, struct mig_root *r)
{
	const struct mig_dref *ref = mig_remote_ref(v->dv.rem);
	const char *repo = ref->repo[0] != '\0' ? ref->repo : r->e->repo;
	const char *tag = ref->tag != NULL ? ref->tag : r->e->tag;
	char ds[DRYDOCK_DIGEST_STRMAX], es[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest got;
	int64_t size;
	int error;

	if (r->e->tag != NULL) {
		error = mig_remote_resolve(v->dv.rem, &got, &size, repo, tag);
		if (error == DRYDOCK_EINTR || error == DRYDOCK_EAUTH)
			return error;
		if (error < 0) {
			snprintf(v->why, sizeof(v->why), "%s:%s: %s", repo, tag,
			    drydock_error_message());
			return 1;
		}
		if (!drydock_digest_equal(&got, &r->dest_digest)) {
			snprintf(v->why, sizeof(v->why),
			    "%s:%s resolves to '%s' at the destination, "
			    "expected '%s'",
			    repo, tag, drydock_digest_format(ds, &got),
			    drydock_digest_format(es, &r->dest_digest));
			return 1;
		}
	}
	return check_manifest(v, repo, &r->dest_digest, 0);
}

static int
check_root(struct vctx *v, struct mig_root *r)
{
	char ds[DRYDOCK_DIGEST_STRMAX], es[DRYDOCK_DIGEST_STRMAX];
	const struct mig_entry *e = r->e;
	struct mig_entry *got;

	if (v->dv.rem != NULL)
		return check_remote_root(v, r);
	got = mig_source_lookup(&v->dv, e->repo, e->tag, &r->dest_digest);
	if (got == NULL) {
		snprintf(
		    v->why, sizeof(v->why), "not found at the destination");
		return 1;
	}
	if (!drydock_digest_equal(&got->digest, &r->dest_digest)) {
		snprintf(v->why, sizeof(v->why),
		    "resolves to '%s' at the destination, expected '%s'",
		    drydock_digest_format(ds, &got->digest),
		    drydock_digest_format(es, &r->dest_digest));
		return 1;
	}
	return check_manifest(v, e->repo, &r->dest_digest, 0);
}

static int
dir_verify(struct mig_run *run)
{
	const struct mig_loc *dl = &run->o->dst;
	struct vctx v;
	size_t i;
	int error;

	memset(&v, 0, sizeof(v));
	v.run = run;
	if ((error = drydock_digestmap_new(&v.blob_ok, 1024)) < 0 ||
	    (error = drydock_digestmap_new(&v.link_ok, 1024)) < 0 ||
	    (error = drydock_digestmap_new(&v.mf_ok, 256)) < 0)
		goto out;
	if (dl->type == MIG_LOC_DOCKER) {
		/* no catalogue: each image is asked for by name */
		v.dv.type = MIG_LOC_DOCKER;
		if ((error = mig_remote_open(&v.dv.rem, run, dl, 1)) < 0)
			goto out;
	} else if ((error = mig_source_open(&v.dv, dl, run)) < 0) {
		goto out;
	}
	for (i = 0; i < run->nroots; i++) {
		struct mig_root *r = &run->roots[i];

		if (r->status != MIG_OK)
			continue;
		v.why[0] = '\0';
		if ((error = check_root(&v, r)) < 0)
			goto out;
		mig_root_verified(run, r, error > 0 ? v.why : "");
		error = 0;
	}
out:
	mig_source_release(&v.dv, 1);
	drydock_digestmap_free(v.blob_ok);
	drydock_digestmap_free(v.link_ok);
	drydock_digestmap_free(v.mf_ok);
	return error;
}

/* --- a docker-archive ---------------------------------------------------- */

/*
 * Stream the archive: every "<hex>.tar" and "<hex>.json" must hash to its
 * name; then every exported tag must be in manifest.json with its config
 * (the image ID) and layers all present.
 */
static int
docker_verify(struct mig_run *run)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	struct drydock_digestmap *ok = NULL;
	struct drydock_hasher *h = NULL;
	struct drydock_digest want, got;
	json_t *man = NULL, *ent, *v;
	json_error_t je;
	const void *buf;
	char *mbuf = NULL, rt[600], hex[DRYDOCK_DIGEST_STRMAX], why[300];
	size_t len, i, j, k;
	int error;

	if ((error = drydock_digestmap_new(&ok, 256)) < 0 ||
	    (error = drydock_hasher_new(&h, DRYDOCK_DIGEST_SHA256)) < 0 ||
	    (error = drydock_archive_reader_open(
	         &r, run->o->dst.path, DRYDOCK_ARCHIVE_LINKS)) < 0)
		goto out;
	while ((error = drydock_archive_reader_next(&e, r)) == 0) {
		if (e.type != DRYDOCK_ARCHIVE_FILE)
			continue;
		if (strcmp(e.path, "manifest.json") == 0) {
			free(mbuf);
			if ((error = drydock_archive_reader_read_all(
			         &mbuf, &len, r, MIG_DOCKER_JSON_MAX)) < 0)
				goto out;
			json_decref(man);
			man = json_loadb(mbuf, len, 0, &je);
			continue;
		}
		if (!mig_docker_name_digest(&want, e.path))
			continue;
		if ((error = drydock_hasher_reset(h)) < 0)
			goto out;
		for (;;) {
			if ((error = drydock_archive_reader_data(
			         &buf, &len, r)) < 0)
				goto out;
			if (len == 0)
				break;
			if ((error = drydock_hasher_update(h, buf, len)) < 0)
				goto out;
		}
		if ((error = drydock_hasher_final(&got, h)) < 0)
			goto out;
		if (!drydock_digest_equal(&got, &want)) {
			mig_problem(run,
			    "verify: '%s' does not hash to its name", e.path);
			run->verify_failures++;
			continue;
		}
		if (drydock_digestmap_put(ok, &want, 0) < 0) {
			error = mig_oom();
			goto out;
		}
	}
	if (error != DRYDOCK_ITEROVER)
		goto out;
	error = 0;
	for (i = 0; i < run->nroots; i++) {
		struct mig_root *rt_ = &run->roots[i];

		if (rt_->status != MIG_OK)
			continue;
		mig_docker_repotag(rt, sizeof(rt), rt_->e->repo, rt_->e->tag);
		why[0] = '\0';
		ent = NULL;
		json_array_foreach(man, j, v)
		{
			json_t *t;

			json_array_foreach(json_object_get(v, "RepoTags"), k, t)
			{
				if (json_string_value(t) != NULL &&
				    strcmp(json_string_value(t), rt) == 0)
					ent = v;
			}
		}
		snprintf(hex, sizeof(hex), "%s",
		    ent ? json_string_value(json_object_get(ent, "Config"))
		        : "");
		if (ent == NULL)
			snprintf(why, sizeof(why), "not in manifest.json");
		else if (!mig_docker_name_digest(&want, hex) ||
		    !drydock_digest_equal(&want, &rt_->dest_digest) ||
		    !drydock_digestmap_get(ok, &want, NULL))
			snprintf(why, sizeof(why), "config missing or wrong");
		json_array_foreach(
		    ent ? json_object_get(ent, "Layers") : NULL, j, v)
		{
			const char *n = json_string_value(v);

			if (why[0] == '\0' &&
			    (n == NULL || !mig_docker_name_digest(&want, n) ||
			        !drydock_digestmap_get(ok, &want, NULL)))
				snprintf(why, sizeof(why),
				    "layer '%.200s' missing or wrong",
				    n ? n : "?");
		}
		mig_root_verified(run, rt_, why);
	}
out:
	drydock_archive_reader_free(r);
	drydock_hasher_free(h);
	drydock_digestmap_free(ok);
	json_decref(man);
	free(mbuf);
	return error;
}

/* --- --verify, by the destination's type --------------------------------- */

int
mig_verify(struct mig_run *run)
{
	int64_t t0 = fe_clock_monotonic_ns();
	int error;

	switch (run->o->dst.type) {
	case MIG_LOC_OCI_ARCHIVE:
		error = mig_oci_archive_verify(run);
		break;
	case MIG_LOC_DOCKER_ARCHIVE:
		error = docker_verify(run);
		break;
	default:
		error = dir_verify(run);
		break;
	}
	run->verify_seconds = (double)(fe_clock_monotonic_ns() - t0) / 1e9;
	run->verify_ran = 1;
	return error;
}
