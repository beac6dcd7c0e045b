/* SPDX-License-Identifier: MIT */
/*
 * regconfig.c --- read the storage section of a distribution registry's
 * config.yml with libyaml, the way the registry (gopkg.in/yaml.v2 and
 * configuration.Storage) reads it: the filesystem driver's root, or the
 * s3 driver's parameters as its FromParameters takes them, with the
 * REGISTRY_STORAGE_* environment overrides and AWS's credential
 * variables.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include <drydock/errors.h>
#include <drydock/regconfig.h>

#define DEFAULT_ROOT "/var/lib/registry"
#define ENV_ROOT "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"
#define ENV_FS "REGISTRY_STORAGE_FILESYSTEM_"
#define ENV_S3 "REGISTRY_STORAGE_S3_"
#define MIN_CHUNK ((int64_t)5 << 20)
#define MAX_CHUNK ((int64_t)5 << 30)

extern char **environ;

struct reader {
	yaml_document_t doc;
	const char *path;
	const char *s3; /* the s3 driver's name: "s3" or "s3aws" */
	char s3env[32]; /* its variables' prefix: "REGISTRY_STORAGE_S3_" */
};

static int
config_error(const struct reader *r, const char *what)
{
	drydock_error_set(
	    DRYDOCK_ERRCLASS_CONFIG, "invalid '%s': %s", r->path, what);
	return DRYDOCK_ECORRUPT;
}

static int
yaml_error(const yaml_parser_t *p, const char *path)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "out of memory while reading '%s'", path);
		return DRYDOCK_ERROR;
	}
	if (p->error == YAML_READER_ERROR) {
		/* Reader problems give a byte offset, not a line. */
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "cannot parse '%s' at byte %zu: %s", path,
		    p->problem_offset,
		    p->problem != NULL ? p->problem : "unreadable input");
		return DRYDOCK_ECORRUPT;
	}
	if (p->context != NULL) {
		/*
		 * Where the construct began often says more than where
		 * the parser gave up on it.
		 */
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "cannot parse '%s' at %zu:%zu: %s (%s at %zu:%zu)", path,
		    m->line + 1, m->column + 1,
		    p->problem != NULL ? p->problem : "syntax error",
		    p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
		return DRYDOCK_ECORRUPT;
	}
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "cannot parse '%s' at %zu:%zu: %s", path, m->line + 1,
	    m->column + 1, p->problem != NULL ? p->problem : "syntax error");
	return DRYDOCK_ECORRUPT;
}

static const char *
scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* A plain scalar that YAML 1.1 (and so yaml.v2) reads as null. */
static int
is_null(const yaml_node_t *n)
{
	const char *v = scalar(n);

	if (v == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return strcmp(v, "") == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

/* A plain scalar's YAML 1.1 boolean value: 1, 0, or -1 when not one. */
static int
bool_text(const char *v)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true",
	    "True", "TRUE", "on", "On", "ON"};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false",
	    "False", "FALSE", "off", "Off", "OFF"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(v, no[i]) == 0)
			return 0;
	return -1;
}

/*
 * A YAML 1.1 boolean as yaml.v2 resolves it: 1 or 0, or -1 when the node
 * is not a boolean (quoted scalars are strings).
 */
static int
boolean(const yaml_node_t *n)
{
	const char *v = scalar(n);

	if (v == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return -1;
	return bool_text(v);
}

/* The value of key in mapping n (the last one if repeated), or NULL. */
static yaml_node_t *
lookup(struct reader *r, const yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *found = NULL;

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		const char *k =
		    scalar(yaml_document_get_node(&r->doc, pair->key));

		if (k != NULL && strcmp(k, key) == 0)
			found = yaml_document_get_node(&r->doc, pair->value);
	}
	return found;
}

/* Keys of storage that configure the registry rather than name a driver. */
static int
is_driver(const char *key)
{
	static const char *const others[] = {
	    "maintenance", "cache", "delete", "redirect", "tag"};
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (strcmp(key, others[i]) == 0)
			return 0;
	return 1;
}

/*
 * Find the storage driver: *name_out gets its name and *params_out its
 * parameters (NULL when it has none), or both NULL when storage names no
 * driver.
 */
static int
find_driver(struct reader *r, const yaml_node_t *storage, const char **name_out,
    yaml_node_t **params_out)
{
	yaml_node_pair_t *pair;
	yaml_node_t *v;

	*name_out = NULL;
	*params_out = NULL;
	if (storage == NULL || is_null(storage))
		return 0;
	if (storage->type == YAML_SCALAR_NODE) {
		/* "storage: filesystem" names a driver with no parameters. */
		*name_out = scalar(storage);
		return 0;
	}
	if (storage->type != YAML_MAPPING_NODE)
		return config_error(r, "storage must be a mapping");
	for (pair = storage->data.mapping.pairs.start;
	     pair < storage->data.mapping.pairs.top; pair++) {
		const char *k =
		    scalar(yaml_document_get_node(&r->doc, pair->key));

		if (k == NULL)
			return config_error(r,
			    "storage has a key that is "
			    "not a string");
		v = yaml_document_get_node(&r->doc, pair->value);
		if (v->type != YAML_MAPPING_NODE && !is_null(v)) {
			drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
			    "invalid '%s': storage.%s must be a mapping",
			    r->path, k);
			return DRYDOCK_ECORRUPT;
		}
		if (!is_driver(k) ||
		    (*name_out != NULL && strcmp(*name_out, k) == 0))
			continue;
		if (*name_out != NULL) {
			drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
			    "invalid '%s': storage names more than one "
			    "driver ('%s' and '%s')",
			    r->path, *name_out, k);
			return DRYDOCK_ECORRUPT;
		}
		*name_out = k;
	}
	if (*name_out != NULL)
		*params_out = lookup(r, storage, *name_out);
	return 0;
}

static int
check_absolute(struct reader *r, const char *root, const char *from)
{
	if (root[0] == '/')
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "invalid '%s': %s '%s' is not an absolute path", r->path, from,
	    root);
	return DRYDOCK_ECORRUPT;
}

static int
read_root(struct reader *r, const yaml_node_t *params, char **out)
{
	const char *env = getenv(ENV_ROOT), *root = DEFAULT_ROOT;
	const yaml_node_t *n;
	int error;

	if (env != NULL) {
		if ((error = check_absolute(r, env, ENV_ROOT)) < 0)
			return error;
		root = env;
	} else if ((n = lookup(r, params, "rootdirectory")) != NULL) {
		if ((root = scalar(n)) == NULL || is_null(n))
			return config_error(r,
			    "storage.filesystem.rootdirectory "
			    "must be a path");
		if ((error = check_absolute(
		         r, root, "storage.filesystem.rootdirectory")) < 0)
			return error;
	}
	if ((*out = strdup(root)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	return 0;
}

/* --- the s3 driver ------------------------------------------------------ */

/* Is any REGISTRY_STORAGE_<DRIVER>_* variable set (prefix with the '_')? */
static int
env_names(const char *prefix)
{
	size_t n = strlen(prefix);
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, prefix, n) == 0 && strchr(*e + n, '=') != NULL)
			return 1;
	return 0;
}

/* One parameter of storage.s3, from the file or the environment. */
struct param {
	const char *text; /* NULL: absent or null; without quotes */
	int quoted; /* a string for sure: never a boolean or a number */
	char from[64]; /* "storage.s3.KEY" or the variable, for messages */
	char unquoted[2048]; /* a variable's quoted value, unquoted */
};

/*
 * The parameter key: REGISTRY_STORAGE_S3_<KEY> when set (its value read
 * as a YAML scalar, as the registry reads it), else storage.s3.<key>.
 */
static int
s3_param(struct reader *r, const yaml_node_t *params, const char *key,
    struct param *p)
{
	char env[64];
	const char *v;
	const yaml_node_t *node;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	n = strlen(r->s3env);
	memcpy(env, r->s3env, n);
	for (i = 0; key[i] != '\0' && n + i + 1 < sizeof(env); i++)
		env[n + i] = (char)toupper((unsigned char)key[i]);
	env[n + i] = '\0';
	if ((v = getenv(env)) != NULL) {
		snprintf(p->from, sizeof(p->from), "%s", env);
		if (v[0] == '\0' || strcmp(v, "~") == 0 ||
		    strcmp(v, "null") == 0)
			return 0;
		p->text = v;
		n = strlen(v);
		if ((v[0] == '"' || v[0] == '\'') && n >= 2 &&
		    v[n - 1] == v[0] && n - 2 < sizeof(p->unquoted)) {
			memcpy(p->unquoted, v + 1, n - 2);
			p->unquoted[n - 2] = '\0';
			p->text = p->unquoted;
			p->quoted = 1;
		}
		return 0;
	}
	snprintf(p->from, sizeof(p->from), "storage.%s.%s", r->s3, key);
	if ((node = lookup(r, params, key)) == NULL || is_null(node))
		return 0;
	if ((p->text = scalar(node)) == NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "invalid '%s': %s must be a scalar", r->path, p->from);
		return DRYDOCK_ECORRUPT;
	}
	p->quoted = node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	return 0;
}

/* A string parameter: NULL when absent or empty; quotes of env dropped. */
static int
s3_string(
    struct reader *r, const yaml_node_t *params, const char *key, char **out)
{
	struct param p;
	int error;

	*out = NULL;
	if ((error = s3_param(r, params, key, &p)) < 0 || p.text == NULL)
		return error;
	if ((*out = strdup(p.text)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if (**out == '\0') {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* A plain scalar YAML reads as a number (yaml.v2: an int or a float). */
static int
looks_numeric(const char *v)
{
	char *end;

	errno = 0;
	(void)strtod(v, &end);
	return end != v && *end == '\0';
}

/*
 * A boolean parameter: a YAML boolean, or a string strconv.ParseBool
 * takes; a number is refused, as the driver refuses it.
 */
static int
s3_bool(struct reader *r, const yaml_node_t *params, const char *key, int def,
    int *out)
{
	static const char *const yes[] = {
	    "1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {
	    "0", "f", "F", "FALSE", "false", "False"};
	struct param p;
	size_t i;
	int error, b;

	*out = def;
	if ((error = s3_param(r, params, key, &p)) < 0 || p.text == NULL)
		return error;
	if (!p.quoted && (b = bool_text(p.text)) >= 0) {
		*out = b;
		return 0;
	}
	for (i = 0; (p.quoted || !looks_numeric(p.text)) && i < 6; i++) {
		if (strcmp(p.text, yes[i]) == 0 || strcmp(p.text, no[i]) == 0) {
			*out = strcmp(p.text, yes[i]) == 0;
			return 0;
		}
	}
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "invalid '%s': %s '%s' is not a boolean", r->path, p.from, p.text);
	return DRYDOCK_ECORRUPT;
}

/* chunksize: an integer (Go's base prefixes) from 5 MiB to 5 GiB. */
static int
s3_chunksize(struct reader *r, const yaml_node_t *params, int64_t *out)
{
	struct param p;
	char text[64], *end;
	const char *v;
	size_t n = 0;
	long long x;
	int error;

	*out = 2 * MIN_CHUNK;
	if ((error = s3_param(r, params, "chunksize", &p)) < 0 ||
	    p.text == NULL)
		return error;
	for (v = p.text; *v != '\0' && n + 1 < sizeof(text); v++)
		if (*v != '_')
			text[n++] = *v;
	text[n] = '\0';
	errno = 0;
	x = strtoll(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0') {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "invalid '%s': %s '%s' is not an integer", r->path, p.from,
		    p.text);
		return DRYDOCK_ECORRUPT;
	}
	if (x < MIN_CHUNK || x > MAX_CHUNK) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "invalid '%s': %s %lld is out of range: %" PRId64
		    " to %" PRId64 " bytes",
		    r->path, p.from, x, MIN_CHUNK, MAX_CHUNK);
		return DRYDOCK_ECORRUPT;
	}
	*out = x;
	return 0;
}

static int
dup_env(char **out, const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((v == NULL || v[0] == '\0') && b != NULL)
		v = getenv(b);
	*out = NULL;
	if (v != NULL && v[0] != '\0' && (*out = strdup(v)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	return 0;
}

static void
forget(char **s)
{
	if (*s != NULL)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

/*
 * The registry's credential chain: the config's keys when both are set,
 * else the environment's (both, or none).
 */
static int
s3_credentials(struct drydock_regconfig_s3 *s3)
{
	int error;

	if (s3->accesskey != NULL && s3->secretkey != NULL)
		return 0;
	forget(&s3->accesskey);
	forget(&s3->secretkey);
	if ((error = dup_env(
	         &s3->accesskey, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")) < 0 ||
	    (error = dup_env(&s3->secretkey, "AWS_SECRET_ACCESS_KEY",
	         "AWS_SECRET_KEY")) < 0 ||
	    (error = dup_env(&s3->sessiontoken, "AWS_SESSION_TOKEN", NULL)) < 0)
		return error;
	if (s3->accesskey == NULL || s3->secretkey == NULL) {
		forget(&s3->accesskey);
		forget(&s3->secretkey);
		forget(&s3->sessiontoken);
	}
	return 0;
}

/*
 * The CA file: AWS_CA_BUNDLE, else SSL_CERT_FILE (the registry, in Go,
 * reads the second; aws-sdk-go panics on the first in its s3 driver).
 */
static int
s3_cafile(struct drydock_regconfig_s3 *s3)
{
	static const char *const names[] = {"AWS_CA_BUNDLE", "SSL_CERT_FILE"};
	size_t i;
	int error;

	for (i = 0; i < 2 && s3->cafile == NULL; i++) {
		if ((error = dup_env(&s3->cafile, names[i], NULL)) < 0)
			return error;
		s3->cafile_name = s3->cafile != NULL ? names[i] : NULL;
	}
	return 0;
}

static int
s3_required(struct reader *r, const char *value, const char *key)
{
	if (value != NULL)
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "invalid '%s': storage.%s.%s is missing (the registry needs it)",
	    r->path, r->s3, key);
	return DRYDOCK_ECORRUPT;
}

static int
read_s3(struct reader *r, const yaml_node_t *params,
    struct drydock_regconfig_s3 *s3)
{
	int error;

	if ((error = s3_string(r, params, "accesskey", &s3->accesskey)) < 0 ||
	    (error = s3_string(r, params, "secretkey", &s3->secretkey)) < 0 ||
	    (error = s3_string(r, params, "region", &s3->region)) < 0 ||
	    (error = s3_string(
	         r, params, "regionendpoint", &s3->regionendpoint)) < 0 ||
	    (error = s3_string(r, params, "bucket", &s3->bucket)) < 0 ||
	    (error = s3_string(
	         r, params, "rootdirectory", &s3->rootdirectory)) < 0 ||
	    (error = s3_bool(r, params, "secure", 1, &s3->secure)) < 0 ||
	    (error = s3_bool(r, params, "skipverify", 0, &s3->skipverify)) <
	        0 ||
	    (error = s3_bool(r, params, "v4auth", 1, &s3->v4auth)) < 0 ||
	    (error = s3_chunksize(r, params, &s3->chunksize)) < 0 ||
	    (error = s3_required(r, s3->region, "region")) < 0 ||
	    (error = s3_required(r, s3->bucket, "bucket")) < 0 ||
	    (error = s3_cafile(s3)) < 0)
		return error;
	return s3_credentials(s3);
}

static int
read_options(
    struct reader *r, const yaml_node_t *storage, struct drydock_regconfig *cfg)
{
	const yaml_node_t *n, *ro;
	int b;

	n = lookup(r, lookup(r, storage, "cache"), "blobdescriptor");
	if (n != NULL && !is_null(n)) {
		if (scalar(n) == NULL)
			return config_error(r,
			    "storage.cache.blobdescriptor "
			    "must be a string");
		if ((cfg->blobdescriptor = strdup(scalar(n))) == NULL) {
			drydock_error_set_os("out of memory");
			return DRYDOCK_ERROR;
		}
	}
	/* Like the registry, anything but a boolean leaves delete off. */
	n = lookup(r, lookup(r, storage, "delete"), "enabled");
	cfg->delete_enabled = boolean(n) == 1;
	ro = lookup(r, lookup(r, storage, "maintenance"), "readonly");
	if (ro == NULL || is_null(ro))
		return 0;
	if (ro->type != YAML_MAPPING_NODE)
		return config_error(r,
		    "storage.maintenance.readonly must be "
		    "a mapping");
	if ((n = lookup(r, ro, "enabled")) == NULL)
		return 0;
	if ((b = boolean(n)) < 0)
		return config_error(r,
		    "storage.maintenance.readonly.enabled "
		    "must be true or false");
	cfg->readonly = b;
	return 0;
}

static int
load(struct reader *r, FILE *fp)
{
	yaml_parser_t parser;
	int error = 0;

	if (!yaml_parser_initialize(&parser)) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_CONFIG, "cannot start the YAML parser");
		return DRYDOCK_ERROR;
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &r->doc))
		error = yaml_error(&parser, r->path);
	yaml_parser_delete(&parser);
	return error;
}

static FILE *
open_config(const char *path, int *error)
{
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		drydock_error_set_os("cannot open '%s'", path);
		*error = errno == ENOENT ? DRYDOCK_ENOTFOUND : DRYDOCK_ERROR;
		return NULL;
	}
	if (fstat(fileno(fp), &st) < 0) {
		drydock_error_set_os("cannot stat '%s'", path);
		*error = DRYDOCK_ERROR;
	} else if (!S_ISREG(st.st_mode)) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "cannot read '%s': not a regular file", path);
		*error = DRYDOCK_ERROR;
	} else
		return fp;
	fclose(fp);
	return NULL;
}

static int
is_s3(const char *driver)
{
	return strcmp(driver, "s3") == 0 || strcmp(driver, "s3aws") == 0;
}

/*
 * The driver the file names, or the environment alone; a second one from
 * the environment stops the registry ("multiple storage drivers"), and so
 * it stops us.
 */
static int
env_driver(struct reader *r, const char **driver)
{
	const char *env = NULL;
	int fs = env_names(ENV_FS), s3 = env_names(ENV_S3);

	if (*driver != NULL && strcmp(*driver, "filesystem") != 0 &&
	    !is_s3(*driver)) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "storage driver '%s' is not supported: drydock knows "
		    "the filesystem and s3 drivers",
		    *driver);
		return DRYDOCK_EUNSUPPORTED;
	}
	if (*driver == NULL && fs && s3) {
		*driver = "filesystem";
		env = "s3";
	} else if (*driver == NULL) {
		*driver = fs ? "filesystem" : s3 ? "s3" : NULL;
	} else if (strcmp(*driver, "filesystem") == 0 && s3) {
		env = "s3";
	} else if (is_s3(*driver) && fs) {
		env = "filesystem";
	}
	if (*driver == NULL)
		return config_error(r, "no storage driver is configured");
	if (env == NULL)
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
	    "invalid '%s': storage names more than one driver ('%s', and "
	    "'%s' from the environment)",
	    r->path, *driver, env);
	return DRYDOCK_ECORRUPT;
}

int
drydock_regconfig_read(struct drydock_regconfig *out, const char *path)
{
	struct drydock_regconfig cfg = {0};
	struct reader r = {.path = path};
	const yaml_node_t *top, *storage;
	yaml_node_t *params;
	const char *driver;
	FILE *fp;
	int error = 0, loaded = 0;

	if ((fp = open_config(path, &error)) == NULL)
		return error;
	if ((error = load(&r, fp)) < 0)
		goto out;
	loaded = 1;
	top = yaml_document_get_root_node(&r.doc);
	if (top != NULL && top->type != YAML_MAPPING_NODE && !is_null(top)) {
		error = config_error(&r, "the top level must be a mapping");
		goto out;
	}
	storage = lookup(&r, top, "storage");
	if ((error = find_driver(&r, storage, &driver, &params)) < 0 ||
	    (error = env_driver(&r, &driver)) < 0)
		goto out;
	if (strcmp(driver, "filesystem") == 0) {
		error = read_root(&r, params, &cfg.rootdirectory);
	} else {
		cfg.driver = DRYDOCK_REGCONFIG_S3;
		r.s3 = driver;
		snprintf(r.s3env, sizeof(r.s3env), "REGISTRY_STORAGE_%s_",
		    strcmp(driver, "s3") == 0 ? "S3" : "S3AWS");
		error = read_s3(&r, params, &cfg.s3);
	}
	if (error < 0 || (error = read_options(&r, storage, &cfg)) < 0)
		goto out;
	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
out:
	drydock_regconfig_release(&cfg);
	if (loaded)
		yaml_document_delete(&r.doc);
	fclose(fp);
	return error;
}

void
drydock_regconfig_release(struct drydock_regconfig *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->rootdirectory);
	cfg->rootdirectory = NULL;
	free(cfg->blobdescriptor);
	cfg->blobdescriptor = NULL;
	cfg->delete_enabled = 0;
	cfg->readonly = 0;
	forget(&cfg->s3.accesskey);
	forget(&cfg->s3.secretkey);
	forget(&cfg->s3.sessiontoken);
	free(cfg->s3.region);
	free(cfg->s3.regionendpoint);
	free(cfg->s3.bucket);
	free(cfg->s3.rootdirectory);
	free(cfg->s3.cafile);
	memset(&cfg->s3, 0, sizeof(cfg->s3));
	cfg->driver = DRYDOCK_REGCONFIG_FILESYSTEM;
}
