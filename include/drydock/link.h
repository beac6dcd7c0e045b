/* SPDX-License-Identifier: MIT */
/*
 * link.h --- distribution link files: exactly a digest string, no newline.
 */
#ifndef DRYDOCK_LINK_H
#define DRYDOCK_LINK_H

#include <stddef.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_digest;
struct drydock_store;

/* Longest valid link file: a sha512 digest string. */
#define DRYDOCK_LINK_MAX 135

/*
 * Parse link file content as the registry does (digest.Parse): a trailing
 * newline, CR, BOM, space or an empty file is DRYDOCK_ECORRUPT with the
 * reason in the message ("trailing newline", "empty link file"...).
 */
DRYDOCK_EXTERN int drydock_link_parse(
    struct drydock_digest *out, const char *buf, size_t len);

/*
 * Read and parse the link file relpath (relative to dirfd, or $V2 if -1).
 * @return 0; DRYDOCK_ENOTFOUND; DRYDOCK_ECORRUPT; DRYDOCK_EUNSAFE.
 */
DRYDOCK_EXTERN int drydock_link_read(struct drydock_digest *out,
    struct drydock_store *st, int dirfd, const char *relpath);

/*
 * Lenient parse for repair: succeeds when the content is a valid digest
 * surrounded only by whitespace.  Sets *had_junk when it was not strict.
 */
DRYDOCK_EXTERN int drydock_link_parse_lenient(
    struct drydock_digest *out, int *had_junk, const char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
