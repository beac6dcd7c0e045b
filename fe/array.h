/* SPDX-License-Identifier: MIT */
/*
 * array.h --- growing arrays and copies, with libdrydock's error on
 * failure (the caller returns DRYDOCK_ERROR).
 */
#ifndef FE_ARRAY_H
#define FE_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Make *arr (of elem-sized items, *cap of them) hold at least need items,
 * growing by half.  @return 0, or DRYDOCK_ERROR (out of memory)
 */
int fe_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Append v to *arr (*n items, room for *cap); 0 or DRYDOCK_ERROR. */
int fe_push_u32(uint32_t **arr, size_t *n, size_t *cap, uint32_t v);

/* strdup, or NULL with the library's "out of memory" error set. */
char *fe_strdup(const char *s);

#endif
