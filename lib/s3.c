/* SPDX-License-Identifier: MIT */
/*
 * s3.c --- an S3 bucket's client on lib/http: the signed request (the
 * x-amz-content-sha256, Content-MD5 and copy-source headers libcurl's
 * SigV4 leaves to us), S3's errors said plainly, and the single-object
 * calls: lookup (HEAD), reads, writes and copies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <drydock/errors.h>
#include <drydock/http.h>
#include <drydock/s3.h>

#include "s3_int.h"

/* the SHA-256 of nothing: the payload hash of a request without a body */
#define EMPTY_SHA256                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void
drydock_s3_opts_init(struct drydock_s3_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->secure = 1;
	o->jobs = 4;
	o->part_size = 2 * DRYDOCK_S3__MIN_PART;
	o->copy_part_size = DRYDOCK_S3__MAX_PART;
	o->retries = -1;
}

static int
check_part(const char *what, int64_t v)
{
	if (v >= DRYDOCK_S3__MIN_PART && v <= DRYDOCK_S3__MAX_PART)
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "S3 %s %lld is out of range: 5 MiB to 5 GiB", what, (long long)v);
	return DRYDOCK_ERROR;
}

int
drydock_s3_new(struct drydock_s3 **out, const struct drydock_s3_opts *o)
{
	struct drydock_http_opts ho;
	struct drydock_s3 *s3;
	char *host = NULL, *sigv4 = NULL;
	int https, error;

	*out = NULL;
	if ((error = check_part("part size", o->part_size)) < 0 ||
	    (error = check_part("copy part size", o->copy_part_size)) < 0)
		return error;
	if ((s3 = calloc(1, sizeof(*s3))) == NULL)
		return drydock_s3__oom();
	s3->jobs = o->jobs > 0 ? o->jobs : 1;
	s3->part_size = o->part_size;
	s3->copy_part_size = o->copy_part_size;
	s3->retries = o->retries < 0 ? 5 : o->retries;
	s3->backoff_ms = o->backoff_ms ? o->backoff_ms : 250;
	if ((error = drydock_s3__where(&host, &s3->prefix, &https, o)) < 0)
		goto fail;
	if ((s3->bucket = strdup(o->bucket)) == NULL ||
	    (o->session_token != NULL &&
	        (s3->session_token = strdup(o->session_token)) == NULL) ||
	    asprintf(&sigv4, "aws:amz:%s:s3", o->region) < 0) {
		sigv4 = NULL;
		error = drydock_s3__oom();
		goto fail;
	}
	drydock_http_opts_init(&ho);
	ho.tls_verify = !o->skip_verify;
	ho.scheme = https ? "https" : "http";
	ho.certs_d = ""; /* certs.d is the registries' */
	if (https && !o->skip_verify) {
		ho.ca_file = o->ca_file;
		ho.ca_file_name = o->ca_file_name;
	}
	ho.retries = o->retries;
	ho.backoff_ms = o->backoff_ms;
	ho.max_connections = s3->jobs + 4; /* the jobs, and a few callers */
	if (o->access_key != NULL && o->access_key[0] != '\0') {
		ho.username = o->access_key;
		ho.secret = o->secret_key != NULL ? o->secret_key : "";
		ho.aws_sigv4 = sigv4;
	}
	if ((error = drydock_http_new(&s3->http, host, &ho)) < 0)
		goto fail;
	free(host);
	free(sigv4);
	*out = s3;
	return 0;
fail:
	free(host);
	free(sigv4);
	drydock_s3_free(s3);
	return error;
}

void
drydock_s3_free(struct drydock_s3 *s3)
{
	if (s3 == NULL)
		return;
	drydock_http_free(s3->http);
	free(s3->bucket);
	free(s3->prefix);
	if (s3->session_token != NULL)
		OPENSSL_cleanse(s3->session_token, strlen(s3->session_token));
	free(s3->session_token);
	free(s3);
}

void
drydock_s3_set_cancel(struct drydock_s3 *s3, const volatile sig_atomic_t *flag)
{
	s3->cancel = flag;
	drydock_http_set_cancel(s3->http, flag);
}

const char *
drydock_s3__name(
    char *buf, size_t sz, const struct drydock_s3 *s3, const char *key)
{
	snprintf(buf, sz, "%s/%.*s", s3->bucket, 400, key != NULL ? key : "");
	return buf;
}

/* --- one request -------------------------------------------------------- */

static void
hex(char *out, const unsigned char *md, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The body's SHA-256 (hex) and, when wanted, MD5 (base64) headers. */
static int
body_digests(char *sha_line, size_t ssz, char *md5_line, size_t msz,
    const struct drydock_s3__req *r)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[4 * EVP_MAX_MD_SIZE / 3 + 4];
	char h[2 * EVP_MAX_MD_SIZE + 1];
	unsigned n;

	md5_line[0] = '\0';
	if (r->body_size > 0) {
		snprintf(
		    sha_line, ssz, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
		return 0;
	}
	if (r->body == NULL || r->body_len == 0) {
		snprintf(sha_line, ssz, "x-amz-content-sha256: " EMPTY_SHA256);
	} else {
		if (!EVP_Digest(
		        r->body, r->body_len, md, &n, EVP_sha256(), NULL))
			goto fail;
		hex(h, md, n);
		snprintf(sha_line, ssz, "x-amz-content-sha256: %s", h);
	}
	if (r->content_md5) {
		if (!EVP_Digest(r->body != NULL ? r->body : "", r->body_len, md,
		        &n, EVP_md5(), NULL))
			goto fail;
		EVP_EncodeBlock(b64, md, (int)n);
		snprintf(md5_line, msz, "Content-MD5: %s", b64);
	}
	return 0;
fail:
	drydock_error_set(DRYDOCK_ERRCLASS_SSL, "cannot hash a request body");
	return DRYDOCK_ERROR;
}

/* "/BUCKET/KEY?QUERY" or "/KEY?QUERY" (new) */
static int
request_path(
    char **out, const struct drydock_s3 *s3, const char *key, const char *query)
{
	struct drydock_s3__buf p = {0};
	int error;

	if ((error = drydock_s3__add(&p, s3->prefix, strlen(s3->prefix))) < 0 ||
	    (error = drydock_s3__add(&p, "/", 1)) < 0 ||
	    (key != NULL && (error = drydock_s3__encode(&p, key, 1)) < 0) ||
	    (query != NULL && query[0] != '\0' &&
	        ((error = drydock_s3__add(&p, "?", 1)) < 0 ||
	            (error = drydock_s3__add(&p, query, strlen(query))) < 0))) {
		free(p.s);
		return error;
	}
	*out = p.s;
	return 0;
}

/* "x-amz-copy-source: /BUCKET/KEY" (new); bucket NULL: s3's */
static int
copy_source(char **out, const struct drydock_s3 *s3, const char *bucket,
    const char *key)
{
	static const char name[] = "x-amz-copy-source: /";
	struct drydock_s3__buf b = {0};
	int error;

	if ((error = drydock_s3__add(&b, name, sizeof(name) - 1)) < 0 ||
	    (error = drydock_s3__encode(
	         &b, bucket != NULL ? bucket : s3->bucket, 0)) < 0 ||
	    (error = drydock_s3__add(&b, "/", 1)) < 0 ||
	    (error = drydock_s3__encode(&b, key, 1)) < 0) {
		free(b.s);
		return error;
	}
	*out = b.s;
	return 0;
}

/*
 * DRYDOCK_S3_TRACE=FILE: a line per request, appended: what a run asks of
 * a bucket (and pays for), for an operator or a benchmark to count.
 */
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static FILE *trace_file;

static void
trace_open(void)
{
	const char *path = getenv("DRYDOCK_S3_TRACE");

	if (path != NULL && *path != '\0')
		trace_file = fopen(path, "ae");
}

static void
trace_request(const struct drydock_s3__req *r, long status, int error,
    struct timespec *t0)
{
	struct timespec t1, now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_REALTIME, &now);
	ms = (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
	/*
	 * one fprintf a line: stdio locks the stream for each call.  The
	 * wall clock at the end shows what ran one after the other.
	 */
	fprintf(trace_file, "%s /%s%s%s %ld %d %.1f ms %.3f\n", r->method,
	    r->key != NULL ? r->key : "", r->query != NULL ? "?" : "",
	    r->query != NULL ? r->query : "", status, error, ms,
	    (double)now.tv_sec + (double)now.tv_nsec / 1e9);
	fflush(trace_file);
}

/*
 * A certificate lib/http could not verify: its message, and what an
 * operator of the registry's s3 driver can do about it.  SSL_CERT_FILE
 * first: the registry reads it too, and AWS_CA_BUNDLE in the
 * environment they share stops the registry's s3 driver at start.
 */
static int
verify_advice(void)
{
	char why[DRYDOCK_ERROR_MSGMAX];

	snprintf(why, sizeof(why), "%s", drydock_error_message());
	drydock_error_set(DRYDOCK_ERRCLASS_SSL,
	    "%s; trust its CA with SSL_CERT_FILE=FILE or "
	    "AWS_CA_BUNDLE=FILE (PEM), or set skipverify: true in "
	    "storage.s3 (no verification)",
	    why);
	return DRYDOCK_ERROR;
}

int
drydock_s3__send(struct drydock_http_response *resp, struct drydock_s3 *s3,
    const struct drydock_s3__req *r)
{
	struct timespec t0;
	struct drydock_http_request req;
	char sha[192], md5[128], *token = NULL, *source = NULL, *path = NULL;
	char range[96];
	const char *headers[9];
	size_t nh = 0;
	int error;

	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	if (r->key != NULL && r->key[0] == '\0') {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID, "an empty S3 key");
		return DRYDOCK_ERROR;
	}
	if ((error = body_digests(sha, sizeof(sha), md5, sizeof(md5), r)) < 0 ||
	    (error = request_path(&path, s3, r->key, r->query)) < 0)
		goto out;
	headers[nh++] = sha;
	if (md5[0] != '\0')
		headers[nh++] = md5;
	if (s3->session_token != NULL) {
		if (asprintf(&token, "x-amz-security-token: %s",
		        s3->session_token) < 0) {
			token = NULL;
			error = drydock_s3__oom();
			goto out;
		}
		headers[nh++] = token;
	}
	if (r->copy_source != NULL) {
		if ((error = copy_source(
		         &source, s3, r->copy_bucket, r->copy_source)) < 0)
			goto out;
		headers[nh++] = source;
	}
	if (r->copy_range != NULL) {
		snprintf(range, sizeof(range), "x-amz-copy-source-range: %s",
		    r->copy_range);
		headers[nh++] = range;
	}
	if (r->if_none_match)
		headers[nh++] = "If-None-Match: *";
	headers[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.path = path;
	req.body = r->body;
	req.body_len = r->body_len;
	req.body_fd = r->body_fd;
	req.body_off = r->body_off;
	req.body_size = r->body_size;
	if (strcmp(r->method, "PUT") == 0 ||
	    (r->query != NULL && strcmp(r->query, "uploads=") == 0))
		req.content_type = "application/octet-stream";
	req.data_cb = r->data_cb;
	req.payload = r->payload;
	req.range_from = r->range_from;
	req.range_len = r->range_len;
	req.max_body = r->max_body;
	req.flags = r->flags;
	req.headers = headers;
	__atomic_fetch_add(&s3->requests, 1, __ATOMIC_RELAXED);
	pthread_once(&trace_once, trace_open);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	error = drydock_http_request(resp, s3->http, &req);
	if (trace_file != NULL)
		trace_request(r, resp->status, error, &t0);
	if (error == DRYDOCK_ERROR &&
	    drydock_error_last()->klass == DRYDOCK_ERRCLASS_SSL)
		error = verify_advice();
out:
	if (token != NULL)
		OPENSSL_cleanse(token, strlen(token));
	free(token);
	free(source);
	free(path);
	return error;
}

/* --- errors ------------------------------------------------------------- */

static int
auth_error(const char *name, const struct drydock_s3__error *e, long status)
{
	const char *why;

	if (strcmp(e->code, "SignatureDoesNotMatch") == 0)
		why = "the server refused the request's signature: the secret "
		      "key is wrong";
	else if (strcmp(e->code, "InvalidAccessKeyId") == 0)
		why = "the server does not know the access key";
	else if (strcmp(e->code, "AccessDenied") == 0)
		why = "access denied: the credentials may not do this";
	else if (strcmp(e->code, "RequestTimeTooSkewed") == 0)
		why = "this host's clock is too far from the server's";
	else if (e->code[0] == '\0')
		why = "refused: wrong access key or secret key, or no "
		      "permission";
	else
		why = "refused";
	drydock_error_set(DRYDOCK_ERRCLASS_AUTH, "%s: %s (HTTP %ld%s%s)", name,
	    why, status, e->code[0] ? " " : "", e->code);
	return DRYDOCK_EAUTH;
}

int
drydock_s3__status_error(struct drydock_s3 *s3,
    const struct drydock_http_response *resp, const char *what)
{
	struct drydock_s3__error e;

	if (drydock_s3__parse_error(&e, resp->body, resp->body_len) < 0)
		memset(&e, 0, sizeof(e));
	if (resp->status == 401 || resp->status == 403)
		return auth_error(what, &e, resp->status);
	if (resp->status == 404) {
		if (strcmp(e.code, "NoSuchBucket") == 0)
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: bucket '%s' does not exist (NoSuchBucket)",
			    what, s3->bucket);
		else if (strcmp(e.code, "NoSuchUpload") == 0)
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: no such multipart upload (NoSuchUpload)",
			    what);
		else
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: no such key (%s)", what,
			    e.code[0] ? e.code : "HTTP 404");
		return DRYDOCK_ENOTFOUND;
	}
	/* only conditional writes (drydock_s3__write_new) meet these */
	if (resp->status == 412 ||
	    (resp->status == 409 &&
	        strcmp(e.code, "ConditionalRequestConflict") == 0)) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "%s: exists already (%s)", what,
		    e.code[0] ? e.code : "HTTP 412");
		return DRYDOCK_EEXISTS;
	}
	if (resp->status == 301 && e.endpoint[0] != '\0') {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "%s: bucket '%s' is in another region: its endpoint is "
		    "'%s' (PermanentRedirect)",
		    what, s3->bucket, e.endpoint);
		return DRYDOCK_ERROR;
	}
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "%s: HTTP %ld%s%s%s%s", what,
	    resp->status, e.code[0] ? ": " : "", e.code,
	    e.message[0] ? ": " : "", e.message);
	return DRYDOCK_ERROR;
}

/* Errors that a later try may not meet (S3's "retry" advice). */
static int
retryable(const char *code)
{
	return strcmp(code, "InternalError") == 0 ||
	    strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0 ||
	    strcmp(code, "RequestTimeout") == 0;
}

static int
backoff(struct drydock_s3 *s3, unsigned tries)
{
	int64_t ms = s3->backoff_ms;
	struct timespec ts;
	unsigned i;

	for (i = 0; i < tries && ms < 30000; i++)
		ms *= 2;
	for (; ms > 0; ms -= 50) {
		if (s3->cancel != NULL && *s3->cancel) {
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "interrupted");
			return DRYDOCK_EINTR;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 50 ? 50 : ms) * 1000000L;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
drydock_s3__call(struct drydock_http_response *resp, struct drydock_s3 *s3,
    const struct drydock_s3__req *r, const char *what)
{
	struct drydock_s3__error e;
	unsigned tries = 0;
	int error, late;

	for (;;) {
		if ((error = drydock_s3__send(resp, s3, r)) < 0) {
			drydock_http_response_release(resp);
			return error;
		}
		/*
		 * CopyObject, UploadPartCopy and CompleteMultipartUpload
		 * may fail after their 200 has been sent: the body says so.
		 */
		late = resp->status == 200 && r->copy_source != NULL;
		late |= resp->status == 200 && r->method[0] == 'P' &&
		    r->query != NULL && strncmp(r->query, "uploadId=", 9) == 0;
		if (resp->status >= 200 && resp->status < 300 &&
		    (!late ||
		        drydock_s3__parse_error(
		            &e, resp->body, resp->body_len) < 0))
			return 0;
		if (resp->status < 200 || resp->status >= 300)
			if (drydock_s3__parse_error(
			        &e, resp->body, resp->body_len) < 0)
				memset(&e, 0, sizeof(e));
		if (!retryable(e.code) || tries >= (unsigned)s3->retries)
			break;
		drydock_http_response_release(resp);
		if ((error = backoff(s3, tries++)) < 0)
			return error;
	}
	if (resp->status >= 200 && resp->status < 300) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "%s: failed: %s%s%s",
		    what, e.code, e.message[0] ? ": " : "", e.message);
		error = DRYDOCK_ERROR;
	} else {
		error = drydock_s3__status_error(s3, resp, what);
	}
	drydock_http_response_release(resp);
	return error;
}

/* --- single objects ----------------------------------------------------- */

static void
stat_from(struct drydock_s3_stat *st, const struct drydock_http_response *resp)
{
	memset(st, 0, sizeof(*st));
	st->size = resp->content_length;
	st->mtime = resp->last_modified != NULL
	    ? drydock_s3__time(resp->last_modified)
	    : 0;
	if (resp->etag != NULL)
		drydock_s3__etag(st->etag, resp->etag);
}

int
drydock_s3_lookup(
    struct drydock_s3_stat *st, struct drydock_s3 *s3, const char *key)
{
	struct drydock_s3__req r = {.method = "HEAD", .key = key};
	struct drydock_http_response resp;
	char name[512];
	int error;

	memset(st, 0, sizeof(*st));
	drydock_s3__name(name, sizeof(name), s3, key);
	if ((error = drydock_s3__call(&resp, s3, &r, name)) < 0)
		return error;
	stat_from(st, &resp);
	drydock_http_response_release(&resp);
	return 0;
}

int
drydock_s3_read(char **out, size_t *out_len, struct drydock_s3 *s3,
    const char *key, int64_t offset, int64_t len, size_t max)
{
	struct drydock_s3__req r = {.method = "GET",
	    .key = key,
	    .range_from = offset,
	    .range_len = len < 0 ? 0 : len,
	    .max_body = max};
	struct drydock_http_response resp;
	char name[512];
	int error;

	*out = NULL;
	*out_len = 0;
	if (len == 0)
		return (*out = calloc(1, 1)) == NULL ? drydock_s3__oom() : 0;
	drydock_s3__name(name, sizeof(name), s3, key);
	if ((error = drydock_s3__send(&resp, s3, &r)) < 0)
		goto out;
	if (resp.status == 416) { /* from past the end: nothing */
		error = (*out = calloc(1, 1)) == NULL ? drydock_s3__oom() : 0;
		goto out;
	}
	if (resp.status != 200 && resp.status != 206) {
		error = drydock_s3__status_error(s3, &resp, name);
		goto out;
	}
	if (resp.body == NULL && (resp.body = calloc(1, 1)) == NULL) {
		error = drydock_s3__oom();
		goto out;
	}
	*out = resp.body;
	*out_len = resp.body_len;
	resp.body = NULL;
out:
	drydock_http_response_release(&resp);
	return error;
}

int
drydock_s3_read_cb(struct drydock_s3_stat *st, struct drydock_s3 *s3,
    const char *key, int64_t offset, int64_t len, drydock_s3_data_cb cb,
    void *payload)
{
	struct drydock_s3__req r = {.method = "GET",
	    .key = key,
	    .range_from = offset,
	    .range_len = len < 0 ? 0 : len,
	    .data_cb = cb,
	    .payload = payload,
	    .flags = DRYDOCK_HTTP_RESUME};
	struct drydock_http_response resp;
	char name[512];
	int error;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (len == 0)
		return 0;
	drydock_s3__name(name, sizeof(name), s3, key);
	if ((error = drydock_s3__send(&resp, s3, &r)) != 0)
		goto out;
	if (resp.status == 416)
		goto out;
	if (resp.status != 200 && resp.status != 206) {
		error = drydock_s3__status_error(s3, &resp, name);
		goto out;
	}
	if (st != NULL) {
		stat_from(st, &resp);
		if (offset > 0 || len > 0)
			st->size = -1; /* the range's length, not the size */
	}
out:
	drydock_http_response_release(&resp);
	return error;
}

/* A PUT of buf; if_none_match: only when the key does not exist. */
static int
put(struct drydock_s3 *s3, const char *key, const void *buf, size_t len,
    int if_none_match)
{
	struct drydock_s3__req r = {.method = "PUT",
	    .key = key,
	    .body = buf,
	    .body_len = len,
	    .content_md5 = 1,
	    .if_none_match = if_none_match};
	struct drydock_http_response resp;
	char name[512];
	int error;

	drydock_s3__name(name, sizeof(name), s3, key);
	if ((error = drydock_s3__call(&resp, s3, &r, name)) < 0)
		return error;
	drydock_http_response_release(&resp);
	return 0;
}

int
drydock_s3_write(
    struct drydock_s3 *s3, const char *key, const void *buf, size_t len)
{
	return put(s3, key, buf, len, 0);
}

unsigned long
drydock_s3__requests(const struct drydock_s3 *s3)
{
	return __atomic_load_n(&s3->requests, __ATOMIC_RELAXED);
}

int
drydock_s3__write_new(
    struct drydock_s3 *s3, const char *key, const void *buf, size_t len)
{
	return put(s3, key, buf, len, 1);
}
