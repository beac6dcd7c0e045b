/* SPDX-License-Identifier: MIT */
/*
 * holders.c --- for `drydock-gc du`: during the mark, who holds each
 * digest, counted once per holder, so that what only one tag or one
 * repository holds (what deleting it alone would free) is a sum over the
 * digests, in one pass, not a mark per tag.
 *
 * A repository's holders are its tags (a tag the policy deletes too,
 * marked doomed) and one for the rest of its roots: untagged revisions
 * kept, young or pinned ones, and everything it links when it has a
 * problem.  A revision some tag names is held by that tag only: deleting
 * the tag releases it, as a policy's deletion does.  A referrer is held by
 * its subject's holder when the subject has one in the repository, else by
 * the rest: the first pass finds the subjects' holders, the second counts,
 * each holder's digests in one session so that none is counted twice.
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

void
gc_holders_free(struct gc_holders *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->v[i].tag);
	free(h->v);
	free(h->seen);
	free(h->size);
	free(h->last);
	free(h->count);
	free(h->live);
	free(h->repo_last);
	free(h->repos);
	free(h->p1_repo);
	free(h->p1_count);
	free(h->p1_last);
	free(h->pairs);
	free(h->rpairs);
	free(h->stack);
	free(h->refs);
	free(h);
}

static int
push_pair(struct gc_pair **v, size_t *n, size_t *cap, uint32_t who, uint32_t id)
{
	if (fe_grow((void **)v, cap, *n + 1, sizeof(**v)) < 0)
		return DRYDOCK_ERROR;
	(*v)[*n].who = who;
	(*v)[(*n)++].id = id;
	return 0;
}

static uint16_t
sat_inc(uint16_t v)
{
	return v == UINT16_MAX ? v : (uint16_t)(v + 1);
}

/* Holder hd (of repository repo) holds id: counted in pass 1 or 2. */
static int
touch(struct gc_holders *h, int pass, uint32_t hd, uint32_t repo, uint32_t id)
{
	if (pass == 1) {
		if (h->p1_repo[id] != repo + 1) {
			h->p1_repo[id] = repo + 1;
			h->p1_count[id] = 0;
		}
		h->p1_count[id] = sat_inc(h->p1_count[id]);
		h->p1_last[id] = hd;
		return 0;
	}
	h->count[id] = sat_inc(h->count[id]);
	h->last[id] = hd;
	if (!h->v[hd].doomed)
		h->live[id] = sat_inc(h->live[id]);
	if (h->by_tag && h->v[hd].tag != NULL &&
	    push_pair(&h->pairs, &h->npairs, &h->cappairs, hd, id) < 0)
		return DRYDOCK_ERROR;
	if (h->repo_last[id] == repo + 1)
		return 0;
	h->repo_last[id] = repo + 1;
	h->repos[id] = sat_inc(h->repos[id]);
	return push_pair(&h->rpairs, &h->nrpairs, &h->caprpairs, repo, id);
}

/*
 * Everything root reaches, as gc_mark_from() follows it, held by hd in
 * this session (pass); what the session touched already is skipped.
 */
static int
hold(struct gc_run *run, int pass, uint32_t hd, uint32_t repo, uint32_t root)
{
	struct gc_holders *h = run->holders;
	const uint32_t stamp = 2 * hd + (uint32_t)pass;
	const struct gc_manifest *m;
	uint32_t i;
	int error;

	h->nstack = 0;
	if ((error = fe_push_u32(&h->stack, &h->nstack, &h->capstack, root)) <
	    0)
		return error;
	while (h->nstack > 0) {
		uint32_t id = h->stack[--h->nstack];

		if (h->seen[id] == stamp)
			continue;
		h->seen[id] = stamp;
		if ((error = touch(h, pass, hd, repo, id)) < 0 ||
		    (error = gc_manifest_load(run, id, &m)) < 0)
			return error;
		if (m == NULL || m->state != GC_MF_OK)
			continue;
		for (i = 0; i < m->nrefs; i++) {
			/* re-read: a load may move run->manifests */
			const struct gc_manifest *cur = gc_manifest_of(run, id);
			uint32_t r = run->refs[cur->refs + i];

			if (cur->is_index) {
				if ((error = fe_push_u32(&h->stack, &h->nstack,
				         &h->capstack, r)) < 0)
					return error;
			} else if (h->seen[r] != stamp) {
				h->seen[r] = stamp;
				if ((error = touch(h, pass, hd, repo, r)) < 0)
					return error;
			}
		}
	}
	return 0;
}

struct repo_ctx {
	struct gc_run *run;
	uint32_t repo;
	uint32_t first; /* the repository's first holder: its tags, then */
	uint32_t rest; /* the holder of its other roots */
	const struct gc_tags *tags;
	const struct gc_retain *ret;
	const uint32_t *roots;
	size_t nroots, links_start;
};

/* Whether a tag that stays names id (its holder holds it, no other). */
static int
kept_target(const struct repo_ctx *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->tags->n; i++)
		if (c->tags->target[i] == id &&
		    (c->ret->gone == NULL || !c->ret->gone[i]))
			return 1;
	return 0;
}

/* A blob hd holds without following it (it may be no manifest). */
static int
touch_once(
    struct gc_run *run, int pass, uint32_t hd, uint32_t repo, uint32_t id)
{
	struct gc_holders *h = run->holders;
	const uint32_t stamp = 2 * hd + (uint32_t)pass;

	if (h->seen[id] == stamp)
		return 0;
	h->seen[id] = stamp;
	return touch(h, pass, hd, repo, id);
}

/*
 * The roots of holder hd, in one session: a tag's manifest, or the
 * repository's other roots (with a problem, everything it links).
 */
static int
session(struct repo_ctx *c, int pass, uint32_t hd)
{
	struct gc_run *run = c->run;
	size_t i;
	int error;

	if (hd < c->rest)
		return hold(
		    run, pass, hd, c->repo, c->tags->target[hd - c->first]);
	for (i = 0; i < c->nroots; i++)
		if (!kept_target(c, c->roots[i]) &&
		    (error = hold(run, pass, hd, c->repo, c->roots[i])) < 0)
			return error;
	for (i = c->links_start; run->repos[c->repo].tainted && i < run->nlinks;
	     i++) {
		const struct gc_link *l = &run->links[i];

		if (l->kind == GC_LINK_REVISION && l->status == 0)
			error = hold(run, pass, hd, c->repo, l->id);
		else if ((error = touch_once(run, pass, hd, c->repo, l->id)) ==
		    0)
			error = touch_once(run, pass, hd, c->repo, l->target);
		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * After the first pass: each referrer no holder holds, whose subject one
 * holds here, goes to the subject's only holder, or to the rest when
 * several hold it.  Referrers of referrers too.
 */
static int
assign_referrers(struct repo_ctx *c)
{
	struct gc_run *run = c->run;
	struct gc_holders *h = run->holders;
	const uint32_t mine = c->repo + 1;
	const struct gc_manifest *m;
	int changed = 1, error;
	size_t i;

	h->nrefs = 0;
	while (changed) {
		changed = 0;
		for (i = c->links_start; i < run->nlinks; i++) {
			const struct gc_link *l = &run->links[i];
			uint32_t s, hd;

			if (l->kind != GC_LINK_REVISION || l->status != 0 ||
			    h->p1_repo[l->id] == mine)
				continue;
			if ((error = gc_manifest_load(run, l->id, &m)) < 0)
				return error;
			if (m == NULL || m->state != GC_MF_OK ||
			    (s = m->subject) == UINT32_MAX ||
			    h->p1_repo[s] != mine)
				continue;
			hd = h->p1_count[s] == 1 ? h->p1_last[s] : c->rest;
			h->p1_repo[l->id] = mine;
			h->p1_count[l->id] = 1;
			h->p1_last[l->id] = hd;
			if ((error = push_pair(&h->refs, &h->nrefs, &h->caprefs,
			         hd, l->id)) < 0)
				return error;
			changed = 1;
		}
	}
	return 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct gc_pair *x = a, *y = b;

	return x->who < y->who ? -1 : x->who > y->who;
}

static int
add_holders(struct repo_ctx *c)
{
	struct gc_holders *h = c->run->holders;
	size_t i;

	if (fe_grow((void **)&h->v, &h->cap, h->n + c->tags->n + 1,
	        sizeof(*h->v)) < 0)
		return DRYDOCK_ERROR;
	c->first = (uint32_t)h->n;
	for (i = 0; i < c->tags->n; i++) {
		struct gc_holder *v = &h->v[h->n];

		v->repo = c->repo;
		v->doomed = c->ret->gone != NULL && c->ret->gone[i];
		if ((v->tag = fe_strdup(c->tags->name[i])) == NULL)
			return DRYDOCK_ERROR;
		h->n++;
	}
	c->rest = (uint32_t)h->n;
	h->v[h->n].repo = c->repo;
	h->v[h->n].tag = NULL;
	h->v[h->n++].doomed = 0;
	return 0;
}

int
gc_holders_repo(struct gc_run *run, uint32_t repo, const struct gc_tags *tags,
    const struct gc_retain *ret, const uint32_t *roots, size_t nroots,
    size_t links_start)
{
	struct gc_holders *h = run->holders;
	struct repo_ctx c = {
	    run, repo, 0, 0, tags, ret, roots, nroots, links_start};
	size_t k = 0;
	uint32_t hd;
	int error;

	if ((error = add_holders(&c)) < 0)
		return error;
	for (hd = c.first; hd <= c.rest; hd++)
		if ((error = session(&c, 1, hd)) < 0)
			return error;
	if ((error = assign_referrers(&c)) < 0)
		return error;
	if (h->nrefs > 1)
		qsort(h->refs, h->nrefs, sizeof(*h->refs), pair_cmp);
	for (hd = c.first; hd <= c.rest; hd++) {
		if ((error = session(&c, 2, hd)) < 0)
			return error;
		for (; k < h->nrefs && h->refs[k].who == hd; k++)
			if ((error = hold(run, 2, hd, repo, h->refs[k].id)) < 0)
				return error;
	}
	return 0;
}
