/* SPDX-License-Identifier: MIT */
/*
 * pins.c --- --pin FILE|-: references whose manifests stay whatever the
 * mode or the policy says.  One reference a line, '#' starts a comment:
 *
 *     sha256:<hex>                         that manifest, in every repository
 *     team/app@sha256:<hex>                that manifest in team/app
 *     team/app:1.0                         that tag (and what it points at)
 *     reg.example:5000/team/app@sha256:<hex>   as kubectl prints an imageID
 *
 * A file is read whole, before the store is opened; a line that is none of
 * these refuses the whole file, with its line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

static int pin_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pin_error(const char *file, int line, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID, "%s:%d: %s",
	    strcmp(file, "-") == 0 ? "<stdin>" : file, line, why);
	return DRYDOCK_ECORRUPT;
}

/*
 * The first component of a name is a registry host when it has a '.' or a
 * ':' or is "localhost", as distribution's reference package decides.
 */
static const char *
without_host(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n;

	if (slash == NULL)
		return NULL;
	n = (size_t)(slash - name);
	if (memchr(name, '.', n) == NULL && memchr(name, ':', n) == NULL &&
	    !(n == 9 && strncmp(name, "localhost", 9) == 0))
		return NULL;
	return slash + 1;
}

/* Parse one line (comment and blanks gone, not empty) into p. */
static int
parse_pin(struct gc_pin *p, char *s, const char *file, int line)
{
	char *at, *colon, *slash, *scheme;
	const char *alt;

	/* docker-pullable://name@digest, as older kubelets print it */
	if ((scheme = strstr(s, "://")) != NULL)
		s = scheme + 3;
	if ((at = strchr(s, '@')) != NULL) {
		*at = '\0';
		if (drydock_digest_parse(&p->digest, at + 1, strlen(at + 1)) <
		    0)
			return pin_error(
			    file, line, "'%s' is not a digest", at + 1);
		/* name:tag@digest: the digest is what runs */
		slash = strrchr(s, '/');
		colon = strrchr(slash ? slash : s, ':');
		if (colon != NULL)
			*colon = '\0';
	} else if (strncmp(s, "sha256:", 7) == 0 ||
	    strncmp(s, "sha512:", 7) == 0) {
		if (drydock_digest_parse(&p->digest, s, strlen(s)) < 0)
			return pin_error(file, line, "'%s' is not a digest", s);
		return 0;
	} else {
		slash = strrchr(s, '/');
		colon = strrchr(slash ? slash : s, ':');
		if (colon == NULL)
			return pin_error(file, line,
			    "'%s' is neither a digest, REPO@DIGEST nor "
			    "REPO:TAG",
			    s);
		*colon = '\0';
		if (!drydock_reference_is_tag(colon + 1))
			return pin_error(
			    file, line, "'%s' is not a tag", colon + 1);
		if ((p->tag = fe_strdup(colon + 1)) == NULL)
			return DRYDOCK_ERROR;
	}
	if (!drydock_reference_is_repo(s))
		return pin_error(
		    file, line, "'%s' is not a repository name", s);
	if ((p->repo = fe_strdup(s)) == NULL)
		return DRYDOCK_ERROR;
	if ((alt = without_host(s)) != NULL && drydock_reference_is_repo(alt) &&
	    (p->alt = fe_strdup(alt)) == NULL)
		return DRYDOCK_ERROR;
	return 0;
}

static int
add_line(struct gc_pins *pins, char *s, const char *file, int line)
{
	struct gc_pin *p;
	char *hash, *end;
	int error;

	if ((hash = strchr(s, '#')) != NULL)
		*hash = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	    (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	        end[-1] == '\n'))
		*--end = '\0';
	if (*s == '\0')
		return 0;
	if (fe_grow((void **)&pins->v, &pins->cap, pins->n + 1,
	        sizeof(*pins->v)) < 0)
		return DRYDOCK_ERROR;
	p = &pins->v[pins->n];
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->line = line;
	if ((p->text = fe_strdup(s)) == NULL)
		return DRYDOCK_ERROR;
	pins->n++;
	if ((error = parse_pin(p, s, file, line)) < 0)
		return error;
	return 0;
}

int
gc_pins_read(struct gc_pins *pins, const char *file)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int line = 0, error = 0;

	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (f == NULL) {
		drydock_error_set_os("cannot open pin file '%s'", file);
		return DRYDOCK_ERROR;
	}
	while (error == 0 && (len = getline(&buf, &cap, f)) >= 0) {
		line++;
		if ((size_t)len != strlen(buf))
			error = pin_error(file, line, "%s", "a NUL byte");
		else
			error = add_line(pins, buf, file, line);
	}
	if (error == 0 && ferror(f)) {
		drydock_error_set_os("cannot read pin file '%s'", file);
		error = DRYDOCK_ERROR;
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return error;
}

int
gc_pins_add(struct gc_pins *pins, const char *text, const char *file, int line)
{
	char *s;
	int error;

	if ((s = fe_strdup(text)) == NULL)
		return DRYDOCK_ERROR;
	error = add_line(pins, s, file, line);
	free(s);
	return error;
}

int
gc_pin_parse(struct gc_pin *p, const char *text, const char *file, int line)
{
	char *s;
	int error;

	memset(p, 0, sizeof(*p));
	p->file = file;
	p->line = line;
	if ((p->text = fe_strdup(text)) == NULL ||
	    (s = fe_strdup(text)) == NULL)
		return DRYDOCK_ERROR;
	error = parse_pin(p, s, file, line);
	free(s);
	return error;
}

void
gc_pin_release(struct gc_pin *p)
{
	free(p->text);
	free(p->repo);
	free(p->alt);
	free(p->tag);
	memset(p, 0, sizeof(*p));
}

void
gc_pins_release(struct gc_pins *pins)
{
	size_t i;

	for (i = 0; i < pins->n; i++)
		gc_pin_release(&pins->v[i]);
	free(pins->v);
	free(pins->keys);
	memset(pins, 0, sizeof(*pins));
}

static int
key_cmp(const void *a, const void *b)
{
	const struct gc_pin_key *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
gc_pins_index(struct gc_pins *pins)
{
	size_t i;

	free(pins->keys);
	pins->keys = NULL;
	pins->nkeys = 0;
	if ((pins->keys = calloc(2 * pins->n + 1, sizeof(*pins->keys))) ==
	    NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	for (i = 0; i < pins->n; i++) {
		const struct gc_pin *p = &pins->v[i];

		if (p->repo != NULL)
			pins->keys[pins->nkeys++] =
			    (struct gc_pin_key){p->repo, (uint32_t)i};
		if (p->alt != NULL)
			pins->keys[pins->nkeys++] =
			    (struct gc_pin_key){p->alt, (uint32_t)i};
	}
	if (pins->nkeys > 1)
		qsort(pins->keys, pins->nkeys, sizeof(*pins->keys), key_cmp);
	return 0;
}

size_t
gc_pins_lookup(const struct gc_pins *pins, const char *repo, size_t *first)
{
	size_t lo = 0, hi = pins->nkeys, n = 0;

	/* the first key not below repo */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(pins->keys[mid].name, repo) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (
	    lo + n < pins->nkeys && strcmp(pins->keys[lo + n].name, repo) == 0)
		n++;
	return n;
}
