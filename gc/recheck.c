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

static int
mark_new(struct recheck_ctx *c, const struct drydock_digest *d)
{
	uint32_t id;
	int error;

	if ((error = gc_id(&id, c->run, d)) < 0)
		return error;
	/* force a fresh walk from this root in this repository */
	if (!(c->run->flags[id] & GC_NEWMARK))
		c->run->kept_in[id] = 0;
	return gc_mark_from(c->run, c->repo, c->fd, id);
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

static int
recheck_repo(struct gc_run *run, uint32_t i)
{
	struct drydock_repo_info ri;
	struct recheck_ctx c = {run, i, -1, 0};
	char *path = NULL;
	int64_t mt = 0;
	int error;

	error = drydock_repo_open(&ri, &path, run->st, run->repos[i].name);
	if (error == DRYDOCK_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	c.fd = ri.fd;
	if ((error = drydock_tag_foreach(
	         run->st, &ri, DRYDOCK_WALK_STAT, tag_cb, &c)) < 0)
		goto out;
	drydock_store_stat(
	    run->st, ri.fd, "_manifests/revisions/sha256", NULL, &mt, NULL);
	if (mt != run->repos[i].revs_mtime_ns &&
	    (error = drydock_revision_foreach(
	         run->st, &ri, DRYDOCK_WALK_STAT, revision_cb, &c)) < 0)
		goto out;
	mt = 0;
	drydock_store_stat(run->st, ri.fd, "_layers/sha256", NULL, &mt, NULL);
	if (mt != run->repos[i].layers_mtime_ns &&
	    (error = drydock_layer_foreach(run->st, &ri,
	         DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT, layer_cb, &c)) < 0)
		goto out;
out:
	if (ri.fd >= 0)
		close(ri.fd);
	free(path);
	return error;
}

int
gc_tag_unchanged(struct gc_run *run, const struct gc_item *it)
{
	const struct gc_tagdec *d = &run->tagdecs[it->id2];
	struct recheck_ctx c = {run, it->repo, -1, 0};
	struct drydock_repo_info ri;
	struct drydock_digest cur;
	char rel[GC_PATH_MAX + 16], *path = NULL;
	int64_t mt = 0;
	uint32_t id;
	int r;

	snprintf(rel, sizeof(rel), "%s/current/link", it->path);
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
	close(ri.fd);
	free(path);
	return r < 0 ? r : 0;
}

/* Old links naming a blob that goes: rewritten in place since the walk? */
static int
recheck_links(struct gc_run *run)
{
	char hex[DRYDOCK_DIGEST_STRMAX], rel[1024];
	size_t i;

	for (i = 0; i < run->nlinks; i++) {
		const struct gc_link *l = &run->links[i];
		struct drydock_digest d;
		int64_t mt = 0;

		if (l->kind != GC_LINK_LAYER || l->status != 0 ||
		    !(run->flags[l->target] & GC_SWEEP))
			continue;
		d = gc_digest(run, l->id);
		snprintf(rel, sizeof(rel), "repositories/%s/_layers/%s/%s/link",
		    run->repos[l->repo].name, drydock_digest_alg_name(d.alg),
		    drydock_digest_hex(hex, &d));
		if (drydock_store_stat(run->st, -1, rel, NULL, &mt, NULL) ==
		        0 &&
		    gc_is_racing(run, mt))
			run->flags[l->target] |= GC_YOUNG | GC_NEWMARK;
	}
	return 0;
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
	uint8_t *busy;
	size_t i;
	int error = 0;

	run->rechecking = 1;
	for (i = 0; i < run->nrepos; i++) {
		if (gc_stop)
			return DRYDOCK_EINTR;
		if ((error = recheck_repo(run, (uint32_t)i)) < 0)
			return error;
	}
	if ((error = recheck_links(run)) < 0)
		return error;
	for (i = 0; i < run->nitems; i++) {
		struct gc_item *it = &run->items[i];

		if (!it->cancelled &&
		    (gc_item_needed(run, it) ||
		        (it->kind == GC_KIND_TAG &&
		            (error = gc_tag_unchanged(run, it)) <= 0))) {
			if (error < 0)
				return error;
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
		    busy[it->repo]) {
			it->cancelled = 1;
			run->cancelled++;
		}
	}
	free(busy);
	return 0;
}
