#!/usr/bin/env bash
# t2050-fsck-state --- incremental verification with --state (SQLite: size,
# mtime, inode, last verified), in the zoo the real registry wrote:
#   - a first run records every blob; --verify changed on the unchanged
#     store hashes nothing (bytes_hashed 0: the run costs only the walk);
#   - a blob whose mtime changed is re-hashed, alone; one whose size
#     changed is re-hashed and found bad; a blob pushed since is hashed;
#   - bytes changed in place with size and mtime kept are NOT seen by
#     --verify changed (by design: the record still holds), but --verify
#     all finds them, and forgets their record;
#   - --verify slice re-hashes a part of the unchanged blobs;
#   - --max-duration stops hashing (complete: false, exit 0), and the next
#     runs go on where it stopped, hashing each blob exactly once;
#   - --state inside the registry's tree is refused.
. "$(dirname "$0")/lib.sh"

bp() { # DIGEST: blobs/sha256/<hh>/<hex>/data
	local h=${1#sha256:}
	printf 'blobs/sha256/%s/%s/data\n' "${h:0:2}" "$h"
}
summary() { # REPORT: blobs_hashed bytes_hashed blobs_unchanged
	jq -c '[.summary.blobs_hashed, .summary.bytes_hashed,
	    .summary.blobs_unchanged]' "$1"
}

use_fixture zoo "$T/zoo"
F=$T/zoo
L=$F/layouts
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
S=$T/state.sqlite
n=$(count_blobs "$root")
bytes=$(find "$V/blobs" -name data -type f -printf '%s\n' |
    awk '{s += $1} END {printf "%.0f\n", s}')

run_fsck --state "$S" --json "$T/a.json" "$root"
assert_fsck_rc 0 "first run with --state"
assert_eq "[$n,$bytes,0]" "$(summary "$T/a.json")" \
    "first run: every blob hashed"
assert_eq "$n" "$(sqlite3 "$S" 'select count(*) from blobs' 2>&1)" \
    "the state records every blob"
run_fsck --state "$S" --verify changed --json "$T/b.json" \
    --metrics "$T/b.prom" "$root"
assert_fsck_rc 0 "--verify changed, nothing changed"
assert_eq "[0,0,$n]" "$(summary "$T/b.json")" \
    "--verify changed on an unchanged store hashes nothing"
assert_true "metrics: 0 bytes hashed" \
    grep -qx 'drydock_fsck_hashed_bytes 0' "$T/b.prom"
assert_true "metrics: every blob unchanged" \
    grep -qx "drydock_fsck_blobs_unchanged $n" "$T/b.prom"
assert_jq "$T/b.json" '[.verify, .complete]' '["changed",true]' \
    "--verify changed: report header"

oci1=$("$MKIMAGE" --digest "$L" oci1)
CFG=$(jq -r '.config.digest' "$L/blobs/sha256/${oci1#sha256:}")
B1=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${oci1#sha256:}")
L1=$(jq -r '.layers[1].digest' "$L/blobs/sha256/${oci1#sha256:}")
cfgsize=$(stat -c %s "$V/$(bp "$CFG")")

# a changed mtime: re-hashed, alone
touch "$V/$(bp "$CFG")"
run_fsck --state "$S" --verify changed --json "$T/c.json" "$root"
assert_fsck_rc 0 "touched blob: still good"
assert_eq "[1,$cfgsize,$((n - 1))]" "$(summary "$T/c.json")" \
    "a blob with a new mtime is re-hashed, and only it"
run_fsck --state "$S" --verify changed --json "$T/c2.json" "$root"
assert_eq "[0,0,$n]" "$(summary "$T/c2.json")" \
    "and recorded again: the next run hashes nothing"

# replaced by a copy with the same size and mtime (cp -p, a restore): the
# inode tells
cp -p "$V/$(bp "$CFG")" "$T/cfg.copy"
mv "$T/cfg.copy" "$V/$(bp "$CFG")"
run_fsck --state "$S" --verify changed --json "$T/c3.json" "$root"
assert_eq "[1,$cfgsize,$((n - 1))]" "$(summary "$T/c3.json")" \
    "a blob replaced by a copy (same size and mtime, new inode) is re-hashed"

# bytes changed in place, size and mtime kept: invisible to 'changed'
f=$V/$(bp "$B1")
touch -r "$f" "$T/b1.time"
printf '\377' | dd of="$f" bs=1 seek=700 conv=notrunc 2>/dev/null
touch -r "$T/b1.time" "$f"
run_fsck --state "$S" --verify changed --json "$T/d.json" "$root"
assert_fsck_rc 0 "in-place change keeping size and mtime: not seen by changed"
assert_eq "[0,0,$n]" "$(summary "$T/d.json")" \
    "(by design: size, mtime and inode all match the record)"
run_fsck --state "$S" --verify all --json "$T/e.json" "$root"
assert_fsck_rc 4 "--verify all finds it"
assert_jq "$T/e.json" '[.findings[] | select(.severity == "problem") | .id]' \
    '["BLOB_DIGEST_MISMATCH"]' "--verify all: the mismatch"
assert_eq 0 "$(sqlite3 "$S" "select count(*) from blobs where digest = '$B1'")" \
    "the bad blob's record is forgotten"
run_fsck --state "$S" --verify changed --json "$T/e2.json" "$root"
assert_fsck_rc 4 "after that, --verify changed hashes it every time"
assert_eq "[1,$(stat -c %s "$f"),$((n - 1))]" "$(summary "$T/e2.json")" \
    "--verify changed: only the unrecorded bad blob is hashed"

# a changed size: re-hashed and found bad
f2=$V/$(bp "$L1")
printf 'appended' >>"$f2"
touch -r "$T/b1.time" "$f2"
run_fsck --state "$S" --verify changed --json "$T/g.json" "$root"
assert_fsck_rc 4 "grown blob: found"
fsck_findings "$T/g.json" problem >"$T/g.got"
printf 'BLOB_DIGEST_MISMATCH %s\nBLOB_DIGEST_MISMATCH %s\n' "$(bp "$B1")" \
    "$(bp "$L1")" >"$T/g.expect"
assert_same_lines "$T/g.expect" "$T/g.got" \
    "a blob with a new size is re-hashed and found bad"
assert_jq "$T/g.json" '.summary.blobs_hashed' 2 "only the two bad blobs hashed"

# a new blob: hashed
start_registry "$root"
printf 'a new blob\n' >"$T/new.txt"
NEW=$(push_blob team/app "$T/new.txt")
stop_registry
run_fsck --state "$S" --verify changed --json "$T/h.json" "$root"
assert_jq "$T/h.json" '.summary.blobs_hashed' 3 \
    "a blob pushed since is hashed (with the two bad ones)"
assert_eq 1 "$(sqlite3 "$S" "select count(*) from blobs where digest = '$NEW'")" \
    "and recorded"

# a blob that is gone: its record is forgotten
rm -r "$(dirname "$V/$(bp "$NEW")")"
run_fsck --state "$S" --verify changed --json "$T/h2.json" "$root"
assert_eq 0 "$(sqlite3 "$S" "select count(*) from blobs where digest = '$NEW'")" \
    "a removed blob's record is forgotten"
assert_eq "$(jq '.summary.blobs - 2' "$T/h2.json")" \
    "$(sqlite3 "$S" 'select count(*) from blobs')" \
    "the state holds every good blob, and nothing else"

# slices: a part of what is unchanged (by bytes) is verified again
run_fsck --state "$S" --verify slice --slice 1/4 --json "$T/s.json" "$root"
bad=$(($(stat -c %s "$f") + $(stat -c %s "$f2")))
goodbytes=$(($(find "$V/blobs" -name data -type f -printf '%s\n' |
    awk '{s += $1} END {printf "%.0f\n", s}') - bad))
got=$(jq ".summary.bytes_hashed - $bad" "$T/s.json")
assert_true "--slice 1/4 re-hashes at least a quarter of the good bytes ($got of $goodbytes)" \
    test "$got" -ge $((goodbytes / 4))
assert_jq "$T/s.json" "[.summary.blobs_hashed < $n, .summary.blobs_unchanged > 0]" \
    '[true,true]' "--slice 1/4 leaves the rest unhashed"
assert_jq "$T/s.json" '.verify' '"slice"' "--verify slice in the report"
run_fsck --state "$S" --verify slice --slice 1/4 --json "$T/s2.json" "$root"
assert_jq "$T/s2.json" '.summary.bytes_hashed > '"$bad" true \
    "the next slice run verifies more of them"

# --max-duration: four 1 GiB sparse blobs (the digests of zeros are fixed)
root2=$T/root2
cp -a "$F/root" "$root2"
V2=$(v2 "$root2")
for d in \
    1073741824:49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14 \
    1073741825:6d9bfe50425f2dfe4e2ac07efee1f0bc9d567348ad4aed62704ffe6f5884e9a8 \
    1073741826:d6b3f392c4b327e5a62826b0c5b1be069a83fc5d545cfef547d9b2eee7ccf475 \
    1073741827:83dff20436d38fa73c7185f7e603a5c7a53104275abbf733f56f1b160500ade7; do
	h=${d#*:}
	mkdir -p "$V2/blobs/sha256/${h:0:2}/$h"
	truncate -s "${d%%:*}" "$V2/blobs/sha256/${h:0:2}/$h/data"
done
total=$(find "$V2/blobs" -name data -type f -printf '%s\n' |
    awk '{s += $1} END {printf "%.0f\n", s}')
S2=$T/state2.sqlite
sum=0 runs=0 complete=false progress=1
while [ "$complete" != true ] && [ "$runs" -lt 8 ]; do
	runs=$((runs + 1))
	run_fsck --state "$S2" --verify changed --jobs 1 --max-duration 1s \
	    --json "$T/m$runs.json" "$root2"
	[ "$FSCK_RC" = 0 ] || { progress=0; diag "run $runs exit $FSCK_RC"; }
	[ "$(jq .summary.blobs_hashed "$T/m$runs.json")" -gt 0 ] || progress=0
	[ "$runs" = 1 ] && cp "$T/fsck.out" "$T/m1.out"
	sum=$((sum + $(jq .summary.bytes_hashed "$T/m$runs.json")))
	complete=$(jq .complete "$T/m$runs.json")
done
assert_jq "$T/m1.json" '[.complete, .exit_code, .summary.blobs_deferred > 0]' \
    '[false,0,true]' "--max-duration 1s: stops early, exit 0, blobs deferred"
assert_true "--max-duration: the first run says so" \
    grep -q 'max-duration reached' "$T/m1.out"
assert_true "--max-duration: runs 2..$runs went on, each made progress" \
    test "$progress" = 1 -a "$runs" -ge 2 -a "$complete" = true
assert_eq "$total" "$sum" \
    "--max-duration: over $runs runs every byte was hashed exactly once"
run_fsck --state "$S2" --verify changed --json "$T/m.json" "$root2"
assert_jq "$T/m.json" '[.summary.blobs_hashed, .complete]' '[0,true]' \
    "after that, nothing is left to hash"

# the state never lives inside the registry's tree
run_fsck --state "$V/state.sqlite" "$root"
assert_fsck_rc 16 "--state inside docker/registry/v2 is refused"
assert_file_absent "$V/state.sqlite"
run_fsck --verify changed "$root"
assert_fsck_rc 16 "--verify changed without --state is a usage error"
finish
