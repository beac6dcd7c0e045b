/* SPDX-License-Identifier: MIT */
/* test_regauth.c --- registry credentials: --creds, auth files, helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/errors.h>
#include <drydock/regauth.h>

struct fixture {
	char dir[64];
	char path[128]; /* the auth file */
	char *old_path;
};

/*
 * docker-credential-test: answers for 127.0.0.1:5000 and Docker Hub's
 * key, says "not found" for others and fails for "broken.example".
 */
static const char helper[] =
    "#!/bin/sh\n"
    "[ \"$1\" = get ] || exit 3\n"
    "read -r server\n"
    "case $server in\n"
    "127.0.0.1:5000) echo '{\"ServerURL\":\"x\",\"Username\":\"helperuser\","
    "\"Secret\":\"helper-pass\"}' ;;\n"
    "https://index.docker.io/v1/) echo '{\"Username\":\"hub\",\"Secret\":"
    "\"hubpass\"}' ;;\n"
    "broken.example) echo 'boom: secret-in-output' >&2; exit 2 ;;\n"
    "*) echo 'credentials not found in native keychain'; exit 1 ;;\n"
    "esac\n";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char hp[160], np[4096];
	const char *p = getenv("PATH");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-regauth-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/auth.json", f->dir);
	snprintf(hp, sizeof(hp), "%s/docker-credential-test", f->dir);
	write_file(hp, helper, 0755);
	f->old_path = strdup(p ? p : "/usr/bin:/bin");
	snprintf(np, sizeof(np), "%s:%s", f->dir, f->old_path);
	setenv("PATH", np, 1);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("DOCKER_CONFIG", f->dir, 1); /* no config.json there yet */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	setenv("PATH", f->old_path, 1);
	unsetenv("DOCKER_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	free(f->old_path);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s/docker-credential-test", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/config.json", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
expect(const struct drydock_regauth_opts *o, const char *host, const char *user,
    const char *secret)
{
	char *u = NULL, *s = NULL;

	assert_int_equal(drydock_regauth_lookup(&u, &s, o, host), 0);
	if (user == NULL) {
		assert_null(u);
		assert_null(s);
		return;
	}
	assert_non_null(u);
	assert_string_equal(u, user);
	assert_string_equal(s, secret);
	free(u);
	drydock_regauth_forget(s);
}

static void
test_regauth__creds(void **state)
{
	struct drydock_regauth_opts o = {"alice:pa:ss", NULL};
	char *u, *s;

	(void)state;
	expect(&o, "any.example", "alice", "pa:ss");
	o.creds = "nocolon";
	assert_int_equal(
	    drydock_regauth_lookup(&u, &s, &o, "x"), DRYDOCK_ERROR);
	assert_null(strstr(drydock_error_message(), "nocolon"));
	/* nothing anywhere: anonymous */
	expect(NULL, "any.example", NULL, NULL);
}

static void
test_regauth__auths(void **state)
{
	struct fixture *f = *state;
	struct drydock_regauth_opts o = {NULL, f->path};
	char *u, *s;

	/* YWxpY2U6czNjcmV0 is alice:s3cret; aHViOmh1YnB3 is hub:hubpw */
	write_file(f->path,
	    "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcmV0\"},"
	    "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
	    "\"http://tok.example/\":{\"identitytoken\":\"refresh-1\"}}}",
	    0600);
	expect(&o, "127.0.0.1:5000", "alice", "s3cret");
	expect(&o, "127.0.0.1:5001", NULL, NULL);
	expect(&o, "docker.io", "hub", "hubpw");
	expect(&o, "registry-1.docker.io", "hub", "hubpw");
	expect(&o, "tok.example", "<token>", "refresh-1");
	/* REGISTRY_AUTH_FILE when there is no --authfile */
	setenv("REGISTRY_AUTH_FILE", f->path, 1);
	expect(NULL, "127.0.0.1:5000", "alice", "s3cret");
	unsetenv("REGISTRY_AUTH_FILE");
	/* --authfile must exist, and be an auth file */
	o.authfile = "/nonexistent/auth.json";
	assert_int_equal(
	    drydock_regauth_lookup(&u, &s, &o, "h"), DRYDOCK_ERROR);
	o.authfile = f->path;
	write_file(f->path, "[1]", 0600);
	assert_int_equal(
	    drydock_regauth_lookup(&u, &s, &o, "h"), DRYDOCK_ERROR);
	write_file(f->path, "{\"auths\":{\"h\":{\"auth\":\"!!!\"}}}", 0600);
	assert_int_equal(
	    drydock_regauth_lookup(&u, &s, &o, "h"), DRYDOCK_ERROR);
}

static void
test_regauth__helpers(void **state)
{
	struct fixture *f = *state;
	char cfg[160], *u, *s;

	snprintf(cfg, sizeof(cfg), "%s/config.json", f->dir);
	/* docker's config.json through DOCKER_CONFIG */
	write_file(cfg,
	    "{\"credHelpers\":{\"127.0.0.1:5000\":\"test\","
	    "\"broken.example\":\"test\",\"nohelper.example\":\"absent\"},"
	    "\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcmV0\"}},"
	    "\"credsStore\":\"test\"}",
	    0600);
	expect(NULL, "127.0.0.1:5000", "helperuser", "helper-pass");
	expect(NULL, "docker.io", "hub", "hubpass"); /* credsStore */
	expect(NULL, "other.example", NULL, NULL); /* not found: anonymous */
	assert_int_equal(drydock_regauth_lookup(&u, &s, NULL, "broken.example"),
	    DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "exit 2"));
	assert_null(strstr(drydock_error_message(), "secret-in-output"));
	assert_int_equal(
	    drydock_regauth_lookup(&u, &s, NULL, "nohelper.example"),
	    DRYDOCK_ERROR);
	assert_non_null(
	    strstr(drydock_error_message(), "docker-credential-absent"));
	unlink(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_regauth__creds, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_regauth__auths, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_regauth__helpers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
