/* SPDX-License-Identifier: MIT */
/*
 * reference.c --- repository name and tag grammars (reference.h).
 */
#include <string.h>

#include <drydock/errors.h>
#include <drydock/reference.h>

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* component = [a-z0-9]+ ( ([._] | __ | -+) [a-z0-9]+ )* */
static int
component_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return 0;
		if (i == n)
			return 1;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i >= n)
			return 0;
	}
	return 0;
}

/* A registry host: [A-Za-z0-9.-] without edge or doubled dots, [:port]. */
static int
host_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n, i;

	if (hn == 0 || s[0] == '-' || s[0] == '.' || s[hn - 1] == '-' ||
	    s[hn - 1] == '.')
		return 0;
	for (i = 0; i < hn; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
		if (c == '.' && i + 1 < hn && s[i + 1] == '.')
			return 0;
	}
	if (colon == NULL)
		return 1;
	if (hn + 1 == n)
		return 0;
	for (i = hn + 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
drydock_reference_is_repo(const char *name)
{
	const char *p = name;
	int first = 1;

	if (name == NULL || *name == '\0' ||
	    strlen(name) > DRYDOCK_REFERENCE_NAME_MAX)
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!component_ok(p, n) && !(first && slash && host_ok(p, n)))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
		first = 0;
	}
}

int
drydock_reference_check_repo(const char *name)
{
	if (drydock_reference_is_repo(name))
		return 0;
	if (name == NULL || *name == '\0')
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "empty repository name");
	else if (strlen(name) > DRYDOCK_REFERENCE_NAME_MAX)
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "repository name '%.64s...' is longer than %d characters",
		    name, DRYDOCK_REFERENCE_NAME_MAX);
	else
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "invalid repository name '%s' (lower-case components of "
		    "[a-z0-9] joined by '.', '_', '__' or '-', separated by "
		    "'/', the first maybe a registry host)",
		    name);
	return DRYDOCK_ECORRUPT;
}

int
drydock_reference_is_tag(const char *tag)
{
	size_t i, len = tag != NULL ? strlen(tag) : 0;
	char c;

	if (len == 0 || len > DRYDOCK_REFERENCE_TAG_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = tag[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (i > 0 && (c == '.' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

int
drydock_reference_check_tag(const char *tag)
{
	if (drydock_reference_is_tag(tag))
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "invalid tag '%s' ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})",
	    tag != NULL ? tag : "");
	return DRYDOCK_ECORRUPT;
}
