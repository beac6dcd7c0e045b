/* SPDX-License-Identifier: MIT */
/*
 * dest.c --- where images go: a registry root (blob data, then _layers and
 * revision links, then tags), an OCI layout (blobs, then index.json) or an
 * archive (a tar streamed to a temporary file renamed into place, or to
 * "-", a FIFO or a device as it is).  Metadata is queued while blobs are
 * placed and written by mig_dest_finish(), after the blobs it names are
 * durable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate.h"

#define LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}"

/*
 * lib/outfile decides how: a regular file is written beside and renamed
 * into place (synced first); "-", a FIFO or a character device is
 * written as it is, streaming; a symlink is written through.  main.c has
 * refused the rest already.
 */
static int
archive_start(struct mig_dest *dst, const char *path, int compression)
{
	int error;

	if ((error = drydock_outfile_open_ext(
	         &dst->out, path, DRYDOCK_OUTFILE_SYNC)) < 0)
		return error;
	dst->to_stdout = dst->out.f == stdout;
	if ((error = drydock_archive_writer_open(
	         &dst->aw, fileno(dst->out.f), compression)) < 0)
		return error;
	return drydock_digestmap_new(&dst->written, 256);
}

/*
 * A registry destination is created when missing, but never inside a
 * directory that holds something else (a mistyped path: /home, /srv).
 */
static int
foreign_dir(const char *path)
{
	struct dirent *de;
	DIR *d;
	int other = 0, has_docker = 0;

	if ((d = opendir(path)) == NULL)
		return 0; /* missing: created; unreadable: open says why */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "docker") == 0)
			has_docker = 1;
		else
			other = 1;
	}
	closedir(d);
	return other && !has_docker;
}

/*
 * A registry in a bucket: no directory to look into first (a prefix with
 * other keys is the bucket's business), the lock object taken; blobs of
 * a registry source on the same endpoint, readable with the same
 * credentials, are copied on the server unless --link copy asks for
 * every byte through here, hashed.
 */
static int
registry_open_s3(
    struct mig_dest *dst, const struct mig_loc *loc, struct mig_run *run)
{
	const struct mig_loc *sl = &run->o->src;
	int error;

	if ((error = mig_store_open(&dst->st, loc, DRYDOCK_STORE_CREATE, run)) <
	        0 ||
	    (error = drydock_store_lock(dst->st)) < 0)
		return error;
	if (run->src.st != NULL && sl->cfg != NULL &&
	    run->o->link_mode != DRYDOCK_BLOBCOPY_COPY &&
	    mig_same_s3(sl->cfg, loc->cfg)) {
		dst->copy_from = run->src.st;
		dst->copy_bucket = sl->cfg->s3.bucket;
	}
	return 0;
}

int
mig_dest_open(
    struct mig_dest *dst, const struct mig_loc *loc, struct mig_run *run)
{
	int error;

	memset(dst, 0, sizeof(*dst));
	dst->type = loc->type;
	dst->path = loc->path;
	dst->stage_fd = -1;
	pthread_mutex_init(&dst->lock, NULL);
	switch (loc->type) {
	case MIG_LOC_DOCKER:
#ifdef DRYDOCK_TEST_HOOKS
		if (getenv("DRYDOCK_TEST_CHUNK") != NULL)
			dst->chunk =
			    strtoull(getenv("DRYDOCK_TEST_CHUNK"), NULL, 10);
#endif
		if ((error = drydock_digestmap_new(&dst->pushed, 1024)) < 0 ||
		    (error = drydock_digestmap_new(&dst->home, 1024)) < 0)
			return error;
		return mig_remote_open(&dst->rem, run, loc, 1);
	case MIG_LOC_REGISTRY:
		if (loc->cfg != NULL)
			return registry_open_s3(dst, loc, run);
		if (foreign_dir(loc->path)) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "'%s' is not empty and holds no registry storage "
			    "(docker/registry/v2); refusing to write into it",
			    loc->path);
			return DRYDOCK_EEXISTS;
		}
		if ((error = drydock_store_open(
		         &dst->st, loc->path, DRYDOCK_STORE_CREATE)) < 0)
			return error;
		return drydock_store_lock(dst->st);
	case MIG_LOC_OCI:
		if ((error = drydock_ocilayout_open(
		         &dst->lay, loc->path, DRYDOCK_OCILAYOUT_CREATE)) < 0)
			return error;
		if ((error = drydock_ocilayout_lock(dst->lay)) < 0)
			return error;
		if ((error = drydock_ocilayout_blob_dir(
		         dst->lay, DRYDOCK_DIGEST_SHA256, 1)) < 0)
			return error;
		/* leftovers of a killed run: never ours to keep */
		(void)drydock_blobcopy_sweep_temps_locked(error);
		(void)drydock_blobcopy_sweep_temps_locked(
		    drydock_ocilayout_dirfd(dst->lay));
		return 0;
	case MIG_LOC_OCI_ARCHIVE:
		if ((error = archive_start(dst, loc->path,
		         drydock_archive_compression_for(loc->path))) < 0)
			return error;
		if ((error = drydock_archive_writer_file(dst->aw, "oci-layout",
		         LAYOUT_CONTENT, strlen(LAYOUT_CONTENT))) < 0 ||
		    (error = drydock_archive_writer_dir(dst->aw, "blobs")) < 0)
			return error;
		return drydock_archive_writer_dir(dst->aw, "blobs/sha256");
	case MIG_LOC_DOCKER_ARCHIVE:
		return archive_start(
		    dst, loc->path, drydock_archive_compression_for(loc->path));
	default:
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "cannot write to '%s' here", loc->spec);
		return DRYDOCK_ERROR;
	}
}

/* The staging directory and what a failed run left in it. */
static void
stage_remove(struct mig_dest *dst)
{
	if (dst->stage_fd >= 0) {
		(void)drydock_blobcopy_sweep_temps_locked(dst->stage_fd);
		close(dst->stage_fd);
		dst->stage_fd = -1;
	}
	if (dst->stage_path != NULL && rmdir(dst->stage_path) < 0 &&
	    errno != ENOENT)
		fprintf(stderr, "%s: cannot remove '%s': %s\n", MIG_NAME,
		    dst->stage_path, strerror(errno));
	free(dst->stage_path);
	dst->stage_path = NULL;
}

int
mig_dest_stage_dir(struct mig_dest *dst)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	pthread_mutex_lock(&dst->lock);
	if ((fd = dst->stage_fd) >= 0)
		goto out;
	if (asprintf(&dst->stage_path, "%s/drydock-migrate.XXXXXX",
	        tmp != NULL && tmp[0] != '\0' ? tmp : "/var/tmp") < 0) {
		dst->stage_path = NULL;
		fd = mig_oom();
		goto out;
	}
	if (mkdtemp(dst->stage_path) == NULL ||
	    (fd = open(dst->stage_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	        0) {
		drydock_error_set_os(
		    "cannot make a staging directory '%s'", dst->stage_path);
		free(dst->stage_path);
		dst->stage_path = NULL;
		fd = DRYDOCK_ERROR;
		goto out;
	}
	dst->stage_fd = fd;
out:
	pthread_mutex_unlock(&dst->lock);
	return fd;
}

void
mig_dest_release(struct mig_dest *dst)
{
	size_t i;

	for (i = 0; i < dst->npend; i++) {
		free(dst->pend[i].repo);
		free(dst->pend[i].tag);
		free(dst->pend[i].media_type);
	}
	free(dst->pend);
	dst->pend = NULL;
	dst->npend = dst->cappend = 0;
	drydock_archive_writer_free(dst->aw);
	dst->aw = NULL;
	drydock_outfile_abort(&dst->out); /* still open: the run failed */
	drydock_digestmap_free(dst->written);
	dst->written = NULL;
	stage_remove(dst);
	drydock_store_close(dst->st);
	dst->st = NULL;
	drydock_ocilayout_close(dst->lay);
	dst->lay = NULL;
	mig_remote_free(dst->rem);
	dst->rem = NULL;
	drydock_digestmap_free(dst->pushed);
	drydock_digestmap_free(dst->home);
	dst->pushed = dst->home = NULL;
	for (i = 0; i < dst->nhomes; i++)
		free(dst->homes[i]);
	free(dst->homes);
	dst->homes = NULL;
	dst->nhomes = dst->caphomes = 0;
}

/* --- blobs ------------------------------------------------------------- */

const char *
mig_dest_repo(struct mig_run *run, const char *repo)
{
	const struct mig_dref *ref;

	if (run->dst.rem == NULL)
		return repo;
	ref = mig_remote_ref(run->dst.rem);
	return ref->repo[0] != '\0' ? ref->repo : repo;
}

int
mig_dest_pushed(
    struct mig_run *run, const char *repo, const struct drydock_digest *d)
{
	struct drydock_digest key;
	int has;

	mig_repo_key(&key, mig_dest_repo(run, repo), d);
	pthread_mutex_lock(&run->dst.lock);
	has = drydock_digestmap_get(run->dst.pushed, &key, NULL);
	pthread_mutex_unlock(&run->dst.lock);
	return has;
}

/* The registry holds d in drepo now: a mount source for other repos. */
static int
note_pushed(
    struct mig_dest *dst, const char *drepo, const struct drydock_digest *d)
{
	struct drydock_digest key;
	size_t i;
	int error = 0;

	mig_repo_key(&key, drepo, d);
	pthread_mutex_lock(&dst->lock);
	if (drydock_digestmap_put(dst->pushed, &key, 0) < 0) {
		error = mig_oom();
		goto out;
	}
	if (drydock_digestmap_get(dst->home, d, NULL))
		goto out;
	for (i = 0; i < dst->nhomes && strcmp(dst->homes[i], drepo) != 0; i++)
		;
	if (i == dst->nhomes) {
		if (fe_grow((void **)&dst->homes, &dst->caphomes,
		        dst->nhomes + 1, sizeof(*dst->homes)) < 0 ||
		    (dst->homes[i] = mig_strdup(drepo)) == NULL) {
			error = mig_oom();
			goto out;
		}
		dst->nhomes++;
	}
	if (drydock_digestmap_put(dst->home, d, (uint32_t)i) < 0)
		error = mig_oom();
out:
	pthread_mutex_unlock(&dst->lock);
	return error;
}

int
mig_dest_push_blob(struct mig_run *run, int *how_out, const char *repo,
    const struct drydock_digest *d, int64_t size, mig_open_cb open_cb,
    void *ctx)
{
	struct mig_dest *dst = &run->dst;
	const char *drepo = mig_dest_repo(run, repo);
	char *from = NULL;
	uint32_t i;
	int error;

	*how_out = MIG_PUSH_PRESENT;
	if (mig_dest_pushed(run, repo, d))
		return 0;
	pthread_mutex_lock(&dst->lock);
	if (drydock_digestmap_get(dst->home, d, &i) &&
	    (from = mig_strdup(dst->homes[i])) == NULL) {
		pthread_mutex_unlock(&dst->lock);
		return mig_oom();
	}
	pthread_mutex_unlock(&dst->lock);
	/* HEAD first: a rerun, or a blob the registry had */
	if ((error = mig_remote_blob_exists(dst->rem, drepo, d, size)) != 0) {
		free(from);
		if (error < 0)
			return error;
		return note_pushed(dst, drepo, d);
	}
	error = mig_remote_push_blob(
	    dst->rem, how_out, drepo, d, size, from, dst->chunk, open_cb, ctx);
	free(from);
	if (error < 0)
		return error;
	pthread_mutex_lock(&dst->lock);
	if (*how_out == MIG_PUSH_MOUNTED) {
		dst->mounted++;
	} else {
		dst->uploaded++;
		dst->uploaded_bytes += size > 0 ? (uint64_t)size : 0;
	}
	pthread_mutex_unlock(&dst->lock);
	return note_pushed(dst, drepo, d);
}

int
mig_dest_put_manifest(struct mig_run *run, int *how_out, const char *repo,
    const char *tag, const char *media_type, const char *buf, size_t len,
    const struct drydock_digest *d)
{
	const struct mig_dref *ref;
	int error;

	if (run->dst.type != MIG_LOC_DOCKER)
		return mig_dest_put_buffer(run, how_out, buf, len, d);
	ref = mig_remote_ref(run->dst.rem);
	if (tag != NULL && ref->tag != NULL)
		tag = ref->tag;
	*how_out = DRYDOCK_BLOBCOPY_COPIED;
	error = mig_remote_push_manifest(run->dst.rem, mig_dest_repo(run, repo),
	    tag, media_type, buf, len, d);
	if (error < 0)
		return error;
	pthread_mutex_lock(&run->dst.lock);
	run->dst.manifests++;
	pthread_mutex_unlock(&run->dst.lock);
	if (tag == NULL)
		error = note_pushed(&run->dst, mig_dest_repo(run, repo), d);
	return error;
}

int
mig_dest_blob_dir(struct mig_dest *dst, const struct drydock_digest *d,
    char *name, int *owned)
{
	if (dst->type == MIG_LOC_REGISTRY && !drydock_store_has_fds(dst->st)) {
		drydock_digest_hex(name, d);
		*owned = 0;
		return mig_dest_stage_dir(dst);
	}
	if (dst->type == MIG_LOC_REGISTRY) {
		snprintf(name, 8, "data");
		*owned = 1;
		return drydock_regwrite_blob_dir(dst->st, d);
	}
	drydock_digest_hex(name, d);
	*owned = 0;
	return drydock_ocilayout_blob_dir(dst->lay, d->alg, 1);
}

/*
 * An archive's entry blobs/<alg>/<hex> for d: 0 and its name, or 1 when
 * the archive holds it already.
 */
static int
archive_entry(struct mig_dest *dst, int *how_out, char *name, size_t sz,
    const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX];

	if (drydock_digestmap_get(dst->written, d, NULL)) {
		*how_out = DRYDOCK_BLOBCOPY_PRESENT;
		return 1;
	}
	snprintf(name, sz, "blobs/%s/%s", drydock_digest_alg_name(d->alg),
	    drydock_digest_hex(hex, d));
	return 0;
}

/* An entry of size bytes written into the archive as blob d. */
static int
archive_wrote(struct mig_dest *dst, int *how_out,
    const struct drydock_digest *d, uint64_t size)
{
	*how_out = DRYDOCK_BLOBCOPY_COPIED;
	dst->archived++;
	dst->archived_bytes += size;
	return drydock_digestmap_put(dst->written, d, 0) < 0 ? mig_oom() : 0;
}

static int
archive_cb(const void *buf, size_t len, void *payload)
{
	return drydock_archive_writer_data(payload, buf, len);
}

void
mig_dest_blob_abandon(struct mig_run *run, const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX], path[DRYDOCK_DIGEST_STRMAX + 32];
	struct drydock_error saved = *drydock_error_last();

	if (run->dst.type != MIG_LOC_REGISTRY ||
	    !drydock_store_has_fds(run->dst.st))
		return; /* an object store has no directories */
	/* leave no empty blob directory behind */
	drydock_digest_hex(hex, d);
	snprintf(path, sizeof(path), "blobs/%s/%.2s/%s",
	    drydock_digest_alg_name(d->alg), hex, hex);
	(void)drydock_store_rmdir(run->dst.st, path);
	drydock_error_restore(&saved);
}

int
mig_dest_blob_staged(struct mig_run *run, int dfd, const char *name,
    const struct drydock_digest *d)
{
	struct mig_dest *dst = &run->dst;
	struct drydock_blobcopy *bc = NULL;
	int fd, error;

	if (dfd < 0 || dfd != dst->stage_fd)
		return 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		drydock_error_set_os("cannot open the staged blob '%s'", name);
		return DRYDOCK_ERROR;
	}
	/* a copier of its own: the sink counted this blob already */
	if ((error = drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0)) ==
	    0) {
		drydock_blobcopy_set_cancel(bc, &mig_stop);
		error = drydock_regwrite_blob(NULL, bc, dst->st, fd, d, -1);
	}
	drydock_blobcopy_free(bc);
	close(fd);
	(void)unlinkat(dfd, name, 0);
	return error;
}

/* Both NULL, or the same string. */
static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int
mig_same_s3(
    const struct drydock_regconfig *a, const struct drydock_regconfig *b)
{
	const struct drydock_regconfig_s3 *x = &a->s3, *y = &b->s3;

	return a->driver == DRYDOCK_REGCONFIG_S3 &&
	    b->driver == DRYDOCK_REGCONFIG_S3 &&
	    same_str(x->regionendpoint, y->regionendpoint) &&
	    same_str(x->region, y->region) &&
	    same_str(x->accesskey, y->accesskey) &&
	    same_str(x->secretkey, y->secretkey) &&
	    same_str(x->sessiontoken, y->sessiontoken) &&
	    x->secure == y->secure;
}

/* CopyObject takes 5 GiB at most; lib/s3 copies larger through here. */
#define SERVER_COPY_MAX (INT64_C(5) << 30)

int
mig_dest_server_copy(struct mig_run *run, int *how_out,
    const struct drydock_digest *d, int64_t size)
{
	struct mig_dest *dst = &run->dst;
	char path[DRYDOCK_DIGEST_STRMAX + 32], ds[DRYDOCK_DIGEST_STRMAX];
	char skey[1024], dkey[1024];
	uint64_t got;
	int error;

	if (dst->copy_from == NULL)
		return 0;
	if (mig_dest_has_blob(run, d, size)) {
		drydock_blobcopy_note(run->bc, how_out,
		    DRYDOCK_BLOBCOPY_PRESENT, size > 0 ? (uint64_t)size : 0);
		return 1;
	}
	if ((error = drydock_store_blob_stat(dst->copy_from, d, &got, NULL)) <
	    0)
		return error;
	if (size >= 0 && got != (uint64_t)size) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: size mismatch: expected %lld bytes, the source has "
		    "%llu",
		    drydock_digest_format(ds, d), (long long)size,
		    (unsigned long long)got);
		return DRYDOCK_ECORRUPT;
	}
	if (got > (uint64_t)SERVER_COPY_MAX)
		return 0; /* through here, hashed, rather than unhashed */
	if ((error = drydock_store_blob_path(path, sizeof(path), d)) < 0 ||
	    (error = drydock_store_s3_key(
	         skey, sizeof(skey), dst->copy_from, path)) < 0 ||
	    (error = drydock_store_s3_key(dkey, sizeof(dkey), dst->st, path)) <
	        0)
		return error;
	error = drydock_s3_copy_from(drydock_store_s3(dst->st),
	    dst->copy_bucket, skey, dkey, (int64_t)got);
	if (error == DRYDOCK_EUNSUPPORTED) {
		drydock_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	drydock_blobcopy_note(
	    run->bc, how_out, DRYDOCK_BLOBCOPY_SERVER_COPIED, got);
	return 1;
}

int
mig_dest_has_blob(
    struct mig_run *run, const struct drydock_digest *d, int64_t size)
{
	struct mig_dest *dst = &run->dst;
	uint64_t got;
	int error;

	switch (dst->type) {
	case MIG_LOC_REGISTRY:
		error = drydock_store_blob_stat(dst->st, d, &got, NULL);
		break;
	case MIG_LOC_OCI:
		error = drydock_ocilayout_blob_stat(dst->lay, d, &got);
		break;
	case MIG_LOC_DOCKER:
		return 0; /* known by repository: mig_dest_pushed() */
	default:
		return drydock_digestmap_get(dst->written, d, NULL);
	}
	drydock_error_clear();
	return error == 0 && (size < 0 || got == (uint64_t)size);
}

int
mig_dest_put_blob(struct mig_run *run, int *how_out, int src_fd,
    const struct drydock_digest *d, int64_t size)
{
	struct mig_dest *dst = &run->dst;
	char name[DRYDOCK_DIGEST_STRMAX + 16];
	struct stat sb;
	int dfd, owned, error;

	switch (dst->type) {
	case MIG_LOC_REGISTRY:
		return drydock_regwrite_blob(
		    how_out, run->bc, dst->st, src_fd, d, size);
	case MIG_LOC_OCI:
		if ((dfd = mig_dest_blob_dir(dst, d, name, &owned)) < 0)
			return dfd;
		return drydock_blobcopy_file(
		    run->bc, how_out, src_fd, dfd, name, d, size);
	default:
		break;
	}
	/* an archive: the entry's size must be known before its bytes */
	if (archive_entry(dst, how_out, name, sizeof(name), d))
		return 0;
	if (fstat(src_fd, &sb) < 0) {
		drydock_error_set_os("cannot stat a blob");
		return DRYDOCK_ERROR;
	}
	if (!S_ISREG(sb.st_mode)) {
		/* a stream (from S3): its descriptor's size, checked after */
		if (size < 0) {
			char ds[DRYDOCK_DIGEST_STRMAX];

			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "%s: a streamed blob of unknown size cannot go "
			    "into an archive",
			    drydock_digest_format(ds, d));
			return DRYDOCK_EUNSUPPORTED;
		}
		sb.st_size = (off_t)size;
	}
	if (size >= 0 && (uint64_t)sb.st_size != (uint64_t)size) {
		char ds[DRYDOCK_DIGEST_STRMAX];

		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "%s: size mismatch: expected %lld bytes, got %lld",
		    drydock_digest_format(ds, d), (long long)size,
		    (long long)sb.st_size);
		return DRYDOCK_ECORRUPT;
	}
	if ((error = drydock_archive_writer_begin(
	         dst->aw, name, (int64_t)sb.st_size)) < 0)
		return error;
	/*
	 * A digest mismatch here has already sent bytes into the archive:
	 * the run fails and the temporary archive is removed.  A full disk
	 * stops the run too, as an operational error.
	 */
	if ((error = drydock_blobcopy_stream(run->bc, src_fd, d,
	         (int64_t)sb.st_size, archive_cb, dst->aw)) < 0) {
		if (!mig_error_fatal())
			run->failures++;
		return error;
	}
	return archive_wrote(dst, how_out, d, (uint64_t)sb.st_size);
}

int
mig_dest_put_buffer(struct mig_run *run, int *how_out, const char *buf,
    size_t len, const struct drydock_digest *d)
{
	struct mig_dest *dst = &run->dst;
	char name[DRYDOCK_DIGEST_STRMAX + 16];
	int dfd, owned, error;

	switch (dst->type) {
	case MIG_LOC_REGISTRY:
		return drydock_regwrite_blob_buffer(
		    how_out, run->bc, dst->st, buf, len, d);
	case MIG_LOC_OCI:
		if ((dfd = mig_dest_blob_dir(dst, d, name, &owned)) < 0)
			return dfd;
		return drydock_blobcopy_buffer(
		    run->bc, how_out, buf, len, dfd, name);
	default:
		break;
	}
	if (archive_entry(dst, how_out, name, sizeof(name), d))
		return 0;
	if ((error = drydock_archive_writer_file(dst->aw, name, buf, len)) < 0)
		return error;
	return archive_wrote(dst, how_out, d, len);
}

/* --- metadata ------------------------------------------------------------ */

int
mig_dest_queue(struct mig_run *run, int kind, const char *repo, const char *tag,
    const struct drydock_digest *d, const char *media_type, int64_t size)
{
	struct mig_dest *dst = &run->dst;
	struct mig_pending *p;

	if (dst->type == MIG_LOC_DOCKER) /* pushed as it went */
		return 0;
	if (dst->type != MIG_LOC_REGISTRY &&
	    (kind == MIG_PEND_LAYER || kind == MIG_PEND_REVISION))
		return 0;
	if (fe_grow((void **)&dst->pend, &dst->cappend, dst->npend + 1,
	        sizeof(*dst->pend)) < 0)
		return mig_oom();
	p = &dst->pend[dst->npend];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->digest = *d;
	p->size = size;
	if ((p->repo = mig_strdup(repo)) == NULL ||
	    (tag != NULL && (p->tag = mig_strdup(tag)) == NULL) ||
	    (media_type != NULL &&
	        (p->media_type = mig_strdup(media_type)) == NULL)) {
		free(p->repo);
		free(p->tag);
		return mig_oom();
	}
	dst->npend++;
	return 0;
}

static int
registry_finish(struct mig_run *run)
{
	struct mig_dest *dst = &run->dst;
	const unsigned fl = DRYDOCK_STORE_WRITE_NOSYNC;
	size_t i;
	int error, pass;

	/* blobs, then links, then tags: each batch durable before the next */
	if ((error = drydock_store_sync(dst->st)) < 0)
		return error;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < dst->npend; i++) {
			struct mig_pending *p = &dst->pend[i];

			if (mig_stop)
				return DRYDOCK_EINTR;
			if (pass == 0 && p->kind == MIG_PEND_LAYER)
				error = drydock_regwrite_layer_link(
				    NULL, dst->st, p->repo, &p->digest, fl);
			else if (pass == 0 && p->kind == MIG_PEND_REVISION)
				error = drydock_regwrite_revision(
				    NULL, dst->st, p->repo, &p->digest, fl);
			else if (pass == 1 && p->kind == MIG_PEND_ROOT &&
			    p->tag != NULL)
				error = drydock_regwrite_tag(NULL, dst->st,
				    p->repo, p->tag, &p->digest, fl);
			else
				continue;
			if (error < 0)
				return error;
		}
		if ((error = drydock_store_sync(dst->st)) < 0)
			return error;
	}
	return 0;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * image-spec's grammar for ref.name: components of [A-Za-z0-9]+ joined by
 * one of "-._:@+" or by "--", separated by '/'.  Registry names allow
 * "__" and "---", which it does not.
 */
static int
ref_name_ok(const char *s)
{
	size_t i = 0, n = strlen(s);

	while (i < n) {
		if (!is_alnum(s[i]))
			return 0;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
			i += 2;
		else if (strchr("-._:@+/", s[i]) != NULL)
			i++;
		else
			return 0;
	}
	return 0;
}

static int
layout_put_roots(struct mig_run *run, struct drydock_ocilayout_index *idx)
{
	struct mig_dest *dst = &run->dst;
	char name[PATH_MAX + DRYDOCK_DIGEST_STRMAX];
	char ds[DRYDOCK_DIGEST_STRMAX];
	const char *ann[5];
	size_t i;
	int error;

	for (i = 0; i < dst->npend; i++) {
		struct mig_pending *p = &dst->pend[i];

		if (p->kind != MIG_PEND_ROOT)
			continue;
		if (p->tag != NULL) {
			snprintf(name, sizeof(name), "%s:%s", p->repo, p->tag);
			ann[0] = DRYDOCK_OCI_REF_NAME;
			ann[1] = name;
			ann[2] = DRYDOCK_OCI_IMAGE_NAME;
			ann[3] = name;
			ann[4] = NULL;
			if (!ref_name_ok(name))
				mig_problem(run,
				    "'%s' is not a valid OCI ref.name (the "
				    "annotation grammar has no '__' or '---'): "
				    "drydock reads it back, skopeo cannot name "
				    "it",
				    name);
		} else {
			snprintf(name, sizeof(name), "%s@%s", p->repo,
			    drydock_digest_format(ds, &p->digest));
			ann[0] = DRYDOCK_OCI_IMAGE_NAME;
			ann[1] = name;
			ann[2] = NULL;
		}
		if ((error = drydock_ocilayout_index_put(
		         idx, p->media_type, &p->digest, p->size, ann)) < 0)
			return error;
	}
	return 0;
}

static int
archive_finish(struct mig_run *run)
{
	struct mig_dest *dst = &run->dst;
	struct drydock_ocilayout_index *idx = NULL;
	char *buf = NULL;
	size_t len;
	int error;

	if (dst->type == MIG_LOC_OCI_ARCHIVE) {
		if ((error = drydock_ocilayout_index_new(&idx)) < 0)
			return error;
		if ((error = layout_put_roots(run, idx)) == 0)
			error = drydock_ocilayout_index_format(&buf, &len, idx);
		drydock_ocilayout_index_free(idx);
		if (error == 0)
			error = drydock_archive_writer_file(
			    dst->aw, "index.json", buf, len);
		free(buf);
		if (error < 0)
			return error;
	}
	if ((error = drydock_archive_writer_close(dst->aw)) < 0)
		return error;
	return drydock_outfile_commit(&dst->out);
}

int
mig_dest_finish(struct mig_run *run)
{
	struct mig_dest *dst = &run->dst;
	int error;

	switch (dst->type) {
	case MIG_LOC_DOCKER:
		error = 0; /* every manifest and tag was pushed in order */
		break;
	case MIG_LOC_REGISTRY:
		error = registry_finish(run);
		break;
	case MIG_LOC_OCI:
		if ((error = layout_put_roots(
		         run, drydock_ocilayout_index(dst->lay))) == 0)
			error = drydock_ocilayout_write_index(dst->lay);
		break;
	default:
		error = archive_finish(run);
		break;
	}
	dst->finished = error == 0;
	return error;
}
