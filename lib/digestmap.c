/* SPDX-License-Identifier: MIT */
/*
 * digestmap.c --- a compact open-addressing hash map from digest to a 32-bit
 * value.
 *
 * One table per algorithm, so that a sha256 slot holds only its 32 key
 * bytes and the value (36 bytes), beside one control byte per slot in a
 * separate array: 37 bytes a slot.  At the maximum load of 7/8 that is
 * 42 bytes an entry; growth is by half, so the load stays between 7/12 and
 * 7/8 (42 to 63 bytes an entry) once the map has grown.
 *
 * Probing is linear.  A control byte is CTRL_EMPTY or, for a full slot,
 * 7 further bits of the hash, so that most probes never touch the key.
 * Deletion shifts the following entries of the cluster back instead of
 * leaving tombstones, so lookups stay short after many deletions.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/digest.h>
#include <drydock/digestmap.h>
#include <drydock/errors.h>

#define CTRL_EMPTY 0x80
#define MIN_CAP 16
/* The largest capacity that the 32-bit range reduction in home() reaches. */
#define MAX_CAP ((size_t)UINT32_MAX)

struct table {
	uint8_t *ctrl; /* cap control bytes */
	uint8_t *slots; /* cap slots of keylen key bytes and a value */
	size_t cap; /* slots; 0 until the first insertion */
	size_t count; /* full slots */
	size_t keylen; /* raw digest size of this table's algorithm */
	size_t stride; /* keylen + sizeof(uint32_t) */
	uint8_t alg; /* enum drydock_digest_alg */
	uint64_t seed; /* keys come from names a hostile tree chooses */
};

struct drydock_digestmap {
	struct table t256;
	struct table t512;
};

static void
table_init(struct table *t, int alg)
{
	memset(t, 0, sizeof(*t));
	t->alg = (uint8_t)alg;
	t->keylen = drydock_digest_alg_size(alg);
	t->stride = t->keylen + sizeof(uint32_t);
	t->seed = drydock_digest_hash_seed() ^ (uint64_t)alg;
}

static void
table_release(struct table *t)
{
	free(t->ctrl);
	t->ctrl = NULL;
	free(t->slots);
	t->slots = NULL;
	t->cap = t->count = 0;
}

static uint64_t
hash_raw(const struct table *t, const uint8_t *key)
{
	return drydock_digest_hash_raw(key, t->keylen, t->seed);
}

/* Home slot: the high 32 bits of the hash scaled to [0, cap). */
static size_t
home(const struct table *t, uint64_t h)
{
	return (size_t)(((h >> 32) * (uint64_t)t->cap) >> 32);
}

/* Control byte of a full slot: 7 low bits of the hash, high bit clear. */
static uint8_t
tag_of(uint64_t h)
{
	return (uint8_t)(h & 0x7f);
}

static uint8_t *
slot_key(const struct table *t, size_t i)
{
	return t->slots + i * t->stride;
}

static uint32_t
slot_value(const struct table *t, size_t i)
{
	uint32_t v;

	memcpy(&v, slot_key(t, i) + t->keylen, sizeof(v));
	return v;
}

static void
slot_set(struct table *t, size_t i, const uint8_t *key, uint32_t value)
{
	uint8_t *p = slot_key(t, i);

	memcpy(p, key, t->keylen);
	memcpy(p + t->keylen, &value, sizeof(value));
}

/*
 * Find key: *pos gets its slot and 1 comes back, or *pos gets the empty
 * slot that ends its probe sequence and 0 comes back.  The table must
 * have a capacity and at least one empty slot.
 */
static int
table_find(const struct table *t, const uint8_t *key, uint64_t h, size_t *pos)
{
	uint8_t tag = tag_of(h);
	size_t i = home(t, h);

	for (;;) {
		uint8_t c = t->ctrl[i];

		if (c == CTRL_EMPTY) {
			*pos = i;
			return 0;
		}
		if (c == tag && memcmp(slot_key(t, i), key, t->keylen) == 0) {
			*pos = i;
			return 1;
		}
		if (++i == t->cap)
			i = 0;
	}
}

/* Most entries the table may hold before it grows (load 7/8). */
static size_t
table_limit(size_t cap)
{
	return cap - cap / 8;
}

static int
table_resize(struct table *t, size_t newcap)
{
	struct table n = *t;
	size_t i, pos;

	assert(newcap > t->count && newcap <= MAX_CAP);
	n.cap = newcap;
	n.ctrl = malloc(newcap);
	if (newcap > SIZE_MAX / t->stride)
		n.slots = NULL;
	else
		n.slots = malloc(newcap * t->stride);
	if (n.ctrl == NULL || n.slots == NULL) {
		free(n.ctrl);
		free(n.slots);
		drydock_error_set_os(
		    "cannot grow digest map to %zu slots", newcap);
		return DRYDOCK_ERROR;
	}
	memset(n.ctrl, CTRL_EMPTY, newcap);
	for (i = 0; i < t->cap; i++) {
		const uint8_t *key;
		uint64_t h;

		if (t->ctrl[i] == CTRL_EMPTY)
			continue;
		key = slot_key(t, i);
		h = hash_raw(t, key);
		(void)table_find(&n, key, h, &pos);
		n.ctrl[pos] = tag_of(h);
		slot_set(&n, pos, key, slot_value(t, i));
	}
	free(t->ctrl);
	free(t->slots);
	*t = n;
	return 0;
}

/* The smallest capacity whose limit holds n entries. */
static size_t
cap_for(size_t n)
{
	size_t cap;

	if (n >= MAX_CAP / 8 * 7)
		return MAX_CAP;
	cap = n + n / 7 + 1;
	while (table_limit(cap) < n)
		cap++;
	return cap < MIN_CAP ? MIN_CAP : cap;
}

/* Make room for one more entry. */
static int
table_reserve(struct table *t)
{
	size_t newcap;

	if (t->cap != 0 && t->count + 1 <= table_limit(t->cap))
		return 0;
	if (t->cap == 0)
		newcap = MIN_CAP;
	else if (t->cap >= MAX_CAP) {
		drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
		    "digest map is full (%zu entries)", t->count);
		return DRYDOCK_ERROR;
	} else if (t->cap > MAX_CAP - t->cap / 2)
		newcap = MAX_CAP;
	else
		newcap = t->cap + t->cap / 2;
	return table_resize(t, newcap);
}

static struct table *
table_for(struct drydock_digestmap *map, int alg)
{
	switch (alg) {
	case DRYDOCK_DIGEST_SHA256:
		return &map->t256;
	case DRYDOCK_DIGEST_SHA512:
		return &map->t512;
	default:
		return NULL;
	}
}

static const struct table *
ctable_for(const struct drydock_digestmap *map, int alg)
{
	switch (alg) {
	case DRYDOCK_DIGEST_SHA256:
		return &map->t256;
	case DRYDOCK_DIGEST_SHA512:
		return &map->t512;
	default:
		return NULL;
	}
}

int
drydock_digestmap_new(struct drydock_digestmap **out, size_t hint)
{
	struct drydock_digestmap *map;
	int error;

	if ((map = malloc(sizeof(*map))) == NULL) {
		drydock_error_set_os("cannot allocate digest map");
		return DRYDOCK_ERROR;
	}
	table_init(&map->t256, DRYDOCK_DIGEST_SHA256);
	table_init(&map->t512, DRYDOCK_DIGEST_SHA512);
	/* sha512 blobs are rare: size only the sha256 table for the hint. */
	if (hint > 0 && (error = table_resize(&map->t256, cap_for(hint))) < 0) {
		drydock_digestmap_free(map);
		return error;
	}
	*out = map;
	return 0;
}

void
drydock_digestmap_free(struct drydock_digestmap *map)
{
	if (map == NULL)
		return;
	table_release(&map->t256);
	table_release(&map->t512);
	free(map);
}

static int
bad_alg(const struct drydock_digest *d)
{
	drydock_error_set(DRYDOCK_ERRCLASS_DIGEST,
	    "digest map cannot hold digests of algorithm %d", d->alg);
	return DRYDOCK_EUNSUPPORTED;
}

/*
 * Insert when absent; when present, overwrite the value if asked and
 * report the old one.
 */
static int
insert(struct drydock_digestmap *map, const struct drydock_digest *d,
    uint32_t value, int overwrite, uint32_t *old_out)
{
	struct table *t = table_for(map, d->alg);
	uint64_t h;
	size_t pos;
	int error;

	if (t == NULL)
		return bad_alg(d);
	h = hash_raw(t, d->raw);
	if (t->cap != 0 && table_find(t, d->raw, h, &pos)) {
		if (old_out != NULL)
			*old_out = slot_value(t, pos);
		if (overwrite)
			slot_set(t, pos, d->raw, value);
		return 0;
	}
	if ((error = table_reserve(t)) < 0)
		return error;
	(void)table_find(t, d->raw, h, &pos);
	t->ctrl[pos] = tag_of(h);
	slot_set(t, pos, d->raw, value);
	t->count++;
	return 1;
}

int
drydock_digestmap_put(struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t value)
{
	return insert(map, d, value, 1, NULL);
}

int
drydock_digestmap_add(struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t value, uint32_t *value_out)
{
	return insert(map, d, value, 0, value_out);
}

int
drydock_digestmap_get(const struct drydock_digestmap *map,
    const struct drydock_digest *d, uint32_t *value_out)
{
	const struct table *t = ctable_for(map, d->alg);
	size_t pos;

	if (t == NULL || t->count == 0)
		return 0;
	if (!table_find(t, d->raw, hash_raw(t, d->raw), &pos))
		return 0;
	if (value_out != NULL)
		*value_out = slot_value(t, pos);
	return 1;
}

/* 1 when slot j's home h lies cyclically in (i, j], so it must stay. */
static int
stays(size_t i, size_t j, size_t h)
{
	if (i <= j)
		return i < h && h <= j;
	return i < h || h <= j;
}

int
drydock_digestmap_del(
    struct drydock_digestmap *map, const struct drydock_digest *d)
{
	struct table *t = table_for(map, d->alg);
	size_t i, j;

	if (t == NULL || t->count == 0)
		return 0;
	if (!table_find(t, d->raw, hash_raw(t, d->raw), &i))
		return 0;
	/*
	 * Backward-shift deletion: walk the rest of the cluster and move
	 * back into the hole every entry whose probe sequence passes it.
	 */
	for (j = i;;) {
		if (++j == t->cap)
			j = 0;
		if (t->ctrl[j] == CTRL_EMPTY)
			break;
		if (stays(i, j, home(t, hash_raw(t, slot_key(t, j)))))
			continue;
		t->ctrl[i] = t->ctrl[j];
		memcpy(slot_key(t, i), slot_key(t, j), t->stride);
		i = j;
	}
	t->ctrl[i] = CTRL_EMPTY;
	t->count--;
	return 1;
}

size_t
drydock_digestmap_count(const struct drydock_digestmap *map)
{
	return map->t256.count + map->t512.count;
}

static int
table_foreach(const struct table *t, drydock_digestmap_cb cb, void *payload)
{
	struct drydock_digest d;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.alg = t->alg;
	for (i = 0; i < t->cap; i++) {
		if (t->ctrl[i] == CTRL_EMPTY)
			continue;
		memcpy(d.raw, slot_key(t, i), t->keylen);
		drydock_error_clear();
		if ((rc = cb(&d, slot_value(t, i), payload)) != 0) {
			if (rc < 0 && drydock_error_message()[0] == '\0')
				drydock_error_set(DRYDOCK_ERRCLASS_CALLBACK,
				    "digest map callback returned %d", rc);
			return rc;
		}
	}
	return 0;
}

int
drydock_digestmap_foreach(
    const struct drydock_digestmap *map, drydock_digestmap_cb cb, void *payload)
{
	int rc;

	if ((rc = table_foreach(&map->t256, cb, payload)) != 0)
		return rc;
	return table_foreach(&map->t512, cb, payload);
}
