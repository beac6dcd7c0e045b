/* SPDX-License-Identifier: MIT */
/*
 * du.c --- drydock-gc du ROOT: a dry run that counts, during the mark, who
 * holds each digest (holders.c), then sizes every blob once and sums: per
 * repository (or tag) the bytes it holds, those only it holds (what
 * deleting it alone frees, with what gc then sweeps) and the rest, shared;
 * for the store what stays, what a run frees now, and what --policy frees
 * on top.  One mark, one stat a blob: no mark per tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gc.h"

struct entry {
	uint32_t repo;
	const char *tag; /* --by tag, else NULL */
	int doomed; /* a tag the policy deletes */
	uint64_t total, exclusive;
};

struct du {
	struct gc_run *run;
	uint64_t *size; /* by id: bytes of its data, 0 when none */
	struct entry *e;
	size_t n;
	int by_tag; /* what e holds: tags, or repositories */
	uint64_t live, now, policy;
};

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

/*
 * The size of every blob something holds or the plan removes: the plan's
 * blob walk saw each (gc_plan() stats every blob when du asks); a blob it
 * did not see is missing and counts 0.
 */
static int
sizes(struct du *du)
{
	struct gc_run *run = du->run;
	const struct gc_holders *h = run->holders;
	size_t i;

	if ((du->size = calloc(run->nids + 1, sizeof(*du->size))) == NULL)
		return oom();
	for (i = 0; i < run->nids && i < h->capsize; i++)
		if (!(run->flags[i] & GC_SWEEP) &&
		    (h->count[i] > 0 ||
		        (run->flags[i] & (GC_MARKED | GC_YOUNG))))
			du->size[i] = h->size[i];
	for (i = 0; i < run->nitems; i++)
		if (run->items[i].kind == GC_KIND_BLOB)
			du->size[run->items[i].id] = run->items[i].size;
	return 0;
}

/* Only the holder (or repository) at hand holds it, and gc would free it. */
static int
sole(const struct gc_run *run, uint32_t id, int by_repo)
{
	const struct gc_holders *h = run->holders;

	if (run->flags[id] & (GC_PINNED | GC_YOUNG))
		return 0;
	return by_repo ? h->repos[id] == 1 : h->count[id] == 1;
}

static int
sum_entries(struct du *du, int by_tag)
{
	struct gc_run *run = du->run;
	const struct gc_holders *h = run->holders;
	size_t i, n = by_tag ? h->n : run->nrepos;

	free(du->e);
	du->by_tag = by_tag;
	if ((du->e = calloc(n + 1, sizeof(*du->e))) == NULL)
		return oom();
	for (i = 0; i < n; i++) {
		du->e[i].repo = by_tag ? h->v[i].repo : (uint32_t)i;
		du->e[i].tag = by_tag ? h->v[i].tag : NULL;
		du->e[i].doomed = by_tag && h->v[i].doomed;
	}
	du->n = n;
	if (by_tag)
		for (i = 0; i < h->npairs; i++) {
			struct entry *e = &du->e[h->pairs[i].who];
			uint32_t id = h->pairs[i].id;

			e->total += du->size[id];
			if (sole(run, id, 0))
				e->exclusive += du->size[id];
		}
	else
		for (i = 0; i < h->nrpairs; i++) {
			struct entry *e = &du->e[h->rpairs[i].who];
			uint32_t id = h->rpairs[i].id;

			e->total += du->size[id];
			if (sole(run, id, 1))
				e->exclusive += du->size[id];
		}
	return 0;
}

/*
 * The store: what stays, what a run frees now (blobs and stale uploads),
 * what the policy adds.
 */
static void
sum_store(struct du *du)
{
	const struct gc_run *run = du->run;
	const struct gc_holders *h = run->holders;
	size_t i;

	for (i = 0; i < run->nitems; i++)
		if (run->items[i].kind == GC_KIND_UPLOAD)
			du->now += run->items[i].size; /* stale uploads */
	for (i = 0; i < run->nids; i++) {
		uint64_t s = du->size[i];

		if (!(run->flags[i] & GC_SWEEP))
			du->live += s;
		else if (h->count[i] > 0 && h->live[i] == 0)
			du->policy +=
			    s; /* only tags the policy deletes held it */
		else
			du->now += s;
	}
}

static int
entry_cmp(const void *a, const void *b, void *arg)
{
	const struct entry *x = a, *y = b;
	const struct gc_run *run = arg;
	int c;

	if (x->exclusive != y->exclusive)
		return x->exclusive > y->exclusive ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if ((c = strcmp(run->repos[x->repo].name, run->repos[y->repo].name)))
		return c;
	if (x->tag == NULL || y->tag == NULL)
		return (x->tag != NULL) - (y->tag != NULL);
	return strcmp(x->tag, y->tag);
}

/* The entries shown: tags only with --by tag (not the other roots). */
static size_t
shown(const struct du *du, size_t i)
{
	return du->by_tag ? du->e[i].tag != NULL : 1;
}

static void
print_text(const struct du *du, FILE *f)
{
	const struct gc_run *run = du->run;
	const struct gc_opts *o = run->opts;
	char a[32], b[32], c[32], name[600];
	size_t i, k = 0;

	fprintf(f, "drydock-gc du %s: %zu repositories, %llu blobs\n",
	    drydock_store_root(run->st), run->nrepos,
	    (unsigned long long)run->nblobs);
	fprintf(f, "  live %s; reclaimable now %s",
	    drydock_bytes_format(a, sizeof(a), du->live),
	    drydock_bytes_format(b, sizeof(b), du->now));
	if (o->policy_file != NULL)
		fprintf(f, "; by the policy %s: %s more\n", o->policy_file,
		    drydock_bytes_format(c, sizeof(c), du->policy));
	else
		fputs("\n", f);
	fprintf(f, "%-40s %12s %12s %12s\n",
	    o->du_by_tag ? "TAG" : "REPOSITORY", "TOTAL", "EXCLUSIVE",
	    "SHARED");
	for (i = 0; i < du->n && (o->du_top == 0 || k < (size_t)o->du_top);
	     i++) {
		const struct entry *e = &du->e[i];

		if (!shown(du, i))
			continue;
		k++;
		snprintf(name, sizeof(name), "%s%s%s%s",
		    run->repos[e->repo].name, e->tag ? ":" : "",
		    e->tag ? e->tag : "",
		    e->doomed ? " (the policy deletes it)" : "");
		fprintf(f, "%-40s %12s %12s %12s\n", name,
		    drydock_bytes_format(a, sizeof(a), e->total),
		    drydock_bytes_format(b, sizeof(b), e->exclusive),
		    drydock_bytes_format(
		        c, sizeof(c), e->total - e->exclusive));
	}
}

static json_t *
report_json(const struct du *du, long top)
{
	const struct gc_run *run = du->run;
	const struct gc_opts *o = run->opts;
	json_t *root = gc_query_json(run, "du"), *store = json_object();
	json_t *entries = json_array();
	size_t i, k = 0, total = 0;

	json_object_set_new(
	    root, "by", json_string(du->by_tag ? "tag" : "repository"));
	json_object_set_new(
	    store, "blobs", json_integer((json_int_t)run->nblobs));
	json_object_set_new(
	    store, "live_bytes", json_integer((json_int_t)du->live));
	json_object_set_new(
	    store, "reclaimable_bytes", json_integer((json_int_t)du->now));
	json_object_set_new(store, "policy_bytes",
	    o->policy_file ? json_integer((json_int_t)du->policy)
	                   : json_null());
	json_object_set_new(root, "store", store);
	for (i = 0; i < du->n; i++) {
		const struct entry *e = &du->e[i];
		json_t *j;

		if (!shown(du, i))
			continue;
		total++;
		if (top != 0 && k >= (size_t)top)
			continue;
		k++;
		j = json_object();
		json_object_set_new(
		    j, "repository", json_string(run->repos[e->repo].name));
		if (e->tag != NULL) {
			json_object_set_new(j, "tag", json_string(e->tag));
			json_object_set_new(
			    j, "policy_deletes", json_boolean(e->doomed));
		}
		json_object_set_new(
		    j, "total_bytes", json_integer((json_int_t)e->total));
		json_object_set_new(j, "exclusive_bytes",
		    json_integer((json_int_t)e->exclusive));
		json_object_set_new(j, "shared_bytes",
		    json_integer((json_int_t)(e->total - e->exclusive)));
		json_array_append_new(entries, j);
	}
	json_object_set_new(root, "entries", entries);
	json_object_set_new(
	    root, "entries_total", json_integer((json_int_t)total));
	return root;
}

/*
 * du --html: the page needs both views, all of them (the chart shows the
 * largest and sums the rest); both come from the one mark.
 */
static int
write_html(struct du *du)
{
	struct gc_run *run = du->run;
	json_t *repos = NULL, *tags = NULL;
	int error;

	if ((error = sum_entries(du, 0)) < 0)
		return error;
	qsort_r(du->e, du->n, sizeof(*du->e), entry_cmp, run);
	if ((repos = report_json(du, 0)) == NULL)
		return oom();
	if ((error = sum_entries(du, 1)) < 0)
		goto out;
	qsort_r(du->e, du->n, sizeof(*du->e), entry_cmp, run);
	if ((tags = report_json(du, 0)) == NULL) {
		error = oom();
		goto out;
	}
	error = gc_du_html(repos, tags, run->opts->du_html);
out:
	json_decref(repos);
	json_decref(tags);
	return error;
}

static int
report(struct gc_run *run, void *arg)
{
	struct du *du = arg;
	const struct gc_opts *o = run->opts;
	int error;

	if ((error = sizes(du)) < 0)
		return error;
	sum_store(du);
	if (run->nproblems)
		run->exit_code = DRYDOCK_EXIT_PROBLEMS;
	if (o->du_html != NULL && (error = write_html(du)) < 0)
		return error;
	if ((error = sum_entries(du, o->du_by_tag)) < 0)
		return error;
	qsort_r(du->e, du->n, sizeof(*du->e), entry_cmp, run);
	print_text(
	    du, o->com.json && strcmp(o->com.json, "-") == 0 ? stderr : stdout);
	return o->com.json
	    ? gc_json_write(o->com.json, report_json(du, o->du_top))
	    : 0;
}

int
gc_du(const struct gc_opts *opts, struct drydock_store *st)
{
	struct gc_run run;
	struct gc_holders *h;
	struct du du;
	int error, rc;

	memset(&du, 0, sizeof(du));
	/* a page that cannot be written is said before the long walk */
	if (opts->du_html != NULL &&
	    drydock_outfile_check(NULL, opts->du_html) < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		fprintf(stderr, "drydock-gc: out of memory\n");
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	/* the page lists tags, whatever --by says */
	h->by_tag = opts->du_by_tag || opts->du_html != NULL;
	if ((error = gc_run_init(&run, opts, st)) < 0) {
		gc_holders_free(h);
		return fe_exit_for(error);
	}
	run.holders = h;
	du.run = &run;
	rc = gc_query(&run, report, &du);
	free(du.size);
	free(du.e);
	run.holders = NULL;
	gc_holders_free(h);
	gc_run_release(&run);
	return rc;
}
