/* SPDX-License-Identifier: MIT */
/*
 * fsck.h --- drydock-fsck's internal interfaces: options, the run's state,
 * and its phases.  main.c runs the phases in this order, each in a file:
 *
 *   walk.c       the storage walk: blobs/, then each repository's tags and
 *                history, revisions, layer links and uploads
 *   structure.c  what the registry needs to serve every image, from each
 *                repository's revisions down (manifests.c reads each
 *                manifest once); after content.c, the blobs nothing needs
 *   content.c    every blob's data hashed against its digest, on all cores
 *   recheck.c    what went away during the run, read again before
 *                structure.c or content.c calls it missing
 *   impact.c     which images each finding breaks
 *   repair.c     -p: each finding's remedy
 *   report.c     the summary, --json and --metrics (and the progress line
 *                while the phases run)
 *
 * Beneath them all, run.c (the run's state and tables, the stop flag) and
 * findings.c (the table of findings.h; fsck_report(), through which every
 * finding goes; the library's problems as findings).  Calls go one way,
 * never in a circle: a phase calls recheck.c, manifests.c, report.c,
 * findings.c and run.c, each of which calls only those after it in this
 * list (structure.c also sorts a tag table again with walk.c's
 * fsck_sort_tags); main.c calls the phases.
 */
#ifndef DRYDOCK_FSCK_H
#define DRYDOCK_FSCK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <drydock/drydock.h>

#include "fe/array.h"
#include "fe/clock.h"
#include "fe/err.h"
#include "fe/exit.h"
#include "fe/exitcode.h"
#include "fe/metrics.h"
#include "fe/options.h"
#include "fe/outfile.h"
#include "fe/progress.h"
#include "fe/signals.h"
#include <drydock/state.h>

#include "findings.h"

#define FSCK_NONE UINT32_MAX

/* A link file holds a digest: more than this is not read. */
#define FSCK_LINK_READ_MAX 4096

enum fsck_verify {
	FSCK_VERIFY_NONE = 0, /* structure only */
	FSCK_VERIFY_ALL, /* hash every blob */
	FSCK_VERIFY_CHANGED, /* new or changed since the state's record */
	FSCK_VERIFY_SLICE /* changed, plus the least recently verified */
};

struct fsck_opts {
	struct fe_common com; /* -q, -v, --json, --metrics, --config, ... */
	const char *root; /* storage root (argument or config) */
	const char *state; /* --state FILE */
	const char *quarantine; /* --quarantine DIR (set by main when -p) */
	int repair; /* -p */
	int strict; /* --strict: warnings count */
	int jobs; /* --jobs */
	int verify; /* enum fsck_verify */
	unsigned slice_k, slice_n; /* --slice K/N */
	int64_t max_duration; /* seconds; 0: none */
	int64_t uploads_age; /* seconds */
	size_t max_findings; /* listed in reports; 0: all */
	signed char
	    sev[FSCK_FINDING_MAX]; /* severity, after --ignore/--error */
};

/* Bits kept per interned digest (struct fsck_obj.flags). */
enum fsck_obj_flags {
	FSCK_O_BLOBDIR = 1 << 0, /* blobs/<alg>/<hh>/<hex>/ exists */
	FSCK_O_DATA = 1 << 1, /* its data is a regular file */
	FSCK_O_UNSAFE = 1 << 2, /* its data is a symlink or special file */
	FSCK_O_REFERENCED = 1 << 3, /* a manifest or layer link names it */
	FSCK_O_MANIFEST = 1 << 4, /* a revision, tag or index names it */
	FSCK_O_BAD = 1 << 5, /* its data does not match its digest */
	FSCK_O_MISSING = 1 << 6, /* BLOB/MANIFEST_MISSING reported */
	FSCK_O_LOADED = 1 << 7, /* manifest load attempted */
	FSCK_O_QUARANTINED = 1 << 8, /* moved into quarantine by repair */
	FSCK_O_FOREIGN = 1 << 9, /* FOREIGN_LAYER_EXTERNAL reported */
	FSCK_O_SIZECHECK = 1 << 10, /* a descriptor disagrees on its size */
	FSCK_O_VANISHED = 1 << 11 /* its data went away during the run */
};

struct fsck_obj {
	uint32_t flags; /* enum fsck_obj_flags */
	uint32_t blob; /* index into run->blobs, or FSCK_NONE */
	uint32_t mf; /* index into run->mfs, or FSCK_NONE */
	uint32_t stamp; /* 1 + repository whose work list holds it */
	uint32_t lstamp; /* 1 + repository that reported its layer link */
};

/* What hashing found (struct fsck_blob.result). */
enum fsck_hash_result {
	FSCK_H_NOTQUEUED = 0, /* not hashed this run */
	FSCK_H_QUEUED, /* waiting for a worker */
	FSCK_H_OK, /* hashed, matches */
	FSCK_H_UNCHANGED, /* the state says verified and unchanged */
	FSCK_H_MISMATCH, /* hashed, does not match */
	FSCK_H_EMPTY, /* zero length, not the empty digest */
	FSCK_H_IOERR, /* open or read failed (err) */
	FSCK_H_UNSAFE, /* became a symlink or special file */
	FSCK_H_GONE, /* removed since the walk */
	FSCK_H_DEFERRED, /* --max-duration reached first */
	FSCK_H_INTERRUPTED /* a signal came first */
};

enum fsck_hash_mode {
	FSCK_HASH_NO = 0,
	FSCK_HASH_IF_CHANGED, /* unless the state's record still holds */
	FSCK_HASH_ALWAYS
};

struct fsck_blob {
	uint32_t id;
	uint8_t has_data;
	uint8_t mode; /* enum fsck_hash_mode */
	uint8_t result; /* enum fsck_hash_result */
	uint8_t has_rec; /* the state has a record */
	uint64_t size; /* from the walk */
	int64_t mtime_ns; /* from the walk */
	uint64_t ino; /* from the walk; 0: unknown */
	uint64_t want; /* a descriptor's size, or UINT64_MAX */
	uint64_t rec_size, rec_ino;
	int64_t rec_mtime, rec_verified;
	uint64_t seen_size, seen_ino; /* what the worker saw */
	int64_t seen_mtime;
	int err; /* errno of an I/O error */
	struct drydock_digest *got; /* a mismatch: what the data hashes to */
};

enum fsck_ref_flags { FSCK_REF_FOREIGN = 1 << 0 };

struct fsck_ref {
	uint32_t id; /* digest id */
	uint32_t owner; /* digest id of the manifest holding it */
	uint8_t role; /* enum drydock_ref_role */
	uint8_t flags; /* enum fsck_ref_flags */
	int64_t size; /* -1 when absent */
	char *platform; /* children: "linux/arm64/v8", or NULL */
};

enum fsck_mf_state {
	FSCK_MF_OK = 0,
	FSCK_MF_MISSING,
	FSCK_MF_UNSAFE,
	FSCK_MF_UNPARSABLE,
	FSCK_MF_TOO_LARGE,
	FSCK_MF_UNSUPPORTED
};

struct fsck_manifest {
	uint32_t id;
	uint8_t state; /* enum fsck_mf_state */
	uint8_t is_index;
	uint32_t first; /* index into run->refs */
	uint32_t nrefs;
};

/* Links kept per repository, sorted by id after the walk. */
struct fsck_link {
	uint32_t id; /* digest from the path */
	uint32_t target; /* digest id of the content, or FSCK_NONE */
	int status; /* 0 good; DRYDOCK_ENOTFOUND, _ECORRUPT, ... */
};

struct fsck_tag {
	char *name;
	uint32_t target; /* digest id, or FSCK_NONE */
	int status; /* of current/link */
};

/* A tag history entry: tags/<tag>/index/<alg>/<hex>/link. */
struct fsck_hist {
	uint32_t tag; /* index into the repository's tags */
	struct fsck_link l;
	char *path; /* the entry's directory */
};

struct fsck_repo {
	char *name;
	char *path;
	unsigned has; /* DRYDOCK_REPO_* */
	struct fsck_tag *tags;
	size_t ntags, captags;
	struct fsck_link *revs;
	size_t nrevs, caprevs;
	struct fsck_link *layers;
	size_t nlayers, caplayers;
	struct fsck_hist *hist;
	size_t nhist, caphist;
	size_t nuploads;
	uint32_t *tag_order; /* tag indices sorted by target */
	unsigned unread; /* enum fsck_unread: parts that cannot be read */
};

/* Parts of a repository a walk could not read: their links are unknown. */
enum fsck_unread {
	FSCK_UNREAD_REVS = 1 << 0, /* _manifests/revisions */
	FSCK_UNREAD_LAYERS = 1 << 1 /* _layers */
};

/* What a finding breaks. */
enum fsck_impact {
	FSCK_IMPACT_NONE = 0,
	FSCK_IMPACT_ALL, /* every image needing digest, in any repository */
	FSCK_IMPACT_REPO, /* images of repo needing digest */
	FSCK_IMPACT_TAG, /* repo:tag */
	FSCK_IMPACT_REPO_ALL /* every tag of repo */
};

struct fsck_image {
	char *ref; /* "repo:tag [platform]" or "repo@digest" */
	uint32_t repo;
	char *tag; /* or NULL */
	uint32_t digest; /* the manifest the tag or revision names */
	char *platform; /* or NULL */
};

struct fsck_finding {
	int id; /* enum fsck_finding_id */
	int severity; /* enum fsck_severity, after escalation */
	char *path; /* relative to $V2 */
	char *detail; /* the particulars, or NULL */
	char *tag; /* or NULL */
	uint32_t digest; /* digest id, or FSCK_NONE */
	uint32_t repo; /* repository index, or FSCK_NONE */
	uint8_t impact; /* enum fsck_impact */
	uint8_t action; /* enum fsck_action that -p takes */
	uint8_t acted; /* -p changed something */
	uint8_t fixed; /* -p left nothing of it */
	uint32_t impact_id; /* digest id impact is computed for */
	struct fsck_image *images;
	size_t nimages;
	char *repair_note; /* what -p did or why it did not */
};

/*
 * Arguments of fsck_report(): all borrowed.  Write them with FSCK_CTX or
 * FSCK_CTX_INIT, never as a bare initialiser: 0 is a repository and a
 * digest id like any other, so a field left out must be FSCK_NONE.
 */
struct fsck_ctx {
	const char *path; /* relative to $V2, or NULL */
	uint32_t digest; /* digest id, or FSCK_NONE */
	uint32_t repo; /* repository index, or FSCK_NONE */
	const char *tag; /* or NULL */
	int impact; /* enum fsck_impact */
	uint32_t impact_id; /* digest id impact is computed for; FSCK_NONE:
	                       digest */
	int action; /* enum fsck_action; FSCK_ACT_DEFAULT: the table's */
};

/*
 * A struct fsck_ctx from designated initialisers, digest, repo and
 * impact_id FSCK_NONE unless given, the action the finding's remedy in
 * the table, the rest zero (no path, no tag, no impact):
 *
 *	fsck_report(run, FSCK_BLOB_MISSING,
 *	    FSCK_CTX(.path = path, .digest = id), NULL);
 *	struct fsck_ctx ctx = FSCK_CTX_INIT(.repo = ri);
 *
 * The fields given override the defaults before them, as C11 6.7.9
 * says; GCC and clang warn about that (-Woverride-init, in -Wextra),
 * which this header turns off for fsck/ alone.
 */
#define FSCK_CTX_INIT(...)                                                     \
	{                                                                      \
		.digest = FSCK_NONE, .repo = FSCK_NONE,                        \
		.impact_id = FSCK_NONE, .action = FSCK_ACT_DEFAULT,            \
		__VA_ARGS__                                                    \
	}
#define FSCK_CTX(...) (&(const struct fsck_ctx)FSCK_CTX_INIT(__VA_ARGS__))
#pragma GCC diagnostic ignored "-Woverride-init"

struct fsck_problem {
	char *path;
	int code;
	char *message;
	int consumed; /* turned into a link finding already */
};

/* A revision link or tag that names a digest (struct fsck_run.namers). */
struct fsck_namer {
	uint32_t repo;
	uint32_t tag; /* index into the repository's tags; FSCK_NONE: the
	                 revision link */
};

/* A missing link, reported once looked at again (structure.c). */
struct fsck_pending {
	int fid; /* LAYER_LINK_MISSING, CHILD_NOT_LINKED */
	uint32_t id; /* digest id of what the link would name */
	uint32_t mid; /* digest id of the manifest that needs it */
	uint32_t repo;
	char *path;
	char *detail;
};

/* A descriptor whose size differs from its blob's data. */
struct fsck_sizecheck {
	uint32_t repo;
	uint32_t manifest; /* digest id */
	uint32_t blob; /* digest id */
	int64_t size; /* the descriptor's */
};

struct fsck_run {
	struct fe_progress progress;
	const struct fsck_opts *opts;
	struct drydock_store *st;
	struct drydock_state *state;
	int64_t start_ns; /* CLOCK_MONOTONIC */
	int64_t now; /* unix seconds at the start */
	int64_t start_real_ns; /* CLOCK_REALTIME_COARSE at the start: the
	                          clock file times come from */
	struct drydock_digest empty256, empty512;

	/* interned digests */
	struct drydock_digestmap *idmap;
	struct drydock_digest *ids;
	struct fsck_obj *objs;
	size_t nids, capids, capobjs;

	struct fsck_blob *blobs;
	size_t nblobs, capblobs;
	struct fsck_repo *repos;
	size_t nrepos, caprepos;
	struct fsck_manifest *mfs;
	size_t nmfs, capmfs;
	struct fsck_ref *refs;
	size_t nrefs, caprefs;
	uint32_t *pstart; /* parents: refs naming id are plist[pstart[id]..] */
	uint32_t *plist;
	/* data that went away during the run: is it still needed? */
	uint32_t *nstart; /* revision links and tags naming id are */
	struct fsck_namer *namers; /* namers[nstart[id]..nstart[id + 1]) */
	uint8_t *needed; /* per id: 0 unknown, 1 looking, 2 yes, 3 no */
	size_t nneeded; /* ids nstart and needed cover */

	struct fsck_problem *problems;
	size_t nproblems, capproblems;
	struct fsck_sizecheck *sizechecks;
	size_t nsizechecks, capsizechecks;
	struct fsck_pending *pending;
	size_t npending, cappending;
	struct fsck_finding *findings;
	size_t nfindings, capfindings;

	/* counts for the report */
	uint64_t ntags, nrevisions, nlayers, nuploads, nmanifests;
	uint64_t blob_bytes, ndata;
	uint64_t hashed, hashed_bytes, unchanged, deferred, not_hashed;
	uint64_t by_sev[3];
	uint64_t by_id[FSCK_FINDING_MAX];
	uint64_t acted, fixed, repair_failed;
	int state_reset;
	int interrupted; /* a signal stopped the run */
	int deadline_hit; /* --max-duration stopped hashing */
	int operational; /* an operational error happened (exit 8) */
	int exit_code;
	double seconds, hash_seconds;
};

/* run.c */
extern volatile sig_atomic_t fsck_stop;
int fsck_run_init(struct fsck_run *run, const struct fsck_opts *opts,
    struct drydock_store *st);
void fsck_run_release(struct fsck_run *run);
int fsck_id(
    uint32_t *out, struct fsck_run *run, const struct drydock_digest *d);
struct fsck_blob *fsck_blob_add(struct fsck_run *run, uint32_t id);
int fsck_blob_path(
    char *buf, size_t sz, const struct fsck_run *run, uint32_t id);
const struct fsck_link *fsck_revision_link(
    const struct fsck_repo *repo, uint32_t id);
int fsck_is_revision(const struct fsck_repo *repo, uint32_t id);
const struct fsck_link *fsck_layer_link(
    const struct fsck_repo *repo, uint32_t id);

/* findings.c */
int fsck_finding_lookup(const char *name);
const char *fsck_severity_name(int severity);
const char *fsck_action_name(int action);
void fsck_list_findings(void);
int fsck_report(struct fsck_run *run, int id, const struct fsck_ctx *ctx,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fsck_problem_cb(
    const char *path, int code, const char *message, void *payload);
const char *fsck_problem_consume(struct fsck_run *run, const char *path);
int fsck_problems_to_findings(struct fsck_run *run);

/* walk.c */
int fsck_walk(struct fsck_run *run);
void fsck_sort_tags(struct fsck_repo *repo);

/* manifests.c */
int fsck_late_data(struct fsck_run *run, uint32_t id);
int fsck_load_manifest(
    struct fsck_run *run, uint32_t id, const struct fsck_manifest **out);

/* structure.c */
int fsck_check_structure(struct fsck_run *run);
int fsck_check_blobs(struct fsck_run *run);

/* content.c */
int fsck_content(struct fsck_run *run);
int fsck_content_findings(struct fsck_run *run);

/* recheck.c */
int fsck_vanished(struct fsck_run *run, uint32_t id);
int fsck_pending_findings(struct fsck_run *run);

/* impact.c */
int fsck_impact(struct fsck_run *run);

/* repair.c */
int fsck_repair(struct fsck_run *run);

/* report.c */
void fsck_progress(struct fsck_run *run, const char *phase, uint64_t done,
    uint64_t total, uint64_t bytes, uint64_t bytes_total);
void fsck_progress_end(struct fsck_run *run);
void fsck_finish(struct fsck_run *run);
int fsck_output(struct fsck_run *run);
/* One line to the system log, even under -q (fe/syslog.h). */
void fsck_log_line(const struct fsck_run *run);
int fsck_metrics(struct fsck_run *run);

#endif
