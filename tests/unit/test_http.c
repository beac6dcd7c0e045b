/* SPDX-License-Identifier: MIT */
/* test_http.c --- the HTTP client's parsers: challenges, Retry-After,
 * origins, loopback hosts, Link headers; a client's options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/errors.h>
#include <drydock/http.h>

#include "lib/http_int.h"

static void
test_http__challenge_bearer(void **state)
{
	struct drydock_http__challenge c;

	(void)state;
	assert_int_equal(drydock_http__challenge_parse(&c,
	                     "Bearer realm=\"https://auth.docker.io/token\","
	                     "service=\"registry.docker.io\","
	                     "scope=\"repository:library/alpine:pull\""),
	    0);
	assert_int_equal(c.scheme, DRYDOCK_HTTP__BEARER);
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/alpine:pull");
	assert_null(c.error);
	drydock_http__challenge_release(&c);

	/* unquoted values, spaces, an escaped quote, an error */
	assert_int_equal(drydock_http__challenge_parse(&c,
	                     "bearer realm=https://h/t, error=\"insufficient_"
	                     "scope\", service=\"a\\\"b\""),
	    0);
	assert_int_equal(c.scheme, DRYDOCK_HTTP__BEARER);
	assert_string_equal(c.realm, "https://h/t");
	assert_string_equal(c.service, "a\"b");
	assert_string_equal(c.error, "insufficient_scope");
	drydock_http__challenge_release(&c);
}

static void
test_http__challenge_basic(void **state)
{
	struct drydock_http__challenge c;

	(void)state;
	assert_int_equal(
	    drydock_http__challenge_parse(&c, "Basic realm=\"Registry Realm\""),
	    0);
	assert_int_equal(c.scheme, DRYDOCK_HTTP__BASIC);
	assert_string_equal(c.realm, "Registry Realm");
	drydock_http__challenge_release(&c);
	/* an unknown scheme first is skipped */
	assert_int_equal(drydock_http__challenge_parse(
	                     &c, "Negotiate x=1, Basic realm=\"r\""),
	    0);
	assert_int_equal(c.scheme, DRYDOCK_HTTP__BASIC);
	drydock_http__challenge_release(&c);
	assert_int_equal(
	    drydock_http__challenge_parse(&c, "Negotiate"), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_http__challenge_parse(&c, ""), DRYDOCK_ENOTFOUND);
}

static void
test_http__retry_after(void **state)
{
	(void)state;
	assert_int_equal(drydock_http__retry_after_ms("3", 0), 3000);
	assert_int_equal(drydock_http__retry_after_ms(" 0", 0), 0);
	assert_int_equal(drydock_http__retry_after_ms("-1", 0), -1);
	assert_int_equal(drydock_http__retry_after_ms("3x", 0), -1);
	assert_int_equal(drydock_http__retry_after_ms("junk", 0), -1);
	/* an HTTP date: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
	assert_int_equal(drydock_http__retry_after_ms(
	                     "Sun, 06 Nov 1994 08:49:37 GMT", 784111770),
	    7000);
	assert_int_equal(drydock_http__retry_after_ms(
	                     "Sun, 06 Nov 1994 08:49:37 GMT", 784111800),
	    0);
}

static void
test_http__same_origin(void **state)
{
	(void)state;
	assert_true(drydock_http__same_origin(
	    "https://r.example/v2/x", "https://R.example:443/token?x"));
	assert_true(drydock_http__same_origin(
	    "http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b"));
	assert_false(drydock_http__same_origin(
	    "https://r.example/v2/x", "https://s3.example/v2/x"));
	assert_false(drydock_http__same_origin(
	    "https://r.example/v2/x", "http://r.example/v2/x"));
	assert_false(drydock_http__same_origin(
	    "https://r.example:5000/", "https://r.example:5001/"));
	/* userinfo tricks do not change the host */
	assert_false(drydock_http__same_origin(
	    "https://r.example/", "https://r.example@evil.example/"));
	assert_false(drydock_http__same_origin("not a url", "not a url"));
}

static void
test_http__loopback(void **state)
{
	(void)state;
	assert_true(drydock_http__is_loopback("127.0.0.1"));
	assert_true(drydock_http__is_loopback("127.0.0.1:5000"));
	assert_true(drydock_http__is_loopback("localhost:5000"));
	assert_true(drydock_http__is_loopback("[::1]:5000"));
	assert_true(drydock_http__is_loopback("[::1]"));
	assert_false(drydock_http__is_loopback("127.0.0.10:5000"));
	assert_false(drydock_http__is_loopback("localhost.example:5000"));
	assert_false(drydock_http__is_loopback("[::10]:5000"));
	assert_false(drydock_http__is_loopback("registry.example"));
}

static void
test_http__link_next(void **state)
{
	char *next;

	(void)state;
	assert_int_equal(drydock_http_link_next(&next,
	                     "</v2/a/tags/list?last=x&n=100>; rel=\"next\""),
	    0);
	assert_string_equal(next, "/v2/a/tags/list?last=x&n=100");
	free(next);
	assert_int_equal(drydock_http_link_next(&next,
	                     "<https://h/p?a=1>; rel=\"prev\", "
	                     "<https://h/q?b=2>; rel=next"),
	    0);
	assert_string_equal(next, "https://h/q?b=2");
	free(next);
	assert_int_equal(
	    drydock_http_link_next(&next, "</x>; rel=\"prev\""), 0);
	assert_null(next);
	assert_int_equal(drydock_http_link_next(&next, "garbage <"), 0);
	assert_null(next);
}

static void
test_http__new(void **state)
{
	struct drydock_http_opts o;
	struct drydock_http *h = NULL;
	char dir[64], sub[128], path[192];
	FILE *f;

	(void)state;
	assert_int_equal(drydock_http_new(&h, "a/b", NULL), DRYDOCK_ERROR);
	assert_null(h);
	assert_int_equal(drydock_http_new(&h, "", NULL), DRYDOCK_ERROR);
	assert_int_equal(drydock_http_new(&h, "127.0.0.1:5000", NULL), 0);
	assert_null(drydock_http_base(h)); /* chosen on first use */
	drydock_http_free(h);
	drydock_http_free(NULL);

	/* certs.d: a client certificate without its key is refused */
	snprintf(dir, sizeof(dir), "/tmp/drydock-test-http-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/r.example:5000", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/client.cert", sub);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	drydock_http_opts_init(&o);
	o.certs_d = dir;
	assert_int_equal(
	    drydock_http_new(&h, "r.example:5000", &o), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "without its key"));
	/* another host's directory is not read */
	assert_int_equal(drydock_http_new(&h, "r.example:5001", &o), 0);
	drydock_http_free(h);
	unlink(path);
	rmdir(sub);

	/* ca_file: missing, empty, not PEM: named with what names it */
	drydock_http_opts_init(&o);
	o.certs_d = "";
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	o.ca_file = path;
	o.ca_file_name = "AWS_CA_BUNDLE";
	assert_int_equal(drydock_http_new(&h, "s3.example", &o), DRYDOCK_ERROR);
	assert_null(h);
	assert_non_null(
	    strstr(drydock_error_message(), "cannot open AWS_CA_BUNDLE '"));
	assert_non_null(strstr(drydock_error_message(), path));
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(drydock_http_new(&h, "s3.example", &o), DRYDOCK_ERROR);
	assert_non_null(
	    strstr(drydock_error_message(), "holds no PEM certificate"));
	assert_non_null(f = fopen(path, "w"));
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    f);
	fclose(f);
	assert_int_equal(drydock_http_new(&h, "s3.example", &o), DRYDOCK_ERROR);
	assert_non_null(
	    strstr(drydock_error_message(), "holds no PEM certificate"));
	/* the system's bundle is one; a directory is not */
	o.ca_file = "/etc/ssl/certs/ca-certificates.crt";
	if (access(o.ca_file, R_OK) == 0) {
		assert_int_equal(drydock_http_new(&h, "s3.example", &o), 0);
		drydock_http_free(h);
		h = NULL;
	}
	o.ca_file = dir;
	o.ca_file_name = NULL;
	assert_int_equal(drydock_http_new(&h, "s3.example", &o), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "CA file '"));
	unlink(path);
	rmdir(dir);
}

static void
test_http__scheme(void **state)
{
	struct drydock_http_opts o;
	struct drydock_http_request req = {.method = "GET", .path = "/"};
	struct drydock_http_response resp;
	struct drydock_http *h = NULL;

	(void)state;
	drydock_http_opts_init(&o);
	o.retries = 0;
	o.scheme = "ftp";
	assert_int_equal(
	    drydock_http_new(&h, "127.0.0.1:1", &o), DRYDOCK_ERROR);
	assert_null(h);
	assert_non_null(strstr(drydock_error_message(), "'ftp'"));
	/* a fixed scheme: no TLS probe of a loopback port (S3 endpoints) */
	o.scheme = "http";
	o.aws_sigv4 = "aws:amz:us-east-1:s3";
	o.username = "AKIDEXAMPLE";
	o.secret = "secret";
	assert_int_equal(drydock_http_new(&h, "127.0.0.1:1", &o), 0);
	assert_int_equal(drydock_http_request(&resp, h, &req), DRYDOCK_ERROR);
	drydock_http_response_release(&resp);
	assert_string_equal(drydock_http_base(h), "http://127.0.0.1:1");
	assert_null(strstr(drydock_error_message(), "secret"));
	drydock_http_free(h);
	/* without: the probe of a closed port leaves https */
	o.scheme = NULL;
	assert_int_equal(drydock_http_new(&h, "127.0.0.1:1", &o), 0);
	assert_int_equal(drydock_http_request(&resp, h, &req), DRYDOCK_ERROR);
	drydock_http_response_release(&resp);
	assert_string_equal(drydock_http_base(h), "https://127.0.0.1:1");
	drydock_http_free(h);
}

static void
test_http__status_error(void **state)
{
	struct drydock_http_response r;
	char body[] = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
	              "\"message\":\"manifest unknown\"}]}";

	(void)state;
	memset(&r, 0, sizeof(r));
	r.status = 404;
	r.body = body;
	r.body_len = strlen(body);
	assert_int_equal(
	    drydock_http_status_error(&r, "a:b"), DRYDOCK_ENOTFOUND);
	assert_string_equal(drydock_error_message(),
	    "a:b: HTTP 404: MANIFEST_UNKNOWN: manifest unknown");
	r.status = 403;
	r.body = NULL;
	r.body_len = 0;
	assert_int_equal(drydock_http_status_error(&r, "x"), DRYDOCK_EAUTH);
	assert_string_equal(drydock_error_message(), "x: HTTP 403");
	r.status = 500;
	assert_int_equal(drydock_http_status_error(&r, "x"), DRYDOCK_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http__challenge_bearer),
	    cmocka_unit_test(test_http__challenge_basic),
	    cmocka_unit_test(test_http__retry_after),
	    cmocka_unit_test(test_http__same_origin),
	    cmocka_unit_test(test_http__loopback),
	    cmocka_unit_test(test_http__link_next),
	    cmocka_unit_test(test_http__new),
	    cmocka_unit_test(test_http__scheme),
	    cmocka_unit_test(test_http__status_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
