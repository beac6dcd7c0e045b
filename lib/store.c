/* SPDX-License-Identifier: MIT */
/*
 * store.c --- a registry's storage, whichever driver holds it: handle
 * checks, path rules, problems, and every public call, checked here and
 * carried out by the driver (driver_int.h; store_fs.c, store_s3.c).
 * What is made of the drivers' calls (reading a whole file, a blob's
 * path and stat) is written here once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/regconfig.h>
#include <drydock/store.h>

#include "store_int.h"

/* What a driver cannot do: said with its name. */
static int
unsupported(const struct drydock_store *st, const char *what, const char *rel)
{
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "cannot %s '%s': not possible on %s storage", what, rel,
	    st->ops->name);
	return DRYDOCK_EUNSUPPORTED;
}
/* --- handle checks ------------------------------------------------------ */

int
drydock_store__check(const struct drydock_store *st, const char *fn)
{
	if (st == NULL || st->magic != DRYDOCK_STORE_MAGIC) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "%s: invalid or closed store handle", fn);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_store__check_writable(const struct drydock_store *st, const char *fn)
{
	int error;

	if ((error = drydock_store__check(st, fn)) < 0)
		return error;
	if (st->flags & DRYDOCK_STORE_RDONLY) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "%s: the store '%s' is open read-only", fn, st->root);
		return DRYDOCK_ERROR;
	}
	if (st->empty) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "%s: no registry storage below '%s' yet", fn, st->root);
		return DRYDOCK_ENOTFOUND;
	}
	return 0;
}

int64_t
drydock_store__mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 +
	    (int64_t)sb->st_mtim.tv_nsec;
}

int
drydock_store_path_check(const char *relpath)
{
	const char *p, *slash;
	size_t len;

	if (relpath == NULL || *relpath == '\0') {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "empty path refused");
		return DRYDOCK_EUNSAFE;
	}
	if (*relpath == '/') {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "absolute path '%s' refused", relpath);
		return DRYDOCK_EUNSAFE;
	}
	if (strlen(relpath) >= PATH_MAX) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "path '%.64s...' too long", relpath);
		return DRYDOCK_EUNSAFE;
	}
	for (p = relpath;; p = slash + 1) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len > NAME_MAX ||
		    (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.')))) {
			drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
			    "path '%s' refused: %s", relpath,
			    len == 0             ? "empty component"
			        : len > NAME_MAX ? "component too long"
			                         : "'.' or '..' component");
			return DRYDOCK_EUNSAFE;
		}
		if (slash == NULL)
			break;
	}
	return 0;
}

void
drydock_store_close(struct drydock_store *st)
{
	if (st == NULL || st->magic != DRYDOCK_STORE_MAGIC)
		return;
	/* a blob_open stream still running uses the driver: let it end */
	while (atomic_load(&st->feeders) > 0)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	drydock_store__pipes_free(st);
	if (st->ops != NULL)
		st->ops->close(st);
	st->magic = DRYDOCK_STORE_DEAD;
	free(st->root);
	free(st);
}

const char *
drydock_store_root(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) < 0 ? NULL : st->root;
}

int
drydock_store_v2fd(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) < 0 ? -1 : st->v2fd;
}

int
drydock_store_is_empty(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) == 0 && st->empty;
}

void
drydock_store_set_problem_cb(
    struct drydock_store *st, drydock_problem_cb cb, void *payload)
{
	if (drydock_store__check(st, __func__) < 0)
		return;
	st->problem_cb = cb;
	st->problem_payload = payload;
}

void
drydock_store_problem(
    struct drydock_store *st, const char *path, int code, const char *fmt, ...)
{
	char msg[DRYDOCK_ERROR_MSGMAX];
	va_list ap;

	if (st == NULL || st->magic != DRYDOCK_STORE_MAGIC ||
	    st->problem_cb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->problem_cb(path, code, msg, st->problem_payload);
}

int
drydock_store__read_fd(char **buf_out, size_t *len_out,
    struct drydock_store *st, int fd, size_t hint, size_t max)
{
	char *buf = NULL, *nbuf;
	size_t cap, len = 0;
	ssize_t n;
	int error = 0;

	cap = (hint < max ? hint : max) + 1;
	if (cap < 64)
		cap = 64;
	if ((buf = malloc(cap + 1)) == NULL)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (len > max)
				break;
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				error = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		n = drydock_store__read(st, fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == hint && len < cap)
			break;
	}
	if (len > max) {
		error = -EFBIG;
		goto out;
	}
	buf[len] = '\0';
	*buf_out = buf;
	*len_out = len;
	buf = NULL;
out:
	free(buf);
	return error;
}

int
drydock_store__not_regular(const char *relpath, const struct stat *sb)
{
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "'%s' is not a regular file but a %s", relpath,
	    S_ISDIR(sb->st_mode)        ? "directory"
	        : S_ISFIFO(sb->st_mode) ? "fifo"
	        : S_ISSOCK(sb->st_mode) ? "socket"
	        : S_ISLNK(sb->st_mode)  ? "symlink"
	                                : "device");
	return DRYDOCK_EUNSAFE;
}

int
drydock_store_read_file(char **buf_out, size_t *len_out,
    struct drydock_store *st, int dirfd, const char *relpath, size_t max)
{
	struct stat sb;
	int fd = -1, error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(relpath)) < 0)
		return error;
	fd = drydock_store__open_raw(
	    st, dirfd, relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &sb);
	if (fd < 0)
		return drydock_store__open_error(st, dirfd, relpath, fd);
	if (!S_ISREG(sb.st_mode)) {
		error = drydock_store__not_regular(relpath, &sb);
		goto out;
	}
	if ((uint64_t)sb.st_size > max)
		error = -EFBIG;
	else
		error = drydock_store__read_fd(
		    buf_out, len_out, st, fd, (size_t)sb.st_size, max);
	if (error == -EFBIG) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is larger than %zu bytes", relpath, max);
		error = DRYDOCK_ECORRUPT;
	} else if (error < 0) {
		errno = -error;
		drydock_error_set_os("cannot read '%s'", relpath);
		error = DRYDOCK_ERROR;
	}
out:
	st->ops->close_h(st, fd);
	return error;
}

int
drydock_store_stat(struct drydock_store *st, int dirfd, const char *relpath,
    uint64_t *size_out, int64_t *mtime_ns_out, int *is_dir_out)
{
	struct stat sb;
	int fd, error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(relpath)) < 0)
		return error;
	fd = drydock_store__open_raw(st, dirfd, relpath, O_PATH, 0, &sb);
	if (fd < 0)
		return drydock_store__open_error(st, dirfd, relpath, fd);
	st->ops->close_h(st, fd);
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is neither a regular file nor a directory", relpath);
		return DRYDOCK_EUNSAFE;
	}
	if (size_out != NULL)
		*size_out = (uint64_t)sb.st_size;
	if (mtime_ns_out != NULL)
		*mtime_ns_out = drydock_store__mtime_ns(&sb);
	if (is_dir_out != NULL)
		*is_dir_out = S_ISDIR(sb.st_mode);
	return 0;
}

int
drydock_store_stat_listed(struct drydock_store *st, int dirfd,
    const char *relpath, uint64_t *size_out, int64_t *mtime_ns_out,
    int *is_dir_out)
{
	struct stat sb;
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(relpath)) < 0)
		return error;
	if (!(st->ops->caps & DRYDOCK_DRIVER_FDS))
		return drydock_store_stat(
		    st, dirfd, relpath, size_out, mtime_ns_out, is_dir_out);
	error = st->ops->statat(st, dirfd, relpath, &sb);
	if (error == -ENOENT) {
		errno = ENOENT;
		drydock_error_set_os("cannot open '%s'", relpath);
		return DRYDOCK_ENOTFOUND;
	}
	if (error < 0 || (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)))
		return drydock_store_stat(
		    st, dirfd, relpath, size_out, mtime_ns_out, is_dir_out);
	if (size_out != NULL)
		*size_out = (uint64_t)sb.st_size;
	if (mtime_ns_out != NULL)
		*mtime_ns_out = drydock_store__mtime_ns(&sb);
	if (is_dir_out != NULL)
		*is_dir_out = S_ISDIR(sb.st_mode);
	return 0;
}

/* --- blobs -------------------------------------------------------------- */

int
drydock_store_blob_path(char *buf, size_t bufsz, const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX];
	const char *alg = d != NULL ? drydock_digest_alg_name(d->alg) : NULL;
	int n;

	if (alg == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "blob path of a digest without algorithm");
		return DRYDOCK_ERROR;
	}
	drydock_digest_hex(hex, d);
	n = snprintf(buf, bufsz, "blobs/%s/%.2s/%s/data", alg, hex, hex);
	if (n < 0 || (size_t)n >= bufsz) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "buffer of %zu bytes too small for a blob path", bufsz);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_store_blob_open(
    struct drydock_store *st, const struct drydock_digest *d)
{
	struct stat sb;

	return drydock_store_blob_open_stat(st, d, &sb);
}

int
drydock_store_blob_open_stat(struct drydock_store *st,
    const struct drydock_digest *d, struct stat *sb_out)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	struct stat sb;
	int fd, error, fl;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_blob_path(path, sizeof(path), d)) < 0)
		return error;
	if (!(st->ops->caps & DRYDOCK_DRIVER_FDS))
		return drydock_store__pipe_open(st, path, sb_out);
	fd = drydock_store__open_raw(
	    st, -1, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &sb);
	if (fd < 0)
		return drydock_store__open_error(st, -1, path, fd);
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return drydock_store__not_regular(path, &sb);
	}
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*sb_out = sb;
	return fd;
}

int
drydock_store_blob_close(struct drydock_store *st, int fd)
{
	int error;

	if (fd < 0)
		return 0;
	if ((error = drydock_store__check(st, __func__)) < 0)
		return error;
	if (!(st->ops->caps & DRYDOCK_DRIVER_FDS))
		return drydock_store__pipe_close(st, fd);
	close(fd);
	return 0;
}

int
drydock_store_blob_read(char **buf_out, size_t *len_out,
    struct drydock_store *st, const struct drydock_digest *d, size_t max)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_blob_path(path, sizeof(path), d)) < 0)
		return error;
	return drydock_store_read_file(buf_out, len_out, st, -1, path, max);
}

int
drydock_store_blob_stat(struct drydock_store *st,
    const struct drydock_digest *d, uint64_t *size_out, int64_t *mtime_ns_out)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32];
	int error, is_dir = 0;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_blob_path(path, sizeof(path), d)) < 0)
		return error;
	error =
	    drydock_store_stat(st, -1, path, size_out, mtime_ns_out, &is_dir);
	if (error == 0 && is_dir) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is a directory, not a regular file", path);
		error = DRYDOCK_EUNSAFE;
	}
	return error;
}

int
drydock_store_stat_many(struct drydock_store *st, const char *const *relpaths,
    size_t n, uint64_t *sizes, int64_t *mtimes_ns, int *codes)
{
	struct stat *sbs = NULL;
	int *errs = NULL, error, is_dir;
	size_t i;

	if ((error = drydock_store__check(st, __func__)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if ((error = drydock_store_path_check(relpaths[i])) < 0)
			return error;
	if (st->ops->stat_many == NULL) {
		for (i = 0; i < n; i++) {
			is_dir = 0;
			codes[i] = drydock_store_stat(st, -1, relpaths[i],
			    sizes != NULL ? &sizes[i] : NULL,
			    mtimes_ns != NULL ? &mtimes_ns[i] : NULL, &is_dir);
			if (codes[i] == 0 && is_dir)
				codes[i] = DRYDOCK_EUNSAFE;
		}
		drydock_error_clear();
		return 0;
	}
	if ((sbs = calloc(n ? n : 1, sizeof(*sbs))) == NULL ||
	    (errs = calloc(n ? n : 1, sizeof(*errs))) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((error = st->ops->stat_many(st, relpaths, n, sbs, errs)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		codes[i] = errs[i] == -ENOENT || errs[i] == -ENOTDIR
		    ? DRYDOCK_ENOTFOUND
		    : errs[i] < 0              ? DRYDOCK_ERROR
		    : !S_ISREG(sbs[i].st_mode) ? DRYDOCK_EUNSAFE
		                               : 0;
		if (sizes != NULL)
			sizes[i] = (uint64_t)sbs[i].st_size;
		if (mtimes_ns != NULL)
			mtimes_ns[i] = drydock_store__mtime_ns(&sbs[i]);
	}
out:
	free(sbs);
	free(errs);
	return error;
}

int
drydock_store__open_error(
    struct drydock_store *st, int dirfd, const char *relpath, int neg_errno)
{
	char culprit[PATH_MAX];

	switch (-neg_errno) {
	case ENOENT:
	case ENOTDIR:
		errno = -neg_errno;
		drydock_error_set_os("cannot open '%s'", relpath);
		return DRYDOCK_ENOTFOUND;
	case ELOOP:
		drydock_store__which_symlink(
		    st, dirfd, relpath, culprit, sizeof(culprit));
		if (strcmp(culprit, relpath) == 0)
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "'%s' is a symlink; refusing to follow it",
			    relpath);
		else
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "cannot open '%s': '%s' is a symlink; refusing to "
			    "follow it",
			    relpath, culprit);
		return DRYDOCK_EUNSAFE;
	case EXDEV:
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' resolves outside the storage root", relpath);
		return DRYDOCK_EUNSAFE;
	case EEXIST:
		drydock_error_set(
		    DRYDOCK_ERRCLASS_STORE, "'%s' exists already", relpath);
		return DRYDOCK_EEXISTS;
	default:
		errno = -neg_errno;
		drydock_error_set_os("cannot open '%s'", relpath);
		return DRYDOCK_ERROR;
	}
}

/* --- handles ------------------------------------------------------------ */

ssize_t
drydock_store__read(struct drydock_store *st, int h, void *buf, size_t len)
{
	ssize_t n;

	if (st == NULL)
		return read(h, buf, len);
	if ((n = st->ops->read(st, h, buf, len)) < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

int
drydock_store__fstat(struct drydock_store *st, int h, struct stat *sb)
{
	int r;

	if (st == NULL)
		return fstat(h, sb);
	if ((r = st->ops->fstat(st, h, sb)) < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

int
drydock_store__statat(
    struct drydock_store *st, int dir, const char *rel, struct stat *sb)
{
	int r;

	if ((r = st->ops->statat(st, dir, rel, sb)) < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

void
drydock_store_handle_close(struct drydock_store *st, int h)
{
	if (h < 0 || drydock_store__check(st, __func__) < 0)
		return;
	st->ops->close_h(st, h);
}

int
drydock_store_handle_stat(struct drydock_store *st, int h, uint64_t *size_out,
    int64_t *mtime_ns_out, int *is_dir_out)
{
	struct stat sb;
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0)
		return error;
	if (drydock_store__fstat(st, h, &sb) < 0) {
		drydock_error_set_os("cannot stat a store handle");
		return DRYDOCK_ERROR;
	}
	if (size_out != NULL)
		*size_out = (uint64_t)sb.st_size;
	if (mtime_ns_out != NULL)
		*mtime_ns_out = drydock_store__mtime_ns(&sb);
	if (is_dir_out != NULL)
		*is_dir_out = S_ISDIR(sb.st_mode);
	return 0;
}

int
drydock_store__open_raw(struct drydock_store *st, int dirfd,
    const char *relpath, int flags, mode_t mode, struct stat *sb)
{
	if (st->ops->caps & DRYDOCK_DRIVER_FDS)
		return drydock_store__fs_open(
		    st, dirfd, relpath, flags, mode, sb);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return -EROFS;
	return st->ops->open(st, dirfd, relpath, flags, sb);
}

int
drydock_store_openat(struct drydock_store *st, int dirfd, const char *relpath,
    int flags, mode_t mode)
{
	int fd, error, writing;

	writing =
	    (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
	error = writing ? drydock_store__check_writable(st, __func__)
	                : drydock_store__check(st, __func__);
	if (error < 0 || (error = drydock_store_path_check(relpath)) < 0)
		return error;
	if (writing && !(st->ops->caps & DRYDOCK_DRIVER_FDS))
		return unsupported(st, "open for writing", relpath);
	fd = drydock_store__open_raw(st, dirfd, relpath, flags, mode, NULL);
	if (fd < 0)
		return drydock_store__open_error(st, dirfd, relpath, fd);
	return fd;
}

int
drydock_store_dir_foreach(struct drydock_store *st, const char *relpath,
    int (*cb)(const char *name, int type, void *payload), void *payload)
{
	return drydock_store_dir_foreach_at(st, -1, relpath, cb, payload);
}

int
drydock_store_dir_foreach_at(struct drydock_store *st, int dirfd,
    const char *relpath, int (*cb)(const char *name, int type, void *payload),
    void *payload)
{
	char buf[8192] __attribute__((aligned(8)));
	const struct drydock_dirent64 *de;
	ssize_t n, pos;
	int h, rc = 0;

	if ((rc = drydock_store__check(st, __func__)) < 0)
		return rc;
	if (relpath[0] != '\0' && (rc = drydock_store_path_check(relpath)) < 0)
		return rc;
	h = drydock_store__open_raw(st, dirfd,
	    relpath[0] != '\0' ? relpath : ".", O_RDONLY | O_DIRECTORY, 0,
	    NULL);
	if (h < 0)
		return drydock_store__open_error(st, dirfd, relpath, h);
	while (rc == 0 && (n = st->ops->getdents(st, h, buf, sizeof(buf))) > 0)
		for (pos = 0; rc == 0 && pos < n; pos += de->d_reclen) {
			de = (const struct drydock_dirent64 *)(const void
			        *)(buf + pos);
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				rc = cb(de->d_name, de->d_type, payload);
		}
	if (rc == 0 && n < 0) {
		errno = (int)-n;
		drydock_error_set_os("cannot list '%s'", relpath);
		rc = DRYDOCK_ERROR;
	}
	st->ops->close_h(st, h);
	return rc;
}

int
drydock_store_read_cb(struct drydock_store *st, const char *relpath,
    int (*cb)(const void *buf, size_t len, void *payload), void *payload,
    int64_t *size_out)
{
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(relpath)) < 0)
		return error;
	return st->ops->read_cb(st, relpath, 0, -1, cb, payload, size_out);
}

/* --- the driver ----------------------------------------------------------- */

const char *
drydock_store_driver(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) < 0 ? NULL : st->ops->name;
}

uint64_t
drydock_store_requests(const struct drydock_store *st)
{
	if (drydock_store__check(st, __func__) < 0 || st->ops->requests == NULL)
		return 0;
	return st->ops->requests(st);
}

int
drydock_store_has_fds(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) == 0 &&
	    (st->ops->caps & DRYDOCK_DRIVER_FDS) != 0;
}

int
drydock_store_has_atomic_rename(const struct drydock_store *st)
{
	return drydock_store__check(st, __func__) == 0 &&
	    (st->ops->caps & DRYDOCK_DRIVER_ATOMIC_RENAME) != 0;
}

int
drydock_store_open_config(struct drydock_store **out,
    const struct drydock_regconfig *cfg, unsigned flags, unsigned jobs)
{
	if (cfg->driver == DRYDOCK_REGCONFIG_S3)
		return drydock_store_open_s3(out, &cfg->s3, flags, jobs);
	return drydock_store_open(out, cfg->rootdirectory, flags);
}

int
drydock_store_lock(struct drydock_store *st)
{
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0)
		return error;
	if (st->locked)
		return 0;
	if ((error = st->ops->lock(st)) == 0)
		st->locked = 1;
	return error;
}

int
drydock_store_clock_skew(struct drydock_store *st, int64_t *skew_ns_out)
{
	int error;

	if ((error = drydock_store__check_writable(st, __func__)) < 0)
		return error;
	return st->ops->clock_skew(st, skew_ns_out);
}

int
drydock_store_sync(struct drydock_store *st)
{
	int error;

	if ((error = drydock_store__check(st, __func__)) < 0)
		return error;
	return st->ops->sync(st);
}

/* --- changing ------------------------------------------------------------- */

/* The checks every call that changes the store makes first. */
static int
writable_path(struct drydock_store *st, const char *fn, const char *relpath)
{
	int error;

	if ((error = drydock_store__check_writable(st, fn)) < 0)
		return error;
	return drydock_store_path_check(relpath);
}

int
drydock_store_unlink(struct drydock_store *st, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->unlink(st, relpath);
}

int
drydock_store_unlink_many(struct drydock_store *st, const char *const *relpaths,
    size_t n, unsigned flags, void (*done)(size_t i, int code, void *payload),
    void *payload)
{
	size_t i;
	int error;

	if ((error = drydock_store__check_writable(st, __func__)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if ((error = drydock_store_path_check(relpaths[i])) < 0)
			return error;
	return st->ops->unlink_many(st, relpaths, n, flags, done, payload);
}

int
drydock_store_rmdir(struct drydock_store *st, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->rmdir(st, relpath);
}

int
drydock_store_rename_sibling(
    struct drydock_store *st, const char *relpath, const char *newname)
{
	const char *slash;
	char *newrel;
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	if (newname[0] == '\0' || strchr(newname, '/') != NULL ||
	    strcmp(newname, ".") == 0 || strcmp(newname, "..") == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a name for an entry", newname);
		return DRYDOCK_ERROR;
	}
	slash = strrchr(relpath, '/');
	if (asprintf(&newrel, "%.*s%s",
	        slash != NULL ? (int)(slash - relpath) + 1 : 0, relpath,
	        newname) < 0) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	error = st->ops->rename(st, relpath, newrel);
	free(newrel);
	return error;
}

int
drydock_store_rename(
    struct drydock_store *st, const char *relpath, const char *newrel)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0 ||
	    (error = drydock_store_path_check(newrel)) < 0)
		return error;
	return st->ops->rename(st, relpath, newrel);
}

int
drydock_store_remove_tree(struct drydock_store *st, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->remove_tree(st, relpath);
}

int
drydock_store_remove_trees(struct drydock_store *st,
    const char *const *relpaths, size_t n,
    void (*done)(size_t i, int code, void *payload), void *payload)
{
	size_t i;
	int error;

	if ((error = drydock_store__check_writable(st, __func__)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if ((error = drydock_store_path_check(relpaths[i])) < 0)
			return error;
	return st->ops->remove_trees(st, relpaths, n, done, payload);
}

int
drydock_store_prune_parents(
    struct drydock_store *st, const char *relpath, const char *stop)
{
	size_t stoplen = stop != NULL ? strlen(stop) : 0;
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	if (stoplen > 0 &&
	    (strncmp(relpath, stop, stoplen) != 0 || relpath[stoplen] != '/')) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a parent directory of '%s'", stop, relpath);
		return DRYDOCK_ERROR;
	}
	return st->ops->prune_parents(st, relpath, stop);
}

int
drydock_store_prune_empty(struct drydock_store *st, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->prune_empty(st, relpath);
}

int
drydock_store_write_file(
    struct drydock_store *st, const char *relpath, const void *buf, size_t len)
{
	return drydock_store_write_file_flags(st, relpath, buf, len, 0);
}

int
drydock_store_write_file_flags(struct drydock_store *st, const char *relpath,
    const void *buf, size_t len, unsigned flags)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->write_file(st, relpath, buf, len, flags);
}

int
drydock_store_write_fd(
    struct drydock_store *st, const char *relpath, int fd, int64_t size)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->write_fd(st, relpath, fd, size);
}

int
drydock_store_mkdir_open(struct drydock_store *st, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	if (!(st->ops->caps & DRYDOCK_DRIVER_FDS))
		return unsupported(st, "make a directory", relpath);
	return drydock_store__fs_mkdir_open(st, relpath);
}

int
drydock_store_move_out(struct drydock_store *st, const char *relpath,
    int dst_dirfd, const char *dst_name)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->move_out(st, relpath, dst_dirfd, dst_name);
}

int
drydock_store_move_in(struct drydock_store *st, int src_dirfd,
    const char *src_name, const char *relpath)
{
	int error;

	if ((error = writable_path(st, __func__, relpath)) < 0)
		return error;
	return st->ops->move_in(st, src_dirfd, src_name, relpath);
}
