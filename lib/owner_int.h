/* SPDX-License-Identifier: MIT */
/*
 * owner_int.h --- the owner, group and mode of what drydock creates in a
 * store: those the registry would give it, taken from the directory it is
 * created in (lib/owner.c).  Used by store.c and blobcopy.c.
 */
#ifndef DRYDOCK_OWNER_INT_H
#define DRYDOCK_OWNER_INT_H

#include <sys/stat.h>
#include <sys/types.h>

/* What drydock_owner__apply must change about a new inode's owner. */
enum drydock_owner_give {
	DRYDOCK_OWNER_KEEP = 0, /* it has the directory's owner and group */
	DRYDOCK_OWNER_GROUP, /* not root: the group, where we are a member */
	DRYDOCK_OWNER_ALL /* root: owner and group, or fail */
};

enum drydock_owner_mkdir_flags {
	/*
	 * the mode comes from the umask, as mkdir -p gives it: for the
	 * storage root itself, whose parent is not the registry's
	 */
	DRYDOCK_OWNER_UMASK = 1 << 0
};

/* What a new entry of one directory gets. */
struct drydock_owner {
	uid_t uid; /* the directory's owner */
	gid_t gid; /* and group */
	mode_t dir_mode; /* for a new directory */
	mode_t file_mode; /* for a new file: dir_mode without x bits */
	int give; /* enum drydock_owner_give */
};

/*
 * fstat dirfd and say what an entry created in it must get.
 * @return 0 or -errno.
 */
int drydock_owner__of_dir(struct drydock_owner *out, int dirfd);

/*
 * Give the new file or directory open as fd the owner, group (o->give)
 * and mode (o->file_mode or o->dir_mode) of o.  A failed fchown is an
 * error only for root (DRYDOCK_OWNER_ALL).
 * @return 0 or -errno.
 */
int drydock_owner__apply(int fd, const struct drydock_owner *o, int is_dir);

/* As _apply, owner and group only (a copy keeps its source's mode). */
int drydock_owner__chown(int fd, const struct drydock_owner *o);

/*
 * Would a hard link to the inode sb (an existing file, whose owner we
 * must not change) be owned otherwise than a new file of o's directory?
 * Only where new files are given away (root, a directory of another
 * owner or group): elsewhere nothing is.
 */
int drydock_owner__link_differs(
    const struct drydock_owner *o, const struct stat *sb);

/*
 * Create the directory name in dirfd with the owner, group and mode of
 * dirfd (enum drydock_owner_mkdir_flags).  When root must give it away it
 * is made with the owner's filesystem ids (setfsuid), so that the
 * registry never sees it as root's; where that is refused, it is made as
 * root and given away at once.  Never follows a symlink.
 * @return 0, -EEXIST when name exists (whatever it is), or -errno.
 */
int drydock_owner__mkdirat(int dirfd, const char *name, unsigned flags);

#endif
