/* SPDX-License-Identifier: MIT */
/*
 * planfile.c --- drydock-gc plan writes what a run would remove, each item
 * with its reason and a fingerprint of what it removes (mtime, size, a
 * link's content), and the options that decided it (-m, --grace, the
 * policy's text, the pins); apply reads it back (apply.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fe/jsonhead.h"
#include "gc.h"

/* The file an item's fingerprint is read from, below its path. */
static const char *
fp_file(int kind)
{
	switch (kind) {
	case GC_KIND_BLOB:
		return "/data";
	case GC_KIND_LAYER_LINK:
	case GC_KIND_REVISION:
	case GC_KIND_TAG_HISTORY:
		return "/link";
	case GC_KIND_TAG:
		return "/current/link";
	default:
		return NULL; /* uploads and repositories: the directory */
	}
}

int
gc_fingerprint(struct gc_run *run, const struct gc_item *it, struct gc_fp *fp)
{
	char buf[GC_PATH_MAX], rel[GC_PATH_MAX + 16];
	const char *path = gc_item_path(run, it, buf, sizeof(buf));
	const char *suffix = fp_file(it->kind);
	struct drydock_digest d;
	uint64_t size = 0;
	int r = DRYDOCK_ENOTFOUND;

	memset(fp, 0, sizeof(*fp));
	if (it->kind == GC_KIND_REPOSITORY)
		return 0; /* empty directories: nothing to compare */
	if (suffix != NULL) {
		snprintf(rel, sizeof(rel), "%s%s", path, suffix);
		r = drydock_store_stat(
		    run->st, -1, rel, &size, &fp->mtime_ns, NULL);
	}
	if (r == DRYDOCK_ENOTFOUND) {
		/* an empty link or blob directory: its own time */
		suffix = NULL;
		r = drydock_store_stat(
		    run->st, -1, path, NULL, &fp->mtime_ns, NULL);
	}
	if (r < 0) {
		drydock_error_clear();
		return r;
	}
	if (it->kind == GC_KIND_BLOB)
		fp->size = size;
	else if (it->kind == GC_KIND_UPLOAD)
		fp->size = it->size;
	if (suffix != NULL && it->kind != GC_KIND_BLOB &&
	    drydock_link_read(&d, run->st, -1, rel) == 0)
		drydock_digest_format(fp->link, &d);
	drydock_error_clear();
	return 0;
}

/*
 * "2026-12-07T00:36:34.592274940Z": to the nanosecond, and a string, so
 * that jq (numbers are doubles) can edit a plan without changing it.
 */
static void
mtime_format(char *buf, size_t bufsz, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, bufsz, "%s.%09lldZ", s, (long long)(ns % 1000000000));
}

static int
mtime_parse(int64_t *ns, const char *s)
{
	struct tm tm;
	const char *p;
	char *end;
	long frac;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    *p != '.')
		return -1;
	frac = strtol(p + 1, &end, 10);
	if (end != p + 10 || strcmp(end, "Z") != 0 || frac < 0)
		return -1;
	*ns = (int64_t)timegm(&tm) * 1000000000 + frac;
	return 0;
}

static json_t *
fp_json(const struct gc_fp *fp)
{
	json_t *o = json_object();
	char t[64];

	mtime_format(t, sizeof(t), fp->mtime_ns);
	json_object_set_new(o, "mtime", json_string(t));
	json_object_set_new(o, "size", json_integer((json_int_t)fp->size));
	if (*fp->link)
		json_object_set_new(o, "link", json_string(fp->link));
	return o;
}

/* The options the plan was made with: apply uses them again. */
static void
options_json(json_t *root, const struct gc_run *run)
{
	const struct gc_opts *o = run->opts;
	json_t *pins = json_array();
	size_t i;

	json_object_set_new(
	    root, "delete_untagged", json_boolean(o->delete_untagged));
	json_object_set_new(root, "grace_seconds", json_integer(o->grace));
	json_object_set_new(
	    root, "uploads_older_than_seconds", json_integer(o->uploads_age));
	if (o->policy_file != NULL) {
		json_t *p = json_object();

		json_object_set_new(p, "file", json_string(o->policy_file));
		json_object_set_new(p, "text",
		    json_string(o->policies.text ? o->policies.text : ""));
		json_object_set_new(root, "policy", p);
	}
	for (i = 0; i < o->pins.n; i++)
		json_array_append_new(pins, json_string(o->pins.v[i].text));
	json_object_set_new(root, "pins", pins);
}

/* The head and the options, then the items one a line (streamed). */
int
gc_plan_write(struct gc_run *run, FILE *f)
{
	json_t *root = json_object(), *j;
	char *head;
	const char *sep = "\n  ";
	uint64_t bytes = 0;
	size_t i, n = 0;
	int r = 0;

	for (i = 0; i < run->nitems; i++)
		if (!run->items[i].cancelled) {
			n++;
			bytes += run->items[i].size;
		}
	fe_json_head(root, "drydock-gc", 1, run->start_ns);
	json_object_set_new(root, "command", json_string("plan"));
	json_object_set_new(
	    root, "root", json_string(drydock_store_root(run->st)));
	options_json(root, run);
	json_object_set_new(root, "item_count", json_integer((json_int_t)n));
	json_object_set_new(root, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(root, "problems", gc_problems_json(run));
	json_object_set_new(root, "exit_code", json_integer(run->exit_code));
	head = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (head == NULL || (n = strlen(head)) < 2 || head[n - 1] != '}')
		goto fail;
	head[--n] = '\0'; /* the closing brace, and the space before it */
	while (n > 0 && (head[n - 1] == '\n' || head[n - 1] == ' '))
		head[--n] = '\0';
	fputs(head, f);
	fputs(",\n \"items\": [", f);
	for (i = 0; i < run->nitems && r == 0; i++) {
		const struct gc_item *it = &run->items[i];
		struct gc_fp fp;

		if (it->cancelled || gc_fingerprint(run, it, &fp) < 0)
			continue; /* gone since the plan: nothing to approve */
		j = gc_item_json(run, it);
		json_object_set_new(j, "fingerprint", fp_json(&fp));
		fputs(sep, f);
		r = json_dumpf(j, f, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
		sep = ",\n  ";
	}
	fputs("\n ]\n}\n", f);
	free(head);
	if (r == 0 && fflush(f) == 0 && !ferror(f))
		return 0;
fail:
	drydock_error_set_os("cannot write the plan");
	return DRYDOCK_ERROR;
}

static int
bad_plan(const char *path, const char *why)
{
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "%s: not a drydock-gc plan: %s", path, why);
	return DRYDOCK_ECORRUPT;
}

static int
planned_cmp(const void *a, const void *b)
{
	const struct gc_planned *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int
kind_of(const char *name)
{
	int k;

	for (k = 0; name != NULL && k < GC_KIND_MAX; k++)
		if (strcmp(gc_kind_name(k), name) == 0)
			return k;
	return -1;
}

static int
read_items(struct gc_plan_file *pf, const char *path, json_t *items)
{
	size_t i;

	if (!json_is_array(items))
		return bad_plan(path, "no items");
	if ((pf->v = calloc(json_array_size(items) + 1, sizeof(*pf->v))) ==
	    NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		json_t *fp = json_object_get(it, "fingerprint");
		struct gc_planned *p = &pf->v[pf->n];
		const char *link =
		    json_string_value(json_object_get(fp, "link"));
		int k = kind_of(json_string_value(json_object_get(it, "kind")));

		if (k < 0 || !json_is_string(json_object_get(it, "path")) ||
		    !json_is_object(fp))
			return bad_plan(path,
			    "an item without kind, path or "
			    "fingerprint");
		p->kind = (uint8_t)k;
		if ((p->path = fe_strdup(json_string_value(
		         json_object_get(it, "path")))) == NULL)
			return DRYDOCK_ERROR;
		pf->n++;
		if (mtime_parse(&p->fp.mtime_ns,
		        json_string_value(json_object_get(fp, "mtime"))) < 0)
			return bad_plan(path,
			    "an item's fingerprint has no "
			    "mtime");
		p->fp.size =
		    (uint64_t)json_integer_value(json_object_get(fp, "size"));
		if (link != NULL)
			snprintf(p->fp.link, sizeof(p->fp.link), "%s", link);
	}
	if (pf->n > 1)
		qsort(pf->v, pf->n, sizeof(*pf->v), planned_cmp);
	return 0;
}

/* -m, --grace, --uploads-older-than, the policy and the pins, as planned. */
static int
read_options(struct gc_opts *o, const char *path, json_t *root)
{
	json_t *pol = json_object_get(root, "policy"), *pins;
	const char *text;
	size_t i;
	int error;

	o->delete_untagged =
	    json_is_true(json_object_get(root, "delete_untagged"));
	o->grace = json_integer_value(json_object_get(root, "grace_seconds"));
	o->uploads_age = json_integer_value(
	    json_object_get(root, "uploads_older_than_seconds"));
	if (o->grace < 0 || o->uploads_age <= 0)
		return bad_plan(path,
		    "bad grace_seconds or "
		    "uploads_older_than_seconds");
	if (pol != NULL) {
		text = json_string_value(json_object_get(pol, "text"));
		o->policy_file =
		    json_string_value(json_object_get(pol, "file"));
		if (text == NULL || o->policy_file == NULL)
			return bad_plan(path, "a policy without its text");
		if ((error = gc_policy_parse(
		         &o->policies, text, strlen(text), o->policy_file)) < 0)
			return error;
	}
	pins = json_object_get(root, "pins");
	for (i = 0; i < json_array_size(pins); i++) {
		text = json_string_value(json_array_get(pins, i));
		if (text == NULL)
			return bad_plan(path, "a pin that is no string");
		if ((error = gc_pins_add(&o->pins, text, path, (int)i + 1)) < 0)
			return error;
	}
	return gc_pins_index(&o->pins);
}

/* The plan file stays loaded: the policy's file name points into it. */
static json_t *loaded;

int
gc_plan_read(struct gc_plan_file *pf, struct gc_opts *o, const char *path)
{
	json_error_t je;
	json_t *root;
	int error;

	memset(pf, 0, sizeof(*pf));
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		if (je.position == 0 && je.line <= 1 && je.column <= 0)
			drydock_error_set(DRYDOCK_ERRCLASS_OS,
			    "cannot read plan '%s': %s", path, je.text);
		else
			drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
			    "%s:%d: not a drydock-gc plan: %s", path, je.line,
			    je.text);
		return je.position == 0 && je.line <= 1 && je.column <= 0
		    ? DRYDOCK_ERROR
		    : DRYDOCK_ECORRUPT;
	}
	json_decref(loaded);
	loaded = root;
	if (!json_is_string(json_object_get(root, "tool")) ||
	    strcmp(json_string_value(json_object_get(root, "tool")),
	        "drydock-gc") != 0 ||
	    !json_is_string(json_object_get(root, "command")) ||
	    strcmp(json_string_value(json_object_get(root, "command")),
	        "plan") != 0 ||
	    json_integer_value(json_object_get(root, "schema_version")) != 1)
		return bad_plan(path, "tool, command or schema_version");
	if (!json_is_string(json_object_get(root, "root")))
		return bad_plan(path, "no root");
	o->plan_root = json_string_value(json_object_get(root, "root"));
	if ((error = read_options(o, path, root)) < 0)
		return error;
	return read_items(pf, path, json_object_get(root, "items"));
}

void
gc_plan_file_release(struct gc_plan_file *pf)
{
	size_t i;

	for (i = 0; i < pf->n; i++)
		free(pf->v[i].path);
	free(pf->v);
	memset(pf, 0, sizeof(*pf));
	json_decref(loaded);
	loaded = NULL;
}
