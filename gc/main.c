/* SPDX-License-Identifier: MIT */
/*
 * main.c --- drydock-gc: parse options, open the store, run the phases
 * (mark, plan, re-check, sweep), report, and turn the result into an
 * fsck(8)-style exit code.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fe/storage.h"
#include "gc.h"

static const char synopsis[] =
    "usage: drydock-gc [-mnqv] [-j N] [--grace DUR] "
    "[--uploads-older-than DUR]\n"
    "                  [--policy FILE] [--pin FILE|-]... [--json FILE|-]\n"
    "                  [--quarantine DIR] [--metrics FILE]\n"
    "                  ROOT | --config FILE\n"
    "       drydock-gc --restore DIR ROOT | --config FILE\n"
    "       drydock-gc why [-m] [--grace DUR] [--policy FILE] [--pin "
    "FILE|-]...\n"
    "                  [--json FILE|-] ROOT | --config FILE  REF...\n"
    "       drydock-gc du [-m] [--by repository|tag] [--top N] [--html FILE]\n"
    "                  [--grace DUR] [--policy FILE] [--pin FILE|-]...\n"
    "                  [--json FILE|-] ROOT | --config FILE\n"
    "       drydock-gc plan [-m] [--grace DUR] [--uploads-older-than DUR]\n"
    "                  [--policy FILE] [--pin FILE|-]... ROOT | --config "
    "FILE > PLAN\n"
    "       drydock-gc apply [-nqv] [--quarantine DIR] [--json FILE|-] "
    "[--metrics FILE]\n"
    "                  PLAN ROOT | --config FILE\n";

static void
help(void)
{
	fputs(synopsis, stdout);
	fputs("\n"
	      "Reclaim the disk of a CNCF distribution registry "
	      "(registry:2, docker-registry):\n"
	      "mark every blob a live image needs, sweep the rest, purge "
	      "stale uploads.\n"
	      "Safe beside a running registry.\n\n"
	      "  ROOT                        the registry's "
	      "storage.filesystem.rootdirectory\n"
	      "      --config FILE           read ROOT, or its S3 bucket, from "
	      "the registry's\n"
	      "                              config.yml (storage.filesystem or "
	      "storage.s3)\n"
	      "  -m, --delete-untagged       also remove manifests no tag "
	      "reaches (children\n"
	      "                              of kept indexes and referrers of "
	      "kept manifests stay)\n"
	      "  -n, --dry-run               change nothing; report what "
	      "would go\n"
	      "      --grace DUR             never remove anything younger "
	      "(default 1h)\n"
	      "  -j, --jobs N                threads reading repositories "
	      "ahead (default 16;\n"
	      "                              more hide a cold cache's "
	      "latency)\n"
	      "      --uploads-older-than DUR  purge uploads older than this "
	      "(default 168h)\n"
	      "      --policy FILE           delete the tags its retention "
	      "rules select, and\n"
	      "                              what only they kept, in the same "
	      "run\n"
	      "      --pin FILE|-            keep the manifests these "
	      "references name, and\n"
	      "                              all they reach, in every mode "
	      "(repeatable)\n"
	      "      --json FILE|-           write a JSON report\n"
	      "      --quarantine DIR        move instead of delete; journal "
	      "in DIR\n"
	      "      --restore DIR           put back what a quarantine run "
	      "moved\n"
	      "  why ROOT REF...             why a digest, REPO:TAG or "
	      "REPO@DIGEST stays\n"
	      "                              (the chain from a root), or why "
	      "it would go\n"
	      "  du ROOT                     bytes per repository (or tag): "
	      "total, exclusive\n"
	      "                              (what deleting it alone frees), "
	      "shared; and the\n"
	      "                              store's live, reclaimable, and "
	      "freed by --policy\n"
	      "      --by repository|tag     du: what an entry is (default "
	      "repository)\n"
	      "      --top N                 du: only the N entries holding "
	      "most bytes alone\n"
	      "      --html FILE             du: also the space report as one "
	      "HTML page\n"
	      "  plan ROOT > PLAN            what a run would remove, with "
	      "fingerprints, as JSON\n"
	      "  apply PLAN ROOT             remove what PLAN lists and a run "
	      "would remove now,\n"
	      "                              unchanged; say why each other "
	      "item is left\n"
	      "      --metrics FILE          write a Prometheus "
	      "textfile-collector file\n"
	      "      --progress, --no-progress  progress line (default: on a "
	      "terminal)\n"
	      "  -q, --quiet                 only problems\n"
	      "  -v, --verbose               list every item removed\n"
	      "  -h, --help                  this help\n"
	      "  -V, --version               the version\n\n"
	      "Durations: 90s, 30m, 24h, 7d, 1h30m, 0.\n"
	      "Exit status: 0 done; 4 problems found and left (reported, "
	      "their blobs kept);\n"
	      "8 operational error; 16 usage error; 32 interrupted.\n"
	      "See drydock-gc(8).\n",
	    stdout);
	exit(0);
}

enum {
	OPT_BY = 256,
	OPT_GRACE,
	OPT_PIN,
	OPT_POLICY,
	OPT_QUARANTINE,
	OPT_RESTORE,
	OPT_TOP,
	OPT_HTML,
	OPT_UPLOADS
};

static const struct option longopts[] = {FE_OPT_LONGOPTS, FE_OPT_CONFIG_LONGOPT,
    {"by", required_argument, NULL, OPT_BY},
    {"delete-untagged", no_argument, NULL, 'm'},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"pin", required_argument, NULL, OPT_PIN},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"quarantine", required_argument, NULL, OPT_QUARANTINE},
    {"restore", required_argument, NULL, OPT_RESTORE},
    {"top", required_argument, NULL, OPT_TOP},
    {"html", required_argument, NULL, OPT_HTML},
    {"uploads-older-than", required_argument, NULL, OPT_UPLOADS},
    {NULL, 0, NULL, 0}};

/* The --pin files given, read once options are known. */
static const char **pin_files;
static size_t npin_files, cappin_files;

/* The commands: a plain run, or a question about the store. */
enum gc_cmd { CMD_GC = 0, CMD_WHY, CMD_DU, CMD_PLAN, CMD_APPLY };

static const char *const cmd_names[] = {"", "why", "du", "plan", "apply"};

/* why's operands: ROOT (unless --config) and one REF or more. */
static void
why_operands(struct gc_opts *o, int argc, char **argv)
{
	if (o->com.config == NULL && argc > 0) {
		o->root = argv[0];
		argc--;
		argv++;
	}
	if (o->root == NULL && o->com.config == NULL)
		fe_usage("no storage root given");
	if (argc == 0)
		fe_usage("why: no REF given");
	o->refs = argv;
	o->nrefs = (size_t)argc;
	o->dry_run = 1;
}

static void
parse_options(struct gc_opts *o, int cmd, int argc, char **argv)
{
	const struct fe_opt_store stored[] = {{'n', NULL, &o->dry_run},
	    {OPT_HTML, &o->du_html, NULL},
	    {OPT_QUARANTINE, &o->quarantine, NULL},
	    {OPT_RESTORE, &o->restore, NULL}, {0, NULL, NULL}};
	int c, by_given = 0, planned = 0;

	memset(o, 0, sizeof(*o));
	fe_opt_common_init(&o->com);
	o->grace = 3600;
	o->uploads_age = 168 * 3600;
	o->jobs = 16;

	while (
	    (c = getopt_long(argc, argv, "hj:mnqvV", longopts, NULL)) != -1) {
		if (fe_opt_common(&o->com, c, optarg, help) ||
		    fe_opt_stored(stored, c, optarg))
			continue;
		switch (c) {
		case 'j':
			o->jobs = (int)fe_opt_number("--jobs", optarg, 1, 64);
			break;
		case 'm':
			o->delete_untagged = 1;
			planned = 1;
			break;
		case OPT_BY:
			if (strcmp(optarg, "repository") != 0 &&
			    strcmp(optarg, "tag") != 0)
				fe_usage("--by: 'repository' or 'tag'");
			o->du_by_tag = strcmp(optarg, "tag") == 0;
			by_given = 1;
			break;
		case OPT_TOP:
			o->du_top = fe_opt_number("--top", optarg, 1, 1000000);
			break;
		case OPT_GRACE:
			o->grace = fe_opt_duration("--grace", optarg);
			planned = 1;
			break;
		case OPT_PIN:
			planned = 1;
			if (fe_grow((void **)&pin_files, &cappin_files,
			        npin_files + 1, sizeof(*pin_files)) < 0)
				fe_usage("out of memory");
			pin_files[npin_files++] = optarg;
			break;
		case OPT_POLICY:
			planned = 1;
			if (o->policy_file != NULL)
				fe_usage("--policy is given once");
			o->policy_file = optarg;
			break;
		case OPT_UPLOADS:
			planned = 1;
			o->uploads_age =
			    fe_opt_duration("--uploads-older-than", optarg);
			break;
		default:
			fe_usage(NULL);
		}
	}
	if (cmd != CMD_DU && (by_given || o->du_top || o->du_html))
		fe_usage("--by, --top and --html go with du");
	if (cmd != CMD_GC && cmd != CMD_APPLY &&
	    (o->quarantine || o->restore || o->com.metrics))
		fe_usage("%s takes no --quarantine, --restore or --metrics",
		    cmd_names[cmd]);
	if (cmd == CMD_APPLY && (planned || o->restore))
		fe_usage("apply takes -m, --grace, --uploads-older-than, "
		         "--policy and --pin from the plan");
	if (cmd == CMD_PLAN && (o->com.json || o->dry_run))
		fe_usage("plan writes the plan to standard output; it changes "
		         "nothing");
	if (cmd == CMD_WHY) {
		why_operands(o, argc - optind, argv + optind);
	} else if (cmd == CMD_APPLY) {
		if (optind >= argc)
			fe_usage("apply: no plan given");
		o->plan_file = argv[optind++];
		o->root =
		    fe_opt_root(argc - optind, argv + optind, o->com.config);
	} else {
		o->root =
		    fe_opt_root(argc - optind, argv + optind, o->com.config);
		o->dry_run |= cmd == CMD_DU || cmd == CMD_PLAN;
	}
	if (o->restore && (o->quarantine || o->dry_run))
		fe_usage("--restore goes alone");
	fe_opt_common_end(&o->com);
}

/*
 * Read every --pin file before the store is opened: a malformed one
 * refuses the run (exit 16), an unreadable one too (exit 8).
 */
static int
read_pins(struct gc_opts *o)
{
	size_t i;
	int error;

	for (i = 0; i < npin_files; i++)
		if ((error = gc_pins_read(&o->pins, pin_files[i])) < 0) {
			fprintf(stderr, "drydock-gc: %s; nothing was read\n",
			    drydock_error_message());
			return error == DRYDOCK_ECORRUPT
			    ? DRYDOCK_EXIT_USAGE
			    : DRYDOCK_EXIT_OPERATIONAL;
		}
	if (gc_pins_index(&o->pins) < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	return 0;
}

/* The same for --policy: refused as a whole, before anything is read. */
static int
read_policy(struct gc_opts *o)
{
	int error;

	if (o->policy_file == NULL || o->restore != NULL)
		return 0;
	if ((error = gc_policy_read(&o->policies, o->policy_file)) < 0) {
		fprintf(stderr, "drydock-gc: %s; nothing was read\n",
		    drydock_error_message());
		return error == DRYDOCK_ECORRUPT ? DRYDOCK_EXIT_USAGE
		                                 : DRYDOCK_EXIT_OPERATIONAL;
	}
	return 0;
}

/* plan: the plan to standard output, a line of what it holds to stderr. */
static int
write_plan(struct gc_run *run)
{
	char b[64];
	uint64_t bytes = 0;
	size_t i, n = 0;

	if (gc_plan_write(run, stdout) < 0)
		return DRYDOCK_ERROR;
	for (i = 0; i < run->nitems; i++) {
		n += !run->items[i].cancelled;
		bytes += run->items[i].cancelled ? 0 : run->items[i].size;
	}
	if (!run->opts->com.quiet)
		fprintf(stderr,
		    "drydock-gc: plan for %s: %zu items, %s; apply with "
		    "drydock-gc apply PLAN %s\n",
		    drydock_store_root(run->st), n,
		    drydock_bytes_format(b, sizeof(b), bytes),
		    drydock_store_root(run->st));
	return 0;
}

static int
run_gc(struct gc_opts *o, struct drydock_store *st, int cmd,
    struct gc_plan_file *pf)
{
	struct gc_run run;
	int64_t t0 = drydock_clock_realtime_ns();
	int error;

	/*
	 * The nightly wrapper decides from the report whether to restart the
	 * registry: a report that cannot be written must stop the run before
	 * anything is removed, not after.
	 */
	if ((o->com.json && drydock_outfile_check(NULL, o->com.json) < 0) ||
	    (o->com.metrics &&
	        drydock_outfile_check(NULL, o->com.metrics) < 0)) {
		fprintf(stderr, "drydock-gc: %s; nothing was removed\n",
		    drydock_error_message());
		return DRYDOCK_EXIT_OPERATIONAL;
	}
	if ((error = gc_run_init(&run, o, st)) < 0)
		return fe_exit_for(error);
	drydock_store_set_problem_cb(st, gc_problem, &run);
	if ((error = gc_mark(&run)) < 0)
		goto out;
	if ((error = gc_plan(&run)) < 0)
		goto out;
	if (cmd == CMD_PLAN) {
		error = write_plan(&run);
		goto out;
	}
	if (cmd == CMD_APPLY && (error = gc_apply_match(&run, pf)) < 0)
		goto out;
	if (!o->dry_run && (error = gc_recheck(&run)) < 0)
		goto out;
	error = gc_sweep(&run);
out:
	drydock_store_set_problem_cb(st, NULL, NULL);
	if (error == DRYDOCK_EINTR)
		run.interrupted = 1;
	if (error < 0 && error != DRYDOCK_EINTR)
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
	run.seconds = (double)(drydock_clock_realtime_ns() - t0) / 1e9;
	if (run.interrupted)
		run.exit_code = DRYDOCK_EXIT_INTERRUPTED;
	else if (error < 0)
		run.exit_code = DRYDOCK_EXIT_OPERATIONAL;
	else if (run.failures)
		run.exit_code = DRYDOCK_EXIT_OPERATIONAL;
	else if (run.nproblems)
		run.exit_code = DRYDOCK_EXIT_PROBLEMS;
	if (cmd != CMD_PLAN && (error == 0 || error == DRYDOCK_EINTR)) {
		if (gc_report(&run) < 0) {
			fprintf(stderr, "drydock-gc: %s\n",
			    drydock_error_message());
			run.exit_code |= DRYDOCK_EXIT_OPERATIONAL;
		}
	}
	if (o->com.metrics && gc_metrics(&run) < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		run.exit_code |= DRYDOCK_EXIT_OPERATIONAL;
	}
	if (cmd != CMD_PLAN)
		gc_log_line(&run);
	error = run.exit_code;
	gc_run_release(&run);
	return error;
}

int
main(int argc, char **argv)
{
	struct gc_opts o;
	struct drydock_regconfig cfg;
	struct drydock_store *st = NULL;
	struct gc_plan_file pf;
	char *abs = NULL;
	int rc, error, cmd = CMD_GC, i;

	memset(&cfg, 0, sizeof(cfg));
	memset(&pf, 0, sizeof(pf));
	fe_init("drydock-gc", synopsis);
#ifdef M_ARENA_MAX
	/*
	 * The scanning threads allocate what the marking thread frees: with
	 * an arena per thread, that is 15 MB of RSS more at a million blobs
	 * (tests/bench), for no speed.
	 */
	mallopt(M_ARENA_MAX, 2);
#endif
	for (i = CMD_WHY; argc > 1 && i <= CMD_APPLY; i++)
		if (strcmp(argv[1], cmd_names[i]) == 0)
			cmd = i; /* a root named so is ./why, ./du, ... */
	if (cmd != CMD_GC) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	parse_options(&o, cmd, argc, argv);
	if ((rc = read_policy(&o)) != 0 || (rc = read_pins(&o)) != 0)
		goto out;
	if (cmd == CMD_APPLY &&
	    (error = gc_plan_read(&pf, &o, o.plan_file)) < 0) {
		fprintf(stderr, "drydock-gc: %s; nothing was removed\n",
		    drydock_error_message());
		rc = error == DRYDOCK_ECORRUPT ? DRYDOCK_EXIT_USAGE
		                               : DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	if (o.com.config) {
		if ((error = drydock_regconfig_read(&cfg, o.com.config)) < 0) {
			fprintf(stderr, "drydock-gc: %s: %s\n", o.com.config,
			    drydock_error_message());
			rc = DRYDOCK_EXIT_OPERATIONAL;
			goto out;
		}
		o.root = cfg.rootdirectory;
		o.cache_warning =
		    cfg.blobdescriptor != NULL && *cfg.blobdescriptor != '\0';
	}
	if ((abs = fe_storage_name(o.root, o.com.config ? &cfg : NULL)) ==
	    NULL) {
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	if (cmd == CMD_APPLY && strcmp(abs, o.plan_root) != 0) {
		fprintf(stderr,
		    "drydock-gc: %s is a plan for %s, not %s; nothing was "
		    "removed\n",
		    o.plan_file, o.plan_root, abs);
		rc = DRYDOCK_EXIT_USAGE;
		goto out;
	}
	/* the registry and the next run would meet its files as strays */
	if (o.quarantine != NULL &&
	    drydock_path_in_registry(abs, o.quarantine)) {
		fprintf(stderr,
		    "drydock-gc: --quarantine must be outside "
		    "%s/docker/registry/v2\n",
		    abs);
		rc = DRYDOCK_EXIT_USAGE;
		goto out;
	}
	/* a registry before its first push is clean, not an error */
	error = fe_storage_open(&st, abs, o.com.config ? &cfg : NULL,
	    (o.dry_run ? DRYDOCK_STORE_RDONLY : 0) |
	        (o.restore ? 0 : DRYDOCK_STORE_ALLOW_EMPTY),
	    o.jobs);
	if (error < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	if (drydock_store_is_empty(st) && !o.com.quiet)
		fprintf(stderr,
		    "drydock-gc: %s: no docker/registry/v2 yet: nothing to "
		    "do\n",
		    abs);
	/* a dry run leaves nothing behind, not even a lock */
	if (!o.dry_run && (error = drydock_store_lock(st)) < 0) {
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
		rc = DRYDOCK_EXIT_OPERATIONAL;
		goto out;
	}
	fe_signals_catch(&gc_stop);
	if (cmd == CMD_WHY) {
		rc = gc_why(&o, st);
	} else if (cmd == CMD_DU) {
		rc = gc_du(&o, st);
	} else if (o.restore) {
		error = gc_restore(&o, st);
		if (error < 0 && error != DRYDOCK_EINTR)
			fprintf(stderr, "drydock-gc: %s\n",
			    drydock_error_message());
		rc = fe_exit_for(error);
	} else {
		rc = run_gc(&o, st, cmd, &pf);
	}
out:
	drydock_store_close(st);
	drydock_regconfig_release(&cfg);
	gc_pins_release(&o.pins);
	gc_policy_release(&o.policies);
	gc_plan_file_release(&pf);
	free(pin_files);
	free(abs);
	return rc;
}
