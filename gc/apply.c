/* SPDX-License-Identifier: MIT */
/*
 * apply.c --- drydock-gc apply PLAN ROOT: the store is marked and planned
 * again, now, with the plan's options; an item goes only when both plans
 * have it with the same fingerprint, then through the usual re-check and
 * sweep.  So apply never removes what a run would not remove now: an item
 * added to the plan by hand that the store needs is refused, one deleted
 * by hand is simply gone, a tag pushed since the plan stays.  Each planned
 * item left is reported with why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

static int skip(struct gc_run *run, int kind, const char *path, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
skip(struct gc_run *run, int kind, const char *path, const char *fmt, ...)
{
	struct gc_skip *s;
	char why[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (fe_grow((void **)&run->skipped, &run->capskipped, run->nskipped + 1,
	        sizeof(*run->skipped)) < 0)
		return DRYDOCK_ERROR;
	s = &run->skipped[run->nskipped];
	s->kind = (uint8_t)kind;
	if ((s->path = fe_strdup(path)) == NULL)
		return DRYDOCK_ERROR;
	if ((s->why = fe_strdup(why)) == NULL) {
		free(s->path);
		return DRYDOCK_ERROR;
	}
	run->nskipped++;
	if (!run->opts->com.quiet)
		fprintf(stderr, "drydock-gc: left %s %s: %s\n",
		    gc_kind_name(kind), path, why);
	return 0;
}

static struct gc_planned *
find(struct gc_plan_file *pf, int kind, const char *path)
{
	size_t lo = 0, hi = pf->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct gc_planned *p = &pf->v[mid];
		int c = p->kind != kind ? (p->kind < kind ? -1 : 1)
		                        : strcmp(p->path, path);

		if (c == 0)
			return p;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* How the item differs from the plan, or NULL when it does not. */
static const char *
changed(const struct gc_fp *now, const struct gc_fp *then)
{
	if (strcmp(now->link, then->link) != 0)
		return "it names another digest than when planned";
	if (now->size != then->size)
		return "its size changed since the plan";
	if (now->mtime_ns != then->mtime_ns)
		return "it was modified since the plan";
	return NULL;
}

/* The digest id in a blob's or a revision's path, or UINT32_MAX. */
static uint32_t
id_in(const struct gc_run *run, const char *path)
{
	const char *hex = strrchr(path, '/');
	struct drydock_digest d;
	uint32_t id;

	if (hex == NULL ||
	    drydock_digest_from_hex(
	        &d, DRYDOCK_DIGEST_SHA256, hex + 1, strlen(hex + 1)) < 0 ||
	    gc_id_lookup(run, &d, &id) < 0) {
		drydock_error_clear();
		return UINT32_MAX;
	}
	return id;
}

/* A tag the policy decided on now, by its path, or NULL. */
static const struct gc_tagdec *
tagdec_at(const struct gc_run *run, const char *path)
{
	char rel[GC_PATH_MAX];
	size_t i;

	for (i = 0; i < run->ntagdecs; i++) {
		const struct gc_tagdec *d = &run->tagdecs[i];

		snprintf(rel, sizeof(rel), "repositories/%s/_manifests/tags/%s",
		    run->repos[d->repo].name, d->name);
		if (strcmp(rel, path) == 0)
			return d;
	}
	return NULL;
}

/* A planned item the store's plan does not have now: why it is left. */
static int
left(struct gc_run *run, const struct gc_planned *p)
{
	const struct gc_tagdec *d;
	char rule[300];
	uint32_t id;

	if (drydock_store_stat(run->st, -1, p->path, NULL, NULL, NULL) ==
	    DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return skip(run, p->kind, p->path, "already gone");
	}
	drydock_error_clear();
	if (p->kind == GC_KIND_TAG && (d = tagdec_at(run, p->path)) != NULL &&
	    d->verdict == GC_TAG_KEEP) {
		gc_policy_rule_format(rule, sizeof(rule), &run->opts->policies,
		    d->policy, d->rule, d->keep);
		return skip(run, p->kind, p->path,
		    "the policy keeps it now (%s)", rule);
	}
	if ((p->kind == GC_KIND_BLOB || p->kind == GC_KIND_REVISION) &&
	    (id = id_in(run, p->path)) != UINT32_MAX) {
		if (run->flags[id] & GC_MARKED)
			return skip(run, p->kind, p->path,
			    "refused: an image needs it now");
		if (run->flags[id] & GC_YOUNG)
			return skip(run, p->kind, p->path,
			    "younger than the grace period now");
	}
	return skip(run, p->kind, p->path,
	    "refused: a run with the plan's options would not remove it now");
}

/* A repository anything was left in stays (as the re-check has it). */
static void
keep_busy_repos(struct gc_run *run)
{
	uint8_t *busy = calloc(run->nrepos + 1, 1);
	size_t i;

	if (busy == NULL)
		return; /* the re-check and rmdir keep them anyway */
	for (i = 0; i < run->nitems; i++)
		if (run->items[i].cancelled && run->items[i].repo < run->nrepos)
			busy[run->items[i].repo] = 1;
	for (i = 0; i < run->nitems; i++)
		if (run->items[i].kind == GC_KIND_REPOSITORY &&
		    busy[run->items[i].repo])
			run->items[i].cancelled = 1;
	free(busy);
}

int
gc_apply_match(struct gc_run *run, struct gc_plan_file *pf)
{
	char buf[GC_PATH_MAX];
	const char *why;
	struct gc_fp fp;
	size_t i;
	int error;

	run->planned = pf->n;
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];
		const char *path = gc_item_path(run, it, buf, sizeof(buf));
		struct gc_planned *p = find(pf, it->kind, path);

		if (p == NULL) {
			/* garbage since the plan: for a later plan */
			it->cancelled = 1;
			run->unplanned++;
			continue;
		}
		p->matched = 1;
		if (gc_fingerprint(run, it, &fp) < 0)
			why = "already gone";
		else if ((why = changed(&fp, &p->fp)) == NULL)
			continue;
		it->cancelled = 1;
		if ((error = skip(run, it->kind, path, "%s", why)) < 0)
			return error;
	}
	for (i = 0; i < pf->n; i++)
		if (!pf->v[i].matched && (error = left(run, &pf->v[i])) < 0)
			return error;
	keep_busy_repos(run);
	return 0;
}
