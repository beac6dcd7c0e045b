/* SPDX-License-Identifier: MIT */
/*
 * convert.c --- --to-oci-types: a Docker schema2 manifest becomes an OCI
 * image manifest and a Docker manifest list an OCI index, as skopeo
 * converts them on a copy to oci: (containers/image manifest.OCI1*): the
 * media types change, every other field and its order stay, and the
 * index's children get their converted digests.  Every changed digest is
 * recorded for the report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "migrate.h"

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

static const char *const layer_map[][2] = {
    {"application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.oci.image.layer.v1.tar+gzip"},
    {"application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.oci.image.layer.v1.tar"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar"},
    {"application/vnd.docker.container.image.v1+json", MT_OCI_CONFIG},
};

static const char *
mapped(const char *mt)
{
	size_t i;

	for (i = 0; mt != NULL && i < sizeof(layer_map) / sizeof(layer_map[0]);
	     i++)
		if (strcmp(mt, layer_map[i][0]) == 0)
			return layer_map[i][1];
	return NULL;
}

/* copy key from src to dst when present (a new reference) */
static int
carry(json_t *dst, json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);

	return v == NULL ? 0 : json_object_set(dst, key, v);
}

/*
 * A descriptor in the field order of image-spec's Go struct (mediaType,
 * digest, size, urls, annotations, data, platform, artifactType), which
 * is what skopeo writes; mt replaces the media type when not NULL.
 */
static json_t *
descriptor(json_t *in, const char *mt)
{
	static const char *const rest[] = {
	    "urls", "annotations", "data", "platform", "artifactType"};
	json_t *o = json_object(), *plat, *p;
	size_t i;
	int bad = o == NULL;

	bad |= mt != NULL ? json_object_set_new(o, "mediaType", json_string(mt))
	                  : carry(o, in, "mediaType");
	bad |= carry(o, in, "digest") | carry(o, in, "size");
	for (i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		if (strcmp(rest[i], "platform") != 0) {
			bad |= carry(o, in, rest[i]);
			continue;
		}
		if ((plat = json_object_get(in, "platform")) == NULL)
			continue;
		p = json_object();
		bad |= p == NULL || carry(p, plat, "architecture") ||
		    carry(p, plat, "os") || carry(p, plat, "os.version") ||
		    carry(p, plat, "os.features") ||
		    carry(p, plat, "variant") ||
		    json_object_set_new(o, "platform", p);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
convert_manifest(json_t *root)
{
	json_t *out = json_object(), *layers = json_array(), *l, *d;
	size_t i;
	int bad = out == NULL || layers == NULL;

	bad |= carry(out, root, "schemaVersion") ||
	    json_object_set_new(
	        out, "mediaType", json_string(DRYDOCK_MT_OCI_MANIFEST));
	l = json_object_get(root, "config");
	if (l != NULL) {
		d = descriptor(l,
		    mapped(json_string_value(json_object_get(l, "mediaType"))));
		bad |= d == NULL || json_object_set_new(out, "config", d);
	}
	json_array_foreach(json_object_get(root, "layers"), i, l)
	{
		d = descriptor(l,
		    mapped(json_string_value(json_object_get(l, "mediaType"))));
		bad |= d == NULL || json_array_append_new(layers, d);
	}
	bad |= json_object_set_new(out, "layers", layers);
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
convert_list(struct mig_run *run, json_t *root)
{
	json_t *out = json_object(), *mans = json_array(), *c, *n;
	struct drydock_digest d;
	char ds[DRYDOCK_DIGEST_STRMAX];
	const char *s;
	uint32_t ci;
	size_t i;
	int bad = out == NULL || mans == NULL;

	bad |= carry(out, root, "schemaVersion") ||
	    json_object_set_new(
	        out, "mediaType", json_string(DRYDOCK_MT_OCI_INDEX));
	json_array_foreach(json_object_get(root, "manifests"), i, c)
	{
		s = json_string_value(json_object_get(c, "digest"));
		if (s != NULL && drydock_digest_parse(&d, s, strlen(s)) == 0 &&
		    drydock_digestmap_get(run->conv, &d, &ci)) {
			n = descriptor(c, run->changes[ci].to_type);
			bad |= n == NULL ||
			    json_object_set_new(n, "digest",
			        json_string(drydock_digest_format(
			            ds, &run->changes[ci].to))) ||
			    json_object_set_new(n, "size",
			        json_integer(
			            (json_int_t)run->changes[ci].size));
		} else {
			n = descriptor(c, NULL);
			bad |= n == NULL;
		}
		bad |= json_array_append_new(mans, n);
	}
	bad |= json_object_set_new(out, "manifests", mans);
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
record(struct mig_run *run, const struct drydock_digest *from,
    const struct drydock_digest *to, const char *from_type, const char *to_type,
    size_t size)
{
	struct mig_change *c;

	if (drydock_digestmap_get(run->conv, from, NULL))
		return 0;
	if (fe_grow((void **)&run->changes, &run->capchanges, run->nchanges + 1,
	        sizeof(*run->changes)) < 0)
		return mig_oom();
	c = &run->changes[run->nchanges];
	memset(c, 0, sizeof(*c));
	c->from = *from;
	c->to = *to;
	c->size = (int64_t)size;
	if ((c->from_type = mig_strdup(from_type)) == NULL ||
	    (c->to_type = mig_strdup(to_type)) == NULL) {
		free(c->from_type);
		return mig_oom();
	}
	if (drydock_digestmap_put(run->conv, from, (uint32_t)run->nchanges) < 0)
		return mig_oom();
	run->nchanges++;
	return 0;
}

int
mig_convert_to_oci(struct mig_run *run, char **buf_out, size_t *len_out,
    struct drydock_digest *d_out, const char *buf, size_t len, const char *repo)
{
	struct drydock_digest from;
	json_error_t je;
	json_t *root, *conv;
	const char *from_type;
	char *s = NULL;
	int error, is_list;

	(void)repo;
	*buf_out = NULL;
	if ((error = drydock_digest_buffer(
	         &from, DRYDOCK_DIGEST_SHA256, buf, len)) < 0)
		return error;
	if ((root = json_loadb(buf, len, 0, &je)) == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_JSON, "manifest: %s", je.text);
		return DRYDOCK_ECORRUPT;
	}
	from_type = json_string_value(json_object_get(root, "mediaType"));
	is_list =
	    from_type != NULL && strcmp(from_type, DRYDOCK_MT_DOCKER_LIST) == 0;
	conv = is_list ? convert_list(run, root) : convert_manifest(root);
	json_decref(root);
	if (conv == NULL || (s = json_dumps(conv, JSON_COMPACT)) == NULL) {
		json_decref(conv);
		return mig_oom();
	}
	json_decref(conv);
	*len_out = strlen(s);
	if ((error = drydock_digest_buffer(
	         d_out, DRYDOCK_DIGEST_SHA256, s, *len_out)) < 0 ||
	    (error = record(run, &from, d_out,
	         is_list ? DRYDOCK_MT_DOCKER_LIST : DRYDOCK_MT_DOCKER_V2,
	         is_list ? DRYDOCK_MT_OCI_INDEX : DRYDOCK_MT_OCI_MANIFEST,
	         *len_out)) < 0) {
		free(s);
		return error;
	}
	*buf_out = s;
	return 0;
}

int
mig_convert_children(struct mig_run *run, char **buf_out, size_t *len_out,
    struct drydock_digest *d_out, const char *buf, size_t len)
{
	struct drydock_digest from, cd;
	char ds[DRYDOCK_DIGEST_STRMAX];
	json_error_t je;
	json_t *root, *c;
	const char *s;
	char *out;
	uint32_t ci;
	size_t i;
	int error, changed = 0, bad = 0;

	*buf_out = NULL;
	if ((root = json_loadb(buf, len, 0, &je)) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_JSON, "index: %s", je.text);
		return DRYDOCK_ECORRUPT;
	}
	/* an OCI index keeps every field; only converted children change */
	json_array_foreach(json_object_get(root, "manifests"), i, c)
	{
		s = json_string_value(json_object_get(c, "digest"));
		if (s == NULL || drydock_digest_parse(&cd, s, strlen(s)) < 0 ||
		    !drydock_digestmap_get(run->conv, &cd, &ci))
			continue;
		bad |= json_object_set_new(c, "mediaType",
		           json_string(run->changes[ci].to_type)) ||
		    json_object_set_new(c, "digest",
		        json_string(
		            drydock_digest_format(ds, &run->changes[ci].to))) ||
		    json_object_set_new(c, "size",
		        json_integer((json_int_t)run->changes[ci].size));
		changed = 1;
	}
	drydock_error_clear();
	if (!changed || bad) {
		json_decref(root);
		return bad ? mig_oom() : 0;
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (out == NULL)
		return mig_oom();
	*len_out = strlen(out);
	if ((error = drydock_digest_buffer(
	         &from, DRYDOCK_DIGEST_SHA256, buf, len)) < 0 ||
	    (error = drydock_digest_buffer(
	         d_out, DRYDOCK_DIGEST_SHA256, out, *len_out)) < 0 ||
	    (error = record(run, &from, d_out, DRYDOCK_MT_OCI_INDEX,
	         DRYDOCK_MT_OCI_INDEX, *len_out)) < 0) {
		free(out);
		return error;
	}
	*buf_out = out;
	return 1;
}
