/* SPDX-License-Identifier: MIT */
/*
 * walk.c --- visit repositories, tags, tag history, revisions, layer links,
 * uploads and blobs.  Only handle-relative calls of the store's driver
 * (getdents, open, statat: the system calls on a filesystem, listings on
 * S3), d_type instead of stat where it suffices, and one reusable path
 * buffer per walk for the paths handed to callbacks.  This is the one
 * place that knows the registry's directory layout for reading.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/link.h>
#include <drydock/store.h>
#include <drydock/reference.h>
#include <drydock/walk.h>

#include "store_int.h"

#define WALK_PATHMAX 4096
#define WALK_SUFFIXMAX 32 /* room for "/current/link" and the like */
#define REPO_DEPTH_MAX 64
#define REPOS_DIR "repositories"
#define REPOS_PREFIX_LEN (sizeof(REPOS_DIR)) /* "repositories/" */
#define STARTEDAT_MAX 64

struct walk {
	struct drydock_store *st;
	unsigned flags;
	size_t len;
	char path[WALK_PATHMAX];
	char aux[WALK_PATHMAX + WALK_SUFFIXMAX]; /* path + a suffix */
	char aux2[WALK_PATHMAX + WALK_SUFFIXMAX]; /* another one */
};

/* --- walk state and reporting ------------------------------------------- */

static struct walk *
walk_new(struct drydock_store *st, unsigned flags, const char *base)
{
	struct walk *w;
	size_t n = strlen(base);

	if (n >= WALK_PATHMAX) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "walk path '%.64s...' too long", base);
		return NULL;
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		drydock_error_set_os("out of memory");
		return NULL;
	}
	w->st = st;
	w->flags = flags;
	w->len = n;
	memcpy(w->path, base, n + 1);
	return w;
}

/* Append "/name"; returns the length to pop back to, or -1 (reported). */
static int
push(struct walk *w, const char *name)
{
	size_t n = strlen(name), old = w->len;

	if (old + 1 + n >= WALK_PATHMAX) {
		drydock_store_problem(w->st, w->path, DRYDOCK_ERROR,
		    "entry '%.64s...' makes the path too long; skipped", name);
		return -1;
	}
	w->path[old] = '/';
	memcpy(w->path + old + 1, name, n + 1);
	w->len = old + 1 + n;
	return (int)old;
}

static void
pop(struct walk *w, int old)
{
	w->len = (size_t)old;
	w->path[old] = '\0';
}

/* The current path plus a short suffix, in buf (aux or aux2). */
static const char *
with_suffix(char *buf, const struct walk *w, const char *suffix)
{
	size_t n = strlen(suffix);

	memcpy(buf, w->path, w->len);
	memcpy(buf + w->len, suffix, n + 1);
	return buf;
}

/* name (a directory entry, at most NAME_MAX) and a short suffix into buf */
static void
join2(char buf[NAME_MAX + 8], const char *name, const char *suffix)
{
	size_t n = strlen(name);

	memcpy(buf, name, n);
	memcpy(buf + n, suffix, strlen(suffix) + 1);
}

static const char *
type_name(int type)
{
	switch (type) {
	case DT_REG:
		return "file";
	case DT_DIR:
		return "directory";
	case DT_LNK:
		return "symlink";
	case DT_FIFO:
		return "fifo";
	case DT_SOCK:
		return "socket";
	case DT_CHR:
	case DT_BLK:
		return "device";
	default:
		return "entry";
	}
}

static void
symlink_problem(struct walk *w, const char *path)
{
	drydock_store_problem(
	    w->st, path, DRYDOCK_EUNSAFE, "is a symlink; not followed");
}

static void
cruft(struct walk *w, int type)
{
	if (w->flags & DRYDOCK_WALK_CRUFT)
		drydock_store_problem(w->st, w->path, DRYDOCK_ECORRUPT,
		    "unexpected %s", type_name(type));
}

static void
not_digest(struct walk *w)
{
	drydock_store_problem(
	    w->st, w->path, DRYDOCK_ECORRUPT, "not a digest path");
}

/*
 * A directory stream on getdents64(2).  fdopendir(3) costs an fstat and two
 * fcntls per directory, and a walk opens a few per repository: a tenth of
 * a mark's system calls.  Entries are read into a buffer of the stream's
 * own; the struct dirent returned is borrowed until the next read.
 */
struct wdir {
	struct drydock_store *st;
	int fd;
	size_t pos, len;
	unsigned fills; /* getdents64 calls that returned entries */
	int eof; /* the last getdents64 returned 0 */
	char buf[16384] __attribute__((aligned(8)));
};

static struct wdir *
wdir_open(struct drydock_store *st, int fd)
{
	struct wdir *d = malloc(sizeof(*d));

	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->st = st;
	d->fd = fd;
	d->pos = d->len = 0;
	d->fills = 0;
	d->eof = 0;
	return d;
}

static int
wdir_fd(const struct wdir *d)
{
	return d->fd;
}

/* NULL at the end (errno 0) or on an error (errno set). */
static struct dirent *
wdir_read(struct wdir *d)
{
	struct dirent *de;
	ssize_t n;

	if (d->pos >= d->len) {
		if (d->eof)
			return NULL;
		n = d->st->ops->getdents(d->st, d->fd, d->buf, sizeof(d->buf));
		if (n <= 0) {
			d->eof = n == 0;
			errno = (int)-n;
			return NULL;
		}
		d->len = (size_t)n;
		d->pos = 0;
		d->fills++;
	}
	de = (struct dirent *)(void *)(d->buf + d->pos);
	d->pos += de->d_reclen;
	return de;
}

/*
 * Back to the first entry.  A directory whose entries all came in one
 * getdents64 (most of a registry's: a repository holds three) is read
 * again from the buffer: no lseek, no getdents64.
 */
static void
wdir_rewind(struct wdir *d)
{
	if (d->eof && d->fills == 1) {
		d->pos = 0;
		return;
	}
	(void)d->st->ops->rewind(d->st, d->fd);
	d->pos = d->len = 0;
	d->fills = 0;
	d->eof = 0;
}

static void
wdir_close(struct wdir *d)
{
	if (d == NULL)
		return;
	d->st->ops->close_h(d->st, d->fd);
	free(d);
}

/* The entry's type (next_entry() fills in an unknown d_type). */
static int
entry_type(struct wdir *d, const struct dirent *de)
{
	(void)d;
	return de->d_type;
}

/*
 * Next entry but "." and ".."; a read error is reported (w->path: d).
 * What was removed since it was listed (a gc or a registry delete running
 * beside the walk) is not there to visit: an entry gone before its type
 * could be looked up is skipped, and a directory removed while it was read
 * (getdents says ENOENT once it is dead) simply ends.
 */
static struct dirent *
next_entry(struct walk *w, struct wdir *d)
{
	struct dirent *de;
	struct stat sb;

	for (;;) {
		errno = 0;
		if ((de = wdir_read(d)) == NULL) {
			if (errno != 0 && errno != ENOENT)
				drydock_store_problem(w->st, w->path,
				    DRYDOCK_ERROR, "cannot read directory: %s",
				    strerror(errno));
			return NULL;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' ||
		        (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (de->d_type != DT_UNKNOWN)
			return de;
		if (drydock_store__statat(w->st, wdir_fd(d), de->d_name, &sb) ==
		    0)
			de->d_type = (unsigned char)IFTODT(sb.st_mode);
		else if (errno == ENOENT)
			continue;
		return de;
	}
}

/* Report why opening the directory entry w->path failed. */
static void
open_problem(struct walk *w, int err)
{
	if (err == ELOOP)
		symlink_problem(w, w->path);
	else if (err == ENOTDIR)
		drydock_store_problem(
		    w->st, w->path, DRYDOCK_ECORRUPT, "is not a directory");
	else if (err != ENOENT) /* gone meanwhile: nothing to report */
		drydock_store_problem(w->st, w->path, DRYDOCK_ERROR,
		    "cannot open directory: %s", strerror(err));
}

/* Open the subdirectory name of d (w->path names it) without following. */
static int
open_subdir(struct walk *w, struct wdir *d, const char *name, int flags)
{
	struct stat sb;
	int fd, err;

	fd = w->st->ops->open(
	    w->st, wdir_fd(d), name, flags | O_DIRECTORY, NULL);
	if (fd < 0) {
		/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR */
		err = -fd;
		if (err == ENOTDIR &&
		    drydock_store__statat(w->st, wdir_fd(d), name, &sb) == 0 &&
		    S_ISLNK(sb.st_mode))
			err = ELOOP;
		open_problem(w, err);
	}
	return fd;
}

static struct wdir *
opendir_sub(struct walk *w, struct wdir *d, const char *name)
{
	struct wdir *sub;
	int fd;

	if ((fd = open_subdir(w, d, name, O_RDONLY)) < 0)
		return NULL;
	if ((sub = wdir_open(w->st, fd)) == NULL) {
		open_problem(w, errno);
		w->st->ops->close_h(w->st, fd);
	}
	return sub;
}

/*
 * Open the directory a walk starts from: rel beneath dirfd (-1: $V2), w->path
 * naming it already.  NULL with *error 0 when it does not exist (nothing to
 * visit); NULL with an error code and message when it cannot be walked: a
 * walk that cannot start is an error, not a problem to skip.
 */
static struct wdir *
open_root(struct walk *w, int dirfd, const char *rel, int *error)
{
	char culprit[PATH_MAX];
	size_t prefix = w->len - strlen(rel);
	struct wdir *d;
	int fd;

	*error = 0;
	fd = drydock_store__open_raw(
	    w->st, dirfd, rel, O_RDONLY | O_DIRECTORY, 0, NULL);
	if (fd == -ENOENT)
		return NULL;
	if (fd == -ELOOP) {
		drydock_store__which_symlink(
		    w->st, dirfd, rel, culprit, sizeof(culprit));
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%.*s%s' is a symlink; refusing to follow it", (int)prefix,
		    w->path, culprit);
		*error = DRYDOCK_EUNSAFE;
		return NULL;
	}
	if (fd < 0) {
		errno = -fd;
		drydock_error_set_os("cannot open directory '%s'", w->path);
		*error = fd == -ENOTDIR ? DRYDOCK_ECORRUPT : DRYDOCK_ERROR;
		return NULL;
	}
	if ((d = wdir_open(w->st, fd)) == NULL) {
		drydock_error_set_os("cannot open directory '%s'", w->path);
		*error = DRYDOCK_ERROR;
		w->st->ops->close_h(w->st, fd);
	}
	return d;
}

/* A callback's result: 0 goes on, anything else but SKIP stops. */
static int
cb_result(int rc)
{
	if (rc == DRYDOCK_WALK_SKIP)
		return 0;
	if (rc < 0 && drydock_error_last()->message[0] == '\0')
		drydock_error_set(
		    DRYDOCK_ERRCLASS_CALLBACK, "walk callback returned %d", rc);
	return rc;
}

/* --- link files --------------------------------------------------------- */

/*
 * STAT without READ: the link file's mtime by name, one fstatat instead of
 * an open, an fstat and a close (gc stats every revision).  dirname came
 * from the listing as a directory; only "link" itself could be a symlink,
 * and AT_SYMLINK_NOFOLLOW sees that.  Returns 0 when li is filled in, -1
 * when the caller's open should look (and report) instead.
 */
static int
link_stat(struct drydock_store *st, int dfd, const char *dirname,
    const char *rel, struct drydock_link_info *li, const char *parent)
{
	struct stat sb;

	if (drydock_store__statat(st, dfd, rel, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			return -1; /* a symlink or a special file */
		li->mtime_ns = drydock_store__mtime_ns(&sb);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	li->status = DRYDOCK_ENOTFOUND;
	if (drydock_store__statat(st, dfd, dirname, &sb) == 0 ||
	    (parent != NULL &&
	        drydock_store__statat(st, dfd, parent, &sb) == 0))
		li->mtime_ns = drydock_store__mtime_ns(&sb);
	return 0;
}

/*
 * Fill li's status, mtime and target from the link file <dirname>/link
 * beneath dfd; li->path and li->dir_path name them in problems.  When the
 * link is missing, mtime is dirname's, or if dirname is missing too that
 * of parent (beneath dfd; NULL: none), as for a tag directory without
 * current/.
 */
static void
link_fill(struct walk *w, int dfd, const char *dirname,
    struct drydock_link_info *li, unsigned flags, const char *parent)
{
	char rel[NAME_MAX + 8], culprit[NAME_MAX + 8];
	struct stat sb;
	int fd, error;

	join2(rel, dirname, "/link");
	if ((flags & DRYDOCK_WALK_STAT) && !(flags & DRYDOCK_WALK_READ) &&
	    link_stat(w->st, dfd, dirname, rel, li, parent) == 0)
		return;
	if ((flags & DRYDOCK_WALK_READ) &&
	    drydock_store__link_known(&li->target, &sb, w->st, dfd, rel)) {
		if (flags & DRYDOCK_WALK_STAT)
			li->mtime_ns = drydock_store__mtime_ns(&sb);
		return;
	}
	fd = drydock_store__open_raw(w->st, dfd, rel,
	    flags & DRYDOCK_WALK_READ ? O_RDONLY | O_NONBLOCK | O_NOCTTY
	                              : O_PATH,
	    0, &sb);
	if (fd >= 0) {
		if (!S_ISREG(sb.st_mode)) {
			li->status = DRYDOCK_EUNSAFE;
			drydock_store_problem(w->st, li->path, DRYDOCK_EUNSAFE,
			    "is not a regular file");
		} else {
			if (flags & DRYDOCK_WALK_STAT)
				li->mtime_ns = drydock_store__mtime_ns(&sb);
			if ((flags & DRYDOCK_WALK_READ) &&
			    (error = drydock_store__read_link_fd(&li->target,
			         w->st, fd, (int64_t)sb.st_size)) < 0) {
				li->status = error == DRYDOCK_ERROR
				    ? DRYDOCK_ERROR
				    : DRYDOCK_ECORRUPT;
				memset(&li->target, 0, sizeof(li->target));
				drydock_store_problem(w->st, li->path,
				    li->status, "%s", drydock_error_message());
			}
		}
		w->st->ops->close_h(w->st, fd);
		return;
	}
	switch (-fd) {
	case ENOENT:
		li->status = DRYDOCK_ENOTFOUND;
		if (!(flags & DRYDOCK_WALK_STAT))
			break;
		if (drydock_store__statat(w->st, dfd, dirname, &sb) == 0 ||
		    (parent != NULL &&
		        drydock_store__statat(w->st, dfd, parent, &sb) == 0))
			li->mtime_ns = drydock_store__mtime_ns(&sb);
		break;
	case ELOOP:
		li->status = DRYDOCK_EUNSAFE;
		drydock_store__which_symlink(
		    w->st, dfd, rel, culprit, sizeof(culprit));
		symlink_problem(
		    w, strcmp(culprit, dirname) == 0 ? li->dir_path : li->path);
		break;
	case ENOTDIR:
		li->status = DRYDOCK_ECORRUPT;
		drydock_store_problem(w->st, li->dir_path, DRYDOCK_ECORRUPT,
		    "is not a directory");
		break;
	default:
		li->status = DRYDOCK_ERROR;
		drydock_store_problem(w->st, li->path, DRYDOCK_ERROR,
		    "cannot open: %s", strerror(-fd));
	}
}

/* With DRYDOCK_WALK_CRUFT: report what an <alg>/<hex>/ holds besides link */
static void
link_dir_cruft(struct walk *w, struct wdir *algdir, const char *hex)
{
	struct dirent *de;
	struct wdir *d;
	int old;

	if ((d = opendir_sub(w, algdir, hex)) == NULL)
		return;
	while ((de = next_entry(w, d)) != NULL) {
		if (strcmp(de->d_name, "link") == 0)
			continue;
		if ((old = push(w, de->d_name)) < 0)
			continue;
		cruft(w, entry_type(d, de));
		pop(w, old);
	}
	wdir_close(d);
}

struct link_walk {
	struct walk *w;
	const struct drydock_repo_info *repo;
	drydock_link_cb cb;
	void *payload;
};

/* One <alg>/<hex>/ directory; w->path names it. */
static int
link_hex(struct link_walk *lw, struct wdir *algdir, const char *hex, int alg)
{
	char rel[NAME_MAX + 8];
	struct drydock_link_info li;
	struct walk *w = lw->w;
	struct stat sb;

	memset(&li, 0, sizeof(li));
	if (drydock_digest_from_hex(&li.digest, alg, hex, strlen(hex)) < 0) {
		not_digest(w);
		return 0;
	}
	li.dir_path = w->path;
	li.path = with_suffix(w->aux, w, "/link");
	if (!(w->flags & DRYDOCK_WALK_NAMES))
		link_fill(w, wdir_fd(algdir), hex, &li, w->flags, NULL);
	else if (w->st->ops->caps & DRYDOCK_DRIVER_LISTS_STATS) {
		/* the listing has its time (S3): what a probe would ask */
		join2(rel, hex, "/link");
		if (link_stat(w->st, wdir_fd(algdir), hex, rel, &li, NULL) < 0)
			li.mtime_ns = 0; /* odd: by name only, as asked */
	}
	if (li.status == DRYDOCK_ENOTFOUND &&
	    drydock_store__statat(w->st, wdir_fd(algdir), hex, &sb) < 0 &&
	    errno == ENOENT) {
		/* removed since it was listed, link and all */
		drydock_error_clear();
		return 0;
	}
	if (w->flags & DRYDOCK_WALK_CRUFT)
		link_dir_cruft(w, algdir, hex);
	drydock_error_clear();
	return cb_result(lw->cb(lw->repo, &li, lw->payload));
}

static int
link_alg(struct link_walk *lw, struct wdir *d, int alg)
{
	struct walk *w = lw->w;
	struct dirent *de;
	int type, old, rc = 0;

	while (rc == 0 && (de = next_entry(w, d)) != NULL) {
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_DIR)
			cruft(w, type);
		else
			rc = link_hex(lw, d, de->d_name, alg);
		pop(w, old);
	}
	return rc;
}

/*
 * DRYDOCK_WALK_CANONICAL: <sub>/sha256/ opened at once.  *done 0 when it
 * cannot be (a symlink, not a directory): the full walk says what it is.
 */
static int
link_walk_sha256(struct link_walk *lw, const char *sub, int *done)
{
	char rel[PATH_MAX];
	struct wdir *d;
	int old, rc = 0;

	*done = 0;
	if ((size_t)snprintf(rel, sizeof(rel), "%s/sha256", sub) >=
	        sizeof(rel) ||
	    (old = push(lw->w, rel)) < 0)
		return 0;
	if ((d = open_root(lw->w, lw->repo->fd, rel, &rc)) != NULL) {
		rc = link_alg(lw, d, DRYDOCK_DIGEST_SHA256);
		wdir_close(d);
		*done = 1;
	} else if (rc < 0) {
		drydock_error_clear();
		rc = 0;
	} else {
		*done = 1; /* no sha256/: nothing to visit */
	}
	pop(lw->w, old);
	return rc;
}

/* <repo>/<sub>/<alg>/<hex>/link */
static int
link_walk(struct drydock_store *st, const struct drydock_repo_info *repo,
    const char *sub, unsigned flags, drydock_link_cb cb, void *payload)
{
	struct link_walk lw = {NULL, repo, cb, payload};
	struct dirent *de;
	struct wdir *d = NULL, *ad;
	int type, old, alg, done, rc = 0;

	if ((lw.w = walk_new(st, flags, repo->path)) == NULL)
		return DRYDOCK_ERROR;
	if (flags & DRYDOCK_WALK_CANONICAL) {
		rc = link_walk_sha256(&lw, sub, &done);
		if (done)
			goto out;
	}
	if (push(lw.w, sub) < 0) {
		rc = DRYDOCK_ERROR;
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID, "path too long");
		goto out;
	}
	if ((d = open_root(lw.w, repo->fd, sub, &rc)) == NULL)
		goto out;
	while (rc == 0 && (de = next_entry(lw.w, d)) != NULL) {
		if ((old = push(lw.w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		alg = drydock_digest_alg_lookup(de->d_name, strlen(de->d_name));
		if (type == DT_LNK)
			symlink_problem(lw.w, lw.w->path);
		else if (type != DT_DIR)
			cruft(lw.w, type);
		else if (alg == DRYDOCK_DIGEST_NONE)
			not_digest(lw.w);
		else if ((ad = opendir_sub(lw.w, d, de->d_name)) != NULL) {
			rc = link_alg(&lw, ad, alg);
			wdir_close(ad);
		}
		pop(lw.w, old);
	}
out:
	if (d != NULL)
		wdir_close(d);
	free(lw.w);
	return rc;
}

static int
check_repo(struct drydock_store *st, const struct drydock_repo_info *repo,
    const char *fn)
{
	int error;

	if ((error = drydock_store__check(st, fn)) < 0)
		return error;
	if (repo == NULL || repo->path == NULL || repo->fd < 0) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "%s: no repository", fn);
		return DRYDOCK_ERROR;
	}
	/* a walk below a repository visits most of it: on S3, one listing */
	if ((error = st->ops->prefetch(st, repo->fd, 0)) < 0) {
		errno = -error;
		drydock_error_set_os("cannot list '%s'", repo->path);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_revision_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_link_cb cb,
    void *payload)
{
	int error;

	if ((error = check_repo(st, repo, __func__)) < 0)
		return error;
	return link_walk(st, repo, "_manifests/revisions", flags, cb, payload);
}

int
drydock_layer_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_link_cb cb,
    void *payload)
{
	int error;

	if ((error = check_repo(st, repo, __func__)) < 0)
		return error;
	return link_walk(st, repo, "_layers", flags, cb, payload);
}

/* --- tags --------------------------------------------------------------- */

int
drydock_tag_history_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, const char *tag, unsigned flags,
    drydock_link_cb cb, void *payload)
{
	char sub[sizeof("_manifests/tags//index") + 128];
	int error;

	if ((error = check_repo(st, repo, __func__)) < 0)
		return error;
	if (tag == NULL || !drydock_reference_is_tag(tag)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "invalid tag name '%.128s'", tag != NULL ? tag : "");
		return DRYDOCK_ERROR;
	}
	snprintf(sub, sizeof(sub), "_manifests/tags/%s/index", tag);
	return link_walk(st, repo, sub, flags, cb, payload);
}

/*
 * One tags/<tag>/ directory; w->path names it.  current/link is opened
 * from the tags directory (one openat2 beneath it, symlinks refused on the
 * way): a tag costs an open, an fstat, a read and a close.
 */
static int
tag_one(struct walk *w, const struct drydock_repo_info *repo, struct wdir *d,
    const char *tag, drydock_tag_cb cb, void *payload)
{
	char current[NAME_MAX + 1];
	struct drydock_tag_info ti;
	struct stat sb;

	if ((size_t)snprintf(current, sizeof(current), "%s/current", tag) >=
	    sizeof(current))
		return 0; /* not a tag name: never reached */
	memset(&ti, 0, sizeof(ti));
	ti.name = tag;
	ti.path = w->path;
	ti.current.dir_path = with_suffix(w->aux, w, "/current");
	ti.current.path = with_suffix(w->aux2, w, "/current/link");
	link_fill(w, wdir_fd(d), current, &ti.current,
	    DRYDOCK_WALK_READ | DRYDOCK_WALK_STAT, tag);
	drydock_error_clear();
	/* a tag deleted since the listing is not there to visit */
	if (ti.current.status == DRYDOCK_ENOTFOUND &&
	    drydock_store__statat(w->st, wdir_fd(d), tag, &sb) < 0 &&
	    errno == ENOENT)
		return 0;
	return cb_result(cb(repo, &ti, payload));
}

int
drydock_tag_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_tag_cb cb,
    void *payload)
{
	static const char sub[] = "_manifests/tags";
	struct dirent *de;
	struct walk *w;
	struct wdir *d = NULL;
	int type, old, rc = 0;

	if ((rc = check_repo(st, repo, __func__)) < 0)
		return rc;
	if ((w = walk_new(st, flags, repo->path)) == NULL)
		return DRYDOCK_ERROR;
	if (push(w, sub) < 0) {
		rc = DRYDOCK_ERROR;
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID, "path too long");
		goto out;
	}
	if ((d = open_root(w, repo->fd, sub, &rc)) == NULL)
		goto out;
	while (rc == 0 && (de = next_entry(w, d)) != NULL) {
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_DIR)
			cruft(w, type);
		else if (!drydock_reference_is_tag(de->d_name))
			drydock_store_problem(
			    st, w->path, DRYDOCK_ECORRUPT, "invalid tag name");
		else
			rc = tag_one(w, repo, d, de->d_name, cb, payload);
		pop(w, old);
	}
out:
	if (d != NULL)
		wdir_close(d);
	free(w);
	return rc;
}

/* --- uploads ------------------------------------------------------------ */

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int year, int mon)
{
	static const int days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

/*
 * Go's time.Parse(time.RFC3339, s): "2006-01-02T15:04:05Z07:00", with
 * optional fractional seconds.  Unix seconds, or -1 when s does not parse.
 */
static int64_t
parse_rfc3339(const char *s, size_t len)
{
	struct tm tm;
	int year, mon, day, hh, mm, ss, oh = 0, om = 0, sign = 1;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	year = digits(s, 4);
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (year < 0 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 59)
		return -1;
	if (s[i] == '.' || s[i] == ',') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			return -1;
	}
	if (i + 1 == len && s[i] == 'Z')
		;
	else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
	    s[i + 3] == ':') {
		sign = s[i] == '-' ? -1 : 1;
		oh = digits(s + i + 1, 2);
		om = digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
	} else
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm) - sign * (int64_t)(oh * 3600 + om * 60);
}

static int64_t
read_startedat(struct walk *w, int ufd)
{
	char buf[STARTEDAT_MAX + 1];
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = drydock_store__open_raw(
	    w->st, ufd, "startedat", O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &sb);
	if (fd < 0) {
		if (fd == -ELOOP)
			symlink_problem(
			    w, with_suffix(w->aux, w, "/startedat"));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		drydock_store_problem(w->st,
		    with_suffix(w->aux, w, "/startedat"), DRYDOCK_EUNSAFE,
		    "is not a regular file");
		w->st->ops->close_h(w->st, fd);
		return -1;
	}
	while (len < sizeof(buf)) {
		n = drydock_store__read(
		    w->st, fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	w->st->ops->close_h(w->st, fd);
	return len > STARTEDAT_MAX ? -1 : parse_rfc3339(buf, len);
}

/* One _uploads/<id>/; w->path names it. */
static int
upload_one(struct walk *w, const struct drydock_repo_info *repo, struct wdir *d,
    const char *id, drydock_upload_cb cb, void *payload)
{
	struct drydock_upload_info ui;
	struct stat sb;
	int fd;

	if ((fd = open_subdir(w, d, id, O_PATH)) < 0)
		return 0;
	memset(&ui, 0, sizeof(ui));
	ui.id = id;
	ui.path = w->path;
	if (drydock_store__fstat(w->st, fd, &sb) == 0)
		ui.mtime_ns = drydock_store__mtime_ns(&sb);
	ui.startedat = read_startedat(w, fd);
	if (drydock_store__statat(w->st, fd, "data", &sb) == 0) {
		if (S_ISREG(sb.st_mode))
			ui.size = (uint64_t)sb.st_size;
		else if (S_ISLNK(sb.st_mode))
			symlink_problem(w, with_suffix(w->aux, w, "/data"));
		else
			drydock_store_problem(w->st,
			    with_suffix(w->aux, w, "/data"), DRYDOCK_EUNSAFE,
			    "is not a regular file");
	}
	w->st->ops->close_h(w->st, fd);
	drydock_error_clear();
	return cb_result(cb(repo, &ui, payload));
}

int
drydock_upload_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_upload_cb cb,
    void *payload)
{
	static const char sub[] = "_uploads";
	struct dirent *de;
	struct walk *w;
	struct wdir *d = NULL;
	int type, old, rc = 0;

	if ((rc = check_repo(st, repo, __func__)) < 0)
		return rc;
	if ((w = walk_new(st, flags, repo->path)) == NULL)
		return DRYDOCK_ERROR;
	if (push(w, sub) < 0) {
		rc = DRYDOCK_ERROR;
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID, "path too long");
		goto out;
	}
	if ((d = open_root(w, repo->fd, sub, &rc)) == NULL)
		goto out;
	while (rc == 0 && (de = next_entry(w, d)) != NULL) {
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_DIR)
			cruft(w, type);
		else
			rc = upload_one(w, repo, d, de->d_name, cb, payload);
		pop(w, old);
	}
out:
	if (d != NULL)
		wdir_close(d);
	free(w);
	return rc;
}

/* --- repositories ------------------------------------------------------- */

static unsigned
marker_bit(const char *name)
{
	if (strcmp(name, "_manifests") == 0)
		return DRYDOCK_REPO_MANIFESTS;
	if (strcmp(name, "_layers") == 0)
		return DRYDOCK_REPO_LAYERS;
	if (strcmp(name, "_uploads") == 0)
		return DRYDOCK_REPO_UPLOADS;
	return 0;
}

struct repo_walk {
	struct walk *w;
	drydock_repo_cb cb;
	void *payload;
};

/* The '_' entries of a directory: which markers it has; *n counts all. */
static unsigned
repo_markers(struct walk *w, struct wdir *d, size_t *n)
{
	struct dirent *de;
	unsigned has = 0, bit;
	int type, old;

	*n = 0;
	while ((de = next_entry(w, d)) != NULL) {
		++*n;
		if (de->d_name[0] != '_' || (old = push(w, de->d_name)) < 0)
			continue;
		bit = marker_bit(de->d_name);
		type = entry_type(d, de);
		if (bit == 0)
			cruft(w, type);
		else if (type == DT_DIR)
			has |= bit;
		else if (type == DT_LNK)
			symlink_problem(w, w->path);
		else
			drydock_store_problem(w->st, w->path, DRYDOCK_ECORRUPT,
			    "is not a directory");
		pop(w, old);
	}
	wdir_rewind(d);
	return has;
}

/*
 * A directory below repositories/ (w->path), depth components deep: call
 * back if it is a repository, then descend into its non-'_' directories.
 */
static int
repo_dir(struct repo_walk *rw, struct wdir *d, int depth)
{
	struct drydock_repo_info info;
	struct walk *w = rw->w;
	struct dirent *de;
	struct wdir *sub;
	unsigned has;
	size_t n;
	int type, old, rc = 0;

	if (depth > 0) {
		has = repo_markers(w, d, &n);
		if ((has & (DRYDOCK_REPO_MANIFESTS | DRYDOCK_REPO_LAYERS)) ||
		    (n == 0 && (w->flags & DRYDOCK_WALK_EMPTY))) {
			info.name = w->path + REPOS_PREFIX_LEN;
			info.path = w->path;
			info.fd = wdir_fd(d);
			info.has = has;
			drydock_error_clear();
			rc = rw->cb(&info, rw->payload);
			if (rc == DRYDOCK_WALK_SKIP)
				return 0;
			if (rc != 0)
				return cb_result(rc);
		} else if (has != 0 && (w->flags & DRYDOCK_WALK_CRUFT))
			drydock_store_problem(w->st, w->path, DRYDOCK_ECORRUPT,
			    "has _uploads but neither _manifests nor _layers");
	}
	while (rc == 0 && (de = next_entry(w, d)) != NULL) {
		if (de->d_name[0] == '_' && depth > 0)
			continue; /* metadata, seen by repo_markers */
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_DIR || de->d_name[0] == '_')
			cruft(w, type);
		else if (depth + 1 > REPO_DEPTH_MAX)
			drydock_store_problem(w->st, w->path,
			    DRYDOCK_EUNSUPPORTED,
			    "nested more than %d levels deep; not descended",
			    REPO_DEPTH_MAX);
		else if ((sub = opendir_sub(w, d, de->d_name)) != NULL) {
			rc = repo_dir(rw, sub, depth + 1);
			wdir_close(sub);
		}
		pop(w, old);
	}
	return rc;
}

int
drydock_repo_foreach(
    struct drydock_store *st, unsigned flags, drydock_repo_cb cb, void *payload)
{
	struct repo_walk rw = {NULL, cb, payload};
	struct wdir *d;
	int rc;

	if ((rc = drydock_store__check(st, __func__)) < 0)
		return rc;
	if ((rw.w = walk_new(st, flags, REPOS_DIR)) == NULL)
		return DRYDOCK_ERROR;
	if ((d = open_root(rw.w, -1, REPOS_DIR, &rc)) != NULL) {
		rc = repo_dir(&rw, d, 0);
		wdir_close(d);
	}
	free(rw.w);
	return rc;
}

int
drydock_repo_open(struct drydock_repo_info *info_out, char **path_out,
    struct drydock_store *st, const char *name)
{
	static const char *const markers[] = {
	    "_manifests", "_layers", "_uploads"};
	struct stat sb;
	const char *p;
	char *path = NULL;
	size_t i, n;
	unsigned has = 0;
	int fd = -1, error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(name)) < 0)
		return error;
	for (p = name; p != NULL; p = strchr(p, '/')) {
		p += *p == '/';
		if (*p == '_') {
			drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
			    "'%s' is not a repository name", name);
			return DRYDOCK_ERROR;
		}
	}
	n = REPOS_PREFIX_LEN + strlen(name) + 1;
	if ((path = malloc(n)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	snprintf(path, n, "%s/%s", REPOS_DIR, name);
	/*
	 * one snapshot of it all, on S3, before anything is looked at: the
	 * stats of its directories then agree with what its walks see, two
	 * opens of an unchanged repository stat the same (gc's re-check),
	 * and the open and its markers cost no request of their own.  Only
	 * names the walk found come here (gc): a repository, not a
	 * namespace, is listed.
	 */
	if (st->ops->open_prefetch != NULL)
		fd = st->ops->open_prefetch(st, -1, path, NULL);
	else
		fd = drydock_store__open_raw(
		    st, -1, path, O_RDONLY | O_DIRECTORY, 0, NULL);
	if (fd < 0) {
		error = drydock_store__open_error(st, -1, path, fd);
		goto out;
	}
	if (st->ops->open_prefetch == NULL &&
	    (error = st->ops->prefetch(st, fd, 0)) < 0) {
		errno = -error;
		drydock_error_set_os("cannot list '%s'", path);
		error = DRYDOCK_ERROR;
		goto out;
	}
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (drydock_store__statat(st, fd, markers[i], &sb) == 0 &&
		    S_ISDIR(sb.st_mode))
			has |= marker_bit(markers[i]);
	if (!(has & (DRYDOCK_REPO_MANIFESTS | DRYDOCK_REPO_LAYERS))) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is not a repository: no _manifests or _layers", path);
		error = DRYDOCK_ENOTFOUND;
		goto out;
	}
	info_out->name = path + REPOS_PREFIX_LEN;
	info_out->path = path;
	info_out->fd = fd;
	info_out->has = has;
	*path_out = path;
	path = NULL;
	fd = -1;
out:
	if (fd >= 0)
		st->ops->close_h(st, fd);
	free(path);
	return error;
}

int
drydock_repo_prefetch(
    struct drydock_store *st, const char *const *names, size_t n)
{
	char **paths;
	size_t i, k = 0;

	if (drydock_store__check(st, __func__) < 0 ||
	    st->ops->prefetch_many == NULL)
		return 0;
	if ((paths = calloc(n ? n : 1, sizeof(*paths))) == NULL)
		return 0;
	/* only names drydock_repo_open() would open; it says why not */
	for (i = 0; i < n; i++)
		if (drydock_store_path_check(names[i]) == 0 &&
		    asprintf(&paths[k], "%s/%s", REPOS_DIR, names[i]) >= 0)
			k++;
	drydock_error_clear();
	(void)st->ops->prefetch_many(st, (const char *const *)paths, k);
	for (i = 0; i < k; i++)
		free(paths[i]);
	free(paths);
	return 0;
}

/* --- blobs -------------------------------------------------------------- */

struct blob_walk {
	struct walk *w;
	drydock_blob_cb cb;
	void *payload;
	unsigned shard, nshards; /* drydock_blob_foreach_shard(), else 0, 1 */
};

/* A part other than 0 of a sharded walk: says nothing above <hh>/. */
static int
blob_quiet(const struct blob_walk *bw, int (*ok)(const char *))
{
	return bw->shard != 0 && ok != NULL;
}

/* has_data etc. by listing the blob directory: sees strays (CRUFT) */
static void
blob_scan(struct walk *w, struct wdir *hhdir, const char *hex,
    struct drydock_blob_info *bi)
{
	struct dirent *de;
	struct stat sb;
	size_t n;
	struct wdir *d;
	int type, old;

	if ((d = opendir_sub(w, hhdir, hex)) == NULL)
		return;
	while ((de = next_entry(w, d)) != NULL) {
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		n = strlen(de->d_name);
		if (strcmp(de->d_name, "data") != 0) {
			if (strncmp(de->d_name, "data.", 5) == 0 && n > 9 &&
			    strcmp(de->d_name + n - 4, ".tmp") == 0)
				drydock_store_problem(w->st, w->path,
				    DRYDOCK_ECORRUPT,
				    "leftover temporary file");
			else
				cruft(w, type);
		} else if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_REG)
			drydock_store_problem(w->st, w->path, DRYDOCK_EUNSAFE,
			    "is not a regular file");
		else if (!(w->flags & DRYDOCK_WALK_STAT))
			bi->has_data = 1;
		else if (drydock_store__statat(
		             w->st, wdir_fd(d), "data", &sb) == 0 &&
		    S_ISREG(sb.st_mode)) {
			bi->has_data = 1;
			bi->size = (uint64_t)sb.st_size;
			bi->mtime_ns = drydock_store__mtime_ns(&sb);
			bi->inode = (uint64_t)sb.st_ino;
		}
		pop(w, old);
	}
	wdir_close(d);
}

static void
blob_data_found(
    const struct walk *w, struct drydock_blob_info *bi, const struct stat *sb)
{
	bi->has_data = 1;
	if (w->flags & DRYDOCK_WALK_STAT) {
		bi->size = (uint64_t)sb->st_size;
		bi->mtime_ns = drydock_store__mtime_ns(sb);
		bi->inode = (uint64_t)sb->st_ino;
	}
}

/* has_data etc. from <hex>/data alone: one confined open and an fstat */
static void
blob_probe(struct walk *w, struct wdir *hhdir, const char *hex,
    struct drydock_blob_info *bi)
{
	char rel[NAME_MAX + 8], culprit[NAME_MAX + 8];
	struct stat sb;
	int fd;

	join2(rel, hex, "/data");
	/*
	 * hex came from the listing as a directory (blob_level), so only
	 * data itself could be a symlink, and AT_SYMLINK_NOFOLLOW sees that:
	 * one fstatat instead of an open, an fstat and a close, as link_stat
	 * does.  Anything but a regular file is looked at the careful way.
	 */
	if ((w->st->ops->caps & DRYDOCK_DRIVER_FDS) &&
	    drydock_store__statat(w->st, wdir_fd(hhdir), rel, &sb) == 0 &&
	    S_ISREG(sb.st_mode)) {
		blob_data_found(w, bi, &sb);
		return;
	}
	fd =
	    drydock_store__open_raw(w->st, wdir_fd(hhdir), rel, O_PATH, 0, &sb);
	if (fd >= 0) {
		w->st->ops->close_h(w->st, fd);
		if (!S_ISREG(sb.st_mode)) {
			drydock_store_problem(w->st,
			    with_suffix(w->aux, w, "/data"), DRYDOCK_EUNSAFE,
			    "is not a regular file");
			return;
		}
		blob_data_found(w, bi, &sb);
		return;
	}
	switch (-fd) {
	case ENOENT:
		break;
	case ELOOP:
		drydock_store__which_symlink(
		    w->st, wdir_fd(hhdir), rel, culprit, sizeof(culprit));
		symlink_problem(w,
		    strcmp(culprit, hex) == 0
		        ? w->path
		        : with_suffix(w->aux, w, "/data"));
		break;
	case ENOTDIR:
		drydock_store_problem(
		    w->st, w->path, DRYDOCK_ECORRUPT, "is not a directory");
		break;
	default:
		drydock_store_problem(w->st, with_suffix(w->aux, w, "/data"),
		    DRYDOCK_ERROR, "cannot open: %s", strerror(-fd));
	}
}

/* One blobs/<alg>/<hh>/<hex>/; w->path names it. */
static int
blob_hex(struct blob_walk *bw, struct wdir *hhdir, const char *hh,
    const char *hex, int alg)
{
	struct drydock_blob_info bi;
	struct walk *w = bw->w;
	struct stat sb;
	int r;

	memset(&bi, 0, sizeof(bi));
	if (drydock_digest_from_hex(&bi.digest, alg, hex, strlen(hex)) < 0) {
		not_digest(w);
		return 0;
	}
	if (hex[0] != hh[0] || hex[1] != hh[1]) {
		drydock_store_problem(w->st, w->path, DRYDOCK_ECORRUPT,
		    "not a digest path: blob directory under '%s/'", hh);
		return 0;
	}
	bi.path = w->path;
	if (w->flags & DRYDOCK_WALK_CRUFT) {
		blob_scan(w, hhdir, hex, &bi);
	} else if ((w->flags & DRYDOCK_WALK_LAZY) &&
	    !(w->st->ops->caps & DRYDOCK_DRIVER_LISTS_STATS)) {
		bi.has_data = -1;
		return cb_result(bw->cb(&bi, bw->payload));
	} else if (w->flags & DRYDOCK_WALK_LAZY) {
		/* the listing has it (S3): what a probe would ask, for free */
		w->flags |= DRYDOCK_WALK_STAT;
		blob_probe(w, hhdir, hex, &bi);
		w->flags &= ~(unsigned)DRYDOCK_WALK_STAT;
	} else {
		blob_probe(w, hhdir, hex, &bi);
	}
	if (!bi.has_data) {
		r = drydock_store__statat(w->st, wdir_fd(hhdir), hex, &sb);
		if (r < 0 && errno == ENOENT) {
			/* removed since it was listed: not a blob any more */
			drydock_error_clear();
			return 0;
		}
		if (r == 0 && (w->flags & DRYDOCK_WALK_STAT))
			bi.mtime_ns = drydock_store__mtime_ns(&sb);
	}
	drydock_error_clear();
	return cb_result(bw->cb(&bi, bw->payload));
}

static int
is_hh(const char *s)
{
	return ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f')) &&
	    ((s[1] >= '0' && s[1] <= '9') || (s[1] >= 'a' && s[1] <= 'f')) &&
	    s[2] == '\0';
}

/*
 * Entries of a blobs/ level: calls fn on each directory whose name passes
 * ok (others: problems or cruft).
 */
static int
blob_level(struct blob_walk *bw, struct wdir *d, int (*ok)(const char *),
    int (*fn)(struct blob_walk *, struct wdir *, const char *, void *),
    void *arg)
{
	struct walk *w = bw->w;
	struct dirent *de;
	int type, old, rc = 0;

	while (rc == 0 && (de = next_entry(w, d)) != NULL) {
		if ((old = push(w, de->d_name)) < 0)
			continue;
		type = entry_type(d, de);
		if (type == DT_DIR && (ok == NULL || ok(de->d_name)))
			rc = fn(bw, d, de->d_name, arg);
		else if (blob_quiet(bw, ok))
			; /* part 0 says it */
		else if (type == DT_LNK)
			symlink_problem(w, w->path);
		else if (type != DT_DIR)
			cruft(w, type);
		else
			not_digest(w);
		pop(w, old);
	}
	return rc;
}

struct hh_arg {
	int alg;
	const char *hh;
};

static int
hex_fn(struct blob_walk *bw, struct wdir *hhdir, const char *hex, void *arg)
{
	const struct hh_arg *ha = arg;

	return blob_hex(bw, hhdir, ha->hh, hex, ha->alg);
}

static int
hh_fn(struct blob_walk *bw, struct wdir *algdir, const char *hh, void *arg)
{
	struct hh_arg ha = {*(int *)arg, hh};
	struct wdir *d;
	int rc;

	if (bw->nshards > 1 && strtoul(hh, NULL, 16) % bw->nshards != bw->shard)
		return 0;
	if ((d = opendir_sub(bw->w, algdir, hh)) == NULL)
		return 0;
	/* on S3 one listing of the blobs below; a failure shows in the next */
	(void)bw->w->st->ops->prefetch(bw->w->st, d->fd, 0);
	rc = blob_level(bw, d, NULL, hex_fn, &ha);
	wdir_close(d);
	return rc;
}

static int
is_alg(const char *s)
{
	return drydock_digest_alg_lookup(s, strlen(s)) != DRYDOCK_DIGEST_NONE;
}

static int
alg_fn(struct blob_walk *bw, struct wdir *blobs, const char *name, void *arg)
{
	int alg = drydock_digest_alg_lookup(name, strlen(name)), rc;
	struct wdir *d;

	(void)arg;
	if ((d = opendir_sub(bw->w, blobs, name)) == NULL)
		return 0;
	/* blobs/<alg>/: 256 <hh>/ below, on S3 listed at once, not in turn */
	(void)bw->w->st->ops->prefetch(
	    bw->w->st, d->fd, DRYDOCK_DRIVER_PREFETCH_WIDE);
	rc = blob_level(bw, d, is_hh, hh_fn, &alg);
	wdir_close(d);
	return rc;
}

int
drydock_blob_foreach(
    struct drydock_store *st, unsigned flags, drydock_blob_cb cb, void *payload)
{
	return drydock_blob_foreach_shard(st, flags, 0, 1, cb, payload);
}

int
drydock_blob_foreach_shard(struct drydock_store *st, unsigned flags,
    unsigned shard, unsigned nshards, drydock_blob_cb cb, void *payload)
{
	struct blob_walk bw = {NULL, cb, payload, shard, nshards};
	struct wdir *d;
	int rc;

	if ((rc = drydock_store__check(st, __func__)) < 0)
		return rc;
	if (nshards == 0 || shard >= nshards) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "blob walk part %u of %u", shard, nshards);
		return DRYDOCK_ERROR;
	}
	if ((bw.w = walk_new(st, flags, "blobs")) == NULL)
		return DRYDOCK_ERROR;
	if ((d = open_root(bw.w, -1, "blobs", &rc)) != NULL) {
		rc = blob_level(&bw, d, is_alg, alg_fn, NULL);
		wdir_close(d);
	}
	free(bw.w);
	return rc;
}
