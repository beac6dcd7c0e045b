/* SPDX-License-Identifier: MIT */
/*
 * state.h --- the incremental verification state (SQLite): for each blob,
 * the size, mtime and inode its data had when its digest was last verified,
 * and when.  A later run re-hashes only what is new or changed, plus a
 * rotating share of the rest (drydock-fsck --verify changed|slice).
 *
 * The state is a cache: losing it costs a full re-hash, never correctness.
 * A record exists only for a blob whose data matched its digest; a caller
 * forgets a blob whose verification failed, so that it is checked again.
 * One state file belongs to one storage root.
 */
#ifndef DRYDOCK_STATE_H
#define DRYDOCK_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>
#include <drydock/digest.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_state;

/* What was true of a blob's data when it last matched its digest. */
struct drydock_state_blob {
	struct drydock_digest digest;
	uint64_t size; /* bytes */
	int64_t mtime_ns; /* st_mtim of the data file */
	uint64_t inode; /* st_ino of the data file */
	int64_t verified; /* unix seconds of that verification */
};

/*
 * Open the state file path, creating it (and its schema) when create is
 * set.  The file is opened without following a symlink.
 *
 * @param out receives a new handle; release with drydock_state_close()
 * @return 0; DRYDOCK_ENOTFOUND when path is missing and create is 0;
 * DRYDOCK_ECORRUPT when the file is not a drydock state;
 * DRYDOCK_EUNSUPPORTED for a newer schema; DRYDOCK_ELOCKED when another
 * process holds it too long; DRYDOCK_ERROR otherwise.
 */
DRYDOCK_EXTERN int drydock_state_open(
    struct drydock_state **out, const char *path, int create);

/* Close; an open transaction is rolled back.  NULL does nothing. */
DRYDOCK_EXTERN void drydock_state_close(struct drydock_state *s);

/*
 * Tie the state to a storage root.  A fresh state takes root; a state that
 * belongs to another root forgets every record and takes root, and
 * *reset_out (may be NULL) is set to 1; otherwise it is set to 0.
 */
DRYDOCK_EXTERN int drydock_state_bind_root(
    struct drydock_state *s, const char *root, int *reset_out);

/*
 * The record of a blob.
 * @return 0; DRYDOCK_ENOTFOUND when there is none; DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_state_lookup(struct drydock_state_blob *out,
    struct drydock_state *s, const struct drydock_digest *d);

/* Insert or replace the record of b->digest. */
DRYDOCK_EXTERN int drydock_state_record(
    struct drydock_state *s, const struct drydock_state_blob *b);

/* Forget a blob (not an error when there is no record). */
DRYDOCK_EXTERN int drydock_state_forget(
    struct drydock_state *s, const struct drydock_digest *d);

/* Group many record/forget calls into one transaction (speed). */
DRYDOCK_EXTERN int drydock_state_begin(struct drydock_state *s);
DRYDOCK_EXTERN int drydock_state_commit(struct drydock_state *s);

/* Number of records. */
DRYDOCK_EXTERN int drydock_state_count(
    struct drydock_state *s, uint64_t *count_out);

/*
 * Every record, least recently verified first (ties by digest).  The record
 * is borrowed for the call.  cb returns 0 to go on; anything else stops the
 * iteration and is returned.  Records must not be changed from cb.
 */
typedef int (*drydock_state_cb)(
    const struct drydock_state_blob *b, void *payload);
DRYDOCK_EXTERN int drydock_state_foreach(
    struct drydock_state *s, drydock_state_cb cb, void *payload);

/*
 * 1 when data with this size, mtime and inode is still what rec describes,
 * so its digest need not be verified again; 0 otherwise.
 */
DRYDOCK_EXTERN int drydock_state_is_unchanged(
    const struct drydock_state_blob *rec, uint64_t size, int64_t mtime_ns,
    uint64_t inode);

/*
 * Parse a share "K/N" (1 <= K <= N <= 100000), e.g. "1/7".
 * @return 0 or DRYDOCK_ECORRUPT (message says why).
 */
DRYDOCK_EXTERN int drydock_state_slice_parse(
    unsigned *k_out, unsigned *n_out, const char *s);

/* A blob that a slice may choose (drydock_state_slice_select). */
struct drydock_state_cand {
	int64_t verified; /* unix seconds, 0 when never verified */
	uint64_t size;
	uint32_t index; /* the caller's */
	int selected; /* out */
};

/*
 * The rotation: choose the least recently verified candidates (ties: the
 * larger first, then by index) until they hold at least k/n of all the
 * candidates' bytes; empty blobs are always chosen.  Run with the same
 * share after each verification, n runs re-verify every candidate that
 * existed at the start.  cands is sorted in that order.
 *
 * @return the number chosen.
 */
DRYDOCK_EXTERN size_t drydock_state_slice_select(
    struct drydock_state_cand *cands, size_t n_cands, unsigned k, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
