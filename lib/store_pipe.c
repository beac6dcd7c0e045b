/* SPDX-License-Identifier: MIT */
/*
 * store_pipe.c --- a stored file as a pipe's read end, for drivers whose
 * handles are not fds (S3): drydock_store_blob_open() callers read a
 * blob with read(2) whichever driver holds it.  A thread streams the
 * object (the driver's read_cb) into the pipe's write end; a reader that
 * closes early ends the stream with EPIPE, and a failed stream closes the
 * pipe short, which the reader's digest check then sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drydock/errors.h>

#include "store_int.h"

struct pipe_job {
	struct drydock_store *st;
	char *rel;
	int wfd;
};

static int
to_pipe(const void *buf, size_t len, void *payload)
{
	const struct pipe_job *j = payload;
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(j->wfd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return DRYDOCK_EINTR; /* the reader went away */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
pipe_feed(void *arg)
{
	struct pipe_job *j = arg;

	struct drydock_store *st = j->st;

	(void)st->ops->read_cb(st, j->rel, 0, -1, to_pipe, j, NULL);
	close(j->wfd);
	free(j->rel);
	free(j);
	atomic_fetch_sub(&st->feeders, 1);
	return NULL;
}

int
drydock_store__pipe_open(struct drydock_store *st, const char *relpath)
{
	struct pipe_job *j = NULL;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	struct stat sb;
	int fds[2] = {-1, -1}, r, error;

	/* missing or not a file: said now, not as a short stream later */
	if ((r = st->ops->statat(st, -1, relpath, &sb)) < 0)
		return drydock_store__open_error(st, -1, relpath, r);
	if (!S_ISREG(sb.st_mode))
		return drydock_store__not_regular(relpath, &sb);
	if (pipe2(fds, O_CLOEXEC) < 0 || (j = calloc(1, sizeof(*j))) == NULL ||
	    (j->rel = strdup(relpath)) == NULL) {
		drydock_error_set_os("cannot open '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto fail;
	}
	j->st = st;
	j->wfd = fds[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* the feeder takes no signal: SIGPIPE comes back as EPIPE */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	atomic_fetch_add(&st->feeders, 1);
	r = pthread_create(&t, &attr, pipe_feed, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		atomic_fetch_sub(&st->feeders, 1);
		errno = r;
		drydock_error_set_os("cannot start a reader of '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto fail;
	}
	return fds[0];
fail:
	if (j != NULL)
		free(j->rel);
	free(j);
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
	return error;
}
