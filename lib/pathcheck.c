/* SPDX-License-Identifier: MIT */
/*
 * pathcheck.c --- resolve an operator's path and tell whether it lies in
 * the registry's own tree (pathcheck.h).
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/pathcheck.h>

char *
drydock_path_absolute(const char *path)
{
	char *dup = NULL, *base = NULL, *dir, *abs = NULL, *out = NULL;

	if ((abs = realpath(path, NULL)) != NULL)
		return abs;
	if ((dup = strdup(path)) == NULL || (base = strdup(path)) == NULL)
		goto out;
	dir = dirname(dup);
	if ((abs = realpath(dir, NULL)) == NULL)
		goto out;
	if (asprintf(&out, "%s/%s", strcmp(abs, "/") == 0 ? "" : abs,
	        basename(base)) < 0)
		out = NULL;
out:
	free(abs);
	free(base);
	free(dup);
	return out;
}

int
drydock_path_in_registry(const char *root, const char *path)
{
	char *abs = NULL, *rabs = NULL, v2[PATH_MAX + 32];
	size_t n;
	int in = 0;

	if ((abs = drydock_path_absolute(path)) == NULL ||
	    (rabs = drydock_path_absolute(root)) == NULL)
		goto out;
	n = (size_t)snprintf(v2, sizeof(v2), "%s/docker/registry/v2", rabs);
	in = n < sizeof(v2) && strncmp(abs, v2, n) == 0 &&
	    (abs[n] == '\0' || abs[n] == '/');
out:
	free(abs);
	free(rabs);
	return in;
}
