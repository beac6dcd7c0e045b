/* SPDX-License-Identifier: MIT */
/*
 * signals.h --- SIGINT, SIGTERM and SIGHUP stop a run cleanly: the handler
 * only sets a flag the tool's loops look at; the run writes its report and
 * exits 32.  SIGPIPE is ignored: a reader that goes away is an EPIPE write
 * error with a message, not a silent death.
 */
#ifndef FE_SIGNALS_H
#define FE_SIGNALS_H

#include <signal.h>

/* Install the handlers; *flag becomes 1 on the first signal. */
void fe_signals_catch(volatile sig_atomic_t *flag);

#endif
