/* SPDX-License-Identifier: MIT */
/*
 * store_s3lock.c --- what keeps two drydock runs off one bucket, and the
 * bucket's clock.
 *
 * There is no flock on S3.  The lock is an object,
 * "<root>/docker/registry/drydock.lock" (beside v2/, where the registry
 * never looks), created with a conditional PUT (If-None-Match: *): of two
 * runs creating it, the server lets one through and answers 412 to the
 * other.  It holds the host, the pid and the time it was taken, and a
 * random token that tells our own lock from another's; close deletes it
 * when it is still ours.  As on a filesystem, the registry itself does not
 * look at it.
 *
 * A run that is killed leaves the object behind, where a flock would have
 * died with it.  So the lock is taken on this host first, with a flock of
 * a file in /run/lock (or /tmp) named after the endpoint, bucket and
 * root: the kernel drops it with a dead run.  Holding it, a lock object that names
 * this machine (hostname, /etc/machine-id and mount namespace: the same
 * lock file) cannot belong to a live run, and is replaced: a cron job killed
 * mid-sweep does not lock the next night out.  A lock of another machine is
 * never taken over; one older than DRYDOCK_S3_LOCK_LEASE is said to be probably
 * stale, and the operator who knows that run is gone deletes the object.
 *
 * The clock: a probe object written beside v2/ and looked up; its
 * LastModified, in whole seconds, against the middle of our write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/clock.h>
#include <drydock/errors.h>
#include <drydock/s3.h>

#include "s3_int.h"
#include "store_s3_int.h"

#define LOCK_NAME "drydock.lock"
#define LOCK_TRIES 20 /* as on a filesystem: 2 s, then give up */
#define LOCK_PAUSE_NS 100000000L
/* a lock older than this is said to be probably stale (not taken over) */
#define DRYDOCK_S3_LOCK_LEASE (24 * 3600)

static char *
lock_key(const struct s3d *d)
{
	char *key;

	if (asprintf(&key, "%s" LOCK_NAME, d->base) < 0) {
		drydock_s3d__oom();
		return NULL;
	}
	return key;
}

/* The value of "name: value" in a lock's text, into buf. */
static void
field(char *buf, size_t sz, const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name), len;

	buf[0] = '\0';
	for (; p != NULL && *p != '\0';
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, name, n) != 0 || p[n] != ':')
			continue;
		p += n + 1;
		p += strspn(p, " ");
		len = strcspn(p, "\n");
		snprintf(buf, sz, "%.*s", (int)len, p);
		return;
	}
}

/* ELOCKED, saying who holds the lock (its text) and since when. */
static int
locked_error(struct drydock_store *st, const char *key, const char *text)
{
	char host[256], pid[32], since[32];
	time_t t, now = time(NULL);
	char when[64] = "an unknown time";
	struct tm tm;

	field(host, sizeof(host), text, "host");
	field(pid, sizeof(pid), text, "pid");
	field(since, sizeof(since), text, "since");
	t = (time_t)strtoll(since, NULL, 10);
	if (t > 0 && gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	drydock_error_set(DRYDOCK_ERRCLASS_STORE,
	    "another drydock run holds the lock on '%s': s3://%s/%s was taken "
	    "by %s (pid %s) at %s%s",
	    st->root, s3d_of(st)->bucket, key,
	    host[0] ? host : "an unknown host", pid[0] ? pid : "?", when,
	    t > 0 && now - t > DRYDOCK_S3_LOCK_LEASE
	        ? "; it is more than 24 h old: if that run is gone, delete "
	          "the object"
	        : "");
	return DRYDOCK_ELOCKED;
}

/* The lock's text: 0, DRYDOCK_ENOTFOUND (none), or an error. */
static int
read_lock(char **text, struct s3d *d, const char *key)
{
	size_t len;

	return drydock_s3_read(text, &len, d->s3, key, 0, -1, 4096);
}

/*
 * This machine and this view of its files, as a lock names it:
 * "hostname machine-id mnt:[inode]".  The mount namespace is what makes a
 * host lock file the same file for two runs: containers sharing a
 * hostname and a machine-id but not /run/lock must not take each other's
 * lock for a dead run's.
 */
static void
machine(char *buf, size_t sz)
{
	char host[256] = "", id[64] = "", ns[64] = "";
	ssize_t n;
	FILE *f;

	(void)gethostname(host, sizeof(host) - 1);
	if ((f = fopen("/etc/machine-id", "re")) != NULL) {
		if (fgets(id, sizeof(id), f) == NULL)
			id[0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		fclose(f);
	}
	if ((n = readlink("/proc/self/ns/mnt", ns, sizeof(ns) - 1)) > 0)
		ns[n] = '\0';
	snprintf(buf, sz, "%s %s %s", host, id[0] ? id : "-", ns[0] ? ns : "-");
}

/*
 * The host's lock on this endpoint, bucket and root: a flock the kernel
 * drops with a dead run.  Another run on this host holding it is ELOCKED at once
 * (after the same two seconds of tries as a filesystem's).  Every run
 * must meet the same file, so the directory is fixed (/run/lock where it
 * exists, else /tmp), never a fallback after a failed open: a run that
 * locked another file would take a live run's lock object for a dead
 * one's.  The file is opened read-only (flock needs no more) and made
 * readable by all, so runs as other users meet it too.
 */
static int
host_lock(struct drydock_store *st, const char *key)
{
	struct s3d *d = s3d_of(st);
	struct stat sb;
	char path[128];
	uint64_t h = 1469598103934665603ULL;
	const char *p, *dir;
	int fd, tries;

	/* the endpoint too: one bucket name on two servers is two buckets */
	for (p = d->endpoint; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = d->bucket; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	dir = stat("/run/lock", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/run/lock"
	                                                         : "/tmp";
	snprintf(path, sizeof(path), "%s/drydock-s3-%016llx.lock", dir,
	    (unsigned long long)h);
	fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		drydock_error_set_os(
		    "cannot open the host lock of '%s' (%s)", st->root, path);
		return DRYDOCK_ERROR;
	}
	if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid())
		(void)fchmod(fd, 0644); /* whatever the umask made of it */
	for (tries = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			drydock_error_set_os("cannot lock '%s'", path);
			close(fd);
			return DRYDOCK_ERROR;
		}
		if (tries + 1 >= LOCK_TRIES) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "another drydock run on this host holds the lock "
			    "on '%s' (%s)",
			    st->root, path);
			close(fd);
			return DRYDOCK_ELOCKED;
		}
		nanosleep(&(struct timespec){0, LOCK_PAUSE_NS}, NULL);
	}
	d->host_lock_fd = fd;
	return 0;
}

/* Remove a lock object a dead run of this machine left. */
static int
remove_stale(struct s3d *d, const char *key)
{
	struct s3d_keys k = {0};
	int error;

	if ((error = drydock_s3d__keys_add(&k, key, 0)) == 0)
		error = drydock_s3d__remove(d, &k);
	drydock_s3d__keys_release(&k);
	return error;
}

int
drydock_s3d__lock(struct drydock_store *st)
{
	struct s3d *d = s3d_of(st);
	char hostname[256] = "", body[768], token[32], *key, *text = NULL;
	char me[384], holder[384];
	unsigned char rnd[8];
	int tries, stale = 0, error = 0;

	if (st->locked)
		return 0;
	if ((key = lock_key(d)) == NULL)
		return DRYDOCK_ERROR;
	if ((error = host_lock(st, key)) < 0)
		goto out;
	machine(me, sizeof(me));
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		drydock_error_set_os("cannot make a lock token");
		error = DRYDOCK_ERROR;
		goto out;
	}
	snprintf(token, sizeof(token), "%02x%02x%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	(void)gethostname(hostname, sizeof(hostname) - 1);
	snprintf(body, sizeof(body),
	    "drydock lock\nhost: %s\npid: %ld\nsince: %lld\ntoken: %s\n"
	    "machine: %s\n",
	    hostname, (long)getpid(), (long long)time(NULL), token, me);
	for (tries = 0;; tries++) {
		error = drydock_s3__write_new(d->s3, key, body, strlen(body));
		if (error != DRYDOCK_EEXISTS)
			break;
		free(text);
		text = NULL;
		error = read_lock(&text, d, key);
		if (error == DRYDOCK_ENOTFOUND) /* released meanwhile */
			continue;
		if (error < 0)
			break;
		/* a retried PUT of ours that the server had taken */
		if (strstr(text, token) != NULL) {
			error = 0;
			break;
		}
		/* this machine's, while we hold its host lock: a dead run's */
		field(holder, sizeof(holder), text, "machine");
		if (!stale && strcmp(holder, me) == 0) {
			stale = 1;
			if ((error = remove_stale(d, key)) < 0)
				break;
			continue;
		}
		if (tries + 1 >= LOCK_TRIES) {
			error = locked_error(st, key, text);
			break;
		}
		nanosleep(&(struct timespec){0, LOCK_PAUSE_NS}, NULL);
	}
	if (error == 0) {
		st->locked = d->locked = 1;
		snprintf(d->lock_token, sizeof(d->lock_token), "%s", token);
	} else if (d->host_lock_fd >= 0) {
		close(d->host_lock_fd);
		d->host_lock_fd = -1;
	}
out:
	free(text);
	free(key);
	return error;
}

void
drydock_s3d__unlock(struct s3d *d)
{
	struct s3d_keys k = {0};
	char *key, *text = NULL;

	if (!d->locked || (key = lock_key(d)) == NULL) {
		if (d->host_lock_fd >= 0)
			close(d->host_lock_fd);
		d->host_lock_fd = -1;
		return;
	}
	/* still ours: an operator may have removed it, another run taken it */
	if (read_lock(&text, d, key) == 0 &&
	    strstr(text, d->lock_token) != NULL &&
	    drydock_s3d__keys_add(&k, key, 0) == 0)
		(void)drydock_s3d__remove(d, &k);
	drydock_s3d__keys_release(&k);
	d->locked = 0;
	if (d->host_lock_fd >= 0)
		close(d->host_lock_fd); /* after the object: never a gap */
	d->host_lock_fd = -1;
	free(text);
	free(key);
}

int
drydock_s3d__clock_skew(struct drydock_store *st, int64_t *skew_ns)
{
	struct s3d *d = s3d_of(st);
	struct drydock_s3_stat s3st;
	struct s3d_keys k = {0};
	unsigned char rnd[4] = {0};
	int64_t before, after;
	char *key;
	int error;

	(void)getrandom(rnd, sizeof(rnd), 0);
	if (asprintf(&key, "%sdrydock-clock-probe.%ld.%02x%02x%02x%02x",
	        d->base, (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]) < 0)
		return drydock_s3d__oom();
	before = drydock_clock_realtime_ns();
	if ((error = drydock_s3_write(d->s3, key, "t", 1)) < 0)
		goto out;
	after = drydock_clock_realtime_ns();
	if ((error = drydock_s3_lookup(&s3st, d->s3, key)) == 0) {
		/* LastModified has whole seconds: the middle of its second */
		*skew_ns = (int64_t)s3st.mtime * 1000000000 + 500000000 -
		    (before + (after - before) / 2);
	}
	if (drydock_s3d__keys_add(&k, key, 0) == 0)
		(void)drydock_s3d__remove(d, &k);
	drydock_s3d__keys_release(&k);
out:
	free(key);
	return error;
}
