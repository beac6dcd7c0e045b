#!/usr/bin/env bash
# t1080-gc-lock --- one run at a time per root: a second run (or a restore)
# while another holds the root exits 8 with a clear message and changes
# nothing; a dry run takes no lock and still works.  Checked with flock(1)
# holding the root directory (the lock drydock documents), and with two real
# runs: the first one blocked while writing its report into a FIFO.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
root=$T/root
cp -a "$F/root" "$root"

held() { ! flock -n "$1" true; }

wait_held() { # DIR: wait until someone holds its lock (max 10 s)
	local i
	for ((i = 0; i < 200; i++)); do
		held "$1" && return 0
		sleep 0.05
	done
	return 1
}

hold() { # DIR: flock(1) holds DIR's lock in the background
	(exec 9<"$1" && flock -x 9 && exec sleep 60) &
	holder=$!
	BG_PIDS+=("$holder")
	wait_held "$1" || bail "flock(1) did not take the lock"
}

release() {
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	BG_PIDS=()
}

# 1. the root held by flock(1)
hold "$root"
snapshot "$root" "$T/s0"
run_gc --grace 0 -m "$root"
assert_rc 8 "gc while the root is locked: exit 8"
assert_true "the message says the root is locked" \
    grep -qiE 'lock|another (run|drydock)' "$T/gc.err"
diag "stderr: $(head -n 1 "$T/gc.err")"
snapshot "$root" "$T/s1"
assert_true "the locked-out run changed nothing" cmp -s "$T/s0" "$T/s1"
run_gc --grace 0 -m -n --json "$T/dry.json" "$root"
assert_rc 0 "a dry run takes no lock: runs while the root is locked"
assert_jq "$T/dry.json" '.removed | length > 0' true \
    "the dry run still reports the garbage"
release
run_gc --grace 0 -m --quarantine "$T/q" --json "$T/after.json" "$root"
assert_rc 0 "once the lock is released, gc runs"
assert_true "and moves the garbage out" test "$(jq '.removed | length' \
    "$T/after.json")" -gt 0
hold "$root"
snapshot "$root" "$T/s2"
run_gc --restore "$T/q" "$root"
assert_rc 8 "restore while the root is locked: exit 8"
assert_true "restore: the message says the root is locked" \
    grep -qiE 'lock|another (run|drydock)' "$T/gc.err"
snapshot "$root" "$T/s3"
assert_true "the locked-out restore changed nothing" cmp -s "$T/s2" "$T/s3"
release
run_gc --restore "$T/q" "$root"
assert_rc 0 "restore once the lock is released"

# 2. two real runs: the first one stays inside its run (it blocks opening
# its --json FIFO) while the second one starts
root2=$T/root2
cp -a "$F/root" "$root2"
mkfifo "$T/report.fifo"
"$GC" --grace 0 -m --json "$T/report.fifo" "$root2" >"$T/first.out" \
    2>"$T/first.err" &
first=$!
BG_PIDS+=("$first")
if wait_held "$root2"; then
	pass "the first run holds the root"
else
	fail "the first run holds the root"
fi
run_gc --grace 0 -m "$root2"
assert_rc 8 "second concurrent run: exit 8"
assert_true "second run: the message says the root is locked" \
    grep -qiE 'lock|another (run|drydock)' "$T/gc.err"
timeout 20 cat "$T/report.fifo" >"$T/first.json"
wait "$first"
rc=$?
BG_PIDS=()
assert_eq 0 "$rc" "the first run finishes normally"
assert_jq "$T/first.json" '.exit_code' 0 "the first run's report is whole"
assert_false "the lock is released after the run" held "$root2"
finish
