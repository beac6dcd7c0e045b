/* SPDX-License-Identifier: MIT */
/*
 * migrate.h --- drydock-migrate's internal interfaces.  main.c runs the
 * phases in order: the source catalogue (source.c), or an archive read
 * into the destination (ociarchive.c, dockerimport.c); the selection and
 * copy of images (copy.c, converting with convert.c), or a docker-archive
 * export (dockerarchive.c), all written through the destination writers
 * (dest.c); the verification (verify.c); the report (report.c).  Calls
 * go one way, down these layers: main.c; verify.c; dockerimport.c;
 * copy.c, ociarchive.c, dockerarchive.c; convert.c, dest.c, source.c,
 * report.c; run.c, the run's state and the helpers every phase shares.
 */
#ifndef DRYDOCK_MIGRATE_H
#define DRYDOCK_MIGRATE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <drydock/archive.h>
#include <drydock/blobcopy.h>
#include <drydock/drydock.h>

#include "fe/array.h"
#include "fe/clock.h"
#include "fe/err.h"
#include "fe/exit.h"
#include "fe/options.h"
#include "fe/outfile.h"
#include "fe/progress.h"
#include "fe/signals.h"
#include "migrate/dref.h"
#include <drydock/ocilayout.h>
#include <drydock/regwrite.h>

#include <jansson.h>

#define MIG_NAME "drydock-migrate"

struct mig_run;

/* Opens the bytes of a blob to push, when they are needed: *fd_out. */
typedef int (*mig_open_cb)(int *fd_out, void *ctx);

enum mig_loc_type {
	MIG_LOC_REGISTRY = 0,
	MIG_LOC_OCI,
	MIG_LOC_OCI_ARCHIVE,
	MIG_LOC_DOCKER_ARCHIVE,
	MIG_LOC_DOCKER /* docker://HOST/REPO: the registry API */
};

struct mig_loc {
	int type; /* enum mig_loc_type */
	/*
	 * after the "type:" prefix (borrowed from argv); a registry's
	 * rootdirectory from its config, or "s3://BUCKET/ROOT" when cfg
	 * names a bucket
	 */
	const char *path;
	const char *spec; /* the whole argument */
	/* registry:CONFIG.yml whose storage is s3 (borrowed), else NULL */
	const struct drydock_regconfig *cfg;
	char *name; /* "s3://BUCKET/ROOT" (owned by main.c) */
};

struct mig_opts {
	struct fe_common com; /* -q, -v, --json, --metrics, --progress */
	struct mig_loc src, dst;
	const char **repos; /* --repo, repeatable */
	size_t nrepos;
	const char **images; /* --image NAME:TAG or NAME@DIGEST */
	size_t nimages;
	char *skopeo_path; /* DIR of a source given as oci:DIR:REF */
	const char *platform; /* --platform os/arch[/variant] */
	int all_tags; /* --all-tags */
	int untagged; /* --untagged */
	int to_oci_types; /* --to-oci-types */
	int compress; /* --compress (docker-archive import) */
	int verify; /* --verify, or the verify subcommand */
	int verify_only; /* the verify subcommand */
	int link_mode; /* enum drydock_blobcopy_mode */
	int dry_run; /* -n: select and list, write nothing */
	/* docker:// sides */
	const char *src_creds, *dst_creds; /* --src-creds, --dest-creds,
	                                      --creds: USER:PASSWORD */
	const char *authfile; /* --authfile */
	const char *src_cert_dir, *dst_cert_dir; /* --src-cert-dir, ... */
	int src_tls_verify, dst_tls_verify; /* --src-tls-verify=BOOL, ... */
	int jobs; /* -j: parallel transfers */
	int all_repos; /* --all-repositories: a docker://HOST/ source's
	                  _catalog */
};

/* --- the source: a catalogue of names ------------------------------------ */

/* A name the source holds: a tag, or a manifest no tag names. */
struct mig_entry {
	char *repo;
	char *tag; /* NULL: untagged (a revision, or an unnamed entry) */
	struct drydock_digest digest;
	int64_t size; /* from index.json, -1 when unknown */
	int rooted; /* chosen as an image of this run */
	/* referrer search, filled on demand */
	int subject_state; /* 0 unread, 1 has subject, 2 none or unreadable */
	struct drydock_digest subject;
};

struct mig_remote;

struct mig_source {
	int type; /* enum mig_loc_type (archives are read into a directory
	             type before they become a source) */
	struct drydock_store *st;
	struct drydock_ocilayout *lay;
	struct mig_remote *rem; /* docker:// */
	struct mig_entry *entries; /* sorted by repo, tag (untagged last) */
	size_t n, cap;
};

int mig_source_open(
    struct mig_source *src, const struct mig_loc *loc, struct mig_run *run);
/*
 * Open a registry location read-only or (flags DRYDOCK_STORE_CREATE) for
 * writing: its root, or the bucket its config names.
 */
int mig_store_open(struct drydock_store **out, const struct mig_loc *loc,
    unsigned flags, struct mig_run *run);
/* A source over a store or layout opened elsewhere (borrowed). */
int mig_source_from_store(
    struct mig_source *src, struct drydock_store *st, struct mig_run *run);
int mig_source_from_layout(
    struct mig_source *src, struct drydock_ocilayout *lay, struct mig_run *run);
/*
 * A catalogue from an index.json (borrowed) whose blobs are read from st
 * when not NULL, else from lay: an archive streamed into a destination.
 */
int mig_source_from_index(struct mig_source *src,
    struct drydock_ocilayout_index *idx, struct drydock_store *st,
    struct drydock_ocilayout *lay, struct mig_run *run);
void mig_source_release(struct mig_source *src, int owned);
/* Add a name (strings copied); sort once after the last one. */
int mig_source_add(struct mig_source *src, const char *repo, const char *tag,
    const struct drydock_digest *d, int64_t size);
void mig_source_sort(struct mig_source *src);

/*
 * fd of a blob (close it), DRYDOCK_ENOTFOUND, ...; DRYDOCK_EUNSUPPORTED
 * from a docker:// source (copy.c pulls its blobs into place)
 */
int mig_source_blob_open(
    struct mig_source *src, const struct drydock_digest *d);
/*
 * The bytes of blob d in a regular file, for readers that need its size
 * first or read it more than once (pushes, docker-archive layers): the
 * source's own file, or, for a stream (a blob from S3), an unnamed
 * temporary file in $TMPDIR (else /var/tmp) it is copied into, checked
 * against d and size (-1: unknown).  *fd_out: close it.
 */
int mig_source_blob_open_file(int *fd_out, struct mig_source *src,
    const struct drydock_digest *d, int64_t size);
/* A manifest of repo: read (at most 4 MiB) and its digest checked. */
int mig_source_manifest_read(char **buf_out, size_t *len_out,
    struct mig_source *src, const char *repo, const struct drydock_digest *d);
/* An untagged entry of repo with digest d, before the sort (linear). */
struct mig_entry *mig_source_find(
    struct mig_source *src, const char *repo, const struct drydock_digest *d);
/* The entry of repo:tag (tag NULL: the untagged entry of digest d). */
struct mig_entry *mig_source_lookup(struct mig_source *src, const char *repo,
    const char *tag, const struct drydock_digest *d);

/*
 * "[HOST/]REPO:TAG" into *repo_out and *tag_out (new), HOST dropped when
 * drop_host.  @return 1 when ref names no tag.
 */
int mig_split_ref(
    char **repo_out, char **tag_out, const char *ref, int drop_host);

/* --- the destination ------------------------------------------------------ */

struct mig_pending {
	char *repo;
	char *tag; /* tags only */
	struct drydock_digest digest;
	int kind; /* MIG_PEND_* */
	char *media_type; /* index entries */
	int64_t size;
};

enum { MIG_PEND_LAYER = 0, MIG_PEND_REVISION, MIG_PEND_TAG, MIG_PEND_ROOT };

struct mig_dest {
	int type; /* enum mig_loc_type */
	const char *path;
	struct drydock_store *st;
	struct drydock_ocilayout *lay;
	/*
	 * docker://: the client; where each blob went (for mounts) and
	 * which (repository, blob) the registry has, under lock
	 */
	struct mig_remote *rem;
	pthread_mutex_t lock;
	struct drydock_digestmap *pushed; /* (repo, digest) */
	struct drydock_digestmap *home; /* digest -> index in homes */
	char **homes;
	size_t nhomes, caphomes;
	uint64_t chunk; /* upload chunk size, 0: monolithic */
	uint64_t mounted, uploaded, uploaded_bytes;
	uint64_t manifests; /* PUT */
	/*
	 * archives: the tar, written to a temporary file beside path and
	 * renamed into place, or streamed to "-", a FIFO or a device
	 */
	struct drydock_archive_writer *aw;
	struct drydock_outfile out;
	int to_stdout; /* the archive takes stdout: the summary moves */
	struct drydock_digestmap *written; /* blobs in the archive */
	uint64_t archived, archived_bytes; /* blobs written into it */
	int finished; /* mig_dest_finish() done: every image complete */
	/* metadata written after every blob, at finish */
	struct mig_pending *pend;
	size_t npend, cappend;
	/*
	 * a registry in an object store (S3): blobs that arrive in pieces
	 * (archives, pulls) are committed into a local directory first,
	 * then uploaded (mig_dest_blob_staged)
	 */
	int stage_fd; /* -1 until the first */
	char *stage_path;
	/*
	 * S3 to S3 on one endpoint with the same credentials: blobs are
	 * copied by the server from this store (borrowed: the source's)
	 * of this bucket; NULL: through this host
	 */
	struct drydock_store *copy_from;
	const char *copy_bucket;
};

int mig_dest_open(
    struct mig_dest *dst, const struct mig_loc *loc, struct mig_run *run);
/* Place a blob read from src_fd.  how_out: enum drydock_blobcopy_how. */
int mig_dest_put_blob(struct mig_run *run, int *how_out, int src_fd,
    const struct drydock_digest *d, int64_t size);
/*
 * The repository at the destination for repo of the source: the one a
 * docker://HOST/REPO names, else repo.
 */
const char *mig_dest_repo(struct mig_run *run, const char *repo);
/*
 * docker:// destination: a blob of repo (source's name) from fd, unless
 * the registry has it; mounted from another repository that got it in
 * this run.  how_out: MIG_PUSH_*.
 */
int mig_dest_push_blob(struct mig_run *run, int *how_out, const char *repo,
    const struct drydock_digest *d, int64_t size, mig_open_cb open_cb,
    void *ctx);
/* 1 when the docker:// destination is known to hold (repo, d) */
int mig_dest_pushed(
    struct mig_run *run, const char *repo, const struct drydock_digest *d);
/*
 * A manifest of repo (source's name): at a docker:// destination PUT by
 * tag (the destination's tag when it names one) or by digest; elsewhere
 * mig_dest_put_buffer().
 */
int mig_dest_put_manifest(struct mig_run *run, int *how_out, const char *repo,
    const char *tag, const char *media_type, const char *buf, size_t len,
    const struct drydock_digest *d);
/* Place a manifest (or any blob held in memory). */
int mig_dest_put_buffer(struct mig_run *run, int *how_out, const char *buf,
    size_t len, const struct drydock_digest *d);
/*
 * The directory blob d goes into at a registry root or an OCI layout
 * (made when missing), and in name (DRYDOCK_DIGEST_STRMAX bytes) its
 * name there.  *owned: 1 when the caller closes the descriptor.
 */
int mig_dest_blob_dir(struct mig_dest *dst, const struct drydock_digest *d,
    char *name, int *owned);
/*
 * The local directory ($TMPDIR, else /var/tmp; made at the first call,
 * removed with the destination) where blobs for an object store are
 * committed before their upload: an fd the destination keeps.
 */
int mig_dest_stage_dir(struct mig_dest *dst);
/*
 * After a blob was committed into the directory mig_dest_blob_dir() gave:
 * when that was the local staging directory of an object store, upload
 * it from there (checked again) and remove it.  0 otherwise.
 */
int mig_dest_blob_staged(struct mig_run *run, int dfd, const char *name,
    const struct drydock_digest *d);
/*
 * Copy blob d from the source on the object store's server (dst->copy_from):
 * 1 when done (or present), 0 when it must come through this host (no
 * such source, too large for one CopyObject), or an error.
 */
int mig_dest_server_copy(struct mig_run *run, int *how_out,
    const struct drydock_digest *d, int64_t size);
/*
 * 1 when two registry configs name S3 buckets on one endpoint with the
 * same credentials: one can copy from the other on the server.
 */
int mig_same_s3(
    const struct drydock_regconfig *a, const struct drydock_regconfig *b);
/*
 * After a failed write of blob d into a registry root: its directory,
 * when empty, goes (the error is kept).
 */
void mig_dest_blob_abandon(struct mig_run *run, const struct drydock_digest *d);
/* 1 when the destination holds the blob already (size checked). */
int mig_dest_has_blob(
    struct mig_run *run, const struct drydock_digest *d, int64_t size);
int mig_dest_queue(struct mig_run *run, int kind, const char *repo,
    const char *tag, const struct drydock_digest *d, const char *media_type,
    int64_t size);
/* Write the queued metadata (links, tags, index.json); close archives. */
int mig_dest_finish(struct mig_run *run);
void mig_dest_release(struct mig_dest *dst);

/* --- the run (run.c) --------------------------------------------------- */

enum mig_root_why { MIG_WHY_TAG = 0, MIG_WHY_REFERRER, MIG_WHY_UNTAGGED };
enum mig_root_status { MIG_OK = 0, MIG_FAILED, MIG_SKIPPED, MIG_PLANNED };

/* One image carried: a tag, a referrer or an untagged manifest. */
struct mig_root {
	struct mig_entry *e; /* borrowed from the source catalogue */
	int why; /* enum mig_root_why */
	int status; /* enum mig_root_status */
	char *error;
	char *media_type; /* of the top manifest (as stored) */
	int64_t size;
	struct drydock_digest dest_digest; /* differs after a conversion */
	char *dest_media_type;
	int lossy; /* docker-archive */
	char *archive_name; /* docker-archive: the RepoTag, when it is not
	                       repository:tag (a host added or dropped) */
	char *note; /* what a lossy conversion changed */
	uint64_t nblobs, bytes;
	int verified; /* 1 ok, -1 failed, 0 not checked */
	char *verify_error;
};

/* A manifest digest that a conversion changed. */
struct mig_change {
	struct drydock_digest from, to;
	int64_t size; /* of the converted manifest */
	char *from_type, *to_type;
};

struct mig_run {
	struct mig_opts *o;
	struct mig_source src;
	int src_owned; /* src's store or layout is closed with the run */
	struct mig_dest dst;
	struct drydock_blobcopy *bc;
	struct mig_root *roots;
	size_t nroots, caproots;
	/* keys: sha256 of "repo\0digest" (per repository), or the digest */
	struct drydock_digestmap *placed; /* blobs placed at the destination */
	struct drydock_digestmap *repo_done; /* (repo, manifest) copied */
	struct drydock_digestmap *repo_linked; /* (repo, blob) link queued */
	struct drydock_digestmap *conv; /* from -> index into changes */
	struct mig_change *changes;
	size_t nchanges, capchanges;
	char **problems;
	size_t nproblems, capproblems;
	uint64_t foreign_skipped;
	/* a docker:// source: what came over the network */
	uint64_t pulled, pulled_bytes;
	int failures; /* names not found, bad bytes sent into an archive */
	int verify_failures;
	int verify_ran;
	int interrupted;
	double seconds, verify_seconds;
	int64_t start_real_ns; /* CLOCK_REALTIME at the start, for the report */
	int exit_code;
	char *error; /* what stopped the run, for the report */
	int stop_error; /* its code (DRYDOCK_E*), or 0 */
	/* oci-archive import: its index.json, the catalogue's origin */
	struct drydock_ocilayout_index *src_index;
};

extern volatile sig_atomic_t mig_stop;

int mig_run_init(struct mig_run *run, struct mig_opts *o);
/*
 * Free the run's own state.  Its destination and source belong to dest.c
 * and source.c: release them first (mig_dest_release, mig_source_release).
 */
void mig_run_release(struct mig_run *run);
void mig_problem(struct mig_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What --verify found of an image: why it failed, or "" when it passed. */
void mig_root_verified(
    struct mig_run *run, struct mig_root *r, const char *why);
/*
 * 1 when the last error leaves the destination unwritable: out of space
 * or quota, a read-only file system, a stream's reader gone.  Every later
 * image would fail the same way, so the run stops (exit 8) instead of
 * failing images one by one (exit 4), and wrappers pass the error up
 * unchanged.
 */
int mig_error_fatal(void);
/*
 * The next bytes of r's entry (len 0 at its end), or DRYDOCK_EINTR once a
 * signal came: a layer decompressed chunk by chunk stops between chunks.
 */
int mig_read_data(
    const void **buf_out, size_t *len_out, struct drydock_archive_reader *r);
/* A per-repository key for the digestmaps above. */
void mig_repo_key(struct drydock_digest *out, const char *repo,
    const struct drydock_digest *d);
char *mig_strdup(const char *s);
/*
 * fn(ctx, i) for every i below n on up to jobs threads; the first
 * negative value stops the others between items and comes back.
 */
int mig_parallel(size_t n, int jobs, int (*fn)(void *ctx, size_t i), void *ctx);
int mig_oom(void);

/* remote.c: a docker:// location, its client, catalogue and pulls */

/* A client for loc, with the credentials of its side (dest 1 or 0). */
int mig_remote_open(struct mig_remote **out, struct mig_run *run,
    const struct mig_loc *loc, int dest);
void mig_remote_free(struct mig_remote *r);
const struct mig_dref *mig_remote_ref(const struct mig_remote *r);
/* The client (borrowed), for push.c. */
struct drydock_http *mig_remote_http(const struct mig_remote *r);
/* "HOST/REPO:TAG", or "HOST/REPO@DIGEST" when tag is NULL, for messages */
void mig_remote_what(char *buf, size_t sz, const struct mig_remote *r,
    const char *repo, const char *tag, const struct drydock_digest *d);
/* The names of the location: its tag(s) or digest, and their referrers. */
int mig_remote_catalogue(
    struct mig_source *src, struct mig_remote *r, struct mig_run *run);
/* The digest and size of repo:tag (HEAD, else the manifest hashed). */
int mig_remote_resolve(struct mig_remote *r, struct drydock_digest *d_out,
    int64_t *size_out, const char *repo, const char *tag);
/* A manifest of repo by digest, checked (cached: a copy each time). */
int mig_remote_manifest_read(char **buf_out, size_t *len_out,
    struct mig_remote *r, const char *repo, const struct drydock_digest *d);
/*
 * Pull a blob into directory dfd as name (mig_dest_blob_dir says where)
 * through bc (one per thread): hashed as it comes, named only when it
 * matches.  *bytes_out: the bytes that came over the network.
 */
int mig_remote_pull_blob(struct mig_remote *r, struct drydock_blobcopy *bc,
    const char *repo, const struct drydock_descriptor *desc, int dfd,
    const char *name, uint64_t *bytes_out);
/*
 * Pull a blob into an unnamed temporary file ($TMPDIR or /var/tmp),
 * checked against its digest: *fd_out (close it).
 */
int mig_remote_fetch(struct mig_remote *r, const char *repo,
    const struct drydock_descriptor *desc, int *fd_out, uint64_t *bytes_out);

/* push.c: a docker:// destination */

/* 1 when repo has blob d (of size, unless -1), 0 when not, or an error */
int mig_remote_blob_exists(struct mig_remote *r, const char *repo,
    const struct drydock_digest *d, int64_t size);
enum { MIG_PUSH_PRESENT = 0, MIG_PUSH_MOUNTED, MIG_PUSH_UPLOADED };
/*
 * Upload size bytes as blob d of repo: mounted from repository from when
 * not NULL (and the registry does it), else POST then one PUT, or PATCHes
 * of chunk bytes (chunk > 0) and a PUT, the bytes from open_cb's file
 * (closed here).  *how_out: MIG_PUSH_*.
 */
int mig_remote_push_blob(struct mig_remote *r, int *how_out, const char *repo,
    const struct drydock_digest *d, int64_t size, const char *from,
    uint64_t chunk, mig_open_cb open_cb, void *ctx);
/* PUT a manifest's bytes as they are, by tag (or digest when NULL). */
int mig_remote_push_manifest(struct mig_remote *r, const char *repo,
    const char *tag, const char *media_type, const char *buf, size_t len,
    const struct drydock_digest *d);

/* copy.c */
int mig_select(struct mig_run *run);
int mig_copy(struct mig_run *run);

/* convert.c: Docker schema2 / list -> OCI, as skopeo converts */
int mig_convert_to_oci(struct mig_run *run, char **buf_out, size_t *len_out,
    struct drydock_digest *d_out, const char *buf, size_t len,
    const char *repo);

/*
 * An OCI index whose children were converted: the same index with their
 * new descriptors.  @return 1 and a new buffer, 0 when nothing changed.
 */
int mig_convert_children(struct mig_run *run, char **buf_out, size_t *len_out,
    struct drydock_digest *d_out, const char *buf, size_t len);

/* ociarchive.c: oci-archive in, and its verification */
/*
 * Open the destination and stream an oci-archive's blobs into it (each
 * one checked against its name); run->src becomes the archive's
 * index.json over the destination's blobs.
 */
int mig_archive_import(struct mig_run *run);
/*
 * verify against an oci-archive destination (streamed); mig_verify()
 * times it
 */
int mig_oci_archive_verify(struct mig_run *run);

/* dockerarchive.c, dockerimport.c */
#define MIG_DOCKER_JSON_MAX (16u << 20) /* manifest.json, configs */
/* rootfs.diff_ids of a config (a new reference) */
int mig_docker_diff_ids(json_t **out, const char *cfg, size_t len);
/*
 * The RepoTag (tag NULL: the repositories key) that docker and our import
 * both read back as repo.  @return 1 when it has a host before repo.
 */
int mig_docker_repotag(char *buf, size_t sz, const char *repo, const char *tag);
/* 1 and *d when a name carries a digest (<hex>.json, <hex>.tar, ...) */
int mig_docker_name_digest(struct drydock_digest *d, const char *name);
/*
 * Open the destination, write every image and name it (mig_dest_finish);
 * main.c runs --verify afterwards.
 */
int mig_docker_export(struct mig_run *run);
int mig_docker_import(struct mig_run *run);

/* verify.c */
int mig_verify(struct mig_run *run);

/* report.c */
/* One line to the system log, even under -q (fe/syslog.h). */
void mig_log_line(const struct mig_run *run);
int mig_report(struct mig_run *run);

#endif
