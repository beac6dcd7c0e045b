/* SPDX-License-Identifier: MIT */
/*
 * store_pipe.c --- a stored file as a pipe's read end, for drivers whose
 * handles are not fds (S3): drydock_store_blob_open() callers read a
 * blob with read(2) whichever driver holds it.  A thread streams the
 * object (the driver's read_cb) into the pipe's write end.
 *
 * A pipe cannot carry an error: a stream that fails half-way (a GET cut
 * and not resumed, a 403, the object gone) closes the pipe early and the
 * reader meets an end of file like any other.  So each stream leaves its
 * result in a record of the store's, kept by the read end's fd number,
 * and drydock_store_blob_close() hands it to the reader: a reader that
 * met the end learns whether it had the whole object, and never takes a
 * failed GET for short (corrupt) data.  The feeder writes its result
 * before it closes the write end, so a reader that saw the end finds it.
 * A reader that closes early ends the stream (EPIPE): it asked for that,
 * and its close gets 0; the feeder frees the record when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drydock/errors.h>

#include "store_int.h"

/* One stream's record, on st->pipes; fields guarded by pipes_mu. */
struct drydock_store__pipe {
	struct drydock_store__pipe *next;
	int rfd; /* the reader's end; -1 once its reader let go */
	int done; /* the feeder has ended: error and err are its result */
	int orphan; /* the reader closed first: the feeder frees this */
	int error; /* 0 or the stream's drydock error code */
	struct drydock_error err; /* its message */
};

static pthread_mutex_t pipes_mu = PTHREAD_MUTEX_INITIALIZER;

struct pipe_job {
	struct drydock_store *st;
	struct drydock_store__pipe *rec;
	char *rel;
	int wfd;
};

/* Take rec off st's list (pipes_mu held). */
static void
unlist(struct drydock_store *st, struct drydock_store__pipe *rec)
{
	struct drydock_store__pipe **pp;

	for (pp = &st->pipes; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == rec) {
			*pp = rec->next;
			return;
		}
	}
}

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
		if (n < 0) {
			drydock_error_set_os("cannot stream '%s'", j->rel);
			return DRYDOCK_EINTR; /* the reader went away */
		}
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
	struct drydock_store__pipe *rec = j->rec;
	int error;

	drydock_error_clear();
	error = st->ops->read_cb(st, j->rel, 0, -1, to_pipe, j, NULL);
	pthread_mutex_lock(&pipes_mu);
	if (rec->orphan) {
		free(rec);
	} else {
		rec->error = error < 0 ? error : error > 0 ? DRYDOCK_ERROR : 0;
		if (rec->error != 0)
			rec->err = *drydock_error_last();
		if (rec->error != 0 && rec->err.message[0] == '\0')
			snprintf(rec->err.message, sizeof(rec->err.message),
			    "cannot read '%s': the stream ended early", j->rel);
		rec->done = 1;
	}
	pthread_mutex_unlock(&pipes_mu);
	/* after the result: a reader that sees the end finds it */
	close(j->wfd);
	free(j->rel);
	free(j);
	atomic_fetch_sub(&st->feeders, 1);
	return NULL;
}

/*
 * A new read end rfd: a record still naming that fd number is stale (its
 * reader closed the fd with close(2), not drydock_store_blob_close()).
 */
static void
forget_fd(struct drydock_store *st, int rfd)
{
	struct drydock_store__pipe *rec, *next;

	for (rec = st->pipes; rec != NULL; rec = next) {
		next = rec->next;
		if (rec->rfd != rfd)
			continue;
		unlist(st, rec);
		if (rec->done)
			free(rec);
		else
			rec->orphan = 1, rec->rfd = -1;
	}
}

int
drydock_store__pipe_open(
    struct drydock_store *st, const char *relpath, struct stat *sb_out)
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
	    (j->rel = strdup(relpath)) == NULL ||
	    (j->rec = calloc(1, sizeof(*j->rec))) == NULL) {
		drydock_error_set_os("cannot open '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto fail;
	}
	j->st = st;
	j->wfd = fds[1];
	j->rec->rfd = fds[0];
	pthread_mutex_lock(&pipes_mu);
	forget_fd(st, fds[0]);
	j->rec->next = st->pipes;
	st->pipes = j->rec;
	pthread_mutex_unlock(&pipes_mu);
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
		pthread_mutex_lock(&pipes_mu);
		unlist(st, j->rec);
		pthread_mutex_unlock(&pipes_mu);
		errno = r;
		drydock_error_set_os("cannot start a reader of '%s'", relpath);
		error = DRYDOCK_ERROR;
		goto fail;
	}
	if (sb_out != NULL)
		*sb_out = sb;
	return fds[0];
fail:
	if (j != NULL) {
		free(j->rec);
		free(j->rel);
	}
	free(j);
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
	return error;
}

int
drydock_store__pipe_close(struct drydock_store *st, int fd)
{
	struct drydock_store__pipe *rec;
	struct drydock_error err;
	int error = 0;

	pthread_mutex_lock(&pipes_mu);
	for (rec = st->pipes; rec != NULL && rec->rfd != fd; rec = rec->next)
		;
	if (rec != NULL && rec->done) {
		unlist(st, rec);
		error = rec->error;
		err = rec->err;
		free(rec);
	} else if (rec != NULL) {
		/* closed before the end: the feeder meets EPIPE, frees it */
		unlist(st, rec);
		rec->orphan = 1;
		rec->rfd = -1;
	}
	pthread_mutex_unlock(&pipes_mu);
	close(fd);
	if (error != 0)
		drydock_error_restore(&err);
	return error;
}

void
drydock_store__pipes_free(struct drydock_store *st)
{
	struct drydock_store__pipe *rec, *next;

	/* every feeder has ended (st->feeders is 0): all are done */
	pthread_mutex_lock(&pipes_mu);
	for (rec = st->pipes; rec != NULL; rec = next) {
		next = rec->next;
		free(rec);
	}
	st->pipes = NULL;
	pthread_mutex_unlock(&pipes_mu);
}
