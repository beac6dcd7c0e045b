#!/usr/bin/env bash
# t4060-progress --- the three tools draw one progress line alike
# (fe/progress.c) when asked (--progress; by default only on a terminal):
# "\r\e[K<tool>: <phase> <done>/<total>", redrawn in place, erased at the
# end, never with -q, never by default when stderr is no terminal.  Each
# tool's phases: gc marking and sweeping, fsck its walk and hashing,
# migrate the images it carries (it printed "N/M images" its own way, with
# no rate or time left, before issue 15).
. "$(dirname "$0")/lib.sh"

GEN=$DRYDOCK_BIN/../tests/bench/gen-tree
"$GEN" --repos 40 -q "$T/store" >/dev/null || bail "gen-tree failed"
esc=$(printf '\033')

# check_line TOOL PHASE FILE: the tool drew PHASE's line and erased it
check_line() {
	assert_true "$1: a '$2' line, drawn in place" \
	    grep -q "$esc\[K$1: $2" "$3"
	assert_true "$1: the line is erased at the end" \
	    test "$(tail -c 4 "$3" | od -An -c | tr -d ' \n')" = '\r033[K'
}

run_gc -n --progress --grace 0 "$T/store"
assert_rc 0 "gc --progress"
check_line drydock-gc marking "$T/gc.err"
run_fsck --progress --json "$T/f.json" "$T/store"
check_line drydock-fsck hashing "$T/fsck.err"
run_migrate --progress --link copy "registry:$T/store" "oci:$T/lay"
assert_mig_rc 0 "migrate --progress"
check_line drydock-migrate "images [0-9]*/$(jq '.summary.images' <(
    "$MIGRATE" -n --json - "registry:$T/store" "oci:$T/lay2" 2>/dev/null))" \
    "$T/mig.err"
assert_true "migrate: and its links and names" \
    grep -q "drydock-migrate: links and names of images" "$T/mig.err"

# no line unless asked, and never with -q
run_gc -n --grace 0 "$T/store"
assert_false "gc: no line when stderr is no terminal" grep -q "$esc" "$T/gc.err"
run_migrate -q --progress --link copy "registry:$T/store" "oci:$T/lay3"
assert_false "migrate: no line with -q" grep -q "$esc" "$T/mig.err"
finish
