/* SPDX-License-Identifier: MIT */
/* quarantine.c --- open a quarantine directory (quarantine.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include <drydock/journal.h>
#include <drydock/quarantine.h>

int
drydock_quarantine_open(
    struct drydock_quarantine *q, const char *dir, int create)
{
	char path[4096];

	q->objects_fd = -1;
	q->journal = NULL;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		drydock_error_set_os("cannot create quarantine '%s'", dir);
		return DRYDOCK_ERROR;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/objects", dir) >=
	    sizeof(path)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "quarantine path '%s' is too long", dir);
		return DRYDOCK_ERROR;
	}
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
		drydock_error_set_os("cannot create '%s'", path);
		return DRYDOCK_ERROR;
	}
	q->objects_fd =
	    open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (q->objects_fd < 0) {
		drydock_error_set_os("cannot open '%s'", path);
		return errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	snprintf(path, sizeof(path), "%s/journal.sqlite", dir);
	return drydock_journal_open(&q->journal, path, create);
}

void
drydock_quarantine_close(struct drydock_quarantine *q)
{
	if (q == NULL)
		return;
	drydock_journal_close(q->journal);
	q->journal = NULL;
	if (q->objects_fd >= 0)
		close(q->objects_fd);
	q->objects_fd = -1;
}
