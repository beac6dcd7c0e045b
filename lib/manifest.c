/* SPDX-License-Identifier: MIT */
/*
 * manifest.c --- parse Docker schema2 manifests and manifest lists, OCI
 * manifests and indexes, and Docker schema1, and list the digests they
 * reference.
 *
 * Fields are looked up the way Go's encoding/json fills distribution's
 * structs, because what the registry accepted is what we must understand:
 * keys match case-insensitively (with Go's Unicode folds: U+017F for s,
 * U+212A for k, U+0130 and U+0131 for i), a later key overrides an earlier
 * one, and null leaves a string, number or struct field unset but clears a
 * slice or pointer.  jansson itself keeps the last of two identical keys.
 *
 * One manifest costs jansson's tree plus one allocation of ours (two for a
 * long schema1 manifest, whose duplicates are found with a hash table); all
 * strings handed out are borrowed from the tree, which lives as long as the
 * manifest.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/manifest.h>

struct drydock_manifest {
	json_t *root; /* owns every borrowed string */
	int kind;
	const char *media_type;
	const char *artifact_type;
	size_t nrefs;
	int has_subject; /* the subject is refs[nrefs - 1] */
	struct drydock_descriptor refs[];
};

/* A field name as the Go struct tags spell it. */
struct keyname {
	const char *name;
	size_t len;
	int null_clears; /* slice or pointer: null sets it to nil */
};

/* clang-format off */
#define KEY(s, clears) { s, sizeof(s) - 1, clears }
/* clang-format on */

enum {
	T_SCHEMAVERSION,
	T_MEDIATYPE,
	T_ARTIFACTTYPE,
	T_CONFIG,
	T_LAYERS,
	T_MANIFESTS,
	T_SUBJECT,
	T_FSLAYERS,
	T_SIGNATURES,
	T_NKEYS
};

static const struct keyname top_keys[T_NKEYS] = {
    KEY("schemaVersion", 0),
    KEY("mediaType", 0),
    KEY("artifactType", 0),
    KEY("config", 0),
    KEY("layers", 1),
    KEY("manifests", 1),
    KEY("subject", 1),
    KEY("fsLayers", 1),
    KEY("signatures", 1),
};

/* "platform" last: it is looked for in index entries only. */
enum {
	D_DIGEST,
	D_MEDIATYPE,
	D_SIZE,
	D_URLS,
	D_ARTIFACTTYPE,
	D_PLATFORM,
	D_NKEYS
};

static const struct keyname desc_keys[D_NKEYS] = {
    KEY("digest", 0),
    KEY("mediaType", 0),
    KEY("size", 0),
    KEY("urls", 1),
    KEY("artifactType", 0),
    KEY("platform", 1),
};

enum { P_OS, P_ARCHITECTURE, P_VARIANT, P_NKEYS };

static const struct keyname platform_keys[P_NKEYS] = {
    KEY("os", 0),
    KEY("architecture", 0),
    KEY("variant", 0),
};

enum { S_BLOBSUM, S_NKEYS };

static const struct keyname fslayer_keys[S_NKEYS] = {
    KEY("blobSum", 0),
};

#define LIT(s) s, sizeof(s) - 1

static const struct {
	const char *s;
	size_t len;
} foreign_types[] = {
    {LIT("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")},
    {LIT("application/vnd.docker.image.rootfs.foreign.diff.tar")},
    {LIT("application/vnd.oci.image.layer.nondistributable.v1.tar")},
    {LIT("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")},
    {LIT("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")},
};

/* Where in the document a field is, for messages: "layers[2].digest". */
struct field {
	const char *name; /* "config", "layers" */
	long index; /* array index, or -1 */
};

/*
 * Does a JSON key name the field?  Exact first; else Go's fold: ASCII
 * letters in either case and the non-ASCII runes that fold onto s, k and i.
 */
static int
key_matches(const char *key, size_t klen, const struct keyname *kn)
{
	const unsigned char *k = (const unsigned char *)key;
	const unsigned char *end = k + klen;
	size_t i;

	if (klen == kn->len && memcmp(key, kn->name, klen) == 0)
		return 1;
	if (klen < kn->len)
		return 0;
	for (i = 0; i < kn->len; i++) {
		unsigned char lc = (unsigned char)kn->name[i] | 0x20;

		if (k == end)
			return 0;
		if (*k < 0x80) {
			if ((*k | 0x20) != lc)
				return 0;
			k++;
		} else if (lc == 's' && end - k >= 2 && k[0] == 0xc5 &&
		    k[1] == 0xbf) {
			k += 2; /* U+017F LATIN SMALL LETTER LONG S */
		} else if (lc == 'k' && end - k >= 3 && k[0] == 0xe2 &&
		    k[1] == 0x84 && k[2] == 0xaa) {
			k += 3; /* U+212A KELVIN SIGN */
		} else if (lc == 'i' && end - k >= 2 && k[0] == 0xc4 &&
		    (k[1] == 0xb0 || k[1] == 0xb1)) {
			k += 2; /* U+0130, U+0131: dotted and dotless I */
		} else
			return 0;
	}
	return k == end;
}

/* Fill vals[i] with the value of keys[i] in obj, or NULL. */
static void
scan_object(json_t **vals, json_t *obj, const struct keyname *keys, size_t n)
{
	void *it;
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	for (it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		json_t *v = json_object_iter_value(it);

		for (i = 0; i < n; i++) {
			if (!key_matches(key, klen, &keys[i]))
				continue;
			if (!json_is_null(v))
				vals[i] = v;
			else if (keys[i].null_clears)
				vals[i] = NULL;
			break;
		}
	}
}

/* Is a JSON string exactly s (NUL bytes inside count)? */
static int
str_is(const json_t *v, const char *s, size_t len)
{
	return json_string_length(v) == len &&
	    memcmp(json_string_value(v), s, len) == 0;
}

/* s, cut to fit buf, for a message: non-printable bytes become '?'. */
static const char *
printable(char *buf, size_t bufsize, const char *s, size_t len)
{
	size_t i, n = len < bufsize - 1 ? len : bufsize - 1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	return buf;
}

static void
field_path(char *buf, size_t size, const struct field *f, const char *sub)
{
	int n;

	if (f->index >= 0)
		n = snprintf(buf, size, "%s[%ld]", f->name, f->index);
	else
		n = snprintf(buf, size, "%s", f->name);
	if (sub != NULL && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ".%s", sub);
}

/* Record "<field>[.<sub>]: <message>" and return code. */
static int field_error(int code, const struct field *f, const char *sub,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
field_error(
    int code, const struct field *f, const char *sub, const char *fmt, ...)
{
	char path[128], msg[256];
	va_list ap;

	field_path(path, sizeof(path), f, sub);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST, "%s: %s", path, msg);
	return code;
}

/* Prefix the message drydock_digest_parse() left with the field. */
static int
digest_error(int code, const struct field *f, const char *sub)
{
	char path[128], msg[DRYDOCK_ERROR_MSGMAX];

	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	field_path(path, sizeof(path), f, sub);
	drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST, "%s: %s", path, msg);
	return code;
}

static int
parse_digest(
    struct drydock_digest *d, json_t *v, const struct field *f, const char *sub)
{
	int error;

	if (v == NULL)
		return field_error(DRYDOCK_ECORRUPT, f, sub, "missing");
	if (!json_is_string(v))
		return field_error(DRYDOCK_ECORRUPT, f, sub, "not a string");
	error = drydock_digest_parse(
	    d, json_string_value(v), json_string_length(v));
	if (error < 0)
		return digest_error(error, f, sub);
	return 0;
}

/* An optional string: NULL when absent. */
static int
opt_string(const char **out, json_t *v, const struct field *f, const char *sub)
{
	if (v == NULL) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return field_error(DRYDOCK_ECORRUPT, f, sub, "not a string");
	*out = json_string_value(v);
	return 0;
}

static int
parse_platform(struct drydock_platform *p, json_t *obj, const struct field *f)
{
	json_t *v[P_NKEYS];
	int error;

	p->os = p->architecture = p->variant = NULL;
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return field_error(
		    DRYDOCK_ECORRUPT, f, "platform", "not an object");
	scan_object(v, obj, platform_keys, P_NKEYS);
	if ((error = opt_string(&p->os, v[P_OS], f, "platform.os")) < 0 ||
	    (error = opt_string(&p->architecture, v[P_ARCHITECTURE], f,
	         "platform.architecture")) < 0 ||
	    (error = opt_string(
	         &p->variant, v[P_VARIANT], f, "platform.variant")) < 0)
		return error;
	return 0;
}

/* urls: an array of strings; *nonempty tells whether it has any. */
static int
parse_urls(int *nonempty, json_t *v, const struct field *f)
{
	size_t i, n;

	*nonempty = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return field_error(DRYDOCK_ECORRUPT, f, "urls", "not an array");
	n = json_array_size(v);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(v, i)))
			return field_error(DRYDOCK_ECORRUPT, f, "urls",
			    "element %zu is not a string", i);
	*nonempty = n > 0;
	return 0;
}

static int
is_foreign_type(const json_t *mt)
{
	size_t i;

	for (i = 0; i < sizeof(foreign_types) / sizeof(foreign_types[0]); i++)
		if (str_is(mt, foreign_types[i].s, foreign_types[i].len))
			return 1;
	return 0;
}

static int
parse_descriptor(
    struct drydock_descriptor *d, json_t *obj, int role, const struct field *f)
{
	json_t *v[D_NKEYS];
	int error, has_urls;

	if (!json_is_object(obj))
		return field_error(DRYDOCK_ECORRUPT, f, NULL, "not an object");
	scan_object(v, obj, desc_keys,
	    role == DRYDOCK_REF_CHILD ? D_NKEYS : D_PLATFORM);
	d->role = role;
	if ((error = parse_digest(&d->digest, v[D_DIGEST], f, "digest")) < 0)
		return error;
	if (v[D_SIZE] == NULL)
		d->size = -1;
	else if (!json_is_integer(v[D_SIZE]))
		return field_error(
		    DRYDOCK_ECORRUPT, f, "size", "not an integer");
	else if ((d->size = json_integer_value(v[D_SIZE])) < 0)
		return field_error(DRYDOCK_ECORRUPT, f, "size",
		    "negative (%lld)", (long long)d->size);
	if ((error = opt_string(
	         &d->media_type, v[D_MEDIATYPE], f, "mediaType")) < 0 ||
	    (error = opt_string(&d->artifact_type, v[D_ARTIFACTTYPE], f,
	         "artifactType")) < 0 ||
	    (error = parse_urls(&has_urls, v[D_URLS], f)) < 0)
		return error;
	/*
	 * The registry holds no data for these: distribution 2.8 checks no
	 * presence for a config or layer carrying urls, nor for a Docker
	 * foreign layer, and OCI non-distributable layers are not to be
	 * pushed at all.
	 */
	d->foreign =
	    (role == DRYDOCK_REF_CONFIG || role == DRYDOCK_REF_LAYER) &&
	    (has_urls ||
	        (v[D_MEDIATYPE] != NULL && is_foreign_type(v[D_MEDIATYPE])));
	if (role == DRYDOCK_REF_CHILD)
		return parse_platform(&d->platform, v[D_PLATFORM], f);
	d->platform.os = d->platform.architecture = d->platform.variant = NULL;
	return 0;
}

/* Descriptors of an optional array field, appended to m->refs. */
static int
parse_array(struct drydock_manifest *m, json_t *arr, int role, const char *name)
{
	struct field f = {name, -1};
	size_t i, n;
	int error;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return field_error(DRYDOCK_ECORRUPT, &f, NULL, "not an array");
	n = json_array_size(arr);
	for (i = 0; i < n; i++) {
		f.index = (long)i;
		error = parse_descriptor(
		    &m->refs[m->nrefs], json_array_get(arr, i), role, &f);
		if (error < 0)
			return error;
		m->nrefs++;
	}
	return 0;
}

static int
parse_subject(struct drydock_manifest *m, json_t *subject)
{
	struct field f = {"subject", -1};
	int error;

	if (subject == NULL)
		return 0;
	error = parse_descriptor(
	    &m->refs[m->nrefs], subject, DRYDOCK_REF_SUBJECT, &f);
	if (error < 0)
		return error;
	m->nrefs++;
	m->has_subject = 1;
	return 0;
}

/* Docker schema2 and OCI manifests. */
static int
parse_image(struct drydock_manifest *m, json_t **top)
{
	struct field f = {"config", -1};
	int error;

	if (top[T_CONFIG] == NULL)
		return field_error(DRYDOCK_ECORRUPT, &f, NULL, "missing");
	error = parse_descriptor(
	    &m->refs[0], top[T_CONFIG], DRYDOCK_REF_CONFIG, &f);
	if (error < 0)
		return error;
	m->nrefs = 1;
	if ((error = parse_array(
	         m, top[T_LAYERS], DRYDOCK_REF_LAYER, "layers")) < 0)
		return error;
	if (m->kind == DRYDOCK_MANIFEST_OCI)
		return parse_subject(m, top[T_SUBJECT]);
	return 0;
}

/* Docker manifest lists and OCI indexes. */
static int
parse_index(struct drydock_manifest *m, json_t **top)
{
	int error;

	if ((error = parse_array(
	         m, top[T_MANIFESTS], DRYDOCK_REF_CHILD, "manifests")) < 0)
		return error;
	if (m->kind == DRYDOCK_MANIFEST_OCI_INDEX)
		return parse_subject(m, top[T_SUBJECT]);
	return 0;
}

/*
 * Remember refs[i] in an open-addressing table of ref indexes (slot 0 is
 * empty); return 1 when an equal digest was there already.
 */
static int
seen_before(
    uint32_t *table, size_t mask, const struct drydock_manifest *m, size_t i)
{
	size_t h = (size_t)drydock_digest_hash(&m->refs[i].digest) & mask;

	while (table[h] != 0) {
		if (drydock_digest_equal(
		        &m->refs[table[h] - 1].digest, &m->refs[i].digest))
			return 1;
		h = (h + 1) & mask;
	}
	table[h] = (uint32_t)i + 1;
	return 0;
}

/* Short lists are searched linearly; longer ones through a hash table. */
#define SCHEMA1_LINEAR_MAX 32

static int
is_duplicate(uint32_t *table, size_t mask, const struct drydock_manifest *m)
{
	size_t i, n = m->nrefs;

	if (table != NULL)
		return seen_before(table, mask, m, n);
	for (i = 0; i < n; i++)
		if (drydock_digest_equal(
		        &m->refs[i].digest, &m->refs[n].digest))
			return 1;
	return 0;
}

/* schema1: fsLayers[].blobSum, duplicates dropped, first one kept. */
static int
parse_schema1(struct drydock_manifest *m, json_t **top)
{
	struct field f = {"fsLayers", -1};
	json_t *arr = top[T_FSLAYERS], *v[S_NKEYS];
	uint32_t *table = NULL;
	size_t i, n, mask = 0;
	int error = 0;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return field_error(DRYDOCK_ECORRUPT, &f, NULL, "not an array");
	n = json_array_size(arr);
	if (n > SCHEMA1_LINEAR_MAX) {
		for (mask = 64; mask < 2 * n; mask <<= 1)
			;
		if ((table = calloc(mask, sizeof(*table))) == NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_OS, "out of memory");
			return DRYDOCK_ERROR;
		}
		mask--;
	}
	for (i = 0; i < n; i++) {
		struct drydock_descriptor *d = &m->refs[m->nrefs];
		json_t *layer = json_array_get(arr, i);

		f.index = (long)i;
		if (!json_is_object(layer)) {
			error = field_error(
			    DRYDOCK_ECORRUPT, &f, NULL, "not an object");
			goto out;
		}
		scan_object(v, layer, fslayer_keys, S_NKEYS);
		if ((error = parse_digest(
		         &d->digest, v[S_BLOBSUM], &f, "blobSum")) < 0)
			goto out;
		if (is_duplicate(table, mask, m))
			continue;
		d->role = DRYDOCK_REF_LAYER;
		d->size = -1;
		d->media_type = d->artifact_type = NULL;
		d->foreign = 0;
		d->platform.os = d->platform.architecture = NULL;
		d->platform.variant = NULL;
		m->nrefs++;
	}
out:
	free(table);
	return error;
}

static int
bad_json(const json_error_t *jerr)
{
	drydock_error_set(DRYDOCK_ERRCLASS_JSON,
	    "manifest is not valid JSON: %s at line %d, column %d", jerr->text,
	    jerr->line, jerr->column);
	return DRYDOCK_ECORRUPT;
}

/*
 * formats.md 2.5: schemaVersion 1 is schema1; 2 takes the kind from
 * mediaType, or without one from a non-null "manifests" key.  Like
 * distribution, we only guess an index then (*guessed): a "manifests" that
 * is no array cannot decode as one and makes an OCI manifest.
 */
static int
detect_kind(int *kind, int *guessed, const char **media_type, json_t **top)
{
	json_t *sv = top[T_SCHEMAVERSION], *mt = top[T_MEDIATYPE];
	struct field f = {"schemaVersion", -1}, mtf = {"mediaType", -1};
	char buf[128];

	if (mt != NULL && !json_is_string(mt))
		return field_error(
		    DRYDOCK_ECORRUPT, &mtf, NULL, "not a string");
	if (sv == NULL)
		return field_error(DRYDOCK_ECORRUPT, &f, NULL, "missing");
	if (!json_is_integer(sv))
		return field_error(
		    DRYDOCK_ECORRUPT, &f, NULL, "not an integer");
	*media_type = mt != NULL ? json_string_value(mt) : NULL;
	if (json_integer_value(sv) == 1) {
		*kind = DRYDOCK_MANIFEST_SCHEMA1;
		if (mt != NULL &&
		    (str_is(mt, LIT(DRYDOCK_MT_DOCKER_V1)) ||
		        str_is(mt, LIT(DRYDOCK_MT_DOCKER_V1_SIGNED))))
			return 0;
		*media_type = top[T_SIGNATURES] != NULL
		    ? DRYDOCK_MT_DOCKER_V1_SIGNED
		    : DRYDOCK_MT_DOCKER_V1;
		return 0;
	}
	if (json_integer_value(sv) != 2) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "unsupported manifest schemaVersion %lld",
		    (long long)json_integer_value(sv));
		return DRYDOCK_EUNSUPPORTED;
	}
	if (mt == NULL || json_string_length(mt) == 0) {
		if (json_is_array(top[T_MANIFESTS])) {
			*guessed = 1;
			*kind = DRYDOCK_MANIFEST_OCI_INDEX;
			*media_type = DRYDOCK_MT_OCI_INDEX;
		} else {
			*kind = DRYDOCK_MANIFEST_OCI;
			*media_type = DRYDOCK_MT_OCI_MANIFEST;
		}
		return 0;
	}
	if (str_is(mt, LIT(DRYDOCK_MT_DOCKER_V2)))
		*kind = DRYDOCK_MANIFEST_DOCKER_V2;
	else if (str_is(mt, LIT(DRYDOCK_MT_OCI_MANIFEST)))
		*kind = DRYDOCK_MANIFEST_OCI;
	else if (str_is(mt, LIT(DRYDOCK_MT_DOCKER_LIST)))
		*kind = DRYDOCK_MANIFEST_DOCKER_LIST;
	else if (str_is(mt, LIT(DRYDOCK_MT_OCI_INDEX)))
		*kind = DRYDOCK_MANIFEST_OCI_INDEX;
	else {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "unsupported manifest media type '%s'",
		    printable(buf, sizeof(buf), json_string_value(mt),
		        json_string_length(mt)));
		return DRYDOCK_EUNSUPPORTED;
	}
	return 0;
}

/* The array a kind takes its references from. */
static int
kind_array(int kind)
{
	switch (kind) {
	case DRYDOCK_MANIFEST_DOCKER_V2:
	case DRYDOCK_MANIFEST_OCI:
		return T_LAYERS;
	case DRYDOCK_MANIFEST_DOCKER_LIST:
	case DRYDOCK_MANIFEST_OCI_INDEX:
		return T_MANIFESTS;
	default:
		return T_FSLAYERS;
	}
}

/* How many descriptors a kind can find at most: config, array, subject. */
static size_t
ref_capacity(int kind, json_t **top)
{
	int idx = kind_array(kind);

	return json_array_size(top[idx]) + (idx == T_FSLAYERS ? 0 : 2);
}

static int
parse_kind(struct drydock_manifest *m, json_t **top)
{
	struct field f = {"artifactType", -1};
	int error;

	m->nrefs = 0;
	m->has_subject = 0;
	m->artifact_type = NULL;
	switch (m->kind) {
	case DRYDOCK_MANIFEST_DOCKER_V2:
	case DRYDOCK_MANIFEST_OCI:
		error = parse_image(m, top);
		break;
	case DRYDOCK_MANIFEST_DOCKER_LIST:
	case DRYDOCK_MANIFEST_OCI_INDEX:
		error = parse_index(m, top);
		break;
	default:
		error = parse_schema1(m, top);
		break;
	}
	if (error < 0)
		return error;
	if (m->kind == DRYDOCK_MANIFEST_OCI ||
	    m->kind == DRYDOCK_MANIFEST_OCI_INDEX)
		return opt_string(
		    &m->artifact_type, top[T_ARTIFACTTYPE], &f, NULL);
	return 0;
}

/*
 * Without a mediaType, distribution tries a "manifests" document as an
 * index and falls back to an OCI manifest when that does not decode; so do
 * we, keeping the index's error when both fail.
 */
static int
parse_guessed_index(struct drydock_manifest *m, json_t **top)
{
	char msg[DRYDOCK_ERROR_MSGMAX];
	int error;

	if ((error = parse_kind(m, top)) != DRYDOCK_ECORRUPT)
		return error;
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	m->kind = DRYDOCK_MANIFEST_OCI;
	if (parse_kind(m, top) == 0) {
		m->media_type = DRYDOCK_MT_OCI_MANIFEST;
		return 0;
	}
	m->kind = DRYDOCK_MANIFEST_OCI_INDEX;
	drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST, "%s", msg);
	return DRYDOCK_ECORRUPT;
}

int
drydock_manifest_parse(
    struct drydock_manifest **out, const char *buf, size_t len)
{
	struct drydock_manifest *m = NULL;
	json_t *root = NULL, *top[T_NKEYS];
	const char *media_type = NULL;
	json_error_t jerr;
	size_t cap;
	int error, guessed = 0, kind = DRYDOCK_MANIFEST_UNKNOWN;

	*out = NULL;
	root = json_loadb(len > 0 ? buf : "", len, JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		error = bad_json(&jerr);
		goto out;
	}
	if (!json_is_object(root)) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_MANIFEST, "manifest is not a JSON object");
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	scan_object(top, root, top_keys, T_NKEYS);
	if ((error = detect_kind(&kind, &guessed, &media_type, top)) < 0)
		goto out;
	cap = ref_capacity(kind, top);
	if (guessed && cap < ref_capacity(DRYDOCK_MANIFEST_OCI, top))
		cap = ref_capacity(DRYDOCK_MANIFEST_OCI, top);
	if (cap > (SIZE_MAX - sizeof(*m)) / sizeof(m->refs[0]) ||
	    (m = malloc(sizeof(*m) + cap * sizeof(m->refs[0]))) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_OS, "out of memory");
		error = DRYDOCK_ERROR;
		goto out;
	}
	m->root = root;
	root = NULL;
	m->kind = kind;
	m->media_type = media_type;
	error = guessed ? parse_guessed_index(m, top) : parse_kind(m, top);
	if (error < 0)
		goto out;
	*out = m;
	m = NULL;
out:
	drydock_manifest_free(m);
	json_decref(root);
	return error;
}

void
drydock_manifest_free(struct drydock_manifest *m)
{
	if (m == NULL)
		return;
	json_decref(m->root);
	m->root = NULL;
	free(m);
}

int
drydock_manifest_kind(const struct drydock_manifest *m)
{
	return m != NULL ? m->kind : DRYDOCK_MANIFEST_UNKNOWN;
}

const char *
drydock_manifest_media_type(const struct drydock_manifest *m)
{
	return m != NULL ? m->media_type : NULL;
}

const char *
drydock_manifest_artifact_type(const struct drydock_manifest *m)
{
	return m != NULL ? m->artifact_type : NULL;
}

int
drydock_manifest_is_index(const struct drydock_manifest *m)
{
	return m != NULL &&
	    (m->kind == DRYDOCK_MANIFEST_DOCKER_LIST ||
	        m->kind == DRYDOCK_MANIFEST_OCI_INDEX);
}

size_t
drydock_manifest_ref_count(const struct drydock_manifest *m)
{
	return m != NULL ? m->nrefs : 0;
}

const struct drydock_descriptor *
drydock_manifest_ref(const struct drydock_manifest *m, size_t i)
{
	if (m == NULL || i >= m->nrefs)
		return NULL;
	return &m->refs[i];
}

const struct drydock_descriptor *
drydock_manifest_subject(const struct drydock_manifest *m)
{
	if (m == NULL || !m->has_subject)
		return NULL;
	return &m->refs[m->nrefs - 1];
}

const char *
drydock_manifest_kind_name(int kind)
{
	switch (kind) {
	case DRYDOCK_MANIFEST_DOCKER_V2:
		return "docker-v2";
	case DRYDOCK_MANIFEST_DOCKER_LIST:
		return "docker-list";
	case DRYDOCK_MANIFEST_OCI:
		return "oci-manifest";
	case DRYDOCK_MANIFEST_OCI_INDEX:
		return "oci-index";
	case DRYDOCK_MANIFEST_SCHEMA1:
		return "schema1";
	default:
		return "unknown";
	}
}

const char *
drydock_ref_role_name(int role)
{
	switch (role) {
	case DRYDOCK_REF_CONFIG:
		return "config";
	case DRYDOCK_REF_LAYER:
		return "layer";
	case DRYDOCK_REF_CHILD:
		return "child";
	case DRYDOCK_REF_SUBJECT:
		return "subject";
	default:
		return "unknown";
	}
}
