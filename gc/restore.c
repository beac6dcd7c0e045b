/* SPDX-License-Identifier: MIT */
/*
 * restore.c --- drydock-gc --restore DIR: move back what a --quarantine run
 * moved out, newest first, so blob data returns before the links that name
 * it (the sweep removed links first).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gc.h"

struct restore_ctx {
	struct drydock_store *st;
	struct drydock_journal *j;
	int qfd;
	const struct gc_opts *opts;
	long restored, present, foreign, failed;
	int error;
};

/*
 * A journaled item that never reached the quarantine: the store still has
 * it, or, for a tag, a run killed between its two renames left it aside
 * (GC_TAG_ASIDE), from where it goes back.
 */
static int
never_moved(struct restore_ctx *c, const struct drydock_journal_entry *e)
{
	int r = DRYDOCK_ENOTFOUND;

	if (strcmp(e->kind, gc_kind_name(GC_KIND_TAG)) == 0)
		r = gc_untag_put_back(c->st, e->path);
	if (r == 0) {
		c->restored++;
		if (c->opts->com.verbose)
			printf("restored %s %s\n", e->kind, e->path);
	} else if (r == DRYDOCK_EEXISTS) {
		c->present++; /* pushed since: the next run ends the rest */
	} else if (r != DRYDOCK_ENOTFOUND) {
		fprintf(stderr, "drydock-gc: cannot restore '%s': %s\n",
		    e->path, drydock_error_message());
		c->failed++;
		return 0;
	}
	drydock_error_clear();
	return drydock_journal_set_state(c->j, e->id, DRYDOCK_JOURNAL_RESTORED);
}

static int
restore_cb(const struct drydock_journal_entry *e, void *payload)
{
	struct restore_ctx *c = payload;
	char qname[32];
	int r;

	if (gc_stop)
		return DRYDOCK_EINTR;
	if (strcmp(e->root, drydock_store_root(c->st)) != 0) {
		c->foreign++;
		return 0;
	}
	snprintf(qname, sizeof(qname), "%lld", (long long)e->id);
	if (e->state == DRYDOCK_JOURNAL_PLANNED &&
	    faccessat(c->qfd, qname, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return never_moved(c, e);
	r = drydock_store_move_in(c->st, c->qfd, qname, e->path);
	if (r == DRYDOCK_EEXISTS) {
		/* re-pushed since: the store's copy wins, ours stays put */
		c->present++;
		if (c->opts->com.verbose)
			printf("present %s %s (left in quarantine)\n", e->kind,
			    e->path);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "drydock-gc: cannot restore '%s': %s\n",
		    e->path, drydock_error_message());
		c->failed++;
		return 0;
	}
	if ((r = drydock_journal_set_state(
	         c->j, e->id, DRYDOCK_JOURNAL_RESTORED)) < 0)
		return r;
	c->restored++;
	if (c->opts->com.verbose)
		printf("restored %s %s\n", e->kind, e->path);
	return 0;
}

int
gc_restore(const struct gc_opts *opts, struct drydock_store *st)
{
	struct restore_ctx c;
	struct drydock_quarantine q;
	int error;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.opts = opts;
	c.qfd = -1;
	error = drydock_quarantine_open(&q, opts->restore, 0);
	c.qfd = q.objects_fd;
	c.j = q.journal;
	if (error < 0)
		goto out;
	/*
	 * A crash between journaling and moving leaves entries "planned":
	 * those whose object made it into quarantine are restored too.
	 */
	error = drydock_journal_foreach(
	    c.j, DRYDOCK_JOURNAL_PLANNED, 1, restore_cb, &c);
	if (error == 0)
		error = drydock_journal_foreach(
		    c.j, DRYDOCK_JOURNAL_MOVED, 1, restore_cb, &c);
	if (!opts->com.quiet)
		printf("drydock-gc: restored %ld items from %s into %s"
		       "%s%ld already present, %ld failed, %ld from other "
		       "roots\n",
		    c.restored, opts->restore, drydock_store_root(st), "; ",
		    c.present, c.failed, c.foreign);
	if (error == 0 && c.failed)
		error = DRYDOCK_ERROR;
out:
	drydock_journal_close(c.j);
	if (c.qfd >= 0)
		close(c.qfd);
	return error;
}
