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
	struct gc_aside aside; /* where tags are renamed to (untag.c) */
	long abort_after; /* test hook: signal ourselves after N removals */
	int abort_signal; /* SIGKILL, or DRYDOCK_GC_TEST_ABORT_SIGNAL */
	long count;
	char (*paths)[GC_PATH_MAX + 16]; /* SWEEP_BATCH of them */
};

/* Remove one item from the store for good. */
/*
 * Rename, then remove: see GC_UPLOAD_LEFTOVER.  Where a rename is no
 * atomic step (S3: copies, then deletes) it would only double the
 * requests, and what a stopped removal leaves keeps its age there
 * (an object's LastModified does not move): remove at once.
 */
static int
remove_upload(struct gc_run *run, const char *path)
{
	const char *base = strrchr(path, '/');
	char newname[300], rel[1100];
	int r;

	base = base != NULL ? base + 1 : path;
	if (strncmp(base, GC_UPLOAD_LEFTOVER, strlen(GC_UPLOAD_LEFTOVER)) ==
	        0 ||
	    !drydock_store_has_atomic_rename(run->st)) {
		r = drydock_store_remove_tree(run->st, path);
		return r == DRYDOCK_ENOTFOUND ? 0 : r;
	}
	snprintf(newname, sizeof(newname), "%s%s", GC_UPLOAD_LEFTOVER, base);
	r = drydock_store_rename_sibling(run->st, path, newname);
	if (r == DRYDOCK_ENOTFOUND)
		return 0;
	if (r == DRYDOCK_EEXISTS) /* an older leftover of it: remove it */
		r = drydock_store_remove_tree(run->st, path);
	else if (r == 0) {
		snprintf(rel, sizeof(rel), "%.*s%s", (int)(base - path), path,
		    newname);
		r = drydock_store_remove_tree(run->st, rel);
	}
	return r == DRYDOCK_ENOTFOUND ? 0 : r;
}

static int
remove_item(struct gc_run *run, struct gc_item *it)
{
	/*
	 * _manifests last: a kill between two of these must leave a
	 * directory the next run still takes for a repository (with
	 * _manifests or _layers), or an empty one it also removes (lib/walk
	 * DRYDOCK_WALK_EMPTY); one left with only _uploads was neither.
	 */
	static const char *const subs[] = {
	    "_uploads", "_layers", "_manifests", NULL};
	const char *const *sub;
	char rel[GC_PATH_MAX + 16], buf[GC_PATH_MAX];
	const char *path = gc_item_path(run, it, buf, sizeof(buf));
	int r;

	switch (it->kind) {
	case GC_KIND_BLOB:
		/* data first: an empty blob directory is harmless debris */
		snprintf(rel, sizeof(rel), "%s/data", path);
		r = drydock_store_unlink(run->st, rel);
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		r = drydock_store_rmdir(run->st, path);
		return r == DRYDOCK_EEXISTS || r == DRYDOCK_ENOTFOUND ? 0 : r;
	case GC_KIND_LAYER_LINK:
		snprintf(rel, sizeof(rel), "%s/link", path);
		r = drydock_store_unlink(run->st, rel);
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		r = drydock_store_rmdir(run->st, path);
		return r == DRYDOCK_EEXISTS || r == DRYDOCK_ENOTFOUND ? 0 : r;
	case GC_KIND_REPOSITORY:
		/*
		 * Only its own metadata, with rmdir alone: a nested repository
		 * below it, or a file a push just wrote, stops the removal.
		 */
		for (sub = subs; *sub != NULL; sub++) {
			snprintf(rel, sizeof(rel), "%s/%s", path, *sub);
			r = drydock_store_prune_empty(run->st, rel);
			if (r < 0 && r != DRYDOCK_ENOTFOUND)
				return r;
		}
		r = drydock_store_rmdir(run->st, path);
		if (r == DRYDOCK_EEXISTS)
			return 0; /* it holds nested repositories */
		if (r < 0 && r != DRYDOCK_ENOTFOUND)
			return r;
		return drydock_store_prune_parents(
		    run->st, path, "repositories");
	case GC_KIND_UPLOAD:
		return remove_upload(run, path);
	default: /* tags: gc_untag() */
		r = drydock_store_remove_tree(run->st, path);
		return r == DRYDOCK_ENOTFOUND ? 0 : r;
	}
}

/*
 * Journal a batch of planned moves in one transaction: durable before any
 * of them moves, so a crash leaves entries --restore can act on.
 */
static int
journal_batch(
    struct sweep_ctx *c, struct gc_item **batch, int64_t *jid, size_t n)
{
	struct gc_run *run = c->run;
	char dstr[DRYDOCK_DIGEST_STRMAX], buf[GC_PATH_MAX];
	size_t i;
	int r;

	if ((r = drydock_journal_begin(c->journal)) < 0)
		return r;
	for (i = 0; i < n; i++) {
		struct drydock_journal_entry e;
		const struct gc_item *it = batch[i];
		struct drydock_digest d;

		jid[i] = -1;
		if (it->kind == GC_KIND_REPOSITORY)
			continue; /* only empty directories: nothing to keep */
		memset(&e, 0, sizeof(e));
		e.root = drydock_store_root(run->st);
		e.kind = gc_kind_name(it->kind);
		e.path = gc_item_path(run, it, buf, sizeof(buf));
		/* a tag set aside goes back where it was, as that tag */
		if (gc_item_is_leftover(it) &&
		    gc_tag_path_swap(buf, sizeof(buf), it->path, 0) == 0)
			e.path = buf;
		if (it->id != UINT32_MAX)
			d = gc_digest(run, it->id);
		e.digest = it->id == UINT32_MAX
		    ? NULL
		    : drydock_digest_format(dstr, &d);
		e.size = (int64_t)it->size;
		e.reason = gc_reason_name(it->reason);
		e.qname = "";
		if ((r = drydock_journal_plan(
		         c->journal, c->journal_run, &e, &jid[i])) < 0)
			return r;
	}
	return drydock_journal_commit(c->journal);
}

/* Move one journaled item into the quarantine directory. */
static int
quarantine_item(
    struct sweep_ctx *c, struct gc_item *it, int64_t jid, int *state)
{
	char qname[32], buf[GC_PATH_MAX];
	int r;

	if (jid < 0)
		return remove_item(c->run, it);
	snprintf(qname, sizeof(qname), "%lld", (long long)jid);
	r = drydock_store_move_out(c->run->st,
	    gc_item_path(c->run, it, buf, sizeof(buf)), c->qfd, qname);
	if (r == DRYDOCK_ENOTFOUND)
		return 0; /* nothing moved: *state stays "not moved" */
	if (r == 0)
		*state = DRYDOCK_JOURNAL_MOVED;
	return r;
}

/* Remove or move one tag item (untag.c). */
static int
untag_item(struct sweep_ctx *c, struct gc_item *it, int64_t jid, int *state)
{
	char qname[32] = "";
	int r, moved = 0;

	if (c->journal) /* else jid was never set */
		snprintf(qname, sizeof(qname), "%lld", (long long)jid);
	r = gc_untag(
	    c->run, &c->aside, it, c->journal ? c->qfd : -1, qname, &moved);
	if (moved)
		*state = DRYDOCK_JOURNAL_MOVED;
	return r;
}

/*
 * The blob may have been re-pushed since the plan, the tag moved: look
 * once more.
 */
static int
still_garbage(struct gc_run *run, const struct gc_item *it, int stat_code,
    int64_t stat_mtime)
{
	struct drydock_digest d;
	int64_t mtime = 0;
	int r;

	/* a tag moved meanwhile marks what it names now (recheck.c) */
	if (gc_item_needed(run, it))
		return 0;
	if (gc_item_is_leftover(it))
		return 1; /* gone from tags/ already */
	if (it->kind == GC_KIND_TAG)
		return gc_tag_unchanged(run, it, it->path) == 1;
	if (it->kind != GC_KIND_BLOB)
		return 1;
	if (stat_code != 1) { /* looked at already, with the batch's */
		r = stat_code;
		mtime = stat_mtime;
	} else {
		d = gc_digest(run, it->id);
		r = drydock_store_blob_stat(run->st, &d, NULL, &mtime);
	}
	if (r == DRYDOCK_ENOTFOUND)
		return 1;
	return r == 0 && !gc_is_racing(run, mtime);
}

static int
open_quarantine(struct sweep_ctx *c, const char *dir)
{
	struct drydock_quarantine q;
	int error;

	error = drydock_quarantine_open(&q, dir, 1);
	c->qfd = q.objects_fd;
	c->journal = q.journal;
	if (error < 0)
		return error;
	return drydock_journal_begin_run(
	    c->journal, drydock_store_root(c->run->st), 0, &c->journal_run);
}

/*
 * Items looked at, journaled and removed together: on S3 a batch's
 * blobs go in a few DeleteObjects requests, several in flight.
 */
#define SWEEP_BATCH 1024

/*
 * An item's removal in the run's counts; a failure (r < 0) is a problem
 * reported at path (NULL: the item's).
 */
static void
account(struct gc_run *run, struct gc_item *it, const char *path, int r)
{
	char buf[GC_PATH_MAX];

	if (r < 0) {
		drydock_store_problem(run->st,
		    path != NULL ? path
		                 : gc_item_path(run, it, buf, sizeof(buf)),
		    r, "cannot remove: %s", drydock_error_message());
		run->failures++;
		return;
	}
	it->done = 1;
	run->removed[it->kind]++;
	run->removed_bytes += it->size;
}

/* Remove (or move) one item; account for it in the run. */
static void
sweep_one(struct sweep_ctx *c, struct gc_item *it, int64_t jid, int *state)
{
	struct gc_run *run = c->run;
	int r;

	if (c->abort_after >= 0 && c->count++ == c->abort_after)
		raise(c->abort_signal);
	if (gc_stop) /* the signal came between two items */
		return;
	/*
	 * A tag is looked at once more after the journal's commit, and again
	 * once renamed aside (gc_untag): a push to it races with nothing else.
	 */
	if (it->kind == GC_KIND_TAG)
		r = untag_item(c, it, jid, state);
	else
		r = c->journal ? quarantine_item(c, it, jid, state)
		               : remove_item(run, it);
	if (r == GC_UNTAG_STAYS ||
	    (r == DRYDOCK_EEXISTS && it->kind == GC_KIND_REPOSITORY)) {
		it->cancelled = 1; /* a push arrived: it stays */
		run->cancelled++;
		return;
	}
	account(run, it, NULL, r);
}

/*
 * Record what became of a journaled batch: moved entries are marked so,
 * and entries that never moved (interrupted before, gone already, or a
 * failed move) are dropped, so the journal holds exactly what moved.
 */
static int
journal_outcome(
    struct sweep_ctx *c, const int64_t *jid, const int *state, size_t n)
{
	size_t i;
	int error;

	if ((error = drydock_journal_begin(c->journal)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (jid[i] < 0)
			continue;
		error = state[i] == DRYDOCK_JOURNAL_MOVED
		    ? drydock_journal_set_state(c->journal, jid[i], state[i])
		    : drydock_journal_forget(c->journal, jid[i]);
		if (error < 0)
			return error;
	}
	return drydock_journal_commit(c->journal);
}

struct batch_ctx {
	struct sweep_ctx *c;
	struct gc_item **items;
	char (*paths)[GC_PATH_MAX + 16];
	const char **rels;
	struct gc_item **owner; /* rels[i] is owner[i]'s */
	unsigned char *garbage; /* still_garbage of items[i] */
	int *stat_code; /* items[i]'s blob looked at already: not 1 */
	int64_t *stat_mtime;
};

static void
probe_garbage(size_t i, void *arg)
{
	struct batch_ctx *b = arg;

	b->garbage[i] = (unsigned char)still_garbage(
	    b->c->run, b->items[i], b->stat_code[i], b->stat_mtime[i]);
}

/*
 * Where a stat is a request (S3), the batch's blobs are looked at
 * together (drydock_store_stat_many: mostly one listing); elsewhere each
 * by probe_garbage, on the reading threads.
 */
static void
stat_blobs(struct batch_ctx *b, size_t n)
{
	struct gc_run *run = b->c->run;
	const char *rels[SWEEP_BATCH];
	int codes[SWEEP_BATCH];
	int64_t mtimes[SWEEP_BATCH];
	size_t i, m = 0, at[SWEEP_BATCH];

	for (i = 0; i < n; i++)
		b->stat_code[i] = 1;
	if (drydock_store_has_fds(run->st))
		return;
	for (i = 0; i < n; i++) {
		struct drydock_digest d;

		if (b->items[i]->kind != GC_KIND_BLOB ||
		    gc_item_needed(run, b->items[i]))
			continue;
		d = gc_digest(run, b->items[i]->id);
		if (drydock_store_blob_path(
		        b->paths[m], sizeof(b->paths[m]), &d) < 0)
			continue;
		rels[m] = b->paths[m];
		at[m++] = i;
	}
	if (m == 0 ||
	    drydock_store_stat_many(run->st, rels, m, NULL, mtimes, codes) <
	        0) {
		drydock_error_clear(); /* each is looked at alone, then */
		return;
	}
	for (i = 0; i < m; i++) {
		b->stat_code[at[i]] = codes[i];
		b->stat_mtime[at[i]] = mtimes[i];
	}
}

/* Accounts for one file of a batched removal (one call at a time). */
static void
unlinked(size_t i, int code, void *payload)
{
	struct batch_ctx *b = payload;

	account(b->c->run, b->owner[i], b->rels[i],
	    code == DRYDOCK_ENOTFOUND ? 0 : code);
}

/*
 * Blobs and layer links, removed without a journal: each is one file in
 * its own directory, so the whole batch goes in one call (on S3, a few
 * DeleteObjects requests in flight instead of a request per file).
 * Revisions and history entries likewise, as whole directories (on S3
 * their listings in parallel, then DeleteObjects).  The test hook's kill
 * still comes after exactly abort_after removals.
 */
static void
sweep_files(struct batch_ctx *b, struct gc_item **items, size_t n)
{
	struct sweep_ctx *c = b->c;
	struct gc_run *run = c->run;
	char buf[GC_PATH_MAX];
	size_t i, m = 0, upto;
	/* a revision or a history entry: its directory, as remove_item */
	int trees = items[0]->kind == GC_KIND_REVISION ||
	    items[0]->kind == GC_KIND_TAG_HISTORY;

	for (i = 0; i < n; i++) {
		if (trees)
			snprintf(b->paths[m], sizeof(b->paths[m]), "%s",
			    gc_item_path(run, items[i], buf, sizeof(buf)));
		else
			snprintf(b->paths[m], sizeof(b->paths[m]), "%s/%s",
			    gc_item_path(run, items[i], buf, sizeof(buf)),
			    items[i]->kind == GC_KIND_BLOB ? "data" : "link");
		b->rels[m] = b->paths[m];
		b->owner[m++] = items[i];
	}
	upto = m;
	if (c->abort_after >= 0 && c->count + m > (size_t)c->abort_after)
		upto = (size_t)c->abort_after - c->count;
	if (trees &&
	    drydock_store_remove_trees(run->st, b->rels, upto, unlinked, b) <
	        0) {
		drydock_store_problem(run->st, "repositories", DRYDOCK_ERROR,
		    "cannot remove: %s", drydock_error_message());
		run->failures += upto;
	} else if (!trees &&
	    drydock_store_unlink_many(run->st, b->rels, upto,
	        DRYDOCK_STORE_UNLINK_DIR, unlinked, b) < 0) {
		drydock_store_problem(run->st, "blobs", DRYDOCK_ERROR,
		    "cannot remove: %s", drydock_error_message());
		run->failures += upto;
	}
	c->count += upto;
	if (upto < m)
		raise(c->abort_signal);
}

/* Whether a batch holds a blob: a stat each, worth threads. */
static int
it_has_blobs(struct gc_item *const *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i]->kind == GC_KIND_BLOB)
			return 1;
	return 0;
}

/* One batch of items: re-check, journal, act, record. */
static int
sweep_batch(struct sweep_ctx *c, size_t from, size_t to)
{
	struct gc_run *run = c->run;
	struct gc_item *cand[SWEEP_BATCH], *batch[SWEEP_BATCH];
	struct gc_item *files[SWEEP_BATCH], *owner[SWEEP_BATCH];
	const char *rels[SWEEP_BATCH];
	unsigned char garbage[SWEEP_BATCH];
	int64_t jid[SWEEP_BATCH], stat_mtime[SWEEP_BATCH];
	int state[SWEEP_BATCH], stat_code[SWEEP_BATCH];
	struct batch_ctx b = {
	    c, cand, c->paths, rels, owner, garbage, stat_code, stat_mtime};
	size_t i, n = 0, ncand = 0, nfiles = 0;
	int error;

	for (i = from; i < to; i++) {
		struct gc_item *it = &run->items[i];

		if (it->cancelled || it->done)
			continue;
		if (run->opts->dry_run) {
			it->done = 1;
			run->removed[it->kind]++;
			run->removed_bytes += it->size;
			continue;
		}
		cand[ncand++] = it;
	}
	/* the looks before removal are reads: many at once (a bucket's) */
	memset(garbage, 0, sizeof(garbage));
	stat_blobs(&b, ncand);
	if (ncand > 1 && it_has_blobs(cand, ncand))
		(void)gc_parallel_for(
		    ncand, run->opts->jobs, probe_garbage, &b);
	else
		for (i = 0; i < ncand; i++)
			probe_garbage(i, &b);
	if (gc_stop) {
		run->interrupted = 1;
		return 0;
	}
	for (i = 0; i < ncand; i++) {
		if (!garbage[i]) {
			cand[i]->cancelled = 1;
			run->cancelled++;
			continue;
		}
		batch[n++] = cand[i];
	}
	if (n == 0)
		return 0;
	if (c->journal && (error = journal_batch(c, batch, jid, n)) < 0)
		return error;
	/*
	 * Every state starts as "not moved": an interrupt may stop the loop
	 * at any item, and what it never reached must not reach the journal
	 * as moved.
	 */
	for (i = 0; i < n; i++)
		state[i] = -1;
	for (i = 0; i < n; i++) {
		if (gc_stop) {
			run->interrupted = 1;
			break;
		}
		/* a run of one kind at a time: the sweep order holds (plan.c)
		 */
		if (nfiles > 0 && batch[i]->kind != files[0]->kind) {
			sweep_files(&b, files, nfiles);
			nfiles = 0;
		}
		if (!c->journal &&
		    (batch[i]->kind == GC_KIND_BLOB ||
		        batch[i]->kind == GC_KIND_LAYER_LINK ||
		        batch[i]->kind == GC_KIND_REVISION ||
		        batch[i]->kind == GC_KIND_TAG_HISTORY)) {
			files[nfiles++] = batch[i];
			continue;
		}
		sweep_one(c, batch[i], jid[i], &state[i]);
	}
	if (nfiles > 0 && !gc_stop)
		sweep_files(&b, files, nfiles);
	return c->journal ? journal_outcome(c, jid, state, n) : 0;
}

/*
 * Tags first, each alone: looked at again just before it goes, so that a
 * push to it a moment earlier keeps it.  Then a tag that stays (it moved,
 * cannot be read, or could not be removed) keeps what it named, with the
 * referrers and attachment tags that go with it (gc_settle), before
 * anything its deletion would have freed goes.
 */
static int
sweep_tags(struct sweep_ctx *c)
{
	struct gc_run *run = c->run;
	size_t i;
	int error, pass, kept = 0;

	/* what killed runs left aside first: it may hold a tag's name */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < run->nitems; i++) {
			const struct gc_item *it = &run->items[i];

			if (it->kind != GC_KIND_TAG || it->cancelled ||
			    gc_item_is_leftover(it) != (pass == 0))
				continue;
			if (gc_stop) {
				run->interrupted = 1;
				return 0;
			}
			if ((error = sweep_batch(c, i, i + 1)) < 0)
				return error;
		}
	gc_aside_close(run, &c->aside);
	if (run->opts->dry_run)
		return 0;
	for (i = 0; i < run->nrepos; i++)
		if (run->repos[i].aside_dir)
			gc_untag_tidy(run, (uint32_t)i);
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		if (it->kind != GC_KIND_TAG || it->done ||
		    gc_item_is_leftover(it))
			continue;
		if ((error = gc_keep_again(
		         run, it->repo, run->tagdecs[it->id2].target)) < 0)
			return error;
		kept = 1;
	}
	return kept ? gc_settle(run) : 0;
}

int
gc_sweep(struct gc_run *run)
{
	struct sweep_ctx c;
#ifdef DRYDOCK_TEST_HOOKS /* only in the test build (Makefile) */
	const char *hook = getenv("DRYDOCK_GC_TEST_ABORT_AFTER");
	const char *sig = getenv("DRYDOCK_GC_TEST_ABORT_SIGNAL");
#else
	const char *hook = NULL, *sig = NULL;
#endif
	size_t i;
	int error = 0;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.qfd = -1;
	c.aside.repo = UINT32_MAX;
	if ((c.paths = calloc(SWEEP_BATCH, sizeof(*c.paths))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	c.abort_after = hook ? strtol(hook, NULL, 10) : -1;
	c.abort_signal = sig ? (int)strtol(sig, NULL, 10) : SIGKILL;
	if (!run->opts->dry_run && run->opts->quarantine &&
	    (error = open_quarantine(&c, run->opts->quarantine)) < 0)
		goto out;
	gc_test_pause("sweep");
	if ((error = sweep_tags(&c)) < 0)
		goto out;
	for (i = 0; i < run->nitems && !run->interrupted; i += SWEEP_BATCH) {
		size_t to = i + SWEEP_BATCH < run->nitems ? i + SWEEP_BATCH
		                                          : run->nitems;

		if (gc_stop) {
			run->interrupted = 1;
			break;
		}
		fe_progress_show(
		    &run->progress, "removing", i, run->nitems, 0, 0);
		if ((error = sweep_batch(&c, i, to)) < 0)
			goto out;
	}
	fe_progress_end(&run->progress);
out:
	gc_aside_close(run, &c.aside); /* when the tags' sweep stopped early */
	if (c.journal) {
		drydock_journal_end_run(c.journal, c.journal_run,
		    run->interrupted ? DRYDOCK_EXIT_INTERRUPTED : 0);
		drydock_journal_close(c.journal);
	}
	if (c.qfd >= 0)
		close(c.qfd);
	free(c.paths);
	return error;
}
