#!/usr/bin/env bash
# t1220-gc-plan --- drydock-gc plan ROOT > PLAN and drydock-gc apply PLAN ROOT
# on the zoo fixture (real registry and skopeo), with -m and a policy that
# deletes team/app's tags but 1.0:
#   - plan changes nothing; its items carry reasons and fingerprints, and
#     its options (the policy's text, the pins) go with it;
#   - apply of an unchanged store removes exactly the plan, and leaves the
#     store as a direct run does; every kept tag pulls;
#   - items deleted by hand are reported "already gone", the rest applies;
#   - items added to the plan by hand that the store needs (a layer of a
#     tagged image, a tag the policy keeps) are refused, and stay;
#   - a candidate tag pushed between plan and apply stays, pulls, and is
#     reported with why (the "tag moved during the run" case of --policy);
#   - garbage that appeared after the plan is left for a later plan;
#   - a plan for another root, a malformed plan, plan options given to
#     apply: refused with exit 16, nothing changed; schemas.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
cat >"$T/policy.yml" <<'EOF'
policies:
  - repositories: ["team/app"]
    delete: ".*"
    keep:
      - tags: "^1\\.0$"
EOF
printf '# keep R2\n%s\n' "$R2" >"$T/pins"
fresh() { rm -rf "$1" && cp -a "$F/root" "$1"; }
# items PLAN|REPORT: "kind path reason", sorted
plan_items() { jq -r '.items[] | "\(.kind) \(.path) \(.reason)"' "$1" | sort; }

# --- plan ---------------------------------------------------------------------
a=$T/a
fresh "$a"
snapshot "$a" "$T/snap0"
"$GC" plan --grace 0 -m --policy "$T/policy.yml" --pin - "$a" \
    <"$T/pins" >"$T/plan.json" 2>"$T/plan.err"
assert_eq 0 "$?" "plan"
snapshot "$a" "$T/snap1"
assert_true "plan changes nothing" cmp -s "$T/snap0" "$T/snap1"
assert_schema drydock-gc-plan "$T/plan.json"
assert_true "plan says what it holds on stderr" \
    grep -q "^drydock-gc: plan for $a: [0-9]* items" "$T/plan.err"
assert_jq "$T/plan.json" '[(.policy.text | contains("1\\\\.0")), .pins, .delete_untagged]' \
    "[true,[\"$R2\"],true]" "the plan carries the policy's text and the pins"
assert_jq "$T/plan.json" '[.items[] | select(.kind == "tag") | .tag] | sort' \
    '["2.0","latest"]' "the plan deletes the candidate tags"
assert_jq "$T/plan.json" '[.items[] | select(.kind == "blob" and
    (.fingerprint.size != .size or
    (.fingerprint.mtime | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{9}Z$") | not)))] | length' \
    0 "blob fingerprints: size and mtime"
assert_jq "$T/plan.json" '[.items[] | select(.kind == "tag") |
    .fingerprint.link == .digest] | unique' '[true]' \
    "tag fingerprints: the current link's content"
assert_false "the pinned R2 is not in the plan" grep -q "revisions/sha256/${R2#sha256:}" "$T/plan.json"

# --- apply on an unchanged store = a direct run ----------------------------------
b=$T/b
fresh "$b"
run_gc --grace 0 -m --policy "$T/policy.yml" --pin "$T/pins" \
    --json "$T/direct.json" "$b"
assert_rc 0 "a direct run"
run_gc apply --json "$T/apply.json" "$T/plan.json" "$a"
assert_rc 0 "apply"
check_report_consistent "$T/apply.json" "apply"
plan_items "$T/plan.json" >"$T/plan.items"
report_items "$T/apply.json" >"$T/apply.items"
assert_same_lines "$T/plan.items" "$T/apply.items" "apply removes exactly the plan"
report_items "$T/direct.json" >"$T/direct.items"
assert_same_lines "$T/direct.items" "$T/apply.items" "... what a direct run removes"
files_snapshot "$a" "$T/a.files"
files_snapshot "$b" "$T/b.files"
assert_true "... and leaves the same store" cmp -s "$T/a.files" "$T/b.files"
assert_jq "$T/apply.json" '[.command, .plan_items, (.skipped | length), .unplanned]' \
    "[\"apply\",$(wc -l <"$T/plan.items"),0,0]" "the report: command, plan items, none left"
start_registry "$a"
for t in team/app:1.0 library/oci:1.0 team/multi:1.0 team/dmulti:1.0; do
	pull_ok "$t" "after apply, $t pulls"
done
pull_ok "team/app@$R2" "the pinned referrer pulls"
stop_registry
run_gc apply "$T/plan.json" "$a"
assert_rc 0 "apply again"
assert_eq "$(wc -l <"$T/plan.items")" \
    "$(grep -c ': already gone$' "$T/gc.err")" \
    "applied twice: every item is already gone"

# --- items deleted by hand ---------------------------------------------------------
# plan: the same plan for another copy of the store
c=$T/c
fresh "$c"
"$GC" plan --grace 0 -m --policy "$T/policy.yml" --pin "$T/pins" "$c" \
    >"$T/plan-c.json" 2>/dev/null
gone_blob=$(jq -r '[.items[] | select(.kind == "blob")][0].path' "$T/plan-c.json")
gone_rev=$(jq -r '[.items[] | select(.kind == "revision")][0].path' "$T/plan-c.json")
rm -rf "$(v2 "$c")/$gone_blob" "$(v2 "$c")/$gone_rev"
run_gc apply --json "$T/c.json" "$T/plan-c.json" "$c"
assert_rc 0 "apply with items deleted by hand"
assert_jq "$T/c.json" '[.skipped[] | "\(.path) \(.why)"] | sort' \
    "$(printf '%s\n' "$gone_blob already gone" "$gone_rev already gone" |
	sort | jq -R . | jq -cs .)" "they are reported already gone"
assert_eq "$(($(wc -l <"$T/plan.items") - 2))" \
    "$(jq '.removed | length' "$T/c.json")" "the rest of the plan applies"

# --- items added by hand that the store needs ----------------------------------------
d=$T/d
fresh "$d"
"$GC" plan --grace 0 -m --policy "$T/policy.yml" --pin "$T/pins" "$d" \
    >"$T/plan-d.json" 2>/dev/null
layer=$(jq -r '.layers[-1].digest' "$(blob_dir "$d" "$(cat "$(v2 "$d")/repositories/library/oci/_manifests/tags/1.0/current/link")")/data")
lpath=blobs/sha256/${layer:7:2}/${layer#sha256:}
ldata=$(v2 "$d")/$lpath/data
tpath=repositories/team/app/_manifests/tags/1.0
jq --arg p "$lpath" --arg d "$layer" \
    --arg m "$(TZ=UTC date -r "$ldata" +%Y-%m-%dT%H:%M:%S.%NZ)" \
    --argjson s "$(stat -c %s "$ldata")" \
    --arg tp "$tpath" --arg td "$(cat "$(v2 "$d")/$tpath/current/link")" \
    --arg tm "$(TZ=UTC date -r "$(v2 "$d")/$tpath/current/link" +%Y-%m-%dT%H:%M:%S.%NZ)" \
    '.items += [{kind: "blob", path: $p, digest: $d, size: $s, reason: "unreferenced",
        fingerprint: {mtime: $m, size: $s}},
      {kind: "tag", path: $tp, digest: $td, reason: "policy", repository: "team/app",
        tag: "1.0", fingerprint: {mtime: $tm, size: 0, link: $td}}]' \
    "$T/plan-d.json" >"$T/plan-added.json"
run_gc apply --json "$T/d.json" "$T/plan-added.json" "$d"
assert_rc 0 "apply of a plan with items added by hand"
assert_jq "$T/d.json" "[.skipped[] | select(.path == \"$lpath\") | .why]" \
    '["refused: an image needs it now"]' "a layer an image needs is refused"
assert_true "... it is reported on stderr" \
    grep -q "^drydock-gc: left blob $lpath: refused: an image needs it now$" "$T/gc.err"
assert_jq "$T/d.json" "[.skipped[] | select(.path == \"$tpath\") | .why]" \
    '["the policy keeps it now (policies[0].keep[0] tags: \"^1\\.0$\")"]' \
    "a tag the policy keeps is refused"
assert_true "the layer stays" blob_exists "$d" "$layer"
assert_file_present "$(v2 "$d")/$tpath/current/link" "the tag stays"
assert_eq "$(wc -l <"$T/plan.items")" "$(jq '.removed | length' "$T/d.json")" \
    "the plan's own items still apply"
start_registry "$d"
pull_ok library/oci:1.0 "library/oci:1.0 pulls"
pull_ok team/app:1.0 "team/app:1.0 pulls"
stop_registry

# --- a candidate tag pushed between plan and apply --------------------------------
e=$T/e
fresh "$e"
"$GC" plan --grace 0 -m --policy "$T/policy.yml" "$e" >"$T/plan-e.json" 2>/dev/null
start_registry "$e"
mkimage -s repushed -b B1 -r repushed "$T/lay" >/dev/null
push_oci "$T/lay" repushed team/app:2.0
NEW=$(manifest_digest team/app 2.0)
image_blobs team/app 2.0 >"$T/new.img"
printf 'garbage after the plan\n' >"$T/late"
LATE=$(push_blob team/gone "$T/late")
stop_registry
sleep 3 # past the 2-second margin: the tag is no longer young
run_gc apply --grace 0 "$T/plan-e.json" "$e"
assert_rc 16 "apply takes --grace from the plan"
run_gc apply --json "$T/e.json" "$T/plan-e.json" "$e"
assert_rc 0 "apply after a push of a candidate tag"
assert_jq "$T/e.json" '[.skipped[] | select(.path ==
    "repositories/team/app/_manifests/tags/2.0") | .why | test("another digest|modified|keeps")]' \
    '[true]' "the pushed tag is left, and the report says why"
assert_eq "team/app 2.0 $NEW" "$(tag_links "$e" | grep '^team/app 2\.0 ')" \
    "team/app:2.0 names the pushed manifest"
for x in $(cat "$T/new.img"); do
	blob_exists "$e" "$x" || fail "blob $x of the pushed image is gone"
done
pass "every blob of the pushed image stays"
assert_true "garbage that came after the plan is left" blob_exists "$e" "$LATE"
assert_jq "$T/e.json" '.unplanned >= 2' true "... and counted, for a later plan"
start_registry "$e"
pull_ok team/app:2.0 "the pushed tag pulls"
assert_false "team/app:latest, unchanged, is deleted as planned" pull team/app:latest
stop_registry

# --- refused plans ----------------------------------------------------------------
f=$T/f
fresh "$f"
snapshot "$f" "$T/f0"
run_gc apply "$T/plan.json" "$f"
assert_rc 16 "a plan for another root is refused"
assert_true "... saying so" grep -q "is a plan for $a, not $f" "$T/gc.err"
printf '{"tool": "drydock-gc", "command": "plan"' >"$T/bad.json"
run_gc apply "$T/bad.json" "$f"
assert_rc 16 "a malformed plan is refused"
jq '.command = "run"' "$T/plan.json" >"$T/bad2.json"
run_gc apply "$T/bad2.json" "$f"
assert_rc 16 "a JSON file that is no plan is refused"
run_gc apply "$T/no-such-plan.json" "$f"
assert_rc 8 "an unreadable plan is an operational error"
run_gc apply -m "$T/plan.json" "$f"
assert_rc 16 "apply takes -m from the plan"
run_gc plan --json "$T/x.json" "$f"
assert_rc 16 "plan writes to standard output only"
snapshot "$f" "$T/f1"
assert_true "refused plans changed nothing" cmp -s "$T/f0" "$T/f1"
assert_schema drydock-gc "$T/apply.json" "$T/c.json" "$T/d.json" "$T/e.json"
finish
