#!/usr/bin/env bash
# t1000-gc-basic --- the smallest real round trip (also the valgrind smoke
# test): push with skopeo, overwrite a tag, leave a stray blob, then
# drydock-gc keeps untagged revisions, drydock-gc -m removes them, and every
# tag still pulls from the real registry.
. "$(dirname "$0")/lib.sh"

root=$T/root
L=$T/layouts
mkimage -s basic-a -b basic-base -r a "$L" >/dev/null
mkimage -s basic-b -b basic-base -r b "$L" >/dev/null
mkimage -s basic-c -b basic-base -l 1 -r c "$L" >/dev/null

start_registry "$root"
push_oci "$L" a demo/app:1.0
A=$(manifest_digest demo/app 1.0)
image_blobs demo/app 1.0 >"$T/a.blobs"
push_oci "$L" b demo/app:1.0
B=$(manifest_digest demo/app 1.0)
push_oci "$L" c other/repo:latest
image_blobs demo/app 1.0 >"$T/b.blobs"
image_blobs other/repo latest >"$T/c.blobs"
printf 'stray\n' >"$T/stray"
STRAY=$(push_blob demo/app "$T/stray")
stop_registry
# drydock-gc keeps what changed in the last 2 s even with --grace 0
age_tree "$root" "10 minutes ago"
sort -u "$T/b.blobs" "$T/c.blobs" >"$T/keep.blobs"
comm -23 "$T/a.blobs" "$T/keep.blobs" >"$T/a-only.blobs"
assert_eq 4 "$(wc -l <"$T/a-only.blobs")" \
    "fixture: the overwritten image has 4 blobs of its own"
assert_true "fixture: the base layer is shared" \
    test "$(comm -12 "$T/a.blobs" "$T/keep.blobs" | wc -l)" -eq 1
V=$(v2 "$root")

# 1. default roots: untagged revisions are kept, only the stray blob goes
run_gc --grace 0 --json "$T/r1.json" "$root"
assert_rc 0 "gc --grace 0"
assert_jq "$T/r1.json" '[.dry_run, .delete_untagged, .grace_seconds,
    .exit_code]' '[false,false,0,0]' "report header"
assert_jq "$T/r1.json" '[.removed[] | select(.kind == "blob")
    | [.digest, .reason, .path]]' \
    "[[\"$STRAY\",\"unreferenced\",\"blobs/sha256/${STRAY:7:2}/${STRAY#sha256:}\"]]" \
    "only the stray blob is removed"
assert_jq "$T/r1.json" '[.removed[] | select(.kind == "layer-link")
    | [.repository, .digest, .reason]]' \
    "[[\"demo/app\",\"$STRAY\",\"blob-removed\"]]" \
    "and its _layers link"
assert_jq "$T/r1.json" '.removed | length' 2 "nothing else"
check_report_consistent "$T/r1.json" "run 1"
assert_false "stray blob gone from disk" blob_exists "$root" "$STRAY"
assert_file_absent "$V/repositories/demo/app/_layers/sha256/${STRAY#sha256:}/link"
assert_file_present "$V/repositories/demo/app/_manifests/revisions/sha256/${A#sha256:}/link" \
    "untagged revision kept without -m"
while read -r d; do
	assert_true "untagged image's blob kept: $d" blob_exists "$root" "$d"
done <"$T/a-only.blobs"

# 2. -m: the untagged revision and its own blobs go, shared ones stay
run_gc --grace 0 -m --json "$T/r2.json" "$root"
assert_rc 0 "gc --grace 0 -m"
assert_jq "$T/r2.json" '.delete_untagged' true "report: delete_untagged"
report_blobs "$T/r2.json" >"$T/r2.blobs"
assert_same_lines "$T/a-only.blobs" "$T/r2.blobs" \
    "-m removes exactly the overwritten image's own blobs"
assert_jq "$T/r2.json" '[.removed[] | select(.kind == "revision")
    | [.repository, .digest, .reason]]' \
    "[[\"demo/app\",\"$A\",\"untagged\"]]" "-m removes the untagged revision"
assert_jq "$T/r2.json" '[.removed[] | select(.kind == "tag-history")
    | [.repository, .tag, .digest, .reason]]' \
    "[[\"demo/app\",\"1.0\",\"$A\",\"untagged\"]]" \
    "-m removes the tag's history entry of the old digest"
check_report_consistent "$T/r2.json" "run 2"
assert_file_absent "$V/repositories/demo/app/_manifests/revisions/sha256/${A#sha256:}"
assert_file_absent "$V/repositories/demo/app/_manifests/tags/1.0/index/sha256/${A#sha256:}"
assert_file_present "$V/repositories/demo/app/_manifests/tags/1.0/index/sha256/${B#sha256:}/link"
while read -r d; do
	assert_true "kept blob present: $d" blob_exists "$root" "$d"
done <"$T/keep.blobs"

# 3. a third run finds nothing: the store converged
run_gc --grace 0 -m --json "$T/r3.json" "$root"
assert_rc 0 "gc -m again"
assert_jq "$T/r3.json" '.removed | length' 0 "nothing left to remove"

# 4. the real registry serves what is left, and not the removed image
start_registry "$root"
pull_ok demo/app:1.0
pull_ok other/repo:latest
pull_ok "demo/app@$B"
pull_fails "demo/app@$A" "the removed untagged image no longer pulls"
finish
