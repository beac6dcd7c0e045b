/* SPDX-License-Identifier: MIT */
/* test_pathcheck.c --- is an operator's path inside the registry's tree? */
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

#include <drydock/pathcheck.h>

static int
setup(void **state)
{
	char *dir = strdup("/tmp/drydock-pathcheck.XXXXXX"), p[512];

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof(p),
	    "mkdir -p '%s/root/docker/registry/v2/blobs' "
	    "'%s/root/docker/registry/v2x' '%s/out'",
	    dir, dir, dir);
	if (system(p) != 0)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static int
in(const char *dir, const char *rel)
{
	char root[512], p[512];

	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return drydock_path_in_registry(root, p);
}

static void
test_pathcheck__inside(void **state)
{
	const char *dir = *state;

	assert_int_equal(in(dir, "root/docker/registry/v2"), 1);
	assert_int_equal(in(dir, "root/docker/registry/v2/"), 1);
	assert_int_equal(in(dir, "root/docker/registry/v2/q"), 1);
	assert_int_equal(in(dir, "root/docker/registry/v2/blobs/q"), 1);
	assert_int_equal(in(dir, "root/docker/registry/v2/blobs/../q"), 1);
	assert_int_equal(in(dir, "out/../root/docker/registry/v2/q"), 1);
}

static void
test_pathcheck__outside(void **state)
{
	const char *dir = *state;

	assert_int_equal(in(dir, "out/q"), 0);
	assert_int_equal(in(dir, "root/q"), 0); /* fsck's default quarantine */
	assert_int_equal(in(dir, "root/docker/registry/v2x/q"), 0);
	assert_int_equal(in(dir, "root/docker/registry/v2/../q"), 0);
	/* a parent that does not exist: nothing to resolve, not inside */
	assert_int_equal(in(dir, "root/docker/registry/v2/no/such/q"), 0);
}

static void
test_pathcheck__symlinks(void **state)
{
	const char *dir = *state;
	char target[512], link[512];

	snprintf(
	    target, sizeof(target), "%s/root/docker/registry/v2/blobs", dir);
	snprintf(link, sizeof(link), "%s/out/into", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(in(dir, "out/into"), 1);
	assert_int_equal(in(dir, "out/into/q"), 1);
	/* the root given through a symlink resolves the same way */
	snprintf(target, sizeof(target), "%s/root", dir);
	snprintf(link, sizeof(link), "%s/rootlink", dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(target, sizeof(target), "%s/root/docker/registry/v2/q", dir);
	assert_int_equal(drydock_path_in_registry(link, target), 1);
}

static void
test_pathcheck__absolute(void **state)
{
	const char *dir = *state;
	char p[512], want[512], *abs;

	snprintf(p, sizeof(p), "%s/out/../out/new", dir);
	abs = drydock_path_absolute(p);
	assert_non_null(abs);
	snprintf(want, sizeof(want), "%s/out/new", dir);
	assert_string_equal(abs, want);
	free(abs);
	assert_null(drydock_path_absolute("/no/such/dir/at/all"));
	abs = drydock_path_absolute("/x-drydock-new");
	assert_non_null(abs);
	assert_string_equal(abs, "/x-drydock-new");
	free(abs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_pathcheck__inside, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_pathcheck__outside, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_pathcheck__symlinks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_pathcheck__absolute, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
