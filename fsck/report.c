/* SPDX-License-Identifier: MIT */
/*
 * report.c --- what a run tells, and nothing else: the progress line while
 * it runs; at the end the findings are sorted and counted, the exit code
 * decided, and the human summary, the --json report and the --metrics
 * textfile are all built from the same struct fsck_run.  The findings
 * themselves are made in findings.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fe/jsonhead.h"
#include "fe/syslog.h"
#include "fsck.h"

/* --- progress ------------------------------------------------------------ */

void
fsck_progress(struct fsck_run *run, const char *phase, uint64_t done,
    uint64_t total, uint64_t bytes, uint64_t bytes_total)
{
	fe_progress_show(
	    &run->progress, phase, done, total, bytes, bytes_total);
}

void
fsck_progress_end(struct fsck_run *run)
{
	fe_progress_end(&run->progress);
}

/* --- the end of a run: order, counts, exit code -----------------------------
 */

static const struct fsck_run *cmp_run;

/* A total order, so that reports are the same from run to run. */
static int
finding_cmp(const void *a, const void *b)
{
	const struct fsck_finding *x = a, *y = b;
	const struct drydock_digest *dx, *dy;
	int c;

	if (x->severity != y->severity)
		return y->severity - x->severity;
	if (x->id != y->id)
		return x->id - y->id;
	if ((c = strcmp(x->path != NULL ? x->path : "",
	         y->path != NULL ? y->path : "")) != 0)
		return c;
	if ((c = strcmp(x->tag != NULL ? x->tag : "",
	         y->tag != NULL ? y->tag : "")) != 0)
		return c;
	if (x->digest != y->digest) {
		if (x->digest == FSCK_NONE || y->digest == FSCK_NONE)
			return x->digest == FSCK_NONE ? -1 : 1;
		dx = &cmp_run->ids[x->digest];
		dy = &cmp_run->ids[y->digest];
		if (dx->alg != dy->alg)
			return dx->alg - dy->alg;
		if ((c = memcmp(dx->raw, dy->raw, sizeof(dx->raw))) != 0)
			return c;
	}
	if (x->repo != y->repo) {
		if (x->repo == FSCK_NONE || y->repo == FSCK_NONE)
			return x->repo == FSCK_NONE ? -1 : 1;
		if ((c = strcmp(cmp_run->repos[x->repo].name,
		         cmp_run->repos[y->repo].name)) != 0)
			return c;
	}
	return strcmp(x->detail != NULL ? x->detail : "",
	    y->detail != NULL ? y->detail : "");
}

/* 1 when the finding counts against the exit code. */
static int
counts(const struct fsck_run *run, const struct fsck_finding *f)
{
	return f->severity == FSCK_SEV_PROBLEM ||
	    (run->opts->strict && f->severity == FSCK_SEV_WARNING);
}

void
fsck_finish(struct fsck_run *run)
{
	size_t i;
	int left = 0;

	if (run->nfindings > 1) { /* qsort(NULL, 0, ...) is undefined */
		cmp_run = run;
		qsort(run->findings, run->nfindings, sizeof(*run->findings),
		    finding_cmp);
		cmp_run = NULL;
	}
	memset(run->by_sev, 0, sizeof(run->by_sev));
	memset(run->by_id, 0, sizeof(run->by_id));
	for (i = 0; i < run->nfindings; i++) {
		const struct fsck_finding *f = &run->findings[i];

		if (f->severity >= 0 && f->severity <= FSCK_SEV_PROBLEM)
			run->by_sev[f->severity]++;
		run->by_id[f->id]++;
		if (counts(run, f) && !f->fixed)
			left = 1;
	}
	run->exit_code = 0;
	if (run->acted)
		run->exit_code |= DRYDOCK_EXIT_FIXED;
	if (left)
		run->exit_code |= DRYDOCK_EXIT_PROBLEMS;
	if (run->operational)
		run->exit_code |= DRYDOCK_EXIT_OPERATIONAL;
	if (run->interrupted)
		run->exit_code |= DRYDOCK_EXIT_INTERRUPTED;
	run->seconds = (double)(fe_clock_monotonic_ns() - run->start_ns) / 1e9;
}

/* --- the human summary ------------------------------------------------------
 */

static const char *
sev_label(int severity)
{
	switch (severity) {
	case FSCK_SEV_PROBLEM:
		return "PROBLEM";
	case FSCK_SEV_WARNING:
		return "WARNING";
	default:
		return "INFO";
	}
}

static void
print_finding(
    const struct fsck_run *run, const struct fsck_finding *f, FILE *out)
{
	size_t i;

	fprintf(out, "%s %s %s\n", sev_label(f->severity),
	    fsck_finding_defs[f->id].name, f->path != NULL ? f->path : "-");
	fprintf(out, "    %s%s%s\n", fsck_finding_defs[f->id].message,
	    f->detail != NULL ? ": " : "", f->detail != NULL ? f->detail : "");
	if (f->nimages > 0) {
		fputs("    breaks:", out);
		for (i = 0; i < f->nimages; i++)
			fprintf(out, "%s %s", i ? "," : "", f->images[i].ref);
		fputc('\n', out);
	}
	if (f->repair_note != NULL)
		fprintf(out, "    %s: %s\n",
		    run->opts->repair ? "repair" : "-p", f->repair_note);
	else if (!run->opts->repair && f->action != FSCK_ACT_NONE)
		fprintf(out, "    -p would %s\n", fsck_action_name(f->action));
}

static void
summary(const struct fsck_run *run, FILE *out)
{
	const struct fsck_opts *o = run->opts;
	size_t i, shown = 0, hidden = 0, fixed = 0;
	char b1[32], b2[32], rep[48] = "";

	for (i = 0; i < run->nfindings; i++) {
		const struct fsck_finding *f = &run->findings[i];

		if (f->severity == FSCK_SEV_INFO && !o->com.verbose)
			continue;
		if (f->severity == FSCK_SEV_WARNING && o->com.quiet &&
		    !o->strict)
			continue;
		if (o->max_findings && shown >= o->max_findings) {
			hidden++;
			continue;
		}
		print_finding(run, f, out);
		shown++;
	}
	if (hidden)
		fprintf(out,
		    "drydock-fsck: %zu more findings not listed "
		    "(--max-findings)\n",
		    hidden);
	if (o->com.quiet && run->exit_code == 0)
		return;
	fprintf(out,
	    "drydock-fsck: %s: %zu repositories, %llu tags, %llu revisions, "
	    "%llu manifests, %llu blobs (%s)\n",
	    drydock_store_root(run->st), run->nrepos,
	    (unsigned long long)run->ntags, (unsigned long long)run->nrevisions,
	    (unsigned long long)run->nmanifests, (unsigned long long)run->ndata,
	    drydock_bytes_format(b1, sizeof(b1), run->blob_bytes));
	fprintf(out,
	    "drydock-fsck: hashed %llu blobs (%s) in %.1fs, %s/s; %llu "
	    "unchanged since verified, %llu deferred, %llu not due\n",
	    (unsigned long long)run->hashed,
	    drydock_bytes_format(b1, sizeof(b1), run->hashed_bytes),
	    run->hash_seconds,
	    drydock_bytes_format(b2, sizeof(b2),
	        run->hash_seconds > 0
	            ? (uint64_t)((double)run->hashed_bytes / run->hash_seconds)
	            : 0),
	    (unsigned long long)run->unchanged,
	    (unsigned long long)run->deferred,
	    (unsigned long long)run->not_hashed);
	if (run->deadline_hit)
		fputs("drydock-fsck: --max-duration reached; the next run "
		      "continues with what was not verified\n",
		    out);
	if (run->interrupted)
		fputs("drydock-fsck: interrupted; the check is incomplete\n",
		    out);
	if (o->repair)
		fprintf(out,
		    "drydock-fsck: repaired: %llu changes, %llu findings "
		    "fixed, %llu failed%s%s\n",
		    (unsigned long long)run->acted,
		    (unsigned long long)run->fixed,
		    (unsigned long long)run->repair_failed,
		    o->quarantine != NULL ? "; quarantine " : "",
		    o->quarantine != NULL ? o->quarantine : "");
	for (i = 0; i < run->nfindings; i++)
		if (run->findings[i].severity == FSCK_SEV_PROBLEM &&
		    run->findings[i].fixed)
			fixed++;
	if (fixed > 0)
		snprintf(rep, sizeof(rep), " (%zu repaired)", fixed);
	fprintf(out,
	    "drydock-fsck: %llu problems%s, %llu warnings, %llu notes%s; "
	    "exit %d\n",
	    (unsigned long long)run->by_sev[FSCK_SEV_PROBLEM], rep,
	    (unsigned long long)run->by_sev[FSCK_SEV_WARNING],
	    (unsigned long long)run->by_sev[FSCK_SEV_INFO],
	    run->by_sev[FSCK_SEV_INFO] && !o->com.verbose ? " (-v lists notes)"
	                                                  : "",
	    run->exit_code);
}

/* --- JSON
 * --------------------------------------------------------------------- */

static const char *
verify_name(int v)
{
	static const char *const names[] = {"none", "all", "changed", "slice"};

	return v >= 0 && v <= FSCK_VERIFY_SLICE ? names[v] : "?";
}

/*
 * A finding's key: the same fault at the same place gets the same key on
 * every run, so monitoring can tell a new finding from an old one.  It is
 * the first 16 hex digits of the sha256 of the ID, path, digest,
 * repository and tag.
 */
static void
finding_key(
    char key[17], const struct fsck_run *run, const struct fsck_finding *f)
{
	char buf[8192], dstr[DRYDOCK_DIGEST_STRMAX], hex[DRYDOCK_DIGEST_STRMAX];
	struct drydock_digest d;
	int n;

	n = snprintf(buf, sizeof(buf), "%s%c%s%c%s%c%s%c%s",
	    fsck_finding_defs[f->id].name, 0, f->path != NULL ? f->path : "", 0,
	    f->digest != FSCK_NONE
	        ? drydock_digest_format(dstr, &run->ids[f->digest])
	        : "",
	    0, f->repo != FSCK_NONE ? run->repos[f->repo].name : "", 0,
	    f->tag != NULL ? f->tag : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, buf, (size_t)n) <
	    0) {
		memset(key, '0', 16);
	} else {
		drydock_digest_hex(hex, &d);
		memcpy(key, hex, 16);
	}
	key[16] = '\0';
}

static json_t *
finding_json(const struct fsck_run *run, const struct fsck_finding *f)
{
	json_t *o = json_object(), *imgs = json_array();
	char dstr[DRYDOCK_DIGEST_STRMAX], key[17];
	size_t i;

	finding_key(key, run, f);
	json_object_set_new(
	    o, "id", json_string(fsck_finding_defs[f->id].name));
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(
	    o, "severity", json_string(fsck_severity_name(f->severity)));
	json_object_set_new(
	    o, "message", json_string(fsck_finding_defs[f->id].message));
	json_object_set_new(o, "detail",
	    f->detail != NULL ? json_string(f->detail) : json_null());
	json_object_set_new(
	    o, "path", f->path != NULL ? json_string(f->path) : json_null());
	json_object_set_new(o, "digest",
	    f->digest != FSCK_NONE
	        ? json_string(drydock_digest_format(dstr, &run->ids[f->digest]))
	        : json_null());
	json_object_set_new(o, "repository",
	    f->repo != FSCK_NONE ? json_string(run->repos[f->repo].name)
	                         : json_null());
	json_object_set_new(
	    o, "tag", f->tag != NULL ? json_string(f->tag) : json_null());
	for (i = 0; i < f->nimages; i++) {
		const struct fsck_image *img = &f->images[i];
		json_t *j = json_object();

		json_object_set_new(j, "ref", json_string(img->ref));
		json_object_set_new(
		    j, "repository", json_string(run->repos[img->repo].name));
		json_object_set_new(j, "tag",
		    img->tag != NULL ? json_string(img->tag) : json_null());
		json_object_set_new(j, "digest",
		    img->digest != FSCK_NONE
		        ? json_string(drydock_digest_format(
		              dstr, &run->ids[img->digest]))
		        : json_null());
		json_object_set_new(j, "platform",
		    img->platform != NULL ? json_string(img->platform)
		                          : json_null());
		json_array_append_new(imgs, j);
	}
	json_object_set_new(o, "images", imgs);
	json_object_set_new(o, "repair",
	    f->action != FSCK_ACT_NONE
	        ? json_string(fsck_action_name(f->action))
	        : json_null());
	json_object_set_new(o, "repaired", json_boolean(f->fixed));
	json_object_set_new(o, "repair_note",
	    f->repair_note != NULL ? json_string(f->repair_note) : json_null());
	return o;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How many images the problems left break, each counted once. */
static size_t
broken_images(const struct fsck_run *run)
{
	const char **refs;
	size_t i, j, n = 0, unique = 0;

	for (i = 0; i < run->nfindings; i++)
		if (!run->findings[i].fixed)
			n += run->findings[i].nimages;
	if (n == 0 || (refs = calloc(n, sizeof(*refs))) == NULL)
		return 0;
	n = 0;
	for (i = 0; i < run->nfindings; i++)
		for (j = 0;
		     !run->findings[i].fixed && j < run->findings[i].nimages;
		     j++)
			refs[n++] = run->findings[i].images[j].ref;
	qsort(refs, n, sizeof(*refs), str_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(refs[i - 1], refs[i]) != 0)
			unique++;
	free(refs);
	return unique;
}

static json_t *
report_json(const struct fsck_run *run)
{
	const struct fsck_opts *o = run->opts;
	json_t *root = json_object(), *sum = json_object(),
	       *cnt = json_object();
	json_t *sev = json_object(), *list = json_array();
	size_t i;
	int k;

	fe_json_head(root, "drydock-fsck", 1, run->start_real_ns);
	json_object_set_new(
	    root, "root", json_string(drydock_store_root(run->st)));
	json_object_set_new(root, "repair", json_boolean(o->repair));
	json_object_set_new(root, "strict", json_boolean(o->strict));
	json_object_set_new(
	    root, "verify", json_string(verify_name(o->verify)));
	if (o->quarantine != NULL)
		json_object_set_new(
		    root, "quarantine", json_string(o->quarantine));
	json_object_set_new(
	    sum, "repositories", json_integer((json_int_t)run->nrepos));
	json_object_set_new(sum, "tags", json_integer((json_int_t)run->ntags));
	json_object_set_new(
	    sum, "revisions", json_integer((json_int_t)run->nrevisions));
	json_object_set_new(
	    sum, "manifests", json_integer((json_int_t)run->nmanifests));
	json_object_set_new(
	    sum, "layer_links", json_integer((json_int_t)run->nlayers));
	json_object_set_new(
	    sum, "uploads", json_integer((json_int_t)run->nuploads));
	json_object_set_new(sum, "blobs", json_integer((json_int_t)run->ndata));
	json_object_set_new(
	    sum, "blob_bytes", json_integer((json_int_t)run->blob_bytes));
	json_object_set_new(
	    sum, "blobs_hashed", json_integer((json_int_t)run->hashed));
	json_object_set_new(
	    sum, "bytes_hashed", json_integer((json_int_t)run->hashed_bytes));
	json_object_set_new(
	    sum, "blobs_unchanged", json_integer((json_int_t)run->unchanged));
	json_object_set_new(
	    sum, "blobs_deferred", json_integer((json_int_t)run->deferred));
	json_object_set_new(
	    sum, "blobs_not_due", json_integer((json_int_t)run->not_hashed));
	json_object_set_new(
	    sum, "repair_changes", json_integer((json_int_t)run->acted));
	json_object_set_new(
	    sum, "repaired_findings", json_integer((json_int_t)run->fixed));
	json_object_set_new(
	    sum, "images_broken", json_integer((json_int_t)broken_images(run)));
	json_object_set_new(sum, "repair_failures",
	    json_integer((json_int_t)run->repair_failed));
	json_object_set_new(sum, "seconds", json_real(run->seconds));
	json_object_set_new(sum, "hash_seconds", json_real(run->hash_seconds));
	for (k = FSCK_SEV_PROBLEM; k >= FSCK_SEV_INFO; k--)
		json_object_set_new(sev, fsck_severity_name(k),
		    json_integer((json_int_t)run->by_sev[k]));
	json_object_set_new(sum, "findings", sev);
	json_object_set_new(root, "summary", sum);
	for (k = 0; k < FSCK_FINDING_MAX; k++)
		json_object_set_new(cnt, fsck_finding_defs[k].name,
		    json_integer((json_int_t)run->by_id[k]));
	json_object_set_new(root, "counts", cnt);
	for (i = 0; i < run->nfindings; i++) {
		if (o->max_findings && i >= o->max_findings)
			break;
		json_array_append_new(
		    list, finding_json(run, &run->findings[i]));
	}
	json_object_set_new(root, "findings", list);
	json_object_set_new(root, "findings_truncated",
	    json_boolean(o->max_findings && run->nfindings > o->max_findings));
	json_object_set_new(root, "complete",
	    json_boolean(
	        !run->interrupted && !run->deadline_hit && !run->operational));
	json_object_set_new(
	    root, "interrupted", json_boolean(run->interrupted));
	json_object_set_new(root, "exit_code", json_integer(run->exit_code));
	return root;
}

static int
write_json(const struct fsck_run *run, const char *dest)
{
	struct drydock_outfile of;
	json_t *j;
	int r;

	if (drydock_outfile_open(&of, dest) < 0)
		return DRYDOCK_ERROR;
	j = report_json(run);
	r = json_dumpf(j, of.f, JSON_INDENT(1) | JSON_SORT_KEYS);
	fputc('\n', of.f);
	json_decref(j);
	if (r != 0) {
		drydock_outfile_abort(&of);
		drydock_error_set_os("cannot write report '%s'", dest);
		return DRYDOCK_ERROR;
	}
	return drydock_outfile_commit(&of);
}

int
fsck_output(struct fsck_run *run)
{
	const struct fsck_opts *o = run->opts;
	FILE *f =
	    o->com.json && strcmp(o->com.json, "-") == 0 ? stderr : stdout;

	summary(run, f);
	fflush(f);
	if (o->com.json)
		return write_json(run, o->com.json);
	return 0;
}

/* --- metrics -----------------------------------------------------------------
 */

void
fsck_log_line(const struct fsck_run *run)
{
	fe_syslog_run(run->exit_code != 0,
	    "%s: %llu findings (%llu problems, %llu warnings); %llu blobs "
	    "hashed (%llu bytes), %llu unchanged, %llu deferred; %llu "
	    "repairs; exit %d; %.1fs",
	    drydock_store_root(run->st),
	    (unsigned long long)(run->by_sev[FSCK_SEV_PROBLEM] +
	        run->by_sev[FSCK_SEV_WARNING] + run->by_sev[FSCK_SEV_INFO]),
	    (unsigned long long)run->by_sev[FSCK_SEV_PROBLEM],
	    (unsigned long long)run->by_sev[FSCK_SEV_WARNING],
	    (unsigned long long)run->hashed,
	    (unsigned long long)run->hashed_bytes,
	    (unsigned long long)run->unchanged,
	    (unsigned long long)run->deferred, (unsigned long long)run->acted,
	    run->exit_code, run->seconds);
}

int
fsck_metrics(struct fsck_run *run)
{
	static const char objects_help[] = "Objects seen in the store.";
	static const char sev_help[] = "Findings of the last run, by severity.";
	static const char id_help[] = "Findings of the last run, by kind.";
	struct fe_metrics m;
	int k;

	if (fe_metrics_open(&m, run->opts->com.metrics) < 0)
		return DRYDOCK_ERROR;
	fe_metrics_run(&m, "fsck", run->seconds, run->exit_code);
	fe_metrics_gauge(&m, "drydock_fsck_complete",
	    "1 when the last run checked everything it was due to.", NULL, NULL,
	    !run->interrupted && !run->deadline_hit && !run->operational);
	fe_metrics_gauge(&m, "drydock_fsck_blobs_hashed",
	    "Blobs whose data was hashed.", NULL, NULL, (double)run->hashed);
	fe_metrics_gauge(&m, "drydock_fsck_hashed_bytes",
	    "Bytes of blob data hashed.", NULL, NULL,
	    (double)run->hashed_bytes);
	fe_metrics_gauge(&m, "drydock_fsck_blobs_unchanged",
	    "Blobs not re-hashed: unchanged since verified (--state).", NULL,
	    NULL, (double)run->unchanged);
	fe_metrics_gauge(&m, "drydock_fsck_blobs_deferred",
	    "Blobs left for the next run (--max-duration).", NULL, NULL,
	    (double)run->deferred);
	fe_metrics_gauge(&m, "drydock_fsck_store_objects", objects_help, "kind",
	    "repository", (double)run->nrepos);
	fe_metrics_gauge(&m, "drydock_fsck_store_objects", objects_help, "kind",
	    "tag", (double)run->ntags);
	fe_metrics_gauge(&m, "drydock_fsck_store_objects", objects_help, "kind",
	    "revision", (double)run->nrevisions);
	fe_metrics_gauge(&m, "drydock_fsck_store_objects", objects_help, "kind",
	    "blob", (double)run->ndata);
	fe_metrics_gauge(&m, "drydock_fsck_store_bytes",
	    "Bytes of blob data in the store.", NULL, NULL,
	    (double)run->blob_bytes);
	for (k = FSCK_SEV_PROBLEM; k >= FSCK_SEV_INFO; k--)
		fe_metrics_gauge(&m, "drydock_fsck_findings", sev_help,
		    "severity", fsck_severity_name(k), (double)run->by_sev[k]);
	for (k = 0; k < FSCK_FINDING_MAX; k++)
		fe_metrics_gauge(&m, "drydock_fsck_findings_by_id", id_help,
		    "id", fsck_finding_defs[k].name, (double)run->by_id[k]);
	fe_metrics_gauge(&m, "drydock_fsck_repairs",
	    "Changes made by --repair.", NULL, NULL, (double)run->acted);
	fe_metrics_gauge(&m, "drydock_fsck_images_broken",
	    "Images (repo:tag, repo@digest) that the problems left break.",
	    NULL, NULL, (double)broken_images(run));
	return fe_metrics_commit(&m);
}
