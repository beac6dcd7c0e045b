/* SPDX-License-Identifier: MIT */
/*
 * regconfig.c --- read the storage section of a distribution registry's
 * config.yml with libyaml, the way the registry (gopkg.in/yaml.v2 and
 * configuration.Storage) reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include <drydock/errors.h>
#include <drydock/regconfig.h>

#define DEFAULT_ROOT "/var/lib/registry"
#define ENV_ROOT "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"

struct reader {
	yaml_document_t doc;
	const char *path;
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

/*
 * A YAML 1.1 boolean as yaml.v2 resolves it: 1 or 0, or -1 when the node
 * is not a boolean (quoted scalars are strings).
 */
static int
boolean(const yaml_node_t *n)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true",
	    "True", "TRUE", "on", "On", "ON"};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false",
	    "False", "FALSE", "off", "Off", "OFF"};
	const char *v = scalar(n);
	size_t i;

	if (v == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(v, no[i]) == 0)
			return 0;
	return -1;
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
	if ((error = find_driver(&r, storage, &driver, &params)) < 0)
		goto out;
	if (driver == NULL && getenv(ENV_ROOT) == NULL) {
		error = config_error(&r, "no storage driver is configured");
		goto out;
	}
	if (driver != NULL && strcmp(driver, "filesystem") != 0) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "storage driver '%s' is not supported", driver);
		error = DRYDOCK_EUNSUPPORTED;
		goto out;
	}
	if ((error = read_root(&r, params, &cfg.rootdirectory)) < 0 ||
	    (error = read_options(&r, storage, &cfg)) < 0)
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
}
