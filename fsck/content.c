/* SPDX-License-Identifier: MIT */
/*
 * content.c --- verify that every blob's data hashes to the digest in its
 * path, on all cores: a pool of threads, each hashing whole blobs with
 * large sequential reads, biggest first so the pool finishes together.
 * Cheap checks come first (the data's size and the state's record), and
 * with --max-duration the least recently verified go first, so a run cut
 * short makes progress that the next run continues.
 *
 * Workers only read the store and write their blob's result fields; the
 * main thread reports progress, keeps the state file and makes findings.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/clock.h>

#include "fsck.h"

/*
 * Each hashing thread reads into a buffer of its own this big: small
 * enough to stay in the core's L2 cache between the copy and the hash,
 * large enough that the system calls cost nothing.  Hashing 1.7 GB of
 * 8 MiB blobs on a 2-core EPYC (1 MiB L2) took the least CPU at 64 and
 * 128 KiB of 64 KiB to 2 MiB, as much as a mapping (tests/bench/README.md).
 */
#define READ_SIZE (128u << 10)
#define STATE_COMMIT_NS 2000000000LL

struct pool {
	struct fsck_run *run;
	uint32_t *order; /* blob indices, in the order to hash them */
	size_t n;
	size_t next; /* guarded by mu */
	uint32_t *done; /* finished blob indices, guarded by mu */
	size_t ndone;
	int nrunning; /* guarded by mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */
	atomic_int stop; /* 1 deadline, 2 signal */
	atomic_uint_fast64_t bytes;
	atomic_int failed; /* a worker could not start */
};

/* an empty blob written this recently is looked at again, this often */
#define EMPTY_FRESH_NS 5000000000LL
#define EMPTY_RETRIES 20
#define EMPTY_RETRY_NS 50000000L

static int
stop_reason(struct pool *p)
{
	int s = atomic_load_explicit(&p->stop, memory_order_relaxed);

	if (s != 0)
		return s;
	if (fsck_stop) {
		atomic_store(&p->stop, 2);
		return 2;
	}
	if (p->deadline_ns != 0 && fe_clock_monotonic_ns() >= p->deadline_ns) {
		atomic_store(&p->stop, 1);
		return 1;
	}
	return 0;
}

static int
unchanged(const struct fsck_blob *b)
{
	struct drydock_state_blob rec;

	if (!b->has_rec)
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.size = b->rec_size;
	rec.mtime_ns = b->rec_mtime;
	rec.inode = b->rec_ino;
	rec.verified = b->rec_verified;
	return drydock_state_is_unchanged(
	    &rec, b->seen_size, b->seen_mtime, b->seen_ino);
}

/*
 * Hash the data of b into h with read()s into buf, a per-thread buffer of
 * READ_SIZE bytes; the result goes into b.  Memory stays bounded whatever
 * the blob's size (a mapping of a 5 GiB blob made 5 GiB of RSS), and the
 * hash reads a buffer that stays in the core's cache.
 */
static void
hash_data(struct pool *p, struct fsck_blob *b, int fd, struct drydock_hasher *h,
    unsigned char *buf)
{
	const struct drydock_digest *want = &p->run->ids[b->id];
	struct drydock_digest got;
	uint64_t total = 0;
	ssize_t n;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (drydock_hasher_reset(h) < 0) {
		b->result = FSCK_H_IOERR;
		b->err = ENOMEM;
		return;
	}
	for (;;) {
		/*
		 * A signal stops at once; the deadline only keeps workers
		 * from taking another blob.  Finishing the blob in hand
		 * means a blob that takes longer than --max-duration still
		 * gets verified, and every run makes progress.
		 */
		if (stop_reason(p) == 2) {
			b->result = FSCK_H_INTERRUPTED;
			return;
		}
		n = read(fd, buf, READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			b->result = FSCK_H_IOERR;
			b->err = errno;
			return;
		}
		if (n == 0)
			break;
		drydock_hasher_update(h, buf, (size_t)n);
		total += (uint64_t)n;
		atomic_fetch_add_explicit(
		    &p->bytes, (uint64_t)n, memory_order_relaxed);
	}
	/* what was hashed, if the file changed size under us */
	b->seen_size = total;
	if (drydock_hasher_final(&got, h) < 0) {
		b->result = FSCK_H_IOERR;
		b->err = ENOMEM;
		return;
	}
	if (drydock_digest_equal(&got, want)) {
		b->result = FSCK_H_OK;
		return;
	}
	b->result = FSCK_H_MISMATCH;
	if ((b->got = malloc(sizeof(*b->got))) != NULL)
		*b->got = got;
}

static void
hash_one(struct pool *p, struct fsck_blob *b, struct drydock_hasher *hs[3],
    unsigned char *buf)
{
	struct fsck_run *run = p->run;
	const struct drydock_digest *d = &run->ids[b->id];
	struct stat sb;
	int fd, r, tries = 0;

again:
	/*
	 * The stat of what fd reads: fstat(2) on a filesystem, the object's
	 * (ETag, size, LastModified) on S3, where fd is a pipe
	 */
	fd = drydock_store_blob_open_stat(run->st, d, &sb);
	if (fd < 0) {
		b->result = fd == DRYDOCK_ENOTFOUND ? FSCK_H_GONE
		    : fd == DRYDOCK_EUNSAFE         ? FSCK_H_UNSAFE
		                                    : FSCK_H_IOERR;
		b->err = drydock_error_last()->sys_errno;
		return;
	}
	b->seen_size = (uint64_t)sb.st_size;
	b->seen_mtime =
	    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	b->seen_ino = (uint64_t)sb.st_ino;
	if (b->mode == FSCK_HASH_IF_CHANGED && unchanged(b)) {
		b->result = FSCK_H_UNCHANGED;
		goto out;
	}
	/* cheap checks before hashing: only the empty blob is empty */
	if (b->seen_size == 0) {
		b->result = drydock_digest_equal(d, &run->empty256) ||
		        drydock_digest_equal(d, &run->empty512)
		    ? FSCK_H_OK
		    : FSCK_H_EMPTY;
		/*
		 * The registry's filesystem driver writes a manifest in place
		 * (create, then write): beside a push, a blob is empty for an
		 * instant.  One written in the last seconds is read again
		 * after a pause before it is called empty, as a link is.
		 */
		if (b->result == FSCK_H_EMPTY && tries++ < EMPTY_RETRIES &&
		    drydock_clock_realtime_ns() - b->seen_mtime <
		        EMPTY_FRESH_NS) {
			(void)drydock_store_blob_close(run->st, fd);
			nanosleep(&(struct timespec){0, EMPTY_RETRY_NS}, NULL);
			goto again;
		}
		goto out;
	}
	if (d->alg >= 3 || hs[d->alg] == NULL) {
		b->result = FSCK_H_IOERR;
		b->err = ENOMEM;
		goto out;
	}
	hash_data(p, b, fd, hs[d->alg], buf);
out:
	/*
	 * A stream that failed (S3: a GET cut and not resumed, a 403) ends
	 * the pipe early: what was hashed is not the blob, so neither a
	 * match nor a mismatch says anything of it.
	 */
	if ((r = drydock_store_blob_close(run->st, fd)) < 0 &&
	    b->result != FSCK_H_INTERRUPTED) {
		b->result = r == DRYDOCK_ENOTFOUND ? FSCK_H_GONE : FSCK_H_IOERR;
		b->err = drydock_error_last()->sys_errno;
		if (b->err == 0)
			b->err = EIO;
		free(b->got);
		b->got = NULL;
	}
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct drydock_hasher *hs[3] = {NULL, NULL, NULL};
	unsigned char *buf = malloc(READ_SIZE);
	uint32_t bi;

	if (buf == NULL ||
	    drydock_hasher_new(
	        &hs[DRYDOCK_DIGEST_SHA256], DRYDOCK_DIGEST_SHA256) < 0 ||
	    drydock_hasher_new(
	        &hs[DRYDOCK_DIGEST_SHA512], DRYDOCK_DIGEST_SHA512) < 0)
		atomic_store(&p->failed, 1);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (atomic_load(&p->failed) || p->next >= p->n ||
		    stop_reason(p) != 0) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		bi = p->order[p->next++];
		pthread_mutex_unlock(&p->mu);
		hash_one(p, &p->run->blobs[bi], hs, buf);
		pthread_mutex_lock(&p->mu);
		p->done[p->ndone++] = bi;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->nrunning--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	drydock_hasher_free(hs[DRYDOCK_DIGEST_SHA256]);
	drydock_hasher_free(hs[DRYDOCK_DIGEST_SHA512]);
	free(buf);
	return NULL;
}

/* --- choosing what to hash ------------------------------------------------ */

/*
 * Records of blobs that are gone, collected while the records are read
 * for the run, and forgotten at its end (after a complete walk): one scan
 * of the state instead of two.
 */
struct prune_ctx {
	struct drydock_digest *gone;
	size_t n, cap;
};

static struct prune_ctx pruned;

static int
rec_cb(const struct drydock_state_blob *rec, void *payload)
{
	struct fsck_run *run = payload;
	struct fsck_blob *b;
	uint32_t id;

	if (!drydock_digestmap_get(run->idmap, &rec->digest, &id) ||
	    run->objs[id].blob == FSCK_NONE ||
	    !run->blobs[run->objs[id].blob].has_data) {
		if (fe_grow((void **)&pruned.gone, &pruned.cap, pruned.n + 1,
		        sizeof(*pruned.gone)) < 0)
			return DRYDOCK_ERROR;
		pruned.gone[pruned.n++] = rec->digest;
		return 0;
	}
	b = &run->blobs[run->objs[id].blob];
	b->has_rec = 1;
	b->rec_size = rec->size;
	b->rec_mtime = rec->mtime_ns;
	b->rec_ino = rec->inode;
	b->rec_verified = rec->verified;
	return 0;
}

/* The walk saw what the record describes (the worker checks the inode). */
static int
looks_unchanged(const struct fsck_blob *b)
{
	return b->has_rec && b->rec_verified > 0 && b->rec_size == b->size &&
	    b->rec_mtime == b->mtime_ns;
}

/* Size, mtime and inode from the walk all match a verified record. */
static int
walk_unchanged(const struct fsck_blob *b)
{
	return b->ino != 0 && looks_unchanged(b) && b->rec_ino == b->ino;
}

static int
select_slice(struct fsck_run *run)
{
	struct drydock_state_cand *c;
	size_t i, n = 0;

	if ((c = calloc(run->nblobs + 1, sizeof(*c))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nblobs; i++) {
		const struct fsck_blob *b = &run->blobs[i];

		if (b->mode != FSCK_HASH_IF_CHANGED || !looks_unchanged(b))
			continue;
		c[n].verified = b->rec_verified;
		c[n].size = b->size;
		c[n].index = (uint32_t)i;
		n++;
	}
	drydock_state_slice_select(
	    c, n, run->opts->slice_k, run->opts->slice_n);
	for (i = 0; i < n; i++)
		if (c[i].selected)
			run->blobs[c[i].index].mode = FSCK_HASH_ALWAYS;
	free(c);
	return 0;
}

static const struct fsck_run *order_run;

/*
 * What is likely to be hashed comes first: with a deadline, the least
 * recently verified first; without one, the biggest first.  Blobs the
 * state will probably let through cost an fstat; they go last.
 */
static int
order_cmp(const void *a, const void *b)
{
	const struct fsck_blob *x = &order_run->blobs[*(const uint32_t *)a];
	const struct fsck_blob *y = &order_run->blobs[*(const uint32_t *)b];
	int cx = x->mode == FSCK_HASH_IF_CHANGED && looks_unchanged(x);
	int cy = y->mode == FSCK_HASH_IF_CHANGED && looks_unchanged(y);
	int64_t vx = x->has_rec ? x->rec_verified : 0;
	int64_t vy = y->has_rec ? y->rec_verified : 0;

	if (cx != cy)
		return cx - cy;
	if (order_run->opts->max_duration > 0 && vx != vy)
		return vx < vy ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
prepare(struct fsck_run *run, uint32_t **order_out, size_t *n_out)
{
	const struct fsck_opts *o = run->opts;
	uint32_t *order = NULL;
	size_t i, n = 0;
	int error;

	*order_out = NULL;
	*n_out = 0;
	if (run->state != NULL &&
	    (error = drydock_state_foreach(run->state, rec_cb, run)) < 0)
		return error;
	for (i = 0; i < run->nblobs; i++) {
		struct fsck_blob *b = &run->blobs[i];
		uint32_t f = run->objs[b->id].flags;

		b->mode = FSCK_HASH_NO;
		if (!b->has_data || (f & FSCK_O_UNSAFE))
			continue;
		if (f & FSCK_O_SIZECHECK)
			b->mode = FSCK_HASH_ALWAYS; /* which side is wrong? */
		else if (o->verify == FSCK_VERIFY_ALL)
			b->mode = FSCK_HASH_ALWAYS;
		else if (o->verify != FSCK_VERIFY_NONE)
			b->mode = FSCK_HASH_IF_CHANGED;
	}
	if (o->verify == FSCK_VERIFY_SLICE && (error = select_slice(run)) < 0)
		return error;
	if ((order = calloc(run->nblobs + 1, sizeof(*order))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < run->nblobs; i++) {
		struct fsck_blob *b = &run->blobs[i];

		if (b->mode == FSCK_HASH_IF_CHANGED && walk_unchanged(b)) {
			/* the walk's lstat says it all: no open needed */
			b->result = FSCK_H_UNCHANGED;
			b->seen_size = b->size;
			b->seen_mtime = b->mtime_ns;
			b->seen_ino = b->ino;
			run->unchanged++;
		} else if (b->mode != FSCK_HASH_NO) {
			b->result = FSCK_H_QUEUED;
			order[n++] = (uint32_t)i;
		} else if (b->has_data) {
			run->not_hashed++;
		}
	}
	order_run = run;
	qsort(order, n, sizeof(*order), order_cmp);
	order_run = NULL;
	*order_out = order;
	*n_out = n;
	return 0;
}

/* --- the main thread: results, state, progress -------------------------------
 */

struct monitor {
	int in_tx;
	int64_t tx_start;
	uint64_t finished, bytes_total;
};

static int
state_tx(struct fsck_run *run, struct monitor *m)
{
	int error;

	if (run->state == NULL || m->in_tx)
		return 0;
	if ((error = drydock_state_begin(run->state)) < 0)
		return error;
	m->in_tx = 1;
	m->tx_start = fe_clock_monotonic_ns();
	return 0;
}

static int
take_result(struct fsck_run *run, struct monitor *m, struct fsck_blob *b)
{
	struct drydock_state_blob rec;
	int error = 0;

	m->finished++;
	switch (b->result) {
	case FSCK_H_OK:
		run->hashed++;
		run->hashed_bytes += b->seen_size;
		if (run->state == NULL)
			break;
		memset(&rec, 0, sizeof(rec));
		rec.digest = run->ids[b->id];
		rec.size = b->seen_size;
		rec.mtime_ns = b->seen_mtime;
		rec.inode = b->seen_ino;
		rec.verified = run->now;
		if ((error = state_tx(run, m)) == 0)
			error = drydock_state_record(run->state, &rec);
		break;
	case FSCK_H_UNCHANGED:
		run->unchanged++;
		break;
	case FSCK_H_MISMATCH:
	case FSCK_H_EMPTY:
	case FSCK_H_IOERR:
	case FSCK_H_UNSAFE:
	case FSCK_H_GONE:
		if (b->result == FSCK_H_MISMATCH)
			run->hashed++, run->hashed_bytes += b->seen_size;
		if (run->state != NULL && b->has_rec &&
		    (error = state_tx(run, m)) == 0)
			error =
			    drydock_state_forget(run->state, &run->ids[b->id]);
		break;
	default:
		break;
	}
	if (error == 0 && m->in_tx &&
	    fe_clock_monotonic_ns() - m->tx_start > STATE_COMMIT_NS) {
		m->in_tx = 0;
		error = drydock_state_commit(run->state);
	}
	return error;
}

static int
monitor(struct fsck_run *run, struct pool *p, struct monitor *m)
{
	struct timespec ts;
	size_t seen = 0, i, upto;
	uint32_t *batch = NULL;
	int error = 0;

	if ((batch = calloc(p->n + 1, sizeof(*batch))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->ndone == seen && p->nrunning > 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 250000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
			if (fsck_stop)
				atomic_store(&p->stop, 2);
			pthread_mutex_unlock(&p->mu);
			fsck_progress(run, "hashing", m->finished, p->n,
			    atomic_load(&p->bytes), m->bytes_total);
			pthread_mutex_lock(&p->mu);
		}
		upto = p->ndone;
		memcpy(batch + seen, p->done + seen,
		    (upto - seen) * sizeof(*batch));
		if (upto == seen && p->nrunning == 0)
			break;
		pthread_mutex_unlock(&p->mu);
		for (i = seen; i < upto && error == 0; i++)
			error = take_result(run, m, &run->blobs[batch[i]]);
		seen = upto;
		fsck_progress(run, "hashing", m->finished, p->n,
		    atomic_load(&p->bytes), m->bytes_total);
		if (error < 0)
			atomic_store(&p->stop, 2);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	free(batch);
	return error;
}

static int
jobs_for(const struct fsck_run *run, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = run->opts->jobs > 0 ? run->opts->jobs
	                               : (int)(cores > 0 ? cores : 1);

	if ((size_t)jobs > n)
		jobs = (int)n;
	return jobs > 0 ? jobs : 1;
}

/* Forget the records of blobs that are gone (after a complete walk). */
static int
prune_state(struct fsck_run *run)
{
	size_t i;
	int error = 0;

	if (pruned.n == 0)
		return 0;
	if ((error = drydock_state_begin(run->state)) < 0)
		return error;
	for (i = 0; i < pruned.n && error == 0; i++)
		error = drydock_state_forget(run->state, &pruned.gone[i]);
	if (error == 0)
		error = drydock_state_commit(run->state);
	return error;
}

int
fsck_content(struct fsck_run *run)
{
	struct pool p;
	struct monitor m;
	pthread_t *threads = NULL;
	int64_t t0 = fe_clock_monotonic_ns();
	int jobs, i, started = 0, error;
	size_t k;

	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	if ((error = prepare(run, &p.order, &p.n)) < 0)
		goto out;
	for (k = 0; k < p.n; k++) {
		const struct fsck_blob *b = &run->blobs[p.order[k]];

		if (!(b->mode == FSCK_HASH_IF_CHANGED && looks_unchanged(b)))
			m.bytes_total += b->size;
	}
	p.run = run;
	if (run->opts->max_duration > 0)
		p.deadline_ns =
		    run->start_ns + run->opts->max_duration * 1000000000LL;
	if (p.n > 0) {
		jobs = jobs_for(run, p.n);
		if ((p.done = calloc(p.n, sizeof(*p.done))) == NULL ||
		    (threads = calloc((size_t)jobs, sizeof(*threads))) ==
		        NULL) {
			drydock_error_set_os("out of memory");
			error = DRYDOCK_ERROR;
			goto out;
		}
		pthread_mutex_init(&p.mu, NULL);
		pthread_cond_init(&p.cv, NULL);
		p.nrunning = jobs;
		for (i = 0; i < jobs; i++) {
			if (pthread_create(&threads[i], NULL, worker, &p) != 0)
				break;
			started++;
		}
		if (started < jobs) {
			pthread_mutex_lock(&p.mu);
			p.nrunning -= jobs - started;
			pthread_mutex_unlock(&p.mu);
		}
		if (started == 0) {
			drydock_error_set_os("cannot start a hashing thread");
			error = DRYDOCK_ERROR;
		} else {
			error = monitor(run, &p, &m);
		}
		for (i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		fsck_progress_end(run);
		if (error == 0 && atomic_load(&p.failed)) {
			drydock_error_set_os("cannot start hashing");
			error = DRYDOCK_ERROR;
		}
	}
	/* what no worker reached */
	for (k = 0; k < p.n; k++) {
		struct fsck_blob *b = &run->blobs[p.order[k]];

		if (b->result != FSCK_H_QUEUED &&
		    b->result != FSCK_H_DEFERRED &&
		    b->result != FSCK_H_INTERRUPTED)
			continue;
		b->result = atomic_load(&p.stop) == 2 ? FSCK_H_INTERRUPTED
		                                      : FSCK_H_DEFERRED;
		if (!(b->mode == FSCK_HASH_IF_CHANGED && looks_unchanged(b)))
			run->deferred++;
	}
	if (atomic_load(&p.stop) == 2 || fsck_stop)
		run->interrupted = 1;
	else if (atomic_load(&p.stop) == 1)
		run->deadline_hit = 1;
	if (m.in_tx) {
		int r = drydock_state_commit(run->state);

		if (error == 0)
			error = r;
	}
	if (error == 0 && run->state != NULL && !run->interrupted)
		error = prune_state(run);
out:
	free(pruned.gone);
	memset(&pruned, 0, sizeof(pruned));
	run->hash_seconds = (double)(fe_clock_monotonic_ns() - t0) / 1e9;
	free(threads);
	free(p.done);
	free(p.order);
	return error;
}

/* --- findings from the hashes ------------------------------------------------
 */

static int
content_finding(struct fsck_run *run, const struct fsck_blob *b)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], dstr[DRYDOCK_DIGEST_STRMAX];
	char sz[32], want[32];
	struct fsck_ctx ctx = FSCK_CTX_INIT(.path = path, .digest = b->id,
	    .impact = FSCK_IMPACT_ALL);

	if (fsck_blob_path(path, sizeof(path), run, b->id) < 0)
		return DRYDOCK_ERROR;
	drydock_bytes_format(sz, sizeof(sz), b->seen_size);
	switch (b->result) {
	case FSCK_H_MISMATCH:
		run->objs[b->id].flags |= FSCK_O_BAD;
		if (b->got != NULL)
			drydock_digest_format(dstr, b->got);
		else
			snprintf(dstr, sizeof(dstr), "something else");
		if (b->want != UINT64_MAX && b->seen_size < b->want) {
			if (b->want < 10240)
				return fsck_report(run, FSCK_BLOB_TRUNCATED,
				    &ctx, "%llu of %llu bytes; hashes to %s",
				    (unsigned long long)b->seen_size,
				    (unsigned long long)b->want, dstr);
			drydock_bytes_format(want, sizeof(want), b->want);
			return fsck_report(run, FSCK_BLOB_TRUNCATED, &ctx,
			    "%llu of %llu bytes (%s of %s); hashes to %s",
			    (unsigned long long)b->seen_size,
			    (unsigned long long)b->want, sz, want, dstr);
		}
		return fsck_report(run, FSCK_BLOB_DIGEST_MISMATCH, &ctx,
		    "%s; hashes to %s", sz, dstr);
	case FSCK_H_EMPTY:
		run->objs[b->id].flags |= FSCK_O_BAD;
		if (b->want != UINT64_MAX)
			return fsck_report(run, FSCK_BLOB_EMPTY, &ctx,
			    "0 of %llu bytes", (unsigned long long)b->want);
		return fsck_report(run, FSCK_BLOB_EMPTY, &ctx, NULL);
	case FSCK_H_IOERR:
		return fsck_report(run, FSCK_BLOB_UNREADABLE, &ctx, "%s",
		    strerror(b->err ? b->err : EIO));
	case FSCK_H_UNSAFE:
		return fsck_report(run, FSCK_SPECIAL_FILE, &ctx,
		    "became a symlink or special file during the run");
	case FSCK_H_GONE:
		return fsck_vanished(run, b->id);
	default:
		return 0;
	}
}

int
fsck_content_findings(struct fsck_run *run)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], dstr[DRYDOCK_DIGEST_STRMAX];
	char bstr[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error = 0;

	for (i = 0; i < run->nblobs && error == 0; i++)
		error = content_finding(run, &run->blobs[i]);
	for (i = 0; i < run->nsizechecks && error == 0; i++) {
		const struct fsck_sizecheck *sc = &run->sizechecks[i];
		const struct fsck_obj *o = &run->objs[sc->blob];
		const struct fsck_blob *b;

		if ((o->flags & FSCK_O_BAD) || o->blob == FSCK_NONE)
			continue; /* the data is wrong, not the descriptor */
		b = &run->blobs[o->blob];
		if (fsck_blob_path(path, sizeof(path), run, sc->manifest) < 0)
			return DRYDOCK_ERROR;
		error = fsck_report(run, FSCK_DESCRIPTOR_SIZE_MISMATCH,
		    FSCK_CTX(.path = path, .digest = sc->blob,
		        .impact = FSCK_IMPACT_ALL, .impact_id = sc->manifest),
		    "manifest %s says %lld bytes for %s, which has %llu%s",
		    drydock_digest_format(dstr, &run->ids[sc->manifest]),
		    (long long)sc->size,
		    drydock_digest_format(bstr, &run->ids[sc->blob]),
		    (unsigned long long)b->size,
		    b->result == FSCK_H_OK || b->result == FSCK_H_UNCHANGED
		        ? " and matches its digest"
		        : "");
	}
	return error;
}
