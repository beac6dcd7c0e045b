/* SPDX-License-Identifier: MIT */
/*
 * clock.h --- the clock a tool times itself with, named for the clock it
 * reads: how long a run or a phase took, when --max-duration is up.  The
 * host's wall clock and the storage's are libdrydock's (drydock/clock.h).
 */
#ifndef FE_CLOCK_H
#define FE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: for durations and deadlines only. */
int64_t fe_clock_monotonic_ns(void);

#endif
