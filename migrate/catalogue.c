/* SPDX-License-Identifier: MIT */
/*
 * catalogue.c --- a source's catalogue of names (struct mig_source): add,
 * sort, find and look up entries, and the reference grammar around them.
 * source.c fills it from a registry root or an OCI layout, remote.c from a
 * registry's API; neither calls the other for it.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

int
mig_source_add(struct mig_source *src, const char *repo, const char *tag,
    const struct drydock_digest *d, int64_t size)
{
	struct mig_entry *e;

	if (fe_grow((void **)&src->entries, &src->cap, src->n + 1,
	        sizeof(*src->entries)) < 0)
		return mig_oom();
	e = &src->entries[src->n];
	memset(e, 0, sizeof(*e));
	e->repo = mig_strdup(repo);
	e->tag = tag != NULL ? mig_strdup(tag) : NULL;
	if (e->repo == NULL || (tag != NULL && e->tag == NULL)) {
		free(e->repo);
		free(e->tag);
		return mig_oom();
	}
	e->digest = *d;
	e->size = size;
	src->n++;
	return 0;
}

static int
cmp_key(const char *repo, const char *tag, const struct drydock_digest *d,
    const struct mig_entry *e)
{
	int c = strcmp(repo, e->repo);

	if (c != 0)
		return c;
	if (tag != NULL && e->tag != NULL)
		return strcmp(tag, e->tag);
	if (tag != NULL || e->tag != NULL)
		return tag != NULL ? -1 : 1; /* tags first */
	return memcmp(d, &e->digest, sizeof(*d));
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct mig_entry *x = a, *y = b;

	return cmp_key(x->repo, x->tag, &x->digest, y);
}

/* Sort, and drop untagged duplicates (a registry revision is one name). */
void
mig_source_sort(struct mig_source *src)
{
	size_t i, j = 0;

	if (src->n == 0)
		return;
	qsort(src->entries, src->n, sizeof(*src->entries), cmp_entry);
	for (i = 1; i < src->n; i++) {
		if (cmp_entry(&src->entries[j], &src->entries[i]) == 0) {
			free(src->entries[i].repo);
			free(src->entries[i].tag);
			continue;
		}
		src->entries[++j] = src->entries[i];
	}
	src->n = j + 1;
}

struct mig_entry *
mig_source_find(
    struct mig_source *src, const char *repo, const struct drydock_digest *d)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (src->entries[i].tag == NULL &&
		    drydock_digest_equal(&src->entries[i].digest, d) &&
		    strcmp(src->entries[i].repo, repo) == 0)
			return &src->entries[i];
	return NULL;
}

struct mig_entry *
mig_source_lookup(struct mig_source *src, const char *repo, const char *tag,
    const struct drydock_digest *d)
{
	struct drydock_digest zero;
	size_t lo = 0, hi = src->n, mid;
	int c;

	if (d == NULL) {
		memset(&zero, 0, sizeof(zero));
		d = &zero;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmp_key(repo, tag, d, &src->entries[mid]);
		if (c == 0)
			return &src->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* --- names --------------------------------------------------------------- */

int
mig_split_ref(char **repo_out, char **tag_out, const char *ref, int drop_host)
{
	const char *colon = strrchr(ref, ':'), *slash = strrchr(ref, '/');
	const char *name = ref;

	*repo_out = *tag_out = NULL;
	if (colon == NULL || (slash != NULL && slash > colon))
		return 1;
	if (drop_host && mig_ref_has_host(ref, (size_t)(colon - ref)))
		name = strchr(ref, '/') + 1;
	*repo_out = strndup(name, (size_t)(colon - name));
	*tag_out = mig_strdup(colon + 1);
	if (*repo_out == NULL || *tag_out == NULL) {
		free(*repo_out);
		free(*tag_out);
		*repo_out = *tag_out = NULL;
		return mig_oom();
	}
	return 0;
}
