/* SPDX-License-Identifier: MIT */
/*
 * storage.h --- the storage a registry config names, as far as the tools
 * can open it today: libdrydock reads the s3 driver's parameters
 * (lib/regconfig.c, lib/s3.c), but the tools still reach storage through
 * the filesystem alone until the storage driver interface lands (issue
 * 12).
 */
#ifndef FE_STORAGE_H
#define FE_STORAGE_H

#include <drydock/regconfig.h>

/*
 * 0 when cfg names filesystem storage; else "progname: CONFIG: storage
 * driver 's3' is not supported by progname yet: ..." on standard error
 * and -1 (the tool exits 8, operational).
 */
int fe_storage_check(const char *config, const struct drydock_regconfig *cfg);

struct drydock_store;

/* 1 when cfg (NULL: no config read) names an S3 bucket. */
int fe_storage_is_s3(const struct drydock_regconfig *cfg);

/*
 * The storage's name in messages, reports and plans (free it): the
 * real path of a filesystem root, "s3://BUCKET/ROOTDIRECTORY" for a
 * bucket.  NULL (said on standard error) when a root cannot be resolved.
 */
char *fe_storage_name(const char *root, const struct drydock_regconfig *cfg);

/*
 * Open the storage: the bucket cfg names, or the filesystem root name
 * (from fe_storage_name()).  jobs: requests in flight on S3 (0: the
 * driver's default).  As drydock_store_open().
 */
int fe_storage_open(struct drydock_store **out, const char *name,
    const struct drydock_regconfig *cfg, unsigned flags, int jobs);

#endif
