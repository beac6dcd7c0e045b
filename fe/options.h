/* SPDX-License-Identifier: MIT */
/*
 * options.h --- option values the three tools parse alike: durations,
 * bounded numbers (-j), and the storage root given as ROOT or --config.
 * A bad value is a usage error (fe_usage: exit 16) naming the option.
 */
#ifndef FE_OPTIONS_H
#define FE_OPTIONS_H

#include <getopt.h>
#include <stdint.h>

/*
 * The options every tool takes, alike: -h, -V, -q, -v, --json,
 * --metrics, --progress/--no-progress, and --config where a tool reads a
 * registry's config.yml.  A tool's own options are numbered from 256;
 * these from FE_OPT_BASE, so the two never meet.
 */
struct fe_common {
	const char *json; /* --json FILE|- */
	const char *metrics; /* --metrics FILE */
	const char *config; /* --config FILE */
	int quiet; /* -q */
	int verbose; /* -v, counted */
	int progress; /* 1 --progress, 0 --no-progress, -1 unset */
};

enum fe_opt {
	FE_OPT_BASE = 0x1000,
	FE_OPT_CONFIG,
	FE_OPT_JSON,
	FE_OPT_METRICS,
	FE_OPT_NO_PROGRESS,
	FE_OPT_PROGRESS
};

/*
 * The long options of struct fe_common, for a tool's longopts[], and
 * --dry-run (-n) and --jobs (-j), which every tool takes and reads itself.
 */
#define FE_OPT_LONGOPTS                                                        \
	{"help", no_argument, NULL, 'h'},                                      \
	    {"dry-run", no_argument, NULL, 'n'},                               \
	    {"jobs", required_argument, NULL, 'j'},                            \
	    {"json", required_argument, NULL, FE_OPT_JSON},                    \
	    {"metrics", required_argument, NULL, FE_OPT_METRICS},              \
	    {"no-progress", no_argument, NULL, FE_OPT_NO_PROGRESS},            \
	    {"progress", no_argument, NULL, FE_OPT_PROGRESS},                  \
	    {"quiet", no_argument, NULL, 'q'},                                 \
	    {"verbose", no_argument, NULL, 'v'},                               \
	{                                                                      \
		"version", no_argument, NULL, 'V'                              \
	}
#define FE_OPT_CONFIG_LONGOPT                                                  \
	{                                                                      \
		"config", required_argument, NULL, FE_OPT_CONFIG               \
	}

/* Before getopt: nothing given, progress unset. */
void fe_opt_common_init(struct fe_common *c);

/*
 * One option getopt_long returned: a common one is taken into c (-h calls
 * help, which does not return; -V prints the version and exits) and 1
 * returned; 0 for the tool's own options.
 */
int fe_opt_common(
    struct fe_common *c, int opt, const char *arg, void (*help)(void));

/*
 * A tool's options that only store what they are given, as a table (the
 * end: opt 0): a string option's argument, or 1 in a flag.
 */
struct fe_opt_store {
	int opt; /* what getopt_long returns for it */
	const char **str; /* the argument goes here, or NULL */
	int *flag; /* set to 1, or NULL */
};

/* 1 when opt is in table t (its value stored), else 0. */
int fe_opt_stored(const struct fe_opt_store *t, int opt, const char *arg);

/* After getopt: the progress line's default (a terminal), never with -q. */
void fe_opt_common_end(struct fe_common *c);

/* "30m", "24h", "7d", "0" into seconds, at most 36500d. */
int64_t fe_opt_duration(const char *name, const char *arg);

/* A whole number from lo to hi. */
long fe_opt_number(const char *name, const char *arg, long lo, long hi);

/*
 * The operands after the options: exactly one ROOT, or none with --config
 * (config not NULL).  Returns the ROOT given, or NULL with --config.
 */
const char *fe_opt_root(int argc, char **argv, const char *config);

/* --progress / --no-progress left unset (-1): on when stderr is a tty. */
int fe_opt_progress(int progress);

#endif
