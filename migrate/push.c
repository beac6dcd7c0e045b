/* SPDX-License-Identifier: MIT */
/*
 * push.c --- a docker:// destination: which blobs the registry has (HEAD),
 * blobs uploaded (a cross-repository mount, else POST then one PUT, or
 * PATCH chunks with Content-Range then PUT) and manifests PUT byte for
 * byte, the registry's digest checked.  The client is remote.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"

static void
scope_push(char *buf, size_t sz, const char *repo, const char *from)
{
	if (from != NULL && strcmp(from, repo) != 0)
		snprintf(buf, sz, "repository:%s:pull,push repository:%s:pull",
		    repo, from);
	else
		snprintf(buf, sz, "repository:%s:pull,push", repo);
}

int
mig_remote_blob_exists(struct mig_remote *r, const char *repo,
    const struct drydock_digest *d, int64_t size)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	char path[1024], scope[600], what[1024], ds[DRYDOCK_DIGEST_STRMAX];
	int error;

	mig_remote_what(what, sizeof(what), r, repo, NULL, d);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", repo,
	    drydock_digest_format(ds, d));
	scope_push(scope, sizeof(scope), repo, NULL);
	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.path = path;
	req.scope = scope;
	if ((error = drydock_http_request(&resp, mig_remote_http(r), &req)) < 0)
		goto out;
	if (resp.status == 200)
		error = size < 0 || resp.content_length < 0 ||
		    resp.content_length == size;
	else if (resp.status == 404)
		error = 0;
	else
		error = drydock_http_status_error(&resp, what);
out:
	drydock_http_response_release(&resp);
	return error;
}

/* url + "?digest=" or "&digest=" (new) */
static char *
with_digest(const char *url, const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX], *u;
	size_t n = strlen(url) + DRYDOCK_DIGEST_STRMAX + 16;

	if ((u = malloc(n)) != NULL)
		snprintf(u, n, "%s%cdigest=%s", url,
		    strchr(url, '?') != NULL ? '&' : '?',
		    drydock_digest_format(ds, d));
	return u;
}

/*
 * One upload request: the session's Location comes back in *url (new),
 * which it replaces.  want: the status that means success.
 */
static int
upload_step(struct mig_remote *r, struct drydock_http_request *req, char **url,
    long want, const char *what)
{
	struct drydock_http_response resp;
	int error;

	if ((error = drydock_http_request(&resp, mig_remote_http(r), req)) < 0)
		goto out;
	if (resp.status != want) {
		error = drydock_http_status_error(&resp, what);
		goto out;
	}
	if (resp.location != NULL) {
		free(*url);
		*url = resp.location;
		resp.location = NULL;
	}
out:
	drydock_http_response_release(&resp);
	return error;
}

int
mig_remote_push_blob(struct mig_remote *r, int *how_out, const char *repo,
    const struct drydock_digest *d, int64_t size, const char *from,
    uint64_t chunk, mig_open_cb open_cb, void *ctx)
{
	struct drydock_http_request req;
	char path[1024], scope[1200], what[1024], ds[DRYDOCK_DIGEST_STRMAX];
	char range[64], *url = NULL, *put = NULL;
	int64_t off;
	int error, fd = -1;

	*how_out = MIG_PUSH_UPLOADED;
	mig_remote_what(what, sizeof(what), r, repo, NULL, d);
	scope_push(scope, sizeof(scope), repo, from);
	memset(&req, 0, sizeof(req));
	req.path = path;
	req.scope = scope;
	req.method = "POST";
	if (from != NULL && strcmp(from, repo) != 0) {
		struct drydock_http_response resp;

		/* cross-repository mount: 201 when it worked */
		snprintf(path, sizeof(path),
		    "/v2/%s/blobs/uploads/?mount=%s&from=%s", repo,
		    drydock_digest_format(ds, d), from);
		if ((error = drydock_http_request(
		         &resp, mig_remote_http(r), &req)) < 0)
			return error;
		if (resp.status == 201) {
			drydock_http_response_release(&resp);
			*how_out = MIG_PUSH_MOUNTED;
			return 0;
		}
		if (resp.status != 202 || resp.location == NULL) {
			error = drydock_http_status_error(&resp, what);
			drydock_http_response_release(&resp);
			return error;
		}
		url = resp.location; /* an upload session instead */
		resp.location = NULL;
		drydock_http_response_release(&resp);
	} else {
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", repo);
		if ((error = upload_step(r, &req, &url, 202, what)) < 0)
			goto out;
	}
	if (url == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
		    "%s: the upload came without a Location", what);
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((error = open_cb(&fd, ctx)) < 0)
		goto out;
	req.content_type = "application/octet-stream";
	req.body_fd = fd;
	/* chunks: PATCH each with its Content-Range, PUT the digest */
	for (off = 0; chunk > 0 && off < size; off += (int64_t)chunk) {
		req.method = "PATCH";
		req.path = url;
		req.body_off = off;
		req.body_size =
		    size - off < (int64_t)chunk ? size - off : (int64_t)chunk;
		req.flags = DRYDOCK_HTTP_NO_RETRY;
		snprintf(range, sizeof(range), "%lld-%lld", (long long)off,
		    (long long)(off + req.body_size - 1));
		req.content_range = range;
		if ((error = upload_step(r, &req, &url, 202, what)) < 0)
			goto out;
	}
	req.flags = 0;
	req.content_range = NULL;
	req.method = "PUT";
	req.body_off = 0;
	req.body_size = chunk > 0 ? 0 : size; /* monolithic: all of it */
	if ((put = with_digest(url, d)) == NULL) {
		error = mig_oom();
		goto out;
	}
	req.path = put;
	error = upload_step(r, &req, &url, 201, what);
out:
	if (fd >= 0)
		close(fd);
	free(url);
	free(put);
	return error;
}

int
mig_remote_push_manifest(struct mig_remote *r, const char *repo,
    const char *tag, const char *media_type, const char *buf, size_t len,
    const struct drydock_digest *d)
{
	struct drydock_http_request req;
	struct drydock_http_response resp;
	struct drydock_digest got;
	char path[1024], scope[600], what[1024], ds[DRYDOCK_DIGEST_STRMAX];
	int error;

	mig_remote_what(what, sizeof(what), r, repo, tag, d);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", repo,
	    tag != NULL ? tag : drydock_digest_format(ds, d));
	scope_push(scope, sizeof(scope), repo, NULL);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.path = path;
	req.scope = scope;
	req.content_type = media_type;
	req.body = buf;
	req.body_len = len;
	if ((error = drydock_http_request(&resp, mig_remote_http(r), &req)) < 0)
		goto out;
	if (resp.status != 201) {
		error = drydock_http_status_error(&resp, what);
		goto out;
	}
	/* the bytes are ours: the registry must name them as we do */
	if (resp.digest != NULL &&
	    (drydock_digest_parse(&got, resp.digest, strlen(resp.digest)) < 0 ||
	        !drydock_digest_equal(&got, d))) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: the registry stored the manifest as '%s'", what,
		    resp.digest);
		error = DRYDOCK_ECORRUPT;
	}
out:
	drydock_http_response_release(&resp);
	return error;
}
