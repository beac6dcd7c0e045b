/* SPDX-License-Identifier: MIT */
/*
 * state.c --- the incremental verification state of drydock-fsck: one
 * SQLite table of blobs (digest, size, mtime, inode, last verified) and a
 * table of settings (the root it belongs to).
 *
 * The state is a cache of "this data matched its digest", so durability is
 * relaxed (WAL, synchronous=NORMAL): a record lost in a crash only costs a
 * re-hash.  Digests are stored as their string form, readable with the
 * sqlite3 shell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <drydock/errors.h>
#include <drydock/state.h>

#include "sqldb_int.h"

/* "dDst": marks the file as a drydock state (PRAGMA application_id). */
#define STATE_APP_ID 0x64447374
#define STATE_SCHEMA 1
#define SLICE_MAX 100000u

static const char schema_sql[] =
    "CREATE TABLE blobs ("
    " digest TEXT PRIMARY KEY,"
    " size INTEGER NOT NULL,"
    " mtime_ns INTEGER NOT NULL,"
    " inode INTEGER NOT NULL,"
    " verified INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX blobs_verified ON blobs(verified, digest);"
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL) WITHOUT ROWID;";

static const struct drydock_sqldb_kind state_kind = {
    .noun = "state",
    .what = "a drydock verification state",
    .app_id = STATE_APP_ID,
    .version = STATE_SCHEMA,
    .schema = schema_sql,
    .pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
};

struct drydock_state {
	struct drydock_sqldb db;
	sqlite3_stmt *lookup;
	sqlite3_stmt *record;
	sqlite3_stmt *forget;
};

static int
prepare_all(struct drydock_state *s)
{
	int error;

	if ((error = drydock_sqldb__prepare(&s->db, &s->lookup,
	         "SELECT size, mtime_ns, inode, verified FROM blobs"
	         " WHERE digest = ?1")) < 0 ||
	    (error = drydock_sqldb__prepare(&s->db, &s->record,
	         "INSERT OR REPLACE INTO blobs (digest, size, mtime_ns,"
	         " inode, verified) VALUES (?1, ?2, ?3, ?4, ?5)")) < 0 ||
	    (error = drydock_sqldb__prepare(&s->db, &s->forget,
	         "DELETE FROM blobs WHERE digest = ?1")) < 0)
		return error;
	return 0;
}

int
drydock_state_open(struct drydock_state **out, const char *path, int create)
{
	struct drydock_state *s = NULL;
	int error;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_sqldb__open(&s->db, path, create, &state_kind)) <
	        0 ||
	    (error = prepare_all(s)) < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	drydock_state_close(s);
	return error;
}

void
drydock_state_close(struct drydock_state *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->lookup);
	sqlite3_finalize(s->record);
	sqlite3_finalize(s->forget);
	drydock_sqldb__close(&s->db);
	free(s);
}

int
drydock_state_bind_root(
    struct drydock_state *s, const char *root, int *reset_out)
{
	sqlite3_stmt *st = NULL;
	int error, rc, reset = 0, fresh = 0;

	if (reset_out != NULL)
		*reset_out = 0;
	if ((error = drydock_sqldb__exec(
	         &s->db, "BEGIN IMMEDIATE", "cannot bind the root")) < 0)
		return error;
	if (sqlite3_prepare_v2(s->db.db,
	        "SELECT value FROM settings WHERE key = 'root'", -1, &st,
	        NULL) != SQLITE_OK) {
		error = drydock_sqldb__error(&s->db, "cannot read the root");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		fresh = 1;
	} else if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		reset = v == NULL || strcmp(v, root) != 0;
	} else {
		error = drydock_sqldb__error(&s->db, "cannot read the root");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!fresh && !reset)
		goto out;
	if (reset &&
	    (error = drydock_sqldb__exec(&s->db, "DELETE FROM blobs",
	         "cannot forget another root's records")) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db.db,
	        "INSERT OR REPLACE INTO settings (key, value)"
	        " VALUES ('root', ?1)",
	        -1, &st, NULL) != SQLITE_OK) {
		error = drydock_sqldb__error(&s->db, "cannot record the root");
		goto out;
	}
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	error = drydock_sqldb__step_done(&s->db, st, "cannot record the root");
out:
	sqlite3_finalize(st);
	if (error == 0)
		error = drydock_sqldb__exec(
		    &s->db, "COMMIT", "cannot bind the root");
	if (error < 0)
		sqlite3_exec(s->db.db, "ROLLBACK", NULL, NULL, NULL);
	else if (reset_out != NULL)
		*reset_out = reset;
	return error;
}

static void
bind_digest(sqlite3_stmt *st, int col, const struct drydock_digest *d)
{
	char buf[DRYDOCK_DIGEST_STRMAX];

	drydock_digest_format(buf, d);
	sqlite3_bind_text(st, col, buf, -1, SQLITE_TRANSIENT);
}

static int
check_digest(const struct drydock_digest *d)
{
	if (drydock_digest_alg_size(d->alg) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "state records need a sha256 or sha512 digest");
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_state_lookup(struct drydock_state_blob *out, struct drydock_state *s,
    const struct drydock_digest *d)
{
	int rc, error = 0;

	if ((error = check_digest(d)) < 0)
		return error;
	bind_digest(s->lookup, 1, d);
	rc = sqlite3_step(s->lookup);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->digest = *d;
		out->size = (uint64_t)sqlite3_column_int64(s->lookup, 0);
		out->mtime_ns = sqlite3_column_int64(s->lookup, 1);
		out->inode = (uint64_t)sqlite3_column_int64(s->lookup, 2);
		out->verified = sqlite3_column_int64(s->lookup, 3);
	} else if (rc == SQLITE_DONE) {
		error = DRYDOCK_ENOTFOUND;
	} else {
		error = drydock_sqldb__error(&s->db, "cannot look up a blob");
	}
	sqlite3_reset(s->lookup);
	sqlite3_clear_bindings(s->lookup);
	return error;
}

int
drydock_state_record(
    struct drydock_state *s, const struct drydock_state_blob *b)
{
	int error;

	if ((error = check_digest(&b->digest)) < 0)
		return error;
	bind_digest(s->record, 1, &b->digest);
	sqlite3_bind_int64(s->record, 2, (sqlite3_int64)b->size);
	sqlite3_bind_int64(s->record, 3, b->mtime_ns);
	sqlite3_bind_int64(s->record, 4, (sqlite3_int64)b->inode);
	sqlite3_bind_int64(s->record, 5, b->verified);
	return drydock_sqldb__step_done(
	    &s->db, s->record, "cannot record a blob");
}

int
drydock_state_forget(struct drydock_state *s, const struct drydock_digest *d)
{
	int error;

	if ((error = check_digest(d)) < 0)
		return error;
	bind_digest(s->forget, 1, d);
	return drydock_sqldb__step_done(
	    &s->db, s->forget, "cannot forget a blob");
}

int
drydock_state_begin(struct drydock_state *s)
{
	return drydock_sqldb__exec(
	    &s->db, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

int
drydock_state_commit(struct drydock_state *s)
{
	int error = drydock_sqldb__exec(&s->db, "COMMIT", "cannot commit");

	if (error < 0)
		sqlite3_exec(s->db.db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

int
drydock_state_count(struct drydock_state *s, uint64_t *count_out)
{
	int64_t n = 0;
	int error =
	    drydock_sqldb__query_int(&s->db, "SELECT count(*) FROM blobs", &n);

	if (error == 0)
		*count_out = (uint64_t)n;
	return error;
}

int
drydock_state_foreach(
    struct drydock_state *s, drydock_state_cb cb, void *payload)
{
	sqlite3_stmt *st = NULL;
	struct drydock_state_blob b;
	int error = 0, rc;

	if (sqlite3_prepare_v2(s->db.db,
	        "SELECT digest, size, mtime_ns, inode, verified FROM blobs"
	        " ORDER BY verified, digest",
	        -1, &st, NULL) != SQLITE_OK)
		return drydock_sqldb__error(&s->db, "cannot list blobs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *dstr = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);

		memset(&b, 0, sizeof(b));
		if (dstr == NULL ||
		    drydock_digest_parse(&b.digest, dstr, (size_t)len) < 0) {
			drydock_error_set(DRYDOCK_ERRCLASS_SQLITE,
			    "state '%s' holds a bad digest '%s'", s->db.path,
			    dstr != NULL ? dstr : "(null)");
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
		b.size = (uint64_t)sqlite3_column_int64(st, 1);
		b.mtime_ns = sqlite3_column_int64(st, 2);
		b.inode = (uint64_t)sqlite3_column_int64(st, 3);
		b.verified = sqlite3_column_int64(st, 4);
		if ((error = cb(&b, payload)) != 0) {
			if (error < 0 && drydock_error_last()->message[0] == 0)
				drydock_error_set(DRYDOCK_ERRCLASS_CALLBACK,
				    "state iteration stopped by the callback");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		error = drydock_sqldb__error(&s->db, "cannot list blobs");
out:
	sqlite3_finalize(st);
	return error;
}

int
drydock_state_is_unchanged(const struct drydock_state_blob *rec, uint64_t size,
    int64_t mtime_ns, uint64_t inode)
{
	return rec->size == size && rec->mtime_ns == mtime_ns &&
	    rec->inode == inode && rec->verified > 0;
}

static int
parse_uint(unsigned *out, const char *s, const char *end)
{
	unsigned long v = 0;
	const char *p;

	if (s == end)
		return -1;
	for (p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > SLICE_MAX)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int
drydock_state_slice_parse(unsigned *k_out, unsigned *n_out, const char *s)
{
	const char *slash = strchr(s, '/');
	unsigned k, n;

	if (slash == NULL || parse_uint(&k, s, slash) < 0 ||
	    parse_uint(&n, slash + 1, s + strlen(s)) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "bad share '%s': want K/N, e.g. 1/7", s);
		return DRYDOCK_ECORRUPT;
	}
	if (k == 0 || n == 0 || k > n) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "bad share '%s': want 1 <= K <= N", s);
		return DRYDOCK_ECORRUPT;
	}
	*k_out = k;
	*n_out = n;
	return 0;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct drydock_state_cand *x = a, *y = b;

	if (x->verified != y->verified)
		return x->verified < y->verified ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

size_t
drydock_state_slice_select(
    struct drydock_state_cand *cands, size_t n_cands, unsigned k, unsigned n)
{
	uint64_t total = 0, want, got = 0;
	size_t i, chosen = 0;

	if (n_cands == 0 || n == 0)
		return 0;
	if (k > n)
		k = n;
	qsort(cands, n_cands, sizeof(*cands), cand_cmp);
	for (i = 0; i < n_cands; i++) {
		cands[i].selected = 0;
		total += cands[i].size;
	}
	/* ceil(total * k / n) without overflow; at least one blob */
	want = total / n * k + ((total % n) * k + n - 1) / n;
	for (i = 0; i < n_cands; i++) {
		if (cands[i].size != 0 && got >= want && chosen > 0)
			continue;
		cands[i].selected = 1;
		got += cands[i].size;
		chosen++;
	}
	return chosen;
}
