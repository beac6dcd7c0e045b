/* SPDX-License-Identifier: MIT */
/*
 * digest.c --- digest parsing as go-digest's Validate(), formatting, and
 * hashing with OpenSSL EVP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <drydock/digest.h>
#include <drydock/errors.h>

struct drydock_hasher {
	EVP_MD_CTX *ctx;
	int alg;
};

size_t
drydock_digest_alg_size(int alg)
{
	switch (alg) {
	case DRYDOCK_DIGEST_SHA256:
		return 32;
	case DRYDOCK_DIGEST_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *
drydock_digest_alg_name(int alg)
{
	switch (alg) {
	case DRYDOCK_DIGEST_SHA256:
		return "sha256";
	case DRYDOCK_DIGEST_SHA512:
		return "sha512";
	default:
		return NULL;
	}
}

int
drydock_digest_alg_lookup(const char *name, size_t len)
{
	if (len == 6 && memcmp(name, "sha256", 6) == 0)
		return DRYDOCK_DIGEST_SHA256;
	if (len == 6 && memcmp(name, "sha512", 6) == 0)
		return DRYDOCK_DIGEST_SHA512;
	return DRYDOCK_DIGEST_NONE;
}

/* A hex digit's value plus one; 0 for anything else (lowercase only). */
static const uint8_t hex1[256] = {['0'] = 1,
    ['1'] = 2,
    ['2'] = 3,
    ['3'] = 4,
    ['4'] = 5,
    ['5'] = 6,
    ['6'] = 7,
    ['7'] = 8,
    ['8'] = 9,
    ['9'] = 10,
    ['a'] = 11,
    ['b'] = 12,
    ['c'] = 13,
    ['d'] = 14,
    ['e'] = 15,
    ['f'] = 16};

int
drydock_digest_from_hex(
    struct drydock_digest *out, int alg, const char *hex, size_t len)
{
	size_t size = drydock_digest_alg_size(alg), i;
	unsigned bad = 0;

	if (size == 0) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_DIGEST, "unsupported digest algorithm");
		return DRYDOCK_EUNSUPPORTED;
	}
	if (len != 2 * size) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s digest must have %zu hex characters, not %zu",
		    drydock_digest_alg_name(alg), 2 * size, len);
		return DRYDOCK_ECORRUPT;
	}
	memset(out, 0, sizeof(*out));
	out->alg = (uint8_t)alg;
	/* one table lookup a character, one test at the end: gc decodes a
	   name per blob, revision and layer link (4% of its time) */
	for (i = 0; i < size; i++) {
		unsigned hi = hex1[(unsigned char)hex[2 * i]];
		unsigned lo = hex1[(unsigned char)hex[2 * i + 1]];

		bad |= (hi == 0) | (lo == 0);
		out->raw[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	if (bad) {
		for (i = 0; hex1[(unsigned char)hex[i]] != 0; i++)
			;
		memset(out, 0, sizeof(*out));
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "invalid character in digest hex at offset %zu", i);
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

/* The loose grammar of an algorithm: [a-z0-9]+([+._-][a-z0-9]+)* */
static int
alg_grammar_ok(const char *s, size_t len)
{
	size_t i;
	int prev_sep = 1;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			prev_sep = 0;
		else if (c == '+' || c == '.' || c == '_' || c == '-') {
			if (prev_sep)
				return 0;
			prev_sep = 1;
		} else
			return 0;
	}
	return !prev_sep;
}

/* The loose grammar of an encoded part: [a-zA-Z0-9=_-]+ */
static int
encoded_grammar_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (c != '=' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

int
drydock_digest_parse(struct drydock_digest *out, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t alen;
	int alg;

	if (len == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST, "empty digest");
		return DRYDOCK_ECORRUPT;
	}
	if (colon == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_DIGEST, "digest has no algorithm prefix");
		return DRYDOCK_ECORRUPT;
	}
	alen = (size_t)(colon - s);
	if (!alg_grammar_ok(s, alen)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "invalid digest algorithm '%.*s'",
		    (int)(alen > 32 ? 32 : alen), s);
		return DRYDOCK_ECORRUPT;
	}
	alg = drydock_digest_alg_lookup(s, alen);
	if (alg == DRYDOCK_DIGEST_NONE &&
	    !encoded_grammar_ok(colon + 1, len - alen - 1)) {
		/* go-digest: "invalid format" before "unsupported". */
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "invalid digest: bad characters after '%.*s:'", (int)alen,
		    s);
		return DRYDOCK_ECORRUPT;
	}
	if (alg == DRYDOCK_DIGEST_NONE) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "unsupported digest algorithm '%.*s'", (int)alen, s);
		return DRYDOCK_EUNSUPPORTED;
	}
	return drydock_digest_from_hex(out, alg, colon + 1, len - alen - 1);
}

static void
hex_into(char *buf, const struct drydock_digest *d)
{
	static const char xd[] = "0123456789abcdef";
	size_t size = drydock_digest_alg_size(d->alg), i;

	for (i = 0; i < size; i++) {
		buf[2 * i] = xd[d->raw[i] >> 4];
		buf[2 * i + 1] = xd[d->raw[i] & 15];
	}
	buf[2 * size] = '\0';
}

char *
drydock_digest_hex(
    char buf[DRYDOCK_DIGEST_STRMAX], const struct drydock_digest *d)
{
	hex_into(buf, d);
	return buf;
}

char *
drydock_digest_format(
    char buf[DRYDOCK_DIGEST_STRMAX], const struct drydock_digest *d)
{
	const char *name = drydock_digest_alg_name(d->alg);

	if (name == NULL) {
		strcpy(buf, "none:");
		return buf;
	}
	memcpy(buf, name, 6);
	buf[6] = ':';
	hex_into(buf + 7, d);
	return buf;
}

int
drydock_digest_equal(
    const struct drydock_digest *a, const struct drydock_digest *b)
{
	return a->alg == b->alg &&
	    memcmp(a->raw, b->raw, drydock_digest_alg_size(a->alg)) == 0;
}

/*
 * Every byte counts: a digest read from a storage's names or a manifest
 * is whatever its writer chose, not necessarily a hash's output.  With
 * the first 8 bytes alone, names sharing them (20,000 planted blobs
 * "aa000000000000000...NNNNN" in tests/bench/s3-bench.sh) all took one
 * slot, whatever the seed: each lookup walked the others, and a sweep's
 * plan of them took seconds.  Each 8-byte word goes through a multiply
 * (carries spread it upwards) and a rotation, the seed first; then the
 * MurmurHash3 finalizer.
 */
static uint64_t
mix_bytes(const uint8_t *raw, size_t len, uint64_t h)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, raw + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h = (h << 29) | (h >> 35);
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t
drydock_digest_hash(const struct drydock_digest *d)
{
	return mix_bytes(d->raw, drydock_digest_alg_size(d->alg),
	    (uint64_t)d->alg * 0x9e3779b97f4a7c15ULL);
}

uint64_t
drydock_digest_hash_raw(const uint8_t *raw, size_t len, uint64_t seed)
{
	return mix_bytes(raw, len, seed);
}

uint64_t
drydock_digest_hash_seed(void)
{
	static _Atomic uint64_t seed;
	uint64_t s = seed;
	struct timespec ts;

	if (s != 0)
		return s;
	/* unpredictable enough for a slot: a tree is written before us */
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^
		    ((uint64_t)getpid() << 16);
	}
	s |= 1;
	seed = s;
	return s;
}

static int
ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	drydock_error_set(DRYDOCK_ERRCLASS_SSL, "%s: %s", what, buf);
	ERR_clear_error();
	return DRYDOCK_ERROR;
}

static const EVP_MD *
md_for(int alg)
{
	switch (alg) {
	case DRYDOCK_DIGEST_SHA256:
		return EVP_sha256();
	case DRYDOCK_DIGEST_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int
drydock_hasher_new(struct drydock_hasher **out, int alg)
{
	struct drydock_hasher *h;
	const EVP_MD *md = md_for(alg);

	if (md == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "unsupported digest algorithm %d", alg);
		return DRYDOCK_EUNSUPPORTED;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	h->alg = alg;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		drydock_hasher_free(h);
		return ssl_error("cannot start digest");
	}
	*out = h;
	return 0;
}

int
drydock_hasher_update(struct drydock_hasher *h, const void *buf, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, buf, len) != 1)
		return ssl_error("digest update failed");
	return 0;
}

int
drydock_hasher_final(struct drydock_digest *out, struct drydock_hasher *h)
{
	unsigned int n = 0;

	memset(out, 0, sizeof(*out));
	if (EVP_DigestFinal_ex(h->ctx, out->raw, &n) != 1)
		return ssl_error("digest final failed");
	out->alg = (uint8_t)h->alg;
	return 0;
}

int
drydock_hasher_reset(struct drydock_hasher *h)
{
	if (EVP_DigestInit_ex(h->ctx, md_for(h->alg), NULL) != 1)
		return ssl_error("cannot restart digest");
	return 0;
}

void
drydock_hasher_free(struct drydock_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int
drydock_digest_buffer(
    struct drydock_digest *out, int alg, const void *buf, size_t len)
{
	const EVP_MD *md = md_for(alg);
	unsigned int n = 0;

	if (md == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "unsupported digest algorithm %d", alg);
		return DRYDOCK_EUNSUPPORTED;
	}
	memset(out, 0, sizeof(*out));
	if (EVP_Digest(buf, len, out->raw, &n, md, NULL) != 1)
		return ssl_error("digest failed");
	out->alg = (uint8_t)alg;
	return 0;
}

#define DIGEST_FD_BUFSZ (1u << 20)

int
drydock_digest_fd(
    struct drydock_digest *out, int alg, int fd, uint64_t *size_out)
{
	struct drydock_hasher *h = NULL;
	unsigned char *buf = NULL;
	uint64_t total = 0;
	ssize_t n;
	int error;

	if ((error = drydock_hasher_new(&h, alg)) < 0)
		goto out;
	if ((buf = malloc(DIGEST_FD_BUFSZ)) == NULL) {
		drydock_error_set_os("out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	for (;;) {
		n = read(fd, buf, DIGEST_FD_BUFSZ);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			drydock_error_set_os("read failed while hashing");
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		if ((error = drydock_hasher_update(h, buf, (size_t)n)) < 0)
			goto out;
		total += (uint64_t)n;
	}
	if ((error = drydock_hasher_final(out, h)) < 0)
		goto out;
	if (size_out != NULL)
		*size_out = total;
out:
	free(buf);
	drydock_hasher_free(h);
	return error;
}
