/* SPDX-License-Identifier: MIT */
/*
 * dref.c --- image names as docker reads them: the host of a name, and a
 * docker:// reference with Docker Hub's names normalised (docker.io,
 * index.docker.io -> registry-1.docker.io, library/NAME).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/drydock.h>

#include "migrate/dref.h"

int
mig_ref_has_host(const char *name, size_t len)
{
	const char *slash = memchr(name, '/', len);
	size_t n;

	if (slash == NULL)
		return 0;
	n = (size_t)(slash - name);
	return memchr(name, '.', n) != NULL || memchr(name, ':', n) != NULL ||
	    (n == 9 && strncmp(name, "localhost", 9) == 0);
}

void
mig_dref_release(struct mig_dref *r)
{
	free(r->host);
	free(r->api_host);
	free(r->repo);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

static int
dref_bad(struct mig_dref *r, const char *s, const char *why)
{
	mig_dref_release(r);
	drydock_error_set(
	    DRYDOCK_ERRCLASS_INVALID, "'docker://%s': %s", s, why);
	return DRYDOCK_ERROR;
}

static int
oom(struct mig_dref *r)
{
	mig_dref_release(r);
	errno = ENOMEM;
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

int
mig_dref_parse(struct mig_dref *r, const char *s)
{
	const char *at = strchr(s, '@'), *slash, *colon, *name;
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s);
	const char *hub = NULL;

	memset(r, 0, sizeof(*r));
	if (n == 0)
		return dref_bad(r, s, "names no repository");
	if (at != NULL) {
		if (drydock_digest_parse(&r->digest, at + 1, strlen(at + 1)) <
		    0)
			return dref_bad(r, s, "not a digest after '@'");
		r->has_digest = 1;
	}
	/* HOST/ when the first component looks like one, as docker reads */
	name = s;
	if (mig_ref_has_host(s, n)) {
		slash = strchr(s, '/');
		if ((r->host = strndup(s, (size_t)(slash - s))) == NULL)
			return oom(r);
		name = slash + 1;
		n -= (size_t)(name - s);
	}
	/* Docker Hub, by any of the names docker gives it */
	if (r->host == NULL || strcmp(r->host, "docker.io") == 0 ||
	    strcmp(r->host, "index.docker.io") == 0)
		hub = "registry-1.docker.io";
	slash = memrchr(name, '/', n);
	colon = memrchr(name, ':', n);
	if (colon != NULL && (slash == NULL || colon > slash)) {
		if (r->has_digest)
			return dref_bad(r, s, "both a tag and a digest");
		if ((r->tag = strndup(
		         colon + 1, n - (size_t)(colon + 1 - name))) == NULL)
			return oom(r);
		n = (size_t)(colon - name);
	}
	if (hub != NULL) {
		free(r->host);
		r->host = strdup("docker.io");
	}
	/* Docker Hub's official images are library/NAME */
	if (hub != NULL && n > 0 && memchr(name, '/', n) == NULL) {
		if ((r->repo = malloc(n + 9)) != NULL)
			snprintf(r->repo, n + 9, "library/%.*s", (int)n, name);
	} else {
		r->repo = strndup(name, n);
	}
	if (r->host == NULL || r->repo == NULL ||
	    (r->api_host = strdup(hub != NULL ? hub : r->host)) == NULL)
		return oom(r);
	if (r->repo[0] == '\0') {
		/* docker://HOST/: every repository, names kept */
		if (r->tag != NULL || r->has_digest)
			return dref_bad(
			    r, s, "a tag or digest needs a repository");
		return 0;
	}
	if (!drydock_reference_is_repo(r->repo))
		return dref_bad(r, s, "not a repository name");
	if (r->tag != NULL && !drydock_reference_is_tag(r->tag))
		return dref_bad(r, s, "not a tag");
	return 0;
}
