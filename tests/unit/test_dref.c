/* SPDX-License-Identifier: MIT */
/*
 * test_dref.c --- drydock-migrate's docker:// references (migrate/dref.c)
 * as docker reads them: the host of a name, Docker Hub's names
 * normalised (docker.io and index.docker.io answer at
 * registry-1.docker.io, one-word names are library/NAME), tags, digests,
 * every repository of a host, and what is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <drydock/drydock.h>

#include "migrate/dref.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* s parses into host, api_host, repo, tag (or NULL), digest (0 or 1) */
static void
parses(const char *s, const char *host, const char *api, const char *repo,
    const char *tag, int digest)
{
	struct mig_dref r;

	if (mig_dref_parse(&r, s) != 0)
		fail_msg("'%s': %s", s, drydock_error_message());
	assert_string_equal(r.host, host);
	assert_string_equal(r.api_host, api);
	assert_string_equal(r.repo, repo);
	if (tag == NULL)
		assert_null(r.tag);
	else
		assert_string_equal(r.tag, tag);
	assert_int_equal(r.has_digest, digest);
	mig_dref_release(&r);
}

/* s is refused, and the message quotes it and says why */
static void
refused(const char *s, const char *why)
{
	struct mig_dref r;
	char want[300];

	if (mig_dref_parse(&r, s) != DRYDOCK_ERROR)
		fail_msg("'%s' was accepted", s);
	snprintf(want, sizeof(want), "'docker://%s': %s", s, why);
	assert_string_equal(drydock_error_message(), want);
	assert_null(r.host);
	assert_null(r.repo);
	mig_dref_release(&r); /* empty: nothing to free, harmless */
}

static void
test_dref__has_host(void **state)
{
	(void)state;
	assert_int_equal(mig_ref_has_host("ghcr.io/a/b", 11), 1);
	assert_int_equal(mig_ref_has_host("localhost/a", 11), 1);
	assert_int_equal(mig_ref_has_host("localhost:5000/a", 16), 1);
	assert_int_equal(mig_ref_has_host("127.0.0.1:5000/a", 16), 1);
	assert_int_equal(mig_ref_has_host("bitnami/redis", 13), 0);
	assert_int_equal(mig_ref_has_host("alpine", 6), 0);
	assert_int_equal(mig_ref_has_host("localhostx/a", 12), 0);
	/* only the first component counts, and only within len */
	assert_int_equal(mig_ref_has_host("team/app.x/y", 12), 0);
	assert_int_equal(mig_ref_has_host("a.b/c", 2), 0);
}

static void
test_dref__docker_hub(void **state)
{
	(void)state;
	/* a name without a host is Docker Hub's, as docker pull reads it */
	parses("alpine", "docker.io", "registry-1.docker.io", "library/alpine",
	    NULL, 0);
	parses("alpine:3.19", "docker.io", "registry-1.docker.io",
	    "library/alpine", "3.19", 0);
	parses("alpine@sha256:" HEX, "docker.io", "registry-1.docker.io",
	    "library/alpine", NULL, 1);
	parses("bitnami/redis:7", "docker.io", "registry-1.docker.io",
	    "bitnami/redis", "7", 0);
	/* a first component without '.' or ':' is a namespace, not a host */
	parses("myhost/app", "docker.io", "registry-1.docker.io", "myhost/app",
	    NULL, 0);
	/* docker.io and index.docker.io: the same registry */
	parses("docker.io/alpine", "docker.io", "registry-1.docker.io",
	    "library/alpine", NULL, 0);
	parses("docker.io/library/alpine:edge", "docker.io",
	    "registry-1.docker.io", "library/alpine", "edge", 0);
	parses("index.docker.io/alpine:3", "docker.io", "registry-1.docker.io",
	    "library/alpine", "3", 0);
	parses("index.docker.io/grafana/grafana", "docker.io",
	    "registry-1.docker.io", "grafana/grafana", NULL, 0);
	/* registry-1.docker.io is named as it is (docker does the same) */
	parses("registry-1.docker.io/library/alpine", "registry-1.docker.io",
	    "registry-1.docker.io", "library/alpine", NULL, 0);
}

static void
test_dref__other_hosts(void **state)
{
	(void)state;
	parses("ghcr.io/org/app:v1", "ghcr.io", "ghcr.io", "org/app", "v1", 0);
	/* one-word names elsewhere stay as they are */
	parses("quay.io/alpine", "quay.io", "quay.io", "alpine", NULL, 0);
	parses("localhost:5000/a/b/c@sha256:" HEX, "localhost:5000",
	    "localhost:5000", "a/b/c", NULL, 1);
	parses("localhost/app:1", "localhost", "localhost", "app", "1", 0);
	parses("127.0.0.1:5000/team/app", "127.0.0.1:5000", "127.0.0.1:5000",
	    "team/app", NULL, 0);
	parses("[::1]:5000/app:x", "[::1]:5000", "[::1]:5000", "app", "x", 0);
	/* docker://HOST/: every repository (--all-repositories) */
	parses(
	    "127.0.0.1:5000/", "127.0.0.1:5000", "127.0.0.1:5000", "", NULL, 0);
	parses("docker.io/", "docker.io", "registry-1.docker.io", "", NULL, 0);
}

static void
test_dref__refused(void **state)
{
	(void)state;
	refused("", "names no repository");
	refused("@sha256:" HEX, "names no repository");
	refused("alpine@sha256:abc", "not a digest after '@'");
	refused("alpine:3@sha256:" HEX, "both a tag and a digest");
	refused("Alpine", "not a repository name");
	refused("ghcr.io/org//app", "not a repository name");
	refused("ghcr.io/app:-x", "not a tag");
	refused("ghcr.io/:1", "a tag or digest needs a repository");
	refused("127.0.0.1:5000/@sha256:" HEX,
	    "a tag or digest needs a repository");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dref__has_host),
	    cmocka_unit_test(test_dref__docker_hub),
	    cmocka_unit_test(test_dref__other_hosts),
	    cmocka_unit_test(test_dref__refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
