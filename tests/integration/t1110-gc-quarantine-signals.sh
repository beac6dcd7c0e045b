#!/usr/bin/env bash
# t1110-gc-quarantine-signals --- drydock-gc -m --quarantine DIR stopped by
# SIGINT or SIGTERM after k moves (DRYDOCK_GC_TEST_ABORT_AFTER with
# DRYDOCK_GC_TEST_ABORT_SIGNAL), k spread over the whole sweep and across
# the sweep's journal batches.  After each stop: exit 32, the report is
# written, the journal lists exactly what moved (every "moved" entry has its
# object in DIR/objects and every object there has a "moved" entry; no
# "planned" entry is left), the journal run is closed with exit 32, and
# --restore puts the original tree back.  Before the fix, the entries the
# interrupt never reached were recorded with uninitialised states: moved
# when they were not, or "invalid journal state N" with no report.
. "$(dirname "$0")/lib.sh"
need_test_hooks

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

command -v sqlite3 >/dev/null || bail "sqlite3 is not installed (tests/deps.sh)"

cp -a "$F/root" "$T/ref"
run_gc --grace 0 -m --json "$T/ref.json" "$T/ref"
assert_rc 0 "reference run"
items=$(jq '.removed | length' "$T/ref.json")
assert_true "the reference run removes enough to interrupt ($items)" \
    test "${items:-0}" -ge 20
files_snapshot "$F/root" "$T/orig.files"

# jcount Q STATE: entries of the journal in STATE (0 planned, 1 moved)
jcount() {
	sqlite3 "$1/journal.sqlite" "SELECT count(*) FROM entries WHERE state = $2"
}

for sig in INT TERM; do
	signum=$(kill -l "$sig")
	for k in 0 1 3 $((items / 3)) $((items / 2)) $((items - 2)); do
		label="$sig@$k"
		root=$T/$sig.$k
		q=$T/q.$sig.$k
		cp -a "$F/root" "$root"
		DRYDOCK_GC_TEST_ABORT_AFTER=$k DRYDOCK_GC_TEST_ABORT_SIGNAL=$signum \
		    run_gc --grace 0 -m --quarantine "$q" --json "$T/$label.json" \
		    "$root"
		assert_eq 32 "$GC_RC" "$label: exit 32 (interrupted)"
		if grep -q 'invalid journal state' "$T/gc.err"; then
			fail "$label: no 'invalid journal state' error"
		fi
		assert_jq "$T/$label.json" '.exit_code' 32 "$label: the report is written"
		moved=$(jcount "$q" 1)
		objs=$(find "$q/objects" -mindepth 1 -maxdepth 1 | wc -l)
		assert_eq "$objs" "$moved" \
		    "$label: the journal lists exactly what moved ($objs objects)"
		assert_eq 0 "$(jcount "$q" 0)" "$label: no planned entry is left"
		# every moved entry's object is in the quarantine
		missing=0
		for id in $(sqlite3 "$q/journal.sqlite" \
		    "SELECT id FROM entries WHERE state = 1"); do
			[ -e "$q/objects/$id" ] || missing=$((missing + 1))
		done
		assert_eq 0 "$missing" "$label: every moved entry's object is there"
		assert_eq 32 "$(sqlite3 "$q/journal.sqlite" \
		    'SELECT exit_code FROM runs ORDER BY id DESC LIMIT 1')" \
		    "$label: the journal run is closed with exit 32"
		# the report says no more than moved (repository rmdirs excepted)
		rep=$(jq '[.removed[] | select(.kind != "repository")] | length' \
		    "$T/$label.json")
		assert_eq "$moved" "$rep" "$label: the report counts what moved"
		run_gc --restore "$q" "$root"
		assert_rc 0 "$label: restore"
		if grep -q 'No such file' "$T/gc.err" "$T/gc.out"; then
			fail "$label: restore met no missing object"
		fi
		files_snapshot "$root" "$T/$label.files"
		if cmp -s "$T/orig.files" "$T/$label.files"; then
			pass "$label: restore gave the original tree back"
		else
			fail "$label: restore gave the original tree back"
			diff "$T/orig.files" "$T/$label.files" | head -n 10 |
			    sed 's/^/#   /'
		fi
	done
done

# one interrupted run, then resumed into the same quarantine: the resumed run
# finishes the job and a restore still brings everything back
root=$T/resume
q=$T/q.resume
cp -a "$F/root" "$root"
DRYDOCK_GC_TEST_ABORT_AFTER=5 DRYDOCK_GC_TEST_ABORT_SIGNAL=$(kill -l INT) \
    run_gc --grace 0 -m --quarantine "$q" "$root"
assert_eq 32 "$GC_RC" "resume: first run interrupted"
run_gc --grace 0 -m --quarantine "$q" --json "$T/resume.json" "$root"
assert_rc 0 "resume: second run finishes"
assert_eq "$(find "$q/objects" -mindepth 1 -maxdepth 1 | wc -l)" \
    "$(jcount "$q" 1)" "resume: the journal lists exactly what moved"
run_gc --restore "$q" "$root"
assert_rc 0 "resume: restore"
files_snapshot "$root" "$T/resume.files"
assert_true "resume: restore gave the original tree back" \
    cmp -s "$T/orig.files" "$T/resume.files"
finish
