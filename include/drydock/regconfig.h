/* SPDX-License-Identifier: MIT */
/*
 * regconfig.h --- the parts of a distribution registry's config.yml that
 * drydock needs, read with libyaml.
 */
#ifndef DRYDOCK_REGCONFIG_H
#define DRYDOCK_REGCONFIG_H

#include <stdint.h>

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum drydock_regconfig_driver {
	DRYDOCK_REGCONFIG_FILESYSTEM = 0,
	DRYDOCK_REGCONFIG_S3
};

/*
 * storage.s3, as the registry's s3 driver (distribution 2.8) reads it,
 * after the REGISTRY_STORAGE_S3_<KEY> environment overrides.  Strings are
 * NULL when absent or empty.
 */
struct drydock_regconfig_s3 {
	/*
	 * the config's accesskey and secretkey when both are set; else
	 * AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY), AWS_SECRET_ACCESS_KEY (or
	 * AWS_SECRET_KEY) and AWS_SESSION_TOKEN, as the registry's
	 * credential chain takes them; NULL when neither has them (the
	 * shared credentials file and instance roles are not read)
	 */
	char *accesskey;
	char *secretkey;
	char *sessiontoken;
	char *region; /* required */
	char *regionendpoint; /* set: path-style requests to it */
	char *bucket; /* required */
	char *rootdirectory; /* the keys' prefix, as given ("/x" -> "x/...") */
	int secure; /* default 1 */
	int skipverify; /* default 0 */
	int v4auth; /* default 1; drydock signs with SigV4 either way */
	int64_t chunksize; /* default 10 MiB; 5 MiB to 5 GiB */
	/*
	 * the CAs to trust for the endpoint, in place of the system's: the
	 * environment's AWS_CA_BUNDLE (the AWS CLI's and SDKs'), else its
	 * SSL_CERT_FILE (OpenSSL's and Go's: the registry itself trusts a
	 * private CA that way, since AWS_CA_BUNDLE stops its s3 driver);
	 * NULL when neither is set.  No config key names a CA file.
	 */
	char *cafile;
	/* "AWS_CA_BUNDLE" or "SSL_CERT_FILE" (static), or NULL */
	const char *cafile_name;
};

struct drydock_regconfig {
	/*
	 * storage.filesystem.rootdirectory, or the default /var/lib/registry;
	 * the environment variable REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY
	 * overrides it, as in the registry; NULL with the s3 driver
	 */
	char *rootdirectory;
	char *blobdescriptor;   /* storage.cache.blobdescriptor, or NULL */
	int delete_enabled;     /* storage.delete.enabled */
	int readonly;           /* storage.maintenance.readonly.enabled */
	enum drydock_regconfig_driver driver;
	struct drydock_regconfig_s3 s3; /* the s3 driver's parameters */
};

/*
 * Read config.yml.  The filesystem and s3 drivers are read (a driver
 * named by the environment alone too: REGISTRY_STORAGE_FILESYSTEM_* or
 * REGISTRY_STORAGE_S3_*); another driver (gcs, azure, swift, inmemory,
 * ...) is DRYDOCK_EUNSUPPORTED with a one-line message naming it; bad
 * YAML is DRYDOCK_ECORRUPT with line and column, and so is a parameter
 * the registry would refuse.  Release with drydock_regconfig_release(),
 * which also wipes the secrets.
 */
DRYDOCK_EXTERN int drydock_regconfig_read(
    struct drydock_regconfig *out, const char *path);

DRYDOCK_EXTERN void drydock_regconfig_release(struct drydock_regconfig *cfg);

#ifdef __cplusplus
}
#endif

#endif
