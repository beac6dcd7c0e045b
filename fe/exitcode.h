/* SPDX-License-Identifier: MIT */
/*
 * exitcode.h --- a library error as the tools' exit status (fsck(8)
 * style, fe/exit.h): interrupted by a signal is 32, any other error
 * is operational, 8.
 */
#ifndef FE_EXITCODE_H
#define FE_EXITCODE_H

int fe_exit_for(int error);

#endif
