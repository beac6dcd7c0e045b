/* SPDX-License-Identifier: MIT */
/*
 * dref.h --- image names as docker reads them (dref.c): the registry host
 * of a name, and a docker://HOST[:PORT]/REPO[:TAG|@DIGEST] reference with
 * Docker Hub's names normalised.  Pure functions of their strings, on
 * libdrydock alone, so the unit tests call the tool's own code.
 */
#ifndef MIGRATE_DREF_H
#define MIGRATE_DREF_H

#include <stddef.h>

#include <drydock/digest.h>

/*
 * 1 when the first component of name[0, len) is a registry host as
 * docker reads it (distribution's splitDockerDomain): it holds '.' or
 * ':', or is "localhost".
 */
int mig_ref_has_host(const char *name, size_t len);

/* docker://HOST[:PORT]/REPO[:TAG|@DIGEST], read as docker reads it */
struct mig_dref {
	char *host; /* "docker.io" for Docker Hub, as credentials name it */
	char *api_host; /* where its API answers: registry-1.docker.io */
	char *repo; /* "library/" added to Docker Hub's one-word names; ""
	               for docker://HOST/ (every repository) */
	char *tag; /* or NULL */
	int has_digest;
	struct drydock_digest digest;
};

/*
 * s: after "docker://".  A name without a host is Docker Hub's
 * (docker.io, as is index.docker.io), whose API answers at
 * registry-1.docker.io, and whose one-word names are library/NAME.
 * @return 0, or DRYDOCK_ERROR and a message ('docker://S': why); *r is
 * empty then
 */
int mig_dref_parse(struct mig_dref *r, const char *s);
void mig_dref_release(struct mig_dref *r);

#endif
