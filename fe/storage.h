/* SPDX-License-Identifier: MIT */
/*
 * storage.h --- the storage a registry config names: a filesystem root or
 * an S3 bucket (libdrydock's two store drivers), by its name in messages
 * and reports, and opened.
 */
#ifndef FE_STORAGE_H
#define FE_STORAGE_H

#include <drydock/regconfig.h>

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
