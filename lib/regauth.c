/* SPDX-License-Identifier: MIT */
/*
 * regauth.c --- registry credentials from --creds, auth files (docker's
 * config.json, containers' auth.json) and docker-credential-* helpers.
 */
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <drydock/errors.h>
#include <drydock/regauth.h>

#define HUB_KEY "https://index.docker.io/v1/"
#define HELPER_OUT_MAX (1u << 20)

extern char **environ;

void
drydock_regauth_forget(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

static int
oom(void)
{
	errno = ENOMEM;
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

static int
is_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 ||
	    strcmp(host, "index.docker.io") == 0 ||
	    strcmp(host, "registry-1.docker.io") == 0;
}

/*
 * An auths key as a host: the scheme and any path dropped
 * ("https://index.docker.io/v1/" is "index.docker.io"), Docker Hub's
 * names made one.
 */
static void
key_host(char *buf, size_t sz, const char *key)
{
	const char *p = key;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	snprintf(buf, sz, "%.*s", (int)strcspn(p, "/"), p);
	if (is_hub(buf))
		snprintf(buf, sz, "docker.io");
}

/* "USER:PASSWORD" into new strings. */
static int
split_pair(char **user_out, char **secret_out, const char *s, size_t n,
    const char *what)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL || colon == s) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_AUTH, "%s: not USER:PASSWORD", what);
		return DRYDOCK_ERROR;
	}
	*user_out = strndup(s, (size_t)(colon - s));
	*secret_out = strndup(colon + 1, n - (size_t)(colon - s) - 1);
	if (*user_out == NULL || *secret_out == NULL) {
		free(*user_out);
		drydock_regauth_forget(*secret_out);
		*user_out = *secret_out = NULL;
		return oom();
	}
	return 0;
}

static int
decode_auth(
    char **user_out, char **secret_out, const char *b64, const char *path)
{
	size_t n = strlen(b64);
	unsigned char *plain = malloc(n / 4 * 3 + 4);
	int len, error;
	char what[600];

	if (plain == NULL)
		return oom();
	len = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)n);
	/* EVP_DecodeBlock counts the padding's bytes */
	while (len > 0 && n > 0 && b64[n - 1] == '=') {
		len--;
		n--;
	}
	snprintf(what, sizeof(what), "'%.500s': an auth entry", path);
	if (len < 0) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_AUTH, "%s: not base64", what);
		error = DRYDOCK_ERROR;
	} else {
		error = split_pair(
		    user_out, secret_out, (char *)plain, (size_t)len, what);
	}
	OPENSSL_cleanse(plain, n / 4 * 3 + 4);
	free(plain);
	return error;
}

/* Read a child's output to the end (at most HELPER_OUT_MAX bytes). */
static int
read_all(char **out, size_t *len_out, int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *n;
	ssize_t r;

	if (buf == NULL)
		return oom();
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= HELPER_OUT_MAX ||
			    (n = realloc(buf, cap * 2)) == NULL) {
				OPENSSL_cleanse(buf, len);
				free(buf);
				return oom();
			}
			buf = n;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
}

/*
 * `docker-credential-NAME get` with server on its standard input: the
 * JSON it prints has Username and Secret.  "credentials not found" is
 * anonymous access.
 */
static int
run_helper(
    char **user_out, char **secret_out, const char *name, const char *server)
{
	char prog[256], *out = NULL;
	char *argv[3];
	posix_spawn_file_actions_t fa;
	int sv[2] = {-1, -1}, status, error;
	size_t len = 0;
	json_t *j = NULL;
	const char *user;
	pid_t pid;

	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	argv[0] = prog;
	argv[1] = (char *)"get";
	argv[2] = NULL;
	if (strchr(name, '/') != NULL || name[0] == '\0') {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "'%s' is not a credential helper's name", name);
		return DRYDOCK_ERROR;
	}
	/* a socket, not a pipe: a helper that never reads is no SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		drydock_error_set_os("cannot run '%s'", prog);
		return DRYDOCK_ERROR;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 2);
	error = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (error != 0) {
		errno = error;
		drydock_error_set_os("cannot run credential helper '%s'", prog);
		close(sv[0]);
		return DRYDOCK_ERROR;
	}
	(void)send(sv[0], server, strlen(server), MSG_NOSIGNAL);
	shutdown(sv[0], SHUT_WR);
	error = read_all(&out, &len, sv[0]);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (error < 0)
		return error;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(out, "credentials not found") != NULL) {
			error = 0; /* anonymous */
		} else {
			drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
			    "credential helper '%s' failed for '%s' (%s %d)",
			    prog, server, WIFEXITED(status) ? "exit" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status)
			                      : WTERMSIG(status));
			error = DRYDOCK_ERROR;
		}
		goto out;
	}
	j = json_loadb(out, len, 0, NULL);
	if (json_string_value(json_object_get(j, "Secret")) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "credential helper '%s' printed no Secret for '%s'", prog,
		    server);
		error = DRYDOCK_ERROR;
		goto out;
	}
	user = json_string_value(json_object_get(j, "Username"));
	*user_out = strdup(user != NULL && user[0] != '\0' ? user : "<token>");
	*secret_out = strdup(json_string_value(json_object_get(j, "Secret")));
	if (*user_out == NULL || *secret_out == NULL) {
		free(*user_out);
		drydock_regauth_forget(*secret_out);
		*user_out = *secret_out = NULL;
		error = oom();
	}
out:
	if (j != NULL) {
		/* the secret's copy inside the JSON goes too */
		json_t *s = json_object_get(j, "Secret");

		if (json_string_value(s) != NULL)
			OPENSSL_cleanse((char *)json_string_value(s),
			    json_string_length(s));
	}
	json_decref(j);
	OPENSSL_cleanse(out, len);
	free(out);
	return error;
}

/* The server a helper is asked about: Docker Hub's key, or the host. */
static const char *
helper_server(const char *host)
{
	return is_hub(host) ? HUB_KEY : host;
}

/* The entry of object obj whose key names host, or NULL. */
static json_t *
host_entry(json_t *obj, const char *host)
{
	char want[512], got[512];
	const char *key;
	json_t *v;

	key_host(want, sizeof(want), host);
	json_object_foreach(obj, key, v)
	{
		key_host(got, sizeof(got), key);
		if (strcmp(got, want) == 0)
			return v;
	}
	return NULL;
}

/*
 * One auth file.  @return 1 when it decided (credentials, or a helper that
 * has none), 0 when it says nothing of host, or an error.
 */
static int
lookup_file(char **user_out, char **secret_out, const char *path,
    const char *host, int must_exist)
{
	json_error_t je;
	json_t *j, *e, *v;
	int error = 0;

	if (access(path, F_OK) != 0 && !must_exist)
		return 0;
	if ((j = json_load_file(path, 0, &je)) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "cannot read auth file '%s': %s", path, je.text);
		return DRYDOCK_ERROR;
	}
	if (!json_is_object(j)) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "'%s' is not an auth file (a JSON object)", path);
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((e = host_entry(json_object_get(j, "credHelpers"), host)) != NULL &&
	    json_string_value(e) != NULL) {
		error = run_helper(user_out, secret_out, json_string_value(e),
		    helper_server(host));
		error = error < 0 ? error : 1;
		goto out;
	}
	if ((e = host_entry(json_object_get(j, "auths"), host)) != NULL) {
		if ((v = json_object_get(e, "identitytoken")) != NULL &&
		    json_string_length(v) > 0) {
			*user_out = strdup("<token>");
			*secret_out = strdup(json_string_value(v));
			error = *user_out && *secret_out ? 1 : oom();
			goto out;
		}
		if ((v = json_object_get(e, "auth")) != NULL &&
		    json_string_length(v) > 0) {
			error = decode_auth(
			    user_out, secret_out, json_string_value(v), path);
			error = error < 0 ? error : 1;
			goto out;
		}
	}
	if ((v = json_object_get(j, "credsStore")) != NULL &&
	    json_string_length(v) > 0) {
		error = run_helper(user_out, secret_out, json_string_value(v),
		    helper_server(host));
		error = error < 0 ? error : 1;
	}
out:
	json_decref(j);
	return error;
}

int
drydock_regauth_lookup(char **user_out, char **secret_out,
    const struct drydock_regauth_opts *o, const char *host)
{
	char path[4096];
	const char *env, *home;
	int error;

	*user_out = *secret_out = NULL;
	if (o != NULL && o->creds != NULL)
		return split_pair(user_out, secret_out, o->creds,
		    strlen(o->creds), "--creds");
	if (o != NULL && o->authfile != NULL)
		return lookup_file(user_out, secret_out, o->authfile, host, 1) <
		        0
		    ? DRYDOCK_ERROR
		    : 0;
	if ((env = getenv("REGISTRY_AUTH_FILE")) != NULL && env[0] != '\0')
		return lookup_file(user_out, secret_out, env, host, 0) < 0
		    ? DRYDOCK_ERROR
		    : 0;
	if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && env[0] != '\0') {
		snprintf(path, sizeof(path), "%s/containers/auth.json", env);
		if ((error = lookup_file(
		         user_out, secret_out, path, host, 0)) != 0)
			return error < 0 ? error : 0;
	}
	if ((env = getenv("DOCKER_CONFIG")) != NULL && env[0] != '\0')
		snprintf(path, sizeof(path), "%s/config.json", env);
	else if ((home = getenv("HOME")) != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/.docker/config.json", home);
	else
		return 0;
	error = lookup_file(user_out, secret_out, path, host, 0);
	return error < 0 ? error : 0;
}
