/* SPDX-License-Identifier: MIT */
/*
 * plan.c --- after the mark: which blobs, layer links and repositories go.
 * Revisions, tag history and uploads were planned per repository during
 * the mark (mark.c), where the repository's own kept set was at hand.
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

/* A blob no mark reached, probed (in parallel) before it is planned. */
struct probe {
	uint32_t id;
	int r; /* 0, DRYDOCK_ENOTFOUND (gone), or a problem */
	int has_data;
	uint64_t size;
	int64_t mtime;
	char *message; /* the problem, when r < 0 */
};

struct probes {
	struct gc_run *run;
	struct probe *v;
	size_t n, cap;
};

/*
 * One blob directory (a lazy walk: nothing inside it looked at yet).  A
 * marked blob is kept whatever its state, which is four of five blobs of a
 * typical store and as many syscalls saved; the others are probed later.
 */
static int
blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct probes *ps = payload;
	struct gc_run *run = ps->run;
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
	if (gc__grow((void **)&ps->v, &ps->cap, ps->n + 1, sizeof(*ps->v)) < 0)
		return DRYDOCK_ERROR;
	memset(&ps->v[ps->n], 0, sizeof(*ps->v));
	ps->v[ps->n++].id = id;
	return 0;
}

static void
blob_dir_path(char *buf, size_t bufsz, const struct drydock_digest *d)
{
	char *slash;

	drydock_store_blob_path(buf, bufsz, d);
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0'; /* .../<hex>/data -> .../<hex> */
}

/* Thread-safe: the store is only read, the result goes into p. */
static void
probe_one(size_t i, void *arg)
{
	struct probes *ps = arg;
	struct probe *p = &ps->v[i];
	struct drydock_store *st = ps->run->st;
	char dir[DRYDOCK_DIGEST_STRMAX + 32];

	p->has_data = 1;
	p->r = drydock_store_blob_stat(
	    st, &ps->run->ids[p->id], &p->size, &p->mtime);
	if (p->r == DRYDOCK_ENOTFOUND) {
		/* no data: an empty blob directory, or gone meanwhile */
		p->has_data = 0;
		blob_dir_path(dir, sizeof(dir), &ps->run->ids[p->id]);
		p->r = drydock_store_stat(st, -1, dir, NULL, &p->mtime, NULL);
	}
	if (p->r < 0 && p->r != DRYDOCK_ENOTFOUND)
		p->message = strdup(drydock_error_message());
	drydock_error_clear();
}

/* The probes' results, in walk order: what goes and what grace keeps. */
static int
plan_blobs(struct gc_run *run, struct probes *ps)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	size_t i;
	int error;

	for (i = 0; i < ps->n; i++) {
		const struct probe *p = &ps->v[i];

		if (p->r == DRYDOCK_ENOTFOUND)
			continue; /* gone meanwhile */
		blob_dir_path(path, sizeof(path), &run->ids[p->id]);
		if (p->r < 0) {
			/* a symlinked data file and the like: left alone */
			drydock_store_problem(run->st, path, p->r, "%s",
			    p->message ? p->message : "cannot stat");
			continue;
		}
		if (p->has_data)
			run->flags[p->id] |= GC_PRESENT;
		if (run->blind != NULL)
			continue; /* see gc_problem(): nothing is provably
			             unneeded */
		if (p->mtime >= run->cutoff_ns) {
			run->flags[p->id] |= GC_YOUNG;
			run->kept_by_grace++;
			continue;
		}
		run->flags[p->id] |= GC_SWEEP;
		if ((error = gc_add_item(run, GC_KIND_BLOB, UINT32_MAX, p->id,
		         path, NULL,
		         p->has_data ? "unreferenced" : "empty-blob-dir",
		         p->size)) < 0)
			return error;
	}
	return 0;
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

/*
 * Sweep order: links before the data they name, containers last; an
 * index's revision before its children's (item_cmp).
 */
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

#define HEIGHT_MAX 8

/* Levels of indexes below manifest id: 0 for an image manifest. */
static uint8_t
mf_height(const struct gc_run *run, uint32_t id, int depth)
{
	const struct gc_manifest *m;
	uint32_t i;
	uint8_t h = 0, c;

	if (id >= run->nids || run->mf[id] == UINT32_MAX || depth == 0)
		return 0;
	m = &run->manifests[run->mf[id]];
	if (m->state != GC_MF_OK || !m->is_index)
		return 0;
	for (i = 0; i < m->nrefs; i++)
		if ((c = mf_height(run, run->refs[m->refs + i], depth - 1)) > h)
			h = c;
	return (uint8_t)(h + 1);
}

static const uint8_t *sort_height; /* by digest id, during the sort */

/*
 * Revisions go top down: an index's before its children's, so that at no
 * moment of the sweep does a linked index list a child that is not (a
 * pull, or drydock-fsck beside the sweep, would see a broken image).
 */
static int
item_cmp(const void *a, const void *b)
{
	const struct gc_item *x = a, *y = b;
	int rx = rank(x->kind), ry = rank(y->kind);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->kind == GC_KIND_REVISION &&
	    sort_height[x->id] != sort_height[y->id])
		return sort_height[x->id] > sort_height[y->id] ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int
sort_items(struct gc_run *run)
{
	uint8_t *height;
	size_t i;

	if (run->nitems < 2) /* qsort(NULL, 0, ...) is undefined */
		return 0;
	if ((height = calloc(run->nids + 1, 1)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nitems; i++) {
		const struct gc_item *it = &run->items[i];

		if (it->kind == GC_KIND_REVISION && it->id < run->nids)
			height[it->id] = mf_height(run, it->id, HEIGHT_MAX);
	}
	sort_height = height;
	qsort(run->items, run->nitems, sizeof(*run->items), item_cmp);
	sort_height = NULL;
	free(height);
	return 0;
}

int
gc_plan(struct gc_run *run)
{
	struct probes ps = {run, NULL, 0, 0};
	uint32_t *kept_links = NULL;
	size_t i;
	int error;

	if ((error = drydock_blob_foreach(
	         run->st, DRYDOCK_WALK_LAZY, blob_cb, &ps)) < 0 ||
	    (error = gc_parallel_for(ps.n, run->opts->jobs, probe_one, &ps)) <
	        0 ||
	    (error = plan_blobs(run, &ps)) < 0)
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
	error = sort_items(run);
out:
	for (i = 0; i < ps.n; i++)
		free(ps.v[i].message);
	free(ps.v);
	free(kept_links);
	return error;
}
