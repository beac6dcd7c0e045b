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
	int known; /* the walk said it all (S3 listings): no probe */
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

/* du: what the walk saw of blob id's size (du.c reads it) */
static int
du_size(struct gc_holders *h, uint32_t id, uint64_t size)
{
	size_t old = h->capsize;

	if (fe_grow((void **)&h->size, &h->capsize, (size_t)id + 1,
	        sizeof(*h->size)) < 0)
		return DRYDOCK_ERROR;
	if (h->capsize > old)
		memset(h->size + old, 0, (h->capsize - old) * sizeof(*h->size));
	h->size[id] = size;
	return 0;
}

/* An unmarked blob to probe (or, from a listing with times, known). */
static int
probe_add(struct probes *ps, uint32_t id, const struct drydock_blob_info *bi)
{
	struct probe *p;

	if (fe_grow((void **)&ps->v, &ps->cap, ps->n + 1, sizeof(*ps->v)) < 0)
		return DRYDOCK_ERROR;
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	if (bi->has_data == 1) {
		p->known = 1;
		p->has_data = 1;
		p->size = bi->size;
		p->mtime = bi->mtime_ns;
	}
	return 0;
}

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
		fe_progress_show(
		    &run->progress, "sweeping", run->nblobs, 0, 0, 0);
	if (run->holders != NULL && bi->has_data == 1 &&
	    (r = du_size(run->holders, id, bi->size)) < 0)
		return r;
	if (run->flags[id] & GC_MARKED) {
		run->nmarked++;
		return 0;
	}
	if (run->flags[id] & GC_YOUNG) {
		run->kept_by_grace++;
		return 0;
	}
	return probe_add(ps, id, bi);
}

/*
 * The blob walk in parts, each on a thread of its own: a single walk of
 * the 256 <hh>/ directories was a tenth of a dry run's time, on one core.
 * A fixed number of parts, merged in their order, keeps the plan the same
 * for every -j.  Only ids are looked up meanwhile (nothing is interned, so
 * the table is only read); digests new to the run are interned at the
 * merge.
 */
#define BLOB_PARTS 16

struct blob_part {
	struct gc_run *run;
	unsigned shard;
	struct probes ps; /* id UINT32_MAX: the next of fresh */
	struct drydock_digest *fresh;
	size_t nfresh, capfresh;
	size_t nblobs, nmarked, kept_by_grace;
	struct gc_scan_problems problems;
	int error, errclass;
	char *errmsg;
};

static int
part_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct blob_part *bp = payload;
	const struct gc_run *run = bp->run;
	uint32_t id;

	if (gc_stop)
		return DRYDOCK_EINTR;
	bp->nblobs++;
	if (gc_id_lookup(run, &bi->digest, &id) == 0) {
		/* du: sized for every id there was before the walk */
		if (run->holders != NULL && bi->has_data == 1)
			run->holders->size[id] = bi->size;
		if (run->flags[id] & GC_MARKED) {
			bp->nmarked++;
			return 0;
		}
		if (run->flags[id] & GC_YOUNG) {
			bp->kept_by_grace++;
			return 0;
		}
	} else {
		id = UINT32_MAX;
		if (fe_grow((void **)&bp->fresh, &bp->capfresh, bp->nfresh + 1,
		        sizeof(*bp->fresh)) < 0)
			return DRYDOCK_ERROR;
		bp->fresh[bp->nfresh++] = bi->digest;
	}
	return probe_add(&bp->ps, id, bi);
}

static void
run_part(size_t i, void *arg)
{
	struct blob_part *bp = (struct blob_part *)arg + i;

	gc_scan_sink = &bp->problems;
	bp->error = drydock_blob_foreach_shard(bp->run->st,
	    bp->run->holders != NULL ? DRYDOCK_WALK_STAT : DRYDOCK_WALK_LAZY,
	    bp->shard, BLOB_PARTS, part_cb, bp);
	gc_scan_sink = NULL;
	if (bp->error < 0) {
		bp->errclass = drydock_error_last()->klass;
		bp->errmsg = strdup(drydock_error_message());
	}
	drydock_error_clear();
}

/* Part bp's findings into the run and ps, in walk order. */
static int
part_merge(struct gc_run *run, struct blob_part *bp, struct probes *ps)
{
	size_t i, f = 0;
	int error;

	for (i = 0; i < bp->problems.n; i++)
		gc_problem(bp->problems.v[i].path, bp->problems.v[i].code,
		    bp->problems.v[i].message, run);
	if (bp->error < 0) {
		drydock_error_set(bp->errclass, "%s",
		    bp->errmsg != NULL ? bp->errmsg : "cannot walk blobs");
		return bp->error;
	}
	run->nblobs += bp->nblobs;
	run->nmarked += bp->nmarked;
	run->kept_by_grace += bp->kept_by_grace;
	if (fe_grow((void **)&ps->v, &ps->cap, ps->n + bp->ps.n,
	        sizeof(*ps->v)) < 0)
		return DRYDOCK_ERROR;
	for (i = 0; i < bp->ps.n; i++) {
		struct probe *p = &ps->v[ps->n++];

		*p = bp->ps.v[i];
		if (p->id != UINT32_MAX)
			continue;
		if ((error = gc_id(&p->id, run, &bp->fresh[f++])) < 0 ||
		    (run->holders != NULL && p->known &&
		        (error = du_size(run->holders, p->id, p->size)) < 0))
			return error;
	}
	fe_progress_show(&run->progress, "sweeping", run->nblobs, 0, 0, 0);
	return 0;
}

static void
part_release(struct blob_part *bp)
{
	size_t i;

	for (i = 0; i < bp->problems.n; i++) {
		free(bp->problems.v[i].path);
		free(bp->problems.v[i].message);
	}
	free(bp->problems.v);
	free(bp->ps.v);
	free(bp->fresh);
	free(bp->errmsg);
}

static int
walk_blobs(struct gc_run *run, struct probes *ps)
{
	struct blob_part parts[BLOB_PARTS];
	unsigned i;
	int error;

	/* on S3 the listing is one (shared) anyway */
	if (!drydock_store_has_fds(run->st))
		return drydock_blob_foreach(run->st,
		    run->holders != NULL ? DRYDOCK_WALK_STAT
		                         : DRYDOCK_WALK_LAZY,
		    blob_cb, ps);
	/*
	 * du needs every blob's size: the parts stat each (one fstatat) into
	 * slots sized now, for the ids there are; new ones come at the merge
	 */
	if (run->holders != NULL && run->nids > 0 &&
	    (error = du_size(run->holders, (uint32_t)(run->nids - 1), 0)) < 0)
		return error;
	memset(parts, 0, sizeof(parts));
	for (i = 0; i < BLOB_PARTS; i++) {
		parts[i].run = run;
		parts[i].shard = i;
		parts[i].ps.run = run;
	}
	error = gc_parallel_for(BLOB_PARTS, run->opts->jobs, run_part, parts);
	for (i = 0; i < BLOB_PARTS; i++) {
		if (error == 0)
			error = part_merge(run, &parts[i], ps);
		part_release(&parts[i]);
	}
	return error;
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
	struct drydock_digest d;
	char dir[DRYDOCK_DIGEST_STRMAX + 32];
	int is_dir = 0;

	if (p->known)
		return;
	p->has_data = 1;
	d = gc_digest(ps->run, p->id);
	/* the walk listed blobs/<alg>/<hh>/<hex> as directories */
	drydock_store_blob_path(dir, sizeof(dir), &d);
	p->r = drydock_store_stat_listed(
	    st, -1, dir, &p->size, &p->mtime, &is_dir);
	if (p->r == 0 && is_dir) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is a directory, not a regular file", dir);
		p->r = DRYDOCK_EUNSAFE;
	} else if (p->r == DRYDOCK_ENOTFOUND) {
		/* no data: an empty blob directory, or gone meanwhile */
		p->has_data = 0;
		blob_dir_path(dir, sizeof(dir), &d);
		p->r = drydock_store_stat_listed(
		    st, -1, dir, NULL, &p->mtime, NULL);
	}
	if (p->r < 0 && p->r != DRYDOCK_ENOTFOUND)
		p->message = strdup(drydock_error_message());
	drydock_error_clear();
}

/* The probes' results, in walk order: what goes and what grace keeps. */
static int
plan_blobs(struct gc_run *run, struct probes *ps)
{
	struct drydock_digest d;
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	size_t i;
	int error;

	for (i = 0; i < ps->n; i++) {
		const struct probe *p = &ps->v[i];

		if (p->r == DRYDOCK_ENOTFOUND)
			continue; /* gone meanwhile */
		d = gc_digest(run, p->id);
		blob_dir_path(path, sizeof(path), &d);
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
		if (run->flags[p->id] & GC_MARKED) {
			run->nmarked++; /* held by a link that is a problem */
			continue;
		}
		if (gc_is_young(run, p->mtime) ||
		    (run->flags[p->id] & GC_YOUNG)) {
			run->flags[p->id] |= GC_YOUNG;
			run->kept_by_grace++;
			continue;
		}
		run->flags[p->id] |= GC_SWEEP;
		if ((error = gc_add_item(run, GC_KIND_BLOB, UINT32_MAX, p->id,
		         path, NULL,
		         p->has_data ? GC_REASON_UNREFERENCED
		                     : GC_REASON_EMPTY_BLOB_DIR,
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
	const struct drydock_digest d = gc_digest(run, l->id);

	snprintf(buf, bufsz, "repositories/%s/_layers/%s/%s",
	    run->repos[l->repo].name, drydock_digest_alg_name(d.alg),
	    drydock_digest_hex(hex, &d));
}

/*
 * The layer links that may go: those naming a blob no manifest marked, in a
 * repository that is not suspect.  The mark walked links by name only (a
 * link is no root, and its content is fsck's to check); these few are
 * stat'ed here, in parallel, for whether the link file exists and how
 * young it is.  A young link keeps its blob: a push in flight (a layer
 * mounted or uploaded, its manifest yet to come) needs it.
 */
struct link_probe {
	size_t link; /* index into run->links */
	int r; /* what the stat met: 0, DRYDOCK_ENOTFOUND or a problem */
	char *message; /* the problem, when r < 0 but not ENOTFOUND */
};

struct link_probes {
	struct gc_run *run;
	struct link_probe *v;
	size_t n, cap;
};

static void
probe_link(size_t i, void *arg)
{
	struct link_probes *lp = arg;
	struct gc_run *run = lp->run;
	struct link_probe *p = &lp->v[i];
	struct gc_link *l = &run->links[p->link];
	char path[1024];
	int64_t mtime = 0;
	int r;

	link_dir(path, sizeof(path) - 8, run, l);
	strcat(path, "/link");
	/* the mark's walk listed every directory on the way */
	p->r = r =
	    drydock_store_stat_listed(run->st, -1, path, NULL, &mtime, NULL);
	if (r == DRYDOCK_ENOTFOUND) {
		/* an empty link directory: its own age decides */
		l->status = DRYDOCK_ENOTFOUND;
		*strrchr(path, '/') = '\0';
		if (drydock_store_stat_listed(
		        run->st, -1, path, NULL, &mtime, NULL) < 0)
			mtime = INT64_MAX; /* gone or odd: keep it */
	} else if (r < 0) {
		/* a symlink or worse: reported, and it and its blob kept */
		l->status = (int8_t)(r < -127 ? -127 : r);
		p->message = strdup(drydock_error_message());
	}
	l->young = (uint8_t)gc_is_young(run, mtime);
	l->probed = 1;
	drydock_error_clear();
}

static int
probe_links(struct gc_run *run)
{
	struct link_probes lp = {run, NULL, 0, 0};
	size_t i;
	int error = 0;

	for (i = 0; i < run->nlinks; i++) {
		const struct gc_link *l = &run->links[i];

		if (l->kind != GC_LINK_LAYER || l->probed ||
		    run->repos[l->repo].tainted ||
		    ((run->flags[l->id] | run->flags[l->target]) & GC_MARKED))
			continue;
		if ((error = fe_grow(
		         (void **)&lp.v, &lp.cap, lp.n + 1, sizeof(*lp.v))) < 0)
			goto out;
		memset(&lp.v[lp.n], 0, sizeof(*lp.v));
		lp.v[lp.n++].link = i;
	}
	if ((error = gc_parallel_for(lp.n, run->opts->jobs, probe_link, &lp)) <
	    0)
		goto out;
	for (i = 0; i < lp.n; i++) {
		const struct link_probe *p = &lp.v[i];
		const struct gc_link *l = &run->links[p->link];
		char path[1024];

		if (l->status == 0 && l->young) {
			run->flags[l->id] |= GC_YOUNG;
			run->flags[l->target] |= GC_YOUNG;
		} else if (p->r < 0 && p->r != DRYDOCK_ENOTFOUND) {
			/* what the registry would read there is unknown */
			run->flags[l->id] |= GC_MARKED;
			run->flags[l->target] |= GC_MARKED;
			link_dir(path, sizeof(path) - 8, run, l);
			strcat(path, "/link");
			drydock_store_problem(run->st, path, p->r, "%s",
			    p->message ? p->message : "cannot stat");
		}
	}
out:
	for (i = 0; i < lp.n; i++)
		free(lp.v[i].message);
	free(lp.v);
	return error;
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
		int reason = -1;

		if (l->kind != GC_LINK_LAYER)
			continue;
		if (l->young || run->repos[l->repo].tainted)
			;
		else if (l->status == DRYDOCK_ENOTFOUND)
			reason = GC_REASON_EMPTY_LINK_DIR;
		else if (l->status < 0 || (f & (GC_MARKED | GC_YOUNG)))
			;
		else if (run->flags[l->target] & GC_SWEEP)
			reason = GC_REASON_BLOB_REMOVED;
		else if (!(run->flags[l->target] & GC_PRESENT))
			reason = GC_REASON_BLOB_MISSING;
		if (reason < 0) {
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
		    r->kept_revisions || kept_links[i] ||
		    (r->empty && gc_is_young(run, r->mtime_ns)))
			continue;
		snprintf(path, sizeof(path), "repositories/%s", r->name);
		error = gc_add_item(run, GC_KIND_REPOSITORY, (uint32_t)i,
		    UINT32_MAX, path, NULL, GC_REASON_EMPTY_REPOSITORY, 0);
		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * Sweep order: tags, then links before the data they name, containers
 * last; an index's revision before its children's (item_cmp).
 */
static int
rank(int kind)
{
	switch (kind) {
	case GC_KIND_TAG:
		return 0; /* a tag before the manifest it names */
	case GC_KIND_TAG_HISTORY:
		return 1;
	case GC_KIND_REVISION:
		return 2;
	case GC_KIND_LAYER_LINK:
		return 3;
	case GC_KIND_UPLOAD:
		return 4;
	case GC_KIND_BLOB:
		return 5;
	default:
		return 6;
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

struct sort_ctx {
	const struct gc_run *run;
	const uint8_t *height; /* revisions: index levels, by digest id */
};

/*
 * Revisions go top down: an index's before its children's, so that at no
 * moment of the sweep does a linked index list a child that is not (a
 * pull, or drydock-fsck beside the sweep, would see a broken image).
 * Then, within a kind: by repository name, then digest, then stored path.
 * Not the order of the path strings, but as total and as stable, without
 * building two paths per comparison.
 */
static int
item_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *ctx = arg;
	const struct gc_run *run = ctx->run;
	const struct gc_item *x = a, *y = b;
	int rx = rank(x->kind), ry = rank(y->kind), c;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->kind == GC_KIND_REVISION &&
	    ctx->height[x->id] != ctx->height[y->id])
		return ctx->height[x->id] > ctx->height[y->id] ? -1 : 1;
	if (x->repo != y->repo) {
		if (x->repo == UINT32_MAX || y->repo == UINT32_MAX)
			return x->repo == UINT32_MAX ? -1 : 1;
		if ((c = strcmp(run->repos[x->repo].name,
		         run->repos[y->repo].name)) != 0)
			return c;
	}
	if (x->id != y->id) {
		struct drydock_digest dx, dy;

		if (x->id == UINT32_MAX || y->id == UINT32_MAX)
			return x->id == UINT32_MAX ? -1 : 1;
		dx = gc_digest(run, x->id);
		dy = gc_digest(run, y->id);
		if (dx.alg != dy.alg)
			return dx.alg < dy.alg ? -1 : 1;
		if ((c = memcmp(
		         dx.raw, dy.raw, drydock_digest_alg_size(dx.alg))) != 0)
			return c;
	}
	if (x->path != NULL && y->path != NULL)
		return strcmp(x->path, y->path);
	return (x->path != NULL) - (y->path != NULL);
}

static int
sort_items(struct gc_run *run)
{
	struct sort_ctx ctx;
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
	ctx.run = run;
	ctx.height = height;
	qsort_r(run->items, run->nitems, sizeof(*run->items), item_cmp, &ctx);
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

	/* only blobs no mark reached are looked at, in parallel, after it */
	if ((error = walk_blobs(run, &ps)) < 0 ||
	    (error = gc_parallel_for(ps.n, run->opts->jobs, probe_one, &ps)) <
	        0 ||
	    (error = probe_links(run)) < 0 ||
	    (error = plan_blobs(run, &ps)) < 0)
		goto out;
	fe_progress_end(&run->progress);
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
