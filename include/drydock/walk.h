/* SPDX-License-Identifier: MIT */
/*
 * walk.h --- visit what a distribution store holds: repositories, tags,
 * tag history, revisions, layer links, uploads and blobs.
 *
 * Push style: each foreach calls cb for every item.  cb returns 0 to go on,
 * DRYDOCK_WALK_SKIP to skip an item's children (repositories), anything
 * else stops the walk and comes back unchanged.  Anomalies (symlinks,
 * names that are not digests, unreadable directories, stray files) are
 * reported through the store's problem callback and skipped: a walk never
 * stops because of one bad entry.  Items come in directory order; sort if
 * order matters.  All strings and fds in an info are borrowed for the call.
 */
#ifndef DRYDOCK_WALK_H
#define DRYDOCK_WALK_H

#include <stdint.h>

#include <drydock/common.h>
#include <drydock/digest.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drydock_store;

#define DRYDOCK_WALK_SKIP 1

enum drydock_walk_flags {
	/* read and parse each link file's content (else target is unset) */
	DRYDOCK_WALK_READ = 1 << 0,
	/*
	 * lstat each link file / blob data for size and mtime; without READ a
	 * link file is stat'ed by name (one fstatat beneath its <alg>
	 * directory, the <hex> component known from the listing to be a
	 * directory), never opened
	 */
	DRYDOCK_WALK_STAT = 1 << 1,
	/* report stray files the registry never writes as problems */
	DRYDOCK_WALK_CRUFT = 1 << 2,
	/*
	 * blobs: do not look inside blob directories (has_data is -1, size
	 * and mtime 0); the caller probes the few it cares about with
	 * drydock_store_blob_stat().  Ignored with DRYDOCK_WALK_CRUFT.  On a
	 * store whose listings carry sizes and times (S3) the walk fills them
	 * in anyway, as DRYDOCK_WALK_STAT would, since it costs no request:
	 * has_data is then 0 or 1.
	 */
	DRYDOCK_WALK_LAZY = 1 << 3,
	/*
	 * links: report each <alg>/<hex> directory by its name alone, without
	 * looking inside it (status 0, mtime 0, target unset): whether its
	 * link file exists, and what it holds, is the caller's to probe for
	 * the few it cares about (gc: links to blobs no manifest marked).
	 * READ and STAT are ignored with it.  On a store whose listings carry
	 * times (S3) status and mtime are filled in anyway, as STAT would:
	 * they cost no request.
	 */
	DRYDOCK_WALK_NAMES = 1 << 4,
	/*
	 * repositories: also call back for a directory below repositories/
	 * that holds nothing at all (has 0), the debris of an interrupted
	 * removal, so that a rerun can finish it
	 */
	DRYDOCK_WALK_EMPTY = 1 << 5,
	/*
	 * links: only <alg> sha256, the one distribution writes, its
	 * directory opened at once (an open, two getdents and a close less
	 * than listing the level above it): links under another algorithm,
	 * and strays beside sha256/, are not seen.  gc walks tag history so,
	 * where a missed entry only stays.  A sha256/ that cannot be opened
	 * (a symlink, a file) is walked as without the flag, and reported so.
	 */
	DRYDOCK_WALK_CANONICAL = 1 << 6
};

enum drydock_repo_has {
	DRYDOCK_REPO_MANIFESTS = 1 << 0, /* has _manifests (3.x marker) */
	DRYDOCK_REPO_LAYERS = 1 << 1, /* has _layers (2.8 marker) */
	DRYDOCK_REPO_UPLOADS = 1 << 2 /* has _uploads */
};

struct drydock_repo_info {
	const char *name; /* "library/ubuntu" */
	const char *path; /* "repositories/library/ubuntu" (relative to $V2) */
	int fd; /* the repository directory */
	unsigned has; /* enum drydock_repo_has */
};

/*
 * A link file: a revision, a layer link, a tag's current or a tag history
 * entry.  For directory-per-digest links (<alg>/<hex>/link), digest comes
 * from the path; for current/link it is unset (alg NONE).
 */
struct drydock_link_info {
	const char *path; /* the link file, relative to $V2 */
	const char *dir_path; /* its <alg>/<hex> directory */
	struct drydock_digest digest; /* from the path */
	struct drydock_digest target; /* the content (DRYDOCK_WALK_READ) */
	int status; /* 0; ENOTFOUND: dir without link; ECORRUPT: bad content */
	int64_t mtime_ns; /* DRYDOCK_WALK_STAT, else 0; of the link file, or of
	                     the directory when the link is missing */
};

struct drydock_tag_info {
	const char *name; /* the tag */
	const char *path; /* ".../_manifests/tags/<tag>" */
	struct drydock_link_info current; /* current/link, always read */
};

struct drydock_upload_info {
	const char *id; /* directory name (a UUID normally) */
	const char *path; /* ".../_uploads/<id>" */
	int64_t startedat; /* unix seconds from startedat, or -1 if missing
	                      or unparsable */
	int64_t mtime_ns; /* the upload directory's mtime */
	uint64_t size; /* size of data so far, 0 if none */
};

struct drydock_blob_info {
	const char *path; /* "blobs/<alg>/<hh>/<hex>" directory */
	struct drydock_digest digest; /* from the path */
	int has_data; /* data is a regular file; -1: not
	                 looked at (DRYDOCK_WALK_LAZY) */
	uint64_t size; /* DRYDOCK_WALK_STAT */
	int64_t mtime_ns; /* DRYDOCK_WALK_STAT: data's, or the
	                     directory's when data is missing */
	uint64_t inode; /* DRYDOCK_WALK_STAT: data's, 0 when
	                   unknown */
};

typedef int (*drydock_repo_cb)(
    const struct drydock_repo_info *repo, void *payload);
typedef int (*drydock_link_cb)(const struct drydock_repo_info *repo,
    const struct drydock_link_info *link, void *payload);
typedef int (*drydock_tag_cb)(const struct drydock_repo_info *repo,
    const struct drydock_tag_info *tag, void *payload);
typedef int (*drydock_upload_cb)(const struct drydock_repo_info *repo,
    const struct drydock_upload_info *up, void *payload);
typedef int (*drydock_blob_cb)(
    const struct drydock_blob_info *blob, void *payload);

/*
 * Every repository: a directory below repositories/ holding _manifests or
 * _layers (so both 3.x and 2.8 trees work).  Repositories nest; entries
 * starting with '_' are never descended into.  Depth-first, parents
 * before children.
 */
DRYDOCK_EXTERN int drydock_repo_foreach(struct drydock_store *st,
    unsigned flags, drydock_repo_cb cb, void *payload);

/*
 * Open one repository by name (for re-checks). Fill info; close info->fd.
 * On S3 the repository is listed whole first (nested ones too), and every
 * walk below info->fd is answered from that one listing.
 */
DRYDOCK_EXTERN int drydock_repo_open(struct drydock_repo_info *info_out,
    char **path_out, struct drydock_store *st, const char *name);

/*
 * A hint: drydock_repo_open() of each of these n repositories comes next.
 * On S3 they are listed now, neighbours in the bucket's order together: a
 * few listings of 1,000 keys in parallel instead of a listing of a few
 * dozen keys each (gc's re-check opens every repository once more, and
 * radosgw answers a page of 1,000 keys in about the time of one of 40).
 * Each open then answers from what was listed here, once; the next call
 * forgets what no open took.  Nothing on a filesystem.  Always 0: a
 * repository not listed here is listed by its open.
 */
DRYDOCK_EXTERN int drydock_repo_prefetch(
    struct drydock_store *st, const char *const *names, size_t n);

/* _manifests/tags/<tag>: current/link is read and stat'ed always. */
DRYDOCK_EXTERN int drydock_tag_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_tag_cb cb,
    void *payload);

/* _manifests/tags/<tag>/index/<alg>/<hex>/link: a tag's history. */
DRYDOCK_EXTERN int drydock_tag_history_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, const char *tag, unsigned flags,
    drydock_link_cb cb, void *payload);

/* _manifests/revisions/<alg>/<hex>/link */
DRYDOCK_EXTERN int drydock_revision_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_link_cb cb,
    void *payload);

/* _layers/<alg>/<hex>/link */
DRYDOCK_EXTERN int drydock_layer_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_link_cb cb,
    void *payload);

/* _uploads/<id>/ */
DRYDOCK_EXTERN int drydock_upload_foreach(struct drydock_store *st,
    const struct drydock_repo_info *repo, unsigned flags, drydock_upload_cb cb,
    void *payload);

/* blobs/<alg>/<hh>/<hex>/ for sha256 and sha512. */
DRYDOCK_EXTERN int drydock_blob_foreach(struct drydock_store *st,
    unsigned flags, drydock_blob_cb cb, void *payload);

/*
 * One of nshards parts of drydock_blob_foreach(): the <hh>/ directories
 * whose value modulo nshards is shard (the parts run in threads of their
 * own, which a single walk of the 256 directories cannot).  What is wrong
 * above <hh>/ is reported by part 0 alone.  Parts share no state of
 * their own, so they may run at once.
 */
DRYDOCK_EXTERN int drydock_blob_foreach_shard(struct drydock_store *st,
    unsigned flags, unsigned shard, unsigned nshards, drydock_blob_cb cb,
    void *payload);

#ifdef __cplusplus
}
#endif

#endif
