/* SPDX-License-Identifier: MIT */
/*
 * store_s3upload.c --- the incomplete multipart uploads of abandoned
 * pushes, shown as the files they stand for.
 *
 * docker-registry's s3 driver writes an upload's bytes as a multipart
 * upload of "<repo>/_uploads/<id>/data", begun at the POST and completed
 * only at the final PUT.  An abandoned push leaves it incomplete: no
 * object, only parts, billed and listed by ListMultipartUploads alone.
 * The registry's own purge deletes the upload directory's objects
 * (startedat, hashstates) and leaves the parts for ever.
 *
 * On a filesystem the same upload is a directory with a "data" file, and
 * the walkers and drydock-gc's stale upload purge know that shape.  So the
 * driver shows each such upload as a regular file at its key in the
 * listings that cover an upload directory, its size the bytes of its
 * parts (ListParts) and its mtime the upload's Initiated; and removing
 * the directory (remove_tree) aborts it.  Nothing above the driver needs
 * to know.
 *
 * Cost: one ListMultipartUploads (paged) of all of repositories/ the
 * first time a listing covers an "_uploads" directory, one ListParts per
 * upload found; later listings take theirs from that (see all_uploads).
 * Listings that cannot hold one (blobs/, a repository's _manifests or
 * _layers) ask nothing.  A delimited listing of a repository itself does not
 * either: its "_uploads" shows there only when an object is below it; a
 * prefetch of the repository (what every walk below a repository does) shows
 * the uploads whatever objects are left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "s3_int.h"
#include "store_s3_int.h"

/*
 * Can a listing of rel (below $V2) hold an upload directory?  Below
 * repositories/, the first component starting with '_' is a repository's
 * own (repository names never start one): "_uploads" can, the others
 * cannot.  Above any (repositories/, a namespace, a repository): only a
 * listing of everything below (full) reaches an upload's key.
 */
int
drydock_s3d__uploads_cover(const char *rel, int full)
{
	static const char top[] = "repositories";
	const char *p;
	size_t len;

	if (strncmp(rel, top, sizeof(top) - 1) != 0 ||
	    (rel[sizeof(top) - 1] != '\0' && rel[sizeof(top) - 1] != '/'))
		return 0;
	for (p = rel + sizeof(top) - 1; *p != '\0';) {
		p++;
		len = strcspn(p, "/");
		if (p[0] == '_')
			return len == 8 && strncmp(p, "_uploads", 8) == 0;
		p += len;
	}
	return full;
}

/* A key of an upload's file: "repositories/.../_uploads/<id>/<name...>". */
static int
is_upload_file(const char *relkey)
{
	const char *p = relkey, *id;
	size_t len;

	if (drydock_store_path_check(relkey) < 0)
		return 0;
	for (;;) {
		len = strcspn(p, "/");
		if (p[len] == '\0')
			return 0;
		if (p[0] == '_')
			break;
		p += len + 1;
	}
	/* "repositories/<name>/_uploads": a name before it */
	if (len != 8 || strncmp(p, "_uploads", 8) != 0 ||
	    p <= relkey + strlen("repositories/"))
		return 0;
	id = p + len + 1;
	len = strcspn(id, "/");
	return id[len] == '/' && id[len + 1] != '\0';
}

struct collect {
	struct s3d *d;
	struct s3d_uploads *u;
	size_t plen; /* of the listed prefix */
	const char *only; /* remove_tree of a file: that key alone */
};

static int
upload_cb(
    const char *key, const char *upload_id, time_t initiated, void *payload)
{
	struct collect *c = payload;
	struct s3d_uploads *u = c->u;
	struct s3d_upload *e;
	const char *relkey = key + strlen(c->d->v2);
	size_t cap;

	if (strlen(key) <= c->plen || !is_upload_file(relkey))
		return 0;
	if (u->n == u->cap) {
		cap = u->cap ? 2 * u->cap : 8;
		if ((e = realloc(u->v, cap * sizeof(*e))) == NULL)
			return drydock_s3d__oom();
		u->v = e;
		u->cap = cap;
	}
	e = &u->v[u->n];
	memset(e, 0, sizeof(*e));
	if ((e->key = strdup(key)) == NULL ||
	    (e->id = strdup(upload_id)) == NULL) {
		free(e->key);
		return drydock_s3d__oom();
	}
	e->name = e->key + c->plen;
	e->mtime = (int64_t)initiated;
	u->n++;
	return 0;
}

void
drydock_s3d__uploads_release(struct s3d_uploads *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->v[i].key);
		free(u->v[i].id);
	}
	free(u->v);
	memset(u, 0, sizeof(*u));
}

/* ListMultipartUploads below rel/: u gets those of upload files. */
static int
uploads_of(struct s3d_uploads *u, struct s3d *d, const char *rel)
{
	struct collect c = {.d = d, .u = u};
	char *prefix;
	int error;

	memset(u, 0, sizeof(*u));
	if ((prefix = drydock_s3d__key(d, rel, "/")) == NULL)
		return DRYDOCK_ERROR;
	c.plen = strlen(prefix);
	error = drydock_s3_uploads_foreach(d->s3, prefix, upload_cb, &c);
	free(prefix);
	if (error < 0)
		drydock_s3d__uploads_release(u);
	return error < 0 ? error : 0;
}

/*
 * Every upload file below repositories/, with its size: listed once a
 * store, by the first listing that covers an upload directory.  One
 * ListMultipartUploads a repository listing was a request per repository
 * in every walk (gc lists each twice), on buckets that nearly always
 * have none.  So a run sees the uploads as they were when it first
 * looked: one begun later is too young for any purge, one finished or
 * aborted meanwhile is gone when its removal aborts it (that lists
 * afresh, and forgets these: drydock_s3d__uploads_abort).  Called with
 * d->up_mu held.  @return 0 or an error code.
 */
static int
all_uploads(struct s3d *d)
{
	struct s3d_uploads *u = NULL;
	int64_t bytes;
	size_t i, j, parts;
	int error = 0, r;

	if (d->uploads != NULL)
		return 0;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return drydock_s3d__oom();
	if ((error = uploads_of(u, d, "repositories")) < 0)
		goto out;
	/* what each is billed for; one gone meanwhile is left out */
	for (i = j = 0; i < u->n; i++) {
		if (error == 0) {
			r = drydock_s3_upload_size(
			    &bytes, &parts, d->s3, u->v[i].key, u->v[i].id);
			if (r == 0) {
				u->v[i].size = bytes;
				u->v[j++] = u->v[i];
				continue;
			}
			if (r != DRYDOCK_ENOTFOUND)
				error = r;
		}
		free(u->v[i].key);
		free(u->v[i].id);
	}
	u->n = j;
	if (error < 0)
		goto out;
	drydock_error_clear();
	d->uploads = u;
	u = NULL;
out:
	if (u != NULL) {
		drydock_s3d__uploads_release(u);
		free(u);
	}
	return error;
}

void
drydock_s3d__uploads_free(struct s3d *d)
{
	if (d->uploads == NULL)
		return;
	drydock_s3d__uploads_release(d->uploads);
	free(d->uploads);
	d->uploads = NULL;
}

int
drydock_s3d__uploads_list(
    struct s3d_uploads *u, struct s3d *d, const char *rel, int full)
{
	const struct s3d_uploads *all;
	struct s3d_upload *e;
	char *prefix = NULL;
	size_t i, plen;
	int error;

	memset(u, 0, sizeof(*u));
	if (d->empty || !drydock_s3d__uploads_cover(rel, full))
		return 0;
	if ((prefix = drydock_s3d__key(d, rel, "/")) == NULL)
		return DRYDOCK_ERROR;
	plen = strlen(prefix);
	pthread_mutex_lock(&d->up_mu);
	if ((error = all_uploads(d)) < 0) {
		pthread_mutex_unlock(&d->up_mu);
		free(prefix);
		return error;
	}
	all = d->uploads;
	for (i = 0; i < all->n; i++) {
		const struct s3d_upload *a = &all->v[i];

		if (strncmp(a->key, prefix, plen) != 0 || a->key[plen] == '\0')
			continue;
		if (u->n == u->cap) {
			size_t cap = u->cap ? 2 * u->cap : 8;

			if ((e = realloc(u->v, cap * sizeof(*e))) == NULL)
				goto oom;
			u->v = e;
			u->cap = cap;
		}
		e = &u->v[u->n];
		*e = *a;
		e->id = NULL;
		if ((e->key = strdup(a->key)) == NULL ||
		    (e->id = strdup(a->id)) == NULL) {
			free(e->key);
			free(e->id);
			goto oom;
		}
		e->name = e->key + plen;
		u->n++;
	}
	pthread_mutex_unlock(&d->up_mu);
	free(prefix);
	return 0;
oom:
	pthread_mutex_unlock(&d->up_mu);
	free(prefix);
	drydock_s3d__uploads_release(u);
	return drydock_s3d__oom();
}

int
drydock_s3d__uploads_abort(struct s3d *d, const char *rel, size_t *n_out)
{
	struct s3d_uploads u;
	size_t i;
	int error = 0, r;

	*n_out = 0;
	if (d->empty || !drydock_s3d__uploads_cover(rel, 1))
		return 0;
	if ((error = uploads_of(&u, d, rel)) < 0)
		return error;
	for (i = 0; i < u.n; i++) {
		r = drydock_s3_upload_abort(d->s3, u.v[i].key, u.v[i].id);
		if (r == 0)
			++*n_out;
		else if (r != DRYDOCK_ENOTFOUND && error == 0)
			error = r; /* the others are still worth aborting */
	}
	if (u.n > 0) { /* the next listing that covers one asks again */
		pthread_mutex_lock(&d->up_mu);
		drydock_s3d__uploads_free(d);
		pthread_mutex_unlock(&d->up_mu);
	}
	drydock_s3d__uploads_release(&u);
	return error;
}
