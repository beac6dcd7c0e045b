/* SPDX-License-Identifier: MIT */
/*
 * test_outfile.c --- output files written whole (beside, then renamed),
 * or as they are when they are not regular files, or refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/errors.h>
#include "fe/outfile.h"

static int
setup(void **state)
{
	char *dir = strdup("/tmp/drydock-outfile.XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

/* The names in dir, sorted, joined by spaces. */
static void
entries(char *buf, size_t bufsz, const char *dir)
{
	struct dirent **v;
	int n, i;

	buf[0] = '\0';
	n = scandir(dir, &v, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 &&
		    strcmp(v[i]->d_name, "..") != 0) {
			if (buf[0] != '\0')
				strncat(buf, " ", bufsz - strlen(buf) - 1);
			strncat(buf, v[i]->d_name, bufsz - strlen(buf) - 1);
		}
		free(v[i]);
	}
	free(v);
}

static void
slurp(char *buf, size_t bufsz, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, bufsz - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
test_outfile__replaced_whole(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char path[512], buf[256];

	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(drydock_outfile_open(&of, path), 0);
	fputs("new", of.f);
	/* not there until commit: a reader sees nothing half-written */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(drydock_outfile_commit(&of), 0);
	slurp(buf, sizeof(buf), path);
	assert_string_equal(buf, "new");
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, "r.json");

	/* an old report stays whole until the new one replaces it */
	assert_int_equal(drydock_outfile_open(&of, path), 0);
	fputs("newer", of.f);
	slurp(buf, sizeof(buf), path);
	assert_string_equal(buf, "new");
	assert_int_equal(drydock_outfile_commit(&of), 0);
	slurp(buf, sizeof(buf), path);
	assert_string_equal(buf, "newer");
}

static void
test_outfile__abort_leaves_nothing(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char path[512], buf[256];

	snprintf(path, sizeof(path), "%s/m.prom", dir);
	assert_int_equal(drydock_outfile_open(&of, path), 0);
	fputs("half", of.f);
	drydock_outfile_abort(&of);
	drydock_outfile_abort(&of); /* idempotent */
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, "");
}

static void
test_outfile__errors(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char path[512];

	snprintf(path, sizeof(path), "%s/no/such/dir/r.json", dir);
	assert_int_equal(drydock_outfile_open(&of, path), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "r.json"));
	assert_null(of.f);
	/* a write error met earlier fails the commit, and nothing is left */
	assert_int_equal(drydock_outfile_open(&of, "/dev/full"), 0);
	fputs("x", of.f);
	assert_int_equal(drydock_outfile_commit(&of), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "/dev/full"));
}

static void
test_outfile__check(void **state)
{
	const char *dir = *state;
	char path[512], buf[512];

	/* writable: "-", a new file, an existing file, a FIFO, a device */
	assert_int_equal(drydock_outfile_check(NULL, "-"), 0);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(drydock_outfile_check(NULL, path), 0);
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, ""); /* the probe left nothing */
	assert_int_equal(drydock_outfile_check(NULL, "/dev/null"), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* does not block */
	assert_int_equal(drydock_outfile_check(NULL, path), 0);
	/* not writable: a missing directory, a directory, through a file */
	snprintf(path, sizeof(path), "%s/no/such/dir/r.json", dir);
	assert_int_equal(drydock_outfile_check(NULL, path), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "r.json"));
	assert_non_null(strstr(drydock_error_message(), "No such file"));
	assert_int_equal(
	    drydock_outfile_check(NULL, dir), DRYDOCK_EUNSUPPORTED);
	assert_non_null(strstr(drydock_error_message(), "is a directory"));
	snprintf(path, sizeof(path), "%s/fifo/r.json", dir);
	assert_int_equal(drydock_outfile_check(NULL, path), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "Not a directory"));
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, "fifo");
}

static void
test_outfile__fifo_written_directly(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char path[512], buf[256];
	FILE *r;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	if ((pid = fork()) == 0) {
		/* the writer: a temporary file beside a FIFO would never
		 * reach the reader */
		if (drydock_outfile_open(&of, path) < 0)
			_exit(1);
		fputs("through", of.f);
		_exit(drydock_outfile_commit(&of) == 0 ? 0 : 2);
	}
	r = fopen(path, "r");
	assert_non_null(r);
	assert_non_null(fgets(buf, sizeof(buf), r));
	fclose(r);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(buf, "through");
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, "fifo");
}

static void
test_outfile__symlink_written_through(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char real[512], link[512], buf[256];
	FILE *f;

	snprintf(real, sizeof(real), "%s/r.json", dir);
	snprintf(link, sizeof(link), "%s/l.json", dir);
	assert_int_equal(symlink("r.json", link), 0);
	/* a symlink to nothing: where would the file go? */
	assert_int_equal(drydock_outfile_open(&of, link), DRYDOCK_EUNSUPPORTED);
	assert_non_null(strstr(drydock_error_message(), "symlink to nothing"));
	assert_null(of.f);

	assert_non_null(f = fopen(real, "w"));
	fputs("old", f);
	fclose(f);
	assert_int_equal(
	    drydock_outfile_open_ext(&of, link, DRYDOCK_OUTFILE_SYNC), 0);
	fputs("new", of.f);
	assert_int_equal(drydock_outfile_commit(&of), 0);
	/* the file the link names was replaced; the link is still a link */
	assert_int_equal(readlink(link, buf, sizeof(buf) - 1), 6);
	buf[6] = '\0';
	assert_string_equal(buf, "r.json");
	slurp(buf, sizeof(buf), real);
	assert_string_equal(buf, "new");
	entries(buf, sizeof(buf), dir);
	assert_string_equal(buf, "l.json r.json");
}

static void
test_outfile__kinds(void **state)
{
	const char *dir = *state;
	struct drydock_outfile of;
	char path[512], link[512];
	int kind;

	assert_int_equal(drydock_outfile_check(&kind, "-"), 0);
	assert_int_equal(kind, DRYDOCK_OUTFILE_STDOUT);
	assert_int_equal(drydock_outfile_check(&kind, "/dev/null"), 0);
	assert_int_equal(kind, DRYDOCK_OUTFILE_DIRECT);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(drydock_outfile_check(&kind, path), 0);
	assert_int_equal(kind, DRYDOCK_OUTFILE_DIRECT);
	snprintf(path, sizeof(path), "%s/new.json", dir);
	assert_int_equal(drydock_outfile_check(&kind, path), 0);
	assert_int_equal(kind, DRYDOCK_OUTFILE_REPLACE);
	/* /dev/stdout is a symlink to our stdout, whatever that is */
	snprintf(link, sizeof(link), "%s/stdout", dir);
	assert_int_equal(symlink("/proc/self/fd/1", link), 0);
	assert_int_equal(drydock_outfile_check(&kind, link), 0);
	assert_int_equal(kind, DRYDOCK_OUTFILE_STDOUT);

	/* a directory is refused, and left alone */
	assert_int_equal(
	    drydock_outfile_check(&kind, dir), DRYDOCK_EUNSUPPORTED);
	assert_non_null(strstr(drydock_error_message(), "is a directory"));
	assert_int_equal(drydock_outfile_open(&of, dir), DRYDOCK_EUNSUPPORTED);
	assert_null(of.f);
	assert_null(of.tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_outfile__replaced_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__abort_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__check, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__fifo_written_directly, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__symlink_written_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outfile__kinds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
