/* SPDX-License-Identifier: MIT */
/*
 * syslog.h --- one line per run to the system log: what the run did, with
 * its counts and bytes, even under -q, so that `journalctl -t drydock-gc`
 * (the units' SyslogIdentifier=) shows every night's run.  Warning
 * priority when the run found problems or failed, info otherwise.
 */
#ifndef FE_SYSLOG_H
#define FE_SYSLOG_H

/* The line, as printf formats it; sent to /dev/log, never an error. */
void fe_syslog_run(int warning, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
