/* SPDX-License-Identifier: MIT */
/*
 * http_int.h --- the parsers of http.c, for its unit tests.
 */
#ifndef DRYDOCK_HTTP_INT_H
#define DRYDOCK_HTTP_INT_H

#include <stdint.h>
#include <time.h>

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

#endif
