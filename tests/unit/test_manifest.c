/* SPDX-License-Identifier: MIT */
/*
 * test_manifest.c --- manifest parsing: every kind a registry stores, type
 * detection without mediaType, Go's key rules, every error path, and random
 * mutations of valid manifests.
 *
 * JSON is written with ' for " to keep it readable; q() swaps them back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/manifest.h>

#define H_CONFIG                                                               \
	"b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
#define H_LAYER1                                                               \
	"77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
#define H_LAYER2                                                               \
	"95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
#define H_LAYER3                                                               \
	"a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8"
#define H_AMD64                                                                \
	"5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51"
#define H_ARM64                                                                \
	"f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265"
#define H_ATTEST                                                               \
	"bcc7930764b9b7a8b9bbd0161b568e869466d0c4efaee8006a56f3e8e6d82b69"
#define H_NESTED                                                               \
	"233562de1a0288b139c4fa40b7d189f806e906eeb048517aeb67f34ac0e2faf1"
#define H_SUBJECT                                                              \
	"a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242"
#define H_SBOM                                                                 \
	"98f3ae1ef67113d8140d4f6cb8d2830070e21ea48f091be519659846c771a374"
#define H_BASE                                                                 \
	"cae662172fd450bb0cd710a769079c05bfc5d8e35efa6576edc7d0377afdd4a2"
/* The empty descriptor {} and the gzipped empty tar (formats.md 2.4). */
#define H_EMPTY                                                                \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define H_THROWAWAY                                                            \
	"a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
#define H512                                                                   \
	"5a473dbfcc77861a88e197d0ddff25c7934b4e1a2deb30e08965a130a4a88181"     \
	"e34fe3d01347a2189e3df7d20797be1d0b0bff44883e9ac164a18ec06befc101"

#define S256(h) "sha256:" h

#define MT_DCFG "application/vnd.docker.container.image.v1+json"
#define MT_DLAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DFOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MT_OCFG "application/vnd.oci.image.config.v1+json"
#define MT_OLAYER "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OEMPTY "application/vnd.oci.empty.v1+json"
#define MT_ONONDIST "application/vnd.oci.image.layer.nondistributable.v1.tar"

/* A descriptor in JSON. */
#define DESC(mt, size, hex)                                                    \
	"{'mediaType':'" mt "','size':" #size ",'digest':'sha256:" hex "'}"

/* Swap ' for "; the caller frees. */
static char *
q(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static int
parse_q(struct drydock_manifest **m, const char *s)
{
	char *json = q(s);
	int error = drydock_manifest_parse(m, json, strlen(json));

	free(json);
	return error;
}

/* --- the table of valid manifests -------------------------------------- */

struct exp_ref {
	int role;
	const char *digest;
	int64_t size;
	const char *media_type;
	int foreign;
	const char *os, *arch, *variant;
	const char *artifact_type;
};

struct good_case {
	const char *name;
	const char *json;
	int kind;
	const char *media_type;
	const char *artifact_type;
	int has_subject;
	size_t nrefs;
	struct exp_ref refs[8];
};

/* A Docker schema2 manifest as docker push writes it (3-space indent). */
static const char docker_v2[] =
    "{\n"
    "   'schemaVersion': 2,\n"
    "   'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',\n"
    "   'config': {\n"
    "      'mediaType': '" MT_DCFG "',\n"
    "      'size': 1469,\n"
    "      'digest': 'sha256:" H_CONFIG "'\n"
    "   },\n"
    "   'layers': [\n"
    "      {\n"
    "         'mediaType': '" MT_DLAYER "',\n"
    "         'size': 2818413,\n"
    "         'digest': 'sha256:" H_LAYER1 "'\n"
    "      },\n"
    "      {\n"
    "         'mediaType': '" MT_DLAYER "',\n"
    "         'size': 32,\n"
    "         'digest': 'sha256:" H_LAYER2 "'\n"
    "      },\n"
    "      {\n"
    "         'mediaType': '" MT_DLAYER "',\n"
    "         'size': 0,\n"
    "         'digest': 'sha256:" H_LAYER3 "'\n"
    "      }\n"
    "   ]\n"
    "}";

static const char docker_foreign[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_V2 "',"
    "'config':" DESC(MT_DCFG, 1500,
        H_CONFIG) ","
                  "'layers':[{'mediaType':'" MT_DFOREIGN "','size':9000,"
                  "'digest':'sha256:" H_BASE
                  "','urls':['https://example.com/base.tgz']}," DESC(
                      MT_DLAYER, 300, H_LAYER1) "]}";

static const char docker_list[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_LIST "',"
    "'manifests':["
    "{'mediaType':'" DRYDOCK_MT_DOCKER_V2 "','size':528,"
    "'digest':'sha256:" H_AMD64 "',"
    "'platform':{'architecture':'amd64','os':'linux'}},"
    "{'mediaType':'" DRYDOCK_MT_DOCKER_V2 "','size':528,"
    "'digest':'sha256:" H_ARM64 "',"
    "'platform':{'architecture':'arm64','os':'linux','variant':'v8'}}]}";

static const char oci_manifest[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
    "'config':" DESC(MT_OCFG, 581,
        H_CONFIG) ","
                  "'layers':[" DESC(MT_OLAYER, 3370706, H_LAYER1) "," DESC(
                      MT_OLAYER, 1234,
                      H_LAYER2) "],"
                                "'annotations':{'org.opencontainers.image.base."
                                "digest':"
                                "'sha256:" H_BASE
                                "','org.opencontainers.image.created':"
                                "'2024-01-01T00:00:00Z'}}";

static const char oci_artifact[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
    "'artifactType':'application/vnd.example.sbom.v1',"
    "'config':{'mediaType':'" MT_OEMPTY "','size':2,"
    "'digest':'sha256:" H_EMPTY "','data':'e30='},"
    "'layers':[{'mediaType':'application/spdx+json','size':1234,"
    "'digest':'sha256:" H_SBOM "'}],"
    "'subject':{'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "','size':1021,"
    "'digest':'sha256:" H_SUBJECT "'},"
    "'annotations':{'org.opencontainers.image.created':'2024'}}";

/* buildx: two platforms, an attestation manifest, a nested index. */
static const char oci_index[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_INDEX "',"
    "'artifactType':'application/vnd.example.bundle',"
    "'manifests':["
    "{'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "','size':1000,"
    "'digest':'sha256:" H_AMD64 "',"
    "'platform':{'architecture':'amd64','os':'linux'}},"
    "{'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "','size':1001,"
    "'digest':'sha256:" H_ARM64 "',"
    "'platform':{'architecture':'arm64','os':'linux','variant':'v8',"
    "'os.features':['x'],'os.version':'1'}},"
    "{'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "','size':566,"
    "'digest':'sha256:" H_ATTEST "',"
    "'annotations':{'vnd.docker.reference.digest':'sha256:" H_AMD64 "',"
    "'vnd.docker.reference.type':'attestation-manifest'},"
    "'platform':{'architecture':'unknown','os':'unknown'}},"
    "{'mediaType':'" DRYDOCK_MT_OCI_INDEX "','size':300,"
    "'digest':'sha256:" H_NESTED "','artifactType':'application/x.nested'}"
    "],"
    "'subject':{'mediaType':'" DRYDOCK_MT_OCI_INDEX "','size':77,"
    "'digest':'sha256:" H_SUBJECT "'}}";

/* OCI before image-spec 1.0.2: no mediaType at all. */
static const char oci_no_mt[] =
    "{'schemaVersion':2,"
    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ","
                                           "'layers':[" DESC(
                                               MT_OLAYER, 6, H_LAYER1) "]}";

static const char index_no_mt[] = "{'schemaVersion':2,'manifests':[" DESC(
    DRYDOCK_MT_OCI_MANIFEST, 7, H_AMD64) "]}";

/* A Docker schema2 body without mediaType is served as OCI. */
static const char docker_no_mt[] = "{'schemaVersion':2,'config':" DESC(
    MT_DCFG, 5, H_CONFIG) ","
                          "'layers':[" DESC(MT_DLAYER, 6, H_LAYER1) "]}";

/* "manifests": null is Go's nil slice: not an index. */
static const char null_manifests[] =
    "{'schemaVersion':2,'mediaType':null,'manifests':null,"
    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'layers':[]}";

/* A "manifests" that cannot decode as an index: distribution's fallback. */
static const char bad_index_no_mt[] =
    "{'schemaVersion':2,'manifests':[{'digest':5}],"
    "'config':" DESC(MT_OCFG, 5, H_CONFIG) "}";
static const char string_manifests[] =
    "{'schemaVersion':2,'manifests':'x',"
    "'config':" DESC(MT_OCFG, 5, H_CONFIG) "}";

/* Unsigned payload: duplicates (the throwaway layer) dropped, top first. */
static const char schema1[] =
    "{\n   'schemaVersion': 1,\n   'name': 'library/busybox',\n"
    "   'tag': 'latest',\n   'architecture': 'amd64',\n"
    "   'fsLayers': [\n"
    "      {'blobSum': 'sha256:" H_THROWAWAY "'},\n"
    "      {'blobSum': 'sha256:" H_LAYER1 "'},\n"
    "      {'blobSum': 'sha256:" H_THROWAWAY "'},\n"
    "      {'blobSum': 'sha256:" H_LAYER2 "'},\n"
    "      {'blobSum': 'sha256:" H_LAYER1 "'}\n   ],\n"
    "   'history': [{'v1Compatibility': '{\\'id\\':\\'a\\'}'},"
    "{'v1Compatibility': '{}'},{'v1Compatibility': '{}'},"
    "{'v1Compatibility': '{}'},{'v1Compatibility': '{}'}]\n}";

static const char schema1_signed[] =
    "{\n   'schemaVersion': 1,\n   'name': 'x/y',\n   'tag': 't',\n"
    "   'architecture': 'amd64',\n   'fsLayers': [\n"
    "      {'blobSum': 'sha256:" H_LAYER3 "'},\n"
    "      {'blobSum': 'sha256:" H_THROWAWAY "'}\n   ],\n"
    "   'history': [{'v1Compatibility': '{}'},{'v1Compatibility': '{}'}],\n"
    "   'signatures': [{'header': {'jwk': {'crv': 'P-256','kty': 'EC',"
    "'x': 'a','y': 'b'},'alg': 'ES256'},'signature': 'c2ln',"
    "'protected': 'eyJmb3JtYXRMZW5ndGgiOjEwfQ'}]\n}";

static const char sha512_layers[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ","
                                           "'layers':[{'mediaType':'" MT_OLAYER
                                           "','size':10,"
                                           "'digest':'sha512:" H512 "'}]}";

static const char oci_foreign[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
    "'config':{'mediaType':'" MT_OCFG "','size':5,"
    "'digest':'sha256:" H_CONFIG "','urls':['https://e.x/c']},"
    "'layers':[" DESC(MT_ONONDIST, 1, H_LAYER1) "," DESC(MT_ONONDIST "+zstd", 2,
        H_LAYER2) ","
                  "{'mediaType':'" MT_OLAYER
                  "','size':3,'digest':'sha256:" H_LAYER3 "',"
                  "'urls':['https://e.x/3']},"
                  "{'mediaType':'" MT_OLAYER
                  "','size':4,'digest':'sha256:" H_BASE "',"
                  "'urls':[]}]}";

/* Go's decoder: keys fold, the last one wins, null leaves a string unset. */
static const char go_keys[] =
    "{'SCHEMAVERSION':2,'MediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
    "'Config':{'Digest':'sha256:" H_CONFIG "','\\u017fize':5},"
    "'LAYERS':[{'d\\u0131gest':'sha256:" H_LAYER1 "'},"
    "{'digest':'sha256:" H_BASE "','Digest':'sha256:" H_LAYER2 "',"
    "'mediaType':'x','MEDIATYPE':null}],"
    "'subject':{'digest':'sha256:" H_SUBJECT "'},'Subject':null}";

/* Docker's structs have no subject or artifactType: Go ignores them. */
static const char docker_subject[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_V2 "',"
    "'artifactType':5,'config':" DESC(MT_DCFG, 5,
        H_CONFIG) ","
                  "'subject':" DESC(DRYDOCK_MT_DOCKER_V2, 9, H_SUBJECT) "}";
static const char list_subject[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_LIST "',"
    "'artifactType':'x','subject':'junk','manifests':[]}";

static const char empty_index[] =
    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_INDEX "',"
    "'layers':5,'config':'x'}";

#define R(role, d, size, mt, foreign)                                          \
	{                                                                      \
		DRYDOCK_REF_##role, d, size, mt, foreign, NULL, NULL, NULL,    \
		    NULL                                                       \
	}
#define C(d, size, mt, os, arch, variant)                                      \
	{                                                                      \
		DRYDOCK_REF_CHILD, d, size, mt, 0, os, arch, variant, NULL     \
	}

static const struct good_case good_cases[] = {
    {"docker-v2", docker_v2, DRYDOCK_MANIFEST_DOCKER_V2, DRYDOCK_MT_DOCKER_V2,
        NULL, 0, 4,
        {R(CONFIG, S256(H_CONFIG), 1469, MT_DCFG, 0),
            R(LAYER, S256(H_LAYER1), 2818413, MT_DLAYER, 0),
            R(LAYER, S256(H_LAYER2), 32, MT_DLAYER, 0),
            R(LAYER, S256(H_LAYER3), 0, MT_DLAYER, 0)}},
    {"docker-foreign", docker_foreign, DRYDOCK_MANIFEST_DOCKER_V2,
        DRYDOCK_MT_DOCKER_V2, NULL, 0, 3,
        {R(CONFIG, S256(H_CONFIG), 1500, MT_DCFG, 0),
            R(LAYER, S256(H_BASE), 9000, MT_DFOREIGN, 1),
            R(LAYER, S256(H_LAYER1), 300, MT_DLAYER, 0)}},
    {"docker-list", docker_list, DRYDOCK_MANIFEST_DOCKER_LIST,
        DRYDOCK_MT_DOCKER_LIST, NULL, 0, 2,
        {C(S256(H_AMD64), 528, DRYDOCK_MT_DOCKER_V2, "linux", "amd64", NULL),
            C(S256(H_ARM64), 528, DRYDOCK_MT_DOCKER_V2, "linux", "arm64",
                "v8")}},
    {"oci-manifest", oci_manifest, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 3,
        {R(CONFIG, S256(H_CONFIG), 581, MT_OCFG, 0),
            R(LAYER, S256(H_LAYER1), 3370706, MT_OLAYER, 0),
            R(LAYER, S256(H_LAYER2), 1234, MT_OLAYER, 0)}},
    {"oci-artifact", oci_artifact, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, "application/vnd.example.sbom.v1", 1, 3,
        {R(CONFIG, S256(H_EMPTY), 2, MT_OEMPTY, 0),
            R(LAYER, S256(H_SBOM), 1234, "application/spdx+json", 0),
            R(SUBJECT, S256(H_SUBJECT), 1021, DRYDOCK_MT_OCI_MANIFEST, 0)}},
    {"oci-index", oci_index, DRYDOCK_MANIFEST_OCI_INDEX, DRYDOCK_MT_OCI_INDEX,
        "application/vnd.example.bundle", 1, 5,
        {C(S256(H_AMD64), 1000, DRYDOCK_MT_OCI_MANIFEST, "linux", "amd64",
             NULL),
            C(S256(H_ARM64), 1001, DRYDOCK_MT_OCI_MANIFEST, "linux", "arm64",
                "v8"),
            C(S256(H_ATTEST), 566, DRYDOCK_MT_OCI_MANIFEST, "unknown",
                "unknown", NULL),
            {DRYDOCK_REF_CHILD, S256(H_NESTED), 300, DRYDOCK_MT_OCI_INDEX, 0,
                NULL, NULL, NULL, "application/x.nested"},
            R(SUBJECT, S256(H_SUBJECT), 77, DRYDOCK_MT_OCI_INDEX, 0)}},
    {"oci-no-mediatype", oci_no_mt, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 2,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 0),
            R(LAYER, S256(H_LAYER1), 6, MT_OLAYER, 0)}},
    {"index-no-mediatype", index_no_mt, DRYDOCK_MANIFEST_OCI_INDEX,
        DRYDOCK_MT_OCI_INDEX, NULL, 0, 1,
        {C(S256(H_AMD64), 7, DRYDOCK_MT_OCI_MANIFEST, NULL, NULL, NULL)}},
    {"docker-no-mediatype", docker_no_mt, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 2,
        {R(CONFIG, S256(H_CONFIG), 5, MT_DCFG, 0),
            R(LAYER, S256(H_LAYER1), 6, MT_DLAYER, 0)}},
    {"null-manifests", null_manifests, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 1,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 0)}},
    {"bad-index-falls-back", bad_index_no_mt, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 1,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 0)}},
    {"string-manifests", string_manifests, DRYDOCK_MANIFEST_OCI,
        DRYDOCK_MT_OCI_MANIFEST, NULL, 0, 1,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 0)}},
    {"schema1", schema1, DRYDOCK_MANIFEST_SCHEMA1, DRYDOCK_MT_DOCKER_V1, NULL,
        0, 3,
        {R(LAYER, S256(H_THROWAWAY), -1, NULL, 0),
            R(LAYER, S256(H_LAYER1), -1, NULL, 0),
            R(LAYER, S256(H_LAYER2), -1, NULL, 0)}},
    {"schema1-signed", schema1_signed, DRYDOCK_MANIFEST_SCHEMA1,
        DRYDOCK_MT_DOCKER_V1_SIGNED, NULL, 0, 2,
        {R(LAYER, S256(H_LAYER3), -1, NULL, 0),
            R(LAYER, S256(H_THROWAWAY), -1, NULL, 0)}},
    {"sha512", sha512_layers, DRYDOCK_MANIFEST_OCI, DRYDOCK_MT_OCI_MANIFEST,
        NULL, 0, 2,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 0),
            R(LAYER, "sha512:" H512, 10, MT_OLAYER, 0)}},
    {"oci-foreign", oci_foreign, DRYDOCK_MANIFEST_OCI, DRYDOCK_MT_OCI_MANIFEST,
        NULL, 0, 5,
        {R(CONFIG, S256(H_CONFIG), 5, MT_OCFG, 1),
            R(LAYER, S256(H_LAYER1), 1, MT_ONONDIST, 1),
            R(LAYER, S256(H_LAYER2), 2, MT_ONONDIST "+zstd", 1),
            R(LAYER, S256(H_LAYER3), 3, MT_OLAYER, 1),
            R(LAYER, S256(H_BASE), 4, MT_OLAYER, 0)}},
    {"go-keys", go_keys, DRYDOCK_MANIFEST_OCI, DRYDOCK_MT_OCI_MANIFEST, NULL, 0,
        3,
        {R(CONFIG, S256(H_CONFIG), 5, NULL, 0),
            R(LAYER, S256(H_LAYER1), -1, NULL, 0),
            R(LAYER, S256(H_LAYER2), -1, "x", 0)}},
    {"docker-v2-subject", docker_subject, DRYDOCK_MANIFEST_DOCKER_V2,
        DRYDOCK_MT_DOCKER_V2, NULL, 0, 1,
        {R(CONFIG, S256(H_CONFIG), 5, MT_DCFG, 0)}},
    {"docker-list-subject", list_subject, DRYDOCK_MANIFEST_DOCKER_LIST,
        DRYDOCK_MT_DOCKER_LIST, NULL, 0, 0, {R(CONFIG, NULL, 0, NULL, 0)}},
    {"empty-index", empty_index, DRYDOCK_MANIFEST_OCI_INDEX,
        DRYDOCK_MT_OCI_INDEX, NULL, 0, 0, {R(CONFIG, NULL, 0, NULL, 0)}},
};

#define NGOOD (sizeof(good_cases) / sizeof(good_cases[0]))

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void
check_good(const struct good_case *c)
{
	struct drydock_manifest *m = NULL;
	char buf[DRYDOCK_DIGEST_STRMAX];
	size_t i;
	int error;

	error = parse_q(&m, c->json);
	if (error != 0)
		fail_msg("%s: %s", c->name, drydock_error_message());
	assert_int_equal(drydock_manifest_kind(m), c->kind);
	assert_string_equal(drydock_manifest_media_type(m), c->media_type);
	assert_str_or_null(drydock_manifest_artifact_type(m), c->artifact_type);
	assert_int_equal(drydock_manifest_is_index(m),
	    c->kind == DRYDOCK_MANIFEST_DOCKER_LIST ||
	        c->kind == DRYDOCK_MANIFEST_OCI_INDEX);
	if (drydock_manifest_ref_count(m) != c->nrefs)
		fail_msg("%s: %zu refs, want %zu", c->name,
		    drydock_manifest_ref_count(m), c->nrefs);
	for (i = 0; i < c->nrefs; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);
		const struct exp_ref *e = &c->refs[i];

		assert_non_null(d);
		assert_int_equal(d->role, e->role);
		assert_string_equal(
		    drydock_digest_format(buf, &d->digest), e->digest);
		assert_int_equal(d->size, e->size);
		assert_str_or_null(d->media_type, e->media_type);
		assert_int_equal(d->foreign, e->foreign);
		assert_str_or_null(d->platform.os, e->os);
		assert_str_or_null(d->platform.architecture, e->arch);
		assert_str_or_null(d->platform.variant, e->variant);
		assert_str_or_null(d->artifact_type, e->artifact_type);
	}
	assert_null(drydock_manifest_ref(m, c->nrefs));
	if (c->has_subject) {
		assert_ptr_equal(drydock_manifest_subject(m),
		    drydock_manifest_ref(m, c->nrefs - 1));
		assert_int_equal(
		    drydock_manifest_subject(m)->role, DRYDOCK_REF_SUBJECT);
	} else
		assert_null(drydock_manifest_subject(m));
	drydock_manifest_free(m);
}

static void
test_manifest__good_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NGOOD; i++)
		check_good(&good_cases[i]);
}

/* Strings stay valid until free, and the input buffer may go first. */
static void
test_manifest__strings_borrowed(void **state)
{
	struct drydock_manifest *m = NULL;
	char *json = q(oci_index);
	const struct drydock_descriptor *d;

	(void)state;
	assert_int_equal(drydock_manifest_parse(&m, json, strlen(json)), 0);
	memset(json, 'x', strlen(json));
	free(json);
	d = drydock_manifest_ref(m, 1);
	assert_string_equal(d->platform.variant, "v8");
	assert_string_equal(d->media_type, DRYDOCK_MT_OCI_MANIFEST);
	assert_string_equal(drydock_manifest_artifact_type(m),
	    "application/vnd.example.bundle");
	drydock_manifest_free(m);
	drydock_manifest_free(NULL);
}

/* The input need not be NUL-terminated. */
static void
test_manifest__not_nul_terminated(void **state)
{
	struct drydock_manifest *m = NULL;
	char *json = q(oci_no_mt);
	size_t len = strlen(json);
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, json, len);
	assert_int_equal(drydock_manifest_parse(&m, buf, len), 0);
	assert_int_equal(drydock_manifest_ref_count(m), 2);
	drydock_manifest_free(m);
	free(buf);
	free(json);
}

/* Long schema1 manifests go through the hash table; order is kept. */
static void
test_manifest__schema1_many_duplicates(void **state)
{
	static const char *const hex[] = {H_LAYER1, H_LAYER2, H_LAYER3,
	    H_CONFIG, H_BASE, H_AMD64, H_ARM64, H_ATTEST, H_NESTED, H_SBOM};
	struct drydock_manifest *m = NULL;
	char *json = malloc(200 * 100 + 100), *p = json;
	char buf[DRYDOCK_DIGEST_STRMAX];
	size_t i;

	(void)state;
	assert_non_null(json);
	p += sprintf(p, "{\"schemaVersion\":1,\"fsLayers\":[");
	for (i = 0; i < 200; i++)
		p += sprintf(p, "%s{\"blobSum\":\"sha256:%s\"}", i ? "," : "",
		    hex[(i * 7) % 10]);
	sprintf(p, "]}");
	assert_int_equal(drydock_manifest_parse(&m, json, strlen(json)), 0);
	assert_int_equal(drydock_manifest_ref_count(m), 10);
	for (i = 0; i < 10; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);

		drydock_digest_hex(buf, &d->digest);
		assert_string_equal(buf, hex[(i * 7) % 10]);
		assert_int_equal(d->role, DRYDOCK_REF_LAYER);
	}
	drydock_manifest_free(m);
	free(json);
}

/* --- errors ------------------------------------------------------------- */

struct bad_case {
	const char *json;
	int code;
	const char *message; /* a substring of the message */
};

#define V2 "'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_V2 "',"
#define OCI "'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
#define IDX "'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_INDEX "',"
#define CFG "'config':" DESC(MT_DCFG, 5, H_CONFIG)
#define L(hex) DESC(MT_DLAYER, 1, hex)

static const struct bad_case bad_cases[] = {
    /* the exact message the brief promises */
    {"{" V2 CFG ",'layers':[" L(H_LAYER1) "," L(
         H_LAYER2) ","
                   "{'digest':'sha256:"
                   "77ea7Gee3d80b1a38f83906dd3048e2689457eb90e18a7d12f"
                   "839c5ae37106a2'}]}",
        DRYDOCK_ECORRUPT,
        "layers[2].digest: invalid character in digest hex at offset 5"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:77EA7EEE3D80B1A38F83906DD304"
     "8E2689457EB90E18A7D12F839C5AE37106A2'}]}",
        DRYDOCK_ECORRUPT, "layers[0].digest: invalid character"},
    {"{" V2 CFG ",'layers':[{'digest':'" H_LAYER1 "'}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: digest has no algorithm prefix"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:abc'}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: sha256 digest must have 64"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:" H_LAYER1 "\\n'}]}",
        DRYDOCK_ECORRUPT, "layers[0].digest"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:" H_LAYER1 "\\u0000'}]}",
        DRYDOCK_ECORRUPT, "layers[0].digest"},
    {"{" V2 CFG ",'layers':[{'digest':''}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: empty digest"},
    {"{" V2 CFG ",'layers':[{'digest':'sha384:" H_LAYER1 H_LAYER2 "'}]}",
        DRYDOCK_EUNSUPPORTED,
        "layers[0].digest: unsupported digest algorithm 'sha384'"},
    {"{" V2 CFG ",'layers':[{'digest':5}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: not a string"},
    {"{" V2 CFG ",'layers':[{'mediaType':'x'}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: missing"},
    {"{" V2 CFG ",'layers':[{'digest':null}]}", DRYDOCK_ECORRUPT,
        "layers[0].digest: missing"},
    {"{" V2 CFG ",'layers':{}}", DRYDOCK_ECORRUPT, "layers: not an array"},
    {"{" V2 CFG ",'layers':[" L(H_LAYER1) ",[]]}", DRYDOCK_ECORRUPT,
        "layers[1]: not an object"},
    {"{" V2 CFG ",'layers':['sha256:" H_LAYER1 "']}", DRYDOCK_ECORRUPT,
        "layers[0]: not an object"},
    {"{" V2 "'layers':[]}", DRYDOCK_ECORRUPT, "config: missing"},
    {"{" V2 "'config':null}", DRYDOCK_ECORRUPT, "config: missing"},
    {"{" V2 "'config':'sha256:" H_CONFIG "'}", DRYDOCK_ECORRUPT,
        "config: not an object"},
    {"{" V2 "'config':{'digest':'sha256:" H_CONFIG "','size':-1}}",
        DRYDOCK_ECORRUPT, "config.size: negative"},
    {"{" V2 "'config':{'digest':'sha256:" H_CONFIG "','size':1.5}}",
        DRYDOCK_ECORRUPT, "config.size: not an integer"},
    {"{" V2 "'config':{'digest':'sha256:" H_CONFIG "','size':2.0}}",
        DRYDOCK_ECORRUPT, "config.size: not an integer"},
    {"{" V2 "'config':{'digest':'sha256:" H_CONFIG "','size':'5'}}",
        DRYDOCK_ECORRUPT, "config.size: not an integer"},
    {"{" V2 "'config':{'digest':'sha256:" H_CONFIG "','mediaType':5}}",
        DRYDOCK_ECORRUPT, "config.mediaType: not a string"},
    {"{" OCI CFG ",'layers':[{'digest':'sha256:" H_LAYER1 "',"
     "'artifactType':[]}]}",
        DRYDOCK_ECORRUPT, "layers[0].artifactType: not a string"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:" H_LAYER1 "','urls':'u'}]}",
        DRYDOCK_ECORRUPT, "layers[0].urls: not an array"},
    {"{" V2 CFG ",'layers':[{'digest':'sha256:" H_LAYER1 "','urls':[1]}]}",
        DRYDOCK_ECORRUPT, "layers[0].urls: element 0 is not a string"},
    {"{" IDX "'manifests':{}}", DRYDOCK_ECORRUPT, "manifests: not an array"},
    {"{" IDX "'manifests':[{'digest':'sha256:" H_AMD64 "','platform':'x'}]}",
        DRYDOCK_ECORRUPT, "manifests[0].platform: not an object"},
    {"{" IDX "'manifests':[{'digest':'sha256:" H_AMD64 "',"
     "'platform':{'os':1}}]}",
        DRYDOCK_ECORRUPT, "manifests[0].platform.os: not a string"},
    {"{" IDX "'manifests':[{'digest':'sha256:" H_AMD64 "',"
     "'platform':{'architecture':{}}}]}",
        DRYDOCK_ECORRUPT, "manifests[0].platform.architecture: not a string"},
    {"{" IDX "'manifests':[{'digest':'sha256:" H_AMD64 "',"
     "'platform':{'variant':true}}]}",
        DRYDOCK_ECORRUPT, "manifests[0].platform.variant: not a string"},
    {"{" IDX "'manifests':[],'subject':'x'}", DRYDOCK_ECORRUPT,
        "subject: not an object"},
    {"{" IDX "'manifests':[],'subject':{'digest':'sha256:1'}}",
        DRYDOCK_ECORRUPT, "subject.digest: sha256 digest must have 64"},
    {"{" OCI CFG ",'subject':{'size':1}}", DRYDOCK_ECORRUPT,
        "subject.digest: missing"},
    {"{" OCI CFG ",'artifactType':7}", DRYDOCK_ECORRUPT,
        "artifactType: not a string"},
    {"{" IDX "'artifactType':false}", DRYDOCK_ECORRUPT,
        "artifactType: not a string"},
    /* detection */
    {"{'mediaType':'" DRYDOCK_MT_DOCKER_V2 "'," CFG "}", DRYDOCK_ECORRUPT,
        "schemaVersion: missing"},
    {"{'schemaVersion':null," CFG "}", DRYDOCK_ECORRUPT,
        "schemaVersion: missing"},
    {"{'schemaVersion':'2'," CFG "}", DRYDOCK_ECORRUPT,
        "schemaVersion: not an integer"},
    {"{'schemaVersion':2.0," CFG "}", DRYDOCK_ECORRUPT,
        "schemaVersion: not an integer"},
    {"{'schemaVersion':3," CFG "}", DRYDOCK_EUNSUPPORTED,
        "unsupported manifest schemaVersion 3"},
    {"{'schemaVersion':0," CFG "}", DRYDOCK_EUNSUPPORTED,
        "unsupported manifest schemaVersion 0"},
    {"{'schemaVersion':-1}", DRYDOCK_EUNSUPPORTED, "schemaVersion -1"},
    {"{'schemaVersion':2,'mediaType':'application/vnd.example+json'," CFG "}",
        DRYDOCK_EUNSUPPORTED,
        "unsupported manifest media type 'application/vnd.example+json'"},
    {"{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_V1 "'}",
        DRYDOCK_EUNSUPPORTED, "unsupported manifest media type"},
    {"{'schemaVersion':2,'mediaType':'application/json'}", DRYDOCK_EUNSUPPORTED,
        "'application/json'"},
    {"{'schemaVersion':2,'mediaType':'a\\u0001b'}", DRYDOCK_EUNSUPPORTED,
        "'a?b'"},
    {"{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_DOCKER_V2 "\\u0000'," CFG
     "}",
        DRYDOCK_EUNSUPPORTED, "unsupported manifest media type"},
    {"{'schemaVersion':2,'mediaType':5}", DRYDOCK_ECORRUPT,
        "mediaType: not a string"},
    {"{'schemaVersion':2}", DRYDOCK_ECORRUPT, "config: missing"},
    /* a guessed index whose fallback fails too keeps the index error */
    {"{'schemaVersion':2,'manifests':[{'digest':'x'}]}", DRYDOCK_ECORRUPT,
        "manifests[0].digest"},
    /* schema1 */
    {"{'schemaVersion':1,'fsLayers':{}}", DRYDOCK_ECORRUPT,
        "fsLayers: not an array"},
    {"{'schemaVersion':1,'fsLayers':[7]}", DRYDOCK_ECORRUPT,
        "fsLayers[0]: not an object"},
    {"{'schemaVersion':1,'fsLayers':[{'blobSum':'sha256:" H_LAYER1 "'},"
     "{'blobsum':null}]}",
        DRYDOCK_ECORRUPT, "fsLayers[1].blobSum: missing"},
    {"{'schemaVersion':1,'fsLayers':[{'blobSum':'sha256:" H_LAYER1 "'},"
     "{'blobSum':'sha256:" H_LAYER1 "X'}]}",
        DRYDOCK_ECORRUPT, "fsLayers[1].blobSum: sha256 digest must have 64"},
    /* not JSON, not an object */
    {"", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"   \n", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"[]", DRYDOCK_ECORRUPT, "manifest is not a JSON object"},
    {"[{'schemaVersion':2}]", DRYDOCK_ECORRUPT, "not a JSON object"},
    {"null", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"2", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"{'schemaVersion':2,", DRYDOCK_ECORRUPT, "line 1"},
    {"{'schemaVersion':2}\n{}", DRYDOCK_ECORRUPT, "at line 2, column 1"},
    {"{'schemaVersion':2,\n 'x':tru}", DRYDOCK_ECORRUPT, "line 2"},
    {"{'schemaVersion':2,'x':'\xff'}", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"\xef\xbb\xbf{'schemaVersion':2}", DRYDOCK_ECORRUPT, "not valid JSON"},
    {"{'schemaVersion':99999999999999999999}", DRYDOCK_ECORRUPT,
        "not valid JSON"},
};

#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static void
test_manifest__error_table(void **state)
{
	struct drydock_manifest *m;
	size_t i;
	int error;

	(void)state;
	for (i = 0; i < NBAD; i++) {
		const struct bad_case *c = &bad_cases[i];

		m = (struct drydock_manifest *)&m; /* must be reset to NULL */
		drydock_error_clear();
		error = parse_q(&m, c->json);
		if (error != c->code || m != NULL ||
		    strstr(drydock_error_message(), c->message) == NULL)
			fail_msg("case %zu: got %s '%s', want %s '%s'", i,
			    drydock_error_code_name(error),
			    drydock_error_message(),
			    drydock_error_code_name(c->code), c->message);
		/* jansson's errors are JSON's, the rest are ours */
		assert_int_equal(drydock_error_last()->klass,
		    strstr(drydock_error_message(), "not valid JSON") != NULL
		        ? DRYDOCK_ERRCLASS_JSON
		        : DRYDOCK_ERRCLASS_MANIFEST);
	}
}

/* Every proper prefix of a valid manifest is invalid JSON. */
static void
test_manifest__truncated(void **state)
{
	struct drydock_manifest *m = NULL;
	char *json = q(oci_index);
	size_t len = strlen(json), i;

	(void)state;
	for (i = 0; i < len; i++) {
		assert_int_equal(
		    drydock_manifest_parse(&m, json, i), DRYDOCK_ECORRUPT);
		assert_null(m);
		assert_non_null(strstr(drydock_error_message(), "line 1"));
	}
	assert_int_equal(drydock_manifest_parse(&m, json, len), 0);
	drydock_manifest_free(m);
	free(json);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 5 MiB of noise, of '[', and of a valid prefix with a huge array. */
static void
test_manifest__huge_garbage(void **state)
{
	const size_t len = 5u << 20;
	struct drydock_manifest *m = NULL;
	char *buf = malloc(len);
	uint64_t s = 42;
	size_t i, n;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (char)(xorshift(&s) & 0xff);
	assert_int_equal(
	    drydock_manifest_parse(&m, buf, len), DRYDOCK_ECORRUPT);
	assert_null(m);
	memset(buf, '[', len);
	assert_int_equal(
	    drydock_manifest_parse(&m, buf, len), DRYDOCK_ECORRUPT);
	memset(buf, '{', len);
	assert_int_equal(
	    drydock_manifest_parse(&m, buf, len), DRYDOCK_ECORRUPT);
	/* A valid 5 MiB manifest parses: the 4 MiB limit is the caller's. */
	n = (size_t)sprintf(buf, "{\"schemaVersion\":1,\"fsLayers\":[");
	while (n + 100 < len)
		n += (size_t)sprintf(
		    buf + n, "{\"blobSum\":\"sha256:%s\"},", H_LAYER1);
	buf[n - 1] = ']';
	buf[n++] = '}';
	assert_int_equal(drydock_manifest_parse(&m, buf, n), 0);
	assert_int_equal(drydock_manifest_ref_count(m), 1);
	drydock_manifest_free(m);
	free(buf);
}

/* Internal consistency of whatever a mutated manifest parsed into. */
static void
check_invariants(const struct drydock_manifest *m)
{
	size_t i, n = drydock_manifest_ref_count(m);
	const struct drydock_descriptor *subject = drydock_manifest_subject(m);
	char buf[DRYDOCK_DIGEST_STRMAX];

	assert_int_not_equal(
	    drydock_manifest_kind(m), DRYDOCK_MANIFEST_UNKNOWN);
	assert_non_null(drydock_manifest_media_type(m));
	assert_string_not_equal(
	    drydock_manifest_kind_name(drydock_manifest_kind(m)), "unknown");
	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);

		assert_non_null(d);
		assert_true(d->digest.alg == DRYDOCK_DIGEST_SHA256 ||
		    d->digest.alg == DRYDOCK_DIGEST_SHA512);
		assert_true(d->size >= -1);
		assert_true(d->role >= DRYDOCK_REF_CONFIG &&
		    d->role <= DRYDOCK_REF_SUBJECT);
		assert_true(d->role != DRYDOCK_REF_SUBJECT || d == subject);
		drydock_digest_format(buf, &d->digest);
		if (d->media_type != NULL)
			(void)strlen(d->media_type);
		if (d->platform.os != NULL)
			(void)strlen(d->platform.os);
	}
	assert_null(drydock_manifest_ref(m, n));
	if (subject != NULL)
		assert_ptr_equal(subject, drydock_manifest_ref(m, n - 1));
}

/*
 * Random byte mutations of every valid manifest: never a crash, a leak or
 * an inconsistent result (ASan and valgrind watch).
 */
static void
test_manifest__mutations(void **state)
{
	static const char structural[] = "{}[]\":,.-+0123456789eE \\nultrfas";
	size_t c, k, ok = 0, failed = 0;
	uint64_t s = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (c = 0; c < NGOOD; c++) {
		char *json = q(good_cases[c].json);
		size_t len = strlen(json);
		char *buf = malloc(2 * len + 16);

		assert_non_null(buf);
		for (k = 0; k < 300; k++) {
			struct drydock_manifest *m = NULL;
			size_t n = len, ops = 1 + xorshift(&s) % 4, o;

			memcpy(buf, json, len);
			for (o = 0; o < ops && n > 0; o++) {
				size_t at = xorshift(&s) % n;
				size_t span = 1 + xorshift(&s) % 16;

				switch (xorshift(&s) % 5) {
				case 0:
					buf[at] = (char)(xorshift(&s) & 0xff);
					break;
				case 1:
					buf[at] = structural[xorshift(&s) %
					    (sizeof(structural) - 1)];
					break;
				case 2: /* delete */
					if (span > n - at)
						span = n - at;
					memmove(buf + at, buf + at + span,
					    n - at - span);
					n -= span;
					break;
				case 3: /* duplicate a span */
					if (span > n - at)
						span = n - at;
					if (n + span > 2 * len + 16)
						break;
					memmove(
					    buf + at + span, buf + at, n - at);
					n += span;
					break;
				default:
					n = at;
					break;
				}
			}
			if (drydock_manifest_parse(&m, buf, n) == 0) {
				check_invariants(m);
				ok++;
			} else {
				assert_null(m);
				assert_true(drydock_error_message()[0] != '\0');
				failed++;
			}
			drydock_manifest_free(m);
		}
		free(buf);
		free(json);
	}
	/* Both outcomes happen, or the test tests nothing. */
	assert_true(ok > 100);
	assert_true(failed > 1000);
}

/* --- drydock_manifest_scan against the parser --------------------------- */

/*
 * Scan buf: when the scanner answers (1), the parser must succeed and give
 * the same kind, the same digests in the same order and the same subject.
 * Returns what the scanner said.
 */
static int
scan_agrees(const char *buf, size_t n)
{
	struct drydock_manifest_refs r;
	struct drydock_manifest *m = NULL;
	size_t i, k = 0;
	int s = drydock_manifest_scan(&r, buf, n);

	assert_true(s == 0 || s == 1);
	if (s == 0) {
		assert_null(r.refs);
		assert_int_equal(r.nrefs, 0);
		return 0;
	}
	assert_int_equal(drydock_manifest_parse(&m, buf, n), 0);
	assert_int_equal(drydock_manifest_kind(m), r.kind);
	for (i = 0; i < drydock_manifest_ref_count(m); i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);

		if (d->role == DRYDOCK_REF_SUBJECT) {
			assert_true(r.has_subject);
			assert_true(
			    drydock_digest_equal(&d->digest, &r.subject));
			continue;
		}
		assert_true(k < r.nrefs);
		assert_true(drydock_digest_equal(&d->digest, &r.refs[k]));
		k++;
	}
	assert_int_equal(k, r.nrefs);
	assert_int_equal(drydock_manifest_subject(m) != NULL, r.has_subject);
	drydock_manifest_free(m);
	drydock_manifest_refs_release(&r);
	return 1;
}

static int
scan_agrees_q(const char *json)
{
	char *buf = q(json);
	int s = scan_agrees(buf, strlen(buf));

	free(buf);
	return s;
}

/*
 * Every valid manifest in the plain form is answered by the scanner; what
 * Go's rules decide (case-folded keys, no mediaType, schema1) goes to the
 * parser; no invalid manifest is ever answered.
 */
static void
test_manifest__scan_table(void **state)
{
	static const char *const plain[] = {"docker-v2", "docker-foreign",
	    "docker-list", "oci-manifest", "oci-artifact", "oci-index",
	    "sha512", "oci-foreign", "docker-v2-subject", "docker-list-subject",
	    "empty-index"};
	static const char *const declined[] = {"oci-no-mediatype",
	    "index-no-mediatype", "docker-no-mediatype", "null-manifests",
	    "bad-index-falls-back", "string-manifests", "schema1",
	    "schema1-signed", "go-keys"};
	size_t c, i;

	(void)state;
	for (c = 0; c < NGOOD; c++) {
		int s = scan_agrees_q(good_cases[c].json);

		for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (strcmp(plain[i], good_cases[c].name) == 0)
				assert_int_equal(s, 1);
		for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
			if (strcmp(declined[i], good_cases[c].name) == 0)
				assert_int_equal(s, 0);
	}
	for (c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++)
		assert_int_equal(scan_agrees_q(bad_cases[c].json), 0);
}

/* What the scanner must decline though the bytes are close to plain. */
static void
test_manifest__scan_edges(void **state)
{
	static const char *const cases[] = {
	    /* a duplicate field: Go keeps the later one */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'config':" DESC(
	        MT_OCFG, 5, H_LAYER1) "}",
	    /* a field again in another case: Go takes the later one */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'CONFIG':" DESC(
	        MT_OCFG, 5, H_LAYER1) "}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(
	        MT_OCFG, 5, H_CONFIG) ",'layers':[{'digest':"
	                              "'sha256:" H_LAYER1
	                              "','Digest':'sha256:" H_LAYER2 "'}]}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'subject':" DESC(
	        MT_OCFG, 5, H_SUBJECT) ",'Subject':null}",
	    /* a case-folded key */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'Config':" DESC(MT_OCFG, 5, H_CONFIG) "}",
	    /* a key that folds with U+017F (long s) */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'\xc5\xbfubject':" DESC(
	        MT_OCFG, 5, H_LAYER1) "}",
	    /* an escaped digest */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':{'digest':'sha256\\u003a" H_CONFIG "'}}",
	    /* a null where a descriptor goes */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'layers':null}",
	    /* numbers jansson refuses or reads as reals */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'x':1e999}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'x':99999999999999999999}",
	    "{'schemaVersion':2.0,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) "}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5.0, H_CONFIG) "}",
	    /* a lone surrogate, invalid UTF-8, a control character */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'x':'\\ud800'}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'x':'\xc0\xaf'}",
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) ",'x':'\x01'}",
	    /* something after the object */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(MT_OCFG, 5, H_CONFIG) "} x",
	    /* an image without its config */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "'}",
	    /* a platform field of the wrong type */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_INDEX "',"
	    "'manifests':[{'digest':'sha256:" H_AMD64
	    "','platform':{'os':1}}]}",
	};
	static const char *const answered[] = {
	    /* escapes and fractions where nothing is read */
	    "{'schemaVersion':2,'mediaType':'" DRYDOCK_MT_OCI_MANIFEST "',"
	    "'config':" DESC(
	        MT_OCFG, 5, H_CONFIG) ",'annotations':{'a':"
	                              "'\\u003c\\ud83d\\ude00\\n\\\\\\/"
	                              "','b':1.5,'c':[true,false,null]}}",
	    /* the config after the layers: still the first reference */
	    "{'layers':[" DESC(MT_OLAYER, 1,
	        H_LAYER1) "],'schemaVersion':2,"
	                  "'config':" DESC(MT_OCFG, 5,
	                      H_CONFIG) ",'mediaType':'" DRYDOCK_MT_OCI_MANIFEST
	                                "'}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(scan_agrees_q(cases[i]), 0);
	for (i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
		assert_int_equal(scan_agrees_q(answered[i]), 1);
}

/*
 * Random mutations of every valid manifest, and of escapes and UTF-8
 * inserted into them: whatever the scanner answers, the parser agrees.
 */
static void
test_manifest__scan_mutations(void **state)
{
	static const char *const inserts[] = {"\\u0000", "\\ud800", "\\udc00",
	    "\\ud83d\\ude00", "\\u00e9", "\xc3\xa9", "\xed\xa0\x80",
	    "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\\", "\"", "\\x", "-0", "1.",
	    "01", "[]", "{}", "null", "\x7f", "\t", "\r\n", "Digest", "DIGEST",
	    "mediatype", "\xc4\xb0"};
	static const char structural[] = "{}[]\":,.-+0123456789eE \\nultrfas";
	size_t c, k, answered = 0, declined = 0;
	uint64_t s = 0x2545f4914f6cdd1dull;

	(void)state;
	for (c = 0; c < NGOOD; c++) {
		char *json = q(good_cases[c].json);
		size_t len = strlen(json);
		char *buf = malloc(2 * len + 64);

		assert_non_null(buf);
		for (k = 0; k < 2000; k++) {
			size_t n = len, at = xorshift(&s) % len, span;
			const char *ins;

			memcpy(buf, json, len);
			switch (xorshift(&s) % 4) {
			case 0:
				buf[at] = (char)(xorshift(&s) & 0xff);
				break;
			case 1:
				buf[at] = structural[xorshift(&s) %
				    (sizeof(structural) - 1)];
				break;
			case 2: /* delete a span */
				span = 1 + xorshift(&s) % 8;
				if (span > n - at)
					span = n - at;
				memmove(
				    buf + at, buf + at + span, n - at - span);
				n -= span;
				break;
			default: /* insert */
				ins = inserts[xorshift(&s) %
				    (sizeof(inserts) / sizeof(inserts[0]))];
				span = strlen(ins);
				memmove(buf + at + span, buf + at, n - at);
				memcpy(buf + at, ins, span);
				n += span;
				break;
			}
			if (scan_agrees(buf, n))
				answered++;
			else
				declined++;
		}
		free(buf);
		free(json);
	}
	/* both happen, or the test tests nothing */
	assert_true(answered > 2000);
	assert_true(declined > 10000);
}

static void
test_manifest__names(void **state)
{
	(void)state;
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_DOCKER_V2),
	    "docker-v2");
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_DOCKER_LIST),
	    "docker-list");
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_OCI), "oci-manifest");
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_OCI_INDEX),
	    "oci-index");
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_SCHEMA1), "schema1");
	assert_string_equal(
	    drydock_manifest_kind_name(DRYDOCK_MANIFEST_UNKNOWN), "unknown");
	assert_string_equal(drydock_manifest_kind_name(42), "unknown");
	assert_string_equal(
	    drydock_ref_role_name(DRYDOCK_REF_CONFIG), "config");
	assert_string_equal(drydock_ref_role_name(DRYDOCK_REF_LAYER), "layer");
	assert_string_equal(drydock_ref_role_name(DRYDOCK_REF_CHILD), "child");
	assert_string_equal(
	    drydock_ref_role_name(DRYDOCK_REF_SUBJECT), "subject");
	assert_string_equal(drydock_ref_role_name(-1), "unknown");
}

static void
test_manifest__null_getters(void **state)
{
	(void)state;
	assert_int_equal(drydock_manifest_kind(NULL), DRYDOCK_MANIFEST_UNKNOWN);
	assert_null(drydock_manifest_media_type(NULL));
	assert_null(drydock_manifest_artifact_type(NULL));
	assert_int_equal(drydock_manifest_is_index(NULL), 0);
	assert_int_equal(drydock_manifest_ref_count(NULL), 0);
	assert_null(drydock_manifest_ref(NULL, 0));
	assert_null(drydock_manifest_subject(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest__good_table),
	    cmocka_unit_test(test_manifest__strings_borrowed),
	    cmocka_unit_test(test_manifest__not_nul_terminated),
	    cmocka_unit_test(test_manifest__schema1_many_duplicates),
	    cmocka_unit_test(test_manifest__error_table),
	    cmocka_unit_test(test_manifest__truncated),
	    cmocka_unit_test(test_manifest__huge_garbage),
	    cmocka_unit_test(test_manifest__mutations),
	    cmocka_unit_test(test_manifest__scan_table),
	    cmocka_unit_test(test_manifest__scan_edges),
	    cmocka_unit_test(test_manifest__scan_mutations),
	    cmocka_unit_test(test_manifest__names),
	    cmocka_unit_test(test_manifest__null_getters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
