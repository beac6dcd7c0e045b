/* SPDX-License-Identifier: MIT */
/*
 * s3util.c --- the pure parts of the S3 client: where a bucket's requests
 * go (path-style or virtual-host style, as the registry's s3 driver
 * chooses), RFC 3986 encoding and the canonical query libcurl's SigV4
 * needs, S3's times and ETags; and the runner of parallel requests.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <drydock/errors.h>

#include "s3_int.h"

int
drydock_s3__oom(void)
{
	errno = ENOMEM;
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

/* --- where requests go -------------------------------------------------- */

/*
 * A bucket name that can be a host name: 3 to 63 of [a-z0-9.-], starting
 * and ending with a letter or digit, no "..", not an IPv4 address; and no
 * dot over https, where *.s3.amazonaws.com's certificate would not match
 * (aws-sdk-go's hostCompatibleBucketName).
 */
static int
dns_bucket(const char *b, int https)
{
	size_t n = strlen(b), i, digits_dots = 0;

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) ||
	    !isalnum((unsigned char)b[n - 1]) || strstr(b, "..") != NULL ||
	    (https && strchr(b, '.') != NULL))
		return 0;
	for (i = 0; i < n; i++) {
		if (!(islower((unsigned char)b[i]) ||
		        isdigit((unsigned char)b[i]) || b[i] == '.' ||
		        b[i] == '-'))
			return 0;
		digits_dots += isdigit((unsigned char)b[i]) || b[i] == '.';
	}
	return digits_dots < n; /* 192.168.1.1 is no bucket host */
}

static int
set_prefix(char **prefix, const char *path, const char *bucket)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	if (asprintf(prefix, "%.*s/%s", (int)n, path, bucket) < 0) {
		*prefix = NULL;
		return drydock_s3__oom();
	}
	return 0;
}

/* A regionendpoint: "[http[s]://]HOST[:PORT][/PATH]", path-style. */
static int
endpoint_where(
    char **host, char **prefix, int *https, const struct drydock_s3_opts *o)
{
	const char *e = o->endpoint, *h, *slash;

	if (strncmp(e, "https://", 8) == 0) {
		*https = 1;
		h = e + 8;
	} else if (strncmp(e, "http://", 7) == 0) {
		*https = 0;
		h = e + 7;
	} else if (strstr(e, "://") != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "regionendpoint '%s': not an http or https URL", e);
		return DRYDOCK_ERROR;
	} else {
		*https = o->secure;
		h = e;
	}
	slash = h + strcspn(h, "/?#");
	if (slash == h || *slash == '?' || *slash == '#' ||
	    strpbrk(h, "@ \t\r\n") != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "regionendpoint '%s': not a URL of a host", e);
		return DRYDOCK_ERROR;
	}
	if ((*host = strndup(h, (size_t)(slash - h))) == NULL)
		return drydock_s3__oom();
	return set_prefix(prefix, slash, o->bucket);
}

/* AWS: virtual-host style where the bucket can be a host name. */
static int
aws_where(
    char **host, char **prefix, int *https, const struct drydock_s3_opts *o)
{
	const char *tld = strncmp(o->region, "cn-", 3) == 0 ? "amazonaws.com.cn"
	                                                    : "amazonaws.com";
	int vhost;

	*https = o->secure;
	vhost = dns_bucket(o->bucket, *https);
	if ((vhost ? asprintf(host, "%s.s3.%s.%s", o->bucket, o->region, tld)
	           : asprintf(host, "s3.%s.%s", o->region, tld)) < 0) {
		*host = NULL;
		return drydock_s3__oom();
	}
	if (!vhost)
		return set_prefix(prefix, "", o->bucket);
	if ((*prefix = strdup("")) == NULL)
		return drydock_s3__oom();
	return 0;
}

int
drydock_s3__where(
    char **host, char **prefix, int *https, const struct drydock_s3_opts *o)
{
	int error;

	*host = *prefix = NULL;
	if (o->region == NULL || o->region[0] == '\0' || o->bucket == NULL ||
	    o->bucket[0] == '\0' || strchr(o->bucket, '/') != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "S3 needs a region and a bucket name%s",
		    o->bucket != NULL && strchr(o->bucket, '/') != NULL
		        ? " (without '/')"
		        : "");
		return DRYDOCK_ERROR;
	}
	if (o->endpoint != NULL && o->endpoint[0] != '\0')
		error = endpoint_where(host, prefix, https, o);
	else
		error = aws_where(host, prefix, https, o);
	if (error < 0) {
		free(*host);
		free(*prefix);
		*host = *prefix = NULL;
	}
	return error;
}

/* --- encoding ----------------------------------------------------------- */

int
drydock_s3__add(struct drydock_s3__buf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *ns;

	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap != b->cap) {
		if ((ns = realloc(b->s, cap)) == NULL)
			return drydock_s3__oom();
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
drydock_s3__encode(struct drydock_s3__buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3] = {'%'};
	int error = drydock_s3__add(b, "", 0); /* "" for "" */

	for (p = (const unsigned char *)s; error == 0 && *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~' || (keep_slash && *p == '/')) {
			error = drydock_s3__add(b, (const char *)p, 1);
		} else {
			esc[1] = hex[*p >> 4];
			esc[2] = hex[*p & 15];
			error = drydock_s3__add(b, esc, 3);
		}
	}
	return error;
}

static int
param_cmp(const void *a, const void *b)
{
	const struct drydock_s3__param *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
drydock_s3__query(char **out, const struct drydock_s3__param *params, size_t n)
{
	struct drydock_s3__param *sorted = NULL;
	struct drydock_s3__buf q = {0};
	size_t i;
	int error;

	*out = NULL;
	if (n > 0 && (sorted = malloc(n * sizeof(*sorted))) == NULL)
		return drydock_s3__oom();
	if (n > 0) {
		memcpy(sorted, params, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), param_cmp);
	}
	error = drydock_s3__add(&q, "", 0);
	for (i = 0; error == 0 && i < n; i++) {
		if ((i > 0 && (error = drydock_s3__add(&q, "&", 1)) < 0) ||
		    (error = drydock_s3__encode(&q, sorted[i].name, 0)) < 0 ||
		    (error = drydock_s3__add(&q, "=", 1)) < 0)
			break;
		if (sorted[i].value != NULL)
			error = drydock_s3__encode(&q, sorted[i].value, 0);
	}
	free(sorted);
	if (error < 0) {
		free(q.s);
		return error;
	}
	*out = q.s;
	return 0;
}

/* --- times and ETags ---------------------------------------------------- */

time_t
drydock_s3__time(const char *s)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6 &&
	    n > 0) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		return timegm(&tm);
	}
	return curl_getdate(s, NULL);
}

void
drydock_s3__etag(char *etag, const char *value)
{
	size_t n;

	while (*value == ' ')
		value++;
	if (strncmp(value, "W/", 2) == 0)
		value += 2;
	if (*value == '"')
		value++;
	n = strcspn(value, "\"");
	if (n > 71)
		n = 71;
	memcpy(etag, value, n);
	etag[n] = '\0';
}

/* --- parallel requests -------------------------------------------------- */

struct runner {
	pthread_mutex_t lock;
	size_t next, n;
	int (*task)(size_t i, void *payload);
	void *payload;
	int error; /* the first failure */
	struct drydock_error saved; /* its message */
};

static void *
worker(void *p)
{
	struct runner *r = p;
	size_t i;
	int rc;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->error != 0 || r->next >= r->n) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		i = r->next++;
		pthread_mutex_unlock(&r->lock);
		if ((rc = r->task(i, r->payload)) != 0) {
			pthread_mutex_lock(&r->lock);
			if (r->error == 0) {
				r->error = rc;
				r->saved = *drydock_error_last();
			}
			pthread_mutex_unlock(&r->lock);
		}
	}
}

int
drydock_s3__parallel(unsigned jobs, size_t n,
    int (*task)(size_t i, void *payload), void *payload)
{
	struct runner r = {.n = n, .task = task, .payload = payload};
	pthread_t *t;
	size_t i, started = 0;
	int rc;

	if (jobs <= 1 || n <= 1) {
		for (i = 0; i < n; i++)
			if ((rc = task(i, payload)) != 0)
				return rc;
		return 0;
	}
	if (jobs > n)
		jobs = (unsigned)n;
	if ((t = calloc(jobs, sizeof(*t))) == NULL)
		return drydock_s3__oom();
	pthread_mutex_init(&r.lock, NULL);
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&t[i], NULL, worker, &r) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(&r); /* no thread: do it here */
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&r.lock);
	free(t);
	if (r.error != 0)
		drydock_error_restore(&r.saved);
	return r.error;
}
