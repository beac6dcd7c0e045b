/* SPDX-License-Identifier: MIT */
/*
 * link_etag.c --- a link file's content known without reading it, where
 * the driver knows each object's MD5 from a listing (S3's ETag of a plain
 * PUT; see content_md5 in driver_int.h).
 *
 * A link holds "sha256:<hex>", and which <hex> it may hold is known from
 * its path: <alg>/<hex>/link names its own digest, and a tag's
 * current/link names one of the tag's index entries (the registry writes
 * the index entry before it moves current: distribution's tagStore.Tag).
 * When the MD5 of one candidate equals the ETag, the object holds that
 * candidate: any other content with the same MD5 would be a second
 * preimage, which nobody can make.  When none matches (a hand-written
 * link, an encrypted bucket's ETag, a multipart upload), the caller reads
 * the link as before.  On S3 this spares a GET per tag, a quarter of a gc
 * run's requests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include <drydock/digest.h>
#include <drydock/errors.h>

#include "driver_int.h"
#include "store_int.h"

#define SHA256_HEX 64
/* "sha256:" and 64 hex digits: the only link this knows */
#define LINK_LEN (7 + SHA256_HEX)

static int
is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != SHA256_HEX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Whether "sha256:<hex>" has this MD5; *out is that digest when it does. */
static int
candidate(
    struct drydock_digest *out, const unsigned char md5[16], const char *hex)
{
	char text[LINK_LEN + 1];
	unsigned char m[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;

	memcpy(text, "sha256:", 7);
	memcpy(text + 7, hex, SHA256_HEX);
	if (EVP_Digest(text, LINK_LEN, m, &mlen, EVP_md5(), NULL) != 1 ||
	    mlen != 16 || memcmp(m, md5, 16) != 0)
		return 0;
	return drydock_digest_from_hex(
	           out, DRYDOCK_DIGEST_SHA256, hex, SHA256_HEX) == 0;
}

/* The entries of dir/<index> (a tag's index/sha256), one matching md5. */
static int
index_candidate(struct drydock_digest *out, struct drydock_store *st, int dir,
    const char *index, const unsigned char md5[16])
{
	union {
		struct drydock_dirent64 de;
		char bytes[4096];
	} buf;
	ssize_t n, off;
	int h, found = 0;

	h = st->ops->open(st, dir, index, O_RDONLY | O_DIRECTORY, NULL);
	if (h < 0)
		return 0;
	while (!found &&
	    (n = st->ops->getdents(st, h, buf.bytes, sizeof(buf.bytes))) > 0)
		for (off = 0; off < n && !found;) {
			const struct drydock_dirent64 *de =
			    (const void *)(buf.bytes + off);

			found = de->d_type == DT_DIR &&
			    is_hex64(de->d_name, strlen(de->d_name)) &&
			    candidate(out, md5, de->d_name);
			off += de->d_reclen;
		}
	st->ops->close_h(st, h);
	return found;
}

int
drydock_store__link_known(struct drydock_digest *out, struct stat *sb,
    struct drydock_store *st, int dir, const char *rel)
{
	static const char current[] = "current/link";
	char index[4096];
	unsigned char md5[16];
	size_t len = strlen(rel), clen = sizeof(current) - 1;
	const char *hex;

	if (st->ops->content_md5 == NULL ||
	    st->ops->content_md5(st, dir, rel, md5, sb) < 0 ||
	    !S_ISREG(sb->st_mode) || sb->st_size != LINK_LEN)
		return 0;
	/* <alg>/<hex>/link: its own digest */
	if (len >= SHA256_HEX + 5 && strcmp(rel + len - 5, "/link") == 0) {
		hex = rel + len - 5 - SHA256_HEX;
		if ((hex == rel || hex[-1] == '/') && is_hex64(hex, SHA256_HEX))
			return candidate(out, md5, hex);
	}
	/* <tag>/current/link: one of <tag>/index/sha256/ */
	if ((len == clen || (len > clen && rel[len - clen - 1] == '/')) &&
	    strcmp(rel + len - clen, current) == 0 &&
	    (size_t)snprintf(index, sizeof(index), "%.*sindex/sha256",
	        (int)(len - clen), rel) < sizeof(index))
		return index_candidate(out, st, dir, index, md5);
	return 0;
}
