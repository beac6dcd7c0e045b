/* SPDX-License-Identifier: MIT */
/*
 * store_s3range.c --- many paths looked up in a few listings.
 *
 * A sweep looks once more at every blob just before it goes and removes
 * revision and tag history directories by the thousand.  A request each
 * (a probe, a listing) was most of what a sweep asked of the bucket, and
 * radosgw answered them more slowly than it deletes.  Sorted, the keys
 * of a batch lie in one range of the bucket's order: one listing from
 * the first (ListObjectsV2 start-after) to the last sees them all, 1,000
 * keys a page, at the moment it runs, as fresh as a request each.
 *
 * Where the range is mostly other keys (a few blobs among millions), the
 * listing stops at a budget of keys and the paths past that point are
 * left to the caller, which asks for each as before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "s3_int.h"
#include "store_s3_int.h"

/* Below this many paths a request each is as cheap. */
#define RANGE_MIN 8
/*
 * Keys listed per path before giving up on the range: pages come one
 * after the other, so a range must be dense to beat the paths' own
 * requests (in parallel).  64 keys a path: at worst, a sixteenth of
 * those requests is spent before they are made anyway.
 */
#define RANGE_KEYS_PER_PATH 64

struct range {
	char **want; /* sorted: full keys (files) or prefixes "rel/" (trees) */
	size_t *index; /* want[j] is the caller's path index[j] */
	size_t n;
	int trees;
	size_t seen, budget;
	const char *last; /* stop past this key */
	size_t passed; /* want[0..passed) are decided: the listing went past */
	void (*cb)(size_t i, const char *key, const struct drydock_s3_stat *st,
	    void *payload);
	void *payload;
};

static int
cmp_str(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* The last want[j] <= key, or n when none is. */
static size_t
floor_of(const struct range *r, const char *key)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(r->want[mid], key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? r->n : lo - 1;
}

static int
range_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	struct range *r = payload;
	size_t j, len;

	if (s3st == NULL) /* a common prefix: no delimiter is given */
		return 0;
	if (r->seen++ >= r->budget)
		return 1;
	j = floor_of(r, key);
	/* everything before the one at or below this key is behind us */
	if (j != r->n && j > r->passed)
		r->passed = j;
	if (j != r->n) {
		len = strlen(r->want[j]);
		if (r->trees ? strncmp(key, r->want[j], len) == 0
		             : strcmp(key, r->want[j]) == 0 ||
		            (strncmp(key, r->want[j], len) == 0 &&
		                key[len] == '/'))
			r->cb(r->index[j], key, s3st, r->payload);
	}
	/* past the last, and past what sorts below it ("last.x", "last/y") */
	if (strcmp(key, r->last) > 0 &&
	    strncmp(key, r->last, strlen(r->last)) != 0) {
		r->passed = r->n;
		return 1;
	}
	return 0;
}

int
drydock_s3d__range(struct s3d *d, const char *const *rels, size_t n, int trees,
    unsigned char *decided,
    void (*cb)(size_t i, const char *key, const struct drydock_s3_stat *st,
        void *payload),
    void *payload)
{
	struct range r = {.n = n, .trees = trees, .cb = cb, .payload = payload};
	char **sorted = NULL, *prefix = NULL, *after = NULL;
	size_t i, j, plen;
	int error = 0;

	memset(decided, 0, n);
	if (n < RANGE_MIN || d->empty)
		return 0;
	/* start-after cuts a byte off: never inside a UTF-8 sequence */
	for (i = 0; i < n; i++)
		if (rels[i][0] == '\0' ||
		    (unsigned char)rels[i][strlen(rels[i]) - 1] >= 0x80)
			return 0;
	if ((r.want = calloc(n, sizeof(*r.want))) == NULL ||
	    (r.index = calloc(n, sizeof(*r.index))) == NULL ||
	    (sorted = calloc(n, sizeof(*sorted))) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	/* each key carries its index after its NUL, to sort them together */
	for (i = 0; i < n; i++) {
		char *k = drydock_s3d__key(d, rels[i], trees ? "/" : "");
		size_t klen;

		if (k == NULL) {
			error = DRYDOCK_ERROR;
			goto out;
		}
		klen = strlen(k);
		if ((sorted[i] = malloc(klen + 1 + sizeof(size_t))) == NULL) {
			free(k);
			error = drydock_s3d__oom();
			goto out;
		}
		memcpy(sorted[i], k, klen + 1);
		memcpy(sorted[i] + klen + 1, &i, sizeof(size_t));
		free(k);
	}
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (i = 0; i < n; i++) {
		r.want[i] = sorted[i];
		memcpy(&r.index[i], sorted[i] + strlen(sorted[i]) + 1,
		    sizeof(size_t));
	}
	/*
	 * a path twice, or one that starts another ("a/b", "a/b-c": the keys
	 * below "a/b/" sort after "a/b-c"): the merge could pass one unseen.
	 * Then each is asked for alone.
	 */
	for (i = 0; i + 1 < n; i++)
		if (strncmp(r.want[i + 1], r.want[i], strlen(r.want[i])) == 0)
			goto out;
	r.last = r.want[n - 1];
	r.budget = n * RANGE_KEYS_PER_PATH;
	/* the common prefix of the first and the last bounds the listing */
	for (plen = 0;
	     r.want[0][plen] != '\0' && r.want[0][plen] == r.last[plen]; plen++)
		;
	/*
	 * keys after the first one's without its last byte: the first
	 * itself and what follows ("K" sorts after every proper prefix)
	 */
	if ((prefix = strndup(r.want[0], plen)) == NULL ||
	    (after = strndup(r.want[0], strlen(r.want[0]) - 1)) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	error = drydock_s3_foreach(d->s3, prefix, NULL,
	    strlen(after) >= plen ? after : NULL, range_cb, &r);
	if (error > 0) /* range_cb's stop */
		error = 0;
	if (error < 0)
		goto out;
	/* the listing ended, or went past the last: every one is decided */
	if (r.seen <= r.budget)
		r.passed = r.n;
	for (j = 0; j < r.passed; j++)
		decided[r.index[j]] = 1;
out:
	for (i = 0; sorted != NULL && i < n; i++)
		free(sorted[i]);
	free(sorted);
	free(r.want);
	free(r.index);
	free(prefix);
	free(after);
	return error;
}

struct many_stat {
	size_t v2len; /* a path's own key is $V2's prefix and the path */
	struct drydock_store *st;
	const char *const *rels;
	struct stat *sbs;
	int *errs;
	unsigned char *decided;
};

static void
stat_seen(
    size_t i, const char *key, const struct drydock_s3_stat *st, void *payload)
{
	struct many_stat *m = payload;

	/* its own key, or one below it: then it is a directory (as a probe) */
	drydock_s3d__stat_listed(
	    &m->sbs[i], key, st, strlen(key) != m->v2len + strlen(m->rels[i]));
	m->errs[i] = 0;
}

static int
stat_probe(size_t i, void *payload)
{
	struct many_stat *m = payload;

	if (!m->decided[i])
		m->errs[i] =
		    drydock_s3d__statat(m->st, -1, m->rels[i], &m->sbs[i]);
	return 0;
}

int
drydock_s3d__stat_many(struct drydock_store *st, const char *const *rels,
    size_t n, struct stat *sbs, int *errs)
{
	struct s3d *d = s3d_of(st);
	struct many_stat m = {strlen(d->v2), st, rels, sbs, errs, NULL};
	size_t i;
	int error;

	if ((m.decided = calloc(n ? n : 1, 1)) == NULL)
		return drydock_s3d__oom();
	for (i = 0; i < n; i++)
		errs[i] = -ENOENT;
	error = drydock_s3d__range(d, rels, n, 0, m.decided, stat_seen, &m);
	if (error == 0)
		error = drydock_s3__parallel(d->s3->jobs, n, stat_probe, &m);
	free(m.decided);
	return error;
}
