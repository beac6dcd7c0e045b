/* SPDX-License-Identifier: MIT */
/*
 * dockerimport.c --- docker-archive input (formats.md 5.2-5.5): the tar is
 * untrusted (lib/archive: no '..', no absolute names, links only as
 * aliases inside the archive).  A first pass reads manifest.json and the
 * aliases, a second streams each layer it names, decompressed when it is
 * compressed, straight into the destination as an uncompressed OCI layer
 * (digest = DiffID: reproducible) or, with --compress, gzipped; configs
 * are kept unchanged; an OCI manifest is generated for each image and its
 * tags are written last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "migrate.h"

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define JSON_MAX MIG_DOCKER_JSON_MAX
#define LAYERS_MAX 512

static json_t *
jdigest_new(const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX];

	return json_string(drydock_digest_format(ds, d));
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
	const char *path; /* the archive */
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

	/* a full or read-only destination is not the tar's fault */
	if (mig_error_fatal())
		return DRYDOCK_ERROR;
	snprintf(msg, sizeof(msg), "%s", drydock_error_message());
	drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE, "archive '%s'%s%s%s: %s",
	    archive, entry ? ": entry '" : "", entry ? entry : "",
	    entry ? "'" : "", msg);
	return DRYDOCK_ECORRUPT;
}

typedef int (*entry_fn)(struct dimp *im, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *e);

/* Read the archive through, handing each entry to fn. */
static int
each_entry(struct dimp *im, entry_fn fn)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	int error;

	if ((error = drydock_archive_reader_open(
	         &r, im->path, DRYDOCK_ARCHIVE_LINKS)) < 0)
		return error;
	while ((error = drydock_archive_reader_next(&e, r)) == 0)
		if ((error = fn(im, r, &e)) < 0)
			goto out;
	error = error == DRYDOCK_ITEROVER ? 0 : entry_fail(im->path, NULL);
out:
	drydock_archive_reader_free(r);
	return error;
}

/* Pass 1: manifest.json and the aliases. */
static int
pass1_entry(struct dimp *im, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *e)
{
	json_error_t je;
	char *buf = NULL;
	size_t len;

	if (e->type == DRYDOCK_ARCHIVE_SYMLINK ||
	    e->type == DRYDOCK_ARCHIVE_HARDLINK)
		return add_alias(im, e->path, e->target);
	if (e->type != DRYDOCK_ARCHIVE_FILE ||
	    strcmp(e->path, "manifest.json") != 0)
		return 0;
	if (drydock_archive_reader_read_all(&buf, &len, r, JSON_MAX) < 0)
		return entry_fail(im->path, e->path);
	json_decref(im->manifest);
	im->manifest = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!json_is_array(im->manifest)) {
		drydock_error_set(DRYDOCK_ERRCLASS_JSON, "not a JSON array%s%s",
		    im->manifest ? "" : ": ", im->manifest ? "" : je.text);
		return entry_fail(im->path, "manifest.json");
	}
	return 0;
}

static int
pass1(struct dimp *im)
{
	int error;

	if ((error = each_entry(im, pass1_entry)) < 0)
		return error;
	if (im->manifest == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "no manifest.json (legacy repositories-only archives are "
		    "not read)");
		return entry_fail(im->path, NULL);
	}
	return 0;
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
	char name[DRYDOCK_DIGEST_STRMAX];
	int dfd, owned, how, error;

	if ((dfd = mig_dest_blob_dir(&run->dst, d, name, &owned)) < 0)
		return dfd;
	if ((error = drydock_blobcopy_sink_commit(s, &how, dfd, name)) == 0)
		error = mig_dest_blob_staged(run, dfd, name, d);
	if (owned)
		close(dfd);
	return error;
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
		if ((error = mig_read_data(&buf, &len, dec)) < 0)
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
pass2_entry(struct dimp *im, struct drydock_archive_reader *r,
    const struct drydock_archive_entry *e)
{
	size_t i;
	int error;

	if (e->type != DRYDOCK_ARCHIVE_FILE)
		return 0;
	for (i = 0; i < im->nconfigs; i++)
		if (im->configs[i].buf == NULL &&
		    strcmp(im->configs[i].name, e->path) == 0)
			break;
	if (i < im->nconfigs) {
		if (drydock_archive_reader_read_all(&im->configs[i].buf,
		        &im->configs[i].len, r, JSON_MAX) < 0)
			return entry_fail(im->path, e->path);
		return 0;
	}
	for (i = 0; i < im->nlayers; i++)
		if (!im->layers[i].done &&
		    strcmp(im->layers[i].name, e->path) == 0)
			break;
	if (i == im->nlayers ||
	    (error = import_layer(im, r, &im->layers[i])) == 0)
		return 0;
	return error == DRYDOCK_EINTR ? error : entry_fail(im->path, e->path);
}

/* "docker.io/library/x:1" -> repo "library/x", tag "1" (new strings). */
static int
split_repotag(char **repo, char **tag, const char *rt)
{
	int error;

	/* a leading domain (has '.' or ':', or is localhost) is dropped */
	if ((error = mig_split_ref(repo, tag, rt, 1)) != 0)
		return error;
	if (drydock_reference_check_repo(*repo) < 0 ||
	    drydock_reference_check_tag(*tag) < 0) {
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
	char *from; /* the RepoTag, when it is not repo:tag */
	struct drydock_digest digest;
	int64_t size;
	char *error;
};

static int
plan_add(struct planned **pl, size_t *n, char *repo, char *tag, const char *rt,
    const struct drydock_digest *d, int64_t size, const char *error)
{
	struct planned *np = realloc(*pl, (*n + 1) * sizeof(*np));
	size_t rlen = strlen(repo);

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
	/* a host dropped: say which name the image got */
	if (strncmp(rt, repo, rlen) != 0 || rt[rlen] != ':')
		np[*n].from = mig_strdup(rt);
	(*n)++;
	return 0;
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
	if (mig_docker_name_digest(&named, cname) &&
	    !drydock_digest_equal(&named, &cd)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "config '%s' hashes to '%s'", cname,
		    drydock_digest_format(ds, &cd));
		return DRYDOCK_ECORRUPT;
	}
	drydock_error_clear();
	if ((error = mig_docker_diff_ids(&ids, c->buf, c->len)) < 0)
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
		if (built == DRYDOCK_EINTR ||
		    (built < 0 && (run->failures || mig_error_fatal())))
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
			error = plan_add(pl, npl, repo, tag, rt,
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
		if (pl[i].from != NULL &&
		    (r->archive_name = mig_strdup(pl[i].from)) == NULL)
			return mig_oom();
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
	im.path = run->o->src.path;
	im.tmpfd = -1;
	if ((error = mig_dest_open(&run->dst, &run->o->dst, run)) < 0)
		return error;
	if (run->dst.type == MIG_LOC_REGISTRY &&
	    !drydock_store_has_fds(run->dst.st)) {
		/* an object store: a local directory, uploaded from there */
		im.tmpfd = mig_dest_stage_dir(&run->dst);
	} else if (run->dst.type == MIG_LOC_REGISTRY) {
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
	(void)drydock_blobcopy_sweep_temps_locked(im.tmpfd);
	if ((error = pass1(&im)) < 0 || (error = plan_names(&im)) < 0 ||
	    (error = each_entry(&im, pass2_entry)) < 0 ||
	    (error = plan_images(&im, &pl, &npl)) < 0 ||
	    (error = make_roots(run, pl, npl)) < 0)
		goto out;
	error = mig_dest_finish(run);
out:
	if (owned_tmp && im.tmpfd >= 0)
		close(im.tmpfd);
	for (i = 0; i < npl; i++) {
		free(pl[i].repo);
		free(pl[i].tag);
		free(pl[i].from);
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
