/* SPDX-License-Identifier: MIT */
/*
 * pathcheck.h --- where a path the operator gives (a quarantine, a state
 * file) really lands, symbolic links resolved: the tools refuse to keep
 * their own files inside the registry's tree, where the registry and the
 * next run would meet them as stray files.
 */
#ifndef DRYDOCK_PATHCHECK_H
#define DRYDOCK_PATHCHECK_H

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The absolute form of path with every symbolic link resolved; path need
 * not exist, but its parent must.
 *
 * @return a new string the caller frees, or NULL (errno set) when the
 *         parent cannot be resolved
 */
DRYDOCK_EXTERN char *drydock_path_absolute(const char *path);

/*
 * Whether path is root/docker/registry/v2 or below it, once both are
 * resolved (root as drydock_path_absolute gives it).  A path whose parent
 * does not exist is not inside: creating it fails later on its own.
 *
 * @return 1 inside, 0 not
 */
DRYDOCK_EXTERN int drydock_path_in_registry(const char *root, const char *path);

#ifdef __cplusplus
}
#endif

#endif
