/* SPDX-License-Identifier: MIT */
/*
 * test_archive.c --- the untrusted tar reader (cleaned names, refusals of
 * '..', absolute names, links and special files, confined link targets,
 * size caps) and the reproducible writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include <drydock/archive.h>
#include <drydock/errors.h>

struct fixture {
	char dir[64];
	char tar[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-archive.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->tar, sizeof(f->tar), "%s/t.tar", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* One raw entry, written with libarchive itself (no cleaning at all). */
struct raw {
	const char *name;
	int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO; 0: hard link */
	const char *data_or_target;
};

static void
write_raw(const char *path, const struct raw *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i, len;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a), 0);
	assert_int_equal(archive_write_open_filename(a, path), 0);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_perm(ae, 0644);
		len = 0;
		if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data_or_target);
		} else {
			archive_entry_set_filetype(ae, (unsigned)e[i].type);
			if (e[i].type == AE_IFLNK)
				archive_entry_set_symlink(
				    ae, e[i].data_or_target);
			if (e[i].type == AE_IFREG) {
				len = strlen(e[i].data_or_target);
				archive_entry_set_size(ae, (la_int64_t)len);
			}
		}
		assert_int_equal(archive_write_header(a, ae), 0);
		if (len)
			assert_int_equal(
			    archive_write_data(a, e[i].data_or_target, len),
			    (la_ssize_t)len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), 0);
	archive_write_free(a);
}

/* Read every entry; the error of the first refused one, or 0. */
static int
read_all(const char *path, unsigned flags, char *names, size_t namesz)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	int error;

	names[0] = '\0';
	assert_int_equal(drydock_archive_reader_open(&r, path, flags), 0);
	while ((error = drydock_archive_reader_next(&e, r)) == 0) {
		strncat(names, e.path, namesz - strlen(names) - 1);
		if (e.target != NULL) {
			strncat(names, "->", namesz - strlen(names) - 1);
			strncat(names, e.target, namesz - strlen(names) - 1);
		}
		strncat(names, " ", namesz - strlen(names) - 1);
	}
	drydock_archive_reader_free(r);
	return error == DRYDOCK_ITEROVER ? 0 : error;
}

static void
test_archive__names_cleaned(void **state)
{
	struct fixture *f = *state;
	const struct raw e[] = {{"./", AE_IFDIR, NULL},
	    {"./oci-layout", AE_IFREG, "{}"},
	    {"blobs//sha256/", AE_IFDIR, NULL},
	    {"./blobs/./sha256//abc", AE_IFREG, "x"}};
	char names[512];

	write_raw(f->tar, e, 4);
	assert_int_equal(read_all(f->tar, 0, names, sizeof(names)), 0);
	assert_string_equal(names, "oci-layout blobs/sha256 blobs/sha256/abc ");
}

static void
expect_refused(
    struct fixture *f, const struct raw *e, unsigned flags, const char *why)
{
	char names[512];

	write_raw(f->tar, e, 1);
	assert_int_equal(
	    read_all(f->tar, flags, names, sizeof(names)), DRYDOCK_EUNSAFE);
	if (strstr(drydock_error_message(), why) == NULL)
		fail_msg(
		    "'%s' does not say '%s'", drydock_error_message(), why);
}

static void
test_archive__refusals(void **state)
{
	struct fixture *f = *state;
	const struct raw dotdot = {"../evil", AE_IFREG, "x"};
	const struct raw inner = {"blobs/../../evil", AE_IFREG, "x"};
	const struct raw abs = {"/etc/evil", AE_IFREG, "x"};
	const struct raw sym = {"blobs/sha256/aa", AE_IFLNK, "/etc/passwd"};
	const struct raw hard = {"blobs/sha256/bb", 0, "/etc/passwd"};
	const struct raw fifo = {"fifo", AE_IFIFO, NULL};
	const struct raw symesc = {"a/b", AE_IFLNK, "../../x"};
	const struct raw symabs = {"a/b", AE_IFLNK, "/x"};
	const struct raw hardesc = {"a/b", 0, "../x"};

	expect_refused(f, &dotdot, 0, "'..' in the path");
	expect_refused(f, &inner, 0, "'blobs/../../evil' refused: '..'");
	expect_refused(f, &abs, 0, "absolute path");
	expect_refused(f, &sym, 0, "refused: symlink");
	expect_refused(f, &hard, 0, "refused: hard link");
	expect_refused(f, &fifo, DRYDOCK_ARCHIVE_LINKS, "not a regular file");
	/* even when links are allowed, they must stay inside */
	expect_refused(
	    f, &symesc, DRYDOCK_ARCHIVE_LINKS, "outside the archive");
	expect_refused(
	    f, &symabs, DRYDOCK_ARCHIVE_LINKS, "absolute link target");
	expect_refused(f, &hardesc, DRYDOCK_ARCHIVE_LINKS, "'..' in the path");
	expect_refused(f, &dotdot, DRYDOCK_ARCHIVE_LINKS, "'..' in the path");
}

static void
test_archive__confined_links(void **state)
{
	struct fixture *f = *state;
	const struct raw e[] = {{"abc.tar", AE_IFREG, "layer"},
	    {"legacy/layer.tar", AE_IFLNK, "../abc.tar"},
	    {"deep/x/y", AE_IFLNK, "./../../abc.tar"},
	    {"copy.tar", 0, "./abc.tar"}};
	char names[512];

	write_raw(f->tar, e, 4);
	assert_int_equal(
	    read_all(f->tar, DRYDOCK_ARCHIVE_LINKS, names, sizeof(names)), 0);
	assert_string_equal(names,
	    "abc.tar legacy/layer.tar->abc.tar "
	    "deep/x/y->abc.tar copy.tar->abc.tar ");
}

static void
roundtrip(struct fixture *f, int compression)
{
	struct drydock_archive_writer *w = NULL;
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	char *buf = NULL;
	size_t len;
	int fd;

	fd = open(f->tar, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(drydock_archive_writer_open(&w, fd, compression), 0);
	assert_int_equal(drydock_archive_writer_dir(w, "blobs"), 0);
	assert_int_equal(drydock_archive_writer_begin(w, "blobs/a", 10), 0);
	assert_int_equal(drydock_archive_writer_data(w, "01234", 5), 0);
	/* more than declared is refused */
	assert_int_equal(
	    drydock_archive_writer_data(w, "0123456", 6), DRYDOCK_ERROR);
	assert_int_equal(drydock_archive_writer_data(w, "56789", 5), 0);
	assert_int_equal(
	    drydock_archive_writer_file(w, "index.json", "{\"a\":1}", 7), 0);
	assert_int_equal(drydock_archive_writer_symlink(w, "l", "blobs/a"), 0);
	assert_int_equal(drydock_archive_writer_close(w), 0);
	drydock_archive_writer_free(w);
	close(fd);

	assert_int_equal(
	    drydock_archive_reader_open(&r, f->tar, DRYDOCK_ARCHIVE_LINKS), 0);
	assert_int_equal(drydock_archive_reader_next(&e, r), 0);
	assert_string_equal(e.path, "blobs");
	assert_int_equal(e.type, DRYDOCK_ARCHIVE_DIR);
	assert_int_equal(drydock_archive_reader_next(&e, r), 0);
	assert_int_equal(e.size, 10);
	assert_int_equal(
	    drydock_archive_reader_read_all(&buf, &len, r, 100), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	free(buf);
	assert_int_equal(drydock_archive_reader_next(&e, r), 0);
	assert_string_equal(e.path, "index.json");
	/* a cap below the size refuses the entry */
	assert_int_equal(drydock_archive_reader_read_all(&buf, &len, r, 6),
	    DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "larger than 6 bytes"));
	drydock_archive_reader_free(r);
}

static void
test_archive__roundtrip(void **state)
{
	roundtrip(*state, DRYDOCK_ARCHIVE_PLAIN);
	roundtrip(*state, DRYDOCK_ARCHIVE_GZIP);
	roundtrip(*state, DRYDOCK_ARCHIVE_ZSTD);
}

static void
test_archive__not_a_tar(void **state)
{
	struct fixture *f = *state;
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	FILE *fp = fopen(f->tar, "w");

	assert_non_null(fp);
	fputs("this is not a tar archive at all, just some text\n", fp);
	fclose(fp);
	if (drydock_archive_reader_open(&r, f->tar, 0) == 0) {
		assert_true(drydock_archive_reader_next(&e, r) < 0);
		drydock_archive_reader_free(r);
	}
	assert_int_equal(drydock_archive_reader_open(&r, "/nonexistent/x", 0),
	    DRYDOCK_ENOTFOUND);
}

struct membuf {
	unsigned char *p;
	size_t len, off, chunk;
};

static int
mem_write(const void *buf, size_t len, void *payload)
{
	struct membuf *m = payload;

	m->p = realloc(m->p, m->len + len);
	assert_non_null(m->p);
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* hands out the buffer in small chunks, as an archive entry would */
static int
mem_read(const void **buf, size_t *len, void *payload)
{
	struct membuf *m = payload;
	size_t n = m->len - m->off < m->chunk ? m->len - m->off : m->chunk;

	*buf = m->p + m->off;
	*len = n;
	m->off += n;
	return 0;
}

static int
failing_read(const void **buf, size_t *len, void *payload)
{
	(void)buf;
	(void)len;
	(void)payload;
	drydock_error_set(DRYDOCK_ERRCLASS_OS, "source went away");
	return DRYDOCK_EINTR;
}

static void
squeeze(int compression, const char *name_expect)
{
	struct drydock_archive_compressor *c = NULL;
	struct drydock_archive_reader *r = NULL;
	struct membuf z = {NULL, 0, 0, 7}, out = {NULL, 0, 0, 0};
	unsigned char plain[100000];
	const void *buf;
	size_t len, i;
	int found = -1;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (unsigned char)(i * 7 % 251);
	assert_int_equal(
	    drydock_archive_compressor_new(&c, compression, mem_write, &z), 0);
	assert_int_equal(
	    drydock_archive_compressor_write(c, plain, sizeof(plain)), 0);
	assert_int_equal(drydock_archive_compressor_close(c), 0);
	drydock_archive_compressor_free(c);
	assert_true(z.len > 0 && z.len < sizeof(plain));
	assert_int_equal(
	    drydock_archive_decompressor_open(&r, &found, mem_read, &z), 0);
	assert_int_equal(found, compression);
	for (;;) {
		assert_int_equal(drydock_archive_reader_data(&buf, &len, r), 0);
		if (len == 0)
			break;
		mem_write(buf, len, &out);
	}
	drydock_archive_reader_free(r);
	assert_int_equal(out.len, sizeof(plain));
	assert_memory_equal(out.p, plain, sizeof(plain));
	(void)name_expect;
	free(z.p);
	free(out.p);
}

static void
test_archive__compress_decompress(void **state)
{
	struct drydock_archive_reader *r = NULL;
	struct membuf m = {NULL, 0, 0, 3};
	const void *buf;
	size_t len;
	int found = -1;

	(void)state;
	squeeze(DRYDOCK_ARCHIVE_GZIP, "gzip");
	squeeze(DRYDOCK_ARCHIVE_ZSTD, "zstd");
	/* plain bytes come through unchanged */
	mem_write("just some plain bytes", 21, &m);
	assert_int_equal(
	    drydock_archive_decompressor_open(&r, &found, mem_read, &m), 0);
	assert_int_equal(found, DRYDOCK_ARCHIVE_PLAIN);
	assert_int_equal(drydock_archive_reader_data(&buf, &len, r), 0);
	assert_int_equal(len, 21);
	assert_memory_equal(buf, "just some plain bytes", 21);
	drydock_archive_reader_free(r);
	free(m.p);
	/* the source's error comes back as it was */
	assert_int_equal(
	    drydock_archive_decompressor_open(&r, NULL, failing_read, NULL),
	    DRYDOCK_EINTR);
}

static void
test_archive__compression_for(void **state)
{
	(void)state;
	assert_int_equal(
	    drydock_archive_compression_for("a.tar"), DRYDOCK_ARCHIVE_PLAIN);
	assert_int_equal(
	    drydock_archive_compression_for("a.tar.gz"), DRYDOCK_ARCHIVE_GZIP);
	assert_int_equal(
	    drydock_archive_compression_for("a.tgz"), DRYDOCK_ARCHIVE_GZIP);
	assert_int_equal(
	    drydock_archive_compression_for("a.tar.zst"), DRYDOCK_ARCHIVE_ZSTD);
	assert_int_equal(
	    drydock_archive_compression_for("zst"), DRYDOCK_ARCHIVE_PLAIN);
}

/*
 * A full disk is an OS error with its errno, not libarchive's bare
 * "Write error": drydock-migrate exits 8 on it and names the reason.
 */
static void
test_archive__write_error_keeps_errno(void **state)
{
	struct drydock_archive_writer *w = NULL;
	int fd, error;

	(void)state;
	fd = open("/dev/full", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(
	    drydock_archive_writer_open(&w, fd, DRYDOCK_ARCHIVE_PLAIN), 0);
	/* a block's worth and more: libarchive writes before the close */
	error = drydock_archive_writer_begin(w, "big", 64 << 10);
	if (error == 0) {
		static char zeros[64 << 10];

		error = drydock_archive_writer_data(w, zeros, sizeof(zeros));
	}
	if (error == 0)
		error = drydock_archive_writer_close(w);
	assert_int_equal(error, DRYDOCK_ERROR);
	assert_int_equal(drydock_error_last()->sys_errno, ENOSPC);
	assert_non_null(
	    strstr(drydock_error_message(), "No space left on device"));
	drydock_archive_writer_free(w);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_archive__names_cleaned, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_archive__refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_archive__confined_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_archive__roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_archive__not_a_tar, setup, teardown),
	    cmocka_unit_test(test_archive__compression_for),
	    cmocka_unit_test(test_archive__compress_decompress),
	    cmocka_unit_test(test_archive__write_error_keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
