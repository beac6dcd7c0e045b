/* SPDX-License-Identifier: MIT */
/*
 * untag.c --- remove a tag so that a run killed at any point leaves it
 * whole or gone from the registry's tags/list, never listed without a
 * current/link (a "ghost": listed, 404 on GET).
 *
 * The registry's own tag delete (and drydock-gc before) unlinked
 * current/link, then removed the directories: killed in between, the tag
 * stayed listed and could not be pulled, and every later run kept it as a
 * bad tag.  Here the tag's directory is first renamed into
 * _manifests/.drydock-gc-tags/ of its repository (GC_TAG_ASIDE), which the
 * registry never reads; it is looked at there once more (a push may have
 * written to it just before), then removed, history first.  Whatever a
 * killed run left aside, the next run removes (mark.c), or moves into its
 * quarantine journaled under the tag's own path, so that --restore puts it
 * back as the tag it was.
 */
#include <string.h>

#include "gc.h"

int
gc_tag_path_swap(char *buf, size_t bufsz, const char *path, int to_aside)
{
	static const char tags[] = "/_manifests/tags/",
	                  aside[] = "/_manifests/" GC_TAG_ASIDE "/";
	const char *from = to_aside ? tags : aside,
	           *to = to_aside ? aside : tags;
	const char *base = strrchr(path, '/');
	size_t nfrom = strlen(from), head;
	int n;

	if (base == NULL || base[1] == '\0')
		return -1;
	head = (size_t)(base + 1 - path);
	if (head < nfrom || strncmp(path + head - nfrom, from, nfrom) != 0)
		return -1;
	n = snprintf(
	    buf, bufsz, "%.*s%s%s", (int)(head - nfrom), path, to, base + 1);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

/* The directory a path set aside is in, and its last component. */
static const char *
split(char *dir, size_t dirsz, const char *aside)
{
	const char *name = strrchr(aside, '/') + 1;

	snprintf(dir, dirsz, "%.*s", (int)(name - 1 - aside), aside);
	return name;
}

/* rmdir the aside directory: it stays while anything is in it. */
static void
tidy(struct drydock_store *st, const char *dir)
{
	(void)drydock_store_rmdir(st, dir);
	drydock_error_clear();
}

void
gc_untag_tidy(struct gc_run *run, uint32_t repo)
{
	char dir[GC_PATH_MAX];

	snprintf(dir, sizeof(dir), "repositories/%s/_manifests/%s",
	    run->repos[repo].name, GC_TAG_ASIDE);
	tidy(run->st, dir);
}

void
gc_aside_close(struct gc_run *run, struct gc_aside *a)
{
	if (a->repo != UINT32_MAX)
		gc_untag_tidy(run, a->repo);
	a->repo = UINT32_MAX;
}

/*
 * The sweep removes one repository's tags after another: when it moves
 * on, the aside directory it left behind goes if empty.
 */
static void
aside_enter(struct gc_run *run, struct gc_aside *a, uint32_t repo)
{
	if (a->repo == repo)
		return;
	gc_aside_close(run, a);
	a->repo = repo;
}

/*
 * The tag aside at path goes: whole into quarantine, or removed with its
 * history first, so that a history too deep to remove leaves current/link
 * there and the tag can go back whole.
 */
static int
drop(struct gc_run *run, const char *path, int qfd, const char *qname,
    int *moved)
{
	char rel[GC_PATH_MAX + 16];
	int r;

	if (qfd >= 0) {
		r = drydock_store_move_out(run->st, path, qfd, qname);
		*moved = r == 0;
	} else {
		snprintf(rel, sizeof(rel), "%s/index", path);
		r = drydock_store_remove_tree(run->st, rel);
		if (r == 0 || r == DRYDOCK_ENOTFOUND)
			r = drydock_store_remove_tree(run->st, path);
	}
	if (r == DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return 0;
	}
	return r;
}

/*
 * Put the tag set aside back at tagpath.  A tag made anew there meanwhile
 * (a push) stays, and what was aside goes.
 */
static int
put_back(struct gc_run *run, const char *tagpath, const char *aside)
{
	int r = drydock_store_rename(run->st, aside, tagpath);

	if (r == DRYDOCK_EEXISTS) {
		drydock_error_clear();
		r = drydock_store_remove_tree(run->st, aside);
	}
	return r;
}

int
gc_untag(struct gc_run *run, struct gc_aside *a, struct gc_item *it, int qfd,
    const char *qname, int *moved)
{
	char aside[GC_PATH_MAX], rel[GC_PATH_MAX + 16];
	struct drydock_error saved;
	int error, r;

	*moved = 0;
	if (gc_item_is_leftover(it))
		return drop(run, it->path, qfd, qname, moved);
	gc_test_pause("tag");
	if (gc_tag_unchanged(run, it, it->path) != 1)
		return GC_UNTAG_STAYS;
	if (gc_tag_path_swap(aside, sizeof(aside), it->path, 1) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a tag's directory", it->path);
		return DRYDOCK_ERROR;
	}
	aside_enter(run, a, it->repo);
	error = drydock_store_rename(run->st, it->path, aside);
	if (error == DRYDOCK_ENOTFOUND) {
		drydock_error_clear(); /* deleted meanwhile */
		return 0;
	}
	if (error < 0)
		return error; /* still whole in tags/ */
	gc_test_pause("aside");
	if ((r = gc_tag_unchanged(run, it, aside)) != 1) {
		/* a push wrote to it just before the rename: it stays */
		if ((error = put_back(run, it->path, aside)) < 0)
			return error;
		return r < 0 ? r : GC_UNTAG_STAYS;
	}
	if ((error = drop(run, aside, qfd, qname, moved)) < 0) {
		/* back, if it can still be served; else the next run ends it */
		snprintf(rel, sizeof(rel), "%s/current/link", aside);
		saved = *drydock_error_last();
		if (drydock_store_stat(run->st, -1, rel, NULL, NULL, NULL) == 0)
			(void)put_back(run, it->path, aside);
		drydock_error_restore(&saved);
	}
	return error;
}

int
gc_untag_put_back(struct drydock_store *st, const char *tagpath)
{
	char aside[GC_PATH_MAX], dir[GC_PATH_MAX];
	int r;

	if (gc_tag_path_swap(aside, sizeof(aside), tagpath, 1) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a tag's directory", tagpath);
		return DRYDOCK_ENOTFOUND;
	}
	split(dir, sizeof(dir), aside);
	if ((r = drydock_store_rename(st, aside, tagpath)) == 0)
		tidy(st, dir);
	return r;
}
