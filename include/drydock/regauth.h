/* SPDX-License-Identifier: MIT */
/*
 * regauth.h --- the credentials for a registry host, found where the
 * docker and podman CLIs find them.
 *
 * In order: --creds USER:PASSWORD; the --authfile, else the file
 * $REGISTRY_AUTH_FILE names; else $XDG_RUNTIME_DIR/containers/auth.json,
 * then $DOCKER_CONFIG/config.json or ~/.docker/config.json.  In a file,
 * the host's credHelpers entry, else its auths entry ("auth": base64 of
 * USER:PASSWORD, or "identitytoken"), else the credsStore.  A helper NAME
 * runs as `docker-credential-NAME get` with the server on its standard
 * input, as docker runs it (ECR's ecr-login, gcloud, ACR's helpers).
 * Docker Hub's names (docker.io, index.docker.io, registry-1.docker.io)
 * all find the "https://index.docker.io/v1/" entry.
 */
#ifndef DRYDOCK_REGAUTH_H
#define DRYDOCK_REGAUTH_H

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_regauth_opts {
	const char *creds; /* "USER:PASSWORD" (--creds), or NULL */
	const char *authfile; /* --authfile, or NULL */
};

/*
 * The credentials for host ("HOST[:PORT]").  Nothing found is not an
 * error: anonymous access, both out-parameters NULL.  An identity token
 * comes back with the user name "<token>".
 *
 * @param user_out a new string, or NULL
 * @param secret_out a new string (release it with drydock_regauth_forget)
 * @return 0, or DRYDOCK_ERROR (a file named but unreadable, JSON that is
 * not an auth file, a helper that failed otherwise than "not found"); the
 * message never holds a secret
 */
DRYDOCK_EXTERN int drydock_regauth_lookup(char **user_out, char **secret_out,
    const struct drydock_regauth_opts *o, const char *host);

/* Overwrite and free a secret; NULL does nothing. */
DRYDOCK_EXTERN void drydock_regauth_forget(char *secret);

#ifdef __cplusplus
}
#endif

#endif
