/* SPDX-License-Identifier: MIT */
/*
 * sqldb.c --- SQLite files of libdrydock: open, schema, errors
 * (sqldb_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <drydock/errors.h>

#include "sqldb_int.h"

#define BUSY_TIMEOUT_MS 5000

int
drydock_sqldb__error(const struct drydock_sqldb *db, const char *what)
{
	int rc = sqlite3_extended_errcode(db->db);

	drydock_error_set(DRYDOCK_ERRCLASS_SQLITE, "%s in %s '%s': %s", what,
	    db->kind->noun, db->path, sqlite3_errmsg(db->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DRYDOCK_ELOCKED;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return DRYDOCK_ECORRUPT;
	case SQLITE_CANTOPEN:
		return sqlite3_system_errno(db->db) == ENOENT
		    ? DRYDOCK_ENOTFOUND
		    : DRYDOCK_ERROR;
	default:
		return DRYDOCK_ERROR;
	}
}

int
drydock_sqldb__exec(
    const struct drydock_sqldb *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return drydock_sqldb__error(db, what);
	return 0;
}

int
drydock_sqldb__prepare(
    const struct drydock_sqldb *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	        NULL) != SQLITE_OK)
		return drydock_sqldb__error(db, "cannot prepare a statement");
	return 0;
}

int
drydock_sqldb__step_done(
    const struct drydock_sqldb *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), error = 0;

	if (rc != SQLITE_DONE)
		error = drydock_sqldb__error(db, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

int
drydock_sqldb__query_int(
    const struct drydock_sqldb *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return drydock_sqldb__error(db, "cannot read the schema");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		error = drydock_sqldb__error(db, "cannot read the schema");
	sqlite3_finalize(st);
	return error;
}

static int
create_schema(const struct drydock_sqldb *db)
{
	char sql[128];
	int error;

	if ((error = drydock_sqldb__exec(
	         db, "BEGIN IMMEDIATE", "cannot create schema")) < 0)
		return error;
	snprintf(sql, sizeof(sql),
	    "PRAGMA application_id = %d; PRAGMA user_version = %d",
	    db->kind->app_id, db->kind->version);
	if ((error = drydock_sqldb__exec(
	         db, db->kind->schema, "cannot create schema")) < 0 ||
	    (error = drydock_sqldb__exec(db, sql, "cannot create schema")) <
	        0 ||
	    (error = drydock_sqldb__exec(
	         db, "COMMIT", "cannot create schema")) < 0) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return error;
	}
	return 0;
}

/* Create the schema in a new file; check the schema of an existing one. */
static int
check_schema(const struct drydock_sqldb *db)
{
	int64_t app, version, tables;
	int error;

	if ((error = drydock_sqldb__query_int(
	         db, "PRAGMA application_id", &app)) < 0 ||
	    (error = drydock_sqldb__query_int(
	         db, "PRAGMA user_version", &version)) < 0 ||
	    (error = drydock_sqldb__query_int(
	         db, "SELECT count(*) FROM sqlite_master", &tables)) < 0)
		return error;
	if (app == 0 && version == 0 && tables == 0)
		return create_schema(db);
	if (app != db->kind->app_id) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE, "'%s' is not %s",
		    db->path, db->kind->what);
		return DRYDOCK_ECORRUPT;
	}
	if (version != db->kind->version) {
		drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
		    "%s '%s' has schema version %lld; this drydock knows "
		    "version %d",
		    db->kind->noun, db->path, (long long)version,
		    db->kind->version);
		return DRYDOCK_EUNSUPPORTED;
	}
	return 0;
}

int
drydock_sqldb__open(struct drydock_sqldb *db, const char *path, int create,
    const struct drydock_sqldb_kind *kind)
{
	struct stat sb;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, error;

	memset(db, 0, sizeof(*db));
	db->kind = kind;
	if (!create && lstat(path, &sb) < 0) {
		drydock_error_set_os("cannot open %s '%s'", kind->noun, path);
		return errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((db->path = strdup(path)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		if (db->db == NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
			    "cannot open %s '%s': out of memory", kind->noun,
			    path);
			return DRYDOCK_ERROR;
		}
		return drydock_sqldb__error(db, "cannot open");
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, BUSY_TIMEOUT_MS);
	if ((error = drydock_sqldb__exec(
	         db, kind->pragmas, "cannot set the database up")) < 0)
		return error;
	return check_schema(db);
}

void
drydock_sqldb__close(struct drydock_sqldb *db)
{
	/* an open transaction is rolled back */
	sqlite3_close_v2(db->db);
	free(db->path);
	memset(db, 0, sizeof(*db));
}
