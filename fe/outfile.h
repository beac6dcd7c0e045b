/* SPDX-License-Identifier: MIT */
/*
 * outfile.h --- (the tools' front end) an output file that readers see whole or not at all:
 * written beside its name and renamed into place on commit, which is what
 * Prometheus' textfile collector, a cron job reading a --json report and
 * a backup reading an archive need.  What is not a regular file is never
 * replaced: "-" is standard output, and so is a symlink to it
 * (/dev/stdout, /proc/self/fd/1); a FIFO or a character device is written
 * as it is, streaming; a symlink to a regular file is written through
 * (the file it names is replaced, the link stays); a directory, a block
 * device, a socket or a symlink to nothing is refused.
 */
#ifndef FE_OUTFILE_H
#define FE_OUTFILE_H

#include <stdio.h>


#ifdef __cplusplus
extern "C" {
#endif

struct drydock_outfile {
	FILE *f; /* write here between open and commit */
	char *dest; /* as given (owned) */
	char *tmp; /* the temporary name, or NULL when written directly */
	char *target; /* what tmp replaces: dest, or the file a symlink
	                 dest names (owned; NULL when written directly) */
	unsigned flags; /* enum drydock_outfile_flags */
};

enum drydock_outfile_flags {
	DRYDOCK_OUTFILE_SYNC = 1 << 0 /* fsync before the rename */
};

/* How dest is written (drydock_outfile_check). */
enum drydock_outfile_kind {
	DRYDOCK_OUTFILE_REPLACE = 0, /* a regular file, new or replaced */
	DRYDOCK_OUTFILE_DIRECT = 1, /* a FIFO or character device, as is */
	DRYDOCK_OUTFILE_STDOUT = 2 /* "-", or a symlink to our stdout */
};

/*
 * Say how dest would be written, and prove that it can be, before a run
 * changes anything: a tool that deletes calls this first, so that a
 * report its operator relies on is never lost after the deed.  A FIFO or
 * a device must be writable to us (it is not opened: a FIFO would wait for
 * its reader); for a file, a temporary file is made beside it and removed
 * at once.  Nothing is left behind.
 *
 * @param kind_out enum drydock_outfile_kind, or NULL
 * @return 0; DRYDOCK_EUNSUPPORTED when dest is a directory, a block
 *         device, a socket or a symlink to nothing (the message says
 *         which); DRYDOCK_ERROR when it cannot be looked at or written (a
 *         missing directory, no permission, a read-only file system)
 */
int drydock_outfile_check(int *kind_out, const char *dest);

/*
 * Open dest for writing.  Same as drydock_outfile_open_ext(of, dest, 0).
 *
 * @param of a caller-allocated struct, filled in; pass it to _commit or
 *        _abort, which release what it holds
 * @return 0, DRYDOCK_EUNSUPPORTED (see _check), or DRYDOCK_ERROR with a
 *         message naming dest
 */
int drydock_outfile_open(
    struct drydock_outfile *of, const char *dest);

/*
 * Open dest for writing, with flags (enum drydock_outfile_flags).  A
 * caller may also write to fileno(of->f) directly (an archive writer
 * does), never to both.
 */
int drydock_outfile_open_ext(
    struct drydock_outfile *of, const char *dest, unsigned flags);

/*
 * Flush and close, then rename the temporary file into place.  On any
 * error (including one fprintf met earlier: ferror) the temporary file
 * is removed and dest is left as it was.  Standard output is flushed,
 * not closed.
 *
 * @return 0, or DRYDOCK_ERROR with a message naming dest (sys_errno set)
 */
int drydock_outfile_commit(struct drydock_outfile *of);

/* Give up: close and remove the temporary file.  NULL-safe, idempotent. */
void drydock_outfile_abort(struct drydock_outfile *of);

#ifdef __cplusplus
}
#endif

#endif
