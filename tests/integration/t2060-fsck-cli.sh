#!/usr/bin/env bash
# t2060-fsck-cli --- the command line of drydock-fsck: usage errors exit 16
# and change nothing, --help/--version/--list-findings exit 0, a missing
# root or config is an operational error (8), --config FILE reads the root
# from the registry's config.yml, -p takes the store lock (a held lock is
# exit 8), --jobs N gives the same findings, a signal during hashing ends
# the run cleanly with exit 32 and a report that says it is incomplete, and
# a blob truncated while it is hashed (once hashed from a mapping: SIGBUS)
# is found bad without a crash.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
snapshot "$root" "$T/s0"

for args in "--no-such-option $root" "" "$root $root" "-j 0 $root" \
    "-j x $root" "--verify sometimes $root" "--verify changed $root" \
    "--slice 1/7 $root" "--slice 8/7 --verify slice --state $T/s $root" \
    "--max-duration soon $root" "--max-duration 0 $root" \
    "--max-duration 106752d $root" \
    "--ignore NO_SUCH_ID $root" "--error x $root" "-n -p $root" \
    "--quarantine $T/q $root" "--json" "--config" \
    "--state $V/s.sqlite $root" "-p --quarantine $V/q $root" \
    "-n --state $T/n.sqlite $root" "-n --verify changed --state $T/n.sqlite $root"; do
	# shellcheck disable=SC2086
	run_fsck $args
	assert_fsck_rc 16 "usage error: drydock-fsck $args"
	assert_true "usage error says something on stderr: $args" \
	    test -s "$T/fsck.err"
done
snapshot "$root" "$T/s1"
assert_true "usage errors changed nothing" cmp -s "$T/s0" "$T/s1"
# -n promises no write anywhere, so it refuses --state, which records
# every run (before, -n wrote the state file)
assert_file_absent "$T/n.sqlite" "-n --state: no state file written"
run_fsck -n --state "$T/n.sqlite" "$root"
assert_true "-n --state: says why" grep -q -- '--state records' "$T/fsck.err"
assert_eq ". .. docker " "$(ls -a "$root" | tr '\n' ' ')" \
    "usage errors left nothing beside the store"

run_fsck --help
assert_fsck_rc 0 "--help"
assert_true "--help prints usage on stdout" grep -q 'drydock-fsck' "$T/fsck.out"
for o in --repair --verify --state --slice --max-duration --json --metrics \
    --jobs --strict --quarantine --config; do
	assert_true "--help names $o" grep -q -- "$o" "$T/fsck.out"
done
run_fsck --version
assert_fsck_rc 0 "--version"
assert_true "--version: drydock-fsck (drydock) 0.1.0" \
    grep -qx 'drydock-fsck (drydock) 0\.1\.0' "$T/fsck.out"
run_fsck --list-findings
assert_fsck_rc 0 "--list-findings"
assert_true "--list-findings lists BLOB_DIGEST_MISMATCH as a problem" \
    grep -qE '^BLOB_DIGEST_MISMATCH +problem ' "$T/fsck.out"

run_fsck "$T/does-not-exist"
assert_fsck_rc 8 "missing root: exit 8"
assert_true "missing root: the message names it" \
    grep -q 'does-not-exist' "$T/fsck.err"
# a registry before its first push is an empty store (t1160 tells more)
mkdir -p "$T/empty"
run_fsck "$T/empty"
assert_fsck_rc 0 "a directory without docker/registry/v2: an empty store, exit 0"
run_fsck --config "$T/no-such-config.yml"
assert_fsck_rc 8 "missing config file: exit 8"
run_fsck --json "$T/no/such/dir/r.json" "$root"
assert_fsck_rc 8 "a report that cannot be written: exit 8"

write_registry_config "$T/config.yml" "$root"
run_fsck --config "$T/config.yml" --json "$T/c.json"
assert_fsck_rc 0 "--config FILE"
assert_jq "$T/c.json" '.root' "\"$root\"" "--config: the root from the file"
assert_jq "$T/c.json" '.summary.repositories' 7 "--config: it sees the store"

# --max-findings: lists are cut, counts are not
run_fsck -v --max-findings 2 --json "$T/mf.json" "$root"
assert_fsck_rc 0 "--max-findings 2"
assert_jq "$T/mf.json" '[(.findings | length), .findings_truncated,
    ([.counts[]] | add), .summary.findings.info]' '[2,true,9,8]' \
    "--max-findings 2: two listed, truncated, all nine counted"
assert_true "--max-findings: the summary says how many were left out" \
    grep -q '7 more findings not listed' "$T/fsck.out"

# --jobs does not change what is found
run_fsck -j 1 --json "$T/j1.json" "$root"
run_fsck -j 7 --json "$T/j7.json" "$root"
assert_eq "$(jq -c '[.findings[] | [.key, .id]]' "$T/j1.json")" \
    "$(jq -c '[.findings[] | [.key, .id]]' "$T/j7.json")" \
    "-j 1 and -j 7 find the same"
assert_eq "$(jq .summary.bytes_hashed "$T/j1.json")" \
    "$(jq .summary.bytes_hashed "$T/j7.json")" "-j 1 and -j 7 hash the same"

# -p takes the store lock; a held lock is an operational error
flock "$root" sleep 5 &
lockpid=$!
BG_PIDS+=("$lockpid")
sleep 0.3
run_fsck -p "$root"
assert_fsck_rc 8 "-p while another run holds the lock: exit 8"
assert_true "-p: the message says the store is locked" \
    grep -qi 'lock' "$T/fsck.err"
run_fsck "$root"
assert_fsck_rc 0 "a read-only check needs no lock"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null

# a signal during hashing: exit 32, a report that says so
h=49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14
mkdir -p "$V/blobs/sha256/${h:0:2}/$h"
truncate -s 1073741824 "$V/blobs/sha256/${h:0:2}/$h/data"
h=6d9bfe50425f2dfe4e2ac07efee1f0bc9d567348ad4aed62704ffe6f5884e9a8
mkdir -p "$V/blobs/sha256/${h:0:2}/$h"
truncate -s 1073741825 "$V/blobs/sha256/${h:0:2}/$h/data"
"$FSCK" -j 1 --state "$T/int.sqlite" --json "$T/int.json" "$root" \
    >"$T/int.out" 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
assert_eq 32 "$rc" "SIGINT while hashing: exit 32"
assert_jq "$T/int.json" '[.interrupted, .complete, .exit_code]' \
    '[true,false,32]' "the report says the run was interrupted"
assert_true "the summary says so" grep -q 'interrupted' "$T/int.out"
assert_true "the state file is still a good SQLite database" \
    test "$(sqlite3 "$T/int.sqlite" 'pragma integrity_check')" = ok

# a blob truncated while it is hashed is found bad (what was read does not
# match); the run does not crash
root3=$T/root3
cp -a "$F/root" "$root3"
h=a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51
d=$(v2 "$root3")/blobs/sha256/${h:0:2}/$h
mkdir -p "$d"
truncate -s 2147483648 "$d/data"
"$FSCK" -j 1 --json "$T/bus.json" "$root3" >"$T/bus.out" 2>&1 &
pid=$!
sleep 0.3
truncate -s 1000 "$d/data"
wait "$pid"
rc=$?
assert_eq 4 "$rc" "a blob truncated while hashed: exit 4, no crash"
assert_jq "$T/bus.json" '[.findings[] | select(.severity == "problem")
    | [.id, .digest]]' "[[\"BLOB_DIGEST_MISMATCH\",\"sha256:$h\"]]" \
    "the truncated blob is found bad"
finish
