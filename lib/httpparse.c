/* SPDX-License-Identifier: MIT */
/*
 * httpparse.c --- the pure parsers of http.c's client (declared in
 * http_int.h, or http.h for the Link header): Retry-After values, the
 * origin of a URL (scheme, host, port), loopback hosts, the next page of
 * a Link header, and URLs shortened for messages (no query: signed URLs
 * carry their signature there).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include <drydock/http.h>

#include "http_int.h"

/*
 * A URL without its query and fragment, for messages: signed URLs carry
 * their signature there.
 */
void
drydock_http__url_for_message(char *buf, size_t sz, const char *url)
{
	size_t n = strcspn(url, "?#");

	snprintf(buf, sz, "%.*s%s", (int)(n > 300 ? 300 : n), url,
	    url[n] != '\0' || n > 300 ? "..." : "");
}

int64_t
drydock_http__retry_after_ms(const char *value, time_t now)
{
	char *end;
	long long s;
	time_t t;

	while (*value == ' ')
		value++;
	if (*value >= '0' && *value <= '9') {
		s = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (*end != '\0' || s < 0 || s > 86400)
			return -1;
		return s * 1000;
	}
	if ((t = curl_getdate(value, NULL)) == (time_t)-1)
		return -1;
	return t <= now ? 0 : (int64_t)(t - now) * 1000;
}

/* scheme, host and port of an absolute URL into buf: "https|h|443" */
static int
origin_of(char *buf, size_t sz, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int ok = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	        CURLUE_OK) {
		for (char *p = host; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(buf, sz, "%s|%s|%s", scheme, host, port);
		ok = 1;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

int
drydock_http__same_origin(const char *a, const char *b)
{
	char x[512], y[512];

	return origin_of(x, sizeof(x), a) && origin_of(y, sizeof(y), b) &&
	    strcmp(x, y) == 0;
}

int
drydock_http__is_loopback(const char *host)
{
	size_t n;

	if (host[0] == '[')
		return strncmp(host, "[::1]", 5) == 0 &&
		    (host[5] == '\0' || host[5] == ':');
	n = strcspn(host, ":");
	return (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	    (n == 9 && strncasecmp(host, "localhost", 9) == 0);
}

int
drydock_http_link_next(char **out, const char *link)
{
	const char *p = link, *lt, *gt;

	*out = NULL;
	while (p != NULL && (lt = strchr(p, '<')) != NULL) {
		if ((gt = strchr(lt, '>')) == NULL)
			return 0;
		p = strchr(gt, ',');
		/* the parameters of this link, up to the next one */
		const char *end = p != NULL ? p : gt + strlen(gt);
		const char *rel = gt + 1;

		while ((rel = strstr(rel, "rel=")) != NULL && rel < end) {
			rel += 4;
			if (*rel == '"')
				rel++;
			if (strncmp(rel, "next", 4) == 0 &&
			    (rel[4] == '"' || rel[4] == ';' || rel[4] == ',' ||
			        rel[4] == ' ' || rel[4] == '\0')) {
				*out = strndup(lt + 1, (size_t)(gt - lt - 1));
				return *out == NULL ? drydock_http__oom() : 0;
			}
		}
	}
	return 0;
}
