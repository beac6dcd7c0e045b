/* SPDX-License-Identifier: MIT */
/*
 * http.c --- an HTTP client for one registry host on libcurl: pooled
 * handles over shared connections, redirects that keep Authorization at
 * home, retries of 429 and 5xx, Range resume of cut bodies.  The 401
 * challenge (Basic, Bearer tokens per scope) is httpauth.c's, certs.d
 * for TLS httpcerts.c's, the parsers httpparse.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include <drydock/drydock.h>
#include <drydock/http.h>

#include "http_int.h"

#define MAX_REDIRECTS 10
#define ERROR_BODY_MAX (64u << 10)
#define DEFAULT_BODY_MAX (4u << 20)

/* --- small helpers ------------------------------------------------------ */

int
drydock_http__oom(void)
{
	errno = ENOMEM;
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

int64_t
drydock_http__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
cancelled(const struct drydock_http *h)
{
	return h->cancel != NULL && *h->cancel;
}

static int
set_cancelled(void)
{
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "interrupted");
	return DRYDOCK_EINTR;
}

/* Sleep ms, in slices, unless cancelled. */
static int
wait_ms(const struct drydock_http *h, int64_t ms)
{
	struct timespec ts;

	while (ms > 0) {
		if (cancelled(h))
			return set_cancelled();
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 50 ? 50 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 50;
	}
	return cancelled(h) ? set_cancelled() : 0;
}

/* --- the client ---------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *p)
{
	struct drydock_http *h = p;

	(void)c;
	(void)access;
	pthread_mutex_lock(&h->share_lock[data]);
}

static void
share_unlock(CURL *c, curl_lock_data data, void *p)
{
	struct drydock_http *h = p;

	(void)c;
	pthread_mutex_unlock(&h->share_lock[data]);
}

void
drydock_http_opts_init(struct drydock_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tls_verify = 1;
	o->retries = -1;
}

int
drydock_http_new(struct drydock_http **out, const char *host,
    const struct drydock_http_opts *o)
{
	struct drydock_http_opts def;
	struct drydock_http *h;
	char ua[64];
	int i, error;

	*out = NULL;
	if (o == NULL) {
		drydock_http_opts_init(&def);
		o = &def;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "cannot initialise libcurl: %s",
		    curl_easy_strerror(global_rc));
		return DRYDOCK_ERROR;
	}
	if (host[0] == '\0' || strpbrk(host, "/?#@ \t\r\n") != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a registry host (HOST[:PORT])", host);
		return DRYDOCK_ERROR;
	}
	if (o->scheme != NULL && strcmp(o->scheme, "http") != 0 &&
	    strcmp(o->scheme, "https") != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "'%s' is not a URL scheme of HTTP", o->scheme);
		return DRYDOCK_ERROR;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return drydock_http__oom();
	pthread_mutex_init(&h->lock, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_lock[i], NULL);
	snprintf(ua, sizeof(ua), "drydock/%s", drydock_version());
	h->loopback = drydock_http__is_loopback(host);
	h->tls_verify = o->tls_verify;
	h->retries = o->retries < 0 ? 5 : o->retries;
	h->backoff_ms = o->backoff_ms ? o->backoff_ms : 250;
	h->max_wait_ms = o->max_wait_ms ? o->max_wait_ms : 60000;
	h->max_connections = o->max_connections;
	if ((h->host = strdup(host)) == NULL ||
	    (h->user_agent = strdup(o->user_agent ? o->user_agent : ua)) ==
	        NULL ||
	    (o->username != NULL &&
	        (h->username = strdup(o->username)) == NULL) ||
	    (o->scheme != NULL &&
	        (h->scheme_fixed = strdup(o->scheme)) == NULL) ||
	    (o->aws_sigv4 != NULL &&
	        (h->aws_sigv4 = strdup(o->aws_sigv4)) == NULL) ||
	    (o->secret != NULL && (h->secret = strdup(o->secret)) == NULL)) {
		error = drydock_http__oom();
		goto fail;
	}
	if ((error = drydock_http__load_certs(h, o)) < 0)
		goto fail;
	if ((h->share = curl_share_init()) == NULL) {
		error = drydock_http__oom();
		goto fail;
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(
	    h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	*out = h;
	return 0;
fail:
	drydock_http_free(h);
	return error;
}

void
drydock_http__forget(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
drydock_http_free(struct drydock_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	if (h->share != NULL)
		curl_share_cleanup(h->share);
	for (i = 0; i < h->ntokens; i++) {
		free(h->tokens[i].scope);
		drydock_http__forget(h->tokens[i].value);
	}
	free(h->tokens);
	free(h->host);
	free(h->base);
	free(h->username);
	drydock_http__forget(h->secret);
	free(h->user_agent);
	free(h->scheme_fixed);
	free(h->aws_sigv4);
	free(h->ca);
	free(h->ca_file);
	free(h->ca_file_name);
	free(h->client_cert);
	free(h->client_key);
	free(h->realm);
	free(h->service);
	pthread_mutex_destroy(&h->lock);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_lock[i]);
	free(h);
}

void
drydock_http_set_cancel(
    struct drydock_http *h, const volatile sig_atomic_t *flag)
{
	h->cancel = flag;
}

const char *
drydock_http_base(const struct drydock_http *h)
{
	return h->base;
}

void
drydock_http_response_release(struct drydock_http_response *r)
{
	free(r->body);
	free(r->content_type);
	free(r->location);
	free(r->digest);
	free(r->link);
	free(r->range);
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

/* --- handles ------------------------------------------------------------- */

static CURL *
handle_get(struct drydock_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->npool > 0)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->lock);
	if (c == NULL && (c = curl_easy_init()) != NULL)
		curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	return c;
}

static void
handle_put(struct drydock_http *h, CURL *c)
{
	CURL **n;

	pthread_mutex_lock(&h->lock);
	if (h->npool == h->cappool) {
		size_t cap = h->cappool ? h->cappool * 2 : 8;

		if ((n = realloc(h->pool, cap * sizeof(*n))) == NULL) {
			pthread_mutex_unlock(&h->lock);
			curl_easy_cleanup(c);
			return;
		}
		h->pool = n;
		h->cappool = cap;
	}
	h->pool[h->npool++] = c;
	pthread_mutex_unlock(&h->lock);
}

static int
xferinfo(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct drydock_http *h = p;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return cancelled(h);
}

/* The options every transfer of h has, after curl_easy_reset(). */
static void
handle_setup(struct drydock_http *h, CURL *c)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled connection: less than 1 byte/s for 60 s */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (h->max_connections > 0)
		curl_easy_setopt(
		    c, CURLOPT_MAXCONNECTS, (long)h->max_connections);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->tls_verify ? 2L : 0L);
	if (h->ca != NULL) {
		struct curl_blob blob = {h->ca, h->ca_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (h->client_cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->client_key);
	}
}

/*
 * The scheme, once: https, except on a loopback host whose port does not
 * speak TLS (the handshake fails at once), where it is http.
 */
static int
choose_base(struct drydock_http *h)
{
	char url[600];
	CURLcode rc;
	CURL *c;
	int http = 0;

	pthread_mutex_lock(&h->lock);
	if (h->base != NULL) {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	pthread_mutex_unlock(&h->lock);
	if (h->scheme_fixed != NULL) {
		http = strcmp(h->scheme_fixed, "http") == 0;
	} else if (h->loopback) {
		if ((c = handle_get(h)) == NULL)
			return drydock_http__oom();
		handle_setup(h, c);
		snprintf(url, sizeof(url), "https://%s/v2/", h->host);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
		rc = curl_easy_perform(c);
		http = rc == CURLE_SSL_CONNECT_ERROR ||
		    rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
		/* a CONNECT_ONLY handle keeps a socket we do not reuse */
		curl_easy_cleanup(c);
	}
	snprintf(url, sizeof(url), "%s://%s", http ? "http" : "https", h->host);
	pthread_mutex_lock(&h->lock);
	if (h->base == NULL && (h->base = strdup(url)) == NULL) {
		pthread_mutex_unlock(&h->lock);
		return drydock_http__oom();
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* --- one transfer -------------------------------------------------------- */

struct xfer {
	struct drydock_http *h;
	const struct drydock_http_request *req;
	struct drydock_http_response *resp;
	CURL *c;
	int head;
	long status; /* of the last status line */
	char *www_auth;
	char *retry_after;
	char *content_range;
	/* the body */
	char *buf;
	size_t len, cap, max;
	int to_cb; /* this response's body goes to data_cb */
	int started; /* the first body byte of this attempt came */
	int64_t want_from; /* where this attempt's body should start */
	uint64_t skip; /* bytes of a 200 answer to a Range to drop */
	uint64_t delivered; /* to data_cb, over every attempt */
	int cb_error;
	int too_big;
	int bad_range;
	/* the request body */
	int64_t sent;
	char *errbuf; /* CURLOPT_ERRORBUFFER (CURL_ERROR_SIZE bytes) */
};

static void
set_str(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = strndup(v, n);
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *p)
{
	struct xfer *x = p;
	size_t n = size * nitems, k, vlen;
	const char *v;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue, or a redirect) */
		const char *sp = memchr(line, ' ', n);

		x->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		free(x->www_auth);
		free(x->retry_after);
		free(x->content_range);
		x->www_auth = x->retry_after = x->content_range = NULL;
		free(x->resp->content_type);
		free(x->resp->location);
		free(x->resp->digest);
		free(x->resp->link);
		free(x->resp->range);
		free(x->resp->etag);
		free(x->resp->last_modified);
		x->resp->content_type = x->resp->location = NULL;
		x->resp->digest = x->resp->link = x->resp->range = NULL;
		x->resp->etag = x->resp->last_modified = NULL;
		x->resp->content_length = -1;
		return n;
	}
	if ((v = memchr(line, ':', n)) == NULL)
		return n;
	k = (size_t)(v - line);
	for (v++; v < line + n && (*v == ' ' || *v == '\t'); v++)
		;
	vlen = (size_t)(line + n - v);
	while (vlen > 0 &&
	    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
#define IS(name) (k == sizeof(name) - 1 && strncasecmp(line, name, k) == 0)
	if (IS("content-type"))
		set_str(&x->resp->content_type, v, vlen);
	else if (IS("location"))
		set_str(&x->resp->location, v, vlen);
	else if (IS("docker-content-digest"))
		set_str(&x->resp->digest, v, vlen);
	else if (IS("link"))
		set_str(&x->resp->link, v, vlen);
	else if (IS("range"))
		set_str(&x->resp->range, v, vlen);
	else if (IS("etag"))
		set_str(&x->resp->etag, v, vlen);
	else if (IS("last-modified"))
		set_str(&x->resp->last_modified, v, vlen);
	else if (IS("content-range"))
		set_str(&x->content_range, v, vlen);
	else if (IS("retry-after"))
		set_str(&x->retry_after, v, vlen);
	else if (IS("content-length"))
		x->resp->content_length = strtoll(v, NULL, 10);
	else if (IS("www-authenticate") &&
	    (x->www_auth == NULL || strncasecmp(v, "Bearer", 6) == 0))
		set_str(&x->www_auth, v, vlen);
#undef IS
	return n;
}

/* The first body bytes of a 2xx: is it the part we asked for? */
static int
body_start(struct xfer *x)
{
	long long first;

	x->started = 1;
	if (x->want_from <= 0)
		return 0;
	if (x->status == 200) {
		x->skip = (uint64_t)x->want_from; /* Range ignored */
		return 0;
	}
	if (x->content_range == NULL ||
	    sscanf(x->content_range, "bytes %lld-", &first) != 1 ||
	    first != x->want_from) {
		x->bad_range = 1;
		return -1;
	}
	return 0;
}

/* n bytes of a 2xx body cut to what is left of a range_len request */
static size_t
clip(const struct xfer *x, size_t n)
{
	uint64_t got, want;

	if (x->req->range_len <= 0)
		return n;
	want = (uint64_t)x->req->range_len;
	got = x->req->data_cb != NULL ? x->delivered : x->len;
	if (got >= want)
		return 0;
	return want - got < n ? (size_t)(want - got) : n;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct xfer *x = p;
	size_t n = size * nmemb, max;
	char *nb;
	int rc;

	if (x->status >= 200 && x->status < 300) {
		if (!x->started && body_start(x) < 0)
			return 0;
		if (x->skip > 0) {
			size_t s = x->skip < n ? (size_t)x->skip : n;

			x->skip -= s;
			data += s;
			n -= s;
		}
		if ((n = clip(x, n)) == 0)
			return size * nmemb;
	}
	if (x->status >= 200 && x->status < 300 && x->req->data_cb != NULL) {
		x->to_cb = 1;
		if ((rc = x->req->data_cb(data, n, x->req->payload)) != 0) {
			x->cb_error = rc;
			return 0;
		}
		x->delivered += n;
		return size * nmemb;
	}
	max = x->status >= 200 && x->status < 300 ? x->max : ERROR_BODY_MAX;
	if (x->len + n > max) {
		if (x->status >= 200 && x->status < 300) {
			x->too_big = 1;
			return 0;
		}
		n = max - x->len; /* an error body: keep its start */
		if (n == 0)
			return size * nmemb;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;

		while (cap < x->len + n + 1)
			cap *= 2;
		if ((nb = realloc(x->buf, cap)) == NULL)
			return 0;
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return size * nmemb;
}

static size_t
on_read(char *dst, size_t size, size_t nitems, void *p)
{
	struct xfer *x = p;
	const struct drydock_http_request *req = x->req;
	size_t want = size * nitems;
	int64_t left;
	ssize_t r;

	if (req->body_size <= 0) {
		left = (int64_t)req->body_len - x->sent;
		if (left <= 0)
			return 0;
		if ((int64_t)want > left)
			want = (size_t)left;
		memcpy(dst, (const char *)req->body + x->sent, want);
		x->sent += (int64_t)want;
		return want;
	}
	left = req->body_size - x->sent;
	if ((int64_t)want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	r = pread(req->body_fd, dst, want, (off_t)(req->body_off + x->sent));
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	x->sent += r;
	return (size_t)r;
}

static int
on_seek(void *p, curl_off_t offset, int origin)
{
	struct xfer *x = p;

	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = offset;
	return CURL_SEEKFUNC_OK;
}

static struct curl_slist *
add_header(struct curl_slist **list, const char *name, const char *v)
{
	char line[8192];
	struct curl_slist *n;

	/* "Name:" alone removes a header curl would add */
	snprintf(line, sizeof(line), "%s:%s%s", name, v[0] ? " " : "", v);
	n = curl_slist_append(*list, line);
	OPENSSL_cleanse(line, sizeof(line));
	if (n != NULL)
		*list = n;
	return n;
}

/* Bodies from this size on wait for the server's "100 Continue". */
#define EXPECT_WAIT_FROM ((int64_t)1 << 20)

/*
 * The header lines of one attempt (a list to curl_slist_free_all), or
 * NULL when out of memory.  from: the first byte to ask for.  A signed
 * request keeps curl's "Expect: 100-continue": libcurl 7.88's SigV4 signs
 * every header of the list, "Expect:" (the removal) too, which the server
 * never receives, and the signature would not match.
 */
static struct curl_slist *
request_headers(const struct drydock_http_request *req, const char *auth,
    int64_t from, int ranged, int sign)
{
	struct curl_slist *hd = NULL, *n;
	const char *const *line;
	char range[64];

	if ((req->accept != NULL &&
	        add_header(&hd, "Accept", req->accept) == NULL) ||
	    (req->content_type != NULL &&
	        add_header(&hd, "Content-Type", req->content_type) == NULL) ||
	    (req->content_range != NULL &&
	        add_header(&hd, "Content-Range", req->content_range) == NULL) ||
	    (auth != NULL && add_header(&hd, "Authorization", auth) == NULL) ||
	    (!sign && add_header(&hd, "Expect", "") == NULL))
		goto oom;
	for (line = req->headers; line != NULL && *line != NULL; line++) {
		if ((n = curl_slist_append(hd, *line)) == NULL)
			goto oom;
		hd = n;
	}
	if (ranged) {
		if (req->range_len > 0)
			snprintf(range, sizeof(range), "bytes=%lld-%lld",
			    (long long)from,
			    (long long)(req->range_from + req->range_len - 1));
		else
			snprintf(range, sizeof(range), "bytes=%lld-",
			    (long long)from);
		if (add_header(&hd, "Range", range) == NULL)
			goto oom;
	}
	return hd;
oom:
	curl_slist_free_all(hd);
	return NULL;
}

/*
 * Send method to url once.  auth: an Authorization value, or NULL; sign:
 * sign it with the client's AWS SigV4 credentials.
 * @return the CURLcode; x->status, headers and body filled.
 */
static CURLcode
perform(struct xfer *x, const char *method, const char *url, const char *auth,
    int sign)
{
	const struct drydock_http_request *req = x->req;
	struct curl_slist *hd;
	int64_t from = req->range_from + (int64_t)x->delivered;
	int ranged = from > 0 || req->range_len > 0;
	int has_body = req->body != NULL || req->body_size > 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
	CURLcode rc;

	handle_setup(x->h, x->c);
	/* after handle_setup(): curl_easy_reset() forgets the buffer */
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->c, CURLOPT_ERRORBUFFER, x->errbuf);
	x->status = 0;
	x->len = 0;
	x->started = 0;
	x->skip = 0;
	x->sent = 0;
	x->too_big = x->bad_range = 0;
	x->want_from = ranged ? from : 0;
	curl_easy_setopt(x->c, CURLOPT_URL, url);
	curl_easy_setopt(x->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, x);
	if ((hd = request_headers(req, auth, from, ranged, sign)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	if (sign) {
		curl_easy_setopt(x->c, CURLOPT_AWS_SIGV4, x->h->aws_sigv4);
		curl_easy_setopt(x->c, CURLOPT_USERNAME, x->h->username);
		curl_easy_setopt(x->c, CURLOPT_PASSWORD,
		    x->h->secret != NULL ? x->h->secret : "");
	}
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, hd);
	x->head = strcmp(method, "HEAD") == 0;
	if (x->head) {
		curl_easy_setopt(x->c, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		int64_t size = req->body_size > 0 ? req->body_size
		                                  : (int64_t)req->body_len;

		curl_easy_setopt(x->c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(
		    x->c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
		/*
		 * curl asks "Expect: 100-continue" before every upload's body
		 * (signed, so it stays: request_headers), and radosgw never
		 * answers it for a DeleteObjects: each waited curl's second.
		 * A small body goes at once; a big one still waits to hear
		 * that it is wanted.
		 */
		curl_easy_setopt(x->c, CURLOPT_EXPECT_100_TIMEOUT_MS,
		    size < EXPECT_WAIT_FROM ? 0L : 1000L);
		curl_easy_setopt(x->c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->c, CURLOPT_READDATA, x);
		curl_easy_setopt(x->c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(x->c, CURLOPT_SEEKDATA, x);
		if (strcmp(method, "PUT") != 0)
			curl_easy_setopt(x->c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(x->c, CURLOPT_POST, 1L);
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(x->c, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(x->c, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(x->c);
	curl_easy_setopt(x->c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hd);
	x->resp->attempts++;
	return rc;
}

/* --- the request loop ----------------------------------------------------- */

/* The length of url's origin ("https://HOST:PORT"), 300 at most. */
static int
origin_len(const char *url)
{
	const char *p = strstr(url, "://");
	size_t n = p != NULL ? (size_t)(p - url) + 3 : 0;

	n += strcspn(url + n, "/?#");
	return n > 300 ? 300 : (int)n;
}

static int
curl_error(const struct drydock_http *h, CURLcode rc, const char *url,
    const char *errbuf)
{
	const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	char u[400];

	/* the origin: what the user configured, and what failed */
	if (rc == CURLE_PEER_FAILED_VERIFICATION && h->ca_file != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_SSL,
		    "%.*s: the server's certificate could not be verified "
		    "with the CAs of %s '%s' (%s)",
		    origin_len(url), url, h->ca_file_name, h->ca_file, why);
		return DRYDOCK_ERROR;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		drydock_error_set(DRYDOCK_ERRCLASS_SSL,
		    "%.*s: the server's certificate could not be verified "
		    "(%s)",
		    origin_len(url), url, why);
		return DRYDOCK_ERROR;
	}
	drydock_http__url_for_message(u, sizeof(u), url);
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "%s: %s", u, why);
	return DRYDOCK_ERROR;
}

static int
retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* The absolute URL of path (new). */
static char *
absolute(const struct drydock_http *h, const char *path)
{
	char *u;

	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		return strdup(path);
	if ((u = malloc(strlen(h->base) + strlen(path) + 1)) != NULL)
		sprintf(u, "%s%s", h->base, path);
	return u;
}

/* location resolved against url (new) */
static char *
resolve(const char *url, const char *location)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/*
 * How long to wait before the next try of a 429 or 5xx (Retry-After, or
 * the backoff), or of a transfer that failed; -1: no more tries.
 */
static int64_t
retry_wait(struct drydock_http *h, struct xfer *x, unsigned tries)
{
	int64_t ms = -1, cap = h->max_wait_ms;
	unsigned i;

	if (tries >= (unsigned)h->retries ||
	    (x->req->flags & DRYDOCK_HTTP_NO_RETRY))
		return -1;
	if (x->retry_after != NULL)
		ms = drydock_http__retry_after_ms(x->retry_after, time(NULL));
	if (ms < 0)
		for (ms = h->backoff_ms, i = 0; i < tries && ms < cap; i++)
			ms *= 2;
	return ms > cap ? cap : ms;
}

/*
 * After ms, start again at the request's own URL: a redirect's target
 * (a signed URL) may have expired meanwhile.
 */
static int
restart(struct drydock_http *h, char **url, const char *start, int64_t ms)
{
	int error;

	if ((error = wait_ms(h, ms)) < 0)
		return error;
	free(*url);
	if ((*url = strdup(start)) == NULL)
		return drydock_http__oom();
	return 0;
}

int
drydock_http__request_loop(struct drydock_http_response *resp,
    struct drydock_http *h, const struct drydock_http_request *req,
    const char *fixed_auth)
{
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE], *url = NULL, *start = NULL, *next;
	char *auth = NULL;
	const char *method = req->method, *scope = req->scope ? req->scope : "";
	unsigned tries = 0, redirects = 0, challenges = 0;
	int64_t ms;
	CURLcode rc;
	int error = 0, home;

	memset(&x, 0, sizeof(x));
	x.h = h;
	x.req = req;
	x.resp = resp;
	x.max = req->max_body ? req->max_body : DEFAULT_BODY_MAX;
	if ((x.c = handle_get(h)) == NULL)
		return drydock_http__oom();
	if ((start = absolute(h, req->path)) == NULL ||
	    (url = strdup(start)) == NULL) {
		error = drydock_http__oom();
		goto out;
	}
	for (;;) {
		if (cancelled(h)) {
			error = set_cancelled();
			goto out;
		}
		/* credentials only where the request began */
		home = drydock_http__same_origin(url, start);
		drydock_http__forget(auth);
		auth = NULL;
		if (home && fixed_auth != NULL) {
			if ((auth = strdup(fixed_auth)) == NULL) {
				error = drydock_http__oom();
				goto out;
			}
		} else if (home && fixed_auth == NULL &&
		    drydock_http__same_origin(url, h->base)) {
			auth = drydock_http__auth_value(h, scope);
		}
		x.errbuf = errbuf;
		rc = perform(&x, method, url, auth,
		    home && fixed_auth == NULL && h->aws_sigv4 != NULL &&
		        h->username != NULL &&
		        drydock_http__same_origin(url, h->base));
		curl_easy_setopt(x.c, CURLOPT_ERRORBUFFER, NULL);
		if (x.cb_error != 0) {
			error = x.cb_error;
			goto out;
		}
		if (rc == CURLE_ABORTED_BY_CALLBACK && cancelled(h)) {
			error = set_cancelled();
			goto out;
		}
		if (x.too_big) {
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: response larger than %zu bytes", req->path,
			    x.max);
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (x.bad_range) {
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: cannot resume at byte %lld: the server sent "
			    "another range",
			    req->path, (long long)x.want_from);
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (rc != CURLE_OK) {
			if (!retryable(rc) ||
			    (x.delivered > 0 &&
			        !(req->flags & DRYDOCK_HTTP_RESUME)) ||
			    (ms = retry_wait(h, &x, tries)) < 0) {
				error = curl_error(h, rc, url, errbuf);
				goto out;
			}
			tries++;
			if ((error = restart(h, &url, start, ms)) < 0)
				goto out;
			method = req->method;
			continue;
		}
		resp->status = x.status;
		if (x.status >= 300 && x.status < 400 && x.status != 304 &&
		    resp->location != NULL) {
			if (++redirects > MAX_REDIRECTS) {
				drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
				    "%s: more than %d redirects", req->path,
				    MAX_REDIRECTS);
				error = DRYDOCK_ERROR;
				goto out;
			}
			if ((next = resolve(url, resp->location)) == NULL) {
				drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
				    "%s: unreadable redirect", req->path);
				error = DRYDOCK_ERROR;
				goto out;
			}
			free(url);
			url = next;
			if (x.status == 303)
				method = "GET";
			continue;
		}
		if (x.status == 401 && fixed_auth == NULL && home &&
		    h->aws_sigv4 == NULL && challenges < 2) {
			challenges++;
			if ((error = drydock_http__answer_challenge(
			         h, x.www_auth, scope, auth != NULL)) < 0)
				goto out;
			continue;
		}
		if ((x.status == 429 || x.status == 500 || x.status == 502 ||
		        x.status == 503 || x.status == 504) &&
		    x.delivered == 0 && (ms = retry_wait(h, &x, tries)) >= 0) {
			tries++;
			if ((error = restart(h, &url, start, ms)) < 0)
				goto out;
			method = req->method;
			continue;
		}
		break;
	}
	/* a Location is absolute for the caller */
	if (resp->location != NULL && (next = resolve(url, resp->location))) {
		free(resp->location);
		resp->location = next;
	}
	resp->received = x.delivered;
	if (!x.to_cb && x.buf != NULL) {
		resp->body = x.buf;
		resp->body_len = x.len;
		x.buf = NULL;
	}
out:
	handle_put(h, x.c);
	free(x.buf);
	free(x.www_auth);
	free(x.retry_after);
	free(x.content_range);
	drydock_http__forget(auth);
	free(url);
	free(start);
	return error;
}

int
drydock_http_request(struct drydock_http_response *resp, struct drydock_http *h,
    const struct drydock_http_request *req)
{
	int error;

	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	if ((error = choose_base(h)) < 0)
		return error;
	return drydock_http__request_loop(resp, h, req, NULL);
}

int
drydock_http_status_error(
    const struct drydock_http_response *resp, const char *what)
{
	json_t *j = NULL, *e;
	const char *code = NULL, *msg = NULL;

	if (resp->body != NULL && resp->body_len > 0 &&
	    (j = json_loadb(resp->body, resp->body_len, 0, NULL)) != NULL) {
		e = json_array_get(json_object_get(j, "errors"), 0);
		code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
	}
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "%s: HTTP %ld%s%s%s%s", what,
	    resp->status, code ? ": " : "", code ? code : "", msg ? ": " : "",
	    msg ? msg : "");
	json_decref(j);
	if (resp->status == 404)
		return DRYDOCK_ENOTFOUND;
	if (resp->status == 401 || resp->status == 403)
		return DRYDOCK_EAUTH;
	return DRYDOCK_ERROR;
}
