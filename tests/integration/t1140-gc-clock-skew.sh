#!/usr/bin/env bash
# t1140-gc-clock-skew --- with this host's clock 2 hours ahead of the
# storage's (NFS, a skewed server; faketime shifts our clock, file times
# stay the kernel's), blobs written 10 minutes ago must still be young for
# --grace 1h: gc reads the storage's clock from a probe file, warns, and
# counts the grace from it.  Before the fix it removed every orphan of the
# last hour as if it were 2 hours older.  A storage clock ahead of ours
# only warns (its files look younger: kept longer), and --grace 0 still
# collects under skew.
. "$(dirname "$0")/lib.sh"

command -v faketime >/dev/null || bail "faketime is not installed (tests/deps.sh)"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
# libfaketime is preloaded: let an ASan build start with it
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# the fixture is 10 minutes old: inside the default grace of 1h (its upload
# is aged 8 days: that one goes, by its startedat)
root=$T/ahead
cp -a "$F/root" "$root"
# run_skewed OFFSET ARGS: drydock-gc with our clock moved by OFFSET; file
# times are still read as the kernel wrote them (NO_FAKE_STAT)
run_skewed() {
	local off=$1
	shift
	NO_FAKE_STAT=1 faketime -f "$off" "$GC" "$@" >"$T/gc.out" 2>"$T/gc.err"
	GC_RC=$?
}
run_skewed +2h -m --json "$T/ahead.json" "$root"
assert_rc 0 "host 2h ahead: the run succeeds"
assert_true "host 2h ahead: a warning names the skew" \
    grep -q "storage's clock is 2h behind" "$T/gc.err"
assert_jq "$T/ahead.json" '.storage_clock_skew_seconds < -7100 and
    .storage_clock_skew_seconds > -7300' true \
    "host 2h ahead: the report carries the skew"
assert_jq "$T/ahead.json" '[.removed[] | select(.kind != "upload")] | length' 0 \
    "host 2h ahead: nothing 10 minutes old is removed with --grace 1h"
for dg in $(cat "$F/orphan.blobs"); do
	blob_exists "$root" "$dg" || fail "orphan $dg was removed within grace"
done
pass "host 2h ahead: every young orphan is still there"

# the storage ahead of us: a warning, and no change to what goes
root=$T/behind
cp -a "$F/root" "$root"
run_skewed -2h -m --json "$T/behind.json" "$root"
assert_rc 0 "host 2h behind: the run succeeds"
assert_true "host 2h behind: a warning says the storage is ahead" \
    grep -q "storage's clock is 2h ahead" "$T/gc.err"
assert_jq "$T/behind.json" '[.removed[] | select(.kind != "upload")] | length' 0 \
    "host 2h behind: nothing young is removed"

# --grace 0 still collects under skew (the 2 s race margin counts from the
# storage's clock too)
root=$T/zero
cp -a "$F/root" "$root"
run_skewed +2h --grace 0 -m --json "$T/zero.json" "$root"
assert_rc 0 "host 2h ahead, --grace 0: the run succeeds"
assert_eq "$(sort "$F/orphan.blobs" "$F/untagged.blobs")" \
    "$(report_blobs "$T/zero.json")" \
    "host 2h ahead, --grace 0: the orphans and untagged blobs go"
start_registry "$root"
for ref in $KEEP_TAGS; do
	pull_ok "$ref" "after the skewed run: pulls $ref"
done
stop_registry

# no skew: no warning, a skew near 0 in the report, no probe left behind
root=$T/plain
cp -a "$F/root" "$root"
run_gc -m --json "$T/plain.json" "$root"
assert_rc 0 "no skew: the run succeeds"
assert_false "no skew: no clock warning" grep -q "clock" "$T/gc.err"
assert_jq "$T/plain.json" '.storage_clock_skew_seconds | fabs < 5' true \
    "no skew: the report's skew is near 0"
assert_eq "" "$(find "$root" -name '.drydock-clock*')" "no probe file is left"
# a run killed between writing its probe and removing it left one: the next
# real run (holding the lock) removes it; a dry run leaves it
: >"$(v2 "$root")/.drydock-clock.4242.17"
run_gc -n -m "$root"
assert_file_present "$(v2 "$root")/.drydock-clock.4242.17" \
    "a dry run leaves a killed run's probe alone"
run_gc -m "$root"
assert_file_absent "$(v2 "$root")/.drydock-clock.4242.17" \
    "a real run removes a killed run's probe"
# a dry run writes nothing, not even a probe: skew 0
run_gc -n -m --json "$T/dry.json" "$root"
assert_jq "$T/dry.json" '.storage_clock_skew_seconds' 0 \
    "a dry run does not probe"
finish
