/* SPDX-License-Identifier: MIT */
/*
 * metrics.h --- a Prometheus textfile-collector file: gauges, each with
 * its HELP and TYPE once, label values escaped, written beside its name
 * and renamed into place (fe/outfile) so node_exporter never reads half.
 */
#ifndef FE_METRICS_H
#define FE_METRICS_H

#include <stdio.h>

#include "fe/outfile.h"

struct fe_metrics {
	struct drydock_outfile of;
	char last[128]; /* the gauge whose HELP was written last */
};

/* @return 0, or DRYDOCK_ERROR (the message names path) */
int fe_metrics_open(struct fe_metrics *m, const char *path);

/*
 * One sample of gauge name: "name value", or with label (a "key" and its
 * value) "name{key=\"value\"} value".  help goes out with the first
 * sample of a name; samples of one name come together.
 */
void fe_metrics_gauge(struct fe_metrics *m, const char *name, const char *help,
    const char *label, const char *label_value, double value);

/*
 * The gauges every tool writes first, named for tool ("gc"):
 * drydock_<tool>_last_run_timestamp_seconds (now), _duration_seconds and
 * _exit_code, so one alert rule fits the three tools.
 */
void fe_metrics_run(
    struct fe_metrics *m, const char *tool, double seconds, int exit_code);

/* Write and rename into place; 0 or DRYDOCK_ERROR. */
int fe_metrics_commit(struct fe_metrics *m);
void fe_metrics_abort(struct fe_metrics *m);

#endif
