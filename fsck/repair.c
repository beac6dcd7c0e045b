/* SPDX-License-Identifier: MIT */
/*
 * repair.c --- -p/--repair: only safe changes, each one logged, and never
 * a byte of data deleted.
 *
 *   1. a blob whose data does not match its digest moves into quarantine,
 *      so that a re-push of the image heals the store (the registry only
 *      writes data that is missing);
 *   2. a link file with stray whitespace is rewritten with the exact
 *      digest; a link that does not parse, or names another digest than
 *      its path, moves into quarantine and, where the path says what it
 *      must hold and the data is there and good, is written anew;
 *   3. a missing _layers link (or index child revision link) whose blob is
 *      there and good is created, as the registry itself would.
 *
 * Writes are atomic (drydock_store_write_file); moves are recorded in the
 * quarantine directory's journal first, in the format of drydock-gc's
 * --quarantine, so "drydock-gc --restore DIR" puts them back.  What each
 * finding gets is its action, the remedy findings.h gives its ID (or what
 * its report chose instead).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsck.h"

struct repair_ctx {
	struct fsck_run *run;
	struct drydock_journal *journal;
	int64_t jrun;
	int qfd; /* DIR/objects */
	int error;
};

static void note(struct fsck_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct fsck_finding *f, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(f->repair_note);
	f->repair_note = s;
}

static void
failed(struct repair_ctx *c, struct fsck_finding *f, const char *what)
{
	note(f, "%s failed: %s", what, drydock_error_message());
	fprintf(stderr, "drydock-fsck: cannot repair '%s': %s failed: %s\n",
	    f->path != NULL ? f->path : "-", what, drydock_error_message());
	c->run->repair_failed++;
}

static int
open_quarantine(struct repair_ctx *c)
{
	struct drydock_quarantine q;
	int error;

	if (c->journal != NULL)
		return 0;
	error = drydock_quarantine_open(&q, c->run->opts->quarantine, 1);
	c->qfd = q.objects_fd;
	c->journal = q.journal;
	if (error < 0)
		return error;
	return drydock_journal_begin_run(
	    c->journal, drydock_store_root(c->run->st), 0, &c->jrun);
}

/* Move relpath into quarantine, journal first; *qid gets its name. */
static int
quarantine(struct repair_ctx *c, struct fsck_finding *f, const char *relpath,
    const char *kind, uint64_t size, int64_t *qid)
{
	struct drydock_journal_entry e;
	char dstr[DRYDOCK_DIGEST_STRMAX], qname[32];
	int r;

	if ((r = open_quarantine(c)) < 0)
		return r;
	memset(&e, 0, sizeof(e));
	e.root = drydock_store_root(c->run->st);
	e.kind = kind;
	e.path = relpath;
	e.qname = "";
	e.digest = f->digest != FSCK_NONE
	    ? drydock_digest_format(dstr, &c->run->ids[f->digest])
	    : NULL;
	e.size = (int64_t)size;
	e.reason = fsck_finding_defs[f->id].name;
	if ((r = drydock_journal_plan(c->journal, c->jrun, &e, qid)) < 0)
		return r;
	snprintf(qname, sizeof(qname), "%lld", (long long)*qid);
	if ((r = drydock_store_move_out(c->run->st, relpath, c->qfd, qname)) <
	    0) {
		if (r == DRYDOCK_ENOTFOUND)
			drydock_journal_set_state(
			    c->journal, *qid, DRYDOCK_JOURNAL_RESTORED);
		return r;
	}
	c->run->acted++;
	return drydock_journal_set_state(
	    c->journal, *qid, DRYDOCK_JOURNAL_MOVED);
}

/* 1 when the data of digest id is there and was not found bad. */
static int
good_data(const struct fsck_run *run, uint32_t id)
{
	uint32_t f = run->objs[id].flags;

	return (f & FSCK_O_DATA) &&
	    !(f & (FSCK_O_BAD | FSCK_O_QUARANTINED | FSCK_O_UNSAFE));
}

static int
write_link(struct fsck_run *run, const char *relpath, uint32_t id)
{
	char dstr[DRYDOCK_DIGEST_STRMAX];
	int r;

	drydock_digest_format(dstr, &run->ids[id]);
	if ((r = drydock_store_write_file(
	         run->st, relpath, dstr, strlen(dstr))) == 0)
		run->acted++;
	return r;
}

/* 1. corrupt data goes into quarantine, if it is still what was hashed */
static void
repair_blob(struct repair_ctx *c, struct fsck_finding *f)
{
	struct fsck_run *run = c->run;
	struct fsck_blob *b = &run->blobs[run->objs[f->digest].blob];
	char dir[DRYDOCK_DIGEST_STRMAX + 32];
	uint64_t size = 0;
	int64_t mtime = 0, qid = 0;
	int r;

	r = drydock_store_blob_stat(
	    run->st, &run->ids[f->digest], &size, &mtime);
	if (r < 0 || size != b->seen_size || mtime != b->seen_mtime) {
		note(f, "left alone: the data changed since it was hashed");
		return;
	}
	snprintf(dir, sizeof(dir), "%s", f->path);
	if (strlen(dir) > 5 && strcmp(dir + strlen(dir) - 5, "/data") == 0)
		dir[strlen(dir) - 5] = '\0';
	if ((r = quarantine(c, f, dir, "blob", size, &qid)) < 0) {
		failed(c, f, "quarantine");
		return;
	}
	run->objs[f->digest].flags |= FSCK_O_QUARANTINED;
	if (run->state != NULL)
		(void)drydock_state_forget(run->state, &run->ids[f->digest]);
	f->acted = 1;
	f->fixed = f->nimages == 0;
	if (f->nimages > 0)
		note(f,
		    "moved into quarantine as %lld; push the images "
		    "again to heal them",
		    (long long)qid);
	else
		note(f, "moved into quarantine as %lld", (long long)qid);
}

enum { LP_OTHER, LP_LAYER, LP_REVISION, LP_HISTORY };

static int
link_place(const char *path)
{
	if (strstr(path, "/_layers/") != NULL)
		return LP_LAYER;
	if (strstr(path, "/_manifests/revisions/") != NULL)
		return LP_REVISION;
	if (strstr(path, "/_manifests/tags/") != NULL &&
	    strstr(path, "/index/") != NULL)
		return LP_HISTORY;
	return LP_OTHER;
}

/* May the link at path be written from its path digest? */
static int
relinkable(const struct fsck_run *run, const struct fsck_finding *f)
{
	int place;

	if (f->digest == FSCK_NONE || f->path == NULL)
		return 0;
	place = link_place(f->path);
	if (place == LP_HISTORY)
		return 1;
	if (place == LP_LAYER &&
	    run->ids[f->digest].alg != DRYDOCK_DIGEST_SHA256)
		return 0; /* an alias: the content is another digest */
	if (place != LP_LAYER && place != LP_REVISION)
		return 0;
	return good_data(run, f->digest);
}

/* 2. a link file that does not parse strictly */
static void
repair_link(struct repair_ctx *c, struct fsck_finding *f)
{
	struct fsck_run *run = c->run;
	struct drydock_digest d;
	char *buf = NULL, dstr[DRYDOCK_DIGEST_STRMAX];
	size_t len = 0;
	int64_t qid = 0;
	int junk = 0, r;

	r = drydock_store_read_file(
	    &buf, &len, run->st, -1, f->path, FSCK_LINK_READ_MAX);
	if (r < 0) {
		note(f, "left alone: %s", drydock_error_message());
		return;
	}
	if (drydock_link_parse(&d, buf, len) == 0 &&
	    (f->action != FSCK_ACT_QUARANTINE_RELINK ||
	        drydock_digest_equal(&d, &run->ids[f->digest]))) {
		free(buf);
		note(f, "nothing to do: the link is good now");
		f->fixed = 1;
		return;
	}
	r = drydock_link_parse_lenient(&d, &junk, buf, len);
	free(buf);
	if (f->action == FSCK_ACT_REWRITE && r == 0) {
		/* format first: argument evaluation order is unspecified */
		drydock_digest_format(dstr, &d);
		if ((r = drydock_store_write_file(
		         run->st, f->path, dstr, strlen(dstr))) < 0) {
			failed(c, f, "rewrite");
			return;
		}
		run->acted++;
		f->acted = f->fixed = 1;
		note(f, "rewrote it as %s", dstr);
		return;
	}
	if ((r = quarantine(c, f, f->path, "link", len, &qid)) < 0) {
		failed(c, f, "quarantine");
		return;
	}
	f->acted = 1;
	if (f->action == FSCK_ACT_QUARANTINE_RELINK && relinkable(run, f)) {
		if (write_link(run, f->path, f->digest) < 0) {
			failed(c, f, "writing the link");
			return;
		}
		f->fixed = 1;
		note(f, "moved into quarantine as %lld, wrote %s",
		    (long long)qid,
		    drydock_digest_format(dstr, &run->ids[f->digest]));
		return;
	}
	f->fixed = f->nimages == 0;
	note(f, "moved into quarantine as %lld%s", (long long)qid,
	    f->nimages > 0 ? "; push the images again to heal them" : "");
}

/* 3. a missing _layers link or child revision link */
static void
repair_missing_link(struct repair_ctx *c, struct fsck_finding *f)
{
	struct fsck_run *run = c->run;
	const struct fsck_obj *o = &run->objs[f->digest];
	int r;

	if (!good_data(run, f->digest)) {
		note(f, "left alone: the blob's data is %s",
		    o->flags & FSCK_O_DATA ? "bad" : "missing");
		return;
	}
	if (f->id == FSCK_CHILD_NOT_LINKED &&
	    (o->mf == FSCK_NONE || run->mfs[o->mf].state != FSCK_MF_OK)) {
		note(f, "left alone: the child manifest does not parse");
		return;
	}
	r = drydock_store_stat(run->st, -1, f->path, NULL, NULL, NULL);
	if (r == 0) {
		note(f, "nothing to do: the link exists now");
		f->fixed = 1;
		return;
	}
	if (r != DRYDOCK_ENOTFOUND) {
		failed(c, f, "looking at the link");
		return;
	}
	if (write_link(run, f->path, f->digest) < 0) {
		failed(c, f, "writing the link");
		return;
	}
	f->acted = f->fixed = 1;
	note(f, "created the link");
}

int
fsck_repair(struct fsck_run *run)
{
	struct repair_ctx c;
	size_t i;
	int pass, error = 0;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.qfd = -1;
	for (pass = 1; pass <= 3 && error == 0; pass++) {
		for (i = 0; i < run->nfindings && error == 0; i++) {
			struct fsck_finding *f = &run->findings[i];

			if (fsck_stop) {
				error = DRYDOCK_EINTR;
				break;
			}
			if (f->action == FSCK_ACT_NONE || f->path == NULL)
				continue;
			/* the finding's remedy (findings.h) */
			switch (f->action) {
			case FSCK_ACT_QUARANTINE:
				if (pass == 1 && f->digest != FSCK_NONE)
					repair_blob(&c, f);
				break;
			case FSCK_ACT_REWRITE:
			case FSCK_ACT_QUARANTINE_LINK:
			case FSCK_ACT_QUARANTINE_RELINK:
				if (pass == 2)
					repair_link(&c, f);
				break;
			case FSCK_ACT_RELINK:
				if (pass == 3 && f->digest != FSCK_NONE)
					repair_missing_link(&c, f);
				break;
			default:
				break;
			}
		}
	}
	for (i = 0; i < run->nfindings; i++)
		if (run->findings[i].fixed)
			run->fixed++;
	if (c.journal != NULL) {
		int r = drydock_journal_end_run(
		    c.journal, c.jrun, error == 0 ? 0 : 8);

		if (error == 0)
			error = r;
	}
	drydock_journal_close(c.journal);
	if (c.qfd >= 0)
		close(c.qfd);
	if (run->repair_failed)
		run->operational = 1;
	return error;
}
