/* SPDX-License-Identifier: MIT */
/*
 * plan.c --- after the mark: which blobs, layer links and repositories go.
 * Revisions, tag history and uploads were planned per repository during
 * the mark (mark.c), where the repository's own kept set was at hand.
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

/*
 * One blob directory (a lazy walk: nothing inside it looked at yet).  Only
 * an unmarked blob is probed: a marked one is kept whatever its state,
 * which is four of five blobs of a typical store and as many syscalls.
 */
static int
blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct gc_run *run = payload;
	uint64_t size = 0;
	int64_t mtime = 0;
	int has_data = 1;
	uint32_t id;
	int r;

	if (gc_stop)
		return DRYDOCK_EINTR;
	run->nblobs++;
	if ((r = gc_id(&id, run, &bi->digest)) < 0)
		return r;
	if ((run->nblobs & 1023) == 0)
		gc_progress(run, "sweeping", run->nblobs, 0);
	if (run->flags[id] & GC_MARKED) {
		run->nmarked++;
		return 0;
	}
	if (run->flags[id] & GC_YOUNG) {
		run->kept_by_grace++;
		return 0;
	}
	r = drydock_store_blob_stat(run->st, &bi->digest, &size, &mtime);
	if (r == DRYDOCK_ENOTFOUND) {
		/* no data: an empty blob directory, or gone meanwhile */
		has_data = 0;
		r = drydock_store_stat(
		    run->st, -1, bi->path, NULL, &mtime, NULL);
	}
	if (r == DRYDOCK_ENOTFOUND)
		return 0; /* gone meanwhile */
	if (r < 0) {
		/* a symlinked data file and the like: reported, left alone */
		drydock_store_problem(
		    run->st, bi->path, r, "%s", drydock_error_message());
		return 0;
	}
	if (has_data)
		run->flags[id] |= GC_PRESENT;
	if (run->blind != NULL)
		return 0; /* see gc_problem(): nothing is provably unneeded */
	if (mtime >= run->cutoff_ns) {
		run->flags[id] |= GC_YOUNG;
		run->kept_by_grace++;
		return 0;
	}
	run->flags[id] |= GC_SWEEP;
	return gc_add_item(run, GC_KIND_BLOB, UINT32_MAX, id, bi->path, NULL,
	    has_data ? "unreferenced" : "empty-blob-dir", size);
}

static void
link_dir(
    char *buf, size_t bufsz, const struct gc_run *run, const struct gc_link *l)
{
	char hex[DRYDOCK_DIGEST_STRMAX];
	const struct drydock_digest *d = &run->ids[l->id];

	snprintf(buf, bufsz, "repositories/%s/_layers/%s/%s",
	    run->repos[l->repo].name, drydock_digest_alg_name(d->alg),
	    drydock_digest_hex(hex, d));
}

/* Layer links whose blob goes or is missing; empty link directories. */
static int
plan_links(struct gc_run *run, uint32_t *kept_links)
{
	char path[1024];
	size_t i;
	int error;

	for (i = 0; i < run->nlinks; i++) {
		const struct gc_link *l = &run->links[i];
		const uint8_t f = run->flags[l->id] | run->flags[l->target];
		const char *reason = NULL;

		if (l->kind != GC_LINK_LAYER)
			continue;
		if (l->mtime_ns >= run->cutoff_ns ||
		    run->repos[l->repo].tainted)
			;
		else if (l->status == DRYDOCK_ENOTFOUND)
			reason = "empty-link-dir";
		else if (l->status < 0 || (f & (GC_MARKED | GC_YOUNG)))
			;
		else if (run->flags[l->target] & GC_SWEEP)
			reason = "blob-removed";
		else if (!(run->flags[l->target] & GC_PRESENT))
			reason = "blob-missing";
		if (reason == NULL) {
			if (l->status != DRYDOCK_ENOTFOUND)
				kept_links[l->repo]++;
			continue;
		}
		link_dir(path, sizeof(path), run, l);
		if ((error = gc_add_item(run, GC_KIND_LAYER_LINK, l->repo,
		         l->id, path, NULL, reason, 0)) < 0)
			return error;
		run->items[run->nitems - 1].id2 = l->target;
	}
	return 0;
}

/* Repositories left with nothing: no tag, revision, link or upload. */
static int
plan_repos(struct gc_run *run, const uint32_t *kept_links)
{
	char path[1024];
	size_t i;
	int error;

	for (i = 0; i < run->nrepos; i++) {
		const struct gc_repo *r = &run->repos[i];

		if (r->tainted || r->tags || r->bad_tags || r->uploads ||
		    r->kept_revisions || kept_links[i])
			continue;
		snprintf(path, sizeof(path), "repositories/%s", r->name);
		if ((error = gc_add_item(run, GC_KIND_REPOSITORY, (uint32_t)i,
		         UINT32_MAX, path, NULL, "empty-repository", 0)) < 0)
			return error;
	}
	return 0;
}

/* Sweep order: links before the data they name, containers last. */
static int
rank(int kind)
{
	switch (kind) {
	case GC_KIND_TAG_HISTORY:
		return 0;
	case GC_KIND_REVISION:
		return 1;
	case GC_KIND_LAYER_LINK:
		return 2;
	case GC_KIND_UPLOAD:
		return 3;
	case GC_KIND_BLOB:
		return 4;
	default:
		return 5;
	}
}

static int
item_cmp(const void *a, const void *b)
{
	const struct gc_item *x = a, *y = b;
	int rx = rank(x->kind), ry = rank(y->kind);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->path, y->path);
}

int
gc_plan(struct gc_run *run)
{
	uint32_t *kept_links = NULL;
	int error;

	if ((error = drydock_blob_foreach(
	         run->st, DRYDOCK_WALK_LAZY, blob_cb, run)) < 0)
		goto out;
	gc_progress_end(run);
	if ((kept_links = calloc(run->nrepos + 1, sizeof(*kept_links))) ==
	    NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((error = plan_links(run, kept_links)) < 0)
		goto out;
	if ((error = plan_repos(run, kept_links)) < 0)
		goto out;
	if (run->nitems > 1)
		qsort(run->items, run->nitems, sizeof(*run->items), item_cmp);
out:
	free(kept_links);
	return error;
}
