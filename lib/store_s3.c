/* SPDX-License-Identifier: MIT */
/*
 * store_s3.c --- the S3 storage driver (driver_int.h) on lib/s3: a store
 * opened on a bucket, the keys of its paths, and the path calls.
 *
 * $V2 is the prefix "<rootdirectory>/docker/registry/v2/", the
 * rootdirectory without its leading and trailing '/' (the registry's s3
 * driver's s3Path(): "/x/" gives "x/docker/...", "" and "/" give
 * "docker/...").  A path is the key $V2 + path; a directory is a prefix
 * some key is below.  S3 has no empty directories, so:
 *
 *   unlink       a DeleteObjects of the key: 0 whether or not it was
 *                there (S3 says "deleted" of a key that never was, and a
 *                HEAD first would double the requests of a sweep)
 *   rmdir        DRYDOCK_EEXISTS when a key is below, else 0 (a
 *                directory that never was cannot be told from an empty
 *                one); "directory marker" objects (keys ending in '/')
 *                below are removed with it
 *   remove_tree  every key below (listed), or the object itself, removed
 *                in batches of 1,000; DRYDOCK_ENOTFOUND when none
 *   prune_parents 0: there is nothing to prune
 *   prune_empty  DRYDOCK_EEXISTS when a key (not a marker) is below, else
 *                0 (markers removed)
 *   write_file   one PUT: atomic, no temporary key
 *   write_fd     one PUT, or a multipart upload from the registry's
 *                chunksize on: the object appears whole or not at all
 *   sync         0: an answered PUT is durable
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include <drydock/regconfig.h>
#include <drydock/s3.h>
#include <drydock/store.h>

#include "s3_int.h"
#include "store_s3_int.h"

/* --- keys ---------------------------------------------------------------- */

int
drydock_s3d__oom(void)
{
	errno = ENOMEM;
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

char *
drydock_s3d__key(const struct s3d *d, const char *rel, const char *suffix)
{
	char *key;

	if (asprintf(&key, "%s%s%s", d->v2, rel, rel[0] ? suffix : "") < 0) {
		drydock_s3d__oom();
		return NULL;
	}
	return key;
}

char *
drydock_s3d__join(const char *rel, const char *name)
{
	char *s;

	if (asprintf(&s, "%s%s%s", rel, rel[0] ? "/" : "", name) < 0)
		return NULL;
	return s;
}

int
drydock_s3d__errno(int error)
{
	switch (error) {
	case DRYDOCK_ENOTFOUND:
		return -ENOENT;
	case DRYDOCK_EAUTH:
		return -EACCES;
	case DRYDOCK_EINTR:
		return -EINTR;
	default:
		return -EIO;
	}
}

int
drydock_s3d__keys_add(struct s3d_keys *k, const char *key, int64_t size)
{
	char **v;
	int64_t *sz;
	size_t cap;

	if (k->n == k->cap) {
		cap = k->cap ? 2 * k->cap : 64;
		if ((v = realloc(k->v, cap * sizeof(*v))) == NULL)
			return drydock_s3d__oom();
		k->v = v;
		if ((sz = realloc(k->size, cap * sizeof(*sz))) == NULL)
			return drydock_s3d__oom();
		k->size = sz;
		k->cap = cap;
	}
	if ((k->v[k->n] = strdup(key)) == NULL)
		return drydock_s3d__oom();
	k->size[k->n++] = size;
	return 0;
}

void
drydock_s3d__keys_release(struct s3d_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	free(k->size);
	memset(k, 0, sizeof(*k));
}

int
drydock_s3d__list(struct s3d *d, const char *rel, const char *delimiter,
    drydock_s3_entry_cb cb, void *payload)
{
	char *prefix;
	int error;

	if ((prefix = drydock_s3d__key(d, rel, "/")) == NULL)
		return DRYDOCK_ERROR;
	error = drydock_s3_foreach(d->s3, prefix, delimiter, NULL, cb, payload);
	free(prefix);
	return error;
}

static int
keys_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	return drydock_s3d__keys_add(payload, key, s3st ? s3st->size : 0);
}

int
drydock_s3d__keys_of(struct s3d_keys *k, struct s3d *d, const char *rel)
{
	struct drydock_s3_stat s3st;
	char *key = NULL;
	int error;

	memset(k, 0, sizeof(*k));
	error = drydock_s3d__list(d, rel, NULL, keys_cb, k);
	if (error < 0 || k->n > 0) {
		k->is_dir = 1;
		goto out;
	}
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		return DRYDOCK_ERROR;
	error = drydock_s3_lookup(&s3st, d->s3, key);
	if (error == 0)
		error = drydock_s3d__keys_add(k, key, s3st.size);
	else if (error == DRYDOCK_ENOTFOUND)
		error = 0;
	free(key);
out:
	if (error < 0)
		drydock_s3d__keys_release(k);
	return error;
}

int
drydock_s3d__keys_present(
    struct s3d_keys *k, struct s3d *d, const char *rel, const char *what)
{
	int error;

	if ((error = drydock_s3d__keys_of(k, d, rel)) < 0 || k->n > 0)
		return error;
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "cannot %s '%s': no such file or directory", what, rel);
	return DRYDOCK_ENOTFOUND;
}

int
drydock_s3d__remove(struct s3d *d, const struct s3d_keys *k)
{
	if (k->n == 0)
		return 0;
	return drydock_s3_remove(
	    d->s3, (const char *const *)k->v, k->n, NULL, NULL);
}

/* --- open and close ------------------------------------------------------ */

static int
first_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	(void)key;
	(void)s3st;
	*(int *)payload = 1;
	return 1;
}

/* Is anything below prefix?  0 with *found, or an error. */
static int
any_below(struct s3d *d, const char *prefix, int *found)
{
	int error;

	*found = 0;
	error = drydock_s3_foreach(d->s3, prefix, "/", NULL, first_cb, found);
	return error < 0 ? error : 0;
}

/* "x/docker/registry/" from rootdirectory "/x/" (s3Path's trimming). */
static int
make_prefixes(struct s3d *d, const char *rootdirectory)
{
	const char *r = rootdirectory != NULL ? rootdirectory : "";
	size_t len;

	while (*r == '/')
		r++;
	len = strlen(r);
	while (len > 0 && r[len - 1] == '/')
		len--;
	if (asprintf(&d->base, "%.*s%sdocker/registry/", (int)len, r,
	        len ? "/" : "") < 0) {
		d->base = NULL;
		return drydock_s3d__oom();
	}
	if (asprintf(&d->v2, "%sv2/", d->base) < 0) {
		d->v2 = NULL;
		return drydock_s3d__oom();
	}
	return 0;
}

static int
new_client(struct s3d *d, const struct drydock_regconfig_s3 *cfg, unsigned jobs)
{
	struct drydock_s3_opts o;

	drydock_s3_opts_init(&o);
	o.endpoint = cfg->regionendpoint;
	o.region = cfg->region;
	o.bucket = cfg->bucket;
	o.access_key = cfg->accesskey;
	o.secret_key = cfg->secretkey;
	o.session_token = cfg->sessiontoken;
	o.secure = cfg->secure;
	o.skip_verify = cfg->skipverify;
	o.ca_file = cfg->cafile;
	o.ca_file_name = cfg->cafile_name;
	o.jobs = jobs > 0 ? jobs : 4;
	if (cfg->chunksize > 0)
		o.part_size = cfg->chunksize;
	return drydock_s3_new(&d->s3, &o);
}

/* Look at the bucket: $V2 there, or an empty store, or an error. */
static int
check_bucket(struct drydock_store *st, struct s3d *d, unsigned flags)
{
	int found, error;

	char why[DRYDOCK_ERROR_MSGMAX];

	if ((error = any_below(d, d->v2, &found)) < 0) {
		snprintf(why, sizeof(why), "%s", drydock_error_message());
		drydock_error_set(error == DRYDOCK_EAUTH
		        ? DRYDOCK_ERRCLASS_AUTH
		        : DRYDOCK_ERRCLASS_STORE,
		    "cannot open '%s': %s", st->root, why);
		return error;
	}
	if (found || (flags & DRYDOCK_STORE_CREATE))
		return 0;
	if (flags & DRYDOCK_STORE_ALLOW_EMPTY) {
		d->empty = 1;
		st->empty = 1;
		return 0;
	}
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "no registry storage in '%s': no key starts with '%s'", st->root,
	    d->v2);
	return DRYDOCK_ENOTFOUND;
}

static void s3d_close(struct drydock_store *st);

int
drydock_store_open_s3(struct drydock_store **out,
    const struct drydock_regconfig_s3 *cfg, unsigned flags, unsigned jobs)
{
	struct drydock_store *st = NULL;
	struct s3d *d = NULL;
	size_t len;
	int error;

	*out = NULL;
	if (cfg == NULL || cfg->bucket == NULL || cfg->bucket[0] == '\0') {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "no S3 bucket given");
		return DRYDOCK_ERROR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (d = calloc(1, sizeof(*d))) == NULL) {
		free(st);
		return drydock_s3d__oom();
	}
	st->magic = DRYDOCK_STORE_MAGIC;
	st->flags = flags;
	st->ops = &drydock_driver_s3;
	st->drv = d;
	st->rootfd = st->v2fd = -1;
	d->host_lock_fd = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->up_mu, NULL);
	if ((error = make_prefixes(d, cfg->rootdirectory)) < 0)
		goto out;
	len = strlen(d->base) - strlen("docker/registry/");
	if (asprintf(&st->root, "s3://%s/%.*s", cfg->bucket,
	        (int)(len ? len - 1 : 0), d->base) < 0 ||
	    (d->bucket = strdup(cfg->bucket)) == NULL ||
	    (d->endpoint = strdup(
	         cfg->regionendpoint != NULL ? cfg->regionendpoint : "")) ==
	        NULL) {
		st->root = NULL;
		error = drydock_s3d__oom();
		goto out;
	}
	if ((error = new_client(d, cfg, jobs)) < 0 ||
	    (error = check_bucket(st, d, flags)) < 0)
		goto out;
	*out = st;
	st = NULL;
out:
	if (st != NULL)
		s3d_close(st);
	drydock_store_close(st);
	return error;
}

static void
s3d_close(struct drydock_store *st)
{
	struct s3d *d = s3d_of(st);

	if (d == NULL)
		return;
	drydock_s3d__unlock(d);
	drydock_s3d__pre_free(d);
	drydock_s3d__handles_free(d);
	drydock_s3d__uploads_free(d);
	pthread_mutex_destroy(&d->mu);
	pthread_mutex_destroy(&d->up_mu);
	drydock_s3_free(d->s3);
	free(d->bucket);
	free(d->endpoint);
	free(d->v2);
	free(d->base);
	free(d);
	st->drv = NULL;
}

static uint64_t
s3d_requests(const struct drydock_store *st)
{
	return drydock_s3__requests(s3d_of(st)->s3);
}

struct drydock_s3 *
drydock_store_s3(const struct drydock_store *st)
{
	if (drydock_store__check(st, __func__) < 0 ||
	    st->ops != &drydock_driver_s3 || st->drv == NULL)
		return NULL;
	return s3d_of(st)->s3;
}

int
drydock_store_s3_key(char *buf, size_t bufsz, const struct drydock_store *st,
    const char *relpath)
{
	int n;

	if (drydock_store__check(st, __func__) < 0)
		return DRYDOCK_ERROR;
	if (st->ops != &drydock_driver_s3 || st->drv == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a store on S3", st->root);
		return DRYDOCK_ERROR;
	}
	n = snprintf(
	    buf, bufsz, "%s%s", s3d_of(st)->v2, relpath != NULL ? relpath : "");
	if (n < 0 || (size_t)n >= bufsz) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "the S3 key of '%s' is too long", relpath);
		return DRYDOCK_ERROR;
	}
	return 0;
}

/* --- the path calls ------------------------------------------------------ */

/* An empty store has nothing below $V2 and takes no write. */
static int
check_empty(const struct s3d *d, const char *what, const char *rel)
{
	if (!d->empty)
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "cannot %s '%s': no registry storage in the bucket yet", what, rel);
	return DRYDOCK_ENOTFOUND;
}

static int
s3d_unlink(struct drydock_store *st, const char *rel)
{
	struct s3d *d = s3d_of(st);
	struct s3d_keys k = {0};
	char *key;
	int error;

	if ((error = check_empty(d, "remove", rel)) < 0)
		return error;
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		return DRYDOCK_ERROR;
	if ((error = drydock_s3d__keys_add(&k, key, 0)) == 0)
		error = drydock_s3d__remove(d, &k);
	drydock_s3d__keys_release(&k);
	free(key);
	return error;
}

/* unlink_many: keys at a fixed stride, so a key's address is its index. */
struct many {
	char *keys; /* n keys, stride bytes apart */
	size_t stride;
	void (*done)(size_t i, int code, void *payload);
	void *payload;
};

static int
many_removed(
    const char *key, const char *code, const char *message, void *payload)
{
	struct many *m = payload;
	size_t i = (size_t)(key - m->keys) / m->stride;

	if (code != NULL)
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "%s: %s", code,
		    message != NULL ? message : "");
	m->done(i, code == NULL ? 0 : DRYDOCK_ERROR, m->payload);
	return 0;
}

static void
many_ignored(size_t i, int code, void *payload)
{
	(void)i;
	(void)code;
	(void)payload;
}

/*
 * One DeleteObjects per 1,000 keys, spread over the jobs (lib/s3): a
 * sweep's blobs at the server's pace, not one round trip each.  There
 * are no directories to remove (DRYDOCK_STORE_UNLINK_DIR needs nothing).
 */
static int
s3d_unlink_many(struct drydock_store *st, const char *const *rels, size_t n,
    unsigned flags, void (*done)(size_t i, int code, void *), void *payload)
{
	struct s3d *d = s3d_of(st);
	struct many m = {NULL, 0, done != NULL ? done : many_ignored, payload};
	const char **keys = NULL;
	size_t i, len;
	int error;

	(void)flags;
	if (n == 0)
		return 0;
	if ((error = check_empty(d, "remove", rels[0])) < 0)
		return error;
	m.stride = strlen(d->v2) + 1;
	for (i = 0, len = 0; i < n; i++)
		if (strlen(rels[i]) > len)
			len = strlen(rels[i]);
	m.stride += len;
	if ((m.keys = malloc(n * m.stride)) == NULL ||
	    (keys = malloc(n * sizeof(*keys))) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	for (i = 0; i < n; i++) {
		keys[i] = m.keys + i * m.stride;
		snprintf(
		    m.keys + i * m.stride, m.stride, "%s%s", d->v2, rels[i]);
	}
	error = drydock_s3_remove(d->s3, keys, n, many_removed, &m);
out:
	free(keys);
	free(m.keys);
	return error;
}

/* remove_trees: each path's keys, listed in parallel, then removed. */
struct trees {
	struct s3d *d;
	const char *const *rels;
	struct s3d_keys *k; /* n of them */
	int *code; /* each path's result */
	const char **all; /* every key, for DeleteObjects */
	size_t *owner; /* all[j] is of path owner[j] */
	size_t nall;
	unsigned char *decided; /* the ranged listing saw path i whole */
	int error; /* of trees_seen */
};

/* A key of path i in the ranged listing (drydock_s3d__range). */
static void
trees_seen(
    size_t i, const char *key, const struct drydock_s3_stat *st, void *payload)
{
	struct trees *t = payload;
	int r = drydock_s3d__keys_add(&t->k[i], key, st->size);

	if (r < 0 && t->error == 0)
		t->error = r;
}

static int
trees_list(size_t i, void *payload)
{
	struct trees *t = payload;

	/* seen whole by the ranged listing; one seen empty may be a file */
	if (t->decided[i] && t->k[i].n > 0) {
		t->k[i].is_dir = 1;
		t->code[i] = 0;
		return 0;
	}
	drydock_s3d__keys_release(&t->k[i]);
	t->code[i] = drydock_s3d__keys_of(&t->k[i], t->d, t->rels[i]);
	if (t->code[i] == 0 && t->k[i].n == 0)
		t->code[i] = DRYDOCK_ENOTFOUND;
	return 0;
}

static int
trees_removed(
    const char *key, const char *code, const char *message, void *payload)
{
	struct trees *t = payload;
	size_t j;

	if (code == NULL)
		return 0;
	for (j = 0; j < t->nall && t->all[j] != key; j++)
		;
	if (j < t->nall) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "cannot remove '%s': %s: %s", key, code,
		    message != NULL ? message : "");
		t->code[t->owner[j]] = DRYDOCK_ERROR;
	}
	return 0;
}

static int
s3d_remove_trees(struct drydock_store *st, const char *const *rels, size_t n,
    void (*done)(size_t i, int code, void *), void *payload)
{
	struct trees t = {.d = s3d_of(st), .rels = rels};
	size_t i, j, total = 0;
	int error = 0;

	if (n == 0)
		return 0;
	if ((error = check_empty(t.d, "remove", rels[0])) < 0)
		return error;
	if ((t.k = calloc(n, sizeof(*t.k))) == NULL ||
	    (t.code = calloc(n, sizeof(*t.code))) == NULL ||
	    (t.decided = calloc(n, 1)) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	/* one listing for most (revisions and history entries lie together) */
	if (drydock_s3d__range(t.d, rels, n, 1, t.decided, trees_seen, &t) <
	        0 ||
	    t.error < 0) {
		/* each is listed on its own, then (trees_list) */
		memset(t.decided, 0, n);
		t.error = 0;
		drydock_error_clear();
	}
	if ((error = drydock_s3__parallel(t.d->s3->jobs, n, trees_list, &t)) <
	    0)
		goto out;
	for (i = 0; i < n; i++)
		total += t.code[i] == 0 ? t.k[i].n : 0;
	if ((t.all = malloc((total + 1) * sizeof(*t.all))) == NULL ||
	    (t.owner = malloc((total + 1) * sizeof(*t.owner))) == NULL) {
		error = drydock_s3d__oom();
		goto out;
	}
	for (i = 0; i < n; i++)
		for (j = 0; t.code[i] == 0 && j < t.k[i].n; j++) {
			t.all[t.nall] = t.k[i].v[j];
			t.owner[t.nall++] = i;
		}
	if (t.nall > 0 &&
	    (error = drydock_s3_remove(
	         t.d->s3, t.all, t.nall, trees_removed, &t)) < 0)
		goto out;
	for (i = 0; done != NULL && i < n; i++)
		done(i, t.code[i], payload);
out:
	for (i = 0; t.k != NULL && i < n; i++)
		drydock_s3d__keys_release(&t.k[i]);
	free(t.k);
	free(t.code);
	free(t.all);
	free(t.owner);
	free(t.decided);
	return error;
}

struct below {
	struct s3d_keys markers; /* keys ending in '/' */
	int found; /* a key that is not a marker */
};

static int
below_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	struct below *b = payload;
	size_t len = strlen(key);

	if (s3st != NULL && len > 0 && key[len - 1] == '/')
		return drydock_s3d__keys_add(&b->markers, key, 0);
	b->found = 1;
	return 1;
}

/*
 * Is a key other than a directory marker below rel?  The listing stops at
 * the first; the markers met before it are gathered in b->markers.
 */
static int
keys_below(struct below *b, struct s3d *d, const char *rel)
{
	int error;

	memset(b, 0, sizeof(*b));
	if ((error = drydock_s3d__list(d, rel, NULL, below_cb, b)) < 0) {
		drydock_s3d__keys_release(&b->markers);
		return error;
	}
	return 0;
}

/* rmdir and prune_empty: EEXISTS when a key is below, else 0. */
static int
remove_if_empty(struct drydock_store *st, const char *rel, const char *what)
{
	struct s3d *d = s3d_of(st);
	struct below b;
	int error;

	if ((error = check_empty(d, what, rel)) < 0 ||
	    (error = keys_below(&b, d, rel)) < 0)
		return error;
	if (b.found) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot %s '%s': it is not empty", what, rel);
		error = DRYDOCK_EEXISTS;
	} else {
		error = drydock_s3d__remove(d, &b.markers);
	}
	drydock_s3d__keys_release(&b.markers);
	return error;
}

static int
s3d_rmdir(struct drydock_store *st, const char *rel)
{
	return remove_if_empty(st, rel, "remove directory");
}

static int
s3d_prune_empty(struct drydock_store *st, const char *rel)
{
	return remove_if_empty(st, rel, "prune");
}

static int
s3d_prune_parents(struct drydock_store *st, const char *rel, const char *stop)
{
	(void)st;
	(void)rel;
	(void)stop;
	return 0; /* no empty directory stays on S3 */
}

static int
s3d_remove_tree(struct drydock_store *st, const char *rel)
{
	struct s3d *d = s3d_of(st);
	struct s3d_keys k;
	size_t aborted = 0;
	int error;

	if ((error = check_empty(d, "remove", rel)) < 0)
		return error;
	/*
	 * The objects, then what an abandoned push left of an upload's data
	 * (store_s3upload.c): a run stopped in between leaves the upload
	 * as old as it was, found again by the next
	 */
	if ((error = drydock_s3d__keys_of(&k, d, rel)) == 0)
		error = drydock_s3d__remove(d, &k);
	if (error == 0)
		error = drydock_s3d__uploads_abort(d, rel, &aborted);
	if (error == 0 && k.n == 0 && aborted == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot remove '%s': no such file or directory", rel);
		error = DRYDOCK_ENOTFOUND;
	}
	drydock_s3d__keys_release(&k);
	return error;
}

static int
s3d_write_file(struct drydock_store *st, const char *rel, const void *buf,
    size_t len, unsigned flags)
{
	struct s3d *d = s3d_of(st);
	char *key;
	int error;

	(void)flags; /* an answered PUT is durable: nothing to sync */
	if ((error = check_empty(d, "write", rel)) < 0)
		return error;
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		return DRYDOCK_ERROR;
	error = drydock_s3_write(d->s3, key, buf, len);
	free(key);
	return error;
}

/* A pipe or another stream of unknown size: into a temporary file. */
static int
spool(int *tmp_out, int64_t *size_out, int fd)
{
	char buf[65536];
	ssize_t n;
	int tmp;

	*size_out = 0;
	tmp = open(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	    O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (tmp < 0) {
		drydock_error_set_os("cannot make a temporary file");
		return DRYDOCK_ERROR;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(tmp, buf, (size_t)n) != n) {
			drydock_error_set_os("cannot copy a stream to upload");
			close(tmp);
			return DRYDOCK_ERROR;
		}
		*size_out += n;
	}
	*tmp_out = tmp;
	return 0;
}

static int
s3d_write_fd(struct drydock_store *st, const char *rel, int fd, int64_t size)
{
	struct s3d *d = s3d_of(st);
	struct stat sb;
	off_t off;
	char *key = NULL;
	int tmp = -1, error;

	if ((error = check_empty(d, "write", rel)) < 0)
		return error;
	off = lseek(fd, 0, SEEK_CUR);
	if (off < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if ((error = spool(&tmp, &size, fd)) < 0)
			return error;
		off = 0;
		fd = tmp;
	} else if (size < 0) {
		size = sb.st_size > off ? (int64_t)(sb.st_size - off) : 0;
	}
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		error = DRYDOCK_ERROR;
	else
		error = drydock_s3__write_fd_at(d->s3, key, fd, off, size);
	if (error == 0 && tmp < 0)
		(void)lseek(fd, off + size, SEEK_SET); /* read, as on a fs */
	if (tmp >= 0)
		close(tmp);
	free(key);
	return error;
}

static int
s3d_read_cb(struct drydock_store *st, const char *rel, int64_t off, int64_t len,
    int (*cb)(const void *buf, size_t len, void *payload), void *payload,
    int64_t *size_out)
{
	struct s3d *d = s3d_of(st);
	struct drydock_s3_stat s3st;
	char *key;
	int error;

	if ((error = check_empty(d, "read", rel)) < 0)
		return error;
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		return DRYDOCK_ERROR;
	/* a range's answer says the range's length: the size by a HEAD */
	if (size_out != NULL && (off > 0 || len >= 0)) {
		if ((error = drydock_s3_lookup(&s3st, d->s3, key)) < 0)
			goto out;
		*size_out = s3st.size;
		size_out = NULL;
	}
	error = drydock_s3_read_cb(&s3st, d->s3, key, off, len, cb, payload);
	if (error == 0 && size_out != NULL)
		*size_out = s3st.size;
out:
	free(key);
	return error;
}

static int
s3d_sync(struct drydock_store *st)
{
	(void)st;
	return 0;
}

const struct drydock_driver_ops drydock_driver_s3 = {
    .name = "s3",
    .caps = DRYDOCK_DRIVER_LISTS_STATS,
    .close = s3d_close,
    .lock = drydock_s3d__lock,
    .open = drydock_s3d__open,
    .statat = drydock_s3d__statat,
    .content_md5 = drydock_s3d__content_md5,
    .stat_many = drydock_s3d__stat_many,
    .fstat = drydock_s3d__fstat,
    .getdents = drydock_s3d__getdents,
    .rewind = drydock_s3d__rewind,
    .read = drydock_s3d__read,
    .close_h = drydock_s3d__close_h,
    .prefetch = drydock_s3d__prefetch,
    .open_prefetch = drydock_s3d__open_prefetch,
    .prefetch_many = drydock_s3d__prefetch_many,
    .read_cb = s3d_read_cb,
    .unlink = s3d_unlink,
    .unlink_many = s3d_unlink_many,
    .remove_trees = s3d_remove_trees,
    .requests = s3d_requests,
    .rmdir = s3d_rmdir,
    .rename = drydock_s3d__rename,
    .remove_tree = s3d_remove_tree,
    .prune_parents = s3d_prune_parents,
    .prune_empty = s3d_prune_empty,
    .write_file = s3d_write_file,
    .write_fd = s3d_write_fd,
    .move_out = drydock_s3d__move_out,
    .move_in = drydock_s3d__move_in,
    .sync = s3d_sync,
    .clock_skew = drydock_s3d__clock_skew,
};
