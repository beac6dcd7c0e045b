/* SPDX-License-Identifier: MIT */
/*
 * storetool.c --- drive a store's driver (lib/driver_int.h: st->ops) from
 * the integration tests (t5030), so that what the filesystem driver and
 * the S3 driver answer can be compared line by line.
 *
 *	storetool [-r ROOT] [-j JOBS] [-e] [-q] CMD ARG...
 *
 * -r ROOT opens a filesystem root; without it the bucket comes from the
 * environment (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY,
 * S3_BUCKET, S3_ROOTDIR).  -e opens an empty store (ALLOW_EMPTY).  -q
 * prints the S3 requests the command sent to stderr ("requests N").
 *
 *	dump [-p] [-P] [DIR]   every entry below DIR, recursively, sorted:
 *	                       "d PATH" / "f PATH SIZE SHA256" (-P: "f PATH
 *	                       SIZE", O_PATH opens only); -p prefetches DIR
 *	                       (-w: as a wide one, its subdirectories at once)
 *	                       first; checks d_type against statat and fstat
 *	ls DIR [BUFSZ]         getdents with a BUFSZ buffer: "NAME d|f",
 *	                       then "rewind N" (the same entries again)
 *	stat REL [DIR]         statat: "d MTIME INO" | "f SIZE MTIME INO" |
 *	                       -ERRNO name
 *	open REL path|dir|read [DIR]  an open: "d" | "f SIZE" | error name
 *	cat REL                open O_RDONLY, read in 7-byte reads
 *	readcb REL OFF LEN     read_cb: the bytes; "size N" to stderr
 *	unlink|rmdir|rmtree|prune REL
 *	pruneparents REL STOP
 *	rename REL NEWNAME
 *	put REL                write_file from stdin
 *	putfd REL FILE [SKIP]  write_fd from FILE at offset SKIP, size -1
 *	moveout REL DIR NAME   move_out to the local DIR/NAME
 *	movein DIR NAME REL    move_in
 *	openmany [-n] DIR...   prefetch_many of the DIRs (-n: not), then
 *	                       open_prefetch of each in turn and its dump -P
 *	                       (as "dump -p -P DIR"; "! DIR open ERR")
 *	lock [SECONDS|FILE]    take the lock, say "locked", hold it (SECONDS, or
 *	                       until FILE exists), close
 *	skew                   clock_skew in ms
 *	key REL                drydock_store_s3_key
 *	root                   drydock_store_root and is_empty
 *
 * The handle commands call the driver (st->ops); the path commands, lock
 * and skew the public drydock_store_* calls above it.  The path commands
 * print their result ("0", "ENOTFOUND", "EEXISTS"...)
 * and the message on stderr.  Exit: 0, 1 an error, 3 refused, 64 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <drydock/errors.h>
#include <drydock/regconfig.h>
#include <drydock/s3.h>
#include <drydock/store.h>

#include "lib/s3_int.h"
#include "lib/store_int.h"

static struct drydock_store *st;
static const struct drydock_driver_ops *ops;

static const char *
code_name(int error)
{
	return error == 0 ? "0" : drydock_error_code_name(error);
}

static const char *
errno_name(int neg)
{
	switch (-neg) {
	case ENOENT:
		return "ENOENT";
	case ENOTDIR:
		return "ENOTDIR";
	case EISDIR:
		return "EISDIR";
	case EBADF:
		return "EBADF";
	case EFBIG:
		return "EFBIG";
	case EINVAL:
		return "EINVAL";
	case ELOOP:
		return "ELOOP";
	case EACCES:
		return "EACCES";
	default:
		return "EOTHER";
	}
}

/* A path call's result: its name on stdout, its message on stderr. */
static int
result(int error)
{
	printf("%s\n", code_name(error));
	if (error < 0)
		fprintf(stderr, "storetool: %s\n", drydock_error_message());
	return 0;
}

/* --- reading through handles ---------------------------------------------- */

struct names {
	char **v;
	unsigned char *type;
	size_t n, cap;
};

static void
names_release(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	free(ns->type);
	memset(ns, 0, sizeof(*ns));
}

/* Every entry of the directory handle h but "." and "..", in order. */
static int
list(struct names *ns, int h, size_t bufsz)
{
	char *buf = malloc(bufsz);
	ssize_t n, off;

	memset(ns, 0, sizeof(*ns));
	if (buf == NULL)
		return -ENOMEM;
	while ((n = ops->getdents(st, h, buf, bufsz)) > 0) {
		for (off = 0; off < n;) {
			struct drydock_dirent64 *de = (void *)(buf + off);

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (ns->n == ns->cap) {
				ns->cap = ns->cap ? 2 * ns->cap : 16;
				ns->v =
				    realloc(ns->v, ns->cap * sizeof(*ns->v));
				ns->type = realloc(ns->type, ns->cap);
				if (ns->v == NULL || ns->type == NULL)
					abort();
			}
			ns->type[ns->n] = de->d_type;
			ns->v[ns->n++] = strdup(de->d_name);
		}
	}
	free(buf);
	return n < 0 ? (int)n : 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The SHA-256 of a file handle's bytes, read in odd sizes. */
static int
hash_handle(char *hex, int h)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[777];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len, i;
	ssize_t n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = ops->read(st, h, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return n < 0 ? (int)n : 0;
}

static int bad; /* inconsistencies dump met */

static void
dump_dir(int h, const char *path, int paths_only)
{
	struct names ns;
	struct stat sb, fsb;
	char child[4096], hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t i;
	int r, ch;

	if ((r = list(&ns, h, 4096)) < 0) {
		printf("! %s getdents %s\n", path, errno_name(r));
		bad++;
		return;
	}
	if (ns.n > 1) /* (types not needed) */
		qsort(ns.v, ns.n, sizeof(*ns.v), str_cmp);
	for (i = 0; i < ns.n; i++) {
		snprintf(child, sizeof(child), "%s%s%s", path,
		    path[0] ? "/" : "", ns.v[i]);
		if ((r = ops->statat(st, h, ns.v[i], &sb)) < 0) {
			printf("! %s statat %s\n", child, errno_name(r));
			bad++;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			printf("d %s\n", child);
			ch = ops->open(
			    st, h, ns.v[i], O_RDONLY | O_DIRECTORY, &fsb);
			if (ch < 0) {
				printf("! %s open %s\n", child, errno_name(ch));
				bad++;
				continue;
			}
			dump_dir(ch, child, paths_only);
			ops->close_h(st, ch);
			continue;
		}
		ch = ops->open(
		    st, h, ns.v[i], paths_only ? O_PATH : O_RDONLY, &fsb);
		if (ch < 0) {
			printf("! %s open %s\n", child, errno_name(ch));
			bad++;
			continue;
		}
		if (fsb.st_size != sb.st_size || !S_ISREG(fsb.st_mode)) {
			printf("! %s statat and open disagree\n", child);
			bad++;
		}
		if (paths_only) {
			printf("f %s %lld\n", child, (long long)sb.st_size);
		} else if ((r = hash_handle(hex, ch)) < 0) {
			printf("! %s read %s\n", child, errno_name(r));
			bad++;
		} else {
			printf("f %s %lld %s\n", child, (long long)sb.st_size,
			    hex);
		}
		ops->close_h(st, ch);
	}
	names_release(&ns);
}

static int
cmd_dump(int argc, char **argv)
{
	const char *dir = "";
	int prefetch = 0, paths_only = 0, h, r, i;
	unsigned flags = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0)
			prefetch = 1;
		else if (strcmp(argv[i], "-w") == 0) {
			prefetch = 1;
			flags = DRYDOCK_DRIVER_PREFETCH_WIDE;
		} else if (strcmp(argv[i], "-P") == 0)
			paths_only = 1;
		else
			dir = argv[i];
	}
	/* "." is $V2 on both drivers (drydock_store_dir_foreach's) */
	h = ops->open(st, -1, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY, NULL);
	if (h < 0) {
		printf("! %s open %s\n", dir, errno_name(h));
		return 1;
	}
	if (prefetch && (r = ops->prefetch(st, h, flags)) < 0) {
		printf("! prefetch %s\n", errno_name(r));
		return 1;
	}
	dump_dir(h, dir, paths_only);
	ops->close_h(st, h);
	return bad ? 1 : 0;
}

static int
cmd_openmany(int argc, char **argv)
{
	int h, i, many = 1;

	if (argc > 0 && strcmp(argv[0], "-n") == 0) {
		many = 0;
		argc--;
		argv++;
	}
	if (many && ops->prefetch_many != NULL &&
	    ops->prefetch_many(st, (const char *const *)argv, (size_t)argc) !=
	        0) {
		printf("! prefetch_many\n");
		return 1;
	}
	for (i = 0; i < argc; i++) {
		h = ops->open_prefetch != NULL
		    ? ops->open_prefetch(st, -1, argv[i], NULL)
		    : ops->open(st, -1, argv[i], O_RDONLY | O_DIRECTORY, NULL);
		if (h < 0) {
			printf("! %s open %s\n", argv[i], errno_name(h));
			continue;
		}
		dump_dir(h, argv[i], 1);
		ops->close_h(st, h);
	}
	return bad ? 1 : 0;
}

static int
open_dir(const char *dir)
{
	if (dir == NULL)
		return -1;
	return ops->open(
	    st, -1, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY, NULL);
}

static int
cmd_ls(const char *dir, size_t bufsz)
{
	struct names a, b;
	size_t i, same = 0;
	int h, r;

	if ((h = open_dir(dir)) < 0) {
		printf("%s\n", errno_name(h));
		return 0;
	}
	if ((r = list(&a, h, bufsz)) < 0) {
		printf("getdents %s\n", errno_name(r));
		ops->close_h(st, h);
		return 1;
	}
	for (i = 0; i < a.n; i++)
		printf("%s %c\n", a.v[i], a.type[i] == DT_DIR ? 'd' : 'f');
	if (ops->rewind(st, h) == 0 && list(&b, h, bufsz) == 0) {
		for (i = 0; i < a.n && i < b.n; i++)
			same += strcmp(a.v[i], b.v[i]) == 0;
		printf("rewind %zu\n", b.n == a.n ? same : (size_t)-1);
		names_release(&b);
	}
	names_release(&a);
	ops->close_h(st, h);
	return 0;
}

static int
cmd_stat(const char *rel, const char *dir)
{
	struct stat sb;
	int h = open_dir(dir), r;

	if (dir != NULL && h < 0) {
		printf("dir %s\n", errno_name(h));
		return 0;
	}
	if ((r = ops->statat(st, h, rel, &sb)) < 0)
		printf("%s\n", errno_name(r));
	else if (S_ISDIR(sb.st_mode))
		printf("d %lld %llu\n", (long long)sb.st_mtim.tv_sec,
		    (unsigned long long)sb.st_ino);
	else
		printf("f %lld %lld %llu\n", (long long)sb.st_size,
		    (long long)sb.st_mtim.tv_sec,
		    (unsigned long long)sb.st_ino);
	if (h >= 0)
		ops->close_h(st, h);
	return 0;
}

static int
cmd_open(const char *rel, const char *how, const char *dir)
{
	struct stat sb;
	int flags = strcmp(how, "path") == 0 ? O_PATH
	    : strcmp(how, "dir") == 0        ? O_RDONLY | O_DIRECTORY
	                                     : O_RDONLY;
	int d = open_dir(dir), h;

	if ((h = ops->open(st, d, rel, flags, &sb)) < 0)
		printf("%s\n", errno_name(h));
	else if (S_ISDIR(sb.st_mode))
		printf("d\n");
	else
		printf("f %lld\n", (long long)sb.st_size);
	if (h >= 0)
		ops->close_h(st, h);
	if (d >= 0)
		ops->close_h(st, d);
	return 0;
}

static int
cmd_cat(const char *rel)
{
	char buf[7];
	ssize_t n;
	int h;

	if ((h = ops->open(st, -1, rel, O_RDONLY, NULL)) < 0) {
		printf("%s\n", errno_name(h));
		return 0;
	}
	while ((n = ops->read(st, h, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	ops->close_h(st, h);
	return n < 0 ? 1 : 0;
}

static int
out_cb(const void *buf, size_t len, void *payload)
{
	(void)payload;
	return fwrite(buf, 1, len, stdout) == len ? 0 : DRYDOCK_EUSER;
}

static int
cmd_readcb(const char *rel, const char *off, const char *len)
{
	int64_t size = -2;
	int error;

	error = ops->read_cb(st, rel, strtoll(off, NULL, 10),
	    strtoll(len, NULL, 10), out_cb, NULL, &size);
	fflush(stdout);
	if (error < 0)
		return result(error);
	fprintf(stderr, "size %lld\n", (long long)size);
	return 0;
}

/* --- writing -------------------------------------------------------------- */

static int
cmd_put(const char *rel)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (len == cap &&
		    (buf = realloc(buf, cap = cap ? 2 * cap : 65536)) == NULL)
			abort();
		if ((n = fread(buf + len, 1, cap - len, stdin)) == 0)
			break;
		len += n;
	}
	result(drydock_store_write_file(st, rel, buf, len));
	free(buf);
	return 0;
}

static int
cmd_putfd(const char *rel, const char *file, const char *skip)
{
	int fd = open(file, O_RDONLY);

	if (fd < 0) {
		perror(file);
		return 1;
	}
	if (skip != NULL)
		lseek(fd, strtoll(skip, NULL, 10), SEEK_SET);
	result(drydock_store_write_fd(st, rel, fd, -1));
	printf("offset %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	return 0;
}

static int
local_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		perror(dir);
	return fd;
}

static int
cmd_move(int out, const char *a, const char *b, const char *c)
{
	int fd = local_dir(out ? b : a);

	if (fd < 0)
		return 1;
	result(out ? drydock_store_move_out(st, a, fd, c)
	           : drydock_store_move_in(st, fd, b, c));
	close(fd);
	return 0;
}

static int
cmd_lock(const char *secs)
{
	int error = drydock_store_lock(st);

	int i;

	result(error);
	fflush(stdout);
	if (error != 0 || secs == NULL)
		return 0;
	if (secs[0] >= '0' && secs[0] <= '9') {
		sleep((unsigned)atoi(secs));
		return 0;
	}
	/* until the file secs names exists (a test's signal), 2 min at most */
	for (i = 0; i < 1200 && access(secs, F_OK) != 0; i++)
		usleep(100000);
	return 0;
}

static int
cmd_skew(void)
{
	int64_t skew = 0;
	int error = drydock_store_clock_skew(st, &skew);

	if (error < 0)
		return result(error);
	printf("%lld\n", (long long)(skew / 1000000));
	return 0;
}

static int
cmd_key(const char *rel)
{
	char buf[2048];
	int error = drydock_store_s3_key(buf, sizeof(buf), st, rel);

	if (error < 0)
		return result(error);
	printf("%s\n", buf);
	return 0;
}

static int
run(char **argv, int argc)
{
	const char *cmd = argv[0];

#define ARGS(n)                                                                \
	do {                                                                   \
		if (argc < (n) + 1)                                            \
			return 64;                                             \
	} while (0)
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "openmany") == 0)
		return cmd_openmany(argc - 1, argv + 1);
	if (strcmp(cmd, "ls") == 0) {
		ARGS(1);
		return cmd_ls(
		    argv[1], argc > 2 ? strtoul(argv[2], NULL, 10) : 4096);
	}
	if (strcmp(cmd, "stat") == 0) {
		ARGS(1);
		return cmd_stat(argv[1], argc > 2 ? argv[2] : NULL);
	}
	if (strcmp(cmd, "open") == 0) {
		ARGS(2);
		return cmd_open(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	}
	if (strcmp(cmd, "cat") == 0) {
		ARGS(1);
		return cmd_cat(argv[1]);
	}
	if (strcmp(cmd, "readcb") == 0) {
		ARGS(3);
		return cmd_readcb(argv[1], argv[2], argv[3]);
	}
	if (strcmp(cmd, "unlink") == 0) {
		ARGS(1);
		return result(drydock_store_unlink(st, argv[1]));
	}
	if (strcmp(cmd, "rmdir") == 0) {
		ARGS(1);
		return result(drydock_store_rmdir(st, argv[1]));
	}
	if (strcmp(cmd, "rmtree") == 0) {
		ARGS(1);
		return result(drydock_store_remove_tree(st, argv[1]));
	}
	if (strcmp(cmd, "prune") == 0) {
		ARGS(1);
		return result(drydock_store_prune_empty(st, argv[1]));
	}
	if (strcmp(cmd, "pruneparents") == 0) {
		ARGS(2);
		return result(
		    drydock_store_prune_parents(st, argv[1], argv[2]));
	}
	if (strcmp(cmd, "rename") == 0) {
		ARGS(2);
		return result(
		    drydock_store_rename_sibling(st, argv[1], argv[2]));
	}
	if (strcmp(cmd, "put") == 0) {
		ARGS(1);
		return cmd_put(argv[1]);
	}
	if (strcmp(cmd, "putfd") == 0) {
		ARGS(2);
		return cmd_putfd(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	}
	if (strcmp(cmd, "moveout") == 0) {
		ARGS(3);
		return cmd_move(1, argv[1], argv[2], argv[3]);
	}
	if (strcmp(cmd, "movein") == 0) {
		ARGS(3);
		return cmd_move(0, argv[1], argv[2], argv[3]);
	}
	if (strcmp(cmd, "lock") == 0)
		return cmd_lock(argc > 1 ? argv[1] : NULL);
	if (strcmp(cmd, "skew") == 0)
		return cmd_skew();
	if (strcmp(cmd, "key") == 0) {
		ARGS(1);
		return cmd_key(argv[1]);
	}
	if (strcmp(cmd, "root") == 0) {
		printf("%s %d\n", drydock_store_root(st),
		    drydock_store_is_empty(st));
		return 0;
	}
	return 64;
}

static int
open_store(const char *root, unsigned flags, unsigned jobs)
{
	struct drydock_regconfig_s3 cfg;

	if (root != NULL)
		return drydock_store_open(&st, root, flags);
	memset(&cfg, 0, sizeof(cfg));
	cfg.regionendpoint = getenv("S3_ENDPOINT");
	cfg.region = getenv("S3_REGION");
	cfg.accesskey = getenv("S3_ACCESS_KEY");
	cfg.secretkey = getenv("S3_SECRET_KEY");
	cfg.bucket = getenv("S3_BUCKET");
	cfg.rootdirectory = getenv("S3_ROOTDIR");
	cfg.secure = 0;
	return drydock_store_open_s3(&st, &cfg, flags, jobs);
}

int
main(int argc, char **argv)
{
	const char *root = NULL;
	unsigned flags = 0, jobs = 4;
	unsigned long before = 0;
	int c, rc, error, requests = 0;

	while ((c = getopt(argc, argv, "+ej:qr:")) != -1) {
		switch (c) {
		case 'e':
			flags |= DRYDOCK_STORE_ALLOW_EMPTY;
			break;
		case 'j':
			jobs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'q':
			requests = 1;
			break;
		case 'r':
			root = optarg;
			break;
		default:
			return 64;
		}
	}
	if (optind >= argc)
		return 64;
	if ((error = open_store(root, flags, jobs)) < 0) {
		printf("open %s\n", code_name(error));
		fprintf(stderr, "storetool: %s\n", drydock_error_message());
		return error == DRYDOCK_EAUTH ? 3 : 1;
	}
	if ((ops = st->ops) == NULL) {
		fprintf(stderr, "storetool: the store has no driver ops\n");
		drydock_store_close(st);
		return 1;
	}
	if (drydock_store_s3(st) != NULL)
		before = drydock_s3__requests(drydock_store_s3(st));
	rc = run(argv + optind, argc - optind);
	if (requests && drydock_store_s3(st) != NULL)
		fprintf(stderr, "requests %lu\n",
		    drydock_s3__requests(drydock_store_s3(st)) - before);
	fflush(stdout);
	drydock_store_close(st);
	return rc;
}
