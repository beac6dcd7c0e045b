/* SPDX-License-Identifier: MIT */
/*
 * s3_int.h --- what the files of the S3 client share: the client's state,
 * one signed request, the XML answers parsed (s3xml.c), URL building and
 * the parallel runner (s3util.c); the pure parts are unit-tested.
 */
#ifndef DRYDOCK_S3_INT_H
#define DRYDOCK_S3_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <drydock/http.h>
#include <drydock/s3.h>

#define DRYDOCK_S3__MIN_PART (5 << 20)
#define DRYDOCK_S3__MAX_PART ((int64_t)5 << 30)
#define DRYDOCK_S3__MAX_PARTS 10000
#define DRYDOCK_S3__BATCH 1000

struct drydock_s3 {
	struct drydock_http *http;
	char *bucket;
	char *prefix; /* "/BUCKET" path-style, "" virtual-host style */
	char *session_token;
	unsigned jobs;
	int64_t part_size, copy_part_size;
	int retries;
	unsigned backoff_ms;
	const volatile sig_atomic_t *cancel;
	unsigned long requests; /* sent (atomic): drydock_s3__requests() */
};

/* --- URLs (s3util.c) ------------------------------------------------------ */

/*
 * Where requests go: *host "HOST[:PORT]", *prefix the path before a key
 * ("/BUCKET" path-style, "" virtual-host), *https 1 or 0.  Strings new.
 * @return 0, or DRYDOCK_ERROR with a message (a bad endpoint)
 */
int drydock_s3__where(
    char **host, char **prefix, int *https, const struct drydock_s3_opts *o);

/* Out of memory: errno ENOMEM, the message; @return DRYDOCK_ERROR */
int drydock_s3__oom(void);

/* A growing string; s is NUL-terminated once anything was added. */
struct drydock_s3__buf {
	char *s; /* malloc'ed, or NULL */
	size_t len, cap;
};

/* Append n bytes of s.  @return 0, or DRYDOCK_ERROR (out of memory) */
int drydock_s3__add(struct drydock_s3__buf *b, const char *s, size_t n);

/*
 * Append s RFC 3986-encoded: everything but A-Z a-z 0-9 - . _ ~ (and /
 * when keep_slash) as %XX.  @return 0, or DRYDOCK_ERROR (out of memory)
 */
int drydock_s3__encode(
    struct drydock_s3__buf *b, const char *s, int keep_slash);

/* A query parameter; value NULL is written "name=". */
struct drydock_s3__param {
	const char *name;
	const char *value;
};

/*
 * The canonical query of SigV4 (libcurl 7.88 signs the query as given):
 * parameters sorted by name, names and values encoded, "name=" for a
 * value-less one, joined with '&'.
 * @param out a new string ("" when n is 0)
 * @return 0, or DRYDOCK_ERROR (out of memory)
 */
int drydock_s3__query(
    char **out, const struct drydock_s3__param *params, size_t n);

/* An ISO 8601 UTC time ("2024-05-01T10:20:30.123Z") or an HTTP date. */
time_t drydock_s3__time(const char *s);

/* An ETag without its quotes into etag[72]. */
void drydock_s3__etag(char *etag, const char *value);

/*
 * Run task(i) for i in [0, n) on up to jobs threads.  The first failure
 * stops tasks not yet started and comes back, its message on the calling
 * thread.  jobs <= 1 or n <= 1 runs on the calling thread.
 */
int drydock_s3__parallel(unsigned jobs, size_t n,
    int (*task)(size_t i, void *payload), void *payload);

/* --- XML answers (s3xml.c) ------------------------------------------------ */

struct drydock_s3__entry {
	char *key;
	struct drydock_s3_stat st;
	int is_prefix;
};

/* A page of ListObjectsV2. */
struct drydock_s3__list {
	struct drydock_s3__entry *v; /* Contents, then CommonPrefixes */
	size_t n, cap;
	int truncated;
	char *next_token; /* NextContinuationToken, or NULL */
};

/* One key of a DeleteObjects answer: code NULL when deleted. */
struct drydock_s3__result {
	char *key;
	char *code;
	char *message;
};

struct drydock_s3__deleted {
	struct drydock_s3__result *v;
	size_t n, cap;
};

/* An <Error> document. */
struct drydock_s3__error {
	char code[64];
	char message[256];
	char endpoint[128]; /* of a PermanentRedirect, or "" */
};

struct drydock_s3__upload {
	char *key;
	char *upload_id;
	time_t initiated;
};

/* A page of ListMultipartUploads. */
struct drydock_s3__uploads {
	struct drydock_s3__upload *v;
	size_t n, cap;
	int truncated;
	char *next_key_marker, *next_upload_id_marker;
};

/* A page of ListParts, summed. */
struct drydock_s3__parts {
	int64_t bytes;
	size_t n;
	int truncated;
	char *next_marker; /* NextPartNumberMarker, or NULL */
};

/*
 * Each parser fills *out from a whole answer and returns 0, or
 * DRYDOCK_ECORRUPT (not XML, or not that answer) or DRYDOCK_ERROR (out
 * of memory) with a message.  *out is released on failure too.
 */
int drydock_s3__parse_list(
    struct drydock_s3__list *out, const char *xml, size_t len);
void drydock_s3__list_release(struct drydock_s3__list *l);
int drydock_s3__parse_deleted(
    struct drydock_s3__deleted *out, const char *xml, size_t len);
void drydock_s3__deleted_release(struct drydock_s3__deleted *d);
int drydock_s3__parse_uploads(
    struct drydock_s3__uploads *out, const char *xml, size_t len);
void drydock_s3__uploads_release(struct drydock_s3__uploads *u);
int drydock_s3__parse_parts(
    struct drydock_s3__parts *out, const char *xml, size_t len);
void drydock_s3__parts_release(struct drydock_s3__parts *p);
/*
 * An <Error> answer.  @return 0, or DRYDOCK_ENOTFOUND when the text is
 * not one (sets no message)
 */
int drydock_s3__parse_error(
    struct drydock_s3__error *out, const char *xml, size_t len);
/*
 * The text of the element at path ("InitiateMultipartUploadResult/
 * UploadId") as a new string.  @return 0, DRYDOCK_ENOTFOUND (no such
 * element, no message), DRYDOCK_ECORRUPT or DRYDOCK_ERROR
 */
int drydock_s3__parse_value(
    char **out, const char *xml, size_t len, const char *path);

/* --- requests (s3.c) ------------------------------------------------------ */

struct drydock_s3__req {
	const char *method;
	const char *key; /* NULL: the bucket */
	const char *query; /* canonical (drydock_s3__query), or NULL */
	const void *body; /* in memory: signed with its SHA-256 */
	size_t body_len;
	int content_md5; /* 1: send the body's Content-MD5 */
	int body_fd; /* with body_size > 0: UNSIGNED-PAYLOAD */
	int64_t body_off, body_size;
	const char *copy_source; /* a key of the bucket, or NULL */
	const char *copy_bucket; /* copy_source's bucket; NULL: the client's */
	const char *copy_range; /* "bytes=A-B", or NULL */
	int if_none_match; /* 1: "If-None-Match: *" (create, never replace) */
	drydock_http_data_cb data_cb;
	void *payload;
	int64_t range_from, range_len;
	size_t max_body;
	unsigned flags; /* enum drydock_http_flags */
};

/*
 * Send one request to the bucket.  @return 0 when an answer came (check
 * resp->status), or the http client's error
 */
int drydock_s3__send(struct drydock_http_response *resp, struct drydock_s3 *s3,
    const struct drydock_s3__req *r);

/*
 * Record the error of an answer that is not what was wanted: "WHAT: ...".
 * @return DRYDOCK_ENOTFOUND (404), DRYDOCK_EAUTH (401, 403),
 * DRYDOCK_EEXISTS (412, a conditional write's) or DRYDOCK_ERROR
 */
int drydock_s3__status_error(struct drydock_s3 *s3,
    const struct drydock_http_response *resp, const char *what);

/*
 * Send r and, when the answer is a 200 holding an <Error> (CopyObject,
 * UploadPartCopy and CompleteMultipartUpload answer so when they fail
 * late) or a retryable one, send it again after a backoff.  A non-2xx
 * answer becomes an error here.  @return 0 with *resp a 2xx answer, or an
 * error
 */
int drydock_s3__call(struct drydock_http_response *resp, struct drydock_s3 *s3,
    const struct drydock_s3__req *r, const char *what);

/* "BUCKET/KEY" for messages, into buf. */
const char *drydock_s3__name(
    char *buf, size_t sz, const struct drydock_s3 *s3, const char *key);

/*
 * The requests the client has sent (each try of each request, as the
 * server bills them); for tests and reports.
 */
unsigned long drydock_s3__requests(const struct drydock_s3 *s3);

/*
 * Create key with len bytes of buf unless it exists (a PUT with
 * If-None-Match: *, which AWS S3, radosgw and MinIO honour).
 * @return 0, DRYDOCK_EEXISTS (412: the key exists), or as
 * drydock_s3_write()
 */
int drydock_s3__write_new(
    struct drydock_s3 *s3, const char *key, const void *buf, size_t len);

/* --- multipart (s3multi.c) ------------------------------------------------ */

/*
 * drydock_s3_write_fd() of size bytes of fd from offset off (not 0).
 */
int drydock_s3__write_fd_at(
    struct drydock_s3 *s3, const char *key, int fd, int64_t off, int64_t size);

/*
 * Initiate a multipart upload of key.  @param upload_id new
 * @return 0 or an error
 */
int drydock_s3__upload_begin(
    char **upload_id, struct drydock_s3 *s3, const char *key);

/*
 * Upload part number (1...10000) of upload_id: size bytes of buf (signed
 * with their SHA-256) or, with buf NULL, of fd at off.  @param etag its
 * ETag, quoted as the server sent it, for _complete (up to 72 bytes)
 */
int drydock_s3__upload_part(char *etag, struct drydock_s3 *s3, const char *key,
    const char *upload_id, unsigned number, const void *buf, int fd,
    int64_t off, int64_t size);

/* Complete upload_id from its nparts parts' ETags (etags[i] of part i+1). */
int drydock_s3__upload_complete(struct drydock_s3 *s3, const char *key,
    const char *upload_id, char (*etags)[72], size_t nparts);

#endif
