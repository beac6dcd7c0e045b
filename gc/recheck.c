/* SPDX-License-Identifier: MIT */
/*
 * recheck.c --- right before deleting, look again at everything a push
 * could have changed since the mark began, and cancel what it now needs.
 *
 * A push writes blob data, then its _layers link, then the manifest data,
 * its revision link, tag history and finally the tag's current link
 * (formats.md 1.5).  So the re-check reads every tag's current link and
 * every revision again (new ones are marked as roots, with all they
 * reach), re-walks the layer links of a repository whose _layers/sha256
 * directory changed, and re-stats each old link that names a blob about to
 * go (a link rewritten in place does not touch its directory).  The blob
 * data itself is stat'ed once more by the sweep, just before it goes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gc.h"

struct recheck_ctx {
	struct gc_run *run;
	uint32_t repo;
	int fd;
	int error;
};

/* Mark id from repository repo again, reaching GC_NEWMARK everywhere. */
static int
mark_id(struct gc_run *run, uint32_t repo, int fd, uint32_t id)
{
	/* force a fresh walk from this root in this repository */
	if (!(run->flags[id] & GC_NEWMARK))
		run->kept_in[id] = 0;
	run->repos[repo].remarked = 1;
	return gc_mark_from(run, repo, fd, id);
}

static int
mark_new(struct recheck_ctx *c, const struct drydock_digest *d)
{
	uint32_t id;
	int error;

	if ((error = gc_id(&id, c->run, d)) < 0)
		return error;
	return mark_id(c->run, c->repo, c->fd, id);
}

int
gc_keep_again(struct gc_run *run, uint32_t repo, uint32_t id)
{
	struct drydock_repo_info ri;
	char *path = NULL;
	int error;

	if ((error = drydock_repo_open(
	         &ri, &path, run->st, run->repos[repo].name)) < 0) {
		/* gone: nothing of it is served; its blobs are kept below */
		drydock_error_clear();
		run->flags[id] |= GC_NEWMARK | GC_MARKED;
		return 0;
	}
	error = mark_id(run, repo, ri.fd, id);
	drydock_store_handle_close(run->st, ri.fd);
	free(path);
	return error;
}

/* The subject an attachment tag (sha256-<hex>[.sig|.att|.sbom]) names. */
static int
attachment_subject(
    const struct gc_run *run, const struct gc_item *it, uint32_t *out)
{
	const char *name = run->tagdecs[it->id2].name;
	struct drydock_digest d;

	if (strncmp(name, "sha256-", 7) != 0 || strlen(name) < 7 + 64 ||
	    drydock_digest_from_hex(&d, DRYDOCK_DIGEST_SHA256, name + 7, 64) <
	        0) {
		drydock_error_clear();
		return -1;
	}
	return gc_id_lookup(run, &d, out) == 0 ? 0 : -1;
}

/* Referrers of each repository that kept more, until nothing changes. */
static int
settle_referrers(struct gc_run *run)
{
	struct drydock_repo_info ri;
	char *path;
	size_t i;
	int error;

	for (i = 0; i < run->nrepos; i++) {
		struct gc_repo *r = &run->repos[i];

		if (!r->remarked)
			continue;
		r->remarked = 0;
		path = NULL;
		if (drydock_repo_open(&ri, &path, run->st, r->name) < 0) {
			drydock_error_clear();
			continue;
		}
		error = gc_keep_referrers(
		    run, (uint32_t)i, ri.fd, r->links_start, r->links_end);
		drydock_store_handle_close(run->st, ri.fd);
		free(path);
		if (error < 0)
			return error;
	}
	return 0;
}

/* Cancel every planned item that is needed now. */
static int
cancel_needed(struct gc_run *run)
{
	uint8_t *busy;
	size_t i;

	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		if (!it->cancelled && !it->done && gc_item_needed(run, it)) {
			it->cancelled = 1;
			run->cancelled++;
		}
	}
	/* a repository that anything was cancelled in stays */
	if ((busy = calloc(run->nrepos + 1, 1)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nitems; i++)
		if (run->items[i].cancelled && run->items[i].repo < run->nrepos)
			busy[run->items[i].repo] = 1;
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		if (it->kind == GC_KIND_REPOSITORY && !it->cancelled &&
		    !it->done && busy[it->repo]) {
			it->cancelled = 1;
			run->cancelled++;
		}
	}
	free(busy);
	return 0;
}

int
gc_settle(struct gc_run *run)
{
	uint32_t sid;
	size_t i;
	int changed = 1, error;

	while (changed) {
		changed = 0;
		if ((error = settle_referrers(run)) < 0)
			return error;
		/* an attachment goes only with a subject nothing kept */
		for (i = 0; i < run->nitems; i++) {
			struct gc_item *it = &run->items[i];

			if (it->kind != GC_KIND_TAG || it->cancelled ||
			    it->done || it->reason != GC_REASON_ATTACHMENT ||
			    attachment_subject(run, it, &sid) < 0 ||
			    run->kept_in[sid] != it->repo + 1)
				continue;
			it->cancelled = 1;
			run->cancelled++;
			if ((error = gc_keep_again(run, it->repo,
			         run->tagdecs[it->id2].target)) < 0)
				return error;
			changed = 1;
		}
	}
	return cancel_needed(run);
}

static int
tag_cb(const struct drydock_repo_info *ri, const struct drydock_tag_info *tag,
    void *payload)
{
	struct recheck_ctx *c = payload;

	(void)ri;
	if (tag->current.status != 0 ||
	    !gc_is_racing(c->run, tag->current.mtime_ns))
		return 0;
	return mark_new(c, &tag->current.target);
}

static int
revision_cb(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct recheck_ctx *c = payload;

	(void)ri;
	if (li->status != 0 || !gc_is_racing(c->run, li->mtime_ns))
		return 0;
	return mark_new(c, &li->digest);
}

static int
layer_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	struct recheck_ctx *c = payload;
	uint32_t id;
	int error;

	(void)ri;
	if (li->status != 0 || !gc_is_racing(c->run, li->mtime_ns))
		return 0;
	if ((error = gc_id(&id, c->run, &li->digest)) < 0)
		return error;
	c->run->flags[id] |= GC_YOUNG | GC_NEWMARK;
	if (li->target.alg != DRYDOCK_DIGEST_NONE) {
		if ((error = gc_id(&id, c->run, &li->target)) < 0)
			return error;
		c->run->flags[id] |= GC_YOUNG | GC_NEWMARK;
	}
	return 0;
}

/*
 * Old links naming a blob that goes: rewritten in place since the walk?
 * Looked at from the repository's handle, whose listing (on S3) answers
 * them all: a request each from the top of the store cost most of a
 * sweep's re-check.
 */
static void
recheck_links(struct gc_run *run, uint32_t repo, int fd)
{
	char hex[DRYDOCK_DIGEST_STRMAX], rel[300];
	const struct gc_repo *r = &run->repos[repo];
	size_t i;

	for (i = r->links_start; i < r->links_end; i++) {
		const struct gc_link *l = &run->links[i];
		struct drydock_digest d;
		int64_t mt = 0;

		if (l->kind != GC_LINK_LAYER || l->status != 0 ||
		    !(run->flags[l->target] & GC_SWEEP))
			continue;
		d = gc_digest(run, l->id);
		snprintf(rel, sizeof(rel), "_layers/%s/%s/link",
		    drydock_digest_alg_name(d.alg),
		    drydock_digest_hex(hex, &d));
		if (drydock_store_stat(run->st, fd, rel, NULL, &mt, NULL) ==
		        0 &&
		    gc_is_racing(run, mt))
			run->flags[l->target] |= GC_YOUNG | GC_NEWMARK;
		drydock_error_clear();
	}
}

/* Look again at repository i, opened as ri (closed here). */
static int
recheck_repo(
    struct gc_run *run, uint32_t i, struct drydock_repo_info *ri, char *path)
{
	struct recheck_ctx c = {run, i, ri->fd, 0};
	int64_t mt = 0;
	int error;

	if ((error = drydock_tag_foreach(
	         run->st, ri, DRYDOCK_WALK_STAT, tag_cb, &c)) < 0)
		goto out;
	drydock_store_stat(
	    run->st, ri->fd, "_manifests/revisions/sha256", NULL, &mt, NULL);
	if (mt != run->repos[i].revs_mtime_ns &&
	    (error = drydock_revision_foreach(
	         run->st, ri, DRYDOCK_WALK_STAT, revision_cb, &c)) < 0)
		goto out;
	mt = 0;
	drydock_store_stat(run->st, ri->fd, "_layers/sha256", NULL, &mt, NULL);
	if (mt != run->repos[i].layers_mtime_ns &&
	    (error = drydock_layer_foreach(run->st, ri,
	         DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT, layer_cb, &c)) < 0)
		goto out;
	recheck_links(run, i, ri->fd);
out:
	drydock_store_handle_close(run->st, ri->fd);
	free(path);
	return error;
}

/*
 * Repositories are opened this many at a time in parallel where an open
 * is a request (S3: the repository's listing), then looked at in order:
 * one after the other, the listings were most of a sweep's re-check.
 * And they are listed together first (drydock_repo_prefetch: about 40
 * ranged listings of 1,000 keys, 16 in flight, not 1,024 of a few
 * dozen); what the ranges leave (a repository with others nested below
 * it lists them all) the opens list, in parallel.  The snapshot of the
 * window's last repository is then older than the look at it by the
 * looks at the others, which cost no request.  Windows of 256 took four
 * rounds of ranges, each waiting for its slowest listing.
 */
#define RECHECK_WINDOW 1024

struct window {
	struct gc_run *run;
	size_t first;
	struct drydock_repo_info ri[RECHECK_WINDOW];
	char *path[RECHECK_WINDOW];
	int error[RECHECK_WINDOW];
};

static void
window_open(size_t k, void *arg)
{
	struct window *w = arg;

	w->path[k] = NULL;
	w->error[k] = drydock_repo_open(&w->ri[k], &w->path[k], w->run->st,
	    w->run->repos[w->first + k].name);
	drydock_error_clear(); /* this thread's: an open again says it */
}

static int
recheck_repos(struct gc_run *run)
{
	struct window *w;
	const char *names[RECHECK_WINDOW];
	size_t i, k, n;
	int error = 0, parallel = !drydock_store_has_fds(run->st);

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	w->run = run;
	for (i = 0; i < run->nrepos && error == 0; i += n) {
		n = run->nrepos - i < RECHECK_WINDOW ? run->nrepos - i
		                                     : RECHECK_WINDOW;
		w->first = i;
		for (k = 0; k < n; k++) {
			w->error[k] = 1; /* not opened yet */
			names[k] = run->repos[i + k].name;
		}
		if (parallel) {
			(void)drydock_repo_prefetch(run->st, names, n);
			error =
			    gc_parallel_for(n, run->opts->jobs, window_open, w);
		}
		for (k = 0; k < n; k++) {
			int e = w->error[k];

			if (error == 0 && gc_stop)
				error = DRYDOCK_EINTR;
			if (error == 0 && e != 0 && e != DRYDOCK_ENOTFOUND)
				/* here, so that its message is this thread's */
				e = drydock_repo_open(&w->ri[k], &w->path[k],
				    run->st, run->repos[i + k].name);
			if (e == 0 && error == 0)
				error = recheck_repo(run, (uint32_t)(i + k),
				    &w->ri[k], w->path[k]);
			else if (e == 0) { /* stopped: only release it */
				drydock_store_handle_close(
				    run->st, w->ri[k].fd);
				free(w->path[k]);
			} else if (e == DRYDOCK_ENOTFOUND) {
				/* gone: nothing of it to look at */
				drydock_error_clear();
			} else if (error == 0)
				error = e;
		}
	}
	(void)drydock_repo_prefetch(run->st, NULL, 0); /* what none took */
	free(w);
	return error;
}

int
gc_tag_unchanged(
    struct gc_run *run, const struct gc_item *it, const char *tagpath)
{
	const struct gc_tagdec *d = &run->tagdecs[it->id2];
	struct recheck_ctx c = {run, it->repo, -1, 0};
	struct drydock_repo_info ri;
	struct drydock_digest cur;
	char rel[GC_PATH_MAX + 16], *path = NULL;
	int64_t mt = 0;
	uint32_t id;
	int r;

	snprintf(rel, sizeof(rel), "%s/current/link", tagpath);
	r = drydock_store_stat(run->st, -1, rel, NULL, &mt, NULL);
	if (r == DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return 1; /* deleted meanwhile, or broken: it may go */
	}
	if (r < 0 || (r = drydock_link_read(&cur, run->st, -1, rel)) < 0) {
		drydock_error_clear();
		return 0; /* what it names is unknown: it stays */
	}
	if (mt == d->pushed_ns && gc_id_lookup(run, &cur, &id) == 0 &&
	    id == d->target)
		return 1;
	/* moved since the policy decided: it stays, with what it names */
	if ((r = drydock_repo_open(
	         &ri, &path, run->st, run->repos[it->repo].name)) < 0) {
		drydock_error_clear();
		return 0;
	}
	c.fd = ri.fd;
	r = mark_new(&c, &cur);
	drydock_store_handle_close(run->st, ri.fd);
	free(path);
	return r < 0 ? r : 0;
}

int
gc_item_needed(const struct gc_run *run, const struct gc_item *it)
{
	const uint8_t keep = GC_MARKED | GC_YOUNG;

	switch (it->kind) {
	case GC_KIND_BLOB:
		return (run->flags[it->id] & keep) != 0;
	case GC_KIND_LAYER_LINK:
		return ((run->flags[it->id] | run->flags[it->id2]) & keep) != 0;
	case GC_KIND_REVISION:
	case GC_KIND_TAG_HISTORY:
		return it->id != UINT32_MAX &&
		    (run->flags[it->id] & GC_NEWMARK) != 0;
	default:
		return 0;
	}
}

int
gc_recheck(struct gc_run *run)
{
	size_t i;
	int error = 0;

	gc_test_pause("recheck");
	run->rechecking = 1;
	if ((error = recheck_repos(run)) < 0)
		return error;
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		/*
		 * A tag moved since the policy decided, or unreadable now:
		 * it stays, and so does what it named (what it names now is
		 * marked by gc_tag_unchanged)
		 */
		if (!it->cancelled && it->kind == GC_KIND_TAG &&
		    !gc_item_is_leftover(it) &&
		    (error = gc_tag_unchanged(run, it, it->path)) <= 0) {
			if (error < 0)
				return error;
			it->cancelled = 1;
			run->cancelled++;
			if ((error = gc_keep_again(run, it->repo,
			         run->tagdecs[it->id2].target)) < 0)
				return error;
		}
	}
	return gc_settle(run);
}
