/* SPDX-License-Identifier: MIT */
/*
 * test_owner.c --- what root creates in a store takes the owner, group and
 * mode of the directory it is created in (lib/owner.c), through every
 * writer: store files and directories, a new root, blob copies, sinks; a
 * hard link never gives a source away.  Needs root (skipped otherwise).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <drydock/blobcopy.h>
#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/store.h>

#include "fixtures.h"

#define UID 65534 /* the registry's user, here: nobody */
#define GID 65533

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx_setup(fx);
	make_dir(fx->v2, "blobs");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	fx_teardown(*state);
	free(*state);
	return 0;
}

static void
need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* chown and chmod base/rel (rel "" is base itself) */
static void
own(const char *base, const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
	char path[PATH_MAX];

	if (*rel == '\0')
		snprintf(path, sizeof(path), "%s", base);
	else
		fx_join(path, base, rel);
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
		fx_die("cannot chown", path);
}

/* the registry's store: root, docker/registry/v2 and blobs/ are its own */
static void
give_store(struct fx *fx, mode_t mode)
{
	own(fx->root, "", UID, GID, mode);
	own(fx->root, "docker", UID, GID, mode);
	own(fx->root, "docker/registry", UID, GID, mode);
	own(fx->v2, "", UID, GID, mode);
	own(fx->v2, "blobs", UID, GID, mode);
}

static void
check_owner(
    const char *base, const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
	char path[PATH_MAX];
	struct stat sb;

	fx_join(path, base, rel);
	if (lstat(path, &sb) < 0)
		fail_msg("'%s' missing", rel);
	if (sb.st_uid != uid || sb.st_gid != gid ||
	    (sb.st_mode & 07777) != mode)
		fail_msg("'%s': %ld:%ld %04o, expected %ld:%ld %04o", rel,
		    (long)sb.st_uid, (long)sb.st_gid,
		    (unsigned)(sb.st_mode & 07777), (long)uid, (long)gid,
		    (unsigned)mode);
}

/* no ".*.drydock-*.tmp" entry left in base/rel */
static void
check_no_temp(const char *base, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	fx_join(path, base, rel);
	if ((d = opendir(path)) == NULL)
		fx_die("cannot open", path);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".drydock-") != NULL)
			fail_msg("'%s/%s' left behind", rel, de->d_name);
	closedir(d);
}

static void
test_owner__store_write(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	static const char *const dirs[] = {"repositories", "repositories/a",
	    "repositories/a/_layers", "repositories/a/_layers/sha256",
	    "repositories/a/_layers/sha256/ab"};

	need_root();
	give_store(fx, 0750);
	assert_int_equal(drydock_store_open(&st, fx->root, 0), 0);
	assert_int_equal(drydock_store_write_file(st,
	                     "repositories/a/_layers/sha256/ab/link", "x", 1),
	    0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		check_owner(fx->v2, dirs[i], UID, GID, 0750);
	check_owner(
	    fx->v2, "repositories/a/_layers/sha256/ab/link", UID, GID, 0640);
	check_no_temp(fx->v2, "repositories/a/_layers/sha256");
	check_no_temp(fx->v2, "repositories/a/_layers/sha256/ab");
	/* a rewrite replaces a file of root's with one of the registry's */
	own(fx->v2, "repositories/a/_layers/sha256/ab/link", 0, 0, 0600);
	assert_int_equal(drydock_store_write_file(st,
	                     "repositories/a/_layers/sha256/ab/link", "y", 1),
	    0);
	check_owner(
	    fx->v2, "repositories/a/_layers/sha256/ab/link", UID, GID, 0640);
	/* an existing directory of root's stays root's, and so do its own */
	make_dir(fx->v2, "repositories/r");
	own(fx->v2, "repositories/r", 0, 0, 0755);
	assert_int_equal(
	    drydock_store_write_file(st, "repositories/r/f", "z", 1), 0);
	check_owner(fx->v2, "repositories/r", 0, 0, 0755);
	check_owner(fx->v2, "repositories/r/f", 0, 0, 0644);
	drydock_store_close(st);
}

static void
test_owner__modes(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	int fd;

	need_root();
	give_store(fx, 0755);
	make_dir(fx->v2, "sg");
	own(fx->v2, "sg", UID, GID, 02775);
	make_dir(fx->v2, "tmpdir");
	own(fx->v2, "tmpdir", 0, 0, 01777);
	assert_int_equal(drydock_store_open(&st, fx->root, 0), 0);
	/* setgid and group-writable: kept, files without x */
	assert_int_equal(drydock_store_write_file(st, "sg/d/f", "x", 1), 0);
	check_owner(fx->v2, "sg/d", UID, GID, 02775);
	check_owner(fx->v2, "sg/d/f", UID, GID, 0664);
	/* a world-writable parent is no model: 0755 and 0644 */
	assert_int_equal(drydock_store_write_file(st, "tmpdir/d/f", "x", 1), 0);
	check_owner(fx->v2, "tmpdir/d", 0, 0, 0755);
	check_owner(fx->v2, "tmpdir/d/f", 0, 0, 0644);
	/* a directory its owner cannot write: made by root, given away */
	make_dir(fx->v2, "ro");
	own(fx->v2, "ro", UID, GID, 0550);
	assert_int_equal(drydock_store_write_file(st, "ro/d/f", "x", 1), 0);
	check_owner(fx->v2, "ro/d", UID, GID, 0550);
	check_owner(fx->v2, "ro/d/f", UID, GID, 0440);
	fd = drydock_store_mkdir_open(st, "repositories/m/n");
	assert_true(fd >= 0);
	close(fd);
	check_owner(fx->v2, "repositories/m/n", UID, GID, 0755);
	drydock_store_close(st);
}

static void
test_owner__new_root(void **state)
{
	struct fx *fx = *state;
	struct drydock_store *st = NULL;
	char root[PATH_MAX];
	mode_t um = umask(022);

	need_root();
	make_dir(fx->tmp, "reg");
	own(fx->tmp, "reg", UID, GID, 0750);
	fx_join(root, fx->tmp, "reg/new/root");
	assert_int_equal(
	    drydock_store_open(&st, root, DRYDOCK_STORE_CREATE), 0);
	umask(um);
	/* the root itself: as mkdir -p makes it, the parent's owner */
	check_owner(fx->tmp, "reg/new", UID, GID, 0755);
	check_owner(fx->tmp, "reg/new/root", UID, GID, 0755);
	check_owner(fx->tmp, "reg/new/root/docker/registry/v2", UID, GID, 0755);
	drydock_store_close(st);
	/* a root below a directory of root's is root's */
	fx_join(root, fx->tmp, "own/root");
	assert_int_equal(
	    drydock_store_open(&st, root, DRYDOCK_STORE_CREATE), 0);
	check_owner(fx->tmp, "own/root/docker/registry/v2", 0, 0, 0755);
	drydock_store_close(st);
}

static int
open_dir(const char *base, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	fx_join(path, base, rel);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fx_die("cannot open", path);
	return fd;
}

static void
test_owner__blobcopy(void **state)
{
	struct fx *fx = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	char path[PATH_MAX];
	struct stat sb;
	int src, dst, fd, how = -1;

	need_root();
	make_file(fx->tmp, "src/blob", "hello");
	make_dir(fx->tmp, "dst");
	own(fx->tmp, "dst", UID, GID, 0750);
	assert_int_equal(
	    drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, "hello", 5), 0);
	src = open(fx_join(path, fx->tmp, "src/blob"), O_RDONLY | O_CLOEXEC);
	assert_true(src >= 0);
	dst = open_dir(fx->tmp, "dst");

	/* hard: a hard link would keep root's owner; refused, nothing left */
	assert_int_equal(drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD,
	                     DRYDOCK_BLOBCOPY_OWNER),
	    0);
	assert_int_equal(drydock_blobcopy_file(bc, &how, src, dst, "a", &d, 5),
	    DRYDOCK_EUNSUPPORTED);
	assert_non_null(strstr(drydock_error_message(), "owner"));
	assert_false(path_exists(fx->tmp, "dst/a"));
	check_no_temp(fx->tmp, "dst");
	drydock_blobcopy_free(bc);

	/* auto: copied (or reflinked), a new inode of the directory's owner */
	assert_int_equal(drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO,
	                     DRYDOCK_BLOBCOPY_OWNER),
	    0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, src, dst, "a", &d, 5), 0);
	assert_true(how == DRYDOCK_BLOBCOPY_COPIED ||
	    how == DRYDOCK_BLOBCOPY_REFLINKED);
	check_owner(fx->tmp, "dst/a", UID, GID, 0640);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_nlink, 1);
	/* a buffer too */
	assert_int_equal(
	    drydock_blobcopy_buffer(bc, &how, "{}", 2, dst, "m"), 0);
	check_owner(fx->tmp, "dst/m", UID, GID, 0640);
	drydock_blobcopy_free(bc);

	/* without DRYDOCK_BLOBCOPY_OWNER (an OCI layout): linked, as ever */
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, src, dst, "l", &d, 5), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_HARDLINKED);
	check_owner(fx->tmp, "dst/l", 0, 0, 0644);
	drydock_blobcopy_free(bc);
	assert_int_equal(unlinkat(dst, "l", 0), 0);

	/* a source that is the directory's owner's already: linked */
	own(fx->tmp, "src/blob", UID, GID, 0640);
	assert_int_equal(drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD,
	                     DRYDOCK_BLOBCOPY_OWNER),
	    0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, src, dst, "b", &d, 5), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_HARDLINKED);
	check_owner(fx->tmp, "dst/b", UID, GID, 0640);
	drydock_blobcopy_free(bc);
	check_no_temp(fx->tmp, "dst");

	/* a sink made in a directory of root's, committed into dst */
	make_dir(fx->tmp, "sinktmp");
	own(fx->tmp, "sinktmp", 0, 0, 0755);
	fd = open_dir(fx->tmp, "sinktmp");
	{
		struct drydock_blobcopy_sink *s = NULL;

		assert_int_equal(
		    drydock_blobcopy_new(
		        &bc, DRYDOCK_BLOBCOPY_AUTO, DRYDOCK_BLOBCOPY_OWNER),
		    0);
		assert_int_equal(drydock_blobcopy_sink_new(
		                     &s, bc, fd, DRYDOCK_DIGEST_SHA256),
		    0);
		assert_int_equal(drydock_blobcopy_sink_write(s, "hello", 5), 0);
		assert_int_equal(
		    drydock_blobcopy_sink_finish(s, NULL, NULL, &d), 0);
		assert_int_equal(
		    drydock_blobcopy_sink_commit(s, &how, dst, "c"), 0);
		drydock_blobcopy_sink_free(s);
		drydock_blobcopy_free(bc);
	}
	check_owner(fx->tmp, "dst/c", UID, GID, 0640);
	close(fd);
	close(dst);
	close(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_owner__store_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner__modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_owner__new_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_owner__blobcopy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
