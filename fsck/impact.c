/* SPDX-License-Identifier: MIT */
/*
 * impact.c --- which images a finding breaks.  From the faulty digest, go
 * up the reference graph inside each repository: to the manifests that
 * name it as config or layer, from a child to the indexes listing it (with
 * the child's platform), up to the tags naming a manifest; a revision no
 * tag and no index reaches is an untagged image, named by digest.  A
 * finding that breaks an image is a problem, whatever its default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsck.h"

#define CLIMB_DEPTH_MAX 16

struct impact {
	struct fsck_run *run;
	uint32_t *rstart; /* repositories having id as a revision: */
	uint32_t *rlist; /* rlist[rstart[id] .. rstart[id + 1]] */
	uint32_t *seen; /* per id: stamp of the closure walk */
	uint32_t *rseen; /* per repository: stamp */
	uint32_t *queue;
	uint32_t stamp;
	struct fsck_finding *f;
	uint32_t repo;
	size_t capimages;
	int error;
};

static int
build_rev_index(struct impact *im)
{
	struct fsck_run *run = im->run;
	uint32_t *fill;
	size_t i, j, total = 0;

	im->rstart = calloc(run->nids + 1, sizeof(uint32_t));
	fill = calloc(run->nids + 1, sizeof(uint32_t));
	for (i = 0; i < run->nrepos; i++)
		total += run->repos[i].nrevs;
	im->rlist = calloc(total + 1, sizeof(uint32_t));
	im->seen = calloc(run->nids + 1, sizeof(uint32_t));
	im->rseen = calloc(run->nrepos + 1, sizeof(uint32_t));
	im->queue = calloc(run->nids + 1, sizeof(uint32_t));
	if (im->rstart == NULL || fill == NULL || im->rlist == NULL ||
	    im->seen == NULL || im->rseen == NULL || im->queue == NULL) {
		free(fill);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nrepos; i++)
		for (j = 0; j < run->repos[i].nrevs; j++)
			if (run->repos[i].revs[j].status == 0)
				im->rstart[run->repos[i].revs[j].id + 1]++;
	for (i = 0; i < run->nids; i++)
		im->rstart[i + 1] += im->rstart[i];
	memcpy(fill, im->rstart, (run->nids + 1) * sizeof(uint32_t));
	for (i = 0; i < run->nrepos; i++)
		for (j = 0; j < run->repos[i].nrevs; j++)
			if (run->repos[i].revs[j].status == 0)
				im->rlist[fill[run->repos[i].revs[j].id]++] =
				    (uint32_t)i;
	free(fill);
	return 0;
}

static void
release(struct impact *im)
{
	free(im->rstart);
	free(im->rlist);
	free(im->seen);
	free(im->rseen);
	free(im->queue);
}

static int
add_image(
    struct impact *im, const char *tag, uint32_t digest, const char *platform)
{
	struct fsck_run *run = im->run;
	const struct fsck_repo *repo = &run->repos[im->repo];
	struct fsck_finding *f = im->f;
	struct fsck_image *img;
	char buf[1024], dstr[DRYDOCK_DIGEST_STRMAX];
	int n;

	if (tag != NULL)
		n = snprintf(buf, sizeof(buf), "%s:%s", repo->name, tag);
	else
		n = snprintf(buf, sizeof(buf), "%s@%s", repo->name,
		    drydock_digest_format(dstr, &run->ids[digest]));
	if (platform != NULL && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, " [%s]", platform);
	if (fe_grow((void **)&f->images, &im->capimages, f->nimages + 1,
	        sizeof(*f->images)) < 0)
		return DRYDOCK_ERROR;
	img = &f->images[f->nimages];
	memset(img, 0, sizeof(*img));
	img->repo = im->repo;
	img->digest = digest;
	if ((img->ref = fe_strdup(buf)) == NULL ||
	    (tag != NULL && (img->tag = fe_strdup(tag)) == NULL) ||
	    (platform != NULL &&
	        (img->platform = fe_strdup(platform)) == NULL)) {
		free(img->ref);
		free(img->tag);
		return DRYDOCK_ERROR;
	}
	f->nimages++;
	return 0;
}

/* Tags of the current repository naming x: [lo, hi) in tag_order. */
static void
tags_naming(
    const struct fsck_repo *repo, uint32_t x, size_t *lo_out, size_t *hi_out)
{
	size_t lo = 0, hi = repo->ntags, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (repo->tags[repo->tag_order[mid]].target < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	*lo_out = lo;
	while (lo < repo->ntags && repo->tags[repo->tag_order[lo]].target == x)
		lo++;
	*hi_out = lo;
}

static char *
join_platform(const char *outer, const char *inner)
{
	char buf[512];

	if (inner == NULL)
		return outer != NULL ? fe_strdup(outer) : NULL;
	if (outer == NULL)
		return fe_strdup(inner);
	snprintf(buf, sizeof(buf), "%s > %s", outer, inner);
	return fe_strdup(buf);
}

/* The images of the current repository that manifest x is part of. */
static int
climb(struct impact *im, uint32_t x, const char *platform, int depth)
{
	struct fsck_run *run = im->run;
	const struct fsck_repo *repo = &run->repos[im->repo];
	size_t lo, hi, k;
	int found = 0, error;

	if (depth > CLIMB_DEPTH_MAX)
		return 0;
	tags_naming(repo, x, &lo, &hi);
	for (k = lo; k < hi; k++) {
		if ((error = add_image(im, repo->tags[repo->tag_order[k]].name,
		         x, platform)) < 0)
			return error;
		found = 1;
	}
	for (k = run->pstart[x]; k < run->pstart[x + 1]; k++) {
		const struct fsck_ref *r = &run->refs[run->plist[k]];
		char *pl;

		if (r->role != DRYDOCK_REF_CHILD ||
		    !fsck_is_revision(repo, r->owner))
			continue;
		found = 1;
		if (r->platform == NULL && platform == NULL)
			pl = NULL;
		else if ((pl = join_platform(r->platform, platform)) == NULL)
			return DRYDOCK_ERROR;
		error = climb(im, r->owner, pl, depth + 1);
		free(pl);
		if (error < 0)
			return error;
	}
	if (!found && fsck_is_revision(repo, x))
		return add_image(im, NULL, x, platform);
	return 0;
}

/* Images of the current repository needing digest d. */
static int
seeds(struct impact *im, uint32_t d)
{
	struct fsck_run *run = im->run;
	uint32_t k;
	int error;

	if ((error = climb(im, d, NULL, 0)) < 0)
		return error;
	for (k = run->pstart[d]; k < run->pstart[d + 1]; k++) {
		const struct fsck_ref *r = &run->refs[run->plist[k]];

		if (r->role == DRYDOCK_REF_CHILD)
			continue; /* climb() went there with the platform */
		if ((error = climb(im, r->owner, NULL, 0)) < 0)
			return error;
	}
	return 0;
}

/* Every repository where a manifest needing d (transitively) is a revision. */
static int
impact_all(struct impact *im, uint32_t d)
{
	struct fsck_run *run = im->run;
	size_t head = 0, tail = 0;
	uint32_t k, r;
	int error;

	im->stamp++;
	im->queue[tail++] = d;
	im->seen[d] = im->stamp;
	while (head < tail) {
		uint32_t x = im->queue[head++];

		for (k = im->rstart[x]; k < im->rstart[x + 1]; k++) {
			r = im->rlist[k];
			if (im->rseen[r] == im->stamp)
				continue;
			im->rseen[r] = im->stamp;
			im->repo = r;
			if ((error = seeds(im, d)) < 0)
				return error;
		}
		for (k = run->pstart[x]; k < run->pstart[x + 1]; k++) {
			uint32_t owner = run->refs[run->plist[k]].owner;

			if (im->seen[owner] == im->stamp)
				continue;
			im->seen[owner] = im->stamp;
			im->queue[tail++] = owner;
		}
	}
	/* a tag may name d where no revision does */
	for (r = 0; r < run->nrepos; r++) {
		size_t lo, hi;

		if (im->rseen[r] == im->stamp)
			continue;
		tags_naming(&run->repos[r], d, &lo, &hi);
		if (lo == hi)
			continue;
		im->repo = r;
		if ((error = climb(im, d, NULL, 0)) < 0)
			return error;
	}
	return 0;
}

static int
image_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fsck_image *)a)->ref,
	    ((const struct fsck_image *)b)->ref);
}

static void
sort_unique(struct fsck_finding *f)
{
	size_t i, n = 0;

	if (f->nimages < 2)
		return;
	qsort(f->images, f->nimages, sizeof(*f->images), image_cmp);
	for (i = 0; i < f->nimages; i++) {
		if (n > 0 &&
		    strcmp(f->images[n - 1].ref, f->images[i].ref) == 0) {
			free(f->images[i].ref);
			free(f->images[i].tag);
			free(f->images[i].platform);
			continue;
		}
		f->images[n++] = f->images[i];
	}
	f->nimages = n;
}

static int
one(struct impact *im, struct fsck_finding *f)
{
	struct fsck_run *run = im->run;
	uint32_t d = f->impact_id != FSCK_NONE ? f->impact_id : f->digest;
	size_t lo, hi;
	int error = 0;

	im->f = f;
	im->capimages = 0;
	switch (f->impact) {
	case FSCK_IMPACT_ALL:
		if (d != FSCK_NONE)
			error = impact_all(im, d);
		break;
	case FSCK_IMPACT_REPO:
		if (d == FSCK_NONE || f->repo == FSCK_NONE)
			break;
		im->repo = f->repo;
		error = seeds(im, d);
		break;
	case FSCK_IMPACT_REPO_ALL:
		if (f->repo == FSCK_NONE)
			break;
		im->repo = f->repo;
		for (lo = 0; lo < run->repos[f->repo].ntags && error == 0; lo++)
			error = add_image(im, run->repos[f->repo].tags[lo].name,
			    run->repos[f->repo].tags[lo].target, NULL);
		break;
	case FSCK_IMPACT_TAG:
		if (f->repo == FSCK_NONE || f->tag == NULL)
			break;
		im->repo = f->repo;
		/* the tag's target, when current/link could be read */
		d = FSCK_NONE;
		for (lo = 0; lo < run->repos[f->repo].ntags; lo++)
			if (strcmp(run->repos[f->repo].tags[lo].name, f->tag) ==
			    0)
				d = run->repos[f->repo].tags[lo].target;
		hi = 0;
		error = add_image(im, f->tag, d, NULL);
		(void)hi;
		break;
	default:
		break;
	}
	if (error < 0)
		return error;
	sort_unique(f);
	return 0;
}

int
fsck_impact(struct fsck_run *run)
{
	struct impact im;
	size_t i;
	int error;

	memset(&im, 0, sizeof(im));
	im.run = run;
	if ((error = build_rev_index(&im)) < 0)
		goto out;
	for (i = 0; i < run->nfindings; i++) {
		struct fsck_finding *f = &run->findings[i];

		if ((error = one(&im, f)) < 0)
			goto out;
		if (f->nimages > 0 && f->severity < FSCK_SEV_PROBLEM)
			f->severity = FSCK_SEV_PROBLEM;
	}
out:
	release(&im);
	return error;
}
