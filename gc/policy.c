/* SPDX-License-Identifier: MIT */
/*
 * policy.c --- read a retention policy file with libyaml and decide, for
 * one repository's tags, which go (policy.h).
 *
 * The file is refused as a whole for anything it says that we do not
 * understand: a misspelt key that were ignored ("keeps:") would delete
 * every tag its rule meant to keep.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <drydock/drydock.h>

#include "policy.h"

#define LAST_MAX 1000000L

struct reader {
	yaml_document_t doc;
	const char *name;
};

static int bad(const struct reader *r, const yaml_node_t *n, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Refuse the file: "NAME:LINE: why". */
static int
bad(const struct reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG, "%s:%zu: %s", r->name,
	    n != NULL ? n->start_mark.line + 1 : 1, why);
	return DRYDOCK_ECORRUPT;
}

static int
oom(void)
{
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}

static yaml_node_t *
node(const struct reader *r, int id)
{
	return yaml_document_get_node((yaml_document_t *)&r->doc, id);
}

static const char *
scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* A string value: a scalar that YAML would not read as null. */
static int
string(const char **out, const struct reader *r, const yaml_node_t *n,
    const char *key)
{
	const char *v = scalar(n);

	if (v == NULL ||
	    (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	        (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)))
		return bad(r, n, "%s: must be a string", key);
	*out = v;
	return 0;
}

/* A YAML 1.1 boolean, as yaml.v2 reads it (regconfig.c does the same). */
static int
boolean(int *out, const struct reader *r, const yaml_node_t *n, const char *key)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true",
	    "True", "TRUE", "on", "On", "ON"};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false",
	    "False", "FALSE", "off", "Off", "OFF"};
	const char *v = scalar(n);
	size_t i;

	if (v != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
			if (strcmp(v, yes[i]) == 0)
				return *out = 1, 0;
		for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
			if (strcmp(v, no[i]) == 0)
				return *out = 0, 0;
	}
	return bad(r, n, "%s: must be true or false", key);
}

static int
duration(
    int64_t *out, const struct reader *r, const yaml_node_t *n, const char *key)
{
	const char *v = NULL;
	int error;

	if ((error = string(&v, r, n, key)) < 0)
		return error;
	if (drydock_duration_parse(out, v) < 0)
		return bad(r, n, "%s: %s", key, drydock_error_message());
	return 0;
}

/* An ERE matched against the whole tag: compiled as ^(ERE)$. */
static int
ere(regex_t *re, char **text, const struct reader *r, const yaml_node_t *n,
    const char *key)
{
	const char *v = NULL;
	char *anchored, msg[256];
	size_t len;
	int error, rc;

	if ((error = string(&v, r, n, key)) < 0)
		return error;
	len = strlen(v);
	/*
	 * The text alone first: "a)|(.*" is no ERE, but wrapped as
	 * "^(a)|(.*)$" it would compile, and match every tag.
	 */
	if ((rc = regcomp(re, v, REG_EXTENDED | REG_NOSUB)) == 0) {
		regfree(re);
		if ((anchored = malloc(len + 5)) == NULL)
			return oom();
		snprintf(anchored, len + 5, "^(%s)$", v);
		rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
	}
	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		return bad(r, n,
		    "%s: '%s' is not an extended regular "
		    "expression: %s",
		    key, v, msg);
	}
	if ((*text = strdup(v)) == NULL) {
		regfree(re);
		return oom();
	}
	return 0;
}

/*
 * A repository glob: the characters of repository names (and of a host
 * and port) and the wildcards '*', '**' and '?'.  Anything else ('[',
 * '\\', '{') would mean something elsewhere and nothing here: refused.
 */
static int
glob_check(const struct reader *r, const yaml_node_t *n, const char *g)
{
	const char *p;

	if (*g == '\0')
		return bad(r, n, "repositories: an empty pattern");
	for (p = g; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("._-/:*?", *p)))
			return bad(r, n,
			    "repositories: '%s': '%c' is not allowed (only "
			    "the characters of repository names and the "
			    "wildcards '*', '**' and '?')",
			    g, *p);
	return 0;
}

static int
add_glob(struct gc_policy *pol, const struct reader *r, const yaml_node_t *n)
{
	const char *g = NULL;
	char **v;
	int error;

	if ((error = string(&g, r, n, "repositories")) < 0 ||
	    (error = glob_check(r, n, g)) < 0)
		return error;
	if ((v = realloc(pol->repos, (pol->nrepos + 1) * sizeof(*v))) == NULL)
		return oom();
	pol->repos = v;
	if ((v[pol->nrepos] = strdup(g)) == NULL)
		return oom();
	pol->nrepos++;
	return 0;
}

static int
read_repos(struct gc_policy *pol, const struct reader *r, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	int error;

	if (n->type == YAML_SCALAR_NODE)
		return add_glob(pol, r, n);
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(r, n, "repositories: must be a list of patterns");
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		return bad(r, n, "repositories: the list is empty");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++)
		if ((error = add_glob(pol, r, node(r, *it))) < 0)
			return error;
	return 0;
}

static int
read_last(struct gc_keep_rule *k, const struct reader *r, const yaml_node_t *n)
{
	const char *v = scalar(n);
	char *end;

	if (v == NULL || *v < '0' || *v > '9')
		return bad(r, n, "keep: last: must be a whole number");
	errno = 0;
	k->last = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || k->last < 1 || k->last > LAST_MAX)
		return bad(r, n,
		    "keep: last: '%s' is not a number from 1 to %ld", v,
		    LAST_MAX);
	return 0;
}

/* One item of keep: a mapping of exactly one rule. */
static int
read_keep_rule(
    struct gc_keep_rule *k, const struct reader *r, const yaml_node_t *n)
{
	const yaml_node_t *kn, *vn;
	const char *key;
	char text[64];
	int error;

	if (n->type != YAML_MAPPING_NODE)
		return bad(r, n,
		    "keep: each item is a mapping such as 'last: 10', "
		    "'within: 14d' or 'tags: ERE'");
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
		return bad(r, n,
		    "keep: an item holds one rule; write each as an item of "
		    "its own ('- last: 10', '- within: 14d'): the rules are "
		    "ORed, a tag is kept when any holds");
	kn = node(r, n->data.mapping.pairs.start->key);
	vn = node(r, n->data.mapping.pairs.start->value);
	k->line = (int)n->start_mark.line + 1;
	if ((key = scalar(kn)) == NULL)
		return bad(r, kn, "keep: a rule's name must be a string");
	if (strcmp(key, "last") == 0) {
		k->kind = GC_KEEP_LAST;
		if ((error = read_last(k, r, vn)) < 0)
			return error;
		snprintf(text, sizeof(text), "last: %ld", k->last);
		k->text = strdup(text);
	} else if (strcmp(key, "within") == 0) {
		k->kind = GC_KEEP_WITHIN;
		if ((error = duration(&k->within, r, vn, "keep: within")) < 0)
			return error;
		if (k->within <= 0)
			return bad(r, vn, "keep: within: must be more than 0");
		drydock_duration_format(text + 8, sizeof(text) - 8, k->within);
		memcpy(text, "within: ", 8);
		k->text = strdup(text);
	} else if (strcmp(key, "tags") == 0) {
		char *re_text = NULL;

		k->kind = GC_KEEP_TAGS;
		if ((error = ere(&k->re, &re_text, r, vn, "keep: tags")) < 0)
			return error;
		k->text = malloc(strlen(re_text) + 9);
		if (k->text != NULL)
			sprintf(k->text, "tags: \"%s\"", re_text);
		free(re_text);
		if (k->text == NULL)
			regfree(&k->re);
	} else {
		return bad(r, kn,
		    "keep: unknown rule '%s' (last, within and tags are)", key);
	}
	if (k->text == NULL)
		return oom();
	return 0;
}

static int
read_keep(struct gc_policy *pol, const struct reader *r, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	size_t cap;
	int error;

	if (n->type != YAML_SEQUENCE_NODE)
		return bad(
		    r, n, "keep: must be a list of rules ('- last: 10')");
	cap =
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cap > 0 && (pol->keep = calloc(cap, sizeof(*pol->keep))) == NULL)
		return oom();
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		error = read_keep_rule(&pol->keep[pol->nkeep], r, node(r, *it));
		if (pol->keep[pol->nkeep].text != NULL)
			pol->nkeep++; /* compiled: released with the policy */
		if (error < 0)
			return error;
	}
	return 0;
}

/* Each key once, and only these: a typo must not silently drop a rule. */
static int
read_policy(struct gc_policy *pol, const struct reader *r, const yaml_node_t *n)
{
	static const char *const keys[] = {
	    "repositories", "delete", "keep", "untagged", "allow_empty"};
	const yaml_node_t *seen[5] = {NULL, NULL, NULL, NULL, NULL};
	yaml_node_pair_t *pair;
	size_t i;
	int error;

	pol->line = (int)n->start_mark.line + 1;
	pol->untagged = -1;
	if (n->type != YAML_MAPPING_NODE)
		return bad(r, n,
		    "a policy is a mapping with repositories: and delete:");
	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		const yaml_node_t *kn = node(r, pair->key);
		const char *k = scalar(kn);

		for (i = 0; k != NULL && i < 5 && strcmp(k, keys[i]) != 0; i++)
			;
		if (k == NULL || i == 5)
			return bad(r, kn,
			    "unknown key '%s' in a policy (repositories, "
			    "delete, keep, untagged and allow_empty are)",
			    k ? k : "?");
		if (seen[i] != NULL)
			return bad(r, kn, "%s: given twice", k);
		seen[i] = node(r, pair->value);
	}
	if (seen[0] == NULL)
		return bad(r, n, "a policy needs repositories:");
	if (seen[1] == NULL)
		return bad(r, n,
		    "a policy needs delete: (an ERE for the tags it may "
		    "delete; \".*\" for all)");
	if ((error = read_repos(pol, r, seen[0])) < 0 ||
	    (error = ere(
	         &pol->delete_re, &pol->delete_text, r, seen[1], "delete")) < 0)
		return error;
	if (seen[2] != NULL && (error = read_keep(pol, r, seen[2])) < 0)
		return error;
	if (seen[3] != NULL &&
	    (error = duration(&pol->untagged, r, seen[3], "untagged")) < 0)
		return error;
	if (seen[4] != NULL &&
	    (error = boolean(&pol->allow_empty, r, seen[4], "allow_empty")) < 0)
		return error;
	return 0;
}

static int
read_root(struct gc_policies *out, const struct reader *r)
{
	const yaml_node_t *root = yaml_document_get_root_node(
	                      (yaml_document_t *)&r->doc),
	                  *list = NULL;
	yaml_node_pair_t *pair;
	yaml_node_item_t *it;
	size_t n;
	int error;

	if (root == NULL)
		return bad(r, NULL, "the file is empty: no policies:");
	if (root->type != YAML_MAPPING_NODE)
		return bad(
		    r, root, "the file must be a mapping with policies:");
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		const yaml_node_t *kn = node(r, pair->key);

		if (scalar(kn) == NULL || strcmp(scalar(kn), "policies") != 0)
			return bad(r, kn,
			    "unknown key '%s' (only policies: is)",
			    scalar(kn) ? scalar(kn) : "?");
		if (list != NULL)
			return bad(r, kn, "policies: given twice");
		list = node(r, pair->value);
	}
	if (list == NULL)
		return bad(r, root, "no policies:");
	if (list->type != YAML_SEQUENCE_NODE)
		return bad(r, list, "policies: must be a list");
	n = (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start);
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL)
		return oom();
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		error = read_policy(&out->v[out->n], r, node(r, *it));
		out->n++; /* released whatever it holds */
		if (error < 0)
			return error;
	}
	return 0;
}

static int
yaml_failed(const yaml_parser_t *p, const char *name)
{
	if (p->error == YAML_MEMORY_ERROR)
		return oom();
	drydock_error_set(DRYDOCK_ERRCLASS_CONFIG, "%s:%zu: %s%s%s", name,
	    (p->error == YAML_READER_ERROR ? 0 : p->problem_mark.line) + 1,
	    p->problem != NULL ? p->problem : "syntax error",
	    p->context != NULL ? " " : "", p->context ? p->context : "");
	return DRYDOCK_ECORRUPT;
}

int
gc_policy_parse(
    struct gc_policies *out, const char *buf, size_t len, const char *name)
{
	yaml_parser_t parser;
	struct reader r;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.name = name;
	if ((out->path = strdup(name)) == NULL ||
	    (out->text = strndup(buf, len)) == NULL) {
		free(out->path);
		out->path = NULL;
		return oom();
	}
	if (!yaml_parser_initialize(&parser))
		return oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &r.doc)) {
		error = yaml_failed(&parser, name);
		yaml_parser_delete(&parser);
		gc_policy_release(out);
		return error;
	}
	/* a policy is one document: a second one would be ignored */
	if (r.doc.nodes.start != r.doc.nodes.top) {
		yaml_document_t extra;

		if (!yaml_parser_load(&parser, &extra)) {
			error = yaml_failed(&parser, name);
			yaml_document_delete(&r.doc);
			yaml_parser_delete(&parser);
			gc_policy_release(out);
			return error;
		}
		if (extra.nodes.start != extra.nodes.top) {
			drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
			    "%s:%zu: a second YAML document; a policy file "
			    "holds one",
			    name, extra.start_mark.line + 1);
			yaml_document_delete(&extra);
			yaml_document_delete(&r.doc);
			yaml_parser_delete(&parser);
			gc_policy_release(out);
			return DRYDOCK_ECORRUPT;
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&parser);
	error = read_root(out, &r);
	yaml_document_delete(&r.doc);
	if (error < 0)
		gc_policy_release(out);
	return error;
}

int
gc_policy_read(struct gc_policies *out, const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	int error;

	memset(out, 0, sizeof(*out));
	if ((f = fopen(path, "r")) == NULL) {
		drydock_error_set_os("cannot open policy file '%s'", path);
		return DRYDOCK_ERROR;
	}
	do {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = len + 65536);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return oom();
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		drydock_error_set_os("cannot read policy file '%s'", path);
		error = DRYDOCK_ERROR;
	} else if (memchr(buf, '\0', len) != NULL) {
		drydock_error_set(DRYDOCK_ERRCLASS_CONFIG,
		    "%s: a NUL byte: not a policy file", path);
		error = DRYDOCK_ECORRUPT;
	} else {
		error = gc_policy_parse(out, buf, len, path);
	}
	free(buf);
	fclose(f);
	return error;
}

void
gc_policy_release(struct gc_policies *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct gc_policy *pol = &p->v[i];

		for (j = 0; j < pol->nrepos; j++)
			free(pol->repos[j]);
		free(pol->repos);
		if (pol->delete_text != NULL)
			regfree(&pol->delete_re);
		free(pol->delete_text);
		for (j = 0; j < pol->nkeep; j++) {
			if (pol->keep[j].kind == GC_KEEP_TAGS)
				regfree(&pol->keep[j].re);
			free(pol->keep[j].text);
		}
		free(pol->keep);
	}
	free(p->v);
	free(p->path);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* --- matching ----------------------------------------------------------- */

/*
 * Whether pat matches all of s: '*' stands for any run of characters but
 * '/', '**' for any run at all, '?' for one character but '/'.  A table
 * over (pattern position, name position), one row at a time: no
 * backtracking, so no name a hostile tree makes up costs more than
 * |pat| x |s| steps.
 */
int
gc_glob_match(const char *pat, const char *s)
{
	size_t ns = strlen(s), np = strlen(pat), i, j;
	unsigned char *next, *cur, *tmp;
	int ok;

	if ((next = calloc(2, ns + 1)) == NULL)
		return 0; /* out of memory: matches nothing, deletes nothing */
	cur = next + ns + 1;
	next[ns] = 1; /* the empty pattern matches the empty rest */
	for (i = np; i-- > 0;) {
		int dstar = pat[i] == '*' && i > 0 && pat[i - 1] == '*';

		if (dstar)
			i--; /* "**" is one token */
		for (j = ns + 1; j-- > 0;) {
			const int more = j < ns;

			if (pat[i] == '*')
				cur[j] = next[j] ||
				    (more && (dstar || s[j] != '/') &&
				        cur[j + 1]);
			else if (pat[i] == '?')
				cur[j] = more && s[j] != '/' && next[j + 1];
			else
				cur[j] = more && s[j] == pat[i] && next[j + 1];
		}
		tmp = next;
		next = cur;
		cur = tmp;
	}
	ok = next[0];
	free(next < cur ? next : cur);
	return ok;
}

const struct gc_policy *
gc_policy_match(
    const struct gc_policies *p, const char *name, size_t *index_out)
{
	size_t i, j;

	for (i = 0; p != NULL && i < p->n; i++)
		for (j = 0; j < p->v[i].nrepos; j++)
			if (gc_glob_match(p->v[i].repos[j], name)) {
				*index_out = i;
				return &p->v[i];
			}
	return NULL;
}

/* --- evaluation ------------------------------------------------------------
 */

int
gc_policy_is_attachment(const char *tag)
{
	const char *h;
	size_t n = 0;

	if (strncmp(tag, "sha256-", 7) != 0)
		return 0;
	for (h = tag + 7; (*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f');
	     h++)
		n++;
	return n == 64 &&
	    (*h == '\0' || strcmp(h, ".sig") == 0 || strcmp(h, ".att") == 0 ||
	        strcmp(h, ".sbom") == 0);
}

static int
newest_first(const void *a, const void *b)
{
	const struct gc_policy_tag *x = *(const struct gc_policy_tag *const *)a,
	                           *y = *(const struct gc_policy_tag *const *)b;

	if (x->pushed_ns != y->pushed_ns)
		return x->pushed_ns > y->pushed_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
keep_holds(const struct gc_keep_rule *k, const struct gc_policy_tag *t,
    size_t rank, int64_t now_ns)
{
	switch (k->kind) {
	case GC_KEEP_LAST:
		return rank < (size_t)k->last;
	case GC_KEEP_WITHIN:
		return t->pushed_ns >= now_ns - k->within * 1000000000LL;
	default:
		return regexec(&k->re, t->name, 0, NULL, 0) == 0;
	}
}

int
gc_policy_eval(const struct gc_policy *pol, struct gc_policy_tag *tags,
    size_t n, int64_t now_ns)
{
	struct gc_policy_tag **cand;
	size_t i, j, nc = 0, left = 0;

	if ((cand = calloc(n + 1, sizeof(*cand))) == NULL)
		return oom();
	for (i = 0; i < n; i++) {
		struct gc_policy_tag *t = &tags[i];

		t->verdict = GC_TAG_UNTOUCHED;
		t->rule = GC_RULE_NONE;
		t->keep = -1;
		if (!t->attachment &&
		    regexec(&pol->delete_re, t->name, 0, NULL, 0) == 0)
			cand[nc++] = t;
	}
	if (nc > 1)
		qsort(cand, nc, sizeof(*cand), newest_first);
	for (i = 0; i < nc; i++) {
		struct gc_policy_tag *t = cand[i];

		t->verdict = GC_TAG_KEEP;
		for (j = 0; j < pol->nkeep; j++)
			if (keep_holds(&pol->keep[j], t, i, now_ns))
				break;
		if (j < pol->nkeep) {
			t->rule = GC_RULE_KEEP;
			t->keep = (int)j;
		} else if (t->pinned) {
			t->rule = GC_RULE_PIN;
		} else if (t->young) {
			t->rule = GC_RULE_GRACE;
		} else {
			t->verdict = GC_TAG_DELETE;
			t->rule = GC_RULE_DELETE;
		}
	}
	/* an attachment tag goes with its subject: it is no tag left */
	for (i = 0; i < n; i++)
		left += !tags[i].attachment && tags[i].verdict != GC_TAG_DELETE;
	if (left == 0 && nc > 0 && !pol->allow_empty) {
		/* never the last tag: the newest stays, and says why */
		cand[0]->verdict = GC_TAG_KEEP;
		cand[0]->rule = GC_RULE_ALLOW_EMPTY;
	}
	free(cand);
	return 0;
}

void
gc_policy_rule_format(char *buf, size_t bufsz, const struct gc_policies *p,
    size_t index, int rule, int keep)
{
	const struct gc_policy *pol = &p->v[index];

	switch (rule) {
	case GC_RULE_DELETE:
		snprintf(buf, bufsz, "policies[%zu].delete \"%s\"", index,
		    pol->delete_text);
		break;
	case GC_RULE_KEEP:
		snprintf(buf, bufsz, "policies[%zu].keep[%d] %s", index, keep,
		    pol->keep[keep].text);
		break;
	case GC_RULE_PIN:
		snprintf(buf, bufsz, "pin");
		break;
	case GC_RULE_GRACE:
		snprintf(buf, bufsz, "grace");
		break;
	case GC_RULE_ALLOW_EMPTY:
		snprintf(buf, bufsz,
		    "policies[%zu].allow_empty false: the repository's newest "
		    "tag",
		    index);
		break;
	case GC_RULE_PROBLEM:
		snprintf(buf, bufsz, "problem: the repository is suspect");
		break;
	case GC_RULE_ATTACHMENT:
		snprintf(buf, bufsz,
		    "attachment: its subject goes (policies[%zu])", index);
		break;
	default:
		snprintf(buf, bufsz, "none");
	}
}
