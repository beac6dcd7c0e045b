/* SPDX-License-Identifier: MIT */
/*
 * remote.c --- a docker://HOST[:PORT]/REPO[:TAG|@DIGEST] location (its
 * reference read by dref.c): a client with the credentials found for its
 * host, its catalogue (tags/list paged, each tag's digest, referrers from
 * the referrers API or the sha256-<hex> tag), manifests by digest
 * (verified, cached) and blobs pulled into the destination, hashed in
 * flight and checked before they get their name.  push.c writes to a
 * docker:// destination through the same client.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "migrate.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
/* every manifest type: without them, a registry may convert (2.8.2) */
#define ACCEPT_MANIFESTS                                                       \
	"application/vnd.oci.image.manifest.v1+json, " MT_OCI_INDEX            \
	", application/vnd.docker.distribution.manifest.v2+json, "             \
	"application/vnd.docker.distribution.manifest.list.v2+json, "          \
	"application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5, "    \
	"application/vnd.docker.distribution.manifest.v1+json;q=0.5"
#define TAGS_PAGE 1000

struct cached {
	char *buf;
	size_t len;
};

struct mig_remote {
	struct mig_dref ref;
	struct drydock_http *http;
	pthread_mutex_t lock; /* the cache */
	struct drydock_digestmap *cache; /* (repo, digest) -> index */
	struct cached *mf;
	size_t nmf, capmf;
};

/* --- the client ---------------------------------------------------------- */

int
mig_remote_open(struct mig_remote **out, struct mig_run *run,
    const struct mig_loc *loc, int dest)
{
	const struct mig_opts *o = run->o;
	struct drydock_regauth_opts ao;
	struct drydock_http_opts ho;
	struct mig_remote *r;
	char *user = NULL, *secret = NULL;
	int error;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return mig_oom();
	pthread_mutex_init(&r->lock, NULL);
	if ((error = mig_dref_parse(&r->ref, loc->path)) < 0 ||
	    (error = drydock_digestmap_new(&r->cache, 64)) < 0)
		goto fail;
	memset(&ao, 0, sizeof(ao));
	ao.creds = dest ? o->dst_creds : o->src_creds;
	ao.authfile = o->authfile;
	/* the credentials are looked up under the name the user logs in to */
	if ((error = drydock_regauth_lookup(&user, &secret, &ao, r->ref.host)) <
	    0)
		goto fail;
	drydock_http_opts_init(&ho);
	ho.tls_verify = dest ? o->dst_tls_verify : o->src_tls_verify;
	ho.cert_dir = dest ? o->dst_cert_dir : o->src_cert_dir;
	ho.username = user;
	ho.secret = secret;
#ifdef DRYDOCK_TEST_HOOKS
	ho.certs_d = getenv("DRYDOCK_TEST_CERTS_D");
	if (getenv("DRYDOCK_TEST_HTTP_BACKOFF_MS") != NULL)
		ho.backoff_ms =
		    (unsigned)atoi(getenv("DRYDOCK_TEST_HTTP_BACKOFF_MS"));
#endif
	error = drydock_http_new(&r->http, r->ref.api_host, &ho);
	free(user);
	drydock_regauth_forget(secret);
	if (error < 0)
		goto fail;
	drydock_http_set_cancel(r->http, &mig_stop);
	*out = r;
	return 0;
fail:
	mig_remote_free(r);
	return error;
}

void
mig_remote_free(struct mig_remote *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nmf; i++)
		free(r->mf[i].buf);
	free(r->mf);
	drydock_digestmap_free(r->cache);
	drydock_http_free(r->http);
	mig_dref_release(&r->ref);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

const struct mig_dref *
mig_remote_ref(const struct mig_remote *r)
{
	return &r->ref;
}

static void
scope_pull(char *buf, size_t sz, const char *repo)
{
	snprintf(buf, sz, "repository:%s:pull", repo);
}

struct drydock_http *
mig_remote_http(const struct mig_remote *r)
{
	return r->http;
}

void
mig_remote_what(char *buf, size_t sz, const struct mig_remote *r,
    const char *repo, const char *tag, const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX];

	if (tag != NULL)
		snprintf(buf, sz, "%s/%s:%s", r->ref.host, repo, tag);
	else
		snprintf(buf, sz, "%s/%s@%s", r->ref.host, repo,
		    drydock_digest_format(ds, d));
}

/* --- manifests ----------------------------------------------------------- */

/* the digest argument of a manifest asked for by tag */
static const struct drydock_digest no_digest;

/*
 * GET a manifest by tag, or by digest d when tag is NULL (its bytes as
 * they are, at most DRYDOCK_MANIFEST_MAX).  *d_out: the digest of those
 * bytes; by digest, they must hash to d.
 */
static int
manifest_get(struct mig_remote *r, char **buf_out, size_t *len_out,
    struct drydock_digest *d_out, const char *repo, const char *tag,
    const struct drydock_digest *d)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	char path[1024], scope[600], what[1024], ds[DRYDOCK_DIGEST_STRMAX];
	char gs[DRYDOCK_DIGEST_STRMAX];
	const char *ref;
	int error;

	*buf_out = NULL;
	/* by tag, or else by the digest d */
	ref = tag != NULL ? tag : drydock_digest_format(ds, d);
	snprintf(what, sizeof(what), "%s/%s%c%s", r->ref.host, repo,
	    tag != NULL ? ':' : '@', ref);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", repo, ref);
	scope_pull(scope, sizeof(scope), repo);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.scope = scope;
	req.accept = ACCEPT_MANIFESTS;
	req.max_body = DRYDOCK_MANIFEST_MAX;
	if ((error = drydock_http_request(&resp, r->http, &req)) < 0)
		goto out;
	if (resp.status != 200) {
		error = drydock_http_status_error(&resp, what);
		goto out;
	}
	if ((error = drydock_digest_buffer(d_out, DRYDOCK_DIGEST_SHA256,
	         resp.body ? resp.body : "", resp.body_len)) < 0)
		goto out;
	if (tag == NULL && d->alg != DRYDOCK_DIGEST_SHA256 &&
	    (error = drydock_digest_buffer(
	         d_out, d->alg, resp.body ? resp.body : "", resp.body_len)) < 0)
		goto out;
	if (tag == NULL && !drydock_digest_equal(d, d_out)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: the registry sent a manifest that hashes to '%s'; "
		    "refused",
		    what, drydock_digest_format(gs, d_out));
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	if (resp.body == NULL && (resp.body = strdup("")) == NULL) {
		error = mig_oom();
		goto out;
	}
	*buf_out = resp.body;
	*len_out = resp.body_len;
	resp.body = NULL;
out:
	drydock_http_response_release(&resp);
	return error;
}

static int
cache_put(struct mig_remote *r, const char *repo,
    const struct drydock_digest *d, const char *buf, size_t len)
{
	struct drydock_digest key;
	char *copy;
	int error = 0;

	mig_repo_key(&key, repo, d);
	if ((copy = malloc(len + 1)) == NULL)
		return mig_oom();
	memcpy(copy, buf, len);
	copy[len] = '\0';
	pthread_mutex_lock(&r->lock);
	if (drydock_digestmap_get(r->cache, &key, NULL)) {
		free(copy);
	} else if (fe_grow((void **)&r->mf, &r->capmf, r->nmf + 1,
	               sizeof(*r->mf)) < 0 ||
	    drydock_digestmap_put(r->cache, &key, (uint32_t)r->nmf) < 0) {
		free(copy);
		error = mig_oom();
	} else {
		r->mf[r->nmf].buf = copy;
		r->mf[r->nmf++].len = len;
	}
	pthread_mutex_unlock(&r->lock);
	return error;
}

int
mig_remote_manifest_read(char **buf_out, size_t *len_out, struct mig_remote *r,
    const char *repo, const struct drydock_digest *d)
{
	struct drydock_digest key, got;
	uint32_t i;
	int error, hit;

	mig_repo_key(&key, repo, d);
	pthread_mutex_lock(&r->lock);
	hit = drydock_digestmap_get(r->cache, &key, &i);
	if (hit && (*buf_out = malloc(r->mf[i].len + 1)) != NULL) {
		memcpy(*buf_out, r->mf[i].buf, r->mf[i].len + 1);
		*len_out = r->mf[i].len;
	}
	pthread_mutex_unlock(&r->lock);
	if (hit)
		return *buf_out == NULL ? mig_oom() : 0;
	if ((error = manifest_get(r, buf_out, len_out, &got, repo, NULL, d)) <
	    0)
		return error;
	return cache_put(r, repo, d, *buf_out, *len_out);
}

/*
 * The digest and size of repo:tag.  HEAD answers with
 * Docker-Content-Digest; a registry that leaves it out is asked for the
 * manifest itself, which is hashed (and cached).
 */
int
mig_remote_resolve(struct mig_remote *r, struct drydock_digest *d_out,
    int64_t *size_out, const char *repo, const char *tag)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	char path[1024], scope[600], what[1024], *buf = NULL;
	size_t len;
	int error;

	snprintf(what, sizeof(what), "%s/%s:%s", r->ref.host, repo, tag);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", repo, tag);
	scope_pull(scope, sizeof(scope), repo);
	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.path = path;
	req.scope = scope;
	req.accept = ACCEPT_MANIFESTS;
	if ((error = drydock_http_request(&resp, r->http, &req)) < 0)
		goto out;
	if (resp.status != 200) {
		error = drydock_http_status_error(&resp, what);
		goto out;
	}
	*size_out = resp.content_length;
	if (resp.digest != NULL &&
	    drydock_digest_parse(d_out, resp.digest, strlen(resp.digest)) == 0)
		goto out;
	drydock_error_clear();
	if ((error = manifest_get(
	         r, &buf, &len, d_out, repo, tag, &no_digest)) < 0)
		goto out;
	*size_out = (int64_t)len;
	error = cache_put(r, repo, d_out, buf, len);
out:
	free(buf);
	drydock_http_response_release(&resp);
	return error;
}

/* --- the catalogue ------------------------------------------------------- */

/*
 * A paged list (tags/list, _catalog): the strings of key in every page,
 * from path on, following the Link header; with check, only those it
 * accepts.
 */
static int
list_paged(struct mig_remote *r, char ***out, size_t *n_out, const char *path0,
    const char *scope, const char *key, int (*check)(const char *),
    const char *what)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	char *path, *next = NULL, **names = NULL;
	size_t n = 0, cap = 0, i;
	json_t *j = NULL, *v;
	int error = 0, pages = 0;
	const char *name;

	memset(&resp, 0, sizeof(resp));
	if ((path = mig_strdup(path0)) == NULL)
		return mig_oom();
	while (path != NULL) {
		if (++pages > 100000) {
			drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
			    "%s: the pages do not end", what);
			error = DRYDOCK_ERROR;
			goto out;
		}
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.path = path;
		req.scope = scope;
		req.max_body = 64u << 20;
		if ((error = drydock_http_request(&resp, r->http, &req)) < 0)
			goto out;
		if (resp.status != 200) {
			error = drydock_http_status_error(&resp, what);
			goto out;
		}
		if ((j = json_loadb(resp.body ? resp.body : "", resp.body_len,
		         0, NULL)) == NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_JSON,
			    "%s: the answer is not JSON", what);
			error = DRYDOCK_ECORRUPT;
			goto out;
		}
		json_array_foreach(json_object_get(j, key), i, v)
		{
			if ((name = json_string_value(v)) == NULL ||
			    (check != NULL && !check(name)))
				continue;
			if (fe_grow((void **)&names, &cap, n + 1,
			        sizeof(*names)) < 0 ||
			    (names[n] = strdup(name)) == NULL) {
				error = mig_oom();
				goto out;
			}
			n++;
		}
		json_decref(j);
		j = NULL;
		if ((error = drydock_http_link_next(&next, resp.link)) < 0)
			goto out;
		free(path);
		path = next;
		drydock_http_response_release(&resp);
	}
out:
	json_decref(j);
	drydock_http_response_release(&resp);
	free(path);
	if (error < 0) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return error;
	}
	*out = names;
	*n_out = n;
	return 0;
}

/* Every tag of repo. */
static int
list_tags(
    struct mig_remote *r, char ***tags_out, size_t *n_out, const char *repo)
{
	char path[1024], scope[600], what[600];

	snprintf(what, sizeof(what), "%s/%s: tags/list", r->ref.host, repo);
	snprintf(path, sizeof(path), "/v2/%s/tags/list?n=%d", repo, TAGS_PAGE);
	scope_pull(scope, sizeof(scope), repo);
	return list_paged(r, tags_out, n_out, path, scope, "tags", NULL, what);
}

struct resolve_job {
	struct mig_remote *r;
	const char *repo;
	char **tags;
	struct drydock_digest *digests;
	int64_t *sizes;
	char **errors; /* per tag, NULL when resolved */
};

static int
resolve_one(void *ctx, size_t i)
{
	struct resolve_job *j = ctx;
	int error;

	error = mig_remote_resolve(
	    j->r, &j->digests[i], &j->sizes[i], j->repo, j->tags[i]);
	if (error == DRYDOCK_EINTR || error == DRYDOCK_EAUTH)
		return error;
	if (error < 0 &&
	    (j->errors[i] = mig_strdup(drydock_error_message())) == NULL)
		return mig_oom();
	return 0;
}

/*
 * The referrers of d: the referrers API's index, else the index the tag
 * schema keeps under sha256-<hex>.  Each one becomes an untagged entry
 * with its subject.
 */
static int
add_referrers(struct mig_remote *r, struct mig_source *src, const char *repo,
    const struct drydock_digest *d, int has_fallback_tag)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	struct drydock_digest rd, got;
	char path[1024], scope[600], hex[DRYDOCK_DIGEST_STRMAX + 16];
	char ds[DRYDOCK_DIGEST_STRMAX], what[1024], *buf = NULL;
	const char *body;
	size_t len, i;
	json_t *j = NULL, *v;
	int error;

	mig_remote_what(what, sizeof(what), r, repo, NULL, d);
	snprintf(path, sizeof(path), "/v2/%s/referrers/%s", repo,
	    drydock_digest_format(ds, d));
	scope_pull(scope, sizeof(scope), repo);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.scope = scope;
	req.accept = MT_OCI_INDEX;
	if ((error = drydock_http_request(&resp, r->http, &req)) < 0)
		goto out;
	if (resp.status == 200 && resp.content_type != NULL &&
	    strncmp(resp.content_type, MT_OCI_INDEX, strlen(MT_OCI_INDEX)) ==
	        0) {
		body = resp.body ? resp.body : "";
		len = resp.body_len;
	} else if (has_fallback_tag) {
		/* no referrers API: the tag schema's index */
		snprintf(
		    hex, sizeof(hex), "%s-", drydock_digest_alg_name(d->alg));
		drydock_digest_hex(hex + strlen(hex), d);
		if ((error = manifest_get(
		         r, &buf, &len, &got, repo, hex, &no_digest)) < 0)
			goto out;
		body = buf;
	} else {
		goto out;
	}
	if ((j = json_loadb(body, len, 0, NULL)) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_JSON,
		    "%s: the referrers index is not JSON", what);
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	json_array_foreach(json_object_get(j, "manifests"), i, v)
	{
		const char *s = json_string_value(json_object_get(v, "digest"));
		struct mig_entry *e;

		if (s == NULL || drydock_digest_parse(&rd, s, strlen(s)) < 0)
			continue;
		if (mig_source_find(src, repo, &rd) != NULL)
			continue; /* seen: a referrer of several */
		if ((error = mig_source_add(src, repo, NULL, &rd,
		         json_integer_value(json_object_get(v, "size")))) < 0)
			goto out;
		e = &src->entries[src->n - 1];
		e->subject_state = 1;
		e->subject = *d;
	}
out:
	drydock_error_clear();
	json_decref(j);
	free(buf);
	drydock_http_response_release(&resp);
	return error == DRYDOCK_EINTR || error == DRYDOCK_EAUTH ? error : 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_tag(char **tags, size_t n, const char *tag)
{
	return bsearch(&tag, tags, n, sizeof(*tags), cmp_str) != NULL;
}

/* One repository's names: its tags (or the one given), then referrers. */
static int
catalogue_repo(struct mig_remote *r, struct mig_source *src,
    struct mig_run *run, const char *repo)
{
	const struct mig_dref *ref = &r->ref;
	struct resolve_job job;
	char **tags = NULL, *one[1], **res;
	size_t n = 0, i, nres = 0, first = src->n;
	int error;

	memset(&job, 0, sizeof(job));
	if ((error = list_tags(r, &tags, &n, repo)) < 0) {
		/* a name by digest needs no list; a tag is resolved alone */
		if (error == DRYDOCK_EINTR || error == DRYDOCK_EAUTH ||
		    (ref->tag == NULL && !ref->has_digest))
			return error;
		drydock_error_clear();
		n = 0;
	}
	qsort(tags, n, sizeof(*tags), cmp_str);
	if (ref->has_digest) {
		if ((error = mig_source_add(
		         src, repo, NULL, &ref->digest, -1)) < 0)
			goto out;
	} else {
		/* every tag, or the one named (the list still tells the
		 * referrers' fallback tags) */
		res = tags;
		nres = n;
		if (ref->tag != NULL) {
			one[0] = ref->tag;
			res = one;
			nres = 1;
		}
		job.r = r;
		job.repo = repo;
		job.tags = res;
		if ((job.digests = calloc(nres + 1, sizeof(*job.digests))) ==
		        NULL ||
		    (job.sizes = calloc(nres + 1, sizeof(*job.sizes))) ==
		        NULL ||
		    (job.errors = calloc(nres + 1, sizeof(*job.errors))) ==
		        NULL) {
			error = mig_oom();
			goto out;
		}
		if ((error = mig_parallel(
		         nres, run->o->jobs, resolve_one, &job)) < 0)
			goto out;
		for (i = 0; i < nres; i++) {
			if (job.errors[i] != NULL) {
				mig_problem(run, "%s", job.errors[i]);
				run->failures++;
				continue;
			}
			if ((error = mig_source_add(src, repo, res[i],
			         &job.digests[i], job.sizes[i])) < 0)
				goto out;
		}
	}
	/* referrers of every name, and theirs in turn */
	for (i = first; i < src->n; i++) {
		struct drydock_digest d = src->entries[i].digest;
		char fb[DRYDOCK_DIGEST_STRMAX + 16];

		snprintf(fb, sizeof(fb), "%s-", drydock_digest_alg_name(d.alg));
		drydock_digest_hex(fb + strlen(fb), &d);
		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
		if ((error = add_referrers(
		         r, src, repo, &d, has_tag(tags, n, fb))) < 0)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		free(tags[i]);
	for (i = 0; i < nres && job.errors != NULL; i++)
		free(job.errors[i]);
	free(tags);
	free(job.digests);
	free(job.sizes);
	free(job.errors);
	return error;
}

/* Every repository the registry lists (_catalog; 2.8 refuses n > 1000). */
static int
list_repos(struct mig_remote *r, char ***out, size_t *n_out)
{
	char what[600];

	snprintf(what, sizeof(what), "%s: _catalog", r->ref.host);
	return list_paged(r, out, n_out, "/v2/_catalog?n=1000",
	    "registry:catalog:*", "repositories", drydock_reference_is_repo,
	    what);
}

int
mig_remote_catalogue(
    struct mig_source *src, struct mig_remote *r, struct mig_run *run)
{
	char **repos = NULL;
	size_t n = 0, i;
	int error = 0;

	if (r->ref.repo[0] != '\0') {
		if ((error = catalogue_repo(r, src, run, r->ref.repo)) < 0)
			return error;
		mig_source_sort(src);
		return 0;
	}
	if (!run->o->all_repos) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "docker://%s/ names no repository: give one, or "
		    "--all-repositories",
		    r->ref.host);
		return DRYDOCK_ERROR;
	}
	if ((error = list_repos(r, &repos, &n)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++)
		error = catalogue_repo(r, src, run, repos[i]);
	for (i = 0; i < n; i++)
		free(repos[i]);
	free(repos);
	if (error < 0)
		return error;
	mig_source_sort(src);
	return 0;
}

/* --- blobs -----------------------------------------------------------------
 */

static int
sink_cb(const void *buf, size_t len, void *payload)
{
	return drydock_blobcopy_sink_write(payload, buf, len);
}

/* GET blob desc of repo, its bytes to cb (resumed where a drop cut it). */
static int
get_blob(struct mig_remote *r, const char *repo,
    const struct drydock_descriptor *desc, drydock_http_data_cb cb,
    void *payload, uint64_t *received_out)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	char path[1024], scope[600], what[1024], ds[DRYDOCK_DIGEST_STRMAX];
	int error;

	*received_out = 0;
	mig_remote_what(what, sizeof(what), r, repo, NULL, &desc->digest);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", repo,
	    drydock_digest_format(ds, &desc->digest));
	scope_pull(scope, sizeof(scope), repo);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.scope = scope;
	req.data_cb = cb;
	req.payload = payload;
	req.flags = DRYDOCK_HTTP_RESUME;
	if ((error = drydock_http_request(&resp, r->http, &req)) == 0 &&
	    resp.status != 200 && resp.status != 206)
		error = drydock_http_status_error(&resp, what);
	*received_out = resp.received;
	drydock_http_response_release(&resp);
	return error;
}

int
mig_remote_pull_blob(struct mig_remote *r, struct drydock_blobcopy *bc,
    const char *repo, const struct drydock_descriptor *desc, int dfd,
    const char *name, uint64_t *bytes_out)
{
	struct drydock_blobcopy_sink *s = NULL;
	char what[1024];
	uint64_t size = 0;
	int how, error;

	*bytes_out = 0;
	mig_remote_what(what, sizeof(what), r, repo, NULL, &desc->digest);
	if ((error = drydock_blobcopy_sink_new(&s, bc, dfd, desc->digest.alg)) <
	    0)
		goto out;
	if ((error = get_blob(r, repo, desc, sink_cb, s, bytes_out)) < 0)
		goto out;
	/* every byte hashed on its way in; a wrong one never gets a name */
	if ((error = drydock_blobcopy_sink_finish(
	         s, NULL, &size, &desc->digest)) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: the registry sent bytes that do not hash to the "
		    "digest; refused",
		    what);
		goto out;
	}
	if (desc->size >= 0 && size != (uint64_t)desc->size) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: %llu bytes, the descriptor says %lld; refused", what,
		    (unsigned long long)size, (long long)desc->size);
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	error = drydock_blobcopy_sink_commit(s, &how, dfd, name);
out:
	drydock_blobcopy_sink_free(s);
	return error;
}

/* --- a blob into a temporary file (docker:// -> docker://) ------------- */

struct fetch {
	int fd;
	struct drydock_hasher *h;
	uint64_t n;
};

static int
fetch_cb(const void *buf, size_t len, void *payload)
{
	struct fetch *f = payload;
	const char *p = buf;
	ssize_t w;

	if (drydock_hasher_update(f->h, buf, len) < 0)
		return DRYDOCK_ERROR;
	while (len > 0) {
		if ((w = write(f->fd, p, len)) < 0) {
			drydock_error_set_os("cannot write a temporary file");
			return DRYDOCK_ERROR;
		}
		p += w;
		len -= (size_t)w;
		f->n += (uint64_t)w;
	}
	return 0;
}

int
mig_remote_fetch(struct mig_remote *r, const char *repo,
    const struct drydock_descriptor *desc, int *fd_out, uint64_t *bytes_out)
{
	struct fetch f = {-1, NULL, 0};
	struct drydock_digest got;
	const char *tmp = getenv("TMPDIR");
	char what[1024];
	int error;

	*fd_out = -1;
	mig_remote_what(what, sizeof(what), r, repo, NULL, &desc->digest);
	if ((f.fd = open(tmp != NULL && tmp[0] ? tmp : "/var/tmp",
	         O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		drydock_error_set_os("cannot make a temporary file");
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_hasher_new(&f.h, desc->digest.alg)) < 0 ||
	    (error = get_blob(r, repo, desc, fetch_cb, &f, bytes_out)) < 0 ||
	    (error = drydock_hasher_final(&got, f.h)) < 0)
		goto out;
	if (!drydock_digest_equal(&got, &desc->digest) ||
	    (desc->size >= 0 && f.n != (uint64_t)desc->size)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: the registry sent bytes that do not hash to the "
		    "digest; refused",
		    what);
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	*fd_out = f.fd;
	f.fd = -1;
out:
	drydock_hasher_free(f.h);
	if (f.fd >= 0)
		close(f.fd);
	return error;
}
