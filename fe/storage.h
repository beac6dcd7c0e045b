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

#endif
