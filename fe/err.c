/* SPDX-License-Identifier: MIT */
/* err.c --- messages, usage errors and the version line (err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <drydock/drydock.h>

#include "fe/exit.h"

#include "fe/err.h"

static const char *progname = "drydock";
static const char *synopsis = "";

void
fe_init(const char *name, const char *syn)
{
	progname = name;
	synopsis = syn;
}

const char *
fe_progname(void)
{
	return progname;
}

void
fe_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
fe_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(synopsis, stderr);
	fprintf(stderr, "Try '%s --help' for more.\n", progname);
	exit(DRYDOCK_EXIT_USAGE);
}

void
fe_version(void)
{
	printf("%s (drydock) %s\n", progname, DRYDOCK_VERSION);
	exit(0);
}
