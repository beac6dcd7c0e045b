/* SPDX-License-Identifier: MIT */
/* metrics.c --- Prometheus textfile gauges (metrics.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

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
	if (m->last == NULL || strcmp(m->last, name) != 0) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
		m->last = name;
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
