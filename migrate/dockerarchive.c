/* SPDX-License-Identifier: MIT */
/*
 * dockerarchive.c --- the docker save format, both ways (formats.md 5.2,
 * 5.5).  Lossy by nature, and said so per image: one platform, layers
 * decompressed, the manifest regenerated.
 *
 * Export: per tag, the platform's manifest, its config verbatim as
 * <hex>.json and every layer decompressed (gzip, zstd or none, found by
 * its magic) as <DiffID>.tar, each checked against the config's diff_ids
 * before a byte goes into the archive (one pass to check and size it, one
 * to write it, hashed again); then manifest.json and repositories.
 *
 * Import: the tar is untrusted (lib/archive: no '..', no absolute names,
 * links only as aliases inside the archive).  A first pass reads
 * manifest.json and the aliases, a second streams each layer it names,
 * decompressed when it is compressed, straight into the destination as
 * an uncompressed OCI layer (digest = DiffID: reproducible) or, with
 * --compress, gzipped; configs are kept unchanged; an OCI manifest is
 * generated for each image and its tags written last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "migrate.h"

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define JSON_MAX (16u << 20)
#define READ_BUFSZ (1u << 20)
#define LAYERS_MAX 512

static json_t *
jdigest_new(const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX];

	return json_string(drydock_digest_format(ds, d));
}

/* --- platforms -------------------------------------------------------- */

struct platform {
	char os[32], arch[32], variant[16];
};

static void
host_platform(struct platform *p, const char *spec)
{
	struct utsname u;
	const char *m;

	memset(p, 0, sizeof(*p));
	if (spec != NULL) {
		sscanf(
		    spec, "%31[^/]/%31[^/]/%15s", p->os, p->arch, p->variant);
		return;
	}
	snprintf(p->os, sizeof(p->os), "linux");
	m = uname(&u) == 0 ? u.machine : "x86_64";
	if (strcmp(m, "x86_64") == 0)
		m = "amd64";
	else if (strcmp(m, "aarch64") == 0)
		m = "arm64";
	else if (strncmp(m, "armv7", 5) == 0) {
		m = "arm";
		snprintf(p->variant, sizeof(p->variant), "v7");
	} else if (strcmp(m, "i686") == 0)
		m = "386";
	snprintf(p->arch, sizeof(p->arch), "%.31s", m);
}

static int
platform_matches(
    const struct platform *want, const struct drydock_platform *have)
{
	if (have->os == NULL || have->architecture == NULL ||
	    strcmp(have->os, want->os) != 0 ||
	    strcmp(have->architecture, want->arch) != 0)
		return 0;
	return want->variant[0] == '\0' ||
	    (have->variant != NULL &&
	        strcmp(have->variant, want->variant) == 0);
}

/* --- reading a blob through a decompressor ----------------------------- */

struct fdsrc {
	int fd;
	uint64_t off;
	unsigned char *buf;
	struct drydock_hasher *h; /* of the compressed bytes, or NULL */
};

static int
fd_read(const void **buf_out, size_t *len_out, void *payload)
{
	struct fdsrc *s = payload;
	ssize_t n;

	do
		n = pread(s->fd, s->buf, READ_BUFSZ, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		drydock_error_set_os("cannot read a layer");
		return DRYDOCK_ERROR;
	}
	if (s->h != NULL && n > 0 &&
	    drydock_hasher_update(s->h, s->buf, (size_t)n) < 0)
		return DRYDOCK_ERROR;
	s->off += (uint64_t)n;
	*buf_out = s->buf;
	*len_out = (size_t)n;
	return 0;
}

/*
 * Decompress fd: its DiffID and size; with aw, also write it there as an
 * entry already begun.  blob (may be NULL) is the compressed digest to
 * check on the way.
 */
static int
pump_layer(struct drydock_digest *diffid_out, uint64_t *size_out, int fd,
    const struct drydock_digest *blob, struct drydock_archive_writer *aw)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_hasher *h = NULL;
	struct drydock_digest got;
	struct fdsrc src = {fd, 0, NULL, NULL};
	char e[DRYDOCK_DIGEST_STRMAX], g[DRYDOCK_DIGEST_STRMAX];
	const void *buf;
	size_t len;
	uint64_t total = 0;
	int error;

	if ((src.buf = malloc(READ_BUFSZ)) == NULL)
		return mig_oom();
	if ((error = drydock_hasher_new(&h, DRYDOCK_DIGEST_SHA256)) < 0 ||
	    (blob != NULL &&
	        (error = drydock_hasher_new(&src.h, blob->alg)) < 0) ||
	    (error = drydock_archive_decompressor_open(
	         &r, NULL, fd_read, &src)) < 0)
		goto out;
	for (;;) {
		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
		if ((error = drydock_archive_reader_data(&buf, &len, r)) < 0)
			goto out;
		if (len == 0)
			break;
		if ((error = drydock_hasher_update(h, buf, len)) < 0 ||
		    (aw != NULL &&
		        (error = drydock_archive_writer_data(aw, buf, len)) <
		            0))
			goto out;
		total += len;
	}
	if ((error = drydock_hasher_final(diffid_out, h)) < 0)
		goto out;
	if (blob != NULL) {
		/* the decompressor may stop before the end: hash the rest */
		do
			error = fd_read(&buf, &len, &src);
		while (error == 0 && len > 0);
		if (error < 0 ||
		    (error = drydock_hasher_final(&got, src.h)) < 0)
			goto out;
		if (!drydock_digest_equal(&got, blob)) {
			drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
			    "layer '%s': digest mismatch: content hashes to "
			    "'%s'",
			    drydock_digest_format(e, blob),
			    drydock_digest_format(g, &got));
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
	}
	*size_out = total;
out:
	drydock_archive_reader_free(r);
	drydock_hasher_free(h);
	drydock_hasher_free(src.h);
	free(src.buf);
	return error;
}

/* --- export ------------------------------------------------------------ */

struct dx {
	struct mig_run *run;
	struct platform plat;
	json_t *manifest; /* manifest.json */
	json_t *repos; /* repositories */
	struct drydock_digestmap *written; /* DiffIDs and configs */
};

static int
diff_ids(json_t **out, const char *cfg, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(cfg, len, 0, &je), *ids;

	*out = NULL;
	ids = json_object_get(json_object_get(root, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		json_decref(root);
		drydock_error_set(
		    DRYDOCK_ERRCLASS_MANIFEST, "config has no rootfs.diff_ids");
		return DRYDOCK_ECORRUPT;
	}
	*out = json_incref(ids);
	json_decref(root);
	return 0;
}

/* The platform's image manifest of an index (new buffer), or the image. */
static int
image_of(struct dx *x, struct mig_root *r, char **buf, size_t *len,
    struct drydock_manifest **m, char *note, size_t notesz)
{
	const struct drydock_descriptor *c, *pick = NULL;
	struct drydock_digest d = r->e->digest;
	size_t i, n = 0;
	int error;

	if ((error = mig_source_manifest_read(buf, len, &x->run->src, &d)) <
	        0 ||
	    (error = drydock_manifest_parse(m, *buf, *len)) < 0)
		return error;
	if (!drydock_manifest_is_index(*m)) {
		snprintf(note, notesz,
		    "docker-archive: layers decompressed, "
		    "manifest regenerated by the reader");
		return 0;
	}
	for (i = 0; i < drydock_manifest_ref_count(*m); i++) {
		c = drydock_manifest_ref(*m, i);
		if (c->role != DRYDOCK_REF_CHILD)
			continue;
		n++;
		if (pick == NULL && platform_matches(&x->plat, &c->platform))
			pick = c;
	}
	if (pick == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "no %s/%s%s%s image in this index of %zu; choose one with "
		    "--platform",
		    x->plat.os, x->plat.arch, x->plat.variant[0] ? "/" : "",
		    x->plat.variant, n);
		return DRYDOCK_ENOTFOUND;
	}
	snprintf(note, notesz,
	    "docker-archive: only %s/%s%s%s of %zu platforms, layers "
	    "decompressed, manifest regenerated by the reader",
	    x->plat.os, x->plat.arch, x->plat.variant[0] ? "/" : "",
	    x->plat.variant, n);
	d = pick->digest;
	drydock_manifest_free(*m);
	*m = NULL;
	free(*buf);
	*buf = NULL;
	if ((error = mig_source_manifest_read(buf, len, &x->run->src, &d)) <
	        0 ||
	    (error = drydock_manifest_parse(m, *buf, *len)) < 0)
		return error;
	if (drydock_manifest_is_index(*m)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "nested index: not an image for docker-archive");
		return DRYDOCK_EUNSUPPORTED;
	}
	return 0;
}

static int
export_layer(struct dx *x, const struct drydock_descriptor *l, const char *want,
    char *name, size_t namesz)
{
	struct drydock_digest diffid, want_d;
	char ds[DRYDOCK_DIGEST_STRMAX], hex[DRYDOCK_DIGEST_STRMAX];
	uint64_t size = 0, size2 = 0;
	int fd, error;

	if (drydock_digest_parse(&want_d, want, strlen(want)) < 0)
		return DRYDOCK_ECORRUPT;
	snprintf(name, namesz, "%s.tar", drydock_digest_hex(hex, &want_d));
	if (drydock_digestmap_get(x->written, &want_d, NULL))
		return 0;
	if ((fd = mig_source_blob_open(&x->run->src, &l->digest)) < 0) {
		if (l->foreign)
			drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
			    "foreign layer '%s' has no data here",
			    drydock_digest_format(ds, &l->digest));
		return fd;
	}
	/* pass 1: the DiffID must be the config's, before anything is written
	 */
	if ((error = pump_layer(&diffid, &size, fd, &l->digest, NULL)) < 0)
		goto out;
	if (!drydock_digest_equal(&diffid, &want_d)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "layer '%s': decompressed it hashes to '%s', the config's "
		    "diff_ids say '%s'",
		    drydock_digest_format(ds, &l->digest),
		    drydock_digest_format(hex, &diffid), want);
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	/* pass 2: the same bytes into the archive, hashed again */
	if ((error = drydock_archive_writer_begin(
	         x->run->dst.aw, name, (int64_t)size)) < 0)
		goto fatal;
	if ((error = pump_layer(&diffid, &size2, fd, NULL, x->run->dst.aw)) <
	        0 ||
	    size2 != size || !drydock_digest_equal(&diffid, &want_d)) {
		if (error == 0) {
			drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
			    "layer '%s' changed while it was written",
			    drydock_digest_format(ds, &l->digest));
			error = DRYDOCK_ECORRUPT;
		}
		goto fatal;
	}
	error =
	    drydock_digestmap_put(x->written, &want_d, 0) < 0 ? mig_oom() : 0;
	goto out;
fatal:
	x->run->failures++; /* the archive holds a broken entry: give up */
	error = error == DRYDOCK_EINTR ? error : DRYDOCK_ERROR;
out:
	close(fd);
	return error;
}

/* Append RepoTags to the entry of this config, or add one. */
static int
manifest_entry(
    struct dx *x, const char *config, json_t *layers, const char *repotag)
{
	json_t *e, *tags;
	size_t i;

	json_array_foreach(x->manifest, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "Config")),
		        config) == 0 &&
		    json_equal(json_object_get(e, "Layers"), layers)) {
			json_decref(layers);
			return json_array_append_new(
			           json_object_get(e, "RepoTags"),
			           json_string(repotag))
			    ? mig_oom()
			    : 0;
		}
	}
	e = json_object();
	tags = json_array();
	if (e == NULL || tags == NULL ||
	    json_object_set_new(e, "Config", json_string(config)) ||
	    json_array_append_new(tags, json_string(repotag)) ||
	    json_object_set_new(e, "RepoTags", tags) ||
	    json_object_set_new(e, "Layers", layers) ||
	    json_array_append_new(x->manifest, e))
		return mig_oom();
	return 0;
}

static int
export_root(struct dx *x, struct mig_root *r)
{
	struct drydock_manifest *m = NULL;
	const struct drydock_descriptor *cfgd = NULL, *l;
	json_t *ids = NULL, *layers = NULL, *tags;
	char *buf = NULL, *cfg = NULL, note[256], name[160], top[160] = "";
	char cfgname[160], hex[DRYDOCK_DIGEST_STRMAX], repotag[600];
	size_t len, clen, i, nl = 0;
	int how, error;

	if ((error = image_of(x, r, &buf, &len, &m, note, sizeof(note))) < 0)
		goto out;
	for (i = 0; i < drydock_manifest_ref_count(m); i++)
		if (drydock_manifest_ref(m, i)->role == DRYDOCK_REF_CONFIG)
			cfgd = drydock_manifest_ref(m, i);
	if (cfgd == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST, "no config");
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	if ((error = mig_source_manifest_read(
	         &cfg, &clen, &x->run->src, &cfgd->digest)) < 0 ||
	    (error = diff_ids(&ids, cfg, clen)) < 0)
		goto out;
	if ((layers = json_array()) == NULL) {
		error = mig_oom();
		goto out;
	}
	for (i = 0; i < drydock_manifest_ref_count(m); i++) {
		l = drydock_manifest_ref(m, i);
		if (l->role != DRYDOCK_REF_LAYER)
			continue;
		if (nl >= json_array_size(ids)) {
			drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
			    "more layers than the config's diff_ids");
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
		if ((error = export_layer(x, l,
		         json_string_value(json_array_get(ids, nl)), name,
		         sizeof(name))) < 0)
			goto out;
		json_array_append_new(layers, json_string(name));
		snprintf(
		    top, sizeof(top), "%.*s", (int)(strlen(name) - 4), name);
		r->nblobs++;
		r->bytes += l->size > 0 ? (uint64_t)l->size : 0;
		nl++;
	}
	if (nl != json_array_size(ids)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "%zu layers but %zu diff_ids", nl, json_array_size(ids));
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	snprintf(cfgname, sizeof(cfgname), "%s.json",
	    drydock_digest_hex(hex, &cfgd->digest));
	if (!drydock_digestmap_get(x->written, &cfgd->digest, NULL)) {
		if ((error = drydock_archive_writer_file(
		         x->run->dst.aw, cfgname, cfg, clen)) < 0) {
			x->run->failures++;
			goto out;
		}
		if (drydock_digestmap_put(x->written, &cfgd->digest, 0) < 0) {
			error = mig_oom();
			goto out;
		}
	}
	(void)how;
	snprintf(repotag, sizeof(repotag), "%s:%s", r->e->repo, r->e->tag);
	error = manifest_entry(x, cfgname, layers, repotag);
	layers = NULL;
	if (error < 0)
		goto out;
	if ((tags = json_object_get(x->repos, r->e->repo)) == NULL &&
	    (json_object_set_new(x->repos, r->e->repo, json_object()) ||
	        (tags = json_object_get(x->repos, r->e->repo)) == NULL)) {
		error = mig_oom();
		goto out;
	}
	json_object_set_new(tags, r->e->tag, json_string(top));
	r->lossy = 1;
	r->note = mig_strdup(note);
	r->dest_digest = cfgd->digest; /* the image ID */
	r->media_type = mig_strdup(drydock_manifest_media_type(m));
out:
	json_decref(layers);
	json_decref(ids);
	drydock_manifest_free(m);
	free(buf);
	free(cfg);
	return error;
}

int
mig_docker_export(struct mig_run *run)
{
	struct dx x;
	char *s = NULL;
	size_t i;
	int error;

	memset(&x, 0, sizeof(x));
	x.run = run;
	host_platform(&x.plat, run->o->platform);
	if ((error = mig_dest_open(&run->dst, &run->o->dst, run)) < 0)
		return error;
	if ((x.manifest = json_array()) == NULL ||
	    (x.repos = json_object()) == NULL ||
	    (error = drydock_digestmap_new(&x.written, 64)) < 0) {
		error = error < 0 ? error : mig_oom();
		goto out;
	}
	for (i = 0; i < run->nroots; i++) {
		struct mig_root *r = &run->roots[i];

		if (r->why != MIG_WHY_TAG) {
			r->status = MIG_SKIPPED;
			r->error = mig_strdup(
			    "docker-archive holds tagged images only");
			continue;
		}
		error = export_root(&x, r);
		if (error == DRYDOCK_EINTR || run->failures)
			goto out;
		if (error < 0) {
			r->status = MIG_FAILED;
			r->error = mig_strdup(drydock_error_message());
		}
		error = 0;
	}
	if ((s = json_dumps(x.manifest, JSON_COMPACT)) == NULL ||
	    (error = drydock_archive_writer_file(
	         run->dst.aw, "manifest.json", s, strlen(s))) < 0)
		goto out;
	free(s);
	if ((s = json_dumps(x.repos, JSON_COMPACT)) == NULL ||
	    (error = drydock_archive_writer_file(
	         run->dst.aw, "repositories", s, strlen(s))) < 0)
		goto out;
	if ((error = mig_dest_finish(run)) == 0 && run->o->verify)
		error = mig_verify(run);
out:
	if (error == 0 && s == NULL)
		error = mig_oom();
	free(s);
	json_decref(x.manifest);
	json_decref(x.repos);
	drydock_digestmap_free(x.written);
	return error;
}

/* --- import ------------------------------------------------------------ */

struct alias {
	char *name, *target;
};

struct layer_in {
	char *name; /* as manifest.json says, resolved */
	int done;
	struct drydock_digest diffid, blob;
	uint64_t size;
};

struct config_in {
	char *name;
	char *buf;
	size_t len;
};

struct dimp {
	struct mig_run *run;
	json_t *manifest;
	struct alias *aliases;
	size_t naliases;
	struct layer_in *layers;
	size_t nlayers;
	struct config_in *configs;
	size_t nconfigs;
	int tmpfd; /* where sinks write: on the destination's filesystem */
};

static const char *
resolve(const struct dimp *im, const char *name)
{
	size_t i, hops;

	for (hops = 0; hops < 8; hops++) {
		for (i = 0; i < im->naliases; i++)
			if (strcmp(im->aliases[i].name, name) == 0)
				break;
		if (i == im->naliases)
			return name;
		name = im->aliases[i].target;
	}
	return name;
}

static int
add_alias(struct dimp *im, const char *name, const char *target)
{
	struct alias *na =
	    realloc(im->aliases, (im->naliases + 1) * sizeof(*na));

	if (na == NULL)
		return mig_oom();
	im->aliases = na;
	na[im->naliases].name = mig_strdup(name);
	na[im->naliases].target = mig_strdup(target);
	if (na[im->naliases].name == NULL || na[im->naliases].target == NULL) {
		free(na[im->naliases].name);
		free(na[im->naliases].target);
		return mig_oom();
	}
	im->naliases++;
	return 0;
}

static int
entry_fail(const char *archive, const char *entry)
{
	char msg[DRYDOCK_ERROR_MSGMAX];

	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE, "archive '%s'%s%s%s: %s",
	    archive, entry ? ": entry '" : "", entry ? entry : "",
	    entry ? "'" : "", msg);
	return DRYDOCK_ECORRUPT;
}

/* Pass 1: manifest.json and the aliases. */
static int
pass1(struct dimp *im, const char *path)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	json_error_t je;
	char *buf = NULL;
	size_t len;
	int error;

	if ((error = drydock_archive_reader_open(
	         &r, path, DRYDOCK_ARCHIVE_LINKS)) < 0)
		return error;
	while ((error = drydock_archive_reader_next(&e, r)) == 0) {
		if (e.type == DRYDOCK_ARCHIVE_SYMLINK ||
		    e.type == DRYDOCK_ARCHIVE_HARDLINK) {
			if ((error = add_alias(im, e.path, e.target)) < 0)
				goto out;
			continue;
		}
		if (e.type != DRYDOCK_ARCHIVE_FILE ||
		    strcmp(e.path, "manifest.json") != 0)
			continue;
		if ((error = drydock_archive_reader_read_all(
		         &buf, &len, r, JSON_MAX)) < 0) {
			error = entry_fail(path, e.path);
			goto out;
		}
		json_decref(im->manifest);
		im->manifest = json_loadb(buf, len, 0, &je);
		free(buf);
		if (!json_is_array(im->manifest)) {
			drydock_error_set(DRYDOCK_ERRCLASS_JSON,
			    "not a JSON array%s%s", im->manifest ? "" : ": ",
			    im->manifest ? "" : je.text);
			error = entry_fail(path, "manifest.json");
			goto out;
		}
	}
	if (error != DRYDOCK_ITEROVER) {
		error = entry_fail(path, NULL);
		goto out;
	}
	error = 0;
	if (im->manifest == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "no manifest.json (legacy repositories-only archives are "
		    "not read)");
		error = entry_fail(path, NULL);
	}
out:
	drydock_archive_reader_free(r);
	return error;
}

/* The layers and configs manifest.json names, resolved through aliases. */
static int
plan_names(struct dimp *im)
{
	json_t *e, *v;
	size_t i, j, k;
	const char *n;

	json_array_foreach(im->manifest, i, e)
	{
		n = json_string_value(json_object_get(e, "Config"));
		if (n == NULL || !json_is_array(json_object_get(e, "Layers"))) {
			drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
			    "manifest.json entry %zu has no Config or Layers",
			    i);
			return DRYDOCK_ECORRUPT;
		}
		n = resolve(im, n);
		for (k = 0; k < im->nconfigs; k++)
			if (strcmp(im->configs[k].name, n) == 0)
				break;
		if (k == im->nconfigs) {
			struct config_in *nc = realloc(
			    im->configs, (im->nconfigs + 1) * sizeof(*nc));

			if (nc == NULL)
				return mig_oom();
			im->configs = nc;
			memset(&nc[k], 0, sizeof(nc[k]));
			if ((nc[k].name = mig_strdup(n)) == NULL)
				return mig_oom();
			im->nconfigs++;
		}
		json_array_foreach(json_object_get(e, "Layers"), j, v)
		{
			if ((n = json_string_value(v)) == NULL)
				return DRYDOCK_ECORRUPT;
			n = resolve(im, n);
			for (k = 0; k < im->nlayers; k++)
				if (strcmp(im->layers[k].name, n) == 0)
					break;
			if (k < im->nlayers)
				continue;
			if (im->nlayers >= LAYERS_MAX * 8) {
				drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
				    "too many layers");
				return DRYDOCK_ECORRUPT;
			}
			struct layer_in *nl = realloc(
			    im->layers, (im->nlayers + 1) * sizeof(*nl));
			if (nl == NULL)
				return mig_oom();
			im->layers = nl;
			memset(&nl[k], 0, sizeof(nl[k]));
			if ((nl[k].name = mig_strdup(n)) == NULL)
				return mig_oom();
			im->nlayers++;
		}
	}
	return 0;
}

struct pull {
	struct drydock_archive_reader *outer;
};

static int
outer_read(const void **buf_out, size_t *len_out, void *payload)
{
	struct pull *p = payload;

	return drydock_archive_reader_data(buf_out, len_out, p->outer);
}

static int
sink_cb(const void *buf, size_t len, void *payload)
{
	return drydock_blobcopy_sink_write(payload, buf, len);
}

/* Commit a finished sink as blob d at the destination. */
static int
commit_blob(struct mig_run *run, struct drydock_blobcopy_sink *s,
    const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX];
	int dfd, how, error;

	if (run->dst.type == MIG_LOC_REGISTRY) {
		if ((dfd = drydock_regwrite_blob_dir(run->dst.st, d)) < 0)
			return dfd;
		error = drydock_blobcopy_sink_commit(s, &how, dfd, "data");
		close(dfd);
		return error;
	}
	if ((dfd = drydock_ocilayout_blob_dir(run->dst.lay, d->alg, 1)) < 0)
		return dfd;
	return drydock_blobcopy_sink_commit(
	    s, &how, dfd, drydock_digest_hex(hex, d));
}

/* Stream one layer: decompress if needed, store plain or gzipped. */
static int
import_layer(
    struct dimp *im, struct drydock_archive_reader *outer, struct layer_in *l)
{
	struct mig_run *run = im->run;
	struct drydock_archive_reader *dec = NULL;
	struct drydock_archive_compressor *gz = NULL;
	struct drydock_blobcopy_sink *s = NULL;
	struct drydock_hasher *h = NULL;
	struct pull p = {outer};
	const void *buf;
	size_t len;
	uint64_t size = 0;
	int error;

	if ((error = drydock_archive_decompressor_open(
	         &dec, NULL, outer_read, &p)) < 0 ||
	    (error = drydock_blobcopy_sink_new(
	         &s, run->bc, im->tmpfd, DRYDOCK_DIGEST_SHA256)) < 0 ||
	    (error = drydock_hasher_new(&h, DRYDOCK_DIGEST_SHA256)) < 0)
		goto out;
	if (run->o->compress &&
	    (error = drydock_archive_compressor_new(
	         &gz, DRYDOCK_ARCHIVE_GZIP, sink_cb, s)) < 0)
		goto out;
	for (;;) {
		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
		if ((error = drydock_archive_reader_data(&buf, &len, dec)) < 0)
			goto out;
		if (len == 0)
			break;
		size += len;
		if ((error = drydock_hasher_update(h, buf, len)) < 0 ||
		    (error = gz != NULL
		            ? drydock_archive_compressor_write(gz, buf, len)
		            : drydock_blobcopy_sink_write(s, buf, len)) < 0)
			goto out;
	}
	if (gz != NULL && (error = drydock_archive_compressor_close(gz)) < 0)
		goto out;
	if ((error = drydock_hasher_final(&l->diffid, h)) < 0 ||
	    (error = drydock_blobcopy_sink_finish(
	         s, &l->blob, &l->size, NULL)) < 0 ||
	    (error = commit_blob(run, s, &l->blob)) < 0)
		goto out;
	(void)size;
	l->done = 1;
out:
	drydock_archive_compressor_free(gz);
	drydock_blobcopy_sink_free(s);
	drydock_archive_reader_free(dec);
	drydock_hasher_free(h);
	return error;
}

/* Pass 2: configs into memory, layers into the destination. */
static int
pass2(struct dimp *im, const char *path)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	size_t i;
	int error;

	if ((error = drydock_archive_reader_open(
	         &r, path, DRYDOCK_ARCHIVE_LINKS)) < 0)
		return error;
	while ((error = drydock_archive_reader_next(&e, r)) == 0) {
		if (e.type != DRYDOCK_ARCHIVE_FILE)
			continue;
		for (i = 0; i < im->nconfigs; i++)
			if (im->configs[i].buf == NULL &&
			    strcmp(im->configs[i].name, e.path) == 0)
				break;
		if (i < im->nconfigs) {
			if ((error = drydock_archive_reader_read_all(
			         &im->configs[i].buf, &im->configs[i].len, r,
			         JSON_MAX)) < 0) {
				error = entry_fail(path, e.path);
				goto out;
			}
			continue;
		}
		for (i = 0; i < im->nlayers; i++)
			if (!im->layers[i].done &&
			    strcmp(im->layers[i].name, e.path) == 0)
				break;
		if (i < im->nlayers &&
		    (error = import_layer(im, r, &im->layers[i])) < 0) {
			if (error != DRYDOCK_EINTR)
				error = entry_fail(path, e.path);
			goto out;
		}
	}
	error = error == DRYDOCK_ITEROVER ? 0 : entry_fail(path, NULL);
out:
	drydock_archive_reader_free(r);
	return error;
}

/* "docker.io/library/x:1" -> repo "library/x", tag "1" (new strings). */
static int
split_repotag(char **repo, char **tag, const char *rt)
{
	const char *colon = strrchr(rt, ':'), *slash = strrchr(rt, '/');
	const char *first = strchr(rt, '/'), *name = rt;

	*repo = *tag = NULL;
	if (colon == NULL || (slash != NULL && slash > colon))
		return 1;
	/* a leading domain (has '.' or ':', or is localhost) is dropped */
	if (first != NULL && first < colon) {
		size_t n = (size_t)(first - rt);

		if (memchr(rt, '.', n) || memchr(rt, ':', n) ||
		    (n == 9 && strncmp(rt, "localhost", 9) == 0))
			name = first + 1;
	}
	*repo = strndup(name, (size_t)(colon - name));
	*tag = mig_strdup(colon + 1);
	if (*repo == NULL || *tag == NULL) {
		free(*repo);
		free(*tag);
		return mig_oom();
	}
	if (drydock_regwrite_check_repo(*repo) < 0 ||
	    drydock_regwrite_check_tag(*tag) < 0) {
		free(*repo);
		free(*tag);
		*repo = *tag = NULL;
		return 1;
	}
	return 0;
}

static json_t *
descriptor(const char *mt, const struct drydock_digest *d, uint64_t size)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "mediaType", json_string(mt)) ||
	    json_object_set_new(o, "digest", jdigest_new(d)) ||
	    json_object_set_new(o, "size", json_integer((json_int_t)size))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct planned {
	char *repo, *tag;
	struct drydock_digest digest;
	int64_t size;
	char *error;
};

static int
plan_add(struct planned **pl, size_t *n, char *repo, char *tag,
    const struct drydock_digest *d, int64_t size, const char *error)
{
	struct planned *np = realloc(*pl, (*n + 1) * sizeof(*np));

	if (np == NULL) {
		free(repo);
		free(tag);
		return mig_oom();
	}
	*pl = np;
	memset(&np[*n], 0, sizeof(np[*n]));
	np[*n].repo = repo;
	np[*n].tag = tag;
	if (d != NULL)
		np[*n].digest = *d;
	np[*n].size = size;
	np[*n].error = mig_strdup(error);
	(*n)++;
	return 0;
}

/* The hex a name carries ("<hex>.json", "<hex>.tar", "blobs/sha256/<hex>"). */
static int
name_digest(struct drydock_digest *d, const char *name)
{
	const char *base = strrchr(name, '/');
	size_t n;

	base = base != NULL ? base + 1 : name;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	else if (n > 4 && strcmp(base + n - 4, ".tar") == 0)
		n -= 4;
	return drydock_digest_from_hex(d, DRYDOCK_DIGEST_SHA256, base, n) == 0;
}

static struct layer_in *
layer_named(struct dimp *im, const char *name)
{
	size_t i;

	for (i = 0; i < im->nlayers; i++)
		if (strcmp(im->layers[i].name, name) == 0)
			return &im->layers[i];
	return NULL;
}

/* One manifest.json entry: config, layers checked, manifest generated. */
static int
build_image(
    struct dimp *im, json_t *e, struct drydock_digest *md_out, size_t *mlen_out)
{
	struct mig_run *run = im->run;
	struct drydock_digest cd, named;
	struct config_in *c = NULL;
	struct layer_in *l;
	json_t *ids = NULL, *m = NULL, *layers, *v;
	char ds[DRYDOCK_DIGEST_STRMAX], gs[DRYDOCK_DIGEST_STRMAX], *s = NULL;
	const char *cname =
	    resolve(im, json_string_value(json_object_get(e, "Config")));
	size_t i, j;
	int how, error;

	for (i = 0; i < im->nconfigs; i++)
		if (strcmp(im->configs[i].name, cname) == 0)
			c = &im->configs[i];
	if (c == NULL || c->buf == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "config '%s' is not in the archive", cname);
		return DRYDOCK_ECORRUPT;
	}
	if ((error = drydock_digest_buffer(
	         &cd, DRYDOCK_DIGEST_SHA256, c->buf, c->len)) < 0)
		return error;
	if (name_digest(&named, cname) && !drydock_digest_equal(&named, &cd)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "config '%s' hashes to '%s'", cname,
		    drydock_digest_format(ds, &cd));
		return DRYDOCK_ECORRUPT;
	}
	drydock_error_clear();
	if ((error = diff_ids(&ids, c->buf, c->len)) < 0)
		return error;
	m = json_object();
	layers = json_array();
	if (m == NULL || layers == NULL ||
	    json_object_set_new(m, "schemaVersion", json_integer(2)) ||
	    json_object_set_new(
	        m, "mediaType", json_string(DRYDOCK_MT_OCI_MANIFEST)) ||
	    json_object_set_new(
	        m, "config", descriptor(MT_OCI_CONFIG, &cd, c->len)) ||
	    json_object_set_new(m, "layers", layers)) {
		error = mig_oom();
		goto out;
	}
	if (json_array_size(json_object_get(e, "Layers")) !=
	    json_array_size(ids)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "%zu layers but %zu diff_ids in the config",
		    json_array_size(json_object_get(e, "Layers")),
		    json_array_size(ids));
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	json_array_foreach(json_object_get(e, "Layers"), j, v)
	{
		const char *want = json_string_value(json_array_get(ids, j));

		l = layer_named(im, resolve(im, json_string_value(v)));
		if (l == NULL || !l->done) {
			drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
			    "layer '%s' is not in the archive",
			    json_string_value(v));
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
		if (want == NULL ||
		    strcmp(want, drydock_digest_format(gs, &l->diffid)) != 0) {
			drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
			    "layer '%s': its DiffID is '%s', the config's "
			    "diff_ids[%zu] says '%s'",
			    l->name, gs, j, want ? want : "nothing");
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
		if (json_array_append_new(layers,
		        descriptor(
		            run->o->compress ? MT_OCI_LAYER_GZ : MT_OCI_LAYER,
		            &l->blob, l->size))) {
			error = mig_oom();
			goto out;
		}
	}
	if ((s = json_dumps(m, JSON_COMPACT)) == NULL) {
		error = mig_oom();
		goto out;
	}
	*mlen_out = strlen(s);
	if ((error = drydock_digest_buffer(
	         md_out, DRYDOCK_DIGEST_SHA256, s, *mlen_out)) < 0 ||
	    (error = mig_dest_put_buffer(run, &how, c->buf, c->len, &cd)) < 0 ||
	    (error = mig_dest_put_buffer(run, &how, s, *mlen_out, md_out)) < 0)
		goto out;
	/* the links each tag's repository needs, queued for the end */
	json_array_foreach(json_object_get(e, "RepoTags"), i, v)
	{
		char *repo, *tag;

		if (split_repotag(&repo, &tag, json_string_value(v)) != 0)
			continue;
		error = mig_dest_queue(
		    run, MIG_PEND_LAYER, repo, NULL, &cd, NULL, -1);
		json_array_foreach(layers, j, v)
		{
			struct drydock_digest ld;
			const char *d =
			    json_string_value(json_object_get(v, "digest"));

			if (error == 0 &&
			    drydock_digest_parse(&ld, d, strlen(d)) == 0)
				error = mig_dest_queue(run, MIG_PEND_LAYER,
				    repo, NULL, &ld, NULL, -1);
		}
		if (error == 0)
			error = mig_dest_queue(run, MIG_PEND_REVISION, repo,
			    NULL, md_out, NULL, -1);
		free(repo);
		free(tag);
		if (error < 0)
			goto out;
	}
out:
	free(s);
	json_decref(m);
	json_decref(ids);
	return error;
}

static int
plan_images(struct dimp *im, struct planned **pl, size_t *npl)
{
	struct mig_run *run = im->run;
	struct drydock_digest md;
	json_t *e, *v;
	size_t i, j, mlen = 0;
	int error, built;
	char *repo, *tag;

	json_array_foreach(im->manifest, i, e)
	{
		if (mig_stop)
			return DRYDOCK_EINTR;
		built = build_image(im, e, &md, &mlen);
		if (built == DRYDOCK_EINTR || (built < 0 && run->failures))
			return built;
		if (json_array_size(json_object_get(e, "RepoTags")) == 0)
			mig_problem(run,
			    "manifest.json entry %zu has no "
			    "RepoTags; not imported",
			    i);
		json_array_foreach(json_object_get(e, "RepoTags"), j, v)
		{
			const char *rt = json_string_value(v);

			if (split_repotag(&repo, &tag, rt ? rt : "") != 0) {
				mig_problem(run,
				    "RepoTag '%s' is not a valid "
				    "repository:tag; skipped",
				    rt ? rt : "");
				continue;
			}
			error = plan_add(pl, npl, repo, tag,
			    built == 0 ? &md : NULL, (int64_t)mlen,
			    built < 0 ? drydock_error_message() : NULL);
			if (error < 0)
				return error;
			if (built == 0 &&
			    (error = mig_dest_queue(run, MIG_PEND_ROOT,
			         (*pl)[*npl - 1].repo, (*pl)[*npl - 1].tag, &md,
			         DRYDOCK_MT_OCI_MANIFEST, (int64_t)mlen)) < 0)
				return error;
		}
	}
	return 0;
}

static int
make_roots(struct mig_run *run, struct planned *pl, size_t npl)
{
	struct mig_entry *e;
	struct mig_root *r;
	size_t i;
	int error;

	for (i = 0; i < npl; i++)
		if ((error = mig_source_add(&run->src, pl[i].repo, pl[i].tag,
		         &pl[i].digest, pl[i].size)) < 0)
			return error;
	mig_source_sort(&run->src);
	if ((run->roots = calloc(npl ? npl : 1, sizeof(*run->roots))) == NULL)
		return mig_oom();
	run->caproots = npl ? npl : 1;
	for (i = 0; i < npl; i++) {
		if ((e = mig_source_lookup(
		         &run->src, pl[i].repo, pl[i].tag, NULL)) == NULL)
			continue;
		r = &run->roots[run->nroots++];
		r->e = e;
		r->dest_digest = pl[i].digest;
		r->size = pl[i].size;
		r->lossy = 1;
		if (pl[i].error != NULL) {
			r->status = MIG_FAILED;
			r->error = mig_strdup(pl[i].error);
			continue;
		}
		r->media_type = mig_strdup(DRYDOCK_MT_OCI_MANIFEST);
		r->note = mig_strdup(run->o->compress
		        ? "from docker-archive: new OCI manifest, layers "
		          "gzipped by drydock"
		        : "from docker-archive: new OCI manifest, layers "
		          "stored uncompressed (digest = DiffID)");
	}
	return 0;
}

int
mig_docker_import(struct mig_run *run)
{
	struct dimp im;
	struct planned *pl = NULL;
	size_t npl = 0, i;
	int error, owned_tmp = 0;

	memset(&im, 0, sizeof(im));
	im.run = run;
	im.tmpfd = -1;
	if ((error = mig_dest_open(&run->dst, &run->o->dst, run)) < 0)
		return error;
	if (run->dst.type == MIG_LOC_REGISTRY) {
		im.tmpfd = drydock_store_mkdir_open(run->dst.st, "blobs");
		owned_tmp = 1;
	} else {
		im.tmpfd = drydock_ocilayout_blob_dir(
		    run->dst.lay, DRYDOCK_DIGEST_SHA256, 1);
	}
	if (im.tmpfd < 0) {
		error = im.tmpfd;
		goto out;
	}
	(void)drydock_blobcopy_sweep_temps(im.tmpfd);
	if ((error = pass1(&im, run->o->src.path)) < 0 ||
	    (error = plan_names(&im)) < 0 ||
	    (error = pass2(&im, run->o->src.path)) < 0 ||
	    (error = plan_images(&im, &pl, &npl)) < 0 ||
	    (error = make_roots(run, pl, npl)) < 0)
		goto out;
	if ((error = mig_dest_finish(run)) < 0)
		goto out;
	if (run->o->verify)
		error = mig_verify(run);
out:
	if (owned_tmp && im.tmpfd >= 0)
		close(im.tmpfd);
	for (i = 0; i < npl; i++) {
		free(pl[i].repo);
		free(pl[i].tag);
		free(pl[i].error);
	}
	free(pl);
	for (i = 0; i < im.naliases; i++) {
		free(im.aliases[i].name);
		free(im.aliases[i].target);
	}
	free(im.aliases);
	for (i = 0; i < im.nlayers; i++)
		free(im.layers[i].name);
	free(im.layers);
	for (i = 0; i < im.nconfigs; i++) {
		free(im.configs[i].name);
		free(im.configs[i].buf);
	}
	free(im.configs);
	json_decref(im.manifest);
	return error;
}

/* --- verify a docker-archive destination --------------------------- */

/*
 * Stream the archive: every "<hex>.tar" and "<hex>.json" must hash to its
 * name; then every exported tag must be in manifest.json with its config
 * (the image ID) and layers all present.
 */
int
mig_docker_verify(struct mig_run *run)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	struct drydock_digestmap *ok = NULL;
	struct drydock_hasher *h = NULL;
	struct drydock_digest want, got;
	json_t *man = NULL, *ent, *v;
	json_error_t je;
	const void *buf;
	char *mbuf = NULL, rt[600], hex[DRYDOCK_DIGEST_STRMAX], why[300];
	size_t len, i, j, k;
	int64_t t0 = mig_now_ns();
	int error;

	if ((error = drydock_digestmap_new(&ok, 256)) < 0 ||
	    (error = drydock_hasher_new(&h, DRYDOCK_DIGEST_SHA256)) < 0 ||
	    (error = drydock_archive_reader_open(
	         &r, run->o->dst.path, DRYDOCK_ARCHIVE_LINKS)) < 0)
		goto out;
	while ((error = drydock_archive_reader_next(&e, r)) == 0) {
		if (e.type != DRYDOCK_ARCHIVE_FILE)
			continue;
		if (strcmp(e.path, "manifest.json") == 0) {
			free(mbuf);
			if ((error = drydock_archive_reader_read_all(
			         &mbuf, &len, r, JSON_MAX)) < 0)
				goto out;
			json_decref(man);
			man = json_loadb(mbuf, len, 0, &je);
			continue;
		}
		if (!name_digest(&want, e.path))
			continue;
		if ((error = drydock_hasher_reset(h)) < 0)
			goto out;
		for (;;) {
			if ((error = drydock_archive_reader_data(
			         &buf, &len, r)) < 0)
				goto out;
			if (len == 0)
				break;
			if ((error = drydock_hasher_update(h, buf, len)) < 0)
				goto out;
		}
		if ((error = drydock_hasher_final(&got, h)) < 0)
			goto out;
		if (!drydock_digest_equal(&got, &want)) {
			mig_problem(run,
			    "verify: '%s' does not hash to its name", e.path);
			run->verify_failures++;
			continue;
		}
		if (drydock_digestmap_put(ok, &want, 0) < 0) {
			error = mig_oom();
			goto out;
		}
	}
	if (error != DRYDOCK_ITEROVER)
		goto out;
	error = 0;
	for (i = 0; i < run->nroots; i++) {
		struct mig_root *rt_ = &run->roots[i];

		if (rt_->status != MIG_OK)
			continue;
		snprintf(rt, sizeof(rt), "%s:%s", rt_->e->repo, rt_->e->tag);
		why[0] = '\0';
		ent = NULL;
		json_array_foreach(man, j, v)
		{
			json_t *t;

			json_array_foreach(json_object_get(v, "RepoTags"), k,
			    t) if (json_string_value(t) != NULL &&
			    strcmp(json_string_value(t), rt) == 0) ent = v;
		}
		snprintf(hex, sizeof(hex), "%s",
		    ent ? json_string_value(json_object_get(ent, "Config"))
		        : "");
		if (ent == NULL)
			snprintf(why, sizeof(why), "not in manifest.json");
		else if (!name_digest(&want, hex) ||
		    !drydock_digest_equal(&want, &rt_->dest_digest) ||
		    !drydock_digestmap_get(ok, &want, NULL))
			snprintf(why, sizeof(why), "config missing or wrong");
		json_array_foreach(
		    ent ? json_object_get(ent, "Layers") : NULL, j, v)
		{
			const char *n = json_string_value(v);

			if (why[0] == '\0' &&
			    (n == NULL || !name_digest(&want, n) ||
			        !drydock_digestmap_get(ok, &want, NULL)))
				snprintf(why, sizeof(why),
				    "layer '%.200s' missing or wrong",
				    n ? n : "?");
		}
		rt_->verified = why[0] == '\0' ? 1 : -1;
		if (why[0] != '\0') {
			run->verify_failures++;
			free(rt_->verify_error);
			rt_->verify_error = mig_strdup(why);
		}
	}
out:
	drydock_archive_reader_free(r);
	drydock_hasher_free(h);
	drydock_digestmap_free(ok);
	json_decref(man);
	free(mbuf);
	run->verify_seconds = (double)(mig_now_ns() - t0) / 1e9;
	run->verify_ran = 1;
	return error;
}
