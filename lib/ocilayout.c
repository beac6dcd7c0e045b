/* SPDX-License-Identifier: MIT */
/*
 * ocilayout.c --- OCI image layouts: oci-layout, index.json and blobs,
 * read and written without following any symlink below the layout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <drydock/errors.h>
#include <drydock/ocilayout.h>

#define OCI_INDEX_MT "application/vnd.oci.image.index.v1+json"
#define LAYOUT_FILE "oci-layout"
#define INDEX_FILE "index.json"
#define LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}"

struct drydock_ocilayout_index {
	json_t *root; /* the whole document */
	json_t *manifests; /* borrowed from root */
};

struct drydock_ocilayout {
	char *path;
	int dirfd;
	unsigned flags;
	int blobsfd; /* blobs/, -1 until needed */
	int algfd[3]; /* blobs/<alg>, by enum drydock_digest_alg */
	struct drydock_ocilayout_index *index;
};

/* --- index.json ---------------------------------------------------------- */

static int
json_error(const char *what, const json_error_t *je)
{
	drydock_error_set(DRYDOCK_ERRCLASS_JSON, "%s: %s (line %d, column %d)",
	    what, je->text, je->line, je->column);
	return DRYDOCK_ECORRUPT;
}

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

int
drydock_ocilayout_index_new(struct drydock_ocilayout_index **out)
{
	struct drydock_ocilayout_index *idx;

	*out = NULL;
	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return oom();
	idx->root = json_object();
	idx->manifests = json_array();
	if (idx->root == NULL || idx->manifests == NULL ||
	    json_object_set_new(idx->root, "schemaVersion", json_integer(2)) ||
	    json_object_set_new(
	        idx->root, "mediaType", json_string(OCI_INDEX_MT)) ||
	    json_object_set(idx->root, "manifests", idx->manifests)) {
		json_decref(idx->root);
		json_decref(idx->manifests);
		free(idx);
		return oom();
	}
	json_decref(idx->manifests); /* root holds it */
	*out = idx;
	return 0;
}

/* Check one descriptor of "manifests". */
static int
check_entry(json_t *e, size_t i)
{
	struct drydock_digest d;
	json_t *v;
	const char *s;
	int error;

	if (!json_is_object(e)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu] is not an object", i);
		return DRYDOCK_ECORRUPT;
	}
	v = json_object_get(e, "digest");
	if ((s = json_string_value(v)) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu] has no digest", i);
		return DRYDOCK_ECORRUPT;
	}
	if ((error = drydock_digest_parse(&d, s, json_string_length(v))) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu]: bad digest '%s'", i, s);
		return DRYDOCK_ECORRUPT;
	}
	v = json_object_get(e, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu] has no valid size", i);
		return DRYDOCK_ECORRUPT;
	}
	v = json_object_get(e, "mediaType");
	if (v != NULL && !json_is_string(v)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu].mediaType is not a string", i);
		return DRYDOCK_ECORRUPT;
	}
	v = json_object_get(e, "annotations");
	if (v != NULL && !json_is_object(v)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests[%zu].annotations is not an object",
		    i);
		return DRYDOCK_ECORRUPT;
	}
	return 0;
}

int
drydock_ocilayout_index_parse(
    struct drydock_ocilayout_index **out, const char *buf, size_t len)
{
	struct drydock_ocilayout_index *idx = NULL;
	json_error_t je;
	json_t *root, *v;
	size_t i;
	int error;

	*out = NULL;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return json_error("index.json", &je);
	if (!json_is_object(root)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json is not a JSON object");
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	v = json_object_get(root, "schemaVersion");
	if (!json_is_integer(v) || json_integer_value(v) != 2) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: schemaVersion is not 2");
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	v = json_object_get(root, "manifests");
	if (v == NULL || json_is_null(v)) {
		v = json_array();
		if (v == NULL || json_object_set_new(root, "manifests", v)) {
			error = oom();
			goto out;
		}
	}
	if (!json_is_array(v)) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "index.json: manifests is not an array");
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++)
		if ((error = check_entry(json_array_get(v, i), i)) < 0)
			goto out;
	if ((idx = calloc(1, sizeof(*idx))) == NULL) {
		error = oom();
		goto out;
	}
	idx->root = root;
	idx->manifests = v;
	root = NULL;
	*out = idx;
	error = 0;
out:
	json_decref(root);
	return error;
}

void
drydock_ocilayout_index_free(struct drydock_ocilayout_index *idx)
{
	if (idx == NULL)
		return;
	json_decref(idx->root);
	free(idx);
}

size_t
drydock_ocilayout_index_count(const struct drydock_ocilayout_index *idx)
{
	return json_array_size(idx->manifests);
}

static const char *
annotation(json_t *e, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(e, "annotations"), key));
}

int
drydock_ocilayout_index_entry(struct drydock_ocilayout_entry *out,
    const struct drydock_ocilayout_index *idx, size_t i)
{
	json_t *e = json_array_get(idx->manifests, i), *v;

	memset(out, 0, sizeof(*out));
	if (e == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "index.json has no entry %zu", i);
		return DRYDOCK_ENOTFOUND;
	}
	v = json_object_get(e, "digest");
	if (drydock_digest_parse(
	        &out->digest, json_string_value(v), json_string_length(v)) < 0)
		return DRYDOCK_ECORRUPT; /* checked at parse: cannot happen */
	out->size = (int64_t)json_integer_value(json_object_get(e, "size"));
	out->media_type = json_string_value(json_object_get(e, "mediaType"));
	out->ref_name = annotation(e, DRYDOCK_OCI_REF_NAME);
	out->image_name = annotation(e, DRYDOCK_OCI_IMAGE_NAME);
	return 0;
}

static const char *
find_annotation(const char *const *annotations, const char *key)
{
	size_t i;

	for (i = 0; annotations != NULL && annotations[i] != NULL; i += 2)
		if (strcmp(annotations[i], key) == 0)
			return annotations[i + 1];
	return NULL;
}

/* The entry that a new one named so supersedes, or -1. */
static long
superseded(const struct drydock_ocilayout_index *idx, const char *ref,
    const char *image, const char *digest)
{
	size_t i, n = json_array_size(idx->manifests);
	json_t *e;
	const char *r, *m;

	for (i = 0; i < n; i++) {
		e = json_array_get(idx->manifests, i);
		r = annotation(e, DRYDOCK_OCI_REF_NAME);
		m = annotation(e, DRYDOCK_OCI_IMAGE_NAME);
		if (ref != NULL) {
			if (r != NULL && strcmp(r, ref) == 0)
				return (long)i;
		} else if (image != NULL) {
			if (r == NULL && m != NULL && strcmp(m, image) == 0)
				return (long)i;
		} else if (r == NULL && m == NULL &&
		    json_object_get(e, "annotations") == NULL &&
		    strcmp(json_string_value(json_object_get(e, "digest")),
		        digest) == 0) {
			return (long)i;
		}
	}
	return -1;
}

int
drydock_ocilayout_index_put(struct drydock_ocilayout_index *idx,
    const char *media_type, const struct drydock_digest *d, int64_t size,
    const char *const *annotations)
{
	char dstr[DRYDOCK_DIGEST_STRMAX];
	json_t *e = NULL, *ann = NULL;
	long at;
	size_t i;

	drydock_digest_format(dstr, d);
	if ((e = json_object()) == NULL)
		return oom();
	if ((media_type != NULL &&
	        json_object_set_new(e, "mediaType", json_string(media_type))) ||
	    json_object_set_new(e, "digest", json_string(dstr)) ||
	    json_object_set_new(e, "size", json_integer((json_int_t)size)))
		goto nomem;
	if (annotations != NULL && annotations[0] != NULL) {
		if ((ann = json_object()) == NULL ||
		    json_object_set_new(e, "annotations", ann))
			goto nomem;
		for (i = 0; annotations[i] != NULL; i += 2)
			if (annotations[i + 1] == NULL ||
			    json_object_set_new(ann, annotations[i],
			        json_string(annotations[i + 1])))
				goto nomem;
	}
	at = superseded(idx, find_annotation(annotations, DRYDOCK_OCI_REF_NAME),
	    find_annotation(annotations, DRYDOCK_OCI_IMAGE_NAME), dstr);
	if (at >= 0) {
		if (json_array_set_new(idx->manifests, (size_t)at, e))
			return oom();
	} else if (json_array_append_new(idx->manifests, e)) {
		return oom();
	}
	return 0;
nomem:
	json_decref(e);
	return oom();
}

int
drydock_ocilayout_index_remove(struct drydock_ocilayout_index *idx, size_t i)
{
	if (i >= json_array_size(idx->manifests)) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "index.json has no entry %zu", i);
		return DRYDOCK_ENOTFOUND;
	}
	return json_array_remove(idx->manifests, i) ? oom() : 0;
}

int
drydock_ocilayout_index_format(
    char **buf_out, size_t *len_out, const struct drydock_ocilayout_index *idx)
{
	char *s;

	*buf_out = NULL;
	*len_out = 0;
	if ((s = json_dumps(idx->root, JSON_COMPACT)) == NULL)
		return oom();
	*buf_out = s;
	*len_out = strlen(s);
	return 0;
}

/* --- files in the layout -------------------------------------------------- */

static int
open_error(const char *what, const char *path)
{
	if (errno == ELOOP || errno == ENOTDIR) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "%s '%s' is a symlink or not a directory; refusing it",
		    what, path);
		return DRYDOCK_EUNSAFE;
	}
	if (errno == ENOENT) {
		drydock_error_set_os("cannot open %s '%s'", what, path);
		return DRYDOCK_ENOTFOUND;
	}
	drydock_error_set_os("cannot open %s '%s'", what, path);
	return DRYDOCK_ERROR;
}

/* Read name (a regular file directly in dirfd) of at most max bytes. */
static int
read_small(
    char **buf_out, size_t *len_out, int dirfd, const char *name, size_t max)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, error = 0;

	*buf_out = NULL;
	*len_out = 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return open_error("file", name);
	if (fstat(fd, &sb) < 0) {
		error = open_error("file", name);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_STORE, "'%s' is not a regular file", name);
		error = DRYDOCK_EUNSAFE;
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is too large (%lld bytes, at most %zu)", name,
		    (long long)sb.st_size, max);
		error = DRYDOCK_ECORRUPT;
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		error = oom();
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			drydock_error_set_os("cannot read '%s'", name);
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*buf_out = buf;
	*len_out = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return error;
}

static uint32_t
random32(void)
{
	static atomic_uint counter;
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
	return r ^ atomic_fetch_add(&counter, 1);
}

/* Write name in dirfd atomically: temp, fsync, rename, fsync dirfd. */
static int
write_atomic(int dirfd, const char *name, const char *buf, size_t len)
{
	char tmp[128];
	size_t off = 0;
	ssize_t n;
	int fd, tries, error = 0;

	for (tries = 0; tries < 16; tries++) {
		snprintf(tmp, sizeof(tmp), ".%s.drydock-%ld-%08x.tmp", name,
		    (long)getpid(), random32());
		fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		drydock_error_set_os(
		    "cannot create a temporary file for '%s'", name);
		return DRYDOCK_ERROR;
	}
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fsync(fd) < 0) {
		drydock_error_set_os("cannot write '%s'", name);
		error = DRYDOCK_ERROR;
	}
	if (close(fd) < 0 && error == 0) {
		drydock_error_set_os("cannot write '%s'", name);
		error = DRYDOCK_ERROR;
	}
	if (error == 0 && renameat(dirfd, tmp, dirfd, name) < 0) {
		drydock_error_set_os(
		    "cannot rename a temporary file to '%s'", name);
		error = DRYDOCK_ERROR;
	}
	if (error < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return error;
	}
	if (fsync(dirfd) < 0) {
		drydock_error_set_os("cannot sync the directory of '%s'", name);
		return DRYDOCK_ERROR;
	}
	return 0;
}

/* mkdir -p path (symlinks in the path are the operator's choice). */
static int
make_path(const char *path)
{
	char *p, *s, c;
	int error = 0;

	if (*path == '\0') {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "empty layout path");
		return DRYDOCK_ERROR;
	}
	if ((p = strdup(path)) == NULL)
		return oom();
	for (s = p + 1; error == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			drydock_error_set_os("cannot create directory '%s'", p);
			error = DRYDOCK_ERROR;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return error;
}

static int
dir_is_empty(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd, empty = 1;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static int
check_layout_file(int dirfd)
{
	json_error_t je;
	json_t *root = NULL;
	const char *v;
	char *buf = NULL;
	size_t len;
	int error;

	if ((error = read_small(&buf, &len, dirfd, LAYOUT_FILE, 65536)) < 0)
		return error;
	if ((root = json_loadb(buf, len, 0, &je)) == NULL) {
		error = json_error(LAYOUT_FILE, &je);
		goto out;
	}
	v = json_string_value(json_object_get(root, "imageLayoutVersion"));
	if (v == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "oci-layout has no imageLayoutVersion");
		error = DRYDOCK_ECORRUPT;
	} else if (strncmp(v, "1.", 2) != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "unsupported OCI layout version '%s'", v);
		error = DRYDOCK_EUNSUPPORTED;
	}
out:
	json_decref(root);
	free(buf);
	return error;
}

static int
create_layout(struct drydock_ocilayout *lay)
{
	int error;

	if (!dir_is_empty(lay->dirfd)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is not empty and not an OCI layout; refusing to "
		    "write into it",
		    lay->path);
		return DRYDOCK_EEXISTS;
	}
	if ((error = write_atomic(lay->dirfd, LAYOUT_FILE, LAYOUT_CONTENT,
	         strlen(LAYOUT_CONTENT))) < 0)
		return error;
	return drydock_ocilayout_index_new(&lay->index);
}

static int
load_index(struct drydock_ocilayout *lay)
{
	char *buf = NULL;
	size_t len;
	int error;

	error = read_small(
	    &buf, &len, lay->dirfd, INDEX_FILE, DRYDOCK_OCILAYOUT_INDEX_MAX);
	if (error == DRYDOCK_ENOTFOUND &&
	    (lay->flags & DRYDOCK_OCILAYOUT_CREATE))
		return drydock_ocilayout_index_new(&lay->index);
	if (error < 0)
		return error;
	error = drydock_ocilayout_index_parse(&lay->index, buf, len);
	free(buf);
	return error;
}

int
drydock_ocilayout_open(
    struct drydock_ocilayout **out, const char *path, unsigned flags)
{
	struct drydock_ocilayout *lay;
	int error;

	*out = NULL;
	if ((flags & DRYDOCK_OCILAYOUT_CREATE) &&
	    (flags & DRYDOCK_OCILAYOUT_RDONLY)) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "drydock_ocilayout_open: CREATE and RDONLY together");
		return DRYDOCK_ERROR;
	}
	if ((lay = calloc(1, sizeof(*lay))) == NULL)
		return oom();
	lay->dirfd = lay->blobsfd = -1;
	lay->algfd[0] = lay->algfd[1] = lay->algfd[2] = -1;
	lay->flags = flags;
	if ((lay->path = strdup(path)) == NULL) {
		error = oom();
		goto fail;
	}
	if ((flags & DRYDOCK_OCILAYOUT_CREATE) && (error = make_path(path)) < 0)
		goto fail;
	lay->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lay->dirfd < 0) {
		error = open_error("layout", path);
		goto fail;
	}
	error = check_layout_file(lay->dirfd);
	if (error == DRYDOCK_ENOTFOUND && (flags & DRYDOCK_OCILAYOUT_CREATE)) {
		drydock_error_clear();
		error = create_layout(lay);
	} else if (error == DRYDOCK_ENOTFOUND) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is not an OCI layout (no oci-layout file)", path);
	} else if (error == 0) {
		error = load_index(lay);
	}
	if (error < 0)
		goto fail;
	*out = lay;
	return 0;
fail:
	drydock_ocilayout_close(lay);
	return error;
}

void
drydock_ocilayout_close(struct drydock_ocilayout *lay)
{
	size_t i;

	if (lay == NULL)
		return;
	for (i = 0; i < 3; i++)
		if (lay->algfd[i] >= 0)
			close(lay->algfd[i]);
	if (lay->blobsfd >= 0)
		close(lay->blobsfd);
	if (lay->dirfd >= 0)
		close(lay->dirfd);
	drydock_ocilayout_index_free(lay->index);
	free(lay->path);
	free(lay);
}

int
drydock_ocilayout_dirfd(const struct drydock_ocilayout *lay)
{
	return lay->dirfd;
}

int
drydock_ocilayout_lock(struct drydock_ocilayout *lay)
{
	if (flock(lay->dirfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "'%s' is locked by another drydock run", lay->path);
		return DRYDOCK_ELOCKED;
	}
	drydock_error_set_os("cannot lock '%s'", lay->path);
	return DRYDOCK_ERROR;
}

struct drydock_ocilayout_index *
drydock_ocilayout_index(struct drydock_ocilayout *lay)
{
	return lay->index;
}

static int
writable(const struct drydock_ocilayout *lay, const char *fn)
{
	if (lay->flags & DRYDOCK_OCILAYOUT_RDONLY) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "%s: '%s' is open read-only", fn, lay->path);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_ocilayout_write_index(struct drydock_ocilayout *lay)
{
	char *buf = NULL;
	size_t len;
	int error;

	if ((error = writable(lay, __func__)) < 0)
		return error;
	if (syncfs(lay->dirfd) < 0) {
		drydock_error_set_os("cannot sync '%s'", lay->path);
		return DRYDOCK_ERROR;
	}
	if ((error = drydock_ocilayout_index_format(&buf, &len, lay->index)) <
	    0)
		return error;
	error = write_atomic(lay->dirfd, INDEX_FILE, buf, len);
	free(buf);
	return error;
}

static int
subdir(int dirfd, const char *name, int create, const char *what)
{
	int fd;

	fd = openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0777) < 0 && errno != EEXIST) {
			drydock_error_set_os("cannot create '%s'", what);
			return DRYDOCK_ERROR;
		}
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return open_error("directory", what);
	return fd;
}

int
drydock_ocilayout_blob_dir(struct drydock_ocilayout *lay, int alg, int create)
{
	const char *name = drydock_digest_alg_name(alg);
	char what[32];
	int fd;

	if (name == NULL || alg < 1 || alg > 2) {
		drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
		    "unsupported digest algorithm %d", alg);
		return DRYDOCK_EUNSUPPORTED;
	}
	if (lay->algfd[alg] >= 0)
		return lay->algfd[alg];
	if (create && writable(lay, __func__) < 0)
		return DRYDOCK_ERROR;
	if (lay->blobsfd < 0) {
		if ((fd = subdir(lay->dirfd, "blobs", create, "blobs")) < 0)
			return fd;
		lay->blobsfd = fd;
	}
	snprintf(what, sizeof(what), "blobs/%s", name);
	if ((fd = subdir(lay->blobsfd, name, create, what)) < 0)
		return fd;
	lay->algfd[alg] = fd;
	return fd;
}

int
drydock_ocilayout_blob_open(
    struct drydock_ocilayout *lay, const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX], ds[DRYDOCK_DIGEST_STRMAX];
	struct stat sb;
	int dfd, fd;

	if ((dfd = drydock_ocilayout_blob_dir(lay, d->alg, 0)) < 0) {
		if (dfd == DRYDOCK_ENOTFOUND)
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "blob '%s' not found",
			    drydock_digest_format(ds, d));
		return dfd;
	}
	drydock_digest_hex(hex, d);
	fd = openat(dfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "blob '%s' not found",
			    drydock_digest_format(ds, d));
			return DRYDOCK_ENOTFOUND;
		}
		return open_error("blob", drydock_digest_format(ds, d));
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "blob '%s' is not a regular file",
		    drydock_digest_format(ds, d));
		return DRYDOCK_EUNSAFE;
	}
	return fd;
}

int
drydock_ocilayout_blob_stat(struct drydock_ocilayout *lay,
    const struct drydock_digest *d, uint64_t *size_out)
{
	char hex[DRYDOCK_DIGEST_STRMAX], ds[DRYDOCK_DIGEST_STRMAX];
	struct stat sb;
	int dfd;

	if ((dfd = drydock_ocilayout_blob_dir(lay, d->alg, 0)) < 0)
		return dfd;
	drydock_digest_hex(hex, d);
	if (fstatat(dfd, hex, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "blob '%s' not found",
			    drydock_digest_format(ds, d));
			return DRYDOCK_ENOTFOUND;
		}
		drydock_error_set_os(
		    "cannot stat blob '%s'", drydock_digest_format(ds, d));
		return DRYDOCK_ERROR;
	}
	if (!S_ISREG(sb.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_STORE,
		    "blob '%s' is not a regular file",
		    drydock_digest_format(ds, d));
		return DRYDOCK_EUNSAFE;
	}
	if (size_out != NULL)
		*size_out = (uint64_t)sb.st_size;
	return 0;
}

int
drydock_ocilayout_blob_read(char **buf_out, size_t *len_out,
    struct drydock_ocilayout *lay, const struct drydock_digest *d, size_t max)
{
	char hex[DRYDOCK_DIGEST_STRMAX];
	int dfd;

	*buf_out = NULL;
	*len_out = 0;
	if ((dfd = drydock_ocilayout_blob_dir(lay, d->alg, 0)) < 0)
		return dfd;
	return read_small(
	    buf_out, len_out, dfd, drydock_digest_hex(hex, d), max);
}

int
drydock_ocilayout_blob_remove(
    struct drydock_ocilayout *lay, const struct drydock_digest *d)
{
	char hex[DRYDOCK_DIGEST_STRMAX], ds[DRYDOCK_DIGEST_STRMAX];
	int dfd;

	if ((dfd = writable(lay, __func__)) < 0 ||
	    (dfd = drydock_ocilayout_blob_dir(lay, d->alg, 0)) < 0)
		return dfd;
	if (unlinkat(dfd, drydock_digest_hex(hex, d), 0) < 0) {
		if (errno == ENOENT) {
			drydock_error_set(DRYDOCK_ERRCLASS_STORE,
			    "blob '%s' not found",
			    drydock_digest_format(ds, d));
			return DRYDOCK_ENOTFOUND;
		}
		drydock_error_set_os(
		    "cannot remove blob '%s'", drydock_digest_format(ds, d));
		return DRYDOCK_ERROR;
	}
	return 0;
}
