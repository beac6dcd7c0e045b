/* SPDX-License-Identifier: MIT */
/*
 * progress.h --- the progress line on standard error: the phase, how far,
 * the rate and the time left when the total is known, redrawn at most five
 * times a second, erased at the end.  Off unless enabled (a terminal, or
 * --progress; never with --quiet).
 */
#ifndef FE_PROGRESS_H
#define FE_PROGRESS_H

#include <stdint.h>

struct fe_progress {
	int enabled;
	int shown; /* a line is on the terminal */
	int64_t start_ns; /* of the phase, for the rate */
	int64_t last_ns; /* last redraw */
	const char *phase;
};

void fe_progress_init(struct fe_progress *p, int enabled);

/*
 * done of total things (total 0: unknown) in phase; with bytes_total, the
 * bytes too, and rate and time left count bytes.  A new phase restarts
 * the rate.
 */
void fe_progress_show(struct fe_progress *p, const char *phase, uint64_t done,
    uint64_t total, uint64_t bytes, uint64_t bytes_total);

/* Erase the line (before other output, and at the end). */
void fe_progress_end(struct fe_progress *p);

#endif
