/* SPDX-License-Identifier: MIT */
/*
 * run.c --- the state of one drydock-fsck run and what every phase shares:
 * the stop flag a signal sets, the clocks the run started at, the interned
 * digests (a digest is a 32-bit id for the run), blob paths, and lookups in
 * a repository's sorted link tables.  It calls nothing else in fsck/, so
 * that every phase may call it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsck.h"

volatile sig_atomic_t fsck_stop;

int
fsck_run_init(struct fsck_run *run, const struct fsck_opts *opts,
    struct drydock_store *st)
{
	struct timespec ts;
	int error;

	memset(run, 0, sizeof(*run));
	run->opts = opts;
	run->st = st;
	fe_progress_init(
	    &run->progress, opts->com.progress && !opts->com.quiet);
	run->start_ns = fe_clock_monotonic_ns();
	run->now = (int64_t)time(NULL);
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	run->start_real_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if ((error = drydock_digestmap_new(&run->idmap, 1024)) < 0 ||
	    (error = drydock_digest_buffer(
	         &run->empty256, DRYDOCK_DIGEST_SHA256, "", 0)) < 0 ||
	    (error = drydock_digest_buffer(
	         &run->empty512, DRYDOCK_DIGEST_SHA512, "", 0)) < 0)
		return error;
	return 0;
}

static void
repo_release(struct fsck_repo *r)
{
	size_t i;

	for (i = 0; i < r->ntags; i++)
		free(r->tags[i].name);
	for (i = 0; i < r->nhist; i++)
		free(r->hist[i].path);
	free(r->tags);
	free(r->tag_order);
	free(r->revs);
	free(r->layers);
	free(r->hist);
	free(r->name);
	free(r->path);
}

void
fsck_run_release(struct fsck_run *run)
{
	size_t i, j;

	for (i = 0; i < run->nrepos; i++)
		repo_release(&run->repos[i]);
	free(run->repos);
	for (i = 0; i < run->nblobs; i++)
		free(run->blobs[i].got);
	free(run->blobs);
	for (i = 0; i < run->nrefs; i++)
		free(run->refs[i].platform);
	free(run->refs);
	free(run->mfs);
	free(run->pstart);
	free(run->plist);
	free(run->nstart);
	free(run->namers);
	free(run->needed);
	for (i = 0; i < run->npending; i++) {
		free(run->pending[i].path);
		free(run->pending[i].detail);
	}
	free(run->pending);
	for (i = 0; i < run->nproblems; i++) {
		free(run->problems[i].path);
		free(run->problems[i].message);
	}
	free(run->problems);
	free(run->sizechecks);
	for (i = 0; i < run->nfindings; i++) {
		struct fsck_finding *f = &run->findings[i];

		for (j = 0; j < f->nimages; j++) {
			free(f->images[j].ref);
			free(f->images[j].tag);
			free(f->images[j].platform);
		}
		free(f->images);
		free(f->path);
		free(f->detail);
		free(f->tag);
		free(f->repair_note);
	}
	free(run->findings);
	free(run->ids);
	free(run->objs);
	drydock_digestmap_free(run->idmap);
	memset(run, 0, sizeof(*run));
}

int
fsck_id(uint32_t *out, struct fsck_run *run, const struct drydock_digest *d)
{
	uint32_t v;
	int r;

	r = drydock_digestmap_add(run->idmap, d, (uint32_t)run->nids, &v);
	if (r < 0)
		return r;
	if (r == 0) {
		*out = v;
		return 0;
	}
	if (fe_grow((void **)&run->ids, &run->capids, run->nids + 1,
	        sizeof(*run->ids)) < 0 ||
	    fe_grow((void **)&run->objs, &run->capobjs, run->nids + 1,
	        sizeof(*run->objs)) < 0) {
		drydock_digestmap_del(run->idmap, d);
		return DRYDOCK_ERROR;
	}
	run->ids[run->nids] = *d;
	memset(&run->objs[run->nids], 0, sizeof(*run->objs));
	run->objs[run->nids].blob = FSCK_NONE;
	run->objs[run->nids].mf = FSCK_NONE;
	*out = (uint32_t)run->nids++;
	return 0;
}

/*
 * A new entry of run->blobs for digest id, its data not known yet.
 * Returns it, or NULL when out of memory.
 */
struct fsck_blob *
fsck_blob_add(struct fsck_run *run, uint32_t id)
{
	struct fsck_blob *b;

	if (fe_grow((void **)&run->blobs, &run->capblobs, run->nblobs + 1,
	        sizeof(*run->blobs)) < 0)
		return NULL;
	b = &run->blobs[run->nblobs];
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->want = UINT64_MAX;
	run->objs[id].blob = (uint32_t)run->nblobs++;
	return b;
}

int
fsck_blob_path(char *buf, size_t sz, const struct fsck_run *run, uint32_t id)
{
	return drydock_store_blob_path(buf, sz, &run->ids[id]);
}

static const struct fsck_link *
link_find(const struct fsck_link *arr, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (arr[mid].id == id)
			return &arr[mid];
		if (arr[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fsck_link *
fsck_revision_link(const struct fsck_repo *repo, uint32_t id)
{
	return link_find(repo->revs, repo->nrevs, id);
}

/* 1 when id has a good revision link in repo. */
int
fsck_is_revision(const struct fsck_repo *repo, uint32_t id)
{
	const struct fsck_link *l = fsck_revision_link(repo, id);

	return l != NULL && l->status == 0;
}

const struct fsck_link *
fsck_layer_link(const struct fsck_repo *repo, uint32_t id)
{
	return link_find(repo->layers, repo->nlayers, id);
}
