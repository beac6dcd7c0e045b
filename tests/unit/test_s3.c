/* SPDX-License-Identifier: MIT */
/*
 * test_s3.c --- the S3 client's pure parts: where requests go, the
 * canonical query libcurl's SigV4 signs, times and ETags, the XML answers
 * (ListObjectsV2, DeleteObjects, errors, multipart listings) and the
 * parallel runner.  t5010 runs the rest against a real radosgw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include <drydock/errors.h>
#include <drydock/s3.h>

#include "lib/s3_int.h"

#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define XMLDECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void
where_ok(const char *endpoint, const char *bucket, int secure, const char *host,
    const char *prefix, int https)
{
	struct drydock_s3_opts o;
	char *h, *p;
	int s;

	drydock_s3_opts_init(&o);
	o.endpoint = endpoint;
	o.region = "eu-west-1";
	o.bucket = bucket;
	o.secure = secure;
	if (drydock_s3__where(&h, &p, &s, &o) != 0)
		fail_msg("%s %s: %s", endpoint ? endpoint : "(aws)", bucket,
		    drydock_error_message());
	assert_string_equal(h, host);
	assert_string_equal(p, prefix);
	assert_int_equal(s, https);
	free(h);
	free(p);
}

static void
test_s3__where(void **state)
{
	struct drydock_s3_opts o;
	char *h, *p;
	int s;

	(void)state;
	/* a regionendpoint: path-style, as distribution 2.8 forces it */
	where_ok("http://127.0.0.1:7480", "registry", 1, "127.0.0.1:7480",
	    "/registry", 0);
	where_ok("https://minio.example:9000/", "reg", 0, "minio.example:9000",
	    "/reg", 1);
	where_ok("s3.example", "reg", 1, "s3.example", "/reg", 1);
	where_ok("s3.example", "reg", 0, "s3.example", "/reg", 0);
	where_ok("http://h/sub/path/", "b", 1, "h", "/sub/path/b", 0);
	/* AWS: virtual-host style where the bucket can be a host name */
	where_ok(NULL, "my-registry", 1,
	    "my-registry.s3.eu-west-1.amazonaws.com", "", 1);
	where_ok("", "my-registry", 0, "my-registry.s3.eu-west-1.amazonaws.com",
	    "", 0);
	/* a dot breaks *.s3.amazonaws.com's certificate: path-style */
	where_ok(NULL, "my.registry", 1, "s3.eu-west-1.amazonaws.com",
	    "/my.registry", 1);
	where_ok(NULL, "my.registry", 0,
	    "my.registry.s3.eu-west-1.amazonaws.com", "", 0);
	where_ok(NULL, "Upper_Case", 1, "s3.eu-west-1.amazonaws.com",
	    "/Upper_Case", 1);
	where_ok(
	    NULL, "10.1.2.3", 0, "s3.eu-west-1.amazonaws.com", "/10.1.2.3", 0);

	drydock_s3_opts_init(&o);
	o.region = "eu-west-1";
	assert_int_equal(drydock_s3__where(&h, &p, &s, &o), DRYDOCK_ERROR);
	assert_non_null(
	    strstr(drydock_error_message(), "a region and a bucket"));
	o.bucket = "b";
	o.endpoint = "ftp://h";
	assert_int_equal(drydock_s3__where(&h, &p, &s, &o), DRYDOCK_ERROR);
	assert_non_null(
	    strstr(drydock_error_message(), "not an http or https"));
	o.endpoint = "http://user@h";
	assert_int_equal(drydock_s3__where(&h, &p, &s, &o), DRYDOCK_ERROR);
	o.endpoint = "http://";
	assert_int_equal(drydock_s3__where(&h, &p, &s, &o), DRYDOCK_ERROR);
	o.endpoint = NULL;
	o.region = "";
	assert_int_equal(drydock_s3__where(&h, &p, &s, &o), DRYDOCK_ERROR);
	assert_null(h);
	assert_null(p);
}

static void
test_s3__new(void **state)
{
	struct drydock_s3_opts o;
	struct drydock_s3 *s3;

	(void)state;
	drydock_s3_opts_init(&o);
	assert_int_equal(o.secure, 1);
	assert_int_equal(o.part_size, 10 << 20);
	o.region = "us-east-1";
	o.bucket = "b";
	o.endpoint = "http://127.0.0.1:1";
	o.access_key = "AKIDEXAMPLE";
	o.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	o.session_token = "token";
	assert_int_equal(drydock_s3_new(&s3, &o), 0);
	drydock_s3_free(s3);
	drydock_s3_free(NULL);
	o.part_size = 1 << 20; /* below S3's 5 MiB */
	assert_int_equal(drydock_s3_new(&s3, &o), DRYDOCK_ERROR);
	assert_null(s3);
	assert_non_null(strstr(drydock_error_message(), "part size"));
}

static void
encode_is(const char *in, int keep_slash, const char *want)
{
	struct drydock_s3__buf b = {0};

	assert_int_equal(drydock_s3__encode(&b, in, keep_slash), 0);
	assert_string_equal(b.s, want);
	assert_int_equal(b.len, strlen(want));
	free(b.s);
}

static void
test_s3__encode(void **state)
{
	struct drydock_s3__buf b = {0};

	(void)state;
	encode_is("AZaz09-._~", 0, "AZaz09-._~");
	encode_is("a/b c+d=e&f%", 0, "a%2Fb%20c%2Bd%3De%26f%25");
	encode_is("docker/registry/v2/blobs/sha256/ab/cd/data", 1,
	    "docker/registry/v2/blobs/sha256/ab/cd/data");
	encode_is("a b/c:d", 1, "a%20b/c%3Ad");
	encode_is("\xc3\xa9", 0, "%C3%A9"); /* UTF-8, upper-case hex */
	encode_is("", 0, "");
	/* appends, growing past its first size */
	assert_int_equal(drydock_s3__add(&b, "x=", 2), 0);
	assert_int_equal(drydock_s3__encode(&b, "a/b", 0), 0);
	assert_string_equal(b.s, "x=a%2Fb");
	for (int i = 0; i < 200; i++)
		assert_int_equal(drydock_s3__encode(&b, " ", 0), 0);
	assert_int_equal(b.len, 7 + 600);
	assert_int_equal(strlen(b.s), b.len);
	free(b.s);
}

static void
query_is(const struct drydock_s3__param *p, size_t n, const char *want)
{
	char *q;

	assert_int_equal(drydock_s3__query(&q, p, n), 0);
	assert_string_equal(q, want);
	free(q);
}

static void
test_s3__query(void **state)
{
	/* sorted by name, values encoded (a token's '/', '+' and '=') */
	const struct drydock_s3__param list[] = {
	    {"prefix", "docker/registry/v2/"}, {"max-keys", "1000"},
	    {"list-type", "2"}, {"delimiter", "/"},
	    {"continuation-token",
	        "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="}};
	const struct drydock_s3__param del[] = {{"delete", NULL}};
	const struct drydock_s3__param ups[] = {
	    {"uploads", NULL}, {"prefix", "a b"}, {"key-marker", "k"}};
	const struct drydock_s3__param part[] = {
	    {"uploadId", "2~x+y"}, {"partNumber", "7"}};

	(void)state;
	query_is(list, 5,
	    "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%"
	    "2Fwm36Hy4vbOwM%"
	    "3D&delimiter=%2F&list-type=2&max-keys=1000&prefix=docker%"
	    "2Fregistry%"
	    "2Fv2%2F");
	/* a value-less subresource is "name=": a bare "delete" fails SigV4 */
	query_is(del, 1, "delete=");
	query_is(ups, 3, "key-marker=k&prefix=a%20b&uploads=");
	/* byte order: upper case before lower case */
	query_is(part, 2, "partNumber=7&uploadId=2~x%2By");
	query_is(NULL, 0, "");
}

static void
test_s3__time_etag(void **state)
{
	char etag[72];

	(void)state;
	assert_int_equal(
	    drydock_s3__time("2009-10-12T17:50:30.000Z"), 1255369830);
	assert_int_equal(drydock_s3__time("2009-10-12T17:50:30Z"), 1255369830);
	assert_int_equal(
	    drydock_s3__time("Mon, 12 Oct 2009 17:50:30 GMT"), 1255369830);
	assert_int_equal(drydock_s3__time("yesterday-ish"), -1);
	drydock_s3__etag(etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
	assert_string_equal(etag, "d41d8cd98f00b204e9800998ecf8427e");
	drydock_s3__etag(etag, "&quot;x&quot;"); /* already unescaped by XML */
	assert_string_equal(etag, "&quot;x&quot;");
	drydock_s3__etag(etag, "W/\"abc-3\"");
	assert_string_equal(etag, "abc-3");
	drydock_s3__etag(etag, "plain");
	assert_string_equal(etag, "plain");
}

/* A page as AWS documents it: keys, a common prefix, a token. */
static const char list_page[] =
    XMLDECL "<ListBucketResult" NS ">"
            "<Name>registry</Name><Prefix>docker/</Prefix>"
            "<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
            "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
            "<NextContinuationToken>1ueGcxLPRx1Tr/XYE=</NextContinuationToken>"
            "<Contents><Key>docker/a&amp;b</Key>"
            "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
            "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
            "<Size>434234</Size><StorageClass>STANDARD</StorageClass>"
            "<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner></Contents>"
            "<Contents><Key>docker/z</Key><Size>0</Size>"
            "<LastModified>2009-10-12T17:50:31.000Z</LastModified>"
            "<ETag>\"e\"</ETag></Contents>"
            "<CommonPrefixes><Prefix>docker/registry/</Prefix></CommonPrefixes>"
            "</ListBucketResult>";

static void
test_s3__parse_list(void **state)
{
	struct drydock_s3__list l;
	static const char last[] = "<ListBucketResult><IsTruncated>false</"
	                           "IsTruncated></ListBucketResult>";

	(void)state;
	assert_int_equal(
	    drydock_s3__parse_list(&l, list_page, sizeof(list_page) - 1), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.truncated, 1);
	assert_string_equal(l.next_token, "1ueGcxLPRx1Tr/XYE=");
	assert_string_equal(l.v[0].key, "docker/a&b");
	assert_int_equal(l.v[0].st.size, 434234);
	assert_int_equal(l.v[0].st.mtime, 1255369830);
	assert_string_equal(l.v[0].st.etag, "fba9dede5f27731c9771645a39863328");
	assert_int_equal(l.v[0].is_prefix, 0);
	assert_string_equal(l.v[1].key, "docker/z");
	assert_int_equal(l.v[1].st.size, 0);
	assert_string_equal(l.v[1].st.etag, "e");
	assert_string_equal(l.v[2].key, "docker/registry/");
	assert_int_equal(l.v[2].is_prefix, 1);
	drydock_s3__list_release(&l);

	/* the last page, empty */
	assert_int_equal(drydock_s3__parse_list(&l, last, sizeof(last) - 1), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.truncated, 0);
	assert_null(l.next_token);
	drydock_s3__list_release(&l);
}

static void
parse_list_fails(const char *xml, int code, const char *msg)
{
	struct drydock_s3__list l;

	assert_int_equal(drydock_s3__parse_list(&l, xml, strlen(xml)), code);
	if (strstr(drydock_error_message(), msg) == NULL)
		fail_msg("'%s' lacks '%s'", drydock_error_message(), msg);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void
test_s3__parse_list_bad(void **state)
{
	(void)state;
	parse_list_fails("", DRYDOCK_ECORRUPT, "not XML");
	parse_list_fails("<ListBucketResult><Contents><Key>a</Key>",
	    DRYDOCK_ECORRUPT, "not XML");
	parse_list_fails("<Error><Code>AccessDenied</Code></Error>",
	    DRYDOCK_ECORRUPT, "<Error> where <ListBucketResult> was expected");
	parse_list_fails("<ListBucketResult><IsTruncated>true</IsTruncated>"
	                 "</ListBucketResult>",
	    DRYDOCK_ECORRUPT,
	    "truncated listing (NextContinuationToken) without its marker");
	parse_list_fails("<ListBucketResult><Contents><Size>1</Size></Contents>"
	                 "</ListBucketResult>",
	    DRYDOCK_ECORRUPT, "without its key");
	parse_list_fails(
	    "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
	    "</Contents></ListBucketResult>",
	    DRYDOCK_ECORRUPT, "is not a size");
	/* entities are refused: no billion laughs */
	parse_list_fails("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a "
	                 "\"aaaa\">]><ListBucketResult><Prefix>&a;</Prefix>"
	                 "</ListBucketResult>",
	    DRYDOCK_ECORRUPT, "declares the entity 'a'");
}

static void
test_s3__parse_deleted(void **state)
{
	static const char xml[] =
	    XMLDECL "<DeleteResult" NS ">"
	            "<Deleted><Key>a/1</Key></Deleted>"
	            "<Error><Key>a/2</Key><Code>AccessDenied</Code>"
	            "<Message>Access Denied</Message></Error>"
	            "<Deleted><Key>a/3</Key><VersionId>v</VersionId></Deleted>"
	            "<Error><Key>a/4</Key></Error>"
	            "</DeleteResult>";
	static const char empty[] = "<DeleteResult/>";
	struct drydock_s3__deleted d;

	(void)state;
	assert_int_equal(
	    drydock_s3__parse_deleted(&d, xml, sizeof(xml) - 1), 0);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.v[0].key, "a/1");
	assert_null(d.v[0].code);
	assert_string_equal(d.v[1].key, "a/2");
	assert_string_equal(d.v[1].code, "AccessDenied");
	assert_string_equal(d.v[1].message, "Access Denied");
	assert_string_equal(d.v[2].key, "a/3");
	assert_null(d.v[2].code);
	assert_string_equal(d.v[3].key, "a/4");
	assert_string_equal(d.v[3].code, "UnknownError"); /* an error still */
	drydock_s3__deleted_release(&d);
	assert_int_equal(
	    drydock_s3__parse_deleted(&d, empty, sizeof(empty) - 1), 0);
	assert_int_equal(d.n, 0);
	drydock_s3__deleted_release(&d);
	assert_int_equal(drydock_s3__parse_deleted(
	                     &d, "<DeleteResult><Deleted/></DeleteResult>", 39),
	    DRYDOCK_ECORRUPT);
	assert_null(d.v);
}

static void
test_s3__parse_error(void **state)
{
	static const char sig[] =
	    XMLDECL "<Error><Code>SignatureDoesNotMatch</Code><Message>The "
	            "request signature we calculated does not match</Message>"
	            "<RequestId>tx1</RequestId><HostId>h</HostId></Error>";
	static const char moved[] =
	    "<Error><Code>PermanentRedirect</Code><Message>m</Message>"
	    "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>";
	struct drydock_s3__error e;

	(void)state;
	drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "kept");
	assert_int_equal(drydock_s3__parse_error(&e, sig, sizeof(sig) - 1), 0);
	assert_string_equal(e.code, "SignatureDoesNotMatch");
	assert_string_equal(
	    e.message, "The request signature we calculated does not match");
	assert_string_equal(e.endpoint, "");
	assert_int_equal(
	    drydock_s3__parse_error(&e, moved, sizeof(moved) - 1), 0);
	assert_string_equal(e.endpoint, "b.s3.eu-west-1.amazonaws.com");
	/* not an <Error>: ENOTFOUND, and the message is left alone */
	assert_int_equal(
	    drydock_s3__parse_error(&e, list_page, sizeof(list_page) - 1),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_s3__parse_error(&e, "<html>", 6), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_s3__parse_error(&e, NULL, 0), DRYDOCK_ENOTFOUND);
	assert_string_equal(e.code, "");
	assert_string_equal(drydock_error_message(), "kept");
}

static void
test_s3__parse_uploads(void **state)
{
	static const char xml[] = XMLDECL
	    "<ListMultipartUploadsResult" NS ">"
	    "<Bucket>registry</Bucket><KeyMarker></KeyMarker>"
	    "<NextKeyMarker>r/_uploads/u2/data</NextKeyMarker>"
	    "<NextUploadIdMarker>2~b</NextUploadIdMarker>"
	    "<MaxUploads>1000</MaxUploads><IsTruncated>true</IsTruncated>"
	    "<Upload><Key>r/_uploads/u1/data</Key><UploadId>2~a</UploadId>"
	    "<Initiator><ID>i</ID></Initiator>"
	    "<Initiated>2026-12-01T00:00:00.000Z</Initiated></Upload>"
	    "<Upload><Key>r/_uploads/u2/data</Key><UploadId>2~b</UploadId>"
	    "<Initiated>2026-12-02T00:00:00.000Z</Initiated></Upload>"
	    "</ListMultipartUploadsResult>";
	static const char parts[] =
	    "<ListPartsResult><IsTruncated>true</IsTruncated>"
	    "<NextPartNumberMarker>2</NextPartNumberMarker>"
	    "<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag>"
	    "<Size>5242880</Size></Part>"
	    "<Part><PartNumber>2</PartNumber><Size>100</Size></Part>"
	    "</ListPartsResult>";
	static const char initiated[] =
	    "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
	    "<Key>k</Key><UploadId>2~id</UploadId>"
	    "</InitiateMultipartUploadResult>";
	struct drydock_s3__uploads u;
	struct drydock_s3__parts p;
	char *v;

	(void)state;
	assert_int_equal(
	    drydock_s3__parse_uploads(&u, xml, sizeof(xml) - 1), 0);
	assert_int_equal(u.n, 2);
	assert_int_equal(u.truncated, 1);
	assert_string_equal(u.next_key_marker, "r/_uploads/u2/data");
	assert_string_equal(u.next_upload_id_marker, "2~b");
	assert_string_equal(u.v[0].key, "r/_uploads/u1/data");
	assert_string_equal(u.v[0].upload_id, "2~a");
	assert_int_equal(u.v[1].initiated, 1796169600);
	drydock_s3__uploads_release(&u);

	assert_int_equal(
	    drydock_s3__parse_parts(&p, parts, sizeof(parts) - 1), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.bytes, 5242980);
	assert_int_equal(p.truncated, 1);
	assert_string_equal(p.next_marker, "2");
	drydock_s3__parts_release(&p);

	assert_int_equal(
	    drydock_s3__parse_value(&v, initiated, sizeof(initiated) - 1,
	        "InitiateMultipartUploadResult/UploadId"),
	    0);
	assert_string_equal(v, "2~id");
	free(v);
	assert_int_equal(drydock_s3__parse_value(&v, "<CopyPartResult/>", 17,
	                     "CopyPartResult/ETag"),
	    DRYDOCK_ENOTFOUND);
	assert_null(v);
}

static int
task_sum(size_t i, void *p)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t *sum = p;

	pthread_mutex_lock(&lock);
	*sum += i + 1;
	pthread_mutex_unlock(&lock);
	return 0;
}

static int
task_fail(size_t i, void *p)
{
	(void)p;
	if (i == 3) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP, "task %zu failed", i);
		return DRYDOCK_EAUTH;
	}
	return 0;
}

static void
test_s3__parallel(void **state)
{
	size_t sum = 0;

	(void)state;
	assert_int_equal(drydock_s3__parallel(4, 100, task_sum, &sum), 0);
	assert_int_equal(sum, 5050);
	sum = 0;
	assert_int_equal(drydock_s3__parallel(1, 10, task_sum, &sum), 0);
	assert_int_equal(sum, 55);
	assert_int_equal(drydock_s3__parallel(8, 0, task_sum, &sum), 0);
	/* a worker's failure comes back with its message, on this thread */
	drydock_error_clear();
	assert_int_equal(
	    drydock_s3__parallel(4, 50, task_fail, NULL), DRYDOCK_EAUTH);
	assert_string_equal(drydock_error_message(), "task 3 failed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_s3__where),
	    cmocka_unit_test(test_s3__new),
	    cmocka_unit_test(test_s3__encode),
	    cmocka_unit_test(test_s3__query),
	    cmocka_unit_test(test_s3__time_etag),
	    cmocka_unit_test(test_s3__parse_list),
	    cmocka_unit_test(test_s3__parse_list_bad),
	    cmocka_unit_test(test_s3__parse_deleted),
	    cmocka_unit_test(test_s3__parse_error),
	    cmocka_unit_test(test_s3__parse_uploads),
	    cmocka_unit_test(test_s3__parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
