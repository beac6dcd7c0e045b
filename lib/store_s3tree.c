/* SPDX-License-Identifier: MIT */
/*
 * store_s3tree.c --- the S3 driver's handles and what they answer from:
 * listings kept as trees.
 *
 * A directory handle names a prefix.  Its first getdents lists it (with
 * delimiter "/", paged) into a tree of one level, which rewind replays;
 * prefetch lists its whole subtree (no delimiter, paged) into a tree of
 * every level.  statat and opens below a handle answer from its tree as
 * far as the tree knows (a prefetched one knows everything below), and a
 * handle opened so shares the tree: it lives until the last handle using
 * it closes.  Beyond what a tree knows, and below $V2 (-1), a statat or an
 * O_PATH open costs one listing (prefix the key, delimiter "/": it shows
 * the object and the directory of that name at once), an O_RDONLY open of
 * a file one GET.  A tree is a snapshot: an entry removed since it was
 * listed still stats, but opening it to read it finds it gone (-ENOENT),
 * as a walker's race with a removal on a filesystem does.
 *
 * Names: an object "K/" (a "directory marker" some tools write) makes K a
 * directory and is never an entry itself; a key K and keys below K/ make K
 * a directory (its object is seen by an O_RDONLY open without O_DIRECTORY
 * only); names "", "." and ".." (keys "a//b", "a/./b") are never listed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "hex_int.h"
#include "s3_int.h"
#include "store_s3_int.h"

/* --- trees -------------------------------------------------------------- */

static uint64_t
hash64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h != 0 ? h : 1;
}

/* A directory's inode: a hash of its path below $V2 ("/" for $V2). */
static uint64_t
dir_ino(const char *rel, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *p;
	size_t i;

	if (rel[0] == '\0' && len == 0)
		return hash64("/");
	for (p = rel; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	if (rel[0] != '\0' && len > 0)
		h = (h ^ (unsigned char)'/') * 0x100000001b3ull;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	return h != 0 ? h : 1;
}

static void
node_release(struct s3d_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_release(&n->kids[i]);
	free(n->kids);
	free(n->name);
}

/* A new child of n named name[0..len) (kids may move). */
static struct s3d_node *
node_add(struct s3d_node *n, const char *name, size_t len)
{
	struct s3d_node *kids, *k;
	size_t cap;

	if (n->nkids == n->cap) {
		cap = n->cap ? 2 * n->cap : 4;
		if ((kids = realloc(n->kids, cap * sizeof(*kids))) == NULL)
			return NULL;
		n->kids = kids;
		n->cap = cap;
	}
	k = &n->kids[n->nkids];
	memset(k, 0, sizeof(*k));
	if ((k->name = strndup(name, len)) == NULL)
		return NULL;
	n->nkids++;
	return k;
}

/* An ETag of 32 hex digits (an MD5) as bytes: 1, else 0. */
static int
etag_md5(unsigned char md5[16], const char *etag)
{
	int i, hi, lo;

	if (strlen(etag) != 32)
		return 0;
	for (i = 0; i < 16; i++) {
		if ((hi = drydock_hex__value((unsigned char)etag[2 * i])) < 0 ||
		    (lo = drydock_hex__value((unsigned char)etag[2 * i + 1])) <
		        0)
			return 0;
		md5[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

static void
node_file(
    struct s3d_node *k, const struct drydock_s3_stat *s3st, const char *key)
{
	k->is_dir = 0;
	k->size = s3st->size;
	k->mtime = (int64_t)s3st->mtime;
	k->ino = hash64(s3st->etag[0] ? s3st->etag : key);
	k->has_md5 = (unsigned char)etag_md5(k->md5, s3st->etag);
}

static int
kid_cmp(const void *a, const void *b)
{
	const struct s3d_node *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* a directory before an object of its name: it is the one kept */
	return c != 0 ? c : (int)y->is_dir - (int)x->is_dir;
}

/*
 * Sort n's children, drop an object that has a directory of its name,
 * and (full: n's whole subtree is known) make each directory's mtime the
 * newest below it.
 */
static void
node_finish(struct s3d_node *n, int full)
{
	size_t i, j;

	if (n->nkids > 1) /* no kids: no array (UBSan) */
		qsort(n->kids, n->nkids, sizeof(*n->kids), kid_cmp);
	for (i = j = 0; i < n->nkids; i++) {
		if (j > 0 &&
		    strcmp(n->kids[j - 1].name, n->kids[i].name) == 0) {
			node_release(&n->kids[i]);
			continue;
		}
		n->kids[j++] = n->kids[i];
	}
	n->nkids = j;
	for (i = 0; i < n->nkids; i++) {
		struct s3d_node *k = &n->kids[i];
		uint64_t h;

		if (k->is_dir && full)
			node_finish(k, 1);
		if (full && k->mtime > n->mtime)
			n->mtime = k->mtime;
		if (!full)
			continue;
		h = hash64(k->name) ^ (k->is_dir ? k->fp : k->ino) ^
		    ((uint64_t)k->size << 17) ^ ((uint64_t)k->mtime << 33);
		n->fp = (uint32_t)((n->fp * 1000003u) ^ h ^ (h >> 32));
	}
}

struct build {
	struct s3d_tree *t;
	size_t plen; /* of the listed prefix */
	const char *rel; /* of the tree's root */
	int full; /* a listing without delimiter */
};

/* A path below the root of a full listing: each component, then the key. */
static int
build_below(struct build *b, struct s3d_node *n, const char *p,
    const char *name, const char *key, const struct drydock_s3_stat *s3st)
{
	struct s3d_node *k;
	const char *slash;
	size_t len;

	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0) /* "a//b", or a marker "a/": a at most */
			return 0;
		k = n->nkids > 0 ? &n->kids[n->nkids - 1] : NULL;
		/* a key's components come in order: a match is the last */
		if (k == NULL || strlen(k->name) != len ||
		    memcmp(k->name, p, len) != 0 ||
		    (slash == NULL && k->is_dir)) {
			if ((k = node_add(n, p, len)) == NULL)
				return drydock_s3d__oom();
		}
		if (slash == NULL) {
			node_file(k, s3st, key);
			return 0;
		}
		if (!k->is_dir) { /* "a" then "a/b": a is a directory */
			k->is_dir = 1;
			k->size = k->mtime = 0;
			k->ino = dir_ino(b->rel, name, (size_t)(slash - name));
		}
		k->loaded = 1;
		n = k;
		p = slash + 1;
	}
}

static int
build_full(struct build *b, const char *name, const char *key,
    const struct drydock_s3_stat *s3st)
{
	return build_below(b, &b->t->root, name, name, key, s3st);
}

static int
build_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	struct build *b = payload;
	const char *name = key + b->plen;
	struct s3d_node *k;
	size_t len = strlen(name);

	if (strlen(key) < b->plen)
		return 0;
	if (b->full && s3st != NULL)
		return build_full(b, name, key, s3st);
	if (s3st == NULL) { /* a common prefix: "name/" */
		if (len < 2)
			return 0;
		if ((k = node_add(&b->t->root, name, len - 1)) == NULL)
			return drydock_s3d__oom();
		k->is_dir = 1;
		k->ino = dir_ino(b->rel, name, len - 1);
		return 0;
	}
	if (len == 0 || name[len - 1] == '/') /* the directory's marker */
		return 0;
	if ((k = node_add(&b->t->root, name, len)) == NULL)
		return drydock_s3d__oom();
	node_file(k, s3st, key);
	return 0;
}

/* n's child named name[0..len), or NULL (n's children not yet sorted). */
static struct s3d_node *
kid_named(struct s3d_node *n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		if (strlen(n->kids[i].name) == len &&
		    memcmp(n->kids[i].name, name, len) == 0)
			return &n->kids[i];
	return NULL;
}

/*
 * An incomplete multipart upload as the file of its key (store_s3upload.c),
 * after the listing: its directories found or made, then the file.  In a
 * delimited listing only its first component shows.
 */
static int
build_upload(struct build *b, const struct s3d_upload *up)
{
	struct s3d_node *n = &b->t->root, *k;
	const char *p = up->name, *slash;
	size_t len;

	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0)
			return 0;
		k = kid_named(n, p, len);
		if (k != NULL && slash == NULL && k->is_dir)
			return 0; /* keys below it too: a directory */
		if (k == NULL && (k = node_add(n, p, len)) == NULL)
			return drydock_s3d__oom();
		if (slash == NULL) {
			k->is_dir = 0;
			k->size = up->size;
			k->mtime = up->mtime;
			k->ino = hash64(up->id);
			return 0;
		}
		if (!k->is_dir) {
			k->is_dir = 1;
			k->size = k->mtime = 0;
			k->ino = dir_ino(
			    b->rel, up->name, (size_t)(slash - up->name));
		}
		if (!b->full)
			return 0;
		k->loaded = 1;
		n = k;
		p = slash + 1;
	}
}

static void
tree_free(struct s3d_tree *t)
{
	if (t == NULL)
		return;
	node_release(&t->root);
	free(t);
}

/*
 * List the directory rel into a new tree: one level (full 0) or all
 * below it.  @return 0 or an error (message set)
 */
/* A key of one of a wide prefetch's subdirectories, into its subtree. */
static int
wide_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	struct build *b = payload;
	const char *name = key + b->plen, *slash;
	struct s3d_node *k;

	if (s3st == NULL || strlen(key) < b->plen ||
	    (slash = strchr(name, '/')) == NULL)
		return 0;
	if ((k = kid_named(&b->t->root, name, (size_t)(slash - name))) == NULL)
		return 0; /* made since the first listing: the next run's */
	k->loaded = 1;
	return build_below(b, k, slash + 1, name, key, s3st);
}

/*
 * A prefetch of a wide directory: its delimited listing, then every
 * subdirectory listed whole at once (jobs in flight), each into its own
 * subtree: keys come in order within one subdirectory, interleaved across
 * them.  256 listings of blobs/sha256/<hh>/ at once instead of one
 * listing of blobs/sha256/, a page after the other.
 */
static int
list_wide(struct build *b, struct s3d *d, const char *rel)
{
	char **prefixes = NULL;
	size_t i, n = 0;
	int error;

	b->full = 0;
	if ((error = drydock_s3d__list(d, rel, "/", build_cb, b)) < 0)
		return error;
	node_finish(&b->t->root, 0);
	b->full = 1;
	if ((prefixes = calloc(b->t->root.nkids + 1, sizeof(*prefixes))) ==
	    NULL)
		return drydock_s3d__oom();
	for (i = 0; i < b->t->root.nkids; i++) {
		struct s3d_node *k = &b->t->root.kids[i];
		char *child;

		if (!k->is_dir)
			continue;
		if ((child = drydock_s3d__join(rel, k->name)) == NULL ||
		    (prefixes[n] = drydock_s3d__key(d, child, "/")) == NULL) {
			free(child);
			error = drydock_s3d__oom();
			goto out;
		}
		free(child);
		n++;
	}
	if (n > 0)
		error = drydock_s3_foreach_many(
		    d->s3, (const char *const *)prefixes, n, NULL, wide_cb, b);
out:
	for (i = 0; i < n; i++)
		free(prefixes[i]);
	free(prefixes);
	return error;
}

static int
tree_list(struct s3d_tree **out, struct s3d *d, const char *rel, int full)
{
	struct build b = {.rel = rel, .full = full};
	struct s3d_uploads u = {0};
	size_t i;
	int error;

	*out = NULL;
	if ((b.t = calloc(1, sizeof(*b.t))) == NULL ||
	    (b.t->root.name = strdup("")) == NULL) {
		free(b.t);
		return drydock_s3d__oom();
	}
	b.t->refs = 1;
	b.t->full = full;
	b.t->root.is_dir = 1;
	b.t->root.loaded = 1;
	b.t->root.ino = dir_ino(rel, "", 0);
	b.plen = strlen(d->v2) + strlen(rel) + (rel[0] ? 1 : 0);
	if (full == 2) { /* DRYDOCK_DRIVER_PREFETCH_WIDE */
		b.t->full = full = 1;
		error = d->empty ? 0 : list_wide(&b, d, rel);
	} else
		error = d->empty ? 0
		                 : drydock_s3d__list(
		                       d, rel, full ? NULL : "/", build_cb, &b);
	/* abandoned pushes' multipart uploads, where this listing shows one */
	if (error == 0)
		error = drydock_s3d__uploads_list(&u, d, rel, full);
	for (i = 0; error == 0 && i < u.n; i++)
		error = build_upload(&b, &u.v[i]);
	drydock_s3d__uploads_release(&u);
	if (error < 0) {
		tree_free(b.t);
		return error;
	}
	node_finish(&b.t->root, full);
	*out = b.t;
	return 0;
}

/* --- trees built from another listing (store_s3pre.c) ------------------ */

struct s3d_tree *
drydock_s3d__tree_new(const char *rel)
{
	struct s3d_tree *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->root.name = strdup("")) == NULL) {
		free(t);
		drydock_s3d__oom();
		return NULL;
	}
	t->refs = 1;
	t->full = 1;
	t->root.is_dir = 1;
	t->root.loaded = 1;
	t->root.ino = dir_ino(rel, "", 0);
	return t;
}

int
drydock_s3d__tree_key(struct s3d_tree *t, const struct s3d *d, const char *rel,
    const char *key, const struct drydock_s3_stat *s3st)
{
	struct build b = {.t = t,
	    .plen = strlen(d->v2) + strlen(rel) + (rel[0] ? 1 : 0),
	    .rel = rel,
	    .full = 1};

	return build_cb(key, s3st, &b);
}

int
drydock_s3d__tree_end(struct s3d_tree *t, struct s3d *d, const char *rel)
{
	struct build b = {.t = t, .rel = rel, .full = 1};
	struct s3d_uploads u = {0};
	size_t i;
	int error;

	/* as tree_list: the abandoned pushes' uploads it covers */
	error = drydock_s3d__uploads_list(&u, d, rel, 1);
	for (i = 0; error == 0 && i < u.n; i++)
		error = build_upload(&b, &u.v[i]);
	drydock_s3d__uploads_release(&u);
	if (error == 0)
		node_finish(&t->root, 1);
	return error;
}

void
drydock_s3d__tree_free(struct s3d_tree *t)
{
	tree_free(t);
}

static void
tree_ref(struct s3d *d, struct s3d_tree *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	t->refs++;
	pthread_mutex_unlock(&d->mu);
}

static void
tree_unref(struct s3d *d, struct s3d_tree *t)
{
	unsigned refs;

	if (t == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	refs = --t->refs;
	pthread_mutex_unlock(&d->mu);
	if (refs == 0)
		tree_free(t);
}

/* A child of n by name (n loaded), or NULL. */
static const struct s3d_node *
node_kid(const struct s3d_node *n, const char *name)
{
	size_t lo = 0, hi = n->nkids, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, n->kids[mid].name);
		if (c == 0)
			return &n->kids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * rel below n, as far as the tree knows: 0 with *out, -ENOENT, -ENOTDIR,
 * or 1 when the tree does not know.
 */
static int
node_find(
    const struct s3d_node **out, const struct s3d_node *n, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *p = rel, *slash;
	size_t len;

	while (*p != '\0') {
		if (!n->is_dir)
			return -ENOTDIR;
		if (!n->loaded)
			return 1;
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = '\0';
		if ((n = node_kid(n, name)) == NULL)
			return -ENOENT;
		p = slash != NULL ? slash + 1 : p + len;
	}
	*out = n;
	return 0;
}

static void
stat_of(struct stat *sb, int is_dir, int64_t size, int64_t mtime, uint64_t ino)
{
	memset(sb, 0, sizeof(*sb));
	sb->st_mode = is_dir ? S_IFDIR | 0755 : S_IFREG | 0644;
	sb->st_nlink = 1;
	sb->st_size = is_dir ? 0 : size;
	sb->st_mtim.tv_sec = mtime;
	sb->st_ino = ino;
	sb->st_blksize = 4096;
	sb->st_blocks = (sb->st_size + 511) / 512;
}

void
drydock_s3d__stat_listed(struct stat *sb, const char *key,
    const struct drydock_s3_stat *s3st, int is_dir)
{
	if (is_dir)
		stat_of(sb, 1, 0, 0, hash64(key));
	else
		stat_of(sb, 0, s3st->size, (int64_t)s3st->mtime,
		    hash64(s3st->etag[0] ? s3st->etag : key));
}

static void
node_stat(struct stat *sb, const struct s3d_node *n)
{
	stat_of(sb, n->is_dir, n->size, n->mtime, n->ino);
	if (n->is_dir)
		sb->st_mtim.tv_nsec = (long)(n->fp % 1000000000u);
}

/* --- one path, without a tree ------------------------------------------- */

struct probe {
	const char *key; /* the object's */
	size_t klen;
	struct drydock_s3_stat file;
	int is_file, is_dir;
};

static int
probe_cb(const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	struct probe *p = payload;

	if (s3st != NULL && strcmp(key, p->key) == 0) {
		p->file = *s3st;
		p->is_file = 1;
		return 0;
	}
	/* "K/" (a common prefix, or a marker object): K is a directory */
	if (strncmp(key, p->key, p->klen) == 0 && key[p->klen] == '/') {
		p->is_dir = 1;
		return 1;
	}
	/* past "K/": nothing more to see (keys "K-x", "K.x" come before) */
	if (strncmp(key, p->key, p->klen) == 0 && key[p->klen] > '/')
		return 1;
	return 0;
}

int
drydock_s3d__probe(struct s3d *d, const char *rel, struct stat *sb)
{
	struct probe p = {0};
	char *key;
	int error;

	if (d->empty)
		return -ENOENT;
	if (rel[0] == '\0') { /* $V2 itself */
		stat_of(sb, 1, 0, 0, dir_ino("", "", 0));
		return 0;
	}
	if ((key = drydock_s3d__key(d, rel, "")) == NULL)
		return -ENOMEM;
	p.key = key;
	p.klen = strlen(key);
	error = drydock_s3_foreach(d->s3, key, "/", NULL, probe_cb, &p);
	if (error > 0) /* probe_cb's stop */
		error = 0;
	if (error < 0)
		error = drydock_s3d__errno(error);
	else if (p.is_dir)
		stat_of(sb, 1, 0, 0, dir_ino(rel, "", 0));
	else if (p.is_file)
		stat_of(sb, 0, p.file.size, (int64_t)p.file.mtime,
		    hash64(p.file.etag[0] ? p.file.etag : key));
	else
		error = -ENOENT;
	free(key);
	return error;
}

/* --- the handle table ---------------------------------------------------- */

static struct s3d_handle *
handle_get(struct s3d *d, int h)
{
	struct s3d_handle *hd = NULL;
	size_t i;

	if (h < DRYDOCK_DRIVER_HANDLE_BASE)
		return NULL;
	i = (size_t)(h - DRYDOCK_DRIVER_HANDLE_BASE);
	pthread_mutex_lock(&d->mu);
	if (i < d->nh)
		hd = d->h[i];
	pthread_mutex_unlock(&d->mu);
	return hd;
}

static void
handle_free(struct s3d *d, struct s3d_handle *hd)
{
	if (hd == NULL)
		return;
	tree_unref(d, hd->tree);
	free(hd->rel);
	free(hd->data);
	free(hd);
}

/* Give hd a number: the handle, or -errno (hd freed). */
static int
handle_put(struct s3d *d, struct s3d_handle *hd)
{
	struct s3d_handle **v;
	size_t i, *fr;
	int h = -ENOMEM;

	pthread_mutex_lock(&d->mu);
	if (d->nfree > 0) {
		i = d->free[--d->nfree];
	} else if (d->nh >= (size_t)(INT_MAX - DRYDOCK_DRIVER_HANDLE_BASE)) {
		h = -EMFILE;
		goto out;
	} else {
		if ((v = realloc(d->h, (d->nh + 1) * sizeof(*v))) == NULL)
			goto out;
		d->h = v;
		if ((fr = realloc(d->free, (d->nh + 1) * sizeof(*fr))) == NULL)
			goto out;
		d->free = fr;
		i = d->nh++;
	}
	d->h[i] = hd;
	h = DRYDOCK_DRIVER_HANDLE_BASE + (int)i;
	hd = NULL;
out:
	pthread_mutex_unlock(&d->mu);
	handle_free(d, hd);
	return h;
}

void
drydock_s3d__close_h(struct drydock_store *st, int h)
{
	struct s3d *d = s3d_of(st);
	struct s3d_handle *hd = NULL;
	size_t i;

	if (d == NULL || h < DRYDOCK_DRIVER_HANDLE_BASE)
		return;
	i = (size_t)(h - DRYDOCK_DRIVER_HANDLE_BASE);
	pthread_mutex_lock(&d->mu);
	if (i < d->nh && d->h[i] != NULL) {
		hd = d->h[i];
		d->h[i] = NULL;
		d->free[d->nfree++] = i;
	}
	pthread_mutex_unlock(&d->mu);
	handle_free(d, hd);
}

void
drydock_s3d__handles_free(struct s3d *d)
{
	size_t i;

	for (i = 0; i < d->nh; i++)
		handle_free(d, d->h[i]);
	free(d->h);
	free(d->free);
	d->h = NULL;
	d->free = NULL;
	d->nh = d->nfree = 0;
}

/* --- resolving a path ----------------------------------------------------- */

/* What a path is: its stat, and the tree entry when a tree knew it. */
struct where {
	char *rel; /* below $V2 (new) */
	struct stat sb;
	struct s3d_tree *tree; /* a reference, or NULL */
	const struct s3d_node *node;
	int known; /* 1: sb is said */
};

static void
where_release(struct s3d *d, struct where *w)
{
	tree_unref(d, w->tree);
	free(w->rel);
	memset(w, 0, sizeof(*w));
}

/*
 * Find rel below dir (-1: $V2) in dir's tree: w->known when the tree
 * knew it.  @return 0, or -errno (-ENOENT the tree says so)
 */
static int
resolve_cached(struct s3d *d, struct where *w, int dir, const char *rel)
{
	struct s3d_handle *pd = NULL;
	const struct s3d_node *n;
	int r;

	memset(w, 0, sizeof(*w));
	if (rel[0] != '\0' && strcmp(rel, ".") != 0 &&
	    drydock_store_path_check(rel) < 0)
		return -EINVAL;
	if (strcmp(rel, ".") == 0)
		rel = "";
	if (dir >= 0) {
		if ((pd = handle_get(d, dir)) == NULL)
			return -EBADF;
		if (!S_ISDIR(pd->sb.st_mode))
			return -ENOTDIR;
	}
	w->rel = pd != NULL ? drydock_s3d__join(pd->rel, rel) : strdup(rel);
	if (w->rel == NULL)
		return -ENOMEM;
	if (pd == NULL || pd->node == NULL)
		return 0;
	if ((r = node_find(&n, pd->node, rel)) < 0) {
		free(w->rel);
		w->rel = NULL;
		return r;
	}
	if (r == 0) {
		node_stat(&w->sb, n);
		w->tree = pd->tree;
		w->node = n;
		w->known = 1;
		tree_ref(d, w->tree);
	}
	return 0;
}

/* resolve_cached, then a probe when the tree did not know. */
static int
resolve(struct s3d *d, struct where *w, int dir, const char *rel)
{
	int r;

	if ((r = resolve_cached(d, w, dir, rel)) < 0)
		return r;
	if (w->known)
		return 0;
	if ((r = drydock_s3d__probe(d, w->rel, &w->sb)) < 0) {
		where_release(d, w);
		return r;
	}
	w->known = 1;
	return 0;
}

int
drydock_s3d__statat(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb)
{
	struct s3d *d = s3d_of(st);
	struct where w;
	int r;

	if ((r = resolve(d, &w, dir, rel)) < 0)
		return r;
	*sb = w.sb;
	where_release(d, &w);
	return 0;
}

int
drydock_s3d__content_md5(struct drydock_store *st, int dir, const char *rel,
    unsigned char md5[16], struct stat *sb)
{
	struct s3d *d = s3d_of(st);
	struct where w;
	int r;

	/* what a listing saw only: a request would cost what a GET does */
	if ((r = resolve_cached(d, &w, dir, rel)) < 0)
		return r;
	if (!w.known || w.node == NULL || w.node->is_dir || !w.node->has_md5)
		r = -ENODATA;
	else {
		memcpy(md5, w.node->md5, 16);
		*sb = w.sb;
	}
	where_release(d, &w);
	return r;
}

/* --- opening -------------------------------------------------------------- */

#define COLLECT_TOO_BIG 1
#define COLLECT_NOMEM 2

static int
collect_cb(const void *buf, size_t len, void *payload)
{
	struct drydock_s3__buf *c = payload;

	if (len > S3D_READ_MAX - c->len)
		return COLLECT_TOO_BIG;
	return drydock_s3__add(c, buf, len) < 0 ? COLLECT_NOMEM : 0;
}

/* GET rel into hd (data and stat): 0 or -errno (-ENOENT: no such key). */
static int
read_whole(struct s3d *d, struct s3d_handle *hd)
{
	struct drydock_s3_stat s3st;
	struct drydock_s3__buf c = {0};
	char *key;
	int error;

	if ((key = drydock_s3d__key(d, hd->rel, "")) == NULL)
		return -ENOMEM;
	error = drydock_s3_read_cb(&s3st, d->s3, key, 0, -1, collect_cb, &c);
	if (error == COLLECT_TOO_BIG)
		error = -EFBIG;
	else if (error == COLLECT_NOMEM)
		error = -ENOMEM;
	else if (error < 0)
		error = drydock_s3d__errno(error);
	if (error == 0) {
		stat_of(&hd->sb, 0, (int64_t)c.len, (int64_t)s3st.mtime,
		    hash64(s3st.etag[0] ? s3st.etag : key));
		hd->data = c.s;
		hd->len = c.len;
		c.s = NULL;
	}
	free(c.s);
	free(key);
	return error;
}

/*
 * An O_RDONLY open of what is not known to be a directory: the GET first
 * (a link file, a manifest), then, when there is no such object, a probe
 * for a directory of that name.
 */
static int
open_read(struct s3d *d, struct where *w, struct s3d_handle *hd)
{
	int r;

	if (w->known && S_ISDIR(w->sb.st_mode))
		return 0;
	if (w->known && (size_t)w->sb.st_size > S3D_READ_MAX)
		return -EFBIG;
	if ((r = read_whole(d, hd)) != -ENOENT || w->known)
		return r;
	if ((r = drydock_s3d__probe(d, hd->rel, &hd->sb)) < 0)
		return r;
	/* no object, but a directory of its name; or gone meanwhile */
	return S_ISDIR(hd->sb.st_mode) ? 0 : -ENOENT;
}

int
drydock_s3d__open(struct drydock_store *st, int dir, const char *rel, int flags,
    struct stat *sb)
{
	struct s3d *d = s3d_of(st);
	struct s3d_handle *hd = NULL;
	struct where w;
	int r;

	if ((flags & O_ACCMODE) != O_RDONLY ||
	    (flags & (O_CREAT | O_TRUNC | O_APPEND)))
		return -EROFS;
	r = (flags & (O_PATH | O_DIRECTORY)) ? resolve(d, &w, dir, rel)
	                                     : resolve_cached(d, &w, dir, rel);
	if (r < 0)
		return r;
	if ((flags & O_DIRECTORY) && !S_ISDIR(w.sb.st_mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if ((hd = calloc(1, sizeof(*hd))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	hd->rel = w.rel;
	w.rel = NULL;
	hd->sb = w.sb;
	hd->is_path = (flags & O_PATH) != 0;
	if (!hd->is_path && !(flags & O_DIRECTORY) &&
	    (r = open_read(d, &w, hd)) < 0)
		goto out;
	/* the tree that knew it answers below it, when a directory */
	if (S_ISDIR(hd->sb.st_mode) && w.node != NULL) {
		hd->tree = w.tree;
		hd->node = w.node;
		w.tree = NULL;
	}
	if (sb != NULL)
		*sb = hd->sb;
	r = handle_put(d, hd);
	hd = NULL;
out:
	handle_free(d, hd);
	where_release(d, &w);
	return r;
}

/* --- handle calls --------------------------------------------------------- */

int
drydock_s3d__fstat(struct drydock_store *st, int h, struct stat *sb)
{
	struct s3d_handle *hd = handle_get(s3d_of(st), h);

	if (hd == NULL)
		return -EBADF;
	*sb = hd->sb;
	return 0;
}

ssize_t
drydock_s3d__read(struct drydock_store *st, int h, void *buf, size_t len)
{
	struct s3d_handle *hd = handle_get(s3d_of(st), h);
	size_t n;

	if (hd == NULL || hd->is_path)
		return -EBADF;
	if (S_ISDIR(hd->sb.st_mode))
		return -EISDIR;
	n = hd->len - hd->off < len ? hd->len - hd->off : len;
	if (n > 0)
		memcpy(buf, hd->data + hd->off, n);
	hd->off += n;
	return (ssize_t)n;
}

/* A directory handle that can be listed: hd, or NULL with *r. */
static struct s3d_handle *
dir_handle(struct s3d *d, int dir, int *r)
{
	struct s3d_handle *hd = handle_get(d, dir);

	*r = 0;
	if (hd == NULL || hd->is_path)
		*r = -EBADF;
	else if (!S_ISDIR(hd->sb.st_mode))
		*r = -ENOTDIR;
	return *r < 0 ? NULL : hd;
}

/* Replace hd's tree with t (hd's own listing: t's root is hd). */
static void
adopt(struct s3d *d, struct s3d_handle *hd, struct s3d_tree *t)
{
	tree_unref(d, hd->tree);
	hd->tree = t;
	hd->node = &t->root;
}

static int
is_dot(const char *name)
{
	return name[0] == '\0' ||
	    (name[0] == '.' &&
	        (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')));
}

ssize_t
drydock_s3d__getdents(struct drydock_store *st, int dir, void *buf, size_t len)
{
	struct s3d *d = s3d_of(st);
	struct s3d_handle *hd;
	struct s3d_tree *t;
	struct drydock_dirent64 *de;
	const struct s3d_node *k;
	size_t used = 0, reclen;
	int r;

	if ((hd = dir_handle(d, dir, &r)) == NULL)
		return r;
	if (hd->node == NULL || !hd->node->loaded) {
		if ((r = tree_list(&t, d, hd->rel, 0)) < 0)
			return drydock_s3d__errno(r);
		adopt(d, hd, t);
	}
	for (; hd->pos < hd->node->nkids; hd->pos++) {
		k = &hd->node->kids[hd->pos];
		if (is_dot(k->name))
			continue;
		reclen = offsetof(struct drydock_dirent64, d_name) +
		    strlen(k->name) + 1;
		reclen = (reclen + 7) & ~(size_t)7;
		if (used + reclen > len)
			break;
		de = (struct drydock_dirent64 *)((char *)buf + used);
		de->d_ino = k->ino;
		de->d_off = (int64_t)hd->pos + 1;
		de->d_reclen = (unsigned short)reclen;
		de->d_type = k->is_dir ? DT_DIR : DT_REG;
		memcpy(de->d_name, k->name, strlen(k->name) + 1);
		used += reclen;
	}
	if (used == 0 && hd->pos < hd->node->nkids)
		return -EINVAL; /* not even one record fits */
	return (ssize_t)used;
}

int
drydock_s3d__rewind(struct drydock_store *st, int dir)
{
	struct s3d_handle *hd;
	int r;

	if ((hd = dir_handle(s3d_of(st), dir, &r)) == NULL)
		return r;
	hd->pos = 0;
	return 0;
}

/*
 * open(O_DIRECTORY), then prefetch, in one listing: a directory on S3 is
 * keys below its prefix, so the listing that a prefetch makes says
 * whether it exists too.  Only when it shows nothing does the open ask
 * once more (no such directory, or a file of that name).
 */
int
drydock_s3d__open_prefetch(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb)
{
	struct s3d *d = s3d_of(st);
	struct s3d_handle *hd = NULL;
	struct s3d_tree *t = NULL;
	struct where w;
	int r, h;

	if ((r = resolve_cached(d, &w, dir, rel)) < 0)
		return r;
	if (w.known || w.rel[0] == '\0')
		goto plain; /* a tree holds it: the usual way costs nothing */
	/* listed already with others (drydock_store_prefetch_many) */
	if ((t = drydock_s3d__pre_take(d, w.rel)) == NULL &&
	    (r = tree_list(&t, d, w.rel, 1)) < 0) {
		r = drydock_s3d__errno(r);
		goto out;
	}
	if (t->root.nkids == 0)
		goto plain;
	if ((hd = calloc(1, sizeof(*hd))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	hd->rel = w.rel;
	w.rel = NULL;
	stat_of(&hd->sb, 1, 0, t->root.mtime, t->root.ino);
	hd->sb.st_mtim.tv_nsec = (long)(t->root.fp % 1000000000u);
	adopt(d, hd, t);
	t = NULL;
	if (sb != NULL)
		*sb = hd->sb;
	r = handle_put(d, hd);
	hd = NULL;
	goto out;
plain:
	where_release(d, &w);
	tree_unref(d, t);
	if ((h = drydock_s3d__open(st, dir, rel, O_RDONLY | O_DIRECTORY, sb)) <
	    0)
		return h;
	if ((r = drydock_s3d__prefetch(st, h, 0)) < 0) {
		drydock_s3d__close_h(st, h);
		return r;
	}
	if (sb != NULL)
		drydock_s3d__fstat(st, h, sb);
	return h;
out:
	tree_unref(d, t);
	handle_free(d, hd);
	where_release(d, &w);
	return r;
}

int
drydock_s3d__prefetch(struct drydock_store *st, int dir, unsigned flags)
{
	struct s3d *d = s3d_of(st);
	struct s3d_handle *hd;
	struct s3d_tree *t;
	int r;

	/* $V2 is no handle: nothing would bound the snapshot's life */
	if (dir < 0)
		return 0;
	hd = handle_get(d, dir);
	if (hd == NULL)
		return -EBADF;
	if (!S_ISDIR(hd->sb.st_mode))
		return -ENOTDIR;
	/*
	 * A handle in a prefetched tree knows its subtree already: every
	 * walk below a repository asks (gc walks a repository's tags'
	 * histories one by one), and one listing is all it takes.
	 */
	if (hd->tree != NULL && hd->tree->full && hd->node != NULL)
		return 0;
	if ((r = tree_list(&t, d, hd->rel,
	         flags & DRYDOCK_DRIVER_PREFETCH_WIDE ? 2 : 1)) < 0)
		return drydock_s3d__errno(r);
	adopt(d, hd, t);
	hd->sb.st_mtim.tv_sec = t->root.mtime;
	hd->sb.st_mtim.tv_nsec = (long)(t->root.fp % 1000000000u);
	return 0;
}
