/* SPDX-License-Identifier: MIT */
/*
 * scan.c --- read ahead of the mark: worker threads walk the next
 * repositories (tags, revisions, layer links, uploads, tag history with
 * -m) and read their manifests, and the mark (mark.c) replays what they
 * recorded, one repository after the other, through the very callbacks a
 * plain walk would call.
 *
 * Why: a mark is a few hundred thousand small opens, stats and reads,
 * nearly all of it system time; one thread leaves the other cores idle
 * and, on a cold cache, keeps a single request in flight.  Marking itself
 * stays single-threaded (the digest table, the links and the plan are not
 * shared), so the result is the same as a sequential walk's: the workers
 * only record, and every problem they meet is recorded with the
 * repository it belongs to and replayed where the walk would have met it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gc.h"

/* Repositories scanned ahead of the mark at most (bounds memory). */
#define SCAN_WINDOW 64
/* Manifest bytes read ahead per repository at most. */
#define SCAN_MF_BUDGET (8u << 20)
/* Largest manifest read ahead; larger ones the mark reads itself. */
#define SCAN_MF_MAX (4u << 20)
#define SCAN_MAX_WORKERS 64

/*
 * The lister thread appends repositories to scans as it finds them, the
 * workers take them in order, the mark consumes them in order.  Under mu:
 * n, cap, scans (the array of pointers; the scans do not move), next,
 * consumed, listed, list_error, stop and every scan's ready.
 */
struct scan_pool {
	struct gc_run *run;
	struct gc_scan **scans;
	size_t n, cap;
	size_t next; /* next repository a worker takes */
	size_t consumed; /* repositories the mark is done with */
	int listed; /* the lister is done */
	int list_error; /* and how: 0 or an error code */
	int list_errclass;
	char *list_errmsg;
	struct gc_scan_problems list_problems; /* met while listing */
	int stop;
	size_t want; /* the repository the mark waits for, or SIZE_MAX */
	pthread_mutex_t mu;
	/*
	 * Each wakes only who can go on: one new repository, one worker
	 * (more_cv); one repository marked, one worker (space_cv); the
	 * repository the mark waits for, the mark (done_cv).  Broadcasting
	 * woke 16 workers for each repository: 24 futex calls per repository.
	 */
	pthread_cond_t done_cv, space_cv, more_cv;
};

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

static void
problems_release(struct gc_scan_problems *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].path);
		free(ps->v[i].message);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* --- recording (worker threads) ------------------------------------------ */

static int
rec_tag(const struct drydock_repo_info *ri, const struct drydock_tag_info *tag,
    void *payload)
{
	struct gc_scan *s = payload;
	struct gc_scan_tag *t;

	(void)ri;
	if (fe_grow((void **)&s->tags, &s->captags, s->ntags + 1,
	        sizeof(*s->tags)) < 0)
		return DRYDOCK_ERROR;
	t = &s->tags[s->ntags];
	memset(t, 0, sizeof(*t));
	if ((t->name = strdup(tag->name)) == NULL ||
	    (t->path = strdup(tag->path)) == NULL) {
		free(t->name);
		return oom();
	}
	t->current = tag->current;
	t->current.path = NULL;
	t->current.dir_path = NULL;
	s->ntags++;
	return 0;
}

static int
rec_link(struct gc_scan_link **arr, size_t *n, size_t *cap,
    const struct drydock_link_info *li)
{
	struct gc_scan_link *l;

	if (fe_grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return DRYDOCK_ERROR;
	l = &(*arr)[(*n)++];
	l->digest = li->digest;
	l->target = li->target;
	l->status = li->status;
	l->mtime_ns = li->mtime_ns;
	return 0;
}

static int
rec_revision(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct gc_scan *s = payload;

	(void)ri;
	return rec_link(&s->revs, &s->nrevs, &s->caprevs, li);
}

static int
rec_layer(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct gc_scan *s = payload;

	(void)ri;
	return rec_link(&s->layers, &s->nlayers, &s->caplayers, li);
}

static int
rec_upload(const struct drydock_repo_info *ri,
    const struct drydock_upload_info *up, void *payload)
{
	struct gc_scan *s = payload;
	struct gc_scan_upload *u;

	(void)ri;
	if (fe_grow((void **)&s->uploads, &s->capuploads, s->nuploads + 1,
	        sizeof(*s->uploads)) < 0)
		return DRYDOCK_ERROR;
	u = &s->uploads[s->nuploads];
	u->info = *up;
	if ((u->id = strdup(up->id)) == NULL ||
	    (u->path = strdup(up->path)) == NULL) {
		free(u->id);
		return oom();
	}
	u->info.id = u->id;
	u->info.path = u->path;
	s->nuploads++;
	return 0;
}

static int
rec_history(const struct drydock_repo_info *ri,
    const struct drydock_link_info *li, void *payload)
{
	struct gc_scan_tag *t = payload;
	struct gc_scan_hist *h;

	(void)ri;
	if (fe_grow((void **)&t->hist, &t->caphist, t->nhist + 1,
	        sizeof(*t->hist)) < 0)
		return DRYDOCK_ERROR;
	h = &t->hist[t->nhist];
	h->link = *li;
	if ((h->dir_path = strdup(li->dir_path)) == NULL)
		return oom();
	h->link.path = NULL;
	h->link.dir_path = h->dir_path;
	t->nhist++;
	return 0;
}

/*
 * What interrupted tag removals left in _manifests/.drydock-gc-tags (see
 * GC_TAG_ASIDE), with what each names.  Where there is none (nearly
 * always), one open that fails.
 */
struct asides {
	struct gc_run *run;
	struct gc_scan *s;
	const char *dir; /* the aside directory, relative to $V2 */
	int failed; /* aside_entry failed: its error, not the listing's */
};

static int
aside_entry(const char *name, int type, void *payload)
{
	struct asides *as = payload;
	struct gc_scan *s = as->s;
	struct gc_scan_aside *a;
	char link[GC_PATH_MAX + 300];

	(void)type;
	as->failed = 1;
	if (fe_grow((void **)&s->asides, &s->capasides, s->nasides + 1,
	        sizeof(*s->asides)) < 0)
		return DRYDOCK_ERROR;
	a = &s->asides[s->nasides];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(name)) == NULL)
		return oom();
	as->failed = 0;
	s->nasides++;
	snprintf(link, sizeof(link), "%s/%s/current/link", as->dir, name);
	a->status = drydock_link_read(&a->target, as->run->st, -1, link);
	drydock_error_clear();
	return 0;
}

static int
scan_asides(struct gc_run *run, struct gc_scan *s)
{
	static const char rel[] = "_manifests/" GC_TAG_ASIDE;
	char path[GC_PATH_MAX];
	struct asides as = {run, s, path, 0};
	int error;

	if (!(s->has & DRYDOCK_REPO_MANIFESTS))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", s->path, rel);
	/* from the repository's handle: on S3 its listing answers */
	error = drydock_store_dir_foreach_at(
	    run->st, s->ri.fd, rel, aside_entry, &as);
	if (error == DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return 0;
	}
	if (error < 0 && !as.failed) {
		/* a symlink, or unreadable: its entries are unknown */
		gc_scan_record_problem(
		    &s->problems, path, error, drydock_error_message());
		drydock_error_clear();
		return 0;
	}
	s->aside_dir = 1;
	return error;
}

static int
mf_cmp(const void *a, const void *b)
{
	const struct gc_scan_mf *x = a, *y = b;

	if (x->digest.alg != y->digest.alg)
		return x->digest.alg < y->digest.alg ? -1 : 1;
	/* only the algorithm's bytes: the rest of raw is not defined */
	return memcmp(x->digest.raw, y->digest.raw,
	    drydock_digest_alg_size(x->digest.alg));
}

/*
 * Read the repository's manifests ahead (within a budget) and parse them
 * here, in a worker: the marking thread then only interns their digests.
 */
static int
read_manifests(struct gc_run *run, struct gc_scan *s)
{
	size_t i, used = 0;
	int error = 0;

	for (i = 0; i < s->nrevs && used < SCAN_MF_BUDGET; i++) {
		struct gc_scan_mf *m;
		char *buf = NULL;
		size_t len = 0;
		int r;

		if (s->revs[i].status != 0)
			continue;
		r = drydock_store_blob_read(
		    &buf, &len, run->st, &s->revs[i].digest, SCAN_MF_MAX);
		if (r < 0 && r != DRYDOCK_ENOTFOUND) {
			/* the mark reads it again and reports it properly */
			drydock_error_clear();
			continue;
		}
		if (fe_grow((void **)&s->mfs, &s->capmfs, s->nmfs + 1,
		        sizeof(*s->mfs)) < 0) {
			free(buf);
			return DRYDOCK_ERROR;
		}
		m = &s->mfs[s->nmfs];
		memset(m, 0, sizeof(*m));
		m->digest = s->revs[i].digest;
		if (r == DRYDOCK_ENOTFOUND)
			m->parsed.rc = r;
		else
			error = gc_parse_manifest(&m->parsed, buf, len);
		free(buf);
		if (error < 0)
			return error;
		s->nmfs++;
		used += len;
	}
	drydock_error_clear();
	if (s->nmfs > 1)
		qsort(s->mfs, s->nmfs, sizeof(*s->mfs), mf_cmp);
	return 0;
}

/* Everything mark_repo() would walk in repository s, recorded. */
static int
scan_repo(struct gc_run *run, struct gc_scan *s)
{
	struct drydock_store *st = run->st;
	size_t i;
	int error;

	if (s->has == 0)
		return 0; /* an empty directory: the mark plans it as it is */
	gc_scan_sink = &s->problems;
	s->st = st;
	error = drydock_repo_open(&s->ri, &s->ri_path, st, s->name);
	if (error < 0) {
		/* vanished or replaced since it was listed: hides references */
		gc_scan_record_problem(&s->problems, s->path,
		    error == DRYDOCK_ENOTFOUND ? DRYDOCK_ERROR : error,
		    drydock_error_message());
		drydock_error_clear();
		s->ri.fd = -1;
		error = 0;
		goto out;
	}
	s->opened = 1;
	s->ri.has = s->has;
	/* the re-check's fingerprints: a dry run has no re-check */
	if (!run->opts->dry_run) {
		drydock_store_stat(st, s->ri.fd, "_layers/sha256", NULL,
		    &s->layers_mtime_ns, NULL);
		drydock_store_stat(st, s->ri.fd, "_manifests/revisions/sha256",
		    NULL, &s->revs_mtime_ns, NULL);
		drydock_error_clear();
	}
	if ((error = scan_asides(run, s)) < 0 ||
	    (error = drydock_tag_foreach(
	         st, &s->ri, DRYDOCK_WALK_STAT, rec_tag, s)) < 0 ||
	    (error = drydock_revision_foreach(
	         st, &s->ri, DRYDOCK_WALK_STAT, rec_revision, s)) < 0 ||
	    (error = drydock_layer_foreach(
	         st, &s->ri, DRYDOCK_WALK_NAMES, rec_layer, s)) < 0)
		goto out;
	gc_scan_sink = &s->upload_problems;
	/*
	 * an upload begun since the listing said "no _uploads" is young:
	 * nothing to purge there
	 */
	if (drydock_reference_is_repo(s->name) &&
	    (s->ri.has & DRYDOCK_REPO_UPLOADS) &&
	    (error = drydock_upload_foreach(
	         st, &s->ri, DRYDOCK_WALK_STAT, rec_upload, s)) < 0)
		goto out;
	for (i = 0; run->opts->delete_untagged && i < s->ntags; i++) {
		struct gc_scan_tag *t = &s->tags[i];

		gc_scan_sink = &t->hist_problems;
		t->hist_error = drydock_tag_history_foreach(st, &s->ri, t->name,
		    DRYDOCK_WALK_STAT | DRYDOCK_WALK_CANONICAL, rec_history, t);
		if (t->hist_error < 0) {
			t->hist_errmsg = strdup(drydock_error_message());
			t->hist_errclass = drydock_error_last()->klass;
		}
		t->hist_done = 1;
	}
	gc_scan_sink = &s->problems;
	error = read_manifests(run, s);
out:
	if (error < 0) {
		s->error = error;
		s->errclass = drydock_error_last()->klass;
		s->errmsg = strdup(drydock_error_message());
	}
	gc_scan_sink = NULL;
	return error;
}

static void *
worker(void *arg)
{
	struct scan_pool *p = arg;
	struct gc_scan *s;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && !gc_stop &&
		    ((p->next >= p->n && !p->listed) ||
		        p->next >= p->consumed + SCAN_WINDOW))
			pthread_cond_wait(
			    p->next >= p->n ? &p->more_cv : &p->space_cv,
			    &p->mu);
		if (p->stop || p->next >= p->n || gc_stop)
			break;
		i = p->next++;
		s = p->scans[i];
		pthread_mutex_unlock(&p->mu);
		scan_repo(p->run, s);
		pthread_mutex_lock(&p->mu);
		s->ready = 1;
		if (p->want == i)
			pthread_cond_signal(&p->done_cv);
	}
	pthread_cond_broadcast(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* --- the mark's side ----------------------------------------------------- */

void
gc_scan_release(struct gc_scan *s)
{
	size_t i, j;

	if (s->opened && s->ri.fd >= 0)
		drydock_store_handle_close(s->st, s->ri.fd);
	free(s->ri_path);
	for (i = 0; i < s->ntags; i++) {
		struct gc_scan_tag *t = &s->tags[i];

		free(t->name);
		free(t->path);
		for (j = 0; j < t->nhist; j++)
			free(t->hist[j].dir_path);
		free(t->hist);
		free(t->hist_errmsg);
		problems_release(&t->hist_problems);
	}
	free(s->tags);
	free(s->revs);
	free(s->layers);
	for (i = 0; i < s->nuploads; i++) {
		free(s->uploads[i].id);
		free(s->uploads[i].path);
	}
	free(s->uploads);
	for (i = 0; i < s->nasides; i++)
		free(s->asides[i].name);
	free(s->asides);
	for (i = 0; i < s->nmfs; i++)
		gc_parsed_release(&s->mfs[i].parsed);
	free(s->mfs);
	problems_release(&s->problems);
	problems_release(&s->upload_problems);
	free(s->errmsg);
	free(s->name);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

int
gc_scan_take_manifest(
    struct gc_run *run, const struct drydock_digest *d, struct gc_parsed *out)
{
	struct gc_scan *s = run->scan_cur;
	struct gc_scan_mf key, *m;

	if (s == NULL || s->nmfs == 0)
		return 0;
	memset(&key, 0, sizeof(key));
	key.digest = *d;
	m = bsearch(&key, s->mfs, s->nmfs, sizeof(*s->mfs), mf_cmp);
	if (m == NULL || m->taken)
		return 0;
	m->taken = 1;
	*out = m->parsed;
	memset(&m->parsed, 0, sizeof(m->parsed));
	return 1;
}

static int
list_cb(const struct drydock_repo_info *ri, void *payload)
{
	struct scan_pool *p = payload;
	struct gc_scan *s;
	int error = 0;

	if (gc_stop)
		return DRYDOCK_EINTR;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return oom();
	s->ri.fd = -1;
	s->has = ri->has;
	if (ri->has == 0 &&
	    drydock_store_handle_stat(
	        p->run->st, ri->fd, NULL, &s->mtime_ns, NULL) < 0)
		s->mtime_ns = INT64_MAX; /* cannot tell: young */
	if ((s->name = strdup(ri->name)) == NULL ||
	    (s->path = strdup(ri->path)) == NULL) {
		gc_scan_release(s);
		free(s);
		return oom();
	}
	pthread_mutex_lock(&p->mu);
	if (p->stop)
		error = DRYDOCK_EINTR; /* the mark failed: stop listing */
	else if (fe_grow((void **)&p->scans, &p->cap, p->n + 1,
	             sizeof(*p->scans)) < 0)
		error = DRYDOCK_ERROR;
	else
		p->scans[p->n++] = s;
	pthread_cond_signal(&p->more_cv);
	pthread_mutex_unlock(&p->mu);
	if (error < 0) {
		gc_scan_release(s);
		free(s);
	}
	return error;
}

/* The lister: every repository, as the walk finds it. */
static void *
lister(void *arg)
{
	struct scan_pool *p = arg;
	int error;

	gc_scan_sink = &p->list_problems;
	error =
	    drydock_repo_foreach(p->run->st, DRYDOCK_WALK_EMPTY, list_cb, p);
	gc_scan_sink = NULL;
	pthread_mutex_lock(&p->mu);
	if (error < 0 && !p->stop) {
		p->list_error = error;
		p->list_errclass = drydock_error_last()->klass;
		p->list_errmsg = strdup(drydock_error_message());
	}
	p->listed = 1;
	pthread_cond_broadcast(&p->more_cv);
	pthread_cond_broadcast(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Wait for repository i (0: none comes, or the run stops). */
static struct gc_scan *
wait_scan(struct scan_pool *p, size_t i)
{
	struct gc_scan *s = NULL;

	pthread_mutex_lock(&p->mu);
	while (!gc_stop && !(i < p->n && p->scans[i]->ready) &&
	    !(i >= p->n && p->listed)) {
		struct timespec ts;

		/* a signal sets gc_stop but wakes nobody: look again soon */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		p->want = i;
		pthread_cond_timedwait(&p->done_cv, &p->mu, &ts);
	}
	p->want = SIZE_MAX;
	if (!gc_stop && i < p->n)
		s = p->scans[i];
	pthread_mutex_unlock(&p->mu);
	return s;
}

/* Mark every scanned repository, in order. */
static int
consume(struct scan_pool *p, gc_scan_cb cb)
{
	struct gc_run *run = p->run;
	struct gc_scan *s;
	size_t i;
	int error = 0;

	for (i = 0; (s = wait_scan(p, i)) != NULL; i++) {
		if (s->error < 0) {
			drydock_error_set(s->errclass, "%s",
			    s->errmsg ? s->errmsg : "cannot walk");
			return s->error;
		}
		run->scan_cur = s;
		error = cb(run, s);
		run->scan_cur = NULL;
		gc_scan_release(s);
		pthread_mutex_lock(&p->mu);
		p->consumed = i + 1;
		pthread_cond_signal(&p->space_cv);
		pthread_mutex_unlock(&p->mu);
		if (error < 0)
			return error;
	}
	if (gc_stop)
		return DRYDOCK_EINTR;
	/* the listing's own problems belong to no repository */
	for (i = 0; i < p->list_problems.n; i++)
		gc_problem(p->list_problems.v[i].path,
		    p->list_problems.v[i].code, p->list_problems.v[i].message,
		    run);
	if (p->list_error < 0) {
		drydock_error_set(p->list_errclass, "%s",
		    p->list_errmsg ? p->list_errmsg : "cannot list");
		return p->list_error;
	}
	return 0;
}

int
gc_scan_foreach(struct gc_run *run, gc_scan_cb cb)
{
	struct scan_pool p;
	pthread_t tids[SCAN_MAX_WORKERS], ltid;
	size_t nw = 0, i, want;
	int error = 0, listing;

	memset(&p, 0, sizeof(p));
	p.run = run;
	p.want = SIZE_MAX;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	pthread_cond_init(&p.space_cv, NULL);
	pthread_cond_init(&p.more_cv, NULL);
	/*
	 * Threads, not cores: warm, two per core already keep every core
	 * busy; cold, each one keeps a request in flight, and the disk
	 * answers several at once (5,000 repositories cold, 2 cores:
	 * 15.9 s with 8 threads, 12.5 s with 16).
	 */
	want = run->opts->jobs < 1 ? 1 : (size_t)run->opts->jobs;
	if (want > SCAN_MAX_WORKERS)
		want = SCAN_MAX_WORKERS;
	listing = pthread_create(&ltid, NULL, lister, &p) == 0;
	for (nw = 0; listing && nw < want; nw++)
		if (pthread_create(&tids[nw], NULL, worker, &p) != 0)
			break;
	if (!listing || nw == 0) {
		drydock_error_set_os("cannot start a scanning thread");
		error = DRYDOCK_ERROR;
		pthread_mutex_lock(&p.mu);
		p.stop = 1;
		pthread_mutex_unlock(&p.mu);
	} else {
		error = consume(&p, cb);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.space_cv);
	pthread_cond_broadcast(&p.more_cv);
	pthread_mutex_unlock(&p.mu);
	if (listing)
		pthread_join(ltid, NULL);
	for (i = 0; i < nw; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.done_cv);
	pthread_cond_destroy(&p.space_cv);
	pthread_cond_destroy(&p.more_cv);
	for (i = 0; i < p.n; i++) {
		gc_scan_release(p.scans[i]);
		free(p.scans[i]);
	}
	free(p.scans);
	problems_release(&p.list_problems);
	free(p.list_errmsg);
	return error;
}

/* --- a parallel for, for independent reads ------------------------------ */

struct pfor {
	size_t n;
	size_t next;
	size_t chunk; /* indices a worker takes at a time */
	pthread_mutex_t mu;
	void (*fn)(size_t, void *);
	void *arg;
};

static void *
pfor_worker(void *arg)
{
	struct pfor *pf = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&pf->mu);
		i = gc_stop ? pf->n : pf->next;
		if (i < pf->n)
			pf->next +=
			    pf->chunk < pf->n - i ? pf->chunk : pf->n - i;
		pthread_mutex_unlock(&pf->mu);
		if (i >= pf->n)
			return NULL;
		for (size_t j = i; j < i + pf->chunk && j < pf->n; j++)
			pf->fn(j, pf->arg);
	}
}

int
gc_parallel_for(size_t n, int jobs, void (*fn)(size_t i, void *arg), void *arg)
{
	struct pfor pf = {n, 0, 64, PTHREAD_MUTEX_INITIALIZER, fn, arg};
	pthread_t tids[SCAN_MAX_WORKERS];
	size_t nw, want = jobs < 1 ? 1 : (size_t)jobs;

	if (want > SCAN_MAX_WORKERS)
		want = SCAN_MAX_WORKERS;
	/*
	 * 64 indices at a time keep the lock cold where an index costs a
	 * system call; a short list (a sweep batch of requests to a bucket)
	 * is cut finer, so that every worker gets some.
	 */
	if (n / (want * 4) < pf.chunk)
		pf.chunk = n / (want * 4) > 0 ? n / (want * 4) : 1;
	if (want > (n + pf.chunk - 1) / pf.chunk)
		want = (n + pf.chunk - 1) / pf.chunk;
	for (nw = 0; nw < want; nw++)
		if (pthread_create(&tids[nw], NULL, pfor_worker, &pf) != 0)
			break;
	if (nw == 0)
		pfor_worker(&pf); /* n == 0, or no thread could start */
	while (nw > 0)
		pthread_join(tids[--nw], NULL);
	pthread_mutex_destroy(&pf.mu);
	return gc_stop ? DRYDOCK_EINTR : 0;
}
