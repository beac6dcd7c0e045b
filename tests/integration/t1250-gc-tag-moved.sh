#!/usr/bin/env bash
# t1250-gc-tag-moved --- a tag the policy condemned is pointed at another
# image (skopeo through the real registry) while drydock-gc runs: it stays,
# names the new image and pulls, and the image it named before stays for
# this run.  The test build's DRYDOCK_GC_TEST_PAUSE holds gc at each point
# a look at the tag guards (gc_tag_unchanged):
#   1. "recheck", right after the plan: the re-check sees the moved tag
#      (t1195 re-pushes the same manifest there; here another image);
#   2. "sweep", after the re-check, before any removal: the sweep's own
#      look before the journal (with -m);
#   3. "aside", the first condemned tag just renamed out of tags/: a push
#      makes it anew, and the new one stays while what was aside goes;
#   4. "aside" again, and the push lands in the renamed directory (a push
#      that opened current/link before the rename): the tag goes back.
. "$(dirname "$0")/lib.sh"

need_test_hooks
L=$T/layouts
root=$T/root
V=$(v2 "$root")
ASIDE=$V/repositories/ci/app/_manifests/.drydock-gc-tags

# fresh: ci/app with old ci-1 (M1) and ci-2 (M2), and stable; NEW is built
# but not pushed
fresh() {
	ci_app_store "$root" "$L" m
	mkimage -s m-new -b m-base -r new "$L" >/dev/null
}

printf '%s\n' 'policies:' '  - repositories: ["ci/app"]' '    delete: "ci-.*"' \
    >"$T/policy.yml"
GCARGS=(--grace 0 --policy "$T/policy.yml" --json "$T/gc.json")

# other TAG: the other of ci-1 and ci-2
other() { [ "$1" = ci-1 ] && echo ci-2 || echo ci-1; }

# moved_kept N TAG WANT: after gc, TAG names WANT and pulls, the run did not
# remove it and counts it as kept after all, the other candidate went
moved_kept() {
	local o
	o=$(other "$2")
	assert_eq 0 "$GC_RC" "$1: gc with $2 moved during its run (exit 0)"
	assert_eq "$3" "$(manifest_digest ci/app "$2")" "$1: $2 names the image pushed"
	pull_ok "ci/app:$2" "$1: and it pulls"
	assert_jq "$T/gc.json" '[.removed[] | select(.kind == "tag") | .tag]' \
	    "[\"$o\"]" "$1: the run removed $o alone"
	assert_jq "$T/gc.json" '.summary.cancelled_by_recheck > 0' true \
	    "$1: and counts what it kept after all"
	pull_fails "ci/app:$o" "$1: $o went"
	pull_ok ci/app:stable "$1: stable pulls"
	assert_eq "" "$(tags_served ci/app)" "$1: every tag tags/list names is served"
	assert_file_absent "$ASIDE" "$1: nothing is left aside"
}

# digest_of TAG: the manifest TAG names in the fresh store
digest_of() { [ "$1" = ci-1 ] && echo "$M1" || echo "$M2"; }

# 1. moved to another image before the re-check
fresh
gc_paused recheck "${GCARGS[@]}" "$root"
push_oci "$L" new ci/app:ci-1
NEW=$(manifest_digest ci/app ci-1)
gc_resume
moved_kept 1 ci-1 "$NEW"
pull_ok "ci/app@$M1" "1: M1, which ci-1 named, stays for this run"

# 2. moved after the re-check, before the sweep (-m)
fresh
gc_paused sweep -m "${GCARGS[@]}" "$root"
push_oci "$L" new ci/app:ci-1
gc_resume
moved_kept 2 ci-1 "$NEW"
pull_ok "ci/app@$M1" "2: M1, which ci-1 named, stays for this run"
pull_fails "ci/app@$M2" "2: M2, which only ci-2 named, went (-m)"

# 3. the first tag renamed aside, then pushed anew: the new one stays
fresh
gc_paused aside -m "${GCARGS[@]}" "$root"
X=$(ls "$ASIDE")
[ -f "$ASIDE/$X/current/link" ] || bail "3: no tag aside"
pull_fails "ci/app:$X" "3: $X, aside, does not pull"
push_oci "$L" new "ci/app:$X"
gc_resume
assert_eq 0 "$GC_RC" "3: gc with $X pushed anew while aside (exit 0)"
assert_eq "$NEW" "$(manifest_digest ci/app "$X")" "3: $X names the new image"
pull_ok "ci/app:$X" "3: and it pulls"
assert_jq "$T/gc.json" '[.removed[] | select(.kind == "tag") | .tag] | sort' \
    '["ci-1","ci-2"]' "3: the old $X and $(other "$X") were removed"
pull_fails "ci/app@$(digest_of "$X")" "3: what the old $X named went with it (-m)"
assert_eq "" "$(tags_served ci/app)" "3: every tag tags/list names is served"
assert_file_absent "$ASIDE" "3: nothing is left aside"

# 4. the push lands in the directory just renamed aside: it goes back
fresh
gc_paused aside "${GCARGS[@]}" "$root"
X=$(ls "$ASIDE")
[ -f "$ASIDE/$X/current/link" ] || bail "4: no tag aside"
W=$(digest_of "$(other "$X")")
printf '%s' "$W" >"$ASIDE/$X/current/link"
gc_resume
moved_kept 4 "$X" "$W"
pull_ok "ci/app@$(digest_of "$X")" "4: what $X named before stays for this run"
finish
