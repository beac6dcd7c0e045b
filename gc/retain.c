/* SPDX-License-Identifier: MIT */
/*
 * retain.c --- a --policy in one repository, during its mark (mark.c):
 * which tags go, which manifests they leave untagged ("released"), and
 * the tag items the sweep removes as the registry's tag delete would.
 *
 * A deleted tag is no root.  A released manifest is no root either
 * (whatever -m says), nor is an untagged referrer of one; everything else
 * follows the usual rules, so a released manifest that a kept index lists,
 * or whose subject is kept, stays.  A repository no policy matches is
 * marked exactly as without --policy.
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
gc_retain_init(struct gc_retain *r, const struct gc_run *run, uint32_t repo)
{
	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->pol = gc_policy_match(
	    &run->opts->policies, run->repos[repo].name, &r->pol_index);
}

void
gc_retain_release(struct gc_retain *r)
{
	free(r->gone);
	free(r->dec_of);
	free(r->released);
	free(r->pending);
	memset(r, 0, sizeof(*r));
}

int
gc_retain_released(const struct gc_retain *r, uint32_t id)
{
	return r->nreleased > 0 &&
	    bsearch(&id, r->released, r->nreleased, sizeof(id), u32_cmp) !=
	    NULL;
}

static int
add_dec(struct gc_retain *r, struct gc_run *run, const struct gc_tags *t,
    size_t i, const struct gc_policy_tag *pt)
{
	struct gc_tagdec *d;

	if (fe_grow((void **)&run->tagdecs, &run->captagdecs, run->ntagdecs + 1,
	        sizeof(*run->tagdecs)) < 0)
		return DRYDOCK_ERROR;
	d = &run->tagdecs[run->ntagdecs];
	memset(d, 0, sizeof(*d));
	if ((d->name = fe_strdup(t->name[i])) == NULL)
		return DRYDOCK_ERROR;
	d->repo = r->repo;
	d->target = t->target[i];
	d->pushed_ns = t->mtime[i];
	d->policy = (uint16_t)r->pol_index;
	d->verdict = (uint8_t)pt->verdict;
	d->rule = (uint8_t)pt->rule;
	d->keep = (int16_t)pt->keep;
	r->dec_of[i] = (uint32_t)run->ntagdecs++;
	return 0;
}

/* Whether a pin names tag i, or the manifest it points at. */
static int
tag_pinned(const struct gc_run *run, const struct gc_retain *r,
    const struct gc_tags *t, size_t i)
{
	const struct gc_pins *pins = &run->opts->pins;
	size_t first, n, k;
	uint32_t id;

	if (run->flags[t->target[i]] & GC_PINNED)
		return 1;
	n = gc_pins_lookup(pins, run->repos[r->repo].name, &first);
	for (k = first; k < first + n; k++) {
		const struct gc_pin *p = &pins->v[pins->keys[k].pin];

		if (p->tag != NULL ? strcmp(p->tag, t->name[i]) == 0
		                   : gc_id_lookup(run, &p->digest, &id) == 0 &&
		            id == t->target[i])
			return 1;
	}
	return 0;
}

/* The manifests only deleted tags named: sorted, for bsearch. */
static int
find_released(struct gc_retain *r, const struct gc_tags *t)
{
	size_t i, j;
	int error;

	for (i = 0; i < t->n; i++) {
		if (!r->gone[i])
			continue;
		for (j = 0; j < t->n; j++)
			if (!r->gone[j] && t->target[j] == t->target[i])
				break;
		if (j == t->n &&
		    (error = fe_push_u32(&r->released, &r->nreleased,
		         &r->capreleased, t->target[i])) < 0)
			return error;
	}
	if (r->nreleased > 1)
		qsort(r->released, r->nreleased, sizeof(*r->released), u32_cmp);
	return 0;
}

int
gc_retain_decide(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, uint32_t **roots, size_t *nroots, size_t *cap)
{
	struct gc_policy_tag *pt = NULL;
	size_t i;
	int error = 0;

	if (r->pol == NULL) {
		for (i = 0; i < t->n && error == 0; i++)
			error = fe_push_u32(roots, nroots, cap, t->target[i]);
		return error;
	}
	if ((pt = calloc(t->n + 1, sizeof(*pt))) == NULL ||
	    (r->gone = calloc(t->n + 1, 1)) == NULL ||
	    (r->dec_of = calloc(t->n + 1, sizeof(*r->dec_of))) == NULL) {
		free(pt);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < t->n; i++) {
		pt[i].name = t->name[i];
		pt[i].pushed_ns = t->mtime[i];
		pt[i].pinned = tag_pinned(run, r, t, i);
		pt[i].young = gc_is_young(run, t->mtime[i]);
		pt[i].attachment = gc_policy_is_attachment(t->name[i]);
		r->dec_of[i] = UINT32_MAX;
	}
	if ((error = gc_policy_eval(r->pol, pt, t->n, run->now_ns)) < 0)
		goto out;
	for (i = 0; i < t->n; i++) {
		if (pt[i].verdict != GC_TAG_UNTOUCHED &&
		    (error = add_dec(r, run, t, i, &pt[i])) < 0)
			goto out;
		if (pt[i].verdict == GC_TAG_DELETE)
			r->gone[i] = 1;
		else if (pt[i].attachment)
			/* decided once its subject's fate is known */
			error = fe_push_u32(&r->pending, &r->npending,
			    &r->cappending, (uint32_t)i);
		else
			error = fe_push_u32(roots, nroots, cap, t->target[i]);
		if (error < 0)
			goto out;
	}
	r->tag_roots = *nroots;
	error = find_released(r, t);
out:
	free(pt);
	return error;
}

/* Whether id is a revision of this repository that is young. */
static int
young_revision(const struct gc_run *run, size_t links_start, uint32_t id)
{
	size_t i;

	for (i = links_start; i < run->nlinks; i++)
		if (run->links[i].kind == GC_LINK_REVISION &&
		    run->links[i].id == id)
			return run->links[i].young;
	return 1; /* not a revision here: nothing to release */
}

/*
 * The manifests attachment tags of released manifests name (a cosign
 * signature's own manifest) are released too, unless young, pinned or a
 * kept tag's: the tags are decided after the mark (gc_retain_attachments),
 * which makes the targets of those that stay roots again.
 */
static int
release_attached(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, size_t links_start, const uint32_t *roots,
    uint32_t **newly, size_t *nnewly, size_t *capnewly)
{
	struct drydock_digest d;
	size_t k, j;
	uint32_t sid, tid;
	int error;

	for (k = 0; k < r->npending; k++) {
		size_t i = r->pending[k];

		tid = t->target[i];
		if (drydock_digest_from_hex(
		        &d, DRYDOCK_DIGEST_SHA256, t->name[i] + 7, 64) < 0 ||
		    gc_id_lookup(run, &d, &sid) < 0 ||
		    !gc_retain_released(r, sid) || gc_retain_released(r, tid) ||
		    gc_is_young(run, t->mtime[i]) || tag_pinned(run, r, t, i) ||
		    (run->flags[tid] & GC_PINNED) ||
		    young_revision(run, links_start, tid)) {
			drydock_error_clear();
			continue;
		}
		for (j = 0; j < r->tag_roots && roots[j] != tid; j++)
			;
		if (j < r->tag_roots)
			continue; /* a kept tag names it */
		if ((error = fe_push_u32(&r->released, &r->nreleased,
		         &r->capreleased, tid)) < 0 ||
		    (error = fe_push_u32(newly, nnewly, capnewly, tid)) < 0)
			return error;
		qsort(r->released, r->nreleased, sizeof(*r->released), u32_cmp);
	}
	return 0;
}

/*
 * Untagged referrers of released manifests are released too (with -m they
 * would go for want of a kept subject): out of the roots they go, unless
 * young, pinned or a kept tag's.  Referrers of referrers as well.  A
 * released manifest itself was never made a root (revision_cb) unless
 * young or pinned, and stays one then.
 */
int
gc_retain_referrers(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, size_t links_start, uint32_t *roots,
    size_t *nroots)
{
	const struct gc_manifest *m;
	uint32_t *newly = NULL;
	size_t i, j, n, nnewly = 0, capnewly = 0;
	int changed = 1, error = 0;

	if (r->nreleased == 0)
		return 0;
	if ((error = release_attached(r, run, t, links_start, roots, &newly,
	         &nnewly, &capnewly)) < 0)
		goto out;
	while (changed) {
		changed = 0;
		for (i = links_start; i < run->nlinks; i++) {
			const struct gc_link *l = &run->links[i];

			if (l->kind != GC_LINK_REVISION || l->status != 0 ||
			    l->young || (run->flags[l->id] & GC_PINNED) ||
			    gc_retain_released(r, l->id))
				continue;
			if ((error = gc_manifest_load(run, l->id, &m)) < 0)
				goto out;
			if (m == NULL || m->state != GC_MF_OK ||
			    m->subject == UINT32_MAX ||
			    !gc_retain_released(r, m->subject))
				continue;
			for (j = 0; j < r->tag_roots && roots[j] != l->id; j++)
				;
			if (j < r->tag_roots)
				continue; /* a kept tag names it */
			if ((error = fe_push_u32(&r->released, &r->nreleased,
			         &r->capreleased, l->id)) < 0 ||
			    (error = fe_push_u32(
			         &newly, &nnewly, &capnewly, l->id)) < 0)
				goto out;
			qsort(r->released, r->nreleased, sizeof(*r->released),
			    u32_cmp);
			changed = 1;
		}
	}
	if (nnewly > 1)
		qsort(newly, nnewly, sizeof(*newly), u32_cmp);
	/* the revision roots (after the tags') just released */
	for (i = n = r->tag_roots; i < *nroots; i++)
		if (nnewly == 0 ||
		    bsearch(&roots[i], newly, nnewly, sizeof(*newly),
		        u32_cmp) == NULL)
			roots[n++] = roots[i];
	*nroots = n;
out:
	free(newly);
	return error;
}

/*
 * Attachment tags (cosign's sha256-<hex>.sig, the referrers tag schema):
 * never candidates themselves, they go with the manifest they attach to
 * when the policy released it and nothing kept it.  The others are roots:
 * their targets are appended to *roots for the mark.
 */
int
gc_retain_attachments(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, uint32_t **roots, size_t *nroots, size_t *cap)
{
	struct gc_policy_tag pt;
	struct drydock_digest d;
	size_t k;
	uint32_t sid;
	int error;

	for (k = 0; k < r->npending; k++) {
		size_t i = r->pending[k];

		if (drydock_digest_from_hex(
		        &d, DRYDOCK_DIGEST_SHA256, t->name[i] + 7, 64) == 0 &&
		    gc_id_lookup(run, &d, &sid) == 0 &&
		    gc_retain_released(r, sid) &&
		    run->kept_in[sid] != r->repo + 1 &&
		    !gc_is_young(run, t->mtime[i]) &&
		    !tag_pinned(run, r, t, i)) {
			memset(&pt, 0, sizeof(pt));
			pt.verdict = GC_TAG_DELETE;
			pt.rule = GC_RULE_ATTACHMENT;
			pt.keep = -1;
			if ((error = add_dec(r, run, t, i, &pt)) < 0)
				return error;
			r->gone[i] = 1;
			continue;
		}
		drydock_error_clear();
		if ((error = fe_push_u32(roots, nroots, cap, t->target[i])) < 0)
			return error;
	}
	return 0;
}

/*
 * After the mark: a suspect repository loses no tag (everything it links
 * is kept); otherwise each deleted tag becomes an item, its whole
 * _manifests/tags/<tag> directory, as the registry's tag delete removes.
 */
int
gc_retain_finish(struct gc_retain *r, struct gc_run *run, const char *path,
    const struct gc_tags *t)
{
	struct gc_repo *repo = &run->repos[r->repo];
	char rel[GC_PATH_MAX];
	size_t i;
	int error;

	if (r->pol == NULL)
		return 0;
	for (i = 0; i < t->n; i++) {
		struct gc_tagdec *d;

		if (!r->gone[i])
			continue;
		d = &run->tagdecs[r->dec_of[i]];
		if (repo->tainted) {
			d->verdict = GC_TAG_KEEP;
			d->rule = GC_RULE_PROBLEM;
			r->gone[i] = 0;
			continue;
		}
		snprintf(rel, sizeof(rel), "%s/_manifests/tags/%s", path,
		    t->name[i]);
		if ((error = gc_add_item(run, GC_KIND_TAG, r->repo,
		         t->target[i], rel, t->name[i],
		         d->rule == GC_RULE_ATTACHMENT ? GC_REASON_ATTACHMENT
		                                       : GC_REASON_POLICY,
		         0)) < 0)
			return error;
		run->items[run->nitems - 1].id2 = r->dec_of[i];
		repo->tags--;
	}
	return 0;
}
