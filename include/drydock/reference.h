/* SPDX-License-Identifier: MIT */
/*
 * reference.h --- the grammars of repository names and tags, as
 * distribution's reference package writes them (reference.NameRegexp and
 * reference.TagRegexp), once for every tool: what the registry would
 * accept is what gc keeps apart, fsck checks and migrate writes.
 */
#ifndef DRYDOCK_REFERENCE_H
#define DRYDOCK_REFERENCE_H

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest repository name distribution accepts. */
#define DRYDOCK_REFERENCE_NAME_MAX 255
/* The longest tag. */
#define DRYDOCK_REFERENCE_TAG_MAX 128

/*
 * Whether name is a repository name (1) or not (0), setting no error: path components of [a-z0-9]+ joined
 * by '.', '_', '__' or runs of '-', separated by '/'; the first of two or
 * more may be a registry host ([A-Za-z0-9.-], with an optional :port), at
 * most DRYDOCK_REFERENCE_NAME_MAX characters.
 */
DRYDOCK_EXTERN int drydock_reference_is_repo(const char *name);

/*
 * The same, as a check that says why.
 *
 * @return 0, or DRYDOCK_ECORRUPT with a message that quotes name
 */
DRYDOCK_EXTERN int drydock_reference_check_repo(const char *name);

/* Whether tag is a tag, [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: 1 or 0. */
DRYDOCK_EXTERN int drydock_reference_is_tag(const char *tag);

/*
 * The same, as a check that says why.
 *
 * @return 0, or DRYDOCK_ECORRUPT with a message that quotes tag
 */
DRYDOCK_EXTERN int drydock_reference_check_tag(const char *tag);

#ifdef __cplusplus
}
#endif

#endif
