/* SPDX-License-Identifier: MIT */
/*
 * journal.c --- the SQLite journal of a quarantine directory.
 *
 * Durability: the database runs in WAL mode (rollback journal where WAL is
 * unavailable) with synchronous=FULL, so a statement run outside
 * drydock_journal_begin()/commit() is on disk when its function returns,
 * and a batch is on disk when drydock_journal_commit() returns.  A caller
 * moves a file only after its PLANNED entry is durable; after a crash, a
 * PLANNED entry means "maybe moved" and the file is looked for in both
 * places.
 *
 * The column "time" holds the time of the entry's last change of state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include <drydock/errors.h>
#include <drydock/journal.h>

#include "sqldb_int.h"

/* "dDjr": marks the file as a drydock journal (PRAGMA application_id). */
#define JOURNAL_APP_ID 0x64446a72
#define JOURNAL_SCHEMA 1
#define FOREACH_BATCH 256
#define STR_(x) #x
#define STR(x) STR_(x)

static const char schema_sql[] =
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " root TEXT NOT NULL,"
    " started INTEGER NOT NULL,"
    " ended INTEGER,"
    " dry_run INTEGER NOT NULL,"
    " exit_code INTEGER);"
    "CREATE TABLE entries ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id),"
    " root TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " path TEXT NOT NULL,"
    " qname TEXT NOT NULL,"
    " digest TEXT,"
    " size INTEGER NOT NULL,"
    " reason TEXT,"
    " state INTEGER NOT NULL,"
    " time INTEGER NOT NULL);"
    "CREATE INDEX entries_state ON entries(state, id);";

static const struct drydock_sqldb_kind journal_kind = {
    .noun = "journal",
    .what = "a drydock journal",
    .app_id = JOURNAL_APP_ID,
    .version = JOURNAL_SCHEMA,
    .schema = schema_sql,
    /*
     * WAL where the file system allows it; the pragma quietly keeps the
     * rollback journal where it does not.  FULL syncs on every commit in
     * either mode.
     */
    .pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
               " PRAGMA foreign_keys = ON",
};

struct drydock_journal {
	struct drydock_sqldb db;
	sqlite3_stmt *plan;
	sqlite3_stmt *set_state;
	sqlite3_stmt *forget;
};

static int
prepare_all(struct drydock_journal *j)
{
	int error;

	if ((error = drydock_sqldb__prepare(&j->db, &j->plan,
	         "INSERT INTO entries (run, root, kind, path, qname, digest,"
	         " size, reason, state, time) VALUES (?1,"
	         " coalesce(?2, (SELECT root FROM runs WHERE id = ?1)),"
	         " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) < 0 ||
	    (error = drydock_sqldb__prepare(&j->db, &j->set_state,
	         "UPDATE entries SET state = ?2, time = ?3 WHERE id = ?1")) <
	        0 ||
	    (error = drydock_sqldb__prepare(&j->db, &j->forget,
	         "DELETE FROM entries WHERE id = ?1 AND state = ?2")) < 0)
		return error;
	return 0;
}

int
drydock_journal_open(struct drydock_journal **out, const char *path, int create)
{
	struct drydock_journal *j = NULL;
	int error;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_sqldb__open(&j->db, path, create, &journal_kind)) <
	        0 ||
	    (error = prepare_all(j)) < 0)
		goto out;
	*out = j;
	j = NULL;
out:
	drydock_journal_close(j);
	return error;
}

void
drydock_journal_close(struct drydock_journal *j)
{
	if (j == NULL)
		return;
	sqlite3_finalize(j->plan);
	sqlite3_finalize(j->set_state);
	sqlite3_finalize(j->forget);
	drydock_sqldb__close(&j->db);
	free(j);
}

int
drydock_journal_begin_run(
    struct drydock_journal *j, const char *root, int dry_run, int64_t *run_out)
{
	sqlite3_stmt *st = NULL;
	int error;

	if (root == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "a journal run needs a storage root");
		return DRYDOCK_ERROR;
	}
	if (sqlite3_prepare_v2(j->db.db,
	        "INSERT INTO runs (root, started, dry_run) VALUES (?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK)
		return drydock_sqldb__error(&j->db, "cannot record a run");
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 3, dry_run != 0);
	if ((error = drydock_sqldb__step_done(
	         &j->db, st, "cannot record a run")) == 0)
		*run_out = sqlite3_last_insert_rowid(j->db.db);
	sqlite3_finalize(st);
	return error;
}

int
drydock_journal_end_run(struct drydock_journal *j, int64_t run, int exit_code)
{
	sqlite3_stmt *st = NULL;
	int error;

	if (sqlite3_prepare_v2(j->db.db,
	        "UPDATE runs SET ended = ?2, exit_code = ?3 WHERE id = ?1", -1,
	        &st, NULL) != SQLITE_OK)
		return drydock_sqldb__error(&j->db, "cannot end a run");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 3, exit_code);
	error = drydock_sqldb__step_done(&j->db, st, "cannot end a run");
	if (error == 0 && sqlite3_changes(j->db.db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no run %lld", j->db.path, (long long)run);
		error = DRYDOCK_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return error;
}

static int
run_exists(struct drydock_journal *j, int64_t run, int *exists)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	if (sqlite3_prepare_v2(j->db.db, "SELECT 1 FROM runs WHERE id = ?", -1,
	        &st, NULL) != SQLITE_OK)
		return drydock_sqldb__error(&j->db, "cannot look up a run");
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*exists = rc == SQLITE_ROW;
	else
		error = drydock_sqldb__error(&j->db, "cannot look up a run");
	sqlite3_finalize(st);
	return error;
}

int
drydock_journal_plan(struct drydock_journal *j, int64_t run,
    const struct drydock_journal_entry *e, int64_t *id_out)
{
	sqlite3_stmt *st = j->plan;
	int error, exists = 0;

	if (e->kind == NULL || e->path == NULL || e->qname == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "a journal entry needs a kind, a path and a qname");
		return DRYDOCK_ERROR;
	}
	if ((error = run_exists(j, run, &exists)) < 0)
		return error;
	if (!exists) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no run %lld", j->db.path, (long long)run);
		return DRYDOCK_ENOTFOUND;
	}
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, e->root, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, e->size);
	sqlite3_bind_text(st, 8, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, DRYDOCK_JOURNAL_PLANNED);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	if ((error = drydock_sqldb__step_done(
	         &j->db, st, "cannot record a planned move")) < 0)
		return error;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(j->db.db);
	return 0;
}

static int
state_ok(int state)
{
	return state == DRYDOCK_JOURNAL_PLANNED ||
	    state == DRYDOCK_JOURNAL_MOVED || state == DRYDOCK_JOURNAL_RESTORED;
}

int
drydock_journal_set_state(struct drydock_journal *j, int64_t id, int state)
{
	sqlite3_stmt *st = j->set_state;
	int error;

	if (!state_ok(state)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "invalid journal state %d", state);
		return DRYDOCK_ERROR;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	if ((error = drydock_sqldb__step_done(
	         &j->db, st, "cannot update an entry")) < 0)
		return error;
	if (sqlite3_changes(j->db.db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no entry %lld", j->db.path,
		    (long long)id);
		return DRYDOCK_ENOTFOUND;
	}
	return 0;
}

int
drydock_journal_forget(struct drydock_journal *j, int64_t id)
{
	sqlite3_stmt *st = j->forget;
	int error;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, DRYDOCK_JOURNAL_PLANNED);
	if ((error = drydock_sqldb__step_done(
	         &j->db, st, "cannot forget an entry")) < 0)
		return error;
	if (sqlite3_changes(j->db.db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no planned entry %lld", j->db.path,
		    (long long)id);
		return DRYDOCK_ENOTFOUND;
	}
	return 0;
}

int
drydock_journal_begin(struct drydock_journal *j)
{
	return drydock_sqldb__exec(
	    &j->db, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

int
drydock_journal_commit(struct drydock_journal *j)
{
	return drydock_sqldb__exec(&j->db, "COMMIT", "cannot commit");
}

/*
 * foreach reads a batch of rows by id (keyset pagination), ends the
 * statement, and only then calls the callback for each row.  No read
 * transaction stays open while callbacks run, so a long restore that
 * calls drydock_journal_set_state() on every entry lets WAL checkpoints
 * proceed and the -wal file stay small; and rows updated by a callback
 * cannot come back in a later step, as they may while a statement is
 * stepping through the index they change.
 */
struct row {
	struct drydock_journal_entry e;
	char *strings; /* one allocation behind every string of e */
};

static char *
copy_col(sqlite3_stmt *st, int col, char **p)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	size_t n;
	char *s = *p;

	if (v == NULL)
		return NULL;
	n = (size_t)sqlite3_column_bytes(st, col);
	memcpy(s, v, n);
	s[n] = '\0';
	*p = s + n + 1;
	return s;
}

static int
read_row(struct row *r, sqlite3_stmt *st)
{
	size_t total = 0;
	char *p;
	int col;

	/* Columns 2..7 are the strings; text() before bytes() as advised. */
	for (col = 2; col <= 7; col++) {
		(void)sqlite3_column_text(st, col);
		total += (size_t)sqlite3_column_bytes(st, col) + 1;
	}
	if ((p = r->strings = malloc(total)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	r->e.id = sqlite3_column_int64(st, 0);
	r->e.run = sqlite3_column_int64(st, 1);
	r->e.root = copy_col(st, 2, &p);
	r->e.kind = copy_col(st, 3, &p);
	r->e.path = copy_col(st, 4, &p);
	r->e.qname = copy_col(st, 5, &p);
	r->e.digest = copy_col(st, 6, &p);
	r->e.reason = copy_col(st, 7, &p);
	r->e.size = sqlite3_column_int64(st, 8);
	r->e.state = sqlite3_column_int(st, 9);
	return 0;
}

/* Read up to FOREACH_BATCH rows after *cursor into rows; *n gets the count. */
static int
read_batch(struct drydock_journal *j, sqlite3_stmt *st, int64_t cursor,
    struct row *rows, size_t *n)
{
	int rc = SQLITE_DONE, error = 0;

	*n = 0;
	sqlite3_bind_int64(st, 2, cursor);
	while (*n < FOREACH_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((error = read_row(&rows[*n], st)) < 0)
			break;
		(*n)++;
	}
	if (error == 0 && *n < FOREACH_BATCH && rc != SQLITE_DONE)
		error = drydock_sqldb__error(&j->db, "cannot read entries");
	sqlite3_reset(st);
	return error;
}

static int
call_batch(struct row *rows, size_t n, drydock_journal_cb cb, void *payload)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		drydock_error_clear();
		if ((rc = cb(&rows[i].e, payload)) != 0) {
			if (rc < 0 && drydock_error_message()[0] == '\0')
				drydock_error_set(DRYDOCK_ERRCLASS_CALLBACK,
				    "journal callback returned %d", rc);
			return rc;
		}
	}
	return 0;
}

int
drydock_journal_foreach(struct drydock_journal *j, int state, int reverse,
    drydock_journal_cb cb, void *payload)
{
	static const char fwd[] =
	    "SELECT id, run, root, kind, path, qname, digest, reason, size,"
	    " state FROM entries WHERE state = ?1 AND id > ?2"
	    " ORDER BY id LIMIT " STR(FOREACH_BATCH);
	static const char rev[] =
	    "SELECT id, run, root, kind, path, qname, digest, reason, size,"
	    " state FROM entries WHERE state = ?1 AND id < ?2"
	    " ORDER BY id DESC LIMIT " STR(FOREACH_BATCH);
	struct row *rows = NULL;
	sqlite3_stmt *st = NULL;
	int64_t cursor = reverse ? INT64_MAX : 0;
	size_t n = 0, i;
	int error = 0;

	if (!state_ok(state)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "invalid journal state %d", state);
		return DRYDOCK_ERROR;
	}
	if ((rows = calloc(FOREACH_BATCH, sizeof(*rows))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if (sqlite3_prepare_v2(j->db.db, reverse ? rev : fwd, -1, &st, NULL) !=
	    SQLITE_OK) {
		error = drydock_sqldb__error(&j->db, "cannot read entries");
		goto out;
	}
	sqlite3_bind_int(st, 1, state);
	do {
		if ((error = read_batch(j, st, cursor, rows, &n)) < 0 || n == 0)
			break;
		cursor = rows[n - 1].e.id;
		error = call_batch(rows, n, cb, payload);
		for (i = 0; i < n; i++) {
			free(rows[i].strings);
			rows[i].strings = NULL;
		}
		n = 0;
	} while (error == 0);
out:
	for (i = 0; i < n; i++)
		free(rows[i].strings);
	sqlite3_finalize(st);
	free(rows);
	return error;
}
