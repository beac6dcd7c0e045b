/* SPDX-License-Identifier: MIT */
/*
 * fixtures.h --- build fake distribution storage trees in temporary
 * directories for unit tests: plain files, symlinks, fifos, and the
 * registry's own shapes (blobs, layer links, revisions, tags, uploads).
 *
 * Every helper aborts the test binary on failure: a fixture that cannot be
 * built is a broken test, not a result.  Paths are "<base>/<relpath>";
 * parent directories are created as needed.  Typical use:
 *
 *	struct fx fx;
 *	fx_setup(&fx);              // fx.tmp/, fx.root/, fx.v2/, fx.out/
 *	make_blob(fx.v2, "hello", dgst);
 *	make_layer_link(fx.v2, "library/app", dgst);
 *	make_tag(fx.v2, "library/app", "latest", mdgst);
 *	...
 *	fx_teardown(&fx);           // removes fx.tmp recursively
 */
#ifndef DRYDOCK_TESTS_FIXTURES_H
#define DRYDOCK_TESTS_FIXTURES_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drydock/digest.h>

#define FX_V2 "docker/registry/v2"

struct fx {
	char tmp[PATH_MAX]; /* the mkdtemp directory, removed by teardown */
	char root[PATH_MAX]; /* tmp/root: the storage root */
	char v2[PATH_MAX]; /* root/docker/registry/v2 */
	char out[PATH_MAX]; /* tmp/outside: never to be touched by the lib */
};

static inline void
fx_die(const char *what, const char *path)
{
	fprintf(stderr, "fixtures: %s '%s': %s\n", what, path, strerror(errno));
	abort();
}

/* base/rel into buf (PATH_MAX); returns buf */
static inline char *
fx_join(char *buf, const char *base, const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", base, rel);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		fx_die("path too long", rel);
	}
	return buf;
}

/* mkdir -p base/rel */
static inline void
make_dir(const char *base, const char *rel)
{
	char path[PATH_MAX], *p, c;

	fx_join(path, base, rel);
	for (p = path + strlen(base) + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			fx_die("cannot create directory", path);
		*p = c;
		if (c == '\0')
			break;
	}
}

/* mkdir -p of rel's parent */
static inline void
make_parent(const char *base, const char *rel)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (slash == NULL)
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	make_dir(base, dir);
}

static inline void
make_file_len(const char *base, const char *rel, const void *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	make_parent(base, rel);
	if ((f = fopen(fx_join(path, base, rel), "wb")) == NULL)
		fx_die("cannot create", path);
	if (len > 0 && fwrite(buf, 1, len, f) != len)
		fx_die("cannot write", path);
	if (fclose(f) != 0)
		fx_die("cannot close", path);
}

/* base/rel holding content (NULL: empty) */
static inline void
make_file(const char *base, const char *rel, const char *content)
{
	make_file_len(base, rel, content != NULL ? content : "",
	    content != NULL ? strlen(content) : 0);
}

/* base/rel as a symlink to target (taken literally) */
static inline void
make_link(const char *base, const char *rel, const char *target)
{
	char path[PATH_MAX];

	make_parent(base, rel);
	if (symlink(target, fx_join(path, base, rel)) < 0)
		fx_die("cannot create symlink", path);
}

static inline void
make_fifo(const char *base, const char *rel)
{
	char path[PATH_MAX];

	make_parent(base, rel);
	if (mkfifo(fx_join(path, base, rel), 0666) < 0)
		fx_die("cannot create fifo", path);
}

/* Set mtime (and atime) of base/rel, not following a symlink. */
static inline void
set_mtime(const char *base, const char *rel, time_t sec)
{
	char path[PATH_MAX];
	struct timespec ts[2] = {{sec, 0}, {sec, 0}};

	if (utimensat(AT_FDCWD, fx_join(path, base, rel), ts,
	        AT_SYMLINK_NOFOLLOW) < 0)
		fx_die("cannot set mtime of", path);
}

/* 1 when base/rel exists (lstat) */
static inline int
path_exists(const char *base, const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	return lstat(fx_join(path, base, rel), &sb) == 0;
}

/* Content of base/rel as a new string (free it), or NULL if unreadable. */
static inline char *
read_whole(const char *base, const char *rel)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if ((f = fopen(fx_join(path, base, rel), "rb")) == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 4096 + 1;
			if ((buf = realloc(buf, cap)) == NULL)
				fx_die("out of memory reading", path);
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static inline int
fx_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/* rm -rf path, never following symlinks */
static inline void
rm_rf(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return;
	if (nftw(path, fx_rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
		fx_die("cannot remove", path);
}

/* A fresh tmp/{root/docker/registry/v2,outside} tree. */
static inline void
fx_setup(struct fx *fx)
{
	strcpy(fx->tmp, "/tmp/drydock-test-XXXXXX");
	if (mkdtemp(fx->tmp) == NULL)
		fx_die("cannot create temporary directory", fx->tmp);
	fx_join(fx->root, fx->tmp, "root");
	fx_join(fx->v2, fx->root, FX_V2);
	fx_join(fx->out, fx->tmp, "outside");
	make_dir(fx->tmp, "root/" FX_V2);
	make_dir(fx->tmp, "outside");
}

static inline void
fx_teardown(struct fx *fx)
{
	if (fx->tmp[0] != '\0')
		rm_rf(fx->tmp);
	fx->tmp[0] = '\0';
}

/*
 * v2/rel as a symlink to fx->out/outrel, relative ("../../outside/...")
 * when relative is set, else absolute.  Either way following it reaches the
 * real file, which is checked: a test of "not followed" needs a link that
 * would lead somewhere.
 */
static inline void
make_link_out(
    const struct fx *fx, const char *rel, const char *outrel, int relative)
{
	char target[PATH_MAX], path[PATH_MAX];
	const char *p;
	size_t n = 0;
	int ups = 4; /* docker/registry/v2 and root */
	struct stat sb;

	for (p = rel; *p != '\0'; p++)
		ups += *p == '/';
	if (relative) {
		while (ups-- > 0)
			n += (size_t)snprintf(
			    target + n, sizeof(target) - n, "../");
		snprintf(target + n, sizeof(target) - n, "outside/%s", outrel);
	} else
		fx_join(target, fx->out, outrel);
	make_link(fx->v2, rel, target);
	if (stat(fx_join(path, fx->v2, rel), &sb) < 0)
		fx_die("symlink does not lead to its target", path);
}

/* Split "alg:hex" for building paths; aborts on a malformed string. */
static inline void
fx_split(const char *dgst, char *alg, size_t algsz, const char **hex)
{
	const char *colon = strchr(dgst, ':');

	if (colon == NULL || (size_t)(colon - dgst) >= algsz) {
		errno = EINVAL;
		fx_die("malformed digest", dgst);
	}
	snprintf(alg, algsz, "%.*s", (int)(colon - dgst), dgst);
	*hex = colon + 1;
}

/*
 * A real blob: blobs/sha256/<hh>/<hex>/data holding content.  The digest
 * string ("sha256:...") goes to dgst_out (DRYDOCK_DIGEST_STRMAX bytes).
 */
static inline void
make_blob(const char *v2, const char *content, char *dgst_out)
{
	struct drydock_digest d;
	char rel[PATH_MAX];

	if (drydock_digest_buffer(
	        &d, DRYDOCK_DIGEST_SHA256, content, strlen(content)) < 0)
		fx_die("cannot hash", content);
	drydock_digest_format(dgst_out, &d);
	snprintf(rel, sizeof(rel), "blobs/sha256/%.2s/%s/data", dgst_out + 7,
	    dgst_out + 7);
	make_file(v2, rel, content);
}

/* repositories/<repo>/<sub>/<alg>/<hex>/link holding target (or dgst) */
static inline void
make_digest_link(const char *v2, const char *repo, const char *sub,
    const char *dgst, const char *target)
{
	char rel[PATH_MAX], alg[16];
	const char *hex;

	fx_split(dgst, alg, sizeof(alg), &hex);
	snprintf(rel, sizeof(rel), "repositories/%s/%s/%s/%s/link", repo, sub,
	    alg, hex);
	make_file(v2, rel, target != NULL ? target : dgst);
}

static inline void
make_layer_link(const char *v2, const char *repo, const char *dgst)
{
	make_digest_link(v2, repo, "_layers", dgst, NULL);
}

static inline void
make_revision(const char *v2, const char *repo, const char *dgst)
{
	make_digest_link(v2, repo, "_manifests/revisions", dgst, NULL);
}

/* A tag as the registry writes it: index entry first, then current. */
static inline void
make_tag(const char *v2, const char *repo, const char *tag, const char *dgst)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "_manifests/tags/%s/index", tag);
	make_digest_link(v2, repo, rel, dgst, NULL);
	snprintf(rel, sizeof(rel),
	    "repositories/%s/_manifests/tags/%s/current/link", repo, tag);
	make_file(v2, rel, dgst);
}

/* _uploads/<id>/ with startedat and data when not NULL */
static inline void
make_upload(const char *v2, const char *repo, const char *id,
    const char *startedat, const char *data)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "repositories/%s/_uploads/%s", repo, id);
	make_dir(v2, rel);
	snprintf(rel, sizeof(rel), "repositories/%s/_uploads/%s/startedat",
	    repo, id);
	if (startedat != NULL)
		make_file(v2, rel, startedat);
	snprintf(
	    rel, sizeof(rel), "repositories/%s/_uploads/%s/data", repo, id);
	if (data != NULL)
		make_file(v2, rel, data);
}

/*
 * A fake but well-formed sha256 digest string from a small number, into buf
 * of at least FX_FAKE_DIGEST_SIZE bytes (callers pass char[80]; a larger
 * bound than the buffer trips _FORTIFY_SOURCE, as in the package build).
 */
#define FX_FAKE_DIGEST_SIZE (7 + 64 + 1)
static inline char *
fake_digest(char *buf, unsigned n)
{
	snprintf(buf, FX_FAKE_DIGEST_SIZE,
	    "sha256:%08x%08x%08x%08x%08x%08x%08x%08x", n, n * 7u + 1,
	    n * 13u + 2, n * 17u + 3, n * 19u + 4, n * 23u + 5, n * 29u + 6,
	    n * 31u + 7);
	return buf;
}

/* --- collecting problems reported by the store ------------------------- */

#define FX_PROBLEMS_MAX 256

struct fx_problem {
	char path[512];
	int code;
	char msg[256];
};

struct fx_problems {
	int n;
	struct fx_problem p[FX_PROBLEMS_MAX];
};

/* A drydock_problem_cb: payload is a struct fx_problems. */
static inline void
fx_problem_cb(const char *path, int code, const char *message, void *payload)
{
	struct fx_problems *pr = payload;

	if (pr->n >= FX_PROBLEMS_MAX)
		return;
	snprintf(pr->p[pr->n].path, sizeof(pr->p[0].path), "%s", path);
	pr->p[pr->n].code = code;
	snprintf(pr->p[pr->n].msg, sizeof(pr->p[0].msg), "%s", message);
	pr->n++;
}

/*
 * Index of the first problem at path (exactly) with code whose message
 * contains substr (NULL: any message), or -1.
 */
static inline int
fx_problem_find(const struct fx_problems *pr, const char *path, int code,
    const char *substr)
{
	int i;

	for (i = 0; i < pr->n; i++)
		if (strcmp(pr->p[i].path, path) == 0 && pr->p[i].code == code &&
		    (substr == NULL || strstr(pr->p[i].msg, substr) != NULL))
			return i;
	return -1;
}

static inline void
fx_problems_dump(const struct fx_problems *pr)
{
	int i;

	for (i = 0; i < pr->n; i++)
		fprintf(stderr, "problem: %s (%d): %s\n", pr->p[i].path,
		    pr->p[i].code, pr->p[i].msg);
}

#endif
