/* SPDX-License-Identifier: MIT */
/*
 * store_s3_int.h --- what the files of the S3 storage driver share: the
 * driver's state behind st->drv, its keys, the listing cache (a tree of
 * what one listing saw, shared by the handles opened below it) and the
 * handle table.
 *
 *   store_s3.c      open, close, the ops table, keys, the path calls
 *   store_s3tree.c  listings into trees, handles and the handle calls
 *   store_s3move.c  moves: rename, quarantine (move_out/_in)
 *   store_s3lock.c  the lock object and the clock probe
 *   store_s3pre.c   many directories' trees in a few ranged listings
 */
#ifndef DRYDOCK_STORE_S3_INT_H
#define DRYDOCK_STORE_S3_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <drydock/s3.h>

#include "store_int.h"

/* the largest file an O_RDONLY open reads (the rest goes by read_cb) */
#define S3D_READ_MAX ((size_t)64 << 20)

/*
 * An entry a listing saw.  A tree is never changed once built, so the
 * handles sharing it may read it from several threads.
 */
struct s3d_node {
	char *name; /* one component; "" for the tree's root */
	int64_t size;
	int64_t mtime; /* LastModified (s); a directory's: the newest below
	                  when its tree holds everything below it, else 0 */
	uint64_t ino; /* a hash of the ETag; of the path for a directory */
	unsigned char is_dir;
	unsigned char loaded; /* its children are all known */
	unsigned char has_md5; /* a file whose ETag is the MD5 of its bytes */
	/*
	 * a directory in a prefetched tree: a hash of every name, size,
	 * time and ETag below it, given as its mtime's nanoseconds, so that
	 * two snapshots of an unchanged directory stat the same and any
	 * change shows (LastModified has whole seconds: the time alone would
	 * hide a key written in the same second as the newest); else 0
	 */
	uint32_t fp;
	/*
	 * has_md5: the ETag as bytes.  A plain PUT's ETag is the MD5 of the
	 * object (not a multipart upload's, "hex-N", nor one encrypted with
	 * SSE-KMS or SSE-C, which are no MD5 and so match nothing): with it
	 * a link file's content can be known without a GET (link.c)
	 */
	unsigned char md5[16];
	struct s3d_node *kids; /* sorted by name */
	size_t nkids, cap;
};

/* One listing's entries: a delimited listing or a prefetch. */
struct s3d_tree {
	unsigned refs; /* handles holding it (under the driver's mutex) */
	int full; /* a prefetch: everything below its root is known */
	struct s3d_node root;
};

/* An open handle: a directory (a prefix) or an object. */
struct s3d_handle {
	char *rel; /* relative to $V2; "" for $V2 itself */
	struct stat sb;
	struct s3d_tree *tree; /* a listing that saw this entry, or NULL */
	const struct s3d_node *node; /* this entry in tree */
	size_t pos; /* a directory's next entry for getdents */
	char *data; /* an object opened O_RDONLY: its bytes */
	size_t len, off;
	int is_path; /* O_PATH: stat only */
};

struct s3d {
	struct drydock_s3 *s3;
	char *bucket;
	char *endpoint; /* the regionendpoint as configured, or "" (AWS) */
	char *v2; /* "<root>/docker/registry/v2/" ("docker/..." at the top) */
	char *base; /* "<root>/docker/registry/" */
	int empty; /* opened empty: nothing under v2 (ALLOW_EMPTY) */
	int locked; /* we created the lock object */
	char lock_token[40]; /* what our lock object holds, to know it */
	int host_lock_fd; /* flock()ed while we hold the lock, else -1 */
	pthread_mutex_t mu; /* the table, and the trees' refs */
	pthread_mutex_t up_mu; /* uploads */
	struct s3d_uploads *uploads; /* all below repositories/, or NULL */
	struct s3d_pre *pre; /* trees of prefetch_many, until opened */
	size_t npre;
	struct s3d_handle **h; /* handle DRYDOCK_DRIVER_HANDLE_BASE + i */
	size_t nh;
	size_t *free; /* free slots, a stack */
	size_t nfree;
};

static inline struct s3d *
s3d_of(const struct drydock_store *st)
{
	return (struct s3d *)st->drv;
}

/* --- store_s3.c ----------------------------------------------------------- */

/*
 * The key of rel below $V2 (rel "" gives $V2 itself), with suffix
 * appended ("/" for a directory's prefix, or "").  A new string, or NULL
 * with the message set (out of memory).
 */
char *drydock_s3d__key(
    const struct s3d *d, const char *rel, const char *suffix);

/* "rel/name", or name when rel is "" (new, or NULL: out of memory). */
char *drydock_s3d__join(const char *rel, const char *name);

/* An error of lib/s3 as -errno for the handle calls. */
int drydock_s3d__errno(int error);

/* Out of memory: the message; DRYDOCK_ERROR. */
int drydock_s3d__oom(void);

/* Keys with their sizes. */
struct s3d_keys {
	char **v;
	int64_t *size;
	size_t n, cap;
	int is_dir; /* keys_of: they are below rel/ */
};

/* Append a copy of key.  0 or DRYDOCK_ERROR (out of memory). */
int drydock_s3d__keys_add(struct s3d_keys *k, const char *key, int64_t size);
void drydock_s3d__keys_release(struct s3d_keys *k);

/*
 * The keys of rel: every key below rel/ (a directory: its listing, paged),
 * or else the object rel itself (a HEAD).  k->n 0: nothing there.
 * @return 0 or an error (message set)
 */
int drydock_s3d__keys_of(struct s3d_keys *k, struct s3d *d, const char *rel);

/* As keys_of; none is DRYDOCK_ENOTFOUND: "cannot WHAT 'rel': ...". */
int drydock_s3d__keys_present(
    struct s3d_keys *k, struct s3d *d, const char *rel, const char *what);

/* List the keys below rel/ (paged) to cb: drydock_s3_foreach(). */
int drydock_s3d__list(struct s3d *d, const char *rel, const char *delimiter,
    drydock_s3_entry_cb cb, void *payload);

/* Remove the keys (DeleteObjects, in batches).  0 or an error. */
int drydock_s3d__remove(struct s3d *d, const struct s3d_keys *k);

/* --- store_s3tree.c ------------------------------------------------------- */

int drydock_s3d__open(struct drydock_store *st, int dir, const char *rel,
    int flags, struct stat *sb);
int drydock_s3d__statat(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb);
int drydock_s3d__open_prefetch(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb);
int drydock_s3d__content_md5(struct drydock_store *st, int dir, const char *rel,
    unsigned char md5[16], struct stat *sb);
int drydock_s3d__fstat(struct drydock_store *st, int h, struct stat *sb);
ssize_t drydock_s3d__getdents(
    struct drydock_store *st, int dir, void *buf, size_t len);
int drydock_s3d__rewind(struct drydock_store *st, int dir);
ssize_t drydock_s3d__read(
    struct drydock_store *st, int h, void *buf, size_t len);
void drydock_s3d__close_h(struct drydock_store *st, int h);
int drydock_s3d__prefetch(struct drydock_store *st, int dir, unsigned flags);

/*
 * A full tree built from another listing's keys (store_s3pre.c): new
 * (NULL: out of memory, message set), each key of rel's subtree in the
 * bucket's order, then end (the uploads it covers, then finished).
 */
struct s3d_tree *drydock_s3d__tree_new(const char *rel);
int drydock_s3d__tree_key(struct s3d_tree *t, const struct s3d *d,
    const char *rel, const char *key, const struct drydock_s3_stat *s3st);
int drydock_s3d__tree_end(struct s3d_tree *t, struct s3d *d, const char *rel);
void drydock_s3d__tree_free(struct s3d_tree *t);

/* Release every handle still open (close). */
void drydock_s3d__handles_free(struct s3d *d);

/*
 * What is at rel, by one listing (prefix rel, delimiter "/"): 0 with *sb
 * (a directory when keys are below rel/, else the object rel), -ENOENT,
 * or -errno.
 */
int drydock_s3d__probe(struct s3d *d, const char *rel, struct stat *sb);

/* --- store_s3upload.c ----------------------------------------------------- */

/* An incomplete multipart upload of an upload's file, as a file. */
struct s3d_upload {
	char *key; /* the whole key */
	char *id; /* the UploadId */
	const char *name; /* in key: the path below the listed directory */
	int64_t size; /* the bytes of its parts */
	int64_t mtime; /* Initiated (s) */
};

struct s3d_uploads {
	struct s3d_upload *v;
	size_t n, cap;
};

/* Can a listing of rel (full: everything below) show an upload's file? */
int drydock_s3d__uploads_cover(const char *rel, int full);

/*
 * The incomplete multipart uploads of upload files below rel, when a
 * listing of rel covers an upload directory (else none, no request): one
 * ListMultipartUploads, one ListParts each.  0 or an error (message set).
 */
int drydock_s3d__uploads_list(
    struct s3d_uploads *u, struct s3d *d, const char *rel, int full);
void drydock_s3d__uploads_release(struct s3d_uploads *u);
/* Free d->uploads (at close). */
void drydock_s3d__uploads_free(struct s3d *d);

/*
 * Abort the incomplete multipart uploads of upload files below rel
 * (remove_tree); *n_out counts them.  0 or the first error.
 */
int drydock_s3d__uploads_abort(struct s3d *d, const char *rel, size_t *n_out);

/* --- store_s3move.c ------------------------------------------------------- */

int drydock_s3d__rename(
    struct drydock_store *st, const char *rel, const char *newname);
int drydock_s3d__move_out(struct drydock_store *st, const char *rel,
    int dst_dirfd, const char *dst_name);
int drydock_s3d__move_in(struct drydock_store *st, int src_dirfd,
    const char *src_name, const char *rel);

/* --- store_s3pre.c -------------------------------------------------------- */

/* A tree prefetch_many listed, kept for the next open of rel. */
struct s3d_pre {
	char *rel;
	struct s3d_tree *t;
};

int drydock_s3d__prefetch_many(
    struct drydock_store *st, const char *const *rels, size_t n);

/*
 * The tree prefetch_many kept for rel, taken out of the cache (the
 * caller's reference), or NULL.
 */
struct s3d_tree *drydock_s3d__pre_take(struct s3d *d, const char *rel);

/* Drop every kept tree (close, and each prefetch_many). */
void drydock_s3d__pre_free(struct s3d *d);

/* --- store_s3lock.c ------------------------------------------------------- */

int drydock_s3d__lock(struct drydock_store *st);
/* Delete our lock object, if we hold it (close). */
void drydock_s3d__unlock(struct s3d *d);
int drydock_s3d__clock_skew(struct drydock_store *st, int64_t *skew_ns);

/* --- store_s3range.c ------------------------------------------------------ */

/*
 * Look for n paths below $V2 in one listing of the range from the first
 * to the last, in the bucket's order: files (trees 0: rels name objects)
 * or trees (every key below rels[i]/).  cb(i, key, stat, payload) for
 * each key seen of path i (a file: its key, or keys below it when it is a
 * directory), one call at a time.  decided[i] (n bytes) is set for each
 * path the listing went past: what cb did not see of it is not there.
 * The others (too few paths to be worth it, or the range held too many
 * other keys, or paths twice or one the start of another) are the
 * caller's to ask for.
 * @return 0 or an error code (message set)
 */
/*
 * The stat of a key a listing showed (is_dir: keys below it were shown),
 * as the tree's entries stat.
 */
void drydock_s3d__stat_listed(struct stat *sb, const char *key,
    const struct drydock_s3_stat *s3st, int is_dir);

/* stat_many: drydock_s3d__range, then a probe for each one it left. */
int drydock_s3d__stat_many(struct drydock_store *st, const char *const *rels,
    size_t n, struct stat *sbs, int *errs);

int drydock_s3d__range(struct s3d *d, const char *const *rels, size_t n,
    int trees, unsigned char *decided,
    void (*cb)(size_t i, const char *key, const struct drydock_s3_stat *st,
        void *payload),
    void *payload);

#endif
