/* SPDX-License-Identifier: MIT */
/* test_reference.c --- repository name and tag grammars, as distribution's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <drydock/errors.h>
#include <drydock/reference.h>

static void
test_reference__repo_names(void **state)
{
	static const char *const good[] = {"a", "library/ubuntu", "a.b_c-d",
	    "a__b", "a---b/c", "x0/y1/z2", "lvl1.a/lvl2__b/app",
	    /* the first of two or more components may be a host[:port] */
	    "localhost:5000/app", "Registry.Example.com/team/app",
	    "127.0.0.1:5000/a"};
	static const char *const bad[] = {"", "A", "a/", "/a", "a//b", "../a",
	    "a/../b", "a..b", "a_", "-a", "a.-b", "a___b", "a b", "a:1",
	    "App/x/Y", "host:/a", "host:50a/a", ".host/a", "host-/a",
	    "a/host:5000/b", "ho..st/a"};
	char longname[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (drydock_reference_check_repo(good[i]) != 0)
			fail_msg("'%s' refused", good[i]);
		assert_int_equal(drydock_reference_is_repo(good[i]), 1);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (drydock_reference_check_repo(bad[i]) != DRYDOCK_ECORRUPT)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(drydock_reference_is_repo(bad[i]), 0);
	}
	assert_int_equal(drydock_reference_is_repo(NULL), 0);
	assert_non_null(
	    strstr(drydock_error_message(), "ho..st/a")); /* the last */
	/* 255 characters at most */
	memset(longname, 'a', sizeof(longname));
	longname[DRYDOCK_REFERENCE_NAME_MAX] = '\0';
	assert_int_equal(drydock_reference_check_repo(longname), 0);
	longname[DRYDOCK_REFERENCE_NAME_MAX] = 'a';
	longname[DRYDOCK_REFERENCE_NAME_MAX + 1] = '\0';
	assert_int_equal(
	    drydock_reference_check_repo(longname), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "longer than 255"));
}

static void
test_reference__tags(void **state)
{
	char longtag[200];

	(void)state;
	assert_int_equal(drydock_reference_check_tag("v1.0-rc_1"), 0);
	assert_int_equal(drydock_reference_check_tag("_x"), 0);
	assert_int_equal(drydock_reference_check_tag("Latest"), 0);
	assert_int_equal(drydock_reference_check_tag(".x"), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_reference_check_tag("-x"), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_reference_check_tag("a/b"), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_reference_check_tag(".."), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_reference_check_tag(""), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_reference_check_tag(NULL), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "invalid tag"));
	memset(longtag, 'v', sizeof(longtag));
	longtag[DRYDOCK_REFERENCE_TAG_MAX] = '\0';
	assert_int_equal(drydock_reference_is_tag(longtag), 1);
	longtag[DRYDOCK_REFERENCE_TAG_MAX] = 'v';
	longtag[DRYDOCK_REFERENCE_TAG_MAX + 1] = '\0';
	assert_int_equal(drydock_reference_is_tag(longtag), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference__repo_names),
	    cmocka_unit_test(test_reference__tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
