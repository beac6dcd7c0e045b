/* SPDX-License-Identifier: MIT */
/*
 * exit.h --- exit codes shared by every drydock tool, as fsck(8).
 * The bits are ORed together.
 */
#ifndef FE_EXIT_H
#define FE_EXIT_H


#ifdef __cplusplus
extern "C" {
#endif

enum drydock_exit {
	DRYDOCK_EXIT_OK = 0,          /* nothing wrong, or nothing to do */
	DRYDOCK_EXIT_FIXED = 1,       /* problems found and corrected */
	DRYDOCK_EXIT_PROBLEMS = 4,    /* problems found and left as they are */
	DRYDOCK_EXIT_OPERATIONAL = 8, /* I/O, permissions, lock held, internal */
	DRYDOCK_EXIT_USAGE = 16,      /* usage or syntax error */
	DRYDOCK_EXIT_INTERRUPTED = 32 /* cancelled by a signal or the user */
};

#ifdef __cplusplus
}
#endif

#endif
