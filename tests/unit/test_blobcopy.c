/* SPDX-License-Identifier: MIT */
/* test_blobcopy.c --- hard link, reflink and verified copy of blobs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/blobcopy.h>
#include <drydock/digest.h>
#include <drydock/errors.h>

struct fixture {
	char dir[64];
	int dirfd;
	int srcdir; /* dir/src */
	int dstdir; /* dir/dst */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-blobcopy.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	if (f->dirfd < 0 || mkdirat(f->dirfd, "src", 0755) < 0 ||
	    mkdirat(f->dirfd, "dst", 0755) < 0)
		return -1;
	f->srcdir = openat(f->dirfd, "src", O_RDONLY | O_DIRECTORY);
	f->dstdir = openat(f->dirfd, "dst", O_RDONLY | O_DIRECTORY);
	*state = f;
	return f->srcdir < 0 || f->dstdir < 0 ? -1 : 0;
}

static void
remove_all(int dirfd)
{
	struct dirent *de;
	DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY));

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' ||
		    (strcmp(de->d_name, ".") != 0 &&
		        strcmp(de->d_name, "..") != 0))
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	remove_all(f->srcdir);
	remove_all(f->dstdir);
	close(f->srcdir);
	close(f->dstdir);
	unlinkat(f->dirfd, "src", AT_REMOVEDIR);
	unlinkat(f->dirfd, "dst", AT_REMOVEDIR);
	close(f->dirfd);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Write a source file of n pseudo-random bytes; its digest in d. */
static int
make_src(
    struct fixture *f, const char *name, size_t n, struct drydock_digest *d)
{
	unsigned char *buf = malloc(n + 1);
	size_t i;
	int fd;

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 9));
	fd = openat(f->srcdir, name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(
	    drydock_digest_buffer(d, DRYDOCK_DIGEST_SHA256, buf, n), 0);
	free(buf);
	return fd;
}

static int
count_entries(int dirfd)
{
	struct dirent *de;
	DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY));
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
same_file(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	assert_int_equal(fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstat(fd, &b), 0);
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void
test_blobcopy__mode_names(void **state)
{
	int m = -1;

	(void)state;
	assert_int_equal(drydock_blobcopy_mode_parse(&m, "hard"), 0);
	assert_int_equal(m, DRYDOCK_BLOBCOPY_HARD);
	assert_int_equal(drydock_blobcopy_mode_parse(&m, "auto"), 0);
	assert_int_equal(m, DRYDOCK_BLOBCOPY_AUTO);
	assert_int_equal(drydock_blobcopy_mode_parse(&m, "copy"), 0);
	assert_int_equal(m, DRYDOCK_BLOBCOPY_COPY);
	assert_int_equal(drydock_blobcopy_mode_parse(&m, "reflink"), 0);
	assert_int_equal(m, DRYDOCK_BLOBCOPY_REFLINK);
	assert_int_equal(
	    drydock_blobcopy_mode_parse(&m, "symlink"), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "symlink"));
	assert_string_equal(
	    drydock_blobcopy_how_name(DRYDOCK_BLOBCOPY_COPIED), "copied");
	assert_string_equal(
	    drydock_blobcopy_mode_name(DRYDOCK_BLOBCOPY_HARD), "hard");
}

static void
test_blobcopy__copy_verifies(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d, other;
	int fd, how = -1;

	fd = make_src(f, "a", 3 * 1024 * 1024 + 17, &d);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	assert_int_equal(drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d,
	                     3 * 1024 * 1024 + 17),
	    0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	assert_false(same_file(f->dstdir, "a", fd));
	assert_int_equal(drydock_blobcopy_stats(bc)->count[how], 1);

	/* a wrong expected digest: refused, nothing left behind */
	other = d;
	other.raw[0] ^= 1;
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "b", &other, -1),
	    DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "digest mismatch"));
	assert_int_equal(count_entries(f->dstdir), 1);

	/* a wrong expected size: refused before any copy */
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "c", &d, 5),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(count_entries(f->dstdir), 1);

	/* again: present, skipped */
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d, -1), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_PRESENT);
	close(fd);
	drydock_blobcopy_free(bc);
}

/* A pipe fed with fd's first n bytes, by a child: its read end. */
static int
pipe_of(int fd, size_t n)
{
	char buf[65536];
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t off = 0;
		ssize_t r;

		close(p[0]);
		while (off < n &&
		    (r = pread(fd, buf,
		         n - off < sizeof(buf) ? n - off : sizeof(buf),
		         (off_t)off)) > 0) {
			if (write(p[1], buf, (size_t)r) != r)
				_exit(1);
			off += (size_t)r;
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

/* A blob streamed from object storage: a pipe, read once, copied. */
static void
test_blobcopy__pipe_source(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	const size_t n = 2 * 1024 * 1024 + 5;
	struct stat sb;
	int fd, pfd, sfd, how = -1;

	fd = make_src(f, "a", n, &d);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO, 0), 0);
	pfd = pipe_of(fd, n);
	assert_int_equal(drydock_blobcopy_file(
	                     bc, &how, pfd, f->dstdir, "a", &d, (int64_t)n),
	    0);
	close(pfd);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	assert_int_equal(fstatat(f->dstdir, "a", &sb, 0), 0);
	assert_int_equal(sb.st_size, (off_t)n);

	/* a short stream (a GET that broke off): refused, nothing left */
	pfd = pipe_of(fd, n - 1);
	assert_int_equal(drydock_blobcopy_file(
	                     bc, &how, pfd, f->dstdir, "b", &d, (int64_t)n),
	    DRYDOCK_ECORRUPT);
	close(pfd);
	assert_int_equal(count_entries(f->dstdir), 1);

	/* spool: a regular file is itself, hashed; a pipe a new file */
	assert_int_equal(drydock_blobcopy_spool(bc, &sfd, fd, &d, -1), 0);
	assert_int_equal(sfd, fd);
	pfd = pipe_of(fd, n);
	assert_int_equal(
	    drydock_blobcopy_spool(bc, &sfd, pfd, &d, (int64_t)n), 0);
	close(pfd);
	assert_true(sfd >= 0 && sfd != fd);
	assert_int_equal(fstat(sfd, &sb), 0);
	assert_true(S_ISREG(sb.st_mode) && sb.st_size == (off_t)n);
	assert_int_equal(lseek(sfd, 0, SEEK_CUR), 0);
	close(sfd);
	pfd = pipe_of(fd, n - 1);
	assert_int_equal(
	    drydock_blobcopy_spool(bc, &sfd, pfd, &d, -1), DRYDOCK_ECORRUPT);
	close(pfd);
	assert_int_equal(sfd, -1);

	/* hard and reflink cannot take a stream */
	drydock_blobcopy_free(bc);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD, 0), 0);
	pfd = pipe_of(fd, n);
	assert_int_equal(drydock_blobcopy_file(
	                     bc, &how, pfd, f->dstdir, "c", &d, (int64_t)n),
	    DRYDOCK_EUNSUPPORTED);
	close(pfd);
	drydock_blobcopy_note(bc, &how, DRYDOCK_BLOBCOPY_SERVER_COPIED, 7);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_SERVER_COPIED);
	assert_int_equal(
	    drydock_blobcopy_stats(bc)->bytes[DRYDOCK_BLOBCOPY_SERVER_COPIED],
	    7);
	assert_string_equal(drydock_blobcopy_how_name(how), "server_copied");
	close(fd);
	drydock_blobcopy_free(bc);
	while (wait(NULL) > 0)
		;
}

static void
test_blobcopy__hard_link(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	int fd, how = -1;

	fd = make_src(f, "a", 1000, &d);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d, 1000), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_HARDLINKED);
	assert_true(same_file(f->dstdir, "a", fd));
	drydock_blobcopy_free(bc);

	/* auto: reflink or hard link on one filesystem, never a copy */
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "b", &d, 1000), 0);
	assert_true(how == DRYDOCK_BLOBCOPY_HARDLINKED ||
	    how == DRYDOCK_BLOBCOPY_REFLINKED);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__verify_flag_checks_links(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d, other;
	int fd, how = -1;

	fd = make_src(f, "a", 4096, &d);
	other = d;
	other.raw[31] ^= 0x80;
	/* without VERIFY a link is not hashed: a lying digest goes through */
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "x", &other, 4096),
	    0);
	drydock_blobcopy_free(bc);
	assert_int_equal(drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_HARD,
	                     DRYDOCK_BLOBCOPY_VERIFY),
	    0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "y", &other, 4096),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(
	    faccessat(f->dstdir, "y", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* x holds the bytes of d: present, and hashed to prove it */
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "x", &d, 4096), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_PRESENT);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__wrong_size_replaced(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	char buf[16];
	int fd, dfd, how = -1;

	fd = make_src(f, "a", 100, &d);
	dfd = openat(f->dstdir, "a", O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(dfd, "short", 5), 5);
	close(dfd);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d, 100), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	assert_int_equal(drydock_blobcopy_stats(bc)->replaced, 1);
	dfd = openat(f->dstdir, "a", O_RDONLY);
	assert_int_equal(read(dfd, buf, sizeof(buf)), sizeof(buf));
	close(dfd);
	assert_int_equal((unsigned char)buf[1], 131);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__refuses_symlink_destination(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d;
	int fd, how;

	fd = make_src(f, "a", 10, &d);
	assert_int_equal(symlinkat("/etc/passwd", f->dstdir, "a"), 0);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d, 10),
	    DRYDOCK_EUNSAFE);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__sink(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_blobcopy_sink *s = NULL;
	struct drydock_digest d, got;
	uint64_t size = 0;
	int how = -1;

	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO, 0), 0);
	assert_int_equal(drydock_digest_buffer(
	                     &d, DRYDOCK_DIGEST_SHA256, "hello, world", 12),
	    0);
	assert_int_equal(
	    drydock_blobcopy_sink_new(&s, bc, f->dstdir, DRYDOCK_DIGEST_SHA256),
	    0);
	assert_int_equal(drydock_blobcopy_sink_write(s, "hello, ", 7), 0);
	assert_int_equal(drydock_blobcopy_sink_write(s, "world", 5), 0);
	assert_int_equal(drydock_blobcopy_sink_finish(s, &got, &size, &d), 0);
	assert_true(drydock_digest_equal(&got, &d));
	assert_int_equal(size, 12);
	assert_int_equal(
	    drydock_blobcopy_sink_commit(s, &how, f->dstdir, "hello"), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	drydock_blobcopy_sink_free(s);
	assert_int_equal(count_entries(f->dstdir), 1);

	/* the same again: already present, the temporary file is dropped */
	assert_int_equal(
	    drydock_blobcopy_sink_new(&s, bc, f->dstdir, DRYDOCK_DIGEST_SHA256),
	    0);
	assert_int_equal(drydock_blobcopy_sink_write(s, "hello, world", 12), 0);
	assert_int_equal(drydock_blobcopy_sink_finish(s, NULL, NULL, NULL), 0);
	assert_int_equal(
	    drydock_blobcopy_sink_commit(s, &how, f->dstdir, "hello"), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_PRESENT);
	drydock_blobcopy_sink_free(s);
	assert_int_equal(count_entries(f->dstdir), 1);

	/* a mismatch removes the temporary file */
	assert_int_equal(
	    drydock_blobcopy_sink_new(&s, bc, f->dstdir, DRYDOCK_DIGEST_SHA256),
	    0);
	assert_int_equal(drydock_blobcopy_sink_write(s, "hello, World", 12), 0);
	assert_int_equal(
	    drydock_blobcopy_sink_finish(s, NULL, NULL, &d), DRYDOCK_ECORRUPT);
	drydock_blobcopy_sink_free(s);
	assert_int_equal(count_entries(f->dstdir), 1);

	/* an abandoned sink leaves nothing */
	assert_int_equal(
	    drydock_blobcopy_sink_new(&s, bc, f->dstdir, DRYDOCK_DIGEST_SHA256),
	    0);
	assert_int_equal(drydock_blobcopy_sink_write(s, "x", 1), 0);
	assert_int_equal(count_entries(f->dstdir), 2);
	drydock_blobcopy_sink_free(s);
	assert_int_equal(count_entries(f->dstdir), 1);
	drydock_blobcopy_free(bc);
}

static int
collect(const void *buf, size_t len, void *payload)
{
	size_t *n = payload;

	(void)buf;
	*n += len;
	return 0;
}

static int
refuse(const void *buf, size_t len, void *payload)
{
	(void)buf;
	(void)len;
	(void)payload;
	return -321;
}

static void
test_blobcopy__stream(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	struct drydock_digest d, other;
	size_t n = 0;
	int fd;

	fd = make_src(f, "a", 2500000, &d);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_stream(bc, fd, &d, 2500000, collect, &n), 0);
	assert_int_equal(n, 2500000);
	other = d;
	other.raw[5] ^= 4;
	assert_int_equal(
	    drydock_blobcopy_stream(bc, fd, &other, -1, collect, &n),
	    DRYDOCK_ECORRUPT);
	assert_int_equal(
	    drydock_blobcopy_stream(bc, fd, &d, -1, refuse, NULL), -321);
	assert_int_equal(drydock_blobcopy_verify_fd(bc, fd, &d, 2500000), 0);
	assert_int_equal(
	    drydock_blobcopy_verify_fd(bc, fd, &other, -1), DRYDOCK_ECORRUPT);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__cancel(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	volatile sig_atomic_t stop = 1;
	struct drydock_digest d;
	int fd, how;

	fd = make_src(f, "a", 100, &d);
	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_COPY, 0), 0);
	drydock_blobcopy_set_cancel(bc, &stop);
	assert_int_equal(
	    drydock_blobcopy_file(bc, &how, fd, f->dstdir, "a", &d, 100),
	    DRYDOCK_EINTR);
	assert_int_equal(count_entries(f->dstdir), 0);
	close(fd);
	drydock_blobcopy_free(bc);
}

static void
test_blobcopy__buffer_and_sweep(void **state)
{
	struct fixture *f = *state;
	struct drydock_blobcopy *bc = NULL;
	int how = -1, fd;

	assert_int_equal(
	    drydock_blobcopy_new(&bc, DRYDOCK_BLOBCOPY_AUTO, 0), 0);
	assert_int_equal(
	    drydock_blobcopy_buffer(bc, &how, "{}", 2, f->dstdir, "m"), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_COPIED);
	assert_int_equal(
	    drydock_blobcopy_buffer(bc, &how, "{}", 2, f->dstdir, "m"), 0);
	assert_int_equal(how, DRYDOCK_BLOBCOPY_PRESENT);
	/* leftovers of a dead process go, others stay */
	fd = openat(f->dstdir, ".data.drydock-999999999-0123abcd.tmp",
	    O_CREAT | O_WRONLY, 0644);
	close(fd);
	fd = openat(f->dstdir, ".drydock-999999999-0123abcd.tmp",
	    O_CREAT | O_WRONLY, 0644);
	close(fd);
	fd = openat(
	    f->dstdir, ".data.drydock-1-zzzz.tmp", O_CREAT | O_WRONLY, 0644);
	close(fd);
	fd = openat(f->dstdir, "keep.tmp", O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(count_entries(f->dstdir), 5);
	assert_int_equal(drydock_blobcopy_sweep_temps(f->dstdir), 2);
	assert_int_equal(count_entries(f->dstdir), 3);
	drydock_blobcopy_free(bc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blobcopy__mode_names),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__copy_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__pipe_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__hard_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__verify_flag_checks_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__wrong_size_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__refuses_symlink_destination, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__sink, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blobcopy__buffer_and_sweep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
