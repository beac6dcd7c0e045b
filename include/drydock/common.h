/* SPDX-License-Identifier: MIT */
/*
 * common.h --- what every public header of libdrydock includes: the mark
 * of an exported function.
 */
#ifndef DRYDOCK_COMMON_H
#define DRYDOCK_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * libdrydock is built with -fvisibility=hidden: libdrydock.so exports a
 * function only when its declaration in include/drydock/ starts with
 * DRYDOCK_EXTERN (libgit2's GIT_EXTERN, curl's CURL_EXTERN).  What lib/
 * shares between its files (drydock_<module>__<verb>, declared in the
 * _int.h headers of lib/) stays hidden; tests/check-exports.sh holds the
 * library to this.
 */
#if defined(__GNUC__) || defined(__clang__)
#define DRYDOCK_EXTERN __attribute__((visibility("default")))
#else
#define DRYDOCK_EXTERN
#endif

#ifdef __cplusplus
}
#endif

#endif
