/* SPDX-License-Identifier: MIT */
/*
 * structure.c --- the structure checks, on what the walk found: for each
 * repository, from its revisions down through the manifests (manifests.c
 * reads each once), what the registry needs to serve every image: tags
 * that name revisions, manifests that exist and parse, referenced blobs
 * that exist globally and are linked in the repository, descriptor sizes
 * that match; after hashing, the blobs nothing needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsck.h"

struct check_ctx {
	struct fsck_run *run;
	uint32_t repo;
	uint32_t *work;
	size_t nwork, capwork;
};

static int
push_work(struct check_ctx *c, uint32_t id)
{
	if (c->run->objs[id].stamp == c->repo + 1)
		return 0;
	c->run->objs[id].stamp = c->repo + 1;
	if (fe_grow((void **)&c->work, &c->capwork, c->nwork + 1,
	        sizeof(*c->work)) < 0)
		return DRYDOCK_ERROR;
	c->work[c->nwork++] = id;
	return 0;
}

/*
 * A link that manifest mid needs in this repository is missing.  Kept for
 * fsck_check_structure() to look at again once every reference is known:
 * beside a gc -m, mid's own revision link may be gone by then too.
 */
static int
repo_finding(struct check_ctx *c, int fid, uint32_t id, uint32_t mid,
    const char *path, const char *detail)
{
	struct fsck_run *run = c->run;
	struct fsck_pending *p;

	if (fe_grow((void **)&run->pending, &run->cappending, run->npending + 1,
	        sizeof(*run->pending)) < 0)
		return DRYDOCK_ERROR;
	p = &run->pending[run->npending];
	p->fid = fid;
	p->id = id;
	p->mid = mid;
	p->repo = c->repo;
	if ((p->path = fe_strdup(path)) == NULL ||
	    (p->detail = fe_strdup(detail)) == NULL) {
		free(p->path);
		return DRYDOCK_ERROR;
	}
	run->npending++;
	return 0;
}

static int
blob_missing(struct fsck_run *run, uint32_t id, uint32_t owner)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], dstr[DRYDOCK_DIGEST_STRMAX];

	if (run->objs[id].flags & (FSCK_O_MISSING | FSCK_O_UNSAFE))
		return 0;
	run->objs[id].flags |= FSCK_O_MISSING;
	if (fsck_blob_path(path, sizeof(path), run, id) < 0)
		return DRYDOCK_ERROR;
	return fsck_report(run, FSCK_BLOB_MISSING,
	    FSCK_CTX(.path = path, .digest = id, .impact = FSCK_IMPACT_ALL),
	    "needed by %s", drydock_digest_format(dstr, &run->ids[owner]));
}

static int
size_check(struct fsck_run *run, uint32_t mid, uint32_t id, int64_t size)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_blob *b;
	struct fsck_sizecheck *sc;
	size_t i;

	if (size < 0 || o->blob == FSCK_NONE)
		return 0;
	b = &run->blobs[o->blob];
	if (b->want == UINT64_MAX)
		b->want = (uint64_t)size;
	if (b->size == (uint64_t)size)
		return 0;
	o->flags |= FSCK_O_SIZECHECK;
	for (i = 0; i < run->nsizechecks; i++)
		if (run->sizechecks[i].manifest == mid &&
		    run->sizechecks[i].blob == id)
			return 0;
	if (fe_grow((void **)&run->sizechecks, &run->capsizechecks,
	        run->nsizechecks + 1, sizeof(*run->sizechecks)) < 0)
		return DRYDOCK_ERROR;
	sc = &run->sizechecks[run->nsizechecks++];
	sc->repo = FSCK_NONE;
	sc->manifest = mid;
	sc->blob = id;
	sc->size = size;
	return 0;
}

/* A config, layer or other blob that manifest mid needs in this repo. */
static int
check_blob_ref(struct check_ctx *c, uint32_t mid, const struct fsck_ref *r)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	const struct fsck_link *l = fsck_layer_link(repo, r->id);
	uint32_t data = r->id;
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	int error;

	run->objs[r->id].flags |= FSCK_O_REFERENCED;
	/* an alias link names the sha256 blob holding the data */
	if (run->ids[r->id].alg != DRYDOCK_DIGEST_SHA256 && l != NULL &&
	    l->status == 0 && l->target != FSCK_NONE)
		data = l->target;
	run->objs[data].flags |= FSCK_O_REFERENCED;
	if ((r->flags & FSCK_REF_FOREIGN) &&
	    !(run->objs[data].flags & FSCK_O_DATA)) {
		if (run->objs[r->id].flags & FSCK_O_FOREIGN)
			return 0;
		run->objs[r->id].flags |= FSCK_O_FOREIGN;
		if (fsck_blob_path(path, sizeof(path), run, r->id) < 0)
			return DRYDOCK_ERROR;
		return fsck_report(run, FSCK_FOREIGN_LAYER_EXTERNAL,
		    FSCK_CTX(.path = path, .digest = r->id), NULL);
	}
	if (!fsck_late_data(run, data))
		return blob_missing(run, data, mid);
	if ((error = size_check(run, mid, data, r->size)) < 0)
		return error;
	if (r->flags & FSCK_REF_FOREIGN)
		return 0; /* the registry does not ask for a link */
	if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
		return 0; /* present, or its own finding says what is wrong */
	if (run->objs[r->id].lstamp == c->repo + 1)
		return 0; /* reported for this repository already */
	if (repo->unread & FSCK_UNREAD_LAYERS)
		return 0; /* its links are unknown: IO_ERROR says why */
	run->objs[r->id].lstamp = c->repo + 1;
	snprintf(path, sizeof(path), "%s/_layers/%s/%s/link", repo->path,
	    drydock_digest_alg_name(run->ids[r->id].alg),
	    drydock_digest_hex(hex, &run->ids[r->id]));
	return repo_finding(c, FSCK_LAYER_LINK_MISSING, r->id, mid, path,
	    "the blob exists, the repository does not link it");
}

static int
check_child(struct check_ctx *c, uint32_t mid, const struct fsck_ref *r)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	const struct fsck_manifest *child;
	const struct fsck_link *l;
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	int error;

	run->objs[r->id].flags |= FSCK_O_REFERENCED | FSCK_O_MANIFEST;
	if ((run->objs[r->id].flags & FSCK_O_DATA) &&
	    (error = size_check(run, mid, r->id, r->size)) < 0)
		return error;
	if (fsck_is_revision(repo, r->id))
		return 0; /* checked as a revision of its own */
	if ((error = fsck_load_manifest(run, r->id, &child)) < 0)
		return error;
	if (child->state == FSCK_MF_MISSING || child->state == FSCK_MF_UNSAFE)
		return 0; /* MANIFEST_MISSING or SYMLINK says it */
	if ((error = push_work(c, r->id)) < 0)
		return error;
	l = fsck_revision_link(repo, r->id);
	if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
		return 0; /* a bad revision link: its own finding */
	if (repo->unread & FSCK_UNREAD_REVS)
		return 0; /* its revisions are unknown: IO_ERROR says why */
	snprintf(path, sizeof(path), "%s/_manifests/revisions/%s/%s/link",
	    repo->path, drydock_digest_alg_name(run->ids[r->id].alg),
	    drydock_digest_hex(hex, &run->ids[r->id]));
	snprintf(hex, sizeof(hex), "platform %s",
	    r->platform != NULL ? r->platform : "unknown");
	return repo_finding(c, FSCK_CHILD_NOT_LINKED, r->id, mid, path, hex);
}

static int
check_manifest(struct check_ctx *c, uint32_t mid)
{
	struct fsck_run *run = c->run;
	const struct fsck_manifest *mf;
	uint32_t i, first, n;
	int error;

	if ((error = fsck_load_manifest(run, mid, &mf)) < 0)
		return error;
	if (mf->state != FSCK_MF_OK)
		return 0;
	first = mf->first;
	n = mf->nrefs;
	for (i = 0; i < n && error == 0; i++) {
		/* copy: loading a child may move run->refs */
		struct fsck_ref r = run->refs[first + i];

		switch (r.role) {
		case DRYDOCK_REF_SUBJECT:
			if (!fsck_is_revision(&run->repos[c->repo], r.id)) {
				char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
				char dstr[DRYDOCK_DIGEST_STRMAX];

				snprintf(path, sizeof(path),
				    "%s/_manifests/revisions/%s/%s",
				    run->repos[c->repo].path,
				    drydock_digest_alg_name(run->ids[mid].alg),
				    drydock_digest_hex(hex, &run->ids[mid]));
				error = fsck_report(run, FSCK_SUBJECT_MISSING,
				    FSCK_CTX(.path = path, .digest = mid,
				        .repo = c->repo),
				    "subject %s",
				    drydock_digest_format(
				        dstr, &run->ids[r.id]));
			}
			break;
		case DRYDOCK_REF_CHILD:
			error = check_child(c, mid, &r);
			break;
		default:
			error = check_blob_ref(c, mid, &r);
		}
	}
	return error;
}

/*
 * The registry writes a tag's history entry before its current/link, so a
 * push in progress shows a tag without current/link for a moment.  Before
 * calling it broken, read current/link again: when it is there now, the
 * tag is checked as any other.  Returns 1 when the tag was found.
 */
#define RECHECK_YOUNG_S 60 /* a tag this young may be mid-push */
#define RECHECK_BUDGET_NS 3000000000LL /* waiting for them, in all */

static int64_t recheck_waited_ns;

static int
recheck_current(struct fsck_run *run, uint32_t ri, size_t ti)
{
	struct fsck_repo *repo = &run->repos[ri];
	struct fsck_tag *t = &repo->tags[ti];
	struct drydock_digest d;
	struct timespec ts = {0, 50000000};
	char path[4200];
	int64_t mtime = 0;
	size_t n;

	n = (size_t)snprintf(
	    path, sizeof(path), "%s/_manifests/tags/%s", repo->path, t->name);
	if (n >= sizeof(path) - 16)
		return 0;
	/* a young tag: give the push in progress a moment to write it */
	if (drydock_store_stat(run->st, -1, path, NULL, &mtime, NULL) < 0)
		mtime = 0;
	snprintf(path + n, sizeof(path) - n, "/current/link");
	while (drydock_link_read(&d, run->st, -1, path) < 0) {
		drydock_error_clear();
		if (mtime / 1000000000 < run->now - RECHECK_YOUNG_S ||
		    recheck_waited_ns >= RECHECK_BUDGET_NS)
			return 0;
		nanosleep(&ts, NULL);
		recheck_waited_ns += ts.tv_nsec;
	}
	if (fsck_id(&t->target, run, &d) < 0)
		return DRYDOCK_ERROR;
	t->status = 0;
	fsck_sort_tags(repo);
	return 1;
}

static int
check_tags(struct check_ctx *c)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	char path[4200], dstr[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error = 0;

	for (i = 0; i < repo->ntags && error == 0; i++) {
		const struct fsck_tag *t = &repo->tags[i];
		struct fsck_ctx ctx = FSCK_CTX_INIT(.path = path,
		    .repo = c->repo, .tag = t->name, .impact = FSCK_IMPACT_TAG);
		const struct fsck_link *l;

		snprintf(path, sizeof(path), "%s/_manifests/tags/%s/current",
		    repo->path, t->name);
		if (t->status == DRYDOCK_ENOTFOUND &&
		    (error = recheck_current(run, c->repo, i)) < 0)
			break;
		error = 0;
		if (t->status == DRYDOCK_ENOTFOUND) {
			error =
			    fsck_report(run, FSCK_TAG_NO_CURRENT, &ctx, NULL);
			continue;
		}
		if (t->status != 0)
			continue; /* a link or symlink finding says it */
		run->objs[t->target].flags |= FSCK_O_MANIFEST;
		l = fsck_revision_link(repo, t->target);
		if (l != NULL && l->status == 0)
			continue;
		if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
			continue; /* a bad revision link: its own finding */
		if (repo->unread & FSCK_UNREAD_REVS)
			continue; /* its revisions are unknown */
		ctx.digest = t->target;
		strncat(path, "/link", sizeof(path) - strlen(path) - 1);
		error = fsck_report(run, FSCK_TAG_REVISION_MISSING, &ctx, "%s",
		    drydock_digest_format(dstr, &run->ids[t->target]));
	}
	for (i = 0; i < repo->nhist && error == 0; i++) {
		const struct fsck_hist *h = &repo->hist[i];

		if (h->l.status != 0 || fsck_is_revision(repo, h->l.id))
			continue;
		error = fsck_report(run, FSCK_TAG_HISTORY_DANGLING,
		    FSCK_CTX(.path = h->path, .digest = h->l.id,
		        .repo = c->repo, .tag = repo->tags[h->tag].name),
		    NULL);
	}
	return error;
}

static int
check_layers(struct check_ctx *c)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error = 0;

	for (i = 0; i < repo->nlayers && error == 0; i++) {
		const struct fsck_link *l = &repo->layers[i];
		uint32_t f;

		if (l->status != 0)
			continue;
		f = run->objs[l->target].flags;
		run->objs[l->target].flags |= FSCK_O_REFERENCED;
		run->objs[l->id].flags |= FSCK_O_REFERENCED;
		if ((f & (FSCK_O_DATA | FSCK_O_UNSAFE)) ||
		    fsck_late_data(run, l->target))
			continue;
		snprintf(path, sizeof(path), "%s/_layers/%s/%s/link",
		    repo->path, drydock_digest_alg_name(run->ids[l->id].alg),
		    drydock_digest_hex(hex, &run->ids[l->id]));
		error = fsck_report(run, FSCK_LAYER_LINK_DANGLING,
		    FSCK_CTX(.path = path, .digest = l->id, .repo = c->repo),
		    NULL);
	}
	return error;
}

static int
check_repo(struct fsck_run *run, uint32_t ri)
{
	struct check_ctx c;
	const struct fsck_repo *repo = &run->repos[ri];
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = repo->path, .repo = ri);
	size_t i, nvalid = 0;
	int error = 0;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.repo = ri;
	for (i = 0; i < repo->nrevs && error == 0; i++)
		if (repo->revs[i].status == 0) {
			nvalid++;
			run->objs[repo->revs[i].id].flags |=
			    FSCK_O_MANIFEST | FSCK_O_REFERENCED;
			error = push_work(&c, repo->revs[i].id);
		}
	/* revisions unknown: check at least what the tags name */
	if (repo->unread & FSCK_UNREAD_REVS)
		for (i = 0; i < repo->ntags && error == 0; i++)
			if (repo->tags[i].status == 0)
				error = push_work(&c, repo->tags[i].target);
	/* the work list grows with unlinked children as they are found */
	for (i = 0; i < c.nwork && error == 0; i++)
		error = check_manifest(&c, c.work[i]);
	if (error == 0)
		error = check_tags(&c);
	if (error == 0)
		error = check_layers(&c);
	if (error == 0 && repo->ntags == 0 && nvalid == 0 &&
	    repo->nuploads == 0 && repo->unread == 0)
		error = fsck_report(run, FSCK_REPO_EMPTY, &ctx, NULL);
	if (error == 0 && nvalid > 0 && !(repo->has & DRYDOCK_REPO_LAYERS))
		error = fsck_report(run, FSCK_REPO_NO_LAYERS, &ctx, NULL);
	free(c.work);
	return error;
}

/* Parents: for each digest, the references naming it (not subjects). */
static int
build_parents(struct fsck_run *run)
{
	size_t i;
	uint32_t *fill = NULL;

	if ((run->pstart = calloc(run->nids + 1, sizeof(uint32_t))) == NULL ||
	    (run->plist = calloc(run->nrefs + 1, sizeof(uint32_t))) == NULL ||
	    (fill = calloc(run->nids + 1, sizeof(uint32_t))) == NULL) {
		free(fill);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nrefs; i++)
		if (run->refs[i].role != DRYDOCK_REF_SUBJECT)
			run->pstart[run->refs[i].id + 1]++;
	for (i = 0; i < run->nids; i++)
		run->pstart[i + 1] += run->pstart[i];
	memcpy(fill, run->pstart, (run->nids + 1) * sizeof(uint32_t));
	for (i = 0; i < run->nrefs; i++)
		if (run->refs[i].role != DRYDOCK_REF_SUBJECT)
			run->plist[fill[run->refs[i].id]++] = (uint32_t)i;
	free(fill);
	return 0;
}

int
fsck_check_structure(struct fsck_run *run)
{
	size_t i;
	int error;

	for (i = 0; i < run->nrepos; i++) {
		if (fsck_stop)
			return DRYDOCK_EINTR;
		fsck_progress(
		    run, "checking repositories", i + 1, run->nrepos, 0, 0);
		if ((error = check_repo(run, (uint32_t)i)) < 0)
			return error;
	}
	fsck_progress_end(run);
	if ((error = build_parents(run)) < 0)
		return error;
	/* manifests that went away while they were read */
	for (i = 0; i < run->nids; i++)
		if ((run->objs[i].flags & FSCK_O_VANISHED) &&
		    (error = fsck_vanished(run, (uint32_t)i)) < 0)
			return error;
	return fsck_pending_findings(run);
}

/*
 * Blob directories nobody needs, and blobs nobody names; after hashing,
 * which sees what went away during the run.  A directory without data is
 * looked at again: a gc removes the data, then the directory, and the
 * registry makes the directory, then moves the data in.  One that is gone,
 * has its data now, or changed since the run began is in the middle of
 * that, not debris.
 */
int
fsck_check_blobs(struct fsck_run *run)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	int64_t mtime = 0;
	size_t i;
	int error = 0, r;

	for (i = 0; i < run->nblobs && error == 0; i++) {
		const struct fsck_blob *b = &run->blobs[i];
		uint32_t f = run->objs[b->id].flags;
		struct fsck_ctx ctx =
		    FSCK_CTX_INIT(.path = path, .digest = b->id);

		if (f &
		    (FSCK_O_REFERENCED | FSCK_O_MANIFEST | FSCK_O_UNSAFE |
		        FSCK_O_VANISHED))
			continue;
		if (fsck_blob_path(path, sizeof(path), run, b->id) < 0)
			return DRYDOCK_ERROR;
		if (!b->has_data) {
			if (drydock_store_blob_stat(
			        run->st, &run->ids[b->id], NULL, NULL) == 0)
				continue; /* its data came: a push */
			path[strlen(path) - 5] = '\0'; /* the directory */
			r = drydock_store_stat(
			    run->st, -1, path, NULL, &mtime, NULL);
			drydock_error_clear();
			if (r == DRYDOCK_ENOTFOUND ||
			    (r == 0 && mtime >= run->start_real_ns))
				continue;
			error = fsck_report(run, FSCK_BLOB_NO_DATA, &ctx, NULL);
		} else {
			error = fsck_report(
			    run, FSCK_BLOB_UNREFERENCED, &ctx, NULL);
		}
	}
	return error;
}
