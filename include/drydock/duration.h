/* SPDX-License-Identifier: MIT */
/*
 * duration.h --- durations as operators write them: "90s", "30m", "24h",
 * "7d", "1h30m", "0".  Go's time.ParseDuration units plus "d" and "w".
 */
#ifndef DRYDOCK_DURATION_H
#define DRYDOCK_DURATION_H

#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The longest duration accepted: 36500 days (about 100 years).  The tools
 * count time in nanoseconds since the epoch, and a duration must fit there
 * beside today's date: "--grace 106752d" once overflowed to no grace at all.
 */
#define DRYDOCK_DURATION_MAX_SECONDS (36500LL * 86400)

/*
 * Parse into seconds.  A bare "0" is allowed; other numbers need a unit.
 * @return 0 or DRYDOCK_ECORRUPT (message says why: "too large" above
 *         DRYDOCK_DURATION_MAX_SECONDS).
 */
DRYDOCK_EXTERN int drydock_duration_parse(int64_t *seconds_out, const char *s);

/* Format seconds compactly ("7d", "1h30m", "0s") into buf. */
DRYDOCK_EXTERN char *drydock_duration_format(
    char *buf, unsigned long bufsz, int64_t seconds);

#ifdef __cplusplus
}
#endif

#endif
