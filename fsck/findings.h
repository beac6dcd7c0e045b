/* SPDX-License-Identifier: MIT */
/*
 * findings.h --- every finding drydock-fsck can report, in one table: a
 * stable ID (the JSON "id", the --ignore/--error argument, the man page's
 * entry), a default severity and the sentence that says what is wrong.
 *
 * A finding that breaks an image (its "images" list is not empty) is a
 * problem whatever its default.  fsck/check-findings.sh checks that every
 * ID is explained in drydock-fsck.8; IDs are never renamed or reused.
 */
#ifndef DRYDOCK_FSCK_FINDINGS_H
#define DRYDOCK_FSCK_FINDINGS_H

/* X(ID, SEVERITY, message) */
#define FSCK_FINDINGS(X)                                                       \
	/* content: blobs/ */                                                  \
	X(BLOB_DIGEST_MISMATCH, PROBLEM,                                       \
	    "blob data does not match its digest")                             \
	X(BLOB_TRUNCATED, PROBLEM,                                             \
	    "blob data is shorter than its descriptors say and does not "      \
	    "match its digest")                                                \
	X(BLOB_EMPTY, PROBLEM,                                                 \
	    "blob data is empty; only the empty blob may be")                  \
	X(BLOB_UNREADABLE, PROBLEM, "blob data cannot be read")                \
	X(BLOB_NO_DATA, WARNING, "blob directory without data")                \
	X(BLOB_UNREFERENCED, INFO,                                             \
	    "blob that no manifest, revision or layer link names")             \
	X(BLOB_STRAY, WARNING,                                                 \
	    "entry under blobs/ that is not a blob (distribution's garbage "   \
	    "collector stops on it)")                                          \
	X(TEMP_FILE, INFO, "leftover temporary file of an interrupted write")  \
	/* manifests and what they reference */                                \
	X(BLOB_MISSING, PROBLEM,                                               \
	    "a manifest needs a blob whose data is missing")                   \
	X(MANIFEST_MISSING, PROBLEM,                                           \
	    "a revision or tag names a manifest whose data is missing")        \
	X(MANIFEST_UNPARSABLE, PROBLEM, "manifest does not parse")             \
	X(MANIFEST_TOO_LARGE, PROBLEM,                                         \
	    "manifest larger than the registry serves (4 MiB)")                \
	X(MANIFEST_UNSUPPORTED, WARNING,                                       \
	    "manifest of a type drydock does not "                             \
	    "know")                                                            \
	X(LAYER_LINK_MISSING, PROBLEM,                                         \
	    "blob a manifest needs is not linked in the repository's _layers") \
	X(CHILD_NOT_LINKED, PROBLEM,                                           \
	    "index child without a revision link in the repository")           \
	X(DESCRIPTOR_SIZE_MISMATCH, PROBLEM,                                   \
	    "a descriptor's size differs from the blob's")                     \
	X(FOREIGN_LAYER_EXTERNAL, INFO,                                        \
	    "foreign layer whose data lives outside the registry")             \
	X(SUBJECT_MISSING, INFO,                                               \
	    "referrer whose subject is not in the repository")                 \
	/* tags, revisions, layer links */                                     \
	X(TAG_REVISION_MISSING, PROBLEM,                                       \
	    "tag names a manifest the repository has no revision of")          \
	X(TAG_NO_CURRENT, PROBLEM, "tag directory without current/link")       \
	X(TAG_HISTORY_DANGLING, INFO,                                          \
	    "tag history entry names a manifest the repository no longer has") \
	X(REVISION_EMPTY_DIR, INFO,                                            \
	    "revision directory without link (left by a delete)")              \
	X(LAYER_LINK_DANGLING, INFO,                                           \
	    "layer link to a blob whose data is missing")                      \
	X(LAYER_LINK_EMPTY_DIR, INFO,                                          \
	    "layer link directory without link (left by a blob delete)")       \
	X(LINK_WHITESPACE, WARNING,                                            \
	    "link file with stray whitespace, which the registry rejects")     \
	X(LINK_UNPARSABLE, WARNING, "link file does not hold a digest")        \
	X(LINK_WRONG_TARGET, WARNING,                                          \
	    "link file names another digest than its path")                    \
	/* uploads and repositories */                                         \
	X(UPLOAD_STALE, WARNING, "upload older than the purge age")            \
	X(UPLOAD_NO_STARTEDAT, WARNING,                                        \
	    "upload without a readable startedat; the registry never purges "  \
	    "it")                                                              \
	X(UPLOAD_IN_PROGRESS, INFO, "upload in progress")                      \
	X(REPO_EMPTY, INFO, "repository without tags or revisions")            \
	X(REPO_NO_LAYERS, WARNING,                                             \
	    "repository with revisions but no _layers: distribution 2.8 does " \
	    "not see it and its garbage collector sweeps its blobs")           \
	/* the tree itself */                                                  \
	X(SYMLINK, WARNING,                                                    \
	    "symlink in the storage: not followed (the registry would)")       \
	X(SPECIAL_FILE, WARNING,                                               \
	    "not a regular file where the registry expects one")               \
	X(STRAY_FILE, WARNING, "file or directory the registry never writes")  \
	X(IO_ERROR, PROBLEM, "part of the storage cannot be read")

#define FSCK_ENUM_(id, sev, msg) FSCK_##id,
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
	const char *message; /* what is wrong, lower case, no full stop */
};

extern const struct fsck_finding_def fsck_finding_defs[FSCK_FINDING_MAX];

#endif
