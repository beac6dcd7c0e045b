/* SPDX-License-Identifier: MIT */
/*
 * httpcerts.c --- the TLS files of http.c's client, as
 * containers-certs.d(5) says: the *.crt files of the host's directory
 * under /etc/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/ (or
 * of --cert-dir) appended to the system's CA bundle (or to opts.ca_file,
 * which takes its place), and the first *.cert with its *.key as the
 * client certificate.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <drydock/errors.h>
#include <drydock/http.h>

#include "http_int.h"

#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define CERTS_D "/etc/containers/certs.d:/etc/docker/certs.d"

/* Append a whole file to h->ca; what: "" or "NAME " for messages. */
static int
ca_append(struct drydock_http *h, const char *path, const char *what)
{
	char buf[65536], *n;
	ssize_t r;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		drydock_error_set_os("cannot open %s'%s'", what, path);
		return DRYDOCK_ERROR;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if ((n = realloc(h->ca, h->ca_len + (size_t)r + 2)) == NULL) {
			error = drydock_http__oom();
			break;
		}
		h->ca = n;
		memcpy(h->ca + h->ca_len, buf, (size_t)r);
		h->ca_len += (size_t)r;
	}
	if (r < 0 && error == 0) {
		drydock_error_set_os("cannot read %s'%s'", what, path);
		error = DRYDOCK_ERROR;
	}
	close(fd);
	if (error == 0 && h->ca != NULL)
		h->ca[h->ca_len++] = '\n';
	return error;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

/*
 * One certs.d directory: every *.crt joins the CAs; the first *.cert
 * with its *.key is the client certificate.
 */
static int
certs_dir(struct drydock_http *h, const char *dir)
{
	char path[4096], key[4096];
	struct dirent *de;
	DIR *d;
	int error = 0;

	if ((d = opendir(dir)) == NULL)
		return 0; /* no directory for this host: nothing to add */
	while (error == 0 && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (has_suffix(de->d_name, ".crt")) {
			if (h->ca == NULL && access(CA_BUNDLE, R_OK) == 0)
				error = ca_append(h, CA_BUNDLE, "");
			if (error == 0)
				error = ca_append(h, path, "");
		} else if (has_suffix(de->d_name, ".cert") &&
		    h->client_cert == NULL) {
			snprintf(key, sizeof(key), "%.*s.key",
			    (int)(strlen(path) - 5), path);
			if (access(key, R_OK) != 0) {
				drydock_error_set(DRYDOCK_ERRCLASS_HTTP,
				    "client certificate '%s' without its key "
				    "'%s'",
				    path, key);
				error = DRYDOCK_ERROR;
			} else if ((h->client_cert = strdup(path)) == NULL ||
			    (h->client_key = strdup(key)) == NULL) {
				error = drydock_http__oom();
			}
		}
	}
	closedir(d);
	return error;
}

/* 1 when buf holds a PEM certificate, 0 when not, or an error. */
static int
has_certificate(const char *buf, size_t len)
{
	X509 *x;
	BIO *b;
	int found;

	if (len > INT_MAX)
		len = INT_MAX; /* a certificate would be in the first 2 GiB */
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return drydock_http__oom();
	/* other PEM blocks (a key) and text between them are skipped */
	x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	found = x != NULL;
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return found;
}

/* opts.ca_file: the CAs in place of the system's bundle. */
static int
ca_file(struct drydock_http *h, const struct drydock_http_opts *o)
{
	const char *name = o->ca_file_name ? o->ca_file_name : "CA file";
	char what[128];
	int error;

	if ((h->ca_file = strdup(o->ca_file)) == NULL ||
	    (h->ca_file_name = strdup(name)) == NULL)
		return drydock_http__oom();
	snprintf(what, sizeof(what), "%s ", name);
	if ((error = ca_append(h, o->ca_file, what)) < 0)
		return error;
	if ((error = has_certificate(h->ca != NULL ? h->ca : "",
	         h->ca != NULL ? h->ca_len : 0)) < 0)
		return error;
	if (error == 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "%s '%s' holds no PEM certificate (-----BEGIN "
		    "CERTIFICATE-----)",
		    name, o->ca_file);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_http__load_certs(
    struct drydock_http *h, const struct drydock_http_opts *o)
{
	const char *roots = o->certs_d != NULL ? o->certs_d : CERTS_D;
	char dir[4096];
	const char *p;
	size_t n;
	int error;

	if (o->ca_file != NULL && (error = ca_file(h, o)) < 0)
		return error;
	if (o->cert_dir != NULL)
		return certs_dir(h, o->cert_dir);
	for (p = roots; *p != '\0'; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n == 0)
			continue;
		snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, p, h->host);
		if ((error = certs_dir(h, dir)) < 0)
			return error;
	}
	return 0;
}
