/* SPDX-License-Identifier: MIT */
/*
 * array.h --- growing arrays and copies, with libdrydock's error on
 * failure (the caller returns DRYDOCK_ERROR).
 */
#ifndef FE_ARRAY_H
#define FE_ARRAY_H

#include <stddef.h>

/*
 * Make *arr (of elem-sized items, *cap of them) hold at least need items,
 * growing by half.  @return 0, or DRYDOCK_ERROR (out of memory)
 */
int fe_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* strdup, or NULL with the library's "out of memory" error set. */
char *fe_strdup(const char *s);

#endif
