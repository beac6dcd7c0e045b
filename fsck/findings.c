/* SPDX-License-Identifier: MIT */
/*
 * findings.c --- the findings table and every way into it, as e2fsck's
 * problem.c: the table of findings.h (names, default severities, what -p
 * does for each), fsck_report() through which every finding goes, and
 * the problems the library's walkers and readers report (symlinks,
 * strays, unreadable parts), which become findings here.  Nothing here
 * prints but --list-findings; report.c writes what a run found.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsck.h"

/* --- the table ----------------------------------------------------------- */

#define FSCK_DEF_(id, sev, remedy, msg)                                        \
	{#id, FSCK_SEV_##sev, FSCK_ACT_##remedy, msg},
const struct fsck_finding_def fsck_finding_defs[FSCK_FINDING_MAX] = {
    FSCK_FINDINGS(FSCK_DEF_)};
#undef FSCK_DEF_

int
fsck_finding_lookup(const char *name)
{
	int i;

	for (i = 0; i < FSCK_FINDING_MAX; i++)
		if (strcmp(fsck_finding_defs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
fsck_severity_name(int severity)
{
	switch (severity) {
	case FSCK_SEV_PROBLEM:
		return "problem";
	case FSCK_SEV_WARNING:
		return "warning";
	case FSCK_SEV_INFO:
		return "info";
	default:
		return "ignored";
	}
}

const char *
fsck_action_name(int action)
{
	switch (action) {
	case FSCK_ACT_REWRITE:
		return "rewrite the link without whitespace";
	case FSCK_ACT_RELINK:
		return "create the link";
	case FSCK_ACT_QUARANTINE:
	case FSCK_ACT_QUARANTINE_LINK:
		return "move it into quarantine";
	case FSCK_ACT_QUARANTINE_RELINK:
		return "move the link into quarantine and write it from its "
		       "path";
	default:
		return "nothing";
	}
}

void
fsck_list_findings(void)
{
	int i;

	for (i = 0; i < FSCK_FINDING_MAX; i++)
		printf("%-26s %-8s %s\n", fsck_finding_defs[i].name,
		    fsck_severity_name(fsck_finding_defs[i].severity),
		    fsck_finding_defs[i].message);
}

/* --- reporting ---------------------------------------------------------- */

int
fsck_report(struct fsck_run *run, int id, const struct fsck_ctx *ctx,
    const char *fmt, ...)
{
	struct fsck_finding *f;
	int sev = run->opts->sev[id];
	va_list ap;
	int n;

	if (sev == FSCK_SEV_IGNORE)
		return 0;
	if (fe_grow((void **)&run->findings, &run->capfindings,
	        run->nfindings + 1, sizeof(*run->findings)) < 0)
		return DRYDOCK_ERROR;
	f = &run->findings[run->nfindings];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->severity = sev;
	f->digest = ctx->digest;
	f->repo = ctx->repo;
	f->impact = (uint8_t)ctx->impact;
	f->impact_id = ctx->impact_id;
	f->action = (uint8_t)(ctx->action == FSCK_ACT_DEFAULT
	        ? fsck_finding_defs[id].remedy
	        : ctx->action);
	if ((ctx->path != NULL && (f->path = fe_strdup(ctx->path)) == NULL) ||
	    (ctx->tag != NULL && (f->tag = fe_strdup(ctx->tag)) == NULL))
		goto oom;
	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vasprintf(&f->detail, fmt, ap);
		va_end(ap);
		if (n < 0) {
			f->detail = NULL;
			goto oom;
		}
	}
	run->nfindings++;
	return 0;
oom:
	free(f->path);
	free(f->tag);
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

/* --- problems the walkers and readers report ---------------------------- */

void
fsck_problem_cb(const char *path, int code, const char *message, void *payload)
{
	struct fsck_run *run = payload;
	struct fsck_problem *p;

	if (fe_grow((void **)&run->problems, &run->capproblems,
	        run->nproblems + 1, sizeof(*run->problems)) < 0) {
		run->operational = 1;
		return;
	}
	p = &run->problems[run->nproblems];
	memset(p, 0, sizeof(*p));
	p->code = code;
	if ((p->path = fe_strdup(path)) == NULL ||
	    (p->message = fe_strdup(message)) == NULL) {
		free(p->path);
		run->operational = 1;
		return;
	}
	run->nproblems++;
}

/*
 * The walker reports a bad link file as a problem just before handing the
 * link to our callback; the link finding replaces it.  Returns its message.
 */
const char *
fsck_problem_consume(struct fsck_run *run, const char *path)
{
	size_t i, n = run->nproblems;

	for (i = n; i > 0 && n - i < 32; i--) {
		struct fsck_problem *p = &run->problems[i - 1];

		if (!p->consumed && strcmp(p->path, path) == 0) {
			p->consumed = 1;
			return p->message;
		}
	}
	return NULL;
}

/* Repository index by name, or FSCK_NONE. */
static uint32_t
repo_by_name(const struct fsck_run *run, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < run->nrepos; i++)
		if (strlen(run->repos[i].name) == len &&
		    memcmp(run->repos[i].name, name, len) == 0)
			return (uint32_t)i;
	return FSCK_NONE;
}

/* "<alg>/<hex>" at p (ending at '/' or NUL): intern it into *id. */
static int
path_digest(
    struct fsck_run *run, const char *p, uint32_t *id, const char **rest)
{
	const char *slash = strchr(p, '/'), *hex, *end;
	struct drydock_digest d;
	int alg;

	if (slash == NULL)
		return -1;
	alg = drydock_digest_alg_lookup(p, (size_t)(slash - p));
	hex = slash + 1;
	end = strchr(hex, '/');
	if (end == NULL)
		end = hex + strlen(hex);
	if (alg == DRYDOCK_DIGEST_NONE ||
	    drydock_digest_from_hex(&d, alg, hex, (size_t)(end - hex)) < 0)
		return -1;
	if (fsck_id(id, run, &d) < 0)
		return -1;
	*rest = end;
	return 0;
}

/*
 * What an anomaly at path breaks: a blob's data (every image needing it), a
 * repository's link (its images needing the digest), a tag.  *tag_out gets
 * a tag name (malloc'ed) for a tag.
 */
static void
path_impact(struct fsck_run *run, const char *path, struct fsck_ctx *ctx,
    char **tag_out)
{
	const char *p, *rest, *name;
	uint32_t id;

	*tag_out = NULL;
	if (strncmp(path, "blobs/", 6) == 0) {
		p = path + 6;
		/* blobs/<alg>/<hh>/<hex>: skip the <hh> level */
		if ((rest = strchr(p, '/')) == NULL ||
		    strchr(rest + 1, '/') == NULL)
			return;
		{
			char buf[DRYDOCK_DIGEST_STRMAX + 16];
			const char *hh = rest + 1, *hex = strchr(hh, '/') + 1;

			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(rest - p),
			    p, hex);
			if (path_digest(run, buf, &id, &rest) < 0)
				return;
			if (*rest == '\0' || strcmp(rest, "/data") == 0)
				run->objs[id].flags |= FSCK_O_UNSAFE;
			else
				return;
		}
		ctx->digest = id;
		ctx->impact = FSCK_IMPACT_ALL;
		return;
	}
	if (strncmp(path, "repositories/", 13) != 0)
		return;
	name = path + 13;
	for (p = name; (p = strchr(p, '/')) != NULL; p++)
		if (p[1] == '_')
			break;
	if (p == NULL)
		return;
	ctx->repo = repo_by_name(run, name, (size_t)(p - name));
	if (ctx->repo == FSCK_NONE)
		return;
	p++;
	if (strncmp(p, "_layers/", 8) == 0 &&
	    path_digest(run, p + 8, &id, &rest) == 0) {
		ctx->impact = FSCK_IMPACT_REPO;
		ctx->digest = id;
	} else if (strncmp(p, "_manifests/revisions/", 21) == 0 &&
	    path_digest(run, p + 21, &id, &rest) == 0) {
		ctx->impact = FSCK_IMPACT_REPO;
		ctx->digest = id;
	} else if (strncmp(p, "_manifests/tags/", 16) == 0) {
		const char *t = p + 16, *e = strchr(t, '/');

		if (e != NULL && strncmp(e, "/current", 8) != 0)
			return; /* history entries break nothing */
		if (e == NULL)
			e = t + strlen(t);
		if ((*tag_out = strndup(t, (size_t)(e - t))) == NULL)
			return;
		ctx->impact = FSCK_IMPACT_TAG;
		ctx->tag = *tag_out;
	}
}

/* Turn what the walkers skipped into findings. */
int
fsck_problems_to_findings(struct fsck_run *run)
{
	size_t i;
	int error = 0;

	for (i = 0; i < run->nproblems && error == 0; i++) {
		struct fsck_problem *p = &run->problems[i];
		struct fsck_ctx ctx = FSCK_CTX_INIT(.path = p->path);
		char *tag = NULL;
		int id;

		if (p->consumed)
			continue;
		switch (p->code) {
		case DRYDOCK_EUNSAFE:
			id = strstr(p->message, "symlink") != NULL
			    ? FSCK_SYMLINK
			    : FSCK_SPECIAL_FILE;
			path_impact(run, p->path, &ctx, &tag);
			break;
		case DRYDOCK_ERROR:
			id = FSCK_IO_ERROR;
			path_impact(run, p->path, &ctx, &tag);
			break;
		case DRYDOCK_ECORRUPT:
			if (strstr(p->message, "temporary") != NULL)
				id = FSCK_TEMP_FILE;
			else if (strncmp(p->path, "blobs/", 6) == 0)
				id = FSCK_BLOB_STRAY;
			else
				id = FSCK_STRAY_FILE;
			break;
		default:
			id = FSCK_STRAY_FILE;
		}
		/* "symlink ...: is a symlink; not followed" says it twice */
		if (id == FSCK_SYMLINK &&
		    strcmp(p->message, "is a symlink; not followed") == 0)
			error = fsck_report(run, id, &ctx, NULL);
		else
			error = fsck_report(run, id, &ctx, "%s", p->message);
		free(tag);
	}
	return error;
}
