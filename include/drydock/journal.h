/* SPDX-License-Identifier: MIT */
/*
 * journal.h --- the SQLite journal of a quarantine directory: what was
 * moved out of which store to where, so that it can be restored.
 */
#ifndef DRYDOCK_JOURNAL_H
#define DRYDOCK_JOURNAL_H

#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_journal;

struct drydock_journal_entry {
	int64_t id;
	int64_t run;           /* the run that moved it */
	const char *root;      /* the storage root it came from */
	const char *kind;      /* "blob", "layer-link", "revision", ... */
	const char *path;      /* original path, relative to $V2 */
	const char *qname;     /* its name inside the quarantine directory */
	const char *digest;    /* or NULL */
	int64_t size;
	const char *reason;
	int state;             /* enum drydock_journal_state */
};

enum drydock_journal_state {
	DRYDOCK_JOURNAL_PLANNED = 0, /* recorded, not yet moved */
	DRYDOCK_JOURNAL_MOVED = 1,   /* in quarantine */
	DRYDOCK_JOURNAL_RESTORED = 2 /* moved back */
};

/* Open (creating if asked) DIR/journal.sqlite. */
DRYDOCK_EXTERN int drydock_journal_open(
    struct drydock_journal **out, const char *path, int create);
DRYDOCK_EXTERN void drydock_journal_close(struct drydock_journal *j);

/* Start a run; *run_out gets its id. */
DRYDOCK_EXTERN int drydock_journal_begin_run(
    struct drydock_journal *j, const char *root, int dry_run, int64_t *run_out);
DRYDOCK_EXTERN int drydock_journal_end_run(
    struct drydock_journal *j, int64_t run, int exit_code);

/* Record a planned move; *id_out gets the entry id. */
DRYDOCK_EXTERN int drydock_journal_plan(struct drydock_journal *j, int64_t run,
    const struct drydock_journal_entry *e, int64_t *id_out);
DRYDOCK_EXTERN int drydock_journal_set_state(
    struct drydock_journal *j, int64_t id, int state);

/*
 * Drop a PLANNED entry whose move never happened (an interrupt came first,
 * the object was gone, or the move failed), so the journal lists exactly
 * what moved.  Entries in another state are left alone.
 *
 * @return 0, DRYDOCK_ENOTFOUND when no planned entry has that id, or
 *         DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_journal_forget(
    struct drydock_journal *j, int64_t id);

/* Transactions around many plans (speed). */
DRYDOCK_EXTERN int drydock_journal_begin(struct drydock_journal *j);
DRYDOCK_EXTERN int drydock_journal_commit(struct drydock_journal *j);

typedef int (*drydock_journal_cb)(const struct drydock_journal_entry *e,
    void *payload);
/*
 * Entries in a given state, in the order they were recorded (reverse
 * when reverse is set), all runs.
 */
DRYDOCK_EXTERN int drydock_journal_foreach(struct drydock_journal *j, int state,
    int reverse, drydock_journal_cb cb, void *payload);

#ifdef __cplusplus
}
#endif

#endif
