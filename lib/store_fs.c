/* SPDX-License-Identifier: MIT */
/*
 * store_fs.c --- the filesystem driver (driver_int.h): confined access to
 * a distribution storage root: open, lock, read, stat, remove, write and
 * move, never following a symlink below the root (openat2
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or O_NOFOLLOW walks).  Handles are
 * file descriptors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(SYS_openat2) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

#include <drydock/clock.h>
#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/store.h>

#include "owner_int.h"
#include "store_int.h"

/* Deepest tree remove_tree and the cross-filesystem copy descend into. */
#define TREE_DEPTH_MAX 128
/* the store lock: how often, how far apart, before it is held (ELOCKED) */
#define LOCK_TRIES 20
#define LOCK_PAUSE_NS 100000000L

static atomic_int openat2_broken; /* openat2 refused (seccomp, old kernel) */
static atomic_int fallback_forced;

void
drydock_store__force_fallback(int on)
{
	atomic_store(&fallback_forced, on != 0);
}

static int
is_symlink_at(int dirfd, const char *name)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode);
}

/*
 * The fallback: one component at a time, each directory opened O_PATH with
 * O_NOFOLLOW beneath the previous one.  relpath has no "", "." or "..".
 */
static int
open_walk(int dirfd, const char *relpath, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	const char *p = relpath, *slash;
	int cur = dirfd, fd, error;
	size_t len;

	while ((slash = strchr(p, '/')) != NULL) {
		len = (size_t)(slash - p);
		if (len > NAME_MAX) {
			error = -ENAMETOOLONG;
			goto out;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		fd = openat(
		    cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			error = -errno;
			if (error == -ENOTDIR && is_symlink_at(cur, comp))
				error = -ELOOP;
			goto out;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
		p = slash + 1;
	}
	fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		error = -errno;
		if (error == -ENOTDIR && is_symlink_at(cur, p))
			error = -ELOOP;
		goto out;
	}
	error = fd;
out:
	if (cur != dirfd)
		close(cur);
	return error;
}

#ifdef HAVE_OPENAT2
#define BENEATH_TRIES 4

/*
 * openat2 says EXDEV when a directory on the path was moved out from under
 * dirfd while it was looked up (a gc moving a blob into its quarantine),
 * and EAGAIN when it could not rule that out.  Neither is an escape: what
 * was looked up was inside, and the next lookup sees where it is now
 * (gone: ENOENT).  Only an EXDEV that lasts is returned.
 */
static int
open_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	struct open_how how;
	long fd;
	int i;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)(flags | O_NOFOLLOW | O_CLOEXEC);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve =
	    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	for (i = 0; i < BENEATH_TRIES; i++) {
		fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
		if (fd >= 0 || (errno != EXDEV && errno != EAGAIN))
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}
#endif

int
drydock_store__fs_open(struct drydock_store *st, int dirfd, const char *relpath,
    int flags, mode_t mode, struct stat *sb)
{
	struct stat tmp;
	int base = dirfd == -1 ? st->v2fd : dirfd;
	int fd, error;

	/* an empty store (DRYDOCK_STORE_ALLOW_EMPTY) has nothing below $V2 */
	if (base < 0)
		return -ENOENT;
#ifdef HAVE_OPENAT2
	if (!atomic_load_explicit(&fallback_forced, memory_order_relaxed) &&
	    !atomic_load_explicit(&openat2_broken, memory_order_relaxed)) {
		fd = open_beneath(base, relpath, flags, mode);
		if (fd == -ENOSYS || fd == -E2BIG) {
			atomic_store(&openat2_broken, 1);
			fd = open_walk(base, relpath, flags, mode);
		} else if (fd == -EPERM || fd == -EINVAL) {
			/* seccomp filters say EPERM; so may the file */
			error = fd;
			fd = open_walk(base, relpath, flags, mode);
			if (fd != error)
				atomic_store(&openat2_broken, 1);
		} else if (fd == -ENOTDIR) {
			/*
			 * O_DIRECTORY on a final symlink says ENOTDIR, not
			 * ELOOP: let the walk tell the two apart.
			 */
			fd = open_walk(base, relpath, flags, mode);
		}
	} else
		fd = open_walk(base, relpath, flags, mode);
#else
	fd = open_walk(base, relpath, flags, mode);
#endif
	if (fd < 0)
		return fd;
	if (sb != NULL || (flags & O_PATH)) {
		if (sb == NULL)
			sb = &tmp;
		if (fstat(fd, sb) < 0) {
			error = -errno;
			close(fd);
			return error;
		}
		/* O_PATH|O_NOFOLLOW opens a final symlink itself */
		if (S_ISLNK(sb->st_mode)) {
			close(fd);
			return -ELOOP;
		}
	}
	return fd;
}

void
drydock_store__which_symlink(struct drydock_store *st, int dirfd,
    const char *relpath, char *buf, size_t bufsz)
{
	char comp[NAME_MAX + 1];
	const char *p = relpath, *slash;
	int base = dirfd == -1 ? st->v2fd : dirfd, cur = base, fd;
	size_t len;

	snprintf(buf, bufsz, "%s", relpath);
	if (!(st->ops->caps & DRYDOCK_DRIVER_SYMLINKS))
		return; /* a bucket has none: relpath is all we can say */
	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len > NAME_MAX)
			break;
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (is_symlink_at(cur, comp)) {
			snprintf(buf, bufsz, "%.*s", (int)(p - relpath + len),
			    relpath);
			break;
		}
		if (slash == NULL)
			break;
		fd = openat(
		    cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			break;
		if (cur != base)
			close(cur);
		cur = fd;
		p = slash + 1;
	}
	if (cur != base)
		close(cur);
}

/* --- open, close, lock, problems ---------------------------------------- */

/*
 * mkdir -p of the root itself (symlinks in it are the operator's choice).
 * A directory made here belongs to the owner and group of its parent, so a
 * new root in the registry's directory is the registry's; its mode is 0777
 * less the umask, as mkdir -p gives it.
 */
static int
make_root(const char *path)
{
	char *p = NULL, *comp, *save = NULL;
	int cur, fd, rc, error = 0;

	cur =
	    open(*path == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0 || (p = strdup(path)) == NULL) {
		drydock_error_set_os(
		    cur < 0 ? "cannot open '/'" : "out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	for (comp = strtok_r(p, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			rc = drydock_owner__mkdirat(
			    cur, comp, DRYDOCK_OWNER_UMASK);
			if (rc < 0 && rc != -EEXIST) {
				errno = -rc;
				drydock_error_set_os(
				    "cannot create directory '%.*s'",
				    (int)(comp - p + strlen(comp)), path);
				error = DRYDOCK_ERROR;
				goto out;
			}
			fd = openat(
			    cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0) {
			drydock_error_set_os("cannot open directory '%.*s'",
			    (int)(comp - p + strlen(comp)), path);
			error = DRYDOCK_ERROR;
			goto out;
		}
		close(cur);
		cur = fd;
	}
out:
	if (cur >= 0)
		close(cur);
	free(p);
	return error;
}

/*
 * Create docker/registry/v2 beneath rootfd, no symlink followed, each as
 * the registry would (lib/owner.c).
 */
static int
make_v2(int rootfd)
{
	static const char *const comps[] = {"docker", "registry", "v2"};
	int cur = rootfd, fd;
	size_t i;

	for (i = 0; i < 3; i++) {
		fd = drydock_owner__mkdirat(cur, comps[i], 0);
		if (fd < 0 && fd != -EEXIST) {
			if (cur != rootfd)
				close(cur);
			return fd;
		}
		fd = openat(cur, comps[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		if (cur != rootfd)
			close(cur);
		if (fd < 0)
			return fd;
		cur = fd;
	}
	return cur;
}

int
drydock_store_open(
    struct drydock_store **out, const char *rootdirectory, unsigned flags)
{
	struct drydock_store *st = NULL;
	char culprit[PATH_MAX];
	int fd, error = 0;

	if (rootdirectory == NULL || *rootdirectory == '\0') {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "no storage root directory given");
		return DRYDOCK_ERROR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->root = strdup(rootdirectory)) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	st->magic = DRYDOCK_STORE_MAGIC;
	st->flags = flags;
	st->ops = &drydock_driver_fs;
	st->v2fd = -1;
	if ((flags & DRYDOCK_STORE_CREATE) &&
	    (error = make_root(rootdirectory)) < 0)
		goto out;
	/* the root itself may be a symlink: the operator chose it */
	st->rootfd = open(rootdirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0) {
		error = errno == ENOENT || errno == ENOTDIR ? DRYDOCK_ENOTFOUND
		                                            : DRYDOCK_ERROR;
		drydock_error_set_os(
		    "cannot open storage root '%s'", rootdirectory);
		goto out;
	}
	fd = drydock_store__fs_open(st, st->rootfd, "docker/registry/v2",
	    O_RDONLY | O_DIRECTORY, 0, NULL);
	if (fd == -ENOENT && (flags & DRYDOCK_STORE_CREATE))
		fd = make_v2(st->rootfd);
	if (fd == -ENOENT && (flags & DRYDOCK_STORE_ALLOW_EMPTY)) {
		/* a registry before its first push: nothing to see yet */
		fd = -1;
		st->empty = 1;
	} else if (fd == -ENOENT) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "no registry storage below '%s': docker/registry/v2 is "
		    "missing",
		    rootdirectory);
		error = DRYDOCK_ENOTFOUND;
		goto out;
	} else if (fd == -ELOOP) {
		drydock_store__which_symlink(st, st->rootfd,
		    "docker/registry/v2", culprit, sizeof(culprit));
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s/%s' is a symlink; refusing to follow it",
		    rootdirectory, culprit);
		error = DRYDOCK_EUNSAFE;
		goto out;
	} else if (fd < 0) {
		errno = -fd;
		drydock_error_set_os(
		    "cannot open '%s/docker/registry/v2'", rootdirectory);
		error = DRYDOCK_ERROR;
		goto out;
	}
	st->v2fd = fd;
	*out = st;
	st = NULL;
out:
	drydock_store_close(st);
	return error;
}

static int
fs_lock(struct drydock_store *st)
{
	int tries;

	/*
	 * One retry policy for every tool: fail fast when another run holds
	 * the root, but ride out a probe that holds the lock for an instant
	 * (a monitoring check running flock(1)): 20 tries, 100 ms apart.
	 */
	for (tries = 0; flock(st->rootfd, LOCK_EX | LOCK_NB) < 0;) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			drydock_error_set_os("cannot lock '%s'", st->root);
			return DRYDOCK_ERROR;
		}
		if (++tries >= LOCK_TRIES) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "another drydock run holds the lock on '%s'",
			    st->root);
			return DRYDOCK_ELOCKED;
		}
		nanosleep(&(struct timespec){0, LOCK_PAUSE_NS}, NULL);
	}
	return 0;
}

/* --- reading ------------------------------------------------------------ */

/* --- removing ----------------------------------------------------------- */

/*
 * Open relpath's parent directory confined (O_RDONLY, so it can be
 * fsync'ed) and point *base_out at the last component.
 */
static int
open_parent(
    struct drydock_store *st, const char *relpath, const char **base_out)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(relpath, '/');
	size_t len;
	int fd;

	if (slash == NULL) {
		*base_out = relpath;
		fd = fcntl(st->v2fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			drydock_error_set_os("cannot duplicate a descriptor");
			return DRYDOCK_ERROR;
		}
		return fd;
	}
	len = (size_t)(slash - relpath);
	memcpy(dir, relpath, len);
	dir[len] = '\0';
	*base_out = slash + 1;
	fd = drydock_store__fs_open(
	    st, -1, dir, O_RDONLY | O_DIRECTORY, 0, NULL);
	if (fd < 0)
		return drydock_store__open_error(st, -1, dir, fd);
	return fd;
}

static int
fs_unlink(struct drydock_store *st, const char *relpath)
{
	const char *base;
	int pfd, error = 0;

	if ((pfd = open_parent(st, relpath, &base)) < 0)
		return pfd;
	if (unlinkat(pfd, base, 0) < 0) {
		if (errno == ENOENT)
			error = DRYDOCK_ENOTFOUND;
		else
			error = DRYDOCK_ERROR;
		drydock_error_set_os("cannot remove '%s'", relpath);
	}
	close(pfd);
	return error;
}

static int fs_rmdir(struct drydock_store *st, const char *relpath);

static int
fs_unlink_many(struct drydock_store *st, const char *const *rels, size_t n,
    unsigned flags, void (*done)(size_t i, int code, void *), void *payload)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = fs_unlink(st, rels[i]);
		slash = strrchr(rels[i], '/');
		if ((flags & DRYDOCK_STORE_UNLINK_DIR) &&
		    (r == 0 || r == DRYDOCK_ENOTFOUND) && slash != NULL &&
		    (size_t)(slash - rels[i]) < sizeof(dir)) {
			memcpy(dir, rels[i], (size_t)(slash - rels[i]));
			dir[slash - rels[i]] = '\0';
			/* not empty: a push came back to it; gone: fine */
			(void)fs_rmdir(st, dir);
		}
		if (done != NULL)
			done(i, r, payload);
	}
	drydock_error_clear();
	return 0;
}

static int
fs_rmdir(struct drydock_store *st, const char *relpath)
{
	const char *base;
	int pfd, error = 0;

	if ((pfd = open_parent(st, relpath, &base)) < 0)
		return pfd;
	if (unlinkat(pfd, base, AT_REMOVEDIR) < 0) {
		if (errno == ENOENT)
			error = DRYDOCK_ENOTFOUND;
		else if (errno == ENOTEMPTY || errno == EEXIST)
			error = DRYDOCK_EEXISTS;
		else
			error = DRYDOCK_ERROR;
		drydock_error_set_os("cannot remove directory '%s'", relpath);
	}
	close(pfd);
	return error;
}

static int remove_at(int dirfd, const char *name, int is_dir, int depth);

/* Remove every entry of the directory fd (consumed). */
static int
empty_dir(int fd, int depth)
{
	struct dirent *de;
	DIR *d;
	int error = 0;

	if ((d = fdopendir(fd)) == NULL) {
		error = -errno;
		close(fd);
		return error;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			error = -errno;
			break;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' ||
		        (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		error = remove_at(
		    dirfd(d), de->d_name, de->d_type == DT_DIR, depth + 1);
		if (error < 0 && error != -ENOENT)
			break;
		error = 0;
	}
	closedir(d);
	return error;
}

/*
 * Remove dirfd/name, a file, a symlink (itself) or a whole tree, never
 * following a symlink.  Returns 0 or -errno.
 */
static int
remove_at(int dirfd, const char *name, int is_dir, int depth)
{
	int fd, error, tries;

	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	if (!is_dir) {
		if (unlinkat(dirfd, name, 0) == 0)
			return 0;
		if (errno != EISDIR && errno != EPERM)
			return -errno;
	}
	for (tries = 0; tries < 4; tries++) {
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			/* not (or no longer) a directory: remove the entry */
			return unlinkat(dirfd, name, 0) == 0 ? 0 : -errno;
		}
		if (fd < 0)
			return -errno;
		if ((error = empty_dir(fd, depth)) < 0)
			return error;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
			return 0;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return -errno;
		/* something appeared meanwhile: go again */
	}
	return -ENOTEMPTY;
}

static int
remove_error(const char *what, int neg_errno)
{
	if (neg_errno == -ELOOP) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot remove '%s': tree nested deeper than %d", what,
		    TREE_DEPTH_MAX);
		return DRYDOCK_ERROR;
	}
	errno = -neg_errno;
	drydock_error_set_os("cannot remove '%s'", what);
	return neg_errno == -ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
}

static int
fs_remove_tree(struct drydock_store *st, const char *relpath)
{
	const char *base;
	int pfd, error;

	if ((pfd = open_parent(st, relpath, &base)) < 0)
		return pfd;
	if ((error = remove_at(pfd, base, 0, 0)) < 0)
		error = remove_error(relpath, error);
	close(pfd);
	return error;
}

static int
fs_remove_trees(struct drydock_store *st, const char *const *rels, size_t n,
    void (*done)(size_t i, int code, void *), void *payload)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = fs_remove_tree(st, rels[i]);
		if (done != NULL)
			done(i, r, payload);
	}
	drydock_error_clear();
	return 0;
}

static int
fs_prune_parents(
    struct drydock_store *st, const char *relpath, const char *stop)
{
	char buf[PATH_MAX];
	const char *base;
	char *slash;
	size_t stoplen = stop != NULL ? strlen(stop) : 0;
	int pfd, error, rc;

	snprintf(buf, sizeof(buf), "%s", relpath);
	while ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (strlen(buf) <= stoplen)
			break;
		if ((pfd = open_parent(st, buf, &base)) < 0) {
			if (pfd == DRYDOCK_ENOTFOUND)
				continue;
			return pfd;
		}
		rc = unlinkat(pfd, base, AT_REMOVEDIR);
		error = errno;
		close(pfd);
		if (rc == 0 || error == ENOENT)
			continue;
		if (error == ENOTEMPTY || error == EEXIST)
			break;
		errno = error;
		drydock_error_set_os("cannot remove directory '%s'", buf);
		return DRYDOCK_ERROR;
	}
	drydock_error_clear();
	return 0;
}

/* --- writing ------------------------------------------------------------ */

/*
 * Open relpath's parent directory, creating missing components confined
 * and without following symlinks, each with the owner, group and mode of
 * its parent, as the registry would have made it (lib/owner.c).
 */
static int
make_parents_sync(struct drydock_store *st, const char *relpath,
    const char **base_out, int sync)
{
	char comp[NAME_MAX + 1];
	const char *p = relpath, *slash;
	int cur, fd, tries, rc;
	size_t len;

	if ((cur = fcntl(st->v2fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		drydock_error_set_os("cannot duplicate a descriptor");
		return DRYDOCK_ERROR;
	}
	while ((slash = strchr(p, '/')) != NULL) {
		len = (size_t)(slash - p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		for (tries = 0; tries < 3; tries++) {
			fd = openat(cur, comp,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 || errno != ENOENT)
				break;
			if ((rc = drydock_owner__mkdirat(cur, comp, 0)) == 0) {
				if (sync)
					(void)fsync(cur);
			} else if (rc != -EEXIST) {
				fd = -1;
				errno = -rc;
				break;
			}
		}
		if (fd < 0) {
			int e = errno;

			if (e == ELOOP ||
			    (e == ENOTDIR && is_symlink_at(cur, comp))) {
				drydock_error_set(DRYDOCK_ERRCLASS_STORE,
				    "'%.*s' is a symlink; refusing to follow "
				    "it",
				    (int)(slash - relpath), relpath);
				close(cur);
				return DRYDOCK_EUNSAFE;
			}
			errno = e;
			drydock_error_set_os("cannot create directory '%.*s'",
			    (int)(slash - relpath), relpath);
			close(cur);
			return DRYDOCK_ERROR;
		}
		close(cur);
		cur = fd;
		p = slash + 1;
	}
	*base_out = p;
	return cur;
}

static int
make_parents(
    struct drydock_store *st, const char *relpath, const char **base_out)
{
	return make_parents_sync(st, relpath, base_out, 1);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint32_t
random32(void)
{
	static atomic_uint counter;
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
	return r ^ atomic_fetch_add(&counter, 1);
}

/*
 * Create a new temp file beside base in pfd, with the owner, group and
 * mode of pfd (lib/owner.c) before anything is written or renamed.
 * -1 with errno set when it cannot.
 */
static int
create_temp(char *tmp, size_t tmpsz, int pfd, const char *base)
{
	struct drydock_owner o;
	int fd = -1, tries, n, rc;

	if ((rc = drydock_owner__of_dir(&o, pfd)) < 0) {
		errno = -rc;
		return -1;
	}
	for (tries = 0; tries < 16; tries++) {
		n = snprintf(tmp, tmpsz, ".%s.drydock-%ld-%08x.tmp", base,
		    (long)getpid(), random32());
		if (n < 0 || (size_t)n >= tmpsz || n > NAME_MAX)
			snprintf(tmp, tmpsz, ".drydock-%ld-%08x.tmp",
			    (long)getpid(), random32());
		fd = openat(pfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd >= 0 && (rc = drydock_owner__apply(fd, &o, 0)) < 0) {
		close(fd);
		(void)unlinkat(pfd, tmp, 0);
		errno = -rc;
		return -1;
	}
	return fd;
}

int
drydock_store__fs_mkdir_open(struct drydock_store *st, const char *relpath)
{
	char path[PATH_MAX + 2];
	const char *base;
	int n;

	n = snprintf(path, sizeof(path), "%s/", relpath);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "path '%.64s...' too long", relpath);
		return DRYDOCK_EUNSAFE;
	}
	/* new directories are made durable by the caller's store_sync */
	return make_parents_sync(st, path, &base, 0);
}

static int
fs_sync(struct drydock_store *st)
{
	if (syncfs(st->v2fd >= 0 ? st->v2fd : st->rootfd) < 0) {
		drydock_error_set_os("cannot sync '%s'", st->root);
		return DRYDOCK_ERROR;
	}
	return 0;
}

/*
 * Write relpath atomically: a temp file beside it that fill writes (0 or
 * -errno), fsync'ed unless nosync, renamed into place, its directory
 * fsync'ed.
 */
static int
replace_file(struct drydock_store *st, const char *relpath, int nosync,
    int (*fill)(int fd, const void *arg), const void *arg)
{
	char tmp[NAME_MAX + 64];
	const char *base;
	int pfd = -1, fd = -1, error = 0, rc;

	if ((pfd = make_parents_sync(st, relpath, &base, !nosync)) < 0)
		return pfd;
	if ((fd = create_temp(tmp, sizeof(tmp), pfd, base)) < 0) {
		drydock_error_set_os(
		    "cannot create a temporary file for '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto out;
	}
	rc = fill(fd, arg);
	if (rc == 0 && !nosync && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	fd = -1;
	if (rc < 0) {
		errno = -rc;
		drydock_error_set_os("cannot write '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto unlink_tmp;
	}
	if (renameat(pfd, tmp, pfd, base) < 0) {
		drydock_error_set_os(
		    "cannot rename a temporary file to '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto unlink_tmp;
	}
	if (!nosync && fsync(pfd) < 0) {
		drydock_error_set_os(
		    "cannot sync the directory of '%s'", relpath);
		error = DRYDOCK_ERROR;
	}
	goto out;
unlink_tmp:
	(void)unlinkat(pfd, tmp, 0);
out:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return error;
}

struct bytes {
	const void *buf;
	size_t len;
};

static int
fill_bytes(int fd, const void *arg)
{
	const struct bytes *b = arg;

	return write_all(fd, b->buf, b->len);
}

static int
fs_write_file_flags(struct drydock_store *st, const char *relpath,
    const void *buf, size_t len, unsigned flags)
{
	struct bytes b = {buf, len};

	return replace_file(st, relpath,
	    (flags & DRYDOCK_STORE_WRITE_NOSYNC) != 0, fill_bytes, &b);
}

/* --- moving ------------------------------------------------------------- */

static int
rename_noreplace(int odir, const char *oname, int ndir, const char *nname)
{
	struct stat sb;

	if (renameat2(odir, oname, ndir, nname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a filesystem without RENAME_NOREPLACE: check, then rename */
	if (fstatat(ndir, nname, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return renameat(odir, oname, ndir, nname) == 0 ? 0 : -errno;
}

/*
 * rel to newrel anywhere in the store, never replacing: one rename(2),
 * atomic.  newrel's missing parents are made (not fsync'ed: a rename lost
 * in a crash leaves rel where it was, and what follows it on the same
 * filesystem is journaled after it).
 */
static int
fs_rename(struct drydock_store *st, const char *rel, const char *newrel)
{
	const char *base, *nbase;
	int pfd, npfd, r, error = 0;

	if ((pfd = open_parent(st, rel, &base)) < 0)
		return pfd;
	if ((npfd = make_parents_sync(st, newrel, &nbase, 0)) < 0) {
		close(pfd);
		return npfd;
	}
	if ((r = rename_noreplace(pfd, base, npfd, nbase)) < 0) {
		errno = -r;
		error = r == -ENOENT ? DRYDOCK_ENOTFOUND
		    : r == -EEXIST   ? DRYDOCK_EEXISTS
		                     : DRYDOCK_ERROR;
		drydock_error_set_os("cannot rename '%s' to '%s'", rel, newrel);
	}
	close(npfd);
	close(pfd);
	return error;
}

static int
copy_data(int sfd, int dfd)
{
	char buf[65536];
	ssize_t n;
	int error;

	for (;;) {
		n = copy_file_range(sfd, NULL, dfd, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP)
		return -errno;
	for (;;) {
		n = read(sfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if ((error = write_all(dfd, buf, (size_t)n)) < 0)
			return error;
	}
}

static int
copy_file(int sdir, const char *sname, int ddir, const char *dname,
    const struct stat *sb, const struct drydock_owner *o)
{
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
	int sfd, dfd = -1, error = 0;

	sfd = openat(sdir, sname,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	dfd = openat(ddir, dname,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    sb->st_mode & 0777);
	if (dfd < 0) {
		error = -errno;
		goto out;
	}
	if ((o != NULL && (error = drydock_owner__chown(dfd, o)) < 0) ||
	    (error = copy_data(sfd, dfd)) < 0)
		goto out;
	if (fchmod(dfd, sb->st_mode & 07777) < 0 || futimens(dfd, ts) < 0 ||
	    fsync(dfd) < 0)
		error = -errno;
out:
	if (dfd >= 0 && close(dfd) < 0 && error == 0)
		error = -errno;
	close(sfd);
	return error;
}

static int copy_tree(int sdir, const char *sname, int ddir, const char *dname,
    const struct drydock_owner *o, int depth);

static int
copy_dir(int sdir, const char *sname, int ddir, const char *dname,
    const struct stat *sb, const struct drydock_owner *o, int depth)
{
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
	struct dirent *de;
	DIR *d = NULL;
	int sfd, dfd = -1, error = 0;

	if (mkdirat(ddir, dname, 0700) < 0)
		return -errno;
	sfd = openat(
	    sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	if ((d = fdopendir(sfd)) == NULL) {
		error = -errno;
		close(sfd);
		return error;
	}
	dfd = openat(
	    ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		error = -errno;
		goto out;
	}
	if (o != NULL && (error = drydock_owner__chown(dfd, o)) < 0)
		goto out;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			error = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		error = copy_tree(
		    dirfd(d), de->d_name, dfd, de->d_name, o, depth + 1);
		if (error < 0)
			break;
	}
	if (error == 0 &&
	    (fchmod(dfd, sb->st_mode & 07777) < 0 || futimens(dfd, ts) < 0 ||
	        fsync(dfd) < 0))
		error = -errno;
out:
	if (dfd >= 0)
		close(dfd);
	closedir(d);
	return error;
}

/*
 * Copy sdir/sname to ddir/dname (which must not exist), keeping modes and
 * mtimes.  With o, every entry made gets o's owner and group (a copy into
 * the store); without, it belongs to us (a copy into quarantine).
 */
static int
copy_tree(int sdir, const char *sname, int ddir, const char *dname,
    const struct drydock_owner *o, int depth)
{
	char target[PATH_MAX];
	struct timespec ts[2];
	struct stat sb;
	ssize_t n;

	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	if (fstatat(sdir, sname, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(sb.st_mode))
		return copy_file(sdir, sname, ddir, dname, &sb, o);
	if (S_ISDIR(sb.st_mode))
		return copy_dir(sdir, sname, ddir, dname, &sb, o, depth);
	if (S_ISLNK(sb.st_mode)) {
		/* a symlink is copied as itself, never followed */
		n = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, ddir, dname) < 0)
			return -errno;
		if (o != NULL && o->give == DRYDOCK_OWNER_ALL &&
		    fchownat(ddir, dname, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) <
		        0)
			return -errno;
		ts[0] = sb.st_atim;
		ts[1] = sb.st_mtim;
		(void)utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	return -EOPNOTSUPP; /* fifos, sockets, devices */
}

/*
 * Move across filesystems: copy, then remove the source.  A failed copy is
 * removed again and the source left alone.  into_store: the copy gets the
 * owner and group of ddir, as everything the store receives.
 */
static int
move_by_copy(int sdir, const char *sname, int ddir, const char *dname,
    const char *what, int into_store)
{
	struct drydock_owner o;
	struct stat sb;
	int error;

	if (fstatat(ddir, dname, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot move '%s': '%s' exists already", what, dname);
		return DRYDOCK_EEXISTS;
	}
	if (into_store && (error = drydock_owner__of_dir(&o, ddir)) < 0) {
		errno = -error;
		drydock_error_set_os("cannot stat the directory of '%s'", what);
		return DRYDOCK_ERROR;
	}
	error = copy_tree(sdir, sname, ddir, dname, into_store ? &o : NULL, 0);
	if (error < 0) {
		/* dname did not exist: what is there now is our copy */
		(void)remove_at(ddir, dname, 0, 0);
		errno = -error;
		drydock_error_set_os(
		    "cannot copy '%s' across filesystems", what);
		return DRYDOCK_ERROR;
	}
	(void)fsync(ddir);
	if ((error = remove_at(sdir, sname, 0, 0)) < 0)
		return remove_error(what, error);
	return 0;
}

static int
fs_move_out(struct drydock_store *st, const char *relpath, int dst_dirfd,
    const char *dst_name)
{
	const char *base;
	int pfd, error = 0, rc;

	if ((pfd = open_parent(st, relpath, &base)) < 0)
		return pfd;
	rc = rename_noreplace(pfd, base, dst_dirfd, dst_name);
	if (rc == -EXDEV)
		error =
		    move_by_copy(pfd, base, dst_dirfd, dst_name, relpath, 0);
	else if (rc < 0) {
		errno = -rc;
		drydock_error_set_os(
		    "cannot move '%s' to '%s'", relpath, dst_name);
		error = rc == -ENOENT ? DRYDOCK_ENOTFOUND
		    : rc == -EEXIST   ? DRYDOCK_EEXISTS
		                      : DRYDOCK_ERROR;
	} else
		(void)fsync(dst_dirfd);
	if (error == 0)
		(void)fsync(pfd);
	close(pfd);
	return error;
}

static int
fs_move_in(struct drydock_store *st, int src_dirfd, const char *src_name,
    const char *relpath)
{
	const char *base;
	int pfd, error = 0, rc;

	if ((pfd = make_parents(st, relpath, &base)) < 0)
		return pfd;
	rc = rename_noreplace(src_dirfd, src_name, pfd, base);
	if (rc == -EXDEV)
		error =
		    move_by_copy(src_dirfd, src_name, pfd, base, relpath, 1);
	else if (rc == -EEXIST) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "cannot move '%s' into the store: '%s' exists already",
		    src_name, relpath);
		error = DRYDOCK_EEXISTS;
	} else if (rc < 0 && rc != -EXDEV) {
		errno = -rc;
		drydock_error_set_os(
		    "cannot move '%s' to '%s'", src_name, relpath);
		error = rc == -ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	if (error == 0) {
		(void)fsync(pfd);
		(void)fsync(src_dirfd);
	}
	close(pfd);
	return error;
}

/* --- handles ------------------------------------------------------------ */

/*
 * A handle: the confined open.  A single component opened without stat
 * is the plain openat(2) with O_NOFOLLOW the walkers always made (one
 * name cannot lead anywhere else), so a walk costs what it did.
 */
static int
fs_open(struct drydock_store *st, int dir, const char *rel, int flags,
    struct stat *sb)
{
	int fd;

	if (sb == NULL && !(flags & O_PATH) && strchr(rel, '/') == NULL &&
	    dir >= 0) {
		fd = openat(dir, rel, flags | O_NOFOLLOW | O_CLOEXEC);
		return fd >= 0 ? fd : -errno;
	}
	return drydock_store__fs_open(st, dir, rel, flags, 0, sb);
}

/* A system call's result as the driver interface has it: -errno. */
static ssize_t
neg_errno(ssize_t r)
{
	return r >= 0 ? r : -errno;
}

static int
fs_statat(struct drydock_store *st, int dir, const char *rel, struct stat *sb)
{
	int base = dir == -1 ? st->v2fd : dir;

	if (base < 0)
		return -ENOENT;
	return (int)neg_errno(fstatat(base, rel, sb, AT_SYMLINK_NOFOLLOW));
}

static int
fs_fstat(struct drydock_store *st, int h, struct stat *sb)
{
	(void)st;
	return (int)neg_errno(fstat(h, sb));
}

static ssize_t
fs_getdents(struct drydock_store *st, int dir, void *buf, size_t len)
{
	(void)st;
	return neg_errno(getdents64(dir, buf, len));
}

static int
fs_rewind(struct drydock_store *st, int h)
{
	(void)st;
	return (int)neg_errno(lseek(h, 0, SEEK_SET));
}

static ssize_t
fs_read(struct drydock_store *st, int h, void *buf, size_t len)
{
	(void)st;
	return neg_errno(read(h, buf, len));
}

static void
fs_close_h(struct drydock_store *st, int h)
{
	(void)st;
	close(h);
}

static int
fs_prefetch(struct drydock_store *st, int dir, unsigned flags)
{
	(void)st;
	(void)dir;
	(void)flags;
	return 0; /* the kernel's dentry cache is the prefetch */
}

static int
fs_read_cb(struct drydock_store *st, const char *rel, int64_t off, int64_t len,
    int (*cb)(const void *buf, size_t len, void *payload), void *payload,
    int64_t *size_out)
{
	static const size_t bufsz = 1 << 20;
	struct stat sb;
	char *buf = NULL;
	ssize_t n;
	size_t want;
	int fd, error = 0;

	fd = drydock_store__fs_open(
	    st, -1, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &sb);
	if (fd < 0)
		return drydock_store__open_error(st, -1, rel, fd);
	if (!S_ISREG(sb.st_mode)) {
		error = drydock_store__not_regular(rel, &sb);
		goto out;
	}
	if (size_out != NULL)
		*size_out = (int64_t)sb.st_size;
	if ((buf = malloc(bufsz)) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	while (len != 0) {
		want = len < 0 || (uint64_t)len > bufsz ? bufsz : (size_t)len;
		if ((n = pread(fd, buf, want, off)) < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			drydock_error_set_os("cannot read '%s'", rel);
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		if ((error = cb(buf, (size_t)n, payload)) != 0)
			goto out;
		off += n;
		if (len > 0)
			len -= n;
	}
out:
	free(buf);
	close(fd);
	return error;
}

static int
fill_from_fd(int fd, const void *arg)
{
	return copy_data(*(const int *)arg, fd);
}

static int
fs_write_fd(struct drydock_store *st, const char *rel, int src, int64_t size)
{
	(void)size;
	return replace_file(st, rel, 0, fill_from_fd, &src);
}

static int
fs_clock_skew(struct drydock_store *st, int64_t *skew_ns)
{
	return drydock_clock_storage_skew(skew_ns, st->v2fd);
}

static void
fs_close(struct drydock_store *st)
{
	if (st->v2fd >= 0)
		close(st->v2fd);
	if (st->rootfd >= 0)
		close(st->rootfd); /* drops the flock with the description */
}

const struct drydock_driver_ops drydock_driver_fs = {
    .name = "filesystem",
    .caps = DRYDOCK_DRIVER_FDS | DRYDOCK_DRIVER_DIRS |
        DRYDOCK_DRIVER_ATOMIC_RENAME | DRYDOCK_DRIVER_SYMLINKS,
    .close = fs_close,
    .lock = fs_lock,
    .open = fs_open,
    .statat = fs_statat,
    .fstat = fs_fstat,
    .getdents = fs_getdents,
    .rewind = fs_rewind,
    .read = fs_read,
    .close_h = fs_close_h,
    .prefetch = fs_prefetch,
    .read_cb = fs_read_cb,
    .unlink = fs_unlink,
    .unlink_many = fs_unlink_many,
    .rmdir = fs_rmdir,
    .rename = fs_rename,
    .remove_tree = fs_remove_tree,
    .remove_trees = fs_remove_trees,
    .prune_parents = fs_prune_parents,
    .prune_empty = drydock_store__fs_prune_empty,
    .write_file = fs_write_file_flags,
    .write_fd = fs_write_fd,
    .move_out = fs_move_out,
    .move_in = fs_move_in,
    .sync = fs_sync,
    .clock_skew = fs_clock_skew,
};
