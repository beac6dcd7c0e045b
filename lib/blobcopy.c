/* SPDX-License-Identifier: MIT */
/*
 * blobcopy.c --- place blobs by hard link, reflink or verified copy,
 * through temporary files renamed into place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/blobcopy.h>
#include <drydock/errors.h>

#include "owner_int.h"

#define COPY_BUFSZ (1u << 20)
#define KNOWN_MAX 16
#define TMPNAME_MAX 320

/* A pair of filesystems, and what they refused. */
struct devpair {
	dev_t src, dst;
	unsigned char no_reflink, no_hardlink;
};

struct drydock_blobcopy {
	int mode;
	unsigned flags;
	const volatile sig_atomic_t *cancel;
	struct drydock_blobcopy_stats stats;
	struct devpair known[KNOWN_MAX];
	size_t nknown;
	unsigned char *buf;
	struct drydock_hasher *hashers[3]; /* by enum drydock_digest_alg */
	uint64_t last; /* bytes read by the last pump */
};

struct drydock_blobcopy_sink {
	struct drydock_blobcopy *bc;
	int dirfd; /* borrowed */
	int fd; /* the temporary file, -1 once closed */
	int alg;
	struct drydock_hasher *h; /* its own: sinks may interleave */
	int state; /* SINK_* */
	uint64_t size;
	struct drydock_digest digest;
	char tmp[TMPNAME_MAX];
};

enum { SINK_OPEN, SINK_FINISHED, SINK_GONE };

static const char *const mode_names[] = {"auto", "hard", "reflink", "copy"};
static const char *const how_names[] = {
    "present", "hardlinked", "reflinked", "copied", "server_copied"};

int
drydock_blobcopy_mode_parse(int *mode_out, const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode_out = (int)i;
			return 0;
		}
	}
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "unknown link mode '%s' (auto, hard, reflink or copy)", s);
	return DRYDOCK_ERROR;
}

const char *
drydock_blobcopy_mode_name(int mode)
{
	if (mode < 0 || mode > DRYDOCK_BLOBCOPY_COPY)
		return "unknown";
	return mode_names[mode];
}

const char *
drydock_blobcopy_how_name(int how)
{
	if (how < 0 || how >= DRYDOCK_BLOBCOPY_HOW_MAX)
		return "unknown";
	return how_names[how];
}

int
drydock_blobcopy_new(struct drydock_blobcopy **out, int mode, unsigned flags)
{
	struct drydock_blobcopy *bc;

	*out = NULL;
	if (mode < DRYDOCK_BLOBCOPY_AUTO || mode > DRYDOCK_BLOBCOPY_COPY) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "drydock_blobcopy_new: bad mode %d", mode);
		return DRYDOCK_ERROR;
	}
	if ((bc = calloc(1, sizeof(*bc))) == NULL ||
	    (bc->buf = malloc(COPY_BUFSZ)) == NULL) {
		free(bc);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	bc->mode = mode;
	bc->flags = flags;
	*out = bc;
	return 0;
}

void
drydock_blobcopy_free(struct drydock_blobcopy *bc)
{
	size_t i;

	if (bc == NULL)
		return;
	for (i = 0; i < sizeof(bc->hashers) / sizeof(bc->hashers[0]); i++)
		drydock_hasher_free(bc->hashers[i]);
	free(bc->buf);
	free(bc);
}

void
drydock_blobcopy_set_cancel(
    struct drydock_blobcopy *bc, const volatile sig_atomic_t *flag)
{
	bc->cancel = flag;
}

const struct drydock_blobcopy_stats *
drydock_blobcopy_stats(const struct drydock_blobcopy *bc)
{
	return &bc->stats;
}

/* --- helpers ------------------------------------------------------------- */

static int
cancelled(const struct drydock_blobcopy *bc)
{
	if (bc->cancel != NULL && *bc->cancel) {
		drydock_error_set(DRYDOCK_ERRCLASS_NONE, "interrupted");
		return 1;
	}
	return 0;
}

static int
hasher_for(struct drydock_hasher **out, struct drydock_blobcopy *bc, int alg)
{
	int error;

	if (alg <= DRYDOCK_DIGEST_NONE || alg > DRYDOCK_DIGEST_SHA512) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "unsupported digest algorithm %d", alg);
		return DRYDOCK_EUNSUPPORTED;
	}
	if (bc->hashers[alg] == NULL) {
		if ((error = drydock_hasher_new(&bc->hashers[alg], alg)) < 0)
			return error;
	} else if ((error = drydock_hasher_reset(bc->hashers[alg])) < 0) {
		return error;
	}
	*out = bc->hashers[alg];
	return 0;
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
			return -1;
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
 * A new temporary file in dirfd, named after base (may be NULL).  With
 * DRYDOCK_BLOBCOPY_OWNER it gets the owner, group and mode of dirfd
 * (lib/owner.c): a blob that root places in a store is the registry's
 * before it has its final name.
 */
static int
create_temp(const struct drydock_blobcopy *bc, char tmp[TMPNAME_MAX], int dirfd,
    const char *base)
{
	struct drydock_owner o;
	int fd, tries, n, rc;

	if ((bc->flags & DRYDOCK_BLOBCOPY_OWNER) &&
	    (rc = drydock_owner__of_dir(&o, dirfd)) < 0) {
		errno = -rc;
		drydock_error_set_os("cannot stat the directory of '%s'",
		    base != NULL ? base : "a blob");
		return DRYDOCK_ERROR;
	}

	for (tries = 0; tries < 16; tries++) {
		if (base != NULL && strlen(base) < 200)
			n = snprintf(tmp, TMPNAME_MAX,
			    ".%s.drydock-%ld-%08x.tmp", base, (long)getpid(),
			    random32());
		else
			n = snprintf(tmp, TMPNAME_MAX, ".drydock-%ld-%08x.tmp",
			    (long)getpid(), random32());
		if (n < 0 || n >= TMPNAME_MAX)
			break;
		fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 && (bc->flags & DRYDOCK_BLOBCOPY_OWNER) &&
		    (rc = drydock_owner__apply(fd, &o, 0)) < 0) {
			close(fd);
			(void)unlinkat(dirfd, tmp, 0);
			errno = -rc;
			drydock_error_set_os(
			    "cannot give '%s' the owner of its "
			    "directory (%ld:%ld)",
			    base != NULL ? base : "a blob", (long)o.uid,
			    (long)o.gid);
			return DRYDOCK_ERROR;
		}
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
	}
	drydock_error_set_os("cannot create a temporary file for '%s'",
	    base != NULL ? base : "a blob");
	return DRYDOCK_ERROR;
}

static int
rename_noreplace(int odir, const char *oname, int ndir, const char *nname)
{
	struct stat sb;

	if (renameat2(odir, oname, ndir, nname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(ndir, nname, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(odir, oname, ndir, nname);
}

static int
mismatch(const char *what, const struct drydock_digest *expect,
    const struct drydock_digest *got)
{
	char e[DRYDOCK_DIGEST_STRMAX], g[DRYDOCK_DIGEST_STRMAX];

	drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
	    "%s: digest mismatch: expected '%s', got '%s'", what,
	    drydock_digest_format(e, expect), drydock_digest_format(g, got));
	return DRYDOCK_ECORRUPT;
}

static int
size_mismatch(const char *what, uint64_t got, int64_t expect)
{
	drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
	    "%s: size mismatch: expected %lld bytes, got %llu", what,
	    (long long)expect, (unsigned long long)got);
	return DRYDOCK_ECORRUPT;
}

/*
 * Read fd from offset 0 to its end: hash everything, hand it to cb (may be
 * NULL) and, when out_fd >= 0, write it there.
 */
static int
pump(struct drydock_blobcopy *bc, struct drydock_digest *digest_out,
    uint64_t *size_out, int fd, int alg, int out_fd,
    drydock_blobcopy_write_cb cb, void *payload)
{
	struct drydock_hasher *h;
	uint64_t off = 0;
	ssize_t n;
	int error, stream = 0;

	if ((error = hasher_for(&h, bc, alg)) < 0)
		return error;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		if (cancelled(bc))
			return DRYDOCK_EINTR;
		n = stream ? read(fd, bc->buf, COPY_BUFSZ)
		           : pread(fd, bc->buf, COPY_BUFSZ, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		/* a pipe (a blob streamed from S3): read as it comes */
		if (n < 0 && errno == ESPIPE && !stream && off == 0) {
			stream = 1;
			continue;
		}
		if (n < 0) {
			drydock_error_set_os("cannot read a blob");
			return DRYDOCK_ERROR;
		}
		if (n == 0)
			break;
		if ((error = drydock_hasher_update(h, bc->buf, (size_t)n)) < 0)
			return error;
		if (out_fd >= 0 && write_all(out_fd, bc->buf, (size_t)n) < 0) {
			drydock_error_set_os("cannot write a blob");
			return DRYDOCK_ERROR;
		}
		if (cb != NULL &&
		    (error = cb(bc->buf, (size_t)n, payload)) != 0)
			return error < 0 ? error : DRYDOCK_EUSER;
		off += (uint64_t)n;
	}
	bc->stats.hashed += off;
	bc->last = off;
	*size_out = off;
	return drydock_hasher_final(digest_out, h);
}

static int
check_fd(struct drydock_blobcopy *bc, int fd,
    const struct drydock_digest *expect, int64_t size, const char *what)
{
	struct drydock_digest got;
	uint64_t n;
	int error;

	if ((error = pump(bc, &got, &n, fd, expect->alg, -1, NULL, NULL)) < 0)
		return error;
	if (size >= 0 && n != (uint64_t)size)
		return size_mismatch(what, n, size);
	if (!drydock_digest_equal(&got, expect))
		return mismatch(what, expect, &got);
	return 0;
}

int
drydock_blobcopy_verify_fd(struct drydock_blobcopy *bc, int fd,
    const struct drydock_digest *expect, int64_t size)
{
	char d[DRYDOCK_DIGEST_STRMAX];

	return check_fd(bc, fd, expect, size, drydock_digest_format(d, expect));
}

/*
 * Is dst_dirfd/name already the blob?  1 yes, 0 absent, 2 there but wrong
 * (size, or content when verifying), or an error.
 */
static int
dst_state(struct drydock_blobcopy *bc, int dirfd, const char *name,
    const struct drydock_digest *expect, int64_t size)
{
	struct stat sb;
	int fd, error;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		drydock_error_set_os("cannot stat '%s'", name);
		return DRYDOCK_ERROR;
	}
	if (!S_ISREG(sb.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' exists and is not a regular file", name);
		return DRYDOCK_EUNSAFE;
	}
	if (size >= 0 && (uint64_t)sb.st_size != (uint64_t)size)
		return 2;
	if (!(bc->flags & DRYDOCK_BLOBCOPY_VERIFY) || expect == NULL)
		return 1;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		drydock_error_set_os("cannot open '%s'", name);
		return DRYDOCK_ERROR;
	}
	error = check_fd(bc, fd, expect, size, name);
	close(fd);
	if (error == DRYDOCK_ECORRUPT) {
		drydock_error_clear();
		return 2;
	}
	return error < 0 ? error : 1;
}

static struct devpair *
devpair_for(struct drydock_blobcopy *bc, dev_t src, dev_t dst)
{
	size_t i;

	for (i = 0; i < bc->nknown; i++)
		if (bc->known[i].src == src && bc->known[i].dst == dst)
			return &bc->known[i];
	if (bc->nknown == KNOWN_MAX)
		bc->nknown = 0; /* forget: only costs a retry */
	i = bc->nknown++;
	memset(&bc->known[i], 0, sizeof(bc->known[i]));
	bc->known[i].src = src;
	bc->known[i].dst = dst;
	return &bc->known[i];
}

static void
counted(struct drydock_blobcopy *bc, int *how_out, int how, uint64_t size)
{
	bc->stats.count[how]++;
	bc->stats.bytes[how] += size;
	if (how_out != NULL)
		*how_out = how;
}

/* --- the three ways ------------------------------------------------------- */

/*
 * Hard link the open file src_fd as dirfd/name.  The /proc/self/fd magic
 * link names exactly the inode we opened (and checked), never a path that
 * could have been swapped since.  @return 0, 1 when the filesystems cannot
 * do it, -EEXIST-like errors as DRYDOCK codes.
 */
static int
try_hardlink(int src_fd, const struct stat *ssb, int dirfd, const char *name)
{
	char proc[64];
	struct stat sb;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", src_fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0) {
		if (errno == ENOENT &&
		    linkat(src_fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			goto check;
		switch (errno) {
		case EXDEV:
		case EPERM:
		case EMLINK:
		case EACCES:
		case ENOENT:
		case EOPNOTSUPP:
			return 1;
		case EEXIST:
			return DRYDOCK_EEXISTS;
		default:
			drydock_error_set_os("cannot link '%s'", name);
			return DRYDOCK_ERROR;
		}
	}
check:
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    sb.st_ino != ssb->st_ino || sb.st_dev != ssb->st_dev) {
		(void)unlinkat(dirfd, name, 0);
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' changed while it was being linked", name);
		return DRYDOCK_ERROR;
	}
	return 0;
}

static int
place_temp(struct drydock_blobcopy *bc, int dirfd, const char *tmp,
    const char *name, int replace)
{
	if (replace ? renameat(dirfd, tmp, dirfd, name)
	            : rename_noreplace(dirfd, tmp, dirfd, name)) {
		if (errno == EEXIST)
			return DRYDOCK_EEXISTS;
		drydock_error_set_os(
		    "cannot rename a temporary file to '%s'", name);
		return DRYDOCK_ERROR;
	}
	(void)bc;
	return 0;
}

static int
finish_temp(struct drydock_blobcopy *bc, int fd, const char *name)
{
	if ((bc->flags & DRYDOCK_BLOBCOPY_FSYNC) && fsync(fd) < 0) {
		drydock_error_set_os("cannot sync '%s'", name);
		return DRYDOCK_ERROR;
	}
	return 0;
}

/* Reflink into a temporary file, then rename.  0, 1 (cannot), error. */
static int
try_reflink(struct drydock_blobcopy *bc, int src_fd, int dirfd,
    const char *name, int replace)
{
	char tmp[TMPNAME_MAX];
	int fd, error, e;

	if ((fd = create_temp(bc, tmp, dirfd, name)) < 0)
		return fd;
	if (ioctl(fd, FICLONE, src_fd) < 0) {
		e = errno;
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		if (e == EOPNOTSUPP || e == EXDEV || e == EINVAL ||
		    e == ENOTTY || e == EPERM || e == ENOSYS || e == EBADF)
			return 1;
		errno = e;
		drydock_error_set_os("cannot reflink '%s'", name);
		return DRYDOCK_ERROR;
	}
	error = finish_temp(bc, fd, name);
	if (close(fd) < 0 && error == 0) {
		drydock_error_set_os("cannot write '%s'", name);
		error = DRYDOCK_ERROR;
	}
	if (error == 0)
		error = place_temp(bc, dirfd, tmp, name, replace);
	if (error < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return error;
}

/* Copy fd into out_fd as it is hashed; then its size and digest checked. */
static int
pump_into(struct drydock_blobcopy *bc, int fd, int out_fd,
    const struct drydock_digest *expect, int64_t size)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest got;
	uint64_t n = 0;
	int error;

	if ((error = pump(bc, &got, &n, fd, expect->alg, out_fd, NULL, NULL)) <
	    0)
		return error;
	if (size >= 0 && n != (uint64_t)size)
		return size_mismatch(drydock_digest_format(d, expect), n, size);
	if (!drydock_digest_equal(&got, expect))
		return mismatch(drydock_digest_format(d, expect), expect, &got);
	return 0;
}

static int
do_copy(struct drydock_blobcopy *bc, int src_fd, int dirfd, const char *name,
    const struct drydock_digest *expect, int64_t size, int replace)
{
	char tmp[TMPNAME_MAX];
	int fd, error;

	if ((fd = create_temp(bc, tmp, dirfd, name)) < 0)
		return fd;
	error = pump_into(bc, src_fd, fd, expect, size);
	if (error == 0)
		error = finish_temp(bc, fd, name);
	if (close(fd) < 0 && error == 0) {
		drydock_error_set_os("cannot write '%s'", name);
		error = DRYDOCK_ERROR;
	}
	if (error == 0)
		error = place_temp(bc, dirfd, tmp, name, replace);
	if (error < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return error;
}

/*
 * A hard link is the source's inode, with the source's owner, and
 * changing it would change the source too.  So with DRYDOCK_BLOBCOPY_OWNER,
 * when root places a blob in a directory of another owner or group (the
 * registry's), it is not hard-linked unless the source has that owner and
 * group already: auto copies it instead (1), hard fails.  A reflink is a
 * new inode and gets the owner.
 */
static int
owner_forbids_link(struct drydock_blobcopy *bc, const struct stat *ssb,
    int dirfd, const char *name, const char *what)
{
	struct drydock_owner o;
	int rc;

	if (!(bc->flags & DRYDOCK_BLOBCOPY_OWNER))
		return 0;
	if ((rc = drydock_owner__of_dir(&o, dirfd)) < 0) {
		errno = -rc;
		drydock_error_set_os("cannot stat the directory of '%s'", name);
		return DRYDOCK_ERROR;
	}
	if (!drydock_owner__link_differs(&o, ssb))
		return 0;
	if (bc->mode != DRYDOCK_BLOBCOPY_HARD)
		return 1;
	drydock_error_set(DRYDOCK_ERRCLASS_OS,
	    "cannot hard link '%s': its source belongs to %ld:%ld, the "
	    "directory to %ld:%ld, and a hard link keeps the source's owner; "
	    "use --link copy or auto",
	    what, (long)ssb->st_uid, (long)ssb->st_gid, (long)o.uid,
	    (long)o.gid);
	return DRYDOCK_EUNSUPPORTED;
}

/* what names the blob in messages (its digest). */
static int
link_or_reflink(struct drydock_blobcopy *bc, int *how, int src_fd,
    const struct stat *ssb, int dirfd, const char *name, int replace,
    const char *what)
{
	struct stat dsb;
	struct devpair *dp;
	char tmp[TMPNAME_MAX];
	int r;

	if (fstat(dirfd, &dsb) < 0) {
		drydock_error_set_os("cannot stat the directory of '%s'", name);
		return DRYDOCK_ERROR;
	}
	dp = devpair_for(bc, ssb->st_dev, dsb.st_dev);
	if ((bc->mode == DRYDOCK_BLOBCOPY_AUTO && !dp->no_reflink) ||
	    bc->mode == DRYDOCK_BLOBCOPY_REFLINK) {
		r = try_reflink(bc, src_fd, dirfd, name, replace);
		if (r <= 0) {
			*how = DRYDOCK_BLOBCOPY_REFLINKED;
			return r;
		}
		dp->no_reflink = 1;
		if (bc->mode == DRYDOCK_BLOBCOPY_REFLINK)
			goto unsupported;
	}
	if (bc->mode == DRYDOCK_BLOBCOPY_REFLINK ||
	    (bc->mode == DRYDOCK_BLOBCOPY_AUTO && dp->no_hardlink))
		return 1;
	if ((r = owner_forbids_link(bc, ssb, dirfd, name, what)) != 0)
		return r;
	*how = DRYDOCK_BLOBCOPY_HARDLINKED;
	if (!replace) {
		r = try_hardlink(src_fd, ssb, dirfd, name);
	} else {
		/* a wrong file is there: link beside it, then rename over */
		int fd = create_temp(bc, tmp, dirfd, name);

		if (fd < 0)
			return fd;
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		r = try_hardlink(src_fd, ssb, dirfd, tmp);
		if (r == 0 && (r = place_temp(bc, dirfd, tmp, name, 1)) < 0)
			(void)unlinkat(dirfd, tmp, 0);
	}
	if (r <= 0)
		return r;
	dp->no_hardlink = 1;
	if (bc->mode == DRYDOCK_BLOBCOPY_HARD)
		goto unsupported;
	return 1;
unsupported:
	drydock_error_set(DRYDOCK_ERRCLASS_OS,
	    "cannot %s '%s' here (another filesystem, or not supported); "
	    "use --link copy or auto",
	    bc->mode == DRYDOCK_BLOBCOPY_HARD ? "hard link" : "reflink", name);
	return DRYDOCK_EUNSUPPORTED;
}

/*
 * A source that can only be read once, in order (a pipe a thread feeds
 * from S3): nothing to link, the size only known from the caller (-1:
 * any present file is taken), and no second try once it is read.
 */
static int
copy_stream(struct drydock_blobcopy *bc, int *how_out, int src_fd, int dirfd,
    const char *name, const struct drydock_digest *expect, int64_t size)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	int state, error;

	if (bc->mode == DRYDOCK_BLOBCOPY_HARD ||
	    bc->mode == DRYDOCK_BLOBCOPY_REFLINK) {
		drydock_error_set(DRYDOCK_ERRCLASS_OS,
		    "cannot %s '%s': its source is a stream (object "
		    "storage); use --link copy or auto",
		    bc->mode == DRYDOCK_BLOBCOPY_HARD ? "hard link" : "reflink",
		    drydock_digest_format(d, expect));
		return DRYDOCK_EUNSUPPORTED;
	}
	if ((state = dst_state(bc, dirfd, name, expect, size)) < 0)
		return state;
	if (state == 1) {
		counted(bc, how_out, DRYDOCK_BLOBCOPY_PRESENT,
		    size > 0 ? (uint64_t)size : 0);
		return 0;
	}
	error = do_copy(bc, src_fd, dirfd, name, expect, size, state == 2);
	if (error == DRYDOCK_EEXISTS) {
		/* placed meanwhile by another writer: its name, its bytes */
		drydock_error_clear();
		counted(bc, how_out, DRYDOCK_BLOBCOPY_PRESENT,
		    size > 0 ? (uint64_t)size : 0);
		return 0;
	}
	if (error < 0)
		return error;
	if (state == 2)
		bc->stats.replaced++;
	counted(bc, how_out, DRYDOCK_BLOBCOPY_COPIED,
	    size > 0 ? (uint64_t)size : bc->last);
	return 0;
}

int
drydock_blobcopy_file(struct drydock_blobcopy *bc, int *how_out, int src_fd,
    int dst_dirfd, const char *dst_name, const struct drydock_digest *expect,
    int64_t size)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	struct stat ssb;
	int state, how = DRYDOCK_BLOBCOPY_COPIED, error;

	if (cancelled(bc))
		return DRYDOCK_EINTR;
	if (fstat(src_fd, &ssb) < 0) {
		drydock_error_set_os("cannot stat the source of '%s'",
		    drydock_digest_format(d, expect));
		return DRYDOCK_ERROR;
	}
	if (S_ISFIFO(ssb.st_mode))
		return copy_stream(
		    bc, how_out, src_fd, dst_dirfd, dst_name, expect, size);
	if (!S_ISREG(ssb.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "the source of '%s' is not a regular file",
		    drydock_digest_format(d, expect));
		return DRYDOCK_EUNSAFE;
	}
	if (size >= 0 && (uint64_t)ssb.st_size != (uint64_t)size)
		return size_mismatch(drydock_digest_format(d, expect),
		    (uint64_t)ssb.st_size, size);
again:
	if ((state = dst_state(
	         bc, dst_dirfd, dst_name, expect, (int64_t)ssb.st_size)) < 0)
		return state;
	if (state == 1) {
		counted(bc, how_out, DRYDOCK_BLOBCOPY_PRESENT,
		    (uint64_t)ssb.st_size);
		return 0;
	}
	if (bc->mode != DRYDOCK_BLOBCOPY_COPY) {
		/* nothing is copied: check the source itself when asked */
		if ((bc->flags & DRYDOCK_BLOBCOPY_VERIFY) &&
		    (error = check_fd(bc, src_fd, expect, size,
		         drydock_digest_format(d, expect))) < 0)
			return error;
		error = link_or_reflink(bc, &how, src_fd, &ssb, dst_dirfd,
		    dst_name, state == 2, drydock_digest_format(d, expect));
		if (error == DRYDOCK_EEXISTS) {
			drydock_error_clear();
			goto again;
		}
		if (error < 0)
			return error;
		if (error == 0)
			goto done;
	}
	how = DRYDOCK_BLOBCOPY_COPIED;
	error = do_copy(bc, src_fd, dst_dirfd, dst_name, expect,
	    (int64_t)ssb.st_size, state == 2);
	if (error == DRYDOCK_EEXISTS) {
		drydock_error_clear();
		goto again;
	}
	if (error < 0)
		return error;
done:
	if (state == 2)
		bc->stats.replaced++;
	counted(bc, how_out, how, (uint64_t)ssb.st_size);
	return 0;
}

int
drydock_blobcopy_stream(struct drydock_blobcopy *bc, int src_fd,
    const struct drydock_digest *expect, int64_t size,
    drydock_blobcopy_write_cb cb, void *payload)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest got;
	uint64_t n = 0;
	int error;

	error = pump(bc, &got, &n, src_fd, expect->alg, -1, cb, payload);
	if (error < 0)
		return error;
	if (size >= 0 && n != (uint64_t)size)
		return size_mismatch(drydock_digest_format(d, expect), n, size);
	if (!drydock_digest_equal(&got, expect))
		return mismatch(drydock_digest_format(d, expect), expect, &got);
	counted(bc, NULL, DRYDOCK_BLOBCOPY_COPIED, n);
	return 0;
}

/* An unnamed temporary file in $TMPDIR, else /var/tmp. */
static int
spool_file(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/var/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
		drydock_error_set_os(
		    "cannot create a temporary file in '%s'", dir);
	return fd;
}

int
drydock_blobcopy_spool(struct drydock_blobcopy *bc, int *fd_out, int src_fd,
    const struct drydock_digest *expect, int64_t size)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	struct stat sb;
	int fd, error;

	*fd_out = -1;
	if (cancelled(bc))
		return DRYDOCK_EINTR;
	if (fstat(src_fd, &sb) < 0) {
		drydock_error_set_os("cannot stat the source of '%s'",
		    drydock_digest_format(d, expect));
		return DRYDOCK_ERROR;
	}
	if (S_ISREG(sb.st_mode)) {
		if ((error = check_fd(bc, src_fd, expect, size,
		         drydock_digest_format(d, expect))) < 0)
			return error;
		*fd_out = src_fd;
		return 0;
	}
	if ((fd = spool_file()) < 0)
		return DRYDOCK_ERROR;
	error = pump_into(bc, src_fd, fd, expect, size);
	if (error == 0 && lseek(fd, 0, SEEK_SET) < 0) {
		drydock_error_set_os("cannot rewind a temporary file");
		error = DRYDOCK_ERROR;
	}
	if (error < 0) {
		close(fd);
		return error;
	}
	*fd_out = fd;
	return 0;
}

void
drydock_blobcopy_note(
    struct drydock_blobcopy *bc, int *how_out, int how, uint64_t size)
{
	if (how >= 0 && how < DRYDOCK_BLOBCOPY_HOW_MAX)
		counted(bc, how_out, how, size);
}

/* --- sinks -----------------------------------------------------------------
 */

int
drydock_blobcopy_sink_new(struct drydock_blobcopy_sink **out,
    struct drydock_blobcopy *bc, int tmp_dirfd, int alg)
{
	struct drydock_blobcopy_sink *s;
	int error;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_hasher_new(&s->h, alg)) < 0) {
		free(s);
		return error;
	}
	s->bc = bc;
	s->dirfd = tmp_dirfd;
	s->alg = alg;
	if ((s->fd = create_temp(bc, s->tmp, tmp_dirfd, NULL)) < 0) {
		error = s->fd;
		drydock_hasher_free(s->h);
		free(s);
		return error;
	}
	s->state = SINK_OPEN;
	*out = s;
	return 0;
}

int
drydock_blobcopy_sink_write(
    struct drydock_blobcopy_sink *s, const void *buf, size_t len)
{
	int error;

	if (s->state != SINK_OPEN) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "drydock_blobcopy_sink_write: the sink is finished");
		return DRYDOCK_ERROR;
	}
	if (cancelled(s->bc))
		return DRYDOCK_EINTR;
	if ((error = drydock_hasher_update(s->h, buf, len)) < 0)
		return error;
	if (write_all(s->fd, buf, len) < 0) {
		drydock_error_set_os("cannot write a temporary file");
		return DRYDOCK_ERROR;
	}
	s->size += len;
	s->bc->stats.hashed += len;
	return 0;
}

static void
sink_drop(struct drydock_blobcopy_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->state != SINK_GONE)
		(void)unlinkat(s->dirfd, s->tmp, 0);
	s->state = SINK_GONE;
}

int
drydock_blobcopy_sink_finish(struct drydock_blobcopy_sink *s,
    struct drydock_digest *digest_out, uint64_t *size_out,
    const struct drydock_digest *expect)
{
	char d[DRYDOCK_DIGEST_STRMAX];
	int error;

	if (s->state != SINK_OPEN) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "drydock_blobcopy_sink_finish: the sink is finished");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_hasher_final(&s->digest, s->h)) < 0)
		goto fail;
	if (expect != NULL && !drydock_digest_equal(&s->digest, expect)) {
		error = mismatch(
		    drydock_digest_format(d, expect), expect, &s->digest);
		goto fail;
	}
	if ((error = finish_temp(s->bc, s->fd, s->tmp)) < 0)
		goto fail;
	if (close(s->fd) < 0) {
		s->fd = -1;
		drydock_error_set_os("cannot write a temporary file");
		error = DRYDOCK_ERROR;
		goto fail;
	}
	s->fd = -1;
	s->state = SINK_FINISHED;
	if (digest_out != NULL)
		*digest_out = s->digest;
	if (size_out != NULL)
		*size_out = s->size;
	return 0;
fail:
	sink_drop(s);
	return error;
}

/*
 * The sink's file has the owner and mode of the directory it was made in;
 * when dst_dirfd has others, give it those before it takes its name.
 */
static int
sink_owner(struct drydock_blobcopy_sink *s, int dst_dirfd, const char *name)
{
	struct drydock_owner from, to;
	int fd, rc;

	if (!(s->bc->flags & DRYDOCK_BLOBCOPY_OWNER))
		return 0;
	if ((rc = drydock_owner__of_dir(&from, s->dirfd)) < 0 ||
	    (rc = drydock_owner__of_dir(&to, dst_dirfd)) < 0) {
		errno = -rc;
		drydock_error_set_os("cannot stat the directory of '%s'", name);
		return DRYDOCK_ERROR;
	}
	if (from.uid == to.uid && from.gid == to.gid &&
	    from.file_mode == to.file_mode)
		return 0;
	if (geteuid() == 0)
		to.give = DRYDOCK_OWNER_ALL; /* it is from's, not ours */
	fd = openat(s->dirfd, s->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		drydock_error_set_os("cannot open a temporary file");
		return DRYDOCK_ERROR;
	}
	rc = drydock_owner__apply(fd, &to, 0);
	close(fd);
	if (rc < 0) {
		errno = -rc;
		drydock_error_set_os(
		    "cannot give '%s' the owner of its directory (%ld:%ld)",
		    name, (long)to.uid, (long)to.gid);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_blobcopy_sink_commit(struct drydock_blobcopy_sink *s, int *how_out,
    int dst_dirfd, const char *dst_name)
{
	struct stat sb;
	int error;

	if (s->state != SINK_FINISHED) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "drydock_blobcopy_sink_commit: the sink is not finished");
		return DRYDOCK_ERROR;
	}
	if ((error = sink_owner(s, dst_dirfd, dst_name)) < 0)
		return error;
	if (rename_noreplace(s->dirfd, s->tmp, dst_dirfd, dst_name) < 0) {
		if (errno != EEXIST) {
			drydock_error_set_os(
			    "cannot rename a temporary file to '%s'", dst_name);
			return DRYDOCK_ERROR;
		}
		if (fstatat(dst_dirfd, dst_name, &sb, AT_SYMLINK_NOFOLLOW) <
		        0 ||
		    !S_ISREG(sb.st_mode)) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "'%s' exists and is not a regular file", dst_name);
			return DRYDOCK_EUNSAFE;
		}
		sink_drop(s);
		counted(s->bc, how_out, DRYDOCK_BLOBCOPY_PRESENT, s->size);
		return 0;
	}
	s->state = SINK_GONE;
	counted(s->bc, how_out, DRYDOCK_BLOBCOPY_COPIED, s->size);
	return 0;
}

void
drydock_blobcopy_sink_free(struct drydock_blobcopy_sink *s)
{
	if (s == NULL)
		return;
	sink_drop(s);
	drydock_hasher_free(s->h);
	free(s);
}

int
drydock_blobcopy_buffer(struct drydock_blobcopy *bc, int *how_out,
    const void *buf, size_t len, int dst_dirfd, const char *dst_name)
{
	char tmp[TMPNAME_MAX];
	struct stat sb;
	int fd, error = 0, replace = 0;

	if (fstatat(dst_dirfd, dst_name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "'%s' exists and is not a regular file", dst_name);
			return DRYDOCK_EUNSAFE;
		}
		if ((uint64_t)sb.st_size == len) {
			counted(bc, how_out, DRYDOCK_BLOBCOPY_PRESENT, len);
			return 0;
		}
		replace = 1;
	}
	if ((fd = create_temp(bc, tmp, dst_dirfd, dst_name)) < 0)
		return fd;
	if (write_all(fd, buf, len) < 0) {
		drydock_error_set_os("cannot write '%s'", dst_name);
		error = DRYDOCK_ERROR;
	}
	if (error == 0)
		error = finish_temp(bc, fd, dst_name);
	if (close(fd) < 0 && error == 0) {
		drydock_error_set_os("cannot write '%s'", dst_name);
		error = DRYDOCK_ERROR;
	}
	if (error == 0)
		error = place_temp(bc, dst_dirfd, tmp, dst_name, replace);
	if (error == DRYDOCK_EEXISTS) {
		(void)unlinkat(dst_dirfd, tmp, 0);
		drydock_error_clear();
		counted(bc, how_out, DRYDOCK_BLOBCOPY_PRESENT, len);
		return 0;
	}
	if (error < 0) {
		(void)unlinkat(dst_dirfd, tmp, 0);
		return error;
	}
	if (replace)
		bc->stats.replaced++;
	counted(bc, how_out, DRYDOCK_BLOBCOPY_COPIED, len);
	return 0;
}

/* --- leftovers ---------------------------------------------------------------
 */

/*
 * ".<base>.drydock-<pid>-<8 hex>.tmp" or ".drydock-<pid>-<8 hex>.tmp":
 * the pid, or -1 when the name is not one of ours.
 */
static long
temp_pid(const char *name)
{
	const char *p, *end;
	size_t len = strlen(name), i;
	long pid;

	if (len < 20 || name[0] != '.' || strcmp(name + len - 4, ".tmp") != 0)
		return -1;
	if ((p = strstr(name, "drydock-")) == NULL)
		return -1;
	if (p != name + 1 && p[-1] != '.')
		return -1;
	p += 8;
	pid = 0;
	for (end = p; *end >= '0' && *end <= '9'; end++)
		if ((pid = pid * 10 + (*end - '0')) > 1L << 30)
			return -1;
	if (end == p || *end != '-')
		return -1;
	end++;
	for (i = 0; i < 8; i++)
		if (!((end[i] >= '0' && end[i] <= '9') ||
		        (end[i] >= 'a' && end[i] <= 'f')))
			return -1;
	if (strcmp(end + 8, ".tmp") != 0)
		return -1;
	return pid;
}

static int sweep(int dirfd, int any_pid);

int
drydock_blobcopy_sweep_temps(int dirfd)
{
	return sweep(dirfd, 0);
}

int
drydock_blobcopy_sweep_temps_locked(int dirfd)
{
	return sweep(dirfd, 1);
}

static int
sweep(int dirfd, int any_pid)
{
	struct dirent *de;
	DIR *d;
	long pid;
	int fd, n = 0;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		drydock_error_set_os("cannot read a directory");
		if (fd >= 0)
			close(fd);
		return DRYDOCK_ERROR;
	}
	while ((de = readdir(d)) != NULL) {
		if ((pid = temp_pid(de->d_name)) < 0)
			continue;
		/* a live process (this one included) may still write it */
		if (pid == (long)getpid() ||
		    (!any_pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM)))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
