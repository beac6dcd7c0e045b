/* SPDX-License-Identifier: MIT */
/*
 * hex_int.h --- the value of one hex digit, for the files of lib/ that read
 * hex by hand: JSON "\u" escapes (manifest_scan.c), S3 ETags
 * (store_s3tree.c).  Inline, since manifest_scan.c is on drydock-gc's hot
 * path.  Digest hex is lowercase only and has a table of its own
 * (digest.c).
 */
#ifndef DRYDOCK_HEX_INT_H
#define DRYDOCK_HEX_INT_H

/* The value of hex digit c, in either case; -1 for anything else. */
static inline int
drydock_hex__value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
