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

#include "fixtures.h"

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx_setup(fx);
	make_dir(fx->v2, "blobs");
	make_dir(fx->root, "docker/registry/v2x");
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

/* Is tmp/rel inside tmp/root's registry tree? */
static int
in(const struct fx *fx, const char *rel)
{
	char p[PATH_MAX];

	return drydock_path_in_registry(fx->root, fx_join(p, fx->tmp, rel));
}

static void
test_pathcheck__inside(void **state)
{
	const struct fx *fx = *state;

	assert_int_equal(in(fx, "root/docker/registry/v2"), 1);
	assert_int_equal(in(fx, "root/docker/registry/v2/"), 1);
	assert_int_equal(in(fx, "root/docker/registry/v2/q"), 1);
	assert_int_equal(in(fx, "root/docker/registry/v2/blobs/q"), 1);
	assert_int_equal(in(fx, "root/docker/registry/v2/blobs/../q"), 1);
	assert_int_equal(in(fx, "outside/../root/docker/registry/v2/q"), 1);
}

static void
test_pathcheck__outside(void **state)
{
	const struct fx *fx = *state;

	assert_int_equal(in(fx, "outside/q"), 0);
	assert_int_equal(in(fx, "root/q"), 0); /* fsck's default quarantine */
	assert_int_equal(in(fx, "root/docker/registry/v2x/q"), 0);
	assert_int_equal(in(fx, "root/docker/registry/v2/../q"), 0);
	/* a parent that does not exist: nothing to resolve, not inside */
	assert_int_equal(in(fx, "root/docker/registry/v2/no/such/q"), 0);
}

static void
test_pathcheck__symlinks(void **state)
{
	const struct fx *fx = *state;
	char target[PATH_MAX], link[PATH_MAX];

	fx_join(target, fx->v2, "blobs");
	fx_join(link, fx->out, "into");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(in(fx, "outside/into"), 1);
	assert_int_equal(in(fx, "outside/into/q"), 1);
	/* the root given through a symlink resolves the same way */
	fx_join(link, fx->tmp, "rootlink");
	assert_int_equal(symlink(fx->root, link), 0);
	fx_join(target, fx->v2, "q");
	assert_int_equal(drydock_path_in_registry(link, target), 1);
}

static void
test_pathcheck__absolute(void **state)
{
	const struct fx *fx = *state;
	char p[PATH_MAX], want[PATH_MAX], *abs;

	fx_join(p, fx->tmp, "outside/../outside/new");
	abs = drydock_path_absolute(p);
	assert_non_null(abs);
	fx_join(want, fx->out, "new");
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
