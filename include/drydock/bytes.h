/* SPDX-License-Identifier: MIT */
/*
 * bytes.h --- byte counts as the tools' reports write them ("1.5 GiB").
 */
#ifndef DRYDOCK_BYTES_H
#define DRYDOCK_BYTES_H

#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Format bytes into buf: "1023 B" below 1 KiB, else one decimal in KiB,
 * MiB, ... or EiB, whichever keeps the printed number below 1024
 * ("1.5 GiB").
 * Truncated to bufsz (still terminated); nothing is written when bufsz is
 * 0.  Returns buf.
 */
DRYDOCK_EXTERN char *drydock_bytes_format(
    char *buf, unsigned long bufsz, uint64_t bytes);

#ifdef __cplusplus
}
#endif

#endif
