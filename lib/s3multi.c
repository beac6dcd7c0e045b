/* SPDX-License-Identifier: MIT */
/*
 * s3multi.c --- multipart uploads: writing a big file in parts (several in
 * flight), copying a big object in UploadPartCopy parts, and the
 * incomplete uploads a registry leaves behind (a push abandoned before its
 * commit keeps its parts in the bucket, billed, until they are aborted):
 * listed, measured and aborted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/errors.h>
#include <drydock/http.h>
#include <drydock/s3.h>

#include "s3_int.h"

/* "uploadId=ID" and "partNumber=N&uploadId=ID" queries (new) */
static int
upload_query(char **out, const char *upload_id, unsigned number)
{
	struct drydock_s3__param p[2];
	char num[16];
	size_t n = 0;

	snprintf(num, sizeof(num), "%u", number);
	if (number > 0)
		p[n++] = (struct drydock_s3__param){"partNumber", num};
	p[n++] = (struct drydock_s3__param){"uploadId", upload_id};
	return drydock_s3__query(out, p, n);
}

int
drydock_s3__upload_begin(
    char **upload_id, struct drydock_s3 *s3, const char *key)
{
	struct drydock_s3__req r = {
	    .method = "POST", .key = key, .query = "uploads="};
	struct drydock_http_response resp;
	char name[512], what[600];
	int error;

	*upload_id = NULL;
	snprintf(what, sizeof(what), "starting a multipart upload of '%s'",
	    drydock_s3__name(name, sizeof(name), s3, key));
	if ((error = drydock_s3__call(&resp, s3, &r, what)) < 0)
		return error;
	error = drydock_s3__parse_value(upload_id, resp.body, resp.body_len,
	    "InitiateMultipartUploadResult/UploadId");
	drydock_http_response_release(&resp);
	if (error == DRYDOCK_ENOTFOUND) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_HTTP, "%s: no UploadId", what);
		error = DRYDOCK_ERROR;
	}
	return error;
}

int
drydock_s3__upload_part(char *etag, struct drydock_s3 *s3, const char *key,
    const char *upload_id, unsigned number, const void *buf, int fd,
    int64_t off, int64_t size)
{
	struct drydock_s3__req r = {.method = "PUT", .key = key};
	struct drydock_http_response resp;
	char name[512], what[600], *query = NULL;
	int error;

	if (buf != NULL) {
		r.body = buf;
		r.body_len = (size_t)size;
	} else {
		r.body_fd = fd;
		r.body_off = off;
		r.body_size = size;
	}
	if ((error = upload_query(&query, upload_id, number)) < 0)
		return error;
	r.query = query;
	snprintf(what, sizeof(what), "uploading part %u of '%s'", number,
	    drydock_s3__name(name, sizeof(name), s3, key));
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0) {
		if (resp.etag == NULL) {
			drydock_error_set(
			    DRYDOCK_ERRCLASS_HTTP, "%s: no ETag", what);
			error = DRYDOCK_ERROR;
		} else {
			snprintf(etag, 72, "%s", resp.etag);
		}
		drydock_http_response_release(&resp);
	}
	free(query);
	return error;
}

int
drydock_s3__upload_complete(struct drydock_s3 *s3, const char *key,
    const char *upload_id, char (*etags)[72], size_t nparts)
{
	struct drydock_s3__req r = {.method = "POST", .key = key};
	struct drydock_http_response resp;
	char name[512], what[600], *query = NULL, *body;
	size_t i, len = 0, cap = 128 + nparts * 128;
	int error;

	if ((body = malloc(cap)) == NULL)
		return drydock_s3__oom();
	len += (size_t)snprintf(body, cap, "<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++)
		len += (size_t)snprintf(body + len, cap - len,
		    "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>",
		    i + 1, etags[i]);
	len += (size_t)snprintf(
	    body + len, cap - len, "</CompleteMultipartUpload>");
	if ((error = upload_query(&query, upload_id, 0)) < 0)
		goto out;
	r.query = query;
	r.body = body;
	r.body_len = len;
	snprintf(what, sizeof(what), "completing the multipart upload of '%s'",
	    drydock_s3__name(name, sizeof(name), s3, key));
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0)
		drydock_http_response_release(&resp);
out:
	free(query);
	free(body);
	return error;
}

int
drydock_s3_upload_abort(
    struct drydock_s3 *s3, const char *key, const char *upload_id)
{
	struct drydock_s3__req r = {.method = "DELETE", .key = key};
	struct drydock_http_response resp;
	char name[512], what[600], *query = NULL;
	int error;

	if ((error = upload_query(&query, upload_id, 0)) < 0)
		return error;
	r.query = query;
	snprintf(what, sizeof(what), "aborting the multipart upload of '%s'",
	    drydock_s3__name(name, sizeof(name), s3, key));
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0)
		drydock_http_response_release(&resp);
	free(query);
	return error;
}

/* --- parts in flight ---------------------------------------------------- */

struct parts {
	struct drydock_s3 *s3;
	const char *key; /* the object written */
	const char *upload_id;
	int64_t size, part; /* of the whole, of a part */
	char (*etags)[72];
	/* write_fd: from this file, from this offset */
	int fd;
	int64_t base;
	/* copy: from this key */
	const char *src;
};

static void
part_range(const struct parts *ps, size_t i, int64_t *off, int64_t *len)
{
	*off = (int64_t)i * ps->part;
	*len = ps->size - *off < ps->part ? ps->size - *off : ps->part;
}

static int
write_task(size_t i, void *p)
{
	struct parts *ps = p;
	int64_t off, len;

	part_range(ps, i, &off, &len);
	return drydock_s3__upload_part(ps->etags[i], ps->s3, ps->key,
	    ps->upload_id, (unsigned)i + 1, NULL, ps->fd, ps->base + off, len);
}

/*
 * A part of a copy, through this host: its range read, then uploaded.
 * UploadPartCopy would copy it on the server, but libcurl before 8.10
 * signs x-amz-copy-source-range before x-amz-copy-source (it sorts whole
 * header lines, curl issue 14370) and every such request is refused.
 */
static int
copy_task(size_t i, void *p)
{
	struct parts *ps = p;
	char *buf = NULL;
	size_t n;
	int64_t off, len;
	int error;

	part_range(ps, i, &off, &len);
	if ((error = drydock_s3_read(
	         &buf, &n, ps->s3, ps->src, off, len, (size_t)len + 1)) < 0)
		return error;
	if ((int64_t)n != len) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "copying '%s/%.400s': it changed while being copied",
		    ps->s3->bucket, ps->src);
		error = DRYDOCK_ERROR;
	} else {
		error = drydock_s3__upload_part(ps->etags[i], ps->s3, ps->key,
		    ps->upload_id, (unsigned)i + 1, buf, -1, 0, len);
	}
	free(buf);
	return error;
}

/*
 * A multipart upload of ps->key from ps->size bytes, each part by task;
 * aborted when a part or the completion fails.
 */
static int
multipart(struct parts *ps, int (*task)(size_t i, void *payload))
{
	struct drydock_error saved;
	char *upload_id = NULL;
	size_t nparts;
	int error;

	/* S3 takes 10,000 parts at most: bigger parts for a huge object */
	if ((ps->size + ps->part - 1) / ps->part > DRYDOCK_S3__MAX_PARTS)
		ps->part = ((ps->size / DRYDOCK_S3__MAX_PARTS >> 20) + 1) << 20;
	nparts = (size_t)((ps->size + ps->part - 1) / ps->part);
	if ((ps->etags = calloc(nparts, sizeof(*ps->etags))) == NULL)
		return drydock_s3__oom();
	if ((error = drydock_s3__upload_begin(&upload_id, ps->s3, ps->key)) < 0)
		goto out;
	ps->upload_id = upload_id;
	if ((error = drydock_s3__parallel(ps->s3->jobs, nparts, task, ps)) ==
	        0 &&
	    (error = drydock_s3__upload_complete(
	         ps->s3, ps->key, upload_id, ps->etags, nparts)) == 0)
		goto out;
	/* leave no billed parts behind; the first error is the one said */
	saved = *drydock_error_last();
	(void)drydock_s3_upload_abort(ps->s3, ps->key, upload_id);
	drydock_error_restore(&saved);
out:
	free(upload_id);
	free(ps->etags);
	ps->etags = NULL;
	return error;
}

int
drydock_s3_write_fd(
    struct drydock_s3 *s3, const char *key, int fd, int64_t size)
{
	return drydock_s3__write_fd_at(s3, key, fd, 0, size);
}

int
drydock_s3__write_fd_at(
    struct drydock_s3 *s3, const char *key, int fd, int64_t off, int64_t size)
{
	struct drydock_s3__req r = {.method = "PUT",
	    .key = key,
	    .body_fd = fd,
	    .body_off = off,
	    .body_size = size};
	struct parts ps = {.s3 = s3,
	    .key = key,
	    .size = size,
	    .part = s3->part_size,
	    .fd = fd,
	    .base = off};
	struct drydock_http_response resp;
	char name[512];
	int error;

	if (size > s3->part_size)
		return multipart(&ps, write_task);
	drydock_s3__name(name, sizeof(name), s3, key);
	if ((error = drydock_s3__call(&resp, s3, &r, name)) == 0)
		drydock_http_response_release(&resp);
	return error;
}

int
drydock_s3_copy(
    struct drydock_s3 *s3, const char *src, const char *dst, int64_t size)
{
	struct drydock_s3__req r = {
	    .method = "PUT", .key = dst, .copy_source = src};
	struct parts ps = {.s3 = s3,
	    .key = dst,
	    .part = s3->copy_part_size,
	    .src = src,
	    .fd = -1};
	struct drydock_http_response resp;
	struct drydock_s3_stat st;
	char name[512], what[1000];
	int error;

	if (size < 0) {
		if ((error = drydock_s3_lookup(&st, s3, src)) < 0)
			return error;
		size = st.size;
	}
	if (size > s3->copy_part_size) {
		ps.size = size;
		return multipart(&ps, copy_task);
	}
	snprintf(what, sizeof(what), "copying '%s' to '%.400s'",
	    drydock_s3__name(name, sizeof(name), s3, src), dst);
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0)
		drydock_http_response_release(&resp);
	return error;
}

int
drydock_s3_copy_from(struct drydock_s3 *s3, const char *src_bucket,
    const char *src, const char *dst, int64_t size)
{
	struct drydock_s3__req r = {.method = "PUT",
	    .key = dst,
	    .copy_source = src,
	    .copy_bucket = src_bucket};
	struct drydock_http_response resp;
	char what[1100];
	int error;

	if (src_bucket == NULL || strcmp(src_bucket, s3->bucket) == 0)
		return drydock_s3_copy(s3, src, dst, size);
	if (size < 0 || size > s3->copy_part_size) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "copying '%s/%.400s': %s", src_bucket, src,
		    size < 0 ? "its size is not known"
		             : "too large for one CopyObject");
		return DRYDOCK_EUNSUPPORTED;
	}
	snprintf(what, sizeof(what), "copying '%s/%.400s' to '%s/%.400s'",
	    src_bucket, src, s3->bucket, dst);
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0)
		drydock_http_response_release(&resp);
	return error;
}

/* --- incomplete uploads ------------------------------------------------- */

static int
uploads_page(struct drydock_s3__uploads *page, struct drydock_s3 *s3,
    const char *prefix, const char *key_marker, const char *id_marker)
{
	struct drydock_s3__param p[4];
	struct drydock_s3__req r = {.method = "GET", .max_body = 16u << 20};
	struct drydock_http_response resp;
	char what[600], *query = NULL;
	size_t n = 0;
	int error;

	p[n++] = (struct drydock_s3__param){"uploads", NULL};
	p[n++] = (struct drydock_s3__param){"prefix", prefix};
	if (key_marker != NULL)
		p[n++] = (struct drydock_s3__param){"key-marker", key_marker};
	if (id_marker != NULL)
		p[n++] =
		    (struct drydock_s3__param){"upload-id-marker", id_marker};
	if ((error = drydock_s3__query(&query, p, n)) < 0)
		return error;
	r.query = query;
	snprintf(what, sizeof(what),
	    "listing the multipart uploads of '%s/%.400s'", s3->bucket, prefix);
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0) {
		error =
		    drydock_s3__parse_uploads(page, resp.body, resp.body_len);
		drydock_http_response_release(&resp);
	}
	free(query);
	return error;
}

int
drydock_s3_uploads_foreach(struct drydock_s3 *s3, const char *prefix,
    drydock_s3_upload_cb cb, void *payload)
{
	struct drydock_s3__uploads page;
	char *key_marker = NULL, *id_marker = NULL;
	size_t i;
	int error;

	for (;;) {
		error = uploads_page(&page, s3, prefix != NULL ? prefix : "",
		    key_marker, id_marker);
		free(key_marker);
		free(id_marker);
		key_marker = id_marker = NULL;
		if (error < 0)
			return error;
		for (i = 0; i < page.n && error == 0; i++)
			error = cb(page.v[i].key, page.v[i].upload_id,
			    page.v[i].initiated, payload);
		if (error == 0 && page.truncated) {
			key_marker = page.next_key_marker;
			id_marker = page.next_upload_id_marker;
			page.next_key_marker = page.next_upload_id_marker =
			    NULL;
		}
		drydock_s3__uploads_release(&page);
		if (error != 0 || key_marker == NULL) {
			free(id_marker);
			return error;
		}
	}
}

int
drydock_s3_upload_size(int64_t *bytes, size_t *nparts, struct drydock_s3 *s3,
    const char *key, const char *upload_id)
{
	struct drydock_s3__param p[2];
	struct drydock_s3__req r = {.method = "GET", .key = key};
	struct drydock_http_response resp;
	struct drydock_s3__parts page;
	char name[512], what[600], *query = NULL, *marker = NULL;
	int error;

	*bytes = 0;
	*nparts = 0;
	snprintf(what, sizeof(what), "listing the parts of an upload of '%s'",
	    drydock_s3__name(name, sizeof(name), s3, key));
	for (;;) {
		size_t n = 0;

		p[n++] = (struct drydock_s3__param){"uploadId", upload_id};
		if (marker != NULL)
			p[n++] = (struct drydock_s3__param){
			    "part-number-marker", marker};
		error = drydock_s3__query(&query, p, n);
		free(marker);
		marker = NULL;
		if (error < 0)
			return error;
		r.query = query;
		error = drydock_s3__call(&resp, s3, &r, what);
		free(query);
		if (error < 0)
			return error;
		error =
		    drydock_s3__parse_parts(&page, resp.body, resp.body_len);
		drydock_http_response_release(&resp);
		if (error < 0)
			return error;
		*bytes += page.bytes;
		*nparts += page.n;
		if (page.truncated) {
			marker = page.next_marker;
			page.next_marker = NULL;
		}
		drydock_s3__parts_release(&page);
		if (marker == NULL)
			return 0;
	}
}
