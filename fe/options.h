/* SPDX-License-Identifier: MIT */
/*
 * options.h --- option values the three tools parse alike: durations,
 * bounded numbers (-j), and the storage root given as ROOT or --config.
 * A bad value is a usage error (fe_usage: exit 16) naming the option.
 */
#ifndef FE_OPTIONS_H
#define FE_OPTIONS_H

#include <stdint.h>

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
