#!/usr/bin/env bash
# s3-bench.sh --- drydock-gc on a bucket beside docker-registry's own
# garbage-collect (s3 driver) on the same bucket: the generated tree loaded
# into radosgw (tests/s3/radosgw.sh), then each tool's dry run in -m mode,
# on loopback and again through a proxy that adds ROUND_TRIP ms to every
# round trip (tests/bench/delayproxy.py: this kernel has no tc netem).
# Then the real sweep of planted garbage: drydock-gc's deleted objects per
# second.  Prints a table (tests/bench/out/s3-bench.md).  Not part of
# `make check`.
#
#   tests/bench/s3-bench.sh [REPOS [LATENCY_REPOS]]
#       REPOS          repositories of the loopback tree (default 1000)
#       LATENCY_REPOS  of the tree measured through the delay (default 100:
#                      docker-registry reads every link one request at a
#                      time, so its dry run of 1,000 repositories at 20 ms
#                      would take the better part of an hour)
#
# Environment: BENCH_DIR (default /tmp/drydock-bench), DRYDOCK_BIN (default
# build/plain/bin), JOBS (drydock-gc -j, default 16), ROUND_TRIP (ms, default
# 20), GARBAGE (planted garbage blobs for the sweep, default 20000),
# SWEEP_ONLY=1 (only the real sweep, no dry runs), CEILING (keys of the
# server's own delete rate, measured after the sweep: default 10240), OUT.
# The sweep's requests are traced (DRYDOCK_S3_TRACE) and counted by kind.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
bin=${DRYDOCK_BIN:-$top/build/plain/bin}
tools=${DRYDOCK_TOOLS:-$top/build/plain/tests/tools}
gen=$top/build/plain/tests/bench/gen-tree
dir=${BENCH_DIR:-/tmp/drydock-bench}
out=${OUT:-$top/tests/bench/out}
jobs=${JOBS:-16}
rtt=${ROUND_TRIP:-20}
garbage=${GARBAGE:-20000}
repos=${1:-1000}
lat_repos=${2:-100}

die() { echo "s3-bench: $*" >&2; exit 1; }
[ -x "$bin/drydock-gc" ] || die "no $bin/drydock-gc (make first)"
[ -x "$tools/s3tool" ] || die "no $tools/s3tool (make first)"
[ -x "$gen" ] || die "no $gen (make first)"
command -v docker-registry >/dev/null || die "docker-registry is not installed (tests/deps.sh)"
mkdir -p "$dir" "$out"
# shellcheck source=tests/bench/trees.sh
. "$top/tests/bench/trees.sh"

rgw=$dir/s3-rgw
proxy_pid=
cleanup() {
	[ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
	"$top/tests/s3/radosgw.sh" stop "$rgw" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# one radosgw start at a time on this host, as the tests' start_s3 (lib.sh);
# a port another server took meanwhile fails a start: once more, on others
exec 9>"${TMPDIR:-/tmp}/drydock-radosgw.lock"
flock -w 900 9 || die "cannot lock ${TMPDIR:-/tmp}/drydock-radosgw.lock"
for try in 1 2 3 4; do
	rm -rf "$rgw"
	"$top/tests/s3/radosgw.sh" start "$rgw" bench lat >"$dir/s3.env" 9>&- &&
		break
	"$top/tests/s3/radosgw.sh" stop "$rgw" >/dev/null 2>&1 9>&- || true
	[ "$try" -lt 4 ] || die "radosgw did not start"
done
exec 9>&- # started: the tests' radosgw may start now
set -a
# shellcheck disable=SC1091
. "$dir/s3.env"
set +a
port=${S3_ENDPOINT##*:}

# cfg BUCKET PORT: a registry config both tools read
cfg() {
	cat <<EOC
version: 0.1
log: {level: error}
storage:
  s3: {region: $S3_REGION, regionendpoint: "http://127.0.0.1:$2", bucket: $1,
       accesskey: $S3_ACCESS_KEY, secretkey: $S3_SECRET_KEY, secure: false,
       v4auth: true, rootdirectory: /}
  delete: {enabled: true}
  redirect: {disable: true}
  maintenance:
    uploadpurging: {enabled: false}
http:
  addr: 127.0.0.1:0
EOC
}

# The tree goes into the bucket as it is on disk, garbage and all (s3tool
# putdir), not with drydock-migrate: migrate copies images, so the unreferenced
# blobs, stale uploads and dangling links the generator planted, which are what
# both collectors are measured finding, would stay behind.
load() { # BUCKET TREE
	cfg "$1" "$port" >"$dir/s3.load.$1.yml"
	"$tools/s3tool" -c "$dir/s3.load.$1.yml" -j 16 putdir \
	    "$2/docker" docker >&2 || die "cannot load $2 into $1"
}

# timed LABEL CMD...: wall seconds of one run
timed() {
	local label=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" >"$dir/s3.out.$label" 2>"$dir/s3.err.$label" ||
		die "$label failed: $(tail -n 3 "$dir/s3.err.$label")"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

dry() { # LABEL BUCKET PORT -> "drydock docker-registry ratio"
	local c=$dir/s3.$1.yml d r
	cfg "$2" "$3" >"$c"
	d=$(timed "$1.dd" "$bin/drydock-gc" --config "$c" -n -m --grace 0 \
	    -j "$jobs" -q --json "$dir/s3.$1.json")
	r=$(timed "$1.dr" env -u AWS_CA_BUNDLE docker-registry \
	    garbage-collect --dry-run --delete-untagged "$c")
	echo "$d $r $(ratio "$r" "$d")"
}

t=$(tree "$repos")
echo "s3-bench: loading $t into bucket 'bench'" >&2
load bench "$t"
sweep_only=${SWEEP_ONLY:-0}
if [ "$sweep_only" != 1 ]; then
	tl=$(tree "$lat_repos")
	echo "s3-bench: loading $tl into bucket 'lat'" >&2
	load lat "$tl"
	read -r d1 r1 x1 <<<"$(dry loop bench "$port")"
	pport=$((port + 1))
	while (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null; do pport=$((pport + 1)); done
	"$top/tests/bench/delayproxy.py" "$pport" "$port" "$((rtt / 2))" >"$dir/proxy.out" 2>&1 &
	proxy_pid=$!
	for _ in $(seq 50); do grep -q ready "$dir/proxy.out" && break; sleep 0.1; done
	read -r d0 r0 x0 <<<"$(dry lat0 lat "$port")"
	read -r d2 r2 x2 <<<"$(dry lat lat "$pport")"
fi

# the real sweep: planted garbage blobs, then drydock-gc -m for real
hex=$(printf '%057d' 0)
"$tools/s3tool" -c "$dir/s3.load.bench.yml" -j 16 fill \
    "docker/registry/v2/blobs/sha256/aa/aa$hex" "$garbage" /data >/dev/null
cfg bench "$port" >"$dir/s3.sweep.yml"
ds=$(timed sweep.dry "$bin/drydock-gc" --config "$dir/s3.sweep.yml" -n -m \
    --grace 0 -j "$jobs" -q --json "$dir/s3.sweep.dry.json")
rm -f "$dir/s3.sweep.trace"
dw=$(timed sweep env DRYDOCK_S3_TRACE="$dir/s3.sweep.trace" \
    "$bin/drydock-gc" --config "$dir/s3.sweep.yml" -m --grace 0 \
    -j "$jobs" -q --json "$dir/s3.sweep.json")
# the sweep's requests by kind: method, and the key's part after v2/
kinds=$(awk '{ k = $2; sub(/\?.*/, "", k); sub(/^.*\/v2\//, "", k)
	split(k, p, "/"); q = ($2 ~ /\?/) ? "?" substr($2, index($2, "?") + 1) : ""
	sub(/=.*/, "", q); what = p[1]
	if (p[1] == "repositories") { for (i = 2; i <= length(p); i++) if (p[i] ~ /^_/) { what = what "/" p[i]; break } }
	n[$1 " " what q]++ } END { for (x in n) print n[x], x }' "$dir/s3.sweep.trace" | sort -rn)
removed=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]["removed"]; print(sum(s.values()))' "$dir/s3.sweep.json")
rate=$(awk -v n="$removed" -v a="$dw" -v b="$ds" 'BEGIN { d = a - b; if (d > 0) printf "%.0f", n / d; else print "-" }')
# radosgw's own delete rate at that moment, as the peer of the sweep's: the
# server, not the client, bounds a sweep here, and how fast it deletes
# depends on what it served before and on the bucket's size.  CEILING
# keys (10,240) planted in the same bucket, then removed with nothing but
# DeleteObjects, in the sweep's shape: calls of 1,024 keys, each -j
# requests of 1,024/-j keys in flight (radosgw deletes faster so than in
# requests of 625 keys: 1,470 against 1,060-1,310 keys/s on a new one).
ceil_n=${CEILING:-10240}
"$tools/s3tool" -c "$dir/s3.load.bench.yml" -j 16 fill ceiling/k "$ceil_n" \
    >/dev/null || die "cannot plant the ceiling's keys"
c0=$(date +%s.%N)
for ((k = 0; k < ceil_n; k += 1024)); do
	seq -f 'ceiling/k%05g' "$k" $((k + 1023 < ceil_n ? k + 1023 : ceil_n - 1)) |
		S3TOOL_QUIET=1 "$tools/s3tool" -c "$dir/s3.load.bench.yml" \
		    -j "$jobs" rm - >/dev/null || die "cannot remove the ceiling's keys"
done
c1=$(date +%s.%N)
ceil=$(awk -v n="$ceil_n" -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f", n / (b - a) }')
share=$(awk -v a="$rate" -v b="$ceil" 'BEGIN { if (b > 0 && a != "-") printf "%.0f%%", 100 * a / b; else print "-" }')

table=$out/s3-bench.md
{
	if [ "$sweep_only" != 1 ]; then
		echo "| bucket | round trip | drydock-gc -n -m -j $jobs | docker-registry garbage-collect --dry-run -m | ratio |"
		echo "|---|---|---|---|---|"
		echo "| $repos repositories | loopback | ${d1} s | ${r1} s | $x1 |"
		echo "| $lat_repos repositories | loopback | ${d0} s | ${r0} s | $x0 |"
		echo "| $lat_repos repositories | +${rtt} ms | ${d2} s | ${r2} s | $x2 |"
		echo
	fi
	echo "Real sweep (-m, loopback): $removed objects removed in $dw s, of which the plan took $ds s: **$rate objects/s** deleted."
	echo
	echo "radosgw's own DeleteObjects rate right after, in the same bucket ($ceil_n keys, 1,024 a call, $jobs requests in flight, nothing else): $ceil keys/s; the sweep ran at $share of it."
	echo
	echo "Its requests ($(wc -l <"$dir/s3.sweep.trace") in all), by method and what they name:"
	echo
	echo '```'
	echo "$kinds"
	echo '```'
} >"$table"
cat "$table"
