/* SPDX-License-Identifier: MIT */
/*
 * clock.c --- the host's wall clock and the storage's clock, as a probe
 * file's modification time shows it (clock.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/clock.h>
#include <drydock/errors.h>

#define PROBE_PREFIX DRYDOCK_CLOCK_PROBE_PREFIX

int64_t
drydock_clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A run killed between writing its probe and removing it leaves the probe
 * behind; the caller holds the store's lock, so every probe there now is
 * such a leftover.
 */
static void
remove_stale_probes(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, PROBE_PREFIX, strlen(PROBE_PREFIX)) ==
		        0 &&
		    (de->d_type == DT_REG || de->d_type == DT_UNKNOWN))
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

int
drydock_clock_storage_skew(int64_t *skew_ns_out, int dirfd)
{
	char name[64];
	struct stat sb;
	int64_t before = 0, after, mtime;
	int fd = -1, i, error = DRYDOCK_ERROR;

	remove_stale_probes(dirfd);
	for (i = 0; i < 16 && fd < 0; i++) {
		snprintf(name, sizeof(name), PROBE_PREFIX "%ld.%d",
		    (long)getpid(), rand());
		before = drydock_clock_realtime_ns();
		fd = openat(dirfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		drydock_error_set_os("cannot write a clock probe");
		return DRYDOCK_ERROR;
	}
	/* a write makes the server stamp the time, on NFS too */
	if (write(fd, "t", 1) != 1 || fstat(fd, &sb) < 0) {
		drydock_error_set_os("cannot write a clock probe '%s'", name);
		goto out;
	}
	after = drydock_clock_realtime_ns();
	mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	*skew_ns_out = mtime - (before + (after - before) / 2);
	error = 0;
out:
	close(fd);
	unlinkat(dirfd, name, 0);
	return error;
}
