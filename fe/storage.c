/* SPDX-License-Identifier: MIT */
/* storage.c --- the storage a registry config names (storage.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/drydock.h>

#include "fe/err.h"
#include "fe/storage.h"

int
fe_storage_is_s3(const struct drydock_regconfig *cfg)
{
	return cfg != NULL && cfg->driver == DRYDOCK_REGCONFIG_S3;
}

char *
fe_storage_name(const char *root, const struct drydock_regconfig *cfg)
{
	const char *dir;
	char *name = NULL;

	if (!fe_storage_is_s3(cfg)) {
		if ((name = realpath(root, NULL)) == NULL)
			fe_warn("cannot open storage root '%s': %s", root,
			    strerror(errno));
		return name;
	}
	dir = cfg->s3.rootdirectory != NULL ? cfg->s3.rootdirectory : "";
	while (*dir == '/')
		dir++;
	if (asprintf(&name, "s3://%s/%s", cfg->s3.bucket, dir) < 0) {
		fe_warn("out of memory");
		name = NULL;
	}
	return name;
}

int
fe_storage_open(struct drydock_store **out, const char *name,
    const struct drydock_regconfig *cfg, unsigned flags, int jobs)
{
	if (fe_storage_is_s3(cfg))
		return drydock_store_open_s3(
		    out, &cfg->s3, flags, jobs > 0 ? (unsigned)jobs : 0);
	return drydock_store_open(out, name, flags);
}
