/* SPDX-License-Identifier: MIT */
/*
 * sweep.c --- carry out the plan: remove, or move into quarantine with a
 * journal entry written first.  Items come sorted links-first (plan.c), so
 * a run killed at any point leaves no link to data that is gone, and a
 * rerun simply finds what is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gc.h"

struct sweep_ctx {
	struct gc_run *run;
	struct drydock_journal *journal;
	int64_t journal_run;
	int qfd; /* DIR/objects */
	long abort_after; /* test hook: SIGKILL ourselves after N removals */
	long count;
};

const char *
gc_kind_name(int kind)
{
	static const char *const names[GC_KIND_MAX] = {"blob", "layer-link",
	    "revision", "tag-history", "upload", "repository"};

	return kind >= 0 && kind < GC_KIND_MAX ? names[kind] : "unknown";
}

/* Remove one item from the store for good. */
static int
remove_item(struct gc_run *run, struct gc_item *it)
{
	char rel[1100];
	int r;

	switch (it->kind) {
	case GC_KIND_BLOB:
		/* data first: an empty blob directory is harmless debris */
		snprintf(rel, sizeof(rel), "%s/data", it->path);
		r = drydock_store_unlink(run->st, rel);
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		r = drydock_store_rmdir(run->st, it->path);
		return r == DRYDOCK_EEXISTS || r == DRYDOCK_ENOTFOUND ? 0 : r;
	case GC_KIND_LAYER_LINK:
		snprintf(rel, sizeof(rel), "%s/link", it->path);
		r = drydock_store_unlink(run->st, rel);
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		r = drydock_store_rmdir(run->st, it->path);
		return r == DRYDOCK_EEXISTS || r == DRYDOCK_ENOTFOUND ? 0 : r;
	case GC_KIND_REPOSITORY:
		r = drydock_store_prune_empty(run->st, it->path);
		if (r == DRYDOCK_EEXISTS)
			return r; /* a child repository or a new push: stays */
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		return drydock_store_prune_parents(
		    run->st, it->path, "repositories");
	default:
		r = drydock_store_remove_tree(run->st, it->path);
		return r == DRYDOCK_ENOTFOUND ? 0 : r;
	}
}

/* Move one item into the quarantine directory, journal first. */
static int
quarantine_item(struct sweep_ctx *c, struct gc_item *it)
{
	struct gc_run *run = c->run;
	struct drydock_journal_entry e;
	char dstr[DRYDOCK_DIGEST_STRMAX], qname[64];
	int64_t id = 0;
	int r;

	if (it->kind == GC_KIND_REPOSITORY)
		return remove_item(run, it); /* only empty directories */
	memset(&e, 0, sizeof(e));
	e.root = drydock_store_root(run->st);
	e.kind = gc_kind_name(it->kind);
	e.path = it->path;
	e.digest = it->id == UINT32_MAX
	    ? NULL
	    : drydock_digest_format(dstr, &run->ids[it->id]);
	e.size = (int64_t)it->size;
	e.reason = it->reason;
	e.qname = "";
	if ((r = drydock_journal_plan(c->journal, c->journal_run, &e, &id)) < 0)
		return r;
	snprintf(qname, sizeof(qname), "%lld", (long long)id);
	r = drydock_store_move_out(run->st, it->path, c->qfd, qname);
	if (r == DRYDOCK_ENOTFOUND)
		return drydock_journal_set_state(
		    c->journal, id, DRYDOCK_JOURNAL_RESTORED);
	if (r < 0)
		return r;
	return drydock_journal_set_state(c->journal, id, DRYDOCK_JOURNAL_MOVED);
}

/* The blob may have been re-pushed since the plan: look once more. */
static int
still_garbage(struct gc_run *run, const struct gc_item *it)
{
	int64_t mtime = 0;
	int r;

	if (it->kind != GC_KIND_BLOB)
		return 1;
	r = drydock_store_blob_stat(run->st, &run->ids[it->id], NULL, &mtime);
	if (r == DRYDOCK_ENOTFOUND)
		return 1;
	return r == 0 && mtime < run->race_ns;
}

static int
open_quarantine(struct sweep_ctx *c, const char *dir)
{
	char path[4096];
	int error;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		drydock_error_set_os("cannot create quarantine '%s'", dir);
		return DRYDOCK_ERROR;
	}
	snprintf(path, sizeof(path), "%s/objects", dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		drydock_error_set_os("cannot create '%s'", path);
		return DRYDOCK_ERROR;
	}
	c->qfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->qfd < 0) {
		drydock_error_set_os("cannot open '%s'", path);
		return DRYDOCK_ERROR;
	}
	snprintf(path, sizeof(path), "%s/journal.sqlite", dir);
	if ((error = drydock_journal_open(&c->journal, path, 1)) < 0)
		return error;
	return drydock_journal_begin_run(
	    c->journal, drydock_store_root(c->run->st), 0, &c->journal_run);
}

int
gc_sweep(struct gc_run *run)
{
	struct sweep_ctx c;
	const char *hook = getenv("DRYDOCK_GC_TEST_ABORT_AFTER");
	size_t i;
	int error = 0, r;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.qfd = -1;
	c.abort_after = hook ? strtol(hook, NULL, 10) : -1;
	if (!run->opts->dry_run && run->opts->quarantine &&
	    (error = open_quarantine(&c, run->opts->quarantine)) < 0)
		goto out;
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		if (gc_stop) {
			run->interrupted = 1;
			break;
		}
		if (it->cancelled)
			continue;
		if ((i & 255) == 0)
			gc_progress(run, "removing", i, run->nitems);
		if (!run->opts->dry_run) {
			if (!still_garbage(run, it)) {
				it->cancelled = 1;
				run->cancelled++;
				continue;
			}
			if (c.abort_after >= 0 && c.count++ >= c.abort_after)
				raise(SIGKILL);
			r = c.journal ? quarantine_item(&c, it)
			              : remove_item(run, it);
			if (r == DRYDOCK_EEXISTS &&
			    it->kind == GC_KIND_REPOSITORY) {
				it->cancelled = 1;
				run->cancelled++;
				continue;
			}
			if (r < 0) {
				drydock_store_problem(run->st, it->path, r,
				    "cannot remove: %s",
				    drydock_error_message());
				continue;
			}
		}
		it->done = 1;
		run->removed[it->kind]++;
		run->removed_bytes += it->size;
	}
	gc_progress_end(run);
out:
	if (c.journal) {
		drydock_journal_end_run(c.journal, c.journal_run,
		    run->interrupted ? DRYDOCK_EXIT_INTERRUPTED : 0);
		drydock_journal_close(c.journal);
	}
	if (c.qfd >= 0)
		close(c.qfd);
	return error;
}
