#!/usr/bin/env bash
# t1130-gc-output-paths --- a --json or --metrics path that cannot be written
# (its directory missing, a directory, a path through a regular file) stops
# drydock-gc, and drydock-fsck -p, before they change anything: exit 8, the
# path and the reason on stderr, the store byte for byte as it was, nothing
# left beside the bad path.  Before the fix gc swept everything and only
# then failed to write the report that the nightly wrapper reads to decide
# whether to restart the registry.  Good paths (a new file, "-", a FIFO with
# a reader) still work.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

mkdir "$T/adir"
printf 'x\n' >"$T/afile"
bad_paths=("$T/nodir/out" "$T/adir" "$T/afile/out")

root=$T/root
cp -a "$F/root" "$root"
snapshot "$root" "$T/s0"
for opt in --json --metrics; do
	for p in "${bad_paths[@]}"; do
		run_gc --grace 0 -m "$opt" "$p" "$root"
		assert_rc 8 "gc $opt $p: exit 8"
		assert_true "gc $opt $p: stderr names the path" \
		    grep -qF "'$p'" "$T/gc.err"
		assert_true "gc $opt $p: stderr says nothing was removed" \
		    grep -q 'nothing was removed' "$T/gc.err"
		snapshot "$root" "$T/s1"
		assert_true "gc $opt $p: the store is unchanged" \
		    cmp -s "$T/s0" "$T/s1"
	done
	# one good, one bad: still refused
	run_gc --grace 0 -m --json "$T/good.json" --metrics "$T/nodir/m" "$root"
	assert_rc 8 "gc: a good --json and a bad --metrics: exit 8"
	assert_file_absent "$T/good.json" "gc: no report from a refused run"
done
assert_file_absent "$T/nodir" "no missing directory was created"
assert_eq "x" "$(cat "$T/afile")" "the regular file in the path is untouched"
assert_eq "" "$(ls -A "$T/adir")" "nothing was created inside the directory"
assert_eq "" "$(find "$T" -maxdepth 2 -name '*.tmp.*')" "no temporary file left"

# the good paths still work: a new file, "-", a FIFO with a reader
run_gc --grace 0 -m -n --json "$T/r.json" --metrics "$T/m.prom" "$root"
assert_rc 0 "gc -n with writable paths"
assert_jq "$T/r.json" '.exit_code' 0 "the report is written"
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
reader=$!
run_gc --grace 0 -m --json "$T/fifo" "$root"
assert_rc 0 "gc --json FIFO: the real run"
wait "$reader"
assert_jq "$T/fifo.out" '.exit_code' 0 "the FIFO's reader got the report"
assert_true "the real run removed the garbage" \
    test "$(jq '.removed | length' "$T/fifo.out")" -gt 0

# drydock-fsck -p: nothing repaired when its report cannot be written
root=$T/froot
cp -a "$F/root" "$root"
V=$(v2 "$root")
lk=$(find "$V/repositories/team/multi/_layers" -name link | head -n 1)
rm "$lk"
snapshot "$root" "$T/f0"
for p in "${bad_paths[@]}"; do
	run_fsck -p --json "$p" "$root"
	assert_fsck_rc 8 "fsck -p --json $p: exit 8"
	assert_true "fsck -p --json $p: stderr names the path" \
	    grep -qF "'$p'" "$T/fsck.err"
	snapshot "$root" "$T/f1"
	assert_true "fsck -p --json $p: nothing was repaired" \
	    cmp -s "$T/f0" "$T/f1"
done
run_fsck -p --json "$T/f.json" "$root"
assert_fsck_rc 1 "fsck -p with a writable report repairs"
assert_file_present "$lk" "the link is back"
finish
