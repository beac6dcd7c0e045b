/* SPDX-License-Identifier: MIT */
/*
 * gen-tree.c --- write a synthetic registry storage tree, in the exact
 * layout of the distribution filesystem driver, for the gc benchmarks.
 *
 * Every blob's path digest is the sha256 of its bytes; manifests are real
 * JSON (Docker schema2, Docker manifest lists, OCI manifests and indexes,
 * OCI artifacts with a subject) with correct descriptor sizes; every
 * repository has _layers links for what its manifests use and revision
 * links for its manifests.  The output is deterministic for a given seed.
 *
 * After writing, the tool runs the marks itself and prints what a correct
 * gc should find (key=value lines), so a benchmark can check the answers
 * of the tools it times.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <drydock/digest.h>
#include <drydock/errors.h>

#define GEN_VERSION "3"
#define NONE UINT32_MAX
#define MAXLAYERS 16
#define JSONMAX (64 * 1024)

enum family { FAM_DOCKER, FAM_OCI };
enum mf_kind { MF_IMAGE, MF_INDEX, MF_ARTIFACT };
enum event { EV_IMG, EV_IDX, EV_REF, EV_SIG, EV_DEL };

/* mark bits */
#define MARK_PLAIN 0x1 /* reachable from any revision */
#define MARK_DDM 0x2 /* drydock --delete-untagged */
#define MARK_DRM 0x4 /* distribution 2.8 --delete-untagged */

/* manifest flags */
#define MFF_REVISION 0x1 /* has a revision link */
#define MFF_TAGGED 0x2 /* some tag's current */

static const char *const media_types[] = {
#define MT_D_MANIFEST 0
    "application/vnd.docker.distribution.manifest.v2+json",
#define MT_D_LIST 1
    "application/vnd.docker.distribution.manifest.list.v2+json",
#define MT_O_MANIFEST 2
    "application/vnd.oci.image.manifest.v1+json",
#define MT_O_INDEX 3
    "application/vnd.oci.image.index.v1+json",
};

struct rng {
	uint64_t s[4];
};

struct blob {
	uint8_t raw[32];
	uint32_t size;
	uint32_t mf; /* manifest index, or NONE */
	uint32_t linked; /* last repository (index + 1) that linked it */
	uint8_t mark;
};

struct mf {
	uint32_t blob;
	uint32_t repo;
	uint32_t refs; /* offset into gen.refs */
	uint32_t subject; /* blob index, or NONE */
	uint16_t nrefs;
	uint8_t kind;
	uint8_t mt; /* media_types[] index */
	uint8_t flags;
};

struct pair {
	uint32_t repo;
	uint32_t blob;
};

struct tag {
	char name[136];
	uint32_t cur;
	uint32_t *hist;
	size_t nhist, histcap;
	int pinned;
};

struct plan {
	uint32_t ev; /* offset into gen.events */
	uint32_t nev;
	int org; /* -1: none */
	int family;
	char *name;
};

struct gen {
	/* options */
	uint32_t nrepos;
	double per_repo;
	uint64_t nblobs_target;
	uint64_t seed;
	int unref_pct;
	int nuploads;
	int quiet;
	const char *root;

	struct rng prng; /* the plan */
	struct rng rng; /* the content */
	char v2[4096];
	int blobs_fd;
	int hh_fd[256];

	struct blob *blobs;
	size_t nblobs, blobcap;
	struct mf *mfs;
	size_t nmfs, mfcap;
	uint32_t *refs;
	size_t nrefs, refcap;
	struct pair *links;
	size_t nlinks, linkcap;
	struct pair *hist; /* tag history entries */
	size_t nhist, histcap;

	struct plan *plans;
	uint8_t *events;
	size_t nevents, eventcap;

	/* shared layer pools, lazily written */
	uint32_t nchains;
	uint32_t *chain; /* 2 per chain: layer blob or NONE */
	uint8_t *chainlen;
	uint32_t norgs;
	uint32_t *orgpool; /* 3 per org */
	uint8_t *orgrepo; /* org name used as a repository already */
	uint32_t empty_blob; /* "{}" */

	int64_t layer_budget;
	uint64_t images_left;
	uint64_t bytes;
	time_t epoch;

	/* counts */
	uint64_t n_tags, n_uploads, n_orphans, n_orphans_linked, n_deleted;
	uint64_t n_indexes, n_artifacts, n_sigs;
};

/* the repository being written */
struct repo {
	uint32_t idx;
	int fd, layers_fd, rev_fd, tags_fd;
	int family;
	int org;
	uint32_t prev[4]; /* reusable app layers of the last image */
	int nprev;
	uint32_t last_top; /* last top-level push (manifest blob) */
	int last_top_tag; /* its version tag, or -1 */
	int minor;
	struct tag *tags;
	size_t ntags, tagcap;
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen-tree: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void path_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf for paths: a path that does not fit is fatal. */
static void
path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		die("path too long");
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL && n != 0)
		die("out of memory");
	return p;
}

#define GROW(arr, len, cap)                                                    \
	do {                                                                   \
		if ((len) == (cap)) {                                          \
			(cap) = (cap) ? (cap)*2 : 1024;                        \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));       \
		}                                                              \
	} while (0)

/* --- random numbers: splitmix64 seeding a xoshiro256** ------------------ */

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

static void
rng_fill(struct rng *r, uint8_t *buf, size_t len)
{
	while (len >= 8) {
		uint64_t v = rng_next(r);

		memcpy(buf, &v, 8);
		buf += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t v = rng_next(r);

		memcpy(buf, &v, len);
	}
}

/* --- a fixed-capacity string builder for JSON -------------------------- */

struct sb {
	char buf[JSONMAX];
	size_t len;
};

static void sb_printf(struct sb *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sizeof(sb->buf) - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(sb->buf) - sb->len)
		die("json buffer overflow");
	sb->len += (size_t)n;
}

/* --- files ------------------------------------------------------------- */

static void
mkdir_at(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0777) < 0 && errno != EEXIST)
		die("mkdir '%s': %s", name, strerror(errno));
}

static int
open_dir_at(int dirfd, const char *name)
{
	int fd;

	mkdir_at(dirfd, name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open '%s': %s", name, strerror(errno));
	return fd;
}

static void
mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		die("path too long: '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			die("mkdir '%s': %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0777) < 0 && errno != EEXIST)
		die("mkdir '%s': %s", buf, strerror(errno));
}

static int
open_dir_p(const char *path)
{
	int fd;

	mkdir_p(path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open '%s': %s", path, strerror(errno));
	return fd;
}

static void
write_at(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0)
		die("create '%s': %s", name, strerror(errno));
	if (len > 0 && write(fd, buf, len) != (ssize_t)len)
		die("write '%s': %s", name, strerror(errno));
	if (close(fd) < 0)
		die("close '%s': %s", name, strerror(errno));
}

/*
 * The blobs/ half of the tree is written by a second thread, so the two
 * halves go to the filesystem in parallel.  Blob directories are never
 * closed before the end, so a queued write can always use its fd.
 */
struct wop {
	struct wop *next;
	int dirfd;
	uint32_t len;
	char hex[65];
	uint8_t data[];
};

#define WQ_MAX 8192

static struct {
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct wop *head, *tail;
	size_t n;
	int done;
	pthread_t thread;
} wq = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0};

static void *
writer_main(void *arg)
{
	char name[80];

	(void)arg;
	for (;;) {
		struct wop *op;

		pthread_mutex_lock(&wq.mu);
		while (wq.head == NULL && !wq.done)
			pthread_cond_wait(&wq.more, &wq.mu);
		op = wq.head;
		if (op != NULL) {
			wq.head = op->next;
			if (wq.head == NULL)
				wq.tail = NULL;
			if (wq.n-- == WQ_MAX)
				pthread_cond_signal(&wq.room);
		}
		pthread_mutex_unlock(&wq.mu);
		if (op == NULL)
			return NULL;
		if (mkdirat(op->dirfd, op->hex, 0777) < 0)
			die("blob sha256:%s: %s (duplicate content?)", op->hex,
			    strerror(errno));
		snprintf(name, sizeof(name), "%s/data", op->hex);
		write_at(op->dirfd, name, op->data, op->len);
		free(op);
	}
}

static void
writer_start(void)
{
	if (pthread_create(&wq.thread, NULL, writer_main, NULL) != 0)
		die("cannot start the writer thread");
}

static void
writer_stop(void)
{
	pthread_mutex_lock(&wq.mu);
	wq.done = 1;
	pthread_cond_signal(&wq.more);
	pthread_mutex_unlock(&wq.mu);
	pthread_join(wq.thread, NULL);
}

static void
writer_push(int dirfd, const char *hex, const void *buf, size_t len)
{
	struct wop *op = xrealloc(NULL, sizeof(*op) + len);

	op->next = NULL;
	op->dirfd = dirfd;
	op->len = (uint32_t)len;
	memcpy(op->hex, hex, 65);
	memcpy(op->data, buf, len);
	pthread_mutex_lock(&wq.mu);
	while (wq.n >= WQ_MAX)
		pthread_cond_wait(&wq.room, &wq.mu);
	if (wq.tail != NULL)
		wq.tail->next = op;
	else
		wq.head = op;
	wq.tail = op;
	if (wq.n++ == 0)
		pthread_cond_signal(&wq.more);
	pthread_mutex_unlock(&wq.mu);
}

static void
blob_hex(char out[65], const struct gen *g, uint32_t b)
{
	static const char xd[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = xd[g->blobs[b].raw[i] >> 4];
		out[2 * i + 1] = xd[g->blobs[b].raw[i] & 15];
	}
	out[64] = '\0';
}

/* Write the data of a new blob; returns its index. */
static uint32_t
blob_put(struct gen *g, const void *buf, size_t len)
{
	struct drydock_digest d;
	struct blob *b;
	char hex[65], name[80];
	uint32_t idx;
	int hh;

	if (drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, buf, len) < 0)
		die("sha256: %s", drydock_error_message());
	GROW(g->blobs, g->nblobs, g->blobcap);
	idx = (uint32_t)g->nblobs++;
	b = &g->blobs[idx];
	memcpy(b->raw, d.raw, 32);
	b->size = (uint32_t)len;
	b->mf = NONE;
	b->linked = 0;
	b->mark = 0;
	hh = d.raw[0];
	if (g->hh_fd[hh] < 0) {
		snprintf(name, sizeof(name), "%02x", hh);
		g->hh_fd[hh] = open_dir_at(g->blobs_fd, name);
	}
	blob_hex(hex, g, idx);
	writer_push(g->hh_fd[hh], hex, buf, len);
	g->bytes += len;
	return idx;
}

static uint32_t
blob_random(struct gen *g, uint32_t lo, uint32_t hi)
{
	uint8_t buf[1024];
	uint32_t len = lo + rng_below(&g->rng, hi - lo + 1);

	rng_fill(&g->rng, buf, len);
	return blob_put(g, buf, len);
}

/* A link file under dirfd: <hex>/link holding "sha256:<hex>". */
static void
write_link(struct gen *g, int dirfd, uint32_t b)
{
	char hex[65], name[80], content[72];

	blob_hex(hex, g, b);
	mkdir_at(dirfd, hex);
	snprintf(name, sizeof(name), "%s/link", hex);
	memcpy(content, "sha256:", 7);
	memcpy(content + 7, hex, 64);
	write_at(dirfd, name, content, 71);
}

static void
layer_link(struct gen *g, struct repo *r, uint32_t b)
{
	if (g->blobs[b].linked == r->idx + 1)
		return;
	g->blobs[b].linked = r->idx + 1;
	write_link(g, r->layers_fd, b);
	GROW(g->links, g->nlinks, g->linkcap);
	g->links[g->nlinks++] = (struct pair){r->idx, b};
}

static uint32_t
mf_add(struct gen *g, uint32_t blob, uint32_t repo, int kind, int mt,
    const uint32_t *refs, size_t nrefs, uint32_t subject)
{
	struct mf *m;
	uint32_t idx;

	GROW(g->mfs, g->nmfs, g->mfcap);
	idx = (uint32_t)g->nmfs++;
	m = &g->mfs[idx];
	m->blob = blob;
	m->repo = repo;
	m->refs = (uint32_t)g->nrefs;
	m->nrefs = (uint16_t)nrefs;
	m->subject = subject;
	m->kind = (uint8_t)kind;
	m->mt = (uint8_t)mt;
	m->flags = 0;
	for (size_t i = 0; i < nrefs; i++) {
		GROW(g->refs, g->nrefs, g->refcap);
		g->refs[g->nrefs++] = refs[i];
	}
	g->blobs[blob].mf = idx;
	return idx;
}

static void
revision(struct gen *g, struct repo *r, uint32_t mfi, int deleted)
{
	char hex[65];

	if (deleted) {
		/* an API DELETE leaves the revision directory, empty */
		blob_hex(hex, g, g->mfs[mfi].blob);
		mkdir_at(r->rev_fd, hex);
		return;
	}
	g->mfs[mfi].flags |= MFF_REVISION;
	write_link(g, r->rev_fd, g->mfs[mfi].blob);
}

/* --- content ----------------------------------------------------------- */

static void
timestamp(struct gen *g, char out[40])
{
	time_t t = g->epoch + (time_t)rng_below(&g->rng, 365u * 86400u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 21, ".%09uZ", rng_below(&g->rng, 1000000000u));
}

static void
sb_digest(struct sb *sb, const struct gen *g, uint32_t b)
{
	char hex[65];

	blob_hex(hex, g, b);
	sb_printf(sb, "sha256:%s", hex);
}

/* A descriptor: Docker style (pretty, 3 spaces) or OCI (compact). */
static void
sb_desc(struct sb *sb, const struct gen *g, int pretty, int indent,
    const char *mt, uint32_t b)
{
	if (pretty) {
		sb_printf(
		    sb, "{\n%*s\"mediaType\": \"%s\",\n", indent + 3, "", mt);
		sb_printf(
		    sb, "%*s\"size\": %u,\n", indent + 3, "", g->blobs[b].size);
		sb_printf(sb, "%*s\"digest\": \"", indent + 3, "");
		sb_digest(sb, g, b);
		sb_printf(sb, "\"\n%*s}", indent, "");
		return;
	}
	sb_printf(sb, "{\"mediaType\":\"%s\",\"digest\":\"", mt);
	sb_digest(sb, g, b);
	sb_printf(sb, "\",\"size\":%u}", g->blobs[b].size);
}

static uint32_t
image_config(struct gen *g, int family, const char *arch, const char *app,
    const uint32_t *layers, int nlayers)
{
	static struct sb sb;
	char ts[40];

	sb.len = 0;
	timestamp(g, ts);
	sb_printf(&sb,
	    "{\"architecture\":\"%s\",\"config\":{\"Env\":[\"PATH="
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
	    "\"Cmd\":[\"/usr/local/bin/%s\"],\"WorkingDir\":\"/srv\","
	    "\"Labels\":{\"build\":\"%" PRIu64 "\"}},\"created\":\"%s\","
	    "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[",
	    arch, app, rng_next(&g->rng) >> 16, ts);
	for (int i = 0; i < nlayers; i++) {
		sb_printf(&sb, "%s\"", i ? "," : "");
		sb_digest(&sb, g, layers[i]);
		sb_printf(&sb, "\"");
	}
	sb_printf(&sb, "]}%s}",
	    family == FAM_DOCKER ? ",\"docker_version\":\"24.0.7\"" : "");
	return blob_put(g, sb.buf, sb.len);
}

static uint32_t
pool_layer(struct gen *g, uint32_t *slot)
{
	if (*slot == NONE) {
		*slot = blob_random(g, 256, 512);
		g->layer_budget--;
	}
	return *slot;
}

/* Draw the number of new layers for one image from the budget. */
static int
budget_draw(struct gen *g)
{
	double x;
	int k;

	if (g->images_left == 0 || g->layer_budget <= 0)
		return 0;
	x = (double)g->layer_budget / (double)g->images_left;
	k = (int)x;
	if (rng_chance(&g->rng, x - k))
		k++;
	if (k > 8)
		k = 8;
	return k;
}

/*
 * An image manifest with its config and layers, all linked in the
 * repository.  deleted: written as an API-deleted image (no revision link,
 * its layers fresh).  Returns the manifest index.
 */
static uint32_t
make_image(struct gen *g, struct repo *r, const char *app, const char *arch,
    int reuse, int deleted)
{
	static struct sb sb;
	uint32_t layers[MAXLAYERS], refs[MAXLAYERS + 1], cfg, mb, mfi;
	uint32_t fresh[MAXLAYERS];
	int n = 0, nfresh = 0, k, oci = r->family == FAM_OCI, mt;
	const char *lmt, *cmt;
	uint32_t c;

	/* base image: a skewed pick among the shared chains */
	c = (uint32_t)(g->nchains * rng_unit(&g->rng) * rng_unit(&g->rng));
	for (int i = 0; i < g->chainlen[c]; i++) {
		uint32_t *slot = &g->chain[2 * c + i];

		if (deleted && *slot == NONE)
			break;
		layers[n++] = pool_layer(g, slot);
	}
	/* an org-wide runtime layer */
	if (r->org >= 0 && rng_chance(&g->rng, 0.4)) {
		uint32_t *slot =
		    &g->orgpool[3 * r->org + rng_below(&g->rng, 3)];

		if (!deleted || *slot != NONE)
			layers[n++] = pool_layer(g, slot);
	}
	/* dependency layers unchanged since the last build */
	if (reuse && !deleted) {
		for (int i = 0; i < r->nprev && n < MAXLAYERS - 8; i++)
			if (rng_chance(&g->rng, 0.5))
				layers[n++] = r->prev[i];
	}
	k = deleted ? 1 + (int)rng_below(&g->rng, 4) : budget_draw(g);
	if (!deleted) {
		g->layer_budget -= k;
		g->images_left--;
	}
	for (int i = 0; i < k && n < MAXLAYERS; i++) {
		layers[n] = blob_random(g, 64, 512);
		fresh[nfresh++] = layers[n++];
	}
	if (reuse && !deleted) {
		r->nprev = 0;
		for (int i = 0; i < nfresh && r->nprev < 4; i++)
			r->prev[r->nprev++] = fresh[i];
	}

	cfg = image_config(g, r->family, arch, app, layers, n);
	if (oci) {
		cmt = "application/vnd.oci.image.config.v1+json";
		lmt = rng_chance(&g->rng, 0.1)
		    ? "application/vnd.oci.image.layer.v1.tar+zstd"
		    : "application/vnd.oci.image.layer.v1.tar+gzip";
	} else {
		cmt = "application/vnd.docker.container.image.v1+json";
		lmt = "application/vnd.docker.image.rootfs.diff.tar.gzip";
	}
	sb.len = 0;
	if (oci) {
		mt = MT_O_MANIFEST;
		sb_printf(&sb,
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\","
		    "\"config\":",
		    media_types[mt]);
		sb_desc(&sb, g, 0, 0, cmt, cfg);
		sb_printf(&sb, ",\"layers\":[");
		for (int i = 0; i < n; i++) {
			sb_printf(&sb, "%s", i ? "," : "");
			sb_desc(&sb, g, 0, 0, lmt, layers[i]);
		}
		sb_printf(&sb,
		    "],\"annotations\":{\"org.opencontainers.image."
		    "title\":\"%s\"}}",
		    app);
	} else {
		mt = MT_D_MANIFEST;
		sb_printf(&sb,
		    "{\n   \"schemaVersion\": 2,\n   \"mediaType\": "
		    "\"%s\",\n   \"config\": ",
		    media_types[mt]);
		sb_desc(&sb, g, 1, 3, cmt, cfg);
		sb_printf(&sb, ",\n   \"layers\": [");
		for (int i = 0; i < n; i++) {
			sb_printf(&sb, "%s\n      ", i ? "," : "");
			sb_desc(&sb, g, 1, 6, lmt, layers[i]);
		}
		sb_printf(&sb, "\n   ]\n}");
	}
	mb = blob_put(g, sb.buf, sb.len);
	refs[0] = cfg;
	memcpy(refs + 1, layers, (size_t)n * sizeof(layers[0]));
	mfi = mf_add(g, mb, r->idx, MF_IMAGE, mt, refs, (size_t)n + 1, NONE);
	for (int i = 0; i <= n; i++)
		layer_link(g, r, refs[i]);
	revision(g, r, mfi, deleted);
	return mfi;
}

/* A multi-platform index (Docker list or OCI index) with 2 children. */
static uint32_t
make_index(struct gen *g, struct repo *r, const char *app)
{
	static struct sb sb;
	static const char *const arch[2] = {"amd64", "arm64"};
	uint32_t ch[2], chb[2], mb, mfi;
	int oci = r->family == FAM_OCI, mt;

	for (int i = 0; i < 2; i++) {
		ch[i] = make_image(g, r, app, arch[i], 0, 0);
		chb[i] = g->mfs[ch[i]].blob;
	}
	sb.len = 0;
	if (oci) {
		mt = MT_O_INDEX;
		sb_printf(&sb,
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\","
		    "\"manifests\":[",
		    media_types[mt]);
		for (int i = 0; i < 2; i++) {
			sb_printf(&sb, "%s{\"mediaType\":\"%s\",\"digest\":\"",
			    i ? "," : "", media_types[g->mfs[ch[i]].mt]);
			sb_digest(&sb, g, chb[i]);
			sb_printf(&sb,
			    "\",\"size\":%u,\"platform\":{"
			    "\"architecture\":\"%s\",\"os\":\"linux\"%s}}",
			    g->blobs[chb[i]].size, arch[i],
			    i ? ",\"variant\":\"v8\"" : "");
		}
		sb_printf(&sb, "]}");
	} else {
		mt = MT_D_LIST;
		sb_printf(&sb,
		    "{\n   \"schemaVersion\": 2,\n   \"mediaType\": "
		    "\"%s\",\n   \"manifests\": [",
		    media_types[mt]);
		for (int i = 0; i < 2; i++) {
			sb_printf(&sb,
			    "%s\n      {\n         \"mediaType\": "
			    "\"%s\",\n         \"size\": %u,\n"
			    "         \"digest\": \"",
			    i ? "," : "", media_types[g->mfs[ch[i]].mt],
			    g->blobs[chb[i]].size);
			sb_digest(&sb, g, chb[i]);
			sb_printf(&sb,
			    "\",\n         \"platform\": {\n"
			    "            \"architecture\": \"%s\",\n"
			    "            \"os\": \"linux\"%s\n         }\n"
			    "      }",
			    arch[i],
			    i ? ",\n            \"variant\": \"v8\"" : "");
		}
		sb_printf(&sb, "\n   ]\n}");
	}
	mb = blob_put(g, sb.buf, sb.len);
	mfi = mf_add(g, mb, r->idx, MF_INDEX, mt, chb, 2, NONE);
	revision(g, r, mfi, 0);
	g->n_indexes++;
	return mfi;
}

/*
 * An OCI artifact.  sig: a cosign-style signature (image config, one
 * simplesigning layer, no subject: it is found by its tag); else an
 * OCI 1.1 referrer (empty config, subject set, pushed by digest).
 */
static uint32_t
make_artifact(struct gen *g, struct repo *r, uint32_t subject, int sig)
{
	static struct sb sb;
	uint8_t sigraw[64];
	uint32_t layer, cfg, mb, mfi, refs[2];
	const char *lmt;
	int sbom = !sig && rng_chance(&g->rng, 0.6);
	char b64[96];
	static const char b64c[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	layer = blob_random(g, 128, 512);
	if (sig) {
		sb.len = 0;
		sb_printf(&sb,
		    "{\"architecture\":\"\",\"config\":{},"
		    "\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{"
		    "\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\","
		    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"");
		sb_digest(&sb, g, layer);
		sb_printf(&sb, "\"]}}");
		cfg = blob_put(g, sb.buf, sb.len);
	} else {
		cfg = g->empty_blob;
	}
	lmt = sig  ? "application/vnd.dev.cosign.simplesigning.v1+json"
	    : sbom ? "application/spdx+json"
	           : "application/vnd.dev.sigstore.bundle.v0.3+json";
	sb.len = 0;
	sb_printf(&sb, "{\"schemaVersion\":2,\"mediaType\":\"%s\",",
	    media_types[MT_O_MANIFEST]);
	if (!sig)
		sb_printf(&sb, "\"artifactType\":\"%s\",", lmt);
	sb_printf(&sb, "\"config\":");
	sb_desc(&sb, g, 0, 0,
	    sig ? "application/vnd.oci.image.config.v1+json"
	        : "application/vnd.oci.empty.v1+json",
	    cfg);
	sb_printf(&sb, ",\"layers\":[");
	sb_desc(&sb, g, 0, 0, lmt, layer);
	if (sig) {
		rng_fill(&g->rng, sigraw, sizeof(sigraw));
		for (int i = 0; i < 64; i++)
			b64[i] = b64c[sigraw[i] & 63];
		memcpy(b64 + 64, "AAAA==", 7);
		sb.len--; /* reopen the layer descriptor */
		sb_printf(&sb,
		    ",\"annotations\":{\"dev.cosignproject.cosign/"
		    "signature\":\"%s\"}}",
		    b64);
	}
	sb_printf(&sb, "]");
	if (!sig) {
		const struct mf *s = &g->mfs[g->blobs[subject].mf];

		sb_printf(&sb, ",\"subject\":");
		sb_desc(&sb, g, 0, 0, media_types[s->mt], subject);
		sb_printf(&sb,
		    ",\"annotations\":{\"org.opencontainers.image."
		    "created\":\"2024-06-01T00:00:00Z\"}");
	}
	sb_printf(&sb, "}");
	mb = blob_put(g, sb.buf, sb.len);
	refs[0] = cfg;
	refs[1] = layer;
	mfi = mf_add(g, mb, r->idx, MF_ARTIFACT, MT_O_MANIFEST, refs, 2,
	    sig ? NONE : subject);
	layer_link(g, r, cfg);
	layer_link(g, r, layer);
	revision(g, r, mfi, 0);
	if (sig)
		g->n_sigs++;
	else
		g->n_artifacts++;
	return mfi;
}

/* --- tags ---------------------------------------------------------------- */

static int
tag_find(struct repo *r, const char *name)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
tag_set(struct repo *r, const char *name, uint32_t blob)
{
	int t = tag_find(r, name);
	struct tag *tg;

	if (t < 0) {
		GROW(r->tags, r->ntags, r->tagcap);
		t = (int)r->ntags++;
		tg = &r->tags[t];
		memset(tg, 0, sizeof(*tg));
		snprintf(tg->name, sizeof(tg->name), "%s", name);
	}
	tg = &r->tags[t];
	tg->cur = blob;
	for (size_t i = 0; i < tg->nhist; i++)
		if (tg->hist[i] == blob)
			return t;
	GROW(tg->hist, tg->nhist, tg->histcap);
	tg->hist[tg->nhist++] = blob;
	return t;
}

static void
version_tag(struct repo *r, char *buf, size_t len)
{
	r->minor++;
	if (r->family == FAM_OCI)
		snprintf(buf, len, "v1.%d.0", r->minor);
	else if (r->minor % 9 == 4)
		snprintf(buf, len, "build_%d", 1000 + r->minor);
	else
		snprintf(buf, len, "1.%d", r->minor);
}

/* Tagging of a top-level push (image or index). */
static void
tag_push(struct gen *g, struct repo *r, uint32_t blob)
{
	char name[64];

	if (r->last_top_tag >= 0 && !r->tags[r->last_top_tag].pinned &&
	    rng_chance(&g->rng, 0.2)) {
		/* a rebuild under the previous version's tag */
		r->last_top_tag =
		    tag_set(r, r->tags[r->last_top_tag].name, blob);
	} else if (rng_chance(&g->rng, 0.55)) {
		version_tag(r, name, sizeof(name));
		r->last_top_tag = tag_set(r, name, blob);
	} else {
		r->last_top_tag = -1;
	}
	tag_set(r, "latest", blob);
	if (rng_chance(&g->rng, 0.25))
		tag_set(r, "stable", blob);
	r->last_top = blob;
}

static void
tags_write(struct gen *g, struct repo *r)
{
	char hex[65], name[200], content[72];

	for (size_t i = 0; i < r->ntags; i++) {
		struct tag *t = &r->tags[i];
		int tfd = open_dir_at(r->tags_fd, t->name), ifd, afd;

		ifd = open_dir_at(tfd, "index");
		afd = open_dir_at(ifd, "sha256");
		for (size_t j = 0; j < t->nhist; j++) {
			write_link(g, afd, t->hist[j]);
			GROW(g->hist, g->nhist, g->histcap);
			g->hist[g->nhist++] = (struct pair){r->idx, t->hist[j]};
		}
		mkdir_at(tfd, "current");
		blob_hex(hex, g, t->cur);
		snprintf(content, sizeof(content), "sha256:%s", hex);
		snprintf(name, sizeof(name), "current/link");
		write_at(tfd, name, content, 71);
		g->mfs[g->blobs[t->cur].mf].flags |= MFF_TAGGED;
		g->n_tags++;
		close(afd);
		close(ifd);
		close(tfd);
		free(t->hist);
	}
	free(r->tags);
	r->tags = NULL;
	r->ntags = r->tagcap = 0;
}

/* --- the plan: names and events per repository --------------------------- */

static const char *const org_words[] = {"acme", "globex", "initech", "umbrella",
    "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne", "soylent",
    "aperture", "vandelay", "oscorp", "library", "platform-eng", "data_science",
    "ml.research", "infra", "massive--dynamic"};
static const char *const team_words[] = {"backend", "frontend", "data", "ml",
    "infra", "security", "mobile", "qa", "devops", "payments"};
static const char *const app_words[] = {"api", "worker", "web", "db-migrate",
    "auth", "gateway", "scheduler", "indexer", "billing", "search", "notifier",
    "ingest_svc", "report.gen", "cache", "proxy", "ui", "etl", "model__serving",
    "cron", "exporter"};
#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static void
org_name(char *buf, size_t len, uint32_t o)
{
	if (o < NWORDS(org_words))
		snprintf(buf, len, "%s", org_words[o]);
	else
		snprintf(buf, len, "%s%u", org_words[o % NWORDS(org_words)],
		    (unsigned)(o / NWORDS(org_words)));
}

static void
plan_name(struct gen *g, uint32_t i, struct plan *p)
{
	char buf[256], org[64];
	double u = rng_unit(&g->prng);
	uint32_t o =
	    (uint32_t)(g->norgs * rng_unit(&g->prng) * rng_unit(&g->prng));
	const char *app = app_words[rng_below(&g->prng, NWORDS(app_words))];
	const char *team = team_words[rng_below(&g->prng, NWORDS(team_words))];

	org_name(org, sizeof(org), o);
	p->org = (int)o;
	if (u < 0.03 && !g->orgrepo[o]) {
		/* the org itself is a repository, with others nested in it */
		g->orgrepo[o] = 1;
		snprintf(buf, sizeof(buf), "%s", org);
	} else if (u < 0.08) {
		p->org = -1;
		snprintf(buf, sizeof(buf), "%s-%u", app, (unsigned)i);
	} else if (u < 0.30) {
		snprintf(buf, sizeof(buf), "%s/%s-%u", org, app, (unsigned)i);
	} else {
		snprintf(buf, sizeof(buf), "%s/%s/%s-%u", org, team, app,
		    (unsigned)i);
	}
	p->name = strdup(buf);
	if (p->name == NULL)
		die("out of memory");
}

static void
plan_event(struct gen *g, uint8_t ev)
{
	GROW(g->events, g->nevents, g->eventcap);
	g->events[g->nevents++] = ev;
}

/*
 * Plan every repository: its name, family and event list.  Sets the
 * layer budget from the totals.
 */
static void
plan_all(struct gen *g)
{
	uint64_t m_total = (uint64_t)(g->nrepos * g->per_repo + 0.5);
	uint64_t m_left = m_total, n_img = 0, n_fixed = 1, n_del, del_left;
	uint64_t unref = g->nblobs_target * (uint64_t)g->unref_pct / 100;

	n_del = unref * 3 / 10 / 5;
	del_left = n_del;
	g->plans = xrealloc(NULL, g->nrepos * sizeof(*g->plans));
	for (uint32_t i = 0; i < g->nrepos; i++) {
		struct plan *p = &g->plans[i];
		uint32_t repos_left = g->nrepos - i, c, last_top = 0, ndel;
		double mean = (double)m_left / repos_left;
		int64_t left;

		plan_name(g, i, p);
		p->family = rng_chance(&g->prng, 0.3) ? FAM_OCI : FAM_DOCKER;
		p->ev = (uint32_t)g->nevents;
		if (repos_left == 1)
			c = (uint32_t)m_left;
		else if (rng_chance(&g->prng, 0.03))
			c = (uint32_t)(mean * 5);
		else
			c = (uint32_t)(mean * (0.3 + 1.4 * rng_unit(&g->prng)) +
			    0.5);
		if (c < 1)
			c = 1;
		m_left = m_left > c ? m_left - c : 0;
		for (left = c; left > 0;) {
			last_top = (uint32_t)(g->nevents - p->ev);
			if (left >= 3 && rng_chance(&g->prng, 0.12)) {
				plan_event(g, EV_IDX);
				left -= 3;
				n_img += 2;
				n_fixed += 5; /* 3 manifests, 2 configs */
			} else {
				plan_event(g, EV_IMG);
				left -= 1;
				n_img++;
				n_fixed += 2;
			}
			if (left > 0 && rng_chance(&g->prng, 0.07)) {
				plan_event(g, EV_REF);
				left--;
				n_fixed += 2;
			}
			if (left > 0 && rng_chance(&g->prng, 0.03)) {
				plan_event(g, EV_SIG);
				left--;
				n_fixed += 3;
			}
		}
		/* deleted images, each somewhere before the last push */
		ndel = (uint32_t)(del_left / repos_left);
		if (rng_chance(
		        &g->prng, (double)(del_left % repos_left) / repos_left))
			ndel++;
		del_left -= ndel;
		for (uint32_t d = 0; d < ndel; d++) {
			uint32_t at = p->ev + rng_below(&g->prng, last_top + 1);

			plan_event(g, EV_DEL);
			memmove(g->events + at + 1, g->events + at,
			    g->nevents - 1 - at);
			g->events[at] = EV_DEL;
			last_top++;
		}
		p->nev = (uint32_t)(g->nevents - p->ev);
	}
	g->images_left = n_img;
	g->layer_budget =
	    (int64_t)(g->nblobs_target - unref) - (int64_t)n_fixed;
}

/* --- writing ------------------------------------------------------------- */

static void
repo_open(struct gen *g, struct repo *r, uint32_t i)
{
	char path[4096];
	int fd;

	memset(r, 0, sizeof(*r));
	r->idx = i;
	r->family = g->plans[i].family;
	r->org = g->plans[i].org;
	r->last_top = NONE;
	r->last_top_tag = -1;
	path_fmt(
	    path, sizeof(path), "%s/repositories/%s", g->v2, g->plans[i].name);
	r->fd = open_dir_p(path);
	fd = open_dir_at(r->fd, "_layers");
	r->layers_fd = open_dir_at(fd, "sha256");
	close(fd);
	fd = open_dir_at(r->fd, "_manifests");
	r->tags_fd = open_dir_at(fd, "tags");
	{
		int rfd = open_dir_at(fd, "revisions");

		r->rev_fd = open_dir_at(rfd, "sha256");
		close(rfd);
	}
	close(fd);
}

static void
repo_close(struct repo *r)
{
	close(r->layers_fd);
	close(r->rev_fd);
	close(r->tags_fd);
	close(r->fd);
}

static const char *
repo_app(const struct gen *g, uint32_t i)
{
	const char *s = strrchr(g->plans[i].name, '/');

	return s ? s + 1 : g->plans[i].name;
}

static void
write_repo(struct gen *g, uint32_t i)
{
	const struct plan *p = &g->plans[i];
	const char *app = repo_app(g, i);
	struct repo r;
	char name[80], hex[65];
	uint32_t mfi;

	repo_open(g, &r, i);
	for (uint32_t e = 0; e < p->nev; e++) {
		switch (g->events[p->ev + e]) {
		case EV_IMG:
			mfi = make_image(g, &r, app, "amd64", 1, 0);
			tag_push(g, &r, g->mfs[mfi].blob);
			break;
		case EV_IDX:
			mfi = make_index(g, &r, app);
			tag_push(g, &r, g->mfs[mfi].blob);
			break;
		case EV_REF:
			make_artifact(g, &r, r.last_top, 0);
			break;
		case EV_SIG:
			/* the signed image keeps a version tag for good */
			if (r.last_top_tag < 0 ||
			    r.tags[r.last_top_tag].cur != r.last_top) {
				version_tag(&r, name, sizeof(name));
				r.last_top_tag = tag_set(&r, name, r.last_top);
			}
			r.tags[r.last_top_tag].pinned = 1;
			mfi = make_artifact(g, &r, NONE, 1);
			blob_hex(hex, g, r.last_top);
			snprintf(name, sizeof(name), "sha256-%s.sig", hex);
			tag_set(&r, name, g->mfs[mfi].blob);
			break;
		case EV_DEL:
			mfi = make_image(g, &r, app, "amd64", 0, 1);
			tag_set(&r, "latest", g->mfs[mfi].blob);
			g->n_deleted++;
			break;
		}
	}
	tags_write(g, &r);
	repo_close(&r);
}

static void
fmt_uuid(struct gen *g, char out[37])
{
	uint8_t u[16];

	rng_fill(&g->rng, u, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
	    u[11], u[12], u[13], u[14], u[15]);
}

/* Stale uploads (old startedat), and one without startedat. */
static void
write_uploads(struct gen *g)
{
	uint8_t buf[4096];
	char path[4096], id[37], st[40], off[24];

	for (int n = 0; n < g->nuploads; n++) {
		uint32_t i = rng_below(&g->rng, g->nrepos);
		uint32_t len = 100 + rng_below(&g->rng, 3000);
		int ufd, fd, hfd;

		fmt_uuid(g, id);
		path_fmt(path, sizeof(path), "%s/repositories/%s/_uploads/%s",
		    g->v2, g->plans[i].name, id);
		ufd = open_dir_p(path);
		rng_fill(&g->rng, buf, len);
		write_at(ufd, "data", buf, len);
		if (n + 1 < g->nuploads || n == 0) {
			time_t t = g->epoch - 86400 * 30 -
			    (time_t)rng_below(&g->rng, 86400 * 300);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(st, sizeof(st), "%Y-%m-%dT%H:%M:%SZ", &tm);
			write_at(ufd, "startedat", st, strlen(st));
			fd = open_dir_at(ufd, "hashstates");
			hfd = open_dir_at(fd, "sha256");
			rng_fill(&g->rng, buf, 108);
			memcpy(buf, "sha\x03", 4);
			snprintf(off, sizeof(off), "%u", len);
			write_at(hfd, off, buf, 108);
			close(hfd);
			close(fd);
		}
		close(ufd);
		g->n_uploads++;
	}
}

/* Fill up to the blob target with unreferenced blobs (failed pushes). */
static void
write_orphans(struct gen *g)
{
	char path[4096];

	while (g->nblobs < g->nblobs_target) {
		uint32_t b = blob_random(g, 64, 512);

		g->n_orphans++;
		if (rng_chance(&g->rng, 0.5)) {
			/* its upload finished, the manifest never came */
			uint32_t i = rng_below(&g->rng, g->nrepos);
			int fd;

			path_fmt(path, sizeof(path),
			    "%s/repositories/%s/_layers/sha256", g->v2,
			    g->plans[i].name);
			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				die("open '%s': %s", path, strerror(errno));
			write_link(g, fd, b);
			close(fd);
			GROW(g->links, g->nlinks, g->linkcap);
			g->links[g->nlinks++] = (struct pair){i, b};
			g->n_orphans_linked++;
		}
	}
}

/* --- expected gc results ------------------------------------------------- */

static void
mark_rec(struct gen *g, uint32_t b, uint8_t bit)
{
	const struct mf *m;

	if (g->blobs[b].mark & bit)
		return;
	g->blobs[b].mark |= bit;
	if (g->blobs[b].mf == NONE)
		return;
	m = &g->mfs[g->blobs[b].mf];
	for (uint32_t i = 0; i < m->nrefs; i++)
		mark_rec(g, g->refs[m->refs + i], bit);
}

static void
mark_all(struct gen *g)
{
	int changed;

	for (size_t i = 0; i < g->nmfs; i++) {
		const struct mf *m = &g->mfs[i];

		if (m->flags & MFF_REVISION)
			mark_rec(g, m->blob, MARK_PLAIN);
		if ((m->flags & MFF_REVISION) && (m->flags & MFF_TAGGED)) {
			mark_rec(g, m->blob, MARK_DDM);
			/* distribution 2.8: one level only */
			g->blobs[m->blob].mark |= MARK_DRM;
			for (uint32_t j = 0; j < m->nrefs; j++)
				g->blobs[g->refs[m->refs + j]].mark |= MARK_DRM;
		}
	}
	/* referrers of kept manifests are kept, to a fixed point */
	do {
		changed = 0;
		for (size_t i = 0; i < g->nmfs; i++) {
			const struct mf *m = &g->mfs[i];

			if (m->subject == NONE ||
			    (g->blobs[m->blob].mark & MARK_DDM) ||
			    !(g->blobs[m->subject].mark & MARK_DDM))
				continue;
			mark_rec(g, m->blob, MARK_DDM);
			changed = 1;
		}
	} while (changed);
}

static int
blob_is_live_revision(const struct gen *g, uint32_t b, uint8_t bit)
{
	uint32_t m = g->blobs[b].mf;

	return m != NONE && (g->mfs[m].flags & MFF_REVISION) &&
	    (g->blobs[b].mark & bit);
}

static void
report(struct gen *g, double secs)
{
	uint64_t ub[3] = {0}, ubytes[3] = {0}, ul[3] = {0}, rev = 0, tagged = 0;
	uint64_t rev_ddm = 0, rev_drm = 0, hist_ddm = 0, hist_dangling = 0;
	static const uint8_t bits[3] = {MARK_PLAIN, MARK_DDM, MARK_DRM};

	mark_all(g);
	for (size_t i = 0; i < g->nblobs; i++)
		for (int k = 0; k < 3; k++)
			if (!(g->blobs[i].mark & bits[k])) {
				ub[k]++;
				ubytes[k] += g->blobs[i].size;
			}
	for (size_t i = 0; i < g->nlinks; i++)
		for (int k = 0; k < 3; k++)
			if (!(g->blobs[g->links[i].blob].mark & bits[k]))
				ul[k]++;
	for (size_t i = 0; i < g->nmfs; i++) {
		const struct mf *m = &g->mfs[i];

		if (!(m->flags & MFF_REVISION))
			continue;
		rev++;
		if (m->flags & MFF_TAGGED)
			tagged++;
		else
			rev_drm++;
		if (!(g->blobs[m->blob].mark & MARK_DDM))
			rev_ddm++;
	}
	for (size_t i = 0; i < g->nhist; i++) {
		uint32_t b = g->hist[i].blob;

		if (!(g->mfs[g->blobs[b].mf].flags & MFF_REVISION))
			hist_dangling++;
		else if (!blob_is_live_revision(g, b, MARK_DDM))
			hist_ddm++;
	}
	printf(
	    "generator_version=%s\nseed=%" PRIu64 "\n", GEN_VERSION, g->seed);
	printf("repositories=%u\nmanifests=%" PRIu64
	       "\ntagged_manifests=%" PRIu64 "\nindexes=%" PRIu64
	       "\nreferrers=%" PRIu64 "\nsignatures=%" PRIu64
	       "\ndeleted_images=%" PRIu64 "\n",
	    g->nrepos, rev, tagged, g->n_indexes, g->n_artifacts, g->n_sigs,
	    g->n_deleted);
	printf("blobs=%zu\nbytes=%" PRIu64 "\nlayer_links=%zu\ntags=%" PRIu64
	       "\ntag_history=%zu\nuploads=%" PRIu64 "\nstale_uploads=%d\n",
	    g->nblobs, g->bytes, g->nlinks, g->n_tags, g->nhist, g->n_uploads,
	    g->nuploads > 1 ? g->nuploads - 1 : g->nuploads);
	printf("orphan_blobs=%" PRIu64 "\norphan_blobs_linked=%" PRIu64 "\n",
	    g->n_orphans, g->n_orphans_linked);
	printf("expect_plain_blobs=%" PRIu64 "\nexpect_plain_bytes=%" PRIu64
	       "\nexpect_plain_layer_links=%" PRIu64 "\n",
	    ub[0], ubytes[0], ul[0]);
	printf("expect_m_blobs=%" PRIu64 "\nexpect_m_bytes=%" PRIu64
	       "\nexpect_m_layer_links=%" PRIu64 "\nexpect_m_revisions=%" PRIu64
	       "\nexpect_m_tag_history=%" PRIu64 "\n",
	    ub[1], ubytes[1], ul[1], rev_ddm, hist_ddm);
	printf("tag_history_of_deleted=%" PRIu64 "\n", hist_dangling);
	printf("expect_dr28_m_blobs=%" PRIu64
	       "\nexpect_dr28_m_manifests=%" PRIu64 "\n",
	    ub[2], rev_drm);
	printf("seconds=%.1f\n", secs);
}

/* --- main ---------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gen-tree [--repos N] [--manifests-per-repo F] "
	    "[--blobs N]\n"
	    "                [--seed N] [--unreferenced PCT] [--uploads N] "
	    "[-q] ROOT\n"
	    "Write a synthetic distribution storage tree under "
	    "ROOT/docker/registry/v2\n"
	    "(ROOT must not hold one yet) and print its statistics and the\n"
	    "expected gc results as key=value lines.\n"
	    "  --repos N               repositories (default 500)\n"
	    "  --manifests-per-repo F  average revisions per repository "
	    "(7.4)\n"
	    "  --blobs N               blob files in total (default 36 per "
	    "repository)\n"
	    "  --seed N                random seed (1)\n"
	    "  --unreferenced PCT      share of blobs no revision reaches "
	    "(20)\n"
	    "  --uploads N             upload directories (repos/200 + 2)\n");
}

static uint64_t
parse_num(const char *s, const char *opt, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || *s == '-')
		die("bad value for %s: '%s'", opt, s);
	return v;
}

static void
parse_args(struct gen *g, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"blobs", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {"manifests-per-repo", required_argument, NULL, 'm'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"repos", required_argument, NULL, 'r'},
	    {"seed", required_argument, NULL, 's'},
	    {"unreferenced", required_argument, NULL, 'u'},
	    {"uploads", required_argument, NULL, 'U'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	g->nrepos = 500;
	g->per_repo = 7.4;
	g->seed = 1;
	g->unref_pct = 20;
	g->nuploads = -1;
	while (
	    (c = getopt_long(argc, argv, "b:hm:qr:s:u:U:V", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			g->nblobs_target =
			    parse_num(optarg, "--blobs", 100000000);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'm':
			g->per_repo = strtod(optarg, &end);
			if (*end != '\0' || !(g->per_repo >= 1.0) ||
			    g->per_repo > 10000)
				die("bad value for --manifests-per-repo");
			break;
		case 'q':
			g->quiet = 1;
			break;
		case 'r':
			g->nrepos =
			    (uint32_t)parse_num(optarg, "--repos", 10000000);
			break;
		case 's':
			g->seed = parse_num(optarg, "--seed", UINT64_MAX);
			break;
		case 'u':
			g->unref_pct =
			    (int)parse_num(optarg, "--unreferenced", 90);
			break;
		case 'U':
			g->nuploads =
			    (int)parse_num(optarg, "--uploads", 100000);
			break;
		case 'V':
			printf(
			    "gen-tree (drydock) generator %s\n", GEN_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(16);
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		exit(16);
	}
	if (g->nrepos < 1)
		die("--repos must be at least 1");
	g->root = argv[optind];
	if (g->nblobs_target == 0)
		g->nblobs_target = (uint64_t)g->nrepos * 36;
	if (g->nuploads < 0)
		g->nuploads = (int)(g->nrepos / 200 + 2);
}

int
main(int argc, char **argv)
{
	static struct gen gen;
	struct gen *g = &gen;
	struct timespec t0, t1;
	char path[4096];
	struct stat st;

	parse_args(g, argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	path_fmt(g->v2, sizeof(g->v2), "%s/docker/registry/v2", g->root);
	if (stat(g->v2, &st) == 0)
		die("'%s' exists already", g->v2);
	rng_seed(&g->prng, g->seed ^ 0x706c616eULL);
	rng_seed(&g->rng, g->seed ^ 0x64617461ULL);
	g->epoch = 1704067200; /* 2024-01-01T00:00:00Z */
	for (int i = 0; i < 256; i++)
		g->hh_fd[i] = -1;
	path_fmt(path, sizeof(path), "%s/blobs/sha256", g->v2);
	g->blobs_fd = open_dir_p(path);
	path_fmt(path, sizeof(path), "%s/repositories", g->v2);
	mkdir_p(path);

	g->norgs = g->nrepos / 40 + 1;
	g->orgpool = xrealloc(NULL, 3 * g->norgs * sizeof(uint32_t));
	memset(g->orgpool, 0xff, 3 * g->norgs * sizeof(uint32_t));
	g->orgrepo = calloc(g->norgs, 1);
	g->nchains = (uint32_t)(g->nblobs_target / 800 + 4);
	g->chain = xrealloc(NULL, 2 * g->nchains * sizeof(uint32_t));
	memset(g->chain, 0xff, 2 * g->nchains * sizeof(uint32_t));
	g->chainlen = xrealloc(NULL, g->nchains);
	if (g->orgrepo == NULL)
		die("out of memory");
	for (uint32_t c = 0; c < g->nchains; c++)
		g->chainlen[c] = (uint8_t)(1 + rng_below(&g->prng, 2));

	plan_all(g);
	writer_start();
	g->empty_blob = blob_put(g, "{}", 2);
	for (uint32_t i = 0; i < g->nrepos; i++) {
		write_repo(g, i);
		if (!g->quiet && isatty(2) && (i % 100 == 99))
			fprintf(stderr, "\rgen-tree: %u/%u repositories", i + 1,
			    g->nrepos);
	}
	if (!g->quiet && isatty(2))
		fputc('\n', stderr);
	write_uploads(g);
	write_orphans(g);
	writer_stop();
	if (g->nblobs > g->nblobs_target && !g->quiet)
		fprintf(stderr,
		    "gen-tree: %zu blobs, more than the %" PRIu64
		    " asked for\n",
		    g->nblobs, g->nblobs_target);
	for (int i = 0; i < 256; i++)
		if (g->hh_fd[i] >= 0)
			close(g->hh_fd[i]);
	close(g->blobs_fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(g,
	    (double)(t1.tv_sec - t0.tv_sec) +
	        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (uint32_t i = 0; i < g->nrepos; i++)
		free(g->plans[i].name);
	free(g->plans);
	free(g->events);
	free(g->blobs);
	free(g->mfs);
	free(g->refs);
	free(g->links);
	free(g->hist);
	free(g->chain);
	free(g->chainlen);
	free(g->orgpool);
	free(g->orgrepo);
	return 0;
}
