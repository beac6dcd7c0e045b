/* SPDX-License-Identifier: MIT */
/*
 * main.c --- drydock-fsck: parse options, open the store (read-only unless
 * --repair), run the phases (walk, structure, content, impact, repair),
 * report, and turn the result into an fsck(8) exit code.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fe/storage.h"
#include "fsck.h"

static const char synopsis[] =
    "usage: drydock-fsck [-npqv] [-j N] [--strict] [--verify MODE] "
    "[--slice K/N]\n"
    "                    [--state FILE] [--max-duration DUR] "
    "[--quarantine DIR]\n"
    "                    [--json FILE|-] [--metrics FILE] "
    "[--ignore ID] [--error ID]\n"
    "                    ROOT | --config FILE\n"
    "       drydock-fsck --list-findings\n";

static void
help(void)
{
	fputs(synopsis, stdout);
	fputs("\n"
	      "Prove that a CNCF distribution registry's storage is intact: "
	      "every blob\n"
	      "matches its digest, every image is complete; or say which "
	      "images are broken.\n"
	      "Read-only unless -p.\n\n"
	      "  ROOT                      the registry's "
	      "storage.filesystem.rootdirectory\n"
	      "      --config FILE         read ROOT, or its S3 bucket, from "
	      "the registry's\n"
	      "                            config.yml (storage.filesystem or "
	      "storage.s3)\n"
	      "  -n, --dry-run             change nothing (the default); not "
	      "with --state\n"
	      "  -p, --repair              make the safe repairs, each logged\n"
	      "      --quarantine DIR      where -p moves bad data and links\n"
	      "                            (default ROOT/drydock-fsck-"
	      "quarantine)\n"
	      "  -j, --jobs N              hashing threads (default: the "
	      "cores)\n"
	      "      --verify MODE         all (default), changed, slice, or "
	      "none (structure\n"
	      "                            only); changed and slice need "
	      "--state\n"
	      "      --slice K/N           with slice: also re-hash the least "
	      "recently\n"
	      "                            verified K/N of the store "
	      "(default 1/7)\n"
	      "      --state FILE          SQLite file of what was verified "
	      "and when\n"
	      "      --max-duration DUR    stop hashing after DUR; the next "
	      "run goes on\n"
	      "      --uploads-older-than DUR  uploads older than this are "
	      "stale (default 168h)\n"
	      "      --strict              warnings count as problems for the "
	      "exit code\n"
	      "      --ignore ID           do not report finding ID "
	      "(repeatable)\n"
	      "      --error ID            treat finding ID as a problem "
	      "(repeatable)\n"
	      "      --max-findings N      list at most N findings (default "
	      "1000, 0: all)\n"
	      "      --json FILE|-         write a JSON report\n"
	      "      --metrics FILE        write a Prometheus textfile-"
	      "collector file\n"
	      "      --progress, --no-progress  progress line (default: on "
	      "a terminal)\n"
	      "      --list-findings       list every finding ID and exit\n"
	      "  -q, --quiet               only problems\n"
	      "  -v, --verbose             also list notes (info findings)\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             the version\n\n"
	      "Exit status (bits ORed, as fsck(8)): 0 clean; 1 problems "
	      "repaired; 4 problems\n"
	      "left; 8 operational error; 16 usage error; 32 interrupted.\n"
	      "See drydock-fsck(8).\n",
	    stdout);
	exit(0);
}

enum {
	OPT_ERROR = 256,
	OPT_IGNORE,
	OPT_LIST,
	OPT_MAX_DURATION,
	OPT_MAX_FINDINGS,
	OPT_QUARANTINE,
	OPT_SLICE,
	OPT_STATE,
	OPT_STRICT,
	OPT_UPLOADS,
	OPT_VERIFY
};

static const struct option longopts[] = {FE_OPT_LONGOPTS, FE_OPT_CONFIG_LONGOPT,
    {"error", required_argument, NULL, OPT_ERROR},
    {"ignore", required_argument, NULL, OPT_IGNORE},
    {"list-findings", no_argument, NULL, OPT_LIST},
    {"max-duration", required_argument, NULL, OPT_MAX_DURATION},
    {"max-findings", required_argument, NULL, OPT_MAX_FINDINGS},
    {"quarantine", required_argument, NULL, OPT_QUARANTINE},
    {"repair", no_argument, NULL, 'p'},
    {"slice", required_argument, NULL, OPT_SLICE},
    {"state", required_argument, NULL, OPT_STATE},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"uploads-older-than", required_argument, NULL, OPT_UPLOADS},
    {"verify", required_argument, NULL, OPT_VERIFY}, {NULL, 0, NULL, 0}};

/* A usage error about option name: exit 16. */
static void
bad(const char *name, const char *why)
{
	fe_usage("%s: %s", name, why);
}

static void
severity_opt(struct fsck_opts *o, const char *name, const char *arg, int sev)
{
	int id = fsck_finding_lookup(arg);

	if (id < 0)
		fe_usage(
		    "%s: no finding '%s' (see --list-findings)", name, arg);
	else
		o->sev[id] = (signed char)sev;
}

static int
verify_mode(const char *arg)
{
	if (strcmp(arg, "all") == 0)
		return FSCK_VERIFY_ALL;
	if (strcmp(arg, "changed") == 0)
		return FSCK_VERIFY_CHANGED;
	if (strcmp(arg, "slice") == 0)
		return FSCK_VERIFY_SLICE;
	if (strcmp(arg, "none") == 0)
		return FSCK_VERIFY_NONE;
	bad("--verify", "want all, changed, slice or none");
	return -1;
}

static void
parse_options(struct fsck_opts *o, int argc, char **argv)
{
	int c, i, dry_run = 0, verify_set = 0;
	const struct fe_opt_store stored[] = {{'n', NULL, &dry_run},
	    {'p', NULL, &o->repair}, {OPT_QUARANTINE, &o->quarantine, NULL},
	    {OPT_STATE, &o->state, NULL}, {OPT_STRICT, NULL, &o->strict},
	    {0, NULL, NULL}};

	memset(o, 0, sizeof(*o));
	fe_opt_common_init(&o->com);
	o->verify = FSCK_VERIFY_ALL;
	o->uploads_age = 168 * 3600;
	o->max_findings = 1000;
	for (i = 0; i < FSCK_FINDING_MAX; i++)
		o->sev[i] = (signed char)fsck_finding_defs[i].severity;
	while (
	    (c = getopt_long(argc, argv, "hj:npqvV", longopts, NULL)) != -1) {
		if (fe_opt_common(&o->com, c, optarg, help) ||
		    fe_opt_stored(stored, c, optarg))
			continue;
		switch (c) {
		case 'j':
			o->jobs = (int)fe_opt_number("--jobs", optarg, 1, 1024);
			break;
		case OPT_ERROR:
			severity_opt(o, "--error", optarg, FSCK_SEV_PROBLEM);
			break;
		case OPT_IGNORE:
			severity_opt(o, "--ignore", optarg, FSCK_SEV_IGNORE);
			break;
		case OPT_LIST:
			fsck_list_findings();
			exit(0);
		case OPT_MAX_DURATION:
			o->max_duration =
			    fe_opt_duration("--max-duration", optarg);
			if (o->max_duration <= 0)
				bad("--max-duration", "must be more than 0");
			break;
		case OPT_MAX_FINDINGS:
			o->max_findings = (size_t)fe_opt_number(
			    "--max-findings", optarg, 0, 100000000);
			break;
		case OPT_SLICE:
			if (drydock_state_slice_parse(
			        &o->slice_k, &o->slice_n, optarg) < 0)
				bad("--slice", drydock_error_message());
			break;
		case OPT_UPLOADS:
			o->uploads_age =
			    fe_opt_duration("--uploads-older-than", optarg);
			break;
		case OPT_VERIFY:
			o->verify = verify_mode(optarg);
			verify_set = 1;
			break;
		default:
			fe_usage(NULL);
		}
	}
	o->root = fe_opt_root(argc - optind, argv + optind, o->com.config);
	if (dry_run && o->repair)
		bad("-n", "-n and -p exclude each other");
	/* -n promises no write anywhere; --state is written on every run */
	if (dry_run && o->state != NULL)
		bad("-n",
		    "-n writes nothing and --state records each run: give "
		    "one of them (without -p the store is only read)");
	if (o->quarantine != NULL && !o->repair)
		bad("--quarantine", "only -p moves anything into quarantine");
	if (o->slice_n != 0 && !verify_set)
		o->verify = FSCK_VERIFY_SLICE;
	if (o->slice_n != 0 && o->verify != FSCK_VERIFY_SLICE)
		bad("--slice", "goes with --verify slice");
	if (o->verify == FSCK_VERIFY_SLICE && o->slice_n == 0) {
		o->slice_k = 1;
		o->slice_n = 7;
	}
	if ((o->verify == FSCK_VERIFY_CHANGED ||
	        o->verify == FSCK_VERIFY_SLICE) &&
	    o->state == NULL)
		bad("--verify", "changed and slice need --state FILE");
	fe_opt_common_end(&o->com);
}

static int
open_state(struct fsck_run *run, const struct fsck_opts *o, const char *root)
{
	int error;

	if (o->state == NULL)
		return 0;
	if ((error = drydock_state_open(&run->state, o->state, 1)) < 0)
		return error;
	return drydock_state_bind_root(run->state, root, &run->state_reset);
}

static int
phases(struct fsck_run *run)
{
	const struct fsck_opts *o = run->opts;
	int error;

	if ((error = fsck_walk(run)) < 0 ||
	    (error = fsck_problems_to_findings(run)) < 0 ||
	    (error = fsck_check_structure(run)) < 0 ||
	    (error = fsck_content(run)) < 0 ||
	    (error = fsck_content_findings(run)) < 0 ||
	    (error = fsck_check_blobs(run)) < 0 ||
	    (error = fsck_impact(run)) < 0)
		return error;
	if (o->repair && !run->interrupted && !fsck_stop)
		error = fsck_repair(run);
	return error;
}

static int
run_fsck(const struct fsck_opts *o, struct drydock_store *st, const char *root)
{
	struct fsck_run run;
	int error, rc;

	/* -p changes the store: a report it cannot write stops it first */
	if ((o->com.json && drydock_outfile_check(NULL, o->com.json) < 0) ||
	    (o->com.metrics &&
	        drydock_outfile_check(NULL, o->com.metrics) < 0)) {
		fprintf(stderr, "drydock-fsck: %s; nothing was checked\n",
		    drydock_error_message());
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	if ((error = fsck_run_init(&run, o, st)) < 0 ||
	    (error = open_state(&run, o, root)) < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		drydock_state_close(run.state);
		fsck_run_release(&run);
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	if (run.state_reset)
		fprintf(stderr,
		    "drydock-fsck: %s belonged to another root; starting it "
		    "afresh\n",
		    o->state);
	drydock_store_set_problem_cb(st, fsck_problem_cb, &run);
	error = phases(&run);
	drydock_store_set_problem_cb(st, NULL, NULL);
	fsck_progress_end(&run);
	if (error == DRYDOCK_EINTR || fsck_stop)
		run.interrupted = 1;
	else if (error < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		run.operational = 1;
	}
	fsck_finish(&run);
	if ((error == 0 || error == DRYDOCK_EINTR) && fsck_output(&run) < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		run.exit_code |= DRYDOCK_EXIT_OPERATIONAL;
	}
	if (o->com.metrics != NULL && fsck_metrics(&run) < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		run.exit_code |= DRYDOCK_EXIT_OPERATIONAL;
	}
	fsck_log_line(&run);
	rc = run.exit_code;
	drydock_state_close(run.state);
	fsck_run_release(&run);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fsck_opts o;
	struct drydock_regconfig cfg;
	struct drydock_store *st = NULL;
	char *abs = NULL, *qdefault = NULL;
	int rc, error;

	memset(&cfg, 0, sizeof(cfg));
	fe_init("drydock-fsck", synopsis);
	parse_options(&o, argc, argv);
	if (o.com.config) {
		if ((error = drydock_regconfig_read(&cfg, o.com.config)) < 0) {
			fprintf(stderr, "drydock-fsck: %s: %s\n", o.com.config,
			    drydock_error_message());
			return DRYDOCK_EXIT_OPERATIONAL;
		}
		o.root = cfg.rootdirectory;
	}
	if ((abs = fe_storage_name(o.root, o.com.config ? &cfg : NULL)) ==
	    NULL) {
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	/* the quarantine of a bucket's objects is in the bucket; its journal
	 * is here, where the operator says */
	if (o.repair && o.quarantine == NULL && fe_storage_is_s3(&cfg)) {
		fprintf(stderr,
		    "drydock-fsck: -p on S3 storage needs "
		    "--quarantine DIR (its journal)\n");
		rc = DRYDOCK_EXIT_USAGE;
		goto out;
	}
	if (o.repair && o.quarantine == NULL) {
		if (asprintf(&qdefault, "%s/drydock-fsck-quarantine", abs) <
		    0) {
			qdefault = NULL;
			rc = DRYDOCK_EXIT_OPERATIONAL;
			goto out;
		}
		o.quarantine = qdefault;
	}
	if ((o.state != NULL && drydock_path_in_registry(abs, o.state)) ||
	    (o.quarantine != NULL &&
	        drydock_path_in_registry(abs, o.quarantine))) {
		fprintf(stderr,
		    "drydock-fsck: --state and --quarantine must "
		    "be outside %s/docker/registry/v2\n",
		    abs);
		rc = DRYDOCK_EXIT_USAGE;
		goto out;
	}
	/* a registry before its first push is clean, not an error */
	error = fe_storage_open(&st, abs, o.com.config ? &cfg : NULL,
	    (o.repair ? 0 : DRYDOCK_STORE_RDONLY) | DRYDOCK_STORE_ALLOW_EMPTY,
	    o.jobs);
	if (error < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	if (drydock_store_is_empty(st) && !o.com.quiet)
		fprintf(stderr,
		    "drydock-fsck: %s: no docker/registry/v2 yet: nothing to "
		    "do\n",
		    abs);
	/* a read-only check leaves nothing behind, not even a lock */
	if (o.repair && (error = drydock_store_lock(st)) < 0) {
		fprintf(stderr, "drydock-fsck: %s\n", drydock_error_message());
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	fe_signals_catch(&fsck_stop);
	rc = run_fsck(&o, st, abs);
out:
	drydock_store_close(st);
	drydock_regconfig_release(&cfg);
	free(qdefault);
	free(abs);
	return rc;
}
