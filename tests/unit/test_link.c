/* SPDX-License-Identifier: MIT */
/*
 * test_link.c --- link files: the strict parse the registry applies, the
 * lenient one for repair, and reading them without following symlinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/link.h>
#include <drydock/store.h>

#include "../../lib/store_int.h"
#include "fixtures.h"

#define HEX256                                                                 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D256 "sha256:" HEX256
#define D512                                                                   \
	"sha512:"                                                              \
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"     \
	"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

struct parse_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int code;
	const char *why; /* substring of the message, or NULL */
};

static void
check_cases(const struct parse_case *c, size_t n)
{
	struct drydock_digest d;
	char buf[DRYDOCK_DIGEST_STRMAX];
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++) {
		len = c[i].len != 0 ? c[i].len : strlen(c[i].in);
		drydock_error_clear();
		rc = drydock_link_parse(&d, c[i].in, len);
		if (rc != c[i].code)
			fail_msg("case %zu: %d, not %d (%s)", i, rc, c[i].code,
			    drydock_error_message());
		if (rc == 0 &&
		    (strlen(drydock_digest_format(buf, &d)) != len ||
		        memcmp(buf, c[i].in, len) != 0))
			fail_msg("case %zu: parsed as %s", i, buf);
		if (c[i].why != NULL &&
		    strstr(drydock_error_message(), c[i].why) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i,
			    drydock_error_message(), c[i].why);
	}
}

static void
test_link__parse_strict(void **state)
{
	static const struct parse_case cases[] = {
	    {D256, 0, 0, NULL},
	    {D512, 0, 0, NULL},
	    {"", 0, DRYDOCK_ECORRUPT, "empty link file"},
	    {"\n", 1, DRYDOCK_ECORRUPT, "trailing newline"},
	    {D256 "\n", 0, DRYDOCK_ECORRUPT, "trailing newline in link file"},
	    {D256 "\r\n", 0, DRYDOCK_ECORRUPT, "trailing newline"},
	    {D256 "\r", 0, DRYDOCK_ECORRUPT, "carriage return"},
	    {D512 "\n", 0, DRYDOCK_ECORRUPT, "trailing newline"},
	    {"\xef\xbb\xbf" D256, 0, DRYDOCK_ECORRUPT, "byte order mark"},
	    {" " D256, 0, DRYDOCK_ECORRUPT, "leading whitespace"},
	    {"\t" D256, 0, DRYDOCK_ECORRUPT, "leading whitespace"},
	    {D256 " ", 0, DRYDOCK_ECORRUPT, "trailing whitespace"},
	    {D256 "\0", sizeof(D256), DRYDOCK_ECORRUPT, "NUL byte"},
	    {"\0\0\0\0", 4, DRYDOCK_ECORRUPT, "NUL byte"},
	    {D512 "0", 0, DRYDOCK_ECORRUPT, "too large"},
	    {"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA49"
	     "5991B7852B855",
	        0, DRYDOCK_ECORRUPT, "invalid digest in link file"},
	    {"sha256:" HEX256 "0", 0, DRYDOCK_ECORRUPT, NULL},
	    {"sha256:e3b0", 0, DRYDOCK_ECORRUPT, NULL},
	    {HEX256, 0, DRYDOCK_ECORRUPT, "invalid digest"},
	    {"sha256" HEX256, 0, DRYDOCK_ECORRUPT, NULL},
	    {"SHA256:" HEX256, 0, DRYDOCK_ECORRUPT, NULL},
	    {"sha256:" HEX256 ":", 0, DRYDOCK_ECORRUPT, NULL},
	    {"sha384:" HEX256 HEX256, 0, DRYDOCK_EUNSUPPORTED, "unsupported"},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_link__parse_lenient(void **state)
{
	struct drydock_digest d, want;
	int junk = -1;

	(void)state;
	assert_int_equal(drydock_digest_parse(&want, D256, strlen(D256)), 0);
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, D256, strlen(D256)), 0);
	assert_int_equal(junk, 0);
	assert_true(drydock_digest_equal(&d, &want));
	junk = -1;
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, D256 "\n", strlen(D256) + 1),
	    0);
	assert_int_equal(junk, 1);
	assert_true(drydock_digest_equal(&d, &want));
	junk = 0;
	assert_int_equal(drydock_link_parse_lenient(&d, &junk,
	                     "\xef\xbb\xbf  " D256 " \r\n\t",
	                     strlen("\xef\xbb\xbf  " D256 " \r\n\t")),
	    0);
	assert_int_equal(junk, 1);
	assert_int_equal(
	    drydock_link_parse_lenient(&d, NULL, D512 "\n", strlen(D512) + 1),
	    0);
	/* only whitespace may surround it */
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, " \n ", 3), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, "", 0), DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, "#" D256, strlen(D256) + 1),
	    DRYDOCK_ECORRUPT);
	/* "xsha256" is a well-formed name of an algorithm nobody has */
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, "x" D256, strlen(D256) + 1),
	    DRYDOCK_EUNSUPPORTED);
	assert_int_equal(drydock_link_parse_lenient(
	                     &d, &junk, D256 "\n" D256, 2 * strlen(D256) + 1),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_link_parse_lenient(&d, &junk, D256 "\0", strlen(D256) + 1),
	    DRYDOCK_ECORRUPT);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx_setup(fx);
	make_file(fx->out, "valid", D256);
	*state = fx;
	return 0;
}

static int
setup_fallback(void **state)
{
	drydock_store__force_fallback(1);
	return setup(state);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	drydock_store__force_fallback(0);
	fx_teardown(fx);
	free(fx);
	return 0;
}

static void
test_link__read(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	struct drydock_digest d, want;
	char big[300];
	int fd;

	assert_int_equal(drydock_digest_parse(&want, D256, strlen(D256)), 0);
	make_file(fx->v2, "r/good/link", D256);
	make_file(fx->v2, "r/nl/link", D256 "\n");
	make_file(fx->v2, "r/empty/link", NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	make_file(fx->v2, "r/big/link", big);
	make_dir(fx->v2, "r/dir/link");
	make_fifo(fx->v2, "r/fifo/link");
	make_link_out(fx, "r/out/link", "valid", 1);
	make_link_out(fx, "r/outabs/link", "valid", 0);
	make_link(fx->v2, "r/lnkdir", "good");
	assert_int_equal(drydock_store_open(&st, fx->root, 0), 0);

	memset(&d, 0, sizeof(d));
	assert_int_equal(drydock_link_read(&d, st, -1, "r/good/link"), 0);
	assert_true(drydock_digest_equal(&d, &want));
	fd = drydock_store_openat(st, -1, "r", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(drydock_link_read(&d, st, fd, "good/link"), 0);
	assert_true(drydock_digest_equal(&d, &want));
	assert_int_equal(
	    drydock_link_read(&d, st, fd, "out/link"), DRYDOCK_EUNSAFE);
	close(fd);

	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/none/link"), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/nl/link"), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "r/nl/link"));
	assert_non_null(strstr(drydock_error_message(), "trailing newline"));
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/empty/link"), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "empty link file"));
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/big/link"), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "link file too large"));
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/dir/link"), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/fifo/link"), DRYDOCK_EUNSAFE);
	/* the outside file holds a valid digest: it must not be read */
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/out/link"), DRYDOCK_EUNSAFE);
	assert_non_null(strstr(drydock_error_message(), "is a symlink"));
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/outabs/link"), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/lnkdir/link"), DRYDOCK_EUNSAFE);
	assert_non_null(strstr(drydock_error_message(), "'r/lnkdir'"));
	assert_int_equal(
	    drydock_link_read(&d, st, -1, "r/../r/good/link"), DRYDOCK_EUNSAFE);
	drydock_store_close(st);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TF(name)                                                               \
	{                                                                      \
		"fallback/" #name, name, setup_fallback, teardown, NULL        \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link__parse_strict),
	    cmocka_unit_test(test_link__parse_lenient),
	    T(test_link__read),
	    TF(test_link__read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
