/* SPDX-License-Identifier: MIT */
/*
 * findings.h --- every finding drydock-fsck can report, in one table: a
 * stable ID (the JSON "id", the --ignore/--error argument, the man page's
 * entry), a default severity, its remedy (what -p does: the JSON
 * "repair", the "-p would ..." line and the repair repair.c makes) and
 * the sentence that says what is wrong.
 *
 * A finding that breaks an image (its "images" list is not empty) is a
 * problem whatever its default.  fsck/check-findings.sh checks that every
 * ID is explained in drydock-fsck.8, with its severity and its remedy;
 * IDs are never renamed or reused.
 */
#ifndef DRYDOCK_FSCK_FINDINGS_H
#define DRYDOCK_FSCK_FINDINGS_H

/*
 * What -p does for a finding (enum fsck_action).  A finding takes its
 * remedy from the table; a report may give another one where the finding
 * alone does not say (struct fsck_ctx.action).
 */
enum fsck_action {
	FSCK_ACT_DEFAULT = -1, /* struct fsck_ctx only: the table's remedy */
	FSCK_ACT_NONE = 0, /* left alone */
	FSCK_ACT_REWRITE, /* rewrite a link without its whitespace */
	FSCK_ACT_RELINK, /* create a missing link */
	FSCK_ACT_QUARANTINE, /* move a blob's data into quarantine */
	FSCK_ACT_QUARANTINE_RELINK, /* quarantine a bad link, write a good
	                               one from its path */
	FSCK_ACT_QUARANTINE_LINK /* quarantine a bad link whose path does not
	                            say what it must hold */
};

/* X(ID, SEVERITY, REMEDY, message) */
#define FSCK_FINDINGS(X)                                                       \
	/* content: blobs/ */                                                  \
	X(BLOB_DIGEST_MISMATCH, PROBLEM, QUARANTINE,                           \
	    "blob data does not match its digest")                             \
	X(BLOB_TRUNCATED, PROBLEM, QUARANTINE,                                 \
	    "blob data is shorter than its descriptors say and does not "      \
	    "match its digest")                                                \
	X(BLOB_EMPTY, PROBLEM, QUARANTINE,                                     \
	    "blob data is empty; only the empty blob may be")                  \
	X(BLOB_UNREADABLE, PROBLEM, NONE, "blob data cannot be read")          \
	X(BLOB_NO_DATA, WARNING, NONE, "blob directory without data")          \
	X(BLOB_UNREFERENCED, INFO, NONE,                                       \
	    "blob that no manifest, revision or layer link names")             \
	X(BLOB_STRAY, WARNING, NONE,                                           \
	    "entry under blobs/ that is not a blob (distribution's garbage "   \
	    "collector stops on it)")                                          \
	X(TEMP_FILE, INFO, NONE,                                               \
	    "leftover temporary file of an interrupted write")                 \
	/* manifests and what they reference */                                \
	X(BLOB_MISSING, PROBLEM, NONE,                                         \
	    "a manifest needs a blob whose data is missing")                   \
	X(MANIFEST_MISSING, PROBLEM, NONE,                                     \
	    "a revision or tag names a manifest whose data is missing")        \
	X(MANIFEST_UNPARSABLE, PROBLEM, NONE, "manifest does not parse")       \
	X(MANIFEST_TOO_LARGE, PROBLEM, NONE,                                   \
	    "manifest larger than the registry serves (4 MiB)")                \
	X(MANIFEST_UNSUPPORTED, WARNING, NONE,                                 \
	    "manifest of a type drydock does not "                             \
	    "know")                                                            \
	X(LAYER_LINK_MISSING, PROBLEM, RELINK,                                 \
	    "blob a manifest needs is not linked in the repository's _layers") \
	X(CHILD_NOT_LINKED, PROBLEM, RELINK,                                   \
	    "index child without a revision link in the repository")           \
	X(DESCRIPTOR_SIZE_MISMATCH, PROBLEM, NONE,                             \
	    "a descriptor's size differs from the blob's")                     \
	X(FOREIGN_LAYER_EXTERNAL, INFO, NONE,                                  \
	    "foreign layer whose data lives outside the registry")             \
	X(SUBJECT_MISSING, INFO, NONE,                                         \
	    "referrer whose subject is not in the repository")                 \
	/* tags, revisions, layer links */                                     \
	X(TAG_REVISION_MISSING, PROBLEM, NONE,                                 \
	    "tag names a manifest the repository has no revision of")          \
	X(TAG_NO_CURRENT, PROBLEM, NONE, "tag directory without current/link") \
	X(TAG_HISTORY_DANGLING, INFO, NONE,                                    \
	    "tag history entry names a manifest the repository no longer has") \
	X(REVISION_EMPTY_DIR, INFO, NONE,                                      \
	    "revision directory without link (left by a delete)")              \
	X(LAYER_LINK_DANGLING, INFO, NONE,                                     \
	    "layer link to a blob whose data is missing")                      \
	X(LAYER_LINK_EMPTY_DIR, INFO, NONE,                                    \
	    "layer link directory without link (left by a blob delete)")       \
	X(LINK_WHITESPACE, WARNING, REWRITE,                                   \
	    "link file with stray whitespace, which the registry rejects")     \
	X(LINK_UNPARSABLE, WARNING, QUARANTINE_RELINK,                         \
	    "link file does not hold a digest")                                \
	X(LINK_WRONG_TARGET, WARNING, QUARANTINE_RELINK,                       \
	    "link file names another digest than its path")                    \
	/* uploads and repositories */                                         \
	X(UPLOAD_STALE, WARNING, NONE, "upload older than the purge age")      \
	X(UPLOAD_NO_STARTEDAT, WARNING, NONE,                                  \
	    "upload without a readable startedat; the registry never purges "  \
	    "it")                                                              \
	X(UPLOAD_IN_PROGRESS, INFO, NONE, "upload in progress")                \
	X(REPO_EMPTY, INFO, NONE, "repository without tags or revisions")      \
	X(REPO_NO_LAYERS, WARNING, NONE,                                       \
	    "repository with revisions but no _layers: distribution 2.8 does " \
	    "not see it and its garbage collector sweeps its blobs")           \
	/* the tree itself */                                                  \
	X(SYMLINK, WARNING, NONE,                                              \
	    "symlink in the storage: not followed (the registry would)")       \
	X(SPECIAL_FILE, WARNING, NONE,                                         \
	    "not a regular file where the registry expects one")               \
	X(STRAY_FILE, WARNING, NONE,                                           \
	    "file or directory the registry never writes")                     \
	X(IO_ERROR, PROBLEM, NONE, "part of the storage cannot be read")

#define FSCK_ENUM_(id, sev, remedy, msg) FSCK_##id,
enum fsck_finding_id { FSCK_FINDINGS(FSCK_ENUM_) FSCK_FINDING_MAX };
#undef FSCK_ENUM_

enum fsck_severity {
	FSCK_SEV_INFO = 0,
	FSCK_SEV_WARNING = 1,
	FSCK_SEV_PROBLEM = 2,
	FSCK_SEV_IGNORE = -1 /* --ignore */
};

struct fsck_finding_def {
	const char *name; /* "BLOB_DIGEST_MISMATCH" */
	int severity; /* enum fsck_severity */
	int remedy; /* enum fsck_action */
	const char *message; /* what is wrong, lower case, no full stop */
};

extern const struct fsck_finding_def fsck_finding_defs[FSCK_FINDING_MAX];

#endif
