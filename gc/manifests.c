/* SPDX-License-Identifier: MIT */
/*
 * manifests.c --- each manifest of the run, loaded once: taken as a
 * scanning thread parsed it, or read and parsed here, and reduced to the
 * ids of what it references (run->manifests, run->refs).  The mark and the
 * retention rules (retain.c) both follow manifests through here.
 */
#include <stdlib.h>
#include <string.h>

#include "gc.h"

/* Manifests larger than this are not even read; the registry caps at 4 MiB. */
#define GC_MANIFEST_READ_MAX (64u << 20)

/* Intern what a parsed manifest references into gm. */
static int
intern_refs(
    struct gc_run *run, struct gc_manifest *gm, const struct gc_parsed *p)
{
	uint32_t rid;
	size_t i;
	int error;

	gm->is_index = (uint8_t)p->is_index;
	if (p->has_subject &&
	    (error = gc_id(&gm->subject, run, &p->subject)) < 0)
		return error;
	for (i = 0; i < p->nrefs; i++) {
		if ((error = gc_id(&rid, run, &p->refs[i])) < 0 ||
		    (error = fe_push_u32(
		         &run->refs, &run->nrefs, &run->caprefs, rid)) < 0)
			return error;
		gm->nrefs++;
	}
	return 0;
}

/*
 * The manifest as a scanning thread parsed it, or read and parsed here
 * (not read ahead: too large, over the read-ahead budget, or reached from
 * another repository).  0 with p->rc set, or a read problem already
 * reported (p->rc < 0, p->message NULL).
 */
static int
get_parsed(struct gc_run *run, const struct drydock_digest *d, const char *path,
    const char *dstr, struct gc_parsed *p)
{
	char *buf = NULL;
	size_t len = 0;
	int r, error;

	if (gc_scan_take_manifest(run, d, p))
		return 0;
	memset(p, 0, sizeof(*p));
	r = drydock_store_blob_read(
	    &buf, &len, run->st, d, GC_MANIFEST_READ_MAX);
	if (r == DRYDOCK_ENOTFOUND) {
		p->rc = r;
		return 0;
	}
	if (r < 0) {
		drydock_store_problem(run->st, path, r,
		    "cannot read manifest %s: %s", dstr,
		    drydock_error_message());
		p->rc = r;
		return 0;
	}
	error = gc_parse_manifest(p, buf, len);
	free(buf);
	return error;
}

/*
 * Load a manifest once for the whole run and keep only its references.
 * A missing or unparsable manifest is remembered as such.
 */
static int
load_manifest(struct gc_run *run, uint32_t id)
{
	struct gc_manifest gm;
	struct gc_parsed p;
	struct drydock_digest d = gc_digest(run, id);
	char dstr[DRYDOCK_DIGEST_STRMAX], path[256];
	int error = 0;

	if (run->flags[id] & GC_LOADED)
		return 0;
	run->flags[id] |= GC_LOADED;
	memset(&gm, 0, sizeof(gm));
	gm.subject = UINT32_MAX;
	gm.refs = (uint32_t)run->nrefs;
	drydock_digest_format(dstr, &d);
	drydock_store_blob_path(path, sizeof(path), &d);

	if ((error = get_parsed(run, &d, path, dstr, &p)) < 0)
		return error;
	if (p.rc == DRYDOCK_ENOTFOUND) {
		/*
		 * Only a tag, a revision or an index reaches here: what the
		 * manifest named is unknown, as for an unparsable one.
		 */
		drydock_store_problem(run->st, path, p.rc,
		    "manifest %s is missing (its data file is gone); every "
		    "blob its repository links is kept",
		    dstr);
		gm.state = GC_MF_MISSING;
	} else if (p.rc < 0) {
		if (p.message != NULL)
			drydock_store_problem(run->st, path, p.rc,
			    "cannot parse manifest %s: %s", dstr, p.message);
		gm.state = GC_MF_CORRUPT;
	} else if ((error = intern_refs(run, &gm, &p)) < 0)
		goto out;
	if ((error = fe_grow((void **)&run->manifests, &run->capmanifests,
	         run->nmanifests + 1, sizeof(*run->manifests))) < 0)
		goto out;
	run->manifests[run->nmanifests] = gm;
	run->mf[id] = (uint32_t)run->nmanifests++;
out:
	gc_parsed_release(&p);
	return error;
}

int
gc_manifest_load(
    struct gc_run *run, uint32_t id, const struct gc_manifest **out)
{
	int error;

	*out = NULL;
	if ((error = load_manifest(run, id)) < 0)
		return error;
	*out = gc_manifest_of(run, id);
	return 0;
}
