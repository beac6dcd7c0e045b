/* SPDX-License-Identifier: MIT */
/*
 * http_int.h --- what http.c, httpauth.c and httpcerts.c share: the
 * client's state, the request loop, the parsers (for the unit tests too).
 */
#ifndef DRYDOCK_HTTP_INT_H
#define DRYDOCK_HTTP_INT_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include <drydock/http.h>

enum { DRYDOCK_HTTP__NONE = 0, DRYDOCK_HTTP__BASIC, DRYDOCK_HTTP__BEARER };

/* One WWW-Authenticate challenge (strings new or NULL). */
struct drydock_http__challenge {
	int scheme; /* DRYDOCK_HTTP__* */
	char *realm, *service, *scope, *error;
};

/*
 * The first Basic or Bearer challenge of a WWW-Authenticate value.
 * @return 0, DRYDOCK_ENOTFOUND (neither), DRYDOCK_ERROR (out of memory)
 */
int drydock_http__challenge_parse(
    struct drydock_http__challenge *c, const char *value);
void drydock_http__challenge_release(struct drydock_http__challenge *c);

/*
 * A Retry-After value (seconds, or an HTTP date) as milliseconds from
 * now, or -1 when unreadable.
 */
int64_t drydock_http__retry_after_ms(const char *value, time_t now);

/*
 * 1 when two absolute URLs have the same scheme, host and port (the
 * default ports of http and https filled in).
 */
int drydock_http__same_origin(const char *a, const char *b);

/* 1 when host (HOST[:PORT], IPv6 in brackets) is 127.0.0.1, ::1 or
 * localhost: where plain http is allowed */
int drydock_http__is_loopback(const char *host);

/* --- the client (http.c) ---------------------------------------------- */

struct token {
	char *scope;
	char *value;
	int64_t expires; /* CLOCK_MONOTONIC ms */
};

struct drydock_http {
	char *host; /* HOST[:PORT] as given */
	int loopback;
	char *base; /* "https://HOST[:PORT]", chosen on first use */
	int tls_verify;
	char *username, *secret;
	int retries;
	unsigned backoff_ms, max_wait_ms;
	char *user_agent;
	char *scheme_fixed; /* "http", "https", or NULL (opts.scheme) */
	char *aws_sigv4; /* opts.aws_sigv4, or NULL */
	unsigned max_connections; /* opts.max_connections */
	char *ca; /* the system CAs and certs.d's, or NULL: curl's own */
	size_t ca_len;
	/* opts.ca_file and what to call it, for messages, or NULL */
	char *ca_file, *ca_file_name;
	char *client_cert, *client_key;
	const volatile sig_atomic_t *cancel;
	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock; /* everything below */
	CURL **pool;
	size_t npool, cappool;
	int scheme; /* DRYDOCK_HTTP__*: what the registry asked for */
	char *realm, *service;
	struct token *tokens;
	size_t ntokens;
};

int drydock_http__oom(void);
/* CLOCK_MONOTONIC, in milliseconds */
int64_t drydock_http__now_ms(void);
/* Overwrite and free a secret. */
void drydock_http__forget(char *s);
/*
 * opts.ca_file, then the host's certs.d files (httpcerts.c): h->ca,
 * h->ca_file, h->client_cert and h->client_key.  @return 0, or
 * DRYDOCK_ERROR (a file unreadable, a ca_file without a certificate, a
 * client certificate without its key)
 */
int drydock_http__load_certs(
    struct drydock_http *h, const struct drydock_http_opts *o);
/* A URL without its query (signatures live there), for messages. */
void drydock_http__url_for_message(char *buf, size_t sz, const char *url);
/*
 * drydock_http_request() once the scheme is chosen; fixed_auth: the
 * Authorization of every request to the URL's own origin, with no
 * challenge answered (a token server's request)
 */
int drydock_http__request_loop(struct drydock_http_response *resp,
    struct drydock_http *h, const struct drydock_http_request *req,
    const char *fixed_auth);

/* --- authentication (httpauth.c) ---------------------------------------- */

/* The Authorization value for a request of scope (new), or NULL. */
char *drydock_http__auth_value(struct drydock_http *h, const char *scope);
/*
 * A 401 with the WWW-Authenticate value www_auth (or NULL).  @return 0
 * when a retry with the credentials or token now known may pass, or
 * DRYDOCK_EAUTH with a message.
 */
int drydock_http__answer_challenge(struct drydock_http *h, const char *www_auth,
    const char *scope, int sent_auth);

#endif
