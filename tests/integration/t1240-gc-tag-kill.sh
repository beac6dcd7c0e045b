#!/usr/bin/env bash
# t1240-gc-tag-kill --- drydock-gc killed (SIGKILL) while it removes a tag a
# policy condemned: the registry's tags/list never names a tag whose GET
# fails, and the next run ends what the killed one began.
#
# Before, a tag went as the registry's own tag delete does it: unlink
# current/link, then remove the directories.  Killed in between, the tag
# stayed in tags/list with a 404 on GET (a "ghost"), and every later run kept
# it as a bad tag.  Now the tag's directory is first renamed out of tags/
# into _manifests/.drydock-gc-tags/ (one rename(2)), then removed there.
#   1. the kill lands in the removal itself: the condemned tag's directory
#      carries 20,000 stray files (a tag's directory holds two files, so
#      its removal takes microseconds; the strays make it take long enough
#      for a shell to see current/link go and kill, on any build).  The
#      test fails on a build before the fix: ci-1 is a ghost.
#   2. the next run (-m) removes what was left (kind tag, reason
#      interrupted-removal), the image only ci-1 named goes, and a third
#      run finds nothing to do;
#   3. killed at the test build's pause "aside" (the first condemned tag
#      renamed, nothing removed yet): the same, and without -m the image it
#      named stays as an untagged manifest, as after the registry's own tag
#      delete;
#   4. with --quarantine, killed at "aside": --restore puts the tag back,
#      and so it does after a next --quarantine run moved the leftover;
#   5. drydock-gc plan lists what was left, and apply removes it;
#   6. an empty .drydock-gc-tags (a kill before the rename) goes too.
. "$(dirname "$0")/lib.sh"

need_test_hooks
L=$T/layouts
root=$T/root
V=$(v2 "$root")
TAGS=$V/repositories/ci/app/_manifests/tags
ASIDE=$V/repositories/ci/app/_manifests/.drydock-gc-tags

# fresh: ci/app with old ci-1 (M1, its own layers) and ci-2 (M2), and
# stable; the policy deletes ci-*
fresh() {
	ci_app_store "$root" "$L" k
	M1_BLOBS=$(image_blobs ci/app ci-1)
}

printf '%s\n' 'policies:' '  - repositories: ["ci/app"]' '    delete: "ci-.*"' \
    >"$T/policy.yml"
GCARGS=(--grace 0 --policy "$T/policy.yml")

# served LABEL TAG: every tag tags/list names pulls, TAG is not among them,
# and the catalogue is ci/app alone
served() {
	assert_eq "" "$(tags_served ci/app)" "$1: every tag tags/list names is served"
	assert_false "$1: tags/list has no $2" grep -qw "$2" <<<"$(tags_of ci/app)"
	assert_eq '["ci/app"]' "$(curl -s "http://$REG/v2/_catalog" | jq -c .repositories)" \
	    "$1: the catalogue has ci/app alone"
}

# aside_first N ARGS...: drydock-gc ARGS killed at the pause "aside", with
# the first condemned tag, X (naming MX; the other is O), renamed aside
aside_first() {
	local n=$1
	shift
	gc_paused aside "$@" "$root"
	X=$(ls "$ASIDE")
	case "$X" in
	ci-1) MX=$M1 O=ci-2 ;;
	ci-2) MX=$M2 O=ci-1 ;;
	*) bail "$n: aside: '$X'" ;;
	esac
	served "$n: paused with $X aside" "$X"
	pull_fails "ci/app:$X" "$n: $X does not pull"
	gc_kill
	assert_true "$n: killed there, $X is left aside" \
	    test -f "$ASIDE/$X/current/link"
	served "$n: after the kill" "$X"
}

# converged N TAG DIGEST ARGS...: the next run ends what was left of TAG,
# which named DIGEST; a third removes nothing
converged() {
	local n=$1 tag=$2 d=$3
	shift 3
	run_gc "$@" --json "$T/next.json" "$root"
	assert_rc 0 "$n: the next run"
	assert_jq "$T/next.json" '[.removed[] | select(.reason ==
	    "interrupted-removal") | [.kind, .tag, .digest]]' \
	    "[[\"tag\",\"$tag\",\"$d\"]]" \
	    "$n: it removes what was left of $tag, and says what it named"
	assert_true "$n: ... and says so" \
	    grep -q "what an interrupted run left of 1 tags" "$T/gc.out"
	assert_schema drydock-gc "$T/next.json"
	assert_file_absent "$ASIDE" "$n: nothing is left aside"
	served "$n: after the next run" "$tag"
	pull_ok ci/app:stable "$n: stable pulls"
	run_gc "$@" --json "$T/third.json" "$root"
	assert_rc 0 "$n: a third run"
	assert_jq "$T/third.json" '.removed | length' 0 "$n: ... removes nothing"
}

# 1. killed while the removal runs
fresh
mkdir "$TAGS/ci-1/zz-stretch"
(cd "$TAGS/ci-1/zz-stretch" && seq 20000 | xargs touch)
"$GC" -m "${GCARGS[@]}" "$root" >"$T/gc.out" 2>"$T/gc.err" &
GC_PID=$!
BG_PIDS+=("$GC_PID")
while [ -e "$TAGS/ci-1/current/link" ] && kill -0 "$GC_PID" 2>/dev/null; do
	:
done
kill -9 "$GC_PID" 2>/dev/null
wait "$GC_PID" 2>/dev/null
left=$(find "$V/repositories/ci/app/_manifests" -name zz-stretch | sed "s|^$V/||")
[ -n "$left" ] || bail "1: the kill missed the removal of ci-1 (gc ended first)"
diag "1: killed with $(find "$V/repositories/ci/app/_manifests" -path '*zz-stretch/*' | wc -l) strays left in $left"
served "1: after the kill" ci-1
pull_ok ci/app:stable "1: stable pulls"
pull_fails ci/app:ci-1 "1: ci-1 does not"
converged 1 ci-1 "$M1" -m "${GCARGS[@]}"
for b in $M1_BLOBS; do
	grep -q "$b" <(image_blobs ci/app stable) && continue
	assert_false "1: $b, which only M1 needed, is gone" blob_exists "$root" "$b"
done

# 3. killed at "aside": the tag renamed out of tags/, nothing removed yet
fresh
aside_first 3 "${GCARGS[@]}"
converged 3 "$X" "$MX" "${GCARGS[@]}"
pull_ok "ci/app@$MX" "3: without -m, what $X named stays (untagged)"
pull_fails "ci/app:$O" "3: $O went as the policy says"

# 4. --quarantine, killed at "aside": --restore puts the tag back
fresh
aside_first 4 -m --quarantine "$T/q" "${GCARGS[@]}"
run_gc --restore "$T/q" -v "$root"
assert_rc 0 "4: --restore"
assert_true "4: ... says it restored $X" \
    grep -q "restored tag repositories/ci/app/_manifests/tags/$X" "$T/gc.out"
assert_file_absent "$ASIDE" "4: nothing is left aside"
pull_ok "ci/app:$X" "4: $X pulls again"
assert_eq "" "$(tags_served ci/app)" "4: every tag tags/list names is served"
rm -rf "$T/q"
aside_first 4 -m --quarantine "$T/q" "${GCARGS[@]}"
run_gc -m --quarantine "$T/q" "${GCARGS[@]}" --json "$T/next.json" "$root"
assert_rc 0 "4: the next --quarantine run"
assert_jq "$T/next.json" \
    '[.removed[] | select(.reason == "interrupted-removal") | .tag]' \
    "[\"$X\"]" "4: it moves what was left of $X into quarantine"
assert_file_absent "$ASIDE" "4: nothing is left aside"
pull_fails "ci/app@$MX" "4: what $X named went too (-m)"
run_gc --restore "$T/q" "$root"
assert_rc 0 "4: --restore after it"
pull_ok ci/app:ci-1 "4: ci-1 pulls again"
pull_ok ci/app:ci-2 "4: ci-2 too"
assert_eq "" "$(tags_served ci/app)" "4: every tag tags/list names is served"

# 5. plan and apply: the plan lists what was left aside, apply removes it
fresh
aside_first 5 "${GCARGS[@]}"
"$GC" plan "${GCARGS[@]}" "$root" >"$T/plan.json" 2>"$T/plan.err"
assert_eq 0 "$?" "5: plan"
assert_schema drydock-gc-plan "$T/plan.json"
assert_jq "$T/plan.json" '[.items[] | select(.reason == "interrupted-removal") |
    [.tag, .path, .fingerprint.link == .digest]]' \
    "[[\"$X\",\"repositories/ci/app/_manifests/.drydock-gc-tags/$X\",true]]" \
    "5: the plan lists what was left of $X, with its fingerprint"
run_gc apply --json "$T/apply.json" "$T/plan.json" "$root"
assert_rc 0 "5: apply"
assert_jq "$T/apply.json" '[(.skipped | length),
    ([.removed[] | select(.reason == "interrupted-removal") | .tag])]' \
    "[0,[\"$X\"]]" "5: apply removes it, and skips nothing"
assert_file_absent "$ASIDE" "5: nothing is left aside"
served "5: after apply" "$X"

# 6. an empty .drydock-gc-tags: a kill between its mkdir and the rename
fresh
mkdir "$ASIDE"
run_gc -n "${GCARGS[@]}" "$root"
assert_rc 0 "6: a dry run"
assert_true "6: ... leaves it" test -d "$ASIDE"
run_gc "${GCARGS[@]}" "$root"
assert_rc 0 "6: a run"
assert_file_absent "$ASIDE" "6: ... removes it"
finish
