/* SPDX-License-Identifier: MIT */
/*
 * report.c --- what a gc run tells: a progress line on a TTY, the human
 * summary, the --json report and the --metrics textfile.  All built from
 * the same struct gc_run, never from each other's text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fe/jsonhead.h"
#include "gc.h"

#define GC_KIND_NAME_(id, name) [GC_KIND_##id] = name,
static const char *const kind_names[GC_KIND_MAX] = {GC_KINDS(GC_KIND_NAME_)};
#undef GC_KIND_NAME_
#define GC_REASON_NAME_(id, name, kind) [GC_REASON_##id] = name,
static const char *const reason_names[GC_REASON_MAX] = {
    GC_REASONS(GC_REASON_NAME_)};
#undef GC_REASON_NAME_

const char *
gc_kind_name(int kind)
{
	return kind >= 0 && kind < GC_KIND_MAX ? kind_names[kind] : "unknown";
}

const char *
gc_reason_name(int reason)
{
	return reason >= 0 && reason < GC_REASON_MAX ? reason_names[reason]
	                                             : "unknown";
}

/* The rule that decided t, in a static buffer. */
static const char *
rule_text(const struct gc_run *run, const struct gc_tagdec *t)
{
	static char buf[300];

	gc_policy_rule_format(buf, sizeof(buf), &run->opts->policies, t->policy,
	    t->rule, t->keep);
	return buf;
}

json_t *
gc_item_json(const struct gc_run *run, const struct gc_item *it)
{
	json_t *o = json_object();
	struct drydock_digest d;
	char dstr[DRYDOCK_DIGEST_STRMAX], buf[GC_PATH_MAX];

	json_object_set_new(o, "kind", json_string(gc_kind_name(it->kind)));
	if (it->repo != UINT32_MAX)
		json_object_set_new(
		    o, "repository", json_string(run->repos[it->repo].name));
	if (gc_item_tag(it) != NULL)
		json_object_set_new(o, "tag", json_string(gc_item_tag(it)));
	json_object_set_new(
	    o, "path", json_string(gc_item_path(run, it, buf, sizeof(buf))));
	if (it->id != UINT32_MAX) {
		d = gc_digest(run, it->id);
		json_object_set_new(
		    o, "digest", json_string(drydock_digest_format(dstr, &d)));
	}
	if (it->kind == GC_KIND_BLOB || it->kind == GC_KIND_UPLOAD)
		json_object_set_new(
		    o, "size", json_integer((json_int_t)it->size));
	if (it->kind == GC_KIND_TAG && !gc_item_is_leftover(it)) {
		const struct gc_tagdec *t = &run->tagdecs[it->id2];

		json_object_set_new(o, "rule", json_string(rule_text(run, t)));
		json_object_set_new(
		    o, "pushed", json_integer(t->pushed_ns / 1000000000));
	}
	json_object_set_new(
	    o, "reason", json_string(gc_reason_name(it->reason)));
	return o;
}

/* The policy file and the candidates it kept, with the rule that did. */
static json_t *
policy_json(const struct gc_run *run)
{
	json_t *o = json_object(), *kept = json_array();
	size_t i;

	for (i = 0; i < run->ntagdecs; i++) {
		const struct gc_tagdec *t = &run->tagdecs[i];
		json_t *k;

		if (t->verdict != GC_TAG_KEEP)
			continue;
		k = json_object();
		json_object_set_new(
		    k, "repository", json_string(run->repos[t->repo].name));
		json_object_set_new(k, "tag", json_string(t->name));
		json_object_set_new(k, "rule", json_string(rule_text(run, t)));
		json_object_set_new(
		    k, "pushed", json_integer(t->pushed_ns / 1000000000));
		json_array_append_new(kept, k);
	}
	json_object_set_new(o, "file", json_string(run->opts->policy_file));
	json_object_set_new(o, "kept", kept);
	return o;
}

/* How many pins were given, and those that named nothing. */
static json_t *
pins_json(const struct gc_run *run)
{
	const struct gc_pins *pins = &run->opts->pins;
	json_t *o = json_object(), *un = json_array();
	size_t i;

	for (i = 0; i < pins->n; i++) {
		const struct gc_pin *p = &pins->v[i];
		json_t *u;

		if (run->pin_matched != NULL && run->pin_matched[i])
			continue;
		u = json_object();
		json_object_set_new(u, "file",
		    json_string(
		        strcmp(p->file, "-") == 0 ? "<stdin>" : p->file));
		json_object_set_new(u, "line", json_integer(p->line));
		json_object_set_new(u, "pin", json_string(p->text));
		json_array_append_new(un, u);
	}
	json_object_set_new(o, "given", json_integer((json_int_t)pins->n));
	json_object_set_new(o, "unmatched", un);
	return o;
}

json_t *
gc_problems_json(const struct gc_run *run)
{
	json_t *probs = json_array();
	size_t i;

	for (i = 0; i < run->nproblems; i++) {
		json_t *p = json_object();

		json_object_set_new(
		    p, "path", json_string(run->problems[i].path));
		json_object_set_new(p, "code",
		    json_string(
		        drydock_error_code_name(run->problems[i].code)));
		json_object_set_new(
		    p, "message", json_string(run->problems[i].message));
		json_array_append_new(probs, p);
	}
	return probs;
}

int
gc_json_write(const char *dest, json_t *j)
{
	struct drydock_outfile of;
	int r;

	if (drydock_outfile_open(&of, dest) < 0) {
		json_decref(j);
		return DRYDOCK_ERROR;
	}
	r = json_dumpf(j, of.f, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (r != 0 || fputc('\n', of.f) == EOF || ferror(of.f)) {
		drydock_outfile_abort(&of);
		drydock_error_set_os("cannot write report '%s'", dest);
		return DRYDOCK_ERROR;
	}
	return drydock_outfile_commit(&of);
}

/* apply: the plan, and each of its items left with why. */
static void
apply_json(json_t *root, const struct gc_run *run)
{
	json_t *sk = json_array();
	size_t i;

	for (i = 0; i < run->nskipped; i++) {
		json_t *j = json_object();

		json_object_set_new(
		    j, "kind", json_string(gc_kind_name(run->skipped[i].kind)));
		json_object_set_new(
		    j, "path", json_string(run->skipped[i].path));
		json_object_set_new(j, "why", json_string(run->skipped[i].why));
		json_array_append_new(sk, j);
	}
	json_object_set_new(root, "command", json_string("apply"));
	json_object_set_new(root, "plan", json_string(run->opts->plan_file));
	json_object_set_new(
	    root, "plan_items", json_integer((json_int_t)run->planned));
	json_object_set_new(
	    root, "unplanned", json_integer((json_int_t)run->unplanned));
	json_object_set_new(root, "skipped", sk);
}

static json_t *
report_json(const struct gc_run *run)
{
	const struct gc_opts *o = run->opts;
	json_t *root = json_object(), *sum = json_object(),
	       *rem = json_object();
	int k;

	fe_json_head(root, "drydock-gc", 1, run->start_ns);
	json_object_set_new(
	    root, "root", json_string(drydock_store_root(run->st)));
	json_object_set_new(root, "dry_run", json_boolean(o->dry_run));
	json_object_set_new(
	    root, "delete_untagged", json_boolean(o->delete_untagged));
	json_object_set_new(root, "grace_seconds", json_integer(o->grace));
	json_object_set_new(root, "storage_clock_skew_seconds",
	    json_real((double)run->skew_ns / 1e9));
	json_object_set_new(
	    root, "uploads_older_than_seconds", json_integer(o->uploads_age));
	if (o->quarantine)
		json_object_set_new(
		    root, "quarantine", json_string(o->quarantine));
	json_object_set_new(
	    sum, "repositories", json_integer((json_int_t)run->nrepos));
	json_object_set_new(
	    sum, "manifests", json_integer((json_int_t)run->nrevisions));
	json_object_set_new(
	    sum, "blobs", json_integer((json_int_t)run->nblobs));
	json_object_set_new(
	    sum, "marked", json_integer((json_int_t)run->nmarked));
	for (k = 0; k < GC_KIND_MAX; k++)
		json_object_set_new(rem, gc_kind_name(k),
		    json_integer((json_int_t)run->removed[k]));
	json_object_set_new(sum, "removed", rem);
	json_object_set_new(
	    sum, "removed_bytes", json_integer((json_int_t)run->removed_bytes));
	json_object_set_new(
	    sum, "kept_by_grace", json_integer((json_int_t)run->kept_by_grace));
	json_object_set_new(sum, "cancelled_by_recheck",
	    json_integer((json_int_t)run->cancelled));
	json_object_set_new(
	    sum, "problems", json_integer((json_int_t)run->nproblems));
	json_object_set_new(sum, "seconds", json_real(run->seconds));
	json_object_set_new(sum, "storage_requests",
	    json_integer((json_int_t)drydock_store_requests(run->st)));
	json_object_set_new(root, "summary", sum);
	/* "removed" is streamed by write_json(): it can be 100,000 items */
	json_object_set_new(root, "problems", gc_problems_json(run));
	if (o->plan_file != NULL)
		apply_json(root, run);
	if (o->pins.n > 0)
		json_object_set_new(root, "pins", pins_json(run));
	if (o->policy_file != NULL)
		json_object_set_new(root, "policy", policy_json(run));
	if (run->blind)
		json_object_set_new(
		    root, "blob_sweep_skipped", json_string(run->blind));
	json_object_set_new(
	    root, "interrupted", json_boolean(run->interrupted));
	json_object_set_new(root, "exit_code", json_integer(run->exit_code));
	return root;
}

/* Printable ASCII only: what put_str() writes as jansson would. */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
put_str(FILE *f, const char *key, const char *v, const char **sep)
{
	fputs_unlocked(*sep, f);
	putc_unlocked('"', f);
	fputs_unlocked(key, f);
	fputs_unlocked("\":\"", f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			putc_unlocked('\\', f);
		putc_unlocked(*v, f);
	}
	putc_unlocked('"', f);
	*sep = ",";
}

/*
 * One item as json_dumpf(gc_item_json(), JSON_COMPACT | JSON_SORT_KEYS)
 * writes it, byte for byte, without building it: the report of a run
 * removing 60,000 items spent a sixth of a dry run's time in jansson.
 * 1 when a string is not plain ASCII: jansson then writes the item.
 */
static int
item_write(FILE *f, const struct gc_run *run, const struct gc_item *it)
{
	const struct gc_tagdec *t = NULL;
	const char *repo = NULL, *tag = gc_item_tag(it), *rule = NULL;
	const char *sep = "{", *path;
	struct drydock_digest d;
	char dstr[DRYDOCK_DIGEST_STRMAX], buf[GC_PATH_MAX];

	if (it->repo != UINT32_MAX)
		repo = run->repos[it->repo].name;
	if (it->kind == GC_KIND_TAG && !gc_item_is_leftover(it)) {
		t = &run->tagdecs[it->id2];
		rule = rule_text(run, t);
	}
	path = gc_item_path(run, it, buf, sizeof(buf));
	if ((repo != NULL && !plain_ascii(repo)) ||
	    (tag != NULL && !plain_ascii(tag)) ||
	    (rule != NULL && !plain_ascii(rule)) || !plain_ascii(path))
		return 1;
	/* the keys in sorted order, as JSON_SORT_KEYS has them */
	if (it->id != UINT32_MAX) {
		d = gc_digest(run, it->id);
		put_str(f, "digest", drydock_digest_format(dstr, &d), &sep);
	}
	put_str(f, "kind", gc_kind_name(it->kind), &sep);
	put_str(f, "path", path, &sep);
	if (t != NULL)
		fprintf(f, ",\"pushed\":%lld",
		    (long long)(t->pushed_ns / 1000000000));
	put_str(f, "reason", gc_reason_name(it->reason), &sep);
	if (repo != NULL)
		put_str(f, "repository", repo, &sep);
	if (rule != NULL)
		put_str(f, "rule", rule, &sep);
	if (it->kind == GC_KIND_BLOB || it->kind == GC_KIND_UPLOAD)
		fprintf(f, ",\"size\":%lld", (long long)it->size);
	if (tag != NULL)
		put_str(f, "tag", tag, &sep);
	putc_unlocked('}', f);
	return 0;
}

/*
 * The report without "removed", then "removed" one item per line: a tree
 * of every item in jansson took 50 MB and half a second for 57,000 items.
 */
static int
dump_json(const struct gc_run *run, FILE *f)
{
	json_t *j = report_json(run);
	char *head = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	const char *sep = "\n  ";
	size_t i, n;
	int r = 0;

	json_decref(j);
	if (head == NULL || (n = strlen(head)) < 2 || head[n - 1] != '}') {
		free(head);
		return -1;
	}
	head[--n] = '\0'; /* the closing brace, and the space before it */
	while (n > 0 && (head[n - 1] == '\n' || head[n - 1] == ' '))
		head[--n] = '\0';
	fputs(head, f);
	free(head);
	fputs(",\n \"removed\": [", f);
	for (i = 0; i < run->nitems && r == 0; i++) {
		if (!run->items[i].done)
			continue;
		fputs(sep, f);
		sep = ",\n  ";
		if (item_write(f, run, &run->items[i]) == 0)
			continue;
		j = gc_item_json(run, &run->items[i]);
		r = json_dumpf(j, f, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
	}
	fputs("\n ]\n}\n", f);
	return r != 0 || ferror(f) ? -1 : 0;
}

static int
write_json(const struct gc_run *run, const char *dest)
{
	struct drydock_outfile of;

	if (drydock_outfile_open(&of, dest) < 0)
		return DRYDOCK_ERROR;
	if (dump_json(run, of.f) < 0) {
		drydock_outfile_abort(&of);
		drydock_error_set_os("cannot write report '%s'", dest);
		return DRYDOCK_ERROR;
	}
	return drydock_outfile_commit(&of);
}

static int
dec_cmp(const void *a, const void *b, void *arg)
{
	const struct gc_run *run = arg;
	const struct gc_tagdec *x = &run->tagdecs[*(const size_t *)a],
	                       *y = &run->tagdecs[*(const size_t *)b];
	int c;

	if (x->repo != y->repo &&
	    (c = strcmp(run->repos[x->repo].name, run->repos[y->repo].name)))
		return c;
	if (x->pushed_ns != y->pushed_ns)
		return x->pushed_ns > y->pushed_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * What the policies decided, per repository and newest first: each tag
 * that goes with the rule that condemned it, each kept candidate with the
 * rule that kept it.
 */
static void
policy_lines(const struct gc_run *run, FILE *f)
{
	size_t *order, i;
	char age[64];

	if (run->ntagdecs == 0 ||
	    (order = calloc(run->ntagdecs, sizeof(*order))) == NULL)
		return;
	for (i = 0; i < run->ntagdecs; i++)
		order[i] = i;
	qsort_r(order, run->ntagdecs, sizeof(*order), dec_cmp, (void *)run);
	for (i = 0; i < run->ntagdecs; i++) {
		const struct gc_tagdec *t = &run->tagdecs[order[i]];
		int64_t secs = (run->now_ns - t->pushed_ns) / 1000000000;

		/* to the hour past a day, to the minute below: readable */
		secs = secs < 0 ? 0 : secs - secs % (secs >= 86400 ? 3600 : 60);
		drydock_duration_format(age, sizeof(age), secs);
		fprintf(f, "policy: %s %s:%s (%s; pushed %s ago)\n",
		    t->verdict == GC_TAG_DELETE ? "delete" : "keep",
		    run->repos[t->repo].name, t->name, rule_text(run, t), age);
	}
	free(order);
}

/* Tags an interrupted run had set aside (GC_TAG_ASIDE), done now. */
static size_t
leftovers_done(const struct gc_run *run)
{
	size_t i, n = 0;

	for (i = 0; i < run->nitems; i++)
		n += run->items[i].done && gc_item_is_leftover(&run->items[i]);
	return n;
}

static void
summary(const struct gc_run *run, FILE *f)
{
	const struct gc_opts *o = run->opts;
	const char *verb = o->dry_run ? "would remove" : "removed";
	char b[64], pbuf[GC_PATH_MAX];
	size_t i;

	if (o->com.verbose)
		for (i = 0; i < run->nitems; i++) {
			const struct gc_item *it = &run->items[i];

			if (!it->done)
				continue;
			fprintf(f, "%s %s %s (%s", verb, gc_kind_name(it->kind),
			    gc_item_path(run, it, pbuf, sizeof(pbuf)),
			    gc_reason_name(it->reason));
			if (it->size)
				fprintf(f, ", %s",
				    drydock_bytes_format(
				        b, sizeof(b), it->size));
			fputs(")\n", f);
		}
	if ((o->dry_run || o->com.verbose) && !o->com.quiet)
		policy_lines(run, f);
	if (o->com.quiet)
		return;
	if (o->plan_file != NULL)
		fprintf(f,
		    "drydock-gc: apply %s: %zu planned items, %zu left "
		    "(listed above), %zu not in the plan left for a later "
		    "run\n",
		    o->plan_file, run->planned, run->nskipped, run->unplanned);
	if (o->policy_file != NULL) {
		size_t kept = 0;

		for (i = 0; i < run->ntagdecs; i++)
			kept += run->tagdecs[i].verdict == GC_TAG_KEEP;
		fprintf(f,
		    "drydock-gc: policy %s: %s %llu tags, kept %zu "
		    "candidates\n",
		    o->policy_file, verb,
		    (unsigned long long)(run->removed[GC_KIND_TAG] -
		        leftovers_done(run)),
		    kept);
	}
	if ((i = leftovers_done(run)) > 0)
		fprintf(f,
		    "drydock-gc: %s what an interrupted run left of %zu "
		    "tags it was removing (already gone from tags/)\n",
		    verb, i);
	fprintf(f,
	    "drydock-gc: %s: %zu repositories, %llu manifests, %llu blobs "
	    "(%llu in use)\n",
	    drydock_store_root(run->st), run->nrepos,
	    (unsigned long long)run->nrevisions,
	    (unsigned long long)run->nblobs, (unsigned long long)run->nmarked);
	fprintf(f,
	    "drydock-gc: %s %llu blobs (%s), %llu layer links, %llu "
	    "revisions, %llu tag-history entries, %llu uploads, %llu "
	    "repositories%s%s\n",
	    verb, (unsigned long long)run->removed[GC_KIND_BLOB],
	    drydock_bytes_format(b, sizeof(b), run->removed_bytes),
	    (unsigned long long)run->removed[GC_KIND_LAYER_LINK],
	    (unsigned long long)run->removed[GC_KIND_REVISION],
	    (unsigned long long)run->removed[GC_KIND_TAG_HISTORY],
	    (unsigned long long)run->removed[GC_KIND_UPLOAD],
	    (unsigned long long)run->removed[GC_KIND_REPOSITORY],
	    o->quarantine && !o->dry_run ? " into quarantine " : "",
	    o->quarantine && !o->dry_run ? o->quarantine : "");
	if (run->kept_by_grace || run->cancelled)
		fprintf(f,
		    "drydock-gc: kept %llu younger than the grace period, "
		    "%llu needed by pushes during the run\n",
		    (unsigned long long)run->kept_by_grace,
		    (unsigned long long)run->cancelled);
	if (run->nproblems)
		fprintf(f,
		    "drydock-gc: %zu problems (listed above); everything they "
		    "might need was kept\n",
		    run->nproblems);
	if (run->blind)
		fprintf(f,
		    "drydock-gc: no blob was removed: '%s' could not be read, "
		    "and what it hides may need them; fix it and run again\n",
		    run->blind);
	if (run->interrupted)
		fputs("drydock-gc: interrupted; run again to finish\n", f);
	if (!o->dry_run && run->removed[GC_KIND_BLOB] > 0)
		fprintf(f, "drydock-gc: %s\n",
		    o->cache_warning
		        ? "this registry's config enables a blob-descriptor "
		          "cache: restart the registry now, or pushes of "
		          "removed blobs will silently fail"
		        : "if the registry uses a blob-descriptor cache "
		          "(storage.cache.blobdescriptor), restart it now");
}

int
gc_report(struct gc_run *run)
{
	const struct gc_opts *o = run->opts;
	FILE *f =
	    o->com.json && strcmp(o->com.json, "-") == 0 ? stderr : stdout;
	int error = 0;

	summary(run, f);
	fflush(f);
	if (o->com.json)
		error = write_json(run, o->com.json);
	return error;
}

void
gc_log_line(const struct gc_run *run)
{
	const struct gc_opts *o = run->opts;
	char b[64];

	fe_syslog_run(run->exit_code != 0,
	    "%s: %s%s %llu blobs (%llu bytes, %s), %llu layer links, %llu "
	    "revisions, %llu tag-history entries, %llu uploads, %llu "
	    "repositories; %llu blobs in use; %zu problems; exit %d; %.1fs",
	    drydock_store_root(run->st),
	    o->dry_run ? "dry run: would remove" : "removed",
	    o->quarantine && !o->dry_run ? " (quarantined)" : "",
	    (unsigned long long)run->removed[GC_KIND_BLOB],
	    (unsigned long long)run->removed_bytes,
	    drydock_bytes_format(b, sizeof(b), run->removed_bytes),
	    (unsigned long long)run->removed[GC_KIND_LAYER_LINK],
	    (unsigned long long)run->removed[GC_KIND_REVISION],
	    (unsigned long long)run->removed[GC_KIND_TAG_HISTORY],
	    (unsigned long long)run->removed[GC_KIND_UPLOAD],
	    (unsigned long long)run->removed[GC_KIND_REPOSITORY],
	    (unsigned long long)run->nmarked, run->nproblems, run->exit_code,
	    run->seconds);
}

int
gc_metrics(struct gc_run *run)
{
	static const char removed_help[] =
	    "Items removed (or that a dry run would remove), by kind.";
	static const char objects_help[] = "Objects seen in the store.";
	struct fe_metrics m;
	int k;

	if (fe_metrics_open(&m, run->opts->com.metrics) < 0)
		return DRYDOCK_ERROR;
	fe_metrics_run(&m, "gc", run->seconds, run->exit_code);
	fe_metrics_gauge(&m, "drydock_gc_dry_run",
	    "1 when the last run was a dry run.", NULL, NULL,
	    run->opts->dry_run);
	fe_metrics_gauge(&m, "drydock_gc_storage_requests",
	    "Requests the last run sent to its storage (S3; 0 on a "
	    "filesystem).",
	    NULL, NULL, (double)drydock_store_requests(run->st));
	for (k = 0; k < GC_KIND_MAX; k++)
		fe_metrics_gauge(&m, "drydock_gc_removed", removed_help, "kind",
		    gc_kind_name(k), (double)run->removed[k]);
	fe_metrics_gauge(&m, "drydock_gc_removed_bytes",
	    "Bytes of blob and upload data reclaimed.", NULL, NULL,
	    (double)run->removed_bytes);
	fe_metrics_gauge(&m, "drydock_gc_store_objects", objects_help, "kind",
	    "repository", (double)run->nrepos);
	fe_metrics_gauge(&m, "drydock_gc_store_objects", objects_help, "kind",
	    "manifest", (double)run->nrevisions);
	fe_metrics_gauge(&m, "drydock_gc_store_objects", objects_help, "kind",
	    "blob", (double)run->nblobs);
	fe_metrics_gauge(&m, "drydock_gc_store_objects", objects_help, "kind",
	    "blob_in_use", (double)run->nmarked);
	fe_metrics_gauge(&m, "drydock_gc_problems",
	    "Problems found (bad manifests, links, symlinks).", NULL, NULL,
	    (double)run->nproblems);
	return fe_metrics_commit(&m);
}
