/* SPDX-License-Identifier: MIT */
/*
 * store_int.h --- private parts of the store shared by store.c, link.c and
 * walk.c: the handle itself and the confined open primitives.
 */
#ifndef DRYDOCK_STORE_INT_H
#define DRYDOCK_STORE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <drydock/digest.h>
#include <drydock/store.h>

#include "driver_int.h"

struct drydock_digest;

#define DRYDOCK_STORE_MAGIC 0x64727964u /* "dryd" */
#define DRYDOCK_STORE_DEAD 0xdeadd0c5u

struct drydock_store {
	unsigned magic; /* DRYDOCK_STORE_MAGIC while open */
	unsigned flags; /* enum drydock_store_open_flags */
	const struct drydock_driver_ops *ops; /* the driver (driver_int.h) */
	void *drv; /* the driver's own state (S3: store_s3.c's) */
	char *root; /* as given; "s3://BUCKET/ROOTDIRECTORY" on S3 */
	int rootfd; /* the root directory, flock()ed by _lock; -1 on S3 */
	int v2fd; /* $V2; -1 on S3 */
	int locked; /* 1 once _lock succeeded */
	int empty; /* opened with nothing below $V2 (ALLOW_EMPTY) */
	atomic_int feeders; /* store_pipe.c threads still streaming */
	struct drydock_store__pipe *pipes; /* their results (store_pipe.c) */
	drydock_problem_cb problem_cb;
	void *problem_payload;
};

/*
 * Check a handle on entry (cheap, like archive_check_magic).  0 or
 * DRYDOCK_ERROR with a message naming fn.
 */
int drydock_store__check(const struct drydock_store *st, const char *fn);

/* As _check, and the store must be writable. */
int drydock_store__check_writable(
    const struct drydock_store *st, const char *fn);

/*
 * The confined open, without error messages: relpath (already checked with
 * drydock_store_path_check) beneath dirfd (-1: $V2), no symlink followed
 * anywhere.  O_NOFOLLOW and O_CLOEXEC are added.  When sb is not NULL the
 * new handle is fstat'ed into it.  An O_PATH open that lands on a symlink
 * is refused as well.  On a driver without fds (S3) only reading opens
 * work (-EROFS otherwise) and mode is unused.
 *
 * @return a handle, or -errno: -ELOOP for a symlink met, -ENOENT,
 * -ENOTDIR...
 */
int drydock_store__open_raw(struct drydock_store *st, int dirfd,
    const char *relpath, int flags, mode_t mode, struct stat *sb);

/* The filesystem driver's confined open (store_fs.c), as _open_raw. */
int drydock_store__fs_open(struct drydock_store *st, int dirfd,
    const char *relpath, int flags, mode_t mode, struct stat *sb);

/* drydock_store_mkdir_open() and _prune_empty() on a filesystem. */
int drydock_store__fs_mkdir_open(struct drydock_store *st, const char *relpath);
int drydock_store__fs_prune_empty(
    struct drydock_store *st, const char *relpath);

/*
 * read(2), fstat(2) and fstatat(AT_SYMLINK_NOFOLLOW) of store handles
 * through the driver, with -1 and errno as the system calls (st NULL:
 * the system call on an fd).
 */
ssize_t drydock_store__read(
    struct drydock_store *st, int h, void *buf, size_t len);
int drydock_store__fstat(struct drydock_store *st, int h, struct stat *sb);
int drydock_store__statat(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb);

/*
 * A blob's bytes as a pipe's read end, streamed by a thread (drivers
 * without fds: drydock_store_blob_open()); sb_out (may be NULL) gets the
 * object's stat, taken before the stream starts.  @return an fd or an
 * error code with the message set.
 */
int drydock_store__pipe_open(
    struct drydock_store *st, const char *relpath, struct stat *sb_out);

/*
 * Close a read end from _pipe_open: 0, or the error its stream ended
 * with (message set) when the reader had met the end.
 */
int drydock_store__pipe_close(struct drydock_store *st, int fd);

/* Free the streams' records (at close, once no feeder runs). */
void drydock_store__pipes_free(struct drydock_store *st);

/* "'x' is not a regular file but a directory": DRYDOCK_EUNSAFE. */
int drydock_store__not_regular(const char *relpath, const struct stat *sb);

/*
 * After -ELOOP from _open_raw: find which component of relpath is the
 * symlink (without following anything) and write its path (relpath's
 * prefix) into buf.  Falls back to relpath itself.
 */
void drydock_store__which_symlink(struct drydock_store *st, int dirfd,
    const char *relpath, char *buf, size_t bufsz);

/*
 * Turn a -errno from _open_raw into a drydock code with a message naming
 * relpath ("'x' is a symlink", "cannot open 'x': ...").
 */
int drydock_store__open_error(
    struct drydock_store *st, int dirfd, const char *relpath, int neg_errno);

/* Use the component-by-component fallback even where openat2 works. */
void drydock_store__force_fallback(int on);

/*
 * What link file rel beneath dir holds, when the driver vouches for it
 * without a read (link_etag.c): 1 with *out and *sb (its stat), else 0
 * (then read it).
 */
int drydock_store__link_known(struct drydock_digest *out, struct stat *sb,
    struct drydock_store *st, int dir, const char *rel);

/*
 * Read and parse a link file from fd (opened, known to be regular): at most
 * DRYDOCK_LINK_MAX plus a little is read.  size is st_size from the fstat
 * just done (saves a read), or -1.  0, DRYDOCK_ECORRUPT,
 * DRYDOCK_EUNSUPPORTED or DRYDOCK_ERROR, with a message without the path.
 */
int drydock_store__read_link_fd(
    struct drydock_digest *out, struct drydock_store *st, int fd, int64_t size);

/*
 * Read at most max bytes of fd (NUL-terminated); -EFBIG when larger.  hint
 * is the st_size of a regular file just fstat'ed: a short read that ends
 * there is its end (saves the read that returns 0, one in five syscalls
 * of gc's manifest reading).
 */
int drydock_store__read_fd(char **buf_out, size_t *len_out,
    struct drydock_store *st, int fd, size_t hint, size_t max);

/* st_mtim as nanoseconds. */
int64_t drydock_store__mtime_ns(const struct stat *sb);

#endif
