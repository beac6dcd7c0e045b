#!/usr/bin/env bash
# t2110-fsck-beside-gc --- a read-only drydock-fsck while drydock-gc -m
# sweeps the same store.  gc removes links first, then the data they named,
# so data that vanishes during the run is no finding unless something that
# is still there (a tag, a revision link, read again) needs it:
#   1. deterministic: fsck -j 1 is held on a 1 GiB sparse blob (biggest
#      first; /proc/PID/fd says when) while gc -m sweeps the zoo and, beside
#      it, a tagged image's layer and another tag's manifest are deleted by
#      hand.  Nothing gc removed is reported, not even as a note; the two
#      deletions are BLOB_MISSING and MANIFEST_MISSING ("removed during the
#      run") with the images they break, exit 4.  (Before: exit 0, both
#      missed, and notes for blobs that were gone.)
#   2. statistical: on a generated store of 1,800 small blobs, fsck -j 1
#      runs again and again while gc -m removes 800 blobs, 130 revisions
#      and 500 layer links (every other time into a quarantine); CYCLES
#      (default 6) stores.  No run may report a problem or a warning but an
#      upload's.  (Before: IO_ERROR "cannot read directory" of a blob or
#      link directory gc removed while it was listed, BLOB_NO_DATA,
#      CHILD_NOT_LINKED: in each of 6 tries, 2 to 33 of 23 to 131 runs.)
#      gc removes an index's revision before its children's, or fsck
#      would see the moment between (CHILD_NOT_LINKED, about 1 run in 200).
. "$(dirname "$0")/lib.sh"

bp() { # DIGEST: blobs/sha256/<hh>/<hex>/data
	local h=${1#sha256:}
	printf 'blobs/sha256/%s/%s/data\n' "${h:0:2}" "$h"
}

# wait_open PID PATH: until process PID has PATH open (30 s at most)
wait_open() {
	local i
	for ((i = 0; i < 600; i++)); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -qF -- "$2" && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# --- 1. data gc removes while fsck hashes ----------------------------------------

use_fixture zoo "$T/zoo"
F=$T/zoo
L=$F/layouts
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
oci1=$("$MKIMAGE" --digest "$L" oci1)
dock1=$("$MKIMAGE" --digest "$L" dock1)
DLAYER=$(jq -r '.layers[1].digest' "$L/blobs/sha256/${dock1#sha256:}")
# 1 GiB of zeros, sparse: hashed first, for a second or so, with -j 1
big=sha256:49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14
mkdir -p "$(dirname "$V/$(bp "$big")")"
truncate -s 1073741824 "$V/$(bp "$big")"

"$FSCK" -j 1 --json "$T/held.json" "$root" >"$T/held.out" 2>&1 &
fpid=$!
BG_PIDS+=("$fpid")
assert_true "fsck is hashing the big blob" wait_open "$fpid" "$(bp "$big")"
run_gc -m --grace 0 --json "$T/gc.json" "$root"
assert_rc 0 "gc -m beside fsck: exit 0"
gone=$(cat "$F/untagged.blobs" "$F/orphan.blobs" | while read -r d; do
	[ -e "$V/$(bp "$d")" ] || echo "$d"
done | wc -l)
assert_eq 16 "$gone" "gc removed the 6 untagged and 10 orphan blobs"
# what is still needed, deleted by hand: a layer and a manifest of tags
rm -rf "$(dirname "$V/$(bp "$DLAYER")")" "$(dirname "$V/$(bp "$oci1")")"
wait "$fpid"
rc=$?
assert_eq 4 "$rc" "fsck: exit 4, for the two deletions only"
check_fsck_report "$T/held.json" "held"
fsck_findings "$T/held.json" problem >"$T/held.got"
printf '%s\n' "BLOB_MISSING $(bp "$DLAYER")" \
    "MANIFEST_MISSING $(bp "$oci1")" | LC_ALL=C sort >"$T/held.want"
assert_same_lines "$T/held.want" "$T/held.got" \
    "problems: the deleted layer and manifest, nothing gc removed"
assert_jq "$T/held.json" '[.findings[] | select(.severity == "problem")
    | .detail | startswith("removed during the run")] | all' true \
    "both say they went away during the run"
assert_eq "library/docker:1.0" "$(fsck_images "$T/held.json" BLOB_MISSING)" \
    "the missing layer breaks library/docker:1.0"
assert_eq "library/oci:1.0" "$(fsck_images "$T/held.json" MANIFEST_MISSING)" \
    "the missing manifest breaks library/oci:1.0"
cat "$F/untagged.blobs" "$F/orphan.blobs" | while read -r d; do
	printf '%s\n' "$(bp "$d")" "$(dirname "$(bp "$d")")"
done | LC_ALL=C sort >"$T/swept.paths"
jq -r '.findings[].path' "$T/held.json" | LC_ALL=C sort |
	comm -12 - "$T/swept.paths" >"$T/held.swept"
assert_eq 0 "$(wc -l <"$T/held.swept")" \
    "no finding, not even a note, names a blob gc removed"
run_fsck --json "$T/after.json" "$root"
assert_fsck_rc 4 "a run afterwards: the same two problems"
fsck_findings "$T/after.json" problem >"$T/after.got"
assert_same_lines "$T/held.want" "$T/after.got" \
    "afterwards: BLOB_MISSING and MANIFEST_MISSING, as during the gc"

# --- 2. many runs beside many sweeps ----------------------------------------------

GEN=${DRYDOCK_TOOLS%/tools}/bench/gen-tree
[ -x "$GEN" ] || bail "no gen-tree at $GEN (make all)"
"$GEN" -q --repos 50 --seed 7 "$T/gen" >"$T/gen.expect" ||
	bail "gen-tree failed"
age_tree "$T/gen" "10 minutes ago"
# gc sweeps an index's revision before its children's: with path order, a
# child went first and for a moment the store (and fsck beside it) held a
# linked index with an unlinked child (CHILD_NOT_LINKED)
run_gc -n -m --grace 0 --json "$T/plan.json" "$T/gen"
assert_rc 0 "gc -n -m on the generated store"
jq -r '.removed | to_entries[] | select(.value.kind == "revision")
    | "\(.key) \(.value.repository) \(.value.digest)"' "$T/plan.json" \
    >"$T/plan.revs"
late=0 indexes=0
while read -r pos repo d; do
	f=$(v2 "$T/gen")/$(bp "$d")
	[ -f "$f" ] && jq -e '.manifests' "$f" >/dev/null 2>&1 || continue
	indexes=$((indexes + 1))
	for c in $(jq -r '.manifests[].digest' "$f"); do
		cpos=$(awk -v r="$repo" -v c="$c" '$2 == r && $3 == c {print $1}' \
		    "$T/plan.revs")
		[ -n "$cpos" ] && [ "$cpos" -lt "$pos" ] && late=$((late + 1))
	done
done <"$T/plan.revs"
assert_true "gc -m sweeps index revisions ($indexes)" test "$indexes" -gt 0
assert_eq 0 "$late" "no child revision goes before its index's"
cycles=${CYCLES:-6}
runs=0 bad=0
for ((c = 0; c < cycles; c++)); do
	rm -rf "$T/sweep" "$T/q"
	cp -a "$T/gen" "$T/sweep"
	# every other sweep moves into a quarantine: slower (a journal), and
	# the same to fsck
	q=()
	[ $((c % 2)) = 1 ] && q=(--quarantine "$T/q")
	"$GC" -m --grace 0 -q "${q[@]}" "$T/sweep" >"$T/gc.$c.out" 2>&1 &
	gpid=$!
	BG_PIDS+=("$gpid")
	while kill -0 "$gpid" 2>/dev/null; do
		runs=$((runs + 1))
		"$FSCK" -j 1 --json "$T/run.json" "$T/sweep" >/dev/null 2>&1
		rc=$?
		n=$(jq '[.findings[] | select(.severity == "problem" or
		    (.severity == "warning" and (.id | startswith("UPLOAD_")
		    | not)))] | length' "$T/run.json")
		if [ "$rc" != 0 ] || [ "$n" != 0 ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && jq -c --arg rc "$rc" '[$rc,
			    (.findings[] | select(.severity != "info")
			    | [.id, .path, .detail])]' "$T/run.json" |
				cut -c1-300 | sed 's/^/# /'
		fi
	done
	wait "$gpid"
	assert_eq 0 "$?" "cycle $c: gc -m exit 0"
done
diag "$runs fsck runs beside $cycles gc -m sweeps, $bad with a finding"
assert_true "fsck ran beside every sweep ($runs runs)" test "$runs" -ge "$cycles"
assert_eq 0 "$bad" "no run beside gc -m reported a problem or warning"
run_fsck --json "$T/swept.json" "$T/sweep"
assert_fsck_rc 0 "after the last sweep: exit 0"
assert_jq "$T/swept.json" '[.findings[] | select(.severity != "info")]
    | length' 0 "after the last sweep: nothing but notes"
finish
