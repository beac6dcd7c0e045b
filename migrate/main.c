/* SPDX-License-Identifier: MIT */
/*
 * main.c --- drydock-migrate: parse options and locations, open the
 * source and the destination, select, copy, verify, report, and turn the
 * result into an fsck(8)-style exit code.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fe/storage.h"
#include "fe/syslog.h"
#include "migrate.h"

static const char synopsis[] =
    "usage: drydock-migrate [-nqv] [--repo NAME]... [--image NAME:TAG]...\n"
    "                       [--all-tags] [--untagged] [--to-oci-types]\n"
    "                       [--platform OS/ARCH] [--compress]\n"
    "                       [--link auto|hard|reflink|copy] [--verify]\n"
    "                       [-j N] [--all-repositories]\n"
    "                       [--creds USER:PASS] [--authfile FILE]\n"
    "                       [--src-creds|--dest-creds USER:PASS]\n"
    "                       [--[src-|dest-]tls-verify=BOOL]\n"
    "                       [--src-cert-dir|--dest-cert-dir DIR]\n"
    "                       [--json FILE|-] [--metrics FILE] SRC DEST\n"
    "       drydock-migrate verify [--repo NAME]... [--image NAME:TAG]...\n"
    "                       [--json FILE|-] SRC DEST\n";

static void
help(void)
{
	fputs(synopsis, stdout);
	fputs("\n"
	      "Move images between a CNCF distribution registry's storage "
	      "and export formats,\nor between registry roots, keeping "
	      "every byte and digest where the format can.\n\n"
	      "Locations:\n"
	      "  registry:DIR          a storage root (DIR holds "
	      "docker/registry/v2),\n"
	      "  registry:CONFIG.yml   or the registry's config.yml naming "
	      "it, or its S3 bucket\n"
	      "  oci:DIR               an OCI image layout; tags are "
	      "index.json entries named\n"
	      "                        REPO:TAG (skopeo reads "
	      "oci:DIR:REPO:TAG)\n"
	      "  oci-archive:FILE      the same layout as a tar (.gz, .zst: "
	      "compressed)\n"
	      "  docker-archive:FILE   docker save format (lossy: one "
	      "platform, new manifest)\n"
	      "                        (an archive FILE may be -, a FIFO "
	      "or a device: streamed)\n"
	      "  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]\n"
	      "                        a registry's HTTP API (no tag: "
	      "every tag; a destination\n"
	      "                        docker://HOST/ keeps every "
	      "repository's name)\n\n"
	      "Options:\n"
	      "      --repo NAME         every tag of NAME (repeatable)\n"
	      "      --image NAME:TAG    one tag, or NAME@DIGEST one manifest "
	      "(repeatable)\n"
	      "      --all-tags          every tag of each --image's "
	      "repository\n"
	      "      --untagged          also manifests no tag names\n"
	      "                          (referrers of carried images always "
	      "go along)\n"
	      "      --to-oci-types      convert Docker manifests to OCI "
	      "(digests change; reported)\n"
	      "      --platform OS/ARCH  docker-archive export: the platform "
	      "(default: this host)\n"
	      "      --compress          docker-archive import: gzip layers "
	      "(default: stored as is)\n"
	      "      --link MODE         auto (reflink, else hard link, else "
	      "copy), hard, reflink,\n"
	      "                          copy (default auto)\n"
	      "      --verify            afterwards, prove every tag and blob "
	      "at DEST\n"
	      "  -j, --jobs N            parallel transfers of a docker:// "
	      "side (default 4)\n"
	      "      --all-repositories  a docker://HOST/ source: every "
	      "repository of _catalog\n"
	      "      --creds USER:PASS   credentials of a docker:// side "
	      "(--src-creds,\n"
	      "                          --dest-creds: of one side)\n"
	      "      --authfile FILE     credentials file (default: "
	      "$REGISTRY_AUTH_FILE,\n"
	      "                          auth.json, ~/.docker/config.json "
	      "and its helpers)\n"
	      "      --tls-verify=BOOL   verify the registry's certificate "
	      "(default true;\n"
	      "                          --src-tls-verify, --dest-tls-verify: "
	      "one side)\n"
	      "      --src-cert-dir DIR, --dest-cert-dir DIR\n"
	      "                          CAs (*.crt) and a client certificate "
	      "(*.cert, *.key)\n"
	      "                          instead of certs.d/HOST:PORT\n"
	      "      --json FILE|-       write the inventory as JSON\n"
	      "      --metrics FILE      write a Prometheus textfile-collector "
	      "file\n"
	      "      --progress, --no-progress  progress line (default: on a "
	      "terminal)\n"
	      "  -n, --dry-run           select and list the images, write "
	      "nothing\n"
	      "  -q, --quiet             only problems\n"
	      "  -v, --verbose           one line per image\n"
	      "  -h, --help              this help\n"
	      "  -V, --version           the version\n\n"
	      "Exit status: 0 done; 4 some images failed or did not verify, "
	      "or input refused;\n8 operational error (I/O, a full or "
	      "read-only destination); 16 usage error;\n32 "
	      "interrupted.\nSee drydock-migrate(8).\n",
	    stdout);
	exit(0);
}

enum {
	OPT_ALL_REPOS = 256,
	OPT_ALL_TAGS,
	OPT_AUTHFILE,
	OPT_COMPRESS,
	OPT_CREDS,
	OPT_DEST_CERT_DIR,
	OPT_DEST_CREDS,
	OPT_DEST_TLS_VERIFY,
	OPT_IMAGE,
	OPT_LINK,
	OPT_PLATFORM,
	OPT_REPO,
	OPT_SRC_CERT_DIR,
	OPT_SRC_CREDS,
	OPT_SRC_TLS_VERIFY,
	OPT_TLS_VERIFY,
	OPT_TO_OCI,
	OPT_UNTAGGED,
	OPT_VERIFY
};

static const struct option longopts[] = {FE_OPT_LONGOPTS,
    {"all-repositories", no_argument, NULL, OPT_ALL_REPOS},
    {"all-tags", no_argument, NULL, OPT_ALL_TAGS},
    {"authfile", required_argument, NULL, OPT_AUTHFILE},
    {"compress", no_argument, NULL, OPT_COMPRESS},
    {"creds", required_argument, NULL, OPT_CREDS},
    {"dest-cert-dir", required_argument, NULL, OPT_DEST_CERT_DIR},
    {"dest-creds", required_argument, NULL, OPT_DEST_CREDS},
    {"dest-tls-verify", optional_argument, NULL, OPT_DEST_TLS_VERIFY},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"link", required_argument, NULL, OPT_LINK},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"repo", required_argument, NULL, OPT_REPO},
    {"src-cert-dir", required_argument, NULL, OPT_SRC_CERT_DIR},
    {"src-creds", required_argument, NULL, OPT_SRC_CREDS},
    {"src-tls-verify", optional_argument, NULL, OPT_SRC_TLS_VERIFY},
    {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},
    {"to-oci-types", no_argument, NULL, OPT_TO_OCI},
    {"untagged", no_argument, NULL, OPT_UNTAGGED},
    {"verify", no_argument, NULL, OPT_VERIFY}, {NULL, 0, NULL, 0}};

static int
parse_loc(struct mig_loc *loc, const char *arg)
{
	static const struct {
		const char *prefix;
		int type;
	} kinds[] = {{"registry:", MIG_LOC_REGISTRY}, {"oci:", MIG_LOC_OCI},
	    {"oci-archive:", MIG_LOC_OCI_ARCHIVE},
	    {"docker-archive:", MIG_LOC_DOCKER_ARCHIVE}};
	struct mig_dref ref;
	size_t i, n;

	if (strncmp(arg, "docker://", 9) == 0) {
		if (mig_dref_parse(&ref, arg + 9) < 0) {
			fprintf(stderr, "%s: %s\n", MIG_NAME,
			    drydock_error_message());
			return -1;
		}
		mig_dref_release(&ref);
		loc->type = MIG_LOC_DOCKER;
		loc->path = arg + 9;
		loc->spec = arg;
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i].prefix);
		if (strncmp(arg, kinds[i].prefix, n) == 0 && arg[n] != '\0') {
			loc->type = kinds[i].type;
			loc->path = arg + n;
			loc->spec = arg;
			return 0;
		}
	}
	fprintf(stderr,
	    "%s: '%s': not a location (registry:DIR, oci:DIR, "
	    "oci-archive:FILE, docker-archive:FILE, docker://HOST/REPO)\n",
	    MIG_NAME, arg);
	return -1;
}

static void
push_arg(const char ***v, size_t *n, const char *arg)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL) {
		fprintf(stderr, "%s: out of memory\n", MIG_NAME);
		exit(DRYDOCK_EXIT_OPERATIONAL);
	}
	nv[(*n)++] = arg;
	*v = nv;
}

/*
 * skopeo's oci:DIR:REF and oci-archive:FILE:REF name one image of a layout
 * (skopeo splits at the first colon).  As a source it is --image REF.  As
 * a destination it would name the entry, and drydock-migrate names each
 * entry REPO:TAG itself: refused.  A path that exists with its colon is
 * taken as it is.
 */
static void
skopeo_ref(struct mig_opts *o, struct mig_loc *loc, int is_src)
{
	struct stat sb;
	const char *colon;
	char *path;

	if ((loc->type != MIG_LOC_OCI && loc->type != MIG_LOC_OCI_ARCHIVE) ||
	    (colon = strchr(loc->path, ':')) == NULL ||
	    stat(loc->path, &sb) == 0)
		return;
	if (!is_src)
		fe_usage("'%s': a reference after the path is skopeo's way to "
		         "name one image; drydock-migrate names each entry "
		         "REPO:TAG itself: give %.*s",
		    loc->spec, (int)(colon - loc->spec), loc->spec);
	if (colon[1] == '\0')
		fe_usage("'%s': no reference after the colon", loc->spec);
	if ((path = strndup(loc->path, (size_t)(colon - loc->path))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", MIG_NAME);
		exit(DRYDOCK_EXIT_OPERATIONAL);
	}
	o->skopeo_path = path;
	loc->path = path;
	push_arg(&o->images, &o->nimages, colon + 1);
}

static int
direction_ok(const struct mig_opts *o)
{
	int s = o->src.type, d = o->dst.type;

	if (d == MIG_LOC_DOCKER)
		return s == MIG_LOC_REGISTRY || s == MIG_LOC_OCI ||
		    s == MIG_LOC_DOCKER;
	if (s == MIG_LOC_DOCKER)
		return d == MIG_LOC_REGISTRY || d == MIG_LOC_OCI;
	if (o->verify_only)
		return s != MIG_LOC_DOCKER_ARCHIVE &&
		    d != MIG_LOC_DOCKER_ARCHIVE;
	if (s == MIG_LOC_DOCKER_ARCHIVE)
		return d == MIG_LOC_REGISTRY || d == MIG_LOC_OCI;
	if (d == MIG_LOC_DOCKER_ARCHIVE)
		return s == MIG_LOC_REGISTRY || s == MIG_LOC_OCI;
	if (s == MIG_LOC_OCI_ARCHIVE)
		return d == MIG_LOC_REGISTRY || d == MIG_LOC_OCI;
	return 1;
}

/* --tls-verify, --tls-verify=true|false */
static int
tls_bool(const char *name, const char *arg)
{
	if (arg == NULL || strcmp(arg, "true") == 0)
		return 1;
	if (strcmp(arg, "false") == 0)
		return 0;
	fe_usage("%s: give true or false", name);
	return 1; /* NOTREACHED */
}

static void
parse_options(struct mig_opts *o, int argc, char **argv)
{
	const char *creds = NULL;
	const struct fe_opt_store stored[] = {{'n', NULL, &o->dry_run},
	    {OPT_ALL_REPOS, NULL, &o->all_repos},
	    {OPT_ALL_TAGS, NULL, &o->all_tags},
	    {OPT_AUTHFILE, &o->authfile, NULL},
	    {OPT_COMPRESS, NULL, &o->compress}, {OPT_CREDS, &creds, NULL},
	    {OPT_DEST_CERT_DIR, &o->dst_cert_dir, NULL},
	    {OPT_DEST_CREDS, &o->dst_creds, NULL},
	    {OPT_PLATFORM, &o->platform, NULL},
	    {OPT_SRC_CERT_DIR, &o->src_cert_dir, NULL},
	    {OPT_SRC_CREDS, &o->src_creds, NULL},
	    {OPT_TO_OCI, NULL, &o->to_oci_types},
	    {OPT_UNTAGGED, NULL, &o->untagged}, {OPT_VERIFY, NULL, &o->verify},
	    {0, NULL, NULL}};
	int c;

	memset(o, 0, sizeof(*o));
	fe_opt_common_init(&o->com);
	o->src_tls_verify = o->dst_tls_verify = 1;
	o->jobs = 4;
	if (argc > 1 && strcmp(argv[1], "verify") == 0) {
		o->verify_only = o->verify = 1;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "hj:nqvV", longopts, NULL)) != -1) {
		if (fe_opt_common(&o->com, c, optarg, help) ||
		    fe_opt_stored(stored, c, optarg))
			continue;
		switch (c) {
		case 'j':
			o->jobs = (int)fe_opt_number("--jobs", optarg, 1, 64);
			break;
		case OPT_DEST_TLS_VERIFY:
			o->dst_tls_verify =
			    tls_bool("--dest-tls-verify", optarg);
			break;
		case OPT_IMAGE:
			push_arg(&o->images, &o->nimages, optarg);
			break;
		case OPT_LINK:
			if (drydock_blobcopy_mode_parse(&o->link_mode, optarg) <
			    0)
				fe_usage("--link: %s", drydock_error_message());
			break;
		case OPT_REPO:
			push_arg(&o->repos, &o->nrepos, optarg);
			break;
		case OPT_SRC_TLS_VERIFY:
			o->src_tls_verify =
			    tls_bool("--src-tls-verify", optarg);
			break;
		case OPT_TLS_VERIFY:
			o->src_tls_verify = o->dst_tls_verify =
			    tls_bool("--tls-verify", optarg);
			break;
		default:
			fe_usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (o->src_creds == NULL)
		o->src_creds = creds;
	if (o->dst_creds == NULL)
		o->dst_creds = creds;
	if (argc != 2)
		fe_usage("give a source and a destination");
	if (parse_loc(&o->src, argv[0]) < 0 || parse_loc(&o->dst, argv[1]) < 0)
		fe_usage(NULL);
	skopeo_ref(o, &o->src, 1);
	skopeo_ref(o, &o->dst, 0);
	fe_opt_common_end(&o->com);
	if (o->dry_run &&
	    (o->src.type == MIG_LOC_OCI_ARCHIVE ||
	        o->src.type == MIG_LOC_DOCKER_ARCHIVE)) {
		fe_usage("--dry-run reads registry and oci: sources only");
	}
	if (o->dst.type == MIG_LOC_DOCKER && strchr(o->dst.path, '@') != NULL)
		fe_usage("%s: a destination is named by a tag, not a digest",
		    o->dst.spec);
	if (o->all_repos && o->src.type != MIG_LOC_DOCKER)
		fe_usage("--all-repositories reads a docker:// source's "
		         "_catalog");
	if (!direction_ok(o)) {
		fe_usage("cannot %s %s to %s",
		    o->verify_only ? "verify" : "migrate", o->src.spec,
		    o->dst.spec);
	}
	if (o->verify_only && o->to_oci_types) {
		fe_usage("verify compares digests as they are; "
		         "--to-oci-types goes with a migration");
	}
}

/*
 * registry:FILE names the registry's config.yml: the storage root is its
 * storage.filesystem.rootdirectory, as drydock-gc --config reads it, or
 * the bucket of its storage.s3 (loc->cfg keeps the config for the open).
 */
static int
resolve_config(struct mig_loc *loc, struct drydock_regconfig *cfg)
{
	struct stat sb;

	if (loc->type != MIG_LOC_REGISTRY || stat(loc->path, &sb) < 0 ||
	    !S_ISREG(sb.st_mode))
		return 0;
	if (drydock_regconfig_read(cfg, loc->path) < 0) {
		fprintf(stderr, "%s: %s: %s\n", MIG_NAME, loc->path,
		    drydock_error_message());
		return -1;
	}
	if (!fe_storage_is_s3(cfg)) {
		loc->path = cfg->rootdirectory;
		return 0;
	}
	if ((loc->name = fe_storage_name(NULL, cfg)) == NULL)
		return -1;
	loc->path = loc->name;
	loc->cfg = cfg;
	return 0;
}

/* The same path on both sides would read what it writes. */
static int
same_place(const struct mig_opts *o)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (o->src.type == MIG_LOC_DOCKER || o->dst.type == MIG_LOC_DOCKER)
		return o->src.type == o->dst.type &&
		    strcmp(o->src.path, o->dst.path) == 0;
	/* s3://BUCKET/ROOT: the same bucket and rootdirectory */
	if (o->src.cfg != NULL || o->dst.cfg != NULL)
		return o->src.cfg != NULL && o->dst.cfg != NULL &&
		    mig_same_s3(o->src.cfg, o->dst.cfg) &&
		    strcmp(o->src.path, o->dst.path) == 0;
	if (realpath(o->src.path, a) == NULL ||
	    realpath(o->dst.path, b) == NULL)
		return 0;
	return strcmp(a, b) == 0;
}

/*
 * An archive is written to a regular file (beside it, then renamed into
 * place; through a symlink, the file it names), or streamed to "-", a
 * FIFO or a character device (/dev/stdout is stdout).  A directory or
 * another special file is refused before anything is read, as is what a
 * stream cannot do: be read back by --verify, or share stdout with
 * --json -.
 */
static int
archive_dest_ok(const struct mig_opts *o)
{
	int kind, error;

	if (o->verify_only ||
	    (o->dst.type != MIG_LOC_OCI_ARCHIVE &&
	        o->dst.type != MIG_LOC_DOCKER_ARCHIVE))
		return 1;
	if ((error = drydock_outfile_check(&kind, o->dst.path)) < 0) {
		fprintf(stderr, "%s: %s\n", MIG_NAME, drydock_error_message());
		/* one that cannot even be looked at fails when opened */
		return error != DRYDOCK_EUNSUPPORTED;
	}
	if (kind != DRYDOCK_OUTFILE_REPLACE && o->verify && !o->dry_run) {
		fprintf(stderr,
		    "%s: --verify reads the archive back, which a stream "
		    "('%s') cannot be: write a file to verify it\n",
		    MIG_NAME, o->dst.path);
		return 0;
	}
	if (kind == DRYDOCK_OUTFILE_STDOUT && o->com.json != NULL &&
	    strcmp(o->com.json, "-") == 0) {
		fprintf(stderr,
		    "%s: the archive and --json - cannot both go to "
		    "standard output\n",
		    MIG_NAME);
		return 0;
	}
	return 1;
}

/*
 * The message of what stopped the run, kept for the report.  A full or
 * read-only destination is named, as the library's messages name a file
 * inside it or nothing.
 */
static void
stop_message(struct mig_run *run)
{
	const char *msg = drydock_error_message();
	const char *dest = run->o->dst.path;
	size_t n = strlen(msg) + strlen(dest) + 32;

	if ((run->error = malloc(n)) == NULL)
		return;
	if (!mig_error_fatal())
		snprintf(run->error, n, "%s", msg);
	else if (strcmp(dest, "-") == 0)
		snprintf(run->error, n, "standard output: %s", msg);
	else if (strstr(msg, dest) == NULL)
		snprintf(run->error, n, "destination '%s': %s", dest, msg);
	else
		snprintf(run->error, n, "%s", msg);
}

/*
 * Images a stopped run had not finished are not at the destination
 * (their names are written last), whatever they were doing.
 */
static void
mark_unfinished(struct mig_run *run)
{
	size_t i;

	if (run->o->verify_only || run->o->dry_run || run->dst.finished)
		return;
	for (i = 0; i < run->nroots; i++) {
		if (run->roots[i].status != MIG_OK)
			continue;
		run->roots[i].status = MIG_SKIPPED;
		free(run->roots[i].error);
		run->roots[i].error =
		    mig_strdup("not written: the run stopped first");
	}
}

static int
exit_for(struct mig_run *run, int error)
{
	size_t i;
	int rc = 0;

	if (error == DRYDOCK_EINTR || run->interrupted || mig_stop)
		return DRYDOCK_EXIT_INTERRUPTED;
	if (error == DRYDOCK_EUNSAFE || error == DRYDOCK_ECORRUPT)
		rc |= DRYDOCK_EXIT_PROBLEMS; /* input refused */
	else if (error < 0)
		rc |= DRYDOCK_EXIT_OPERATIONAL;
	for (i = 0; i < run->nroots; i++)
		if (run->roots[i].status == MIG_FAILED ||
		    run->roots[i].verified < 0)
			rc |= DRYDOCK_EXIT_PROBLEMS;
	if (run->failures || run->verify_failures)
		rc |= DRYDOCK_EXIT_PROBLEMS;
	return rc;
}

/* The destination and the source first: run.c calls no phase. */
static void
run_release(struct mig_run *run)
{
	mig_dest_release(&run->dst);
	mig_source_release(&run->src, run->src_owned);
	mig_run_release(run);
}

/* --verify, once a phase has written and named every image */
static int
then_verify(struct mig_run *run, int error)
{
	if (error < 0 || !run->o->verify)
		return error;
	return mig_verify(run);
}

static int
migrate(struct mig_run *run)
{
	const struct mig_opts *o = run->o;
	int error;

	if (o->src.type == MIG_LOC_DOCKER_ARCHIVE)
		return then_verify(run, mig_docker_import(run));
	if (o->src.type == MIG_LOC_OCI_ARCHIVE) {
		/* streams the blobs into the destination, opened there */
		if ((error = mig_archive_import(run)) < 0)
			return error;
	} else {
		if ((error = mig_source_open(&run->src, &o->src, run)) < 0)
			return error;
		run->src_owned = 1;
	}
	if ((error = mig_select(run)) < 0)
		return error;
	if (o->dry_run) {
		size_t i;

		for (i = 0; i < run->nroots; i++)
			run->roots[i].status = MIG_PLANNED;
		return 0;
	}
	if (o->verify_only)
		return mig_verify(run);
	if (o->dst.type == MIG_LOC_DOCKER_ARCHIVE)
		return then_verify(run, mig_docker_export(run));
	if (o->src.type != MIG_LOC_OCI_ARCHIVE &&
	    (error = mig_dest_open(&run->dst, &o->dst, run)) < 0)
		return error;
	return then_verify(run, mig_copy(run));
}

int
main(int argc, char **argv)
{
	struct drydock_regconfig cfg[2];
	struct mig_opts o;
	struct mig_run run;
	int64_t t0 = fe_clock_monotonic_ns();
	int error, rc, logged = 0;

	fe_init(MIG_NAME, synopsis);
	parse_options(&o, argc, argv);
	memset(cfg, 0, sizeof(cfg));
	if (resolve_config(&o.src, &cfg[0]) < 0 ||
	    resolve_config(&o.dst, &cfg[1]) < 0) {
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto done;
	}
	if ((o.src.cfg != NULL || o.dst.cfg != NULL) &&
	    (o.link_mode == DRYDOCK_BLOBCOPY_HARD ||
	        o.link_mode == DRYDOCK_BLOBCOPY_REFLINK)) {
		fprintf(stderr,
		    "%s: --link %s needs a filesystem on both sides; with S3, "
		    "auto copies on the server where it can, copy streams "
		    "every byte through this host\n",
		    MIG_NAME, drydock_blobcopy_mode_name(o.link_mode));
		rc = DRYDOCK_EXIT_USAGE;
		goto done;
	}
	if (same_place(&o)) {
		fprintf(stderr, "%s: source and destination are the same\n",
		    MIG_NAME);
		rc = DRYDOCK_EXIT_USAGE;
		goto done;
	}
	if (!archive_dest_ok(&o)) {
		rc = DRYDOCK_EXIT_USAGE;
		goto done;
	}
	/* a report that cannot be written stops the run before it writes */
	if ((o.com.json && drydock_outfile_check(NULL, o.com.json) < 0) ||
	    (o.com.metrics && drydock_outfile_check(NULL, o.com.metrics) < 0)) {
		fprintf(stderr, "%s: %s; nothing was written\n", MIG_NAME,
		    drydock_error_message());
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto done;
	}
	fe_signals_catch(&mig_stop);
	if ((error = mig_run_init(&run, &o)) < 0) {
		fprintf(stderr, "%s: %s\n", MIG_NAME, drydock_error_message());
		run_release(&run);
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto done;
	}
	error = migrate(&run);
	run.stop_error = error < 0 ? error : 0;
	if (error < 0 && error != DRYDOCK_EINTR) {
		stop_message(&run);
		fprintf(stderr, "%s: %s\n", MIG_NAME,
		    run.error != NULL ? run.error : drydock_error_message());
	}
	if (error < 0)
		mark_unfinished(&run);
	run.seconds = (double)(fe_clock_monotonic_ns() - t0) / 1e9;
	run.exit_code = rc = exit_for(&run, error);
	if (mig_report(&run) < 0) {
		fprintf(stderr, "%s: %s\n", MIG_NAME, drydock_error_message());
		rc |= DRYDOCK_EXIT_OPERATIONAL;
	}
	run.exit_code = rc;
	mig_log_line(&run);
	logged = 1;
	run_release(&run);
done:
	if (!logged)
		fe_syslog_run(rc != 0,
		    "%s to %s: stopped before it began; exit %d", o.src.spec,
		    o.dst.spec, rc);
	drydock_regconfig_release(&cfg[0]);
	drydock_regconfig_release(&cfg[1]);
	free(o.src.name);
	free(o.dst.name);
	free(o.repos);
	free(o.images);
	free(o.skopeo_path);
	return rc;
}
