/* SPDX-License-Identifier: MIT */
/*
 * regconfig.h --- the parts of a distribution registry's config.yml that
 * drydock needs, read with libyaml.
 */
#ifndef DRYDOCK_REGCONFIG_H
#define DRYDOCK_REGCONFIG_H

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_regconfig {
	char *rootdirectory;    /* storage.filesystem.rootdirectory, or the
				   default /var/lib/registry; the environment
				   variable REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY
				   overrides it, as in the registry */
	char *blobdescriptor;   /* storage.cache.blobdescriptor, or NULL */
	int delete_enabled;     /* storage.delete.enabled */
	int readonly;           /* storage.maintenance.readonly.enabled */
};

/*
 * Read config.yml.  A storage driver other than filesystem is
 * DRYDOCK_EUNSUPPORTED; bad YAML is DRYDOCK_ECORRUPT with line and column.
 * Release with drydock_regconfig_release().
 */
DRYDOCK_EXTERN int drydock_regconfig_read(
    struct drydock_regconfig *out, const char *path);

DRYDOCK_EXTERN void drydock_regconfig_release(struct drydock_regconfig *cfg);

#ifdef __cplusplus
}
#endif

#endif
