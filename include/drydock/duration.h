/* SPDX-License-Identifier: MIT */
/*
 * duration.h --- durations as operators write them: "90s", "30m", "24h",
 * "7d", "1h30m", "0".  Go's time.ParseDuration units plus "d" and "w".
 */
#ifndef DRYDOCK_DURATION_H
#define DRYDOCK_DURATION_H

#include <stdint.h>

/*
 * Parse into seconds.  A bare "0" is allowed; other numbers need a unit.
 * @return 0 or DRYDOCK_ECORRUPT (message says why).
 */
int drydock_duration_parse(int64_t *seconds_out, const char *s);

/* Format seconds compactly ("7d", "1h30m", "0s") into buf. */
char *drydock_duration_format(char *buf, unsigned long bufsz,
    int64_t seconds);

/* Human byte count ("1.5 GiB") into buf. */
char *drydock_bytes_format(char *buf, unsigned long bufsz, uint64_t bytes);

#endif
