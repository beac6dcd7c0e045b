/* SPDX-License-Identifier: MIT */
/* test_state.c --- the incremental verification state of drydock-fsck. */
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
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/state.h>

struct fixture {
	char dir[64];
	char db[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/drydock-test-state.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/state.sqlite", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct drydock_state *
open_state(const struct fixture *f, int create)
{
	struct drydock_state *s = NULL;

	assert_int_equal(drydock_state_open(&s, f->db, create), 0);
	assert_non_null(s);
	return s;
}

static void
digest_of(struct drydock_digest *d, const char *text)
{
	assert_int_equal(
	    drydock_digest_buffer(d, DRYDOCK_DIGEST_SHA256, text, strlen(text)),
	    0);
}

static void
write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
stat_file(const char *path, uint64_t *size, int64_t *mtime_ns, uint64_t *ino)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	*size = (uint64_t)sb.st_size;
	*mtime_ns =
	    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	*ino = (uint64_t)sb.st_ino;
}

/* What a verifier does after hashing a file that matched: record it. */
static void
record_file(struct drydock_state *s, const char *path,
    const struct drydock_digest *d, int64_t when)
{
	struct drydock_state_blob b;

	memset(&b, 0, sizeof(b));
	b.digest = *d;
	b.verified = when;
	stat_file(path, &b.size, &b.mtime_ns, &b.inode);
	assert_int_equal(drydock_state_record(s, &b), 0);
}

/* What a verifier asks before hashing: must this file be hashed again? */
static int
needs_hash(
    struct drydock_state *s, const char *path, const struct drydock_digest *d)
{
	struct drydock_state_blob rec;
	uint64_t size, ino;
	int64_t mtime;
	int r;

	r = drydock_state_lookup(&rec, s, d);
	if (r == DRYDOCK_ENOTFOUND)
		return 1;
	assert_int_equal(r, 0);
	stat_file(path, &size, &mtime, &ino);
	return !drydock_state_is_unchanged(&rec, size, mtime, ino);
}

static void
test_state__open_create_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = NULL;
	struct drydock_state_blob b, got;
	uint64_t n = 99;

	assert_int_equal(drydock_state_open(&s, f->db, 0), DRYDOCK_ENOTFOUND);
	assert_null(s);
	s = open_state(f, 1);
	assert_int_equal(drydock_state_count(s, &n), 0);
	assert_int_equal(n, 0);
	memset(&b, 0, sizeof(b));
	digest_of(&b.digest, "one");
	b.size = 3;
	b.mtime_ns = 1234567890123456789;
	b.inode = UINT64_MAX - 5; /* beyond INT64_MAX: stored and read back */
	b.verified = 1700000000;
	assert_int_equal(drydock_state_record(s, &b), 0);
	drydock_state_close(s);

	s = open_state(f, 0);
	assert_int_equal(drydock_state_lookup(&got, s, &b.digest), 0);
	assert_true(drydock_digest_equal(&got.digest, &b.digest));
	assert_int_equal(got.size, 3);
	assert_int_equal(got.mtime_ns, b.mtime_ns);
	assert_true(got.inode == b.inode);
	assert_int_equal(got.verified, 1700000000);
	assert_int_equal(drydock_state_count(s, &n), 0);
	assert_int_equal(n, 1);
	drydock_state_close(s);
	drydock_state_close(NULL);
}

static void
test_state__not_a_state(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = NULL;
	char other[160];

	/* a text file is not a database */
	write_text(f->db, "this is not sqlite, not at all, really not\n");
	assert_int_equal(drydock_state_open(&s, f->db, 0), DRYDOCK_ECORRUPT);
	assert_null(s);
	assert_non_null(strstr(drydock_error_message(), f->db));

	/* a database of something else is refused too */
	snprintf(
	    other, sizeof(other), "sqlite3 '%s' 'CREATE TABLE t(x)'", f->db);
	unlink(f->db);
	if (system(other) != 0)
		skip();
	assert_int_equal(drydock_state_open(&s, f->db, 1), DRYDOCK_ECORRUPT);
	assert_null(s);
	assert_non_null(strstr(drydock_error_message(), "not a drydock"));
}

static void
test_state__symlink_refused(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = NULL;
	char target[160];

	snprintf(target, sizeof(target), "%s/real.sqlite", f->dir);
	s = open_state(f, 1);
	drydock_state_close(s);
	s = NULL;
	assert_int_equal(rename(f->db, target), 0);
	assert_int_equal(symlink(target, f->db), 0);
	assert_true(drydock_state_open(&s, f->db, 0) < 0);
	assert_null(s);
}

static void
test_state__record_lookup_forget(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = open_state(f, 1);
	struct drydock_state_blob b, got;
	struct drydock_digest other;

	memset(&b, 0, sizeof(b));
	digest_of(&b.digest, "blob");
	digest_of(&other, "other");
	b.size = 10;
	b.verified = 5;
	assert_int_equal(
	    drydock_state_lookup(&got, s, &b.digest), DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_state_record(s, &b), 0);
	assert_int_equal(drydock_state_lookup(&got, s, &b.digest), 0);
	assert_int_equal(got.size, 10);
	/* replacing keeps one record */
	b.size = 11;
	b.verified = 6;
	assert_int_equal(drydock_state_record(s, &b), 0);
	assert_int_equal(drydock_state_lookup(&got, s, &b.digest), 0);
	assert_int_equal(got.size, 11);
	assert_int_equal(got.verified, 6);
	assert_int_equal(
	    drydock_state_lookup(&got, s, &other), DRYDOCK_ENOTFOUND);
	/* forgetting: gone; forgetting twice is fine */
	assert_int_equal(drydock_state_forget(s, &b.digest), 0);
	assert_int_equal(
	    drydock_state_lookup(&got, s, &b.digest), DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_state_forget(s, &b.digest), 0);
	/* sha512 digests are kept apart from sha256 ones */
	memset(&b, 0, sizeof(b));
	assert_int_equal(
	    drydock_digest_buffer(&b.digest, DRYDOCK_DIGEST_SHA512, "x", 1), 0);
	b.size = 1;
	assert_int_equal(drydock_state_record(s, &b), 0);
	assert_int_equal(drydock_state_lookup(&got, s, &b.digest), 0);
	assert_int_equal(got.digest.alg, DRYDOCK_DIGEST_SHA512);
	/* a digest without an algorithm is a programming error, reported */
	memset(&b, 0, sizeof(b));
	assert_int_equal(drydock_state_record(s, &b), DRYDOCK_ERROR);
	drydock_state_close(s);
}

/* The requirement: a modified blob is re-hashed, an unchanged not. */
static void
test_state__modified_blob_is_rehashed(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = open_state(f, 1);
	struct drydock_digest da, db, dc;
	char a[128], b[128], c[128], tmp[128];
	struct timeval tv[2];
	struct stat sb;

	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	snprintf(c, sizeof(c), "%s/c", f->dir);
	snprintf(tmp, sizeof(tmp), "%s/c.new", f->dir);
	write_text(a, "content a");
	write_text(b, "content b");
	write_text(c, "content c");
	digest_of(&da, "content a");
	digest_of(&db, "content b");
	digest_of(&dc, "content c");

	/* never verified: every blob must be hashed */
	assert_true(needs_hash(s, a, &da));
	assert_true(needs_hash(s, b, &db));
	assert_true(needs_hash(s, c, &dc));
	record_file(s, a, &da, 100);
	record_file(s, b, &db, 100);
	record_file(s, c, &dc, 100);
	assert_false(needs_hash(s, a, &da));
	assert_false(needs_hash(s, b, &db));
	assert_false(needs_hash(s, c, &dc));

	/* b is rewritten with the same size: a new mtime */
	assert_int_equal(stat(b, &sb), 0);
	write_text(b, "CONTENT B");
	tv[0].tv_sec = tv[1].tv_sec = sb.st_mtim.tv_sec + 7;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(b, tv), 0);
	assert_true(needs_hash(s, b, &db));

	/*
	 * c is replaced by another file with the same size and mtime (cp -p,
	 * a restore): only the inode tells.
	 */
	assert_int_equal(stat(c, &sb), 0);
	write_text(tmp, "CONTENT C");
	{
		struct timespec ts[2] = {sb.st_mtim, sb.st_mtim};

		assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	}
	assert_int_equal(rename(tmp, c), 0);
	assert_true(needs_hash(s, c, &dc));

	/* a grew: the size tells */
	{
		FILE *fp = fopen(a, "a");

		assert_non_null(fp);
		fputs("!", fp);
		fclose(fp);
	}
	assert_true(needs_hash(s, a, &da));
	drydock_state_close(s);
}

static void
test_state__unchanged_needs_verification(void **state)
{
	struct drydock_state_blob rec;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.size = 5;
	rec.mtime_ns = 10;
	rec.inode = 20;
	rec.verified = 1;
	assert_true(drydock_state_is_unchanged(&rec, 5, 10, 20));
	assert_false(drydock_state_is_unchanged(&rec, 6, 10, 20));
	assert_false(drydock_state_is_unchanged(&rec, 5, 11, 20));
	assert_false(drydock_state_is_unchanged(&rec, 5, 10, 21));
	rec.verified = 0; /* never verified: never unchanged */
	assert_false(drydock_state_is_unchanged(&rec, 5, 10, 20));
}

static void
test_state__bind_root(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = open_state(f, 1);
	struct drydock_state_blob b, got;
	int reset = -1;

	assert_int_equal(drydock_state_bind_root(s, "/srv/a", &reset), 0);
	assert_int_equal(reset, 0);
	memset(&b, 0, sizeof(b));
	digest_of(&b.digest, "x");
	b.verified = 1;
	assert_int_equal(drydock_state_record(s, &b), 0);
	assert_int_equal(drydock_state_bind_root(s, "/srv/a", &reset), 0);
	assert_int_equal(reset, 0);
	assert_int_equal(drydock_state_lookup(&got, s, &b.digest), 0);
	drydock_state_close(s);

	/* another root: the records of the first are forgotten */
	s = open_state(f, 0);
	assert_int_equal(drydock_state_bind_root(s, "/srv/b", &reset), 0);
	assert_int_equal(reset, 1);
	assert_int_equal(
	    drydock_state_lookup(&got, s, &b.digest), DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_state_bind_root(s, "/srv/b", NULL), 0);
	drydock_state_close(s);
}

struct order_ctx {
	int64_t last;
	int n;
	int stop_at;
};

static int
order_cb(const struct drydock_state_blob *b, void *payload)
{
	struct order_ctx *c = payload;

	assert_true(b->verified >= c->last);
	c->last = b->verified;
	if (++c->n == c->stop_at)
		return -321;
	return 0;
}

static void
test_state__foreach_least_recent_first(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = open_state(f, 1);
	struct drydock_state_blob b;
	struct order_ctx c = {0, 0, 0};
	char text[32];
	int i;

	assert_int_equal(drydock_state_begin(s), 0);
	for (i = 0; i < 50; i++) {
		memset(&b, 0, sizeof(b));
		snprintf(text, sizeof(text), "blob %d", i);
		digest_of(&b.digest, text);
		b.verified = (i * 37) % 11;
		assert_int_equal(drydock_state_record(s, &b), 0);
	}
	assert_int_equal(drydock_state_commit(s), 0);
	assert_int_equal(drydock_state_foreach(s, order_cb, &c), 0);
	assert_int_equal(c.n, 50);
	/* a callback's value stops the iteration and comes back unchanged */
	memset(&c, 0, sizeof(c));
	c.stop_at = 7;
	assert_int_equal(drydock_state_foreach(s, order_cb, &c), -321);
	assert_int_equal(c.n, 7);
	drydock_state_close(s);
}

static void
test_state__transaction_rollback_on_close(void **state)
{
	struct fixture *f = *state;
	struct drydock_state *s = open_state(f, 1);
	struct drydock_state_blob b, got;

	memset(&b, 0, sizeof(b));
	digest_of(&b.digest, "uncommitted");
	assert_int_equal(drydock_state_begin(s), 0);
	assert_int_equal(drydock_state_record(s, &b), 0);
	drydock_state_close(s); /* no commit */
	s = open_state(f, 0);
	assert_int_equal(
	    drydock_state_lookup(&got, s, &b.digest), DRYDOCK_ENOTFOUND);
	drydock_state_close(s);
}

static void
test_state__slice_parse(void **state)
{
	unsigned k = 0, n = 0;

	(void)state;
	assert_int_equal(drydock_state_slice_parse(&k, &n, "1/7"), 0);
	assert_int_equal(k, 1);
	assert_int_equal(n, 7);
	assert_int_equal(drydock_state_slice_parse(&k, &n, "7/7"), 0);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "0/7"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "8/7"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "1/0"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "7"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "1/7x"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "-1/7"), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_state_slice_parse(&k, &n, "/7"), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_state_slice_parse(&k, &n, "1/99999999999"),
	    DRYDOCK_ECORRUPT);
}

/*
 * Rotation: with a share of 1/N, N runs (each verifying what it chose, and
 * so making it the most recent) cover every blob, and each run takes at
 * least 1/N of the bytes.
 */
static void
check_rotation(const uint64_t *sizes, size_t count, unsigned n)
{
	struct drydock_state_cand *c = calloc(count, sizeof(*c));
	int64_t *verified = calloc(count, sizeof(*verified));
	int *seen = calloc(count, sizeof(*seen));
	uint64_t total = 0, got;
	size_t i, chosen;
	unsigned run;

	assert_non_null(c);
	assert_non_null(verified);
	assert_non_null(seen);
	for (i = 0; i < count; i++)
		total += sizes[i];
	for (run = 1; run <= n; run++) {
		for (i = 0; i < count; i++) {
			c[i].index = (uint32_t)i;
			c[i].size = sizes[i];
			c[i].verified = verified[i];
			c[i].selected = -1;
		}
		chosen = drydock_state_slice_select(c, count, 1, n);
		assert_true(chosen >= 1);
		got = 0;
		for (i = 0; i < count; i++) {
			assert_true(c[i].selected == 0 || c[i].selected == 1);
			if (!c[i].selected)
				continue;
			got += c[i].size;
			seen[c[i].index] = 1;
			verified[c[i].index] = 1000 + run;
		}
		assert_true(got * n >= total);
	}
	for (i = 0; i < count; i++)
		assert_int_equal(seen[i], 1);
	free(c);
	free(verified);
	free(seen);
}

static void
test_state__slice_rotation_covers_all(void **state)
{
	static const uint64_t equal[] = {
	    10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
	static const uint64_t skewed[] = {
	    1000000, 1, 2, 3, 0, 5, 700, 700, 0, 9, 3000, 1};
	uint64_t many[997];
	struct drydock_state_cand one = {0, 5, 0, 0};
	size_t i;

	(void)state;
	check_rotation(equal, sizeof(equal) / sizeof(*equal), 7);
	check_rotation(skewed, sizeof(skewed) / sizeof(*skewed), 7);
	check_rotation(skewed, sizeof(skewed) / sizeof(*skewed), 3);
	for (i = 0; i < sizeof(many) / sizeof(*many); i++)
		many[i] = (i * 7919) % 65536;
	check_rotation(many, sizeof(many) / sizeof(*many), 7);
	check_rotation(many, sizeof(many) / sizeof(*many), 30);
	/* nothing to choose from, and a share of everything */
	assert_int_equal(drydock_state_slice_select(NULL, 0, 1, 7), 0);
	assert_int_equal(drydock_state_slice_select(&one, 1, 7, 7), 1);
	assert_int_equal(one.selected, 1);
}

static void
test_state__slice_least_recent_first(void **state)
{
	struct drydock_state_cand c[4] = {
	    {300, 10, 0, 0}, {100, 10, 1, 0}, {200, 10, 2, 0}, {0, 10, 3, 0}};
	size_t i;

	(void)state;
	/* half of 40 bytes: the never-verified one and the oldest */
	assert_int_equal(drydock_state_slice_select(c, 4, 1, 2), 2);
	for (i = 0; i < 4; i++) {
		if (c[i].index == 3 || c[i].index == 1)
			assert_int_equal(c[i].selected, 1);
		else
			assert_int_equal(c[i].selected, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_state__open_create_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__not_a_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__record_lookup_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__modified_blob_is_rehashed, setup, teardown),
	    cmocka_unit_test(test_state__unchanged_needs_verification),
	    cmocka_unit_test_setup_teardown(
	        test_state__bind_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__foreach_least_recent_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_state__transaction_rollback_on_close, setup, teardown),
	    cmocka_unit_test(test_state__slice_parse),
	    cmocka_unit_test(test_state__slice_rotation_covers_all),
	    cmocka_unit_test(test_state__slice_least_recent_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
