/* SPDX-License-Identifier: MIT */
/* test_digest.c --- digest parsing (go-digest rules), formatting, hashing. */
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

#define EMPTY256                                                               \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC256                                                                 \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY512                                                               \
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"     \
	"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define ABC512                                                                 \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"     \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static int
parse(struct drydock_digest *d, const char *s)
{
	return drydock_digest_parse(d, s, strlen(s));
}

static void
assert_parse_fails(const char *s, int code)
{
	struct drydock_digest d;

	drydock_error_clear();
	assert_int_equal(parse(&d, s), code);
	assert_true(drydock_error_message()[0] != '\0');
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_DIGEST);
}

static void
test_digest__alg_tables(void **state)
{
	(void)state;
	assert_int_equal(drydock_digest_alg_size(DRYDOCK_DIGEST_SHA256), 32);
	assert_int_equal(drydock_digest_alg_size(DRYDOCK_DIGEST_SHA512), 64);
	assert_int_equal(drydock_digest_alg_size(DRYDOCK_DIGEST_NONE), 0);
	assert_int_equal(drydock_digest_alg_size(99), 0);
	assert_string_equal(
	    drydock_digest_alg_name(DRYDOCK_DIGEST_SHA256), "sha256");
	assert_string_equal(
	    drydock_digest_alg_name(DRYDOCK_DIGEST_SHA512), "sha512");
	assert_null(drydock_digest_alg_name(DRYDOCK_DIGEST_NONE));
	assert_int_equal(
	    drydock_digest_alg_lookup("sha256", 6), DRYDOCK_DIGEST_SHA256);
	assert_int_equal(
	    drydock_digest_alg_lookup("sha512", 6), DRYDOCK_DIGEST_SHA512);
	/* The length counts, not the NUL. */
	assert_int_equal(
	    drydock_digest_alg_lookup("sha2567", 6), DRYDOCK_DIGEST_SHA256);
	assert_int_equal(
	    drydock_digest_alg_lookup("sha256", 5), DRYDOCK_DIGEST_NONE);
	assert_int_equal(
	    drydock_digest_alg_lookup("sha384", 6), DRYDOCK_DIGEST_NONE);
	assert_int_equal(
	    drydock_digest_alg_lookup("SHA256", 6), DRYDOCK_DIGEST_NONE);
}

static void
test_digest__parse_sha256(void **state)
{
	struct drydock_digest d;
	char buf[DRYDOCK_DIGEST_STRMAX];
	size_t i;

	(void)state;
	assert_int_equal(parse(&d, "sha256:" EMPTY256), 0);
	assert_int_equal(d.alg, DRYDOCK_DIGEST_SHA256);
	assert_int_equal(d.raw[0], 0xe3);
	assert_int_equal(d.raw[1], 0xb0);
	assert_int_equal(d.raw[31], 0x55);
	/* Unused raw bytes are zero. */
	for (i = 32; i < DRYDOCK_DIGEST_RAWMAX; i++)
		assert_int_equal(d.raw[i], 0);
	assert_string_equal(drydock_digest_format(buf, &d), "sha256:" EMPTY256);
	assert_string_equal(drydock_digest_hex(buf, &d), EMPTY256);
}

static void
test_digest__parse_sha512(void **state)
{
	struct drydock_digest d;
	char buf[DRYDOCK_DIGEST_STRMAX];

	(void)state;
	assert_int_equal(parse(&d, "sha512:" EMPTY512), 0);
	assert_int_equal(d.alg, DRYDOCK_DIGEST_SHA512);
	assert_int_equal(d.raw[0], 0xcf);
	assert_int_equal(d.raw[63], 0x3e);
	assert_string_equal(drydock_digest_format(buf, &d), "sha512:" EMPTY512);
	assert_int_equal(strlen(buf), DRYDOCK_DIGEST_STRMAX - 1);
}

static void
test_digest__parse_uses_len_only(void **state)
{
	static const char s[] = "sha256:" EMPTY256 "trailing";
	struct drydock_digest d;

	(void)state;
	assert_int_equal(drydock_digest_parse(&d, s, 7 + 64), 0);
	assert_int_equal(
	    drydock_digest_parse(&d, s, strlen(s)), DRYDOCK_ECORRUPT);
	/* A NUL inside the range is a bad character, not an end. */
	assert_int_equal(drydock_digest_parse(&d, "sha256:" EMPTY256, 7 + 65),
	    DRYDOCK_ECORRUPT);
}

static void
test_digest__uppercase_refused(void **state)
{
	char s[] = "sha256:" EMPTY256;
	size_t i;

	(void)state;
	for (i = 7; s[i] != '\0'; i++)
		if (s[i] >= 'a' && s[i] <= 'f') {
			s[i] = (char)(s[i] - 'a' + 'A');
			break;
		}
	assert_parse_fails(s, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649"
	                   "B934CA495991B7852B855",
	    DRYDOCK_ECORRUPT);
	/* An upper-case algorithm breaks the grammar. */
	assert_parse_fails("SHA256:" EMPTY256, DRYDOCK_ECORRUPT);
}

/* The message names the first character that is not lowercase hex. */
static void
test_digest__bad_hex_offset(void **state)
{
	/* a hex digit, but not in a digest; then no hex digit at all */
	static const struct {
		char c;
		size_t at;
	} bad[] = {{'F', 10}, {'g', 20}};
	char hex[] = EMPTY256, msg[64];
	struct drydock_digest d;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++)
		hex[bad[i].at] = bad[i].c;
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    drydock_digest_from_hex(&d, DRYDOCK_DIGEST_SHA256, hex, 64),
		    DRYDOCK_ECORRUPT);
		snprintf(msg, sizeof(msg),
		    "invalid character in digest hex at offset %zu", bad[i].at);
		assert_string_equal(drydock_error_message(), msg);
		hex[bad[i].at] = EMPTY256[bad[i].at];
	}
}

static void
test_digest__wrong_length(void **state)
{
	(void)state;
	/* 63 and 65 characters, and the other algorithm's length. */
	assert_parse_fails("sha256:" EMPTY256 "0", DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e464"
	                   "9b934ca495991b7852b85",
	    DRYDOCK_ECORRUPT);
	assert_parse_fails("sha512:" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256:" EMPTY512, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256:", DRYDOCK_ECORRUPT);
}

static void
test_digest__bad_syntax(void **state)
{
	(void)state;
	assert_parse_fails("sha256:" EMPTY256 "\n", DRYDOCK_ECORRUPT);
	assert_parse_fails(" sha256:" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256: " EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails(EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("", DRYDOCK_ECORRUPT);
	assert_parse_fails(":" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256::" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha-:" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("-sha:" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha..x:" EMPTY256, DRYDOCK_ECORRUPT);
	assert_parse_fails("sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e46"
	                   "49b934ca495991b7852b855",
	    DRYDOCK_ECORRUPT);
}

static void
test_digest__unknown_algorithm(void **state)
{
	(void)state;
	/* Well-formed by the loose grammar: unsupported. */
	assert_parse_fails("sha384:" EMPTY256, DRYDOCK_EUNSUPPORTED);
	assert_parse_fails("blake3:" EMPTY256, DRYDOCK_EUNSUPPORTED);
	assert_parse_fails("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDe"
	                   "TSPX9Kv46HmX4Gx8",
	    DRYDOCK_EUNSUPPORTED);
	assert_parse_fails("x.y_z-1:A=b_-", DRYDOCK_EUNSUPPORTED);
	/*
	 * Not well-formed: go-digest's Validate() answers "invalid format"
	 * when the whole string fails the anchored loose grammar.
	 */
	assert_parse_fails("blake3:" EMPTY256 "\n", DRYDOCK_ECORRUPT);
	assert_parse_fails("blake3:", DRYDOCK_ECORRUPT);
	assert_parse_fails("blake3:ab/cd", DRYDOCK_ECORRUPT);
	assert_parse_fails("blake3:ab:cd", DRYDOCK_ECORRUPT);
}

static void
test_digest__from_hex(void **state)
{
	struct drydock_digest a, b;

	(void)state;
	assert_int_equal(
	    drydock_digest_from_hex(&a, DRYDOCK_DIGEST_SHA256, ABC256, 64), 0);
	assert_int_equal(parse(&b, "sha256:" ABC256), 0);
	assert_true(drydock_digest_equal(&a, &b));
	assert_int_equal(
	    drydock_digest_from_hex(&a, DRYDOCK_DIGEST_SHA256, ABC256, 63),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_digest_from_hex(&a, DRYDOCK_DIGEST_SHA512, ABC256, 64),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_digest_from_hex(&a, DRYDOCK_DIGEST_SHA256,
	                     "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB"
	                     "410FF61F20015AD",
	                     64),
	    DRYDOCK_ECORRUPT);
	assert_true(
	    drydock_digest_from_hex(&a, DRYDOCK_DIGEST_NONE, ABC256, 64) < 0);
}

static void
test_digest__equal_and_hash(void **state)
{
	struct drydock_digest a, b, c, e;

	(void)state;
	assert_int_equal(parse(&a, "sha256:" EMPTY256), 0);
	b = a;
	assert_true(drydock_digest_equal(&a, &b));
	assert_true(drydock_digest_hash(&a) == drydock_digest_hash(&b));
	assert_int_equal(parse(&c, "sha256:" ABC256), 0);
	assert_false(drydock_digest_equal(&a, &c));
	assert_true(drydock_digest_hash(&a) != drydock_digest_hash(&c));
	/* Same bytes, other algorithm: different digests. */
	e = a;
	e.alg = DRYDOCK_DIGEST_SHA512;
	assert_false(drydock_digest_equal(&a, &e));
	assert_true(drydock_digest_hash(&a) != drydock_digest_hash(&e));
	/* The last byte counts. */
	b.raw[31] ^= 1;
	assert_false(drydock_digest_equal(&a, &b));
	assert_true(drydock_digest_hash(&a) != drydock_digest_hash(&b));
}

/*
 * Digests alike in all but their last bytes, as a storage's writer may
 * choose them (tests/bench/s3-bench.sh plants "aa0000...NNNNN"), spread
 * over a table's slots as random ones would: 20,000 keys into 32,768
 * slots leave about 14,970 distinct.  Hashing the first 8 bytes alone put
 * them all in one.
 */
static void
test_digest__hash_raw_spreads_alike_names(void **state)
{
	enum { N = 20000, SLOTS = 32768 };
	static unsigned char used[SLOTS];
	struct drydock_digest d;
	char hex[65];
	size_t i, distinct = 0, distinct_plain = 0;
	int pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		memset(used, 0, sizeof(used));
		for (i = 0; i < N; i++) {
			uint64_t h;

			snprintf(hex, sizeof(hex), "aa%057d%05zu", 0, i);
			assert_int_equal(drydock_digest_from_hex(&d,
			                     DRYDOCK_DIGEST_SHA256, hex, 64),
			    0);
			h = pass == 0 ? drydock_digest_hash_raw(
			                    d.raw, 32, 0x0123456789abcdefULL)
			              : drydock_digest_hash(&d);
			if (!used[h & (SLOTS - 1)]++)
				*(pass == 0 ? &distinct : &distinct_plain) += 1;
		}
	}
	assert_true(distinct > 14000);
	assert_true(distinct_plain > 14000);
	/* and the seed matters */
	assert_true(drydock_digest_hash_raw(d.raw, 32, 1) !=
	    drydock_digest_hash_raw(d.raw, 32, 2));
}

static void
assert_digest_is(const struct drydock_digest *d, const char *s)
{
	char buf[DRYDOCK_DIGEST_STRMAX];

	assert_string_equal(drydock_digest_format(buf, d), s);
}

static void
test_digest__known_vectors(void **state)
{
	struct drydock_digest d;

	(void)state;
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, "", 0), 0);
	assert_digest_is(&d, "sha256:" EMPTY256);
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, "abc", 3), 0);
	assert_digest_is(&d, "sha256:" ABC256);
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA512, "", 0), 0);
	assert_digest_is(&d, "sha512:" EMPTY512);
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA512, "abc", 3), 0);
	assert_digest_is(&d, "sha512:" ABC512);
	assert_int_equal(drydock_digest_buffer(&d, DRYDOCK_DIGEST_NONE, "", 0),
	    DRYDOCK_EUNSUPPORTED);
}

static void
fill(unsigned char *buf, size_t len)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

static void
test_digest__hasher_incremental(void **state)
{
	static const size_t cuts[] = {0, 1, 63, 64, 65, 1000, 4096, 9999};
	struct drydock_hasher *h = NULL;
	struct drydock_digest one, inc;
	unsigned char buf[10000];
	size_t i, pos, n;
	int alg;

	(void)state;
	fill(buf, sizeof(buf));
	for (alg = DRYDOCK_DIGEST_SHA256; alg <= DRYDOCK_DIGEST_SHA512; alg++) {
		assert_int_equal(
		    drydock_digest_buffer(&one, alg, buf, sizeof(buf)), 0);
		assert_int_equal(drydock_hasher_new(&h, alg), 0);
		/* Two rounds: the second after a reset. */
		for (i = 0; i < 2; i++) {
			for (pos = 0, n = 0; pos < sizeof(buf); pos += n) {
				n = cuts[(pos + i) % 8] + 1;
				if (n > sizeof(buf) - pos)
					n = sizeof(buf) - pos;
				assert_int_equal(
				    drydock_hasher_update(h, buf + pos, n), 0);
			}
			assert_int_equal(drydock_hasher_final(&inc, h), 0);
			assert_true(drydock_digest_equal(&one, &inc));
			assert_int_equal(drydock_hasher_reset(h), 0);
		}
		/* After a reset with no data: the empty digest. */
		assert_int_equal(drydock_hasher_final(&inc, h), 0);
		assert_digest_is(&inc,
		    alg == DRYDOCK_DIGEST_SHA256 ? "sha256:" EMPTY256
		                                 : "sha512:" EMPTY512);
		drydock_hasher_free(h);
		h = NULL;
	}
	assert_int_equal(
	    drydock_hasher_new(&h, DRYDOCK_DIGEST_NONE), DRYDOCK_EUNSUPPORTED);
	drydock_hasher_free(NULL);
}

static void
test_digest__fd(void **state)
{
	char path[] = "/tmp/drydock-test-digest-XXXXXX";
	const size_t len = 3 * (1u << 20) + 12345; /* several reads */
	struct drydock_digest want, got;
	unsigned char *buf;
	uint64_t size = 0;
	int fd;

	(void)state;
	assert_non_null(buf = malloc(len));
	fill(buf, len);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(
	    drydock_digest_buffer(&want, DRYDOCK_DIGEST_SHA256, buf, len), 0);
	assert_int_equal(
	    drydock_digest_fd(&got, DRYDOCK_DIGEST_SHA256, fd, &size), 0);
	assert_true(drydock_digest_equal(&want, &got));
	assert_true(size == len);

	/* From the current offset, and size_out may be NULL. */
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	assert_int_equal(drydock_digest_buffer(&want, DRYDOCK_DIGEST_SHA512,
	                     buf + 100, len - 100),
	    0);
	assert_int_equal(
	    drydock_digest_fd(&got, DRYDOCK_DIGEST_SHA512, fd, NULL), 0);
	assert_true(drydock_digest_equal(&want, &got));

	/* At end of file: the empty digest and size 0. */
	assert_int_equal(
	    drydock_digest_fd(&got, DRYDOCK_DIGEST_SHA256, fd, &size), 0);
	assert_digest_is(&got, "sha256:" EMPTY256);
	assert_true(size == 0);
	close(fd);
	free(buf);
}

static void
test_digest__fd_error(void **state)
{
	struct drydock_digest d;
	int fd;

	(void)state;
	assert_true((fd = open("/", O_RDONLY | O_DIRECTORY)) >= 0);
	drydock_error_clear();
	assert_int_equal(drydock_digest_fd(&d, DRYDOCK_DIGEST_SHA256, fd, NULL),
	    DRYDOCK_ERROR);
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_OS);
	assert_int_equal(drydock_error_last()->sys_errno, EISDIR);
	close(fd);
	assert_int_equal(drydock_digest_fd(&d, DRYDOCK_DIGEST_NONE, 0, NULL),
	    DRYDOCK_EUNSUPPORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest__alg_tables),
	    cmocka_unit_test(test_digest__parse_sha256),
	    cmocka_unit_test(test_digest__parse_sha512),
	    cmocka_unit_test(test_digest__parse_uses_len_only),
	    cmocka_unit_test(test_digest__uppercase_refused),
	    cmocka_unit_test(test_digest__bad_hex_offset),
	    cmocka_unit_test(test_digest__wrong_length),
	    cmocka_unit_test(test_digest__bad_syntax),
	    cmocka_unit_test(test_digest__unknown_algorithm),
	    cmocka_unit_test(test_digest__from_hex),
	    cmocka_unit_test(test_digest__equal_and_hash),
	    cmocka_unit_test(test_digest__hash_raw_spreads_alike_names),
	    cmocka_unit_test(test_digest__known_vectors),
	    cmocka_unit_test(test_digest__hasher_incremental),
	    cmocka_unit_test(test_digest__fd),
	    cmocka_unit_test(test_digest__fd_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
