/* SPDX-License-Identifier: MIT */
/*
 * link.c --- distribution link files: exactly a digest string, parsed as
 * strictly as the registry's digest.Parse, plus a lenient parse for repair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/link.h>
#include <drydock/store.h>

#include "store_int.h"

/* Bytes read from a link file before calling it too large. */
#define LINK_READ_MAX (DRYDOCK_LINK_MAX + 16)

static const char bom[] = "\xef\xbb\xbf";

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
corrupt(const char *reason)
{
	drydock_error_set(DRYDOCK_ERRCLASS_STORE, "%s", reason);
	return DRYDOCK_ECORRUPT;
}

/* digest_parse, its message prefixed so it says a link file is at fault */
static int
parse_digest(struct drydock_digest *out, const char *s, size_t len)
{
	char why[DRYDOCK_ERROR_MSGMAX];
	int error;

	if ((error = drydock_digest_parse(out, s, len)) < 0) {
		snprintf(why, sizeof(why), "%s", drydock_error_message());
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "invalid digest in link file: %s", why);
	}
	return error;
}

int
drydock_link_parse(struct drydock_digest *out, const char *buf, size_t len)
{
	if (len == 0)
		return corrupt("empty link file");
	if (len >= 3 && memcmp(buf, bom, 3) == 0)
		return corrupt("byte order mark in link file");
	if (buf[len - 1] == '\n')
		return corrupt("trailing newline in link file");
	if (buf[len - 1] == '\r')
		return corrupt("trailing carriage return in link file");
	if (is_ws(buf[0]))
		return corrupt("leading whitespace in link file");
	if (is_ws(buf[len - 1]))
		return corrupt("trailing whitespace in link file");
	if (memchr(buf, '\0', len) != NULL)
		return corrupt("NUL byte in link file");
	if (len > DRYDOCK_LINK_MAX)
		return corrupt("link file too large");
	return parse_digest(out, buf, len);
}

int
drydock_link_parse_lenient(
    struct drydock_digest *out, int *had_junk, const char *buf, size_t len)
{
	const char *s = buf, *e = buf + len;
	int junk = 0, error;

	if (len >= 3 && memcmp(buf, bom, 3) == 0) {
		s += 3;
		junk = 1;
	}
	for (; s < e && is_ws(*s); s++)
		junk = 1;
	for (; e > s && is_ws(e[-1]); e--)
		junk = 1;
	if (s == e)
		return corrupt("empty link file");
	if ((error = parse_digest(out, s, (size_t)(e - s))) < 0)
		return error;
	if (had_junk != NULL)
		*had_junk = junk;
	return 0;
}

/*
 * Up to v3.0 the registry rewrites a link in place (truncate, then write),
 * so a live registry can show us an empty or half-written link for a few
 * microseconds.  A bad link modified in the last seconds is read again
 * after a pause before it is called corrupt.
 */
#define LINK_RETRIES 3
#define LINK_RETRY_US 20000
#define LINK_FRESH_NS 5000000000LL

static int
link_is_fresh(struct drydock_store *st, int fd)
{
	struct timespec now;
	struct stat sb;
	int64_t m, t;

	if (drydock_store__fstat(st, fd, &sb) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	m = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	return t - m < LINK_FRESH_NS;
}

static int read_link_once(
    struct drydock_digest *out, struct drydock_store *st, int fd, int64_t size);

/* Back to the start of a link file: a store handle (st) or an fd. */
static int
rewind_link(struct drydock_store *st, int fd)
{
	if (st == NULL)
		return lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
	return st->ops->rewind(st, fd);
}

int
drydock_store__read_link_fd(
    struct drydock_digest *out, struct drydock_store *st, int fd, int64_t size)
{
	int error, tries = 0;

	while (
	    (error = read_link_once(out, st, fd, size)) == DRYDOCK_ECORRUPT &&
	    tries++ < LINK_RETRIES && link_is_fresh(st, fd) &&
	    rewind_link(st, fd) == 0) {
		usleep(LINK_RETRY_US);
		size = -1; /* rewritten meanwhile, perhaps */
	}
	return error;
}

/*
 * One read of the whole link.  A short read that ends at the size fstat
 * saw is the end of a regular file: that saves the read that returns 0,
 * a quarter of the syscalls of a link walk.
 */
static int
read_link_once(
    struct drydock_digest *out, struct drydock_store *st, int fd, int64_t size)
{
	char buf[LINK_READ_MAX + 1];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf)) {
		n = drydock_store__read(st, fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			drydock_error_set_os("cannot read link file");
			return DRYDOCK_ERROR;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (size >= 0 && (int64_t)len == size && len < sizeof(buf))
			break;
	}
	if (len > LINK_READ_MAX)
		return corrupt("link file too large");
	return drydock_link_parse(out, buf, len);
}

int
drydock_link_read(struct drydock_digest *out, struct drydock_store *st,
    int dirfd, const char *relpath)
{
	char why[DRYDOCK_ERROR_MSGMAX];
	struct stat sb;
	int fd, error;

	if ((error = drydock_store__check(st, __func__)) < 0 ||
	    (error = drydock_store_path_check(relpath)) < 0)
		return error;
	if (drydock_store__link_known(out, &sb, st, dirfd, relpath))
		return 0;
	fd = drydock_store__open_raw(
	    st, dirfd, relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &sb);
	if (fd < 0)
		return drydock_store__open_error(st, dirfd, relpath, fd);
	if (!S_ISREG(sb.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "link file '%s' is not a regular file", relpath);
		error = DRYDOCK_EUNSAFE;
	} else if ((error = drydock_store__read_link_fd(
	                out, st, fd, (int64_t)sb.st_size)) < 0) {
		snprintf(why, sizeof(why), "%s", drydock_error_message());
		drydock_error_set(
		    drydock_error_last()->klass, "'%s': %s", relpath, why);
	}
	st->ops->close_h(st, fd);
	return error;
}
