/* SPDX-License-Identifier: MIT */
/*
 * s3.h --- a client of one S3 bucket (AWS S3, Ceph RGW, MinIO, ...) on
 * lib/http with AWS Signature Version 4: objects looked up, read whole,
 * by range or streamed, written (multipart when big), copied on the
 * server, listed page by page (several listings in flight) and removed in
 * batches of up to 1,000 keys; incomplete multipart uploads listed,
 * measured and aborted.
 *
 * Keys are the bucket's own ("docker/registry/v2/blobs/..."): mapping a
 * registry's rootdirectory onto them is the caller's part.  Requests go
 * path-style (ENDPOINT/BUCKET/KEY) when a regionendpoint is set and
 * virtual-host style (https://BUCKET.s3.REGION.amazonaws.com/KEY) on AWS,
 * as the registry's s3 driver sends them.
 *
 * A client may be used from several threads at once; its connections are
 * shared and kept open.  The calls that work in parallel (foreach_many,
 * remove, write_fd, copy) run up to opts.jobs requests at a time and call
 * their callback on their worker threads, one call at a time.  500, 502,
 * 503 (SlowDown), 504 and dropped connections are retried with backoff.
 * A refused request is DRYDOCK_EAUTH with the server's reason (a wrong
 * secret key is said to be one); a missing key, bucket or upload is
 * DRYDOCK_ENOTFOUND.  No message holds a credential.
 *
 * Over https the server's certificate is verified (unless skip_verify)
 * against the system's CAs, or those of opts.ca_file; one that cannot be
 * verified fails the request with DRYDOCK_ERROR, class
 * DRYDOCK_ERRCLASS_SSL, and a message naming the endpoint and the ways to
 * trust it (SSL_CERT_FILE, AWS_CA_BUNDLE, skipverify).
 */
#ifndef DRYDOCK_S3_H
#define DRYDOCK_S3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_s3;

struct drydock_s3_opts {
	/*
	 * the registry's regionendpoint, "http[s]://HOST[:PORT]" (without a
	 * scheme, secure chooses it), or NULL or "" for AWS
	 */
	const char *endpoint;
	const char *region; /* required ("us-east-1") */
	const char *bucket; /* required */
	const char *access_key; /* NULL: unsigned (anonymous) requests */
	const char *secret_key;
	const char *session_token; /* x-amz-security-token, or NULL */
	int secure; /* 1 (default): https where the endpoint names none */
	int skip_verify; /* 1: do not verify the server's certificate */
	unsigned jobs; /* requests in flight in parallel calls (default 4) */
	/*
	 * the part size of multipart uploads, and the size from which
	 * drydock_s3_write_fd() uploads in parts (the registry's chunksize:
	 * default 10 MiB, at least 5 MiB)
	 */
	int64_t part_size;
	/*
	 * objects up to this size are copied on the server (CopyObject, which
	 * takes 5 GiB at most); larger ones in parts of this size read and
	 * written through this host (see drydock_s3_copy()); default and
	 * most 5 GiB, at least 5 MiB
	 */
	int64_t copy_part_size;
	int retries; /* attempts after the first; -1 (default): 5 */
	unsigned backoff_ms; /* first wait, doubled each time (default 250) */
	/*
	 * a PEM file of CAs trusted in place of the system's bundle
	 * (drydock_http_opts.ca_file), read by drydock_s3_new() when
	 * requests go over https and are verified, else not looked at;
	 * NULL: the system's
	 */
	const char *ca_file;
	/* what messages call ca_file ("AWS_CA_BUNDLE"); NULL: "CA file" */
	const char *ca_file_name;
};

/* Fill *o with the defaults. */
DRYDOCK_EXTERN void drydock_s3_opts_init(struct drydock_s3_opts *o);

/* What a HEAD or a listing says of an object. */
struct drydock_s3_stat {
	int64_t size;
	time_t mtime; /* LastModified */
	char etag[72]; /* without its quotes ("hex", "hex-PARTS"), or "" */
};

/*
 * A client of opts->bucket.  No connection is made yet.
 *
 * @param out the new client (drydock_s3_free)
 * @param o options (borrowed for the call; strings are copied)
 * @return 0, or DRYDOCK_ERROR (no region or bucket, a bad endpoint, a
 * ca_file unreadable or without a certificate)
 */
DRYDOCK_EXTERN int drydock_s3_new(
    struct drydock_s3 **out, const struct drydock_s3_opts *o);

DRYDOCK_EXTERN void drydock_s3_free(struct drydock_s3 *s3);

/*
 * Stop waits and transfers once *flag is non-zero (a signal handler's
 * flag): calls then fail with DRYDOCK_EINTR.
 */
DRYDOCK_EXTERN void drydock_s3_set_cancel(
    struct drydock_s3 *s3, const volatile sig_atomic_t *flag);

/*
 * The size, LastModified and ETag of key (HEAD).
 *
 * @return 0, DRYDOCK_ENOTFOUND, DRYDOCK_EAUTH, DRYDOCK_EINTR or
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_lookup(
    struct drydock_s3_stat *st, struct drydock_s3 *s3, const char *key);

/*
 * Read len bytes of key from offset (len < 0: to the end) into memory.
 *
 * @param out a new NUL-terminated buffer (free()) of *out_len bytes
 * @param max the largest answer taken (0: 4 MiB)
 * @return 0, DRYDOCK_ENOTFOUND, DRYDOCK_EAUTH, DRYDOCK_EINTR or
 * DRYDOCK_ERROR (too large, among others)
 */
DRYDOCK_EXTERN int drydock_s3_read(char **out, size_t *out_len,
    struct drydock_s3 *s3, const char *key, int64_t offset, int64_t len,
    size_t max);

/*
 * Bytes of an object, in order.  Return 0 to go on; anything else stops
 * the read and comes back from it.
 */
typedef int (*drydock_s3_data_cb)(const void *buf, size_t len, void *payload);

/*
 * Stream len bytes of key from offset (len < 0: to the end) to cb.  A
 * connection dropped on the way is resumed from the next byte (Range).
 *
 * @param st filled from the response (size is the object's, or -1 for a
 * range), or NULL
 * @return 0, cb's non-zero value, DRYDOCK_ENOTFOUND, DRYDOCK_EAUTH,
 * DRYDOCK_EINTR or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_read_cb(struct drydock_s3_stat *st,
    struct drydock_s3 *s3, const char *key, int64_t offset, int64_t len,
    drydock_s3_data_cb cb, void *payload);

/*
 * Write len bytes from buf as key (PUT), signed with their SHA-256 and
 * checked with their MD5.
 *
 * @return 0, DRYDOCK_ENOTFOUND (no bucket), DRYDOCK_EAUTH, DRYDOCK_EINTR
 * or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_write(
    struct drydock_s3 *s3, const char *key, const void *buf, size_t len);

/*
 * Write size bytes of fd from its offset 0 as key: one PUT up to
 * opts.part_size, a multipart upload above (opts.jobs parts in flight;
 * aborted when it fails).  The body is sent UNSIGNED-PAYLOAD (it is not
 * read twice).
 *
 * @return as drydock_s3_write()
 */
DRYDOCK_EXTERN int drydock_s3_write_fd(
    struct drydock_s3 *s3, const char *key, int fd, int64_t size);

/*
 * Copy the object src to dst inside the bucket: on the server with
 * CopyObject up to opts.copy_part_size (5 GiB), else as a multipart
 * upload of ranges read through this host (opts.jobs parts in flight,
 * each in memory).  UploadPartCopy would keep those on the server, but
 * libcurl before 8.10 signs it wrong (curl issue 14370).
 *
 * @param size src's size, or -1 to look it up
 * @return 0, DRYDOCK_ENOTFOUND (no src), DRYDOCK_EAUTH, DRYDOCK_EINTR or
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_copy(
    struct drydock_s3 *s3, const char *src, const char *dst, int64_t size);

/*
 * Copy the object src of another bucket of the same endpoint to dst in
 * s3's bucket with one CopyObject, on the server: the credentials must
 * read src_bucket.  src_bucket NULL is s3's own, as drydock_s3_copy().
 *
 * @param size src's size, or -1 to look it up (in s3's own bucket only)
 * @return 0, DRYDOCK_ENOTFOUND (no src), DRYDOCK_EAUTH, DRYDOCK_EINTR,
 * DRYDOCK_EUNSUPPORTED (from another bucket, an object larger than
 * opts.copy_part_size, or of unknown size: one CopyObject cannot do it)
 * or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_copy_from(struct drydock_s3 *s3,
    const char *src_bucket, const char *src, const char *dst, int64_t size);

/*
 * One key of a removal: code is NULL when it is gone (S3 says so of keys
 * that never were), else the server's error code ("AccessDenied") and its
 * message (both borrowed).  Return 0 to go on; anything else stops the
 * batches not yet sent and comes back from drydock_s3_remove().
 */
typedef int (*drydock_s3_removed_cb)(
    const char *key, const char *code, const char *message, void *payload);

/*
 * Remove keys with DeleteObjects, 1,000 a request, opts.jobs requests at
 * a time; cb learns each key's result (in each batch's order).
 *
 * @param cb per key (called one at a time), or NULL: then a key that
 * could not be removed fails the call
 * @return 0 when every batch was answered (and, without cb, every key
 * removed), cb's non-zero value, DRYDOCK_EAUTH, DRYDOCK_EINTR or
 * DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_remove(struct drydock_s3 *s3,
    const char *const *keys, size_t n, drydock_s3_removed_cb cb, void *payload);

/*
 * One entry of a listing: a key with its stat, or with st NULL a common
 * prefix (a "directory" of a delimited listing, ending in the delimiter).
 * Both are borrowed.  Return 0 to go on; anything else stops the listing
 * and comes back from it.
 */
typedef int (*drydock_s3_entry_cb)(
    const char *key, const struct drydock_s3_stat *st, void *payload);

/*
 * List the keys under prefix (ListObjectsV2, 1,000 a page, following the
 * continuation tokens), in the server's order: UTF-8 binary order, common
 * prefixes among the keys.
 *
 * @param prefix "" for the whole bucket
 * @param delimiter NULL, or "/" to get common prefixes instead of the
 * keys below them
 * @param start_after list the keys after this one, or NULL
 * @return 0, cb's non-zero value, DRYDOCK_ENOTFOUND (no bucket),
 * DRYDOCK_EAUTH, DRYDOCK_EINTR or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_foreach(struct drydock_s3 *s3, const char *prefix,
    const char *delimiter, const char *start_after, drydock_s3_entry_cb cb,
    void *payload);

/*
 * drydock_s3_foreach() of n prefixes, opts.jobs listings in flight
 * ("blobs/sha256/00/" ... "blobs/sha256/ff/" walks a big store in
 * parallel).  cb is called one call at a time; each prefix's entries come
 * in order, the prefixes interleaved.
 *
 * @return as drydock_s3_foreach(); the first failure stops the listings
 */
DRYDOCK_EXTERN int drydock_s3_foreach_many(struct drydock_s3 *s3,
    const char *const *prefixes, size_t n, const char *delimiter,
    drydock_s3_entry_cb cb, void *payload);

/*
 * An incomplete multipart upload (all borrowed).  Return 0 to go on;
 * anything else stops the listing and comes back from it.
 */
typedef int (*drydock_s3_upload_cb)(
    const char *key, const char *upload_id, time_t initiated, void *payload);

/*
 * List the incomplete multipart uploads of keys under prefix
 * (ListMultipartUploads, paged), in key order.
 *
 * @return as drydock_s3_foreach()
 */
DRYDOCK_EXTERN int drydock_s3_uploads_foreach(struct drydock_s3 *s3,
    const char *prefix, drydock_s3_upload_cb cb, void *payload);

/*
 * The bytes and parts an incomplete multipart upload holds (ListParts,
 * paged): what it is billed for.
 *
 * @return 0, DRYDOCK_ENOTFOUND (no such upload), DRYDOCK_EAUTH,
 * DRYDOCK_EINTR or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_upload_size(int64_t *bytes, size_t *parts,
    struct drydock_s3 *s3, const char *key, const char *upload_id);

/*
 * Abort a multipart upload: its parts are freed.
 *
 * @return 0, DRYDOCK_ENOTFOUND (no such upload), DRYDOCK_EAUTH,
 * DRYDOCK_EINTR or DRYDOCK_ERROR
 */
DRYDOCK_EXTERN int drydock_s3_upload_abort(
    struct drydock_s3 *s3, const char *key, const char *upload_id);

#ifdef __cplusplus
}
#endif

#endif
