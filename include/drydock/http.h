/* SPDX-License-Identifier: MIT */
/*
 * http.h --- an HTTP client for one registry host (the distribution API),
 * on libcurl with OpenSSL.
 *
 * A client talks to one HOST[:PORT] over https, or over plain http when
 * the host is 127.0.0.1, ::1 or localhost and does not speak TLS.  Its
 * requests may run on several threads at once: connections, DNS and TLS
 * sessions are shared and reused.  It authenticates as the docker and
 * podman clients do: a 401's WWW-Authenticate challenge is answered with
 * Basic credentials, or with a Bearer token fetched from the challenge's
 * realm for its service and the request's scope; tokens are kept per
 * scope.  Redirects are followed (at most 10), and Authorization is never
 * sent to another host than the registry's.  429 waits for Retry-After,
 * 5xx and dropped connections are retried with exponential backoff, and a
 * response body that a dropped connection cut short is resumed with a
 * Range request.  No message the client records holds a credential, a
 * token or a URL's query (signed URLs carry secrets there).
 *
 * TLS: the system's CAs, plus the *.crt files of the host's directory
 * under /etc/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/ (a
 * *.cert with its *.key is a client certificate), as containers-certs.d(5)
 * says; opts.ca_file replaces the system's CA bundle.  A server whose
 * certificate cannot be verified fails the request with DRYDOCK_ERROR and
 * a message of class DRYDOCK_ERRCLASS_SSL naming the server's origin, so
 * that a caller can add its own advice.
 *
 * With aws_sigv4 set (an S3 endpoint, lib/s3.c), the client signs each
 * request to its own origin with AWS Signature Version 4 (libcurl's
 * CURLOPT_AWS_SIGV4) instead of answering challenges.  libcurl 7.88 signs
 * the URL as it is given: the caller writes the query canonical (sorted,
 * RFC 3986-encoded, "name=" for a value-less one) and adds the
 * x-amz-content-sha256 header, which is then signed with the others.
 */
#ifndef DRYDOCK_HTTP_H
#define DRYDOCK_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_http;

struct drydock_http_opts {
	int tls_verify; /* 1 (default): verify the server; 0: do not */
	/*
	 * a directory of *.crt, *.cert and *.key to use instead of the
	 * certs.d lookup (skopeo's --cert-dir), or NULL
	 */
	const char *cert_dir;
	/*
	 * ':'-separated directories holding HOST[:PORT] directories; NULL:
	 * /etc/containers/certs.d:/etc/docker/certs.d
	 */
	const char *certs_d;
	const char *username; /* NULL: anonymous; "<token>": secret is an
	                         identity (refresh) token */
	const char *secret;
	int retries; /* attempts after the first; -1 (default): 5 */
	unsigned backoff_ms; /* first wait, doubled each time (default 250) */
	unsigned max_wait_ms; /* longest wait, Retry-After too (60000) */
	const char *user_agent; /* NULL: "drydock/VERSION" */
	/*
	 * "http" or "https": always that scheme; NULL: https, or http on a
	 * loopback host whose port does not speak TLS
	 */
	const char *scheme;
	/*
	 * "PROVIDER1:PROVIDER2:REGION:SERVICE" ("aws:amz:us-east-1:s3"):
	 * sign requests with AWS SigV4, username the access key and secret
	 * the secret key; no challenge is answered.  NULL: no signing.
	 */
	const char *aws_sigv4;
	/*
	 * connections kept open for reuse (CURLOPT_MAXCONNECTS of the shared
	 * cache): at least the requests run at once, or each one beyond
	 * closes a connection when it ends; 0: libcurl's 5
	 */
	unsigned max_connections;
	/*
	 * a PEM file of CAs trusted in place of the system's bundle
	 * (/etc/ssl/certs/ca-certificates.crt; libcurl's CA directory,
	 * /etc/ssl/certs, is still read), read once by drydock_http_new(),
	 * which fails when it cannot be read or holds no certificate;
	 * certs.d's *.crt are added to it.  NULL: the system's bundle.
	 */
	const char *ca_file;
	/*
	 * what messages call ca_file ("AWS_CA_BUNDLE": where the caller
	 * found it); NULL: "CA file"
	 */
	const char *ca_file_name;
};

/* Fill *o with the defaults. */
DRYDOCK_EXTERN void drydock_http_opts_init(struct drydock_http_opts *o);

enum drydock_http_flags {
	/* a 2xx body cut short is resumed from where it stopped (Range) */
	DRYDOCK_HTTP_RESUME = 1 << 0,
	/* never retried (a PATCH of an upload's next chunk) */
	DRYDOCK_HTTP_NO_RETRY = 1 << 1
};

/*
 * Bytes of a 2xx response body, in order.  Return 0 to go on; anything
 * else stops the transfer and comes back from drydock_http_request().
 */
typedef int (*drydock_http_data_cb)(const void *buf, size_t len, void *payload);

struct drydock_http_request {
	const char *method; /* "GET", "HEAD", "PUT", "POST", "PATCH", ... */
	/* "/v2/..." on the client's host, or an absolute URL (a Location) */
	const char *path;
	/*
	 * the token scope(s), ' '-separated ("repository:a/b:pull,push
	 * repository:c:pull"), or NULL
	 */
	const char *scope;
	const char *accept; /* NULL: none */
	const char *content_type; /* of the body; NULL: none */
	const void *body; /* in memory, or NULL */
	size_t body_len;
	int body_fd; /* with body_size > 0: the body is body_size bytes */
	int64_t body_off; /* of body_fd from body_off */
	int64_t body_size;
	const char *content_range; /* "FIRST-LAST" of a chunk, or NULL */
	drydock_http_data_cb data_cb; /* NULL: a 2xx body is collected */
	void *payload;
	size_t max_body; /* a collected body's limit (0: 4 MiB) */
	int64_t range_from; /* > 0: ask for the bytes from there on */
	/*
	 * > 0: ask for range_len bytes from range_from (a 200 that ignores
	 * the Range is cut to them)
	 */
	int64_t range_len;
	/* more header lines ("Name: value"), NULL-terminated, or NULL */
	const char *const *headers;
	unsigned flags; /* enum drydock_http_flags */
};

/* What came back.  Strings are new, or NULL when absent. */
struct drydock_http_response {
	long status;
	char *body; /* a collected body, NUL-terminated; non-2xx bodies
	               are always collected (64 KiB at most) */
	size_t body_len;
	char *content_type;
	char *location; /* absolute */
	char *digest; /* Docker-Content-Digest */
	char *link; /* Link */
	char *range; /* Range (an upload's progress) */
	char *etag; /* ETag, as sent (quoted) */
	char *last_modified; /* Last-Modified */
	int64_t content_length; /* -1 when not said */
	uint64_t received; /* body bytes passed to data_cb */
	unsigned attempts; /* requests sent, retries and auth included */
};

/*
 * A client for host ("HOST" or "HOST:PORT"; an IPv6 address in
 * brackets).  No connection is made yet.
 *
 * @param out the new client (drydock_http_free)
 * @param o options (borrowed for the call; strings are copied), or NULL
 * @return 0, or DRYDOCK_ERROR (a bad host, a certs.d file or ca_file
 * unreadable, a ca_file without a certificate)
 */
DRYDOCK_EXTERN int drydock_http_new(struct drydock_http **out, const char *host,
    const struct drydock_http_opts *o);

DRYDOCK_EXTERN void drydock_http_free(struct drydock_http *h);

/*
 * Stop waits and transfers once *flag is non-zero (a signal handler's
 * flag): a request then fails with DRYDOCK_EINTR.
 */
DRYDOCK_EXTERN void drydock_http_set_cancel(
    struct drydock_http *h, const volatile sig_atomic_t *flag);

/*
 * Send a request; answer 401 challenges, follow redirects, retry.
 *
 * @param resp the response (drydock_http_response_release), filled even
 * when the call fails
 * @return 0 when a response came (any status: check resp->status), the
 * data callback's non-zero value, DRYDOCK_EAUTH (the registry or its
 * token server refused the credentials, or wants some and there are
 * none), DRYDOCK_EINTR, or DRYDOCK_ERROR (no connection, TLS, a body cut
 * short and not resumed, retries used up; a certificate that could not be
 * verified: class DRYDOCK_ERRCLASS_SSL)
 */
DRYDOCK_EXTERN int drydock_http_request(struct drydock_http_response *resp,
    struct drydock_http *h, const struct drydock_http_request *req);

/* Free what *resp holds and zero it. */
DRYDOCK_EXTERN void drydock_http_response_release(
    struct drydock_http_response *resp);

/*
 * Record an error for a response that is not what was wanted: "WHAT:
 * HTTP 404: <the registry's error code and message>".
 *
 * @return DRYDOCK_ENOTFOUND (404), DRYDOCK_EAUTH (401, 403), or
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_http_status_error(
    const struct drydock_http_response *resp, const char *what);

/*
 * "https://HOST:PORT" or "http://..." once the first request has chosen
 * (borrowed), else NULL.
 */
DRYDOCK_EXTERN const char *drydock_http_base(const struct drydock_http *h);

/*
 * The next page of a paged list: the Link header's <URL>; rel="next"
 * target, as a path or an absolute URL.
 *
 * @param out a new string, or NULL when there is no next page
 * @return 0, or DRYDOCK_ERROR (out of memory)
 */
DRYDOCK_EXTERN int drydock_http_link_next(char **out, const char *link);

#ifdef __cplusplus
}
#endif

#endif
