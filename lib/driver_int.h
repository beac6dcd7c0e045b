/* SPDX-License-Identifier: MIT */
/*
 * driver_int.h --- the storage driver interface below struct drydock_store.
 *
 * Everything that knows the distribution layout (store.c's blob paths,
 * walk.c, link.c, regwrite.c, prune.c) is written once, against this
 * interface; the drivers know keys and bytes only.  Two drivers exist:
 *
 *   store_fs.c  a confined filesystem root: handles are file descriptors
 *               and every call is the system call it names, on a path
 *               opened beneath $V2 with no symlink followed;
 *   store_s3.c  a bucket: handles name prefixes ("directories") and
 *               objects; a directory is what a listing with delimiter
 *               "/" shows below its prefix.
 *
 * The interface is the POSIX one the walkers were written against, kept
 * where it costs nothing on a filesystem: a directory handle is listed
 * with getdents (linux_dirent64 records), entries are looked up with
 * statat, files are opened and read.  So the filesystem path stays the
 * system calls it was (gc's speed), and a walker's every problem report
 * (symlink, not a directory, gone meanwhile) means the same on both.
 * What a bucket cannot do in that shape it does in bulk: prefetch lists
 * a whole subtree in one paged listing, remove_tree deletes in batches.
 *
 * Handles: on the filesystem a handle is an fd; on S3 a number from
 * DRYDOCK_DRIVER_HANDLE_BASE up, so an S3 handle given to close(2) or
 * read(2) by mistake fails with EBADF instead of touching another fd.
 * -1 as a directory handle means $V2, and so does rel "." beneath it.  Every
 * handle is released with ops->close_h (drydock_store_handle_close() for
 * callers of the public API).  Handles may be used from several threads, one
 * thread per handle at a time; different handles concurrently.
 *
 * Errors: the handle calls (open, statat, fstat, getdents, read) return
 * -errno and set no message, as the system calls do, so walkers decide
 * what is a problem and what is a race; the path calls (unlink ...) return
 * a drydock error code with the message set.
 *
 * A struct stat from a driver holds st_mode (S_IFDIR, S_IFREG, or on a
 * filesystem whatever lstat says), st_size, st_mtim and st_ino.  On S3 a
 * directory's mtime is 0 (a prefix has none) unless prefetch saw the
 * newest LastModified below it, and st_ino is a hash of the object's
 * ETag, so keys made of (size, mtime, inode), as fsck --state's, follow
 * ETag, size and LastModified there.
 */
#ifndef DRYDOCK_DRIVER_INT_H
#define DRYDOCK_DRIVER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <drydock/store.h>

/* S3 handles start here: far above any fd a process is given. */
#define DRYDOCK_DRIVER_HANDLE_BASE (1 << 24)

enum drydock_driver_caps {
	/* handles are file descriptors (fchown, fsync, reflink... work) */
	DRYDOCK_DRIVER_FDS = 1 << 0,
	/* directories exist on their own (an empty one stays) */
	DRYDOCK_DRIVER_DIRS = 1 << 1,
	/* rename is atomic (a crash leaves one name or the other) */
	DRYDOCK_DRIVER_ATOMIC_RENAME = 1 << 2,
	/* symlinks can exist below the root (and are refused) */
	DRYDOCK_DRIVER_SYMLINKS = 1 << 3,
	/*
	 * a prefetched listing carries every object's size and mtime: a
	 * statat below a prefetched handle costs no request, so a walk may
	 * fill in what it was not asked for (DRYDOCK_WALK_LAZY)
	 */
	DRYDOCK_DRIVER_LISTS_STATS = 1 << 4
};

/* prefetch's flags */
#define DRYDOCK_DRIVER_PREFETCH_WIDE 1u

/* What getdents fills its buffer with: struct linux_dirent64's layout. */
struct drydock_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type; /* DT_DIR, DT_REG, DT_LNK, ... */
	char d_name[];
};

struct drydock_driver_ops {
	const char *name; /* "filesystem", "s3": in messages and reports */
	unsigned caps; /* enum drydock_driver_caps */

	/* Release the driver's state (st->drv); the store frees the rest. */
	void (*close)(struct drydock_store *st);

	/*
	 * Keep two drydock runs off one store (drydock_store_lock()): 0 or
	 * DRYDOCK_ELOCKED (message set).  Released by close.
	 */
	int (*lock)(struct drydock_store *st);

	/* --- handles (-errno, no message) -------------------------------- */

	/*
	 * Open rel (checked with drydock_store_path_check(); several
	 * components allowed) beneath dir (-1: $V2) without following any
	 * symlink.  flags: O_RDONLY, optionally O_DIRECTORY (-ENOTDIR when
	 * it is not one), or O_PATH (a handle to stat only: on S3 no
	 * request when a listing already saw it); O_NONBLOCK and O_NOCTTY
	 * may be given and mean nothing on S3.  sb, when not NULL, receives
	 * its stat.  -ENOENT, -ELOOP (a symlink met), -ENOTDIR, -EIO...
	 * On S3, opening a file O_RDONLY reads it whole (a GET): meant for
	 * link files, manifests and other small files; big content goes
	 * through read_cb.
	 */
	int (*open)(struct drydock_store *st, int dir, const char *rel,
	    int flags, struct stat *sb);

	/* lstat of rel beneath dir: 0 or -errno. */
	int (*statat)(struct drydock_store *st, int dir, const char *rel,
	    struct stat *sb);

	/*
	 * The MD5 of file rel beneath dir, and its stat, when the driver
	 * knows them without a request (S3: a listing's ETag of a plain
	 * PUT): 0, -ENODATA when not known so, -ENOENT or another -errno.
	 * NULL in a driver that never knows (the filesystem: reading is as
	 * cheap).
	 */
	int (*content_md5)(struct drydock_store *st, int dir, const char *rel,
	    unsigned char md5[16], struct stat *sb);

	/*
	 * lstat of n paths below $V2 at once: sbs[i] and errs[i] (0 or
	 * -errno) for each.  0, or an error code for the whole (message
	 * set).  NULL: statat each.  S3 looks for most in one listing.
	 */
	int (*stat_many)(struct drydock_store *st, const char *const *rels,
	    size_t n, struct stat *sbs, int *errs);

	/* fstat of a handle: 0 or -errno. */
	int (*fstat)(struct drydock_store *st, int h, struct stat *sb);

	/*
	 * Entries of a directory handle, as getdents64(2): records in buf,
	 * bytes filled, 0 at the end, -errno.  "." and ".." may or may not
	 * be there.  d_type is always known on S3 (DT_DIR for a common
	 * prefix, DT_REG for an object).
	 */
	ssize_t (*getdents)(
	    struct drydock_store *st, int dir, void *buf, size_t len);

	/* Back to the first entry of a directory handle (lseek(fd, 0)). */
	int (*rewind)(struct drydock_store *st, int dir);

	/* read(2) from a file handle's current offset. */
	ssize_t (*read)(struct drydock_store *st, int h, void *buf, size_t len);

	/* Release a handle. */
	void (*close_h)(struct drydock_store *st, int h);

	/*
	 * A hint: the caller will visit most of the directory handle's
	 * subtree.  S3 lists it whole in one paged listing (no delimiter)
	 * and answers getdents, statat and O_PATH opens below it from that;
	 * the filesystem does nothing.  0 or -errno.  flags:
	 * DRYDOCK_DRIVER_PREFETCH_WIDE says the directory has many
	 * subdirectories (blobs/sha256/: 256), so S3 lists each of them at
	 * once, several in flight, instead of one listing page after page.
	 */
	int (*prefetch)(struct drydock_store *st, int dir, unsigned flags);

	/*
	 * open(rel, O_DIRECTORY) beneath dir, then prefetch it: a handle or
	 * -errno.  S3 does both in one listing.  NULL: open, then prefetch.
	 */
	int (*open_prefetch)(struct drydock_store *st, int dir, const char *rel,
	    struct stat *sb);

	/*
	 * A hint: open_prefetch of each of rels (below $V2) comes next, once
	 * each.  S3 lists them now, neighbours in the bucket's order together
	 * (a few ranged listings in parallel instead of a listing each), and
	 * each open takes its snapshot: as old as the call, as a handle's is
	 * as old as its open.  The next call, and close, drop what no open
	 * took.  Always 0 (what it could not list, the open lists).  NULL:
	 * nothing to do (a filesystem).
	 */
	int (*prefetch_many)(
	    struct drydock_store *st, const char *const *rels, size_t n);

	/*
	 * Stream a file's bytes to cb (chunks of any size; a non-zero
	 * return from cb stops and is returned), from offset off, len bytes
	 * or to the end when len is -1.  size_out, when not NULL, gets the
	 * file's size.  Drydock error codes, message set.
	 */
	int (*read_cb)(struct drydock_store *st, const char *rel, int64_t off,
	    int64_t len, int (*cb)(const void *buf, size_t len, void *payload),
	    void *payload, int64_t *size_out);

	/* --- paths relative to $V2 (drydock codes, message set) -------- */

	int (*unlink)(struct drydock_store *st, const char *rel);
	/*
	 * Remove n files (drydock_store_unlink_many()); done(i, code,
	 * payload) is called once for each, from any thread but one call at
	 * a time.  S3: DeleteObjects, 1,000 keys a request, requests in
	 * parallel.
	 */
	int (*unlink_many)(struct drydock_store *st, const char *const *rels,
	    size_t n, unsigned flags, void (*done)(size_t i, int code, void *),
	    void *payload);
	int (*rmdir)(struct drydock_store *st, const char *rel);
	/*
	 * rel to newrel, never replacing (DRYDOCK_EEXISTS); newrel's parents
	 * made.  A filesystem renames atomically; S3 copies every key, then
	 * removes the originals, the first in key order last.
	 */
	int (*rename)(
	    struct drydock_store *st, const char *rel, const char *newrel);
	int (*remove_tree)(struct drydock_store *st, const char *rel);
	/*
	 * remove_tree of n paths (drydock_store_remove_trees()); done(i,
	 * code, payload) once for each, one call at a time.  S3: the
	 * listings in parallel, the keys of all in DeleteObjects batches.
	 */
	int (*remove_trees)(struct drydock_store *st, const char *const *rels,
	    size_t n, void (*done)(size_t i, int code, void *), void *payload);
	int (*prune_parents)(
	    struct drydock_store *st, const char *rel, const char *stop);
	int (*prune_empty)(struct drydock_store *st, const char *rel);
	int (*write_file)(struct drydock_store *st, const char *rel,
	    const void *buf, size_t len, unsigned flags);
	/*
	 * Write rel from fd (read from its current offset to EOF, size
	 * bytes when known, else -1), atomically where the store allows.
	 */
	int (*write_fd)(
	    struct drydock_store *st, const char *rel, int fd, int64_t size);
	int (*move_out)(struct drydock_store *st, const char *rel,
	    int dst_dirfd, const char *dst_name);
	int (*move_in)(struct drydock_store *st, int src_dirfd,
	    const char *src_name, const char *rel);
	int (*sync)(struct drydock_store *st);

	/*
	 * How far the storage's clock is ahead of ours (see
	 * drydock_clock_storage_skew()).
	 */
	int (*clock_skew)(struct drydock_store *st, int64_t *skew_ns);

	/* Requests sent to the storage so far (0: a filesystem sends none). */
	uint64_t (*requests)(const struct drydock_store *st);
};

/* The drivers. */
extern const struct drydock_driver_ops drydock_driver_fs;
extern const struct drydock_driver_ops drydock_driver_s3;

#endif
