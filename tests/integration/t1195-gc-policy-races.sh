#!/usr/bin/env bash
# t1195-gc-policy-races --- what a policy condemned stays when the store
# changes under the run, or a tag cannot be deleted (found by a review that
# paused drydock-gc in gdb; here the test build's DRYDOCK_GC_TEST_PAUSE
# stops it at the same points while the real registry takes a push):
#   1. a condemned image promoted (a new tag, same manifest) before the
#      re-check keeps its signature tag (sha256-<hex>.sig), which went as an
#      "attachment" before;
#   2. a condemned tag re-pushed (same manifest: its age resets) before the
#      re-check keeps the image's OCI referrer, which went before;
#   3. a condemned tag pointed at a new image just before its removal keeps
#      the new image (it was deleted before);
#   4. a tag whose deletion fails (a tree under index/ deeper than gc
#      removes) stays, and so does everything it names (its manifest and
#      blobs went before, though the run said everything was kept).
. "$(dirname "$0")/lib.sh"

need_test_hooks
L=$T/layouts
root=$T/root
V=$(v2 "$root")

# fresh: the store: ci/app with old ci-1 (M1) and ci-5 (M5), M5's cosign
# signature tag and an OCI referrer of M5 (untagged), and a young "latest"
fresh() {
	stop_registry
	rm -rf "$root"
	start_registry "$root"
	mkimage -s r-m1 -b RB -r m1 "$L" >/dev/null
	mkimage -s r-m5 -b RB -r m5 "$L" >/dev/null
	mkimage -s r-latest -b RB -r latest "$L" >/dev/null
	push_oci "$L" m1 ci/app:ci-1
	push_oci "$L" m5 ci/app:ci-5
	M5=$(manifest_digest ci/app ci-5)
	mkimage -s r-sig -l 1 -r sig "$L" >/dev/null
	push_oci "$L" sig "ci/app:sha256-${M5#sha256:}.sig"
	SIG=$(manifest_digest ci/app "sha256-${M5#sha256:}.sig")
	R5=$(mkimage -s r-ref --subject "$(manifest_desc ci/app ci-5)" -r ref "$L")
	push_layout_curl "$L" ref ci/app
	age_tree "$root" "30 days ago"
	push_oci "$L" latest ci/app:latest
}

printf '%s\n' 'policies:' '  - repositories: ["ci/app"]' '    delete: "ci-.*"' \
    >"$T/policy.yml"
GCARGS=(--grace 0 --policy "$T/policy.yml" -v)

# 1. promoted before the re-check: prod names M5, its signature stays
fresh
gc_paused recheck "${GCARGS[@]}" "$root"
push_oci "$L" m5 ci/app:prod
gc_resume
assert_eq 0 "$GC_RC" "1: gc with a promotion during its run"
pull_ok ci/app:prod "1: the promoted image pulls"
pull_ok "ci/app:sha256-${M5#sha256:}.sig" "1: its signature tag still pulls"
pull_ok "ci/app@$R5" "1: its referrer still pulls"
pull_fails ci/app:ci-1 "1: ci-1, condemned and untouched, is gone"

# 2. ci-5 re-pushed before the re-check: it stays, with its referrer
fresh
gc_paused recheck "${GCARGS[@]}" "$root"
push_oci "$L" m5 ci/app:ci-5
gc_resume
assert_eq 0 "$GC_RC" "2: gc with a re-push during its run"
pull_ok ci/app:ci-5 "2: the re-pushed tag pulls"
pull_ok "ci/app@$R5" "2: its referrer still pulls"
pull_ok "ci/app:sha256-${M5#sha256:}.sig" "2: its signature tag still pulls"

# 3. ci-5 pointed at a new image just before its removal
fresh
gc_paused tag "${GCARGS[@]}" "$root"
# the pause comes at the first tag removed: re-point both candidates
mkimage -s r-new -b RB -r new "$L" >/dev/null
push_oci "$L" new ci/app:ci-1
push_oci "$L" new ci/app:ci-5
NEW=$(manifest_digest ci/app ci-5)
gc_resume
assert_eq 0 "$GC_RC" "3: gc with a push right before a tag's removal"
assert_eq "$NEW" "$(manifest_digest ci/app ci-5)" "3: ci-5 names the new image"
pull_ok ci/app:ci-5 "3: and it pulls"
pull_ok ci/app:ci-1 "3: ci-1, re-pointed too, pulls"

# 4. a tag that cannot be deleted keeps what it names
fresh
stop_registry
d="$V/repositories/ci/app/_manifests/tags/ci-1/index/deep"
mkdir -p "$d$(printf '/d%.0s' $(seq 140))"
age_tree "$root" "30 days ago"
run_gc "${GCARGS[@]}" "$root"
assert_rc 8 "4: a tag whose removal fails: an operational error"
assert_true "4: ... said" grep -q "ci-1.*cannot remove" "$T/gc.err"
start_registry "$root"
pull_ok ci/app:ci-1 "4: the tag that stayed still pulls"
pull_fails ci/app:ci-5 "4: ci-5 went as the policy says"
finish
