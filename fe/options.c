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

void
fe_opt_common_init(struct fe_common *c)
{
	c->json = c->metrics = c->config = NULL;
	c->quiet = c->verbose = 0;
	c->progress = -1;
}

int
fe_opt_common(struct fe_common *c, int opt, const char *arg, void (*help)(void))
{
	switch (opt) {
	case 'h':
		help();
		break;
	case 'q':
		c->quiet = 1;
		break;
	case 'v':
		c->verbose++;
		break;
	case 'V':
		fe_version();
	case FE_OPT_CONFIG:
		c->config = arg;
		break;
	case FE_OPT_JSON:
		c->json = arg;
		break;
	case FE_OPT_METRICS:
		c->metrics = arg;
		break;
	case FE_OPT_NO_PROGRESS:
		c->progress = 0;
		break;
	case FE_OPT_PROGRESS:
		c->progress = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

int
fe_opt_stored(const struct fe_opt_store *t, int opt, const char *arg)
{
	for (; t->opt != 0; t++) {
		if (t->opt != opt)
			continue;
		if (t->str != NULL)
			*t->str = arg;
		if (t->flag != NULL)
			*t->flag = 1;
		return 1;
	}
	return 0;
}

void
fe_opt_common_end(struct fe_common *c)
{
	c->progress = c->quiet ? 0 : fe_opt_progress(c->progress);
}
