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

/* "dDjr": marks the file as a drydock journal (PRAGMA application_id). */
#define JOURNAL_APP_ID 0x64446a72
#define JOURNAL_SCHEMA 1
#define BUSY_TIMEOUT_MS 5000
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

struct drydock_journal {
	sqlite3 *db;
	sqlite3_stmt *plan;
	sqlite3_stmt *set_state;
	sqlite3_stmt *forget;
	char *path;
};

/*
 * The one place where SQLite errors become libdrydock errors: the message
 * comes from sqlite3_errmsg() and the code from the extended result code.
 */
static int
sql_error(sqlite3 *db, const char *what, const char *path)
{
	int rc = sqlite3_extended_errcode(db);

	drydock_error_set(DRYDOCK_ERRCLASS_SQLITE, "%s in journal '%s': %s",
	    what, path, sqlite3_errmsg(db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DRYDOCK_ELOCKED;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return DRYDOCK_ECORRUPT;
	case SQLITE_CANTOPEN:
		return sqlite3_system_errno(db) == ENOENT ? DRYDOCK_ENOTFOUND
		                                          : DRYDOCK_ERROR;
	default:
		return DRYDOCK_ERROR;
	}
}

static int
exec(struct drydock_journal *j, const char *sql, const char *what)
{
	if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_error(j->db, what, j->path);
	return 0;
}

/* Run a query that yields one integer. */
static int
query_int(struct drydock_journal *j, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_error(j->db, "cannot read the schema", j->path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		error = sql_error(j->db, "cannot read the schema", j->path);
	sqlite3_finalize(st);
	return error;
}

static int
create_schema(struct drydock_journal *j)
{
	char sql[128];
	int error;

	if ((error = exec(j, "BEGIN IMMEDIATE", "cannot create schema")) < 0)
		return error;
	snprintf(sql, sizeof(sql),
	    "PRAGMA application_id = %d; PRAGMA user_version = %d",
	    JOURNAL_APP_ID, JOURNAL_SCHEMA);
	if ((error = exec(j, schema_sql, "cannot create schema")) < 0 ||
	    (error = exec(j, sql, "cannot create schema")) < 0 ||
	    (error = exec(j, "COMMIT", "cannot create schema")) < 0) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return error;
	}
	return 0;
}

/* Create the schema in a new file; check the schema of an existing one. */
static int
check_schema(struct drydock_journal *j)
{
	int64_t app, version, tables;
	int error;

	if ((error = query_int(j, "PRAGMA application_id", &app)) < 0 ||
	    (error = query_int(j, "PRAGMA user_version", &version)) < 0 ||
	    (error = query_int(
	         j, "SELECT count(*) FROM sqlite_master", &tables)) < 0)
		return error;
	if (app == 0 && version == 0 && tables == 0)
		return create_schema(j);
	if (app != JOURNAL_APP_ID) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "'%s' is not a drydock journal", j->path);
		return DRYDOCK_ECORRUPT;
	}
	if (version != JOURNAL_SCHEMA) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has schema version %lld; this drydock "
		    "knows version %d",
		    j->path, (long long)version, JOURNAL_SCHEMA);
		return DRYDOCK_EUNSUPPORTED;
	}
	return 0;
}

static int
prepare(struct drydock_journal *j, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	        NULL) != SQLITE_OK)
		return sql_error(j->db, "cannot prepare a statement", j->path);
	return 0;
}

static int
setup(struct drydock_journal *j)
{
	int error;

	sqlite3_extended_result_codes(j->db, 1);
	sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
	/*
	 * WAL where the file system allows it; the pragma quietly keeps
	 * the rollback journal where it does not.  FULL syncs on every
	 * commit in either mode.
	 */
	if ((error = exec(j, "PRAGMA journal_mode = WAL",
	         "cannot set journal mode")) < 0 ||
	    (error = exec(j, "PRAGMA synchronous = FULL",
	         "cannot set synchronous mode")) < 0 ||
	    (error = exec(j, "PRAGMA foreign_keys = ON",
	         "cannot enable foreign keys")) < 0)
		return error;
	if ((error = check_schema(j)) < 0)
		return error;
	if ((error = prepare(j, &j->plan,
	         "INSERT INTO entries (run, root, kind, path, qname, digest,"
	         " size, reason, state, time) VALUES (?1,"
	         " coalesce(?2, (SELECT root FROM runs WHERE id = ?1)),"
	         " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) < 0 ||
	    (error = prepare(j, &j->set_state,
	         "UPDATE entries SET state = ?2, time = ?3 WHERE id = ?1")) <
	        0 ||
	    (error = prepare(j, &j->forget,
	         "DELETE FROM entries WHERE id = ?1 AND state = ?2")) < 0)
		return error;
	return 0;
}

int
drydock_journal_open(struct drydock_journal **out, const char *path, int create)
{
	struct drydock_journal *j = NULL;
	struct stat st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, error = 0;

	if (!create && lstat(path, &st) < 0) {
		drydock_error_set_os("cannot open journal '%s'", path);
		return errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK) {
		if (j->db == NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
			    "cannot open journal '%s': out of memory", path);
			error = DRYDOCK_ERROR;
		} else
			error = sql_error(j->db, "cannot open", path);
		goto out;
	}
	if ((error = setup(j)) < 0)
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
	/* An open transaction is rolled back. */
	sqlite3_close_v2(j->db);
	free(j->path);
	free(j);
}

/* Step a write statement to its end, then reset it. */
static int
step_done(struct drydock_journal *j, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), error = 0;

	if (rc != SQLITE_DONE)
		error = sql_error(j->db, what, j->path);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
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
	if (sqlite3_prepare_v2(j->db,
	        "INSERT INTO runs (root, started, dry_run) VALUES (?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK)
		return sql_error(j->db, "cannot record a run", j->path);
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 3, dry_run != 0);
	if ((error = step_done(j, st, "cannot record a run")) == 0)
		*run_out = sqlite3_last_insert_rowid(j->db);
	sqlite3_finalize(st);
	return error;
}

int
drydock_journal_end_run(struct drydock_journal *j, int64_t run, int exit_code)
{
	sqlite3_stmt *st = NULL;
	int error;

	if (sqlite3_prepare_v2(j->db,
	        "UPDATE runs SET ended = ?2, exit_code = ?3 WHERE id = ?1", -1,
	        &st, NULL) != SQLITE_OK)
		return sql_error(j->db, "cannot end a run", j->path);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 3, exit_code);
	error = step_done(j, st, "cannot end a run");
	if (error == 0 && sqlite3_changes(j->db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no run %lld", j->path, (long long)run);
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

	if (sqlite3_prepare_v2(j->db, "SELECT 1 FROM runs WHERE id = ?", -1,
	        &st, NULL) != SQLITE_OK)
		return sql_error(j->db, "cannot look up a run", j->path);
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*exists = rc == SQLITE_ROW;
	else
		error = sql_error(j->db, "cannot look up a run", j->path);
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
		    "journal '%s' has no run %lld", j->path, (long long)run);
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
	if ((error = step_done(j, st, "cannot record a planned move")) < 0)
		return error;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(j->db);
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
	if ((error = step_done(j, st, "cannot update an entry")) < 0)
		return error;
	if (sqlite3_changes(j->db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no entry %lld", j->path, (long long)id);
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
	if ((error = step_done(j, st, "cannot forget an entry")) < 0)
		return error;
	if (sqlite3_changes(j->db) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "journal '%s' has no planned entry %lld", j->path,
		    (long long)id);
		return DRYDOCK_ENOTFOUND;
	}
	return 0;
}

int
drydock_journal_begin(struct drydock_journal *j)
{
	return exec(j, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

int
drydock_journal_commit(struct drydock_journal *j)
{
	return exec(j, "COMMIT", "cannot commit");
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
		error = sql_error(j->db, "cannot read entries", j->path);
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
	if (sqlite3_prepare_v2(j->db, reverse ? rev : fwd, -1, &st, NULL) !=
	    SQLITE_OK) {
		error = sql_error(j->db, "cannot read entries", j->path);
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
