/* SPDX-License-Identifier: MIT */
/*
 * test_policy.c --- drydock-gc's policy files (gc/policy.c): what parses,
 * what is refused (as a whole, with the line and the reason), repository
 * globs, and the decisions for a repository's tags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include <drydock/drydock.h>

#include "gc/policy.h"

#define SEC 1000000000LL
#define DAY (86400 * SEC)

static int
parse(struct gc_policies *p, const char *text)
{
	return gc_policy_parse(p, text, strlen(text), "p.yml");
}

/* text is refused, and the message has "p.yml:LINE: " and why */
static void
refused(const char *text, int line, const char *why)
{
	struct gc_policies p;
	char want[32];
	int rc = parse(&p, text);

	if (rc != DRYDOCK_ECORRUPT)
		fail_msg("accepted (rc %d): %s", rc, text);
	snprintf(want, sizeof(want), "p.yml:%d: ", line);
	if (strstr(drydock_error_message(), want) == NULL ||
	    strstr(drydock_error_message(), why) == NULL)
		fail_msg("message '%s' lacks '%s' or '%s'",
		    drydock_error_message(), want, why);
	assert_int_equal(p.n, 0);
	assert_null(p.v);
}

static void
test_policy__full(void **state)
{
	struct gc_policies p;
	const struct gc_policy *pol;

	(void)state;
	assert_int_equal(parse(&p,
	                     "# the issue's sketch\n"
	                     "policies:\n"
	                     "  - repositories: [\"ci/**\", "
	                     "\"team/*-snapshots\"]\n"
	                     "    delete: \".*\"\n"
	                     "    keep:\n"
	                     "      - last: 10\n"
	                     "      - within: 14d\n"
	                     "      - tags: \"^(latest|stable|v[0-9].*)$\"\n"
	                     "    untagged: 7d\n"
	                     "    allow_empty: false\n"
	                     "  - repositories: lib/*\n"
	                     "    delete: 'pr-[0-9]+'\n"
	                     "    allow_empty: yes\n"),
	    0);
	assert_int_equal(p.n, 2);
	pol = &p.v[0];
	assert_int_equal(pol->line, 3);
	assert_int_equal(pol->nrepos, 2);
	assert_string_equal(pol->repos[1], "team/*-snapshots");
	assert_string_equal(pol->delete_text, ".*");
	assert_int_equal(pol->nkeep, 3);
	assert_int_equal(pol->keep[0].kind, GC_KEEP_LAST);
	assert_int_equal(pol->keep[0].last, 10);
	assert_int_equal(pol->keep[1].kind, GC_KEEP_WITHIN);
	assert_int_equal(pol->keep[1].within, 14 * 86400);
	assert_string_equal(pol->keep[1].text, "within: 14d");
	assert_int_equal(pol->keep[2].kind, GC_KEEP_TAGS);
	assert_int_equal(pol->untagged, 7 * 86400);
	assert_int_equal(pol->allow_empty, 0);
	pol = &p.v[1];
	assert_int_equal(pol->nrepos, 1);
	assert_int_equal(pol->nkeep, 0);
	assert_int_equal(pol->untagged, -1);
	assert_int_equal(pol->allow_empty, 1);
	gc_policy_release(&p);
}

static void
test_policy__malformed(void **state)
{
	(void)state;
	refused("", 1, "empty");
	refused("policies: [\n", 2, "");
	refused("- a\n- b\n", 1, "must be a mapping");
	refused("policy:\n  - {}\n", 1, "unknown key 'policy'");
	refused("policies: {}\n", 1, "must be a list");
	refused("policies:\n  - repositories: [a]\n", 2, "needs delete");
	refused("policies:\n  - delete: x\n", 2, "needs repositories");
	refused("policies:\n  - 3\n", 2, "a policy is a mapping");
	/* the misspelt key that would have deleted what keep meant */
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keeps:\n"
	        "      - last: 3\n",
	    4, "unknown key 'keeps'");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    delete: x\n",
	    4, "delete: given twice");
	refused("policies:\n  - repositories: []\n    delete: x\n", 2,
	    "the list is empty");
	refused("policies:\n  - repositories: [\"a[0-9]\"]\n    delete: x\n", 2,
	    "'[' is not allowed");
	refused("policies:\n  - repositories: [\"\"]\n    delete: x\n", 2,
	    "empty pattern");
	refused("policies:\n  - repositories: {a: b}\n    delete: x\n", 2,
	    "must be a list of patterns");
	refused("policies:\n  - repositories: [a]\n    delete: \"(\"\n", 3,
	    "not an extended regular expression");
	refused("policies:\n  - repositories: [a]\n    delete:\n", 3,
	    "delete: must be a string");
	refused("policies:\n  - repositories: [a]\n    delete: [x]\n", 3,
	    "delete: must be a string");
	/* ECR ANDs the rules of one item; here an item holds one rule */
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - last: 3\n"
	        "        within: 7d\n",
	    5, "an item holds one rule");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep: {last: 3}\n",
	    4, "must be a list of rules");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - newest: 3\n",
	    5, "unknown rule 'newest'");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - last: 0\n",
	    5, "not a number from 1");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - last: ten\n",
	    5, "whole number");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - within: 2 weeks\n",
	    5, "keep: within:");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - tags: \"*(\"\n",
	    5, "keep: tags:");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    untagged: 106752d\n",
	    4, "untagged:");
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "    allow_empty: \"true\"\n",
	    4, "allow_empty: must be true or false");
	/* the first policy is fine: the second refuses the whole file */
	refused("policies:\n"
	        "  - repositories: [a]\n"
	        "    delete: .*\n"
	        "  - repositories: [b]\n"
	        "    delete: .*\n"
	        "    keep:\n"
	        "      - last: -1\n",
	    7, "whole number");
	refused("policies:\n  - repositories: [a]\n    delete: .*\n"
	        "policies: []\n",
	    4, "policies: given twice");
	/* no ERE on its own, but "^(ci-1)|(.*)$" once wrapped: every tag */
	refused("policies:\n  - repositories: [a]\n    delete: \"ci-1)|(.*\"\n",
	    3, "not an extended regular expression");
	refused("policies:\n  - repositories: [a]\n    delete: x\n"
	        "    keep:\n      - tags: \"v1)|(.*\"\n",
	    5, "not an extended regular expression");
	/* a second document would have been ignored, errors and all */
	refused("policies:\n  - repositories: [a]\n    delete: x\n---\n"
	        "policies:\n  - repositories: [b]\n    delete: y\n",
	    4, "a second YAML document");
	refused("policies:\n  - repositories: [a]\n    delete: x\n---\n"
	        "policies: [\n",
	    6, "");
}

static void
test_policy__read_file(void **state)
{
	struct gc_policies p;
	static const char good[] = "policies:\n  - repositories: [a]\n"
	                           "    delete: .*\n";
	char path[] = "/tmp/drydock-test-policy-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(
	    gc_policy_read(&p, "/nonexistent/policy.yml"), DRYDOCK_ERROR);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, good, sizeof(good) - 1), (ssize_t)sizeof(good) - 1);
	assert_int_equal(write(fd, "\0x", 2), 2);
	close(fd);
	assert_int_equal(gc_policy_read(&p, path), DRYDOCK_ECORRUPT);
	assert_non_null(strstr(drydock_error_message(), "NUL"));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, good, sizeof(good) - 1), (ssize_t)sizeof(good) - 1);
	close(fd);
	assert_int_equal(gc_policy_read(&p, path), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.path, path);
	gc_policy_release(&p);
	unlink(path);
}

static void
test_policy__glob(void **state)
{
	(void)state;
	assert_true(gc_glob_match("ci/**", "ci/a"));
	assert_true(gc_glob_match("ci/**", "ci/a/b/c"));
	assert_false(gc_glob_match("ci/**", "ci"));
	assert_false(gc_glob_match("ci/**", "cia/b"));
	assert_true(gc_glob_match("ci/*", "ci/a"));
	assert_false(gc_glob_match("ci/*", "ci/a/b"));
	assert_true(gc_glob_match("team/*-snapshots", "team/app-snapshots"));
	assert_false(gc_glob_match("team/*-snapshots", "team/a/b-snapshots"));
	assert_true(gc_glob_match("**/x*", "a/x/b/xy"));
	assert_true(gc_glob_match("**", "anything/at/all"));
	assert_true(gc_glob_match("*", "top"));
	assert_false(gc_glob_match("*", "two/levels"));
	assert_true(gc_glob_match("a?c", "abc"));
	assert_false(gc_glob_match("a?c", "a/c"));
	assert_true(gc_glob_match("exact/name", "exact/name"));
	assert_false(gc_glob_match("exact/name", "exact/name2"));
	assert_false(gc_glob_match("exact", ""));
	assert_true(gc_glob_match("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaab"));
	assert_false(gc_glob_match("*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"));
}

static void
test_policy__match_first(void **state)
{
	struct gc_policies p;
	size_t i = 99;

	(void)state;
	assert_int_equal(parse(&p,
	                     "policies:\n"
	                     "  - repositories: [team/keep]\n"
	                     "    delete: x\n"
	                     "  - repositories: [\"team/**\"]\n"
	                     "    delete: .*\n"),
	    0);
	assert_ptr_equal(gc_policy_match(&p, "team/keep", &i), &p.v[0]);
	assert_int_equal(i, 0);
	assert_ptr_equal(gc_policy_match(&p, "team/other", &i), &p.v[1]);
	assert_int_equal(i, 1);
	assert_null(gc_policy_match(&p, "library/x", &i));
	gc_policy_release(&p);
}

static void
test_policy__attachment(void **state)
{
	char tag[80];

	(void)state;
	memset(tag, 'a', sizeof(tag));
	memcpy(tag, "sha256-", 7);
	tag[71] = '\0';
	assert_true(gc_policy_is_attachment(tag));
	strcpy(tag + 71, ".sig");
	assert_true(gc_policy_is_attachment(tag));
	strcpy(tag + 71, ".att");
	assert_true(gc_policy_is_attachment(tag));
	strcpy(tag + 71, ".sbom");
	assert_true(gc_policy_is_attachment(tag));
	strcpy(tag + 71, ".x");
	assert_false(gc_policy_is_attachment(tag));
	tag[70] = '\0';
	assert_false(gc_policy_is_attachment(tag));
	assert_false(gc_policy_is_attachment("v1.0"));
}

/* 12 tags ci-00 (oldest) .. ci-11 (newest, 1 day old), v1, latest */
static void
make_tags(struct gc_policy_tag *t, char names[][8], int64_t now)
{
	unsigned i;

	memset(t, 0, 14 * sizeof(*t));
	for (i = 0; i < 12; i++) {
		snprintf(names[i], 8, "ci-%02u", i % 100);
		t[i].name = names[i];
		t[i].pushed_ns = now - (int64_t)(12 - i) * DAY;
	}
	t[12].name = "v1";
	t[12].pushed_ns = now - 100 * DAY;
	t[13].name = "latest";
	t[13].pushed_ns = now - 50 * DAY;
}

static void
test_policy__eval(void **state)
{
	struct gc_policies p;
	struct gc_policy_tag t[14];
	char names[12][8], rule[128];
	const int64_t now = 2000000000LL * SEC;
	int i;

	(void)state;
	assert_int_equal(parse(&p,
	                     "policies:\n"
	                     "  - repositories: [a]\n"
	                     "    delete: \".*\"\n"
	                     "    keep:\n"
	                     "      - last: 3\n"
	                     "      - within: 5d\n"
	                     "      - tags: \"v.*|latest\"\n"),
	    0);
	make_tags(t, names, now);
	t[2].pinned = 1;
	t[3].young = 1;
	assert_int_equal(gc_policy_eval(&p.v[0], t, 14, now), 0);
	/* the 3 newest by last, the next 2 (4 and 5 days old) by within */
	for (i = 9; i < 12; i++) {
		assert_int_equal(t[i].verdict, GC_TAG_KEEP);
		assert_int_equal(t[i].rule, GC_RULE_KEEP);
		assert_int_equal(t[i].keep, 0);
	}
	for (i = 7; i < 9; i++)
		assert_int_equal(t[i].keep, 1);
	assert_int_equal(t[12].keep, 2);
	assert_int_equal(t[13].keep, 2);
	assert_int_equal(t[2].rule, GC_RULE_PIN);
	assert_int_equal(t[2].verdict, GC_TAG_KEEP);
	assert_int_equal(t[3].rule, GC_RULE_GRACE);
	for (i = 0; i < 7; i++)
		if (i != 2 && i != 3) {
			assert_int_equal(t[i].verdict, GC_TAG_DELETE);
			assert_int_equal(t[i].rule, GC_RULE_DELETE);
		}
	gc_policy_rule_format(
	    rule, sizeof(rule), &p, 0, t[10].rule, t[10].keep);
	assert_string_equal(rule, "policies[0].keep[0] last: 3");
	gc_policy_rule_format(rule, sizeof(rule), &p, 0, t[0].rule, t[0].keep);
	assert_string_equal(rule, "policies[0].delete \".*\"");
	gc_policy_release(&p);
}

static void
test_policy__eval_candidates_only(void **state)
{
	struct gc_policies p;
	struct gc_policy_tag t[14];
	char names[12][8];
	const int64_t now = 2000000000LL * SEC;
	int i;

	(void)state;
	/* last: counts candidates only: v1 and latest are not ci-* */
	assert_int_equal(parse(&p,
	                     "policies:\n"
	                     "  - repositories: [a]\n"
	                     "    delete: \"ci-.*\"\n"
	                     "    keep:\n"
	                     "      - last: 2\n"),
	    0);
	make_tags(t, names, now);
	t[12].pushed_ns = now; /* newest of all, but not a candidate */
	assert_int_equal(gc_policy_eval(&p.v[0], t, 14, now), 0);
	assert_int_equal(t[12].verdict, GC_TAG_UNTOUCHED);
	assert_int_equal(t[13].verdict, GC_TAG_UNTOUCHED);
	assert_int_equal(t[11].verdict, GC_TAG_KEEP);
	assert_int_equal(t[10].verdict, GC_TAG_KEEP);
	for (i = 0; i < 10; i++)
		assert_int_equal(t[i].verdict, GC_TAG_DELETE);
	gc_policy_release(&p);
}

static void
test_policy__allow_empty(void **state)
{
	struct gc_policies p;
	struct gc_policy_tag t[14];
	char names[12][8];
	const int64_t now = 2000000000LL * SEC;
	int i;

	(void)state;
	assert_int_equal(parse(&p,
	                     "policies:\n"
	                     "  - repositories: [a]\n"
	                     "    delete: \".*\"\n"
	                     "  - repositories: [b]\n"
	                     "    delete: \".*\"\n"
	                     "    allow_empty: true\n"),
	    0);
	make_tags(t, names, now);
	assert_int_equal(gc_policy_eval(&p.v[0], t, 14, now), 0);
	/* the newest stays, saying why */
	assert_int_equal(t[11].verdict, GC_TAG_KEEP);
	assert_int_equal(t[11].rule, GC_RULE_ALLOW_EMPTY);
	for (i = 0; i < 14; i++)
		if (i != 11)
			assert_int_equal(t[i].verdict, GC_TAG_DELETE);
	assert_int_equal(gc_policy_eval(&p.v[1], t, 14, now), 0);
	for (i = 0; i < 14; i++)
		assert_int_equal(t[i].verdict, GC_TAG_DELETE);
	/* an attachment tag is never a candidate */
	t[0].attachment = 1;
	assert_int_equal(gc_policy_eval(&p.v[1], t, 14, now), 0);
	assert_int_equal(t[0].verdict, GC_TAG_UNTOUCHED);
	/* ... nor a tag left: the guard still keeps the newest */
	assert_int_equal(gc_policy_eval(&p.v[0], t, 14, now), 0);
	assert_int_equal(t[0].verdict, GC_TAG_UNTOUCHED);
	assert_int_equal(t[11].rule, GC_RULE_ALLOW_EMPTY);
	/* a pinned tag is one left: no guard needed */
	t[0].attachment = 0;
	t[5].pinned = 1;
	assert_int_equal(gc_policy_eval(&p.v[0], t, 14, now), 0);
	assert_int_equal(t[5].rule, GC_RULE_PIN);
	assert_int_equal(t[11].verdict, GC_TAG_DELETE);
	gc_policy_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy__full),
	    cmocka_unit_test(test_policy__malformed),
	    cmocka_unit_test(test_policy__read_file),
	    cmocka_unit_test(test_policy__glob),
	    cmocka_unit_test(test_policy__match_first),
	    cmocka_unit_test(test_policy__attachment),
	    cmocka_unit_test(test_policy__eval),
	    cmocka_unit_test(test_policy__eval_candidates_only),
	    cmocka_unit_test(test_policy__allow_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
