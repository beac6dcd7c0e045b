#!/usr/bin/env bash
# t2010-fsck-content --- blob data that does not match its digest, in a store
# the real registry wrote (the zoo), with four faults at once:
#   - one byte flipped in the base layer B1 that seven images share (in
#     four repositories, one of them an untagged revision);
#   - library/oci's config truncated to 10 bytes;
#   - the arm64 child's own layer of the team/multi index emptied;
#   - library/docker's own layer removed, its blob directory left;
# plus a blob directory without data that nothing names (a warning).
# Each is found with exactly the images it breaks (the platform inside an
# index), the exit code is 4, -n and the default change nothing, -p moves
# the three bad blobs into quarantine (bytes kept, journaled) and exits 5
# (repaired, problems left); a second -p has nothing to do (exit 4); pushing
# the images again heals the store, fsck exits 0 and every image pulls.
. "$(dirname "$0")/lib.sh"

bp() { # DIGEST: blobs/sha256/<hh>/<hex>/data
	local h=${1#sha256:}
	printf 'blobs/sha256/%s/%s/data\n' "${h:0:2}" "$h"
}

use_fixture zoo "$T/zoo"
F=$T/zoo
L=$F/layouts
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")

oci1=$("$MKIMAGE" --digest "$L" oci1)
dock1=$("$MKIMAGE" --digest "$L" dock1)
multi=$("$MKIMAGE" --digest "$L" multi)
B1=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${oci1#sha256:}")
CFG=$(jq -r '.config.digest' "$L/blobs/sha256/${oci1#sha256:}")
DLAYER=$(jq -r '.layers[1].digest' "$L/blobs/sha256/${dock1#sha256:}")
ARM=$(jq -r '.manifests[] | select(.platform.architecture == "arm64")
    | .digest' "$L/blobs/sha256/${multi#sha256:}")
ALAYER=$(jq -r '.layers[-1].digest' "$L/blobs/sha256/${ARM#sha256:}")
NODATA=sha256:$(printf 'dir only\n' | sha256sum | cut -d' ' -f1)
app1=$("$MKIMAGE" --digest "$L" app1)
assert_eq "$B1" "$(jq -r '.layers[0].digest' "$L/blobs/sha256/${app1#sha256:}")" \
    "fixture: B1 is the base layer team/app shares with library/oci"

# the faults
printf '\377' | dd of="$V/$(bp "$B1")" bs=1 seek=1000 conv=notrunc 2>/dev/null
bad_b1=$(sha256sum "$V/$(bp "$B1")" | cut -d' ' -f1)
truncate -s 10 "$V/$(bp "$CFG")"
: >"$V/$(bp "$ALAYER")"
rm "$V/$(bp "$DLAYER")"
mkdir -p "$(dirname "$V/$(bp "$NODATA")")"
start_registry "$root"
pull_fails library/oci:1.0 "fault is real: library/oci:1.0 does not pull"
pull_fails team/app:latest "fault is real: team/app:latest does not pull"
pull_fails team/multi:1.0 "fault is real: team/multi:1.0 does not pull"
stop_registry
snapshot "$root" "$T/s0"

run_fsck --json "$T/r.json" "$root"
assert_fsck_rc 4 "four faults: problems left"
check_fsck_report "$T/r.json" "faults"
cat >"$T/expect" <<EOF
BLOB_DIGEST_MISMATCH $(bp "$B1")
BLOB_EMPTY $(bp "$ALAYER")
BLOB_MISSING $(bp "$DLAYER")
BLOB_TRUNCATED $(bp "$CFG")
EOF
fsck_findings "$T/r.json" problem >"$T/got"
assert_same_lines "$T/expect" "$T/got" "exactly the four problems"
assert_jq "$T/r.json" "[.findings[] | select(.id == \"BLOB_NO_DATA\") |
    [.severity, .path]]" \
    "[[\"warning\",\"$(dirname "$(bp "$NODATA")")\"]]" \
    "a blob dir without data that nothing needs: a warning"
cat >"$T/b1.expect" <<EOF
library/docker:1.0
library/oci:1.0
team/app/sub:1.0
team/app:1.0
team/app:2.0
team/app:latest
team/app@$APP2_OLD
EOF
fsck_images "$T/r.json" BLOB_DIGEST_MISMATCH >"$T/b1.got"
assert_same_lines "$T/b1.expect" "$T/b1.got" \
    "the corrupt shared layer names every image using it"
assert_jq "$T/r.json" '.findings[] | select(.id == "BLOB_DIGEST_MISMATCH")
    | [.digest, (.detail | test("hashes to sha256:'"$bad_b1"'"))]' \
    "[\"$B1\",true]" "the mismatch says what the data hashes to"
assert_eq "library/oci:1.0" "$(fsck_images "$T/r.json" BLOB_TRUNCATED)" \
    "the truncated config breaks library/oci:1.0 only"
assert_jq "$T/r.json" '.findings[] | select(.id == "BLOB_TRUNCATED") | .detail
    | startswith("10 of ")' true "the truncation says how much is left"
assert_eq "team/multi:1.0 [linux/arm64/v8]" \
    "$(fsck_images "$T/r.json" BLOB_EMPTY)" \
    "the empty layer breaks the arm64 platform of team/multi:1.0"
assert_jq "$T/r.json" '.findings[] | select(.id == "BLOB_EMPTY") | .images[0]
    | [.repository, .tag, .digest, .platform]' \
    "[\"team/multi\",\"1.0\",\"$multi\",\"linux/arm64/v8\"]" \
    "the image entry carries repository, tag, index digest and platform"
assert_eq "library/docker:1.0" "$(fsck_images "$T/r.json" BLOB_MISSING)" \
    "the missing layer breaks library/docker:1.0"
assert_jq "$T/r.json" '.summary.images_broken' 8 \
    "summary: 8 images broken (B1's seven and the arm64 platform)"
assert_true "the human summary names the broken images" \
    grep -q "breaks: library/docker:1.0, library/oci:1.0, team/app/sub:1.0" \
    "$T/fsck.out"

run_fsck -n "$root"
assert_fsck_rc 4 "-n: exit 4"
snapshot "$root" "$T/s1"
assert_true "the default and -n change nothing" cmp -s "$T/s0" "$T/s1"

# -p: the bad data goes into quarantine, nothing is deleted
q=$T/quarantine
cp "$V/$(bp "$B1")" "$T/b1.bad"
run_fsck -p --quarantine "$q" --json "$T/p1.json" "$root"
assert_fsck_rc 5 "-p: repaired (1) and problems left (4)"
assert_jq "$T/p1.json" '[.findings[] | select(.repaired) | .id]' '[]' \
    "-p: nothing counts as fixed while images stay broken"
assert_jq "$T/p1.json" '.summary.repair_changes' 3 "-p: three moves"
assert_jq "$T/p1.json" '[.findings[] | select(.repair_note != null and
    (.repair_note | test("quarantine"))) | .id] | sort' \
    '["BLOB_DIGEST_MISMATCH","BLOB_EMPTY","BLOB_TRUNCATED"]' \
    "-p: each move is logged in the report"
for d in "$B1" "$CFG" "$ALAYER"; do
	assert_false "-p: $d left the store" blob_exists "$root" "$d"
done
assert_eq 3 "$(find "$q/objects" -name data -type f | wc -l)" \
    "-p: the three blobs are in the quarantine"
assert_true "-p: the corrupt bytes are kept as they were" \
    sh -c "find '$q/objects' -name data -type f -exec cmp -s '$T/b1.bad' {} \; -print | grep -q ."
assert_eq 3 "$(sqlite3 "$q/journal.sqlite" 'select count(*) from entries' 2>/dev/null ||
    echo "no journal")" "-p: the journal records the three moves"

# the quarantine is drydock-gc's: --restore puts the bytes back, and -p
# moves them again
"$GC" --restore "$q" "$root" >"$T/restore.out" 2>&1
assert_eq 0 "$?" "drydock-gc --restore reads fsck's quarantine"
assert_true "--restore put the corrupt B1 back, byte for byte" \
    cmp -s "$T/b1.bad" "$V/$(bp "$B1")"
run_fsck -p --quarantine "$q" --json "$T/p1b.json" "$root"
assert_fsck_rc 5 "-p after the restore: the same three moves again"
assert_jq "$T/p1b.json" '.summary.repair_changes' 3 "-p again: three moves"

run_fsck -p --quarantine "$q" --json "$T/p2.json" "$root"
assert_fsck_rc 4 "second -p: nothing it can do, problems left"
fsck_images "$T/p2.json" BLOB_MISSING >"$T/p2.got"
{ cat "$T/b1.expect"; echo "team/multi:1.0 [linux/arm64/v8]"; } >"$T/p2.expect"
assert_same_lines "$T/p2.expect" "$T/p2.got" \
    "second -p: the missing blobs still name every broken image"

# a push heals what quarantine left missing
start_registry "$root"
push_oci "$L" oci1 library/oci:1.0
push_docker "$L" dock1 library/docker:1.0
push_oci "$L" multi team/multi:1.0
stop_registry
run_fsck --json "$T/h.json" "$root"
assert_fsck_rc 0 "after pushing the images again: exit 0"
assert_jq "$T/h.json" '[.findings[] | select(.severity != "info") | .id]
    | sort' '["BLOB_NO_DATA","UPLOAD_STALE"]' "after the push: only the old warnings"
start_registry "$root"
for r in $KEEP_TAGS "team/app@$APP2_OLD"; do
	pull_ok "$r" "healed: $r pulls"
done
stop_registry
finish
