/* SPDX-License-Identifier: MIT */
/*
 * digest.h --- content digests (sha256, sha512): parsing as distribution's
 * go-digest Validate() does, formatting, and hashing with OpenSSL EVP.
 */
#ifndef DRYDOCK_DIGEST_H
#define DRYDOCK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum drydock_digest_alg {
	DRYDOCK_DIGEST_NONE = 0,
	DRYDOCK_DIGEST_SHA256 = 1,
	DRYDOCK_DIGEST_SHA512 = 2
};

#define DRYDOCK_DIGEST_RAWMAX 64
/* "sha512:" + 128 hex + NUL */
#define DRYDOCK_DIGEST_STRMAX (7 + 128 + 1)

/* A value type: copy it by assignment.  Unused raw bytes are zero. */
struct drydock_digest {
	uint8_t alg; /* enum drydock_digest_alg */
	uint8_t raw[DRYDOCK_DIGEST_RAWMAX];
};

/* Raw size of an algorithm's digest (32, 64), or 0 if unknown. */
DRYDOCK_EXTERN size_t drydock_digest_alg_size(int alg);

/* "sha256", "sha512", or NULL. */
DRYDOCK_EXTERN const char *drydock_digest_alg_name(int alg);

/* Algorithm by name (not NUL-terminated), or DRYDOCK_DIGEST_NONE. */
DRYDOCK_EXTERN int drydock_digest_alg_lookup(const char *name, size_t len);

/*
 * Parse "<alg>:<hex>" strictly: a registered algorithm, exactly 2*size
 * lowercase hex characters, nothing before or after (no newline).
 *
 * @return 0; DRYDOCK_ECORRUPT for bad syntax (message says why);
 * DRYDOCK_EUNSUPPORTED for a well-formed digest of an unknown algorithm.
 */
DRYDOCK_EXTERN int drydock_digest_parse(
    struct drydock_digest *out, const char *s, size_t len);

/*
 * Build a digest from an algorithm and lowercase hex (as found in a path).
 * @return 0 or DRYDOCK_ECORRUPT.
 */
DRYDOCK_EXTERN int drydock_digest_from_hex(
    struct drydock_digest *out, int alg, const char *hex, size_t len);

/* Write "<alg>:<hex>" and a NUL into buf; returns buf. */
DRYDOCK_EXTERN char *drydock_digest_format(
    char buf[DRYDOCK_DIGEST_STRMAX], const struct drydock_digest *d);

/* Write the lowercase hex only (2*size chars + NUL); returns buf. */
DRYDOCK_EXTERN char *drydock_digest_hex(
    char buf[DRYDOCK_DIGEST_STRMAX], const struct drydock_digest *d);

/* 1 when both digests are the same algorithm and bytes. */
DRYDOCK_EXTERN int drydock_digest_equal(
    const struct drydock_digest *a, const struct drydock_digest *b);

/* A good 64-bit hash of a digest, for hash tables. */
DRYDOCK_EXTERN uint64_t drydock_digest_hash(const struct drydock_digest *d);

/*
 * For tables keyed by digests read from a storage's names, which whoever
 * wrote the storage chose: all len raw bytes mixed with seed, and a seed
 * that differs per process, so that no tree can pile its names into one
 * slot (names alike in their first bytes did, when only those counted).
 */
DRYDOCK_EXTERN uint64_t drydock_digest_hash_raw(
    const uint8_t *raw, size_t len, uint64_t seed);
DRYDOCK_EXTERN uint64_t drydock_digest_hash_seed(void);

/* Incremental hashing. */
struct drydock_hasher;

/* @return 0, DRYDOCK_EUNSUPPORTED, DRYDOCK_ERROR (OpenSSL). */
DRYDOCK_EXTERN int drydock_hasher_new(struct drydock_hasher **out, int alg);
DRYDOCK_EXTERN int drydock_hasher_update(
    struct drydock_hasher *h, const void *buf, size_t len);
/* Finish into out; the hasher may then be reset with _reset. */
DRYDOCK_EXTERN int drydock_hasher_final(
    struct drydock_digest *out, struct drydock_hasher *h);
DRYDOCK_EXTERN int drydock_hasher_reset(struct drydock_hasher *h);
DRYDOCK_EXTERN void drydock_hasher_free(struct drydock_hasher *h);

/* Digest of a buffer. */
DRYDOCK_EXTERN int drydock_digest_buffer(
    struct drydock_digest *out, int alg, const void *buf, size_t len);

/*
 * Digest of everything readable from fd (read with large sequential reads
 * from the current offset).  size_out, if not NULL, gets the byte count.
 */
DRYDOCK_EXTERN int drydock_digest_fd(
    struct drydock_digest *out, int alg, int fd, uint64_t *size_out);

#ifdef __cplusplus
}
#endif

#endif
