#!/usr/bin/env bash
# t1070-gc-quarantine --- drydock-gc -m --quarantine DIR moves the garbage
# into DIR (with a journal) instead of deleting it: the store ends exactly
# as after a deleting run, the report is the same, the bytes are in DIR.
# drydock-gc --restore DIR ROOT then puts every file back: the tree is the
# original again and the removed images pull again (the overwritten tag's
# old digest, the orphan referrer), as do all the others.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

# reference: a deleting run
cp -a "$F/root" "$T/ref"
run_gc --grace 0 -m --json "$T/ref.json" "$T/ref"
assert_rc 0 "deleting run"
content_snapshot "$T/ref" "$T/ref.snap"

root=$T/root
cp -a "$F/root" "$root"
files_snapshot "$root" "$T/orig.files"
du_before=$(du -sb "$root" | cut -f1)
run_gc --grace 0 -m --quarantine "$T/q" --json "$T/q.json" "$root"
assert_rc 0 "quarantine run"
content_snapshot "$root" "$T/q.snap"
if cmp -s "$T/ref.snap" "$T/q.snap"; then
	pass "the store ends as after a deleting run"
else
	fail "the store ends as after a deleting run"
	diff "$T/ref.snap" "$T/q.snap" | head | sed 's/^/#   /'
fi
report_items "$T/ref.json" >"$T/ref.items"
report_items "$T/q.json" >"$T/q.items"
assert_same_lines "$T/ref.items" "$T/q.items" \
    "the quarantine run reports the same items"
assert_file_present "$T/q/journal.sqlite" "journal written"
for dg in $(cat "$F/orphan.blobs" "$F/untagged.blobs"); do
	blob_exists "$root" "$dg" && fail "blob $dg still in the store"
done
pass "no garbage blob left in the store"
# the bytes went to the quarantine, not away
qbytes=$(find "$T/q" -type f ! -name 'journal.sqlite*' -printf '%s\n' |
    awk '{s += $1} END {print s + 0}')
rbytes=$(jq '.summary.removed_bytes' "$T/q.json")
assert_true "the quarantine holds the removed bytes ($qbytes >= $rbytes)" \
    test "$qbytes" -ge "$rbytes"
n=0
for dg in $(cat "$F/orphan.blobs" "$F/untagged.blobs"); do
	sum=$(find "$T/q" -type f ! -name 'journal.sqlite*' -print0 |
	    xargs -0 sha256sum | awk -v h="${dg#sha256:}" '$1 == h' | wc -l)
	[ "$sum" -ge 1 ] && n=$((n + 1))
done
assert_eq "$(cat "$F/orphan.blobs" "$F/untagged.blobs" | wc -l)" "$n" \
    "every removed blob's bytes are in the quarantine"
assert_true "the store shrank" test "$(du -sb "$root" | cut -f1)" -lt "$du_before"

start_registry "$root"
pull_fails "team/app@$APP2_OLD" "quarantined: old 2.0 does not pull"
stop_registry

# restore
run_gc --restore "$T/q" "$root"
assert_rc 0 "restore"
files_snapshot "$root" "$T/restored.files"
if cmp -s "$T/orig.files" "$T/restored.files"; then
	pass "every file is back, byte for byte"
else
	fail "every file is back, byte for byte"
	diff "$T/orig.files" "$T/restored.files" | head | sed 's/^/#   /'
fi
start_registry "$root"
pull_ok "team/app@$APP2_OLD" "restored: the overwritten tag's old digest pulls"
pull_ok "team/app@$R2" "restored: the orphan referrer pulls"
for ref in $KEEP_TAGS; do
	pull_ok "$ref" "restored: pulls $ref"
done
pull_ok "team/app@$R1"
stop_registry

# a second restore has nothing left to do and breaks nothing
run_gc --restore "$T/q" "$root"
assert_rc 0 "second restore"
files_snapshot "$root" "$T/restored2.files"
assert_true "second restore changed nothing" \
    cmp -s "$T/orig.files" "$T/restored2.files"

# restore with --config FILE
cp -a "$F/root" "$T/root3"
run_gc --grace 0 -m --quarantine "$T/q3" "$T/root3"
assert_rc 0 "quarantine run on a second copy"
write_registry_config "$T/root3.yml" "$T/root3"
run_gc --restore "$T/q3" --config "$T/root3.yml"
assert_rc 0 "restore --config FILE"
files_snapshot "$T/root3" "$T/restored3.files"
assert_true "restore --config gave every file back" \
    cmp -s "$T/orig.files" "$T/restored3.files"
finish
