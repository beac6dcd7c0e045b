/* SPDX-License-Identifier: MIT */
/*
 * fuzz_manifest.c --- libFuzzer target for drydock_manifest_parse(): no
 * crash, leak or undefined behaviour, and a consistent result on success.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <drydock/digest.h>
#include <drydock/errors.h>
#include <drydock/manifest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct drydock_manifest *m)
{
	const struct drydock_descriptor *subject = drydock_manifest_subject(m);
	size_t i, n = drydock_manifest_ref_count(m), total = 0;
	char buf[DRYDOCK_DIGEST_STRMAX];

	if (drydock_manifest_kind(m) == DRYDOCK_MANIFEST_UNKNOWN ||
	    drydock_manifest_media_type(m) == NULL)
		abort();
	total += strlen(drydock_manifest_media_type(m));
	total += strlen(drydock_manifest_kind_name(drydock_manifest_kind(m)));
	if (drydock_manifest_artifact_type(m) != NULL)
		total += strlen(drydock_manifest_artifact_type(m));
	for (i = 0; i < n; i++) {
		const struct drydock_descriptor *d = drydock_manifest_ref(m, i);

		if (d == NULL || drydock_digest_alg_size(d->digest.alg) == 0 ||
		    d->size < -1 ||
		    (d->role == DRYDOCK_REF_SUBJECT && d != subject))
			abort();
		total += strlen(drydock_digest_format(buf, &d->digest));
		total += strlen(drydock_ref_role_name(d->role));
		if (d->media_type != NULL)
			total += strlen(d->media_type);
		if (d->artifact_type != NULL)
			total += strlen(d->artifact_type);
		if (d->platform.os != NULL)
			total += strlen(d->platform.os);
		if (d->platform.architecture != NULL)
			total += strlen(d->platform.architecture);
		if (d->platform.variant != NULL)
			total += strlen(d->platform.variant);
	}
	if (drydock_manifest_ref(m, n) != NULL ||
	    (subject != NULL && subject != drydock_manifest_ref(m, n - 1)) ||
	    total == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drydock_manifest *m = NULL;

	if (drydock_manifest_parse(&m, (const char *)data, size) == 0)
		check(m);
	else if (m != NULL || drydock_error_message()[0] == '\0')
		abort();
	drydock_manifest_free(m);
	return 0;
}
