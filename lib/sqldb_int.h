/* SPDX-License-Identifier: MIT */
/*
 * sqldb_int.h --- the SQLite plumbing the journal and the verification
 * state share: open with a checked (or created) schema, and the one place
 * where SQLite errors become libdrydock errors.  Library-internal.
 */
#ifndef DRYDOCK_SQLDB_INT_H
#define DRYDOCK_SQLDB_INT_H

#include <stdint.h>

#include <sqlite3.h>

/* What a database file is: its identity, its schema and its settings. */
struct drydock_sqldb_kind {
	const char *noun; /* "journal": in messages ("... in journal 'p'") */
	const char *what; /* "a drydock journal": "'p' is not ..." */
	int app_id; /* PRAGMA application_id */
	int version; /* PRAGMA user_version */
	const char *schema; /* run once, in a new file */
	const char *pragmas; /* run at every open, before the schema check */
};

struct drydock_sqldb {
	sqlite3 *db;
	char *path;
	const struct drydock_sqldb_kind *kind;
};

/*
 * Open path (creating it when create is set) as a database of kind: the
 * pragmas, then the schema created in an empty file or checked in an
 * existing one.  db is caller-allocated; release with _close even on error.
 *
 * @return 0; DRYDOCK_ENOTFOUND (no file, create not set); DRYDOCK_ECORRUPT
 *         (not such a file); DRYDOCK_EUNSUPPORTED (another schema version);
 *         DRYDOCK_ELOCKED; DRYDOCK_ERROR
 */
int drydock_sqldb__open(struct drydock_sqldb *db, const char *path,
    int create, const struct drydock_sqldb_kind *kind);
void drydock_sqldb__close(struct drydock_sqldb *db);

/* Record SQLite's last error as "what in <noun> 'path': message". */
int drydock_sqldb__error(const struct drydock_sqldb *db, const char *what);
int drydock_sqldb__exec(
    const struct drydock_sqldb *db, const char *sql, const char *what);
/* A statement kept for the life of the handle. */
int drydock_sqldb__prepare(
    const struct drydock_sqldb *db, sqlite3_stmt **st, const char *sql);
/* Run a query that yields one integer (0 when it yields no row). */
int drydock_sqldb__query_int(
    const struct drydock_sqldb *db, const char *sql, int64_t *out);
/* Step a write statement to its end, then reset it and its bindings. */
int drydock_sqldb__step_done(
    const struct drydock_sqldb *db, sqlite3_stmt *st, const char *what);

#endif
