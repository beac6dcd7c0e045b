/* SPDX-License-Identifier: MIT */
/*
 * policy.h --- drydock-gc --policy FILE: retention rules that select tags
 * to delete (policy.c).  The file is read whole and checked before the
 * store is opened; evaluation is a pure function of a repository's tags,
 * so the mark (mark.c) and the unit tests call the same code.
 */
#ifndef GC_POLICY_H
#define GC_POLICY_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

enum gc_keep_kind { GC_KEEP_LAST = 0, GC_KEEP_WITHIN, GC_KEEP_TAGS };

/* One item of a policy's keep: list; the items are ORed. */
struct gc_keep_rule {
	int kind; /* enum gc_keep_kind */
	int line;
	long last; /* last: N */
	int64_t within; /* within: DUR, in seconds */
	char *text; /* the rule as written, for reports: "last: 10" */
	regex_t re; /* tags: ERE, anchored to the whole tag */
};

struct gc_policy {
	int line; /* where the policy's "- " is */
	char **repos; /* globs: '*' within a component, '**' across '/' */
	size_t nrepos;
	char *delete_text; /* delete: ERE as written */
	regex_t delete_re; /* anchored to the whole tag */
	struct gc_keep_rule *keep;
	size_t nkeep;
	int64_t untagged; /* untagged: DUR in seconds, or -1 when not set */
	int allow_empty; /* allow_empty: true */
};

struct gc_policies {
	char *path; /* the file, for messages */
	char *text; /* the file as read (a plan carries it) */
	struct gc_policy *v;
	size_t n;
};

/*
 * Read and check a policy file.  Everything in it must be understood: an
 * unknown or repeated key, a keep item with two rules, a bad glob, ERE,
 * number or duration refuses the whole file with DRYDOCK_ECORRUPT and a
 * message "FILE:LINE: why".  An unreadable file is DRYDOCK_ERROR.
 * Release with gc_policy_release().
 */
int gc_policy_read(struct gc_policies *out, const char *path);

/* The same from a buffer; name is used in messages. */
int gc_policy_parse(
    struct gc_policies *out, const char *buf, size_t len, const char *name);

void gc_policy_release(struct gc_policies *p);

/* 1 when repository name matches glob pat, else 0. */
int gc_glob_match(const char *pat, const char *name);

/* The first policy whose repositories match name (*index_out), or NULL. */
const struct gc_policy *gc_policy_match(
    const struct gc_policies *p, const char *name, size_t *index_out);

/* What became of a tag, and the rule that decided it. */
enum gc_tag_verdict {
	GC_TAG_UNTOUCHED = 0, /* not a candidate: the policy leaves it */
	GC_TAG_KEEP, /* a candidate kept */
	GC_TAG_DELETE /* a candidate that goes */
};

enum gc_tag_rule {
	GC_RULE_NONE = 0,
	GC_RULE_DELETE, /* the policy's delete: (GC_TAG_DELETE) */
	GC_RULE_KEEP, /* keep[keep] */
	GC_RULE_PIN, /* a --pin names the tag or its manifest */
	GC_RULE_GRACE, /* pushed within --grace, or during the run */
	GC_RULE_ALLOW_EMPTY, /* the repository's newest tag: allow_empty */
	GC_RULE_PROBLEM, /* the repository is suspect: nothing of it goes */
	GC_RULE_ATTACHMENT /* a signature tag of a manifest that goes */
};

/* One tag of a repository, as gc_policy_eval() sees it. */
struct gc_policy_tag {
	const char *name;
	int64_t pushed_ns; /* when current/link was last written */
	int pinned; /* a pin protects it */
	int young; /* within the grace period, or moved during the run */
	int attachment; /* sha256-<hex>[.sig|.att|.sbom]: never a candidate */
	/* out */
	int verdict; /* enum gc_tag_verdict */
	int rule; /* enum gc_tag_rule */
	int keep; /* GC_RULE_KEEP: index into the policy's keep */
};

/*
 * Decide every tag of one repository under pol: candidates are the tags
 * its delete: matches (attachments never are); a candidate is kept when
 * any keep rule holds (last: counts candidates by push time, newest
 * first), else when pinned or young, else it goes; without allow_empty,
 * when no tag would be left, the newest candidate stays.  now_ns is when
 * the run began.  Returns 0, or DRYDOCK_ERROR (out of memory).
 */
int gc_policy_eval(const struct gc_policy *pol, struct gc_policy_tag *tags,
    size_t n, int64_t now_ns);

/* Whether tag is an attachment tag (cosign, the referrers tag schema). */
int gc_policy_is_attachment(const char *tag);

/*
 * A rule (enum gc_tag_rule; keep: the keep rule's index) of policy index,
 * for reports: "policies[0].keep[1] last: 10".
 */
void gc_policy_rule_format(char *buf, size_t bufsz, const struct gc_policies *p,
    size_t index, int rule, int keep);

#endif
