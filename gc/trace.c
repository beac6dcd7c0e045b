/* SPDX-License-Identifier: MIT */
/*
 * trace.c --- for `drydock-gc why`: during the mark, each digest remembers
 * how its repository reached it (gc_trace_note in gc.h: from which index,
 * manifest or subject, or as a root).  When a repository's mark ends, the
 * REFs it answers copy their chain, root first, and what the root is; the
 * next repository may overwrite the notes, so nothing is kept per
 * repository and a plain run (no trace) pays one test per note.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

/* Longer than any index nesting the registry accepts. */
#define CHAIN_MAX 64

void
gc_trace_free(struct gc_trace *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrefs; i++) {
		gc_pin_release(&t->refs[i].ref);
		free(t->refs[i].chain);
		free(t->refs[i].root);
		free(t->refs[i].released_by);
	}
	free(t->refs);
	free(t->parent);
	free(t->in_repo);
	free(t->edge);
	free(t);
}

static int set_root(struct gc_why_ref *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
set_root(struct gc_why_ref *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(w->root);
	return (w->root = fe_strdup(buf)) == NULL ? DRYDOCK_ERROR : 0;
}

/* The pin that names id (in repository name, or anywhere), or NULL. */
static const struct gc_pin *
pin_of(const struct gc_run *run, const char *name, uint32_t id)
{
	const struct gc_pins *pins = &run->opts->pins;
	size_t i;
	uint32_t pid;

	for (i = 0; i < pins->n; i++) {
		const struct gc_pin *p = &pins->v[i];

		if (p->tag != NULL ||
		    gc_id_lookup(run, &p->digest, &pid) != 0 || pid != id)
			continue;
		if (p->repo == NULL || strcmp(p->repo, name) == 0 ||
		    (p->alt != NULL && strcmp(p->alt, name) == 0))
			return p;
	}
	return NULL;
}

/* The revision link of id in this repository, or NULL. */
static const struct gc_link *
revision_of(const struct gc_run *run, size_t links_start, uint32_t id)
{
	size_t i;

	for (i = links_start; i < run->nlinks; i++)
		if (run->links[i].kind == GC_LINK_REVISION &&
		    run->links[i].id == id)
			return &run->links[i];
	return NULL;
}

/* " (kept by RULE)" when a policy decided on tag i, else "". */
static void
tag_rule(char *buf, size_t bufsz, const struct gc_run *run,
    const struct gc_retain *ret, size_t i)
{
	char rule[300];
	const struct gc_tagdec *d;

	*buf = '\0';
	if (ret->dec_of == NULL || ret->dec_of[i] == UINT32_MAX)
		return;
	d = &run->tagdecs[ret->dec_of[i]];
	gc_policy_rule_format(rule, sizeof(rule), &run->opts->policies,
	    d->policy, d->rule, d->keep);
	snprintf(buf, bufsz, " (kept by %s)", rule);
}

/* What root id is in repository repo, in the words of the man page. */
static int
describe_root(struct gc_why_ref *w, const struct gc_run *run, uint32_t repo,
    const struct gc_tags *tags, const struct gc_retain *ret, size_t links_start,
    uint32_t id, int edge)
{
	const char *name = run->repos[repo].name;
	const struct gc_link *l;
	const struct gc_pin *p;
	char rule[400], age[64];
	size_t i, first = SIZE_MAX;

	if (edge == GC_TRACE_SUSPECT)
		return set_root(w,
		    "everything %s links is kept: a manifest or link in it "
		    "has a problem",
		    name);
	/* of the kept tags naming it, the first by name: the same each run */
	for (i = 0; i < tags->n; i++)
		if (tags->target[i] == id &&
		    (ret->gone == NULL || !ret->gone[i]) &&
		    (first == SIZE_MAX ||
		        strcmp(tags->name[i], tags->name[first]) < 0))
			first = i;
	if (first != SIZE_MAX) {
		tag_rule(rule, sizeof(rule), run, ret, first);
		return set_root(
		    w, "tag %s:%s%s", name, tags->name[first], rule);
	}
	if ((p = pin_of(run, name, id)) != NULL)
		return set_root(w, "pinned (%s line %d)",
		    strcmp(p->file, "-") == 0 ? "<stdin>" : p->file, p->line);
	if (run->repos[repo].tainted)
		return set_root(w,
		    "everything %s links is kept: a manifest or link in it "
		    "has a problem",
		    name);
	if ((l = revision_of(run, links_start, id)) == NULL)
		return set_root(w, "a root of %s", name);
	if (ret->pol != NULL && ret->pol->untagged >= 0 && !l->young) {
		drydock_duration_format(age, sizeof(age), ret->pol->untagged);
		return set_root(w,
		    "untagged revision of %s, younger than "
		    "policies[%zu].untagged %s",
		    name, ret->pol_index, age);
	}
	if (!run->opts->delete_untagged &&
	    (ret->pol == NULL || ret->pol->untagged < 0))
		return set_root(
		    w, "untagged revision of %s, kept without -m", name);
	if (l->young)
		return set_root(w,
		    "untagged revision of %s, younger than the grace period",
		    name);
	return set_root(w, "a root of %s", name);
}

/* Copy the chain that reached id in repository repo, root first. */
static int
take_chain(struct gc_why_ref *w, const struct gc_run *run, uint32_t repo,
    const struct gc_tags *tags, const struct gc_retain *ret, size_t links_start,
    uint32_t id)
{
	const struct gc_trace *t = run->trace;
	struct gc_trace_step steps[CHAIN_MAX];
	size_t n = 0, i;

	while (n < CHAIN_MAX) {
		steps[n].id = id;
		steps[n++].edge = t->edge[id];
		if (t->edge[id] == GC_TRACE_ROOT ||
		    t->edge[id] == GC_TRACE_SUSPECT ||
		    t->parent[id] == UINT32_MAX ||
		    t->in_repo[t->parent[id]] != repo + 1)
			break;
		id = t->parent[id];
	}
	free(w->chain);
	if ((w->chain = calloc(n, sizeof(*w->chain))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < n; i++)
		w->chain[i] = steps[n - 1 - i];
	w->nchain = n;
	w->repo = repo;
	return describe_root(
	    w, run, repo, tags, ret, links_start, id, w->chain[0].edge);
}

/* A REPO:TAG in this repository: what the mark (and a policy) made of it. */
static int
answer_tag(struct gc_why_ref *w, const struct gc_run *run, uint32_t repo,
    const struct gc_tags *tags, const struct gc_retain *ret,
    const struct gc_scan *scan)
{
	char rule[400];
	size_t i;

	w->repo = repo;
	for (i = 0; i < tags->n; i++) {
		if (strcmp(tags->name[i], w->ref.tag) != 0)
			continue;
		w->target = tags->target[i];
		if (ret->dec_of != NULL)
			w->tagdec = ret->dec_of[i];
		if (ret->gone != NULL && ret->gone[i]) {
			w->tag = GC_WHY_TAG_GONE;
			return 0;
		}
		w->tag = GC_WHY_TAG_KEPT;
		if ((w->chain = calloc(1, sizeof(*w->chain))) == NULL) {
			drydock_error_set_os("out of memory");
			return DRYDOCK_ERROR;
		}
		w->chain[0].id = w->target;
		w->chain[0].edge = GC_TRACE_ROOT;
		w->nchain = 1;
		tag_rule(rule, sizeof(rule), run, ret, i);
		return set_root(
		    w, "tag %s:%s%s", run->repos[repo].name, w->ref.tag, rule);
	}
	for (i = 0; scan != NULL && i < scan->ntags; i++)
		if (strcmp(scan->tags[i].name, w->ref.tag) == 0)
			w->tag = GC_WHY_TAG_BROKEN;
	return 0;
}

/* The deleted tags of this repository that named id, comma separated. */
static int
released_by(struct gc_why_ref *w, const struct gc_tags *tags,
    const struct gc_retain *ret, uint32_t id)
{
	size_t i, len = 0;
	char *s;

	for (i = 0; ret->gone != NULL && i < tags->n; i++) {
		if (!ret->gone[i] || tags->target[i] != id)
			continue;
		s = realloc(w->released_by, len + strlen(tags->name[i]) + 3);
		if (s == NULL) {
			drydock_error_set_os("out of memory");
			return DRYDOCK_ERROR;
		}
		w->released_by = s;
		len += (size_t)sprintf(
		    s + len, "%s%s", len ? ", " : "", tags->name[i]);
	}
	return 0;
}

/* Whether this repository links id: a revision or a layer link. */
static int
holds(const struct gc_run *run, size_t links_start, uint32_t id)
{
	size_t i;

	for (i = links_start; i < run->nlinks; i++)
		if (run->links[i].kind != GC_LINK_HISTORY &&
		    (run->links[i].id == id || run->links[i].target == id))
			return 1;
	return 0;
}

int
gc_trace_repo(struct gc_run *run, uint32_t repo, const struct gc_tags *tags,
    const struct gc_retain *ret, size_t links_start, const struct gc_scan *scan)
{
	struct gc_trace *t = run->trace;
	const char *name = run->repos[repo].name;
	size_t i;
	uint32_t id;
	int error;

	for (i = 0; i < t->nrefs; i++) {
		struct gc_why_ref *w = &t->refs[i];
		const struct gc_pin *p = &w->ref;
		int here = p->repo != NULL &&
		    (strcmp(p->repo, name) == 0 ||
		        (p->alt != NULL && strcmp(p->alt, name) == 0));

		if (p->repo != NULL && !here)
			continue;
		if (p->tag != NULL) {
			if ((error = answer_tag(
			         w, run, repo, tags, ret, scan)) < 0)
				return error;
			continue;
		}
		if (here)
			w->repo = repo;
		if (w->nchain > 0 || gc_id_lookup(run, &p->digest, &id) != 0)
			continue;
		if (t->in_repo[id] == repo + 1) {
			if ((error = take_chain(
			         w, run, repo, tags, ret, links_start, id)) < 0)
				return error;
			continue;
		}
		if (!here)
			continue;
		w->held = holds(run, links_start, id);
		w->released = gc_retain_released(ret, id);
		if ((error = released_by(w, tags, ret, id)) < 0)
			return error;
	}
	drydock_error_clear();
	return 0;
}
