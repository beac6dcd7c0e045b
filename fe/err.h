/* SPDX-License-Identifier: MIT */
/*
 * err.h --- the three tools' voice: messages as "drydock-gc: ...", the
 * usage error, the version line.  Like libarchive_fe/err.h.
 */
#ifndef FE_ERR_H
#define FE_ERR_H

/* Set once, first thing in main: the program's name and its synopsis. */
void fe_init(const char *progname, const char *synopsis);
const char *fe_progname(void);

/* "progname: message" on standard error. */
void fe_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A usage error: "progname: message" (when fmt is not NULL), the synopsis
 * and a hint on standard error, exit 16.
 */
_Noreturn void fe_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "progname (drydock) X.Y.Z" on standard output, exit 0. */
_Noreturn void fe_version(void);

#endif
