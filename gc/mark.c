/* SPDX-License-Identifier: MIT */
/*
 * mark.c --- the mark phase: walk every repository once, find its roots
 * (tags; every revision unless --delete-untagged; anything younger than the
 * grace period), follow manifests to their config, layers and index
 * children, keep referrers of kept manifests, and decide which of the
 * repository's revisions and tag-history entries go.
 *
 * Blob data is global and marked globally; links are per repository, so a
 * revision is kept only when its own repository reaches it.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

struct mark_ctx {
	struct gc_run *run;
	uint32_t repo;
	const struct drydock_repo_info *ri;
	struct gc_scan *scan; /* what the scan recorded (scan.c) */
	size_t links_start; /* this repository's first entry in run->links */
	struct gc_tags tags; /* with a readable current link */
	size_t captags, captarget, capmtime;
	uint32_t *roots;
	size_t nroots, caproots;
	struct gc_retain ret; /* what the policy decides here */
	int error;
};

static int
add_link(struct gc_run *run, uint32_t repo, int kind,
    const struct drydock_link_info *li, uint32_t id, uint32_t target)
{
	struct gc_link *l;

	if (fe_grow((void **)&run->links, &run->caplinks, run->nlinks + 1,
	        sizeof(*run->links)) < 0)
		return DRYDOCK_ERROR;
	l = &run->links[run->nlinks++];
	l->repo = repo;
	l->id = id;
	l->target = target;
	l->status = (int8_t)(li->status < -127 ? -127 : li->status);
	l->kind = (uint8_t)kind;
	/*
	 * layer links are walked by name: plan.c probes those it needs,
	 * unless the walk had their times for free (S3's listings)
	 */
	l->probed = kind != GC_LINK_LAYER || li->mtime_ns != 0;
	l->young = (uint8_t)(l->probed && gc_is_young(run, li->mtime_ns));
	return 0;
}

/*
 * A blob referenced by a non-canonical digest (sha512) has its data under
 * the sha256 the registry computed; the repository's layer link says which.
 */
static int
mark_alias(struct gc_run *run, int repo_fd, uint32_t id)
{
	struct drydock_digest d = gc_digest(run, id), t;
	char hex[DRYDOCK_DIGEST_STRMAX], rel[300];
	uint32_t tid;
	int r;

	snprintf(rel, sizeof(rel), "_layers/%s/%s/link",
	    drydock_digest_alg_name(d.alg), drydock_digest_hex(hex, &d));
	r = drydock_link_read(&t, run->st, repo_fd, rel);
	if (r < 0 || drydock_digest_equal(&t, &d))
		return 0;
	if ((r = gc_id(&tid, run, &t)) < 0)
		return r;
	run->flags[tid] |= GC_MARKED;
	return 0;
}

/*
 * Keep manifest root in repository repo, and everything it reaches:
 * config and layers, and for an index its children, recursively.
 * Returns 1 in *tainted when a manifest on the way could not be parsed.
 */
int
gc_mark_from(struct gc_run *run, uint32_t repo, int repo_fd, uint32_t root)
{
	const uint32_t stamp = repo + 1;
	int error;

	gc_trace_note(run, stamp, root, UINT32_MAX, GC_TRACE_ROOT);
	run->nstack = 0;
	if ((error = fe_push_u32(
	         &run->stack, &run->nstack, &run->capstack, root)) < 0)
		return error;
	while (run->nstack > 0) {
		uint32_t id = run->stack[--run->nstack];
		const struct gc_manifest *m;
		uint32_t i;

		if (run->kept_in[id] == stamp)
			continue;
		run->kept_in[id] = stamp;
		run->flags[id] |= GC_MARKED;
		if (run->rechecking)
			run->flags[id] |= GC_NEWMARK;
		if ((error = gc_manifest_load(run, id, &m)) < 0)
			return error;
		if (m == NULL)
			continue;
		if (m->state != GC_MF_OK) {
			run->repos[repo].tainted = 1;
			continue;
		}
		for (i = 0; i < m->nrefs; i++) {
			/* re-read: a load may move run->manifests */
			uint32_t r =
			    run->refs[gc_manifest_of(run, id)->refs + i];

			if (gc_manifest_of(run, id)->is_index) {
				gc_trace_note(
				    run, stamp, r, id, GC_TRACE_CHILD);
				if ((error = fe_push_u32(&run->stack,
				         &run->nstack, &run->capstack, r)) < 0)
					return error;
				continue;
			}
			gc_trace_note(run, stamp, r, id, GC_TRACE_BLOB);
			run->flags[r] |= GC_MARKED;
			if (run->rechecking)
				run->flags[r] |= GC_NEWMARK;
			if ((run->flags[r] & GC_WIDE) &&
			    (error = mark_alias(run, repo_fd, r)) < 0)
				return error;
		}
	}
	return 0;
}

static int
tag_cb(const struct drydock_repo_info *ri, const struct drydock_tag_info *tag,
    void *payload)
{
	struct mark_ctx *c = payload;
	struct gc_run *run = c->run;
	uint32_t id;

	(void)ri;
	if (tag->current.status == DRYDOCK_ENOTFOUND) {
		run->repos[c->repo].bad_tags++;
		return 0;
	}
	if (tag->current.status < 0) {
		/* Which revision the tag means is unknown: keep them all. */
		run->repos[c->repo].tainted = 1;
		run->repos[c->repo].bad_tags++;
		return 0;
	}
	run->repos[c->repo].tags++;
	/* its root is pushed once the policy, if any, has decided on it */
	if (gc_id(&id, run, &tag->current.target) < 0 ||
	    fe_grow((void **)&c->tags.name, &c->captags, c->tags.n + 1,
	        sizeof(*c->tags.name)) < 0 ||
	    fe_grow((void **)&c->tags.target, &c->captarget, c->tags.n + 1,
	        sizeof(*c->tags.target)) < 0 ||
	    fe_grow((void **)&c->tags.mtime, &c->capmtime, c->tags.n + 1,
	        sizeof(*c->tags.mtime)) < 0 ||
	    (c->tags.name[c->tags.n] = fe_strdup(tag->name)) == NULL)
		return DRYDOCK_ERROR;
	c->tags.target[c->tags.n] = id;
	c->tags.mtime[c->tags.n++] = tag->current.mtime_ns;
	return 0;
}

static int
revision_cb(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct mark_ctx *c = payload;
	struct gc_run *run = c->run;
	uint32_t id;
	int root;

	(void)ri;
	if (gc_id(&id, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	if (add_link(run, c->repo, GC_LINK_REVISION, li, id, id) < 0)
		return DRYDOCK_ERROR;
	if (li->status == DRYDOCK_ENOTFOUND)
		return 0; /* an empty directory an API delete left */
	run->nrevisions++;
	if (li->status < 0) {
		run->repos[c->repo].tainted = 1;
		return fe_push_u32(&c->roots, &c->nroots, &c->caproots, id);
	}
	run->rev_in[id] = c->repo + 1;
	if (c->ret.pol != NULL && c->ret.pol->untagged >= 0)
		/* the policy's untagged: says how long, here, whatever -m */
		root = li->mtime_ns >=
		    run->now_ns - c->ret.pol->untagged * 1000000000LL;
	else
		root = !run->opts->delete_untagged;
	if (gc_retain_released(&c->ret, id))
		root = 0; /* only tags the policy deletes named it */
	if (root || gc_is_young(run, li->mtime_ns) ||
	    (run->flags[id] & GC_PINNED))
		return fe_push_u32(&c->roots, &c->nroots, &c->caproots, id);
	return 0;
}

/*
 * The pins naming this repository: a pinned manifest it holds is a root
 * (in every mode); a pinned tag is a root anyway, and counts as found.
 */
static int
pin_roots(struct mark_ctx *c)
{
	struct gc_run *run = c->run;
	const struct gc_pins *pins = &run->opts->pins;
	const char *name = run->repos[c->repo].name;
	size_t first, n, i, j;
	uint32_t id;
	int error;

	n = gc_pins_lookup(pins, name, &first);
	for (i = first; i < first + n; i++) {
		uint32_t pi = pins->keys[i].pin;
		const struct gc_pin *p = &pins->v[pi];

		if (p->tag != NULL) {
			for (j = 0; j < c->tags.n; j++)
				if (strcmp(c->tags.name[j], p->tag) == 0)
					run->pin_matched[pi] = 1;
			continue;
		}
		if (gc_id_lookup(run, &p->digest, &id) < 0 ||
		    run->rev_in[id] != c->repo + 1)
			continue;
		run->pin_matched[pi] = 1;
		if ((error = fe_push_u32(
		         &c->roots, &c->nroots, &c->caproots, id)) < 0)
			return error;
	}
	return 0;
}

static int
layer_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	struct mark_ctx *c = payload;
	struct gc_run *run = c->run;
	struct drydock_digest t;
	uint32_t id, tid;
	int r;

	if (gc_id(&id, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	tid = id;
	if (li->status == 0 && li->digest.alg != DRYDOCK_DIGEST_SHA256) {
		/* an alias link: its content names the canonical blob */
		char rel[300], hex[DRYDOCK_DIGEST_STRMAX];

		snprintf(rel, sizeof(rel), "_layers/%s/%s/link",
		    drydock_digest_alg_name(li->digest.alg),
		    drydock_digest_hex(hex, &li->digest));
		r = drydock_link_read(&t, run->st, ri->fd, rel);
		if (r == 0 && gc_id(&tid, run, &t) < 0)
			return DRYDOCK_ERROR;
	} else if (li->status == 0 && li->target.alg != DRYDOCK_DIGEST_NONE) {
		if (gc_id(&tid, run, &li->target) < 0)
			return DRYDOCK_ERROR;
	}
	if (li->status < 0 && li->status != DRYDOCK_ENOTFOUND)
		run->repos[c->repo].tainted = 1;
	if (li->status == 0 && gc_is_young(run, li->mtime_ns)) {
		/* a push in progress may need it: never sweep its blob */
		run->flags[id] |= GC_YOUNG;
		run->flags[tid] |= GC_YOUNG;
	}
	return add_link(run, c->repo, GC_LINK_LAYER, li, id, tid);
}

static int
upload_cb(const struct drydock_repo_info *ri,
    const struct drydock_upload_info *up, void *payload)
{
	struct mark_ctx *c = payload;
	struct gc_run *run = c->run;
	int stale;

	(void)ri;
	if (strncmp(up->id, GC_UPLOAD_LEFTOVER, strlen(GC_UPLOAD_LEFTOVER)) ==
	    0)
		/* a removal an earlier run did not finish */
		return gc_add_item(run, GC_KIND_UPLOAD, c->repo, UINT32_MAX,
		    up->path, NULL, GC_REASON_INTERRUPTED_REMOVAL, up->size);
	if (up->startedat >= 0)
		stale = up->startedat < run->upload_cutoff;
	else
		stale = up->mtime_ns / 1000000000 < run->upload_cutoff;
	if (!stale) {
		run->repos[c->repo].uploads++;
		return 0;
	}
	return gc_add_item(run, GC_KIND_UPLOAD, c->repo, UINT32_MAX, up->path,
	    NULL, GC_REASON_STALE_UPLOAD, up->size);
}

struct history_ctx {
	struct mark_ctx *c;
	const char *tag;
	int by_name; /* walked by name: link files not stat'ed yet */
};

/*
 * A history entry walked by name: is its link file there, and how old is
 * it (the directory's age when it is not).  1: gone or odd (reported): no
 * entry to plan.
 */
static int
history_stat(
    struct gc_run *run, const struct drydock_link_info *li, int64_t *mtime_ns)
{
	int is_dir = 0, r;

	r = drydock_store_stat_listed(
	    run->st, -1, li->path, NULL, mtime_ns, &is_dir);
	if (r == 0 && !is_dir)
		return 0;
	if (r == DRYDOCK_ENOTFOUND) {
		/* a directory without link: its own age decides */
		r = drydock_store_stat_listed(
		    run->st, -1, li->dir_path, NULL, mtime_ns, NULL);
		drydock_error_clear();
		return r == 0 ? 0 : 1; /* gone since it was listed */
	}
	if (r == 0)
		drydock_error_set(
		    DRYDOCK_ERRCLASS_STORE, "is not a regular file");
	drydock_store_problem(run->st, li->path,
	    r == 0 || r == DRYDOCK_EUNSAFE ? DRYDOCK_EUNSAFE : r, "%s",
	    drydock_error_message());
	drydock_error_clear();
	return 1;
}

static int
history_cb(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct history_ctx *h = payload;
	struct gc_run *run = h->c->run;
	const uint32_t stamp = h->c->repo + 1;
	int reason = GC_REASON_DANGLING_HISTORY;
	int64_t mtime_ns = li->mtime_ns;
	uint32_t id = UINT32_MAX;

	(void)ri;
	if (li->status == DRYDOCK_EUNSAFE)
		return 0;
	/* what stays needs no stat: most of a kept tag's history */
	if (gc_id_lookup(run, &li->digest, &id) == 0) {
		if (run->kept_in[id] == stamp)
			return 0;
		if (run->rev_in[id] == stamp) {
			if (!(run->flags[id] & GC_SWEEP))
				return 0;
			reason = GC_REASON_UNTAGGED_HISTORY;
		}
	}
	if (h->by_name && history_stat(run, li, &mtime_ns) != 0)
		return 0;
	if (gc_is_young(run, mtime_ns))
		return 0;
	if (gc_id(&id, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	return gc_add_item(run, GC_KIND_TAG_HISTORY, h->c->repo, id,
	    li->dir_path, h->tag, reason, 0);
}

/*
 * Tag i's history: what the scan recorded, with the problems it met, or a
 * walk now when there is no record (the tag was not in the scan).
 */
static int
history_replay(struct mark_ctx *c, struct history_ctx *h, size_t i)
{
	struct gc_scan *s = c->scan;
	struct gc_scan_tag *t = NULL;
	size_t j;
	int error;

	if (s != NULL)
		for (j = 0; j < s->ntags && t == NULL; j++)
			if (s->tags[j].hist_done &&
			    strcmp(s->tags[j].name, c->tags.name[i]) == 0)
				t = &s->tags[j];
	if (t == NULL) {
		/*
		 * by name: history_cb() stats only what may go (on S3 the
		 * listing has every time anyway)
		 */
		h->by_name = drydock_store_has_fds(c->run->st);
		return drydock_tag_history_foreach(c->run->st, c->ri,
		    c->tags.name[i],
		    DRYDOCK_WALK_NAMES | DRYDOCK_WALK_CANONICAL, history_cb, h);
	}
	for (j = 0; j < t->hist_problems.n; j++)
		gc_problem(t->hist_problems.v[j].path,
		    t->hist_problems.v[j].code, t->hist_problems.v[j].message,
		    c->run);
	if (t->hist_error < 0) {
		drydock_error_set(t->hist_errclass, "%s",
		    t->hist_errmsg ? t->hist_errmsg
		                   : "cannot walk tag history");
		return t->hist_error;
	}
	for (j = 0; j < t->nhist; j++)
		if ((error = history_cb(c->ri, &t->hist[j].link, h)) != 0)
			return error;
	return 0;
}

/* After marking: which of this repository's revisions go. */
static int
plan_revisions(struct mark_ctx *c)
{
	struct gc_run *run = c->run;
	struct gc_repo *repo = &run->repos[c->repo];
	struct drydock_digest d;
	size_t i;
	char hex[DRYDOCK_DIGEST_STRMAX], rel[1024];
	int error;

	for (i = c->links_start; i < run->nlinks; i++) {
		struct gc_link *l = &run->links[i];
		int reason = -1;

		if (l->kind != GC_LINK_REVISION)
			continue;
		if (l->status == DRYDOCK_ENOTFOUND) {
			if (!l->young)
				reason = GC_REASON_EMPTY_REVISION_DIR;
		} else if (l->status == 0 && !repo->tainted &&
		    run->kept_in[l->id] != c->repo + 1 && !l->young) {
			reason = GC_REASON_UNTAGGED_REVISION;
			run->flags[l->id] |= GC_SWEEP;
		}
		if (reason < 0) {
			if (l->status != DRYDOCK_ENOTFOUND)
				repo->kept_revisions++;
			continue;
		}
		d = gc_digest(run, l->id);
		snprintf(rel, sizeof(rel), "%s/_manifests/revisions/%s/%s",
		    c->ri->path, drydock_digest_alg_name(d.alg),
		    drydock_digest_hex(hex, &d));
		if ((error = gc_add_item(run, GC_KIND_REVISION, c->repo, l->id,
		         rel, NULL, reason, 0)) < 0)
			return error;
	}
	/*
	 * tag history goes only with -m or where a policy applies, and never
	 * from a suspect repository; a deleted tag's goes with it
	 */
	for (i = 0; (run->opts->delete_untagged || c->ret.pol != NULL) &&
	     !repo->tainted && i < c->tags.n;
	     i++) {
		struct history_ctx h = {c, c->tags.name[i], 0};

		if (c->ret.gone != NULL && c->ret.gone[i])
			continue;
		if ((error = history_replay(c, &h, i)) < 0)
			return error;
	}
	/* the flag only meant "goes from this repository" */
	for (i = c->links_start; i < run->nlinks; i++)
		if (run->links[i].kind == GC_LINK_REVISION)
			run->flags[run->links[i].id] &= (uint8_t)~GC_SWEEP;
	return 0;
}

/*
 * Referrers: revisions of repository repo (its links from..to) whose
 * subject the repository keeps are kept too, until nothing changes.  The
 * mark calls it per repository; the re-check and the sweep call it again
 * when a racing push or a tag that could not be deleted kept more.
 */
int
gc_keep_referrers(
    struct gc_run *run, uint32_t repo, int repo_fd, size_t from, size_t to)
{
	const uint32_t stamp = repo + 1;
	int changed = 1, error;
	size_t i;

	while (changed) {
		changed = 0;
		for (i = from; i < to; i++) {
			const struct gc_link *l = &run->links[i];
			const struct gc_manifest *m;

			if (l->kind != GC_LINK_REVISION || l->status != 0 ||
			    run->kept_in[l->id] == stamp)
				continue;
			if ((error = gc_manifest_load(run, l->id, &m)) < 0)
				return error;
			if (m != NULL && m->state != GC_MF_OK)
				run->repos[repo].tainted = 1;
			if (m == NULL || m->subject == UINT32_MAX ||
			    run->kept_in[m->subject] != stamp)
				continue;
			gc_trace_note(
			    run, stamp, l->id, m->subject, GC_TRACE_REFERRER);
			if ((error = gc_mark_from(run, repo, repo_fd, l->id)) <
			    0)
				return error;
			changed = 1;
		}
	}
	return 0;
}

static int
mark_referrers(struct mark_ctx *c)
{
	return gc_keep_referrers(
	    c->run, c->repo, c->ri->fd, c->links_start, c->run->nlinks);
}

/* A repository with a bad manifest or link keeps everything it links. */
static int
keep_all(struct mark_ctx *c)
{
	struct gc_run *run = c->run;
	size_t i;
	int error;

	for (i = c->links_start; i < run->nlinks; i++) {
		struct gc_link *l = &run->links[i];

		gc_trace_note(
		    run, c->repo + 1, l->id, UINT32_MAX, GC_TRACE_SUSPECT);
		gc_trace_note(
		    run, c->repo + 1, l->target, UINT32_MAX, GC_TRACE_SUSPECT);
		run->flags[l->id] |= GC_MARKED;
		run->flags[l->target] |= GC_MARKED;
		if (l->kind == GC_LINK_REVISION && l->status == 0 &&
		    (error = gc_mark_from(run, c->repo, c->ri->fd, l->id)) < 0)
			return error;
	}
	return 0;
}

/*
 * What interrupted tag removals left aside (GC_TAG_ASIDE) goes: the tags
 * left tags/ already, and what they named is untagged now.
 */
static int
plan_asides(struct mark_ctx *c, const struct gc_scan *s)
{
	struct gc_run *run = c->run;
	char rel[GC_PATH_MAX];
	size_t i;
	uint32_t id;
	int error;

	run->repos[c->repo].aside_dir = s->aside_dir;
	for (i = 0; i < s->nasides; i++) {
		const struct gc_scan_aside *a = &s->asides[i];

		id = UINT32_MAX;
		if (a->status == 0 && (error = gc_id(&id, run, &a->target)) < 0)
			return error;
		snprintf(rel, sizeof(rel), "%s/_manifests/%s/%s", s->ri.path,
		    GC_TAG_ASIDE, a->name);
		if ((error = gc_add_item(run, GC_KIND_TAG, c->repo, id, rel,
		         a->name, GC_REASON_TAG_LEFTOVER, 0)) < 0)
			return error;
		run->items[run->nitems - 1].id2 = UINT32_MAX;
	}
	return 0;
}

/* Replay what the scan recorded through the walk callbacks. */
static int
replay_walks(struct mark_ctx *c, struct gc_scan *s)
{
	struct drydock_link_info li;
	size_t i;
	int error;

	for (i = 0; i < s->ntags; i++) {
		struct drydock_tag_info ti;

		ti.name = s->tags[i].name;
		ti.path = s->tags[i].path;
		ti.current = s->tags[i].current;
		if ((error = tag_cb(c->ri, &ti, c)) != 0)
			return error;
	}
	/* the policy decides before revisions are: it releases some */
	if ((error = gc_retain_decide(&c->ret, c->run, &c->tags, &c->roots,
	         &c->nroots, &c->caproots)) < 0)
		return error;
	memset(&li, 0, sizeof(li));
	for (i = 0; i < s->nrevs; i++) {
		li.digest = s->revs[i].digest;
		li.target = s->revs[i].target;
		li.status = s->revs[i].status;
		li.mtime_ns = s->revs[i].mtime_ns;
		if ((error = revision_cb(c->ri, &li, c)) != 0)
			return error;
	}
	return 0;
}

static int
replay_layers(struct mark_ctx *c, struct gc_scan *s)
{
	struct drydock_link_info li;
	size_t i;
	int error;

	memset(&li, 0, sizeof(li));
	for (i = 0; i < s->nlayers; i++) {
		li.digest = s->layers[i].digest;
		li.target = s->layers[i].target;
		li.status = s->layers[i].status;
		li.mtime_ns = s->layers[i].mtime_ns;
		if ((error = layer_cb(c->ri, &li, c)) != 0)
			return error;
	}
	return 0;
}

static int
mark_repo(struct gc_run *run, struct gc_scan *s)
{
	struct mark_ctx c;
	struct gc_repo *repo;
	size_t i, n;
	int error;

	if (gc_stop)
		return DRYDOCK_EINTR;
	if ((error = fe_grow((void **)&run->repos, &run->caprepos,
	         run->nrepos + 1, sizeof(*run->repos))) < 0)
		return error;
	repo = &run->repos[run->nrepos];
	memset(repo, 0, sizeof(*repo));
	if ((repo->name = strdup(s->name)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	repo->has = s->has;
	memset(&c, 0, sizeof(c));
	c.run = run;
	c.repo = (uint32_t)run->nrepos++;
	c.ri = &s->ri;
	c.scan = s;
	c.links_start = run->nlinks;
	gc_retain_init(&c.ret, run, c.repo);
	run->cur_repo = c.repo;
	fe_progress_show(&run->progress, "marking", run->nrepos, 0, 0, 0);
	if (run->nrepos == run->signal_at)
		raise(SIGTERM); /* the test hook: a signal in mid-mark */
	if (s->has == 0) {
		/* a removal killed between its last rmdir and the next */
		repo->empty = 1;
		repo->mtime_ns = s->mtime_ns;
		goto out;
	}
	if (!drydock_reference_is_repo(s->name)) {
		/* the registry cannot serve it, but who knows what reads it */
		repo->tainted = 2;
		drydock_store_problem(run->st, s->path, DRYDOCK_ECORRUPT,
		    "'%s' is not a valid repository name; nothing in it is "
		    "removed",
		    s->name);
	}
	for (i = 0; i < s->problems.n; i++)
		gc_problem(s->problems.v[i].path, s->problems.v[i].code,
		    s->problems.v[i].message, run);
	if (!s->opened) {
		/* could not be entered: what it links is unknown */
		repo->tainted = 2;
		goto out;
	}
	repo->layers_mtime_ns = s->layers_mtime_ns;
	repo->revs_mtime_ns = s->revs_mtime_ns;

	if ((error = replay_walks(&c, s)) < 0)
		goto out;
	if ((error = gc_retain_referrers(
	         &c.ret, run, &c.tags, c.links_start, c.roots, &c.nroots)) < 0)
		goto out;
	if ((error = pin_roots(&c)) < 0)
		goto out;
	for (i = 0; i < c.nroots; i++)
		if ((error = gc_mark_from(run, c.repo, s->ri.fd, c.roots[i])) <
		    0)
			goto out;
	if ((error = mark_referrers(&c)) < 0)
		goto out;
	n = c.nroots;
	if ((error = gc_retain_attachments(
	         &c.ret, run, &c.tags, &c.roots, &c.nroots, &c.caproots)) < 0)
		goto out;
	for (i = n; i < c.nroots; i++)
		if ((error = gc_mark_from(run, c.repo, s->ri.fd, c.roots[i])) <
		    0)
			goto out;
	if (c.nroots > n && (error = mark_referrers(&c)) < 0)
		goto out;
	/* every link was read: a malformed one is reported, never guessed at */
	if ((error = replay_layers(&c, s)) < 0)
		goto out;
	if (run->repos[c.repo].tainted && (error = keep_all(&c)) < 0)
		goto out;
	if ((error = gc_retain_finish(&c.ret, run, s->ri.path, &c.tags)) < 0)
		goto out;
	if (run->repos[c.repo].tainted != 2 && (error = plan_asides(&c, s)) < 0)
		goto out;
	if ((error = plan_revisions(&c)) < 0)
		goto out;
	/* an upload's problems come after the plan, as in a plain walk */
	for (i = 0; i < s->upload_problems.n; i++)
		gc_problem(s->upload_problems.v[i].path,
		    s->upload_problems.v[i].code,
		    s->upload_problems.v[i].message, run);
	if (run->repos[c.repo].tainted != 2) {
		for (i = 0; i < s->nuploads && error == 0; i++)
			error = upload_cb(c.ri, &s->uploads[i].info, &c);
	} else {
		run->repos[c.repo].uploads++;
	}
	if (error == 0 && run->trace != NULL)
		error = gc_trace_repo(
		    run, c.repo, &c.tags, &c.ret, c.links_start, s);
	if (error == 0 && run->holders != NULL)
		error = gc_holders_repo(run, c.repo, &c.tags, &c.ret, c.roots,
		    c.nroots, c.links_start);
out:
	run->repos[c.repo].links_start = c.links_start;
	run->repos[c.repo].links_end = run->nlinks;
	run->cur_repo = UINT32_MAX;
	for (i = 0; i < c.tags.n; i++)
		free(c.tags.name[i]);
	free(c.tags.name);
	free(c.tags.target);
	free(c.tags.mtime);
	free(c.roots);
	gc_retain_release(&c.ret);
	return error;
}

/*
 * A bare digest pinned: a root in every repository that holds it (see
 * revision_cb), and its blob kept even where none does.
 */
static int
pins_prepare(struct gc_run *run)
{
	const struct gc_pins *pins = &run->opts->pins;
	uint32_t id;
	size_t i;
	int error;

	if (pins->n == 0)
		return 0;
	if ((run->pin_matched = calloc(pins->n, 1)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < pins->n; i++) {
		if (pins->v[i].repo != NULL)
			continue;
		if ((error = gc_id(&id, run, &pins->v[i].digest)) < 0)
			return error;
		run->flags[id] |= GC_PINNED | GC_MARKED;
	}
	return 0;
}

/* A pin that names nothing is a typo until shown otherwise: say so. */
static void
pins_check(struct gc_run *run)
{
	const struct gc_pins *pins = &run->opts->pins;
	uint32_t id;
	size_t i;

	for (i = 0; i < pins->n; i++) {
		const struct gc_pin *p = &pins->v[i];

		if (!run->pin_matched[i] && p->repo == NULL &&
		    gc_id_lookup(run, &p->digest, &id) == 0 &&
		    (run->rev_in[id] != 0 ||
		        drydock_store_blob_stat(
		            run->st, &p->digest, NULL, NULL) == 0)) {
			run->pin_matched[i] = 1;
			/* docker's image ID: a config, kept alone */
			if (run->rev_in[id] == 0 && !run->opts->com.quiet)
				fprintf(stderr,
				    "drydock-gc: warning: %s:%d: pin '%s' "
				    "names a blob no repository holds as a "
				    "manifest (an image ID?): it keeps that "
				    "blob alone\n",
				    strcmp(p->file, "-") == 0 ? "<stdin>"
				                              : p->file,
				    p->line, p->text);
		}
		drydock_error_clear();
		if (!run->pin_matched[i] && !run->opts->com.quiet)
			fprintf(stderr,
			    "drydock-gc: warning: %s:%d: pin '%s' matches "
			    "nothing in this store\n",
			    strcmp(p->file, "-") == 0 ? "<stdin>" : p->file,
			    p->line, p->text);
	}
}

int
gc_mark(struct gc_run *run)
{
	int error;

	if ((error = pins_prepare(run)) < 0)
		return error;
	run->marking = 1;
#ifdef DRYDOCK_TEST_HOOKS /* only in the test build (Makefile) */
	if (getenv("DRYDOCK_GC_TEST_SIGTERM_AT_REPO") != NULL)
		run->signal_at = strtoul(
		    getenv("DRYDOCK_GC_TEST_SIGTERM_AT_REPO"), NULL, 10);
#endif
	error = gc_scan_foreach(run, mark_repo);
	run->marking = 0;
	fe_progress_end(&run->progress);
	if (error == 0)
		pins_check(run);
	return error;
}
