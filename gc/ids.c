/* SPDX-License-Identifier: MIT */
/*
 * ids.c --- every digest a run meets, interned as a dense id.  A sha256
 * costs its 32 bytes, a 4-byte hash slot and the per-id arrays of gc.h
 * (flags, manifest index, kept-in, revision-in): about 60 bytes a blob,
 * where a general digest map and a copy of struct drydock_digest took 140
 * (issue 11: a million blobs in bounded memory).  The rare wider digests
 * (sha512) go to a drydock_digestmap beside it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gc.h"

#define SLOTS_MIN 4096

/*
 * Digests come from names in the storage, which a hostile tree chooses:
 * the slot of a key is its first 8 bytes mixed with a per-run seed.
 */
static uint64_t
slot_hash(const struct gc_ids *ids, const uint8_t *raw)
{
	return drydock_digest_hash_raw(raw, 32, ids->seed);
}

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

/* Put id (a sha256 one) into a table with room: no key is there yet. */
static void
slot_put(struct gc_ids *ids, uint32_t id)
{
	size_t mask = ids->nslots - 1, i;

	i = (size_t)slot_hash(ids, ids->raw[id]) & mask;
	while (ids->slots[i] != 0)
		i = (i + 1) & mask;
	ids->slots[i] = id + 1;
}

static int
slots_grow(struct gc_run *run)
{
	struct gc_ids *ids = &run->ids;
	size_t n = ids->nslots ? ids->nslots * 2 : SLOTS_MIN, i;
	uint32_t *old = ids->slots;

	if ((ids->slots = calloc(n, sizeof(*ids->slots))) == NULL) {
		ids->slots = old;
		return oom();
	}
	free(old);
	ids->nslots = n;
	for (i = 0; i < run->nids; i++)
		if (!(run->flags[i] & GC_WIDE))
			slot_put(ids, (uint32_t)i);
	return 0;
}

/* The why trace's per-id arrays, when there is one. */
static int
trace_reserve(struct gc_trace *t, size_t cap)
{
	void *p;

	if ((p = realloc(t->parent, cap * sizeof(*t->parent))) == NULL)
		return oom();
	t->parent = p;
	if ((p = realloc(t->in_repo, cap * sizeof(*t->in_repo))) == NULL)
		return oom();
	t->in_repo = p;
	if ((p = realloc(t->edge, cap)) == NULL)
		return oom();
	t->edge = p;
	return 0;
}

#define GROW(arr, cap)                                                         \
	do {                                                                   \
		void *p_ = realloc((arr), (cap) * sizeof(*(arr)));             \
		if (p_ == NULL)                                                \
			return oom();                                          \
		(arr) = p_;                                                    \
	} while (0)

/* du's per-id arrays, when there are. */
static int
holders_reserve(struct gc_holders *h, size_t cap)
{
	GROW(h->seen, cap);
	GROW(h->last, cap);
	GROW(h->count, cap);
	GROW(h->live, cap);
	GROW(h->repo_last, cap);
	GROW(h->repos, cap);
	GROW(h->p1_repo, cap);
	GROW(h->p1_count, cap);
	GROW(h->p1_last, cap);
	return 0;
}

/* Room for one more id in every per-id array (grown by half). */
static int
ids_reserve(struct gc_run *run)
{
	size_t cap;
	void *p;
	int error;

	if (run->nids < run->capids)
		return 0;
	cap = run->capids ? run->capids + run->capids / 2 : 4096;
	if (cap > UINT32_MAX - 1) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "more than %u digests in one run", UINT32_MAX - 1);
		return DRYDOCK_ERROR;
	}
	if ((p = realloc(run->ids.raw, cap * sizeof(*run->ids.raw))) == NULL)
		return oom();
	run->ids.raw = p;
	if ((p = realloc(run->flags, cap)) == NULL)
		return oom();
	run->flags = p;
	if ((p = realloc(run->mf, cap * sizeof(*run->mf))) == NULL)
		return oom();
	run->mf = p;
	if ((p = realloc(run->kept_in, cap * sizeof(*run->kept_in))) == NULL)
		return oom();
	run->kept_in = p;
	if ((p = realloc(run->rev_in, cap * sizeof(*run->rev_in))) == NULL)
		return oom();
	run->rev_in = p;
	if (run->trace != NULL && (error = trace_reserve(run->trace, cap)) < 0)
		return error;
	if (run->holders != NULL &&
	    (error = holders_reserve(run->holders, cap)) < 0)
		return error;
	run->capids = cap;
	return 0;
}

static uint32_t
new_id(struct gc_run *run)
{
	uint32_t id = (uint32_t)run->nids++;

	run->flags[id] = 0;
	run->mf[id] = UINT32_MAX;
	run->kept_in[id] = 0;
	run->rev_in[id] = 0;
	if (run->trace != NULL)
		run->trace->in_repo[id] = 0;
	if (run->holders != NULL) {
		struct gc_holders *h = run->holders;

		h->seen[id] = h->repo_last[id] = h->p1_repo[id] = 0;
		h->count[id] = h->live[id] = h->repos[id] = 0;
	}
	return id;
}

/* A sha512 (or other wide) digest: the side map, and its index in raw. */
static int
wide_id(uint32_t *out, struct gc_run *run, const struct drydock_digest *d)
{
	struct gc_ids *ids = &run->ids;
	uint32_t id, w;
	int r;

	if (drydock_digestmap_get(ids->widemap, d, out) == 0)
		return 0;
	if ((r = ids_reserve(run)) < 0 ||
	    (r = fe_grow((void **)&ids->wide, &ids->capwide, ids->nwide + 1,
	         sizeof(*ids->wide))) < 0)
		return r;
	id = (uint32_t)run->nids;
	if ((r = drydock_digestmap_put(ids->widemap, d, id)) < 0)
		return r;
	new_id(run);
	w = (uint32_t)ids->nwide++;
	ids->wide[w] = *d;
	memset(ids->raw[id], 0, sizeof(ids->raw[id]));
	memcpy(ids->raw[id], &w, sizeof(w));
	run->flags[id] |= GC_WIDE;
	*out = id;
	return 0;
}

int
gc_ids_init(struct gc_run *run)
{
	struct gc_ids *ids = &run->ids;

	memset(ids, 0, sizeof(*ids));
	ids->seed = drydock_digest_hash_seed();
	return drydock_digestmap_new(&ids->widemap, 16);
}

void
gc_ids_release(struct gc_run *run)
{
	drydock_digestmap_free(run->ids.widemap);
	free(run->ids.raw);
	free(run->ids.slots);
	free(run->ids.wide);
	memset(&run->ids, 0, sizeof(run->ids));
}

int
gc_id_lookup(
    const struct gc_run *run, const struct drydock_digest *d, uint32_t *out)
{
	const struct gc_ids *ids = &run->ids;
	size_t mask, i;
	uint32_t v;

	if (d->alg != DRYDOCK_DIGEST_SHA256)
		return drydock_digestmap_get(ids->widemap, d, out);
	if (ids->nslots == 0)
		return DRYDOCK_ENOTFOUND;
	mask = ids->nslots - 1;
	for (i = (size_t)slot_hash(ids, d->raw) & mask;
	     (v = ids->slots[i]) != 0; i = (i + 1) & mask)
		if (memcmp(ids->raw[v - 1], d->raw, 32) == 0) {
			*out = v - 1;
			return 0;
		}
	return DRYDOCK_ENOTFOUND;
}

int
gc_id(uint32_t *out, struct gc_run *run, const struct drydock_digest *d)
{
	uint32_t id;
	int r;

	if (d->alg != DRYDOCK_DIGEST_SHA256)
		return wide_id(out, run, d);
	if (gc_id_lookup(run, d, out) == 0)
		return 0;
	if ((r = ids_reserve(run)) < 0)
		return r;
	/* at most three quarters full */
	if ((run->nids + 1) * 4 > run->ids.nslots * 3 &&
	    (r = slots_grow(run)) < 0)
		return r;
	id = new_id(run);
	memcpy(run->ids.raw[id], d->raw, 32);
	slot_put(&run->ids, id);
	*out = id;
	return 0;
}

struct drydock_digest
gc_digest(const struct gc_run *run, uint32_t id)
{
	struct drydock_digest d;
	uint32_t w;

	if (run->flags[id] & GC_WIDE) {
		memcpy(&w, run->ids.raw[id], sizeof(w));
		return run->ids.wide[w];
	}
	memset(&d, 0, sizeof(d));
	d.alg = DRYDOCK_DIGEST_SHA256;
	memcpy(d.raw, run->ids.raw[id], 32);
	return d;
}
