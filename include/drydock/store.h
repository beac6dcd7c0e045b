/* SPDX-License-Identifier: MIT */
/*
 * store.h --- a distribution storage root, opened and confined.
 *
 * Every path a store function takes is relative to $V2 =
 * <rootdirectory>/docker/registry/v2, made of plain components (no "",
 * ".", ".." and no leading '/').  Each component is opened with O_NOFOLLOW
 * beneath the previous one (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS
 * where the kernel has it), so nothing below the root is ever followed out
 * of it: a symlink anywhere below $V2 yields DRYDOCK_EUNSAFE.
 *
 * What the store functions create is the registry's: a new file or
 * directory takes the owner and group of the directory it is created in
 * (when we are root; another user sets the group where it may) and its
 * mode, a file without the x bits (a world-writable parent gives 0755 and
 * 0644).  The registry makes its own with 0777 and 0666 less its umask,
 * which the directories it made carry.  A file is given its owner before
 * it is renamed into place, and a directory that root must give away is
 * made with its owner's filesystem ids (setfsuid), so the registry never
 * meets an entry of root's.
 *
 * A store is held by one of two drivers, and its callers need not know
 * which: a filesystem root (drydock_store_open()) or an S3 bucket
 * (drydock_store_open_s3(); drydock_store_open_config() picks by the
 * registry's config).  On a bucket the same paths are keys below
 * <rootdirectory>/docker/registry/v2/, a directory is a common prefix,
 * and a "handle" (the int a function below calls dirfd, fd or handle) is
 * a number of the store's own: release every handle a store function
 * gives with drydock_store_handle_close(), never close(2).  The
 * functions that hand out a real file descriptor (drydock_store_openat,
 * _blob_open, _mkdir_open, _v2fd) say what they do on S3.
 */
#ifndef DRYDOCK_STORE_H
#define DRYDOCK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_digest;
struct drydock_regconfig;
struct drydock_regconfig_s3;
struct drydock_s3;
struct drydock_store;
struct stat;

/*
 * Something odd met while walking or reading: reported, then skipped.
 * path is relative to $V2 (borrowed), code a negative drydock error code,
 * message a sentence without full stop (borrowed).
 */
typedef void (*drydock_problem_cb)(
    const char *path, int code, const char *message, void *payload);

enum drydock_store_open_flags {
	/* open read-only: every mutating call fails with DRYDOCK_ERROR */
	DRYDOCK_STORE_RDONLY = 1 << 0,
	/*
	 * create rootdirectory and docker/registry/v2 below it when missing
	 * (0777 less umask, as the registry; each directory takes its
	 * parent's owner and group); an import into an empty root
	 */
	DRYDOCK_STORE_CREATE = 1 << 1,
	/*
	 * a root directory without docker/registry/v2 (a registry before its
	 * first push) opens as an empty store: nothing is created, every path
	 * below $V2 is missing (DRYDOCK_ENOTFOUND), writes fail, and
	 * drydock_store_is_empty() says so
	 */
	DRYDOCK_STORE_ALLOW_EMPTY = 1 << 2
};

enum drydock_store_write_flags {
	/*
	 * no fsync of the file, its directory or the directories created
	 * for it: the caller makes a batch durable with drydock_store_sync()
	 */
	DRYDOCK_STORE_WRITE_NOSYNC = 1 << 0
};

/*
 * Open the storage below rootdirectory (the registry's
 * storage.filesystem.rootdirectory).  The root path itself may contain
 * symlinks (an operator's choice); nothing below it is followed.
 *
 * @param out receives a new store; release with drydock_store_close()
 * @return 0; DRYDOCK_ENOTFOUND when the root or (without
 * DRYDOCK_STORE_ALLOW_EMPTY) <root>/docker/registry/v2 is missing;
 * DRYDOCK_EUNSAFE when a component of docker/registry/v2 is a symlink;
 * DRYDOCK_ERROR otherwise.
 */
DRYDOCK_EXTERN int drydock_store_open(
    struct drydock_store **out, const char *rootdirectory, unsigned flags);

/*
 * Open the registry storage in an S3 bucket, as the registry's s3 driver
 * configured with cfg reads it: keys below
 * <cfg->rootdirectory>/docker/registry/v2/.  The bucket is checked (one
 * listing); a bucket without that prefix opens empty with
 * DRYDOCK_STORE_ALLOW_EMPTY, else DRYDOCK_ENOTFOUND.
 *
 * @param jobs requests in flight in the calls that work in parallel, and
 * connections kept open (0: 4)
 * @return 0; DRYDOCK_ENOTFOUND; DRYDOCK_EAUTH (credentials refused);
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_store_open_s3(struct drydock_store **out,
    const struct drydock_regconfig_s3 *cfg, unsigned flags, unsigned jobs);

/*
 * Open the storage a registry config names: its filesystem rootdirectory
 * or its s3 bucket (jobs as for drydock_store_open_s3()).
 */
DRYDOCK_EXTERN int drydock_store_open_config(struct drydock_store **out,
    const struct drydock_regconfig *cfg, unsigned flags, unsigned jobs);

/* The driver that holds st: "filesystem" or "s3" (static). */
DRYDOCK_EXTERN const char *drydock_store_driver(const struct drydock_store *st);

/*
 * 1 when the store's handles are file descriptors (a filesystem: what
 * needs a directory fd, a temporary file or a link works), 0 when it is
 * an object store (S3: write files and blobs with
 * drydock_store_write_file() and drydock_store_write_fd()).
 */
DRYDOCK_EXTERN int drydock_store_has_fds(const struct drydock_store *st);

/*
 * Whether drydock_store_rename() (and _rename_sibling()) is atomic on
 * this store: 1 on a filesystem (rename(2)); 0 on S3, where it copies,
 * then deletes.
 */
DRYDOCK_EXTERN int drydock_store_has_atomic_rename(
    const struct drydock_store *st);

/*
 * The S3 client of a store on S3 (borrowed), for what only a bucket has:
 * incomplete multipart uploads.  NULL on a filesystem.
 */
DRYDOCK_EXTERN struct drydock_s3 *drydock_store_s3(
    const struct drydock_store *st);

/*
 * The bucket key of relpath (relative to $V2) on S3, written into buf:
 * "<rootdirectory>/docker/registry/v2/<relpath>".  DRYDOCK_ERROR on a
 * filesystem or when it does not fit.
 */
DRYDOCK_EXTERN int drydock_store_s3_key(char *buf, size_t bufsz,
    const struct drydock_store *st, const char *relpath);

/*
 * Requests the store has sent to its storage since it was opened: what a
 * run costs on S3 (listings, GETs, HEADs, PUTs, DeleteObjects: each
 * retry counts).  0 on a filesystem.
 */
DRYDOCK_EXTERN uint64_t drydock_store_requests(const struct drydock_store *st);

/*
 * Release a handle a store or walk function gave (a directory of
 * drydock_repo_info, drydock_store_openat()'s): close(2) on a
 * filesystem.  A negative handle does nothing.
 */
DRYDOCK_EXTERN void drydock_store_handle_close(struct drydock_store *st, int h);

/*
 * fstat a handle: size, mtime (ns) and whether it is a directory; each
 * may be NULL.  0 or DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_store_handle_stat(struct drydock_store *st, int h,
    uint64_t *size_out, int64_t *mtime_ns_out, int *is_dir_out);

/*
 * Stream relpath's bytes to cb in chunks (a non-zero return stops and is
 * returned).  size_out, when not NULL, gets the file's size first known.
 * @return 0, cb's value, DRYDOCK_ENOTFOUND, DRYDOCK_EUNSAFE, DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_store_read_cb(struct drydock_store *st,
    const char *relpath, int (*cb)(const void *buf, size_t len, void *payload),
    void *payload, int64_t *size_out);

/*
 * The names in the directory relpath ("" is $V2) with their types (DT_DIR,
 * DT_REG, DT_LNK, ...), one call each; a non-zero return stops and is
 * returned.  DRYDOCK_ENOTFOUND when it is missing.
 */
DRYDOCK_EXTERN int drydock_store_dir_foreach(struct drydock_store *st,
    const char *relpath, int (*cb)(const char *name, int type, void *payload),
    void *payload);

/* drydock_store_dir_foreach() of relpath beneath directory handle dirfd. */
DRYDOCK_EXTERN int drydock_store_dir_foreach_at(struct drydock_store *st,
    int dirfd, const char *relpath,
    int (*cb)(const char *name, int type, void *payload), void *payload);

/*
 * How far the storage's clock is ahead of this host's (negative: behind):
 * a probe written and stat'ed (see drydock_clock_storage_skew()).
 */
DRYDOCK_EXTERN int drydock_store_clock_skew(
    struct drydock_store *st, int64_t *skew_ns_out);

/*
 * Write relpath from fd (from its offset to its end; size when known,
 * else -1) atomically: a temp file renamed on a filesystem, one PUT or a
 * multipart upload on S3.  Parent directories are created.
 */
DRYDOCK_EXTERN int drydock_store_write_fd(
    struct drydock_store *st, const char *relpath, int fd, int64_t size);

/* Close a store; NULL does nothing.  Releases the lock if held. */
DRYDOCK_EXTERN void drydock_store_close(struct drydock_store *st);

/* The root directory as given (borrowed). */
DRYDOCK_EXTERN const char *drydock_store_root(const struct drydock_store *st);

/*
 * File descriptor of $V2 (borrowed; valid while the store is open); -1 for
 * an empty store (DRYDOCK_STORE_ALLOW_EMPTY) and on S3.
 */
DRYDOCK_EXTERN int drydock_store_v2fd(const struct drydock_store *st);

/* 1 when the store was opened empty: its root has no docker/registry/v2. */
DRYDOCK_EXTERN int drydock_store_is_empty(const struct drydock_store *st);

/* Where walkers and readers send the anomalies they skip. */
DRYDOCK_EXTERN void drydock_store_set_problem_cb(
    struct drydock_store *st, drydock_problem_cb cb, void *payload);

/* Report a problem through the store's callback (used by walkers). */
DRYDOCK_EXTERN void drydock_store_problem(
    struct drydock_store *st, const char *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Take the advisory lock that keeps two drydock runs off one root: flock()
 * on the root directory itself, so no lock file is ever written.  A lock
 * held by someone else is tried again for two seconds (a monitoring probe
 * holds it for an instant) before giving up: the same for every tool.
 * On S3 the lock is an object, <rootdirectory>/docker/registry/drydock.lock
 * (beside v2/, where the registry never looks), created with a
 * conditional PUT (If-None-Match: *): the second run's PUT fails.  It
 * holds who took it and when, and is deleted by drydock_store_close().
 * @return 0 or DRYDOCK_ELOCKED.
 */
DRYDOCK_EXTERN int drydock_store_lock(struct drydock_store *st);

/* Validate a relative path: plain components only.  0 or DRYDOCK_EUNSAFE. */
DRYDOCK_EXTERN int drydock_store_path_check(const char *relpath);

/*
 * Open relpath (relative to dirfd, or to $V2 when dirfd is -1) confined:
 * no symlink, no '..'.  flags are open(2) flags; O_NOFOLLOW and O_CLOEXEC
 * are added.  On S3 only reading opens (O_RDONLY, O_DIRECTORY, O_PATH)
 * work and give a store handle; a write is DRYDOCK_EUNSUPPORTED.
 * @return a new fd (>= 0) or DRYDOCK_ENOTFOUND / DRYDOCK_EUNSAFE /
 * DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_store_openat(struct drydock_store *st, int dirfd,
    const char *relpath, int flags, mode_t mode);

/*
 * Read a whole regular file of at most max bytes into a new NUL-terminated
 * buffer (free() it).  A larger file is DRYDOCK_ECORRUPT.
 */
DRYDOCK_EXTERN int drydock_store_read_file(char **buf_out, size_t *len_out,
    struct drydock_store *st, int dirfd, const char *relpath, size_t max);

/*
 * lstat relpath confined.  size/mtime_ns may be NULL.  is_dir_out tells
 * a directory from a regular file; anything else is DRYDOCK_EUNSAFE.
 */
DRYDOCK_EXTERN int drydock_store_stat(struct drydock_store *st, int dirfd,
    const char *relpath, uint64_t *size_out, int64_t *mtime_ns_out,
    int *is_dir_out);

/*
 * drydock_store_stat() of n paths relative to $V2 at once, each a regular
 * file: codes[i] is 0 (sizes[i] and mtimes_ns[i] filled in, either array
 * may be NULL), DRYDOCK_ENOTFOUND, DRYDOCK_EUNSAFE (a directory, a
 * symlink or a special file) or DRYDOCK_ERROR; no message is kept for
 * each.  Why: a sweep looks at thousands of blobs just before removing
 * them, and on S3 most of them are seen in one listing instead of a
 * request each.  @return 0, or an error code for the whole
 */
DRYDOCK_EXTERN int drydock_store_stat_many(struct drydock_store *st,
    const char *const *relpaths, size_t n, uint64_t *sizes, int64_t *mtimes_ns,
    int *codes);

/*
 * drydock_store_stat() of a path whose directories the caller has listed
 * as directories (a walk saw each with d_type DT_DIR, not a symlink): on a
 * filesystem one fstatat(AT_SYMLINK_NOFOLLOW), which sees a symlink in the
 * last component only.  A symlink, a special file or an error other than
 * ENOENT is looked at again as drydock_store_stat() does, and reported so.
 * Why: gc probes tens of thousands of blobs and links it has just walked;
 * this is a third of the system calls.
 */
DRYDOCK_EXTERN int drydock_store_stat_listed(struct drydock_store *st,
    int dirfd, const char *relpath, uint64_t *size_out, int64_t *mtime_ns_out,
    int *is_dir_out);

/* Path of a blob's data, relative to $V2: blobs/<alg>/<hh>/<hex>/data. */
DRYDOCK_EXTERN int drydock_store_blob_path(
    char *buf, size_t bufsz, const struct drydock_digest *d);

/*
 * Open a blob's data read-only. @return fd or DRYDOCK_ENOTFOUND/...
 * On S3 the fd is the read end of a pipe a thread streams the object
 * into (no seek, no size: use drydock_store_blob_open_stat()).  Close it
 * with drydock_store_blob_close() to learn whether the stream was whole.
 */
DRYDOCK_EXTERN int drydock_store_blob_open(
    struct drydock_store *st, const struct drydock_digest *d);

/*
 * drydock_store_blob_open(), and in *sb_out the stat of what the fd
 * reads: on a filesystem fstat(2) of the fd; on S3 the object's, taken
 * before its GET: st_size, st_mtim = LastModified, st_ino = a hash of the
 * ETag (S_IFREG).  A blob rewritten in place gets another ETag, so keys
 * of (size, mtime, inode) change with it on both.
 */
DRYDOCK_EXTERN int drydock_store_blob_open_stat(struct drydock_store *st,
    const struct drydock_digest *d, struct stat *sb_out);

/*
 * Close an fd from drydock_store_blob_open(_stat).  On a filesystem
 * close(2), and 0.  On S3, where a thread streams the object into a
 * pipe, a stream that failed (a GET that could not be resumed, the
 * object gone meanwhile) ends the pipe as a short file would: a reader
 * that read to the end gets the stream's error here (message set), so it
 * never takes a failed read for short data.  A reader that closes before
 * the end stops the stream and gets 0.
 */
DRYDOCK_EXTERN int drydock_store_blob_close(struct drydock_store *st, int fd);

/* Read a blob of at most max bytes (manifests: 4 MiB, as the registry). */
DRYDOCK_EXTERN int drydock_store_blob_read(char **buf_out, size_t *len_out,
    struct drydock_store *st, const struct drydock_digest *d, size_t max);

/* stat a blob's data: 0, DRYDOCK_ENOTFOUND, DRYDOCK_EUNSAFE. */
DRYDOCK_EXTERN int drydock_store_blob_stat(struct drydock_store *st,
    const struct drydock_digest *d, uint64_t *size_out, int64_t *mtime_ns_out);

/* Remove one file (never a directory).  0 or DRYDOCK_ENOTFOUND/... */
DRYDOCK_EXTERN int drydock_store_unlink(
    struct drydock_store *st, const char *relpath);

enum drydock_store_unlink_flags {
	/*
	 * and each file's directory when that leaves it empty (a blob's
	 * <hex>/ after its data): no directory is left behind on a
	 * filesystem; on S3 there is none to remove
	 */
	DRYDOCK_STORE_UNLINK_DIR = 1 << 0
};

/*
 * Remove n files (never directories) in as few requests as the driver
 * can: on S3 up to 1,000 keys in one DeleteObjects, several in flight.
 * done, when not NULL, is called once per file with its index and 0,
 * DRYDOCK_ENOTFOUND (on a filesystem: S3 says nothing of a missing key)
 * or another error code, one call at a time.
 * @return 0 when every request was answered (then each file's own result
 * went to done); DRYDOCK_EAUTH, DRYDOCK_EINTR or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_store_unlink_many(struct drydock_store *st,
    const char *const *relpaths, size_t n, unsigned flags,
    void (*done)(size_t i, int code, void *payload), void *payload);

/* Remove an empty directory.  DRYDOCK_EEXISTS when it is not empty. */
DRYDOCK_EXTERN int drydock_store_rmdir(
    struct drydock_store *st, const char *relpath);

/*
 * Rename an entry within one directory: relpath becomes newname beside
 * it (a single component), never replacing anything.  Atomic: a crash
 * leaves one name or the other.  @return 0; DRYDOCK_ENOTFOUND;
 * DRYDOCK_EEXISTS when newname exists; DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_store_rename_sibling(
    struct drydock_store *st, const char *relpath, const char *newname);

/*
 * Move relpath (file or directory) to newrel anywhere in the store,
 * never replacing anything; newrel's missing parents are made.  On a
 * filesystem one rename(2), atomic.  On S3 every key is copied, then the
 * originals removed, the first in key order last: a kill leaves the
 * source listed (never a tag without its current/link) and copies
 * beside it.  @return 0; DRYDOCK_ENOTFOUND; DRYDOCK_EEXISTS; DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_store_rename(
    struct drydock_store *st, const char *relpath, const char *newrel);

/*
 * Remove a directory tree without following symlinks (a symlink inside is
 * unlinked itself, never followed).  Stays beneath the root.
 */
DRYDOCK_EXTERN int drydock_store_remove_tree(
    struct drydock_store *st, const char *relpath);

/*
 * drydock_store_remove_tree() of n paths in as few requests as the
 * driver can (S3: the listings in parallel, every key in DeleteObjects
 * batches).  done, when not NULL, is called once per path with its index
 * and 0, DRYDOCK_ENOTFOUND or another error code, one call at a time.
 * @return 0 when every path was tried; DRYDOCK_EAUTH, DRYDOCK_EINTR or
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_store_remove_trees(struct drydock_store *st,
    const char *const *relpaths, size_t n,
    void (*done)(size_t i, int code, void *payload), void *payload);

/*
 * Remove relpath's parent directories while they are empty, stopping at
 * stop (a prefix of relpath, not removed).  Non-empty is not an error.
 */
DRYDOCK_EXTERN int drydock_store_prune_parents(
    struct drydock_store *st, const char *relpath, const char *stop);

/*
 * Remove relpath and every directory below it, but only directories: the
 * tree is emptied bottom-up with rmdir(2), so a file anywhere (a push that
 * just arrived) stops it.  @return 0 when relpath is gone; DRYDOCK_EEXISTS
 * when something non-empty remained (what could go is gone);
 * DRYDOCK_ENOTFOUND when relpath did not exist.  (lib/prune.c)
 */
DRYDOCK_EXTERN int drydock_store_prune_empty(
    struct drydock_store *st, const char *relpath);

/*
 * Move relpath (file or directory) out of the store to dst_dirfd/dst_name
 * (rename(2); copies then removes across filesystems).  Used by quarantine.
 */
DRYDOCK_EXTERN int drydock_store_move_out(struct drydock_store *st,
    const char *relpath, int dst_dirfd, const char *dst_name);

/*
 * Move src_dirfd/src_name back into the store at relpath, creating parent
 * directories as the registry would (see above).  A rename keeps the
 * entry as it is; a copy across filesystems keeps modes and mtimes and
 * takes the owner and group of the directory it goes into.
 * DRYDOCK_EEXISTS when relpath exists.
 */
DRYDOCK_EXTERN int drydock_store_move_in(struct drydock_store *st,
    int src_dirfd, const char *src_name, const char *relpath);

/*
 * Write a file atomically: temp file beside it, fsync, rename, fsync dir.
 * Parent directories are created.
 */
DRYDOCK_EXTERN int drydock_store_write_file(
    struct drydock_store *st, const char *relpath, const void *buf, size_t len);

/*
 * As drydock_store_write_file(), with enum drydock_store_write_flags.
 * The rename is atomic either way; NOSYNC only drops the fsyncs.
 */
DRYDOCK_EXTERN int drydock_store_write_file_flags(struct drydock_store *st,
    const char *relpath, const void *buf, size_t len, unsigned flags);

/*
 * Open the directory relpath, creating it and its missing parents (as the
 * registry would, see above) confined, without following symlinks.  New
 * directories are not fsync'ed one by one: drydock_store_sync() makes them
 * durable.
 * @return a new fd (close it) or DRYDOCK_EUNSAFE / DRYDOCK_ERROR;
 * DRYDOCK_EUNSUPPORTED on S3, which has no directories to make.
 */
DRYDOCK_EXTERN int drydock_store_mkdir_open(
    struct drydock_store *st, const char *relpath);

/* Make everything written to the store's filesystem durable (syncfs); on
 * S3 a write is durable when it returns: nothing to do. */
DRYDOCK_EXTERN int drydock_store_sync(struct drydock_store *st);

#ifdef __cplusplus
}
#endif

#endif
