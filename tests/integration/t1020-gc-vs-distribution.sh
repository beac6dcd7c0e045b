#!/usr/bin/env bash
# t1020-gc-vs-distribution --- the same store collected by the registry's own
# "garbage-collect --delete-untagged" (distribution 2.8.2) and by
# drydock-gc -m.  Documents the peer's bug (it marks one level only, so the
# untagged children of a tagged index lose their revisions and their own
# blobs: the tag still resolves but no platform pulls; it also deletes the
# referrer of a live image and leaves dangling _layers links) and shows
# drydock-gc keeps those images whole.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

# --- distribution ---
cp -a "$F/root" "$T/dist"
write_registry_config "$T/dist.yml" "$T/dist"
if docker-registry garbage-collect --delete-untagged "$T/dist.yml" \
    >"$T/dist-gc.log" 2>&1; then
	pass "docker-registry garbage-collect --delete-untagged ran"
else
	fail "docker-registry garbage-collect --delete-untagged ran"
	tail -n 5 "$T/dist-gc.log" | sed 's/^/#   /'
fi
start_registry "$T/dist"
assert_ne "" "$(manifest_digest team/multi 1.0)" \
    "distribution: team/multi:1.0 still resolves"
pull_fails team/multi:1.0 \
    "distribution -m: team/multi:1.0 no longer pulls (index children swept)"
pull_fails team/dmulti:1.0 \
    "distribution -m: the Docker manifest list no longer pulls"
pull_fails "team/app@$R1" \
    "distribution -m: the referrer of a live image is deleted"
pull_ok library/oci:1.0 "distribution -m: a plain tagged image still pulls"
stop_registry
layer_links "$T/dist" >"$T/dist.links"
list_blobs "$T/dist" >"$T/dist.blobs"
dangling=0
while read -r repo d; do
	grep -qx "$d" "$T/dist.blobs" || dangling=$((dangling + 1))
done <"$T/dist.links"
assert_true "distribution leaves dangling _layers links ($dangling)" \
    test "$dangling" -gt 1
assert_file_present "$(v2 "$T/dist")/repositories/team/app/_uploads/$UP_OLD" \
    "distribution leaves the abandoned upload"

# --- drydock ---
cp -a "$F/root" "$T/dd"
run_gc --grace 0 -m --json "$T/dd.json" "$T/dd"
assert_rc 0 "drydock-gc --grace 0 -m"
start_registry "$T/dd"
pull_ok team/multi:1.0 "drydock-gc -m: team/multi:1.0 pulls, every platform"
pull_ok team/dmulti:1.0 "drydock-gc -m: the Docker manifest list pulls"
pull_ok "team/app@$R1" "drydock-gc -m: the live image's referrer pulls"
pull_ok library/oci:1.0 "drydock-gc -m: a plain tagged image pulls"
stop_registry
layer_links "$T/dd" >"$T/dd.links"
list_blobs "$T/dd" >"$T/dd.blobs"
dangling=0
while read -r repo d; do
	grep -qx "$d" "$T/dd.blobs" || dangling=$((dangling + 1))
done <"$T/dd.links"
assert_eq 0 "$dangling" "drydock-gc leaves no dangling _layers link"
# both removed the plain garbage; drydock did not take the multi-arch blobs
assert_eq "" "$(comm -23 "$F/keep.blobs" "$T/dd.blobs")" \
    "drydock-gc kept every blob of every tagged image and live referrer"
assert_ne "" "$(comm -23 "$F/keep.blobs" "$T/dist.blobs")" \
    "distribution removed blobs that tagged images need"
assert_eq "" "$(comm -12 "$F/orphan.blobs" "$T/dd.blobs")" \
    "drydock-gc removed every orphan blob distribution removed too"
finish
