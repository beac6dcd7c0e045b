/* SPDX-License-Identifier: MIT */
/*
 * store_s3move.c --- moves on S3, which has no rename: every key copied
 * on the server (CopyObject, opts.jobs in flight), then the originals
 * removed in batches.  Not atomic: a run stopped half-way leaves the
 * copies made beside the originals, never fewer keys than there were.
 *
 * Quarantine (move_out, move_in) keeps the objects in the bucket, below
 * "<root>/docker/registry/drydock-quarantine/<id>/" (beside v2/, where
 * the registry never looks; <id> is random), and only a record in the
 * caller's quarantine directory: a small file holding the quarantined
 * key ("<...>/<id>/<rel>", with a trailing '/' for a directory), so the
 * journal stays local as on a filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "s3_int.h"
#include "store_s3_int.h"

#define QUARANTINE "drydock-quarantine/"
#define RECORD_MAX 4096

struct copies {
	struct s3d *d;
	const struct s3d_keys *k;
	size_t from_len; /* of the prefix each source key drops */
	const char *to; /* the prefix put in its place */
};

static int
copy_task(size_t i, void *payload)
{
	struct copies *c = payload;
	char *dst;
	int error;

	if (asprintf(&dst, "%s%s", c->to, c->k->v[i] + c->from_len) < 0)
		return drydock_s3d__oom();
	error = drydock_s3_copy(c->d->s3, c->k->v[i], dst, c->k->size[i]);
	free(dst);
	return error;
}

/* Exchange two keys of k (with their sizes). */
static void
swap_key(const struct s3d_keys *k, size_t a, size_t b)
{
	char *v = k->v[a];
	int64_t size = k->size[a];

	k->v[a] = k->v[b];
	k->size[a] = k->size[b];
	k->v[b] = v;
	k->size[b] = size;
}

/*
 * Copy the keys k (all starting with from) to the same names below to,
 * then remove them: all but the first in key order, then the first.  A
 * run killed in between leaves the source with that key, so what a
 * listing shows of it stays until the last request (a tag's current/link
 * sorts before its index/: a renamed tag is never listed without it).
 */
static int
move_keys(
    struct s3d *d, const struct s3d_keys *k, const char *from, const char *to)
{
	struct copies c = {.d = d, .k = k, .from_len = strlen(from), .to = to};
	struct s3d_keys rest = *k, first = *k;
	unsigned jobs = d->s3->jobs;
	size_t i, lo = 0;
	int error;

	if ((error = drydock_s3__parallel(jobs, k->n, copy_task, &c)) < 0)
		return error;
	for (i = 1; i < k->n; i++)
		if (strcmp(k->v[i], k->v[lo]) < 0)
			lo = i;
	if (k->n < 2)
		return drydock_s3d__remove(d, k);
	/* the first key swapped to the end: rest is the n - 1 before it */
	swap_key(k, lo, k->n - 1);
	rest.n = k->n - 1;
	if ((error = drydock_s3d__remove(d, &rest)) < 0)
		return error;
	first.v += k->n - 1;
	first.size += k->n - 1;
	first.n = 1;
	return drydock_s3d__remove(d, &first);
}

int
drydock_s3d__rename(
    struct drydock_store *st, const char *rel, const char *newrel)
{
	struct s3d *d = s3d_of(st);
	struct s3d_keys k = {0};
	struct stat sb;
	char *from = NULL, *to = NULL;
	int r, error;

	if ((error = drydock_s3d__keys_present(&k, d, rel, "rename")) < 0)
		goto out;
	if ((r = drydock_s3d__probe(d, newrel, &sb)) != -ENOENT) {
		if (r == 0) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "cannot rename '%s' to '%s': it exists", rel,
			    newrel);
			error = DRYDOCK_EEXISTS;
		} else {
			error = DRYDOCK_ERROR; /* the listing's message */
		}
		goto out;
	}
	from = drydock_s3d__key(d, rel, k.is_dir ? "/" : "");
	to = drydock_s3d__key(d, newrel, k.is_dir ? "/" : "");
	if (from == NULL || to == NULL)
		error = DRYDOCK_ERROR;
	else
		error = move_keys(d, &k, from, to);
out:
	drydock_s3d__keys_release(&k);
	free(from);
	free(to);
	return error;
}

/* --- quarantine ---------------------------------------------------------- */

/* Write the record of a quarantined entry: dir/name holding key. */
static int
write_record(int dirfd, const char *name, const char *key)
{
	size_t len = strlen(key);
	int fd, error = 0;

	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		error = errno == EEXIST ? DRYDOCK_EEXISTS : DRYDOCK_ERROR;
		drydock_error_set_os("cannot write '%s'", name);
		return error;
	}
	if (write(fd, key, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0) {
		drydock_error_set_os("cannot write '%s'", name);
		error = DRYDOCK_ERROR;
	}
	close(fd);
	if (error < 0)
		(void)unlinkat(dirfd, name, 0);
	else
		(void)fsync(dirfd);
	return error;
}

int
drydock_s3d__move_out(struct drydock_store *st, const char *rel, int dst_dirfd,
    const char *dst_name)
{
	struct s3d *d = s3d_of(st);
	struct s3d_keys k = {0};
	struct copies c = {.d = d, .k = &k};
	struct stat sb;
	unsigned char rnd[8];
	char *from = NULL, *to = NULL;
	int error;

	if (fstatat(dst_dirfd, dst_name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot move '%s' to '%s': it exists", rel, dst_name);
		return DRYDOCK_EEXISTS;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		drydock_error_set_os("cannot name a quarantine");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_s3d__keys_present(&k, d, rel, "move")) < 0)
		goto out;
	from = drydock_s3d__key(d, rel, k.is_dir ? "/" : "");
	if (from == NULL ||
	    asprintf(&to,
	        "%s" QUARANTINE "%02x%02x%02x%02x%02x%02x%02x%02x/%s%s",
	        d->base, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
	        rnd[7], rel, k.is_dir ? "/" : "") < 0) {
		to = NULL;
		error = drydock_s3d__oom();
		goto out;
	}
	/* copies, the record, then the originals go: each step undoable */
	c.from_len = strlen(from);
	c.to = to;
	if ((error = drydock_s3__parallel(d->s3->jobs, k.n, copy_task, &c)) <
	        0 ||
	    (error = write_record(dst_dirfd, dst_name, to)) < 0)
		goto out;
	error = drydock_s3d__remove(d, &k);
out:
	drydock_s3d__keys_release(&k);
	free(from);
	free(to);
	return error;
}

/* The key a record holds, checked to be a quarantine's (new). */
static int
read_record(char **key_out, struct s3d *d, int dirfd, const char *name)
{
	char buf[RECORD_MAX];
	size_t qlen = strlen(d->base) + strlen(QUARANTINE);
	ssize_t n;
	int fd;

	*key_out = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		drydock_error_set_os("cannot read '%s'", name);
		return errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if ((size_t)n <= qlen || strncmp(buf, d->base, strlen(d->base)) != 0 ||
	    strncmp(buf + strlen(d->base), QUARANTINE, strlen(QUARANTINE)) !=
	        0 ||
	    strchr(buf, '\n') != NULL || strstr(buf, "/../") != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is not a record of this bucket's quarantine", name);
		return DRYDOCK_ECORRUPT;
	}
	if ((*key_out = strdup(buf)) == NULL)
		return drydock_s3d__oom();
	return 0;
}

static int
quarantined_cb(
    const char *key, const struct drydock_s3_stat *s3st, void *payload)
{
	return drydock_s3d__keys_add(payload, key, s3st->size);
}

int
drydock_s3d__move_in(struct drydock_store *st, int src_dirfd,
    const char *src_name, const char *rel)
{
	struct s3d *d = s3d_of(st);
	struct s3d_keys k = {0};
	struct drydock_s3_stat s3st;
	struct stat sb;
	char *from = NULL, *to = NULL;
	size_t len;
	int r, error;

	if ((error = read_record(&from, d, src_dirfd, src_name)) < 0)
		return error;
	if ((r = drydock_s3d__probe(d, rel, &sb)) != -ENOENT) {
		if (r == 0)
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "cannot move '%s' into the store: '%s' exists "
			    "already",
			    src_name, rel);
		error = r == 0 ? DRYDOCK_EEXISTS : DRYDOCK_ERROR;
		goto out;
	}
	len = strlen(from);
	if (from[len - 1] == '/')
		error = drydock_s3_foreach(
		    d->s3, from, NULL, NULL, quarantined_cb, &k);
	else if ((error = drydock_s3_lookup(&s3st, d->s3, from)) == 0)
		error = drydock_s3d__keys_add(&k, from, s3st.size);
	if (error == 0 && k.n == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot move '%s' back: the bucket has no key '%s'",
		    src_name, from);
		error = DRYDOCK_ENOTFOUND;
	}
	if (error < 0)
		goto out;
	if ((to = drydock_s3d__key(d, rel, from[len - 1] == '/' ? "/" : "")) ==
	    NULL) {
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((error = move_keys(d, &k, from, to)) < 0)
		goto out;
	if (unlinkat(src_dirfd, src_name, 0) < 0) {
		drydock_error_set_os("cannot remove '%s'", src_name);
		error = DRYDOCK_ERROR;
	}
out:
	drydock_s3d__keys_release(&k);
	free(from);
	free(to);
	return error;
}
