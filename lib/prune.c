/* SPDX-License-Identifier: MIT */
/*
 * prune.c --- remove a tree of empty directories with rmdir(2) only, so a
 * file that appears in it (a concurrent push) is never lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include <drydock/store.h>

#include "store_int.h"

#define PRUNE_MAXDEPTH 64

/* Empty the directory fd of subdirectories; 1 if anything else remains. */
static int
prune_dir(int fd, int depth)
{
	DIR *dir;
	struct dirent *de;
	int left = 0, dfd;

	if (depth > PRUNE_MAXDEPTH)
		return 1;
	if ((dfd = dup(fd)) < 0)
		return 1;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat sb;
		int cfd;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type != DT_DIR) {
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) <
			        0 ||
			    !S_ISDIR(sb.st_mode)) {
				left = 1;
				continue;
			}
		}
		cfd = openat(fd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			left = 1;
			continue;
		}
		if (prune_dir(cfd, depth + 1))
			left = 1;
		close(cfd);
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
			left = 1;
	}
	closedir(dir);
	return left;
}

int
drydock_store__fs_prune_empty(struct drydock_store *st, const char *relpath)
{
	char *parent = NULL, *slash;
	const char *base;
	int fd = -1, pfd = -1, error;

	fd = drydock_store_openat(st, -1, relpath, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	if ((parent = strdup(relpath)) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		base = slash + 1;
		pfd = drydock_store_openat(
		    st, -1, parent, O_RDONLY | O_DIRECTORY, 0);
		if (pfd < 0) {
			error = pfd;
			goto out;
		}
	} else {
		base = parent;
		pfd = dup(drydock_store_v2fd(st));
	}
	if (prune_dir(fd, 0)) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_STORE, "'%s' is not empty", relpath);
		error = DRYDOCK_EEXISTS;
		goto out;
	}
	if (unlinkat(pfd, base, AT_REMOVEDIR) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "'%s' is not empty", relpath);
			error = DRYDOCK_EEXISTS;
		} else {
			drydock_error_set_os("cannot remove '%s'", relpath);
			error = DRYDOCK_ERROR;
		}
		goto out;
	}
	error = 0;
out:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	free(parent);
	return error;
}
