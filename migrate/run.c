/* SPDX-License-Identifier: MIT */
/*
 * run.c --- the state of one drydock-migrate run and the helpers every
 * phase shares: the stop flag, the clock, the problem sink.  It calls
 * nothing else in migrate/, so that every phase may call it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migrate.h"

volatile sig_atomic_t mig_stop;

int
mig_oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

char *
mig_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void
mig_repo_key(struct drydock_digest *out, const char *repo,
    const struct drydock_digest *d)
{
	unsigned char buf[512 + 1 + sizeof(*d)];
	size_t n = strlen(repo);

	if (n > 512)
		n = 512;
	memcpy(buf, repo, n);
	buf[n] = '\0';
	memcpy(buf + n + 1, d, sizeof(*d));
	if (drydock_digest_buffer(
	        out, DRYDOCK_DIGEST_SHA256, buf, n + 1 + sizeof(*d)) < 0)
		memset(out, 0, sizeof(*out));
}

int
mig_read_data(
    const void **buf_out, size_t *len_out, struct drydock_archive_reader *r)
{
	if (mig_stop)
		return DRYDOCK_EINTR;
	return drydock_archive_reader_data(buf_out, len_out, r);
}

int
mig_error_fatal(void)
{
	switch (drydock_error_last()->sys_errno) {
	case ENOSPC:
	case EDQUOT:
	case EROFS:
	case EPIPE:
		return 1;
	default:
		return 0;
	}
}

struct par {
	size_t n, next;
	int (*fn)(void *, size_t);
	void *ctx;
	int error; /* the first failure */
	struct drydock_error saved; /* its message */
	pthread_mutex_t lock;
};

static void *
par_worker(void *arg)
{
	struct par *p = arg;
	size_t i;
	int error;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->error == 0 && !mig_stop ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		if ((error = p->fn(p->ctx, i)) >= 0)
			continue;
		pthread_mutex_lock(&p->lock);
		if (p->error == 0) {
			p->error = error;
			p->saved = *drydock_error_last();
		}
		pthread_mutex_unlock(&p->lock);
	}
}

int
mig_parallel(size_t n, int jobs, int (*fn)(void *ctx, size_t i), void *ctx)
{
	pthread_t tid[64];
	struct par p;
	size_t t, nt = jobs < 1 ? 1 : (size_t)jobs;

	memset(&p, 0, sizeof(p));
	p.n = n;
	p.fn = fn;
	p.ctx = ctx;
	pthread_mutex_init(&p.lock, NULL);
	if (nt > 64)
		nt = 64;
	if (nt > n)
		nt = n;
	/* the first worker is this thread */
	for (t = 1; t < nt; t++)
		if (pthread_create(&tid[t], NULL, par_worker, &p) != 0)
			break;
	nt = t;
	par_worker(&p);
	for (t = 1; t < nt; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.error < 0)
		drydock_error_restore(&p.saved);
	else if (mig_stop)
		return DRYDOCK_EINTR;
	return p.error;
}

void
mig_problem(struct mig_run *run, const char *fmt, ...)
{
	char buf[DRYDOCK_ERROR_MSGMAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fe_grow((void **)&run->problems, &run->capproblems,
	        run->nproblems + 1, sizeof(*run->problems)) < 0)
		return;
	if ((run->problems[run->nproblems] = strdup(buf)) != NULL)
		run->nproblems++;
}

void
mig_root_verified(struct mig_run *run, struct mig_root *r, const char *why)
{
	r->verified = why[0] == '\0' ? 1 : -1;
	if (why[0] == '\0')
		return;
	run->verify_failures++;
	free(r->verify_error);
	r->verify_error = mig_strdup(why);
}

int
mig_run_init(struct mig_run *run, struct mig_opts *o)
{
	int error;

	memset(run, 0, sizeof(*run));
	run->o = o;
	run->start_real_ns = drydock_clock_realtime_ns();
	/* into a registry's store, blobs become the registry's */
	if ((error = drydock_blobcopy_new(&run->bc, o->link_mode,
	         o->dst.type == MIG_LOC_REGISTRY ? DRYDOCK_BLOBCOPY_OWNER
	                                         : 0)) < 0 ||
	    (error = drydock_digestmap_new(&run->placed, 1024)) < 0 ||
	    (error = drydock_digestmap_new(&run->repo_done, 256)) < 0 ||
	    (error = drydock_digestmap_new(&run->repo_linked, 1024)) < 0 ||
	    (error = drydock_digestmap_new(&run->conv, 16)) < 0)
		return error;
	drydock_blobcopy_set_cancel(run->bc, &mig_stop);
	return 0;
}

void
mig_run_release(struct mig_run *run)
{
	size_t i;

	for (i = 0; i < run->nroots; i++) {
		free(run->roots[i].error);
		free(run->roots[i].media_type);
		free(run->roots[i].dest_media_type);
		free(run->roots[i].note);
		free(run->roots[i].archive_name);
		free(run->roots[i].verify_error);
	}
	free(run->roots);
	for (i = 0; i < run->nchanges; i++) {
		free(run->changes[i].from_type);
		free(run->changes[i].to_type);
	}
	free(run->changes);
	for (i = 0; i < run->nproblems; i++)
		free(run->problems[i]);
	free(run->problems);
	free(run->error);
	drydock_digestmap_free(run->placed);
	drydock_digestmap_free(run->repo_done);
	drydock_digestmap_free(run->repo_linked);
	drydock_digestmap_free(run->conv);
	drydock_blobcopy_free(run->bc);
	drydock_ocilayout_index_free(run->src_index);
	memset(run, 0, sizeof(*run));
}
