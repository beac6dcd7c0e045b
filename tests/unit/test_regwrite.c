/* SPDX-License-Identifier: MIT */
/*
 * test_regwrite.c --- writing what the registry writes: names checked as
 * distribution does, 71-byte links, tag index before current, blobs from
 * memory digest-checked, a fresh root created, symlinks never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <drydock/blobcopy.h>
#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/regwrite.h>
#include <drydock/store.h>

#include "fixtures.h"

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx_setup(fx);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fx_teardown(*state);
	free(*state);
	return 0;
}

static void
test_regwrite__create_and_tag(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	char root[PATH_MAX], ds[DRYDOCK_DIGEST_STRMAX], rel[512],
	    hex[DRYDOCK_DIGEST_STRMAX], *c;
	int how, written;

	fx_join(root, fx->tmp, "new/root");
	assert_int_equal(drydock_store_open(&st, root, 0), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_open(&st, root, DRYDOCK_STORE_CREATE), 0);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO, 0), 0);
	assert_int_equal(drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256,
	                     "{\"schemaVersion\":2}", 19),
	    0);
	drydock_digest_format(ds, &d);
	drydock_digest_hex(hex, &d);
	assert_int_equal(drydock_regwrite_blob_buffer(
	                     &how, bc, st, "{\"schemaVersion\":2}", 19, &d),
	    0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	/* bytes that are not the digest are refused, nothing written */
	assert_int_equal(drydock_regwrite_blob_buffer(&how, bc, st, "x", 1, &d),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_regwrite_revision(&written, st, "a/b", &d, 0), 0);
	assert_int_equal(written, 1);
	assert_int_equal(
	    drydock_regwrite_revision(&written, st, "a/b", &d, 0), 0);
	assert_int_equal(written, 0); /* a rerun writes nothing */
	assert_int_equal(drydock_regwrite_tag(&written, st, "a/b", "v1", &d,
	                     DRYDOCK_STORE_WRITE_NOSYNC),
	    0);
	assert_int_equal(
	    drydock_regwrite_layer_link(&written, st, "a/b", &d, 0), 0);
	assert_int_equal(drydock_store_sync(st), 0);

	snprintf(rel, sizeof(rel),
	    "new/root/" FX_V2 "/blobs/sha256/%.2s/%s/data", hex, hex);
	c = read_whole(fx->tmp, rel);
	assert_non_null(c);
	assert_string_equal(c, "{\"schemaVersion\":2}");
	free(c);
	snprintf(rel, sizeof(rel),
	    "new/root/" FX_V2 "/repositories/a/b/_manifests/tags/v1/index/"
	    "sha256/%s/link",
	    hex);
	c = read_whole(fx->tmp, rel);
	assert_non_null(c);
	assert_string_equal(c, ds); /* exactly the digest, no newline */
	free(c);
	c = read_whole(fx->tmp,
	    "new/root/" FX_V2
	    "/repositories/a/b/_manifests/tags/v1/current/link");
	assert_non_null(c);
	assert_string_equal(c, ds);
	free(c);
	/* invalid names never reach the filesystem */
	assert_int_equal(drydock_regwrite_revision(NULL, st, "../x", &d, 0),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_regwrite_tag(NULL, st, "a", "../../x", &d, 0),
	    DRYDOCK_ECORRUPT);
	drydock_blobcopy_free(bc);
	drydock_store_close(st);
}

static void
test_regwrite__symlink_refused(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	struct drydock_digest d;
	char target[PATH_MAX], link[PATH_MAX];

	assert_int_equal(drydock_digest_buffer(&d, 1, "z", 1), 0);
	/* repositories -> outside: a write must not go through it */
	fx_join(target, fx->out, "");
	fx_join(link, fx->v2, "repositories");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(drydock_store_open(&st, fx->root, 0), 0);
	assert_int_equal(
	    drydock_regwrite_layer_link(NULL, st, "a", &d, 0), DRYDOCK_EUNSAFE);
	assert_false(path_exists(fx->out, "a"));
	drydock_store_close(st);
}

/*
 * A temporary file named for a live process (pids wrap around) beside a
 * blob: left alone without the store lock, removed under it.
 */
static void
test_regwrite__stale_temps(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	char hex[DRYDOCK_DIGEST_STRMAX], dir[512], tmp[600], data[600];
	char path[PATH_MAX];
	int how;

	assert_int_equal(drydock_digest_buffer(&d, 1, "blob", 4), 0);
	drydock_digest_hex(hex, &d);
	snprintf(dir, sizeof(dir), FX_V2 "/blobs/sha256/%.2s/%s", hex, hex);
	snprintf(tmp, sizeof(tmp), "%s/.data.drydock-%ld-0badc0de.tmp", dir,
	    (long)getppid());
	snprintf(data, sizeof(data), "%s/data", dir);
	make_dir(fx->root, dir);
	make_file(fx->root, tmp, "partial");
	assert_int_equal(drydock_store_open(&st, fx->root, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	assert_int_equal(
	    drydock_regwrite_blob_buffer(&how, bc, st, "blob", 4, &d), 0);
	assert_true(path_exists(fx->root, tmp)); /* its process may live */
	/* under the lock nobody else writes here: it is stale */
	assert_int_equal(unlink(fx_join(path, fx->root, data)), 0);
	assert_int_equal(drydock_store_lock(st), 0);
	assert_int_equal(
	    drydock_regwrite_blob_buffer(&how, bc, st, "blob", 4, &d), 0);
	assert_false(path_exists(fx->root, tmp));
	assert_true(path_exists(fx->root, data));
	drydock_blobcopy_free(bc);
	drydock_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_regwrite__create_and_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_regwrite__symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_regwrite__stale_temps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
