/* SPDX-License-Identifier: MIT */
/*
 * copy.c --- choose the images to carry (tags by --repo/--image, the
 * referrers of everything chosen, untagged manifests with --untagged) and
 * copy each one depth first: layers and configs, children, then the
 * manifest itself, then (queued) its links and its name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"

/* --- selection ----------------------------------------------------------- */

/* Split "NAME:TAG" / "NAME@DIGEST" / "NAME" into its parts (new). */
static int
split_image(char **name_out, char **tag_out, struct drydock_digest *d,
    int *has_digest, const char *spec)
{
	const char *at = strchr(spec, '@'), *colon = strrchr(spec, ':');
	const char *slash = strrchr(spec, '/');

	*tag_out = NULL;
	*has_digest = 0;
	if (at != NULL) {
		if (drydock_digest_parse(d, at + 1, strlen(at + 1)) < 0)
			return DRYDOCK_ERROR;
		*has_digest = 1;
		*name_out = strndup(spec, (size_t)(at - spec));
	} else if (colon != NULL && (slash == NULL || slash < colon)) {
		*name_out = strndup(spec, (size_t)(colon - spec));
		*tag_out = mig_strdup(colon + 1);
		if (*tag_out == NULL)
			return mig_oom();
	} else {
		*name_out = mig_strdup(spec);
	}
	return *name_out == NULL ? mig_oom() : 0;
}

static int
add_root(struct mig_run *run, struct mig_entry *e, int why)
{
	struct mig_root *r;

	if (e->rooted)
		return 0;
	if (fe_grow((void **)&run->roots, &run->caproots, run->nroots + 1,
	        sizeof(*run->roots)) < 0)
		return mig_oom();
	r = &run->roots[run->nroots++];
	memset(r, 0, sizeof(*r));
	e->rooted = 1;
	r->e = e;
	r->why = why;
	r->size = e->size;
	r->dest_digest = e->digest;
	return 0;
}

static int
tag_selected(const struct mig_opts *o, const struct mig_entry *e, char **names,
    char **tags)
{
	size_t i;

	if (o->nrepos == 0 && o->nimages == 0)
		return 1;
	for (i = 0; i < o->nrepos; i++)
		if (strcmp(o->repos[i], e->repo) == 0)
			return 1;
	for (i = 0; i < o->nimages; i++) {
		if (names[i] == NULL || strcmp(names[i], e->repo) != 0)
			continue;
		if (o->all_tags ||
		    (tags[i] != NULL && strcmp(tags[i], e->tag) == 0))
			return 1;
	}
	return 0;
}

/* The manifests reachable from d through index children, into set. */
static int
closure_add(struct mig_run *run, struct drydock_digestmap *set,
    const char *repo, const struct drydock_digest *d, int depth)
{
	struct drydock_manifest *m = NULL;
	char *buf = NULL;
	size_t len, i;
	int error;

	if (depth > 16 || drydock_digestmap_get(set, d, NULL))
		return 0;
	if (drydock_digestmap_put(set, d, 0) < 0)
		return mig_oom();
	if (mig_source_manifest_read(&buf, &len, &run->src, repo, d) < 0 ||
	    drydock_manifest_parse(&m, buf, len) < 0) {
		drydock_error_clear(); /* the copy will say what is wrong */
		free(buf);
		return 0;
	}
	error = 0;
	for (i = 0; i < drydock_manifest_ref_count(m) && error == 0; i++) {
		const struct drydock_descriptor *r = drydock_manifest_ref(m, i);

		if (r->role == DRYDOCK_REF_CHILD)
			error =
			    closure_add(run, set, repo, &r->digest, depth + 1);
	}
	drydock_manifest_free(m);
	free(buf);
	return error;
}

/* Read an untagged entry's subject once. */
static void
load_subject(struct mig_run *run, struct mig_entry *e)
{
	struct drydock_manifest *m = NULL;
	const struct drydock_descriptor *s;
	char *buf = NULL;
	size_t len;

	if (e->subject_state != 0)
		return;
	e->subject_state = 2;
	if (mig_source_manifest_read(
	        &buf, &len, &run->src, e->repo, &e->digest) == 0 &&
	    drydock_manifest_parse(&m, buf, len) == 0 &&
	    (s = drydock_manifest_subject(m)) != NULL) {
		e->subject_state = 1;
		e->subject = s->digest;
	}
	drydock_error_clear();
	drydock_manifest_free(m);
	free(buf);
}

static int
copy_into(const struct drydock_digest *d, uint32_t value, void *payload)
{
	(void)value;
	return drydock_digestmap_put(payload, d, 0) < 0 ? mig_oom() : 0;
}

/*
 * In one repository (entries [lo, hi) of the catalogue): the referrers of
 * everything chosen, to a fixed point, and with --untagged every manifest
 * no chosen image reaches (children of another untagged index excepted).
 */
static int
select_in_repo(struct mig_run *run, size_t lo, size_t hi)
{
	struct drydock_digestmap *c = NULL, *kids = NULL, *one = NULL;
	const char *repo = run->src.entries[lo].repo;
	struct mig_entry *e;
	size_t i;
	int error, changed, any_subject = 0;

	for (i = lo; i < hi; i++) {
		if (run->src.entries[i].tag != NULL)
			continue;
		load_subject(run, &run->src.entries[i]);
		any_subject |= run->src.entries[i].subject_state == 1;
	}
	if (!any_subject && !run->o->untagged)
		return 0;
	if ((error = drydock_digestmap_new(&c, 64)) < 0 ||
	    (error = drydock_digestmap_new(&kids, 64)) < 0)
		goto out;
	for (i = 0; i < run->nroots; i++)
		if (strcmp(run->roots[i].e->repo, repo) == 0 &&
		    (error = closure_add(
		         run, c, repo, &run->roots[i].e->digest, 0)) < 0)
			goto out;
	do {
		changed = 0;
		for (i = lo; i < hi; i++) {
			e = &run->src.entries[i];
			if (e->tag != NULL || e->subject_state != 1 ||
			    drydock_digestmap_get(c, &e->digest, NULL) ||
			    !drydock_digestmap_get(c, &e->subject, NULL))
				continue;
			if ((error = add_root(run, e, MIG_WHY_REFERRER)) < 0 ||
			    (error = closure_add(run, c, repo, &e->digest, 0)) <
			        0)
				goto out;
			changed = 1;
		}
	} while (changed);
	if (!run->o->untagged)
		goto out;
	/* children of an untagged index go with it, not on their own */
	for (i = lo; i < hi; i++) {
		e = &run->src.entries[i];
		if (e->tag != NULL ||
		    drydock_digestmap_get(c, &e->digest, NULL))
			continue;
		if ((error = drydock_digestmap_new(&one, 8)) < 0 ||
		    (error = closure_add(run, one, repo, &e->digest, 0)) < 0)
			goto out;
		drydock_digestmap_del(one, &e->digest);
		if ((error = drydock_digestmap_foreach(one, copy_into, kids)) <
		    0)
			goto out;
		drydock_digestmap_free(one);
		one = NULL;
	}
	for (i = lo; i < hi; i++) {
		e = &run->src.entries[i];
		if (e->tag != NULL ||
		    drydock_digestmap_get(c, &e->digest, NULL) ||
		    drydock_digestmap_get(kids, &e->digest, NULL))
			continue;
		if ((error = add_root(run, e, MIG_WHY_UNTAGGED)) < 0)
			goto out;
	}
out:
	drydock_digestmap_free(one);
	drydock_digestmap_free(c);
	drydock_digestmap_free(kids);
	return error;
}

int
mig_select(struct mig_run *run)
{
	const struct mig_opts *o = run->o;
	struct mig_source *src = &run->src;
	char **names = NULL, **tags = NULL;
	struct drydock_digest d;
	struct mig_entry *e;
	size_t i, j, lo, roots_lo;
	int in_repo;
	int error = 0, has_digest, found;

	if (o->nimages &&
	    ((names = calloc(o->nimages, sizeof(*names))) == NULL ||
	        (tags = calloc(o->nimages, sizeof(*tags))) == NULL)) {
		error = mig_oom();
		goto out;
	}
	for (i = 0; i < o->nimages; i++) {
		if (split_image(&names[i], &tags[i], &d, &has_digest,
		        o->images[i]) < 0) {
			error = DRYDOCK_ERROR;
			goto out;
		}
		if (has_digest) {
			e = mig_source_lookup(src, names[i], NULL, &d);
			if (e == NULL) {
				mig_problem(run, "--image %s: no such manifest",
				    o->images[i]);
				run->failures++;
				continue;
			}
			if ((error = add_root(run, e, MIG_WHY_UNTAGGED)) < 0)
				goto out;
		} else if (tags[i] == NULL && !o->all_tags) {
			if ((tags[i] = mig_strdup("latest")) == NULL) {
				error = mig_oom();
				goto out;
			}
		}
	}
	for (lo = 0; lo < src->n; lo = j) {
		roots_lo = run->nroots;
		for (j = lo; j < src->n &&
		     strcmp(src->entries[j].repo, src->entries[lo].repo) == 0;
		     j++) {
			e = &src->entries[j];
			if (e->tag != NULL && tag_selected(o, e, names, tags) &&
			    (error = add_root(run, e, MIG_WHY_TAG)) < 0)
				goto out;
		}
		for (in_repo = run->nroots > roots_lo, i = 0;
		     i < roots_lo && !in_repo; i++)
			in_repo = strcmp(run->roots[i].e->repo,
			              src->entries[lo].repo) == 0;
		if ((in_repo ||
		        (run->o->untagged && o->nimages == 0 &&
		            o->nrepos == 0)) &&
		    (error = select_in_repo(run, lo, j)) < 0)
			goto out;
		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
	}
	/* a name given and matched by nothing is worth saying */
	for (i = 0; i < o->nrepos; i++) {
		for (found = 0, j = 0; j < run->nroots && !found; j++)
			found = strcmp(run->roots[j].e->repo, o->repos[i]) == 0;
		if (!found) {
			mig_problem(
			    run, "--repo %s: no tag found", o->repos[i]);
			run->failures++;
		}
	}
	for (i = 0; i < o->nimages; i++) {
		if (names[i] == NULL || strchr(o->images[i], '@') != NULL)
			continue;
		for (found = 0, j = 0; j < run->nroots && !found; j++)
			found = strcmp(run->roots[j].e->repo, names[i]) == 0 &&
			    (tags[i] == NULL || o->all_tags ||
			        (run->roots[j].e->tag != NULL &&
			            strcmp(run->roots[j].e->tag, tags[i]) ==
			                0));
		if (!found) {
			mig_problem(
			    run, "--image %s: no such tag", o->images[i]);
			run->failures++;
		}
	}
out:
	for (i = 0; i < o->nimages && names != NULL && tags != NULL; i++) {
		free(names[i]);
		free(tags[i]);
	}
	free(names);
	free(tags);
	return error;
}

/* --- copying ------------------------------------------------------------- */

static int
root_fail(struct mig_root *r, const char *what)
{
	char buf[DRYDOCK_ERROR_MSGMAX + 128];

	snprintf(buf, sizeof(buf), "%s%s%s", what != NULL ? what : "",
	    what != NULL ? ": " : "", drydock_error_message());
	free(r->error);
	r->error = mig_strdup(buf);
	r->status = MIG_FAILED;
	return 0;
}

/*
 * A blob of a docker:// source: present at the destination already (a
 * rerun), else pulled into it.
 */
static int
pull_blob(struct mig_run *run, struct drydock_blobcopy *bc, const char *repo,
    const struct drydock_descriptor *desc)
{
	char name[DRYDOCK_DIGEST_STRMAX];
	uint64_t bytes;
	int dfd, owned, error;

	if (mig_dest_has_blob(run, &desc->digest, desc->size))
		return 0;
	if ((dfd = mig_dest_blob_dir(&run->dst, &desc->digest, name, &owned)) <
	    0)
		return dfd;
	error = mig_remote_pull_blob(
	    run->src.rem, bc, repo, desc, dfd, name, &bytes);
	if (error == 0)
		error = mig_dest_blob_staged(run, dfd, name, &desc->digest);
	if (owned)
		close(dfd);
	if (error < 0) {
		mig_dest_blob_abandon(run, &desc->digest);
		return error;
	}
	__atomic_add_fetch(&run->pulled, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&run->pulled_bytes, bytes, __ATOMIC_RELAXED);
	return 0;
}

struct push_src {
	struct mig_run *run;
	const char *repo;
	const struct drydock_descriptor *desc;
};

/*
 * The bytes of a blob to push, in a file (retries and chunks read it at
 * offsets): the source's, a copy of a stream, or pulled first.
 */
static int
push_open(int *fd_out, void *ctx)
{
	struct push_src *p = ctx;
	struct mig_run *run = p->run;
	uint64_t bytes;
	int error;

	/* a stream from S3 is copied out first: the push reads at offsets */
	if (run->src.rem == NULL)
		return mig_source_blob_open_file(
		    fd_out, &run->src, &p->desc->digest, p->desc->size);
	if ((error = mig_remote_fetch(
	         run->src.rem, p->repo, p->desc, fd_out, &bytes)) < 0)
		return error;
	__atomic_add_fetch(&run->pulled, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&run->pulled_bytes, bytes, __ATOMIC_RELAXED);
	return 0;
}

/* A blob to a docker:// destination, unless it holds it already. */
static int
push_blob(struct mig_run *run, const char *repo,
    const struct drydock_descriptor *desc)
{
	struct push_src p = {run, repo, desc};
	int how;

	if (mig_dest_pushed(run, repo, &desc->digest))
		return 0;
	return mig_dest_push_blob(
	    run, &how, repo, &desc->digest, desc->size, push_open, &p);
}

static int
copy_blob(struct mig_run *run, struct mig_root *r, const char *repo,
    const struct drydock_descriptor *desc)
{
	struct drydock_digest key;
	int fd, how, error;

	if (run->dst.type == MIG_LOC_DOCKER) {
		if (desc->foreign) {
			run->foreign_skipped++;
			return 0;
		}
		if ((error = push_blob(run, repo, desc)) < 0)
			return error;
	} else if (!drydock_digestmap_get(run->placed, &desc->digest, NULL) &&
	    run->src.rem != NULL && !desc->foreign) {
		if ((error = pull_blob(run, run->bc, repo, desc)) < 0)
			return error;
		if (drydock_digestmap_put(run->placed, &desc->digest, 0) < 0)
			return mig_oom();
	} else if (!drydock_digestmap_get(run->placed, &desc->digest, NULL) &&
	    (error = mig_dest_server_copy(
	         run, &how, &desc->digest, desc->size)) != 0) {
		if (error < 0)
			return error;
		if (drydock_digestmap_put(run->placed, &desc->digest, 0) < 0)
			return mig_oom();
	} else if (!drydock_digestmap_get(run->placed, &desc->digest, NULL)) {
		fd = mig_source_blob_open(&run->src, &desc->digest);
		if (fd == DRYDOCK_ENOTFOUND && desc->foreign) {
			/* foreign: the descriptor stays, the data is elsewhere
			 */
			drydock_error_clear();
			run->foreign_skipped++;
			return 0;
		}
		if (fd < 0)
			return fd;
		error =
		    mig_dest_put_blob(run, &how, fd, &desc->digest, desc->size);
		close(fd);
		if (error < 0)
			return error;
		if (drydock_digestmap_put(run->placed, &desc->digest, 0) < 0)
			return mig_oom();
	}
	r->nblobs++;
	if (desc->size > 0)
		r->bytes += (uint64_t)desc->size;
	mig_repo_key(&key, repo, &desc->digest);
	if (drydock_digestmap_add(run->repo_linked, &key, 0, NULL) == 1)
		return mig_dest_queue(
		    run, MIG_PEND_LAYER, repo, NULL, &desc->digest, NULL, -1);
	return 0;
}

/*
 * Copy the manifest d of repo and everything under it.  *dest_out gets
 * the digest it has at the destination (another one after a conversion),
 * *mt_out (borrowed from the change list or NULL: unchanged) its type.
 */
static int
copy_manifest(struct mig_run *run, struct mig_root *r, const char *repo,
    const char *tag, const struct drydock_digest *d, int depth,
    struct drydock_digest *dest_out, int64_t *size_out, char **mt_out)
{
	struct drydock_manifest *m = NULL;
	struct drydock_digest key, nd;
	char *buf = NULL, *nbuf = NULL;
	const char *out, *mt;
	size_t len, nlen, i;
	uint32_t ci;
	int error, how, kind;

	*dest_out = *d;
	if (depth > 16) {
		drydock_error_set(DRYDOCK_ERRCLASS_MANIFEST,
		    "indexes nested more than 16 deep");
		return DRYDOCK_ECORRUPT;
	}
	if ((error = mig_source_manifest_read(&buf, &len, &run->src, repo, d)) <
	    0)
		return error;
	*size_out = (int64_t)len;
	if ((error = drydock_manifest_parse(&m, buf, len)) < 0)
		goto out;
	if (mt_out != NULL &&
	    (*mt_out = mig_strdup(drydock_manifest_media_type(m))) == NULL) {
		error = mig_oom();
		goto out;
	}
	mig_repo_key(&key, repo, d);
	if (drydock_digestmap_get(run->repo_done, &key, NULL)) {
		/* done in this run: its destination digest is known */
		if (drydock_digestmap_get(run->conv, d, &ci)) {
			*dest_out = run->changes[ci].to;
			if (mt_out != NULL) {
				free(*mt_out);
				*mt_out = mig_strdup(run->changes[ci].to_type);
			}
		} else if (tag != NULL && run->dst.type == MIG_LOC_DOCKER) {
			/* another tag of the same manifest: its own PUT */
			error = mig_dest_put_manifest(run, &how, repo, tag,
			    drydock_manifest_media_type(m), buf, len, d);
		}
		goto out;
	}
	for (i = 0; i < drydock_manifest_ref_count(m); i++) {
		const struct drydock_descriptor *ref =
		    drydock_manifest_ref(m, i);
		struct drydock_digest cd;
		int64_t csz;

		if (mig_stop) {
			error = DRYDOCK_EINTR;
			goto out;
		}
		if (ref->role == DRYDOCK_REF_CONFIG ||
		    ref->role == DRYDOCK_REF_LAYER)
			error = copy_blob(run, r, repo, ref);
		else if (ref->role == DRYDOCK_REF_CHILD)
			error = copy_manifest(run, r, repo, NULL, &ref->digest,
			    depth + 1, &cd, &csz, NULL);
		if (error < 0)
			goto out;
	}
	out = buf;
	nlen = len;
	nd = *d;
	kind = drydock_manifest_kind(m);
	if (run->o->to_oci_types &&
	    (kind == DRYDOCK_MANIFEST_DOCKER_V2 ||
	        kind == DRYDOCK_MANIFEST_DOCKER_LIST)) {
		if ((error = mig_convert_to_oci(
		         run, &nbuf, &nlen, &nd, buf, len, repo)) < 0)
			goto out;
		out = nbuf;
		if (drydock_digestmap_get(run->conv, d, &ci) &&
		    mt_out != NULL) {
			free(*mt_out);
			*mt_out = mig_strdup(run->changes[ci].to_type);
		}
	} else if (run->o->to_oci_types && kind == DRYDOCK_MANIFEST_OCI_INDEX) {
		if ((error = mig_convert_children(
		         run, &nbuf, &nlen, &nd, buf, len)) < 0)
			goto out;
		if (error == 1)
			out = nbuf;
		error = 0;
	}
	if (run->o->to_oci_types && drydock_manifest_subject(m) != NULL &&
	    drydock_digestmap_get(
	        run->conv, &drydock_manifest_subject(m)->digest, NULL)) {
		char ds[DRYDOCK_DIGEST_STRMAX];

		mig_problem(run,
		    "%s@%s: its subject was converted to OCI; the referrer "
		    "still names the old digest",
		    repo, drydock_digest_format(ds, d));
	}
	mt = drydock_manifest_media_type(m);
	if (out != buf && drydock_digestmap_get(run->conv, d, &ci))
		mt = run->changes[ci].to_type;
	if ((error = mig_dest_put_manifest(
	         run, &how, repo, tag, mt, out, nlen, &nd)) < 0)
		goto out;
	if ((error = mig_dest_queue(
	         run, MIG_PEND_REVISION, repo, NULL, &nd, NULL, -1)) < 0)
		goto out;
	if (drydock_digestmap_put(run->repo_done, &key, 0) < 0) {
		error = mig_oom();
		goto out;
	}
	r->nblobs++;
	r->bytes += nlen;
	*dest_out = nd;
	*size_out = (int64_t)nlen;
out:
	drydock_manifest_free(m);
	free(buf);
	free(nbuf);
	return error;
}

static int
copy_root(struct mig_run *run, struct mig_root *r)
{
	const struct mig_entry *e = r->e;
	int64_t size = -1;
	char *mt = NULL;
	int error;

	error = copy_manifest(run, r, e->repo, e->tag, &e->digest, 0,
	    &r->dest_digest, &size, &mt);
	if (error == DRYDOCK_EINTR || error == DRYDOCK_EUNSUPPORTED ||
	    (error < 0 && mig_error_fatal())) {
		/*
		 * interrupted, --link hard|reflink where it cannot be, or a
		 * destination full or read-only: no other image would fare
		 * better
		 */
		free(mt);
		return error;
	}
	if (error < 0 && run->dst.type == MIG_LOC_OCI_ARCHIVE &&
	    run->failures) {
		free(mt);
		return error; /* the archive took bad bytes: give up */
	}
	if (error < 0) {
		free(mt);
		return root_fail(r, NULL);
	}
	r->size = size;
	r->media_type = mt;
	mt = NULL;
	if (!drydock_digest_equal(&r->dest_digest, &e->digest)) {
		uint32_t ci;

		if (drydock_digestmap_get(run->conv, &e->digest, &ci))
			r->dest_media_type =
			    mig_strdup(run->changes[ci].to_type);
	}
	return mig_dest_queue(run, MIG_PEND_ROOT, e->repo, e->tag,
	    &r->dest_digest,
	    r->dest_media_type != NULL ? r->dest_media_type : r->media_type,
	    size);
}

/* --- a docker:// source: its blobs pulled in parallel first ------------ */

struct prefetch_item {
	const char *repo; /* borrowed from the catalogue */
	struct drydock_descriptor desc; /* digest, size */
};

struct prefetch {
	struct mig_run *run;
	struct drydock_digestmap *seen;
	struct prefetch_item *items;
	size_t n, cap;
};

/* The configs and layers under manifest d of repo, each blob once. */
static int
prefetch_walk(struct prefetch *p, const char *repo,
    const struct drydock_digest *d, int depth)
{
	struct drydock_manifest *m = NULL;
	char *buf = NULL;
	size_t len, i;
	int error = 0;

	if (depth > 16 ||
	    mig_source_manifest_read(&buf, &len, &p->run->src, repo, d) < 0 ||
	    drydock_manifest_parse(&m, buf, len) < 0) {
		drydock_error_clear(); /* the copy says what is wrong */
		free(buf);
		return mig_stop ? DRYDOCK_EINTR : 0;
	}
	for (i = 0; i < drydock_manifest_ref_count(m) && error == 0; i++) {
		const struct drydock_descriptor *r = drydock_manifest_ref(m, i);

		if (r->role == DRYDOCK_REF_CHILD) {
			error = prefetch_walk(p, repo, &r->digest, depth + 1);
			continue;
		}
		if ((r->role != DRYDOCK_REF_CONFIG &&
		        r->role != DRYDOCK_REF_LAYER) ||
		    r->foreign ||
		    drydock_digestmap_get(p->seen, &r->digest, NULL))
			continue;
		if (drydock_digestmap_put(p->seen, &r->digest, 0) < 0 ||
		    fe_grow((void **)&p->items, &p->cap, p->n + 1,
		        sizeof(*p->items)) < 0) {
			error = mig_oom();
			break;
		}
		p->items[p->n].repo = repo;
		memset(&p->items[p->n].desc, 0, sizeof(p->items[p->n].desc));
		p->items[p->n].desc.digest = r->digest;
		p->items[p->n].desc.size = r->size;
		p->n++;
	}
	drydock_manifest_free(m);
	free(buf);
	return error;
}

static int
prefetch_one(void *ctx, size_t i)
{
	struct prefetch *p = ctx;
	struct mig_run *run = p->run;
	struct drydock_blobcopy *bc = NULL;
	int error;

	/* a copier per transfer: its counters are not shared */
	if ((error = drydock_blobcopy_new(&bc, run->o->link_mode,
	         run->dst.type == MIG_LOC_REGISTRY ? DRYDOCK_BLOBCOPY_OWNER
	                                           : 0)) < 0)
		return error;
	drydock_blobcopy_set_cancel(bc, &mig_stop);
	if (run->dst.type == MIG_LOC_DOCKER)
		error = push_blob(run, p->items[i].repo, &p->items[i].desc);
	else
		error = pull_blob(run, bc, p->items[i].repo, &p->items[i].desc);
	drydock_blobcopy_free(bc);
	/* the copy tries again and tells which image it failed */
	if (error < 0 && error != DRYDOCK_EINTR && error != DRYDOCK_EAUTH &&
	    !mig_error_fatal())
		error = 0;
	return error;
}

/*
 * Every blob the chosen images need, on -j threads over the client's
 * shared connections; the copy then finds them in place.
 */
static int
prefetch(struct mig_run *run)
{
	struct prefetch p;
	size_t i;
	int error = 0;

	memset(&p, 0, sizeof(p));
	p.run = run;
	if ((error = drydock_digestmap_new(&p.seen, 1024)) < 0)
		return error;
	for (i = 0; i < run->nroots && error == 0; i++)
		error = prefetch_walk(
		    &p, run->roots[i].e->repo, &run->roots[i].e->digest, 0);
	if (error == 0)
		error = mig_parallel(p.n, run->o->jobs, prefetch_one, &p);
	drydock_digestmap_free(p.seen);
	free(p.items);
	return error;
}

/* docker://HOST/REPO:TAG names one image: one tag may go there. */
static int
dest_tag_ok(struct mig_run *run)
{
	size_t i, n = 0;

	if (run->dst.rem == NULL || mig_remote_ref(run->dst.rem)->tag == NULL)
		return 0;
	for (i = 0; i < run->nroots; i++)
		n += run->roots[i].e->tag != NULL;
	if (n <= 1)
		return 0;
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "'%s' names one tag, and %zu tagged images were chosen: name the "
	    "repository alone (their tags are kept), or choose one image",
	    run->o->dst.spec, n);
	return DRYDOCK_ERROR;
}

int
mig_copy(struct mig_run *run)
{
	size_t i;
	int error;

	struct fe_progress p;

	if ((error = dest_tag_ok(run)) < 0)
		return error;
	if ((run->src.rem != NULL || run->dst.type == MIG_LOC_DOCKER) &&
	    (error = prefetch(run)) < 0)
		return error;
	/* images done of all, with rate and time left, as gc's and fsck's */
	fe_progress_init(&p, run->o->com.progress);
	for (i = 0; i < run->nroots; i++) {
		if (mig_stop) {
			fe_progress_end(&p);
			return DRYDOCK_EINTR;
		}
		fe_progress_show(&p, "images", i, run->nroots, 0, 0);
		if ((error = copy_root(run, &run->roots[i])) < 0) {
			fe_progress_end(&p);
			return error;
		}
	}
	fe_progress_show(
	    &p, "links and names of images", run->nroots, run->nroots, 0, 0);
	error = mig_dest_finish(run);
	fe_progress_end(&p);
	return error;
}
