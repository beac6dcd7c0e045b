#!/usr/bin/env bash
# t1190-gc-policy --- drydock-gc --policy FILE against the real registry:
#   ci/app     30 CI tags ci-01..ci-30, each its own image on a shared base,
#              pushed (by staged current/link times) 30..1 days ago (and a
#              half); v1.0 (90 days), latest (= ci-30); ci-99 re-tags
#              ci-02's old manifest 3 days ago; an untagged revision
#              (an overwritten tag, 60 days old)
#   ci/lonely  three old tags; ci/allowed the same with allow_empty: true
#   team/other not matched by any policy: an overwritten tag's old revision
# Policies as the anchors write them (ECR "keep last 10", Harbor and GitLab
# "older than 14d", "keep v* forever", "untagged after 7d"):
#   - the dry run changes nothing and prints per tag what goes and what is
#     kept, with the rule; the real run then deletes exactly those tags,
#     every kept tag still pulls, every deleted one is gone from tags/list,
#     and the blobs only the deleted tags used are gone after that one run;
#   - re-tagging resets a tag's age (ci-99 is kept, and with it ci-02's
#     manifest); the allow_empty guard keeps the newest tag and says so;
#   - a pin keeps a candidate; a repository no policy matches keeps
#     everything; --quarantine and --restore cover deleted tags;
#   - a malformed policy is refused as a whole before anything is read.
. "$(dirname "$0")/lib.sh"

L=$T/layouts
root=$T/root
start_registry "$root"
for i in $(seq -w 1 30); do
	mkimage -s "ci$i" -b B1 -l 1 -r "ci$i" "$L" >/dev/null
	push_oci "$L" "ci$i" "ci/app:ci-$i"
done
mkimage -s rel1 -b B1 -r rel1 "$L" >/dev/null
push_oci "$L" rel1 ci/app:v1.0
push_oci "$L" ci30 ci/app:latest
mkimage -s old -b B1 -r old "$L" >/dev/null
push_oci "$L" old ci/app:moving
OLD=$(manifest_digest ci/app moving)
image_blobs ci/app moving >"$T/old.img"
push_oci "$L" rel1 ci/app:moving
for r in lonely allowed; do
	for i in 1 2 3; do
		mkimage -s "$r$i" -l 1 -r "$r$i" "$L" >/dev/null
		push_oci "$L" "$r$i" "ci/$r:t$i"
	done
done
mkimage -s oth1 -b B1 -r oth1 "$L" >/dev/null
mkimage -s oth2 -b B1 -r oth2 "$L" >/dev/null
push_oci "$L" oth1 team/other:1.0
OTHER_OLD=$(manifest_digest team/other 1.0)
push_oci "$L" oth2 team/other:1.0
# ci-99: ci-02's manifest under a new name
curl -sf -H "$ACCEPT" -o "$T/ci02.json" \
    "http://$REG/v2/ci/app/manifests/ci-02" || bail "GET ci-02"
push_manifest ci/app ci-99 "$T/ci02.json" "$MT_OCI_MANIFEST"
CI02=$(manifest_digest ci/app ci-02)
for i in $(seq -w 1 30); do
	image_blobs ci/app "ci-$i" >"$T/ci-$i.img"
done
image_blobs ci/app v1.0 >"$T/keep.img"
stop_registry

# stage the push times: everything 60 days old, then each tag's current/link
V=$(v2 "$root")
now=$(date +%s)
age_tree "$root" "60 days ago"
settag() { # REPO TAG SECONDS_AGO
	touch -h -d "@$((now - $3))" \
	    "$V/repositories/$1/_manifests/tags/$2/current/link" ||
		bail "no tag $1:$2"
}
for i in $(seq 1 30); do
	settag ci/app "ci-$(printf %02d "$i")" $(((31 - i) * 86400 + 43200))
done
settag ci/app v1.0 $((90 * 86400))
settag ci/app latest 86400
settag ci/app ci-99 $((3 * 86400))
for r in lonely allowed; do
	for i in 1 2 3; do
		settag "ci/$r" "t$i" $(((40 - i) * 86400))
	done
done

cat >"$T/policy.yml" <<'EOF'
# ECR "keep the last 10 images", Harbor/GitLab "keep what was pushed in the
# last 14 days", "keep v* forever", "untagged after 7 days"
policies:
  - repositories: ["ci/app"]
    delete: "ci-.*"
    keep:
      - last: 10
      - within: 14d
      - tags: "^v.*"
    untagged: 7d
  - repositories: ["ci/lonely"]
    delete: ".*"
  - repositories: ["ci/allowed"]
    delete: ".*"
    allow_empty: true
EOF
# kept: ci-21..ci-30 by last, ci-18..ci-20 by within (13.5..11.5 days), ci-99
# by within (it is the newest but for ci-30: last counts it too)
CI04=$("$MKIMAGE" --digest "$L" ci04)
printf '# keep what production runs\nci/app:ci-03\n127.0.0.1:5000/ci/app@%s\n' \
    "$CI04" >"$T/pins"

expect_gone() { # the tags the policy deletes in ci/app
	local i
	for i in $(seq 1 17); do
		case $i in 3 | 4) continue ;; esac
		printf 'ci/app:ci-%02d\n' "$i"
	done
	echo ci/allowed:t1
	echo ci/allowed:t2
	echo ci/allowed:t3
	echo ci/lonely:t1
	echo ci/lonely:t2
}

# --- dry run -------------------------------------------------------------------
snapshot "$root" "$T/snap0"
run_gc --grace 0 -n --policy "$T/policy.yml" --pin "$T/pins" \
    --json "$T/dry.json" "$root"
assert_rc 0 "dry run with the policy"
snapshot "$root" "$T/snap1"
assert_true "the dry run changed nothing" cmp -s "$T/snap0" "$T/snap1"
expect_gone | sort >"$T/gone.expected"
sed -n 's/^policy: delete \([^ ]*\) .*/\1/p' "$T/gc.out" | sort >"$T/gone.dry"
assert_same_lines "$T/gone.expected" "$T/gone.dry" \
    "the dry run prints each tag that goes"
assert_eq 1 "$(grep -c '^policy: delete ci/app:ci-01 (policies\[0\].delete "ci-\.\*"; pushed 30d12h ago)$' "$T/gc.out")" \
    "a deleted tag's line names the rule that condemned it"
assert_eq 1 "$(grep -c '^policy: keep ci/app:ci-25 (policies\[0\].keep\[0\] last: 10; ' "$T/gc.out")" \
    "a kept candidate's line names the rule that kept it (last)"
assert_eq 1 "$(grep -c '^policy: keep ci/app:ci-19 (policies\[0\].keep\[1\] within: 14d; ' "$T/gc.out")" \
    "... (within)"
assert_eq 1 "$(grep -c '^policy: keep ci/app:ci-03 (pin; ' "$T/gc.out")" \
    "... (a pinned tag)"
assert_eq 1 "$(grep -c '^policy: keep ci/app:ci-04 (pin; ' "$T/gc.out")" \
    "... (a tag whose manifest a full image reference pins)"
assert_eq 1 "$(grep -c '^policy: keep ci/lonely:t3 (policies\[1\].allow_empty false: ' "$T/gc.out")" \
    "the allow_empty guard keeps the newest tag and says so"
assert_eq 0 "$(grep -c 'v1.0\|latest\|team/other' "$T/gc.out")" \
    "tags that are no candidates and unmatched repositories are not listed"
assert_eq 1 "$(grep -c '^policy: keep ci/app:ci-99 (policies\[0\].keep\[0\] last: 10; pushed 3d ago)$' "$T/gc.out")" \
    "re-tagging resets the age: ci-99 counts from its own push"

cp -a "$root" "$T/orig"

# --- the real run -------------------------------------------------------------------
run_gc --grace 0 --policy "$T/policy.yml" --pin "$T/pins" \
    --json "$T/run.json" "$root"
assert_rc 0 "real run with the policy"
r=$T/run.json
check_report_consistent "$r" "policy run"
jq -r '.removed[] | select(.kind == "tag") | "\(.repository):\(.tag)"' "$r" |
	sort >"$T/gone.real"
assert_same_lines "$T/gone.expected" "$T/gone.real" \
    "the real run deletes exactly the tags the dry run announced"
report_items "$T/dry.json" >"$T/dry.items"
report_items "$r" >"$T/run.items"
assert_same_lines "$T/dry.items" "$T/run.items" \
    "... and exactly the items"
assert_jq "$r" '[.removed[] | select(.kind == "tag" and .tag == "ci-01") |
    .reason, .rule, .digest != null]' \
    '["policy","policies[0].delete \"ci-.*\"",true]' \
    "the report gives a deleted tag's reason, rule and digest"
assert_jq "$r" '[.policy.kept[] | select(.tag == "t3" and
    .repository == "ci/lonely") | .rule | startswith("policies[1].allow_empty")]' \
    '[true]' "the report lists the kept candidates with their rule"
assert_jq "$r" '.summary.removed.tag' 20 "20 tags deleted"

start_registry "$root"
tags_of() {
	curl -sf "http://$REG/v2/$1/tags/list" | jq -r '.tags // [] | .[]' |
		sed "s|^|$1:|" | sort
}
{ tags_of ci/app; tags_of ci/lonely; tags_of ci/allowed; } >"$T/listed"
assert_eq "" "$(comm -12 "$T/listed" "$T/gone.expected")" \
    "no deleted tag is in tags/list"
for t in $(cat "$T/listed") team/other:1.0; do
	pull "$t" || fail "kept tag $t does not pull"
done
pass "every kept tag pulls ($(wc -l <"$T/listed") tags)"
assert_eq 20 "$(wc -l <"$T/listed")" "tags/list lists the 20 kept tags"
pull_ok "ci/app@$CI02" "ci-02's manifest stays (ci-99 names it)"
pull_ok "team/other@$OTHER_OLD" \
    "the unmatched repository keeps its untagged revision"
stop_registry

# space: what only the deleted tags used is gone after this one run
sort -u "$T/keep.img" "$T/ci-02.img" "$T/ci-03.img" "$T/ci-04.img" \
    $(for i in $(seq 18 30); do echo "$T/ci-$i.img"; done) >"$T/live.blobs"
for i in 01 05 10 17; do
	for d in $(comm -23 <(sort -u "$T/ci-$i.img") "$T/live.blobs"); do
		blob_exists "$root" "$d" && fail "blob $d of ci-$i is still there"
	done
done
pass "the blobs only deleted tags used are removed in the same run"
for d in $(cat "$T/live.blobs"); do
	blob_exists "$root" "$d" || fail "live blob $d is gone"
done
pass "every blob a kept tag needs stays"
for d in $(comm -23 <(sort -u "$T/old.img") "$T/live.blobs"); do
	blob_exists "$root" "$d" && fail "blob $d of the old untagged image stays"
done
pass "untagged: 7d removes the 60-day-old untagged revision's blobs"
assert_file_absent "$V/repositories/ci/allowed" \
    "allow_empty: true empties the repository, which then goes"

# a second run finds nothing more
run_gc --grace 0 --policy "$T/policy.yml" --pin "$T/pins" \
    --json "$T/again.json" "$root"
assert_rc 0 "second run"
assert_jq "$T/again.json" '.removed | length' 0 "the second run removes nothing"

# --- quarantine and restore cover deleted tags ---------------------------------
q=$T/qroot
cp -a "$T/orig" "$q"
tag_links "$q" >"$T/q.tags0"
run_gc --grace 0 --policy "$T/policy.yml" --pin "$T/pins" --quarantine "$T/q" \
    --json "$T/q.json" "$q"
assert_rc 0 "quarantine run with the policy"
report_items "$T/q.json" >"$T/q.items"
assert_same_lines "$T/run.items" "$T/q.items" \
    "the quarantine run reports the same items"
assert_eq 20 "$(sqlite3 "$T/q/journal.sqlite" \
    "select count(*) from entries where kind = 'tag' and state = 1")" \
    "the journal lists the 20 deleted tags, moved"
run_gc --restore "$T/q" "$q"
assert_rc 0 "restore"
tag_links "$q" >"$T/q.tags1"
assert_same_lines "$T/q.tags0" "$T/q.tags1" "every deleted tag is back"
start_registry "$q"
for t in ci/app:ci-01 ci/app:ci-17 ci/lonely:t1 ci/allowed:t2; do
	pull_ok "$t" "restored tag $t pulls"
done
stop_registry

# --- a malformed policy is refused before anything is read -------------------
snapshot "$q" "$T/q.snap0"
printf 'policies:\n  - repositories: [ci/app]\n    delete: .*\n    keeps:\n      - last: 3\n' \
    >"$T/bad.yml"
run_gc --grace 0 --policy "$T/bad.yml" "$q"
assert_rc 16 "a misspelt key refuses the policy"
assert_true "with the file, the line and the reason" \
    grep -q "$T/bad.yml:4: unknown key 'keeps'" "$T/gc.err"
run_gc --grace 0 --policy "$T/no-such.yml" "$q"
assert_rc 8 "an unreadable policy file is an operational error"
snapshot "$q" "$T/q.snap1"
assert_true "refused runs changed nothing" cmp -s "$T/q.snap0" "$T/q.snap1"

finish
