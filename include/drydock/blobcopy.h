/* SPDX-License-Identifier: MIT */
/*
 * blobcopy.h --- put a blob at a destination by hard link, reflink
 * (FICLONE) or copy, digest-verified, never leaving a partial file under
 * its final name.
 *
 * A copy reads the source once, hashes every byte on the way and writes a
 * temporary file beside the destination, renamed into place only when the
 * digest matches.  A hard link or a reflink shares the source's bytes, so
 * nothing is copied; its size is checked and, with DRYDOCK_BLOBCOPY_VERIFY,
 * its content hashed too.  A blob already present at the destination (a
 * regular file of the expected size) is left alone, so a rerun is cheap and
 * an interrupted run resumes.
 *
 * Sinks take bytes that arrive in pieces (an archive entry, a compressor's
 * output), hash them into a temporary file and rename it once the digest is
 * known and checked.
 */
#ifndef DRYDOCK_BLOBCOPY_H
#define DRYDOCK_BLOBCOPY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>
#include <drydock/digest.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a blob may be placed (--link). */
enum drydock_blobcopy_mode {
	DRYDOCK_BLOBCOPY_AUTO = 0, /* reflink, else hard link, else copy */
	DRYDOCK_BLOBCOPY_HARD, /* hard link, else fail */
	DRYDOCK_BLOBCOPY_REFLINK, /* reflink, else fail */
	DRYDOCK_BLOBCOPY_COPY /* always copy */
};

/* How a blob was placed. */
enum drydock_blobcopy_how {
	DRYDOCK_BLOBCOPY_PRESENT = 0, /* already at the destination */
	DRYDOCK_BLOBCOPY_HARDLINKED,
	DRYDOCK_BLOBCOPY_REFLINKED,
	DRYDOCK_BLOBCOPY_COPIED,
	/*
	 * copied by the object store itself (S3 CopyObject): no byte came
	 * through this host, so none was hashed (its size is checked)
	 */
	DRYDOCK_BLOBCOPY_SERVER_COPIED,
	DRYDOCK_BLOBCOPY_HOW_MAX
};

enum drydock_blobcopy_flags {
	/* hash linked and present blobs as well (a copy always hashes) */
	DRYDOCK_BLOBCOPY_VERIFY = 1 << 0,
	/* fsync every file written (else the caller syncs once, syncfs) */
	DRYDOCK_BLOBCOPY_FSYNC = 1 << 1,
	/*
	 * the destination is a registry's store: a new file takes the
	 * owner, group and mode of the directory it is placed in, before it
	 * gets its name (a reflink too), as store writes do; and when that
	 * means giving it away (root, a directory of the registry's user), a
	 * source of another owner or group is not hard-linked, since the
	 * link would keep the source's owner and a chown would change the
	 * source: auto copies it, hard fails with DRYDOCK_EUNSUPPORTED
	 */
	DRYDOCK_BLOBCOPY_OWNER = 1 << 2
};

struct drydock_blobcopy_stats {
	uint64_t count[DRYDOCK_BLOBCOPY_HOW_MAX]; /* blobs, by how */
	uint64_t bytes[DRYDOCK_BLOBCOPY_HOW_MAX]; /* their sizes */
	uint64_t hashed; /* bytes hashed */
	uint64_t replaced; /* destination files of the wrong size replaced */
};

struct drydock_blobcopy;
struct drydock_blobcopy_sink;

/*
 * Parse a --link argument: "auto", "hard", "reflink" or "copy".
 * @return 0 or DRYDOCK_ERROR (message names the bad word).
 */
DRYDOCK_EXTERN int drydock_blobcopy_mode_parse(int *mode_out, const char *s);

/* "auto", "hard", "reflink", "copy". */
DRYDOCK_EXTERN const char *drydock_blobcopy_mode_name(int mode);

/* "present", "hardlinked", "reflinked", "copied", "server_copied". */
DRYDOCK_EXTERN const char *drydock_blobcopy_how_name(int how);

/*
 * A copier: the mode, the flags, what it learned about which filesystems
 * refuse reflinks or hard links, and its statistics.
 *
 * @param out receives a new copier; free with drydock_blobcopy_free()
 * @return 0 or DRYDOCK_ERROR (out of memory).
 */
DRYDOCK_EXTERN int drydock_blobcopy_new(
    struct drydock_blobcopy **out, int mode, unsigned flags);

DRYDOCK_EXTERN void drydock_blobcopy_free(struct drydock_blobcopy *bc);

/*
 * Stop long copies when *flag becomes non-zero (a signal handler sets
 * it): the call in progress returns DRYDOCK_EINTR.  flag is borrowed.
 */
DRYDOCK_EXTERN void drydock_blobcopy_set_cancel(
    struct drydock_blobcopy *bc, const volatile sig_atomic_t *flag);

/* Counters since drydock_blobcopy_new().  Borrowed. */
DRYDOCK_EXTERN const struct drydock_blobcopy_stats *drydock_blobcopy_stats(
    const struct drydock_blobcopy *bc);

/*
 * Place the regular file src_fd (read from offset 0 with pread; its
 * position is not used) at dst_dirfd/dst_name as the blob expect.  A
 * pipe (a blob streamed from object storage) is read once, from where it
 * is, and copied: hashed into a temporary file renamed into place when
 * it matches; hard and reflink modes are DRYDOCK_EUNSUPPORTED for it.
 *
 * @param how_out receives an enum drydock_blobcopy_how (may be NULL)
 * @param size the expected size, or -1 when unknown
 * @return 0; DRYDOCK_ECORRUPT when the source has another size or digest
 * (nothing is left at the destination); DRYDOCK_EUNSAFE when dst_name
 * exists and is not a regular file; DRYDOCK_EUNSUPPORTED when the mode is
 * hard or reflink and the filesystems cannot do it; DRYDOCK_EINTR;
 * DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_blobcopy_file(struct drydock_blobcopy *bc,
    int *how_out, int src_fd, int dst_dirfd, const char *dst_name,
    const struct drydock_digest *expect, int64_t size);

/*
 * Read src_fd from offset 0, hash it, and hand every piece to cb (which
 * returns 0 or a negative error that stops the stream and comes back).
 * The digest is checked at the end: a mismatch is DRYDOCK_ECORRUPT, after
 * the bytes went out, so the consumer must be able to abandon them (an
 * archive being written to a temporary file).
 */
typedef int (*drydock_blobcopy_write_cb)(
    const void *buf, size_t len, void *payload);
DRYDOCK_EXTERN int drydock_blobcopy_stream(struct drydock_blobcopy *bc,
    int src_fd, const struct drydock_digest *expect, int64_t size,
    drydock_blobcopy_write_cb cb, void *payload);

/*
 * Hash everything readable from fd (from offset 0) and compare with
 * expect (and size unless -1).  @return 0, DRYDOCK_ECORRUPT, DRYDOCK_EINTR
 * or DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_blobcopy_verify_fd(struct drydock_blobcopy *bc,
    int fd, const struct drydock_digest *expect, int64_t size);

/*
 * The bytes of src_fd, checked, in a regular file an object store can
 * upload from (drydock_store_write_fd()): src_fd itself when it is a
 * regular file (hashed in place from offset 0), else (a pipe) an unnamed
 * temporary file in $TMPDIR, else /var/tmp, that the bytes are copied
 * into as they are hashed, rewound.  Nothing is counted as placed (see
 * drydock_blobcopy_note()); the bytes are counted as hashed.
 *
 * @param fd_out src_fd, or a new fd (close it) when it differs
 * @param size the expected size, or -1
 * @return 0; DRYDOCK_ECORRUPT (another size or digest: nothing is kept);
 * DRYDOCK_EINTR; DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_blobcopy_spool(struct drydock_blobcopy *bc,
    int *fd_out, int src_fd, const struct drydock_digest *expect, int64_t size);

/*
 * Count a blob the caller placed itself (an object store's upload or
 * server-side copy) in bc's statistics as how (enum
 * drydock_blobcopy_how), and set *how_out (may be NULL).
 */
DRYDOCK_EXTERN void drydock_blobcopy_note(
    struct drydock_blobcopy *bc, int *how_out, int how, uint64_t size);

/*
 * Open a sink: a new temporary file in tmp_dirfd that receives bytes
 * hashed with alg.  It must be on the filesystem of the final name.
 *
 * @param out receives a new sink; free with drydock_blobcopy_sink_free()
 */
DRYDOCK_EXTERN int drydock_blobcopy_sink_new(struct drydock_blobcopy_sink **out,
    struct drydock_blobcopy *bc, int tmp_dirfd, int alg);

DRYDOCK_EXTERN int drydock_blobcopy_sink_write(
    struct drydock_blobcopy_sink *s, const void *buf, size_t len);

/*
 * Stop writing: *digest_out and *size_out (either may be NULL) get what
 * arrived.  When expect is not NULL a different digest is
 * DRYDOCK_ECORRUPT (the temporary file is removed).
 */
DRYDOCK_EXTERN int drydock_blobcopy_sink_finish(struct drydock_blobcopy_sink *s,
    struct drydock_digest *digest_out, uint64_t *size_out,
    const struct drydock_digest *expect);

/*
 * Rename a finished sink's file to dst_dirfd/dst_name.  When a regular
 * file is already there it is kept, the temporary file dropped and *how_out
 * is DRYDOCK_BLOBCOPY_PRESENT; else DRYDOCK_BLOBCOPY_COPIED.
 */
DRYDOCK_EXTERN int drydock_blobcopy_sink_commit(struct drydock_blobcopy_sink *s,
    int *how_out, int dst_dirfd, const char *dst_name);

/* Free a sink; an uncommitted temporary file is removed.  NULL is fine. */
DRYDOCK_EXTERN void drydock_blobcopy_sink_free(struct drydock_blobcopy_sink *s);

/*
 * Write buf (a converted or generated manifest, whose digest the caller
 * computed to name it) as dst_dirfd/dst_name through a temporary file.  A
 * regular file of the same size already there is kept (*how_out PRESENT).
 */
DRYDOCK_EXTERN int drydock_blobcopy_buffer(struct drydock_blobcopy *bc,
    int *how_out, const void *buf, size_t len, int dst_dirfd,
    const char *dst_name);

/*
 * Remove temporary files this module left in dirfd (".<name>.drydock-*.tmp"
 * and ".drydock-*.tmp"), e.g. after a killed run.  Only names made by
 * this module are touched.  @return the number removed, or DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_blobcopy_sweep_temps(int dirfd);

/*
 * As drydock_blobcopy_sweep_temps(), for a caller that holds the lock of
 * the store or layout dirfd belongs to: no other drydock run can be
 * writing there, so every temporary file of this module is stale whatever
 * process made it (a pid check is fooled once pids wrap around).  This
 * process's own are still kept.
 */
DRYDOCK_EXTERN int drydock_blobcopy_sweep_temps_locked(int dirfd);

#ifdef __cplusplus
}
#endif

#endif
