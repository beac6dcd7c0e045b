/* SPDX-License-Identifier: MIT */
/*
 * regwrite.h --- write into a distribution storage root exactly what the
 * registry itself writes on a push (formats.md 1.5): blob data under
 * blobs/<alg>/<hh>/<hex>/data, then the repository's _layers link, the
 * revision link of a manifest, and for a tag first its index (history)
 * link, then its current link.  Link files are 71 bytes, no newline.
 *
 * Callers keep the order: data before the links that name it, revisions
 * before the tags that name them.  With DRYDOCK_STORE_WRITE_NOSYNC a batch
 * of links is made durable with one drydock_store_sync() before the next
 * batch that depends on it.
 *
 * Everything written takes the owner, group and mode of the directory it
 * is created in, as the registry would have made it (see store.h); give
 * the blob functions a copier made with DRYDOCK_BLOBCOPY_OWNER, so that
 * blob data follows the same rule.
 */
#ifndef DRYDOCK_REGWRITE_H
#define DRYDOCK_REGWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_blobcopy;
struct drydock_digest;
struct drydock_store;

/*
 * Open (creating) the directory blobs/<alg>/<hh>/<hex> of a blob.
 * @return a new fd (close it) or a negative error; DRYDOCK_EUNSUPPORTED
 * in an object store, which has no directories.
 */
DRYDOCK_EXTERN int drydock_regwrite_blob_dir(
    struct drydock_store *st, const struct drydock_digest *d);

/*
 * Place a blob from src_fd (hard link, reflink or verified copy, as bc
 * says) as its data file.  Present data of the right size is kept.  In
 * an object store (drydock_store_has_fds() 0: S3) it is uploaded, its
 * digest checked before the upload begins (drydock_blobcopy_spool(): a
 * regular file is hashed first, a pipe hashed into a local temporary
 * file), so no object of the wrong content is ever served; a regular
 * file changed during the upload is removed again (DRYDOCK_ECORRUPT).
 * src_fd may be a pipe (a blob streamed from S3): it is copied.
 * @param how_out enum drydock_blobcopy_how (may be NULL)
 * @return 0 or what drydock_blobcopy_file() returns.
 */
DRYDOCK_EXTERN int drydock_regwrite_blob(int *how_out,
    struct drydock_blobcopy *bc, struct drydock_store *st, int src_fd,
    const struct drydock_digest *d, int64_t size);

/*
 * Place a blob held in memory (a manifest).  The buffer is hashed first;
 * a digest other than d is DRYDOCK_ECORRUPT and nothing is written.
 */
DRYDOCK_EXTERN int drydock_regwrite_blob_buffer(int *how_out,
    struct drydock_blobcopy *bc, struct drydock_store *st, const void *buf,
    size_t len, const struct drydock_digest *d);

/*
 * Write the link file relpath with the digest d, unless it already holds
 * exactly that (then *written_out is 0; may be NULL).  flags: enum
 * drydock_store_write_flags.
 */
DRYDOCK_EXTERN int drydock_regwrite_link(int *written_out,
    struct drydock_store *st, const char *relpath,
    const struct drydock_digest *d, unsigned flags);

/* repositories/<repo>/_layers/<alg>/<hex>/link */
DRYDOCK_EXTERN int drydock_regwrite_layer_link(int *written_out,
    struct drydock_store *st, const char *repo, const struct drydock_digest *d,
    unsigned flags);

/* repositories/<repo>/_manifests/revisions/<alg>/<hex>/link */
DRYDOCK_EXTERN int drydock_regwrite_revision(int *written_out,
    struct drydock_store *st, const char *repo, const struct drydock_digest *d,
    unsigned flags);

/*
 * A tag, as the registry writes it: tags/<tag>/index/<alg>/<hex>/link
 * first, then tags/<tag>/current/link.  The index link is made durable
 * before current is written unless NOSYNC is given.
 */
DRYDOCK_EXTERN int drydock_regwrite_tag(int *written_out,
    struct drydock_store *st, const char *repo, const char *tag,
    const struct drydock_digest *d, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
