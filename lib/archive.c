/* SPDX-License-Identifier: MIT */
/*
 * archive.c --- tar archives through libarchive: an untrusted-input reader
 * that cleans and confines every entry name, and a reproducible writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <drydock/archive.h>
#include <drydock/errors.h>

#define READ_BUFSZ (1u << 20)
#define DEPTH_MAX 256

struct drydock_archive_reader {
	struct archive *a;
	unsigned flags;
	int state; /* 0 before an entry, 1 in an entry, 2 failed */
	drydock_archive_read_cb cb; /* decompressors: the source */
	void *payload;
	int cb_error;
	char path[PATH_MAX];
	char target[PATH_MAX];
	unsigned char *buf;
};

struct drydock_archive_compressor {
	struct archive *a;
	drydock_archive_write_cb cb;
	void *payload;
	int error; /* the callback's, kept for the caller */
};

struct drydock_archive_writer {
	struct archive *a;
	int64_t left; /* bytes still owed to the current entry */
	char path[PATH_MAX];
};

static int
archive_fail(struct archive *a, const char *what)
{
	const char *m = a != NULL ? archive_error_string(a) : NULL;

	drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE, "%s: %s", what,
	    m != NULL ? m : "libarchive failed");
	return DRYDOCK_ERROR;
}

/*
 * A writer's failure.  When write(2) failed (a full disk, a read-only
 * file system, a FIFO's reader gone), libarchive says only "Write error"
 * and keeps errno in archive_errno(): keep it too, as an OS error, so that
 * callers can tell the disk from the data.  libarchive's own errors use
 * -1, EILSEQ (format) or EINVAL (misuse).
 */
static int
writer_fail(struct archive *a, const char *entry)
{
	int e = archive_errno(a);

	if (e > 0 && e != EILSEQ && e != EINVAL) {
		errno = e;
		if (entry != NULL)
			drydock_error_set_os(
			    "cannot write the archive (entry '%s')", entry);
		else
			drydock_error_set_os("cannot finish the archive");
		return DRYDOCK_ERROR;
	}
	return archive_fail(
	    a, entry != NULL ? entry : "cannot finish the archive");
}

int
drydock_archive_compression_for(const char *path)
{
	size_t n = strlen(path);

	if ((n > 3 && strcmp(path + n - 3, ".gz") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".tgz") == 0))
		return DRYDOCK_ARCHIVE_GZIP;
	if (n > 4 && strcmp(path + n - 4, ".zst") == 0)
		return DRYDOCK_ARCHIVE_ZSTD;
	return DRYDOCK_ARCHIVE_PLAIN;
}

/* --- names ------------------------------------------------------------- */

static int
refuse(const char *name, const char *why)
{
	drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
	    "archive entry '%s' refused: %s", name, why);
	return DRYDOCK_EUNSAFE;
}

/*
 * Clean name into out: drop "" and "." components; ".." pops what came
 * before when allow_up (a symlink target resolved from base), else it is
 * refused; popping above the root is refused.  base (may be NULL) is a
 * cleaned prefix the name is relative to.
 */
static int
clean_name(char *out, size_t outsz, const char *base, const char *name,
    int allow_up, const char *entry)
{
	size_t stack[DEPTH_MAX], depth = 0, len = 0, clen;
	const char *p, *slash;

	out[0] = '\0';
	if (name == NULL || *name == '\0')
		return refuse(entry, "empty name");
	if (*name == '/')
		return refuse(
		    entry, allow_up ? "absolute link target" : "absolute path");
	if (base != NULL && *base != '\0') {
		if (strlen(base) >= outsz)
			return refuse(entry, "name too long");
		for (p = base;; p = slash + 1) {
			slash = strchr(p, '/');
			if (depth == DEPTH_MAX)
				return refuse(entry, "too deep");
			stack[depth++] = (size_t)(p - base);
			if (slash == NULL)
				break;
		}
		len = strlen(base);
		memcpy(out, base, len + 1);
	}
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		clen = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (clen == 0 || (clen == 1 && p[0] == '.')) {
			/* nothing */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			if (!allow_up)
				return refuse(entry, "'..' in the path");
			if (depth == 0)
				return refuse(entry,
				    "link target points outside the archive");
			len = stack[--depth];
			len = len > 0 ? len - 1 : 0;
			out[len] = '\0';
		} else {
			if (depth == DEPTH_MAX)
				return refuse(entry, "too deep");
			if (len + clen + 2 > outsz)
				return refuse(entry, "name too long");
			if (len > 0)
				out[len++] = '/';
			stack[depth++] = len;
			memcpy(out + len, p, clen);
			len += clen;
			out[len] = '\0';
		}
		if (slash == NULL)
			break;
	}
	return 0;
}

/* --- reader -------------------------------------------------------------- */

static int
reader_new(struct drydock_archive_reader **out, unsigned flags)
{
	struct drydock_archive_reader *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(READ_BUFSZ)) == NULL ||
	    (r->a = archive_read_new()) == NULL) {
		if (r != NULL)
			free(r->buf);
		free(r);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	r->flags = flags;
	archive_read_support_filter_all(r->a);
	archive_read_support_format_tar(r->a);
	archive_read_support_format_gnutar(r->a);
	*out = r;
	return 0;
}

int
drydock_archive_reader_open(
    struct drydock_archive_reader **out, const char *path, unsigned flags)
{
	struct drydock_archive_reader *r;
	int error;

	*out = NULL;
	if (access(path, R_OK) < 0) {
		drydock_error_set_os("cannot open archive '%s'", path);
		return errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
	}
	if ((error = reader_new(&r, flags)) < 0)
		return error;
	if (archive_read_open_filename(r->a, path, READ_BUFSZ) != ARCHIVE_OK) {
		error = archive_fail(r->a, path);
		drydock_archive_reader_free(r);
		return error;
	}
	*out = r;
	return 0;
}

int
drydock_archive_reader_open_fd(
    struct drydock_archive_reader **out, int fd, unsigned flags)
{
	struct drydock_archive_reader *r;
	int error;

	*out = NULL;
	if ((error = reader_new(&r, flags)) < 0)
		return error;
	if (archive_read_open_fd(r->a, fd, READ_BUFSZ) != ARCHIVE_OK) {
		error = archive_fail(r->a, "archive");
		drydock_archive_reader_free(r);
		return error;
	}
	*out = r;
	return 0;
}

static int
entry_type(
    struct drydock_archive_reader *r, struct archive_entry *ae, const char *raw)
{
	const char *hl = archive_entry_hardlink(ae), *sl;
	char dir[PATH_MAX], *slash;
	int error;

	if (hl != NULL) {
		if (!(r->flags & DRYDOCK_ARCHIVE_LINKS))
			return refuse(raw, "hard link");
		if ((error = clean_name(
		         r->target, sizeof(r->target), NULL, hl, 0, raw)) < 0)
			return error;
		return DRYDOCK_ARCHIVE_HARDLINK;
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		return DRYDOCK_ARCHIVE_FILE;
	case AE_IFDIR:
		return DRYDOCK_ARCHIVE_DIR;
	case AE_IFLNK:
		if (!(r->flags & DRYDOCK_ARCHIVE_LINKS))
			return refuse(raw, "symlink");
		sl = archive_entry_symlink(ae);
		snprintf(dir, sizeof(dir), "%s", r->path);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		else
			dir[0] = '\0';
		if ((error = clean_name(
		         r->target, sizeof(r->target), dir, sl, 1, raw)) < 0)
			return error;
		if (r->target[0] == '\0')
			return refuse(raw, "link to the archive root");
		return DRYDOCK_ARCHIVE_SYMLINK;
	default:
		return refuse(raw, "not a regular file, directory or link");
	}
}

int
drydock_archive_reader_next(
    struct drydock_archive_entry *out, struct drydock_archive_reader *r)
{
	struct archive_entry *ae;
	const char *raw;
	int rc, type, error;

	memset(out, 0, sizeof(*out));
	if (r->state == 2) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "archive reader used after a failure");
		return DRYDOCK_ERROR;
	}
	for (;;) {
		rc = archive_read_next_header(r->a, &ae);
		if (rc == ARCHIVE_EOF) {
			r->state = 0;
			return DRYDOCK_ITEROVER;
		}
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			r->state = 2;
			archive_fail(r->a, "cannot read archive");
			return DRYDOCK_ECORRUPT;
		}
		raw = archive_entry_pathname(ae);
		if (raw == NULL) {
			r->state = 2;
			return refuse("?", "name not readable");
		}
		error = clean_name(r->path, sizeof(r->path), NULL, raw, 0, raw);
		if (error < 0) {
			r->state = 2;
			return error;
		}
		r->target[0] = '\0';
		if ((type = entry_type(r, ae, raw)) < 0) {
			r->state = 2;
			return type;
		}
		if (r->path[0] == '\0') {
			if (type == DRYDOCK_ARCHIVE_DIR)
				continue; /* "./" */
			r->state = 2;
			return refuse(raw, "empty name");
		}
		break;
	}
	r->state = 1;
	out->path = r->path;
	out->type = type;
	out->target = r->target[0] != '\0' ? r->target : NULL;
	out->size = type == DRYDOCK_ARCHIVE_FILE ? archive_entry_size(ae) : 0;
	return 0;
}

int
drydock_archive_reader_data(
    const void **buf_out, size_t *len_out, struct drydock_archive_reader *r)
{
	la_ssize_t n;

	*buf_out = r->buf;
	*len_out = 0;
	if (r->state != 1)
		return 0;
	n = archive_read_data(r->a, r->buf, READ_BUFSZ);
	if (n < 0) {
		r->state = 2;
		if (r->cb_error)
			return r->cb_error;
		archive_fail(r->a, r->path);
		return DRYDOCK_ECORRUPT;
	}
	*len_out = (size_t)n;
	return 0;
}

int
drydock_archive_reader_read_all(char **buf_out, size_t *len_out,
    struct drydock_archive_reader *r, size_t max)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	const void *p;
	int error;

	*buf_out = NULL;
	*len_out = 0;
	for (;;) {
		if ((error = drydock_archive_reader_data(&p, &n, r)) < 0)
			goto fail;
		if (n == 0)
			break;
		if (len + n > max) {
			drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
			    "archive entry '%s' is larger than %zu bytes",
			    r->path, max);
			error = DRYDOCK_ECORRUPT;
			goto fail;
		}
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			if (cap > max + 1)
				cap = max + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				drydock_error_set_os("out of memory");
				error = DRYDOCK_ERROR;
				goto fail;
			}
			buf = nb;
		}
		memcpy(buf + len, p, n);
		len += n;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	buf[len] = '\0';
	*buf_out = buf;
	*len_out = len;
	return 0;
fail:
	free(buf);
	return error;
}

void
drydock_archive_reader_free(struct drydock_archive_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	free(r->buf);
	free(r);
}

/* --- decompressor ----------------------------------------------------- */

static la_ssize_t
pull_cb(struct archive *a, void *client, const void **buf)
{
	struct drydock_archive_reader *r = client;
	size_t len = 0;
	int error;

	if ((error = r->cb(buf, &len, r->payload)) < 0) {
		r->cb_error = error;
		archive_set_error(a, EIO, "%s", drydock_error_message());
		return -1;
	}
	return (la_ssize_t)len;
}

int
drydock_archive_decompressor_open(struct drydock_archive_reader **out,
    int *compression_out, drydock_archive_read_cb cb, void *payload)
{
	struct drydock_archive_reader *r = NULL;
	struct archive_entry *ae;
	const char *name;
	int error, rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(READ_BUFSZ)) == NULL ||
	    (r->a = archive_read_new()) == NULL) {
		if (r != NULL)
			free(r->buf);
		free(r);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	r->cb = cb;
	r->payload = payload;
	archive_read_support_filter_all(r->a);
	archive_read_support_format_raw(r->a);
	if (archive_read_open(r->a, r, NULL, pull_cb, NULL) != ARCHIVE_OK) {
		error = r->cb_error ? r->cb_error
		                    : archive_fail(r->a, "cannot decompress");
		goto fail;
	}
	rc = archive_read_next_header(r->a, &ae);
	if (rc == ARCHIVE_EOF) {
		r->state = 0; /* empty input: no bytes */
	} else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
		error = r->cb_error ? r->cb_error
		                    : archive_fail(r->a, "cannot decompress");
		goto fail;
	} else {
		r->state = 1;
	}
	snprintf(r->path, sizeof(r->path), "%s", "stream");
	if (compression_out != NULL) {
		name = archive_filter_count(r->a) > 1
		    ? archive_filter_name(r->a, 0)
		    : NULL;
		*compression_out = name == NULL ? DRYDOCK_ARCHIVE_PLAIN
		    : strcmp(name, "gzip") == 0 ? DRYDOCK_ARCHIVE_GZIP
		    : strcmp(name, "zstd") == 0 ? DRYDOCK_ARCHIVE_ZSTD
		                                : DRYDOCK_ARCHIVE_PLAIN;
	}
	*out = r;
	return 0;
fail:
	drydock_archive_reader_free(r);
	return error;
}

/* --- compressor --------------------------------------------------------- */

static la_ssize_t
push_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct drydock_archive_compressor *c = client;
	int error;

	if ((error = c->cb(buf, len, c->payload)) < 0) {
		c->error = error;
		archive_set_error(a, EIO, "%s", drydock_error_message());
		return -1;
	}
	return (la_ssize_t)len;
}

int
drydock_archive_compressor_new(struct drydock_archive_compressor **out,
    int compression, drydock_archive_write_cb cb, void *payload)
{
	struct drydock_archive_compressor *c;
	struct archive_entry *ae = NULL;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->a = archive_write_new()) == NULL) {
		free(c);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	c->cb = cb;
	c->payload = payload;
	rc = archive_write_set_format_raw(c->a);
	if (rc == ARCHIVE_OK)
		rc = compression == DRYDOCK_ARCHIVE_ZSTD
		    ? archive_write_add_filter_zstd(c->a)
		    : archive_write_add_filter_gzip(c->a);
	if (rc == ARCHIVE_OK && compression != DRYDOCK_ARCHIVE_ZSTD)
		(void)archive_write_set_filter_option(
		    c->a, "gzip", "timestamp", NULL);
	(void)archive_write_set_bytes_per_block(c->a, 0);
	if (rc == ARCHIVE_OK)
		rc = archive_write_open(c->a, c, NULL, push_cb, NULL);
	if (rc == ARCHIVE_OK && (ae = archive_entry_new()) == NULL)
		rc = ARCHIVE_FATAL;
	if (rc == ARCHIVE_OK) {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_pathname(ae, "layer");
		rc = archive_write_header(c->a, ae);
	}
	archive_entry_free(ae);
	if (rc != ARCHIVE_OK) {
		archive_fail(c->a, "cannot start a compressor");
		drydock_archive_compressor_free(c);
		return DRYDOCK_ERROR;
	}
	*out = c;
	return 0;
}

int
drydock_archive_compressor_write(
    struct drydock_archive_compressor *c, const void *buf, size_t len)
{
	const char *p = buf;
	la_ssize_t n;

	while (len > 0) {
		n = archive_write_data(c->a, p, len);
		if (n <= 0)
			return c->error ? c->error
			                : archive_fail(c->a, "cannot compress");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
drydock_archive_compressor_close(struct drydock_archive_compressor *c)
{
	if (archive_write_close(c->a) != ARCHIVE_OK)
		return c->error
		    ? c->error
		    : archive_fail(c->a, "cannot finish compressing");
	return 0;
}

void
drydock_archive_compressor_free(struct drydock_archive_compressor *c)
{
	if (c == NULL)
		return;
	if (c->a != NULL)
		archive_write_free(c->a);
	free(c);
}

/* --- writer -------------------------------------------------------------- */

int
drydock_archive_writer_open(
    struct drydock_archive_writer **out, int fd, int compression)
{
	struct drydock_archive_writer *w;
	int rc = ARCHIVE_OK;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->a = archive_write_new()) == NULL) {
		free(w);
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK)
		goto fail;
	if (compression == DRYDOCK_ARCHIVE_GZIP)
		rc = archive_write_add_filter_gzip(w->a);
	else if (compression == DRYDOCK_ARCHIVE_ZSTD)
		rc = archive_write_add_filter_zstd(w->a);
	if (rc != ARCHIVE_OK)
		goto fail;
	if (compression == DRYDOCK_ARCHIVE_GZIP)
		(void)archive_write_set_filter_option(
		    w->a, "gzip", "timestamp", NULL);
	(void)archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
		goto fail;
	*out = w;
	return 0;
fail:
	archive_fail(w->a, "cannot start an archive");
	archive_write_free(w->a);
	free(w);
	return DRYDOCK_ERROR;
}

static int
owed(struct drydock_archive_writer *w)
{
	if (w->left != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "archive entry '%s' is %lld bytes short", w->path,
		    (long long)w->left);
		return DRYDOCK_ERROR;
	}
	return 0;
}

static int
header(struct drydock_archive_writer *w, const char *path, int type,
    int64_t size, const char *target)
{
	struct archive_entry *ae;
	int error;

	if ((error = owed(w)) < 0)
		return error;
	if ((ae = archive_entry_new()) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	archive_entry_set_pathname(ae, path);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, 0, 0);
	if (type == DRYDOCK_ARCHIVE_DIR) {
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, 0755);
	} else if (type == DRYDOCK_ARCHIVE_SYMLINK) {
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_set_symlink(ae, target);
	} else {
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, size);
	}
	if (archive_write_header(w->a, ae) != ARCHIVE_OK) {
		archive_entry_free(ae);
		return writer_fail(w->a, path);
	}
	archive_entry_free(ae);
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->left = type == DRYDOCK_ARCHIVE_FILE ? size : 0;
	return 0;
}

int
drydock_archive_writer_dir(struct drydock_archive_writer *w, const char *path)
{
	return header(w, path, DRYDOCK_ARCHIVE_DIR, 0, NULL);
}

int
drydock_archive_writer_begin(
    struct drydock_archive_writer *w, const char *path, int64_t size)
{
	return header(w, path, DRYDOCK_ARCHIVE_FILE, size, NULL);
}

int
drydock_archive_writer_data(
    struct drydock_archive_writer *w, const void *buf, size_t len)
{
	const char *p = buf;
	la_ssize_t n;

	if ((int64_t)len > w->left) {
		drydock_error_set(DRYDOCK_ERRCLASS_ARCHIVE,
		    "archive entry '%s': more bytes than declared", w->path);
		return DRYDOCK_ERROR;
	}
	while (len > 0) {
		n = archive_write_data(w->a, p, len);
		if (n <= 0)
			return writer_fail(w->a, w->path);
		p += n;
		len -= (size_t)n;
		w->left -= n;
	}
	return 0;
}

int
drydock_archive_writer_file(struct drydock_archive_writer *w, const char *path,
    const void *buf, size_t len)
{
	int error;

	if ((error = drydock_archive_writer_begin(w, path, (int64_t)len)) < 0)
		return error;
	return drydock_archive_writer_data(w, buf, len);
}

int
drydock_archive_writer_symlink(
    struct drydock_archive_writer *w, const char *path, const char *target)
{
	return header(w, path, DRYDOCK_ARCHIVE_SYMLINK, 0, target);
}

int
drydock_archive_writer_close(struct drydock_archive_writer *w)
{
	int error;

	if ((error = owed(w)) < 0)
		return error;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return writer_fail(w->a, NULL);
	return 0;
}

void
drydock_archive_writer_free(struct drydock_archive_writer *w)
{
	if (w == NULL)
		return;
	if (w->a != NULL)
		archive_write_free(w->a);
	free(w);
}
