/* SPDX-License-Identifier: MIT */
/* options.c --- durations, numbers and the storage root (options.h). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <drydock/drydock.h>

#include "fe/err.h"
#include "fe/options.h"

int64_t
fe_opt_duration(const char *name, const char *arg)
{
	int64_t v = 0;

	if (drydock_duration_parse(&v, arg) < 0)
		fe_usage("%s: %s", name, drydock_error_message());
	return v;
}

long
fe_opt_number(const char *name, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi)
		fe_usage("%s: '%s' is not a number from %ld to %ld", name, arg,
		    lo, hi);
	return v;
}

const char *
fe_opt_root(int argc, char **argv, const char *config)
{
	if (argc == 0 && config == NULL)
		fe_usage("no storage root given");
	if (argc > 1 || (argc == 1 && config != NULL))
		fe_usage("give either ROOT or --config, once");
	return argc == 1 ? argv[0] : NULL;
}

int
fe_opt_progress(int progress)
{
	return progress >= 0 ? progress : isatty(STDERR_FILENO);
}
