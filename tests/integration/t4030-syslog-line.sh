#!/usr/bin/env bash
# t4030-syslog-line --- every run of drydock-gc and drydock-migrate sends one
# line to the system log (what `journalctl -t drydock-gc` shows), even under
# -q: with its counts and bytes, at info priority (daemon.info, <30>) when
# the run is clean and warning (daemon.warning, <28>) when it found problems
# or failed.  The test build sends it to $DRYDOCK_TEST_SYSLOG, where a
# listener of the test reads it in the format syslog(3) writes to /dev/log.
. "$(dirname "$0")/lib.sh"

grep -qa DRYDOCK_TEST_SYSLOG "$GC" ||
	bail "$GC has no test hooks: build with make DEVELOPER=1 (or TEST_HOOKS=1)"
syslog_listen

use_fixture zoo "$T/zoo"
root=$T/zoo/root
run_gc -q --grace 0 -m --json "$T/gc.json" "$root"
assert_rc 0 "gc -q on the zoo"
assert_eq "" "$(cat "$T/gc.out")" "... prints nothing"
syslog_wait 1
assert_eq 1 "$(wc -l <"$T/syslog.log")" "... and sends one log line"
line=$(sed -n 1p "$T/syslog.log")
assert_true "at daemon.info, tagged drydock-gc[pid]" \
    grep -qE '^<30>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} drydock-gc\[[0-9]+\]: ' "$T/syslog.log"
blobs=$(jq '.summary.removed.blob' "$T/gc.json")
bytes=$(jq '.summary.removed_bytes' "$T/gc.json")
assert_true "with the report's blob count ($blobs) and bytes ($bytes)" \
    grep -q "removed $blobs blobs ($bytes bytes" <<<"$line"
assert_true "and the exit code" grep -q "exit 0;" <<<"$line"

# problems: warning priority
mkdir -p "$root/docker/registry/v2/repositories/broken/_layers/sha256/not-a-digest"
run_gc -q --grace 0 "$root"
assert_rc 4 "gc with a problem"
syslog_wait 2
assert_true "the line of a run with problems is daemon.warning" \
    grep -qE '^<28>.*drydock-gc\[[0-9]+\]: .*1 problems; exit 4;' "$T/syslog.log"

# fsck: findings are problems here (a corrupt blob): warning
run_fsck -q "$root"
syslog_wait 3
assert_true "fsck's line: daemon.info when clean, with findings and bytes" \
    grep -qE "^<(30|28)>.*drydock-fsck\[[0-9]+\]: $root: [0-9]+ findings \([0-9]+ problems, [0-9]+ warnings\); [0-9]+ blobs hashed \([0-9]+ bytes\)" \
    "$T/syslog.log"
cp -a "$root" "$T/bad"
b=$(ls -d "$T/bad"/docker/registry/v2/blobs/sha256/*/* | head -1)
echo garbage >>"$b/data"
run_fsck -q "$T/bad"
syslog_wait 4
assert_true "a run that found problems logs at daemon.warning" \
    grep -qE '^<28>.*drydock-fsck\[[0-9]+\]: .*exit 4;' "$T/syslog.log"

# migrate
run_migrate -q --link copy "registry:$root" "oci:$T/lay"
assert_mig_rc 0 "migrate -q"
syslog_wait 5
assert_true "migrate's line: daemon.info, images and bytes" \
    grep -qE "^<30>.*drydock-migrate\[[0-9]+\]: migrate registry:$root to oci:$T/lay: [0-9]+ images, 0 failed; [0-9]+ blobs copied \([0-9]+ bytes\)" \
    "$T/syslog.log"
run_migrate -q "registry:$T/nosuch" "oci:$T/lay2"
assert_mig_rc 8 "migrate from a missing root"
syslog_wait 6
assert_true "a failed migration logs at daemon.warning" \
    grep -qE '^<28>.*drydock-migrate\[[0-9]+\]: .*exit 8;' "$T/syslog.log"
run_migrate -q "registry:$root" "registry:$root"
assert_mig_rc 16 "a usage error"
mkdir -p "$T/locked"
flock "$T/locked" sleep 5 &
BG_PIDS+=($!)
sleep 0.3
run_migrate -q "registry:$root" "registry:$T/locked"
assert_mig_rc 8 "a destination locked by another run"
syslog_wait 7
assert_true "a refused run logs too (same place: exit 16)" \
    grep -qE "^<28>.*drydock-migrate\[[0-9]+\]: registry:$root to registry:$root: stopped before it began; exit 16" \
    "$T/syslog.log"
assert_true "and a run that met a held lock (exit 8)" \
    grep -qE "^<28>.*drydock-migrate\[[0-9]+\]: .*to registry:$T/locked: .*exit 8" \
    "$T/syslog.log"
finish
