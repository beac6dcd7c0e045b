/* SPDX-License-Identifier: MIT */
/*
 * structure.c --- the structure checks: walk blobs/ and every repository
 * once (tags, tag history, revisions, layer links, uploads), read each
 * manifest once, and check what the registry needs to serve every image:
 * links that parse strictly, tags that name revisions, manifests that
 * exist and parse, referenced blobs that exist globally and are linked in
 * the repository, descriptor sizes that match.  Anomalies the walkers skip
 * (symlinks, strays) become findings here too.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsck.h"

/* Manifests over the registry's limit are not read at all. */
#define LINK_READ_MAX 4096

/* --- walking ---------------------------------------------------------------
 */

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

/*
 * Blobs are walked before repositories, so beside a live registry a push
 * can link a blob the blob walk did not see (the registry writes data
 * before links).  Before calling a blob missing, look again: when its data
 * is there now, it joins the run (and is hashed).  Returns 1 when it did.
 */
static int
late_data(struct fsck_run *run, uint32_t id)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_blob *b;
	uint64_t size = 0;
	int64_t mtime = 0;

	if (o->flags & (FSCK_O_DATA | FSCK_O_UNSAFE))
		return 1;
	if (drydock_store_blob_stat(run->st, &run->ids[id], &size, &mtime) < 0)
		return 0;
	if (o->blob == FSCK_NONE && fsck_blob_add(run, id) == NULL)
		return 0;
	b = &run->blobs[o->blob];
	b->has_data = 1;
	b->size = size;
	b->mtime_ns = mtime;
	o->flags |= FSCK_O_BLOBDIR | FSCK_O_DATA;
	run->ndata++;
	run->blob_bytes += size;
	return 1;
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
 * (rewritable), or no digest at all.  Returns the status to keep for it.
 */
static int
link_finding(struct repo_ctx *c, int kind, const struct drydock_link_info *li,
    const char *tag)
{
	struct fsck_run *run = c->run;
	struct fsck_ctx ctx = {li->path, FSCK_NONE, c->repo, tag,
	    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_QUARANTINE};
	struct drydock_digest d;
	const char *why;
	char *buf = NULL, dstr[DRYDOCK_DIGEST_STRMAX];
	size_t len = 0;
	int junk = 0, id = FSCK_LINK_UNPARSABLE, error, per_digest;

	per_digest = kind != LK_CURRENT;
	if (per_digest && fsck_id(&ctx.digest, run, &li->digest) < 0)
		return DRYDOCK_ERROR;
	if (kind == LK_LAYER || kind == LK_REVISION)
		ctx.impact = FSCK_IMPACT_REPO;
	else if (kind == LK_CURRENT)
		ctx.impact = FSCK_IMPACT_TAG;
	if (drydock_store_read_file(
	        &buf, &len, run->st, -1, li->path, LINK_READ_MAX) < 0)
		return 0; /* unreadable: the walker's problem says why */
	why = fsck_problem_consume(run, li->path);
	if (drydock_link_parse_lenient(&d, &junk, buf, len) == 0) {
		drydock_digest_format(dstr, &d);
		if (per_digest &&
		    !(kind == LK_LAYER &&
		        li->digest.alg != DRYDOCK_DIGEST_SHA256) &&
		    !drydock_digest_equal(&d, &li->digest)) {
			id = FSCK_LINK_WRONG_TARGET;
			ctx.action = FSCK_ACT_QUARANTINE_RELINK;
		} else {
			id = FSCK_LINK_WHITESPACE;
			ctx.action = FSCK_ACT_REWRITE;
		}
	} else if (per_digest &&
	    !(kind == LK_LAYER && li->digest.alg != DRYDOCK_DIGEST_SHA256)) {
		/* the path says what the content must be */
		ctx.action = FSCK_ACT_QUARANTINE_RELINK;
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
	struct fsck_ctx ctx = {li->path, FSCK_NONE, c->repo, NULL,
	    kind == LK_HISTORY ? FSCK_IMPACT_NONE : FSCK_IMPACT_REPO, FSCK_NONE,
	    FSCK_ACT_QUARANTINE_RELINK};
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
	struct fsck_ctx ctx = {path, FSCK_NONE, c->repo, tag, FSCK_IMPACT_NONE,
	    FSCK_NONE, FSCK_ACT_NONE};

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
	struct fsck_ctx ctx = {NULL, FSCK_NONE, c->repo, NULL, FSCK_IMPACT_NONE,
	    FSCK_NONE, FSCK_ACT_NONE};
	char path[4200], msg[DRYDOCK_ERROR_MSGMAX];
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
	ctx.path = path;
	return fsck_report(run, id, &ctx, "%s", msg);
}

/*
 * Entries the walkers do not look at: the levels of the tree that hold
 * only fixed names ($V2 itself, _manifests/, a tag's directory and its
 * current/).  Anything else there is a stray; a symlink is reported as
 * one, never followed.  A directory that cannot be opened is left to the
 * walkers, which report it.
 */
static int
scan_fixed(struct fsck_run *run, uint32_t repo, const char *rel,
    const char *const *names)
{
	struct fsck_ctx ctx = {NULL, FSCK_NONE, repo, NULL, FSCK_IMPACT_NONE,
	    FSCK_NONE, FSCK_ACT_NONE};
	char path[4200];
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, error = 0;

	if (rel[0] == '\0')
		fd = openat(drydock_store_v2fd(run->st), ".",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = drydock_store_openat(
		    run->st, -1, rel, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (error == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(de->d_name, names[i]) == 0)
				break;
		if (names[i] != NULL)
			continue;
		if (rel[0] != '\0')
			snprintf(path, sizeof(path), "%s/%s", rel, de->d_name);
		else
			snprintf(path, sizeof(path), "%s", de->d_name);
		ctx.path = path;
		if (de->d_type == DT_LNK)
			error = fsck_report(run, FSCK_SYMLINK, &ctx, NULL);
		else
			error = fsck_report(run, FSCK_STRAY_FILE, &ctx,
			    "not written by the registry");
	}
	closedir(d);
	return error;
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

static int
rev_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_repo *repo = &c->run->repos[c->repo];
	int status;

	(void)ri;
	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (li->status == DRYDOCK_ENOTFOUND &&
	    info_finding(c, FSCK_REVISION_EMPTY_DIR, li->dir_path, &li->digest,
	        NULL) < 0)
		goto fail;
	if (link_status(&status, c, LK_REVISION, li) < 0)
		goto fail;
	if (add_link(c->run, &repo->revs, &repo->nrevs, &repo->caprevs, li,
	        status) < 0)
		goto fail;
	if (status == 0)
		c->run->nrevisions++;
	return 0;
fail:
	c->error = DRYDOCK_ERROR;
	return DRYDOCK_ERROR;
}

static int
layer_cb(const struct drydock_repo_info *ri, const struct drydock_link_info *li,
    void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_repo *repo = &c->run->repos[c->repo];
	int status;

	(void)ri;
	if (fsck_stop)
		return DRYDOCK_EINTR;
	if (li->status == DRYDOCK_ENOTFOUND &&
	    info_finding(c, FSCK_LAYER_LINK_EMPTY_DIR, li->dir_path,
	        &li->digest, NULL) < 0)
		goto fail;
	if (link_status(&status, c, LK_LAYER, li) < 0)
		goto fail;
	if (add_link(c->run, &repo->layers, &repo->nlayers, &repo->caplayers,
	        li, status) < 0)
		goto fail;
	if (status == 0)
		c->run->nlayers++;
	return 0;
fail:
	c->error = DRYDOCK_ERROR;
	return DRYDOCK_ERROR;
}

static int
upload_cb(const struct drydock_repo_info *ri,
    const struct drydock_upload_info *up, void *payload)
{
	struct repo_ctx *c = payload;
	struct fsck_run *run = c->run;
	struct fsck_ctx ctx = {up->path, FSCK_NONE, c->repo, NULL,
	    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};
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
	if (fsck_report(run, id, &ctx, "%s old, %llu bytes", age,
	        (unsigned long long)up->size) < 0) {
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
	sort_repo = repo;
	qsort(repo->tag_order, repo->ntags, sizeof(uint32_t), tag_target_cmp);
	sort_repo = NULL;
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
	struct fsck_ctx ctx = {path, FSCK_NONE, FSCK_NONE, NULL,
	    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};
	char msg[DRYDOCK_ERROR_MSGMAX];

	if (r != DRYDOCK_EUNSAFE && r != DRYDOCK_ECORRUPT)
		return r;
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	return fsck_report(run,
	    r == DRYDOCK_EUNSAFE ? FSCK_SYMLINK : FSCK_STRAY_FILE, &ctx, "%s",
	    msg);
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

/* --- manifests ---------------------------------------------------------------
 */

static char *
platform_string(const struct drydock_platform *p)
{
	char buf[256];

	if (p->os == NULL && p->architecture == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/%s%s%s", p->os ? p->os : "?",
	    p->architecture ? p->architecture : "?", p->variant ? "/" : "",
	    p->variant ? p->variant : "");
	return fe_strdup(buf);
}

static int
keep_refs(struct fsck_run *run, struct fsck_manifest *mf,
    const struct drydock_manifest *m)
{
	size_t i, n = drydock_manifest_ref_count(m);

	mf->first = (uint32_t)run->nrefs;
	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);
		struct fsck_ref *r;

		if (fe_grow((void **)&run->refs, &run->caprefs, run->nrefs + 1,
		        sizeof(*run->refs)) < 0)
			return DRYDOCK_ERROR;
		r = &run->refs[run->nrefs];
		memset(r, 0, sizeof(*r));
		if (fsck_id(&r->id, run, &d->digest) < 0)
			return DRYDOCK_ERROR;
		r->owner = mf->id;
		r->role = (uint8_t)d->role;
		r->flags = d->foreign ? FSCK_REF_FOREIGN : 0;
		r->size = d->size;
		if (d->role == DRYDOCK_REF_CHILD &&
		    (r->platform = platform_string(&d->platform)) == NULL &&
		    (d->platform.os != NULL ||
		        d->platform.architecture != NULL))
			return DRYDOCK_ERROR;
		run->nrefs++;
		mf->nrefs++;
	}
	return 0;
}

/* Findings about a manifest itself: once per digest, every image. */
static int
manifest_finding(struct fsck_run *run, uint32_t id, int fid, const char *detail)
{
	struct fsck_ctx ctx = {NULL, id, FSCK_NONE, NULL, FSCK_IMPACT_ALL,
	    FSCK_NONE, FSCK_ACT_NONE};
	char path[DRYDOCK_DIGEST_STRMAX + 32];

	if (fsck_blob_path(path, sizeof(path), run, id) < 0)
		return DRYDOCK_ERROR;
	ctx.path = path;
	/* a type drydock does not know may serve fine (schema 1 on 2.8) */
	if (fid == FSCK_MANIFEST_UNSUPPORTED)
		ctx.impact = FSCK_IMPACT_NONE;
	if (fid == FSCK_MANIFEST_MISSING)
		run->objs[id].flags |= FSCK_O_MISSING;
	if (detail != NULL)
		return fsck_report(run, fid, &ctx, "%s", detail);
	return fsck_report(run, fid, &ctx, NULL);
}

static int
parse_manifest(struct fsck_run *run, struct fsck_manifest *mf)
{
	struct drydock_manifest *m = NULL;
	char *buf = NULL, msg[DRYDOCK_ERROR_MSGMAX];
	size_t len = 0;
	int r, error = 0;

	r = drydock_store_blob_read(
	    &buf, &len, run->st, &run->ids[mf->id], DRYDOCK_MANIFEST_MAX);
	if (r == DRYDOCK_ENOTFOUND) {
		/* fsck_vanished() decides once the references are known */
		mf->state = FSCK_MF_MISSING;
		run->objs[mf->id].flags |= FSCK_O_VANISHED;
		return 0;
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot read it: %s",
		    drydock_error_message());
		mf->state = FSCK_MF_UNPARSABLE;
		return manifest_finding(
		    run, mf->id, FSCK_MANIFEST_UNPARSABLE, msg);
	}
	r = drydock_manifest_parse(&m, buf, len);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", drydock_error_message());
		mf->state = r == DRYDOCK_EUNSUPPORTED ? FSCK_MF_UNSUPPORTED
		                                      : FSCK_MF_UNPARSABLE;
		error = manifest_finding(run, mf->id,
		    r == DRYDOCK_EUNSUPPORTED ? FSCK_MANIFEST_UNSUPPORTED
		                              : FSCK_MANIFEST_UNPARSABLE,
		    msg);
		goto out;
	}
	mf->is_index = (uint8_t)drydock_manifest_is_index(m);
	error = keep_refs(run, mf, m);
out:
	drydock_manifest_free(m);
	free(buf);
	return error;
}

/* Read and parse manifest id once for the run; its state tells the rest. */
static int
load_manifest(
    struct fsck_run *run, uint32_t id, const struct fsck_manifest **out)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_manifest *mf;
	char b[32];
	int error = 0;

	*out = NULL;
	if (o->flags & FSCK_O_LOADED) {
		if (o->mf != FSCK_NONE)
			*out = &run->mfs[o->mf];
		return 0;
	}
	if (fe_grow((void **)&run->mfs, &run->capmfs, run->nmfs + 1,
	        sizeof(*run->mfs)) < 0)
		return DRYDOCK_ERROR;
	/* loaded only once there is a table entry: *out is never NULL */
	o->flags |= FSCK_O_LOADED | FSCK_O_MANIFEST;
	mf = &run->mfs[run->nmfs];
	memset(mf, 0, sizeof(*mf));
	mf->id = id;
	run->objs[id].mf = (uint32_t)run->nmfs++;
	run->nmanifests++;
	if (o->flags & FSCK_O_UNSAFE) {
		mf->state =
		    FSCK_MF_UNSAFE; /* SYMLINK or SPECIAL_FILE says it */
	} else if (!late_data(run, id)) {
		mf->state = FSCK_MF_MISSING;
		error = manifest_finding(run, id, FSCK_MANIFEST_MISSING, NULL);
	} else if (run->blobs[o->blob].size > DRYDOCK_MANIFEST_MAX) {
		mf->state = FSCK_MF_TOO_LARGE;
		drydock_bytes_format(b, sizeof(b), run->blobs[o->blob].size);
		error = manifest_finding(run, id, FSCK_MANIFEST_TOO_LARGE, b);
	} else {
		error = parse_manifest(run, mf);
	}
	*out = &run->mfs[run->objs[id].mf];
	return error;
}

/* --- references
 * ---------------------------------------------------------------- */

struct check_ctx {
	struct fsck_run *run;
	uint32_t repo;
	uint32_t *work;
	size_t nwork, capwork;
};

static int
push_work(struct check_ctx *c, uint32_t id)
{
	if (c->run->objs[id].stamp == c->repo + 1)
		return 0;
	c->run->objs[id].stamp = c->repo + 1;
	if (fe_grow((void **)&c->work, &c->capwork, c->nwork + 1,
	        sizeof(*c->work)) < 0)
		return DRYDOCK_ERROR;
	c->work[c->nwork++] = id;
	return 0;
}

/*
 * A link that manifest mid needs in this repository is missing.  Kept for
 * fsck_check_structure() to look at again once every reference is known:
 * beside a gc -m, mid's own revision link may be gone by then too.
 */
static int
repo_finding(struct check_ctx *c, int fid, uint32_t id, uint32_t mid,
    const char *path, const char *detail)
{
	struct fsck_run *run = c->run;
	struct fsck_pending *p;

	if (fe_grow((void **)&run->pending, &run->cappending, run->npending + 1,
	        sizeof(*run->pending)) < 0)
		return DRYDOCK_ERROR;
	p = &run->pending[run->npending];
	p->fid = fid;
	p->id = id;
	p->mid = mid;
	p->repo = c->repo;
	if ((p->path = fe_strdup(path)) == NULL ||
	    (p->detail = fe_strdup(detail)) == NULL) {
		free(p->path);
		return DRYDOCK_ERROR;
	}
	run->npending++;
	return 0;
}

static int
blob_missing(struct fsck_run *run, uint32_t id, uint32_t owner)
{
	struct fsck_ctx ctx = {NULL, id, FSCK_NONE, NULL, FSCK_IMPACT_ALL,
	    FSCK_NONE, FSCK_ACT_NONE};
	char path[DRYDOCK_DIGEST_STRMAX + 32], dstr[DRYDOCK_DIGEST_STRMAX];

	if (run->objs[id].flags & (FSCK_O_MISSING | FSCK_O_UNSAFE))
		return 0;
	run->objs[id].flags |= FSCK_O_MISSING;
	if (fsck_blob_path(path, sizeof(path), run, id) < 0)
		return DRYDOCK_ERROR;
	ctx.path = path;
	return fsck_report(run, FSCK_BLOB_MISSING, &ctx, "needed by %s",
	    drydock_digest_format(dstr, &run->ids[owner]));
}

static int
size_check(struct fsck_run *run, uint32_t mid, uint32_t id, int64_t size)
{
	struct fsck_obj *o = &run->objs[id];
	struct fsck_blob *b;
	struct fsck_sizecheck *sc;
	size_t i;

	if (size < 0 || o->blob == FSCK_NONE)
		return 0;
	b = &run->blobs[o->blob];
	if (b->want == UINT64_MAX)
		b->want = (uint64_t)size;
	if (b->size == (uint64_t)size)
		return 0;
	o->flags |= FSCK_O_SIZECHECK;
	for (i = 0; i < run->nsizechecks; i++)
		if (run->sizechecks[i].manifest == mid &&
		    run->sizechecks[i].blob == id)
			return 0;
	if (fe_grow((void **)&run->sizechecks, &run->capsizechecks,
	        run->nsizechecks + 1, sizeof(*run->sizechecks)) < 0)
		return DRYDOCK_ERROR;
	sc = &run->sizechecks[run->nsizechecks++];
	sc->repo = FSCK_NONE;
	sc->manifest = mid;
	sc->blob = id;
	sc->size = size;
	return 0;
}

/* A config, layer or other blob that manifest mid needs in this repo. */
static int
check_blob_ref(struct check_ctx *c, uint32_t mid, const struct fsck_ref *r)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	const struct fsck_link *l = fsck_layer_link(repo, r->id);
	uint32_t data = r->id;
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	int error;

	run->objs[r->id].flags |= FSCK_O_REFERENCED;
	/* an alias link names the sha256 blob holding the data */
	if (run->ids[r->id].alg != DRYDOCK_DIGEST_SHA256 && l != NULL &&
	    l->status == 0 && l->target != FSCK_NONE)
		data = l->target;
	run->objs[data].flags |= FSCK_O_REFERENCED;
	if ((r->flags & FSCK_REF_FOREIGN) &&
	    !(run->objs[data].flags & FSCK_O_DATA)) {
		struct fsck_ctx ctx = {NULL, r->id, FSCK_NONE, NULL,
		    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};

		if (run->objs[r->id].flags & FSCK_O_FOREIGN)
			return 0;
		run->objs[r->id].flags |= FSCK_O_FOREIGN;
		if (fsck_blob_path(path, sizeof(path), run, r->id) < 0)
			return DRYDOCK_ERROR;
		ctx.path = path;
		return fsck_report(
		    run, FSCK_FOREIGN_LAYER_EXTERNAL, &ctx, NULL);
	}
	if (!late_data(run, data))
		return blob_missing(run, data, mid);
	if ((error = size_check(run, mid, data, r->size)) < 0)
		return error;
	if (r->flags & FSCK_REF_FOREIGN)
		return 0; /* the registry does not ask for a link */
	if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
		return 0; /* present, or its own finding says what is wrong */
	if (run->objs[r->id].lstamp == c->repo + 1)
		return 0; /* reported for this repository already */
	if (repo->unread & FSCK_UNREAD_LAYERS)
		return 0; /* its links are unknown: IO_ERROR says why */
	run->objs[r->id].lstamp = c->repo + 1;
	snprintf(path, sizeof(path), "%s/_layers/%s/%s/link", repo->path,
	    drydock_digest_alg_name(run->ids[r->id].alg),
	    drydock_digest_hex(hex, &run->ids[r->id]));
	return repo_finding(c, FSCK_LAYER_LINK_MISSING, r->id, mid, path,
	    "the blob exists, the repository does not link it");
}

static int
check_child(struct check_ctx *c, uint32_t mid, const struct fsck_ref *r)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	const struct fsck_manifest *child;
	const struct fsck_link *l;
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	int error;

	run->objs[r->id].flags |= FSCK_O_REFERENCED | FSCK_O_MANIFEST;
	if ((run->objs[r->id].flags & FSCK_O_DATA) &&
	    (error = size_check(run, mid, r->id, r->size)) < 0)
		return error;
	if (fsck_is_revision(repo, r->id))
		return 0; /* checked as a revision of its own */
	if ((error = load_manifest(run, r->id, &child)) < 0)
		return error;
	if (child->state == FSCK_MF_MISSING || child->state == FSCK_MF_UNSAFE)
		return 0; /* MANIFEST_MISSING or SYMLINK says it */
	if ((error = push_work(c, r->id)) < 0)
		return error;
	l = fsck_revision_link(repo, r->id);
	if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
		return 0; /* a bad revision link: its own finding */
	if (repo->unread & FSCK_UNREAD_REVS)
		return 0; /* its revisions are unknown: IO_ERROR says why */
	snprintf(path, sizeof(path), "%s/_manifests/revisions/%s/%s/link",
	    repo->path, drydock_digest_alg_name(run->ids[r->id].alg),
	    drydock_digest_hex(hex, &run->ids[r->id]));
	snprintf(hex, sizeof(hex), "platform %s",
	    r->platform != NULL ? r->platform : "unknown");
	return repo_finding(c, FSCK_CHILD_NOT_LINKED, r->id, mid, path, hex);
}

static int
check_manifest(struct check_ctx *c, uint32_t mid)
{
	struct fsck_run *run = c->run;
	const struct fsck_manifest *mf;
	uint32_t i, first, n;
	int error;

	if ((error = load_manifest(run, mid, &mf)) < 0)
		return error;
	if (mf->state != FSCK_MF_OK)
		return 0;
	first = mf->first;
	n = mf->nrefs;
	for (i = 0; i < n && error == 0; i++) {
		/* copy: loading a child may move run->refs */
		struct fsck_ref r = run->refs[first + i];

		switch (r.role) {
		case DRYDOCK_REF_SUBJECT:
			if (!fsck_is_revision(&run->repos[c->repo], r.id)) {
				struct fsck_ctx ctx = {NULL, mid, c->repo, NULL,
				    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};
				char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
				char dstr[DRYDOCK_DIGEST_STRMAX];

				snprintf(path, sizeof(path),
				    "%s/_manifests/revisions/%s/%s",
				    run->repos[c->repo].path,
				    drydock_digest_alg_name(run->ids[mid].alg),
				    drydock_digest_hex(hex, &run->ids[mid]));
				ctx.path = path;
				error = fsck_report(run, FSCK_SUBJECT_MISSING,
				    &ctx, "subject %s",
				    drydock_digest_format(
				        dstr, &run->ids[r.id]));
			}
			break;
		case DRYDOCK_REF_CHILD:
			error = check_child(c, mid, &r);
			break;
		default:
			error = check_blob_ref(c, mid, &r);
		}
	}
	return error;
}

/*
 * The registry writes a tag's history entry before its current/link, so a
 * push in progress shows a tag without current/link for a moment.  Before
 * calling it broken, read current/link again: when it is there now, the
 * tag is checked as any other.  Returns 1 when the tag was found.
 */
#define RECHECK_YOUNG_S 60 /* a tag this young may be mid-push */
#define RECHECK_BUDGET_NS 3000000000LL /* waiting for them, in all */

static int64_t recheck_waited_ns;

static int
recheck_current(struct fsck_run *run, uint32_t ri, size_t ti)
{
	struct fsck_repo *repo = &run->repos[ri];
	struct fsck_tag *t = &repo->tags[ti];
	struct drydock_digest d;
	struct timespec ts = {0, 50000000};
	char path[4200];
	int64_t mtime = 0;
	size_t n;

	n = (size_t)snprintf(
	    path, sizeof(path), "%s/_manifests/tags/%s", repo->path, t->name);
	if (n >= sizeof(path) - 16)
		return 0;
	/* a young tag: give the push in progress a moment to write it */
	if (drydock_store_stat(run->st, -1, path, NULL, &mtime, NULL) < 0)
		mtime = 0;
	snprintf(path + n, sizeof(path) - n, "/current/link");
	while (drydock_link_read(&d, run->st, -1, path) < 0) {
		drydock_error_clear();
		if (mtime / 1000000000 < run->now - RECHECK_YOUNG_S ||
		    recheck_waited_ns >= RECHECK_BUDGET_NS)
			return 0;
		nanosleep(&ts, NULL);
		recheck_waited_ns += ts.tv_nsec;
	}
	if (fsck_id(&t->target, run, &d) < 0)
		return DRYDOCK_ERROR;
	t->status = 0;
	sort_repo = repo;
	qsort(repo->tag_order, repo->ntags, sizeof(uint32_t), tag_target_cmp);
	sort_repo = NULL;
	return 1;
}

static int
check_tags(struct check_ctx *c)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	char path[4200], dstr[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error = 0;

	for (i = 0; i < repo->ntags && error == 0; i++) {
		const struct fsck_tag *t = &repo->tags[i];
		struct fsck_ctx ctx = {path, FSCK_NONE, c->repo, t->name,
		    FSCK_IMPACT_TAG, FSCK_NONE, FSCK_ACT_NONE};
		const struct fsck_link *l;

		snprintf(path, sizeof(path), "%s/_manifests/tags/%s/current",
		    repo->path, t->name);
		if (t->status == DRYDOCK_ENOTFOUND &&
		    (error = recheck_current(run, c->repo, i)) < 0)
			break;
		error = 0;
		if (t->status == DRYDOCK_ENOTFOUND) {
			error =
			    fsck_report(run, FSCK_TAG_NO_CURRENT, &ctx, NULL);
			continue;
		}
		if (t->status != 0)
			continue; /* a link or symlink finding says it */
		run->objs[t->target].flags |= FSCK_O_MANIFEST;
		l = fsck_revision_link(repo, t->target);
		if (l != NULL && l->status == 0)
			continue;
		if (l != NULL && l->status != DRYDOCK_ENOTFOUND)
			continue; /* a bad revision link: its own finding */
		if (repo->unread & FSCK_UNREAD_REVS)
			continue; /* its revisions are unknown */
		ctx.digest = t->target;
		strncat(path, "/link", sizeof(path) - strlen(path) - 1);
		error = fsck_report(run, FSCK_TAG_REVISION_MISSING, &ctx, "%s",
		    drydock_digest_format(dstr, &run->ids[t->target]));
	}
	for (i = 0; i < repo->nhist && error == 0; i++) {
		const struct fsck_hist *h = &repo->hist[i];
		struct fsck_ctx ctx = {h->path, h->l.id, c->repo,
		    repo->tags[h->tag].name, FSCK_IMPACT_NONE, FSCK_NONE,
		    FSCK_ACT_NONE};

		if (h->l.status != 0 || fsck_is_revision(repo, h->l.id))
			continue;
		error = fsck_report(run, FSCK_TAG_HISTORY_DANGLING, &ctx, NULL);
	}
	return error;
}

static int
check_layers(struct check_ctx *c)
{
	struct fsck_run *run = c->run;
	const struct fsck_repo *repo = &run->repos[c->repo];
	char path[4200], hex[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error = 0;

	for (i = 0; i < repo->nlayers && error == 0; i++) {
		const struct fsck_link *l = &repo->layers[i];
		struct fsck_ctx ctx = {path, l->id, c->repo, NULL,
		    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};
		uint32_t f;

		if (l->status != 0)
			continue;
		f = run->objs[l->target].flags;
		run->objs[l->target].flags |= FSCK_O_REFERENCED;
		run->objs[l->id].flags |= FSCK_O_REFERENCED;
		if ((f & (FSCK_O_DATA | FSCK_O_UNSAFE)) ||
		    late_data(run, l->target))
			continue;
		snprintf(path, sizeof(path), "%s/_layers/%s/%s/link",
		    repo->path, drydock_digest_alg_name(run->ids[l->id].alg),
		    drydock_digest_hex(hex, &run->ids[l->id]));
		error = fsck_report(run, FSCK_LAYER_LINK_DANGLING, &ctx, NULL);
	}
	return error;
}

static int
check_repo(struct fsck_run *run, uint32_t ri)
{
	struct check_ctx c;
	const struct fsck_repo *repo = &run->repos[ri];
	struct fsck_ctx ctx = {repo->path, FSCK_NONE, ri, NULL,
	    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};
	size_t i, nvalid = 0;
	int error = 0;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.repo = ri;
	for (i = 0; i < repo->nrevs && error == 0; i++)
		if (repo->revs[i].status == 0) {
			nvalid++;
			run->objs[repo->revs[i].id].flags |=
			    FSCK_O_MANIFEST | FSCK_O_REFERENCED;
			error = push_work(&c, repo->revs[i].id);
		}
	/* revisions unknown: check at least what the tags name */
	if (repo->unread & FSCK_UNREAD_REVS)
		for (i = 0; i < repo->ntags && error == 0; i++)
			if (repo->tags[i].status == 0)
				error = push_work(&c, repo->tags[i].target);
	/* the work list grows with unlinked children as they are found */
	for (i = 0; i < c.nwork && error == 0; i++)
		error = check_manifest(&c, c.work[i]);
	if (error == 0)
		error = check_tags(&c);
	if (error == 0)
		error = check_layers(&c);
	if (error == 0 && repo->ntags == 0 && nvalid == 0 &&
	    repo->nuploads == 0 && repo->unread == 0)
		error = fsck_report(run, FSCK_REPO_EMPTY, &ctx, NULL);
	if (error == 0 && nvalid > 0 && !(repo->has & DRYDOCK_REPO_LAYERS))
		error = fsck_report(run, FSCK_REPO_NO_LAYERS, &ctx, NULL);
	free(c.work);
	return error;
}

/* Parents: for each digest, the references naming it (not subjects). */
static int
build_parents(struct fsck_run *run)
{
	size_t i;
	uint32_t *fill = NULL;

	if ((run->pstart = calloc(run->nids + 1, sizeof(uint32_t))) == NULL ||
	    (run->plist = calloc(run->nrefs + 1, sizeof(uint32_t))) == NULL ||
	    (fill = calloc(run->nids + 1, sizeof(uint32_t))) == NULL) {
		free(fill);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nrefs; i++)
		if (run->refs[i].role != DRYDOCK_REF_SUBJECT)
			run->pstart[run->refs[i].id + 1]++;
	for (i = 0; i < run->nids; i++)
		run->pstart[i + 1] += run->pstart[i];
	memcpy(fill, run->pstart, (run->nids + 1) * sizeof(uint32_t));
	for (i = 0; i < run->nrefs; i++)
		if (run->refs[i].role != DRYDOCK_REF_SUBJECT)
			run->plist[fill[run->refs[i].id]++] = (uint32_t)i;
	free(fill);
	return 0;
}

int
fsck_check_structure(struct fsck_run *run)
{
	size_t i;
	int error;

	for (i = 0; i < run->nrepos; i++) {
		if (fsck_stop)
			return DRYDOCK_EINTR;
		fsck_progress(
		    run, "checking repositories", i + 1, run->nrepos, 0, 0);
		if ((error = check_repo(run, (uint32_t)i)) < 0)
			return error;
	}
	fsck_progress_end(run);
	if ((error = build_parents(run)) < 0)
		return error;
	/* manifests that went away while they were read */
	for (i = 0; i < run->nids; i++)
		if ((run->objs[i].flags & FSCK_O_VANISHED) &&
		    (error = fsck_vanished(run, (uint32_t)i)) < 0)
			return error;
	return fsck_pending_findings(run);
}

/*
 * Blob directories nobody needs, and blobs nobody names; after hashing,
 * which sees what went away during the run.  A directory without data is
 * looked at again: a gc removes the data, then the directory, and the
 * registry makes the directory, then moves the data in.  One that is gone,
 * has its data now, or changed since the run began is in the middle of
 * that, not debris.
 */
int
fsck_check_blobs(struct fsck_run *run)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	int64_t mtime = 0;
	size_t i;
	int error = 0, r;

	for (i = 0; i < run->nblobs && error == 0; i++) {
		const struct fsck_blob *b = &run->blobs[i];
		uint32_t f = run->objs[b->id].flags;
		struct fsck_ctx ctx = {path, b->id, FSCK_NONE, NULL,
		    FSCK_IMPACT_NONE, FSCK_NONE, FSCK_ACT_NONE};

		if (f &
		    (FSCK_O_REFERENCED | FSCK_O_MANIFEST | FSCK_O_UNSAFE |
		        FSCK_O_VANISHED))
			continue;
		if (fsck_blob_path(path, sizeof(path), run, b->id) < 0)
			return DRYDOCK_ERROR;
		if (!b->has_data) {
			if (drydock_store_blob_stat(
			        run->st, &run->ids[b->id], NULL, NULL) == 0)
				continue; /* its data came: a push */
			path[strlen(path) - 5] = '\0'; /* the directory */
			r = drydock_store_stat(
			    run->st, -1, path, NULL, &mtime, NULL);
			drydock_error_clear();
			if (r == DRYDOCK_ENOTFOUND ||
			    (r == 0 && mtime >= run->start_real_ns))
				continue;
			error = fsck_report(run, FSCK_BLOB_NO_DATA, &ctx, NULL);
		} else {
			error = fsck_report(
			    run, FSCK_BLOB_UNREFERENCED, &ctx, NULL);
		}
	}
	return error;
}
