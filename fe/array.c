/* SPDX-License-Identifier: MIT */
/* array.c --- growing arrays and copies (array.h). */
#include <stdlib.h>
#include <string.h>

#include <drydock/drydock.h>

#include "fe/array.h"

int
fe_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	/* by half, not double: at a million items, a third less slack */
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap += ncap / 2;
	if ((p = realloc(*arr, ncap * elem)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

char *
fe_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		drydock_error_set_os("out of memory");
	return d;
}

int
fe_push_u32(uint32_t **arr, size_t *n, size_t *cap, uint32_t v)
{
	if (fe_grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return DRYDOCK_ERROR;
	(*arr)[(*n)++] = v;
	return 0;
}
