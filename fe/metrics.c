/* SPDX-License-Identifier: MIT */
/* metrics.c --- Prometheus textfile gauges (metrics.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <drydock/drydock.h>

#include "fe/metrics.h"

int
fe_metrics_open(struct fe_metrics *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	return drydock_outfile_open(&m->of, path);
}

/* Label values escape backslash, double quote and newline. */
static void
put_label_value(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

void
fe_metrics_gauge(struct fe_metrics *m, const char *name, const char *help,
    const char *label, const char *label_value, double value)
{
	FILE *f = m->of.f;

	if (f == NULL)
		return;
	if (strcmp(m->last, name) != 0) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
		snprintf(m->last, sizeof(m->last), "%s", name);
	}
	fputs(name, f);
	if (label != NULL) {
		fprintf(f, "{%s=\"", label);
		put_label_value(f, label_value != NULL ? label_value : "");
		fputs("\"}", f);
	}
	/* whole numbers as integers: counts and timestamps stay exact */
	if (value == floor(value) && fabs(value) < 9e15)
		fprintf(f, " %.0f\n", value);
	else
		fprintf(f, " %.6g\n", value);
}

void
fe_metrics_run(
    struct fe_metrics *m, const char *tool, double seconds, int exit_code)
{
	char name[96], help[96];

	snprintf(
	    name, sizeof(name), "drydock_%s_last_run_timestamp_seconds", tool);
	snprintf(help, sizeof(help), "When the last %s run ended.", tool);
	fe_metrics_gauge(m, name, help, NULL, NULL, (double)time(NULL));
	snprintf(name, sizeof(name), "drydock_%s_duration_seconds", tool);
	fe_metrics_gauge(
	    m, name, "How long the last run took.", NULL, NULL, seconds);
	snprintf(name, sizeof(name), "drydock_%s_exit_code", tool);
	fe_metrics_gauge(m, name,
	    "Exit code of the last run (fsck(8)-style bits: 4 problems, 8 "
	    "operational error, 16 usage, 32 interrupted).",
	    NULL, NULL, exit_code);
}

int
fe_metrics_commit(struct fe_metrics *m)
{
	return drydock_outfile_commit(&m->of);
}

void
fe_metrics_abort(struct fe_metrics *m)
{
	drydock_outfile_abort(&m->of);
}
