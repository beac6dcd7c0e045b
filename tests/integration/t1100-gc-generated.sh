#!/usr/bin/env bash
# t1100-gc-generated --- drydock-gc against an independent model: the bench
# generator (tests/bench/gen-tree.c) writes a store of many repositories
# (shared layers, Docker and OCI indexes, referrers, signatures, overwritten
# tags, API-deleted manifests, orphans, stale uploads) and computes by itself
# what a correct gc removes, with and without -m.  Every count must match,
# whatever the number of reading threads; after the real run every tag still
# resolves and pulls from the real registry, and distribution's own -m
# would have removed more (its multi-arch bug).
. "$(dirname "$0")/lib.sh"

GEN=$DRYDOCK_BIN/../tests/bench/gen-tree
[ -x "$GEN" ] || bail "no gen-tree at $GEN (make all)"

# expect KEY: a value the generator printed
expect() { sed -n "s/^$1=//p" "$T/expect"; }

root=$T/root
"$GEN" --repos 40 --seed 11 "$root" >"$T/expect" || bail "gen-tree failed"
age_tree "$root" "10 minutes ago"
V=$(v2 "$root")
blobs_before=$(count_blobs "$root")
assert_eq "$(expect blobs)" "$blobs_before" "fixture: the generator's blob count"

# 1. dry runs: exactly the planted garbage, for any number of threads
for j in 1 16; do
	run_gc -n --grace 0 -j "$j" --json "$T/plain.$j.json" "$root"
	assert_rc 0 "-j $j: dry run, every revision a root"
	assert_jq "$T/plain.$j.json" '[.summary.removed.blob,
	    .summary.removed["layer-link"]]' \
	    "[$(expect expect_plain_blobs),$(expect expect_plain_layer_links)]" \
	    "-j $j: the blobs and layer links the model says are garbage"
	run_gc -n -m --grace 0 -j "$j" --json "$T/m.$j.json" "$root"
	assert_rc 0 "-j $j: dry run, -m"
	assert_jq "$T/m.$j.json" '[.summary.removed.blob,
	    .summary.removed["layer-link"], .summary.removed.revision,
	    .summary.removed["tag-history"]]' \
	    "[$(expect expect_m_blobs),$(expect expect_m_layer_links),$(($(expect expect_m_revisions) + $(expect deleted_images))),$(($(expect expect_m_tag_history) + $(expect tag_history_of_deleted)))]" \
	    "-j $j: -m removes what the model says (blobs, links, revisions, history)"
	jq -S .removed "$T/m.$j.json" >"$T/m.$j.items"
done
assert_true "-j 1 and -j 16 plan the very same removals" \
    cmp -s "$T/m.1.items" "$T/m.16.items"
assert_jq "$T/m.1.json" '[.removed[] | select(.kind == "blob") | .size] | add' \
    "$(expect expect_m_bytes)" "-m: the bytes the model says"

# 2. distribution's -m on a copy: it removes more (index children)
cp -a "$root" "$T/dr"
write_registry_config "$T/dr.yml" "$T/dr"
docker-registry garbage-collect --dry-run --delete-untagged "$T/dr.yml" \
    >"$T/dr.out" 2>&1
assert_eq "$(expect expect_dr28_m_blobs)" \
    "$(grep -c '^blob eligible for deletion' "$T/dr.out")" \
    "distribution 2.8 -m would remove the model's (larger) count"
assert_true "which is more than drydock-gc -m removes" \
    test "$(expect expect_dr28_m_blobs)" -gt "$(expect expect_m_blobs)"

# 3. the real run, then nothing is left to do
run_gc -m --grace 0 --json "$T/real.json" "$root"
assert_rc 0 "real run, -m"
assert_jq "$T/real.json" '.summary.removed.blob' "$(expect expect_m_blobs)" \
    "the real run removed what the dry run said"
assert_eq "$((blobs_before - $(expect expect_m_blobs)))" \
    "$(count_blobs "$root")" "blobs left on disk"
run_gc -m --grace 0 --json "$T/again.json" "$root"
assert_jq "$T/again.json" '.removed | length' 0 "a second run finds nothing"

# 4. every tag still resolves; the first and last tag of each repository pull
start_registry "$root"
bad=0 pulled=0
for repo in $(cd "$V/repositories" && find . -name _manifests -prune -printf '%h\n' |
    sed 's|^\./||' | sort); do
	tags=$(ls "$V/repositories/$repo/_manifests/tags" 2>/dev/null | sort)
	for t in $tags; do
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    -H 'Accept: application/vnd.oci.image.index.v1+json' \
		    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
		    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		    "http://$REG/v2/$repo/manifests/$t")
		[ "$code" = 200 ] || { bad=$((bad + 1)); diag "$repo:$t: HTTP $code"; }
	done
	for t in $(printf '%s\n' $tags | sed -n '1p;$p' | sort -u); do
		pull "$repo:$t" || { bad=$((bad + 1)); diag "$repo:$t does not pull"; }
		pulled=$((pulled + 1))
	done
done
assert_eq 0 "$bad" "every tag resolves, and $pulled sampled tags pull (skopeo verifies digests)"
assert_true "the sample is not empty" test "$pulled" -gt 40
stop_registry
finish
