/* SPDX-License-Identifier: MIT */
/*
 * why.c --- drydock-gc why ROOT REF...: a dry run that traces how the mark
 * reached each REF (trace.c), then says why it stays, as the chain from a
 * root, or why it would go, from the plan.  The same mark, policy, pins
 * and plan as a run with these options: the answer is what that run does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gc.h"

enum verdict { KEPT = 0, GOES, UNKNOWN };
static const char *const verdict_names[] = {"kept", "goes", "unknown"};

/* One step of a chain as shown: "manifest sha256:... (linux/arm64)". */
struct shown_step {
	const char *kind; /* tag, index, manifest, referrer, config, ... */
	char digest[DRYDOCK_DIGEST_STRMAX];
	char platform[128];
};

struct answer {
	int verdict;
	char text[2048]; /* the reason, or the chain as one line */
	struct shown_step *steps; /* the chain, root manifest first */
	size_t nsteps;
};

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

/* The manifest id parsed (not reduced as the mark's), or NULL. */
static struct drydock_manifest *
parse_manifest(const struct gc_run *run, uint32_t id)
{
	struct drydock_digest d = gc_digest(run, id);
	struct drydock_manifest *m = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (drydock_store_blob_read(
	        &buf, &len, run->st, &d, DRYDOCK_MANIFEST_MAX) == 0)
		(void)drydock_manifest_parse(&m, buf, len);
	free(buf);
	drydock_error_clear();
	return m;
}

/* How parent lists id: its descriptor's role and platform. */
static void
describe_ref(struct shown_step *s, const struct gc_run *run, uint32_t parent,
    uint32_t id)
{
	struct drydock_manifest *m = parse_manifest(run, parent);
	struct drydock_digest d = gc_digest(run, id);
	size_t i, n = m ? drydock_manifest_ref_count(m) : 0;

	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *r = drydock_manifest_ref(m, i);
		const struct drydock_platform *p = &r->platform;

		if (!drydock_digest_equal(&r->digest, &d))
			continue;
		if (r->role == DRYDOCK_REF_CONFIG)
			s->kind = "config";
		else if (r->role == DRYDOCK_REF_LAYER)
			s->kind = "layer";
		if (r->role == DRYDOCK_REF_CHILD && p->os != NULL)
			snprintf(s->platform, sizeof(s->platform), "%s/%s%s%s",
			    p->os, p->architecture ? p->architecture : "?",
			    p->variant ? "/" : "",
			    p->variant ? p->variant : "");
		break;
	}
	drydock_manifest_free(m);
}

static int
show_chain(
    struct answer *a, const struct gc_run *run, const struct gc_why_ref *w)
{
	size_t i;
	int off;

	if ((a->steps = calloc(w->nchain + 1, sizeof(*a->steps))) == NULL)
		return oom();
	a->nsteps = w->nchain;
	off = snprintf(a->text, sizeof(a->text), "%s", w->root);
	for (i = 0; i < w->nchain; i++) {
		const struct gc_trace_step *st = &w->chain[i];
		const struct gc_manifest *m = gc_manifest_of(run, st->id);
		struct shown_step *s = &a->steps[i];
		struct drydock_digest d = gc_digest(run, st->id);

		drydock_digest_format(s->digest, &d);
		s->kind = m == NULL                       ? "blob"
		    : m->state == GC_MF_OK && m->is_index ? "index"
		                                          : "manifest";
		if (st->edge == GC_TRACE_REFERRER)
			s->kind = "referrer";
		else if (i > 0 &&
		    (st->edge == GC_TRACE_CHILD || st->edge == GC_TRACE_BLOB))
			describe_ref(s, run, w->chain[i - 1].id, st->id);
		if (off >= 0 && (size_t)off < sizeof(a->text))
			off += snprintf(a->text + off, sizeof(a->text) - off,
			    " -> %s %s%s%s%s", s->kind, s->digest,
			    *s->platform ? " (" : "", s->platform,
			    *s->platform ? ")" : "");
	}
	a->verdict = KEPT;
	return 0;
}

/* "30d12h": the age of a tag, to the hour past a day. */
static void
age_of(char *buf, size_t bufsz, const struct gc_run *run, int64_t ns)
{
	int64_t secs = (run->now_ns - ns) / 1000000000;

	secs = secs < 0 ? 0 : secs - secs % (secs >= 86400 ? 3600 : 60);
	drydock_duration_format(buf, bufsz, secs);
}

/* The planned item of kind for id (in repo, or any), or NULL. */
static const struct gc_item *
item_of(const struct gc_run *run, int kind, uint32_t repo, uint32_t id)
{
	size_t i;

	for (i = 0; i < run->nitems; i++) {
		const struct gc_item *it = &run->items[i];

		if (it->kind == kind && it->id == id && !it->cancelled &&
		    (repo == UINT32_MAX || it->repo == repo))
			return it;
	}
	return NULL;
}

/* Why revision item it goes, in words. */
static void
revision_reason(
    char *buf, size_t bufsz, const struct gc_run *run, const struct gc_item *it)
{
	const char *name = run->repos[it->repo].name;
	const struct gc_policy *pol;
	size_t pi;
	char age[64];

	if (it->reason == GC_REASON_EMPTY_REVISION_DIR) {
		snprintf(buf, bufsz,
		    "an empty revision directory of %s (an API delete left "
		    "it)",
		    name);
		return;
	}
	pol = gc_policy_match(&run->opts->policies, name, &pi);
	if (pol != NULL && pol->untagged >= 0) {
		drydock_duration_format(age, sizeof(age), pol->untagged);
		snprintf(buf, bufsz,
		    "untagged revision of %s, older than "
		    "policies[%zu].untagged %s",
		    name, pi, age);
		return;
	}
	snprintf(buf, bufsz,
	    "untagged revision of %s, removed with -m: no tag, pin, kept "
	    "index or kept subject reaches it",
	    name);
}

/* Up to three manifests that reference id, and whether each goes. */
static void
users_of(char *buf, size_t bufsz, const struct gc_run *run, uint32_t id)
{
	char dstr[DRYDOCK_DIGEST_STRMAX], why[512];
	size_t j, k, n = 0;
	int off = 0;

	*buf = '\0';
	for (j = 0; j < run->nids && n < 3; j++) {
		const struct gc_manifest *m = gc_manifest_of(run, (uint32_t)j);
		const struct gc_item *it;
		struct drydock_digest d;

		if (m == NULL || m->state != GC_MF_OK)
			continue;
		for (k = 0; k < m->nrefs && run->refs[m->refs + k] != id; k++)
			;
		if (k == m->nrefs)
			continue;
		d = gc_digest(run, (uint32_t)j);
		drydock_digest_format(dstr, &d);
		it = item_of(run, GC_KIND_REVISION, UINT32_MAX, (uint32_t)j);
		if (it != NULL)
			revision_reason(why, sizeof(why), run, it);
		else
			snprintf(why, sizeof(why), "not kept");
		off += snprintf(buf + off, bufsz - (size_t)off, "%s%s (%s)",
		    n ? "; " : "; it is used only by ", dstr, why);
		if (off < 0 || (size_t)off >= bufsz)
			break;
		n++;
	}
}

/* A digest anywhere in the store, when no repository's mark reached it. */
static void
answer_digest(
    struct answer *a, const struct gc_run *run, uint32_t id, const char *prefix)
{
	const struct gc_item *it;
	char more[1200];
	size_t i;

	a->verdict = KEPT;
	if (run->flags[id] & GC_MARKED) {
		for (i = 0; i < run->opts->pins.n; i++) {
			const struct gc_pin *p = &run->opts->pins.v[i];
			uint32_t pid;

			if (p->repo == NULL &&
			    gc_id_lookup(run, &p->digest, &pid) == 0 &&
			    pid == id) {
				snprintf(a->text, sizeof(a->text),
				    "%spinned (%s line %d)", prefix,
				    strcmp(p->file, "-") == 0 ? "<stdin>"
				                              : p->file,
				    p->line);
				return;
			}
		}
		snprintf(a->text, sizeof(a->text),
		    "%skept: a link or manifest that may name it could not "
		    "be read (see the problems)",
		    prefix);
		return;
	}
	if (run->flags[id] & GC_YOUNG) {
		snprintf(a->text, sizeof(a->text),
		    "%syounger than the grace period", prefix);
		return;
	}
	if (run->blind != NULL) {
		snprintf(a->text, sizeof(a->text),
		    "%sno blob goes in this run: '%s' could not be read",
		    prefix, run->blind);
		return;
	}
	a->verdict = GOES;
	if ((it = item_of(run, GC_KIND_BLOB, UINT32_MAX, id)) != NULL) {
		users_of(more, sizeof(more), run, id);
		snprintf(a->text, sizeof(a->text),
		    "%sno tag, kept revision, pin or kept referrer reaches "
		    "it%s",
		    prefix, more);
		return;
	}
	if ((it = item_of(run, GC_KIND_REVISION, UINT32_MAX, id)) != NULL) {
		revision_reason(more, sizeof(more), run, it);
		snprintf(a->text, sizeof(a->text), "%s%s", prefix, more);
		return;
	}
	a->verdict = run->flags[id] & GC_PRESENT ? KEPT : UNKNOWN;
	snprintf(a->text, sizeof(a->text), "%s%s", prefix,
	    a->verdict == KEPT ? "kept (see the problems)"
	                       : "not in this store");
}

/* A REPO:TAG the mark did not keep, or did not find. */
static void
answer_tag(
    struct answer *a, const struct gc_run *run, const struct gc_why_ref *w)
{
	const struct gc_tagdec *d;
	char rule[400], age[64];

	if (w->tag == GC_WHY_TAG_BROKEN) {
		a->verdict = KEPT;
		snprintf(a->text, sizeof(a->text),
		    "its current/link is missing or unreadable: gc removes no "
		    "broken tag");
		return;
	}
	if (w->tag != GC_WHY_TAG_GONE || w->tagdec == UINT32_MAX) {
		a->verdict = UNKNOWN;
		snprintf(a->text, sizeof(a->text), "no tag %s in %s",
		    w->ref.tag, w->ref.repo);
		return;
	}
	d = &run->tagdecs[w->tagdec];
	gc_policy_rule_format(rule, sizeof(rule), &run->opts->policies,
	    d->policy, d->rule, d->keep);
	age_of(age, sizeof(age), run, d->pushed_ns);
	a->verdict = GOES;
	snprintf(a->text, sizeof(a->text), "%s %s; pushed %s ago",
	    d->rule == GC_RULE_ATTACHMENT ? "an attachment tag:"
	                                  : "the policy deletes it:",
	    rule, age);
}

/* REPO@DIGEST that REPO's mark did not reach. */
static void
answer_in_repo(struct answer *a, const struct gc_run *run,
    const struct gc_why_ref *w, uint32_t id)
{
	const char *name = run->repos[w->repo].name;
	const struct gc_item *it = item_of(run, GC_KIND_REVISION, w->repo, id);
	const struct gc_manifest *m;
	char prefix[600];

	if (it != NULL) {
		a->verdict = GOES;
		m = gc_manifest_of(run, id);
		if (w->released_by != NULL &&
		    it->reason == GC_REASON_UNTAGGED_REVISION)
			snprintf(a->text, sizeof(a->text),
			    "the policy deletes the tags of %s that named it "
			    "(%s), and nothing kept reaches it",
			    name, w->released_by);
		else if (w->released && m != NULL && m->subject != UINT32_MAX)
			snprintf(a->text, sizeof(a->text),
			    "a referrer of a manifest the policy releases "
			    "goes with it");
		else if (w->released)
			snprintf(a->text, sizeof(a->text),
			    "only attachment tags named it, and they go with "
			    "the manifest they are attached to");
		else
			revision_reason(a->text, sizeof(a->text), run, it);
		return;
	}
	if (!w->held) {
		a->verdict = UNKNOWN;
		snprintf(a->text, sizeof(a->text), "%s does not link it", name);
		return;
	}
	snprintf(prefix, sizeof(prefix),
	    "none of the images %s keeps uses it; ", name);
	answer_digest(a, run, id, prefix);
}

static int
answer(struct answer *a, const struct gc_run *run, const struct gc_why_ref *w)
{
	uint32_t id;

	memset(a, 0, sizeof(*a));
	if (w->nchain > 0)
		return show_chain(a, run, w);
	if (w->ref.repo != NULL && w->repo == UINT32_MAX) {
		a->verdict = UNKNOWN;
		snprintf(
		    a->text, sizeof(a->text), "no repository %s", w->ref.repo);
		return 0;
	}
	if (w->ref.tag != NULL) {
		answer_tag(a, run, w);
		return 0;
	}
	if (gc_id_lookup(run, &w->ref.digest, &id) != 0) {
		drydock_error_clear();
		a->verdict = UNKNOWN;
		snprintf(a->text, sizeof(a->text), "not in this store");
		return 0;
	}
	if (w->ref.repo != NULL)
		answer_in_repo(a, run, w, id);
	else
		answer_digest(a, run, id, "");
	return 0;
}

static json_t *
answer_json(const struct gc_run *run, const struct gc_why_ref *w,
    const struct answer *a)
{
	json_t *o = json_object(), *chain;
	size_t i;

	json_object_set_new(o, "ref", json_string(w->ref.text));
	json_object_set_new(
	    o, "verdict", json_string(verdict_names[a->verdict]));
	json_object_set_new(o, "text", json_string(a->text));
	if (w->repo != UINT32_MAX)
		json_object_set_new(
		    o, "repository", json_string(run->repos[w->repo].name));
	if (w->nchain == 0)
		return o;
	json_object_set_new(o, "root", json_string(w->root));
	chain = json_array();
	for (i = 0; i < a->nsteps; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "kind", json_string(a->steps[i].kind));
		json_object_set_new(
		    s, "digest", json_string(a->steps[i].digest));
		if (*a->steps[i].platform)
			json_object_set_new(
			    s, "platform", json_string(a->steps[i].platform));
		json_array_append_new(chain, s);
	}
	json_object_set_new(o, "chain", chain);
	return o;
}

static json_t *
report_json(const struct gc_run *run, json_t *answers)
{
	json_t *root = gc_query_json(run, "why");

	json_object_set_new(
	    root, "pins", json_integer((json_int_t)run->opts->pins.n));
	json_object_set_new(root, "answers", answers);
	return root;
}

/* Answer every REF: one line each, and the JSON report. */
static int
answer_all(struct gc_run *run, void *arg)
{
	const struct gc_opts *o = run->opts;
	const struct gc_trace *t = run->trace;
	FILE *f =
	    o->com.json && strcmp(o->com.json, "-") == 0 ? stderr : stdout;
	json_t *answers = json_array();
	struct answer a;
	size_t i;
	int error = 0, unknown = 0;

	(void)arg;
	for (i = 0; i < t->nrefs && error == 0; i++) {
		const struct gc_why_ref *w = &t->refs[i];

		if ((error = answer(&a, run, w)) < 0)
			break;
		unknown += a.verdict == UNKNOWN;
		fprintf(f, "%s: %s%s%s\n", w->ref.text,
		    a.verdict == UNKNOWN ? "" : verdict_names[a.verdict],
		    a.verdict == UNKNOWN ? "" : ": ", a.text);
		json_array_append_new(answers, answer_json(run, w, &a));
		free(a.steps);
	}
	fflush(f);
	if (error == 0 && (unknown || run->nproblems))
		run->exit_code = DRYDOCK_EXIT_PROBLEMS;
	if (error == 0 && o->com.json) {
		error = gc_json_write(
		    run->opts->com.json, report_json(run, answers));
		answers = NULL;
	}
	json_decref(answers);
	return error;
}

/* The REFs, parsed as --pin lines: a bad one is a usage error. */
static int
read_refs(struct gc_trace *t, const struct gc_opts *o)
{
	size_t i;
	int error;

	if ((t->refs = calloc(o->nrefs + 1, sizeof(*t->refs))) == NULL)
		return oom();
	for (i = 0; i < o->nrefs; i++) {
		struct gc_why_ref *w = &t->refs[t->nrefs++];

		w->repo = UINT32_MAX;
		w->tagdec = UINT32_MAX;
		if ((error = gc_pin_parse(
		         &w->ref, o->refs[i], "REF", (int)i + 1)) < 0)
			return error;
	}
	return 0;
}

int
gc_why(const struct gc_opts *opts, struct drydock_store *st)
{
	struct gc_run run;
	struct gc_trace *t;
	int error, rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		fprintf(stderr, "drydock-gc: out of memory\n");
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	if ((error = read_refs(t, opts)) < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		gc_trace_free(t);
		return error == DRYDOCK_ECORRUPT ? DRYDOCK_EXIT_USAGE
		                                 : DRYDOCK_EXIT_OPERATIONAL;
	}
	if ((error = gc_run_init(&run, opts, st)) < 0) {
		gc_trace_free(t);
		return fe_exit_for(error);
	}
	run.trace = t;
	rc = gc_query(&run, answer_all, NULL);
	run.trace = NULL;
	gc_trace_free(t);
	gc_run_release(&run);
	return rc;
}
