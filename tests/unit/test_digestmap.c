/* SPDX-License-Identifier: MIT */
/* test_digestmap.c --- the digest -> uint32 hash map and the mark set. */
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <drydock/digest.h>
#include <drydock/digestmap.h>
#include <drydock/errors.h>

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
random_digest(struct drydock_digest *d, int alg)
{
	size_t i, n = drydock_digest_alg_size(alg);

	memset(d, 0, sizeof(*d));
	d->alg = (uint8_t)alg;
	for (i = 0; i < n; i += 8) {
		uint64_t x = rng();

		memcpy(d->raw + i, &x, 8);
	}
}

/* Digest number i of a family sharing everything but the last bytes. */
static void
clustered_digest(struct drydock_digest *d, int alg, uint32_t i)
{
	size_t n = drydock_digest_alg_size(alg);

	memset(d, 0, sizeof(*d));
	d->alg = (uint8_t)alg;
	memset(d->raw, 0xab, n);
	memcpy(d->raw + n - sizeof(i), &i, sizeof(i));
}

static struct drydock_digestmap *
new_map(size_t hint)
{
	struct drydock_digestmap *map = NULL;

	assert_int_equal(drydock_digestmap_new(&map, hint), 0);
	assert_non_null(map);
	return map;
}

static void
test_digestmap__basic(void **state)
{
	struct drydock_digestmap *map = new_map(0);
	struct drydock_digest a, b;
	uint32_t v = 0;

	(void)state;
	rng_state = 1;
	random_digest(&a, DRYDOCK_DIGEST_SHA256);
	random_digest(&b, DRYDOCK_DIGEST_SHA256);
	assert_int_equal(drydock_digestmap_count(map), 0);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 0);
	assert_int_equal(drydock_digestmap_del(map, &a), 0);

	assert_int_equal(drydock_digestmap_put(map, &a, 7), 1);
	assert_int_equal(drydock_digestmap_count(map), 1);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 1);
	assert_int_equal(v, 7);
	assert_int_equal(drydock_digestmap_get(map, &a, NULL), 1);
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 0);

	/* put overwrites and says it was present. */
	assert_int_equal(drydock_digestmap_put(map, &a, 8), 0);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 1);
	assert_int_equal(v, 8);
	assert_int_equal(drydock_digestmap_count(map), 1);

	/* add keeps the old value and reports it. */
	v = 0;
	assert_int_equal(drydock_digestmap_add(map, &a, 9, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(drydock_digestmap_add(map, &a, 9, NULL), 0);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 1);
	assert_int_equal(v, 8);
	assert_int_equal(drydock_digestmap_add(map, &b, UINT32_MAX, &v), 1);
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 1);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(drydock_digestmap_count(map), 2);

	assert_int_equal(drydock_digestmap_del(map, &a), 1);
	assert_int_equal(drydock_digestmap_del(map, &a), 0);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 0);
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 1);
	assert_int_equal(drydock_digestmap_count(map), 1);
	drydock_digestmap_free(map);
	drydock_digestmap_free(NULL);
}

static void
test_digestmap__algorithms_apart(void **state)
{
	struct drydock_digestmap *map = new_map(0);
	struct drydock_digest a, b, none;
	uint32_t v = 0;

	(void)state;
	rng_state = 2;
	/* The same raw bytes as sha256 and as sha512 are two keys. */
	random_digest(&b, DRYDOCK_DIGEST_SHA512);
	a = b;
	a.alg = DRYDOCK_DIGEST_SHA256;
	memset(a.raw + 32, 0, 32);
	assert_int_equal(drydock_digestmap_put(map, &a, 1), 1);
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 0);
	assert_int_equal(drydock_digestmap_put(map, &b, 2), 1);
	assert_int_equal(drydock_digestmap_count(map), 2);
	assert_int_equal(drydock_digestmap_get(map, &a, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 1);
	assert_int_equal(v, 2);
	/* A sha512 key differing only in its second half is another key. */
	b.raw[63] ^= 0x80;
	assert_int_equal(drydock_digestmap_get(map, &b, &v), 0);

	memset(&none, 0, sizeof(none));
	drydock_error_clear();
	assert_int_equal(
	    drydock_digestmap_put(map, &none, 1), DRYDOCK_EUNSUPPORTED);
	assert_true(drydock_error_message()[0] != '\0');
	assert_int_equal(
	    drydock_digestmap_add(map, &none, 1, NULL), DRYDOCK_EUNSUPPORTED);
	assert_int_equal(drydock_digestmap_get(map, &none, NULL), 0);
	assert_int_equal(drydock_digestmap_del(map, &none), 0);
	assert_int_equal(drydock_digestmap_count(map), 2);
	drydock_digestmap_free(map);
}

static void
test_digestmap__markset(void **state)
{
	struct drydock_markset *set = new_map(10);
	struct drydock_digest a, b;

	(void)state;
	rng_state = 3;
	random_digest(&a, DRYDOCK_DIGEST_SHA256);
	random_digest(&b, DRYDOCK_DIGEST_SHA512);
	assert_int_equal(drydock_markset_has(set, &a), 0);
	assert_int_equal(drydock_markset_mark(set, &a), 1);
	assert_int_equal(drydock_markset_mark(set, &a), 0);
	assert_int_equal(drydock_markset_has(set, &a), 1);
	assert_int_equal(drydock_markset_has(set, &b), 0);
	assert_int_equal(drydock_markset_mark(set, &b), 1);
	assert_int_equal(drydock_digestmap_count(set), 2);
	drydock_digestmap_free(set);
}

/*
 * Keys that share their first bytes all hash alike: one long cluster,
 * which exercises probing and backward-shift deletion across it.
 */
static void
test_digestmap__clustered_keys(void **state)
{
	const uint32_t n = 600;
	struct drydock_digestmap *map = new_map(0);
	struct drydock_digest d;
	uint32_t i, v;
	int alg;

	(void)state;
	for (alg = DRYDOCK_DIGEST_SHA256; alg <= DRYDOCK_DIGEST_SHA512; alg++)
		for (i = 0; i < n; i++) {
			clustered_digest(&d, alg, i);
			assert_int_equal(drydock_digestmap_put(map, &d, i), 1);
		}
	assert_int_equal(drydock_digestmap_count(map), 2 * n);
	/* Delete every other one, from the middle of the cluster. */
	for (i = 0; i < n; i += 2) {
		clustered_digest(&d, DRYDOCK_DIGEST_SHA256, i);
		assert_int_equal(drydock_digestmap_del(map, &d), 1);
	}
	for (alg = DRYDOCK_DIGEST_SHA256; alg <= DRYDOCK_DIGEST_SHA512; alg++)
		for (i = 0; i < n; i++) {
			int want = alg == DRYDOCK_DIGEST_SHA512 || i % 2 == 1;

			clustered_digest(&d, alg, i);
			v = UINT32_MAX;
			assert_int_equal(
			    drydock_digestmap_get(map, &d, &v), want);
			if (want)
				assert_int_equal(v, i);
		}
	assert_int_equal(drydock_digestmap_count(map), 2 * n - n / 2);
	drydock_digestmap_free(map);
}

struct visit {
	struct drydock_digestmap *seen;
	size_t calls;
	size_t stop_after;
	int stop_rc;
};

static int
visit_cb(const struct drydock_digest *d, uint32_t value, void *payload)
{
	struct visit *vi = payload;
	uint32_t want;

	vi->calls++;
	/* The visited entry is in the reference, with its value, once. */
	if (vi->seen != NULL) {
		assert_int_equal(drydock_digestmap_get(vi->seen, d, &want), 1);
		assert_int_equal(value, want);
		assert_int_equal(drydock_digestmap_del(vi->seen, d), 1);
	}
	if (vi->stop_after != 0 && vi->calls == vi->stop_after)
		return vi->stop_rc;
	return 0;
}

static void
test_digestmap__foreach(void **state)
{
	struct drydock_digestmap *map = new_map(0);
	struct visit vi = {0};
	struct drydock_digest d;
	uint32_t i;

	(void)state;
	rng_state = 4;
	vi.seen = new_map(0);
	assert_int_equal(drydock_digestmap_foreach(map, visit_cb, &vi), 0);
	assert_int_equal(vi.calls, 0);
	for (i = 0; i < 500; i++) {
		random_digest(&d,
		    i % 5 == 0 ? DRYDOCK_DIGEST_SHA512 : DRYDOCK_DIGEST_SHA256);
		assert_int_equal(drydock_digestmap_put(map, &d, i * 3), 1);
		assert_int_equal(drydock_digestmap_put(vi.seen, &d, i * 3), 1);
	}
	assert_int_equal(drydock_digestmap_foreach(map, visit_cb, &vi), 0);
	assert_int_equal(vi.calls, 500);
	assert_int_equal(drydock_digestmap_count(vi.seen), 0);

	drydock_digestmap_free(vi.seen);
	vi.seen = NULL;

	/* A non-zero return stops the walk and comes back unchanged. */
	vi.calls = 0;
	vi.stop_after = 10;
	vi.stop_rc = -321;
	assert_int_equal(drydock_digestmap_foreach(map, visit_cb, &vi), -321);
	assert_int_equal(vi.calls, 10);
	/* The callback set no message: the library adds one. */
	assert_int_equal(
	    drydock_error_last()->klass, DRYDOCK_ERRCLASS_CALLBACK);
	vi.calls = 0;
	vi.stop_after = 499; /* the stop may come from the sha512 table */
	vi.stop_rc = 5;
	assert_int_equal(drydock_digestmap_foreach(map, visit_cb, &vi), 5);
	assert_int_equal(vi.calls, 499);
	drydock_digestmap_free(map);
}

/*
 * The reference: a pool of digests, each present or not with a value.
 * Operations pick pool members at random so that inserts, overwrites and
 * deletes of present and absent keys all happen.
 */
struct ref {
	struct drydock_digest *pool;
	uint32_t *value;
	unsigned char *present;
	size_t n, count;
};

static int
check_cb(const struct drydock_digest *d, uint32_t value, void *payload)
{
	struct ref *r = payload;
	uint32_t idx;

	/* The value encodes the pool index in its low 20 bits. */
	idx = value & 0xfffff;
	assert_true(idx < r->n);
	assert_true(r->present[idx]);
	assert_true(drydock_digest_equal(&r->pool[idx], d));
	assert_int_equal(r->value[idx], value);
	r->present[idx] = 2; /* seen */
	return 0;
}

static void
random_op(struct drydock_digestmap *map, struct ref *r)
{
	size_t i = (size_t)(rng() % r->n);
	uint32_t v = (uint32_t)(rng() & 0xfff00000) | (uint32_t)i, got = 0;
	int op = (int)(rng() % 8);

	switch (op) {
	case 0:
	case 1:
	case 2:
		assert_int_equal(
		    drydock_digestmap_put(map, &r->pool[i], v), !r->present[i]);
		r->count += !r->present[i];
		r->present[i] = 1;
		r->value[i] = v;
		break;
	case 3:
		assert_int_equal(
		    drydock_digestmap_add(map, &r->pool[i], v, &got),
		    !r->present[i]);
		if (r->present[i])
			assert_int_equal(got, r->value[i]);
		else {
			r->count++;
			r->present[i] = 1;
			r->value[i] = v;
		}
		break;
	case 4:
	case 5:
		assert_int_equal(
		    drydock_digestmap_del(map, &r->pool[i]), r->present[i]);
		r->count -= r->present[i];
		r->present[i] = 0;
		break;
	default:
		assert_int_equal(drydock_digestmap_get(map, &r->pool[i], &got),
		    r->present[i]);
		if (r->present[i])
			assert_int_equal(got, r->value[i]);
		break;
	}
	assert_int_equal(drydock_digestmap_count(map), r->count);
}

static void
test_digestmap__random_vs_reference(void **state)
{
	const size_t ops = 300000;
	struct drydock_digestmap *map = new_map(0);
	struct ref r = {0};
	size_t i;
	uint32_t got;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	r.n = 60000;
	assert_non_null(r.pool = calloc(r.n, sizeof(*r.pool)));
	assert_non_null(r.value = calloc(r.n, sizeof(*r.value)));
	assert_non_null(r.present = calloc(r.n, 1));
	for (i = 0; i < r.n; i++)
		random_digest(&r.pool[i],
		    i % 7 == 0 ? DRYDOCK_DIGEST_SHA512 : DRYDOCK_DIGEST_SHA256);
	/* Fill past several growths, then churn with deletes. */
	for (i = 0; i < ops; i++)
		random_op(map, &r);
	assert_true(r.count > 1000);
	for (i = 0; i < r.n; i++) {
		assert_int_equal(
		    drydock_digestmap_get(map, &r.pool[i], &got), r.present[i]);
		if (r.present[i])
			assert_int_equal(got, r.value[i]);
	}
	assert_int_equal(drydock_digestmap_foreach(map, check_cb, &r), 0);
	for (i = 0; i < r.n; i++)
		assert_int_not_equal(r.present[i], 1); /* all were seen */
	/* Empty it completely. */
	for (i = 0; i < r.n; i++)
		if (r.present[i])
			assert_int_equal(
			    drydock_digestmap_del(map, &r.pool[i]), 1);
	assert_int_equal(drydock_digestmap_count(map), 0);
	for (i = 0; i < r.n; i++)
		assert_int_equal(
		    drydock_digestmap_get(map, &r.pool[i], NULL), 0);
	free(r.pool);
	free(r.value);
	free(r.present);
	drydock_digestmap_free(map);
}

/*
 * Heap bytes per sha256 entry, when the allocator can tell us: ASan and
 * valgrind replace malloc and mallinfo2() then reports nothing.
 */
static size_t
heap_in_use(void)
{
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}

static void
measure(size_t n, size_t hint, double limit)
{
	struct drydock_digestmap *map = NULL;
	struct drydock_digest d;
	size_t before, after, i;
	double per;

	rng_state = 5;
	if ((before = heap_in_use()) == 0) {
		print_message("heap use not measurable here; skipped\n");
		return;
	}
	map = new_map(hint);
	for (i = 0; i < n; i++) {
		random_digest(&d, DRYDOCK_DIGEST_SHA256);
		assert_int_equal(
		    drydock_digestmap_put(map, &d, (uint32_t)i), 1);
	}
	after = heap_in_use();
	assert_int_equal(drydock_digestmap_count(map), n);
	drydock_digestmap_free(map);
	assert_true(after > before);
	per = (double)(after - before) / (double)n;
	print_message(
	    "%zu sha256 entries, hint %zu: %.1f bytes/entry\n", n, hint, per);
	assert_true(per < limit);
}

static void
test_digestmap__memory_per_entry(void **state)
{
	(void)state;
	/* Sized from the hint: load 7/8, 37 bytes a slot. */
	measure(1000000, 1000000, 48.0);
	/* Grown by half each time: the load stays above 7/12. */
	measure(1000000, 0, 64.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digestmap__basic),
	    cmocka_unit_test(test_digestmap__algorithms_apart),
	    cmocka_unit_test(test_digestmap__markset),
	    cmocka_unit_test(test_digestmap__clustered_keys),
	    cmocka_unit_test(test_digestmap__foreach),
	    cmocka_unit_test(test_digestmap__random_vs_reference),
	    cmocka_unit_test(test_digestmap__memory_per_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
