/* SPDX-License-Identifier: MIT */
/*
 * test_walk.c --- the walkers on a realistic tree (nested repositories,
 * tags with history, debris, uploads, blobs without data) and on hostile
 * ones (symlinks everywhere, names that are not digests), both with openat2
 * and with the O_NOFOLLOW fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/store.h>
#include <drydock/walk.h>

#include "../../lib/store_int.h"
#include "fixtures.h"

#define UUID1 "0f5a1b52-3b8e-4d51-9a43-6c1e2d3f4a01"
#define UUID2 "1f5a1b52-3b8e-4d51-9a43-6c1e2d3f4a02"
#define UUID3 "2f5a1b52-3b8e-4d51-9a43-6c1e2d3f4a03"
#define UUID4 "3f5a1b52-3b8e-4d51-9a43-6c1e2d3f4a04"
#define UUID5 "4f5a1b52-3b8e-4d51-9a43-6c1e2d3f4a05"
/* 2025-01-02T03:04:05Z */
#define T20250102 1735787045

#define ITEM 768
#define SEEN_MAX 64

/* snprintf that fails the test instead of truncating */
static void setf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
setf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

/* --- what a walk saw, as strings compared sorted ------------------------- */

struct seen {
	int n;
	char item[SEEN_MAX][ITEM];
};

static void seen_add(struct seen *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seen_add(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	assert_true(s->n < SEEN_MAX);
	va_start(ap, fmt);
	vsnprintf(s->item[s->n++], ITEM, fmt, ap);
	va_end(ap);
}

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The walk saw exactly want[0..n) in some order; resets s. */
static void
assert_seen(struct seen *s, char want[][ITEM], int n)
{
	int i, j;

	qsort(s->item, (size_t)s->n, ITEM, cmp_item);
	qsort(want, (size_t)n, ITEM, cmp_item);
	for (i = 0; i < s->n || i < n; i++) {
		if (i < s->n && i < n && strcmp(s->item[i], want[i]) == 0)
			continue;
		for (j = 0; j < s->n; j++)
			fprintf(stderr, "seen: %s\n", s->item[j]);
		for (j = 0; j < n; j++)
			fprintf(stderr, "want: %s\n", want[j]);
		fail_msg("the walk saw something else (item %d)", i);
	}
	s->n = 0;
}

static const char *
dstr(char *buf, const struct drydock_digest *d)
{
	if (d->alg == DRYDOCK_DIGEST_NONE)
		return "-";
	return drydock_digest_format(buf, d);
}

/* "repositories/<repo>/<sub>/<alg>/<hex>/link" */
static char *
lpath(char *buf, const char *repo, const char *sub, const char *dgst)
{
	const char *colon = strchr(dgst, ':');

	setf(buf, PATH_MAX, "repositories/%s/%s/%.*s/%s/link", repo, sub,
	    (int)(colon - dgst), dgst, colon + 1);
	return buf;
}

/* "blobs/<alg>/<hh>/<hex>" */
static char *
bpath(char *buf, const char *dgst)
{
	const char *colon = strchr(dgst, ':');

	setf(buf, PATH_MAX, "blobs/%.*s/%.2s/%s", (int)(colon - dgst), dgst,
	    colon + 1, colon + 1);
	return buf;
}

/* --- fixture ------------------------------------------------------------ */

#define D256                                                                   \
	"sha256:"                                                              \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct wt {
	struct fx fx;
	struct drydock_store *st;
	struct fx_problems *pr;
	struct seen seen;
	int calls;
	int ret; /* what callbacks return */
	char l1[DRYDOCK_DIGEST_STRMAX], l2[DRYDOCK_DIGEST_STRMAX];
	char m1[DRYDOCK_DIGEST_STRMAX], m2[DRYDOCK_DIGEST_STRMAX];
	char m3[DRYDOCK_DIGEST_STRMAX], nodata[DRYDOCK_DIGEST_STRMAX];
	char tmponly[DRYDOCK_DIGEST_STRMAX], gone[DRYDOCK_DIGEST_STRMAX];
	char s512[DRYDOCK_DIGEST_STRMAX];
};

static int
setup(void **state)
{
	struct wt *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->pr = calloc(1, sizeof(*t->pr))) == NULL)
		return -1;
	fx_setup(&t->fx);
	make_file(t->fx.out, "valid", D256);
	make_file(t->fx.out, "ldir/link", D256);
	*state = t;
	return 0;
}

static int
setup_fallback(void **state)
{
	drydock_store__force_fallback(1);
	return setup(state);
}

static int
teardown(void **state)
{
	struct wt *t = *state;

	drydock_store__force_fallback(0);
	drydock_store_close(t->st);
	fx_teardown(&t->fx);
	free(t->pr);
	free(t);
	return 0;
}

static void
open_store(struct wt *t)
{
	assert_int_equal(drydock_store_open(&t->st, t->fx.root, 0), 0);
	drydock_store_set_problem_cb(t->st, fx_problem_cb, t->pr);
}

static void
assert_problem(struct wt *t, const char *path, int code, const char *substr)
{
	if (fx_problem_find(t->pr, path, code, substr) < 0) {
		fx_problems_dump(t->pr);
		fail_msg("no problem %d '%s' at '%s'", code,
		    substr != NULL ? substr : "", path);
	}
}

static void
assert_no_problems(struct wt *t)
{
	if (t->pr->n != 0) {
		fx_problems_dump(t->pr);
		fail_msg("%d unexpected problems", t->pr->n);
	}
}

/* --- callbacks ------------------------------------------------------------ */

static int
repo_cb(const struct drydock_repo_info *r, void *payload)
{
	struct wt *t = payload;
	char want[PATH_MAX];
	struct stat sb;

	setf(want, sizeof(want), "repositories/%s", r->name);
	assert_string_equal(r->path, want);
	assert_int_equal(fstatat(r->fd, "", &sb, AT_EMPTY_PATH), 0);
	assert_true(S_ISDIR(sb.st_mode));
	seen_add(&t->seen, "%s %u", r->name, r->has);
	t->calls++;
	return strcmp(r->name, "a") == 0 ? t->ret : 0;
}

static int
link_cb(const struct drydock_repo_info *r, const struct drydock_link_info *li,
    void *payload)
{
	struct wt *t = payload;
	char a[DRYDOCK_DIGEST_STRMAX], b[DRYDOCK_DIGEST_STRMAX];
	char want[PATH_MAX];

	setf(want, sizeof(want), "%s/link", li->dir_path);
	assert_string_equal(li->path, want);
	seen_add(&t->seen, "%s %s %s %d %s", r->name, li->path,
	    dstr(a, &li->digest), li->status, dstr(b, &li->target));
	t->calls++;
	return t->ret;
}

static int
tag_cb(const struct drydock_repo_info *r, const struct drydock_tag_info *ti,
    void *payload)
{
	struct wt *t = payload;
	char a[DRYDOCK_DIGEST_STRMAX], want[PATH_MAX];

	setf(want, sizeof(want), "%s/_manifests/tags/%s", r->path, ti->name);
	assert_string_equal(ti->path, want);
	setf(want, sizeof(want), "%s/current", ti->path);
	assert_string_equal(ti->current.dir_path, want);
	setf(want, sizeof(want), "%s/current/link", ti->path);
	assert_string_equal(ti->current.path, want);
	assert_int_equal(ti->current.digest.alg, DRYDOCK_DIGEST_NONE);
	seen_add(&t->seen, "%s %s %d %s", r->name, ti->name, ti->current.status,
	    dstr(a, &ti->current.target));
	return 0;
}

static int
upload_cb(const struct drydock_repo_info *r,
    const struct drydock_upload_info *up, void *payload)
{
	struct wt *t = payload;
	char want[PATH_MAX];

	setf(want, sizeof(want), "%s/_uploads/%s", r->path, up->id);
	assert_string_equal(up->path, want);
	assert_true(up->mtime_ns > 0);
	seen_add(&t->seen, "%s %s %lld %llu", r->name, up->id,
	    (long long)up->startedat, (unsigned long long)up->size);
	return 0;
}

static int
blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct wt *t = payload;
	char a[DRYDOCK_DIGEST_STRMAX], want[PATH_MAX];

	assert_string_equal(bi->path, bpath(want, dstr(a, &bi->digest)));
	seen_add(&t->seen, "%s %d %llu", a, bi->has_data,
	    (unsigned long long)bi->size);
	t->calls++;
	return t->ret;
}

/* --- the realistic tree -----------------------------------------------------
 */

static void
build_realistic(struct wt *t)
{
	const char *v2 = t->fx.v2;
	struct drydock_digest d;
	char rel[PATH_MAX];

	make_blob(v2, "layer one", t->l1);
	make_blob(v2, "config two", t->l2);
	make_blob(v2, "manifest one", t->m1);
	make_blob(v2, "manifest two", t->m2);
	make_blob(v2, "manifest three", t->m3);
	/* a blob directory whose data is gone, one with a v3.1 temp only */
	make_dir(v2, bpath(rel, fake_digest(t->nodata, 1)));
	bpath(rel, fake_digest(t->tmponly, 2));
	strcat(rel, "/data." UUID5 ".tmp");
	make_file(v2, rel, "partial");
	/* a sha512 blob */
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA512, "five twelve", 11),
	    0);
	drydock_digest_format(t->s512, &d);
	strcat(bpath(rel, t->s512), "/data");
	make_file(v2, rel, "five twelve");

	/* a: both markers, tags with history, debris, uploads */
	make_layer_link(v2, "a", t->l1);
	make_layer_link(v2, "a", t->l2);
	make_digest_link(v2, "a", "_layers", t->s512, t->l1); /* alias */
	make_revision(v2, "a", t->m1);
	make_revision(v2, "a", t->m2);
	fake_digest(t->gone, 3); /* deleted through the API: dir, no link */
	setf(rel, sizeof(rel), "repositories/a/_manifests/revisions/sha256/%s",
	    t->gone + 7);
	make_dir(v2, rel);
	make_tag(v2, "a", "v1", t->m1);
	make_tag(v2, "a", "latest", t->m1);
	make_tag(v2, "a", "latest", t->m2);
	make_digest_link(v2, "a", "_manifests/tags/old/index", t->m1, NULL);
	make_upload(v2, "a", UUID1, "2025-01-02T03:04:05Z", "abc");
	make_upload(v2, "a", UUID2, NULL, NULL);
	make_upload(v2, "a", UUID3, "yesterday", "x");
	make_upload(
	    v2, "a", UUID4, "2025-01-02T04:04:05.123456789+01:00", NULL);
	make_upload(v2, "a", UUID5, "2025-01-02T03:04:05Z\n", NULL);
	/* a/b: nested in a */
	make_revision(v2, "a/b", t->m3);
	make_layer_link(v2, "a/b", t->l1);
	make_tag(v2, "a/b", "1.0", t->m3);
	/* legacy: 2.8 marker only; team/app: 3.x marker only */
	make_layer_link(v2, "legacy", t->l2);
	make_revision(v2, "team/app", t->m1);
	/* no repositories, cruft */
	make_upload(v2, "stale", UUID1, NULL, NULL);
	make_dir(v2, "repositories/_stray/x/_manifests");
	make_file(v2, "repositories/a/README", "hi");
	make_dir(v2, "repositories/empty/ns");
}

static void
test_walk__repos(void **state)
{
	struct wt *t = *state;
	char want[4][ITEM] = {"a 7", "a/b 3", "legacy 2", "team/app 1"};

	build_realistic(t);
	open_store(t);
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 0);
	assert_seen(&t->seen, want, 4);
	assert_no_problems(t);

	/* CRUFT reports what the registry never writes */
	assert_int_equal(
	    drydock_repo_foreach(t->st, DRYDOCK_WALK_CRUFT, repo_cb, t), 0);
	t->seen.n = 0;
	assert_problem(
	    t, "repositories/_stray", DRYDOCK_ECORRUPT, "unexpected directory");
	assert_problem(
	    t, "repositories/a/README", DRYDOCK_ECORRUPT, "unexpected file");
	assert_problem(t, "repositories/stale", DRYDOCK_ECORRUPT,
	    "neither _manifests nor _layers");
	assert_int_equal(t->pr->n, 3);
}

static void
test_walk__repo_skip_and_stop(void **state)
{
	struct wt *t = *state;
	char want[3][ITEM] = {"a 7", "legacy 2", "team/app 1"};

	build_realistic(t);
	open_store(t);
	/* SKIP on a: its child a/b is not visited, the rest is */
	t->ret = DRYDOCK_WALK_SKIP;
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 0);
	assert_seen(&t->seen, want, 3);
	/* any other value stops the walk and comes back unchanged */
	t->ret = -321;
	t->calls = 0;
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), -321);
	assert_non_null(strstr(drydock_error_message(), "returned -321"));
	t->ret = 7;
	t->calls = 0;
	t->seen.n = 0;
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 7);
	/* a/b is a's child; it was not visited after a said stop */
	for (int i = 0; i < t->seen.n; i++)
		assert_string_not_equal(t->seen.item[i], "a/b 3");
	t->seen.n = 0;
	t->ret = -1;
	t->calls = 0;
	assert_int_equal(drydock_blob_foreach(t->st, 0, blob_cb, t), -1);
	assert_int_equal(t->calls, 1);
}

static void
test_walk__links(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, want[4][ITEM], p[PATH_MAX];

	build_realistic(t);
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "a"), 0);
	assert_string_equal(repo.name, "a");
	assert_string_equal(repo.path, "repositories/a");

	/* revisions, read: the debris directory comes with ENOTFOUND */
	assert_int_equal(drydock_revision_foreach(
	                     t->st, &repo, DRYDOCK_WALK_READ, link_cb, t),
	    0);
	setf(want[0], ITEM, "a %s %s 0 %s",
	    lpath(p, "a", "_manifests/revisions", t->m1), t->m1, t->m1);
	setf(want[1], ITEM, "a %s %s 0 %s",
	    lpath(p, "a", "_manifests/revisions", t->m2), t->m2, t->m2);
	setf(want[2], ITEM, "a %s %s %d -",
	    lpath(p, "a", "_manifests/revisions", t->gone), t->gone,
	    DRYDOCK_ENOTFOUND);
	assert_seen(&t->seen, want, 3);

	/* layers, with the sha512 alias pointing at a sha256 blob */
	assert_int_equal(
	    drydock_layer_foreach(t->st, &repo, DRYDOCK_WALK_READ, link_cb, t),
	    0);
	setf(want[0], ITEM, "a %s %s 0 %s", lpath(p, "a", "_layers", t->l1),
	    t->l1, t->l1);
	setf(want[1], ITEM, "a %s %s 0 %s", lpath(p, "a", "_layers", t->l2),
	    t->l2, t->l2);
	setf(want[2], ITEM, "a %s %s 0 %s", lpath(p, "a", "_layers", t->s512),
	    t->s512, t->l1);
	assert_seen(&t->seen, want, 3);

	/* without READ the content is not read */
	assert_int_equal(drydock_layer_foreach(t->st, &repo, 0, link_cb, t), 0);
	setf(want[0], ITEM, "a %s %s 0 -", lpath(p, "a", "_layers", t->l1),
	    t->l1);
	setf(want[1], ITEM, "a %s %s 0 -", lpath(p, "a", "_layers", t->l2),
	    t->l2);
	setf(want[2], ITEM, "a %s %s 0 -", lpath(p, "a", "_layers", t->s512),
	    t->s512);
	assert_seen(&t->seen, want, 3);

	/* a stop from the callback */
	t->ret = -77;
	assert_int_equal(
	    drydock_layer_foreach(t->st, &repo, 0, link_cb, t), -77);
	t->seen.n = 0;
	assert_no_problems(t);
	close(repo.fd);
	free(path);

	/* a repository without _layers: nothing, no error */
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "team/app"), 0);
	assert_int_equal(repo.has, DRYDOCK_REPO_MANIFESTS);
	t->ret = 0;
	assert_int_equal(drydock_layer_foreach(t->st, &repo, 0, link_cb, t), 0);
	assert_int_equal(t->seen.n, 0);
	assert_int_equal(drydock_tag_foreach(t->st, &repo, 0, tag_cb, t), 0);
	assert_int_equal(
	    drydock_upload_foreach(t->st, &repo, 0, upload_cb, t), 0);
	assert_int_equal(t->seen.n, 0);
	close(repo.fd);
	free(path);
}

static void
test_walk__tags(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, want[4][ITEM], p[PATH_MAX];

	build_realistic(t);
	make_dir(t->fx.v2, "repositories/a/_manifests/tags/-bad/current");
	make_file(t->fx.v2, "repositories/a/_manifests/tags/stray", "x");
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "a"), 0);
	assert_int_equal(drydock_tag_foreach(t->st, &repo, 0, tag_cb, t), 0);
	setf(want[0], ITEM, "a v1 0 %s", t->m1);
	setf(want[1], ITEM, "a latest 0 %s", t->m2);
	setf(want[2], ITEM, "a old %d -", DRYDOCK_ENOTFOUND);
	assert_seen(&t->seen, want, 3);
	assert_problem(t, "repositories/a/_manifests/tags/-bad",
	    DRYDOCK_ECORRUPT, "invalid tag name");
	assert_int_equal(t->pr->n, 1);

	/* history */
	assert_int_equal(drydock_tag_history_foreach(t->st, &repo, "latest",
	                     DRYDOCK_WALK_READ, link_cb, t),
	    0);
	setf(want[0], ITEM, "a %s %s 0 %s",
	    lpath(p, "a", "_manifests/tags/latest/index", t->m1), t->m1, t->m1);
	setf(want[1], ITEM, "a %s %s 0 %s",
	    lpath(p, "a", "_manifests/tags/latest/index", t->m2), t->m2, t->m2);
	assert_seen(&t->seen, want, 2);
	assert_int_equal(
	    drydock_tag_history_foreach(t->st, &repo, "old", 0, link_cb, t), 0);
	setf(want[0], ITEM, "a %s %s 0 -",
	    lpath(p, "a", "_manifests/tags/old/index", t->m1), t->m1);
	assert_seen(&t->seen, want, 1);
	assert_int_equal(
	    drydock_tag_history_foreach(t->st, &repo, "none", 0, link_cb, t),
	    0);
	assert_int_equal(t->seen.n, 0);
	assert_int_equal(
	    drydock_tag_history_foreach(t->st, &repo, "../v1", 0, link_cb, t),
	    DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_tag_history_foreach(t->st, &repo, ".x", 0, link_cb, t),
	    DRYDOCK_ERROR);
	close(repo.fd);
	free(path);
}

static void
test_walk__uploads(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, want[5][ITEM];

	build_realistic(t);
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "a"), 0);
	assert_int_equal(repo.has, 7);
	assert_int_equal(
	    drydock_upload_foreach(t->st, &repo, 0, upload_cb, t), 0);
	setf(want[0], ITEM, "a %s %d 3", UUID1, T20250102);
	setf(want[1], ITEM, "a %s -1 0", UUID2);
	setf(want[2], ITEM, "a %s -1 1", UUID3);
	setf(want[3], ITEM, "a %s %d 0", UUID4, T20250102);
	setf(want[4], ITEM, "a %s -1 0", UUID5);
	assert_seen(&t->seen, want, 5);
	assert_no_problems(t);
	close(repo.fd);
	free(path);
}

/* startedat as Go's time.RFC3339 parses it */
static void
test_walk__startedat(void **state)
{
	static const struct {
		const char *in;
		long long want;
	} cases[] = {
	    {"2025-01-02T03:04:05Z", T20250102},
	    {"2025-01-02T03:04:05.5Z", T20250102},
	    {"2025-01-02T03:04:05,123Z", T20250102},
	    {"2025-01-02T05:34:05+02:30", T20250102},
	    {"2025-01-01T23:04:05-04:00", T20250102},
	    {"1970-01-01T00:00:00Z", 0},
	    {"2024-02-29T00:00:00Z", 1709164800},
	    {"2025-02-29T00:00:00Z", -1},
	    {"2025-13-01T00:00:00Z", -1},
	    {"2025-01-02T24:00:00Z", -1},
	    {"2025-01-02T03:04:60Z", -1},
	    {"2025-01-02 03:04:05Z", -1},
	    {"2025-01-02T03:04:05", -1},
	    {"2025-01-02T03:04:05z", -1},
	    {"2025-01-02T03:04:05.Z", -1},
	    {"2025-01-02T03:04:05+0100", -1},
	    {"2025-01-02T03:04:05Zjunk", -1},
	    {" 2025-01-02T03:04:05Z", -1},
	    {"", -1},
	};
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, id[32];
	size_t i;

	make_revision(t->fx.v2, "u", D256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setf(id, sizeof(id), "id%02zu", i);
		make_upload(t->fx.v2, "u", id, cases[i].in, NULL);
	}
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "u"), 0);
	assert_int_equal(
	    drydock_upload_foreach(t->st, &repo, 0, upload_cb, t), 0);
	assert_int_equal(t->seen.n, (int)i);
	qsort(t->seen.item, (size_t)t->seen.n, ITEM, cmp_item);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[ITEM];

		setf(want, sizeof(want), "u id%02zu %lld 0", i, cases[i].want);
		if (strcmp(t->seen.item[i], want) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].in,
			    t->seen.item[i], want);
	}
	close(repo.fd);
	free(path);
}

static void
test_walk__blobs(void **state)
{
	struct wt *t = *state;
	char want[8][ITEM];

	build_realistic(t);
	open_store(t);
	assert_int_equal(drydock_blob_foreach(t->st, 0, blob_cb, t), 0);
	setf(want[0], ITEM, "%s 1 0", t->l1);
	setf(want[1], ITEM, "%s 1 0", t->l2);
	setf(want[2], ITEM, "%s 1 0", t->m1);
	setf(want[3], ITEM, "%s 1 0", t->m2);
	setf(want[4], ITEM, "%s 1 0", t->m3);
	setf(want[5], ITEM, "%s 0 0", t->nodata);
	setf(want[6], ITEM, "%s 0 0", t->tmponly);
	setf(want[7], ITEM, "%s 1 0", t->s512);
	assert_seen(&t->seen, want, 8);
	assert_no_problems(t);

	/* sizes with STAT; CRUFT lists the blob directories too */
	assert_int_equal(
	    drydock_blob_foreach(
	        t->st, DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT, blob_cb, t),
	    0);
	setf(want[0], ITEM, "%s 1 9", t->l1);
	setf(want[1], ITEM, "%s 1 10", t->l2);
	setf(want[2], ITEM, "%s 1 12", t->m1);
	setf(want[3], ITEM, "%s 1 12", t->m2);
	setf(want[4], ITEM, "%s 1 14", t->m3);
	setf(want[5], ITEM, "%s 0 0", t->nodata);
	setf(want[6], ITEM, "%s 0 0", t->tmponly);
	setf(want[7], ITEM, "%s 1 11", t->s512);
	assert_seen(&t->seen, want, 8);
	assert_int_equal(t->pr->n, 1);
	assert_non_null(strstr(t->pr->p[0].path, "/data." UUID5 ".tmp"));
	assert_non_null(strstr(t->pr->p[0].msg, "leftover temporary file"));
}

static int
stat_link_cb(const struct drydock_repo_info *r,
    const struct drydock_link_info *li, void *payload)
{
	struct wt *t = payload;
	char a[DRYDOCK_DIGEST_STRMAX];

	(void)r;
	seen_add(&t->seen, "%s %d %lld", dstr(a, &li->digest), li->status,
	    (long long)(li->mtime_ns / 1000000000));
	return 0;
}

static int
stat_blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct wt *t = payload;
	char a[DRYDOCK_DIGEST_STRMAX];

	/* the data's inode comes with DRYDOCK_WALK_STAT (drydock-fsck) */
	if (bi->has_data == 1)
		assert_true(bi->inode != 0);
	else
		assert_true(bi->inode == 0);
	seen_add(&t->seen, "%s %lld", dstr(a, &bi->digest),
	    (long long)(bi->mtime_ns / 1000000000));
	return 0;
}

static int
stat_tag_cb(const struct drydock_repo_info *r,
    const struct drydock_tag_info *ti, void *payload)
{
	struct wt *t = payload;

	(void)r;
	seen_add(&t->seen, "%s %lld", ti->name,
	    (long long)(ti->current.mtime_ns / 1000000000));
	return 0;
}

static void
test_walk__stat(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, want[3][ITEM], rel[PATH_MAX], *p;

	build_realistic(t);
	set_mtime(t->fx.v2, lpath(rel, "a", "_manifests/revisions", t->m1),
	    1500000001);
	set_mtime(t->fx.v2, lpath(rel, "a", "_manifests/revisions", t->m2),
	    1500000002);
	/* the debris: its directory's mtime */
	p = lpath(rel, "a", "_manifests/revisions", t->gone);
	*strrchr(p, '/') = '\0';
	set_mtime(t->fx.v2, p, 1400000000);
	strcat(bpath(rel, t->l1), "/data");
	set_mtime(t->fx.v2, rel, 1600000000);
	set_mtime(t->fx.v2, bpath(rel, t->nodata), 1300000000);
	set_mtime(t->fx.v2, "repositories/a/_manifests/tags/v1/current/link",
	    1700000000);
	set_mtime(t->fx.v2, "repositories/a/_manifests/tags/old", 1200000000);
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "a"), 0);

	assert_int_equal(drydock_revision_foreach(
	                     t->st, &repo, DRYDOCK_WALK_STAT, stat_link_cb, t),
	    0);
	setf(want[0], ITEM, "%s 0 1500000001", t->m1);
	setf(want[1], ITEM, "%s 0 1500000002", t->m2);
	setf(want[2], ITEM, "%s %d 1400000000", t->gone, DRYDOCK_ENOTFOUND);
	assert_seen(&t->seen, want, 3);
	/* without STAT: no mtimes */
	assert_int_equal(
	    drydock_revision_foreach(t->st, &repo, 0, stat_link_cb, t), 0);
	setf(want[0], ITEM, "%s 0 0", t->m1);
	setf(want[1], ITEM, "%s 0 0", t->m2);
	setf(want[2], ITEM, "%s %d 0", t->gone, DRYDOCK_ENOTFOUND);
	assert_seen(&t->seen, want, 3);

	/* tags are always stat'ed; a tag without current: the tag dir's */
	assert_int_equal(
	    drydock_tag_foreach(t->st, &repo, 0, stat_tag_cb, t), 0);
	qsort(t->seen.item, (size_t)t->seen.n, ITEM, cmp_item);
	assert_int_equal(t->seen.n, 3);
	assert_string_equal(t->seen.item[1], "old 1200000000");
	assert_string_equal(t->seen.item[2], "v1 1700000000");
	t->seen.n = 0;

	assert_int_equal(
	    drydock_blob_foreach(t->st, DRYDOCK_WALK_STAT, stat_blob_cb, t), 0);
	qsort(t->seen.item, (size_t)t->seen.n, ITEM, cmp_item);
	setf(want[0], ITEM, "%s 1600000000", t->l1);
	setf(want[1], ITEM, "%s 1300000000", t->nodata);
	for (int i = 0, found = 0; i < 2; i++, found = 0) {
		for (int j = 0; j < t->seen.n; j++)
			found |= strcmp(t->seen.item[j], want[i]) == 0;
		if (!found)
			fail_msg("no '%s'", want[i]);
	}
	assert_no_problems(t);
	close(repo.fd);
	free(path);
}

static void
test_walk__corrupt_links(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo;
	char *path = NULL, want[4][ITEM], p[PATH_MAX], d1[80], d2[80], d3[80];

	fake_digest(d1, 11);
	fake_digest(d2, 12);
	fake_digest(d3, 13);
	make_digest_link(t->fx.v2, "c", "_layers", d1, NULL);
	make_digest_link(t->fx.v2, "c", "_layers", d2, "");
	make_file(t->fx.v2, lpath(p, "c", "_layers", d3), NULL);
	make_file(t->fx.v2, p, "sha256:abc\n");
	open_store(t);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "c"), 0);
	assert_int_equal(
	    drydock_layer_foreach(t->st, &repo, DRYDOCK_WALK_READ, link_cb, t),
	    0);
	setf(want[0], ITEM, "c %s %s 0 %s", lpath(p, "c", "_layers", d1), d1,
	    d1);
	setf(want[1], ITEM, "c %s %s %d -", lpath(p, "c", "_layers", d2), d2,
	    DRYDOCK_ECORRUPT);
	setf(want[2], ITEM, "c %s %s %d -", lpath(p, "c", "_layers", d3), d3,
	    DRYDOCK_ECORRUPT);
	assert_seen(&t->seen, want, 3);
	assert_problem(t, lpath(p, "c", "_layers", d2), DRYDOCK_ECORRUPT,
	    "empty link file");
	assert_problem(t, lpath(p, "c", "_layers", d3), DRYDOCK_ECORRUPT,
	    "trailing newline");
	assert_int_equal(t->pr->n, 2);
	/* not read: not judged */
	t->pr->n = 0;
	assert_int_equal(drydock_layer_foreach(t->st, &repo, 0, link_cb, t), 0);
	t->seen.n = 0;
	assert_no_problems(t);
	close(repo.fd);
	free(path);
}

/* --- hostile trees ----------------------------------------------------------
 */

/* 64 hex digits: prefix, then filler */
static char *
mkhex(char *buf, const char *prefix, char fill)
{
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	memset(buf + n, fill, 64 - n);
	buf[64] = '\0';
	return buf;
}

static void
test_walk__hostile_repos(void **state)
{
	struct wt *t = *state;
	const char *v2 = t->fx.v2;
	struct drydock_repo_info repo;
	char *path = NULL, want[4][ITEM], p[PATH_MAX], h[80], d[80];
	char want_repos[3][ITEM] = {"r 7", "s 1", "t2 1"};

	/* outside: a repository that looks fine */
	make_revision(t->fx.out, "evil", D256);
	make_link_out(&t->fx, "repositories/evil", "repositories/evil", 1);
	make_link_out(&t->fx, "repositories/evil2", "repositories/evil", 0);
	/* r: symlinked link files and directories, bad names */
	make_revision(v2, "r", D256);
	make_link_out(
	    &t->fx, lpath(p, "r", "_layers", fake_digest(d, 1)), "valid", 1);
	setf(p, sizeof(p), "repositories/r/_layers/sha256/%s",
	    fake_digest(d, 2) + 7);
	make_link_out(&t->fx, p, "ldir", 1);
	make_fifo(v2, lpath(p, "r", "_layers", fake_digest(d, 3)));
	make_layer_link(v2, "r", fake_digest(d, 4));
	setf(p, sizeof(p), "repositories/r/_layers/sha256/%s/link",
	    mkhex(h, "ABCDEF", 'A'));
	make_file(v2, p, D256);
	make_file(v2, "repositories/r/_layers/sha256/abc/link", D256);
	make_file(v2, "repositories/r/_layers/tarsum/v1/sha256/x/link", D256);
	make_link_out(&t->fx, "repositories/r/_layers/sha512", "ldir", 1);
	/* r's tags: bad name, symlinked current, symlinked current/link */
	make_tag(v2, "r", "ok", D256);
	make_file(v2, "repositories/r/_manifests/tags/-bad/current/link", D256);
	make_dir(v2, "repositories/r/_manifests/tags/cur");
	make_link_out(
	    &t->fx, "repositories/r/_manifests/tags/cur/current", "ldir", 1);
	make_link_out(&t->fx, "repositories/r/_manifests/tags/lnk/current/link",
	    "valid", 0);
	make_link_out(
	    &t->fx, "repositories/r/_manifests/tags/whole", "ldir", 1);
	/* r's uploads: symlinked startedat and data */
	make_upload(v2, "r", UUID1, NULL, NULL);
	make_file(t->fx.out, "started", "2025-01-02T03:04:05Z");
	make_link_out(&t->fx, "repositories/r/_uploads/" UUID1 "/startedat",
	    "started", 1);
	make_link_out(
	    &t->fx, "repositories/r/_uploads/" UUID1 "/data", "valid", 1);
	/* s: symlinked _layers; t2: symlinked _manifests/revisions */
	make_revision(v2, "s", D256);
	make_link_out(&t->fx, "repositories/s/_layers", "ldir", 1);
	make_dir(v2, "repositories/t2/_manifests");
	make_link_out(&t->fx, "repositories/t2/_manifests/revisions",
	    "repositories/evil/_manifests/revisions", 1);
	open_store(t);

	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 0);
	assert_seen(&t->seen, want_repos, 3);
	assert_problem(t, "repositories/evil", DRYDOCK_EUNSAFE, "symlink");
	assert_problem(t, "repositories/evil2", DRYDOCK_EUNSAFE, "symlink");
	assert_problem(t, "repositories/s/_layers", DRYDOCK_EUNSAFE, "symlink");
	assert_int_equal(t->pr->n, 3);
	t->pr->n = 0;

	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "r"), 0);
	assert_int_equal(drydock_layer_foreach(t->st, &repo,
	                     DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT, link_cb, t),
	    0);
	/* the outside file holds a valid digest: the target stays unset */
	setf(want[0], ITEM, "r %s %s %d -",
	    lpath(p, "r", "_layers", fake_digest(d, 1)), d, DRYDOCK_EUNSAFE);
	setf(want[1], ITEM, "r %s %s %d -",
	    lpath(p, "r", "_layers", fake_digest(d, 3)), d, DRYDOCK_EUNSAFE);
	setf(want[2], ITEM, "r %s %s 0 %s",
	    lpath(p, "r", "_layers", fake_digest(d, 4)), d, d);
	assert_seen(&t->seen, want, 3);
	assert_problem(t, lpath(p, "r", "_layers", fake_digest(d, 1)),
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_problem(t, lpath(p, "r", "_layers", fake_digest(d, 3)),
	    DRYDOCK_EUNSAFE, "not a regular file");
	setf(p, sizeof(p), "repositories/r/_layers/sha256/%s",
	    fake_digest(d, 2) + 7);
	assert_problem(t, p, DRYDOCK_EUNSAFE, "is a symlink");
	setf(p, sizeof(p), "repositories/r/_layers/sha256/%s",
	    mkhex(h, "ABCDEF", 'A'));
	assert_problem(t, p, DRYDOCK_ECORRUPT, "not a digest path");
	assert_problem(t, "repositories/r/_layers/sha256/abc", DRYDOCK_ECORRUPT,
	    "not a digest path");
	assert_problem(t, "repositories/r/_layers/tarsum", DRYDOCK_ECORRUPT,
	    "not a digest path");
	assert_problem(t, "repositories/r/_layers/sha512", DRYDOCK_EUNSAFE,
	    "is a symlink");
	assert_int_equal(t->pr->n, 7);
	t->pr->n = 0;

	assert_int_equal(drydock_tag_foreach(t->st, &repo, 0, tag_cb, t), 0);
	setf(want[0], ITEM, "r ok 0 %s", D256);
	setf(want[1], ITEM, "r cur %d -", DRYDOCK_EUNSAFE);
	setf(want[2], ITEM, "r lnk %d -", DRYDOCK_EUNSAFE);
	assert_seen(&t->seen, want, 3);
	assert_problem(t, "repositories/r/_manifests/tags/-bad",
	    DRYDOCK_ECORRUPT, "invalid tag name");
	assert_problem(t, "repositories/r/_manifests/tags/cur/current",
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_problem(t, "repositories/r/_manifests/tags/lnk/current/link",
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_problem(t, "repositories/r/_manifests/tags/whole",
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_int_equal(t->pr->n, 4);
	t->pr->n = 0;
	assert_int_equal(
	    drydock_tag_history_foreach(t->st, &repo, "whole", 0, link_cb, t),
	    DRYDOCK_EUNSAFE);
	assert_non_null(strstr(drydock_error_message(),
	    "'repositories/r/_manifests/tags/whole' is a symlink"));

	assert_int_equal(
	    drydock_upload_foreach(t->st, &repo, 0, upload_cb, t), 0);
	setf(want[0], ITEM, "r %s -1 0", UUID1);
	assert_seen(&t->seen, want, 1);
	assert_problem(t, "repositories/r/_uploads/" UUID1 "/startedat",
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_problem(t, "repositories/r/_uploads/" UUID1 "/data",
	    DRYDOCK_EUNSAFE, "is a symlink");
	assert_int_equal(t->pr->n, 2);
	t->pr->n = 0;
	close(repo.fd);
	free(path);

	/* a walk whose own directory is a symlink cannot start: an error */
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "s"), 0);
	assert_int_equal(drydock_layer_foreach(t->st, &repo, 0, link_cb, t),
	    DRYDOCK_EUNSAFE);
	assert_non_null(strstr(
	    drydock_error_message(), "'repositories/s/_layers' is a symlink"));
	close(repo.fd);
	free(path);
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "t2"), 0);
	assert_int_equal(drydock_revision_foreach(t->st, &repo, 0, link_cb, t),
	    DRYDOCK_EUNSAFE);
	assert_non_null(strstr(drydock_error_message(),
	    "'repositories/t2/_manifests/revisions' is a symlink"));
	close(repo.fd);
	free(path);
	assert_int_equal(t->seen.n, 0);
	assert_int_equal(t->pr->n, 0);

	/* repo_open refuses the same */
	assert_int_equal(
	    drydock_repo_open(&repo, &path, t->st, "evil"), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_repo_open(&repo, &path, t->st, "../x"), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_repo_open(&repo, &path, t->st, "r/_layers"), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_repo_open(&repo, &path, t->st, "nope"), DRYDOCK_ENOTFOUND);
	make_dir(v2, "repositories/ns/x");
	assert_int_equal(
	    drydock_repo_open(&repo, &path, t->st, "ns"), DRYDOCK_ENOTFOUND);
}

static void
test_walk__hostile_blobs(void **state)
{
	struct wt *t = *state;
	const char *v2 = t->fx.v2;
	char good[80], lnk[80], fifo[80], want[3][ITEM], p[PATH_MAX], h[80];
	char rel[PATH_MAX];

	/* a symlinked blobs/ (admins do that): refused as a whole */
	make_blob(t->fx.out, "outside blob", good);
	make_link_out(&t->fx, "blobs", "blobs", 1);
	open_store(t);
	assert_int_equal(
	    drydock_blob_foreach(t->st, 0, blob_cb, t), DRYDOCK_EUNSAFE);
	assert_non_null(
	    strstr(drydock_error_message(), "'blobs' is a symlink"));
	assert_int_equal(t->calls, 0);
	assert_int_equal(unlink(fx_join(p, v2, "blobs")), 0);

	make_blob(v2, "good", good);
	/* data a symlink to a file with the right content */
	make_blob(t->fx.out, "linked", lnk);
	setf(rel, sizeof(rel), "%s/data", bpath(p, lnk));
	make_link_out(&t->fx, rel, rel, 1);
	/* data a fifo */
	fake_digest(fifo, 5);
	setf(rel, sizeof(rel), "%s/data", bpath(p, fifo));
	make_fifo(v2, rel);
	/* a digest directory under the wrong hh */
	setf(rel, sizeof(rel), "blobs/sha256/00/%s/data", mkhex(h, "ab", '1'));
	make_file(v2, rel, "x");
	/* upper case: in hh, and in hex under a lower-case hh */
	setf(rel, sizeof(rel), "blobs/sha256/AB/%s/data", mkhex(h, "AB", '1'));
	make_file(v2, rel, "x");
	setf(rel, sizeof(rel), "blobs/sha256/ab/%s/data", mkhex(h, "abC", '1'));
	make_file(v2, rel, "x");
	make_file(v2, "blobs/sha256/ab/abcdef/data", "x");
	make_file(v2, "blobs/sha384/ab/x/data", "x");
	make_file(v2, "blobs/sha256/zz/x/data", "x");
	make_file(v2, "blobs/sha256/abc/x/data", "x");
	/* a symlinked blob directory */
	setf(rel, sizeof(rel), "blobs/sha256/cd/%s", mkhex(h, "cd", '2'));
	make_link_out(&t->fx, rel, "ldir", 1);

	/* both ways of finding data: probing, and listing (CRUFT) */
	for (int pass = 0; pass < 2; pass++) {
		t->pr->n = 0;
		assert_int_equal(
		    drydock_blob_foreach(t->st,
		        DRYDOCK_WALK_STAT | (pass ? DRYDOCK_WALK_CRUFT : 0),
		        blob_cb, t),
		    0);
		setf(want[0], ITEM, "%s 1 4", good);
		setf(want[1], ITEM, "%s 0 0", lnk);
		setf(want[2], ITEM, "%s 0 0", fifo);
		assert_seen(&t->seen, want, 3);
		setf(rel, sizeof(rel), "%s/data", bpath(p, lnk));
		assert_problem(t, rel, DRYDOCK_EUNSAFE, "is a symlink");
		setf(rel, sizeof(rel), "%s/data", bpath(p, fifo));
		assert_problem(t, rel, DRYDOCK_EUNSAFE, "not a regular file");
		setf(rel, sizeof(rel), "blobs/sha256/00/%s",
		    mkhex(h, "ab", '1'));
		assert_problem(t, rel, DRYDOCK_ECORRUPT, "not a digest path");
		assert_problem(t, "blobs/sha256/AB", DRYDOCK_ECORRUPT,
		    "not a digest path");
		setf(rel, sizeof(rel), "blobs/sha256/ab/%s",
		    mkhex(h, "abC", '1'));
		assert_problem(t, rel, DRYDOCK_ECORRUPT, "not a digest path");
		assert_problem(t, "blobs/sha256/ab/abcdef", DRYDOCK_ECORRUPT,
		    "not a digest path");
		assert_problem(
		    t, "blobs/sha384", DRYDOCK_ECORRUPT, "not a digest path");
		assert_problem(t, "blobs/sha256/zz", DRYDOCK_ECORRUPT,
		    "not a digest path");
		assert_problem(t, "blobs/sha256/abc", DRYDOCK_ECORRUPT,
		    "not a digest path");
		setf(rel, sizeof(rel), "blobs/sha256/cd/%s",
		    mkhex(h, "cd", '2'));
		assert_problem(t, rel, DRYDOCK_EUNSAFE, "is a symlink");
		assert_int_equal(t->pr->n, 10);
	}
	/*
	 * in parts (gc walks them on threads): together the same blobs and
	 * the same problems, each once, whatever the number of parts
	 */
	for (unsigned nparts = 2; nparts <= 256; nparts *= 4) {
		t->pr->n = 0;
		for (unsigned part = 0; part < nparts; part++)
			assert_int_equal(
			    drydock_blob_foreach_shard(t->st, DRYDOCK_WALK_STAT,
			        part, nparts, blob_cb, t),
			    0);
		assert_seen(&t->seen, want, 3);
		assert_int_equal(t->pr->n, 10);
		assert_problem(
		    t, "blobs/sha384", DRYDOCK_ECORRUPT, "not a digest path");
		assert_problem(t, "blobs/sha256/zz", DRYDOCK_ECORRUPT,
		    "not a digest path");
		setf(rel, sizeof(rel), "blobs/sha256/cd/%s",
		    mkhex(h, "cd", '2'));
		assert_problem(t, rel, DRYDOCK_EUNSAFE, "is a symlink");
	}
	assert_int_equal(drydock_blob_foreach_shard(t->st, 0, 4, 4, blob_cb, t),
	    DRYDOCK_ERROR);
}

/*
 * A gc (or the registry) removing what the walk is reading: the first blob
 * seen under blobs/sha256/00/ removes every blob there and the 00/
 * directory itself, the first revision seen removes every revision.
 */
struct vanish {
	struct wt *t;
	const char *dir; /* removed on the first call, relative to $V2 */
	int fired;
};

static int
vanish_blob_cb(const struct drydock_blob_info *bi, void *payload)
{
	struct vanish *v = payload;
	char p[PATH_MAX];

	if (!v->fired && strncmp(bi->path, v->dir, strlen(v->dir)) == 0) {
		v->fired = 1;
		rm_rf(fx_join(p, v->t->fx.v2, v->dir));
	}
	return blob_cb(bi, v->t);
}

static int
vanish_link_cb(const struct drydock_repo_info *r,
    const struct drydock_link_info *li, void *payload)
{
	struct vanish *v = payload;
	char p[PATH_MAX];

	if (!v->fired) {
		v->fired = 1;
		rm_rf(fx_join(p, v->t->fx.v2, v->dir));
	}
	return link_cb(r, li, v->t);
}

static void
test_walk__vanishing(void **state)
{
	struct wt *t = *state;
	const char *v2 = t->fx.v2;
	struct vanish v = {t, "blobs/sha256/00", 0};
	struct drydock_repo_info repo;
	char d[4][80], rel[PATH_MAX], p[PATH_MAX], want[1][ITEM];
	char *path = NULL;
	unsigned flags;
	int i, pass;

	open_store(t);
	for (pass = 0; pass < 4; pass++) {
		/* probing, listing (CRUFT); each with and without STAT */
		flags = (pass & 1 ? DRYDOCK_WALK_CRUFT : 0) |
		    (pass & 2 ? DRYDOCK_WALK_STAT : 0);
		for (i = 0; i < 3; i++) {
			bpath(p, fake_digest(d[i], (unsigned)i + 1));
			setf(rel, sizeof(rel), "%s/data", p);
			make_file(v2, rel, "x");
		}
		make_blob(v2, "stays", d[3]);
		v.fired = 0;
		t->pr->n = 0;
		assert_int_equal(
		    drydock_blob_foreach(t->st, flags, vanish_blob_cb, &v), 0);
		assert_true(v.fired);
		/* one of the three came first and took the others with it */
		assert_int_equal(t->seen.n, 2);
		qsort(t->seen.item, 2, ITEM, cmp_item);
		assert_true(
		    strncmp(t->seen.item[0], "sha256:0000000", 14) == 0);
		setf(want[0], ITEM, "%s 1 %d", d[3], pass & 2 ? 5 : 0);
		assert_string_equal(t->seen.item[1], want[0]);
		t->seen.n = 0;
		assert_no_problems(t);
	}

	/* revisions: the first one seen takes the others with it */
	for (i = 0; i < 3; i++)
		make_revision(v2, "a", fake_digest(d[i], (unsigned)i + 1));
	v.dir = "repositories/a/_manifests/revisions/sha256";
	v.fired = 0;
	t->pr->n = 0;
	assert_int_equal(drydock_repo_open(&repo, &path, t->st, "a"), 0);
	assert_int_equal(
	    drydock_revision_foreach(t->st, &repo,
	        DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT | DRYDOCK_WALK_CRUFT,
	        vanish_link_cb, &v),
	    0);
	assert_int_equal(t->seen.n, 1);
	assert_no_problems(t);
	close(repo.fd);
	free(path);
}

static void
test_walk__depth_cap(void **state)
{
	struct wt *t = *state;
	char rel[PATH_MAX] = "repositories", want[1][ITEM] = {"d 1"};
	size_t n = strlen(rel);
	int i;

	make_revision(t->fx.v2, "d", D256);
	for (i = 0; i < 70; i++, n += 2)
		memcpy(rel + n, "/d", 3);
	strcat(rel, "/_manifests");
	make_dir(t->fx.v2, rel);
	open_store(t);
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 0);
	assert_seen(&t->seen, want, 1);
	assert_int_equal(t->pr->n, 1);
	assert_int_equal(t->pr->p[0].code, DRYDOCK_EUNSUPPORTED);
	assert_non_null(strstr(t->pr->p[0].msg, "nested more than 64"));
	/* 64 levels are walked: the problem sits at the 65th */
	assert_int_equal(
	    strlen(t->pr->p[0].path), strlen("repositories") + 65 * 2);
}

static void
test_walk__bad_args(void **state)
{
	struct wt *t = *state;
	struct drydock_repo_info repo = {"x", "repositories/x", -1, 0};

	open_store(t);
	assert_int_equal(
	    drydock_layer_foreach(t->st, &repo, 0, link_cb, t), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_layer_foreach(t->st, NULL, 0, link_cb, t), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_blob_foreach(NULL, 0, blob_cb, t), DRYDOCK_ERROR);
	/* an empty store: nothing at all, no error */
	assert_int_equal(drydock_blob_foreach(t->st, 0, blob_cb, t), 0);
	assert_int_equal(drydock_repo_foreach(t->st, 0, repo_cb, t), 0);
	assert_int_equal(t->seen.n, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TF(name)                                                               \
	{                                                                      \
		"fallback/" #name, name, setup_fallback, teardown, NULL        \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_walk__repos),
	    T(test_walk__repo_skip_and_stop),
	    T(test_walk__links),
	    T(test_walk__tags),
	    T(test_walk__uploads),
	    T(test_walk__startedat),
	    T(test_walk__blobs),
	    T(test_walk__stat),
	    T(test_walk__corrupt_links),
	    T(test_walk__hostile_repos),
	    T(test_walk__hostile_blobs),
	    T(test_walk__vanishing),
	    T(test_walk__depth_cap),
	    T(test_walk__bad_args),
	    TF(test_walk__repos),
	    TF(test_walk__links),
	    TF(test_walk__tags),
	    TF(test_walk__blobs),
	    TF(test_walk__stat),
	    TF(test_walk__hostile_repos),
	    TF(test_walk__hostile_blobs),
	    TF(test_walk__vanishing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
