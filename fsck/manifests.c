/* SPDX-License-Identifier: MIT */
/*
 * manifests.c --- what the structure checks read beyond the walk: each
 * manifest once for the run (its state, and its references kept in
 * run->refs), with the findings about a manifest itself (missing, too
 * large, unparsable, of a type drydock does not know); and blob data that
 * came after the blob walk, looked at before a blob is called missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsck.h"

/*
 * Blobs are walked before repositories, so beside a live registry a push
 * can link a blob the blob walk did not see (the registry writes data
 * before links).  Before calling a blob missing, look again: when its data
 * is there now, it joins the run (and is hashed).  Returns 1 when it did.
 */
int
fsck_late_data(struct fsck_run *run, uint32_t id)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_blob *b;
	uint64_t size = 0;
	int64_t mtime = 0;

	if (o->flags & (FSCK_O_DATA | FSCK_O_UNSAFE))
		return 1;
	if (drydock_store_blob_stat(run->st, &run->ids[id], &size, &mtime) < 0)
		return 0;
	if (o->blob == FSCK_NONE && fsck_blob_add(run, id) == NULL)
		return 0;
	b = &run->blobs[o->blob];
	b->has_data = 1;
	b->size = size;
	b->mtime_ns = mtime;
	o->flags |= FSCK_O_BLOBDIR | FSCK_O_DATA;
	run->ndata++;
	run->blob_bytes += size;
	return 1;
}

static char *
platform_string(const struct drydock_platform *p)
{
	char buf[256];

	if (p->os == NULL && p->architecture == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/%s%s%s", p->os ? p->os : "?",
	    p->architecture ? p->architecture : "?", p->variant ? "/" : "",
	    p->variant ? p->variant : "");
	return fe_strdup(buf);
}

static int
keep_refs(struct fsck_run *run, struct fsck_manifest *mf,
    const struct drydock_manifest *m)
{
	size_t i, n = drydock_manifest_ref_count(m);

	mf->first = (uint32_t)run->nrefs;
	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);
		struct fsck_ref *r;

		if (fe_grow((void **)&run->refs, &run->caprefs, run->nrefs + 1,
		        sizeof(*run->refs)) < 0)
			return DRYDOCK_ERROR;
		r = &run->refs[run->nrefs];
		memset(r, 0, sizeof(*r));
		if (fsck_id(&r->id, run, &d->digest) < 0)
			return DRYDOCK_ERROR;
		r->owner = mf->id;
		r->role = (uint8_t)d->role;
		r->flags = d->foreign ? FSCK_REF_FOREIGN : 0;
		r->size = d->size;
		if (d->role == DRYDOCK_REF_CHILD &&
		    (r->platform = platform_string(&d->platform)) == NULL &&
		    (d->platform.os != NULL ||
		        d->platform.architecture != NULL))
			return DRYDOCK_ERROR;
		run->nrefs++;
		mf->nrefs++;
	}
	return 0;
}

/* Findings about a manifest itself: once per digest, every image. */
static int
manifest_finding(struct fsck_run *run, uint32_t id, int fid, const char *detail)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = path, .digest = id,
	    .impact = FSCK_IMPACT_ALL);

	if (fsck_blob_path(path, sizeof(path), run, id) < 0)
		return DRYDOCK_ERROR;
	/* a type drydock does not know may serve fine (schema 1 on 2.8) */
	if (fid == FSCK_MANIFEST_UNSUPPORTED)
		ctx.impact = FSCK_IMPACT_NONE;
	if (fid == FSCK_MANIFEST_MISSING)
		run->objs[id].flags |= FSCK_O_MISSING;
	if (detail != NULL)
		return fsck_report(run, fid, &ctx, "%s", detail);
	return fsck_report(run, fid, &ctx, NULL);
}

static int
parse_manifest(struct fsck_run *run, struct fsck_manifest *mf)
{
	struct drydock_manifest *m = NULL;
	char *buf = NULL, msg[DRYDOCK_ERROR_MSGMAX];
	size_t len = 0;
	int r, error = 0;

	r = drydock_store_blob_read(
	    &buf, &len, run->st, &run->ids[mf->id], DRYDOCK_MANIFEST_MAX);
	if (r == DRYDOCK_ENOTFOUND) {
		/* fsck_vanished() decides once the references are known */
		mf->state = FSCK_MF_MISSING;
		run->objs[mf->id].flags |= FSCK_O_VANISHED;
		return 0;
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot read it: %s",
		    drydock_error_message());
		mf->state = FSCK_MF_UNPARSABLE;
		return manifest_finding(
		    run, mf->id, FSCK_MANIFEST_UNPARSABLE, msg);
	}
	r = drydock_manifest_parse(&m, buf, len);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", drydock_error_message());
		mf->state = r == DRYDOCK_EUNSUPPORTED ? FSCK_MF_UNSUPPORTED
		                                      : FSCK_MF_UNPARSABLE;
		error = manifest_finding(run, mf->id,
		    r == DRYDOCK_EUNSUPPORTED ? FSCK_MANIFEST_UNSUPPORTED
		                              : FSCK_MANIFEST_UNPARSABLE,
		    msg);
		goto out;
	}
	mf->is_index = (uint8_t)drydock_manifest_is_index(m);
	error = keep_refs(run, mf, m);
out:
	drydock_manifest_free(m);
	free(buf);
	return error;
}

/* Read and parse manifest id once for the run; its state tells the rest. */
int
fsck_load_manifest(
    struct fsck_run *run, uint32_t id, const struct fsck_manifest **out)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_manifest *mf;
	char b[32];
	int error = 0;

	*out = NULL;
	if (o->flags & FSCK_O_LOADED) {
		if (o->mf != FSCK_NONE)
			*out = &run->mfs[o->mf];
		return 0;
	}
	if (fe_grow((void **)&run->mfs, &run->capmfs, run->nmfs + 1,
	        sizeof(*run->mfs)) < 0)
		return DRYDOCK_ERROR;
	/* loaded only once there is a table entry: *out is never NULL */
	o->flags |= FSCK_O_LOADED | FSCK_O_MANIFEST;
	mf = &run->mfs[run->nmfs];
	memset(mf, 0, sizeof(*mf));
	mf->id = id;
	run->objs[id].mf = (uint32_t)run->nmfs++;
	run->nmanifests++;
	if (o->flags & FSCK_O_UNSAFE) {
		mf->state =
		    FSCK_MF_UNSAFE; /* SYMLINK or SPECIAL_FILE says it */
	} else if (!fsck_late_data(run, id)) {
		mf->state = FSCK_MF_MISSING;
		error = manifest_finding(run, id, FSCK_MANIFEST_MISSING, NULL);
	} else if (run->blobs[o->blob].size > DRYDOCK_MANIFEST_MAX) {
		mf->state = FSCK_MF_TOO_LARGE;
		drydock_bytes_format(b, sizeof(b), run->blobs[o->blob].size);
		error = manifest_finding(run, id, FSCK_MANIFEST_TOO_LARGE, b);
	} else {
		error = parse_manifest(run, mf);
	}
	*out = &run->mfs[run->objs[id].mf];
	return error;
}
