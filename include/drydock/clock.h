/* SPDX-License-Identifier: MIT */
/*
 * clock.h --- the clocks a run reads, named for the clock: this host's
 * wall clock, and the storage's own, as the file times it writes show.
 * A grace period compares file times with "now"; on NFS or a skewed
 * server the two clocks differ, and a host clock ahead of the storage's
 * makes a push in flight look old.
 */
#ifndef DRYDOCK_CLOCK_H
#define DRYDOCK_CLOCK_H

#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A skew larger than this is worth a warning. */
#define DRYDOCK_CLOCK_SKEW_WARN_NS (60LL * 1000000000LL)

/* This host's wall clock (CLOCK_REALTIME), in nanoseconds since the epoch. */
DRYDOCK_EXTERN int64_t drydock_clock_realtime_ns(void);

/*
 * How far the storage's clock is ahead of this host's (negative: behind),
 * read by creating a probe file ".drydock-clock.XXXXXX" in the directory
 * dirfd, comparing its modification time with the host's clock around the
 * write, and removing it.  Precise to the file system's timestamp
 * granularity plus the time the write took.  Probes a killed run left in
 * dirfd are removed first: the caller holds the store's lock.
 *
 * @param skew_ns_out the storage's time minus the host's, in nanoseconds
 * @param dirfd a directory on the storage, writable
 * @return 0, or DRYDOCK_ERROR (the probe could not be written)
 */
DRYDOCK_EXTERN int drydock_clock_storage_skew(int64_t *skew_ns_out, int dirfd);

/* The probe's name starts so: a checker beside a gc run passes over it. */
#define DRYDOCK_CLOCK_PROBE_PREFIX ".drydock-clock."

#ifdef __cplusplus
}
#endif

#endif
