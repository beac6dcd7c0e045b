/* SPDX-License-Identifier: MIT */
/*
 * ocilayout.h --- OCI image layouts (image-spec image-layout.md): the
 * oci-layout file, index.json and blobs/<alg>/<encoded>, opened confined
 * (no symlink below the layout directory is followed), and index.json as
 * an object that can be read, changed and written back.
 */
#ifndef DRYDOCK_OCILAYOUT_H
#define DRYDOCK_OCILAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>
#include <drydock/digest.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The annotations that name an index.json entry. */
#define DRYDOCK_OCI_REF_NAME "org.opencontainers.image.ref.name"
#define DRYDOCK_OCI_IMAGE_NAME "io.containerd.image.name"

/* Largest index.json (or oci-layout) read: bigger is refused. */
#define DRYDOCK_OCILAYOUT_INDEX_MAX (64u << 20)

/* --- index.json -------------------------------------------------------- */

struct drydock_ocilayout_index;

/* One entry of index.json; strings are borrowed from the index. */
struct drydock_ocilayout_entry {
	const char *media_type; /* NULL when absent */
	struct drydock_digest digest;
	int64_t size;
	const char *ref_name; /* org.opencontainers.image.ref.name or NULL */
	const char *image_name; /* io.containerd.image.name or NULL */
};

/* A new empty index (schemaVersion 2, the OCI index media type). */
DRYDOCK_EXTERN int drydock_ocilayout_index_new(
    struct drydock_ocilayout_index **out);

/*
 * Parse index.json.  It must be an object with schemaVersion 2 and a
 * "manifests" array whose entries each have a strict digest and a size;
 * anything else in it is kept and written back unchanged.
 *
 * @param out receives a new index; free with drydock_ocilayout_index_free()
 * @return 0; DRYDOCK_ECORRUPT (the message says what is wrong).
 */
DRYDOCK_EXTERN int drydock_ocilayout_index_parse(
    struct drydock_ocilayout_index **out, const char *buf, size_t len);

DRYDOCK_EXTERN void drydock_ocilayout_index_free(
    struct drydock_ocilayout_index *idx);

DRYDOCK_EXTERN size_t drydock_ocilayout_index_count(
    const struct drydock_ocilayout_index *idx);

/* Entry i (< count).  @return 0 or DRYDOCK_ENOTFOUND. */
DRYDOCK_EXTERN int drydock_ocilayout_index_entry(
    struct drydock_ocilayout_entry *out,
    const struct drydock_ocilayout_index *idx, size_t i);

/*
 * Add an entry, or replace the one it supersedes: the entry with the same
 * ref.name when annotations carry one, else the entry with the same
 * io.containerd.image.name, else the unnamed entry with the same digest.
 * A replaced entry keeps its place.
 *
 * @param annotations NULL, or key, value, key, value, ..., NULL (copied)
 */
DRYDOCK_EXTERN int drydock_ocilayout_index_put(
    struct drydock_ocilayout_index *idx, const char *media_type,
    const struct drydock_digest *d, int64_t size,
    const char *const *annotations);

/* Remove entry i.  @return 0 or DRYDOCK_ENOTFOUND. */
DRYDOCK_EXTERN int drydock_ocilayout_index_remove(
    struct drydock_ocilayout_index *idx, size_t i);

/* Serialize (compact JSON) into a new buffer; free() it. */
DRYDOCK_EXTERN int drydock_ocilayout_index_format(
    char **buf_out, size_t *len_out, const struct drydock_ocilayout_index *idx);

/* --- the layout directory ------------------------------------------------ */

struct drydock_ocilayout;

enum drydock_ocilayout_open_flags {
	/*
	 * create the directory (and its parents), oci-layout and blobs/
	 * when missing; an existing directory must then be empty or a layout
	 */
	DRYDOCK_OCILAYOUT_CREATE = 1 << 0,
	/* every change fails with DRYDOCK_ERROR */
	DRYDOCK_OCILAYOUT_RDONLY = 1 << 1
};

/*
 * Open a layout: check oci-layout (imageLayoutVersion 1.x) and read
 * index.json.  The path may contain symlinks (an operator's choice);
 * nothing below it is followed.
 *
 * @param out receives a new layout; close with drydock_ocilayout_close()
 * @return 0; DRYDOCK_ENOTFOUND (no such directory, or not a layout and
 * CREATE not given); DRYDOCK_EEXISTS (CREATE on a non-empty directory that
 * is not a layout); DRYDOCK_ECORRUPT (bad oci-layout or index.json);
 * DRYDOCK_EUNSUPPORTED (another layout version); DRYDOCK_EUNSAFE;
 * DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_ocilayout_open(
    struct drydock_ocilayout **out, const char *path, unsigned flags);

/* Close; unwritten index changes are lost.  NULL does nothing. */
DRYDOCK_EXTERN void drydock_ocilayout_close(struct drydock_ocilayout *lay);

/* The layout directory's fd.  Borrowed. */
DRYDOCK_EXTERN int drydock_ocilayout_dirfd(const struct drydock_ocilayout *lay);

/*
 * Keep other drydock runs off this layout (flock on the directory).
 * @return 0 or DRYDOCK_ELOCKED.
 */
DRYDOCK_EXTERN int drydock_ocilayout_lock(struct drydock_ocilayout *lay);

/* index.json as read (or as changed since).  Borrowed, modifiable. */
DRYDOCK_EXTERN struct drydock_ocilayout_index *drydock_ocilayout_index(
    struct drydock_ocilayout *lay);

/*
 * Write index.json: first make every blob written so far durable
 * (syncfs), then a temporary file, fsync, rename, fsync the directory.
 */
DRYDOCK_EXTERN int drydock_ocilayout_write_index(struct drydock_ocilayout *lay);

/*
 * The directory blobs/<alg>, created when create is set.  @return a
 * borrowed fd (valid while the layout is open) or DRYDOCK_ENOTFOUND /
 * DRYDOCK_EUNSAFE / DRYDOCK_EUNSUPPORTED / DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_ocilayout_blob_dir(
    struct drydock_ocilayout *lay, int alg, int create);

/* Open a blob read-only.  @return a new fd, or DRYDOCK_ENOTFOUND/... */
DRYDOCK_EXTERN int drydock_ocilayout_blob_open(
    struct drydock_ocilayout *lay, const struct drydock_digest *d);

/* Size of a blob: 0, DRYDOCK_ENOTFOUND, DRYDOCK_EUNSAFE. */
DRYDOCK_EXTERN int drydock_ocilayout_blob_stat(struct drydock_ocilayout *lay,
    const struct drydock_digest *d, uint64_t *size_out);

/*
 * Read a blob of at most max bytes into a new NUL-terminated buffer
 * (free() it).  A larger one is DRYDOCK_ECORRUPT.  The content is not
 * hashed here.
 */
DRYDOCK_EXTERN int drydock_ocilayout_blob_read(char **buf_out, size_t *len_out,
    struct drydock_ocilayout *lay, const struct drydock_digest *d, size_t max);

/* Remove a blob.  0 or DRYDOCK_ENOTFOUND/... */
DRYDOCK_EXTERN int drydock_ocilayout_blob_remove(
    struct drydock_ocilayout *lay, const struct drydock_digest *d);

#ifdef __cplusplus
}
#endif

#endif
