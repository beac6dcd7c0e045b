/* SPDX-License-Identifier: MIT */
/*
 * run.c --- the state of one gc run: interned digests with their flags,
 * the planned removals and the problems met.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gc.h"

volatile sig_atomic_t gc_stop;

/*
 * Read the storage's clock with a probe file in v2 (a real run may write
 * there).  A failed probe costs only the correction, so it is a warning.
 */
static void
probe_storage_clock(struct gc_run *run)
{
	char d[64];
	int64_t skew;

	if (drydock_store_clock_skew(run->st, &skew) < 0) {
		fprintf(stderr,
		    "drydock-gc: warning: %s; the grace period counts from "
		    "this host's clock\n",
		    drydock_error_message());
		return;
	}
	run->skew_ns = skew;
	if (skew > -DRYDOCK_CLOCK_SKEW_WARN_NS &&
	    skew < DRYDOCK_CLOCK_SKEW_WARN_NS)
		return;
	drydock_duration_format(
	    d, sizeof(d), ((skew < 0 ? -skew : skew) + 500000000) / 1000000000);
	if (skew < 0)
		fprintf(stderr,
		    "drydock-gc: warning: the storage's clock is %s behind "
		    "this host's; the grace period counts from the storage's "
		    "clock\n",
		    d);
	else
		fprintf(stderr,
		    "drydock-gc: warning: the storage's clock is %s ahead of "
		    "this host's; what it wrote looks younger than it is, and "
		    "is kept longer\n",
		    d);
}

int
gc_run_init(
    struct gc_run *run, const struct gc_opts *opts, struct drydock_store *st)
{
	int64_t now;

	memset(run, 0, sizeof(*run));
	run->opts = opts;
	run->st = st;
	fe_progress_init(&run->progress, opts->com.progress);
	run->start_ns = drydock_clock_realtime_ns();
	if (!opts->dry_run && !drydock_store_is_empty(st))
		probe_storage_clock(run);
	/*
	 * File times are the storage's clock: when it is behind ours, "now"
	 * is the storage's, or a push in flight would look old.
	 */
	now = run->start_ns + (run->skew_ns < 0 ? run->skew_ns : 0);
	run->now_ns = now;
	/*
	 * Anything modified after the mark began is young whatever the grace:
	 * a push racing with this run.  Two seconds of slack cover filesystems
	 * with coarse timestamps.
	 */
	run->cutoff_ns = now - opts->grace * 1000000000LL;
	if (run->cutoff_ns > now - GC_CLOCK_MARGIN_NS)
		run->cutoff_ns = now - GC_CLOCK_MARGIN_NS;
	run->race_ns = now - GC_CLOCK_MARGIN_NS;
	run->cur_repo = UINT32_MAX;
	run->upload_cutoff = run->start_ns / 1000000000 - opts->uploads_age;
	return gc_ids_init(run);
}

void
gc_run_release(struct gc_run *run)
{
	size_t i;

	gc_ids_release(run);
	free(run->flags);
	free(run->mf);
	free(run->kept_in);
	free(run->rev_in);
	free(run->stack);
	free(run->manifests);
	free(run->refs);
	for (i = 0; i < run->nrepos; i++)
		free(run->repos[i].name);
	free(run->repos);
	free(run->links);
	for (i = 0; i < run->nitems; i++) {
		free(run->items[i].path);
	}
	free(run->items);
	for (i = 0; i < run->nproblems; i++) {
		free(run->problems[i].path);
		free(run->problems[i].message);
	}
	free(run->problems);
	free(run->blind);
	free(run->pin_matched);
	for (i = 0; i < run->ntagdecs; i++)
		free(run->tagdecs[i].name);
	free(run->tagdecs);
	for (i = 0; i < run->nskipped; i++) {
		free(run->skipped[i].path);
		free(run->skipped[i].why);
	}
	free(run->skipped);
	memset(run, 0, sizeof(*run));
}

int
gc_add_item(struct gc_run *run, int kind, uint32_t repo, uint32_t id,
    const char *path, const char *tag, int reason, uint64_t size)
{
	struct gc_item *it;

	if (fe_grow((void **)&run->items, &run->capitems, run->nitems + 1,
	        sizeof(*run->items)) < 0)
		return DRYDOCK_ERROR;
	it = &run->items[run->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = (uint8_t)kind;
	it->repo = repo;
	it->id = id;
	it->id2 = id;
	it->reason = (uint8_t)reason;
	it->size = size;
	if (kind == GC_KIND_UPLOAD || kind == GC_KIND_TAG_HISTORY ||
	    kind == GC_KIND_TAG) {
		size_t np = strlen(path) + 1, nt = tag ? strlen(tag) + 1 : 1;

		if ((it->path = malloc(np + nt)) == NULL) {
			drydock_error_set_os("out of memory");
			return DRYDOCK_ERROR;
		}
		memcpy(it->path, path, np);
		memcpy(it->path + np, tag ? tag : "", nt);
	}
	run->nitems++;
	return 0;
}

const char *
gc_item_path(
    const struct gc_run *run, const struct gc_item *it, char *buf, size_t bufsz)
{
	struct drydock_digest d;
	char hex[DRYDOCK_DIGEST_STRMAX];
	const char *alg;

	if (it->path != NULL)
		return it->path;
	if (it->kind == GC_KIND_REPOSITORY) {
		snprintf(
		    buf, bufsz, "repositories/%s", run->repos[it->repo].name);
		return buf;
	}
	d = gc_digest(run, it->id);
	alg = drydock_digest_alg_name(d.alg);
	drydock_digest_hex(hex, &d);
	switch (it->kind) {
	case GC_KIND_BLOB:
		snprintf(buf, bufsz, "blobs/%s/%.2s/%s", alg, hex, hex);
		break;
	case GC_KIND_LAYER_LINK:
		snprintf(buf, bufsz, "repositories/%s/_layers/%s/%s",
		    run->repos[it->repo].name, alg, hex);
		break;
	default: /* GC_KIND_REVISION */
		snprintf(buf, bufsz,
		    "repositories/%s/_manifests/revisions/%s/%s",
		    run->repos[it->repo].name, alg, hex);
		break;
	}
	return buf;
}

const char *
gc_item_tag(const struct gc_item *it)
{
	if ((it->kind != GC_KIND_TAG_HISTORY && it->kind != GC_KIND_TAG) ||
	    it->path == NULL)
		return NULL;
	return it->path + strlen(it->path) + 1;
}

/*
 * Where a scanning thread's problems go (scan.c points it at the record of
 * the repository it reads); NULL in the marking thread.
 */
_Thread_local struct gc_scan_problems *gc_scan_sink;

/* The store's problem callback sends a worker's problems here. */
void
gc_scan_record_problem(struct gc_scan_problems *sink, const char *path,
    int code, const char *message)
{
	struct gc_problem *p;

	if (fe_grow((void **)&sink->v, &sink->cap, sink->n + 1,
	        sizeof(*sink->v)) < 0)
		return;
	p = &sink->v[sink->n];
	p->code = code;
	p->path = strdup(path ? path : "");
	p->message = strdup(message ? message : "");
	if (p->path == NULL || p->message == NULL) {
		free(p->path);
		free(p->message);
		return;
	}
	sink->n++;
}

/* The store's problem callback: keep every problem for the report. */
void
gc_problem(const char *path, int code, const char *message, void *payload)
{
	struct gc_run *run = payload;
	struct gc_problem *p;

	if (gc_scan_sink != NULL) {
		/* a scanning thread: replayed with its repository (scan.c) */
		gc_scan_record_problem(gc_scan_sink, path, code, message);
		return;
	}
	if (run->rechecking) {
		size_t i;

		/* the re-check walks again what the mark walked: once is enough
		 */
		for (i = 0; i < run->nproblems; i++)
			if (strcmp(run->problems[i].path, path ? path : "") ==
			        0 &&
			    strcmp(run->problems[i].message,
			        message ? message : "") == 0)
				return;
	}
	if (fe_grow((void **)&run->problems, &run->capproblems,
	        run->nproblems + 1, sizeof(*run->problems)) < 0)
		return;
	p = &run->problems[run->nproblems];
	p->path = strdup(path ? path : "");
	p->code = code;
	p->message = strdup(message ? message : "");
	if (p->path == NULL || p->message == NULL) {
		free(p->path);
		free(p->message);
		return;
	}
	run->nproblems++;
	fprintf(stderr, "drydock-gc: %s: %s\n", p->path, p->message);
	if (!run->marking)
		return;
	/*
	 * While marking, a problem means references we could not read.  Bad
	 * content (an unparsable manifest or link) is confined to its
	 * repository, which then keeps everything it links.  A place we could
	 * not enter at all (a symlink the registry would follow, an unreadable
	 * directory) may hide whole repositories: then no blob can be proven
	 * unneeded, and none is swept.
	 */
	if (run->cur_repo != UINT32_MAX && !run->repos[run->cur_repo].tainted)
		run->repos[run->cur_repo].tainted = 1;
	if (code != DRYDOCK_ECORRUPT && path != NULL &&
	    strncmp(path, "repositories/", 13) == 0 && run->blind == NULL)
		run->blind = strdup(path);
}

void
gc_test_pause(const char *phase)
{
#ifdef DRYDOCK_TEST_HOOKS /* only in the test build (Makefile) */
	const char *hook = getenv("DRYDOCK_GC_TEST_PAUSE");
	const char *colon = hook != NULL ? strchr(hook, ':') : NULL;
	static int paused; /* once a run */
	struct stat sb;
	int i, fd;

	if (paused || colon == NULL ||
	    strncmp(hook, phase, (size_t)(colon - hook)) != 0 ||
	    phase[colon - hook] != '\0')
		return;
	paused = 1;
	/* FILE appears; the test acts, then removes it (at most 60 s) */
	if ((fd = open(colon + 1, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
	for (i = 0; i < 3000 && stat(colon + 1, &sb) == 0; i++)
		usleep(20000);
#else
	(void)phase;
#endif
}
