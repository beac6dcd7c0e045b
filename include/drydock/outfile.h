/* SPDX-License-Identifier: MIT */
/*
 * outfile.h --- a report or metrics file that readers see whole or not at
 * all: written beside its name and renamed into place on commit, which is
 * what Prometheus' textfile collector and a cron job reading a --json
 * report need.  "-" is standard output; a FIFO or a device (/dev/stdout)
 * that already exists is written as it is.
 */
#ifndef DRYDOCK_OUTFILE_H
#define DRYDOCK_OUTFILE_H

#include <stdio.h>

struct drydock_outfile {
	FILE *f; /* write here between open and commit */
	char *dest; /* as given (owned) */
	char *tmp; /* the temporary name, or NULL when written directly */
};

/*
 * Open dest for writing.
 *
 * @param of a caller-allocated struct, filled in; pass it to _commit or
 *        _abort, which release what it holds
 * @return 0, or DRYDOCK_ERROR with a message naming dest
 */
int drydock_outfile_open(struct drydock_outfile *of, const char *dest);

/*
 * Flush and close, then rename the temporary file into place.  On any
 * error (including one fprintf met earlier: ferror) the temporary file
 * is removed and dest is left as it was.
 *
 * @return 0, or DRYDOCK_ERROR with a message naming dest
 */
int drydock_outfile_commit(struct drydock_outfile *of);

/*
 * Check, before a run changes anything, that dest can be written: "-";
 * an existing FIFO or device we may write; or a directory where a file
 * can be created beside dest (one is made and removed at once).  A tool
 * that deletes calls this first, so that a report its operator relies on
 * is never lost after the deed.  Nothing is left behind.
 *
 * @return 0, or DRYDOCK_ERROR with a message naming dest and the reason
 *         (a directory, a missing directory, no permission, a read-only
 *         file system)
 */
int drydock_outfile_check(const char *dest);

/* Give up: close and remove the temporary file.  NULL-safe, idempotent. */
void drydock_outfile_abort(struct drydock_outfile *of);

#endif
