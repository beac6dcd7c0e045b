/* SPDX-License-Identifier: MIT */
/*
 * quarantine.h --- a quarantine directory: objects/ holds what was moved
 * out of a store, journal.sqlite says what and from where.  drydock-gc's
 * --quarantine and --restore and drydock-fsck's -p share it: one layout,
 * one way to open it (never through a symlink at objects/).
 */
#ifndef DRYDOCK_QUARANTINE_H
#define DRYDOCK_QUARANTINE_H

#include <drydock/common.h>
#include <drydock/journal.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_quarantine {
	int objects_fd; /* DIR/objects, opened O_NOFOLLOW; -1 when closed */
	struct drydock_journal *journal; /* DIR/journal.sqlite */
};

/*
 * Open quarantine dir: with create, make dir and dir/objects (mode 0700,
 * the parent must exist) and the journal when missing; without, both must
 * exist (a restore).
 *
 * @param q caller-allocated, filled in; release with _close even on error
 * @return 0; DRYDOCK_ENOTFOUND (no such quarantine, create not set);
 *         DRYDOCK_ERROR with a message naming the path
 */
DRYDOCK_EXTERN int drydock_quarantine_open(
    struct drydock_quarantine *q, const char *dir, int create);

/* Close what _open opened.  NULL-safe, idempotent. */
DRYDOCK_EXTERN void drydock_quarantine_close(struct drydock_quarantine *q);

#ifdef __cplusplus
}
#endif

#endif
