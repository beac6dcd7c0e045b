/* SPDX-License-Identifier: MIT */
/*
 * manifest.h --- parse every manifest media type a registry stores and list
 * the digests it references (config, layers, index children, subject).
 */
#ifndef DRYDOCK_MANIFEST_H
#define DRYDOCK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>
#include <drydock/digest.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DRYDOCK_MT_DOCKER_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define DRYDOCK_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DRYDOCK_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define DRYDOCK_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define DRYDOCK_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DRYDOCK_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* Largest manifest the registry accepts or serves (maxManifestBodySize). */
#define DRYDOCK_MANIFEST_MAX (4u << 20)

enum drydock_manifest_kind {
	DRYDOCK_MANIFEST_UNKNOWN = 0,
	DRYDOCK_MANIFEST_DOCKER_V2,   /* Docker schema2 image manifest */
	DRYDOCK_MANIFEST_DOCKER_LIST, /* Docker manifest list */
	DRYDOCK_MANIFEST_OCI,         /* OCI image manifest (and artifacts) */
	DRYDOCK_MANIFEST_OCI_INDEX,   /* OCI image index */
	DRYDOCK_MANIFEST_SCHEMA1      /* Docker schema1 (2.x storage only) */
};

enum drydock_ref_role {
	DRYDOCK_REF_CONFIG = 0, /* config blob */
	DRYDOCK_REF_LAYER,      /* layer (or schema1 fsLayer blobSum) */
	DRYDOCK_REF_CHILD,      /* a manifest listed by an index/list */
	DRYDOCK_REF_SUBJECT     /* OCI 1.1 subject: weak, reverse edge */
};

struct drydock_platform {
	const char *os;           /* NULL when absent */
	const char *architecture; /* NULL when absent */
	const char *variant;      /* NULL when absent */
};

/* A descriptor; strings are borrowed from the manifest. */
struct drydock_descriptor {
	int role;                     /* enum drydock_ref_role */
	struct drydock_digest digest;
	int64_t size;                 /* -1 when absent (schema1) */
	const char *media_type;       /* NULL when absent */
	const char *artifact_type;    /* NULL when absent */
	int foreign;                  /* foreign / non-distributable with urls:
					 the registry does not hold its data */
	struct drydock_platform platform; /* CHILD entries */
};

struct drydock_manifest;

/*
 * Parse manifest bytes.  Type detection follows distribution and
 * containers/image (formats.md 2.5): schemaVersion 1 is schema1; otherwise
 * mediaType, else a "manifests" key means OCI index, else OCI manifest.
 * Every descriptor digest must parse strictly.
 *
 * @param out receives a new manifest; free with drydock_manifest_free()
 * @return 0; DRYDOCK_ECORRUPT (not JSON, wrong shape, bad digest: the
 * message says which field); DRYDOCK_EUNSUPPORTED (unknown schemaVersion or
 * mediaType).
 */
DRYDOCK_EXTERN int drydock_manifest_parse(
    struct drydock_manifest **out, const char *buf, size_t len);

DRYDOCK_EXTERN void drydock_manifest_free(struct drydock_manifest *m);

DRYDOCK_EXTERN int drydock_manifest_kind(const struct drydock_manifest *m);

/* The media type: the JSON's mediaType, or the detected one. Borrowed. */
DRYDOCK_EXTERN const char *drydock_manifest_media_type(
    const struct drydock_manifest *m);

/* artifactType, or NULL.  Borrowed. */
DRYDOCK_EXTERN const char *drydock_manifest_artifact_type(
    const struct drydock_manifest *m);

/* 1 for an index or manifest list. */
DRYDOCK_EXTERN int drydock_manifest_is_index(const struct drydock_manifest *m);

/*
 * References in document order: config first, then layers (schema1: the
 * fsLayers, duplicates removed) or index children, then the subject last.
 */
DRYDOCK_EXTERN size_t drydock_manifest_ref_count(
    const struct drydock_manifest *m);
DRYDOCK_EXTERN const struct drydock_descriptor *drydock_manifest_ref(
    const struct drydock_manifest *m, size_t i);

/* The subject descriptor, or NULL.  Borrowed. */
DRYDOCK_EXTERN const struct drydock_descriptor *drydock_manifest_subject(
    const struct drydock_manifest *m);

/* Name of a kind ("oci-index"), for reports. */
DRYDOCK_EXTERN const char *drydock_manifest_kind_name(int kind);

/*
 * What a manifest references, read without building a JSON tree
 * (drydock_manifest_scan): for walks over every manifest of a store.
 */
struct drydock_manifest_refs {
	int kind; /* enum drydock_manifest_kind */
	struct drydock_digest *refs; /* config and layers, or children */
	size_t nrefs;
	int has_subject;
	struct drydock_digest subject; /* the referrer's subject */
};

/*
 * 1 with *out filled in (drydock_manifest_refs_release frees it) when buf
 * is a schemaVersion 2 Docker or OCI manifest or index in the plain form
 * registries write: the same digests, in the same order, as
 * drydock_manifest_parse() would give.  0 when it is not sure, which
 * includes every invalid manifest: call drydock_manifest_parse() then.
 * DRYDOCK_ERROR when memory runs out.
 */
DRYDOCK_EXTERN int drydock_manifest_scan(
    struct drydock_manifest_refs *out, const char *buf, size_t len);
DRYDOCK_EXTERN void drydock_manifest_refs_release(
    struct drydock_manifest_refs *r);

/* Name of a role ("config", "layer", "child", "subject"). */
DRYDOCK_EXTERN const char *drydock_ref_role_name(int role);

#ifdef __cplusplus
}
#endif

#endif
