/* SPDX-License-Identifier: MIT */
/* storage.c --- the storage a registry config names (storage.h). */
#include <drydock/drydock.h>

#include "fe/err.h"
#include "fe/storage.h"

int
fe_storage_check(const char *config, const struct drydock_regconfig *cfg)
{
	if (cfg->driver == DRYDOCK_REGCONFIG_FILESYSTEM)
		return 0;
	fe_warn("%s: storage driver 's3' (bucket '%s') is not supported by "
	        "%s yet: it works on filesystem storage only",
	    config, cfg->s3.bucket, fe_progname());
	return -1;
}
