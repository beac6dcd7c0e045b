/* SPDX-License-Identifier: MIT */
/*
 * s3list.c --- the S3 calls over many keys: ListObjectsV2 page by page
 * (one prefix, or many in flight) and DeleteObjects in batches of up to
 * 1,000 keys, several batches in flight, each key's result reported.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/errors.h>
#include <drydock/http.h>
#include <drydock/s3.h>

#include "s3_int.h"

#define LIST_BODY_MAX (16u << 20)

/* --- ListObjectsV2 ------------------------------------------------------ */

/* One page: the listing from token (or start_after on the first). */
static int
list_page(struct drydock_s3__list *page, struct drydock_s3 *s3,
    const char *prefix, const char *delimiter, const char *start_after,
    const char *token)
{
	struct drydock_s3__param p[6];
	struct drydock_s3__req r = {.method = "GET", .max_body = LIST_BODY_MAX};
	struct drydock_http_response resp;
	char what[600], *query = NULL;
	size_t n = 0;
	int error;

	p[n++] = (struct drydock_s3__param){"list-type", "2"};
	p[n++] = (struct drydock_s3__param){"max-keys", "1000"};
	p[n++] = (struct drydock_s3__param){"prefix", prefix};
	if (delimiter != NULL)
		p[n++] = (struct drydock_s3__param){"delimiter", delimiter};
	if (token != NULL)
		p[n++] =
		    (struct drydock_s3__param){"continuation-token", token};
	else if (start_after != NULL)
		p[n++] = (struct drydock_s3__param){"start-after", start_after};
	if ((error = drydock_s3__query(&query, p, n)) < 0)
		return error;
	r.query = query;
	snprintf(what, sizeof(what), "listing '%s/%.400s'", s3->bucket, prefix);
	if ((error = drydock_s3__call(&resp, s3, &r, what)) == 0) {
		error = drydock_s3__parse_list(page, resp.body, resp.body_len);
		drydock_http_response_release(&resp);
	}
	free(query);
	return error;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct drydock_s3__entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/*
 * Every page of prefix, each one's entries (its keys and its common
 * prefixes, which S3 sends apart) in key order to cb.
 */
static int
list_all(struct drydock_s3 *s3, const char *prefix, const char *delimiter,
    const char *start_after, drydock_s3_entry_cb cb, void *payload)
{
	struct drydock_s3__list page;
	char *token = NULL;
	size_t i;
	int error;

	for (;;) {
		error =
		    list_page(&page, s3, prefix, delimiter, start_after, token);
		free(token);
		token = NULL;
		if (error < 0)
			return error;
		if (page.n > 1) /* an empty page has no array (UBSan) */
			qsort(page.v, page.n, sizeof(*page.v), entry_cmp);
		for (i = 0; i < page.n && error == 0; i++) {
			const struct drydock_s3__entry *e = &page.v[i];

			error =
			    cb(e->key, e->is_prefix ? NULL : &e->st, payload);
		}
		if (error == 0 && page.truncated) {
			token = page.next_token;
			page.next_token = NULL;
		}
		drydock_s3__list_release(&page);
		if (error != 0 || token == NULL)
			return error;
	}
}

int
drydock_s3_foreach(struct drydock_s3 *s3, const char *prefix,
    const char *delimiter, const char *start_after, drydock_s3_entry_cb cb,
    void *payload)
{
	return list_all(s3, prefix != NULL ? prefix : "", delimiter,
	    start_after, cb, payload);
}

struct many {
	struct drydock_s3 *s3;
	const char *const *prefixes;
	const char *delimiter;
	drydock_s3_entry_cb cb;
	void *payload;
	pthread_mutex_t lock; /* one cb call at a time */
	int stopped; /* cb's non-zero value, once it came */
};

static int
many_entry(const char *key, const struct drydock_s3_stat *st, void *p)
{
	struct many *m = p;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = m->stopped != 0 ? m->stopped : m->cb(key, st, m->payload);
	if (rc != 0 && m->stopped == 0)
		m->stopped = rc;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int
many_task(size_t i, void *p)
{
	struct many *m = p;

	return list_all(
	    m->s3, m->prefixes[i], m->delimiter, NULL, many_entry, m);
}

int
drydock_s3_foreach_many(struct drydock_s3 *s3, const char *const *prefixes,
    size_t n, const char *delimiter, drydock_s3_entry_cb cb, void *payload)
{
	struct many m = {.s3 = s3,
	    .prefixes = prefixes,
	    .delimiter = delimiter,
	    .cb = cb,
	    .payload = payload};
	int error;

	pthread_mutex_init(&m.lock, NULL);
	error = drydock_s3__parallel(s3->jobs, n, many_task, &m);
	pthread_mutex_destroy(&m.lock);
	/* a callback's value wins over what it stopped elsewhere */
	return m.stopped != 0 ? m.stopped : error;
}

/* --- DeleteObjects ------------------------------------------------------ */

/*
 * Append key to the XML body, escaped; a key XML 1.0 cannot carry (a
 * control character) is DRYDOCK_EUNSUPPORTED.
 */
static int
xml_key(struct drydock_s3__buf *b, const char *key)
{
	char esc[8];
	const char *p, *s;
	int error = 0;

	for (p = key; error == 0 && *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '&')
			s = "&amp;";
		else if (c == '<')
			s = "&lt;";
		else if (c == '>')
			s = "&gt;";
		else if (c == '\t' || c == '\n' || c == '\r') {
			snprintf(esc, sizeof(esc), "&#%u;", c);
			s = esc;
		} else if (c < 0x20 || c == 0x7f)
			return DRYDOCK_EUNSUPPORTED;
		else {
			error = drydock_s3__add(b, p, 1);
			continue;
		}
		error = drydock_s3__add(b, s, strlen(s));
	}
	return error;
}

static int
add_str(struct drydock_s3__buf *b, const char *s)
{
	return drydock_s3__add(b, s, strlen(s));
}

struct removal {
	struct drydock_s3 *s3;
	const char *const *keys;
	size_t n, per; /* keys in a batch */
	drydock_s3_removed_cb cb;
	void *payload;
	pthread_mutex_t lock;
	int stopped; /* cb's non-zero value */
	size_t failed; /* keys not removed */
	char first[700]; /* the first of them, said */
};

/* One key's result, to cb or counted. */
static int
report(struct removal *rm, const char *key, const char *code, const char *msg)
{
	int rc = 0;

	pthread_mutex_lock(&rm->lock);
	if (code != NULL && rm->failed++ == 0)
		snprintf(rm->first, sizeof(rm->first), "'%.400s': %s%s%.200s",
		    key, code, msg != NULL && msg[0] ? ": " : "",
		    msg != NULL ? msg : "");
	if (rm->stopped != 0)
		rc = rm->stopped;
	else if (rm->cb != NULL && (rc = rm->cb(key, code, msg, rm->payload)))
		rm->stopped = rc;
	pthread_mutex_unlock(&rm->lock);
	return rc;
}

/* The XML of keys[from, to) ("sendable": 1 for a key in the body). */
static int
delete_body(struct drydock_s3__buf *b, const struct removal *rm, size_t from,
    size_t to, char *sendable)
{
	size_t i, mark;
	int error;

	error = add_str(b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\""
	    "http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>");
	for (i = from; error == 0 && i < to; i++) {
		mark = b->len;
		if ((error = add_str(b, "<Object><Key>")) < 0)
			break;
		error = xml_key(b, rm->keys[i]);
		if (error == DRYDOCK_EUNSUPPORTED) {
			b->len = mark; /* leave it out: said apart */
			b->s[mark] = '\0';
			error = 0;
			continue;
		}
		sendable[i - from] = 1;
		if (error == 0)
			error = add_str(b, "</Key></Object>");
	}
	if (error == 0)
		error = add_str(b, "</Delete>");
	return error;
}

static int
result_cmp(const void *a, const void *b)
{
	const struct drydock_s3__result *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Each key of a batch, in order, with what the answer says of it. */
static int
report_batch(struct removal *rm, struct drydock_s3__deleted *d, size_t from,
    size_t to, const char *sendable)
{
	struct drydock_s3__result want = {0}, *got;
	size_t i;
	int rc = 0;

	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), result_cmp);
	for (i = from; rc == 0 && i < to; i++) {
		want.key = (char *)rm->keys[i];
		got = d->n == 0
		    ? NULL
		    : bsearch(&want, d->v, d->n, sizeof(*d->v), result_cmp);
		if (!sendable[i - from])
			rc = report(rm, rm->keys[i], "InvalidKey",
			    "a control character: DeleteObjects cannot carry "
			    "this key");
		else if (got == NULL)
			rc = report(rm, rm->keys[i], "NotInAnswer",
			    "the DeleteObjects answer does not mention this "
			    "key");
		else
			rc = report(rm, rm->keys[i], got->code, got->message);
	}
	return rc;
}

static int
removal_task(size_t b, void *p)
{
	struct removal *rm = p;
	size_t from = b * rm->per, to = from + rm->per;
	struct drydock_s3__req r = {
	    .method = "POST", .query = "delete=", .content_md5 = 1};
	struct drydock_s3__deleted d = {0};
	struct drydock_http_response resp;
	struct drydock_s3__buf body = {0};
	char what[128], *sendable = NULL;
	int error;

	if (to > rm->n)
		to = rm->n;
	if ((sendable = calloc(to - from, 1)) == NULL)
		return drydock_s3__oom();
	if ((error = delete_body(&body, rm, from, to, sendable)) < 0)
		goto out;
	r.body = body.s;
	r.body_len = body.len;
	snprintf(what, sizeof(what), "removing %zu keys from '%s'", to - from,
	    rm->s3->bucket);
	if ((error = drydock_s3__call(&resp, rm->s3, &r, what)) < 0)
		goto out;
	error = drydock_s3__parse_deleted(&d, resp.body, resp.body_len);
	drydock_http_response_release(&resp);
	if (error == 0)
		error = report_batch(rm, &d, from, to, sendable);
out:
	drydock_s3__deleted_release(&d);
	free(body.s);
	free(sendable);
	return error;
}

int
drydock_s3_remove(struct drydock_s3 *s3, const char *const *keys, size_t n,
    drydock_s3_removed_cb cb, void *payload)
{
	struct removal rm = {
	    .s3 = s3, .keys = keys, .n = n, .cb = cb, .payload = payload};
	size_t batches;
	int error;

	if (n == 0)
		return 0;
	/* spread a small removal over the jobs: the server is per key */
	rm.per = (n + s3->jobs - 1) / s3->jobs;
	if (rm.per > DRYDOCK_S3__BATCH)
		rm.per = DRYDOCK_S3__BATCH;
	batches = (n + rm.per - 1) / rm.per;
	pthread_mutex_init(&rm.lock, NULL);
	error = drydock_s3__parallel(s3->jobs, batches, removal_task, &rm);
	pthread_mutex_destroy(&rm.lock);
	if (rm.stopped != 0)
		return rm.stopped;
	if (error == 0 && cb == NULL && rm.failed > 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "%zu of %zu keys of '%s' were not removed; the first: %s",
		    rm.failed, n, s3->bucket, rm.first);
		error = DRYDOCK_ERROR;
	}
	return error;
}
