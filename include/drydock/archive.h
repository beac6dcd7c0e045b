/* SPDX-License-Identifier: MIT */
/*
 * archive.h --- tar archives through libarchive: a reader for untrusted
 * input and a streaming writer.
 *
 * The reader never touches the filesystem: it hands out entries and their
 * bytes.  Every entry name is cleaned ("./" prefixes and repeated '/'
 * dropped) and refused when it is absolute, contains a ".." component or
 * is empty; devices, fifos and sockets are refused; symlinks and hard
 * links are refused unless DRYDOCK_ARCHIVE_LINKS is given, and even then
 * only when their target, resolved lexically inside the archive, stays
 * inside it (the caller then treats them as aliases, never creates them).
 * Refusals are DRYDOCK_EUNSAFE with the entry's name and the reason.
 *
 * The writer writes ustar/pax entries with uid/gid 0, fixed modes and
 * mtime 0 (reproducible), optionally through gzip or zstd.
 */
#ifndef DRYDOCK_ARCHIVE_H
#define DRYDOCK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum drydock_archive_compression {
	DRYDOCK_ARCHIVE_PLAIN = 0,
	DRYDOCK_ARCHIVE_GZIP,
	DRYDOCK_ARCHIVE_ZSTD
};

enum drydock_archive_entry_type {
	DRYDOCK_ARCHIVE_FILE = 0,
	DRYDOCK_ARCHIVE_DIR,
	DRYDOCK_ARCHIVE_SYMLINK,
	DRYDOCK_ARCHIVE_HARDLINK
};

enum drydock_archive_reader_flags {
	/* hand out confined symlinks and hard links instead of refusing */
	DRYDOCK_ARCHIVE_LINKS = 1 << 0
};

/* An entry; strings are borrowed until the next call on the reader. */
struct drydock_archive_entry {
	const char *path; /* cleaned, relative, never "" */
	int type; /* enum drydock_archive_entry_type */
	const char *target; /* links: cleaned path of the target inside the
	                       archive (relative to the archive root) */
	int64_t size; /* files: the declared size */
};

/* Compression chosen by a file name's suffix: .gz/.tgz, .zst, else plain. */
DRYDOCK_EXTERN int drydock_archive_compression_for(const char *path);

struct drydock_archive_reader;

/*
 * Open path for reading: tar (ustar, pax, gnu), plain or compressed with
 * anything libarchive knows (gzip, zstd, xz, bzip2).
 *
 * @param out receives a new reader; free with drydock_archive_reader_free()
 * @return 0; DRYDOCK_ENOTFOUND; DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_archive_reader_open(
    struct drydock_archive_reader **out, const char *path, unsigned flags);

/* Open a reader on an open fd (borrowed; not closed by free). */
DRYDOCK_EXTERN int drydock_archive_reader_open_fd(
    struct drydock_archive_reader **out, int fd, unsigned flags);

/*
 * The next entry.  @return 0; DRYDOCK_ITEROVER at the end; DRYDOCK_EUNSAFE
 * (a refused entry: the reader cannot go on); DRYDOCK_ECORRUPT (not a tar,
 * truncated); DRYDOCK_ERROR.
 */
DRYDOCK_EXTERN int drydock_archive_reader_next(
    struct drydock_archive_entry *out, struct drydock_archive_reader *r);

/*
 * The next block of the current entry's bytes: *buf_out and *len_out
 * (borrowed until the next call); *len_out is 0 at its end.
 */
DRYDOCK_EXTERN int drydock_archive_reader_data(
    const void **buf_out, size_t *len_out, struct drydock_archive_reader *r);

/*
 * The whole current entry into a new NUL-terminated buffer (free() it):
 * more than max bytes is DRYDOCK_ECORRUPT ("'x' is larger than N bytes").
 */
DRYDOCK_EXTERN int drydock_archive_reader_read_all(char **buf_out,
    size_t *len_out, struct drydock_archive_reader *r, size_t max);

DRYDOCK_EXTERN void drydock_archive_reader_free(
    struct drydock_archive_reader *r);

/*
 * Where a decompressing reader gets its (compressed) bytes: the next block
 * in *buf_out / *len_out (borrowed until the next call), *len_out 0 at the
 * end.  Returns 0 or a negative error that stops the reader.
 */
typedef int (*drydock_archive_read_cb)(
    const void **buf_out, size_t *len_out, void *payload);

/*
 * A reader that decompresses one stream (gzip, zstd, xz, bzip2, or none:
 * detected by the magic bytes, not by a name) read through cb; read it
 * with drydock_archive_reader_data().  For layers: hashing what this
 * yields gives the DiffID.
 *
 * @param compression_out receives enum drydock_archive_compression of
 * what was found (gzip, zstd or plain; others count as plain), may be NULL
 */
DRYDOCK_EXTERN int drydock_archive_decompressor_open(
    struct drydock_archive_reader **out, int *compression_out,
    drydock_archive_read_cb cb, void *payload);

struct drydock_archive_writer;

/*
 * Write a tar to fd (borrowed: flushed by close, never closed).
 * @param compression enum drydock_archive_compression
 */
DRYDOCK_EXTERN int drydock_archive_writer_open(
    struct drydock_archive_writer **out, int fd, int compression);

/* A directory entry (mode 0755). */
DRYDOCK_EXTERN int drydock_archive_writer_dir(
    struct drydock_archive_writer *w, const char *path);

/*
 * Start a regular file of exactly size bytes (mode 0644); the bytes follow
 * with drydock_archive_writer_data().  Fewer bytes is an error at the next
 * entry or at close.
 */
DRYDOCK_EXTERN int drydock_archive_writer_begin(
    struct drydock_archive_writer *w, const char *path, int64_t size);
DRYDOCK_EXTERN int drydock_archive_writer_data(
    struct drydock_archive_writer *w, const void *buf, size_t len);

/* A whole regular file from memory. */
DRYDOCK_EXTERN int drydock_archive_writer_file(struct drydock_archive_writer *w,
    const char *path, const void *buf, size_t len);

/* A symlink entry (for old docker-archive consumers). */
DRYDOCK_EXTERN int drydock_archive_writer_symlink(
    struct drydock_archive_writer *w, const char *path, const char *target);

/*
 * A compressor: bytes written to it come out gzip- or zstd-compressed
 * through cb (returning 0 or a negative error), reproducibly (no name, no
 * timestamp).
 */
typedef int (*drydock_archive_write_cb)(
    const void *buf, size_t len, void *payload);
struct drydock_archive_compressor;
DRYDOCK_EXTERN int drydock_archive_compressor_new(
    struct drydock_archive_compressor **out, int compression,
    drydock_archive_write_cb cb, void *payload);
DRYDOCK_EXTERN int drydock_archive_compressor_write(
    struct drydock_archive_compressor *c, const void *buf, size_t len);
/* Flush everything out through cb. */
DRYDOCK_EXTERN int drydock_archive_compressor_close(
    struct drydock_archive_compressor *c);
DRYDOCK_EXTERN void drydock_archive_compressor_free(
    struct drydock_archive_compressor *c);

/* Finish the archive (trailer, compressor flush).  0 or DRYDOCK_ERROR. */
DRYDOCK_EXTERN int drydock_archive_writer_close(
    struct drydock_archive_writer *w);

/* Free; an unclosed archive is left unfinished.  NULL does nothing. */
DRYDOCK_EXTERN void drydock_archive_writer_free(
    struct drydock_archive_writer *w);

#ifdef __cplusplus
}
#endif

#endif
