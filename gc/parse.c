/* SPDX-License-Identifier: MIT */
/*
 * parse.c --- a manifest reduced to what the mark follows: whether it is an
 * index, its subject and the digests it references.  The scanning threads
 * call this on what they read ahead, so the marking thread only interns
 * digests (issue: parsing was a third of the mark's time on one core).
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

void
gc_parsed_release(struct gc_parsed *p)
{
	if (p == NULL)
		return;
	free(p->refs);
	free(p->message);
	memset(p, 0, sizeof(*p));
}

int
gc_parse_manifest(struct gc_parsed *p, const char *buf, size_t len)
{
	struct drydock_manifest *m = NULL;
	struct drydock_manifest_refs q;
	size_t i, n;
	int r;

	memset(p, 0, sizeof(*p));
	/* the common form without a JSON tree; the parser for the rest */
	if ((r = drydock_manifest_scan(&q, buf, len)) < 0)
		return r;
	if (r == 1) {
		p->is_index = q.kind == DRYDOCK_MANIFEST_DOCKER_LIST ||
		    q.kind == DRYDOCK_MANIFEST_OCI_INDEX;
		p->refs = q.refs;
		p->nrefs = q.nrefs;
		p->has_subject = q.has_subject;
		p->subject = q.subject;
		return 0;
	}
	if ((r = drydock_manifest_parse(&m, buf, len)) < 0) {
		/* bad content: the mark reports it with the message */
		p->rc = r;
		if ((p->message = strdup(drydock_error_message())) == NULL)
			goto oom;
		drydock_error_clear();
		return 0;
	}
	p->is_index = drydock_manifest_is_index(m);
	n = drydock_manifest_ref_count(m);
	if (n > 0 && (p->refs = malloc(n * sizeof(*p->refs))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *desc =
		    drydock_manifest_ref(m, i);

		if (desc->role == DRYDOCK_REF_SUBJECT) {
			p->has_subject = 1;
			p->subject = desc->digest;
			continue;
		}
		p->refs[p->nrefs++] = desc->digest;
	}
	drydock_manifest_free(m);
	return 0;
oom:
	drydock_manifest_free(m);
	gc_parsed_release(p);
	drydock_error_set_os("out of memory");
	return DRYDOCK_ERROR;
}
