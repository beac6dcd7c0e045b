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

/* The variables the registry (and so drydock) reads for its storage. */
static const char *const env_vars[] = {ENV_ROOT,
    "REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS", "REGISTRY_STORAGE_S3_ACCESSKEY",
    "REGISTRY_STORAGE_S3_SECRETKEY", "REGISTRY_STORAGE_S3_REGION",
    "REGISTRY_STORAGE_S3_REGIONENDPOINT", "REGISTRY_STORAGE_S3_BUCKET",
    "REGISTRY_STORAGE_S3_ROOTDIRECTORY", "REGISTRY_STORAGE_S3_SECURE",
    "REGISTRY_STORAGE_S3_SKIPVERIFY", "REGISTRY_STORAGE_S3_V4AUTH",
    "REGISTRY_STORAGE_S3_CHUNKSIZE", "REGISTRY_STORAGE_S3AWS_BUCKET",
    "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY",
    "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "SSL_CERT_FILE"};

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
}

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
	clear_env();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	clear_env();
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
	    "gcs", "azure", "inmemory", "swift", "oss"};
	struct fixture *f = *state;
	char text[256], msg[128];
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
		    "storage driver '%s' is not supported: drydock knows "
		    "the filesystem and s3 drivers",
		    drivers[i]);
		read_fails(f, text, DRYDOCK_EUNSUPPORTED, msg);
		assert_null(strchr(drydock_error_message(), '\n'));
	}
	read_fails(f, "storage: gcs\n", DRYDOCK_EUNSUPPORTED,
	    "storage driver 'gcs' is not supported");
	read_fails(f, "storage: {inmemory: }\n", DRYDOCK_EUNSUPPORTED,
	    "storage driver 'inmemory' is not supported");
	/* The environment does not turn s3 into a filesystem: the registry
	 * stops on "multiple storage drivers", and so do we. */
	setenv(ENV_ROOT, "/env/root", 1);
	read_fails(f, "storage: {s3: {region: x, bucket: b}}\n",
	    DRYDOCK_ECORRUPT,
	    "more than one driver ('s3', and 'filesystem' from the "
	    "environment)");
	/* Two drivers: the registry refuses to start. */
	unsetenv(ENV_ROOT);
	read_fails(f, "storage: {filesystem: {rootdirectory: /r}, s3: {}}\n",
	    DRYDOCK_ECORRUPT, "more than one driver");
}

/* As t5000 and docs/s3-test-server.md configure docker-registry. */
static const char s3_config[] =
    "version: 0.1\n"
    "log: {level: warn, formatter: text}\n"
    "storage:\n"
    "  s3:\n"
    "    region: us-east-1\n"
    "    regionendpoint: http://127.0.0.1:7480   # path-style\n"
    "    bucket: registry\n"
    "    accesskey: TESTKEY\n"
    "    secretkey: TESTSECRET\n"
    "    secure: false\n"
    "    v4auth: true\n"
    "    rootdirectory: /x\n"
    "  delete: {enabled: true}\n"
    "  redirect: {disable: true}\n"
    "http: {addr: 127.0.0.1:5002, secret: test-only}\n";

static void
test_regconfig__s3(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	read_ok(f, s3_config, &cfg);
	assert_int_equal(cfg.driver, DRYDOCK_REGCONFIG_S3);
	assert_null(cfg.rootdirectory);
	assert_int_equal(cfg.delete_enabled, 1);
	assert_string_equal(cfg.s3.region, "us-east-1");
	assert_string_equal(cfg.s3.regionendpoint, "http://127.0.0.1:7480");
	assert_string_equal(cfg.s3.bucket, "registry");
	assert_string_equal(cfg.s3.accesskey, "TESTKEY");
	assert_string_equal(cfg.s3.secretkey, "TESTSECRET");
	assert_null(cfg.s3.sessiontoken);
	assert_string_equal(cfg.s3.rootdirectory, "/x");
	assert_int_equal(cfg.s3.secure, 0);
	assert_int_equal(cfg.s3.skipverify, 0);
	assert_int_equal(cfg.s3.v4auth, 1);
	assert_int_equal(cfg.s3.chunksize, 10 << 20);
	drydock_regconfig_release(&cfg);
	assert_null(cfg.s3.secretkey);
	assert_int_equal(cfg.driver, DRYDOCK_REGCONFIG_FILESYSTEM);

	/* defaults, the s3aws name, a quoted "1" (strconv.ParseBool) */
	read_ok(f,
	    "storage: {s3aws: {region: eu-west-1, bucket: 'b', "
	    "skipverify: \"1\", v4auth: off, chunksize: 5242880}}\n",
	    &cfg);
	assert_int_equal(cfg.driver, DRYDOCK_REGCONFIG_S3);
	assert_null(cfg.s3.regionendpoint);
	assert_null(cfg.s3.rootdirectory);
	assert_null(cfg.s3.accesskey);
	assert_int_equal(cfg.s3.secure, 1);
	assert_int_equal(cfg.s3.skipverify, 1);
	assert_int_equal(cfg.s3.v4auth, 0);
	assert_int_equal(cfg.s3.chunksize, 5 << 20);
	drydock_regconfig_release(&cfg);

	/* numbers as the driver reads them: a string with a base prefix */
	read_ok(f,
	    "storage: {s3: {region: r, bucket: 123, chunksize: '0x1000000', "
	    "secure: t}}\n",
	    &cfg);
	assert_string_equal(cfg.s3.bucket, "123");
	assert_int_equal(cfg.s3.chunksize, 16 << 20);
	assert_int_equal(cfg.s3.secure, 1);
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__s3_env(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;

	/* REGISTRY_STORAGE_S3_<KEY> overrides the file, read as YAML */
	setenv("REGISTRY_STORAGE_S3_BUCKET", "other", 1);
	setenv("REGISTRY_STORAGE_S3_SECURE", "true", 1);
	setenv("REGISTRY_STORAGE_S3_CHUNKSIZE", "20971520", 1);
	setenv("REGISTRY_STORAGE_S3_ROOTDIRECTORY", "'/quoted root'", 1);
	setenv("REGISTRY_STORAGE_S3_SECRETKEY", "from-env", 1);
	read_ok(f, s3_config, &cfg);
	assert_string_equal(cfg.s3.bucket, "other");
	assert_string_equal(cfg.s3.region, "us-east-1");
	assert_int_equal(cfg.s3.secure, 1);
	assert_int_equal(cfg.s3.chunksize, 20 << 20);
	assert_string_equal(cfg.s3.rootdirectory, "/quoted root");
	assert_string_equal(cfg.s3.secretkey, "from-env");
	drydock_regconfig_release(&cfg);

	/* the environment alone names the s3 driver */
	setenv("REGISTRY_STORAGE_S3_REGION", "eu-central-1", 1);
	read_ok(f, "version: 0.1\nstorage: {delete: {enabled: true}}\n", &cfg);
	assert_int_equal(cfg.driver, DRYDOCK_REGCONFIG_S3);
	assert_string_equal(cfg.s3.region, "eu-central-1");
	assert_string_equal(cfg.s3.bucket, "other");
	assert_int_equal(cfg.delete_enabled, 1);
	drydock_regconfig_release(&cfg);

	/* ... and beside a filesystem, stops the registry */
	read_fails(f, "storage: {filesystem: {rootdirectory: /r}}\n",
	    DRYDOCK_ECORRUPT,
	    "more than one driver ('filesystem', and 's3' from the "
	    "environment)");
	setenv(ENV_ROOT, "/r", 1);
	read_fails(f, "storage: {delete: {enabled: true}}\n", DRYDOCK_ECORRUPT,
	    "more than one driver");
	unsetenv(ENV_ROOT);

	/* an empty value is YAML's null: the file's value goes too */
	setenv("REGISTRY_STORAGE_S3_REGION", "", 1);
	read_fails(
	    f, s3_config, DRYDOCK_ECORRUPT, "storage.s3.region is missing");
	setenv("REGISTRY_STORAGE_S3_REGION", "r", 1);
	setenv("REGISTRY_STORAGE_S3_SECURE", "1", 1);
	read_fails(f, s3_config, DRYDOCK_ECORRUPT,
	    "REGISTRY_STORAGE_S3_SECURE '1' is not a boolean");
	setenv("REGISTRY_STORAGE_S3_SECURE", "\"1\"", 1);
	read_ok(f, s3_config, &cfg);
	assert_int_equal(cfg.s3.secure, 1);
	drydock_regconfig_release(&cfg);

	/* s3aws has variables of its own */
	clear_env();
	setenv("REGISTRY_STORAGE_S3AWS_BUCKET", "aws-bucket", 1);
	read_ok(f, "storage: {s3aws: {region: r, bucket: b}}\n", &cfg);
	assert_string_equal(cfg.s3.bucket, "aws-bucket");
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__s3_credentials(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;
	static const char nokeys[] = "storage: {s3: {region: r, bucket: b}}\n";

	/* the config's keys come first in the registry's chain */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	read_ok(f, s3_config, &cfg);
	assert_string_equal(cfg.s3.accesskey, "TESTKEY");
	assert_string_equal(cfg.s3.secretkey, "TESTSECRET");
	assert_null(cfg.s3.sessiontoken);
	drydock_regconfig_release(&cfg);

	/* then the environment's, with its session token */
	read_ok(f, nokeys, &cfg);
	assert_string_equal(cfg.s3.accesskey, "ENVKEY");
	assert_string_equal(cfg.s3.secretkey, "envsecret");
	assert_string_equal(cfg.s3.sessiontoken, "envtoken");
	drydock_regconfig_release(&cfg);

	/* a key without its secret is no credential: the file's alone is
	 * dropped for the environment's pair */
	read_ok(
	    f, "storage: {s3: {region: r, bucket: b, accesskey: K}}\n", &cfg);
	assert_string_equal(cfg.s3.accesskey, "ENVKEY");
	drydock_regconfig_release(&cfg);

	/* the older names, and half a pair: none */
	clear_env();
	setenv("AWS_ACCESS_KEY", "OLDKEY", 1);
	setenv("AWS_SECRET_KEY", "oldsecret", 1);
	read_ok(f, nokeys, &cfg);
	assert_string_equal(cfg.s3.accesskey, "OLDKEY");
	assert_string_equal(cfg.s3.secretkey, "oldsecret");
	drydock_regconfig_release(&cfg);
	unsetenv("AWS_SECRET_KEY");
	setenv("AWS_SESSION_TOKEN", "t", 1);
	read_ok(f, nokeys, &cfg);
	assert_null(cfg.s3.accesskey);
	assert_null(cfg.s3.secretkey);
	assert_null(cfg.s3.sessiontoken);
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__s3_cafile(void **state)
{
	struct fixture *f = *state;
	struct drydock_regconfig cfg;
	static const char cfgtext[] = "storage: {s3: {region: r, bucket: b}}\n";

	/* neither set: the system's CAs */
	read_ok(f, cfgtext, &cfg);
	assert_null(cfg.s3.cafile);
	assert_null(cfg.s3.cafile_name);
	drydock_regconfig_release(&cfg);

	/* SSL_CERT_FILE, as Go (the registry) and OpenSSL read it */
	setenv("SSL_CERT_FILE", "/etc/ssl/private-ca.pem", 1);
	read_ok(f, cfgtext, &cfg);
	assert_string_equal(cfg.s3.cafile, "/etc/ssl/private-ca.pem");
	assert_string_equal(cfg.s3.cafile_name, "SSL_CERT_FILE");
	drydock_regconfig_release(&cfg);
	assert_null(cfg.s3.cafile);

	/* AWS_CA_BUNDLE comes first; an empty one is unset */
	setenv("AWS_CA_BUNDLE", "/etc/aws/ca.pem", 1);
	read_ok(f, cfgtext, &cfg);
	assert_string_equal(cfg.s3.cafile, "/etc/aws/ca.pem");
	assert_string_equal(cfg.s3.cafile_name, "AWS_CA_BUNDLE");
	drydock_regconfig_release(&cfg);
	setenv("AWS_CA_BUNDLE", "", 1);
	read_ok(f, cfgtext, &cfg);
	assert_string_equal(cfg.s3.cafile_name, "SSL_CERT_FILE");
	drydock_regconfig_release(&cfg);

	/* a filesystem config does not look */
	read_ok(f, "storage: {filesystem: {rootdirectory: /r}}\n", &cfg);
	assert_null(cfg.s3.cafile);
	drydock_regconfig_release(&cfg);
}

static void
test_regconfig__s3_bad(void **state)
{
	struct fixture *f = *state;

	read_fails(f, "storage: {s3: {bucket: b}}\n", DRYDOCK_ECORRUPT,
	    "storage.s3.region is missing (the registry needs it)");
	read_fails(f, "storage: {s3: {region: r, bucket: ''}}\n",
	    DRYDOCK_ECORRUPT, "storage.s3.bucket is missing");
	read_fails(f, "storage: s3\n", DRYDOCK_ECORRUPT,
	    "storage.s3.region is missing");
	read_fails(f, "storage: {s3: {region: r, bucket: b, secure: maybe}}\n",
	    DRYDOCK_ECORRUPT, "storage.s3.secure 'maybe' is not a boolean");
	/* yaml.v2 reads a plain 1 as an int, which the driver refuses */
	read_fails(f, "storage: {s3: {region: r, bucket: b, skipverify: 1}}\n",
	    DRYDOCK_ECORRUPT, "storage.s3.skipverify '1' is not a boolean");
	read_fails(f,
	    "storage: {s3: {region: r, bucket: b, chunksize: 1048576}}\n",
	    DRYDOCK_ECORRUPT,
	    "storage.s3.chunksize 1048576 is out of range: 5242880 to "
	    "5368709120 bytes");
	read_fails(f, "storage: {s3: {region: r, bucket: b, chunksize: 10M}}\n",
	    DRYDOCK_ECORRUPT, "storage.s3.chunksize '10M' is not an integer");
	read_fails(f, "storage: {s3: {region: [r], bucket: b}}\n",
	    DRYDOCK_ECORRUPT, "storage.s3.region must be a scalar");
	read_fails(f, "storage: {s3: [region]}\n", DRYDOCK_ECORRUPT,
	    "storage.s3 must be a mapping");
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
	    T(test_regconfig__s3),
	    T(test_regconfig__s3_env),
	    T(test_regconfig__s3_credentials),
	    T(test_regconfig__s3_cafile),
	    T(test_regconfig__s3_bad),
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
