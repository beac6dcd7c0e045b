/* SPDX-License-Identifier: MIT */
/*
 * gc.h --- drydock-gc's internal interfaces: options, the run's state, and
 * its phases (mark.c, plan.c, recheck.c, sweep.c, report.c, restore.c).
 */
#ifndef DRYDOCK_GC_H
#define DRYDOCK_GC_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <drydock/drydock.h>
#include <jansson.h>

#include "fe/array.h"
#include "fe/err.h"
#include "fe/exit.h"
#include "fe/exitcode.h"
#include "fe/metrics.h"
#include "fe/options.h"
#include "fe/outfile.h"
#include "fe/progress.h"
#include "fe/signals.h"
#include "fe/syslog.h"

#include "policy.h"
#include "reasons.h"

/* One --pin line (pins.c). */
struct gc_pin {
	char *text; /* the line, comment and blanks gone */
	const char *file; /* as given; "-" for standard input */
	int line;
	char *repo; /* NULL: a bare digest, in every repository */
	char *alt; /* repo without its registry host, or NULL */
	char *tag; /* REPO:TAG, else NULL */
	struct drydock_digest digest; /* alg NONE for REPO:TAG */
};

struct gc_pin_key {
	const char *name; /* a pin's repo or alt */
	uint32_t pin; /* index into gc_pins.v */
};

struct gc_pins {
	struct gc_pin *v;
	size_t n, cap;
	struct gc_pin_key *keys; /* sorted by name (gc_pins_index) */
	size_t nkeys;
};

/*
 * What the mark records for `drydock-gc why` (trace.c): how each digest
 * was reached in the repository that reached it last.  NULL in a plain run.
 */
enum gc_trace_edge {
	GC_TRACE_NONE = 0,
	GC_TRACE_ROOT, /* a root: a tag, a revision kept, a pin */
	GC_TRACE_CHILD, /* listed by the index parent */
	GC_TRACE_BLOB, /* config or layer of the manifest parent */
	GC_TRACE_REFERRER, /* a referrer of parent, which is kept */
	GC_TRACE_SUSPECT /* its repository has a problem: all it links stays */
};

struct gc_trace_step {
	uint32_t id;
	uint8_t edge; /* enum gc_trace_edge: how id was reached */
};

/* What became of a REPO:TAG asked about. */
enum gc_why_tag {
	GC_WHY_TAG_NONE = 0,
	GC_WHY_TAG_KEPT,
	GC_WHY_TAG_GONE,
	GC_WHY_TAG_BROKEN
};

/* One REF of `drydock-gc why`, and what the mark found about it. */
struct gc_why_ref {
	struct gc_pin ref; /* parsed as a --pin line: digest, @ or : */
	uint32_t repo; /* the repository the answer is about, or UINT32_MAX */
	struct gc_trace_step *chain; /* from a root, root first */
	size_t nchain;
	char *root; /* what the root is: "tag team/app:1.0", ... */
	int tag; /* enum gc_why_tag, for REPO:TAG */
	uint32_t target; /* the tag's manifest */
	uint32_t tagdec; /* index into run->tagdecs, or UINT32_MAX */
	int held; /* REPO@DIGEST: REPO links it (revision or layer link) */
	char *released_by; /* the deleted tags that named it, or NULL */
	int released; /* REPO@DIGEST: the policy released it (retain.c) */
};

struct gc_trace {
	struct gc_why_ref *refs;
	size_t nrefs;
	uint32_t *parent; /* id -> the id it was reached from */
	uint32_t *in_repo; /* id -> 1 + the repository that reached it */
	uint8_t *edge; /* id -> enum gc_trace_edge */
};

/*
 * What the mark records for `drydock-gc du` (holders.c): who holds each
 * digest.  A holder is a tag (one a tag, deleted by the policy or not), or
 * the rest of a repository's roots (its untagged revisions kept, pins,
 * what is young, all it links when it has a problem).  NULL in a plain run.
 */
struct gc_holder {
	uint32_t repo;
	char *tag; /* NULL: the repository's other roots */
	uint8_t doomed; /* a tag the policy deletes */
};

struct gc_pair {
	uint32_t who; /* a holder, or a repository */
	uint32_t id;
};

struct gc_holders {
	int by_tag; /* --by tag: keep (holder, id) pairs */
	struct gc_holder *v;
	size_t n, cap;
	/* per id */
	uint32_t *seen; /* 2 * holder + pass: touched in that session */
	uint32_t *last; /* the last holder */
	uint16_t *count; /* holders, at most UINT16_MAX */
	uint16_t *live; /* holders that stay (not doomed) */
	uint32_t *repo_last; /* 1 + the last repository that held it */
	uint16_t *repos; /* repositories holding it */
	uint32_t *p1_repo; /* first pass: 1 + the repository it counts for */
	uint16_t *p1_count; /* first pass: holders in that repository */
	uint32_t *p1_last; /* first pass: the last of them */
	/* what holders and repositories hold */
	struct gc_pair *pairs; /* (holder, id), --by tag */
	size_t npairs, cappairs;
	struct gc_pair *rpairs; /* (repository, id) */
	size_t nrpairs, caprpairs;
	uint32_t *stack;
	size_t nstack, capstack;
	struct gc_pair *refs; /* this repository's referrers: (holder, id) */
	size_t nrefs, caprefs;
	/* by id: the size of its data, as the plan's blob walk saw it */
	uint64_t *size;
	size_t capsize;
};

/*
 * What an item removes, as plan saw it and apply sees it now (planfile.c):
 * a changed item is not the one the plan was approved with.
 */
struct gc_fp {
	int64_t mtime_ns; /* its file (data, link), or its directory's */
	uint64_t size; /* blobs and uploads */
	char link[DRYDOCK_DIGEST_STRMAX]; /* a link's content, or "" */
};

/* One item of a plan file, read back by apply. */
struct gc_planned {
	uint8_t kind; /* enum gc_kind */
	uint8_t matched; /* the store's plan now has it too */
	char *path;
	struct gc_fp fp;
};

struct gc_plan_file {
	struct gc_planned *v; /* sorted by kind, then path */
	size_t n;
};

/* A planned item apply left, and why. */
struct gc_skip {
	uint8_t kind;
	char *path;
	char *why;
};

struct gc_opts {
	struct fe_common com; /* -q, -v, --json, --metrics, --config, ... */
	const char *root; /* storage root (argument or config) */
	const char *quarantine; /* --quarantine DIR */
	const char *restore; /* --restore DIR */
	int64_t grace; /* seconds */
	int64_t uploads_age; /* seconds */
	int delete_untagged; /* -m */
	int dry_run; /* -n */
	int cache_warning; /* config names a blob-descriptor cache */
	int jobs; /* -j: scanning threads */
	struct gc_pins pins; /* --pin, read before the store is opened */
	struct gc_policies policies; /* --policy, read before it too */
	const char *policy_file; /* --policy FILE, or NULL */
	char **refs; /* why: the REFs asked about */
	size_t nrefs;
	int du_by_tag; /* du --by tag */
	long du_top; /* du --top N, 0: all */
	const char *du_html; /* du --html FILE: the space report page */
	const char *plan_file; /* apply: the plan */
	const char *plan_root; /* apply: the root the plan is for */
};

/*
 * An upload being removed is first renamed to this prefix plus its id, so
 * that a run killed half-way leaves a name the next run removes at once,
 * not a half-emptied upload that looks young (its mtime just changed).
 * The registry ignores it: it is not a UUID.
 */
#define GC_UPLOAD_LEFTOVER ".drydock-gc-"

/*
 * A tag being removed is first renamed, under its own name, into this
 * directory of its repository's _manifests (one rename(2): atomic), then
 * removed from there (untag.c).  The registry lists every entry of
 * _manifests/tags as a tag and nothing else of _manifests, so a run killed
 * at any point leaves the tag either whole or gone from its tags/list,
 * never listed without a current/link.  What a killed run left here, the
 * next run removes (kind tag, reason interrupted-removal).
 */
#define GC_TAG_ASIDE ".drydock-gc-tags"

/* Bits kept per interned digest. */
enum gc_id_flags {
	GC_MARKED = 1 << 0, /* a live image needs it */
	GC_PRESENT = 1 << 1, /* blobs/.../data exists */
	GC_YOUNG = 1 << 2, /* protected by grace (blob, or a young link) */
	GC_SWEEP = 1 << 3, /* planned for removal */
	GC_LOADED = 1 << 4, /* manifest load attempted (see mf) */
	GC_NEWMARK = 1 << 5, /* marked by the re-check: a racing push */
	GC_WIDE = 1 << 6, /* not a sha256: see ids.c */
	GC_PINNED = 1 << 7 /* a bare digest --pin names */
};

/* A parsed manifest, reduced to what marking needs. */
enum gc_mf_state { GC_MF_OK = 0, GC_MF_MISSING, GC_MF_CORRUPT };
struct gc_manifest {
	uint32_t refs; /* first index into gc_run.refs */
	uint32_t nrefs; /* config, layers, children */
	uint32_t subject; /* digest id of the subject, or UINT32_MAX */
	uint8_t state; /* enum gc_mf_state */
	uint8_t is_index;
};

/* A link seen in a repository, kept for the plan. */
struct gc_link {
	uint32_t repo; /* index into gc_run.repos */
	uint32_t id; /* digest id (from the path) */
	uint32_t target; /* digest id of the content; == id unless alias */
	int8_t status; /* 0, DRYDOCK_ENOTFOUND (no link file), <0 bad */
	uint8_t kind; /* enum gc_link_kind */
	uint8_t probed; /* layer links: status and young are known */
	uint8_t young; /* modified within the grace period */
};

enum gc_link_kind { GC_LINK_LAYER = 0, GC_LINK_REVISION, GC_LINK_HISTORY };

struct gc_repo {
	char *name;
	unsigned has; /* DRYDOCK_REPO_* */
	int tainted; /* a bad manifest or link: keep all it links */
	int tags; /* tags with a readable current link */
	int bad_tags; /* tags whose current link is missing or bad */
	int uploads; /* uploads left after the plan */
	int kept_revisions; /* revisions kept */
	int empty; /* an empty directory: debris of an interrupted removal */
	int64_t mtime_ns; /* the empty directory's */
	int64_t layers_mtime_ns; /* _layers/sha256 directory at walk time */
	int64_t revs_mtime_ns; /* _manifests/revisions/sha256 at walk time */
	int aside_dir; /* _manifests/GC_TAG_ASIDE exists */
	size_t links_start, links_end; /* its links in run->links */
	int remarked; /* the re-check or the sweep kept more here */
};

/*
 * A tag a policy decided on (mark.c): a candidate kept or deleted, or an
 * attachment tag that goes.  The dry run prints these, the report gives
 * their rule, and the sweep checks a deleted one is still as it was.
 */
struct gc_tagdec {
	char *name;
	uint32_t repo;
	uint32_t target; /* digest id current/link named */
	int64_t pushed_ns; /* current/link's mtime */
	uint16_t policy; /* index into opts->policies.v */
	uint8_t verdict; /* enum gc_tag_verdict */
	uint8_t rule; /* enum gc_tag_rule */
	int16_t keep; /* GC_RULE_KEEP: which */
};

/* A repository's tags with a readable current link, as the mark saw them. */
struct gc_tags {
	char **name;
	uint32_t *target; /* the manifest's digest id */
	int64_t *mtime; /* current/link's: when the tag was pointed there */
	size_t n;
};

/* What a policy decides in one repository (retain.c). */
struct gc_retain {
	const struct gc_policy *pol; /* NULL: none matches, every tag stays */
	size_t pol_index;
	uint32_t repo;
	uint8_t *gone; /* by tag: deleted */
	uint32_t *dec_of; /* by tag: index into run->tagdecs, or UINT32_MAX */
	size_t tag_roots; /* roots[0..tag_roots) are kept tags' */
	uint32_t *released; /* manifests only deleted tags named; sorted */
	size_t nreleased, capreleased;
	uint32_t *pending; /* attachment tags, decided after the mark */
	size_t npending, cappending;
};

/* One planned removal; the report lists these. */
struct gc_item {
	/*
	 * Uploads, tags and tag history: "path\0tag\0", relative to $V2.
	 * Blobs, links, revisions and repositories: NULL, the path follows
	 * from repo and id (gc_item_path): a million items, a million strings
	 * less.
	 */
	char *path;
	uint64_t size;
	uint32_t repo; /* index into repos, or UINT32_MAX */
	uint32_t id; /* digest id, or UINT32_MAX */
	uint32_t id2; /* layer links: the blob the link names; tags: the
	                 index into tagdecs */
	uint8_t kind; /* enum gc_kind */
	uint8_t reason; /* enum gc_reason */
	uint8_t cancelled; /* the re-check found it is needed after all */
	uint8_t done; /* removed (or moved) */
};

/* Big enough for any item's path. */
#define GC_PATH_MAX 1100

struct gc_problem {
	char *path;
	int code;
	char *message;
};

/* What scan.c records of one repository for the mark to replay. */
struct gc_scan_problems {
	struct gc_problem *v;
	size_t n, cap;
};

struct gc_scan_link {
	struct drydock_digest digest, target;
	int64_t mtime_ns;
	int status;
};

struct gc_scan_hist {
	struct drydock_link_info link; /* dir_path points at dir_path */
	char *dir_path;
};

struct gc_scan_tag {
	char *name, *path;
	struct drydock_link_info current; /* no paths */
	struct gc_scan_hist *hist; /* with -m: its history */
	size_t nhist, caphist;
	struct gc_scan_problems hist_problems;
	int hist_done, hist_error, hist_errclass;
	char *hist_errmsg;
};

struct gc_scan_upload {
	struct drydock_upload_info info; /* strings point at id, path */
	char *id, *path;
};

/* A tag an interrupted removal left in _manifests/.drydock-gc-tags. */
struct gc_scan_aside {
	char *name;
	struct drydock_digest target; /* what its current/link names */
	int status; /* of reading that link: 0, DRYDOCK_ENOTFOUND, ... */
};

/* A manifest reduced to what the mark follows (parse.c). */
struct gc_parsed {
	int rc; /* 0; DRYDOCK_ENOTFOUND (no data); or why it does not parse */
	char *message; /* why, when it does not parse */
	int is_index;
	int has_subject;
	struct drydock_digest subject;
	struct drydock_digest *refs; /* config, layers or children, in order */
	size_t nrefs;
};

struct gc_scan_mf {
	struct drydock_digest digest;
	struct gc_parsed parsed;
	int taken;
};

struct gc_scan {
	char *name, *path; /* from the listing */
	unsigned has; /* 0: an empty directory (nothing to scan) */
	int64_t mtime_ns; /* an empty directory's */
	struct drydock_repo_info ri; /* opened by the worker */
	struct drydock_store *st; /* the store ri.fd is a handle of */
	char *ri_path;
	int opened, ready;
	int error, errclass; /* the walk failed: the run fails here */
	char *errmsg;
	int64_t layers_mtime_ns, revs_mtime_ns;
	struct gc_scan_tag *tags;
	size_t ntags, captags;
	struct gc_scan_link *revs, *layers;
	size_t nrevs, caprevs, nlayers, caplayers;
	struct gc_scan_upload *uploads;
	size_t nuploads, capuploads;
	struct gc_scan_aside *asides; /* GC_TAG_ASIDE's entries */
	size_t nasides, capasides;
	int aside_dir; /* GC_TAG_ASIDE exists */
	struct gc_scan_mf *mfs; /* sorted by digest */
	size_t nmfs, capmfs;
	struct gc_scan_problems problems; /* before the plan */
	struct gc_scan_problems upload_problems; /* after it, as a walk */
};

/* The digests of a run, by id (ids.c). */
struct gc_ids {
	uint8_t (*raw)[32]; /* a sha256's bytes, or an index into wide */
	uint32_t *slots; /* open addressing: id + 1, 0 empty */
	size_t nslots; /* a power of two */
	uint64_t seed;
	struct drydock_digestmap *widemap; /* wide digest -> id */
	struct drydock_digest *wide;
	size_t nwide, capwide;
};

struct gc_run {
	const struct gc_opts *opts;
	struct gc_scan *scan_cur; /* repository being replayed, or NULL */
	struct drydock_store *st;
	struct fe_progress progress;
	int64_t start_ns; /* when the mark began (wall clock) */
	int64_t now_ns; /* the same by the storage's clock: ages count here */
	int64_t skew_ns; /* the storage's clock minus ours (0: not probed) */
	int64_t cutoff_ns; /* older than this is past the grace period */
	int64_t upload_cutoff; /* unix seconds */
	int64_t race_ns; /* changed after this: written during the run */
	int rechecking; /* marks now come from the re-check */
	uint32_t cur_repo; /* repository being marked, or UINT32_MAX */
	int marking; /* in the mark phase */
	size_t signal_at; /* test hook: SIGTERM when marking repository N */
	char *blind; /* first unreadable place under repositories/:
	                what it hides is unknown, so no blob goes */
	uint64_t failures; /* removals that failed */

	/* interned digests (ids.c) */
	struct gc_ids ids;
	uint8_t *flags;
	uint32_t *mf; /* id -> index into manifests, or UINT32_MAX */
	uint32_t *kept_in; /* id -> 1 + repo that keeps this manifest */
	uint32_t *rev_in; /* id -> 1 + repo that has it as revision */
	uint32_t *stack; /* marking work list */
	size_t nstack, capstack;
	size_t nids, capids;

	struct gc_manifest *manifests;
	size_t nmanifests, capmanifests;
	uint32_t *refs;
	size_t nrefs, caprefs;

	struct gc_repo *repos;
	size_t nrepos, caprepos;
	struct gc_link *links;
	size_t nlinks, caplinks;

	struct gc_item *items;
	size_t nitems, capitems;

	struct gc_problem *problems;
	size_t nproblems, capproblems;

	uint8_t *pin_matched; /* per --pin: it named something here */
	struct gc_tagdec *tagdecs; /* what the policies decided */
	size_t ntagdecs, captagdecs;
	struct gc_trace *trace; /* why: how digests were reached, or NULL */
	struct gc_holders *holders; /* du: who holds each digest, or NULL */
	struct gc_skip *skipped; /* apply: planned items left, and why */
	size_t nskipped, capskipped;
	size_t planned; /* apply: items in the plan */
	size_t unplanned; /* apply: items the plan did not have, left */

	/* counts for the report */
	uint64_t nblobs, nmarked, kept_by_grace, nrevisions;
	uint64_t removed[GC_KIND_MAX], removed_bytes, cancelled;
	int interrupted;
	int exit_code;
	double seconds;
};

extern volatile sig_atomic_t gc_stop;

/*
 * Filesystems with coarse timestamps: what changed this close to the run's
 * start may have changed after it, so it counts as written during the run.
 */
#define GC_CLOCK_MARGIN_NS (2LL * 1000000000LL)

/* Modified within the grace period (or during the run): never removed. */
static inline int
gc_is_young(const struct gc_run *run, int64_t mtime_ns)
{
	return mtime_ns >= run->cutoff_ns;
}

/* Modified after the run began: a push racing with it (the re-check). */
static inline int
gc_is_racing(const struct gc_run *run, int64_t mtime_ns)
{
	return mtime_ns >= run->race_ns;
}

/*
 * why: id reached in repository stamp - 1 from parent by edge; only the
 * first way in each repository counts (a plain run pays one test).
 */
static inline void
gc_trace_note(
    struct gc_run *run, uint32_t stamp, uint32_t id, uint32_t parent, int edge)
{
	struct gc_trace *t = run->trace;

	if (t == NULL || t->in_repo[id] == stamp)
		return;
	t->in_repo[id] = stamp;
	t->parent[id] = parent;
	t->edge[id] = (uint8_t)edge;
}

/* ids.c */
int gc_ids_init(struct gc_run *run);
void gc_ids_release(struct gc_run *run);
/* Intern a digest: the same digest always gets the same small id. */
int gc_id(uint32_t *out, struct gc_run *run, const struct drydock_digest *d);
/* 0, or DRYDOCK_ENOTFOUND when d has no id */
int gc_id_lookup(
    const struct gc_run *run, const struct drydock_digest *d, uint32_t *out);
/* The digest of an id (by value). */
struct drydock_digest gc_digest(const struct gc_run *run, uint32_t id);

/* run.c */
int gc_run_init(
    struct gc_run *run, const struct gc_opts *opts, struct drydock_store *st);
void gc_run_release(struct gc_run *run);

/*
 * The test build's pause: with DRYDOCK_GC_TEST_PAUSE=PHASE:FILE, reaching
 * PHASE the first time creates FILE and waits until the test removed it,
 * so that a test can push (or kill) at that exact point: "recheck" (after
 * the plan), "sweep" (after the re-check), "tag" (the first tag removed,
 * before its last look) and "aside" (that tag just renamed aside, not yet
 * removed: see GC_TAG_ASIDE).  Nothing in other builds.
 */
void gc_test_pause(const char *phase);

int gc_add_item(struct gc_run *run, int kind, uint32_t repo, uint32_t id,
    const char *path, const char *tag, int reason, uint64_t size);
void gc_problem(const char *path, int code, const char *message, void *payload);
/* What the item removes, relative to $V2: it->path, or built in buf. */
const char *gc_item_path(const struct gc_run *run, const struct gc_item *it,
    char *buf, size_t bufsz);
/* A tag-history item's tag, else NULL. */
const char *gc_item_tag(const struct gc_item *it);
/* Set in worker threads: the store's problems go there. */
extern _Thread_local struct gc_scan_problems *gc_scan_sink;
void gc_scan_record_problem(struct gc_scan_problems *sink, const char *path,
    int code, const char *message);

/* mark.c */
/* Keep the referrers of what repository repo keeps (its links from..to). */
int gc_keep_referrers(
    struct gc_run *run, uint32_t repo, int repo_fd, size_t from, size_t to);
int gc_mark(struct gc_run *run);
int gc_mark_from(struct gc_run *run, uint32_t repo, int repo_fd, uint32_t root);

/* manifests.c */
/*
 * The manifest id, loaded once for the run (*out NULL when it is no
 * manifest); 0 or an error.
 */
int gc_manifest_load(
    struct gc_run *run, uint32_t id, const struct gc_manifest **out);

/* A manifest already loaded, or NULL. */
static inline const struct gc_manifest *
gc_manifest_of(const struct gc_run *run, uint32_t id)
{
	return run->mf[id] == UINT32_MAX ? NULL : &run->manifests[run->mf[id]];
}

/* retain.c */
void gc_retain_init(
    struct gc_retain *r, const struct gc_run *run, uint32_t repo);
void gc_retain_release(struct gc_retain *r);
/* Push the roots of the tags that stay (all of them without a policy). */
int gc_retain_decide(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, uint32_t **roots, size_t *nroots, size_t *cap);
/* Whether the policy released manifest id here (only deleted tags named it). */
int gc_retain_released(const struct gc_retain *r, uint32_t id);
/*
 * Release untagged referrers of released manifests, and the manifests
 * attachment tags of released manifests name; drop them from roots.
 */
int gc_retain_referrers(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, size_t links_start, uint32_t *roots,
    size_t *nroots);
/*
 * Attachment tags: go with their released subject; the targets of the
 * others are appended to *roots, for the mark.
 */
int gc_retain_attachments(struct gc_retain *r, struct gc_run *run,
    const struct gc_tags *t, uint32_t **roots, size_t *nroots, size_t *cap);
/* Items for the deleted tags (none in a suspect repository). */
int gc_retain_finish(struct gc_retain *r, struct gc_run *run, const char *path,
    const struct gc_tags *t);

/* scan.c */
typedef int (*gc_scan_cb)(struct gc_run *run, struct gc_scan *scan);
/* Every repository, scanned by worker threads, handed to cb in order. */
int gc_scan_foreach(struct gc_run *run, gc_scan_cb cb);
/*
 * A manifest read and parsed ahead for the repository being replayed: 1
 * if taken (*out then owns what it holds), 0 if the mark must read it.
 */
int gc_scan_take_manifest(
    struct gc_run *run, const struct drydock_digest *d, struct gc_parsed *out);
void gc_scan_release(struct gc_scan *scan);
/* fn(i, arg) for every i < n, on up to jobs threads; DRYDOCK_EINTR. */
int gc_parallel_for(
    size_t n, int jobs, void (*fn)(size_t i, void *arg), void *arg);

/* parse.c */
/* 0 (p filled in, p->rc says whether it parsed) or DRYDOCK_ERROR (memory) */
int gc_parse_manifest(struct gc_parsed *p, const char *buf, size_t len);
void gc_parsed_release(struct gc_parsed *p);

/* plan.c */
int gc_plan(struct gc_run *run);

/* recheck.c */
int gc_recheck(struct gc_run *run);
/*
 * Keep manifest id of repository repo after all, as a root a push just
 * wrote: marked with all it reaches (GC_NEWMARK), the repository flagged
 * for gc_settle().
 */
int gc_keep_again(struct gc_run *run, uint32_t repo, uint32_t id);
/*
 * After more was kept (a racing push, a tag that could not be deleted):
 * the referrers of what is now kept, and the attachment tags of kept
 * subjects, are kept too, until nothing changes; then every planned item
 * that is now needed is cancelled.
 */
int gc_settle(struct gc_run *run);
/* Whether the re-check (or the sweep) found item it needed after all. */
int gc_item_needed(const struct gc_run *run, const struct gc_item *it);
/*
 * A tag planned for deletion, found at path (its own, or where the sweep
 * set it aside): 1 when its current/link is still what the policy decided
 * on, or is gone; 0 when it moved (its new target is then marked, so that
 * what it needs stays) or cannot be read; <0 on error.
 */
int gc_tag_unchanged(
    struct gc_run *run, const struct gc_item *it, const char *path);

/* sweep.c */
int gc_sweep(struct gc_run *run);

/* untag.c */
/* What gc_untag() returns for a tag that stays. */
#define GC_UNTAG_STAYS 1
/* Whether item it is what an interrupted tag removal left (GC_TAG_ASIDE). */
static inline int
gc_item_is_leftover(const struct gc_item *it)
{
	return it->kind == GC_KIND_TAG && it->reason == GC_REASON_TAG_LEFTOVER;
}
/*
 * The path of tag path ".../_manifests/tags/T" set aside,
 * ".../_manifests/.drydock-gc-tags/T" (to_aside 1), or the other way
 * round (to_aside 0).  -1 when path is not of that form or buf too small.
 */
int gc_tag_path_swap(char *buf, size_t bufsz, const char *path, int to_aside);
/* The repository whose aside directory (GC_TAG_ASIDE) the sweep is in. */
struct gc_aside {
	uint32_t repo; /* UINT32_MAX: none */
};
/*
 * Remove tag item it, or move it to qfd/qname when qfd >= 0 (*moved then
 * set): first renamed aside (into a's directory), looked at there once
 * more, then removed.  A tag that moved meanwhile, or whose history cannot
 * be removed, is put back.  0 (gone: removed, moved, or gone already);
 * GC_UNTAG_STAYS; or an error (the tag is then whole in tags/, or gone
 * from it).
 */
int gc_untag(struct gc_run *run, struct gc_aside *a, struct gc_item *it,
    int qfd, const char *qname, int *moved);
/* Leave a's directory, removed if empty; a holds none then. */
void gc_aside_close(struct gc_run *run, struct gc_aside *a);
/* Remove repository repo's GC_TAG_ASIDE directory if it is empty. */
void gc_untag_tidy(struct gc_run *run, uint32_t repo);
/*
 * --restore: a tag journaled but never moved, set aside by a run killed
 * before it moved it, back at tagpath.  0; DRYDOCK_ENOTFOUND when nothing
 * of it is aside; DRYDOCK_EEXISTS when tagpath exists (a push since).
 */
int gc_untag_put_back(struct drydock_store *st, const char *tagpath);

/* pins.c */
/* Read --pin FILE ("-": standard input) into pins; DRYDOCK_ECORRUPT. */
int gc_pins_read(struct gc_pins *pins, const char *file);
/* Sort the pins by repository, for gc_pins_lookup. */
int gc_pins_index(struct gc_pins *pins);
/* The pins naming repo: keys[*first], and as many as returned. */
size_t gc_pins_lookup(
    const struct gc_pins *pins, const char *repo, size_t *first);
void gc_pins_release(struct gc_pins *pins);
/* One more pin, as line of file (a plan's pins, read back). */
int gc_pins_add(
    struct gc_pins *pins, const char *text, const char *file, int line);
/* One reference in --pin form (why's REFs); messages say "FILE:LINE: ". */
int gc_pin_parse(
    struct gc_pin *p, const char *text, const char *file, int line);
void gc_pin_release(struct gc_pin *p);

/* trace.c */
/*
 * After repository repo is marked: the REFs it answers get their chain
 * (root first) and what became of them there.
 */
int gc_trace_repo(struct gc_run *run, uint32_t repo, const struct gc_tags *tags,
    const struct gc_retain *ret, size_t links_start,
    const struct gc_scan *scan);
void gc_trace_free(struct gc_trace *t);

/* holders.c */
/* After repository repo is marked: its holders and what each holds. */
int gc_holders_repo(struct gc_run *run, uint32_t repo,
    const struct gc_tags *tags, const struct gc_retain *ret,
    const uint32_t *roots, size_t nroots, size_t links_start);
void gc_holders_free(struct gc_holders *h);

/* du.c */
/* drydock-gc du ROOT: an exit code */
int gc_du(const struct gc_opts *opts, struct drydock_store *st);

/* planfile.c */
/* The fingerprint of what it removes: 0, or DRYDOCK_ENOTFOUND (gone). */
int gc_fingerprint(
    struct gc_run *run, const struct gc_item *it, struct gc_fp *fp);
/* drydock-gc plan: the plan, with fingerprints, to f. */
int gc_plan_write(struct gc_run *run, FILE *f);
/*
 * Read a plan: its items into pf, its options (-m, --grace, the policy
 * and the pins as they were) into o.  DRYDOCK_ECORRUPT for a file that is
 * no plan, with why.
 */
int gc_plan_read(struct gc_plan_file *pf, struct gc_opts *o, const char *path);
void gc_plan_file_release(struct gc_plan_file *pf);

/* apply.c */
/*
 * drydock-gc apply, after the store's own plan: cancel what the plan file
 * does not have, or has with another fingerprint; record why each of its
 * items that is not removed is left.
 */
int gc_apply_match(struct gc_run *run, struct gc_plan_file *pf);

/* query.c */
/*
 * A question about the store (why, du): the mark and plan of a dry run,
 * then answer(run, arg); the exit code.
 */
int gc_query(struct gc_run *run, int (*answer)(struct gc_run *run, void *arg),
    void *arg);
/*
 * A question's report, begun: the common head, the command, the root, -m,
 * --grace, the policy file, the problems and the exit code.
 */
json_t *gc_query_json(const struct gc_run *run, const char *command);

/* why.c */
/* drydock-gc why ROOT REF...: an exit code */
int gc_why(const struct gc_opts *opts, struct drydock_store *st);

/* restore.c */
int gc_restore(const struct gc_opts *opts, struct drydock_store *st);

/* duhtml.c */
/*
 * The space report as one self-contained HTML page at path, from du's
 * JSON reports by repository and by tag (all entries).
 */
int gc_du_html(const json_t *repos, const json_t *tags, const char *path);

/* report.c */
int gc_report(struct gc_run *run);
/* An item as the report (and a plan) lists it. */
json_t *gc_item_json(const struct gc_run *run, const struct gc_item *it);
/* The problems met, as the report lists them. */
json_t *gc_problems_json(const struct gc_run *run);
/* Write j (taken over) to dest ("-": standard output), whole or not at all. */
int gc_json_write(const char *dest, json_t *j);
int gc_metrics(struct gc_run *run);
/* One line to the system log, even under -q (fe/syslog.h). */
void gc_log_line(const struct gc_run *run);

#endif
