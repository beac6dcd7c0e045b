/* SPDX-License-Identifier: MIT */
/*
 * regwrite.c --- write blobs, layer links, revisions and tags into a
 * distribution storage root as the registry writes them on a push: on a
 * filesystem through temporary files renamed into place (lib/blobcopy),
 * in an object store (S3) with one PUT or multipart upload per file,
 * which makes the object appear whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/blobcopy.h>
#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/link.h>
#include <drydock/reference.h>
#include <drydock/regwrite.h>
#include <drydock/store.h>

#include "store_int.h"

/*
 * Remove what a killed run left in dirfd: under the store lock every
 * temporary file there is stale, else only those of dead processes.
 */
static void
sweep_temps(const struct drydock_store *st, int dirfd)
{
	if (st->locked)
		(void)drydock_blobcopy_sweep_temps_locked(dirfd);
	else
		(void)drydock_blobcopy_sweep_temps(dirfd);
}

static int
digest_dir(char *buf, size_t bufsz, const char *prefix,
    const struct drydock_digest *d, const char *suffix)
{
	char hex[DRYDOCK_DIGEST_STRMAX];
	const char *alg = drydock_digest_alg_name(d->alg);
	int n;

	if (alg == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_DIGEST, "a digest without algorithm");
		return DRYDOCK_ERROR;
	}
	drydock_digest_hex(hex, d);
	n = snprintf(buf, bufsz, "%s%s/%s%s", prefix, alg, hex, suffix);
	if (n < 0 || (size_t)n >= bufsz) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "path of '%s' too long", prefix);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_regwrite_blob_dir(
    struct drydock_store *st, const struct drydock_digest *d)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], hex[DRYDOCK_DIGEST_STRMAX];
	const char *alg = drydock_digest_alg_name(d->alg);

	if (alg == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_DIGEST, "a digest without algorithm");
		return DRYDOCK_ERROR;
	}
	drydock_digest_hex(hex, d);
	snprintf(path, sizeof(path), "blobs/%s/%.2s/%s", alg, hex, hex);
	return drydock_store_mkdir_open(st, path);
}

/*
 * In an object store: 1 when blob d is there with size bytes (any size
 * when size is -1), 0 when it is not, or an error.
 */
static int
object_present(
    struct drydock_store *st, const struct drydock_digest *d, int64_t size)
{
	uint64_t got;
	int error;

	if ((error = drydock_store_blob_stat(st, d, &got, NULL)) ==
	    DRYDOCK_ENOTFOUND) {
		drydock_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	return size < 0 || got == (uint64_t)size;
}

/* The file was written to after it was hashed. */
static int
changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

/*
 * A blob into an object store, where a written object is served at once:
 * its digest is checked before the upload starts.  A regular file is
 * hashed in place, then uploaded (read twice, from the page cache the
 * second time), and a file written to meanwhile (its ctime moved) is
 * removed again and refused; a pipe is hashed as it is copied into a
 * local temporary file, uploaded from there.  Both cost no temporary
 * object, whose move would be a second copy on the server.
 */
static int
object_blob(int *how_out, struct drydock_blobcopy *bc, struct drydock_store *st,
    int src_fd, const struct drydock_digest *d, int64_t size)
{
	char path[DRYDOCK_DIGEST_STRMAX + 32], ds[DRYDOCK_DIGEST_STRMAX];
	struct stat before, after, sb;
	int fd = -1, error;

	if ((error = drydock_store_blob_path(path, sizeof(path), d)) < 0)
		return error;
	if ((error = object_present(st, d, size)) != 0) {
		if (error > 0)
			drydock_blobcopy_note(bc, how_out,
			    DRYDOCK_BLOBCOPY_PRESENT,
			    size > 0 ? (uint64_t)size : 0);
		return error < 0 ? error : 0;
	}
	if (fstat(src_fd, &before) < 0) {
		drydock_error_set_os("cannot stat the source of '%s'",
		    drydock_digest_format(ds, d));
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_blobcopy_spool(bc, &fd, src_fd, d, size)) < 0)
		return error;
	if (fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		drydock_error_set_os("cannot read the source of '%s'",
		    drydock_digest_format(ds, d));
		error = DRYDOCK_ERROR;
		goto out;
	}
	if ((error = drydock_store_write_fd(
	         st, path, fd, (int64_t)sb.st_size)) < 0)
		goto out;
	if (fd == src_fd &&
	    (fstat(src_fd, &after) < 0 || changed(&before, &after))) {
		(void)drydock_store_unlink(st, path);
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "'%s': the source file changed while it was uploaded; "
		    "the object was removed again",
		    drydock_digest_format(ds, d));
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	drydock_blobcopy_note(
	    bc, how_out, DRYDOCK_BLOBCOPY_COPIED, (uint64_t)sb.st_size);
out:
	if (fd >= 0 && fd != src_fd)
		close(fd);
	return error;
}

int
drydock_regwrite_blob(int *how_out, struct drydock_blobcopy *bc,
    struct drydock_store *st, int src_fd, const struct drydock_digest *d,
    int64_t size)
{
	struct stat sb;
	int dfd, error;

	if (!drydock_store_has_fds(st))
		return object_blob(how_out, bc, st, src_fd, d, size);
	if ((dfd = drydock_regwrite_blob_dir(st, d)) < 0)
		return dfd;
	/* a run killed while copying left its temporary file here */
	if (fstatat(dfd, "data", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		sweep_temps(st, dfd);
	error =
	    drydock_blobcopy_file(bc, how_out, src_fd, dfd, "data", d, size);
	close(dfd);
	return error;
}

int
drydock_regwrite_blob_buffer(int *how_out, struct drydock_blobcopy *bc,
    struct drydock_store *st, const void *buf, size_t len,
    const struct drydock_digest *d)
{
	char e[DRYDOCK_DIGEST_STRMAX], g[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest got;
	struct stat sb;
	int dfd, error;

	if ((error = drydock_digest_buffer(&got, d->alg, buf, len)) < 0)
		return error;
	if (!drydock_digest_equal(&got, d)) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "digest mismatch: expected '%s', got '%s'",
		    drydock_digest_format(e, d),
		    drydock_digest_format(g, &got));
		return DRYDOCK_ECORRUPT;
	}
	if (!drydock_store_has_fds(st)) {
		char path[DRYDOCK_DIGEST_STRMAX + 32];

		if ((error = object_present(st, d, (int64_t)len)) == 0 &&
		    (error = drydock_store_blob_path(path, sizeof(path), d)) ==
		        0 &&
		    (error = drydock_store_write_file(st, path, buf, len)) == 0)
			drydock_blobcopy_note(
			    bc, how_out, DRYDOCK_BLOBCOPY_COPIED, len);
		else if (error > 0)
			drydock_blobcopy_note(
			    bc, how_out, DRYDOCK_BLOBCOPY_PRESENT, len);
		return error < 0 ? error : 0;
	}
	if ((dfd = drydock_regwrite_blob_dir(st, d)) < 0)
		return dfd;
	if (fstatat(dfd, "data", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		sweep_temps(st, dfd);
	error = drydock_blobcopy_buffer(bc, how_out, buf, len, dfd, "data");
	close(dfd);
	return error;
}

/* Remove what a killed run left beside a link it was writing. */
static void
sweep_link_dir(struct drydock_store *st, const char *relpath)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(relpath, '/');
	int fd;

	/* an object store has no temporary files: a PUT is whole */
	if (!drydock_store_has_fds(st) || slash == NULL ||
	    (size_t)(slash - relpath) >= sizeof(dir))
		return;
	memcpy(dir, relpath, (size_t)(slash - relpath));
	dir[slash - relpath] = '\0';
	fd = drydock_store_openat(st, -1, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		sweep_temps(st, fd);
		close(fd);
	}
	drydock_error_clear();
}

int
drydock_regwrite_link(int *written_out, struct drydock_store *st,
    const char *relpath, const struct drydock_digest *d, unsigned flags)
{
	char s[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest cur;
	int error;

	if (written_out != NULL)
		*written_out = 0;
	error = drydock_link_read(&cur, st, -1, relpath);
	if (error == 0 && drydock_digest_equal(&cur, d))
		return 0;
	if (error == DRYDOCK_EUNSAFE ||
	    (error < 0 && error != DRYDOCK_ENOTFOUND &&
	        error != DRYDOCK_ECORRUPT && error != DRYDOCK_EUNSUPPORTED))
		return error;
	drydock_error_clear();
	sweep_link_dir(st, relpath);
	drydock_digest_format(s, d);
	if ((error = drydock_store_write_file_flags(
	         st, relpath, s, strlen(s), flags)) < 0)
		return error;
	if (written_out != NULL)
		*written_out = 1;
	return 0;
}

static int
repo_link(int *written_out, struct drydock_store *st, const char *repo,
    const char *middle, const struct drydock_digest *d, unsigned flags)
{
	char prefix[PATH_MAX], path[PATH_MAX];
	int error, n;

	if ((error = drydock_reference_check_repo(repo)) < 0)
		return error;
	n = snprintf(
	    prefix, sizeof(prefix), "repositories/%s/%s", repo, middle);
	if (n < 0 || (size_t)n >= sizeof(prefix)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "repository name '%.64s...' too long", repo);
		return DRYDOCK_ERROR;
	}
	if ((error = digest_dir(path, sizeof(path), prefix, d, "/link")) < 0)
		return error;
	return drydock_regwrite_link(written_out, st, path, d, flags);
}

int
drydock_regwrite_layer_link(int *written_out, struct drydock_store *st,
    const char *repo, const struct drydock_digest *d, unsigned flags)
{
	return repo_link(written_out, st, repo, "_layers/", d, flags);
}

int
drydock_regwrite_revision(int *written_out, struct drydock_store *st,
    const char *repo, const struct drydock_digest *d, unsigned flags)
{
	return repo_link(
	    written_out, st, repo, "_manifests/revisions/", d, flags);
}

int
drydock_regwrite_tag(int *written_out, struct drydock_store *st,
    const char *repo, const char *tag, const struct drydock_digest *d,
    unsigned flags)
{
	char middle[DRYDOCK_REFERENCE_TAG_MAX + 64], path[PATH_MAX];
	int error, w1 = 0, w2 = 0, n;

	if ((error = drydock_reference_check_tag(tag)) < 0)
		return error;
	snprintf(middle, sizeof(middle), "_manifests/tags/%s/index/", tag);
	if ((error = repo_link(&w1, st, repo, middle, d, flags)) < 0)
		return error;
	n = snprintf(path, sizeof(path),
	    "repositories/%s/_manifests/tags/%s/current/link", repo, tag);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "repository name '%.64s...' too long", repo);
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_regwrite_link(&w2, st, path, d, flags)) < 0)
		return error;
	if (written_out != NULL)
		*written_out = w1 || w2;
	return 0;
}
