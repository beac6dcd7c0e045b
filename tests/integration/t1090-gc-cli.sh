#!/usr/bin/env bash
# t1090-gc-cli --- the command line: usage errors exit 16 and change nothing
# (a duration too large to count in nanoseconds among them: it once wrapped
# to no grace at all, and a --quarantine inside the registry's tree, as
# fsck refuses it),
# --help and --version exit 0, a missing root is an operational error (8),
# --config FILE reads the root from the registry's config.yml, --json -
# prints the report on stdout (summary on stderr), --metrics writes a
# Prometheus textfile, and durations parse as documented.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
root=$T/root
cp -a "$F/root" "$root"
snapshot "$root" "$T/s0"
# a quarantine inside the registry's tree, directly or through a symlink
ln -s "$(v2 "$root")/repositories" "$T/into-store"

for args in "--no-such-option $root" "" "$root $root" "--grace $root" \
    "--grace 1x $root" "--grace -5m $root" "--grace 1h30 $root" \
    "--uploads-older-than soon $root" "-m -z $root" "--json" \
    "--restore" "--quarantine" "-j 0 $root" "--jobs 65 $root" \
    "-j x $root" "--grace 106752d $root" "--grace 2562048h $root" \
    "--grace 10000000000h $root" "--uploads-older-than 106752d $root" \
    "--grace 0 -m --quarantine $(v2 "$root")/q $root" \
    "--grace 0 -m --quarantine $(v2 "$root") $root" \
    "--grace 0 -m --quarantine $T/into-store/q $root"; do
	# shellcheck disable=SC2086
	run_gc $args
	assert_rc 16 "usage error: drydock-gc $args"
	assert_true "usage error says something on stderr: $args" \
	    test -s "$T/gc.err"
done
snapshot "$root" "$T/s1"
assert_true "usage errors changed nothing" cmp -s "$T/s0" "$T/s1"

# the number of reading threads changes nothing in the result
for j in 1 3 64; do
	run_gc -n --grace 0 -m -j "$j" --json "$T/j$j.json" "$root"
	assert_rc 0 "-j $j: dry run"
	jq -S '[.removed, .problems]' "$T/j$j.json" >"$T/j$j.items"
done
assert_true "-j 1 and -j 3 plan the same removals" \
    cmp -s "$T/j1.items" "$T/j3.items"
assert_true "-j 1 and -j 64 plan the same removals" \
    cmp -s "$T/j1.items" "$T/j64.items"
assert_jq "$T/j1.json" '.removed | length > 0' true \
    "the -j comparison has removals to compare"

run_gc --help
assert_rc 0 "--help"
assert_true "--help prints usage on stdout" grep -q 'drydock-gc' "$T/gc.out"
assert_true "--help names --delete-untagged" \
    grep -q -- '--delete-untagged' "$T/gc.out"
run_gc -h
assert_rc 0 "-h"
run_gc --version
assert_rc 0 "--version"
assert_true "--version prints 0.1.0" grep -q '0\.1\.0' "$T/gc.out"
run_gc -V
assert_rc 0 "-V"

run_gc --grace 0 "$T/does-not-exist"
assert_rc 8 "missing root: exit 8"
assert_true "missing root: message names it" \
    grep -q 'does-not-exist' "$T/gc.err"
# a registry before its first push is an empty store (t1160 tells more)
mkdir -p "$T/empty"
run_gc --grace 0 "$T/empty"
assert_rc 0 "a directory without docker/registry/v2: an empty store, exit 0"
run_gc --grace 0 --config "$T/no-such-config.yml"
assert_rc 8 "missing config file: exit 8"

# durations
for dur in 0 90s 30m 24h 7d 1h30m; do
	run_gc -n --grace "$dur" --json "$T/d.json" "$root"
	assert_rc 0 "--grace $dur"
done
assert_jq "$T/d.json" '.grace_seconds' 5400 "1h30m is 5400 s"
run_gc -n --grace 7d --uploads-older-than 30m --json "$T/d.json" "$root"
assert_jq "$T/d.json" '[.grace_seconds, .uploads_older_than_seconds]' \
    '[604800,1800]' "7d and 30m"
run_gc -n --json "$T/d.json" "$root"
assert_jq "$T/d.json" '[.grace_seconds, .uploads_older_than_seconds]' \
    '[3600,604800]' "defaults: grace 1h, uploads 168h"
assert_jq "$T/d.json" '[.removed[] | select(.kind != "upload")] | length' 0 \
    "default grace protects the freshly built fixture; only the stale upload goes"

# --json - : report on stdout, summary elsewhere
run_gc -n --grace 0 --json - "$root"
assert_rc 0 "--json -"
assert_true "stdout is one JSON document" jq -e '.tool == "drydock-gc"' \
    "$T/gc.out"
# a report file is written beside itself and renamed; a FIFO or a device
# (here one like /dev/stdout) is written as it is
mkdir "$T/rep"
run_gc -n --grace 0 -m --json "$T/rep/r.json" "$root"
assert_jq "$T/rep/r.json" '[.tool, (.removed | length > 0)]' \
    '["drydock-gc",true]' "--json FILE: a whole report"
assert_eq "r.json" "$(ls -A "$T/rep")" "no temporary file left beside it"
assert_true "--json FILE and --json - say the same" \
    test "$(jq -S .removed "$T/rep/r.json")" = \
    "$(run_gc -n --grace 0 -m --json - "$root"; jq -S .removed "$T/gc.out")"
# a symlink to our stdout as /dev/stdout is, made here: a binary that
# replaced the link would replace this one, never the machine's /dev/stdout
ln -s /proc/self/fd/1 "$T/stdout"
run_gc -n -q --grace 0 --json "$T/stdout" "$root"
assert_rc 0 "--json /dev/stdout"
assert_true "--json /dev/stdout: one JSON document on stdout" \
    jq -e '.tool == "drydock-gc"' "$T/gc.out"
assert_true "--json /dev/stdout: the symlink is still a symlink" \
    test -L "$T/stdout"

# --config FILE: the root and the cache warning come from config.yml
write_registry_config "$T/config.yml" "$root"
run_gc -n --grace 0 --config "$T/config.yml" --json "$T/c.json"
assert_rc 0 "--config FILE"
assert_jq "$T/c.json" '.root' "\"$root\"" "--config: root from the file"
assert_jq "$T/c.json" '.removed | length > 0' true "--config: it sees the garbage"
cat >"$T/config-cache.yml" <<EOF
version: 0.1
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
EOF
run_gc --grace 0 -m --config "$T/config-cache.yml" --json "$T/cc.json"
assert_rc 0 "--config with a blob-descriptor cache"
assert_jq "$T/cc.json" '.root' "\"$root\"" "--config: root read below cache:"
assert_true "a cache config gets a restart warning" \
    grep -qi 'restart' "$T/gc.out" "$T/gc.err"

# --metrics FILE
cp -a "$F/root" "$T/root-m"
run_gc --grace 0 -m --metrics "$T/gc.prom" "$T/root-m"
assert_rc 0 "--metrics FILE"
assert_file_present "$T/gc.prom"
assert_eq "" "$(grep -v '^#' "$T/gc.prom" |
    grep -v '^drydock_gc_[a-z_]*\({[a-z_]*="[^"]*"}\)\{0,1\} [0-9.e+-]*$')" \
    "every sample line is Prometheus text: drydock_gc_NAME{LABELS} VALUE"
assert_true "metrics have samples" \
    test "$(grep -vc '^#' "$T/gc.prom")" -ge 5
assert_true "no temp file is left next to the metrics file" \
    test "$(ls "$T" | grep -c '^gc\.prom')" -eq 1
finish
