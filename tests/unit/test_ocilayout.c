/* SPDX-License-Identifier: MIT */
/* test_ocilayout.c --- OCI image layouts: index.json, blobs, confinement. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/ocilayout.h>

struct fixture {
	char dir[64];
	char lay[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-ocilayout.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->lay, sizeof(f->lay), "%s/a/layout", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
write_at(const char *dir, const char *name, const char *content)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static char *
slurp(const char *dir, const char *name)
{
	static char buf[8192];
	char p[256];
	size_t n;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_ocilayout__index_put_replaces(void **state)
{
	struct drydock_ocilayout_index *idx = NULL;
	struct drydock_ocilayout_entry e;
	struct drydock_digest a, b;
	const char *t1[] = {DRYDOCK_OCI_REF_NAME, "r/x:1",
	    DRYDOCK_OCI_IMAGE_NAME, "r/x:1", NULL};
	const char *u[] = {DRYDOCK_OCI_IMAGE_NAME, "r/x@sha256:aa", NULL};
	char *buf = NULL;
	size_t len;

	(void)state;
	assert_int_equal(drydock_digest_buffer(&a, 1, "a", 1), 0);
	assert_int_equal(drydock_digest_buffer(&b, 1, "b", 1), 0);
	assert_int_equal(drydock_ocilayout_index_new(&idx), 0);
	assert_int_equal(drydock_ocilayout_index_put(idx, "t/m", &a, 1, t1), 0);
	assert_int_equal(drydock_ocilayout_index_put(idx, "t/m", &a, 1, u), 0);
	assert_int_equal(
	    drydock_ocilayout_index_put(idx, "t/m", &a, 1, NULL), 0);
	assert_int_equal(drydock_ocilayout_index_count(idx), 3);
	/* the tag moves to b: same place, no new entry */
	assert_int_equal(drydock_ocilayout_index_put(idx, "t/n", &b, 1, t1), 0);
	assert_int_equal(drydock_ocilayout_index_put(idx, "t/m", &a, 1, u), 0);
	assert_int_equal(
	    drydock_ocilayout_index_put(idx, "t/m", &a, 1, NULL), 0);
	assert_int_equal(drydock_ocilayout_index_count(idx), 3);
	assert_int_equal(drydock_ocilayout_index_entry(&e, idx, 0), 0);
	assert_true(drydock_digest_equal(&e.digest, &b));
	assert_string_equal(e.media_type, "t/n");
	assert_string_equal(e.ref_name, "r/x:1");
	assert_string_equal(e.image_name, "r/x:1");
	assert_int_equal(drydock_ocilayout_index_entry(&e, idx, 2), 0);
	assert_null(e.ref_name);
	assert_int_equal(
	    drydock_ocilayout_index_entry(&e, idx, 3), DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_ocilayout_index_format(&buf, &len, idx), 0);
	assert_non_null(strstr(buf, "\"schemaVersion\":2"));
	assert_non_null(strstr(buf,
	    "\"org.opencontainers.image.ref.name\":"
	    "\"r/x:1\""));
	free(buf);
	assert_int_equal(drydock_ocilayout_index_remove(idx, 1), 0);
	assert_int_equal(drydock_ocilayout_index_count(idx), 2);
	drydock_ocilayout_index_free(idx);
}

static void
test_ocilayout__index_parse_rejects(void **state)
{
	struct drydock_ocilayout_index *idx = NULL;
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"schemaVersion\":1,\"manifests\":[]}",
	    "{\"schemaVersion\":2,\"manifests\":{}}",
	    "{\"schemaVersion\":2,\"manifests\":[{\"size\":1}]}",
	    "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:AB\","
	    "\"size\":1}]}",
	    "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""
	    ","
	    "\"size\":-1}]}",
	    "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    drydock_ocilayout_index_parse(&idx, bad[i], strlen(bad[i])),
		    DRYDOCK_ECORRUPT);
		assert_null(idx);
	}
	/* unknown fields survive a round trip */
	assert_int_equal(drydock_ocilayout_index_parse(
	                     &idx, "{\"schemaVersion\":2,\"x\":[1]}", 27),
	    0);
	assert_int_equal(drydock_ocilayout_index_count(idx), 0);
	drydock_ocilayout_index_free(idx);
}

static void
test_ocilayout__create_write_reopen(void **state)
{
	struct fixture *f = *state;
	struct drydock_ocilayout *lay = NULL;
	struct drydock_ocilayout_entry e;
	struct drydock_digest d;
	const char *t[] = {DRYDOCK_OCI_REF_NAME, "x:1", NULL};
	char *buf = NULL;
	size_t len;
	uint64_t size = 0;
	int dfd, fd;

	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, DRYDOCK_OCILAYOUT_CREATE), 0);
	assert_int_equal(drydock_ocilayout_lock(lay), 0);
	assert_int_equal(drydock_digest_buffer(&d, 1, "{}", 2), 0);
	dfd = drydock_ocilayout_blob_dir(lay, DRYDOCK_DIGEST_SHA256, 1);
	assert_true(dfd >= 0);
	fd = openat(dfd,
	    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
	    O_CREAT | O_WRONLY, 0644);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(drydock_ocilayout_index_put(
	                     drydock_ocilayout_index(lay), "t", &d, 2, t),
	    0);
	assert_int_equal(drydock_ocilayout_write_index(lay), 0);
	drydock_ocilayout_close(lay);
	assert_string_equal(
	    slurp(f->lay, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");

	lay = NULL;
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, DRYDOCK_OCILAYOUT_RDONLY), 0);
	assert_int_equal(
	    drydock_ocilayout_index_count(drydock_ocilayout_index(lay)), 1);
	assert_int_equal(
	    drydock_ocilayout_index_entry(&e, drydock_ocilayout_index(lay), 0),
	    0);
	assert_string_equal(e.ref_name, "x:1");
	assert_int_equal(drydock_ocilayout_blob_stat(lay, &d, &size), 0);
	assert_int_equal(size, 2);
	assert_int_equal(
	    drydock_ocilayout_blob_read(&buf, &len, lay, &d, 10), 0);
	assert_string_equal(buf, "{}");
	free(buf);
	assert_int_equal(drydock_ocilayout_blob_read(&buf, &len, lay, &d, 1),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_ocilayout_write_index(lay), DRYDOCK_ERROR);
	assert_int_equal(drydock_ocilayout_blob_remove(lay, &d), DRYDOCK_ERROR);
	drydock_ocilayout_close(lay);

	lay = NULL;
	assert_int_equal(drydock_ocilayout_open(&lay, f->lay, 0), 0);
	assert_int_equal(drydock_ocilayout_blob_remove(lay, &d), 0);
	assert_int_equal(
	    drydock_ocilayout_blob_stat(lay, &d, &size), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_ocilayout_blob_open(lay, &d), DRYDOCK_ENOTFOUND);
	drydock_ocilayout_close(lay);
}

static void
test_ocilayout__refuses(void **state)
{
	struct fixture *f = *state;
	struct drydock_ocilayout *lay = NULL;
	struct drydock_digest d;
	char p[256];

	/* not a layout */
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->dir, 0), DRYDOCK_ENOTFOUND);
	write_at(f->dir, "precious", "x");
	/* create refuses to write into a directory of other things */
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->dir, DRYDOCK_OCILAYOUT_CREATE),
	    DRYDOCK_EEXISTS);
	assert_null(lay);

	/* another version */
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, DRYDOCK_OCILAYOUT_CREATE), 0);
	drydock_ocilayout_close(lay);
	write_at(f->lay, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, 0), DRYDOCK_EUNSUPPORTED);
	write_at(f->lay, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	/* index.json missing without CREATE, then broken */
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, 0), DRYDOCK_ENOTFOUND);
	write_at(f->lay, "index.json", "{\"schemaVersion\":2,\"manifests\":[");
	assert_int_equal(
	    drydock_ocilayout_open(&lay, f->lay, 0), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "index.json"));
	write_at(
	    f->lay, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}");

	/* blobs/ a symlink out of the layout: refused, never followed */
	snprintf(p, sizeof(p), "%s/blobs", f->lay);
	rmdir(p);
	assert_int_equal(symlink(f->dir, p), 0);
	assert_int_equal(drydock_ocilayout_open(&lay, f->lay, 0), 0);
	assert_int_equal(drydock_digest_buffer(&d, 1, "x", 1), 0);
	assert_int_equal(drydock_ocilayout_blob_open(lay, &d), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_ocilayout_blob_dir(lay, 1, 1), DRYDOCK_EUNSAFE);
	drydock_ocilayout_close(lay);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ocilayout__index_put_replaces),
	    cmocka_unit_test(test_ocilayout__index_parse_rejects),
	    cmocka_unit_test_setup_teardown(
	        test_ocilayout__create_write_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ocilayout__refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
