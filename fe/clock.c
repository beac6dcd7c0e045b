/* SPDX-License-Identifier: MIT */
/* clock.c --- the monotonic clock (clock.h). */
#include <time.h>

#include "fe/clock.h"

int64_t
fe_clock_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
