/* SPDX-License-Identifier: MIT */
/*
 * s3xml.c --- the XML answers of S3 read with libexpat: ListObjectsV2,
 * DeleteObjects, ListMultipartUploads, ListParts, <Error> documents and
 * single values (an UploadId, a copy's ETag).
 *
 * One walker serves every answer: it keeps the path of element names from
 * the root ("ListBucketResult/Contents/Key") and hands each element's
 * text to the answer's handler when the element ends; a record
 * ("Contents", "Deleted") is started by the handler for its start tag.
 * A document that declares entities is refused (S3 never sends one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include <drydock/errors.h>

#include "s3_int.h"

#define PATH_MAX_LEN 512
#define DEPTH_MAX 16
#define TEXT_MAX (64u << 10)

struct walker {
	XML_Parser parser;
	char path[PATH_MAX_LEN];
	size_t at[DEPTH_MAX]; /* path length before each open element */
	unsigned depth, deep; /* deep: elements open below DEPTH_MAX */
	char *text;
	size_t len, cap;
	int error; /* the first handler failure */
	const char *root; /* the root element expected, or NULL */
	/* a record begins (path of its element) */
	int (*on_start)(void *ctx, const char *path);
	/* an element ends, with its text */
	int (*on_end)(void *ctx, const char *path, const char *text);
	void *ctx;
};

static void
stop(struct walker *w, int error)
{
	if (w->error == 0)
		w->error = error;
	XML_StopParser(w->parser, XML_FALSE);
}

static void XMLCALL
on_start(void *p, const XML_Char *name, const XML_Char **attrs)
{
	struct walker *w = p;
	size_t n = strlen(name), at;
	int rc;

	(void)attrs;
	w->len = 0;
	if (w->depth == 0 && w->root != NULL && strcmp(name, w->root) != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answered <%s> where <%s> was expected", name, w->root);
		stop(w, DRYDOCK_ECORRUPT);
		return;
	}
	if (w->deep > 0 || w->depth == DEPTH_MAX) {
		w->deep++;
		return;
	}
	at = strlen(w->path);
	if (at + n + 2 > sizeof(w->path)) {
		w->deep++;
		return;
	}
	w->at[w->depth++] = at;
	if (at > 0)
		w->path[at++] = '/';
	memcpy(w->path + at, name, n + 1);
	if (w->on_start != NULL && (rc = w->on_start(w->ctx, w->path)) < 0)
		stop(w, rc);
}

static void XMLCALL
on_end(void *p, const XML_Char *name)
{
	struct walker *w = p;
	int rc;

	(void)name;
	if (w->deep > 0) {
		w->deep--;
		return;
	}
	if (w->text != NULL)
		w->text[w->len] = '\0';
	if (w->on_end != NULL &&
	    (rc = w->on_end(w->ctx, w->path, w->text ? w->text : "")) < 0)
		stop(w, rc);
	w->len = 0;
	w->path[w->at[--w->depth]] = '\0';
}

static void XMLCALL
on_text(void *p, const XML_Char *s, int n)
{
	struct walker *w = p;
	char *t;
	size_t cap;

	if (w->deep > 0 || n <= 0)
		return;
	if (w->len + (size_t)n + 1 > TEXT_MAX) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: the text of <%s> is longer than %u bytes",
		    w->path, TEXT_MAX);
		stop(w, DRYDOCK_ECORRUPT);
		return;
	}
	if (w->len + (size_t)n + 1 > w->cap) {
		for (cap = w->cap ? w->cap : 256; cap < w->len + (size_t)n + 1;)
			cap *= 2;
		if ((t = realloc(w->text, cap)) == NULL) {
			stop(w, drydock_s3__oom());
			return;
		}
		w->text = t;
		w->cap = cap;
	}
	memcpy(w->text + w->len, s, (size_t)n);
	w->len += (size_t)n;
}

static void XMLCALL
on_entity(void *p, const XML_Char *name, int param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *system_id,
    const XML_Char *public_id, const XML_Char *notation)
{
	struct walker *w = p;

	(void)param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)system_id;
	(void)public_id;
	(void)notation;
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
	    "S3 answer declares the entity '%s': refused", name);
	stop(w, DRYDOCK_ECORRUPT);
}

/* Walk a whole document. */
static int
walk(struct walker *w, const char *xml, size_t len)
{
	enum XML_Status st;
	int error = 0;

	if ((w->parser = XML_ParserCreate("UTF-8")) == NULL)
		return drydock_s3__oom();
	XML_SetUserData(w->parser, w);
	XML_SetElementHandler(w->parser, on_start, on_end);
	XML_SetCharacterDataHandler(w->parser, on_text);
	XML_SetEntityDeclHandler(w->parser, on_entity);
	st = XML_Parse(w->parser, xml, (int)len, XML_TRUE);
	if (w->error != 0) {
		error = w->error;
	} else if (st != XML_STATUS_OK) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer is not XML: %s at line %lu",
		    XML_ErrorString(XML_GetErrorCode(w->parser)),
		    (unsigned long)XML_GetCurrentLineNumber(w->parser));
		error = DRYDOCK_ECORRUPT;
	}
	XML_ParserFree(w->parser);
	free(w->text);
	return error;
}

/*
 * Walk a page of a paged listing: a truncated one must say where the next
 * one starts (marker, named for the message).
 */
static int
walk_page(struct walker *w, const char *xml, size_t len, const int *truncated,
    char *const *marker, const char *what)
{
	int error;

	if ((error = walk(w, xml, len)) < 0)
		return error;
	if (*truncated && *marker == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: a truncated %s without its marker", what);
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

static int
is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

static int
dup_to(char **slot, const char *s)
{
	free(*slot);
	if ((*slot = strdup(s)) == NULL)
		return drydock_s3__oom();
	return 0;
}

/* Grow an array of records (v, n, cap) by one zeroed record. */
static int
grow(void **v, size_t *n, size_t *cap, size_t size)
{
	void *nv;
	size_t c;

	if (*n == *cap) {
		c = *cap ? *cap * 2 : 64;
		if ((nv = realloc(*v, c * size)) == NULL)
			return drydock_s3__oom();
		*v = nv;
		*cap = c;
	}
	memset((char *)*v + *n * size, 0, size);
	(*n)++;
	return 0;
}

static int
parse_int64(int64_t *out, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: '%.40s' is not a size", s);
		return DRYDOCK_ECORRUPT;
	}
	*out = v;
	return 0;
}

/* --- ListObjectsV2 ------------------------------------------------------ */

#define LB "ListBucketResult/"

static int
list_start(void *ctx, const char *path)
{
	struct drydock_s3__list *l = ctx;
	int error;

	if (!is(path, LB "Contents") && !is(path, LB "CommonPrefixes"))
		return 0;
	if ((error = grow((void **)&l->v, &l->n, &l->cap, sizeof(*l->v))) < 0)
		return error;
	l->v[l->n - 1].is_prefix = is(path, LB "CommonPrefixes");
	return 0;
}

static int
list_end(void *ctx, const char *path, const char *text)
{
	struct drydock_s3__list *l = ctx;
	struct drydock_s3__entry *e = l->n > 0 ? &l->v[l->n - 1] : NULL;

	if (is(path, LB "IsTruncated"))
		l->truncated = strcmp(text, "true") == 0;
	else if (is(path, LB "NextContinuationToken"))
		return dup_to(&l->next_token, text);
	else if (e == NULL)
		return 0;
	else if (is(path, LB "Contents/Key") ||
	    is(path, LB "CommonPrefixes/Prefix"))
		return dup_to(&e->key, text);
	else if (is(path, LB "Contents/Size"))
		return parse_int64(&e->st.size, text);
	else if (is(path, LB "Contents/LastModified"))
		e->st.mtime = drydock_s3__time(text);
	else if (is(path, LB "Contents/ETag"))
		drydock_s3__etag(e->st.etag, text);
	else if ((is(path, LB "Contents") || is(path, LB "CommonPrefixes")) &&
	    e->key == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: a listed %s without its key",
		    e->is_prefix ? "prefix" : "object");
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

int
drydock_s3__parse_list(
    struct drydock_s3__list *out, const char *xml, size_t len)
{
	struct walker w = {.root = "ListBucketResult",
	    .on_start = list_start,
	    .on_end = list_end,
	    .ctx = out};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = walk_page(&w, xml, len, &out->truncated, &out->next_token,
	         "listing (NextContinuationToken)")) < 0)
		drydock_s3__list_release(out);
	return error;
}

void
drydock_s3__list_release(struct drydock_s3__list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

/* --- DeleteObjects ------------------------------------------------------ */

#define DR "DeleteResult/"

static int
deleted_start(void *ctx, const char *path)
{
	struct drydock_s3__deleted *d = ctx;

	if (!is(path, DR "Deleted") && !is(path, DR "Error"))
		return 0;
	return grow((void **)&d->v, &d->n, &d->cap, sizeof(*d->v));
}

static int
deleted_end(void *ctx, const char *path, const char *text)
{
	struct drydock_s3__deleted *d = ctx;
	struct drydock_s3__result *r = d->n > 0 ? &d->v[d->n - 1] : NULL;

	if (r == NULL)
		return 0;
	if (is(path, DR "Deleted/Key") || is(path, DR "Error/Key"))
		return dup_to(&r->key, text);
	if (is(path, DR "Error/Code"))
		return dup_to(&r->code, text[0] ? text : "UnknownError");
	if (is(path, DR "Error/Message"))
		return dup_to(&r->message, text);
	if (is(path, DR "Error") && r->code == NULL)
		return dup_to(&r->code, "UnknownError");
	if ((is(path, DR "Deleted") || is(path, DR "Error")) &&
	    r->key == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: a DeleteObjects result without its key");
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

int
drydock_s3__parse_deleted(
    struct drydock_s3__deleted *out, const char *xml, size_t len)
{
	struct walker w = {.root = "DeleteResult",
	    .on_start = deleted_start,
	    .on_end = deleted_end,
	    .ctx = out};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = walk(&w, xml, len)) < 0)
		drydock_s3__deleted_release(out);
	return error;
}

void
drydock_s3__deleted_release(struct drydock_s3__deleted *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].code);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* --- ListMultipartUploads ----------------------------------------------- */

#define LU "ListMultipartUploadsResult/"

static int
uploads_start(void *ctx, const char *path)
{
	struct drydock_s3__uploads *u = ctx;

	if (!is(path, LU "Upload"))
		return 0;
	return grow((void **)&u->v, &u->n, &u->cap, sizeof(*u->v));
}

static int
uploads_end(void *ctx, const char *path, const char *text)
{
	struct drydock_s3__uploads *u = ctx;
	struct drydock_s3__upload *e = u->n > 0 ? &u->v[u->n - 1] : NULL;

	if (is(path, LU "IsTruncated"))
		u->truncated = strcmp(text, "true") == 0;
	else if (is(path, LU "NextKeyMarker"))
		return dup_to(&u->next_key_marker, text);
	else if (is(path, LU "NextUploadIdMarker"))
		return dup_to(&u->next_upload_id_marker, text);
	else if (e == NULL)
		return 0;
	else if (is(path, LU "Upload/Key"))
		return dup_to(&e->key, text);
	else if (is(path, LU "Upload/UploadId"))
		return dup_to(&e->upload_id, text);
	else if (is(path, LU "Upload/Initiated"))
		e->initiated = drydock_s3__time(text);
	else if (is(path, LU "Upload") &&
	    (e->key == NULL || e->upload_id == NULL)) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "S3 answer: an upload without its key or UploadId");
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

int
drydock_s3__parse_uploads(
    struct drydock_s3__uploads *out, const char *xml, size_t len)
{
	struct walker w = {.root = "ListMultipartUploadsResult",
	    .on_start = uploads_start,
	    .on_end = uploads_end,
	    .ctx = out};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = walk_page(&w, xml, len, &out->truncated,
	         &out->next_key_marker, "upload listing (NextKeyMarker)")) < 0)
		drydock_s3__uploads_release(out);
	return error;
}

void
drydock_s3__uploads_release(struct drydock_s3__uploads *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->v[i].key);
		free(u->v[i].upload_id);
	}
	free(u->v);
	free(u->next_key_marker);
	free(u->next_upload_id_marker);
	memset(u, 0, sizeof(*u));
}

/* --- ListParts ---------------------------------------------------------- */

#define LP "ListPartsResult/"

static int
parts_end(void *ctx, const char *path, const char *text)
{
	struct drydock_s3__parts *p = ctx;
	int64_t size;
	int error;

	if (is(path, LP "IsTruncated"))
		p->truncated = strcmp(text, "true") == 0;
	else if (is(path, LP "NextPartNumberMarker"))
		return dup_to(&p->next_marker, text);
	else if (is(path, LP "Part/Size")) {
		if ((error = parse_int64(&size, text)) < 0)
			return error;
		p->bytes += size;
		p->n++;
	}
	return 0;
}

int
drydock_s3__parse_parts(
    struct drydock_s3__parts *out, const char *xml, size_t len)
{
	struct walker w = {
	    .root = "ListPartsResult", .on_end = parts_end, .ctx = out};
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = walk_page(&w, xml, len, &out->truncated, &out->next_marker,
	         "part listing (NextPartNumberMarker)")) < 0)
		drydock_s3__parts_release(out);
	return error;
}

void
drydock_s3__parts_release(struct drydock_s3__parts *p)
{
	free(p->next_marker);
	memset(p, 0, sizeof(*p));
}

/* --- <Error> and single values ------------------------------------------ */

static void
copy_text(char *dst, size_t sz, const char *text)
{
	snprintf(dst, sz, "%s", text);
}

static int
error_end(void *ctx, const char *path, const char *text)
{
	struct drydock_s3__error *e = ctx;

	if (is(path, "Error/Code"))
		copy_text(e->code, sizeof(e->code), text);
	else if (is(path, "Error/Message"))
		copy_text(e->message, sizeof(e->message), text);
	else if (is(path, "Error/Endpoint"))
		copy_text(e->endpoint, sizeof(e->endpoint), text);
	return 0;
}

int
drydock_s3__parse_error(
    struct drydock_s3__error *out, const char *xml, size_t len)
{
	struct drydock_error saved = *drydock_error_last();
	struct walker w = {.root = "Error", .on_end = error_end, .ctx = out};

	memset(out, 0, sizeof(*out));
	if (xml == NULL || len == 0 || walk(&w, xml, len) < 0 ||
	    out->code[0] == '\0') {
		/* not an <Error>: the caller says what it got instead */
		drydock_error_restore(&saved);
		memset(out, 0, sizeof(*out));
		return DRYDOCK_ENOTFOUND;
	}
	return 0;
}

struct value_ctx {
	const char *path;
	char *value;
};

static int
value_end(void *ctx, const char *path, const char *text)
{
	struct value_ctx *v = ctx;

	if (v->value == NULL && is(path, v->path))
		return dup_to(&v->value, text);
	return 0;
}

int
drydock_s3__parse_value(
    char **out, const char *xml, size_t len, const char *path)
{
	struct value_ctx v = {.path = path};
	struct walker w = {.on_end = value_end, .ctx = &v};
	int error;

	*out = NULL;
	if ((error = walk(&w, xml, len)) < 0) {
		free(v.value);
		return error;
	}
	if (v.value == NULL)
		return DRYDOCK_ENOTFOUND;
	*out = v.value;
	return 0;
}
