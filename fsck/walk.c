/* SPDX-License-Identifier: MIT */
/*
 * walk.c --- the walk, the first phase: blobs/ once, then every repository
 * once (its tags with their history, revisions, layer links, uploads),
 * into the run's tables, each repository's sorted for lookups.  What the
 * walk alone can tell becomes a finding here: link files that do not parse
 * or name another digest than their path, empty link directories,
 * uploads, and entries at the levels of the tree that hold fixed names.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsck.h"

static int
blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct fsck_run *run = payload;
	struct fsck_blob *b;
	uint32_t id;
	int error;

	if (fsck_stop)
		return DRYDOCK_EINTR;
	if ((error = fsck_id(&id, run, &bi->digest)) < 0)
		return error;
	if (run->objs[id].blob != FSCK_NONE)
		return 0; /* cannot happen: one directory per digest */
	if ((b = fsck_blob_add(run, id)) == NULL)
		return DRYDOCK_ERROR;
	b->has_data = (uint8_t)(bi->has_data != 0);
	b->size = bi->size;
	b->mtime_ns = bi->mtime_ns;
	b->ino = bi->inode;
	run->objs[id].flags |= FSCK_O_BLOBDIR;
	if (b->has_data) {
		run->objs[id].flags |= FSCK_O_DATA;
		run->ndata++;
		run->blob_bytes += b->size;
	}
	fsck_progress(run, "walking blobs", run->nblobs, 0, 0, 0);
	return 0;
}

enum link_kind { LK_LAYER, LK_REVISION, LK_HISTORY, LK_CURRENT };

struct repo_ctx {
	struct fsck_run *run;
	uint32_t repo;
	const struct drydock_repo_info *ri;
	uint32_t tag; /* history walks: the tag */
	int error; /* set when our own callback failed */
};

static const char *
link_kind_name(int kind)
{
	switch (kind) {
	case LK_LAYER:
		return "layer link";
	case LK_REVISION:
		return "revision link";
	case LK_HISTORY:
		return "tag history link";
	default:
		return "tag current link";
	}
}

/*
 * A link file whose content did not parse: whitespace around a digest
 * (rewritable), another digest than its path's, or no digest at all.
 * Returns 0 or an error (of ours, not of the link).
 */
static int
link_finding(struct repo_ctx *c, int kind, const struct drydock_link_info *li,
    const char *tag)
{
	struct fsck_run *run = c->run;
	struct fsck_ctx ctx =
	    FSCK_CTX_INIT(.path = li->path, .repo = c->repo, .tag = tag);
	struct drydock_digest d;
	const char *why;
	char *buf = NULL, dstr[DRYDOCK_DIGEST_STRMAX];
	size_t len = 0;
	int junk = 0, id = FSCK_LINK_UNPARSABLE, error, per_digest, pathed;

	per_digest = kind != LK_CURRENT;
	/* the path says what the content must be (not an alias's) */
	pathed = per_digest &&
	    !(kind == LK_LAYER && li->digest.alg != DRYDOCK_DIGEST_SHA256);
	if (per_digest && fsck_id(&ctx.digest, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	if (kind == LK_LAYER || kind == LK_REVISION)
		ctx.impact = FSCK_IMPACT_REPO;
	else if (kind == LK_CURRENT)
		ctx.impact = FSCK_IMPACT_TAG;
	if (drydock_store_read_file(
	        &buf, &len, run->st, -1, li->path, FSCK_LINK_READ_MAX) < 0)
		return 0; /* unreadable: the walker's problem says why */
	why = fsck_problem_consume(run, li->path);
	if (drydock_link_parse_lenient(&d, &junk, buf, len) == 0) {
		drydock_digest_format(dstr, &d);
		if (pathed && !drydock_digest_equal(&d, &li->digest))
			id = FSCK_LINK_WRONG_TARGET;
		else
			id = FSCK_LINK_WHITESPACE;
	} else if (!pathed) {
		/*
		 * LINK_UNPARSABLE's remedy writes the link anew from its
		 * path.  The path of a tag's current link, or of an alias
		 * layer link (which holds the canonical sha256 digest), does
		 * not say what it must hold: -p only moves it into quarantine.
		 */
		ctx.action = FSCK_ACT_QUARANTINE_LINK;
	}
	free(buf);
	error = fsck_report(run, id, &ctx, "%s: %s", link_kind_name(kind),
	    why != NULL ? why : "not a digest");
	return error < 0 ? error : 0;
}

/* A link that parses but names another digest than its path. */
static int
wrong_target(struct repo_ctx *c, int kind, const struct drydock_link_info *li)
{
	struct fsck_run *run = c->run;
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = li->path, .repo = c->repo,
	    .impact = kind == LK_HISTORY ? FSCK_IMPACT_NONE : FSCK_IMPACT_REPO);
	char dstr[DRYDOCK_DIGEST_STRMAX];

	if (fsck_id(&ctx.digest, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	return fsck_report(run, FSCK_LINK_WRONG_TARGET, &ctx, "%s holds %s",
	    link_kind_name(kind), drydock_digest_format(dstr, &li->target));
}

static int
add_link(struct fsck_run *run, struct fsck_link **arr, size_t *n, size_t *cap,
    const struct drydock_link_info *li, int status)
{
	struct fsck_link *l;

	if (fe_grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return DRYDOCK_ERROR;
	l = &(*arr)[(*n)++];
	l->status = status;
	l->target = FSCK_NONE;
	if (fsck_id(&l->id, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	if (status == 0 && fsck_id(&l->target, run, &li->target) < 0)
		return DRYDOCK_ERROR;
	return 0;
}

/*
 * The status to keep for a link after our own checks: the content must
 * match the path.  Returns 0 or an error (of ours, not of the link).
 */
static int
link_status(int *status, struct repo_ctx *c, int kind,
    const struct drydock_link_info *li)
{
	*status = li->status;
	if (li->status == DRYDOCK_ECORRUPT)
		return link_finding(c, kind, li, NULL);
	if (li->status != 0)
		return 0;
	if (kind == LK_LAYER && li->digest.alg != DRYDOCK_DIGEST_SHA256)
		return 0; /* an alias: names the canonical sha256 blob */
	if (!drydock_digest_equal(&li->target, &li->digest)) {
		*status = DRYDOCK_ECORRUPT;
		return wrong_target(c, kind, li);
	}
	return 0;
}

static int
info_finding(struct repo_ctx *c, int id, const char *path,
    const struct drydock_digest *d, const char *tag)
{
	struct fsck_ctx ctx =
	    FSCK_CTX_INIT(.path = path, .repo = c->repo, .tag = tag);

	if (d != NULL && fsck_id(&ctx.digest, c->run, d) < 0)
		return DRYDOCK_ERROR;
	return fsck_report(c->run, id, &ctx, NULL);
}

static int
hist_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_repo *repo = &c->run->repos[c->repo];
	struct fsck_hist *h;
	int status;

	(void)ri;
	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (link_status(&status, c, LK_HISTORY, li) < 0)
		goto fail;
	if (fe_grow((void **)&repo->hist, &repo->caphist, repo->nhist + 1,
	        sizeof(*repo->hist)) < 0)
		goto fail;
	h = &repo->hist[repo->nhist];
	memset(h, 0, sizeof(*h));
	h->tag = c->tag;
	h->l.status = status;
	h->l.target = FSCK_NONE;
	if ((h->path = fe_strdup(li->dir_path)) == NULL ||
	    fsck_id(&h->l.id, c->run, &li->digest) < 0 ||
	    (status == 0 && fsck_id(&h->l.target, c->run, &li->target) < 0)) {
		free(h->path);
		goto fail;
	}
	repo->nhist++;
	return 0;
fail:
	c->error = DRYDOCK_ERROR;
	return DRYDOCK_ERROR;
}

/*
 * A sub-walk that could not start (its directory is a symlink, a file, or
 * unreadable) is a finding, not the end of the run.
 */
static int
subwalk_result(struct repo_ctx *c, int r, const char *sub)
{
	struct fsck_run *run = c->run;
	char path[4200], msg[DRYDOCK_ERROR_MSGMAX];
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = path, .repo = c->repo);
	int id;

	if (r == 0 || c->error != 0 || r == DRYDOCK_EINTR)
		return r;
	switch (r) {
	case DRYDOCK_EUNSAFE:
		id = FSCK_SYMLINK;
		break;
	case DRYDOCK_ECORRUPT:
		id = FSCK_STRAY_FILE;
		break;
	case DRYDOCK_ERROR:
		id = FSCK_IO_ERROR;
		break;
	default:
		return r;
	}
	/*
	 * What the links there say is unknown: no finding may rest on their
	 * absence, and every tag of the repository is in doubt.
	 */
	if (strcmp(sub, "_manifests/revisions") == 0)
		run->repos[c->repo].unread |= FSCK_UNREAD_REVS;
	else if (strcmp(sub, "_layers") == 0)
		run->repos[c->repo].unread |= FSCK_UNREAD_LAYERS;
	if (run->repos[c->repo].unread != 0 && id != FSCK_STRAY_FILE)
		ctx.impact = FSCK_IMPACT_REPO_ALL;
	snprintf(path, sizeof(path), "%s/%s", run->repos[c->repo].path, sub);
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	return fsck_report(run, id, &ctx, "%s", msg);
}

/*
 * Entries the walkers do not look at: the levels of the tree that hold
 * only fixed names ($V2 itself, _manifests/, a tag's directory and its
 * current/).  Anything else there is a stray; a symlink is reported as
 * one, never followed.  A directory that cannot be opened is left to the
 * walkers, which report it.
 */
struct fixed_scan {
	struct fsck_run *run;
	struct fsck_ctx ctx;
	const char *rel;
	const char *const *names;
	int stopped; /* a report failed: that error, not a listing's */
	char path[4200];
};

static int
fixed_entry(const char *name, int type, void *payload)
{
	struct fixed_scan *f = payload;
	size_t i;

	for (i = 0; f->names[i] != NULL; i++)
		if (strcmp(name, f->names[i]) == 0)
			return 0;
	/* drydock-gc's clock probe beside us: there for a moment */
	if (f->rel[0] == '\0' && type == DT_REG &&
	    strncmp(name, DRYDOCK_CLOCK_PROBE_PREFIX,
	        strlen(DRYDOCK_CLOCK_PROBE_PREFIX)) == 0)
		return 0;
	if (f->rel[0] != '\0')
		snprintf(f->path, sizeof(f->path), "%s/%s", f->rel, name);
	else
		snprintf(f->path, sizeof(f->path), "%s", name);
	if (type == DT_LNK)
		f->stopped = fsck_report(f->run, FSCK_SYMLINK, &f->ctx, NULL);
	else
		f->stopped = fsck_report(f->run, FSCK_STRAY_FILE, &f->ctx,
		    "not written by the registry");
	return f->stopped;
}

static int
scan_fixed(struct fsck_run *run, uint32_t repo, const char *rel,
    const char *const *names)
{
	struct fixed_scan f = {.run = run, .rel = rel, .names = names};
	int error;

	f.ctx = (struct fsck_ctx)FSCK_CTX_INIT(.path = f.path, .repo = repo);
	error = drydock_store_dir_foreach(run->st, rel, fixed_entry, &f);
	if (f.stopped != 0)
		return error;
	/* a directory that cannot be listed is the walkers' to report */
	drydock_error_clear();
	return 0;
}

static const char *const tag_names[] = {"current", "index", NULL};
static const char *const current_names[] = {"link", NULL};
static const char *const manifests_names[] = {"revisions", "tags", NULL};
static const char *const v2_names[] = {"blobs", "repositories", NULL};

static int
tag_cb(const struct drydock_repo_info *ri, const struct drydock_tag_info *ti,
    void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_run *run = c->run;
	struct fsck_repo *repo = &run->repos[c->repo];
	struct fsck_tag *t;
	char sub[4200];
	int r;

	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (fe_grow((void **)&repo->tags, &repo->captags, repo->ntags + 1,
	        sizeof(*repo->tags)) < 0)
		goto fail;
	t = &repo->tags[repo->ntags];
	t->target = FSCK_NONE;
	t->status = ti->current.status;
	if ((t->name = fe_strdup(ti->name)) == NULL)
		goto fail;
	repo->ntags++;
	run->ntags++;
	if (t->status == 0 && fsck_id(&t->target, run, &ti->current.target) < 0)
		goto fail;
	if (t->status == DRYDOCK_ECORRUPT &&
	    link_finding(c, LK_CURRENT, &ti->current, ti->name) < 0)
		goto fail;
	c->tag = (uint32_t)(repo->ntags - 1);
	snprintf(sub, sizeof(sub), "%s/current", ti->path);
	if (scan_fixed(run, c->repo, ti->path, tag_names) < 0 ||
	    scan_fixed(run, c->repo, sub, current_names) < 0)
		goto fail;
	r = drydock_tag_history_foreach(run->st, ri, ti->name,
	    DRYDOCK_WALK_READ | DRYDOCK_WALK_CRUFT, hist_cb, c);
	snprintf(sub, sizeof(sub), "_manifests/tags/%s/index", ti->name);
	return subwalk_result(c, r, sub);
fail:
	c->error = DRYDOCK_ERROR;
	return DRYDOCK_ERROR;
}

/*
 * A revision or a layer link (kind): a directory without link is a note;
 * each goes into the repository's table of its kind, with the status its
 * content earns (link_status).
 */
static int
link_cb(struct repo_ctx *c, int kind, const struct drydock_link_info *li)
{
	struct fsck_run *run = c->run;
	struct fsck_repo *repo = &run->repos[c->repo];
	int layer = kind == LK_LAYER, status, error;

	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (li->status == DRYDOCK_ENOTFOUND &&
	    info_finding(c,
	        layer ? FSCK_LAYER_LINK_EMPTY_DIR : FSCK_REVISION_EMPTY_DIR,
	        li->dir_path, &li->digest, NULL) < 0)
		goto fail;
	if (link_status(&status, c, kind, li) < 0)
		goto fail;
	if (layer)
		error = add_link(run, &repo->layers, &repo->nlayers,
		    &repo->caplayers, li, status);
	else
		error = add_link(
		    run, &repo->revs, &repo->nrevs, &repo->caprevs, li, status);
	if (error < 0)
		goto fail;
	if (status == 0 && layer)
		run->nlayers++;
	else if (status == 0)
		run->nrevisions++;
	return 0;
fail:
	c->error = DRYDOCK_ERROR;
	return DRYDOCK_ERROR;
}

static int
rev_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	(void)ri;
	return link_cb(payload, LK_REVISION, li);
}

static int
layer_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	(void)ri;
	return link_cb(payload, LK_LAYER, li);
}

static int
upload_cb(const struct drydock_repo_info *ri,
    const struct drydock_upload_info *up, void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_run *run = c->run;
	int64_t cutoff = run->now - run->opts->uploads_age;
	int64_t when = up->startedat;
	char age[32];
	int id;

	(void)ri;
	run->repos[c->repo].nuploads++;
	run->nuploads++;
	if (when < 0)
		when = up->mtime_ns / 1000000000;
	drydock_duration_format(
	    age, sizeof(age), run->now > when ? run->now - when : 0);
	if (up->startedat < 0 && when < cutoff)
		id = FSCK_UPLOAD_NO_STARTEDAT;
	else if (when < cutoff)
		id = FSCK_UPLOAD_STALE;
	else
		id = FSCK_UPLOAD_IN_PROGRESS;
	if (fsck_report(run, id, FSCK_CTX(.path = up->path, .repo = c->repo),
	        "%s old, %llu bytes", age, (unsigned long long)up->size) < 0) {
		c->error = DRYDOCK_ERROR;
		return DRYDOCK_ERROR;
	}
	return 0;
}

static int
link_cmp(const void *a, const void *b)
{
	const struct fsck_link *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct fsck_repo *sort_repo;

static int
tag_target_cmp(const void *a, const void *b)
{
	const struct fsck_tag *x = &sort_repo->tags[*(const uint32_t *)a];
	const struct fsck_tag *y = &sort_repo->tags[*(const uint32_t *)b];

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Order repo->tag_order by the tags' targets (then names). */
void
fsck_sort_tags(struct fsck_repo *repo)
{
	sort_repo = repo;
	qsort(repo->tag_order, repo->ntags, sizeof(uint32_t), tag_target_cmp);
	sort_repo = NULL;
}

/*
 * fe_grow leaves up to half again as many items as an array holds, and 64
 * at the least: a store of many small repositories would carry kilobytes
 * of slack for each of them through the run.  Their tables no longer grow
 * once walked: fit them (a failed shrink keeps the array as it was).
 */
static void
fit(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *p;

	if (n == 0 || n >= *cap || (p = realloc(*arr, n * elem)) == NULL)
		return;
	*arr = p;
	*cap = n;
}

static int
sort_repo_tables(struct fsck_repo *repo)
{
	size_t i;

	fit((void **)&repo->tags, &repo->captags, repo->ntags,
	    sizeof(*repo->tags));
	fit((void **)&repo->revs, &repo->caprevs, repo->nrevs,
	    sizeof(*repo->revs));
	fit((void **)&repo->layers, &repo->caplayers, repo->nlayers,
	    sizeof(*repo->layers));
	fit((void **)&repo->hist, &repo->caphist, repo->nhist,
	    sizeof(*repo->hist));
	/* qsort(NULL, 0, ...) is undefined */
	if (repo->nrevs > 1)
		qsort(repo->revs, repo->nrevs, sizeof(*repo->revs), link_cmp);
	if (repo->nlayers > 1)
		qsort(repo->layers, repo->nlayers, sizeof(*repo->layers),
		    link_cmp);
	if (repo->ntags == 0)
		return 0;
	if ((repo->tag_order = calloc(repo->ntags, sizeof(uint32_t))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < repo->ntags; i++)
		repo->tag_order[i] = (uint32_t)i;
	fsck_sort_tags(repo);
	return 0;
}

static int
repo_cb(const struct drydock_repo_info *ri, void *payload)
{
	struct fsck_run *run = payload;
	struct repo_ctx c;
	struct fsck_repo *repo;
	int r;

	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (fe_grow((void **)&run->repos, &run->caprepos, run->nrepos + 1,
	        sizeof(*run->repos)) < 0)
		return DRYDOCK_ERROR;
	repo = &run->repos[run->nrepos];
	memset(repo, 0, sizeof(*repo));
	repo->has = ri->has;
	if ((repo->name = fe_strdup(ri->name)) == NULL ||
	    (repo->path = fe_strdup(ri->path)) == NULL) {
		free(repo->name);
		return DRYDOCK_ERROR;
	}
	memset(&c, 0, sizeof(c));
	c.run = run;
	c.repo = (uint32_t)run->nrepos++;
	c.ri = ri;
	fsck_progress(run, "walking repositories", run->nrepos, 0, 0, 0);
	if (ri->has & DRYDOCK_REPO_MANIFESTS) {
		char sub[4200];

		snprintf(sub, sizeof(sub), "%s/_manifests", ri->path);
		if ((r = scan_fixed(run, c.repo, sub, manifests_names)) < 0)
			return r;
	}
	r = drydock_tag_foreach(
	    run->st, ri, DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT, tag_cb, &c);
	if ((r = subwalk_result(&c, r, "_manifests/tags")) < 0)
		return r;
	r = drydock_revision_foreach(run->st, ri,
	    DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT, rev_cb,
	    &c);
	if ((r = subwalk_result(&c, r, "_manifests/revisions")) < 0)
		return r;
	r = drydock_layer_foreach(run->st, ri,
	    DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT,
	    layer_cb, &c);
	if ((r = subwalk_result(&c, r, "_layers")) < 0)
		return r;
	r = drydock_upload_foreach(
	    run->st, ri, DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT, upload_cb, &c);
	if ((r = subwalk_result(&c, r, "_uploads")) < 0)
		return r;
	return sort_repo_tables(&run->repos[c.repo]);
}

/* A top-level walk that cannot start: a finding unless it is an error. */
static int
top_walk_result(struct fsck_run *run, int r, const char *path)
{
	char msg[DRYDOCK_ERROR_MSGMAX];

	if (r != DRYDOCK_EUNSAFE && r != DRYDOCK_ECORRUPT)
		return r;
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	return fsck_report(run,
	    r == DRYDOCK_EUNSAFE ? FSCK_SYMLINK : FSCK_STRAY_FILE,
	    FSCK_CTX(.path = path), "%s", msg);
}

int
fsck_walk(struct fsck_run *run)
{
	int error;

	if ((error = scan_fixed(run, FSCK_NONE, "", v2_names)) < 0)
		return error;
	error = drydock_blob_foreach(
	    run->st, DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT, blob_cb, run);
	fsck_progress_end(run);
	if ((error = top_walk_result(run, error, "blobs")) < 0)
		return error;
	error = drydock_repo_foreach(run->st, DRYDOCK_WALK_CRUFT, repo_cb, run);
	fsck_progress_end(run);
	return top_walk_result(run, error, "repositories");
}
