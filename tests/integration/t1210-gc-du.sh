#!/usr/bin/env bash
# t1210-gc-du --- drydock-gc du ROOT:
#   - on a generated tree (tests/bench/gen-tree: shared layers, indexes,
#     referrers, untagged revisions), each repository's exclusive bytes equal
#     what a brute force frees: delete that repository on a copy, run gc,
#     read removed_bytes; the same for tags with -m (delete the tag's
#     directory, gc -m); total = exclusive + shared; the store's reclaimable
#     bytes equal a dry run's removed_bytes;
#   - on the zoo fixture (real registry and skopeo): a --policy's bytes equal
#     what a policy run frees beyond a plain one; --top N; --json follows its
#     schema; du changes nothing; --by and --top only go with du.
. "$(dirname "$0")/lib.sh"

GEN=$DRYDOCK_BIN/../tests/bench/gen-tree
[ -x "$GEN" ] || bail "no gen-tree at $GEN (make all)"
root=$T/gen
"$GEN" --repos 24 --seed 7 -q "$root" >"$T/expect" || bail "gen-tree failed"
age_tree "$root" "2 hours ago"
V=$(v2 "$root")

# --- the store before: what a run frees now ------------------------------------
snapshot "$root" "$T/snap0"
run_gc du --grace 0 --json "$T/du0.json" "$root"
assert_rc 0 "du"
run_gc -n --grace 0 --json "$T/dry0.json" "$root"
assert_eq "$(jq .summary.removed_bytes "$T/dry0.json")" \
    "$(jq .store.reclaimable_bytes "$T/du0.json")" \
    "reclaimable now = a dry run's removed_bytes"
snapshot "$root" "$T/snap1"
assert_true "du changes nothing" cmp -s "$T/snap0" "$T/snap1"

# a clean store to measure from
run_gc --grace 0 "$root"
assert_rc 0 "gc of the generated tree"
run_gc du --grace 0 --json "$T/du.json" "$root"
assert_rc 0 "du of the clean tree"
assert_jq "$T/du.json" '.store.reclaimable_bytes' 0 "nothing reclaimable after gc"
assert_jq "$T/du.json" '[.entries[] | select(.total_bytes !=
    .exclusive_bytes + .shared_bytes)] | length' 0 "total = exclusive + shared"
assert_jq "$T/du.json" '.entries_total' "$(jq '.summary.repositories' \
    "$T/dry0.json")" "one entry a repository"
assert_jq "$T/du.json" '[.entries[].exclusive_bytes] | . == (sort | reverse)' \
    true "entries come by exclusive bytes, most first"

# leaf repositories (no repository nested below), some sharing, some not
repos=$(jq -r '.entries[].repository' "$T/du.json" | sort)
leaves=$(for r in $repos; do
	grep -q "^$r/" <<<"$repos" || echo "$r"
done)
pick=$( (jq -r '.entries[] | select(.shared_bytes > 0) | .repository' \
    "$T/du.json"; jq -r '.entries[].repository' "$T/du.json") |
	grep -Fx -f <(printf '%s\n' $leaves) | awk '!seen[$0]++' | head -n 5)
[ "$(wc -l <<<"$pick")" -ge 4 ] || bail "too few leaf repositories: $pick"
for r in $pick; do
	cp -a "$root" "$T/bf"
	rm -rf "$(v2 "$T/bf")/repositories/$r"
	run_gc --grace 0 --json "$T/bf.json" "$T/bf"
	assert_eq "$(jq .summary.removed_bytes "$T/bf.json")" \
	    "$(jq --arg r "$r" '.entries[] | select(.repository == $r) |
	    .exclusive_bytes' "$T/du.json")" \
	    "$r: exclusive bytes = what deleting it frees ($(jq --arg r "$r" \
	    '.entries[] | select(.repository == $r) | "\(.exclusive_bytes) of \(.total_bytes)"' \
	    -r "$T/du.json"))"
	rm -rf "$T/bf"
done
assert_true "some picked repositories share bytes" \
    jq -e --argjson p "$(printf '%s\n' $pick | jq -R . | jq -s .)" \
    '[.entries[] | select(.repository as $r | $p | index($r)) |
    select(.shared_bytes > 0)] | length > 0' "$T/du.json"

# --- tags, with -m: deleting a tag's directory, then gc -m ----------------------
run_gc --grace 0 -m "$root"
run_gc du --grace 0 -m --by tag --json "$T/dut.json" "$root"
assert_rc 0 "du --by tag -m"
tags=$(jq -r '.entries[] | select(.exclusive_bytes > 0) |
    "\(.repository) \(.tag)"' "$T/dut.json" | head -n 3)
tags+=$'\n'$(jq -r '.entries[] | select(.exclusive_bytes == 0) |
    "\(.repository) \(.tag)"' "$T/dut.json" | head -n 2)
n=0
while read -r r t; do
	[ -n "$r" ] || continue
	n=$((n + 1))
	cp -a "$root" "$T/bf"
	rm -rf "$(v2 "$T/bf")/repositories/$r/_manifests/tags/$t"
	run_gc --grace 0 -m --json "$T/bf.json" "$T/bf"
	assert_eq "$(jq .summary.removed_bytes "$T/bf.json")" \
	    "$(jq --arg r "$r" --arg t "$t" '.entries[] |
	    select(.repository == $r and .tag == $t) | .exclusive_bytes' \
	    "$T/dut.json")" "$r:$t: exclusive bytes = what deleting the tag frees (-m)"
	rm -rf "$T/bf"
done <<<"$tags"
assert_true "five tags checked" test "$n" -ge 4

# --- a policy on the zoo ------------------------------------------------------
use_fixture zoo "$T/zoo"
z=$T/zoo/root
cat >"$T/policy.yml" <<'EOF'
policies:
  - repositories: ["team/*"]
    delete: ".*"
    keep:
      - tags: "^1\\.0$"
EOF
run_gc du --grace 0 --policy "$T/policy.yml" --by tag --json "$T/duz.json" "$z"
assert_rc 0 "du --policy --by tag"
run_gc -n --grace 0 --json "$T/z0.json" "$z"
run_gc -n --grace 0 --policy "$T/policy.yml" --json "$T/z1.json" "$z"
assert_eq "$(($(jq .summary.removed_bytes "$T/z1.json") - $(jq .summary.removed_bytes "$T/z0.json")))" \
    "$(jq .store.policy_bytes "$T/duz.json")" \
    "policy bytes = what the policy run frees beyond a plain one"
assert_true "the policy frees something here" \
    jq -e '.store.policy_bytes > 0' "$T/duz.json"
assert_eq "$(jq .summary.removed_bytes "$T/z0.json")" \
    "$(jq .store.reclaimable_bytes "$T/duz.json")" \
    "reclaimable now is without the policy"
assert_jq "$T/duz.json" '[.entries[] | select(.policy_deletes) |
    "\(.repository):\(.tag)"] | sort' '["team/app:2.0","team/app:latest"]' \
    "the tags the policy deletes are marked so"
run_gc du --grace 0 --top 2 --json "$T/top.json" "$z"
assert_jq "$T/top.json" '[(.entries | length), .entries_total > 2, .store.policy_bytes]' \
    '[2,true,null]' "--top 2: two entries of more; no policy, no policy bytes"
assert_eq 2 "$(sed -n '/^REPOSITORY/,$p' "$T/gc.out" | tail -n +2 | wc -l)" \
    "... two lines of text"

assert_schema drydock-gc-du "$T/du0.json" "$T/du.json" "$T/dut.json" \
    "$T/duz.json" "$T/top.json"
run_gc --grace 0 --by tag "$z"
assert_rc 16 "--by goes with du only"
run_gc du --grace 0 --by file "$z"
assert_rc 16 "--by repository or tag"
finish
