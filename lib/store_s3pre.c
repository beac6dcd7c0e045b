/* SPDX-License-Identifier: MIT */
/*
 * store_s3pre.c --- many directories listed together, for their next open.
 *
 * gc's re-check opens every repository once more just before the sweep,
 * and each open was a listing of its own: a thousand repositories, a
 * thousand requests of a few dozen keys.  radosgw answers a page of 1,000
 * keys in about the time of one of 40, so the repositories are taken in
 * runs that lie together in the bucket's order, each run listed as one
 * range (drydock_s3d__range), the runs in parallel.  Each repository's
 * keys become the full tree its open would have listed, kept until that
 * open takes it (drydock_s3d__pre_take); a repository the range could
 * not see whole is left to its open, as before.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "s3_int.h"
#include "store_s3_int.h"

/* Paths a range covers: each run about a page of a registry's keys. */
#define PRE_RUN_MIN 8
#define PRE_RUN_MAX 32

/* One directory: its tree, as the range shows its keys. */
struct pre_path {
	char *sortkey; /* "rel/": what the bucket's order sorts */
	char *rel;
	struct s3d_tree *t;
	int error; /* the tree's first */
};

struct pre_many {
	struct s3d *d;
	struct pre_path *v; /* sorted by sortkey */
	unsigned char *decided;
	size_t n, per;
};

struct pre_run {
	struct pre_many *m;
	size_t at[PRE_RUN_MAX]; /* the range's path i is m->v[at[i]] */
};

static int
cmp_path(const void *a, const void *b)
{
	const struct pre_path *x = a, *y = b;

	return strcmp(x->sortkey, y->sortkey);
}

/* A key of path i of one run (drydock_s3d__range's cb). */
static void
pre_seen(
    size_t i, const char *key, const struct drydock_s3_stat *st, void *payload)
{
	struct pre_run *r = payload;
	struct pre_path *p = &r->m->v[r->at[i]];
	int error;

	if (p->error < 0)
		return;
	if ((error = drydock_s3d__tree_key(p->t, r->m->d, p->rel, key, st)) <
	    0) {
		drydock_error_clear();
		p->error = error;
	}
}

static int
pre_run(size_t k, void *payload)
{
	struct pre_many *m = payload;
	struct pre_run r = {.m = m};
	size_t first = k * m->per, i, n = 0;
	size_t end = m->n - first < m->per ? m->n : first + m->per;
	const char *rels[PRE_RUN_MAX];
	unsigned char decided[PRE_RUN_MAX];

	/*
	 * A repository with others nested below it ("a" and "a/b"): its
	 * listing holds theirs, which a range gives to the nested ones.  Its
	 * open lists it, as before; the range takes the rest.
	 */
	for (i = first; i < end; i++) {
		if (i + 1 < m->n &&
		    strncmp(m->v[i + 1].sortkey, m->v[i].sortkey,
		        strlen(m->v[i].sortkey)) == 0)
			continue;
		r.at[n] = i;
		rels[n++] = m->v[i].rel;
	}
	if (n == 0)
		return 0;
	if (drydock_s3d__range(m->d, rels, n, 1, decided, pre_seen, &r) < 0) {
		drydock_error_clear(); /* each open lists its own, then */
		return 0;
	}
	for (i = 0; i < n; i++)
		m->decided[r.at[i]] = decided[i];
	return 0;
}

/* Keep the trees seen whole for their opens. */
static void
pre_keep(struct pre_many *m)
{
	struct s3d *d = m->d;
	struct s3d_pre *pre;
	size_t i;

	if ((pre = calloc(m->n, sizeof(*pre))) == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->pre = pre;
	pthread_mutex_unlock(&d->mu);
	for (i = 0; i < m->n; i++) {
		struct pre_path *p = &m->v[i];

		/* nothing there: the open says what it is (gone, a file) */
		if (!m->decided[i] || p->error < 0 || p->t->root.nkids == 0)
			continue;
		if (drydock_s3d__tree_end(p->t, d, p->rel) < 0) {
			drydock_error_clear();
			continue;
		}
		pthread_mutex_lock(&d->mu);
		d->pre[d->npre].rel = p->rel;
		d->pre[d->npre++].t = p->t;
		pthread_mutex_unlock(&d->mu);
		p->rel = NULL;
		p->t = NULL;
	}
}

int
drydock_s3d__prefetch_many(
    struct drydock_store *st, const char *const *rels, size_t n)
{
	struct s3d *d = s3d_of(st);
	struct pre_many m = {.d = d, .n = n};
	size_t i, len, runs;
	int error = 0;

	drydock_s3d__pre_free(d);
	if (n < PRE_RUN_MIN || d->empty)
		return 0;
	if ((m.v = calloc(n, sizeof(*m.v))) == NULL ||
	    (m.decided = calloc(n, 1)) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	for (i = 0; i < n; i++) {
		len = strlen(rels[i]);
		if ((m.v[i].sortkey = malloc(len + 2)) == NULL) {
			error = drydock_s3d__oom();
			goto out;
		}
		memcpy(m.v[i].sortkey, rels[i], len);
		memcpy(m.v[i].sortkey + len, "/", 2);
	}
	/* runs of neighbours in the bucket's order: each one range */
	qsort(m.v, n, sizeof(*m.v), cmp_path);
	for (i = 0; i < n; i++) {
		len = strlen(m.v[i].sortkey) - 1;
		if ((m.v[i].rel = strndup(m.v[i].sortkey, len)) == NULL ||
		    (m.v[i].t = drydock_s3d__tree_new(m.v[i].rel)) == NULL) {
			error = drydock_s3d__oom();
			goto out;
		}
	}
	m.per = (n + d->s3->jobs - 1) / d->s3->jobs;
	m.per = m.per < PRE_RUN_MIN ? PRE_RUN_MIN
	    : m.per > PRE_RUN_MAX   ? PRE_RUN_MAX
	                            : m.per;
	runs = (n + m.per - 1) / m.per;
	if ((error = drydock_s3__parallel(d->s3->jobs, runs, pre_run, &m)) == 0)
		pre_keep(&m);
out:
	for (i = 0; m.v != NULL && i < n; i++) {
		free(m.v[i].sortkey);
		free(m.v[i].rel);
		drydock_s3d__tree_free(m.v[i].t);
	}
	free(m.v);
	free(m.decided);
	/* a hint: what failed, each open lists for itself */
	drydock_error_clear();
	(void)error;
	return 0;
}

struct s3d_tree *
drydock_s3d__pre_take(struct s3d *d, const char *rel)
{
	struct s3d_tree *t = NULL;
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->npre; i++) {
		if (strcmp(d->pre[i].rel, rel) != 0)
			continue;
		t = d->pre[i].t;
		free(d->pre[i].rel);
		d->pre[i] = d->pre[--d->npre];
		break;
	}
	pthread_mutex_unlock(&d->mu);
	return t;
}

void
drydock_s3d__pre_free(struct s3d *d)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->npre; i++) {
		free(d->pre[i].rel);
		drydock_s3d__tree_free(d->pre[i].t);
	}
	free(d->pre);
	d->pre = NULL;
	d->npre = 0;
	pthread_mutex_unlock(&d->mu);
}
