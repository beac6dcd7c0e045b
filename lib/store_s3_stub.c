/* SPDX-License-Identifier: MIT */
/*
 * store_s3_stub.c --- placeholder until the S3 driver (store_s3.c) lands:
 * a bucket store is refused.  Removed with that merge.
 */
#include <drydock/errors.h>
#include <drydock/store.h>

#include "store_int.h"

int
drydock_store_open_s3(struct drydock_store **out,
    const struct drydock_regconfig_s3 *cfg, unsigned flags, unsigned jobs)
{
	(void)out;
	(void)cfg;
	(void)flags;
	(void)jobs;
	drydock_error_set(DRYDOCK_ERRCLASS_STORE, "no S3 driver in this build");
	return DRYDOCK_EUNSUPPORTED;
}

struct drydock_s3 *
drydock_store_s3(const struct drydock_store *st)
{
	(void)st;
	return NULL;
}

int
drydock_store_s3_key(char *buf, size_t bufsz, const struct drydock_store *st,
    const char *relpath)
{
	(void)buf;
	(void)bufsz;
	(void)st;
	(void)relpath;
	drydock_error_set(DRYDOCK_ERRCLASS_STORE, "not an S3 store");
	return DRYDOCK_ERROR;
}
