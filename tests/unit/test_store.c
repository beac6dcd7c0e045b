/* SPDX-License-Identifier: MIT */
/*
 * test_store.c --- the confined store: open, lock, hostile trees (symlinks
 * anywhere, '..', fifos), reads, removal that never leaves the root,
 * atomic writes, moves in and out (also across filesystems).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/store.h>

#include "../../lib/store_int.h"
#include "fixtures.h"

#define SENTINEL "sentinel: must survive"

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx_setup(fx);
	make_file(fx->out, "sentinel", SENTINEL);
	make_file(fx->out, "dir/inner", SENTINEL);
	*state = fx;
	return 0;
}

static int
setup_fallback(void **state)
{
	drydock_store__force_fallback(1);
	return setup(state);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	drydock_store__force_fallback(0);
	fx_teardown(fx);
	free(fx);
	return 0;
}

static struct drydock_store *
open_store(const struct fx *fx, unsigned flags)
{
	struct drydock_store *st = NULL;

	assert_int_equal(drydock_store_open(&st, fx->root, flags), 0);
	assert_non_null(st);
	return st;
}

/* The files outside the root are exactly as setup made them. */
static void
assert_outside_intact(const struct fx *fx)
{
	char *s;

	s = read_whole(fx->out, "sentinel");
	assert_non_null(s);
	assert_string_equal(s, SENTINEL);
	free(s);
	s = read_whole(fx->out, "dir/inner");
	assert_non_null(s);
	assert_string_equal(s, SENTINEL);
	free(s);
}

static void
assert_message_has(const char *substr)
{
	if (strstr(drydock_error_message(), substr) == NULL)
		fail_msg(
		    "message '%s' lacks '%s'", drydock_error_message(), substr);
}

static void
test_store__open_close(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	struct stat a, b;
	char path[PATH_MAX];

	assert_string_equal(drydock_store_root(st), fx->root);
	assert_true(drydock_store_v2fd(st) >= 0);
	assert_int_equal(fstat(drydock_store_v2fd(st), &a), 0);
	assert_int_equal(stat(fx_join(path, fx->root, FX_V2), &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	drydock_store_close(st);
	drydock_store_close(NULL);
}

static void
test_store__open_missing(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	char path[PATH_MAX];

	assert_int_equal(
	    drydock_store_open(&st, fx_join(path, fx->tmp, "nope"), 0),
	    DRYDOCK_ENOTFOUND);
	assert_null(st);
	/* a root without docker/registry/v2 */
	assert_int_equal(
	    drydock_store_open(&st, fx->out, 0), DRYDOCK_ENOTFOUND);
	assert_message_has("docker/registry/v2");
	make_dir(fx->out, "docker/registry");
	assert_int_equal(
	    drydock_store_open(&st, fx->out, 0), DRYDOCK_ENOTFOUND);
	assert_null(st);
}

/* A registry before its first push: an empty store, nothing created. */
static void
test_store__open_empty(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	char path[PATH_MAX];
	uint64_t size;
	int is_dir;

	/* a missing root stays an error */
	assert_int_equal(drydock_store_open(&st, fx_join(path, fx->tmp, "nope"),
	                     DRYDOCK_STORE_ALLOW_EMPTY),
	    DRYDOCK_ENOTFOUND);
	assert_null(st);
	assert_int_equal(
	    drydock_store_open(&st, fx->out, DRYDOCK_STORE_ALLOW_EMPTY), 0);
	assert_int_equal(drydock_store_is_empty(st), 1);
	assert_int_equal(drydock_store_v2fd(st), -1);
	assert_int_equal(drydock_store_openat(
	                     st, -1, "repositories", O_RDONLY | O_DIRECTORY, 0),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_stat(st, -1, "blobs", &size, NULL, &is_dir),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(drydock_store_lock(st), 0);
	assert_int_equal(drydock_store_sync(st), 0);
	/* writing needs docker/registry/v2, and never creates it */
	assert_int_equal(
	    drydock_store_write_file(st, "repositories/r/x", "x", 1),
	    DRYDOCK_ENOTFOUND);
	assert_message_has("no registry storage below");
	drydock_store_close(st);
	assert_false(path_exists(fx->out, "docker"));
	assert_outside_intact(fx);
	/* read-only as well; a store with v2 is not empty */
	assert_int_equal(drydock_store_open(&st, fx->out,
	                     DRYDOCK_STORE_ALLOW_EMPTY | DRYDOCK_STORE_RDONLY),
	    0);
	assert_int_equal(drydock_store_is_empty(st), 1);
	drydock_store_close(st);
	st = open_store(fx, DRYDOCK_STORE_ALLOW_EMPTY);
	assert_int_equal(drydock_store_is_empty(st), 0);
	drydock_store_close(st);
}

static void
test_store__open_symlinked_component(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	char path[PATH_MAX];

	/* outside/docker/registry/v2 exists; root2/docker links to it */
	make_dir(fx->out, "docker/registry/v2");
	make_link(fx->tmp, "root2/docker", "../outside/docker");
	assert_int_equal(
	    drydock_store_open(&st, fx_join(path, fx->tmp, "root2"), 0),
	    DRYDOCK_EUNSAFE);
	assert_message_has("docker' is a symlink");
	assert_null(st);
	/* the last component v2 itself */
	make_dir(fx->tmp, "root3/docker/registry");
	make_link(fx->tmp, "root3/docker/registry/v2",
	    "../../../outside/docker/registry/v2");
	assert_int_equal(
	    drydock_store_open(&st, fx_join(path, fx->tmp, "root3"), 0),
	    DRYDOCK_EUNSAFE);
	assert_message_has("registry/v2' is a symlink");
}

static void
test_store__open_root_symlink_allowed(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	char path[PATH_MAX];

	/* the operator may point the root through a symlink */
	make_link(fx->tmp, "rootlink", "root");
	assert_int_equal(
	    drydock_store_open(&st, fx_join(path, fx->tmp, "rootlink"), 0), 0);
	drydock_store_close(st);
}

static void
test_store__lock_twice(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *a = open_store(fx, 0), *b = open_store(fx, 0);
	char msg[PATH_MAX + 64];

	assert_int_equal(drydock_store_lock(a), 0);
	assert_int_equal(drydock_store_lock(a), 0); /* idempotent */
	assert_int_equal(drydock_store_lock(b), DRYDOCK_ELOCKED);
	snprintf(msg, sizeof(msg), "holds the lock on '%s'", fx->root);
	assert_message_has(msg);
	drydock_store_close(a);
	assert_int_equal(drydock_store_lock(b), 0);
	drydock_store_close(b);
	/* no lock file was written anywhere */
	assert_false(path_exists(fx->root, ".lock"));
}

static void
test_store__bad_handle(void **state)
{
	union {
		struct drydock_store st;
		char junk[256];
	} u;
	char *buf = NULL;
	size_t len;

	(void)state;
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(drydock_store_lock(&u.st), DRYDOCK_ERROR);
	assert_message_has("invalid or closed store handle");
	assert_int_equal(drydock_store_lock(NULL), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, &u.st, -1, "x", 10),
	    DRYDOCK_ERROR);
	assert_null(buf);
	assert_int_equal(drydock_store_v2fd(NULL), -1);
	assert_null(drydock_store_root(&u.st));
}

static void
test_store__path_check(void **state)
{
	static const char *const bad[] = {"", "/", "/blobs", "blobs/",
	    "blobs//sha256", ".", "..", "./blobs", "blobs/.", "blobs/../..",
	    "../x", "a/../b", "a/./b", "a/.."};
	static const char *const good[] = {"blobs", "a/b/c", "...", ".hidden/x",
	    "a..b", "..x/y", "x../y", "_manifests/tags"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (drydock_store_path_check(bad[i]) != DRYDOCK_EUNSAFE)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(drydock_store_path_check(NULL), DRYDOCK_EUNSAFE);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (drydock_store_path_check(good[i]) != 0)
			fail_msg("'%s' was refused: %s", good[i],
			    drydock_error_message());
}

static void
test_store__openat_hostile(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	char target[PATH_MAX];
	int fd;

	make_file(fx->v2, "blobs/ok", "fine");
	fx_join(target, fx->out, "dir");
	make_link(fx->v2, "evil", target); /* absolute target */
	make_link_out(fx, "blobs/rel", "sentinel", 1);
	make_link_out(fx, "blobs/dirlink", "dir", 1);

	fd = drydock_store_openat(st, -1, "blobs/ok", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(drydock_store_openat(st, -1, "../root", O_RDONLY, 0),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_openat(st, -1, "blobs/../../x", O_RDONLY, 0),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_openat(st, -1, target, O_RDONLY, 0), DRYDOCK_EUNSAFE);
	/* symlinks: intermediate, final, final with O_DIRECTORY, O_PATH */
	assert_int_equal(
	    drydock_store_openat(st, -1, "evil/inner", O_RDONLY, 0),
	    DRYDOCK_EUNSAFE);
	assert_message_has("'evil' is a symlink");
	assert_int_equal(drydock_store_openat(st, -1, "blobs/rel", O_RDONLY, 0),
	    DRYDOCK_EUNSAFE);
	assert_message_has("'blobs/rel' is a symlink");
	assert_int_equal(drydock_store_openat(st, -1, "blobs/dirlink",
	                     O_RDONLY | O_DIRECTORY, 0),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_openat(st, -1, "blobs/dirlink/inner", O_RDONLY, 0),
	    DRYDOCK_EUNSAFE);
	assert_message_has("'blobs/dirlink' is a symlink");
	assert_int_equal(drydock_store_openat(st, -1, "blobs/rel", O_PATH, 0),
	    DRYDOCK_EUNSAFE);
	/* relative to a dirfd of the caller */
	fd = drydock_store_openat(st, -1, "blobs", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	assert_int_equal(
	    drydock_store_openat(st, fd, "rel", O_RDONLY, 0), DRYDOCK_EUNSAFE);
	assert_int_equal(drydock_store_openat(st, fd, "missing", O_RDONLY, 0),
	    DRYDOCK_ENOTFOUND);
	close(fd);
	/* writing through a symlink is refused too */
	assert_int_equal(
	    drydock_store_openat(st, -1, "blobs/rel", O_WRONLY | O_TRUNC, 0),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_openat(st, -1, "evil/new", O_WRONLY | O_CREAT, 0644),
	    DRYDOCK_EUNSAFE);
	assert_false(path_exists(fx->out, "dir/new"));
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__read_file(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	char *buf = NULL;
	size_t len = 0;

	make_file(fx->v2, "a/file", "0123456789");
	make_file(fx->v2, "a/empty", NULL);
	make_fifo(fx->v2, "a/fifo");
	make_link_out(fx, "a/link", "sentinel", 1);

	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/file", 10), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	buf = NULL;
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/empty", 10), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	buf = NULL;
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/file", 9),
	    DRYDOCK_ECORRUPT);
	assert_null(buf);
	/* a fifo must not block the reader */
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/fifo", 10),
	    DRYDOCK_EUNSAFE);
	assert_message_has("fifo");
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/link", 100),
	    DRYDOCK_EUNSAFE);
	assert_message_has("is a symlink");
	assert_null(buf);
	assert_int_equal(drydock_store_read_file(&buf, &len, st, -1, "a", 100),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/nope", 100),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_read_file(&buf, &len, st, -1, "a/file/x", 100),
	    DRYDOCK_ENOTFOUND);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__stat(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	uint64_t size = 0;
	int64_t mtime = 0;
	int is_dir = -1;

	make_file(fx->v2, "d/f", "abc");
	set_mtime(fx->v2, "d/f", 1000000000);
	make_fifo(fx->v2, "d/fifo");
	make_link(fx->v2, "d/l", "f");
	assert_int_equal(
	    drydock_store_stat(st, -1, "d/f", &size, &mtime, &is_dir), 0);
	assert_int_equal(size, 3);
	assert_true(mtime == 1000000000LL * 1000000000LL);
	assert_int_equal(is_dir, 0);
	assert_int_equal(
	    drydock_store_stat(st, -1, "d", NULL, NULL, &is_dir), 0);
	assert_int_equal(is_dir, 1);
	assert_int_equal(drydock_store_stat(st, -1, "d/fifo", NULL, NULL, NULL),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(drydock_store_stat(st, -1, "d/l", NULL, NULL, NULL),
	    DRYDOCK_EUNSAFE);
	assert_message_has("is a symlink");
	assert_int_equal(drydock_store_stat(st, -1, "d/none", NULL, NULL, NULL),
	    DRYDOCK_ENOTFOUND);
	drydock_store_close(st);
}

static void
test_store__blobs(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	struct drydock_digest d, missing;
	char dgst[DRYDOCK_DIGEST_STRMAX], path[PATH_MAX], rel[256], *buf = NULL;
	size_t len;
	uint64_t size;
	int fd;

	make_blob(fx->v2, "hello blob", dgst);
	assert_int_equal(drydock_digest_parse(&d, dgst, strlen(dgst)), 0);
	assert_int_equal(drydock_store_blob_path(path, sizeof(path), &d), 0);
	snprintf(
	    rel, sizeof(rel), "blobs/sha256/%.2s/%s/data", dgst + 7, dgst + 7);
	assert_string_equal(path, rel);
	assert_int_equal(drydock_store_blob_path(path, 20, &d), DRYDOCK_ERROR);
	memset(&missing, 0, sizeof(missing));
	assert_int_equal(drydock_store_blob_path(path, sizeof(path), &missing),
	    DRYDOCK_ERROR);

	fd = drydock_store_blob_open(st, &d);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	assert_int_equal(
	    drydock_store_blob_read(&buf, &len, st, &d, 4 << 20), 0);
	assert_string_equal(buf, "hello blob");
	free(buf);
	buf = NULL;
	assert_int_equal(
	    drydock_store_blob_read(&buf, &len, st, &d, 4), DRYDOCK_ECORRUPT);
	assert_int_equal(drydock_store_blob_stat(st, &d, &size, NULL), 0);
	assert_int_equal(size, 10);

	/* sha512 paths work the same way */
	assert_int_equal(
	    drydock_digest_buffer(&missing, DRYDOCK_DIGEST_SHA512, "x", 1), 0);
	assert_int_equal(
	    drydock_store_blob_path(path, sizeof(path), &missing), 0);
	assert_int_equal(strncmp(path, "blobs/sha512/", 13), 0);
	assert_int_equal(strlen(path), 13 + 3 + 128 + 5);
	assert_int_equal(drydock_store_blob_stat(st, &missing, NULL, NULL),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_blob_open(st, &missing), DRYDOCK_ENOTFOUND);

	/* a symlinked data file is refused */
	assert_int_equal(unlink(fx_join(path, fx->v2, rel)), 0);
	make_link_out(fx, rel, "sentinel", 1);
	assert_int_equal(drydock_store_blob_open(st, &d), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_blob_stat(st, &d, NULL, NULL), DRYDOCK_EUNSAFE);
	assert_int_equal(
	    drydock_store_blob_read(&buf, &len, st, &d, 100), DRYDOCK_EUNSAFE);
	assert_null(buf);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__readonly(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, DRYDOCK_STORE_RDONLY);
	int fd;

	make_file(fx->v2, "a/f", "keep");
	assert_int_equal(drydock_store_unlink(st, "a/f"), DRYDOCK_ERROR);
	assert_message_has("read-only");
	assert_int_equal(drydock_store_rmdir(st, "a"), DRYDOCK_ERROR);
	assert_int_equal(drydock_store_remove_tree(st, "a"), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_prune_parents(st, "a/f", NULL), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_write_file(st, "a/g", "x", 1), DRYDOCK_ERROR);
	assert_int_equal(drydock_store_move_out(st, "a/f", AT_FDCWD, "/tmp/x"),
	    DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_openat(st, -1, "a/f", O_WRONLY, 0), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_openat(st, -1, "a/h", O_RDONLY | O_CREAT, 0644),
	    DRYDOCK_ERROR);
	fd = drydock_store_openat(st, -1, "a/f", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	/* locking is allowed: a read-only run may keep writers out */
	assert_int_equal(drydock_store_lock(st), 0);
	drydock_store_close(st);
	assert_true(path_exists(fx->v2, "a/f"));
	assert_false(path_exists(fx->v2, "a/g"));
	assert_false(path_exists(fx->v2, "a/h"));
}

static void
test_store__unlink_rmdir(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);

	make_file(fx->v2, "a/b/f", "x");
	make_link_out(fx, "a/b/l", "sentinel", 1);
	make_link(fx->v2, "a/lnk", "b");
	assert_int_equal(drydock_store_unlink(st, "a/b"), DRYDOCK_ERROR);
	assert_int_equal(drydock_store_rmdir(st, "a/b"), DRYDOCK_EEXISTS);
	assert_int_equal(drydock_store_unlink(st, "a/b/f"), 0);
	assert_false(path_exists(fx->v2, "a/b/f"));
	assert_int_equal(drydock_store_unlink(st, "a/b/f"), DRYDOCK_ENOTFOUND);
	/* a symlink is removed itself, never its target */
	assert_int_equal(drydock_store_unlink(st, "a/b/l"), 0);
	assert_false(path_exists(fx->v2, "a/b/l"));
	/* nothing is removed through a symlinked parent */
	make_file(fx->v2, "a/b/g", "x");
	assert_int_equal(drydock_store_unlink(st, "a/lnk/g"), DRYDOCK_EUNSAFE);
	assert_true(path_exists(fx->v2, "a/b/g"));
	assert_int_equal(drydock_store_unlink(st, "a/b/g"), 0);
	assert_int_equal(drydock_store_rmdir(st, "a/lnk"), DRYDOCK_ERROR);
	assert_int_equal(drydock_store_rmdir(st, "a/b"), 0);
	assert_int_equal(drydock_store_rmdir(st, "a/b"), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_unlink(st, "../outside/sentinel"), DRYDOCK_EUNSAFE);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__rename_sibling(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);

	make_file(fx->v2, "u/a/data", "x");
	make_file(fx->v2, "u/b/data", "y");
	make_link(fx->v2, "via", "u");
	assert_int_equal(drydock_store_rename_sibling(st, "u/a", ".gc-a"), 0);
	assert_false(path_exists(fx->v2, "u/a"));
	assert_true(path_exists(fx->v2, "u/.gc-a/data"));
	/* never replaces, never leaves its directory, never follows */
	assert_int_equal(
	    drydock_store_rename_sibling(st, "u/b", ".gc-a"), DRYDOCK_EEXISTS);
	assert_true(path_exists(fx->v2, "u/b/data"));
	assert_int_equal(
	    drydock_store_rename_sibling(st, "u/b", "../b"), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_rename_sibling(st, "u/b", ".."), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_rename_sibling(st, "via/b", "c"), DRYDOCK_EUNSAFE);
	assert_true(path_exists(fx->v2, "u/b/data"));
	assert_int_equal(
	    drydock_store_rename_sibling(st, "u/gone", "g"), DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_rename_sibling(st, "../outside/sentinel", "s"),
	    DRYDOCK_EUNSAFE);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__remove_tree_symlinks(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	/* a tree full of symlinks out of the root, and nested dirs */
	make_file(fx->v2, "t/a/b/c/file", "x");
	make_file(fx->v2, "t/a/file2", "x");
	make_link_out(fx, "t/a/tofile", "sentinel", 1);
	make_link_out(fx, "t/a/b/todir", "dir", 1);
	make_link_out(fx, "t/abs", "dir", 0);
	make_link(fx->v2, "t/dangling", "/nonexistent/x");
	make_fifo(fx->v2, "t/a/fifo");
	make_link(fx->v2, "via", "t/a");

	/* through a symlinked parent: refused, nothing removed */
	assert_int_equal(
	    drydock_store_remove_tree(st, "via/b"), DRYDOCK_EUNSAFE);
	assert_true(path_exists(fx->v2, "t/a/b/c/file"));
	/* a symlink as the tree itself: only the link goes */
	make_link_out(fx, "outlink", "dir", 1);
	assert_int_equal(drydock_store_remove_tree(st, "outlink"), 0);
	assert_false(path_exists(fx->v2, "outlink"));
	assert_outside_intact(fx);

	assert_int_equal(drydock_store_remove_tree(st, "t"), 0);
	assert_false(path_exists(fx->v2, "t"));
	assert_true(path_exists(fx->v2, "via")); /* a dangling link now */
	assert_int_equal(drydock_store_remove_tree(st, "t"), DRYDOCK_ENOTFOUND);
	/* a plain file */
	make_file(fx->v2, "plain", "x");
	assert_int_equal(drydock_store_remove_tree(st, "plain"), 0);
	assert_false(path_exists(fx->v2, "plain"));
	drydock_store_close(st);
	assert_outside_intact(fx);
	assert_true(path_exists(fx->out, "dir"));
}

static void
test_store__prune_parents(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);

	make_dir(fx->v2, "blobs/sha256/ab/abcd");
	make_file(fx->v2, "blobs/sha256/cd/keep/data", "x");
	assert_int_equal(drydock_store_prune_parents(
	                     st, "blobs/sha256/ab/abcd/data", "blobs/sha256"),
	    0);
	assert_false(path_exists(fx->v2, "blobs/sha256/ab"));
	assert_true(path_exists(fx->v2, "blobs/sha256"));
	/* stops at the first non-empty parent, quietly */
	make_dir(fx->v2, "r/x/_layers/sha256/ff");
	make_file(fx->v2, "r/x/_manifests/keep", "x");
	assert_int_equal(
	    drydock_store_prune_parents(st, "r/x/_layers/sha256/ff/link", NULL),
	    0);
	assert_false(path_exists(fx->v2, "r/x/_layers"));
	assert_true(path_exists(fx->v2, "r/x/_manifests/keep"));
	/* stop must be a parent of relpath */
	assert_int_equal(
	    drydock_store_prune_parents(st, "r/x/y", "r/xx"), DRYDOCK_ERROR);
	assert_int_equal(
	    drydock_store_prune_parents(st, "r/x/y", "r/x/y"), DRYDOCK_ERROR);
	/* with no stop, $V2 itself stays */
	make_dir(fx->v2, "lone/dir");
	assert_int_equal(
	    drydock_store_prune_parents(st, "lone/dir/x", NULL), 0);
	assert_false(path_exists(fx->v2, "lone"));
	assert_true(path_exists(fx->root, FX_V2));
	drydock_store_close(st);
}

static int
count_entries(const char *base, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(fx_join(path, base, rel)));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_store__write_file(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	char *s, path[PATH_MAX];
	struct stat sb;
	mode_t old = umask(022);

	assert_int_equal(
	    drydock_store_write_file(
	        st, "repositories/x/_layers/sha256/ab/link", "sha256:ab", 9),
	    0);
	s = read_whole(fx->v2, "repositories/x/_layers/sha256/ab/link");
	assert_non_null(s);
	assert_string_equal(s, "sha256:ab");
	free(s);
	/* parents 0777 less umask; the file 0666 less umask */
	assert_int_equal(stat(fx_join(path, fx->v2, "repositories/x"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);
	assert_int_equal(
	    stat(fx_join(path, fx->v2, "repositories/x/_layers/sha256/ab/link"),
	        &sb),
	    0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	/* overwrite in place, no temp file left behind */
	assert_int_equal(drydock_store_write_file(st,
	                     "repositories/x/_layers/sha256/ab/link", "new", 3),
	    0);
	s = read_whole(fx->v2, "repositories/x/_layers/sha256/ab/link");
	assert_string_equal(s, "new");
	free(s);
	assert_int_equal(
	    count_entries(fx->v2, "repositories/x/_layers/sha256/ab"), 1);
	/* never through a symlink: parent or target directory */
	make_link_out(fx, "escape", "dir", 1);
	assert_int_equal(drydock_store_write_file(st, "escape/inner", "bad", 3),
	    DRYDOCK_EUNSAFE);
	assert_int_equal(drydock_store_write_file(st, "escape/new/x", "bad", 3),
	    DRYDOCK_EUNSAFE);
	assert_false(path_exists(fx->out, "dir/new"));
	/* a symlink as the target is replaced, not written through */
	make_link_out(fx, "target", "sentinel", 1);
	assert_int_equal(drydock_store_write_file(st, "target", "mine", 4), 0);
	assert_int_equal(lstat(fx_join(path, fx->v2, "target"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	/* a directory in the way is an error, and nothing is left over */
	make_dir(fx->v2, "w/dir");
	assert_int_equal(
	    drydock_store_write_file(st, "w/dir", "x", 1), DRYDOCK_ERROR);
	assert_int_equal(count_entries(fx->v2, "w"), 1);
	umask(old);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__move_round_trip(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	char q[PATH_MAX], *s;
	struct stat sb;
	int qfd;

	make_file(fx->v2, "blobs/sha256/ab/abc/data", "payload");
	set_mtime(fx->v2, "blobs/sha256/ab/abc/data", 1234567890);
	make_dir(fx->tmp, "quarantine");
	qfd = open(fx_join(q, fx->tmp, "quarantine"), O_RDONLY | O_DIRECTORY);
	assert_true(qfd >= 0);

	assert_int_equal(
	    drydock_store_move_out(st, "blobs/sha256/ab/abc", qfd, "q1"), 0);
	assert_false(path_exists(fx->v2, "blobs/sha256/ab/abc"));
	s = read_whole(q, "q1/data");
	assert_string_equal(s, "payload");
	free(s);
	assert_int_equal(
	    drydock_store_move_out(st, "blobs/sha256/ab/abc", qfd, "q2"),
	    DRYDOCK_ENOTFOUND);
	/* back in, parents created */
	assert_int_equal(drydock_store_rmdir(st, "blobs/sha256/ab"), 0);
	assert_int_equal(
	    drydock_store_move_in(st, qfd, "q1", "blobs/sha256/ab/abc"), 0);
	assert_false(path_exists(q, "q1"));
	s = read_whole(fx->v2, "blobs/sha256/ab/abc/data");
	assert_string_equal(s, "payload");
	free(s);
	assert_int_equal(
	    stat(fx_join(q, fx->v2, "blobs/sha256/ab/abc/data"), &sb), 0);
	assert_int_equal(sb.st_mtim.tv_sec, 1234567890);
	/* never over something that exists, not even an empty directory */
	make_dir(fx->tmp, "quarantine/q3");
	make_dir(fx->v2, "empty");
	assert_int_equal(
	    drydock_store_move_in(st, qfd, "q3", "empty"), DRYDOCK_EEXISTS);
	assert_int_equal(
	    drydock_store_move_in(st, qfd, "q3", "blobs/sha256/ab/abc"),
	    DRYDOCK_EEXISTS);
	s = read_whole(fx->v2, "blobs/sha256/ab/abc/data");
	assert_string_equal(s, "payload");
	free(s);
	/* nor over an existing destination outside */
	make_file(fx->v2, "f", "x");
	assert_int_equal(
	    drydock_store_move_out(st, "f", qfd, "q3"), DRYDOCK_EEXISTS);
	assert_true(path_exists(fx->v2, "f"));
	/* not into the store through a symlink */
	make_link_out(fx, "sneaky", "dir", 1);
	assert_int_equal(
	    drydock_store_move_in(st, qfd, "q3", "sneaky/q3"), DRYDOCK_EUNSAFE);
	assert_false(path_exists(fx->out, "dir/q3"));
	close(qfd);
	drydock_store_close(st);
	assert_outside_intact(fx);
}

static void
test_store__move_cross_fs(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	char shm[] = "/dev/shm/drydock-test-XXXXXX", *s, path[PATH_MAX];
	struct statfs a, b;
	struct stat sb;
	int sfd;

	if (statfs("/dev/shm", &a) < 0 || statfs(fx->tmp, &b) < 0 ||
	    a.f_type == b.f_type || mkdtemp(shm) == NULL) {
		drydock_store_close(st);
		skip();
	}
	sfd = open(shm, O_RDONLY | O_DIRECTORY);
	assert_true(sfd >= 0);
	make_file(fx->v2, "repositories/r/_uploads/u1/data", "upload bytes");
	make_file(fx->v2, "repositories/r/_uploads/u1/startedat",
	    "2025-01-02T03:04:05Z");
	make_link(fx->v2, "repositories/r/_uploads/u1/odd", "../../../x");
	set_mtime(fx->v2, "repositories/r/_uploads/u1/data", 1111111111);
	set_mtime(fx->v2, "repositories/r/_uploads/u1", 1222222222);

	assert_int_equal(
	    drydock_store_move_out(st, "repositories/r/_uploads/u1", sfd, "u1"),
	    0);
	assert_false(path_exists(fx->v2, "repositories/r/_uploads/u1"));
	s = read_whole(shm, "u1/data");
	assert_string_equal(s, "upload bytes");
	free(s);
	assert_int_equal(lstat(fx_join(path, shm, "u1/data"), &sb), 0);
	assert_int_equal(sb.st_mtim.tv_sec, 1111111111);
	assert_int_equal(lstat(fx_join(path, shm, "u1"), &sb), 0);
	assert_int_equal(sb.st_mtim.tv_sec, 1222222222);
	assert_int_equal(lstat(fx_join(path, shm, "u1/odd"), &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));

	/* and back: the copy lands in the store, the source goes */
	assert_int_equal(
	    drydock_store_move_in(st, sfd, "u1", "repositories/r/_uploads/u1"),
	    0);
	assert_false(path_exists(shm, "u1"));
	s = read_whole(fx->v2, "repositories/r/_uploads/u1/startedat");
	assert_string_equal(s, "2025-01-02T03:04:05Z");
	free(s);
	assert_int_equal(
	    lstat(
	        fx_join(path, fx->v2, "repositories/r/_uploads/u1/data"), &sb),
	    0);
	assert_int_equal(sb.st_mtim.tv_sec, 1111111111);
	/* across filesystems too, an existing target is never replaced */
	make_file(shm, "f", "outside");
	assert_int_equal(drydock_store_move_in(
	                     st, sfd, "f", "repositories/r/_uploads/u1/data"),
	    DRYDOCK_EEXISTS);
	s = read_whole(fx->v2, "repositories/r/_uploads/u1/data");
	assert_string_equal(s, "upload bytes");
	free(s);
	assert_true(path_exists(shm, "f"));
	close(sfd);
	rm_rf(shm);
	drydock_store_close(st);
}

/* Moves a blob's directory out of the root and back, until told to stop. */
struct mover {
	char in[PATH_MAX], out[PATH_MAX];
	atomic_int stop;
	long moves;
	int slow; /* sleep between moves (under valgrind) */
};

static void *
mover_run(void *arg)
{
	struct mover *m = arg;

	while (!atomic_load(&m->stop)) {
		if (rename(m->in, m->out) == 0 && rename(m->out, m->in) == 0)
			m->moves++;
		/*
		 * under valgrind, which runs one thread at a time, a mover
		 * that never sleeps starves the opener for many minutes
		 */
		if (m->slow)
			usleep(1000);
	}
	return NULL;
}

/*
 * A gc moving a blob into its quarantine while it is opened: openat2 says
 * EXDEV when the directory left the root during the lookup.  The blob is
 * there or it is not; it never "resolves outside the storage root".
 */
static void
test_store__open_while_moved(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	struct drydock_digest d;
	struct mover m;
	pthread_t t;
	char dgst[DRYDOCK_DIGEST_STRMAX], rel[256];
	long i, n, there = 0, gone = 0, other = 0;
	int fd;

	make_blob(fx->v2, "moving blob", dgst);
	assert_int_equal(drydock_digest_parse(&d, dgst, strlen(dgst)), 0);
	memset(&m, 0, sizeof(m));
	snprintf(rel, sizeof(rel), "blobs/sha256/%.2s/%s", dgst + 7, dgst + 7);
	fx_join(m.in, fx->v2, rel);
	fx_join(m.out, fx->out, "moved");
	/*
	 * valgrind runs one thread at a time: the race cannot happen there,
	 * and 100,000 opens beside a spinning mover take an hour
	 */
	n = getenv("VALGRIND") != NULL ? 200 : 100000;
	m.slow = getenv("VALGRIND") != NULL;
	assert_int_equal(pthread_create(&t, NULL, mover_run, &m), 0);
	for (i = 0; i < n; i++) {
		fd = drydock_store_blob_open(st, &d);
		if (fd >= 0) {
			close(fd);
			there++;
		} else if (fd == DRYDOCK_ENOTFOUND) {
			gone++;
		} else {
			if (other++ == 0)
				fprintf(stderr, "open %ld: %d %s\n", i, fd,
				    drydock_error_message());
		}
	}
	atomic_store(&m.stop, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	fprintf(stderr, "# %ld moves: %ld opened, %ld gone, %ld other\n",
	    m.moves, there, gone, other);
	assert_int_equal(other, 0);
	drydock_store_close(st);
}

struct names {
	char seen[512];
};

static int
collect_name(const char *name, int type, void *payload)
{
	struct names *n = payload;
	size_t len = strlen(n->seen);

	snprintf(n->seen + len, sizeof(n->seen) - len, "%s%s:%c",
	    len > 0 ? " " : "", name,
	    type == DT_DIR       ? 'd'
	        : type == DT_LNK ? 'l'
	                         : 'f');
	return strcmp(name, "stop") == 0 ? 42 : 0;
}

static int
sum_bytes(const void *buf, size_t len, void *payload)
{
	char *acc = payload;

	strncat(acc, buf, len);
	return 0;
}

/* The calls a driver-neutral caller uses, on the filesystem driver. */
static void
test_store__driver_calls(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = open_store(fx, 0);
	struct names n = {{0}};
	char acc[64] = {0}, path[PATH_MAX];
	int64_t size = -1, skew = INT64_MAX, mtime = 0;
	uint64_t hsize = 0;
	int h, is_dir = -1, fd;
	char *s;

	assert_string_equal(drydock_store_driver(st), "filesystem");
	assert_null(drydock_store_s3(st));
	make_file(fx->v2, "d/a", "0123456789");
	make_dir(fx->v2, "d/sub");
	make_link(fx->v2, "d/ln", "../../../outside");
	assert_int_equal(
	    drydock_store_dir_foreach(st, "d", collect_name, &n), 0);
	/* every entry once, with its type; the symlink is listed, not followed
	 */
	assert_non_null(strstr(n.seen, "a:f"));
	assert_non_null(strstr(n.seen, "sub:d"));
	assert_non_null(strstr(n.seen, "ln:l"));
	assert_null(strstr(n.seen, ".:"));
	assert_int_equal(
	    drydock_store_dir_foreach(st, "nope", collect_name, &n),
	    DRYDOCK_ENOTFOUND);
	assert_int_equal(
	    drydock_store_dir_foreach(st, "d/ln", collect_name, &n),
	    DRYDOCK_EUNSAFE);
	/* a callback's value stops the listing and comes back */
	make_file(fx->v2, "e/stop", "");
	assert_int_equal(
	    drydock_store_dir_foreach(st, "e", collect_name, &n), 42);
	/* streamed reads */
	assert_int_equal(
	    drydock_store_read_cb(st, "d/a", sum_bytes, acc, &size), 0);
	assert_string_equal(acc, "0123456789");
	assert_int_equal(size, 10);
	assert_int_equal(
	    drydock_store_read_cb(st, "d/ln", sum_bytes, acc, NULL),
	    DRYDOCK_EUNSAFE);
	/* handles */
	h = drydock_store_openat(st, -1, "d", O_RDONLY | O_DIRECTORY, 0);
	assert_true(h >= 0);
	assert_int_equal(
	    drydock_store_handle_stat(st, h, &hsize, &mtime, &is_dir), 0);
	assert_int_equal(is_dir, 1);
	assert_true(mtime > 0);
	drydock_store_handle_close(st, h);
	/* write_fd: a temp file renamed into place, parents made */
	fx_join(path, fx->out, "sentinel");
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(drydock_store_write_fd(st, "w/x/copy", fd, -1), 0);
	close(fd);
	s = read_whole(fx->v2, "w/x/copy");
	assert_string_equal(s, SENTINEL);
	free(s);
	/* the clock probe leaves nothing behind */
	assert_int_equal(drydock_store_clock_skew(st, &skew), 0);
	assert_true(skew < 60 * 1000000000LL && skew > -60 * 1000000000LL);
	n.seen[0] = '\0';
	assert_int_equal(
	    drydock_store_dir_foreach(st, "", collect_name, &n), 0);
	assert_null(strstr(n.seen, "drydock-clock"));
	assert_outside_intact(fx);
	drydock_store_close(st);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TF(name)                                                               \
	{                                                                      \
		"fallback/" #name, name, setup_fallback, teardown, NULL        \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_store__open_close),
	    T(test_store__open_missing),
	    T(test_store__open_empty),
	    T(test_store__open_symlinked_component),
	    T(test_store__open_root_symlink_allowed),
	    T(test_store__lock_twice),
	    T(test_store__bad_handle),
	    T(test_store__path_check),
	    T(test_store__openat_hostile),
	    T(test_store__read_file),
	    T(test_store__stat),
	    T(test_store__blobs),
	    T(test_store__readonly),
	    T(test_store__unlink_rmdir),
	    T(test_store__rename_sibling),
	    T(test_store__remove_tree_symlinks),
	    T(test_store__prune_parents),
	    T(test_store__write_file),
	    T(test_store__move_round_trip),
	    T(test_store__move_cross_fs),
	    T(test_store__open_while_moved),
	    T(test_store__driver_calls),
	    /* the same without openat2: the O_NOFOLLOW walk */
	    TF(test_store__open_symlinked_component),
	    TF(test_store__openat_hostile),
	    TF(test_store__read_file),
	    TF(test_store__stat),
	    TF(test_store__blobs),
	    TF(test_store__unlink_rmdir),
	    TF(test_store__rename_sibling),
	    TF(test_store__remove_tree_symlinks),
	    TF(test_store__write_file),
	    TF(test_store__move_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
