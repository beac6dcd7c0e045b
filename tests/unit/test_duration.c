/* SPDX-License-Identifier: MIT */
/* test_duration.c --- duration parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <drydock/duration.h>
#include <drydock/errors.h>

static void
assert_parses(const char *s, int64_t want)
{
	int64_t got = -12345;

	if (drydock_duration_parse(&got, s) != 0)
		fail_msg("'%s' refused: %s", s, drydock_error_message());
	if (got != want)
		fail_msg("'%s' gave %lld, not %lld", s, (long long)got,
		    (long long)want);
}

/* Refused with ECORRUPT and a message that contains why. */
static void
assert_refused(const char *s, const char *why)
{
	int64_t got = -12345;

	drydock_error_clear();
	assert_int_equal(drydock_duration_parse(&got, s), DRYDOCK_ECORRUPT);
	assert_true(got == -12345);
	if (strstr(drydock_error_message(), why) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", s,
		    drydock_error_message(), why);
}

static void
test_duration__units(void **state)
{
	(void)state;
	assert_parses("90s", 90);
	assert_parses("30m", 1800);
	assert_parses("24h", 86400);
	assert_parses("7d", 604800);
	assert_parses("2w", 1209600);
	assert_parses("1s", 1);
	assert_parses("0s", 0);
	assert_parses("0d", 0);
	assert_parses("007m", 420);
}

static void
test_duration__combined(void **state)
{
	(void)state;
	assert_parses("1h30m", 5400);
	assert_parses("1d12h", 129600);
	assert_parses("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	/* Any order and repeats, as Go allows. */
	assert_parses("30m1h", 5400);
	assert_parses("1m1m", 120);
}

static void
test_duration__fractions(void **state)
{
	(void)state;
	assert_parses("1.5h", 5400);
	assert_parses("0.5m", 30);
	assert_parses(".5m", 30);
	assert_parses("2.h", 7200);
	assert_parses("1.25d", 108000);
	assert_parses("0.1m", 6);
	assert_parses("1.5s1.5s", 3);
	assert_parses("1.000000000s", 1);
	assert_refused("0.000001w", "whole number of seconds");
	assert_refused("1.5s", "whole number of seconds");
	assert_refused("0.01m", "whole number of seconds");
	assert_refused(".", "expected a number");
	assert_refused(".s", "expected a number");
	assert_refused("1.2.3s", "missing unit");
}

static void
test_duration__zero_and_sign(void **state)
{
	(void)state;
	assert_parses("0", 0);
	assert_parses("+0", 0);
	assert_parses("+5m", 300);
	assert_refused("00", "missing unit");
	assert_refused("5", "missing unit");
	assert_refused("-5m", "negative");
	assert_refused("-0", "negative");
	assert_refused("+", "expected a number");
	assert_refused("++5m", "expected a number");
}

static void
test_duration__bad_input(void **state)
{
	int64_t got;

	(void)state;
	assert_refused("", "empty");
	assert_int_equal(drydock_duration_parse(&got, NULL), DRYDOCK_ECORRUPT);
	assert_refused("h", "expected a number");
	assert_refused("1h30", "missing unit");
	assert_refused("1x", "unknown unit 'x'");
	assert_refused("1 h", "unknown unit ' h'");
	assert_refused(" 1h", "expected a number");
	assert_refused("1h ", "unknown unit 'h '");
	assert_refused("1H", "unknown unit 'H'");
	assert_refused("1y", "unknown unit 'y'");
	assert_refused("1hour", "unknown unit 'hour'");
	assert_refused("1h-30m", "unknown unit 'h-'");
	/* Go's finer units exist but we count whole seconds. */
	assert_refused("500ms", "below a second");
	assert_refused("1ns", "below a second");
	assert_refused("1us", "below a second");
	assert_refused("1\xc2\xb5s", "below a second");
	/* The message quotes the input. */
	assert_refused("1x", "'1x'");
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_INVALID);
}

static void
test_duration__overflow(void **state)
{
	(void)state;
	/* The top: 36500 days, in every unit. */
	assert_parses("36500d", DRYDOCK_DURATION_MAX_SECONDS);
	assert_parses("876000h", DRYDOCK_DURATION_MAX_SECONDS);
	assert_parses("3153600000s", DRYDOCK_DURATION_MAX_SECONDS);
	assert_refused("3153600001s", "too large");
	assert_refused("36500d1s", "too large");
	assert_refused("36500.5d", "too large");
	/* Past the top but inside int64 seconds: these once parsed, and
	 * overflowed to a negative grace when counted in nanoseconds. */
	assert_refused("106752d", "too large");
	assert_refused("2562048h", "too large");
	assert_refused("10000000000h", "too large");
	assert_refused("9223372036854775807s", "too large");
	/* Past int64 seconds: the arithmetic itself must not overflow. */
	assert_refused("9223372036854775808s", "too large");
	assert_refused("99999999999999999999999s", "too large");
	assert_refused("153722867280912931m", "too large");
	assert_refused("15250284452472w", "too large");
	/* Each term fits, the sum does not. */
	assert_refused("9223372036854775800s8s", "too large");
	assert_refused("9223372036854775807s1m", "too large");
	/* A fraction's carry pushes past the top. */
	assert_refused("153722867280912930.5m", "too large");
}

static void
assert_formats(int64_t secs, const char *want)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	assert_string_equal(
	    drydock_duration_format(buf, sizeof(buf), secs), want);
}

static void
test_duration__format(void **state)
{
	char small[4];
	int64_t back;

	(void)state;
	assert_formats(0, "0s");
	assert_formats(1, "1s");
	assert_formats(90, "1m30s");
	assert_formats(5400, "1h30m");
	assert_formats(86400, "1d");
	assert_formats(604800, "7d");
	assert_formats(90061, "1d1h1m1s");
	assert_formats(-90, "-1m30s");
	assert_formats(INT64_MAX, "106751991167300d15h30m7s");
	assert_formats(INT64_MIN, "-106751991167300d15h30m8s");
	/* Round trip. */
	assert_int_equal(drydock_duration_parse(&back, "36499d23h59m59s"), 0);
	assert_true(back == DRYDOCK_DURATION_MAX_SECONDS - 1);
	/* Truncated, still terminated. */
	assert_string_equal(
	    drydock_duration_format(small, sizeof(small), 5400), "1h3");
	small[0] = 'z';
	drydock_duration_format(small, 0, 5400);
	assert_int_equal(small[0], 'z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration__units),
	    cmocka_unit_test(test_duration__combined),
	    cmocka_unit_test(test_duration__fractions),
	    cmocka_unit_test(test_duration__zero_and_sign),
	    cmocka_unit_test(test_duration__bad_input),
	    cmocka_unit_test(test_duration__overflow),
	    cmocka_unit_test(test_duration__format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
