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
 * Import is in dockerimport.c, the verification of an export in verify.c.
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

#define JSON_MAX MIG_DOCKER_JSON_MAX
#define READ_BUFSZ (1u << 20)

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
	int stream; /* a pipe (a blob streamed from S3): read, not pread */
	uint64_t off;
	unsigned char *buf;
	struct drydock_hasher *h; /* of the compressed bytes, or NULL */
};

static int
fd_read(const void **buf_out, size_t *len_out, void *payload)
{
	struct fdsrc *s = payload;
	ssize_t n;

	for (;;) {
		n = s->stream ? read(s->fd, s->buf, READ_BUFSZ)
		              : pread(s->fd, s->buf, READ_BUFSZ, (off_t)s->off);
		if (n < 0 && errno == ESPIPE && !s->stream && s->off == 0)
			s->stream = 1;
		else if (n >= 0 || errno != EINTR)
			break;
	}
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
	struct fdsrc src = {fd, 0, 0, NULL, NULL};
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
		if ((error = mig_read_data(&buf, &len, r)) < 0)
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

int
mig_docker_diff_ids(json_t **out, const char *cfg, size_t len)
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

	if ((error = mig_source_manifest_read(
	         buf, len, &x->run->src, r->e->repo, &d)) < 0 ||
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
	if ((error = mig_source_manifest_read(
	         buf, len, &x->run->src, r->e->repo, &d)) < 0 ||
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
	/* read twice: a stream (from S3) is copied into a file first */
	if ((error = mig_source_blob_open_file(
	         &fd, &x->run->src, &l->digest, l->size)) < 0) {
		if (l->foreign && error == DRYDOCK_ENOTFOUND)
			drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
			    "foreign layer '%s' has no data here",
			    drydock_digest_format(ds, &l->digest));
		return error;
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
	x->run->dst.archived++;
	x->run->dst.archived_bytes += size;
	error =
	    drydock_digestmap_put(x->written, &want_d, 0) < 0 ? mig_oom() : 0;
	goto out;
fatal:
	/* the archive holds a broken entry: give up (a full disk: exit 8) */
	if (error != DRYDOCK_EINTR && !mig_error_fatal())
		x->run->failures++;
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
	         &cfg, &clen, &x->run->src, r->e->repo, &cfgd->digest)) < 0 ||
	    (error = mig_docker_diff_ids(&ids, cfg, clen)) < 0)
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
			if (!mig_error_fatal())
				x->run->failures++;
			goto out;
		}
		x->run->dst.archived++;
		x->run->dst.archived_bytes += clen;
		if (drydock_digestmap_put(x->written, &cfgd->digest, 0) < 0) {
			error = mig_oom();
			goto out;
		}
	}
	(void)how;
	mig_docker_repotag(repotag, sizeof(repotag), r->e->repo, NULL);
	if ((tags = json_object_get(x->repos, repotag)) == NULL &&
	    (json_object_set_new(x->repos, repotag, json_object()) ||
	        (tags = json_object_get(x->repos, repotag)) == NULL)) {
		error = mig_oom();
		goto out;
	}
	if (mig_docker_repotag(
	        repotag, sizeof(repotag), r->e->repo, r->e->tag) &&
	    (r->archive_name = mig_strdup(repotag)) == NULL) {
		error = mig_oom();
		goto out;
	}
	error = manifest_entry(x, cfgname, layers, repotag);
	layers = NULL;
	if (error < 0)
		goto out;
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
		if (error == DRYDOCK_EINTR || run->failures ||
		    (error < 0 && mig_error_fatal()))
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
	error = mig_dest_finish(run);
out:
	if (error == 0 && s == NULL)
		error = mig_oom();
	free(s);
	json_decref(x.manifest);
	json_decref(x.repos);
	drydock_digestmap_free(x.written);
	return error;
}

/*
 * docker (distribution's reference package, splitDockerDomain) takes a
 * first component that holds '.' or ':', or is "localhost", for a
 * registry host: "lvl1.a/app" would load as the repository "app" of the
 * registry lvl1.a.  Such a repository goes out under the host
 * "localhost", which docker keeps as written and our import drops again.
 */
int
mig_docker_repotag(char *buf, size_t sz, const char *repo, const char *tag)
{
	int host = mig_ref_has_host(repo, strlen(repo));

	snprintf(buf, sz, "%s%s%s%s", host ? "localhost/" : "", repo,
	    tag != NULL ? ":" : "", tag != NULL ? tag : "");
	return host;
}

/* The hex a name carries ("<hex>.json", "<hex>.tar", "blobs/sha256/<hex>"). */
int
mig_docker_name_digest(struct drydock_digest *d, const char *name)
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
