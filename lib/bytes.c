/* SPDX-License-Identifier: MIT */
/* bytes.c --- byte counts for reports ("1.5 GiB"). */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include <drydock/bytes.h>

char *
drydock_bytes_format(char *buf, unsigned long bufsz, uint64_t bytes)
{
	static const char *const names[] = {
	    "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	size_t i = 0;

	if (bufsz == 0)
		return buf;
	if (bytes < 1024) {
		snprintf(buf, bufsz, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024;
	/* Move up when rounding to one decimal would show 1024.0. */
	while (v >= 1023.95 && i + 1 < sizeof(names) / sizeof(names[0])) {
		v /= 1024;
		i++;
	}
	snprintf(buf, bufsz, "%.1f %s", v, names[i]);
	return buf;
}
