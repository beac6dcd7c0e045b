/* SPDX-License-Identifier: MIT */
/*
 * reasons.h --- what drydock-gc removes: the kinds of item and the reasons
 * each goes, one table each.  The tables make the enums, the names in the
 * report, the journal and the metrics, and the man page's list, which
 * gc/check-reasons.sh holds to this file.
 */
#ifndef GC_REASONS_H
#define GC_REASONS_H

/* X(ID, name) */
#define GC_KINDS(X)                                                            \
	X(BLOB, "blob")                                                        \
	X(LAYER_LINK, "layer-link")                                            \
	X(REVISION, "revision")                                                \
	X(TAG_HISTORY, "tag-history")                                          \
	X(UPLOAD, "upload")                                                    \
	X(REPOSITORY, "repository")                                            \
	X(TAG, "tag")

/* X(ID, name, KIND): why an item of KIND goes */
#define GC_REASONS(X)                                                          \
	X(UNREFERENCED, "unreferenced", BLOB)                                  \
	X(EMPTY_BLOB_DIR, "empty-blob-dir", BLOB)                              \
	X(BLOB_REMOVED, "blob-removed", LAYER_LINK)                            \
	X(BLOB_MISSING, "blob-missing", LAYER_LINK)                            \
	X(EMPTY_LINK_DIR, "empty-link-dir", LAYER_LINK)                        \
	X(UNTAGGED_REVISION, "untagged", REVISION)                             \
	X(EMPTY_REVISION_DIR, "empty-revision-dir", REVISION)                  \
	X(UNTAGGED_HISTORY, "untagged", TAG_HISTORY)                           \
	X(DANGLING_HISTORY, "dangling-history", TAG_HISTORY)                   \
	X(STALE_UPLOAD, "stale-upload", UPLOAD)                                \
	X(INTERRUPTED_REMOVAL, "interrupted-removal", UPLOAD)                  \
	X(EMPTY_REPOSITORY, "empty-repository", REPOSITORY)                    \
	X(POLICY, "policy", TAG)                                               \
	X(ATTACHMENT, "attachment", TAG)                                       \
	X(TAG_LEFTOVER, "interrupted-removal", TAG)

#define GC_KIND_ENUM_(id, name) GC_KIND_##id,
enum gc_kind { GC_KINDS(GC_KIND_ENUM_) GC_KIND_MAX };
#undef GC_KIND_ENUM_

#define GC_REASON_ENUM_(id, name, kind) GC_REASON_##id,
enum gc_reason { GC_REASONS(GC_REASON_ENUM_) GC_REASON_MAX };
#undef GC_REASON_ENUM_

/* The name of a kind or a reason ("unknown" out of range). */
const char *gc_kind_name(int kind);
const char *gc_reason_name(int reason);

#endif
