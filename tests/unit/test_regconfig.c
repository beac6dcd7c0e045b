/* SPDX-License-Identifier: MIT */
/* test_regconfig.c --- reading a registry's config.yml. */
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
#include <drydock/regconfig.h>

#define ENV_ROOT "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/drydock-test-regconfig-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/config.yml", f->dir);
	unsetenv(ENV_ROOT);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	unsetenv(ENV_ROOT);
	unlink(f->path);
	rc = rmdir(f->dir);
	free(f);
	return rc;
}

static void
write_config(const struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Write text as the config and read it, expecting success. */
static void
read_ok(
    const struct fixture *f, const char *text, struct drydock_regconfig *cfg)
{
	int rc;

	write_config(f, text);
	memset(cfg, 0xff, sizeof(*cfg)); /* out is fully written */
	rc = drydock_regconfig_read(cfg, f->path);
	if (rc != 0)
		fail_msg("read failed (%d): %s", rc, drydock_error_message());
}

/* Write text as the config; reading must fail with code and a message. */
static void
read_fails(const struct fixture *f, const char *text, int code, const char *msg)
{
	struct drydock_regconfig cfg = {0};
	int rc;

	write_config(f, text);
	drydock_error_clear();
	rc = drydock_regconfig_read(&cfg, f->path);
	if (rc != code)
		fail_msg(
		    "got %d, not %d: %s", rc, code, drydock_error_message());
	if (strstr(drydock_error_message(), msg) == NULL)
		fail_msg(
		    "message '%s' lacks '%s'", drydock_error_message(), msg);
	assert_null(cfg.rootdirectory);
	assert_null(cfg.blobdescriptor);
}

/* Shaped like Debian's /etc/docker/registry/config.yml. */
static const char debian_config[] =
    "version: 0.1\n"
    "log:\n"
    "  fields:\n"
    "    service: registry\n"
    "storage:\n"
    "  cache:\n"
    "    blobdescriptor: inmemory\n"
    "  filesystem:\n"
    "    rootdirectory: /var/lib/docker-registry\n"
    "http:\n"
    "  addr: :5000\n"
    "  headers:\n"
    "    X-Content-Type-Options: [nosniff]\n"
    "auth:\n"
    "  htpasswd:\n"
    "    realm: basic-realm\n"
    "    path: /etc/docker/registry\n"
    "health:\n"
    "  storagedriver:\n"
    "    enabled: true\n"
    "    interval: 10s\n"
    "    threshold: 3\n";

static void
test_regconfig__debian(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_ok(f, debian_config, &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/docker-registry");
	assert_string_equal(cfg.blobdescriptor, "inmemory");
	assert_int_equal(cfg.delete_enabled, 0);
	assert_int_equal(cfg.readonly, 0);
	drydock_regconfig_release(&cfg);
	assert_null(cfg.rootdirectory);
	assert_null(cfg.blobdescriptor);
	drydock_regconfig_release(&cfg); /* twice is harmless */
	drydock_regconfig_release(NULL);
}

static void
test_regconfig__flow_style(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	/* As peers.md writes it for the tests. */
	read_ok(f,
	    "version: 0.1\n"
	    "storage:\n"
	    "  filesystem: {rootdirectory: /srv/reg/root}   # absolute\n"
	    "  delete: {enabled: true}\n"
	    "  maintenance:\n"
	    "    uploadpurging: {enabled: false}\n"
	    "http:\n"
	    "  addr: 127.0.0.1:5123\n"
	    "  secret: any-fixed-string\n"
	    "health: {storagedriver: {enabled: false}}\n",
	    &cfg);
	assert_string_equal(cfg.rootdirectory, "/srv/reg/root");
	assert_null(cfg.blobdescriptor);
	assert_int_equal(cfg.delete_enabled, 1);
	assert_int_equal(cfg.readonly, 0);
	drydock_regconfig_release(&cfg);

	/* All of it on one line, quoted. */
	read_ok(f,
	    "{version: 0.1, storage: {filesystem: {\"rootdirectory\": "
	    "'/a b/c'}, cache: {blobdescriptor: redis}, "
	    "maintenance: {readonly: {enabled: yes}}}}\n",
	    &cfg);
	assert_string_equal(cfg.rootdirectory, "/a b/c");
	assert_string_equal(cfg.blobdescriptor, "redis");
	assert_int_equal(cfg.delete_enabled, 0);
	assert_int_equal(cfg.readonly, 1);
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__booleans(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_ok(f,
	    "storage:\n"
	    "  filesystem:\n"
	    "    rootdirectory: /r\n"
	    "  delete:\n"
	    "    enabled: True\n"
	    "  maintenance:\n"
	    "    readonly:\n"
	    "      enabled: on\n",
	    &cfg);
	assert_int_equal(cfg.delete_enabled, 1);
	assert_int_equal(cfg.readonly, 1);
	drydock_regconfig_release(&cfg);

	read_ok(f,
	    "storage:\n"
	    "  filesystem: {rootdirectory: /r}\n"
	    "  maintenance: {readonly: {enabled: false}}\n"
	    "  delete: {enabled: no}\n",
	    &cfg);
	assert_int_equal(cfg.delete_enabled, 0);
	assert_int_equal(cfg.readonly, 0);
	drydock_regconfig_release(&cfg);

	/* The registry reads a quoted "true" as a string: delete stays off. */
	read_ok(f,
	    "storage: {filesystem: {rootdirectory: /r}, "
	    "delete: {enabled: \"true\"}}\n",
	    &cfg);
	assert_int_equal(cfg.delete_enabled, 0);
	drydock_regconfig_release(&cfg);

	/* ... but a non-boolean readonly stops the registry. */
	read_fails(f,
	    "storage: {filesystem: {rootdirectory: /r}, "
	    "maintenance: {readonly: {enabled: maybe}}}\n",
	    DRYDOCK_ECORRUPT, "readonly.enabled must be true or false");
	read_fails(f,
	    "storage: {filesystem: {rootdirectory: /r}, "
	    "maintenance: {readonly: true}}\n",
	    DRYDOCK_ECORRUPT, "readonly must be a mapping");
}

static void
test_regconfig__default_root(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_ok(f, "storage:\n  filesystem:\n    maxthreads: 100\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/registry");
	drydock_regconfig_release(&cfg);
	read_ok(
	    f, "storage:\n  filesystem:\n  delete: {enabled: true}\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/registry");
	assert_int_equal(cfg.delete_enabled, 1);
	drydock_regconfig_release(&cfg);
	read_ok(f, "storage: {filesystem: {}}\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/registry");
	drydock_regconfig_release(&cfg);
	/* "storage: filesystem" names the driver without parameters. */
	read_ok(f, "storage: filesystem\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/registry");
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__other_drivers(void **state)
{
	static const char *const drivers[] = {
	    "s3", "gcs", "azure", "inmemory", "swift", "oss"};
	struct fixture *f = *state;
	char text[256], msg[64];
	size_t i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		snprintf(text, sizeof(text),
		    "version: 0.1\n"
		    "storage:\n"
		    "  cache: {blobdescriptor: inmemory}\n"
		    "  delete: {enabled: true}\n"
		    "  redirect: {disable: true}\n"
		    "  maintenance: {uploadpurging: {enabled: false}}\n"
		    "  %s:\n"
		    "    bucket: b\n",
		    drivers[i]);
		snprintf(msg, sizeof(msg),
		    "storage driver '%s' is not supported", drivers[i]);
		read_fails(f, text, DRYDOCK_EUNSUPPORTED, msg);
	}
	read_fails(f, "storage: s3\n", DRYDOCK_EUNSUPPORTED,
	    "storage driver 's3' is not supported");
	read_fails(f, "storage: {inmemory: }\n", DRYDOCK_EUNSUPPORTED,
	    "storage driver 'inmemory' is not supported");
	/* The environment does not turn s3 into a filesystem. */
	setenv(ENV_ROOT, "/env/root", 1);
	read_fails(f, "storage: {s3: {region: x}}\n", DRYDOCK_EUNSUPPORTED,
	    "storage driver 's3' is not supported");
	/* Two drivers: the registry refuses to start. */
	unsetenv(ENV_ROOT);
	read_fails(f, "storage: {filesystem: {rootdirectory: /r}, s3: {}}\n",
	    DRYDOCK_ECORRUPT, "more than one driver");
}

static void
test_regconfig__no_driver(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_fails(f, "version: 0.1\nhttp:\n  addr: :5000\n", DRYDOCK_ECORRUPT,
	    "no storage driver");
	read_fails(f, "storage:\n  delete: {enabled: true}\n", DRYDOCK_ECORRUPT,
	    "no storage driver");
	read_fails(f, "", DRYDOCK_ECORRUPT, "no storage driver");
	read_fails(
	    f, "# only a comment\n", DRYDOCK_ECORRUPT, "no storage driver");
	/* The environment alone configures the filesystem driver. */
	setenv(ENV_ROOT, "/from/env", 1);
	read_ok(f, "storage:\n  delete: {enabled: true}\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/from/env");
	assert_int_equal(cfg.delete_enabled, 1);
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__env_override(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	setenv(ENV_ROOT, "/override/root", 1);
	read_ok(f, debian_config, &cfg);
	assert_string_equal(cfg.rootdirectory, "/override/root");
	assert_string_equal(cfg.blobdescriptor, "inmemory");
	drydock_regconfig_release(&cfg);
	/* Over the default too. */
	read_ok(f, "storage: filesystem\n", &cfg);
	assert_string_equal(cfg.rootdirectory, "/override/root");
	drydock_regconfig_release(&cfg);

	setenv(ENV_ROOT, "relative/root", 1);
	read_fails(f, debian_config, DRYDOCK_ECORRUPT,
	    ENV_ROOT " 'relative/root' is not an absolute path");
	setenv(ENV_ROOT, "", 1);
	read_fails(
	    f, debian_config, DRYDOCK_ECORRUPT, "is not an absolute path");
	unsetenv(ENV_ROOT);
	read_ok(f, debian_config, &cfg);
	assert_string_equal(cfg.rootdirectory, "/var/lib/docker-registry");
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__bad_root(void **state)
{
	struct fixture *f = *state;

	read_fails(f, "storage: {filesystem: {rootdirectory: var/lib/reg}}\n",
	    DRYDOCK_ECORRUPT,
	    "rootdirectory 'var/lib/reg' is not an absolute path");
	read_fails(f, "storage: {filesystem: {rootdirectory: ''}}\n",
	    DRYDOCK_ECORRUPT, "is not an absolute path");
	read_fails(f, "storage: {filesystem: {rootdirectory: }}\n",
	    DRYDOCK_ECORRUPT, "rootdirectory must be a path");
	read_fails(f, "storage: {filesystem: {rootdirectory: [/a]}}\n",
	    DRYDOCK_ECORRUPT, "rootdirectory must be a path");
}

static void
test_regconfig__bad_shapes(void **state)
{
	struct fixture *f = *state;

	read_fails(f, "- storage\n- filesystem\n", DRYDOCK_ECORRUPT,
	    "top level must be a mapping");
	read_fails(f, "storage: [filesystem]\n", DRYDOCK_ECORRUPT,
	    "storage must be a mapping");
	read_fails(f, "storage: {filesystem: /var/lib/registry}\n",
	    DRYDOCK_ECORRUPT, "storage.filesystem must be a mapping");
	read_fails(f, "storage: {filesystem: {}, delete: true}\n",
	    DRYDOCK_ECORRUPT, "storage.delete must be a mapping");
	read_fails(f,
	    "storage: {filesystem: {}, cache: {blobdescriptor: [a]}}\n",
	    DRYDOCK_ECORRUPT, "blobdescriptor must be a string");
}

static void
test_regconfig__bad_yaml(void **state)
{
	struct fixture *f = *state;
	char want[256];

	/* A tab cannot indent: line 3, column 1. */
	snprintf(want, sizeof(want), "cannot parse '%s' at 3:1: ", f->path);
	read_fails(f,
	    "version: 0.1\n"
	    "storage:\n"
	    "\tfilesystem: {rootdirectory: /r}\n",
	    DRYDOCK_ECORRUPT, want);
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_CONFIG);
	/* An unclosed flow mapping. */
	read_fails(f, "storage: {filesystem: {rootdirectory: /r}\n",
	    DRYDOCK_ECORRUPT, "cannot parse");
	read_fails(f, "storage:\n  filesystem:\n    rootdirectory: /r\n  x\n",
	    DRYDOCK_ECORRUPT, "while scanning a simple key at 4:3)");
	read_fails(f, "a: *nosuchanchor\n", DRYDOCK_ECORRUPT, "cannot parse");
	/* Invalid UTF-8 is a reader error with a byte offset. */
	read_fails(f, "storage: {filesystem: {rootdirectory: /\xff}}\n",
	    DRYDOCK_ECORRUPT, "at byte 39");
}

static void
test_regconfig__aliases(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_ok(f,
	    "x-common: &fs {rootdirectory: /anchored}\n"
	    "storage:\n"
	    "  filesystem: *fs\n",
	    &cfg);
	assert_string_equal(cfg.rootdirectory, "/anchored");
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__missing_file(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg = {0};

	drydock_error_clear();
	assert_int_equal(
	    drydock_regconfig_read(&cfg, f->path), DRYDOCK_ENOTFOUND);
	assert_non_null(strstr(drydock_error_message(), f->path));
	assert_int_equal(drydock_error_last()->klass, DRYDOCK_ERRCLASS_OS);
	assert_null(cfg.rootdirectory);
	/* A directory is not a config file. */
	assert_int_equal(drydock_regconfig_read(&cfg, f->dir), DRYDOCK_ERROR);
	assert_non_null(strstr(drydock_error_message(), "not a regular file"));
	/* teardown unlinks the file; make one so it has something to do */
	write_config(f, "");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_regconfig__debian),
	    T(test_regconfig__flow_style),
	    T(test_regconfig__booleans),
	    T(test_regconfig__default_root),
	    T(test_regconfig__other_drivers),
	    T(test_regconfig__no_driver),
	    T(test_regconfig__env_override),
	    T(test_regconfig__bad_root),
	    T(test_regconfig__bad_shapes),
	    T(test_regconfig__bad_yaml),
	    T(test_regconfig__aliases),
	    T(test_regconfig__missing_file),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
