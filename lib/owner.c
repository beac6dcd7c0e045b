/* SPDX-License-Identifier: MIT */
/*
 * owner.c --- owner, group and mode of the files and directories drydock
 * creates in a store.
 *
 * The registry usually runs as its own user (Debian: docker-registry) and
 * drydock as root (cron, an operator's shell).  An entry root creates
 * belongs to root, so the registry could no longer create, rename or
 * remove anything in it: a push into an imported repository, a manifest
 * DELETE or a blob DELETE answered 500.  So every new entry gets what the
 * registry would have given it:
 *
 *  - owner and group: those of the directory it is created in (the
 *    registry owns the directories it made, and the storage root);
 *  - mode: distribution's filesystem driver creates directories with
 *    os.MkdirAll(dir, 0777) and files with os.OpenFile(path, ..., 0666),
 *    so its modes are 0777 and 0666 less its umask, which we cannot read.
 *    The directory we create in was made by the registry with that umask,
 *    so its permission bits stand for it: a new directory gets them (and
 *    its setgid bit), a new file the same without the x bits (0755 gives
 *    0644, 0750 gives 0640, 2775 gives 0664).  A world-writable parent
 *    (a /tmp) is no model: its o+w and g+w are dropped.
 *
 * Only root can give an inode away.  Another user keeps its files (the
 * group is still set to the directory's where it is a member of it, as a
 * setgid directory would), and a failed fchown is then no error.
 *
 * A new file gets its owner before it is written and renamed into place;
 * a new directory is made with the owner's filesystem ids (setfsuid), so
 * the registry never meets an entry of root's under a final name.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owner_int.h"

int
drydock_owner__of_dir(struct drydock_owner *out, int dirfd)
{
	struct stat sb;
	mode_t perm;
	gid_t newgid;

	if (fstat(dirfd, &sb) < 0)
		return -errno;
	perm = sb.st_mode & 0777;
	if (perm & S_IWOTH)
		perm &= ~(mode_t)(S_IWGRP | S_IWOTH);
	out->uid = sb.st_uid;
	out->gid = sb.st_gid;
	out->dir_mode = perm | (sb.st_mode & S_ISGID);
	out->file_mode = perm & 0666;
	/* what the kernel gives a new inode here (setgid: the group) */
	newgid = (sb.st_mode & S_ISGID) ? sb.st_gid : getegid();
	if (geteuid() == 0)
		out->give = sb.st_uid != 0 || sb.st_gid != newgid
		    ? DRYDOCK_OWNER_ALL
		    : DRYDOCK_OWNER_KEEP;
	else
		out->give = sb.st_gid != newgid ? DRYDOCK_OWNER_GROUP
		                                : DRYDOCK_OWNER_KEEP;
	return 0;
}

int
drydock_owner__chown(int fd, const struct drydock_owner *o)
{
	switch (o->give) {
	case DRYDOCK_OWNER_ALL:
		if (fchown(fd, o->uid, o->gid) < 0)
			return -errno;
		break;
	case DRYDOCK_OWNER_GROUP:
		/* best effort: we may not be a member of the group */
		(void)fchown(fd, (uid_t)-1, o->gid);
		break;
	default:
		break;
	}
	return 0;
}

int
drydock_owner__apply(int fd, const struct drydock_owner *o, int is_dir)
{
	int rc;

	/* owner first: fchown may clear the setgid bit fchmod sets */
	if ((rc = drydock_owner__chown(fd, o)) < 0)
		return rc;
	if (fchmod(fd, is_dir ? o->dir_mode : o->file_mode) < 0)
		return -errno;
	return 0;
}

int
drydock_owner__link_differs(
    const struct drydock_owner *o, const struct stat *sb)
{
	if (o->give != DRYDOCK_OWNER_ALL)
		return 0;
	return sb->st_uid != o->uid || sb->st_gid != o->gid;
}

/*
 * mkdirat(2) with the thread's filesystem ids set to uid and gid for the
 * call (setfsuid(2) changes the calling thread only), so the directory is
 * theirs from its first instant.  The ids are ours again after.  0 or
 * -errno; *as_them_out is 0 when the ids could not be set (no CAP_SETUID:
 * setfsuid says so only by what the next call returns), so that a
 * directory made all the same is root's.
 */
static int
mkdirat_as(int *as_them_out, int dirfd, const char *name, mode_t mode,
    uid_t uid, gid_t gid)
{
	uid_t ouid = geteuid();
	gid_t ogid = getegid();
	int rc;

	(void)setfsgid(gid);
	(void)setfsuid(uid);
	rc = mkdirat(dirfd, name, mode) == 0 ? 0 : -errno;
	/* first: it gives root's capabilities back */
	*as_them_out = (uid_t)setfsuid(ouid) == uid;
	*as_them_out &= (gid_t)setfsgid(ogid) == gid;
	return rc;
}

/* Give the directory name in dirfd (just made) o's owner and mode. */
static int
apply_at(
    int dirfd, const char *name, const struct drydock_owner *o, unsigned flags)
{
	int fd, rc;

	fd = openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flags & DRYDOCK_OWNER_UMASK)
		rc = drydock_owner__chown(fd, o);
	else
		rc = drydock_owner__apply(fd, o, 1);
	close(fd);
	return rc;
}

int
drydock_owner__mkdirat(int dirfd, const char *name, unsigned flags)
{
	struct drydock_owner o;
	mode_t mode;
	int rc, as_them = 0;

	if ((rc = drydock_owner__of_dir(&o, dirfd)) < 0)
		return rc;
	mode = (flags & DRYDOCK_OWNER_UMASK) ? 0777 : o.dir_mode & 0777;
	if (o.give == DRYDOCK_OWNER_ALL) {
		rc = mkdirat_as(&as_them, dirfd, name, mode, o.uid, o.gid);
		/*
		 * Refused as the owner (it cannot write its own directory):
		 * made as root and given away at once, which the registry
		 * could meet for an instant, as where we may not take its
		 * ids.
		 */
		if (rc == -EACCES || rc == -EPERM)
			rc = mkdirat(dirfd, name, mode) == 0 ? 0 : -errno;
		else if (rc == 0 && as_them)
			o.give = DRYDOCK_OWNER_KEEP; /* it is theirs */
	} else {
		rc = mkdirat(dirfd, name, mode) == 0 ? 0 : -errno;
	}
	if (rc < 0)
		return rc;
	/* the mode without the umask; the owner if made as root */
	if ((rc = apply_at(dirfd, name, &o, flags)) < 0)
		(void)unlinkat(dirfd, name, AT_REMOVEDIR);
	return rc;
}
