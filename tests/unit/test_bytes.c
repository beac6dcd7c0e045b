/* SPDX-License-Identifier: MIT */
/* test_bytes.c --- byte counts for reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <drydock/bytes.h>

static void
assert_bytes(uint64_t n, const char *want)
{
	char buf[32];

	assert_string_equal(drydock_bytes_format(buf, sizeof(buf), n), want);
}

static void
test_bytes__format(void **state)
{
	char small[5];

	(void)state;
	assert_bytes(0, "0 B");
	assert_bytes(1023, "1023 B");
	assert_bytes(1024, "1.0 KiB");
	assert_bytes(1536, "1.5 KiB");
	assert_bytes(1048575, "1.0 MiB");
	assert_bytes(1048576, "1.0 MiB");
	assert_bytes(1610612736, "1.5 GiB");
	assert_bytes(1099511627776ULL, "1.0 TiB");
	assert_bytes(UINT64_MAX, "16.0 EiB");
	assert_string_equal(
	    drydock_bytes_format(small, sizeof(small), 1536), "1.5 ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bytes__format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
