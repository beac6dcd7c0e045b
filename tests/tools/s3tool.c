/* SPDX-License-Identifier: MIT */
/*
 * s3tool.c --- drive libdrydock's S3 client (lib/s3*.c) from the
 * integration tests (t5010) against a real S3 server.
 *
 *	s3tool [-j JOBS] [-P PART] [-C COPYPART] [-c CONFIG.yml] CMD ARG...
 *
 * Without -c, the bucket comes from the environment: S3_ENDPOINT,
 * S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET (and S3_CA_FILE, the
 * CAs of an https endpoint, as radosgw.sh with RGW_TLS=1 prints).  With
 * -c, from a registry's config.yml as drydock reads it (lib/regconfig.c:
 * the storage.s3 section, REGISTRY_STORAGE_S3_* and AWS_* overrides,
 * AWS_CA_BUNDLE or SSL_CERT_FILE).
 *
 *	stat KEY               size, ETag and LastModified (HEAD)
 *	get KEY [OFF LEN]      the bytes (in memory) to stdout
 *	sha256 KEY             the SHA-256 of a streaming GET, and its bytes
 *	put KEY FILE           write FILE (one PUT, or multipart above PART)
 *	putmem KEY             write stdin (signed with its SHA-256)
 *	cp SRC DST             server-side copy
 *	ls PREFIX [DELIM]      keys ("P prefix/" for common prefixes)
 *	lsmany DELIM PREFIX... many listings in flight, sorted
 *	fill PREFIX N [SUFFIX] write N small objects PREFIX00000SUFFIX...
 *	putdir DIR PREFIX      write every regular file below DIR as
 *	                       PREFIX/<its path below DIR> (a tree into a bucket)
 *	rm -|KEY...            DeleteObjects (keys from stdin with -): each
 *	                       key's result, then "removed N failed M S/s"
 *	uploads PREFIX         incomplete multipart uploads: KEY ID BYTES PARTS
 *	abort KEY ID           abort a multipart upload
 *	abandon KEY FILE       start a multipart upload of FILE's first part
 *	                       and leave it incomplete; prints its id
 *	config                 print the configuration read (no secrets)
 *
 * Exit: 0, 1 an error, 2 not found, 3 refused (credentials), 64 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <drydock/errors.h>
#include <drydock/regconfig.h>
#include <drydock/s3.h>

#include "lib/s3_int.h"

static struct drydock_regconfig cfg;

static int
fail(int error)
{
	fprintf(stderr, "s3tool: %s\n", drydock_error_message());
	if (error == DRYDOCK_ENOTFOUND)
		return 2;
	if (error == DRYDOCK_EAUTH)
		return 3;
	return 1;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: s3tool [-j JOBS] [-P PART] [-C COPYPART] "
	    "[-c CONFIG.yml] CMD ARG...\n");
	return 64;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the options from config.yml (-c) or the environment */
static int
options(struct drydock_s3_opts *o, const char *config, const char **bucket)
{
	int error;

	if (config == NULL) {
		o->endpoint = getenv("S3_ENDPOINT");
		o->region = getenv("S3_REGION");
		o->access_key = getenv("S3_ACCESS_KEY");
		o->secret_key = getenv("S3_SECRET_KEY");
		o->bucket = *bucket = getenv("S3_BUCKET");
		o->secure = 0;
		/* radosgw.sh with RGW_TLS=1 prints it */
		o->ca_file = getenv("S3_CA_FILE");
		o->ca_file_name = "S3_CA_FILE";
		return 0;
	}
	if ((error = drydock_regconfig_read(&cfg, config)) < 0)
		return error;
	if (cfg.driver != DRYDOCK_REGCONFIG_S3) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "'%s' does not configure the s3 driver", config);
		return DRYDOCK_ERROR;
	}
	o->endpoint = cfg.s3.regionendpoint;
	o->region = cfg.s3.region;
	o->bucket = *bucket = cfg.s3.bucket;
	o->access_key = cfg.s3.accesskey;
	o->secret_key = cfg.s3.secretkey;
	o->session_token = cfg.s3.sessiontoken;
	o->secure = cfg.s3.secure;
	o->skip_verify = cfg.s3.skipverify;
	o->part_size = cfg.s3.chunksize;
	o->ca_file = cfg.s3.cafile;
	o->ca_file_name = cfg.s3.cafile_name;
	return 0;
}

static int
print_config(void)
{
	printf("driver=%s\n", cfg.driver == DRYDOCK_REGCONFIG_S3 ? "s3" : "fs");
	printf("region=%s\nbucket=%s\nregionendpoint=%s\nrootdirectory=%s\n",
	    cfg.s3.region ? cfg.s3.region : "",
	    cfg.s3.bucket ? cfg.s3.bucket : "",
	    cfg.s3.regionendpoint ? cfg.s3.regionendpoint : "",
	    cfg.s3.rootdirectory ? cfg.s3.rootdirectory : "");
	printf("accesskey=%s\nsecretkey=%s\nsessiontoken=%s\n",
	    cfg.s3.accesskey ? "set" : "unset",
	    cfg.s3.secretkey ? "set" : "unset",
	    cfg.s3.sessiontoken ? "set" : "unset");
	printf("secure=%d\nskipverify=%d\nv4auth=%d\nchunksize=%lld\n",
	    cfg.s3.secure, cfg.s3.skipverify, cfg.s3.v4auth,
	    (long long)cfg.s3.chunksize);
	if (cfg.s3.cafile != NULL)
		printf("cafile=%s (%s)\n", cfg.s3.cafile, cfg.s3.cafile_name);
	else
		printf("cafile=unset\n");
	return 0;
}

/* --- reading
 * ------------------------------------------------------------------------ */

static int
cmd_stat(struct drydock_s3 *s3, const char *key)
{
	struct drydock_s3_stat st;
	int error;

	if ((error = drydock_s3_lookup(&st, s3, key)) < 0)
		return fail(error);
	printf(
	    "%lld %s %lld\n", (long long)st.size, st.etag, (long long)st.mtime);
	return 0;
}

static int
cmd_get(struct drydock_s3 *s3, char **argv, int argc)
{
	int64_t off = argc > 1 ? strtoll(argv[1], NULL, 10) : 0;
	int64_t len = argc > 2 ? strtoll(argv[2], NULL, 10) : -1;
	size_t n;
	char *buf;
	int error;

	if ((error = drydock_s3_read(
	         &buf, &n, s3, argv[0], off, len, 64u << 20)) < 0)
		return fail(error);
	fwrite(buf, 1, n, stdout);
	free(buf);
	return 0;
}

struct hashing {
	EVP_MD_CTX *md;
	uint64_t bytes, calls;
};

static int
hash_cb(const void *buf, size_t len, void *p)
{
	struct hashing *h = p;

	h->bytes += len;
	h->calls++;
	return EVP_DigestUpdate(h->md, buf, len) ? 0 : DRYDOCK_EUSER;
}

static int
cmd_sha256(struct drydock_s3 *s3, const char *key)
{
	struct hashing h = {.md = EVP_MD_CTX_new()};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n, i;
	int error;

	if (h.md == NULL || !EVP_DigestInit_ex(h.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h.md);
		return 1;
	}
	error = drydock_s3_read_cb(NULL, s3, key, 0, -1, hash_cb, &h);
	EVP_DigestFinal_ex(h.md, md, &n);
	EVP_MD_CTX_free(h.md);
	if (error < 0)
		return fail(error);
	for (i = 0; i < n; i++)
		printf("%02x", md[i]);
	printf(" %llu %llu\n", (unsigned long long)h.bytes,
	    (unsigned long long)h.calls);
	return 0;
}

/* --- writing
 * ------------------------------------------------------------------------ */

static int
cmd_put(struct drydock_s3 *s3, const char *key, const char *file)
{
	struct stat sb;
	int fd, error;

	if ((fd = open(file, O_RDONLY)) < 0 || fstat(fd, &sb) < 0) {
		perror(file);
		return 1;
	}
	error = drydock_s3_write_fd(s3, key, fd, sb.st_size);
	close(fd);
	return error < 0 ? fail(error) : 0;
}

static int
cmd_putmem(struct drydock_s3 *s3, const char *key)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, r;
	int error;

	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return 1;
			}
			buf = nb;
		}
		if ((r = fread(buf + len, 1, cap - len, stdin)) == 0)
			break;
		len += r;
	}
	error = drydock_s3_write(s3, key, buf, len);
	free(buf);
	return error < 0 ? fail(error) : 0;
}

struct filling {
	struct drydock_s3 *s3;
	const char *prefix, *suffix;
};

static int
fill_task(size_t i, void *p)
{
	struct filling *f = p;
	char key[1024], body[64];
	int n;

	snprintf(key, sizeof(key), "%s%05zu%s", f->prefix, i, f->suffix);
	n = snprintf(body, sizeof(body), "object %zu\n", i);
	return drydock_s3_write(f->s3, key, body, (size_t)n);
}

static int
cmd_fill(struct drydock_s3 *s3, unsigned jobs, char **argv, int argc)
{
	struct filling f = {s3, argv[0], argc > 2 ? argv[2] : ""};
	size_t n = strtoul(argv[1], NULL, 10);
	int error;

	if ((error = drydock_s3__parallel(jobs, n, fill_task, &f)) < 0)
		return fail(error);
	return 0;
}

/* A tree into the bucket: its files' paths, then PUTs in parallel. */
struct putdir {
	struct drydock_s3 *s3;
	const char *dir, *prefix;
	char **rel;
	size_t n, cap;
};

static struct putdir *putdir_walking; /* nftw has no payload */

static int
putdir_visit(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	struct putdir *pd = putdir_walking;
	char **nrel;

	(void)sb;
	(void)f;
	if (type != FTW_F)
		return 0;
	if (pd->n == pd->cap) {
		pd->cap = pd->cap ? pd->cap * 2 : 1024;
		if ((nrel = realloc(pd->rel, pd->cap * sizeof(*nrel))) == NULL)
			return -1;
		pd->rel = nrel;
	}
	if ((pd->rel[pd->n] = strdup(path + strlen(pd->dir) + 1)) == NULL)
		return -1;
	pd->n++;
	return 0;
}

static int
putdir_task(size_t i, void *p)
{
	struct putdir *pd = p;
	char key[4096], path[4096];
	struct stat sb;
	int fd, error;

	snprintf(key, sizeof(key), "%s/%s", pd->prefix, pd->rel[i]);
	snprintf(path, sizeof(path), "%s/%s", pd->dir, pd->rel[i]);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		return DRYDOCK_ERROR;
	}
	error = drydock_s3_write_fd(pd->s3, key, fd, (int64_t)sb.st_size);
	close(fd);
	return error;
}

static int
cmd_putdir(struct drydock_s3 *s3, unsigned jobs, char **argv)
{
	struct putdir pd = {s3, argv[0], argv[1], NULL, 0, 0};
	double t0 = now();
	size_t i;
	int error = 0;

	putdir_walking = &pd;
	if (nftw(pd.dir, putdir_visit, 64, FTW_PHYS) != 0) {
		fprintf(stderr, "s3tool: cannot walk %s\n", pd.dir);
		error = DRYDOCK_ERROR;
	} else
		error = drydock_s3__parallel(jobs, pd.n, putdir_task, &pd);
	if (error == 0)
		printf("put %zu objects in %.1f s\n", pd.n, now() - t0);
	for (i = 0; i < pd.n; i++)
		free(pd.rel[i]);
	free(pd.rel);
	return error < 0 ? fail(error) : 0;
}

/* --- listing
 * ------------------------------------------------------------------------- */

struct listing {
	char **keys;
	size_t n, cap;
};

static int
print_entry(const char *key, const struct drydock_s3_stat *st, void *p)
{
	(void)p;
	if (st == NULL)
		printf("P %s\n", key);
	else
		printf("%s %lld\n", key, (long long)st->size);
	return 0;
}

static int
collect_entry(const char *key, const struct drydock_s3_stat *st, void *p)
{
	struct listing *l = p;
	char **nk;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		if ((nk = realloc(l->keys, l->cap * sizeof(*nk))) == NULL)
			return DRYDOCK_EUSER;
		l->keys = nk;
	}
	if (asprintf(&l->keys[l->n], "%s%s", st == NULL ? "P " : "", key) < 0)
		return DRYDOCK_EUSER;
	l->n++;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmd_lsmany(struct drydock_s3 *s3, char **argv, int argc)
{
	struct listing l = {0};
	const char *delim = argv[0][0] ? argv[0] : NULL;
	size_t i;
	int error;

	error = drydock_s3_foreach_many(s3, (const char *const *)argv + 1,
	    (size_t)argc - 1, delim, collect_entry, &l);
	qsort(l.keys, l.n, sizeof(*l.keys), str_cmp);
	for (i = 0; i < l.n; i++) {
		printf("%s\n", l.keys[i]);
		free(l.keys[i]);
	}
	free(l.keys);
	return error < 0 ? fail(error) : 0;
}

/* --- removing
 * ---------------------------------------------------------------------------
 */

struct removed {
	size_t ok, failed;
	int quiet;
};

static int
removed_cb(const char *key, const char *code, const char *msg, void *p)
{
	struct removed *r = p;

	if (code == NULL) {
		r->ok++;
		if (!r->quiet)
			printf("deleted %s\n", key);
	} else {
		r->failed++;
		printf("error %s %s %s\n", key, code, msg ? msg : "");
	}
	return 0;
}

static int
cmd_rm(struct drydock_s3 *s3, char **argv, int argc)
{
	struct removed r = {0};
	char **keys = NULL, line[2048];
	size_t n = 0, cap = 0, i;
	double t0, dt;
	int error;

	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		r.quiet = getenv("S3TOOL_QUIET") != NULL;
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				keys = realloc(keys, cap * sizeof(*keys));
				if (keys == NULL)
					return 1;
			}
			if ((keys[n++] = strdup(line)) == NULL)
				return 1;
		}
	} else {
		keys = calloc((size_t)argc, sizeof(*keys));
		for (i = 0; keys != NULL && i < (size_t)argc; i++)
			keys[n++] = strdup(argv[i]);
	}
	t0 = now();
	error =
	    drydock_s3_remove(s3, (const char *const *)keys, n, removed_cb, &r);
	dt = now() - t0;
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	if (error < 0)
		return fail(error);
	printf("removed %zu failed %zu in %.3f s: %.0f/s\n", r.ok, r.failed, dt,
	    dt > 0 ? (double)r.ok / dt : 0.0);
	return 0;
}

/* --- multipart uploads
 * --------------------------------------------------------------------- */

static int
upload_cb(const char *key, const char *id, time_t initiated, void *p)
{
	struct drydock_s3 *s3 = p;
	int64_t bytes;
	size_t parts;
	int error;

	if ((error = drydock_s3_upload_size(&bytes, &parts, s3, key, id)) < 0)
		return error;
	printf("%s %s %lld %zu %lld\n", key, id, (long long)bytes, parts,
	    (long long)initiated);
	return 0;
}

static int
cmd_abandon(struct drydock_s3 *s3, const char *key, const char *file)
{
	char etag[72], *id = NULL;
	struct stat sb;
	int fd, error;

	if ((fd = open(file, O_RDONLY)) < 0 || fstat(fd, &sb) < 0) {
		perror(file);
		return 1;
	}
	if ((error = drydock_s3__upload_begin(&id, s3, key)) == 0)
		error = drydock_s3__upload_part(
		    etag, s3, key, id, 1, NULL, fd, 0, sb.st_size);
	close(fd);
	if (error == 0)
		printf("%s\n", id);
	free(id);
	return error < 0 ? fail(error) : 0;
}

static int
run(struct drydock_s3 *s3, unsigned jobs, char **argv, int argc)
{
	const char *cmd = argv[0];
	int error;

	argv++;
	argc--;
	if (strcmp(cmd, "stat") == 0 && argc == 1)
		return cmd_stat(s3, argv[0]);
	if (strcmp(cmd, "get") == 0 && (argc == 1 || argc == 3))
		return cmd_get(s3, argv, argc);
	if (strcmp(cmd, "sha256") == 0 && argc == 1)
		return cmd_sha256(s3, argv[0]);
	if (strcmp(cmd, "put") == 0 && argc == 2)
		return cmd_put(s3, argv[0], argv[1]);
	if (strcmp(cmd, "putmem") == 0 && argc == 1)
		return cmd_putmem(s3, argv[0]);
	if (strcmp(cmd, "cp") == 0 && argc == 2) {
		error = drydock_s3_copy(s3, argv[0], argv[1], -1);
		return error < 0 ? fail(error) : 0;
	}
	if (strcmp(cmd, "ls") == 0 && (argc == 1 || argc == 2)) {
		error = drydock_s3_foreach(s3, argv[0],
		    argc == 2 ? argv[1] : NULL, NULL, print_entry, NULL);
		return error < 0 ? fail(error) : 0;
	}
	if (strcmp(cmd, "lsmany") == 0 && argc >= 2)
		return cmd_lsmany(s3, argv, argc);
	if (strcmp(cmd, "fill") == 0 && (argc == 2 || argc == 3))
		return cmd_fill(s3, jobs, argv, argc);
	if (strcmp(cmd, "putdir") == 0 && argc == 2)
		return cmd_putdir(s3, jobs, argv);
	if (strcmp(cmd, "rm") == 0 && argc >= 1)
		return cmd_rm(s3, argv, argc);
	if (strcmp(cmd, "uploads") == 0 && argc == 1) {
		error = drydock_s3_uploads_foreach(s3, argv[0], upload_cb, s3);
		return error < 0 ? fail(error) : 0;
	}
	if (strcmp(cmd, "abort") == 0 && argc == 2) {
		error = drydock_s3_upload_abort(s3, argv[0], argv[1]);
		return error < 0 ? fail(error) : 0;
	}
	if (strcmp(cmd, "abandon") == 0 && argc == 2)
		return cmd_abandon(s3, argv[0], argv[1]);
	return usage();
}

int
main(int argc, char **argv)
{
	struct drydock_s3_opts o;
	struct drydock_s3 *s3 = NULL;
	const char *config = NULL, *bucket = NULL;
	unsigned jobs = 4;
	int c, rc, error;
	int64_t part = 0, copy_part = 0;

	drydock_s3_opts_init(&o);
	while ((c = getopt(argc, argv, "+C:P:c:j:")) != -1) {
		switch (c) {
		case 'C':
			copy_part = strtoll(optarg, NULL, 10);
			break;
		case 'P':
			part = strtoll(optarg, NULL, 10);
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			jobs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if ((error = options(&o, config, &bucket)) < 0) {
		rc = fail(error);
		goto out;
	}
	if (strcmp(argv[optind], "config") == 0) {
		rc = print_config();
		goto out;
	}
	o.jobs = jobs;
	if (part > 0)
		o.part_size = part;
	if (copy_part > 0)
		o.copy_part_size = copy_part;
	if ((error = drydock_s3_new(&s3, &o)) < 0) {
		rc = fail(error);
		goto out;
	}
	(void)bucket;
	rc = run(s3, jobs, argv + optind, argc - optind);
out:
	drydock_s3_free(s3);
	drydock_regconfig_release(&cfg);
	return rc;
}
