/* SPDX-License-Identifier: MIT */
/*
 * httpauth.c --- the authentication of http.c, as the docker and podman
 * clients do it: a 401's WWW-Authenticate challenge read, Basic
 * credentials, or a Bearer token fetched from the challenge's realm for
 * its service and the request's scope (GET with Basic credentials, or the
 * OAuth2 refresh-token POST for an identity token), kept per scope.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <drydock/errors.h>
#include <drydock/http.h>

#include "http_int.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* --- challenges (http_int.h) ---------------------------------------------- */

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

/*
 * One auth-param of a challenge at *pp: key=value or key="quoted"; the
 * key and value go to the buffers.  @return 1 read, 0 none left
 * (another scheme starts, or the end).
 */
static int
next_param(const char **pp, char *key, size_t ksz, char *val, size_t vsz)
{
	const char *p = skip_space(*pp);
	size_t k = 0, v = 0;

	while (*p != '\0' && *p != '=' && *p != ' ' && *p != ',') {
		if (k + 1 < ksz)
			key[k++] = *p;
		p++;
	}
	key[k] = '\0';
	if (*p != '=' || k == 0)
		return 0;
	p++;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (v + 1 < vsz)
				val[v++] = *p;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p != '\0' && *p != ',' && *p != ' ') {
			if (v + 1 < vsz)
				val[v++] = *p;
			p++;
		}
	}
	val[v] = '\0';
	*pp = p;
	return 1;
}

int
drydock_http__challenge_parse(
    struct drydock_http__challenge *c, const char *value)
{
	char key[64], val[2048];
	const char *p = value;
	size_t n;

	memset(c, 0, sizeof(*c));
	while (*(p = skip_space(p)) != '\0') {
		n = strcspn(p, " \t,");
		if ((n == 5 && strncasecmp(p, "Basic", 5) == 0) ||
		    (n == 6 && strncasecmp(p, "Bearer", 6) == 0))
			break;
		/* another scheme: skip it and its parameters */
		p += n;
		while (next_param(&p, key, sizeof(key), val, sizeof(val)))
			;
	}
	if (*p == '\0')
		return DRYDOCK_ENOTFOUND;
	c->scheme = (p[1] == 'a' || p[1] == 'A') ? DRYDOCK_HTTP__BASIC
	                                         : DRYDOCK_HTTP__BEARER;
	p += strcspn(p, " \t,");
	while (next_param(&p, key, sizeof(key), val, sizeof(val))) {
		char **slot = NULL;

		if (strcasecmp(key, "realm") == 0)
			slot = &c->realm;
		else if (strcasecmp(key, "service") == 0)
			slot = &c->service;
		else if (strcasecmp(key, "scope") == 0)
			slot = &c->scope;
		else if (strcasecmp(key, "error") == 0)
			slot = &c->error;
		if (slot == NULL)
			continue;
		free(*slot);
		if ((*slot = strdup(val)) == NULL) {
			drydock_http__challenge_release(c);
			return drydock_http__oom();
		}
	}
	return 0;
}

void
drydock_http__challenge_release(struct drydock_http__challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* --- credentials and tokens -------------------------------------------- */

static char *
basic_value(const char *user, const char *secret)
{
	size_t n = strlen(user) + 1 + strlen(secret);
	unsigned char *plain = malloc(n + 1);
	char *out = malloc(6 + 4 * ((n + 2) / 3) + 1);

	if (plain == NULL || out == NULL) {
		free(plain);
		free(out);
		return NULL;
	}
	snprintf((char *)plain, n + 1, "%s:%s", user, secret);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, plain, (int)n);
	OPENSSL_cleanse(plain, n);
	free(plain);
	return out;
}

/* The cached token of scope (a new "Bearer ..." value), or NULL. */
static char *
token_lookup(struct drydock_http *h, const char *scope)
{
	char *v = NULL;
	size_t i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->ntokens; i++) {
		if (strcmp(h->tokens[i].scope, scope) != 0 ||
		    h->tokens[i].expires <= drydock_http__now_ms())
			continue;
		if ((v = malloc(strlen(h->tokens[i].value) + 8)) != NULL)
			sprintf(v, "Bearer %s", h->tokens[i].value);
		break;
	}
	pthread_mutex_unlock(&h->lock);
	return v;
}

static int
token_store(struct drydock_http *h, const char *scope, const char *value,
    int64_t expires_in)
{
	struct token *t = NULL, *n;
	size_t i;
	int error = 0;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->ntokens; i++)
		if (strcmp(h->tokens[i].scope, scope) == 0)
			t = &h->tokens[i];
	if (t == NULL) {
		if ((n = realloc(h->tokens, (h->ntokens + 1) * sizeof(*n))) ==
		    NULL) {
			error = drydock_http__oom();
			goto out;
		}
		h->tokens = n;
		t = &h->tokens[h->ntokens];
		memset(t, 0, sizeof(*t));
		if ((t->scope = strdup(scope)) == NULL) {
			error = drydock_http__oom();
			goto out;
		}
		h->ntokens++;
	}
	drydock_http__forget(t->value);
	if ((t->value = strdup(value)) == NULL)
		error = drydock_http__oom();
	/* a little early: a token must not expire on its way */
	t->expires = drydock_http__now_ms() +
	    (expires_in > 30 ? expires_in - 10 : 20) * 1000;
out:
	pthread_mutex_unlock(&h->lock);
	return error;
}

/* Append "&name=<escaped value>" to a growing URL. */
static int
url_add(char **url, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0), *n;
	size_t len = strlen(*url);

	if (esc == NULL)
		return drydock_http__oom();
	n = realloc(*url, len + strlen(name) + strlen(esc) + 3);
	if (n == NULL) {
		curl_free(esc);
		return drydock_http__oom();
	}
	sprintf(n + len, "%c%s=%s", strchr(n, '?') ? '&' : '?', name, esc);
	curl_free(esc);
	*url = n;
	return 0;
}

/* The token's value out of a token server's JSON answer. */
static int
token_parse(char **value_out, int64_t *expires_out, const char *body,
    size_t len, const char *realm)
{
	json_t *j = json_loadb(body, len, 0, NULL), *v;

	*value_out = NULL;
	v = json_object_get(j, "token");
	if (json_string_value(v) == NULL || json_string_length(v) == 0)
		v = json_object_get(j, "access_token");
	if (json_string_value(v) == NULL || json_string_length(v) == 0) {
		json_decref(j);
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "token server '%s' answered without a token", realm);
		return DRYDOCK_ERROR;
	}
	*value_out = strdup(json_string_value(v));
	*expires_out = json_integer_value(json_object_get(j, "expires_in"));
	if (*expires_out <= 0)
		*expires_out = 60;
	json_decref(j);
	return *value_out == NULL ? drydock_http__oom() : 0;
}

/* A token server's refusal: DRYDOCK_EAUTH, and what it said. */
static int
token_refused(const struct drydock_http_response *tresp,
    const struct drydock_http *h, const char *realm, int refresh)
{
	json_t *j = NULL;
	const char *why = NULL;

	if (tresp->body != NULL && tresp->body_len > 0 &&
	    (j = json_loadb(tresp->body, tresp->body_len, 0, NULL)) != NULL)
		why = json_string_value(json_object_get(j, "error"));
	drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
	    "token server '%s' refused %s (HTTP %ld%s%s)", realm,
	    refresh                   ? "the identity token"
	        : h->username != NULL ? "the credentials"
	                              : "an anonymous token",
	    tresp->status, why != NULL ? ": " : "", why != NULL ? why : "");
	json_decref(j);
	return DRYDOCK_EAUTH;
}

/*
 * A token for scope from the challenge's realm: GET with Basic
 * credentials (or none), or, for an identity token, the OAuth2 refresh
 * POST docker uses.
 */
static int
token_fetch(struct drydock_http *h, const char *scope)
{
	struct drydock_http_request tr;
	struct drydock_http_response tresp;
	char realm[400], *url = NULL, *auth = NULL, *form = NULL, *value = NULL;
	const char *p;
	int64_t expires = 60;
	int error = 0, refresh;

	memset(&tr, 0, sizeof(tr));
	memset(&tresp, 0, sizeof(tresp));
	pthread_mutex_lock(&h->lock);
	url = dup_or_null(h->realm);
	if (url != NULL && h->service != NULL)
		error = url_add(&url, "service", h->service);
	pthread_mutex_unlock(&h->lock);
	if (url == NULL)
		return drydock_http__oom();
	if (error < 0)
		goto out;
	drydock_http__url_for_message(realm, sizeof(realm), url);
	if (strncmp(url, "https://", 8) != 0 &&
	    !(strncmp(url, "http://", 7) == 0 &&
	        drydock_http__is_loopback(url + 7))) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "token realm '%s' is not https: refused", realm);
		error = DRYDOCK_EAUTH;
		goto out;
	}
	refresh = h->username != NULL && strcmp(h->username, "<token>") == 0;
	for (p = scope; *p != '\0' && !refresh;) {
		char one[1024];
		size_t n = strcspn(p, " ");

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		if (n > 0 && (error = url_add(&url, "scope", one)) < 0)
			goto out;
		p += n + (p[n] == ' ');
	}
	tr.path = url;
	if (refresh) {
		/* grant_type=refresh_token: the secret goes in the body */
		form = strdup("");
		if (form == NULL ||
		    (error = url_add(&form, "grant_type", "refresh_token")) <
		        0 ||
		    (error = url_add(
		         &form, "service", h->service ? h->service : "")) < 0 ||
		    (error = url_add(&form, "client_id", "drydock")) < 0 ||
		    (error = url_add(&form, "scope", scope)) < 0 ||
		    (error = url_add(&form, "refresh_token", h->secret)) < 0) {
			error = form == NULL ? drydock_http__oom() : error;
			goto out;
		}
		tr.method = "POST";
		tr.body = form + 1; /* past the '?' */
		tr.body_len = strlen(form + 1);
		tr.content_type = "application/x-www-form-urlencoded";
	} else {
		tr.method = "GET";
		if (h->username != NULL &&
		    (auth = basic_value(
		         h->username, h->secret ? h->secret : "")) == NULL) {
			error = drydock_http__oom();
			goto out;
		}
	}
	tr.max_body = 1u << 20;
	if ((error = drydock_http__request_loop(&tresp, h, &tr, auth)) < 0)
		goto out;
	/* a refresh grant refused is 400 invalid_grant (RFC 6749 5.2) */
	if (tresp.status == 401 || tresp.status == 403 ||
	    (refresh && tresp.status == 400)) {
		error = token_refused(&tresp, h, realm, refresh);
		goto out;
	}
	if (tresp.status != 200) {
		error = drydock_http_status_error(&tresp, realm);
		goto out;
	}
	if ((error = token_parse(
	         &value, &expires, tresp.body, tresp.body_len, realm)) < 0)
		goto out;
	error = token_store(h, scope, value, expires);
out:
	drydock_http_response_release(&tresp);
	drydock_http__forget(auth);
	drydock_http__forget(form);
	drydock_http__forget(value);
	free(url);
	return error;
}

/* The Authorization value for a registry request of scope, or NULL. */
char *
drydock_http__auth_value(struct drydock_http *h, const char *scope)
{
	int scheme;

	pthread_mutex_lock(&h->lock);
	scheme = h->scheme;
	pthread_mutex_unlock(&h->lock);
	if (scheme == DRYDOCK_HTTP__BASIC && h->username != NULL)
		return basic_value(h->username, h->secret ? h->secret : "");
	if (scheme == DRYDOCK_HTTP__BEARER)
		return token_lookup(h, scope);
	return NULL;
}

/*
 * A 401: what the registry wants.  @return 0 when a retry with new
 * credentials may pass, or DRYDOCK_EAUTH and a message.
 */
int
drydock_http__answer_challenge(struct drydock_http *h, const char *www_auth,
    const char *scope, int sent_auth)
{
	struct drydock_http__challenge c;
	int error;

	if (www_auth == NULL ||
	    (error = drydock_http__challenge_parse(&c, www_auth)) ==
	        DRYDOCK_ENOTFOUND) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "%s: HTTP 401 without a Basic or Bearer challenge",
		    h->host);
		return DRYDOCK_EAUTH;
	}
	if (error < 0)
		return error;
	if (c.scheme == DRYDOCK_HTTP__BASIC) {
		pthread_mutex_lock(&h->lock);
		h->scheme = DRYDOCK_HTTP__BASIC;
		pthread_mutex_unlock(&h->lock);
		drydock_http__challenge_release(&c);
		if (h->username == NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
			    "%s: authentication required, and no credentials "
			    "for it (--creds, --authfile, docker login)",
			    h->host);
			return DRYDOCK_EAUTH;
		}
		if (sent_auth) {
			drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
			    "%s: wrong user name or password", h->host);
			return DRYDOCK_EAUTH;
		}
		return 0;
	}
	if (c.realm == NULL) {
		drydock_http__challenge_release(&c);
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "%s: Bearer challenge without a realm", h->host);
		return DRYDOCK_EAUTH;
	}
	if (sent_auth) {
		drydock_error_set(DRYDOCK_ERRCLASS_AUTH,
		    "%s: access denied%s%s (scope '%s')", h->host,
		    c.error ? ": " : "", c.error ? c.error : "",
		    scope[0] ? scope : (c.scope ? c.scope : ""));
		drydock_http__challenge_release(&c);
		return DRYDOCK_EAUTH;
	}
	pthread_mutex_lock(&h->lock);
	h->scheme = DRYDOCK_HTTP__BEARER;
	free(h->realm);
	free(h->service);
	h->realm = c.realm;
	h->service = c.service;
	c.realm = c.service = NULL;
	pthread_mutex_unlock(&h->lock);
	error = token_fetch(h, scope[0] ? scope : (c.scope ? c.scope : ""));
	drydock_http__challenge_release(&c);
	return error;
}
