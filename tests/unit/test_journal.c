/* SPDX-License-Identifier: MIT */
/* test_journal.c --- the SQLite quarantine journal. */
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include <drydock/errors.h>
#include <drydock/journal.h>

struct fixture {
	char dir[64];
	char path[128];
	struct drydock_journal *j;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-journal-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/journal.sqlite", f->dir);
	*state = f;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	drydock_journal_close(f->j);
	rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* Open the fixture's journal, creating it. */
static struct drydock_journal *
open_new(struct fixture *f)
{
	int rc = drydock_journal_open(&f->j, f->path, 1);

	if (rc != 0)
		fail_msg("open failed (%d): %s", rc, drydock_error_message());
	return f->j;
}

static int64_t
plan(struct drydock_journal *j, int64_t run, const char *path,
    const char *digest)
{
	struct drydock_journal_entry e = {0};
	char qname[64];
	int64_t id = -1;
	int rc;

	snprintf(qname, sizeof(qname), "q-%s", path);
	e.kind = "blob";
	e.path = path;
	e.qname = qname;
	e.digest = digest;
	e.size = 42;
	e.reason = "unreferenced";
	rc = drydock_journal_plan(j, run, &e, &id);
	if (rc != 0)
		fail_msg("plan failed (%d): %s", rc, drydock_error_message());
	assert_true(id > 0);
	return id;
}

/* What a foreach saw: copies, since entries are borrowed. */
struct seen {
	int64_t ids[4096];
	size_t n;
	struct drydock_journal *j; /* set_state to this in the callback */
	int new_state;
	size_t stop_at;
	int stop_rc;
	struct drydock_journal_entry first;
	char first_root[64], first_path[64], first_digest[80];
};

static int
seen_cb(const struct drydock_journal_entry *e, void *payload)
{
	struct seen *s = payload;

	assert_true(s->n < sizeof(s->ids) / sizeof(s->ids[0]));
	if (s->n == 0) {
		s->first = *e;
		snprintf(s->first_root, sizeof(s->first_root), "%s", e->root);
		snprintf(s->first_path, sizeof(s->first_path), "%s", e->path);
		snprintf(s->first_digest, sizeof(s->first_digest), "%s",
		    e->digest != NULL ? e->digest : "(null)");
	}
	s->ids[s->n++] = e->id;
	if (s->j != NULL)
		assert_int_equal(
		    drydock_journal_set_state(s->j, e->id, s->new_state), 0);
	if (s->stop_at != 0 && s->n == s->stop_at)
		return s->stop_rc;
	return 0;
}

static void
test_journal__open_missing(void **state)
{
	struct fixture *f = *state;

	drydock_error_clear();
	assert_int_equal(
	    drydock_journal_open(&f->j, f->path, 0), DRYDOCK_ENOTFOUND);
	assert_null(f->j);
	assert_non_null(strstr(drydock_error_message(), f->path));
	assert_int_equal(access(f->path, F_OK), -1);
	open_new(f);
	assert_int_equal(access(f->path, F_OK), 0);
	drydock_journal_close(f->j);
	f->j = NULL;
	/* Now it exists: opening without create works. */
	assert_int_equal(drydock_journal_open(&f->j, f->path, 0), 0);
	drydock_journal_close(NULL);
}

static void
test_journal__roundtrip(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	struct drydock_journal_entry e = {0};
	struct seen s = {0};
	int64_t run = 0, id = 0;

	assert_int_equal(drydock_journal_begin_run(j, "/srv/root", 0, &run), 0);
	assert_true(run > 0);
	e.root = "/other/root";
	e.kind = "layer-link";
	e.path = "repositories/a/_layers/sha256/ab/link";
	e.qname = "000001-link";
	e.digest = "sha256:abcd";
	e.size = 71;
	e.reason = "dangling";
	e.state = DRYDOCK_JOURNAL_RESTORED; /* plan records PLANNED anyway */
	e.run = 999; /* and the run given apart */
	assert_int_equal(drydock_journal_plan(j, run, &e, &id), 0);
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_PLANNED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 1);
	assert_true(s.first.id == id);
	assert_true(s.first.run == run);
	assert_string_equal(s.first_root, "/other/root");
	assert_string_equal(s.first_path, e.path);
	assert_string_equal(s.first_digest, "sha256:abcd");
	assert_true(s.first.size == 71);
	assert_int_equal(s.first.state, DRYDOCK_JOURNAL_PLANNED);

	/* No root, digest or reason: the run's root, and NULLs. */
	memset(&e, 0, sizeof(e));
	e.kind = "revision";
	e.path = "p";
	e.qname = "q";
	memset(&s, 0, sizeof(s));
	assert_int_equal(drydock_journal_plan(j, run, &e, NULL), 0);
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_PLANNED, 1, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.first_root, "/srv/root");
	assert_string_equal(s.first_digest, "(null)");
	assert_null(s.first.reason);
	assert_true(s.first.size == 0);
}

static void
test_journal__states_and_order(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	struct seen s = {0};
	int64_t run1, run2, ids[6];
	char path[16];
	int i;

	assert_int_equal(drydock_journal_begin_run(j, "/r1", 0, &run1), 0);
	assert_int_equal(drydock_journal_begin_run(j, "/r2", 1, &run2), 0);
	assert_true(run2 > run1);
	for (i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "p%d", i);
		ids[i] = plan(j, i % 2 ? run2 : run1, path, NULL);
		if (i > 0)
			assert_true(ids[i] > ids[i - 1]);
	}
	assert_int_equal(
	    drydock_journal_set_state(j, ids[1], DRYDOCK_JOURNAL_MOVED), 0);
	assert_int_equal(
	    drydock_journal_set_state(j, ids[4], DRYDOCK_JOURNAL_MOVED), 0);
	assert_int_equal(
	    drydock_journal_set_state(j, ids[2], DRYDOCK_JOURNAL_MOVED), 0);
	assert_int_equal(
	    drydock_journal_set_state(j, ids[2], DRYDOCK_JOURNAL_RESTORED), 0);

	/* MOVED, all runs, in recording order, then reversed. */
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_MOVED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 2);
	assert_true(s.ids[0] == ids[1] && s.ids[1] == ids[4]);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_MOVED, 1, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 2);
	assert_true(s.ids[0] == ids[4] && s.ids[1] == ids[1]);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_PLANNED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 3);
	assert_true(
	    s.ids[0] == ids[0] && s.ids[1] == ids[3] && s.ids[2] == ids[5]);
	memset(&s, 0, sizeof(s));
	assert_int_equal(drydock_journal_foreach(
	                     j, DRYDOCK_JOURNAL_RESTORED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 1);
	assert_true(s.ids[0] == ids[2]);
	assert_true(s.first.run == run1);
}

static void
test_journal__errors(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	struct drydock_journal_entry e = {0};
	struct seen s = {0};
	int64_t run, id;

	assert_int_equal(drydock_journal_begin_run(j, "/r", 0, &run), 0);
	e.kind = "blob";
	e.path = "p";
	e.qname = "q";
	drydock_error_clear();
	assert_int_equal(
	    drydock_journal_plan(j, run + 1, &e, &id), DRYDOCK_ENOTFOUND);
	assert_non_null(strstr(drydock_error_message(), "no run"));
	e.qname = NULL;
	assert_int_equal(drydock_journal_plan(j, run, &e, &id), DRYDOCK_ERROR);
	e.qname = "q";
	id = plan(j, run, "p", NULL);
	assert_int_equal(
	    drydock_journal_set_state(j, id + 1, DRYDOCK_JOURNAL_MOVED),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_journal_set_state(j, id, 7), DRYDOCK_ERROR);
	assert_int_equal(drydock_journal_set_state(j, id, -1), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_journal_end_run(j, run + 5, 0), DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_journal_end_run(j, run, 4), 0);
	assert_int_equal(
	    drydock_journal_begin_run(j, NULL, 0, &run), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_journal_foreach(j, 3, 0, seen_cb, &s), DRYDOCK_ERROR);
	assert_int_equal(s.n, 0);
	/* COMMIT without BEGIN is an SQLite error, translated. */
	drydock_error_clear();
	assert_int_equal(drydock_journal_commit(j), DRYDOCK_ERROR);
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_SQLITE);
	assert_non_null(strstr(drydock_error_message(), "no transaction"));
}

static void
test_journal__callback_stops(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	struct seen s = {0};
	int64_t run;
	char path[16];
	int i;

	assert_int_equal(drydock_journal_begin_run(j, "/r", 0, &run), 0);
	assert_int_equal(drydock_journal_begin(j), 0);
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "p%d", i);
		plan(j, run, path, NULL);
	}
	assert_int_equal(drydock_journal_commit(j), 0);
	s.stop_at = 300; /* in the second batch */
	s.stop_rc = -321;
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_PLANNED, 0, seen_cb, &s),
	    -321);
	assert_int_equal(s.n, 300);
	assert_int_equal(
	    drydock_error_last()->klass, DRYDOCK_ERRCLASS_CALLBACK);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.stop_rc = 7;
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_PLANNED, 1, seen_cb, &s),
	    7);
	assert_int_equal(s.n, 1);
}

/*
 * The restore loop: visit MOVED entries newest first and mark each
 * RESTORED from inside the callback, over several batches.  Every entry
 * is visited once and every change is committed at once.
 */
static void
test_journal__set_state_in_callback(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	static struct seen s;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t run, ids[600];
	char path[16];
	size_t i;

	assert_int_equal(drydock_journal_begin_run(j, "/r", 0, &run), 0);
	assert_int_equal(drydock_journal_begin(j), 0);
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "p%zu", i);
		ids[i] = plan(j, run, path, NULL);
		assert_int_equal(
		    drydock_journal_set_state(j, ids[i], DRYDOCK_JOURNAL_MOVED),
		    0);
	}
	assert_int_equal(drydock_journal_commit(j), 0);
	memset(&s, 0, sizeof(s));
	s.j = j;
	s.new_state = DRYDOCK_JOURNAL_RESTORED;
	s.stop_at = 400;
	s.stop_rc = 1; /* "crash" part way, in the second batch */
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_MOVED, 1, seen_cb, &s),
	    1);
	assert_int_equal(s.n, 400);
	for (i = 0; i < 400; i++)
		assert_true(s.ids[i] == ids[599 - i]);
	/* Another connection sees the 400 changes already. */
	assert_int_equal(
	    sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	        "SELECT count(*) FROM entries WHERE state = 2", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 400);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Resume: the remaining 200, oldest last. */
	memset(&s, 0, sizeof(s));
	s.j = j;
	s.new_state = DRYDOCK_JOURNAL_RESTORED;
	assert_int_equal(
	    drydock_journal_foreach(j, DRYDOCK_JOURNAL_MOVED, 1, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 200);
	assert_true(s.ids[0] == ids[199] && s.ids[199] == ids[0]);
	memset(&s, 0, sizeof(s));
	assert_int_equal(drydock_journal_foreach(
	                     j, DRYDOCK_JOURNAL_RESTORED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 600);
	for (i = 0; i < 600; i++)
		assert_true(s.ids[i] == ids[i]);
}

static int64_t
count_entries(const char *path, const char *where)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM entries %s", where);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * A child records entries and dies without closing (as in a crash right
 * before it would move the file).  What it planned outside a transaction,
 * or committed, is there; an uncommitted batch is not.
 */
static void
test_journal__crash_after_plan(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = NULL;
	struct seen s = {0};
	int64_t run;
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (drydock_journal_open(&j, f->path, 1) != 0 ||
		    drydock_journal_begin_run(j, "/r", 0, &run) != 0)
			_exit(2);
		plan(j, run, "durable", "sha256:aa");
		if (drydock_journal_begin(j) != 0)
			_exit(3);
		plan(j, run, "committed", NULL);
		if (drydock_journal_commit(j) != 0 ||
		    drydock_journal_begin(j) != 0)
			_exit(4);
		plan(j, run, "lost", NULL);
		_exit(0); /* no commit, no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(drydock_journal_open(&f->j, f->path, 0), 0);
	assert_int_equal(drydock_journal_foreach(
	                     f->j, DRYDOCK_JOURNAL_PLANNED, 0, seen_cb, &s),
	    0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.first_path, "durable");
	assert_true(count_entries(f->path, "WHERE path = 'lost'") == 0);
	assert_true(count_entries(f->path, "WHERE path = 'committed'") == 1);
}

/* Inside a batch, nothing is visible to others until commit. */
static void
test_journal__batch_visible_at_commit(void **state)
{
	struct fixture *f = *state;
	struct drydock_journal *j = open_new(f);
	int64_t run;

	assert_int_equal(drydock_journal_begin_run(j, "/r", 0, &run), 0);
	plan(j, run, "a", NULL);
	assert_true(count_entries(f->path, "") == 1);
	assert_int_equal(drydock_journal_begin(j), 0);
	plan(j, run, "b", NULL);
	plan(j, run, "c", NULL);
	assert_true(count_entries(f->path, "") == 1);
	assert_int_equal(drydock_journal_commit(j), 0);
	assert_true(count_entries(f->path, "") == 3);
}

static void
test_journal__wal_mode(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	open_new(f);
	assert_int_equal(
	    sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Make path an SQLite database by running sql on it. */
static void
make_db(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_journal__foreign_files(void **state)
{
	struct fixture *f = *state;
	char link[160];
	FILE *fp;

	/* Another application's database is left alone. */
	make_db(f->path, "CREATE TABLE t (x)");
	drydock_error_clear();
	assert_int_equal(
	    drydock_journal_open(&f->j, f->path, 1), DRYDOCK_ECORRUPT);
	assert_non_null(
	    strstr(drydock_error_message(), "not a drydock journal"));
	assert_int_equal(remove(f->path), 0);

	/* A journal from a newer drydock. */
	open_new(f);
	drydock_journal_close(f->j);
	f->j = NULL;
	make_db(f->path, "PRAGMA user_version = 2");
	assert_int_equal(
	    drydock_journal_open(&f->j, f->path, 0), DRYDOCK_EUNSUPPORTED);
	assert_int_equal(remove(f->path), 0);

	/* Not a database at all. */
	assert_non_null(fp = fopen(f->path, "w"));
	fputs("this is not an SQLite database, but it is long enough to "
	      "have a header that SQLite reads and rejects as such.\n",
	    fp);
	fclose(fp);
	drydock_error_clear();
	assert_int_equal(
	    drydock_journal_open(&f->j, f->path, 0), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_SQLITE);
	assert_int_equal(remove(f->path), 0);

	/* A symbolic link is not followed. */
	open_new(f);
	drydock_journal_close(f->j);
	f->j = NULL;
	snprintf(link, sizeof(link), "%s/link.sqlite", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_true(drydock_journal_open(&f->j, link, 0) < 0);
	assert_null(f->j);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_journal__open_missing),
	    T(test_journal__roundtrip),
	    T(test_journal__states_and_order),
	    T(test_journal__errors),
	    T(test_journal__callback_stops),
	    T(test_journal__set_state_in_callback),
	    T(test_journal__crash_after_plan),
	    T(test_journal__batch_visible_at_commit),
	    T(test_journal__wal_mode),
	    T(test_journal__foreign_files),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
