/* SPDX-License-Identifier: MIT */
/*
 * digestmap.h --- a compact hash map from digest to a 32-bit value, and
 * the mark set built on it.  Open addressing over raw digest bytes: about
 * 40 bytes per sha256 entry at the default load, no per-entry allocation.
 */
#ifndef DRYDOCK_DIGESTMAP_H
#define DRYDOCK_DIGESTMAP_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_digest;
struct drydock_digestmap;

/* @param hint expected number of entries (0 for a small start). */
DRYDOCK_EXTERN int drydock_digestmap_new(
    struct drydock_digestmap **out, size_t hint);
DRYDOCK_EXTERN void drydock_digestmap_free(struct drydock_digestmap *map);

/*
 * Insert or overwrite.  @return 1 when the digest was new, 0 when it was
 * present (value overwritten), DRYDOCK_ERROR on allocation failure.
 */
DRYDOCK_EXTERN int drydock_digestmap_put(struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t value);

/*
 * Insert only if absent.  @return 1 when added, 0 when present (then
 * *value_out, if not NULL, gets the existing value), or DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_digestmap_add(struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t value, uint32_t *value_out);

/* @return 1 and *value_out (may be NULL) when present, else 0. */
DRYDOCK_EXTERN int drydock_digestmap_get(const struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t *value_out);

/* Remove; @return 1 when it was present. */
DRYDOCK_EXTERN int drydock_digestmap_del(
    struct drydock_digestmap *map, const struct drydock_digest *d);

DRYDOCK_EXTERN size_t drydock_digestmap_count(
    const struct drydock_digestmap *map);

/* Visit every entry (unordered); cb returns non-zero to stop. */
typedef int (*drydock_digestmap_cb)(const struct drydock_digest *d,
    uint32_t value, void *payload);
DRYDOCK_EXTERN int drydock_digestmap_foreach(
    const struct drydock_digestmap *map, drydock_digestmap_cb cb,
    void *payload);

/* The mark set: a digestmap whose values are unused. */
#define drydock_markset drydock_digestmap
static inline int
drydock_markset_mark(struct drydock_digestmap *set,
    const struct drydock_digest *d)
{
	return drydock_digestmap_add(set, d, 0, NULL);
}
static inline int
drydock_markset_has(const struct drydock_digestmap *set,
    const struct drydock_digest *d)
{
	return drydock_digestmap_get(set, d, NULL);
}

#ifdef __cplusplus
}
#endif

#endif
