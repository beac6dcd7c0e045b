/* SPDX-License-Identifier: MIT */
/*
 * manifest_scan.c --- the digests a manifest references, read in one pass
 * over its bytes without building a JSON tree (drydock_manifest_scan).
 *
 * drydock-gc reads every manifest of a store; building jansson's tree for
 * each was a fifth of its time.  This scanner validates the whole document
 * as jansson would (grammar, UTF-8, escapes, control characters, integer
 * range, nothing after the value) and reads only what the mark follows.
 * It is deliberately narrow: a manifest in the plain form registries and
 * build tools write (schemaVersion 2, one of the four media types, keys
 * spelt exactly, no duplicate or null field, no escape in a field it
 * reads) is answered; anything else, and every error, is declined, and
 * drydock_manifest_parse() decides with Go's rules (manifest.c).  So the
 * answer is never one the full parser would not give:
 * tests/unit/test_manifest_scan.c compares the two on every manifest kind
 * and on mutations of each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/manifest.h>

#include "hex_int.h"

/* Deeper than any manifest; jansson's own limit is 2048. */
#define SCAN_DEPTH_MAX 64

/* Integers jansson reads as json_int_t without overflowing. */
#define SCAN_INT_DIGITS_MAX 18

struct scan {
	const unsigned char *p, *end;
	struct drydock_manifest_refs *out;
	size_t cap;
};

/* A string's raw bytes between its quotes. */
struct sstr {
	const char *s;
	size_t len;
	int escaped; /* holds a backslash escape */
};

static void
skip_ws(struct scan *sc)
{
	while (sc->p < sc->end &&
	    (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' ||
	        *sc->p == '\r'))
		sc->p++;
}

/* Four hex digits after "\u"; -1 when they are not. */
static long
u_escape(const unsigned char *p, const unsigned char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = drydock_hex__value(p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * One UTF-8 sequence at p as jansson accepts it: no overlong form, no
 * surrogate, nothing above U+10FFFF.  Its length, or 0.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t v;

	if (*p < 0x80)
		return 1;
	if (*p < 0xc2)
		return 0;
	if (*p < 0xe0) {
		n = 2;
		v = *p & 0x1f;
	} else if (*p < 0xf0) {
		n = 3;
		v = *p & 0x0f;
	} else if (*p < 0xf5) {
		n = 4;
		v = *p & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/* A string at sc->p (its opening quote); 0, or -1 to decline. */
static int
scan_string(struct scan *sc, struct sstr *out)
{
	const unsigned char *p = sc->p + 1;
	long u, lo;
	size_t n;

	out->s = (const char *)p;
	out->escaped = 0;
	while (p < sc->end && *p != '"') {
		if (*p < 0x20)
			return -1; /* a control character */
		if (*p != '\\') {
			if ((n = utf8_len(p, sc->end)) == 0)
				return -1;
			p += n;
			continue;
		}
		out->escaped = 1;
		if (++p >= sc->end)
			return -1;
		if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0') {
			p++;
			continue;
		}
		if (*p != 'u' || (u = u_escape(p + 1, sc->end)) < 0)
			return -1;
		p += 5;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1; /* a lone low surrogate */
		if (u >= 0xd800 && u <= 0xdbff) {
			if (sc->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = u_escape(p + 2, sc->end)) < 0xdc00 ||
			    lo > 0xdfff)
				return -1;
			p += 6;
		}
	}
	if (p >= sc->end)
		return -1;
	out->len = (size_t)(p - (const unsigned char *)out->s);
	sc->p = p + 1;
	return 0;
}

/*
 * A number.  Integers of up to 18 digits (jansson's json_int_t holds
 * them) give *v and *is_int; a fraction is accepted where its value is
 * not read; an exponent is declined (jansson refuses what overflows a
 * double, and manifests have none).
 */
static int
scan_number(struct scan *sc, long long *v, int *is_int)
{
	const unsigned char *p = sc->p, *digits;
	int neg = 0;
	long long x = 0;

	*is_int = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	digits = p;
	if (p >= sc->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < sc->end && *p >= '0' && *p <= '9') {
			if (p - digits == SCAN_INT_DIGITS_MAX)
				return -1;
			x = x * 10 + (*p++ - '0');
		}
	if (p < sc->end && (*p == 'e' || *p == 'E'))
		return -1;
	if (p < sc->end && *p == '.') {
		if (++p >= sc->end || *p < '0' || *p > '9')
			return -1;
		while (p < sc->end && *p >= '0' && *p <= '9')
			p++;
		if (p < sc->end && (*p == 'e' || *p == 'E'))
			return -1;
		sc->p = p;
		return 0;
	}
	*v = neg ? -x : x;
	*is_int = 1;
	sc->p = p;
	return 0;
}

static int
scan_literal(struct scan *sc, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0)
		return -1;
	sc->p += n;
	return 0;
}

/* The kinds of value a field may hold. */
enum vtype {
	V_NONE = 0,
	V_STRING,
	V_INT,
	V_NUMBER,
	V_LITERAL,
	V_NULL,
	V_OBJECT,
	V_ARRAY
};

static int skip_value(struct scan *sc, int depth, int *type);

/*
 * After a member or an element: 1 on a comma (another follows), 0 on the
 * closing character (consumed), -1 on anything else.
 */
static int
next_or_close(struct scan *sc, char close)
{
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == ',') {
		sc->p++;
		skip_ws(sc);
		return 1;
	}
	if (sc->p < sc->end && *sc->p == (unsigned char)close) {
		sc->p++;
		return 0;
	}
	return -1;
}

/* Walk an object at sc->p; fn sees each key and reads or skips its value. */
typedef int (*member_fn)(
    struct scan *sc, const struct sstr *key, int depth, void *arg);

static int
scan_object(struct scan *sc, int depth, member_fn fn, void *arg)
{
	struct sstr key;
	int r;

	if (depth > SCAN_DEPTH_MAX)
		return -1;
	sc->p++; /* { */
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return 0;
	}
	for (;;) {
		if (sc->p >= sc->end || *sc->p != '"' ||
		    scan_string(sc, &key) < 0)
			return -1;
		/* jansson refuses a NUL in a key: escapes go to the parser */
		if (key.escaped)
			return -1;
		skip_ws(sc);
		if (sc->p >= sc->end || *sc->p != ':')
			return -1;
		sc->p++;
		skip_ws(sc);
		if (sc->p >= sc->end || fn(sc, &key, depth, arg) < 0)
			return -1;
		if ((r = next_or_close(sc, '}')) <= 0)
			return r;
	}
}

static int
skip_member(struct scan *sc, const struct sstr *key, int depth, void *arg)
{
	int type;

	(void)key;
	(void)arg;
	return skip_value(sc, depth + 1, &type);
}

/* Walk an array; fn reads or skips each element. */
typedef int (*element_fn)(struct scan *sc, size_t i, int depth, void *arg);

static int
scan_array(struct scan *sc, int depth, element_fn fn, void *arg)
{
	size_t i = 0;
	int r;

	if (depth > SCAN_DEPTH_MAX)
		return -1;
	sc->p++; /* [ */
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == ']') {
		sc->p++;
		return 0;
	}
	for (;; i++) {
		if (sc->p >= sc->end || fn(sc, i, depth, arg) < 0)
			return -1;
		if ((r = next_or_close(sc, ']')) <= 0)
			return r;
	}
}

static int
skip_element(struct scan *sc, size_t i, int depth, void *arg)
{
	int type;

	(void)i;
	(void)arg;
	return skip_value(sc, depth + 1, &type);
}

/* Any value, validated and passed over; *type says what it was. */
static int
skip_value(struct scan *sc, int depth, int *type)
{
	struct sstr s;
	long long v;
	int is_int;

	if (sc->p >= sc->end)
		return -1;
	switch (*sc->p) {
	case '"':
		*type = V_STRING;
		return scan_string(sc, &s);
	case '{':
		*type = V_OBJECT;
		return scan_object(sc, depth, skip_member, NULL);
	case '[':
		*type = V_ARRAY;
		return scan_array(sc, depth, skip_element, NULL);
	case 't':
		*type = V_LITERAL;
		return scan_literal(sc, "true");
	case 'f':
		*type = V_LITERAL;
		return scan_literal(sc, "false");
	case 'n':
		*type = V_NULL;
		return scan_literal(sc, "null");
	default:
		if (scan_number(sc, &v, &is_int) < 0)
			return -1;
		*type = is_int ? V_INT : V_NUMBER;
		return 0;
	}
}

/*
 * Which of names[] key is: its index, n when it is none of them, -1 to
 * decline (a spelling Go would match case-insensitively, or a byte that
 * could be one of Go's Unicode folds).
 */
static int
key_index(const struct sstr *key, const char *const *names, int n)
{
	int i;
	size_t j;

	for (j = 0; j < key->len; j++)
		if ((unsigned char)key->s[j] >= 0x80)
			return -1;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (key->len != len)
			continue;
		if (memcmp(key->s, names[i], len) == 0)
			return i;
		for (j = 0; j < len; j++)
			if ((key->s[j] | 0x20) != (names[i][j] | 0x20))
				break;
		if (j == len)
			return -1;
	}
	return n;
}

/* --- descriptors --------------------------------------------------------- */

enum {
	DK_DIGEST,
	DK_MEDIATYPE,
	DK_SIZE,
	DK_URLS,
	DK_ARTIFACTTYPE,
	DK_PLATFORM,
	DK_N
};

static const char *const desc_names[DK_N] = {
    "digest", "mediaType", "size", "urls", "artifactType", "platform"};

struct desc {
	int with_platform; /* an index's child: platform is read */
	unsigned seen;
	struct drydock_digest digest;
};

static int
string_element(struct scan *sc, size_t i, int depth, void *arg)
{
	struct sstr s;

	(void)i;
	(void)depth;
	(void)arg;
	return *sc->p == '"' ? scan_string(sc, &s) : -1;
}

static const char *const platform_names[] = {"os", "architecture", "variant"};

static int
platform_member(struct scan *sc, const struct sstr *key, int depth, void *arg)
{
	unsigned *seen = arg;
	struct sstr s;
	int k, type;

	k = key_index(key, platform_names, 3);
	if (k < 0 || (k < 3 && (*seen & (1u << k))))
		return -1;
	if (k == 3)
		return skip_value(sc, depth + 1, &type);
	*seen |= 1u << k;
	return *sc->p == '"' ? scan_string(sc, &s) : -1;
}

static int
desc_member(struct scan *sc, const struct sstr *key, int depth, void *arg)
{
	struct desc *d = arg;
	int n = d->with_platform ? DK_N : DK_PLATFORM;
	int k = key_index(key, desc_names, n), type, is_int;
	unsigned pseen = 0;
	long long v;
	struct sstr s;

	if (k < 0 || (k < n && (d->seen & (1u << k))))
		return -1;
	if (k == n)
		return skip_value(sc, depth + 1, &type);
	d->seen |= 1u << k;
	switch (k) {
	case DK_DIGEST:
		if (*sc->p != '"' || scan_string(sc, &s) < 0 || s.escaped)
			return -1;
		return drydock_digest_parse(&d->digest, s.s, s.len) < 0 ? -1
		                                                        : 0;
	case DK_MEDIATYPE:
	case DK_ARTIFACTTYPE:
		return *sc->p == '"' ? scan_string(sc, &s) : -1;
	case DK_SIZE:
		if (*sc->p != '-' && (*sc->p < '0' || *sc->p > '9'))
			return -1;
		if (scan_number(sc, &v, &is_int) < 0 || !is_int || v < 0)
			return -1;
		return 0;
	case DK_URLS:
		return *sc->p == '['
		    ? scan_array(sc, depth + 1, string_element, NULL)
		    : -1;
	default: /* DK_PLATFORM */
		return *sc->p == '{'
		    ? scan_object(sc, depth + 1, platform_member, &pseen)
		    : -1;
	}
}

/* A descriptor object; its digest into *d. */
static int
scan_desc(
    struct scan *sc, int depth, int with_platform, struct drydock_digest *out)
{
	struct desc d;

	memset(&d, 0, sizeof(d));
	d.with_platform = with_platform;
	if (*sc->p != '{' || scan_object(sc, depth, desc_member, &d) < 0 ||
	    !(d.seen & (1u << DK_DIGEST)))
		return -1;
	*out = d.digest;
	return 0;
}

static int
push_ref(struct scan *sc, const struct drydock_digest *d)
{
	struct drydock_manifest_refs *o = sc->out;
	struct drydock_digest *n;

	if (o->nrefs == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		if ((n = realloc(o->refs, sc->cap * sizeof(*n))) == NULL)
			return DRYDOCK_ERROR;
		o->refs = n;
	}
	o->refs[o->nrefs++] = *d;
	return 0;
}

/* --- the top level ------------------------------------------------------- */

enum {
	TK_SCHEMAVERSION,
	TK_MEDIATYPE,
	TK_ARTIFACTTYPE,
	TK_CONFIG,
	TK_LAYERS,
	TK_MANIFESTS,
	TK_SUBJECT,
	TK_FSLAYERS,
	TK_SIGNATURES,
	TK_N
};

static const char *const top_names[TK_N] = {"schemaVersion", "mediaType",
    "artifactType", "config", "layers", "manifests", "subject", "fsLayers",
    "signatures"};

/*
 * The top level is read in two passes: the first finds the media type
 * (which may come after the arrays), the second reads what that kind
 * takes.  Both are cheap next to building a tree.
 */
struct top {
	int pass; /* 1: kind; 2: references */
	int kind;
	unsigned seen;
	long long schema_version;
	int oom;
	struct scan *sc;
};

static const struct {
	const char *s;
	int kind;
} media_types[] = {
    {DRYDOCK_MT_DOCKER_V2, DRYDOCK_MANIFEST_DOCKER_V2},
    {DRYDOCK_MT_OCI_MANIFEST, DRYDOCK_MANIFEST_OCI},
    {DRYDOCK_MT_DOCKER_LIST, DRYDOCK_MANIFEST_DOCKER_LIST},
    {DRYDOCK_MT_OCI_INDEX, DRYDOCK_MANIFEST_OCI_INDEX},
};

static int
is_image(int kind)
{
	return kind == DRYDOCK_MANIFEST_DOCKER_V2 ||
	    kind == DRYDOCK_MANIFEST_OCI;
}

static int
is_oci(int kind)
{
	return kind == DRYDOCK_MANIFEST_OCI ||
	    kind == DRYDOCK_MANIFEST_OCI_INDEX;
}

static int
layer_element(struct scan *sc, size_t i, int depth, void *arg)
{
	struct top *t = arg;
	struct drydock_digest d;

	(void)i;
	if (scan_desc(sc, depth + 1,
	        t->kind == DRYDOCK_MANIFEST_DOCKER_LIST ||
	            t->kind == DRYDOCK_MANIFEST_OCI_INDEX,
	        &d) < 0)
		return -1;
	if (push_ref(sc, &d) < 0) {
		t->oom = 1;
		return -1;
	}
	return 0;
}

static int
top_member(struct scan *sc, const struct sstr *key, int depth, void *arg)
{
	struct top *t = arg;
	int k = key_index(key, top_names, TK_N), type, is_int;
	struct drydock_digest d;
	struct sstr s;
	size_t i;

	if (k < 0)
		return -1;
	if (t->pass == 1) {
		if (k < TK_N && (t->seen & (1u << k)))
			return -1; /* twice: the later one wins in Go */
		if (k < TK_N)
			t->seen |= 1u << k;
		if (k == TK_SCHEMAVERSION) {
			if (*sc->p != '-' && (*sc->p < '0' || *sc->p > '9'))
				return -1;
			if (scan_number(sc, &t->schema_version, &is_int) < 0)
				return -1;
			return is_int ? 0 : -1;
		}
		if (k != TK_MEDIATYPE)
			return skip_value(sc, depth + 1, &type);
		if (*sc->p != '"' || scan_string(sc, &s) < 0 || s.escaped)
			return -1;
		for (i = 0; i < sizeof(media_types) / sizeof(media_types[0]);
		     i++)
			if (strlen(media_types[i].s) == s.len &&
			    memcmp(media_types[i].s, s.s, s.len) == 0)
				t->kind = media_types[i].kind;
		return 0;
	}
	if (k == TK_CONFIG && is_image(t->kind)) {
		if (scan_desc(sc, depth + 1, 0, &d) < 0)
			return -1;
		/* the config is the first reference, wherever it stands */
		if (push_ref(sc, &d) < 0) {
			t->oom = 1;
			return -1;
		}
		if (sc->out->nrefs > 1) {
			memmove(sc->out->refs + 1, sc->out->refs,
			    (sc->out->nrefs - 1) * sizeof(d));
			sc->out->refs[0] = d;
		}
		return 0;
	}
	if ((k == TK_LAYERS && is_image(t->kind)) ||
	    (k == TK_MANIFESTS && !is_image(t->kind)))
		return *sc->p == '['
		    ? scan_array(sc, depth + 1, layer_element, t)
		    : -1;
	if (k == TK_SUBJECT && is_oci(t->kind)) {
		if (scan_desc(sc, depth + 1, 0, &sc->out->subject) < 0)
			return -1;
		sc->out->has_subject = 1;
		return 0;
	}
	if (k == TK_ARTIFACTTYPE && is_oci(t->kind))
		return *sc->p == '"' ? scan_string(sc, &s) : -1;
	return skip_value(sc, depth + 1, &type);
}

int
drydock_manifest_scan(
    struct drydock_manifest_refs *out, const char *buf, size_t len)
{
	struct scan sc;
	struct top t;
	const unsigned char *start;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	if (buf == NULL)
		return 0;
	sc.p = (const unsigned char *)buf;
	sc.end = sc.p + len;
	sc.out = out;
	sc.cap = 0;
	t.sc = &sc;
	skip_ws(&sc);
	if (sc.p >= sc.end || *sc.p != '{')
		return 0;
	start = sc.p;
	t.pass = 1;
	if (scan_object(&sc, 1, top_member, &t) < 0)
		goto decline;
	skip_ws(&sc);
	if (sc.p != sc.end || t.schema_version != 2 ||
	    t.kind == DRYDOCK_MANIFEST_UNKNOWN)
		goto decline;
	/* an image needs its config; the parser words the error */
	if (is_image(t.kind) && !(t.seen & (1u << TK_CONFIG)))
		goto decline;
	sc.p = start;
	t.pass = 2;
	if (scan_object(&sc, 1, top_member, &t) < 0)
		goto decline;
	out->kind = t.kind;
	return 1;
decline:
	drydock_manifest_refs_release(out);
	if (t.oom) {
		drydock_error_set(DRYDOCK_ERRCLASS_OS, "out of memory");
		return DRYDOCK_ERROR;
	}
	return 0;
}

void
drydock_manifest_refs_release(struct drydock_manifest_refs *r)
{
	if (r == NULL)
		return;
	free(r->refs);
	memset(r, 0, sizeof(*r));
}
