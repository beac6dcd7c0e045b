/* SPDX-License-Identifier: MIT */
/*
 * report.c --- what a migration tells: the human summary (stdout, or
 * stderr when --json - or the archive takes stdout) and the --json
 * inventory, both built from the same struct mig_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fe/jsonhead.h"
#include "fe/metrics.h"
#include "fe/syslog.h"
#include "migrate.h"

static const char *const why_names[] = {"tag", "referrer", "untagged"};
static const char *const status_names[] = {
    "ok", "failed", "skipped", "planned"};

static json_t *
jdigest(const struct drydock_digest *d)
{
	char ds[DRYDOCK_DIGEST_STRMAX];

	return json_string(drydock_digest_format(ds, d));
}

static json_t *
root_json(const struct mig_root *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "repository", json_string(r->e->repo));
	json_object_set_new(
	    o, "tag", r->e->tag != NULL ? json_string(r->e->tag) : json_null());
	json_object_set_new(o, "kind", json_string(why_names[r->why]));
	json_object_set_new(o, "digest", jdigest(&r->e->digest));
	json_object_set_new(o, "dest_digest", jdigest(&r->dest_digest));
	json_object_set_new(o, "digest_changed",
	    json_boolean(
	        !drydock_digest_equal(&r->e->digest, &r->dest_digest)));
	if (r->media_type != NULL)
		json_object_set_new(
		    o, "media_type", json_string(r->media_type));
	if (r->dest_media_type != NULL)
		json_object_set_new(
		    o, "dest_media_type", json_string(r->dest_media_type));
	json_object_set_new(o, "status", json_string(status_names[r->status]));
	if (r->error != NULL)
		json_object_set_new(o, "error", json_string(r->error));
	json_object_set_new(o, "lossy", json_boolean(r->lossy));
	if (r->archive_name != NULL)
		json_object_set_new(
		    o, "archive_name", json_string(r->archive_name));
	if (r->note != NULL)
		json_object_set_new(o, "note", json_string(r->note));
	json_object_set_new(o, "blobs", json_integer((json_int_t)r->nblobs));
	json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
	if (r->verified != 0)
		json_object_set_new(
		    o, "verified", json_boolean(r->verified > 0));
	if (r->verify_error != NULL)
		json_object_set_new(
		    o, "verify_error", json_string(r->verify_error));
	return o;
}

static json_t *
blobs_json(const struct mig_run *run)
{
	const struct drydock_blobcopy_stats *s =
	    drydock_blobcopy_stats(run->bc);
	json_t *o = json_object(), *bytes = json_object();
	int h;

	for (h = 0; h < DRYDOCK_BLOBCOPY_HOW_MAX; h++) {
		json_object_set_new(o, drydock_blobcopy_how_name(h),
		    json_integer((json_int_t)s->count[h]));
		json_object_set_new(bytes, drydock_blobcopy_how_name(h),
		    json_integer((json_int_t)s->bytes[h]));
	}
	json_object_set_new(o, "bytes", bytes);
	json_object_set_new(o, "hashed", json_integer((json_int_t)s->hashed));
	json_object_set_new(o, "foreign_skipped",
	    json_integer((json_int_t)run->foreign_skipped));
	json_object_set_new(
	    o, "archived", json_integer((json_int_t)run->dst.archived));
	json_object_set_new(o, "archived_bytes",
	    json_integer((json_int_t)run->dst.archived_bytes));
	return o;
}

static json_t *
report_json(const struct mig_run *run)
{
	json_t *j = json_object(), *a = json_array(), *c = json_array(),
	       *p = json_array(), *sum = json_object();
	size_t i, n[3] = {0, 0, 0}, failed = 0, lossy = 0, vfail = 0, vok = 0;

	/* 2: problems are objects, as gc's and fsck's are (docs/reports.md) */
	fe_json_head(j, MIG_NAME, 2, run->start_real_ns);
	json_object_set_new(j, "mode",
	    json_string(run->o->verify_only ? "verify"
	            : run->o->dry_run       ? "dry-run"
	                                    : "migrate"));
	json_object_set_new(j, "source", json_string(run->o->src.spec));
	json_object_set_new(j, "destination", json_string(run->o->dst.spec));
	json_object_set_new(j, "link",
	    json_string(drydock_blobcopy_mode_name(run->o->link_mode)));
	for (i = 0; i < run->nroots; i++) {
		const struct mig_root *r = &run->roots[i];

		json_array_append_new(a, root_json(r));
		n[r->why]++;
		failed += r->status == MIG_FAILED;
		lossy += r->lossy;
		vok += r->verified > 0;
		vfail += r->verified < 0;
	}
	json_object_set_new(j, "images", a);
	for (i = 0; i < run->nchanges; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "from", jdigest(&run->changes[i].from));
		json_object_set_new(o, "to", jdigest(&run->changes[i].to));
		json_object_set_new(o, "from_media_type",
		    json_string(run->changes[i].from_type));
		json_object_set_new(
		    o, "to_media_type", json_string(run->changes[i].to_type));
		json_array_append_new(c, o);
	}
	json_object_set_new(j, "digest_changes", c);
	json_object_set_new(j, "blobs", blobs_json(run));
	if (run->o->src.type == MIG_LOC_DOCKER ||
	    run->o->dst.type == MIG_LOC_DOCKER) {
		json_t *net = json_object();

		json_object_set_new(
		    net, "pulled", json_integer((json_int_t)run->pulled));
		json_object_set_new(net, "pulled_bytes",
		    json_integer((json_int_t)run->pulled_bytes));
		json_object_set_new(net, "uploaded",
		    json_integer((json_int_t)run->dst.uploaded));
		json_object_set_new(net, "uploaded_bytes",
		    json_integer((json_int_t)run->dst.uploaded_bytes));
		json_object_set_new(
		    net, "mounted", json_integer((json_int_t)run->dst.mounted));
		json_object_set_new(j, "network", net);
	}
	for (i = 0; i < run->nproblems; i++)
		json_array_append_new(
		    p, json_pack("{s:s}", "message", run->problems[i]));
	json_object_set_new(j, "problems", p);
	json_object_set_new(
	    sum, "images", json_integer((json_int_t)run->nroots));
	json_object_set_new(sum, "tags", json_integer((json_int_t)n[0]));
	json_object_set_new(sum, "referrers", json_integer((json_int_t)n[1]));
	json_object_set_new(sum, "untagged", json_integer((json_int_t)n[2]));
	json_object_set_new(sum, "failed", json_integer((json_int_t)failed));
	json_object_set_new(sum, "lossy", json_integer((json_int_t)lossy));
	json_object_set_new(
	    sum, "digests_changed", json_integer((json_int_t)run->nchanges));
	json_object_set_new(j, "summary", sum);
	if (run->verify_ran) {
		json_t *v = json_object();

		json_object_set_new(
		    v, "checked", json_integer((json_int_t)(vok + vfail)));
		json_object_set_new(
		    v, "failed", json_integer((json_int_t)vfail));
		json_object_set_new(v, "ok",
		    json_boolean(vfail == 0 && run->verify_failures == 0));
		json_object_set_new(
		    v, "seconds", json_real(run->verify_seconds));
		json_object_set_new(j, "verify", v);
	}
	json_object_set_new(j, "seconds", json_real(run->seconds));
	if (run->error != NULL)
		json_object_set_new(j, "error", json_string(run->error));
	json_object_set_new(j, "exit_code", json_integer(run->exit_code));
	return j;
}

/* A RepoTag that is not repository:tag, said on stderr (also in --json). */
static void
renamed(const struct mig_run *run, const struct mig_root *r)
{
	if (run->o->src.type == MIG_LOC_DOCKER_ARCHIVE)
		fprintf(stderr, "%s: RepoTag '%s' imported as %s:%s\n",
		    MIG_NAME, r->archive_name, r->e->repo, r->e->tag);
	else
		fprintf(stderr,
		    "%s: %s:%s written as RepoTag '%s': docker would take "
		    "its first component for a registry host\n",
		    MIG_NAME, r->e->repo, r->e->tag, r->archive_name);
}

/* Blobs and manifests this run wrote at the destination. */
static uint64_t
written(const struct mig_run *run)
{
	const struct drydock_blobcopy_stats *s =
	    drydock_blobcopy_stats(run->bc);

	return s->count[DRYDOCK_BLOBCOPY_HARDLINKED] +
	    s->count[DRYDOCK_BLOBCOPY_REFLINKED] +
	    s->count[DRYDOCK_BLOBCOPY_COPIED] +
	    s->count[DRYDOCK_BLOBCOPY_SERVER_COPIED] + run->pulled +
	    run->dst.uploaded + run->dst.mounted + run->dst.manifests +
	    run->dst.archived;
}

/*
 * What a run that stopped leaves, and what to do: the same command
 * resumes it, except after an authentication failure, which it would
 * only repeat.  One that copied nothing says so instead: a store it
 * could not open (an untrusted certificate, an endpoint that does not
 * answer) is no run to resume, and its first line said why.
 */
static void
stopped(const struct mig_run *run)
{
	uint64_t n;

	if (!(run->exit_code &
	        (DRYDOCK_EXIT_OPERATIONAL | DRYDOCK_EXIT_INTERRUPTED)))
		return;
	/* a bucket that refused the credentials: its one line said it */
	if (run->stop_error == DRYDOCK_EAUTH &&
	    run->o->src.type != MIG_LOC_DOCKER &&
	    run->o->dst.type != MIG_LOC_DOCKER)
		return;
	if (run->stop_error != DRYDOCK_EAUTH ||
	    (run->exit_code & DRYDOCK_EXIT_INTERRUPTED)) {
		if (!(run->exit_code & DRYDOCK_EXIT_INTERRUPTED) &&
		    written(run) == 0)
			fprintf(stderr,
			    "%s: the run stopped before it copied anything\n",
			    MIG_NAME);
		else
			fprintf(stderr,
			    "%s: the run stopped before it finished; the "
			    "same command resumes it\n",
			    MIG_NAME);
		return;
	}
	if ((n = written(run)) == 0)
		fprintf(stderr,
		    "%s: the registry refused access: nothing was written; "
		    "run it again with credentials it accepts (--creds, "
		    "--authfile, docker login)\n",
		    MIG_NAME);
	else
		fprintf(stderr,
		    "%s: the registry refused access: %llu blob(s) and "
		    "manifest(s) written before that stay; with credentials "
		    "it accepts (--creds, --authfile, docker login), the same "
		    "command carries the rest\n",
		    MIG_NAME, (unsigned long long)n);
}

static void
summary(const struct mig_run *run, FILE *f)
{
	const struct drydock_blobcopy_stats *s =
	    drydock_blobcopy_stats(run->bc);
	size_t i, failed = 0, lossy = 0, vfail = 0, vok = 0;
	char ds[DRYDOCK_DIGEST_STRMAX], dd[DRYDOCK_DIGEST_STRMAX];

	for (i = 0; i < run->nproblems; i++)
		fprintf(
		    stderr, "%s: warning: %s\n", MIG_NAME, run->problems[i]);
	for (i = 0; i < run->nroots; i++) {
		const struct mig_root *r = &run->roots[i];
		const char *sep = r->e->tag != NULL ? ":" : "@";
		const char *name = r->e->tag != NULL
		    ? r->e->tag
		    : drydock_digest_format(ds, &r->e->digest);

		failed += r->status == MIG_FAILED;
		lossy += r->lossy;
		vok += r->verified > 0;
		vfail += r->verified < 0;
		if (r->status == MIG_FAILED)
			fprintf(stderr, "%s: %s%s%s: FAILED: %s\n", MIG_NAME,
			    r->e->repo, sep, name, r->error);
		if (r->verified < 0)
			fprintf(stderr, "%s: %s%s%s: does not verify: %s\n",
			    MIG_NAME, r->e->repo, sep, name, r->verify_error);
		if (r->lossy && !run->o->com.quiet)
			fprintf(f, "%s: %s%s%s: lossy: %s\n", MIG_NAME,
			    r->e->repo, sep, name, r->note);
		if (r->archive_name != NULL && !run->o->com.quiet)
			renamed(run, r);
		if (run->o->com.verbose && !run->o->com.quiet)
			fprintf(f, "%s: %s %s%s%s %s -> %s\n", MIG_NAME,
			    why_names[r->why], r->e->repo, sep, name,
			    drydock_digest_format(ds, &r->e->digest),
			    drydock_digest_format(dd, &r->dest_digest));
	}
	stopped(run);
	if (run->o->com.quiet)
		return;
	fprintf(f,
	    "%s: %zu image(s) %s %s to %s, %zu failed; blobs: %llu present, "
	    "%llu hard-linked, %llu reflinked, %llu copied (%llu bytes), "
	    "%zu digest(s) changed, %.2fs\n",
	    MIG_NAME, run->nroots,
	    run->o->verify_only   ? "checked from"
	        : run->o->dry_run ? "would go from"
	                          : "from",
	    run->o->src.spec, run->o->dst.spec, failed,
	    (unsigned long long)s->count[DRYDOCK_BLOBCOPY_PRESENT],
	    (unsigned long long)s->count[DRYDOCK_BLOBCOPY_HARDLINKED],
	    (unsigned long long)s->count[DRYDOCK_BLOBCOPY_REFLINKED],
	    (unsigned long long)s->count[DRYDOCK_BLOBCOPY_COPIED],
	    (unsigned long long)s->bytes[DRYDOCK_BLOBCOPY_COPIED],
	    run->nchanges, run->seconds);
	if (s->count[DRYDOCK_BLOBCOPY_SERVER_COPIED])
		fprintf(f,
		    "%s: %llu blob(s) copied by the S3 server (%llu bytes), "
		    "none through this host\n",
		    MIG_NAME,
		    (unsigned long long)
		        s->count[DRYDOCK_BLOBCOPY_SERVER_COPIED],
		    (unsigned long long)
		        s->bytes[DRYDOCK_BLOBCOPY_SERVER_COPIED]);
	if (run->o->src.type == MIG_LOC_DOCKER)
		fprintf(f, "%s: %llu blob(s) pulled (%llu bytes)\n", MIG_NAME,
		    (unsigned long long)run->pulled,
		    (unsigned long long)run->pulled_bytes);
	if (run->o->dst.type == MIG_LOC_DOCKER)
		fprintf(f,
		    "%s: %llu blob(s) uploaded (%llu bytes), %llu mounted\n",
		    MIG_NAME, (unsigned long long)run->dst.uploaded,
		    (unsigned long long)run->dst.uploaded_bytes,
		    (unsigned long long)run->dst.mounted);
	if (run->dst.archived)
		fprintf(f,
		    "%s: %llu blob(s) written into the archive (%llu "
		    "bytes)\n",
		    MIG_NAME, (unsigned long long)run->dst.archived,
		    (unsigned long long)run->dst.archived_bytes);
	if (run->verify_ran)
		fprintf(f, "%s: verify: %zu ok, %zu failed\n", MIG_NAME, vok,
		    vfail);
}

/*
 * The Prometheus textfile: what the last migration carried, under the
 * names gc and fsck use (drydock_<tool>_...), so a cron'd mirror into an
 * air-gapped site is watched like the nightly gc.
 */
static int
write_metrics(const struct mig_run *run)
{
	static const char *const how[DRYDOCK_BLOBCOPY_HOW_MAX] = {
	    [DRYDOCK_BLOBCOPY_PRESENT] = "present",
	    [DRYDOCK_BLOBCOPY_HARDLINKED] = "hardlinked",
	    [DRYDOCK_BLOBCOPY_REFLINKED] = "reflinked",
	    [DRYDOCK_BLOBCOPY_COPIED] = "copied",
	    [DRYDOCK_BLOBCOPY_SERVER_COPIED] = "server_copied"};
	static const char images_help[] = "Images of the last run, by outcome.";
	static const char blobs_help[] =
	    "Blobs of the last run, by how they reached the destination.";
	const struct drydock_blobcopy_stats *s =
	    drydock_blobcopy_stats(run->bc);
	uint64_t by_status[4] = {0};
	struct fe_metrics m;
	size_t i;
	int k;

	for (i = 0; i < run->nroots; i++)
		by_status[run->roots[i].status]++;
	if (fe_metrics_open(&m, run->o->com.metrics) < 0)
		return DRYDOCK_ERROR;
	fe_metrics_run(&m, "migrate", run->seconds, run->exit_code);
	fe_metrics_gauge(&m, "drydock_migrate_dry_run",
	    "1 when the last run was a dry run.", NULL, NULL, run->o->dry_run);
	for (k = 0; k < 4; k++)
		fe_metrics_gauge(&m, "drydock_migrate_images", images_help,
		    "status", status_names[k], (double)by_status[k]);
	for (k = 0; k < DRYDOCK_BLOBCOPY_HOW_MAX; k++)
		if (how[k] != NULL)
			fe_metrics_gauge(&m, "drydock_migrate_blobs",
			    blobs_help, "how", how[k],
			    s != NULL ? (double)s->count[k] : 0);
	fe_metrics_gauge(&m, "drydock_migrate_copied_bytes",
	    "Bytes of blob data copied (not linked) into the destination.",
	    NULL, NULL,
	    s != NULL ? (double)s->bytes[DRYDOCK_BLOBCOPY_COPIED] : 0);
	fe_metrics_gauge(&m, "drydock_migrate_archived_bytes",
	    "Bytes of blob data written into an archive.", NULL, NULL,
	    (double)run->dst.archived_bytes);
	fe_metrics_gauge(&m, "drydock_migrate_digests_changed",
	    "Manifests whose digest a conversion changed (--to-oci-types).",
	    NULL, NULL, (double)run->nchanges);
	fe_metrics_gauge(&m, "drydock_migrate_verify_failures",
	    "Images or blobs that did not verify at the destination.", NULL,
	    NULL, (double)run->verify_failures);
	return fe_metrics_commit(&m);
}

void
mig_log_line(const struct mig_run *run)
{
	const struct drydock_blobcopy_stats *s =
	    run->bc != NULL ? drydock_blobcopy_stats(run->bc) : NULL;
	size_t i, failed = 0;

	for (i = 0; i < run->nroots; i++)
		failed += run->roots[i].status == MIG_FAILED;
	fe_syslog_run(run->exit_code != 0,
	    "%s %s to %s: %zu images, %zu failed; %llu blobs copied (%llu "
	    "bytes), %llu linked, %llu present; %llu bytes into an archive; "
	    "exit %d; %.1fs",
	    run->o->verify_only   ? "verify"
	        : run->o->dry_run ? "dry run"
	                          : "migrate",
	    run->o->src.spec, run->o->dst.spec, run->nroots, failed,
	    s ? (unsigned long long)s->count[DRYDOCK_BLOBCOPY_COPIED] : 0ULL,
	    s ? (unsigned long long)s->bytes[DRYDOCK_BLOBCOPY_COPIED] : 0ULL,
	    s ? (unsigned long long)(s->count[DRYDOCK_BLOBCOPY_HARDLINKED] +
	            s->count[DRYDOCK_BLOBCOPY_REFLINKED])
	      : 0ULL,
	    s ? (unsigned long long)s->count[DRYDOCK_BLOBCOPY_PRESENT] : 0ULL,
	    (unsigned long long)run->dst.archived_bytes, run->exit_code,
	    run->seconds);
}

int
mig_report(struct mig_run *run)
{
	const char *dest = run->o->com.json;
	struct drydock_outfile of;
	json_t *j;
	int r = 0;

	summary(run,
	    run->dst.to_stdout || (dest != NULL && strcmp(dest, "-") == 0)
	        ? stderr
	        : stdout);
	if (run->o->com.metrics != NULL && write_metrics(run) < 0)
		return DRYDOCK_ERROR;
	if (dest == NULL)
		return 0;
	if ((j = report_json(run)) == NULL)
		return mig_oom();
	if (drydock_outfile_open(&of, dest) < 0) {
		json_decref(j);
		return DRYDOCK_ERROR;
	}
	r = json_dumpf(j, of.f, JSON_INDENT(1) | JSON_SORT_KEYS);
	fputc('\n', of.f);
	json_decref(j);
	if (r < 0) {
		drydock_outfile_abort(&of);
		drydock_error_set_os("cannot write the report '%s'", dest);
		return DRYDOCK_ERROR;
	}
	return drydock_outfile_commit(&of);
}
