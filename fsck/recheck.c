/* SPDX-License-Identifier: MIT */
/*
 * recheck.c --- what went away during the run, looked at again before it
 * becomes a finding.  Beside a live registry and a gc, the walk's picture
 * ages: a gc removes the links that name data, then the data (gc/plan.c
 * sweeps links first); the registry writes data, then links.  So data that
 * vanished, or a link found missing, is a finding only when a link that is
 * still there (a revision or a tag, read again now) needs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsck.h"

/* For each digest, the revision links and tags the walk saw naming it. */
static int
build_namers(struct fsck_run *run)
{
	uint32_t *fill = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < run->nrepos; i++)
		n += run->repos[i].nrevs + run->repos[i].ntags;
	if ((run->nstart = calloc(run->nids + 1, sizeof(uint32_t))) == NULL ||
	    (run->namers = calloc(n + 1, sizeof(*run->namers))) == NULL ||
	    (run->needed = calloc(run->nids + 1, 1)) == NULL ||
	    (fill = calloc(run->nids + 1, sizeof(uint32_t))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nrepos; i++) {
		const struct fsck_repo *r = &run->repos[i];

		for (j = 0; j < r->nrevs; j++)
			if (r->revs[j].status == 0)
				run->nstart[r->revs[j].id + 1]++;
		for (j = 0; j < r->ntags; j++)
			if (r->tags[j].status == 0)
				run->nstart[r->tags[j].target + 1]++;
	}
	for (i = 0; i < run->nids; i++)
		run->nstart[i + 1] += run->nstart[i];
	memcpy(fill, run->nstart, (run->nids + 1) * sizeof(uint32_t));
	for (i = 0; i < run->nrepos; i++) {
		const struct fsck_repo *r = &run->repos[i];
		struct fsck_namer nm = {(uint32_t)i, FSCK_NONE};

		for (j = 0; j < r->nrevs; j++)
			if (r->revs[j].status == 0)
				run->namers[fill[r->revs[j].id]++] = nm;
		for (j = 0; j < r->ntags; j++) {
			if (r->tags[j].status != 0)
				continue;
			nm.tag = (uint32_t)j;
			run->namers[fill[r->tags[j].target]++] = nm;
		}
	}
	free(fill);
	run->nneeded = run->nids;
	return 0;
}

/* Does the revision link or tag nm still name id?  Read it again. */
static int
still_names(struct fsck_run *run, const struct fsck_namer *nm, uint32_t id)
{
	const struct fsck_repo *repo = &run->repos[nm->repo];
	struct drydock_digest d;
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	int r;

	if (nm->tag == FSCK_NONE)
		snprintf(path, sizeof(path),
		    "%s/_manifests/revisions/%s/%s/link", repo->path,
		    drydock_digest_alg_name(run->ids[id].alg),
		    drydock_digest_hex(hex, &run->ids[id]));
	else
		snprintf(path, sizeof(path),
		    "%s/_manifests/tags/%s/current/link", repo->path,
		    repo->tags[nm->tag].name);
	r = drydock_link_read(&d, run->st, -1, path);
	drydock_error_clear();
	if (r == DRYDOCK_ENOTFOUND)
		return 0;
	/* there, but unreadable: as good as naming it */
	return r < 0 || drydock_digest_equal(&d, &run->ids[id]);
}

#define NEEDED_DEPTH 16 /* indexes of indexes deeper than this: needed */

/*
 * Is id still needed now: named by a revision link or a tag that is still
 * there, or referenced by a manifest that is still needed?  *via gets that
 * manifest (FSCK_NONE when a link names id itself).  Answers are kept for
 * the run; a cycle in the references (only corrupt data makes one) needs
 * nothing.
 */
static int
needed_now(struct fsck_run *run, uint32_t id, uint32_t *via, int depth)
{
	uint32_t k, v;
	int yes = 0;

	*via = FSCK_NONE;
	if (id >= run->nneeded || depth == 0)
		return 1; /* beyond what is known: assume so */
	if (run->needed[id] != 0)
		return run->needed[id] == 2;
	run->needed[id] = 1;
	for (k = run->nstart[id]; k < run->nstart[id + 1] && !yes; k++)
		yes = still_names(run, &run->namers[k], id);
	for (k = run->pstart[id]; k < run->pstart[id + 1] && !yes; k++) {
		uint32_t owner = run->refs[run->plist[k]].owner;

		if ((yes = needed_now(run, owner, &v, depth - 1)) != 0)
			*via = owner;
	}
	run->needed[id] = yes ? 2 : 3;
	return yes;
}

/* A manifest that id is needed by, for the finding's detail. */
static uint32_t
some_owner(const struct fsck_run *run, uint32_t id)
{
	if (id < run->nneeded && run->pstart[id] < run->pstart[id + 1])
		return run->refs[run->plist[run->pstart[id]]].owner;
	return FSCK_NONE;
}

/*
 * The data of id went away after the walk saw it: a gc sweeping beside us
 * (it removes the links that name data before the data), or a delete
 * through the API and a gc.  Look again before calling it missing: data
 * that is back, or that nothing needs any more, is not a finding; data a
 * tag or a kept revision still needs is missing, as it would be had the
 * walk not seen it.
 */
int
fsck_vanished(struct fsck_run *run, uint32_t id)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], dstr[DRYDOCK_DIGEST_STRMAX];
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = path, .digest = id,
	    .impact = FSCK_IMPACT_ALL);
	uint32_t via = FSCK_NONE;
	int error;

	run->objs[id].flags |= FSCK_O_VANISHED;
	if (drydock_store_blob_stat(run->st, &run->ids[id], NULL, NULL) !=
	    DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return 0; /* back again, or a symlink: not gone */
	}
	drydock_error_clear();
	if (run->nstart == NULL && (error = build_namers(run)) < 0)
		return error;
	if (!needed_now(run, id, &via, NEEDED_DEPTH) ||
	    (run->objs[id].flags & FSCK_O_MISSING))
		return 0; /* not needed, or reported already */
	run->objs[id].flags |= FSCK_O_MISSING;
	if (fsck_blob_path(path, sizeof(path), run, id) < 0)
		return DRYDOCK_ERROR;
	if (run->objs[id].flags & FSCK_O_MANIFEST)
		return fsck_report(
		    run, FSCK_MANIFEST_MISSING, &ctx, "removed during the run");
	if (via == FSCK_NONE)
		via = some_owner(run, id);
	if (via == FSCK_NONE)
		return fsck_report(
		    run, FSCK_BLOB_MISSING, &ctx, "removed during the run");
	return fsck_report(run, FSCK_BLOB_MISSING, &ctx,
	    "removed during the run; needed by %s",
	    drydock_digest_format(dstr, &run->ids[via]));
}

/*
 * Is manifest id still needed in repository ri: its revision link or a
 * tag there still names it, or an index still needed there lists it?
 */
static int
needed_in_repo(struct fsck_run *run, uint32_t ri, uint32_t id, int depth)
{
	const struct fsck_repo *repo = &run->repos[ri];
	struct fsck_namer nm = {ri, FSCK_NONE};
	uint32_t k;

	if (id >= run->nneeded || depth == 0)
		return 1; /* beyond what is known: assume so */
	if (fsck_is_revision(repo, id) && still_names(run, &nm, id))
		return 1;
	for (nm.tag = 0; nm.tag < repo->ntags; nm.tag++)
		if (repo->tags[nm.tag].status == 0 &&
		    repo->tags[nm.tag].target == id &&
		    still_names(run, &nm, id))
			return 1;
	for (k = run->pstart[id]; k < run->pstart[id + 1]; k++) {
		const struct fsck_ref *r = &run->refs[run->plist[k]];

		if (r->role == DRYDOCK_REF_CHILD &&
		    needed_in_repo(run, ri, r->owner, depth - 1))
			return 1;
	}
	return 0;
}

/*
 * The links found missing in check_repo(), looked at again: one written
 * since (a push) or one that nothing needs any more (a gc -m sweeping the
 * manifest that needed it, links first) is not a finding.
 */
int
fsck_pending_findings(struct fsck_run *run)
{
	struct drydock_digest d;
	size_t i;
	int error = 0;

	if (run->npending > 0 && run->nstart == NULL &&
	    (error = build_namers(run)) < 0)
		return error;
	for (i = 0; i < run->npending && error == 0; i++) {
		const struct fsck_pending *p = &run->pending[i];
		int r = drydock_link_read(&d, run->st, -1, p->path);

		drydock_error_clear();
		if (r == 0 ||
		    !needed_in_repo(run, p->repo, p->mid, NEEDED_DEPTH))
			continue;
		error = fsck_report(run, p->fid,
		    FSCK_CTX(.path = p->path, .digest = p->id, .repo = p->repo,
		        .impact = FSCK_IMPACT_REPO),
		    "%s", p->detail);
	}
	return error;
}
