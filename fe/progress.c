/* SPDX-License-Identifier: MIT */
/* progress.c --- the progress line, with rate and time left (progress.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <drydock/drydock.h>

#include "fe/err.h"
#include "fe/progress.h"

#define REDRAW_NS 200000000LL

void
fe_progress_init(struct fe_progress *p, int enabled)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
}

/* ", 1.2 GiB/s, 3m left" or ", 512/s, 10s left" into buf */
static void
rate(char *buf, size_t n, double per_s, uint64_t left, int bytes)
{
	char r[32], eta[32];

	buf[0] = '\0';
	if (per_s <= 0)
		return;
	if (bytes) {
		drydock_bytes_format(r, sizeof(r), (uint64_t)per_s);
		snprintf(buf, n, ", %s/s", r);
	} else
		snprintf(buf, n, ", %.0f/s", per_s);
	if (left > 0) {
		drydock_duration_format(
		    eta, sizeof(eta), (int64_t)((double)left / per_s) + 1);
		snprintf(buf + strlen(buf), n - strlen(buf), ", %s left", eta);
	}
}

void
fe_progress_show(struct fe_progress *p, const char *phase, uint64_t done,
    uint64_t total, uint64_t bytes, uint64_t bytes_total)
{
	char b1[32], b2[32], r[80];
	int64_t now;
	double secs;

	if (!p->enabled)
		return;
	now = drydock_clock_realtime_ns();
	if (p->phase != phase) {
		p->phase = phase;
		p->start_ns = now;
	} else if (now - p->last_ns < REDRAW_NS && done != total)
		return;
	p->last_ns = now;
	secs = (double)(now - p->start_ns) / 1e9;
	if (bytes_total > 0) {
		rate(r, sizeof(r), secs > 0.5 ? (double)bytes / secs : 0,
		    bytes_total > bytes ? bytes_total - bytes : 0, 1);
		fprintf(stderr,
		    "\r\033[K%s: %s %" PRIu64 "/%" PRIu64
		    ", %s of %s (%.0f%%)%s",
		    fe_progname(), phase, done, total,
		    drydock_bytes_format(b1, sizeof(b1), bytes),
		    drydock_bytes_format(b2, sizeof(b2), bytes_total),
		    100.0 * (double)bytes / (double)bytes_total, r);
	} else {
		rate(r, sizeof(r), secs > 0.5 ? (double)done / secs : 0,
		    total > done ? total - done : 0, 0);
		if (total)
			fprintf(stderr,
			    "\r\033[K%s: %s %" PRIu64 "/%" PRIu64 "%s",
			    fe_progname(), phase, done, total, r);
		else
			fprintf(stderr, "\r\033[K%s: %s %" PRIu64 "%s",
			    fe_progname(), phase, done, r);
	}
	p->shown = 1;
}

void
fe_progress_end(struct fe_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
