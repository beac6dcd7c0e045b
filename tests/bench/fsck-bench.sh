#!/usr/bin/env bash
# fsck-bench.sh --- drydock-fsck's full verification throughput beside its
# peers on the same machine and the same bytes (not part of make check):
#
#   openssl speed -evp sha256   single-core SHA-256 speed; x cores is the
#                               ceiling for any verifier
#   find ... -name data | xargs -P<cores> sha256sum
#                               the shell pipeline an operator would write
#   drydock-fsck ROOT           full verification (every blob hashed), warm
#                               page cache
#   drydock-fsck --state S --verify changed ROOT
#                               on an unchanged store: walk only (also on a
#                               gen-tree store of ~36,000 small blobs, beside
#                               --verify none)
#
#   tests/bench/fsck-bench.sh [-g GB] [-s BYTES] [-r RUNS] [-w] [DIR]
#
# DIR (default /tmp/drydock-fsck-bench) gets a store of about GB gigabytes
# (default 2.5) the first time: images with a config and six layers of
# 150 MiB .. 512 KiB of random bytes (with -s, layers of BYTES each, such
# as 8388608), in distribution's layout with tags, revisions and _layers
# links.  It is kept for the next run (made again when -g or -s differ);
# delete it yourself.  Each timing is the best of RUNS (default 3); the CPU
# seconds (user and system) and the peak RSS of drydock-fsck are those of
# its best run.  Targets: fsck at least 80% of cores x openssl, and faster
# than the sha256sum pipeline.  Take the numbers on an idle machine: the
# load average is printed (uptime), and -w waits (up to 15 minutes) for
# the 1-minute load average to drop below 0.5.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${DRYDOCK_BIN:=$src/build/plain/bin}"
fsck=$DRYDOCK_BIN/drydock-fsck
gb=2.5
size=""
runs=3
wait_idle=0
while getopts g:s:r:wh o; do
	case $o in
	g) gb=$OPTARG ;;
	s) size=$OPTARG ;;
	r) runs=$OPTARG ;;
	w) wait_idle=1 ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	   exit 0 ;;
	esac
done
shift $((OPTIND - 1))
dir=${1:-/tmp/drydock-fsck-bench}
root=$dir/root
V=$root/docker/registry/v2
[ -x "$fsck" ] || { echo "fsck-bench: build first (make all): $fsck" >&2; exit 2; }
for t in openssl sha256sum jq xargs uptime; do
	command -v "$t" >/dev/null || { echo "fsck-bench: needs $t" >&2; exit 2; }
done
cores=$(nproc)

# --- the store ------------------------------------------------------------------

put_blob() { # FILE: move FILE into blobs/, print its digest
	local h
	h=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$V/blobs/sha256/${h:0:2}/$h"
	mv "$1" "$V/blobs/sha256/${h:0:2}/$h/data"
	echo "sha256:$h"
}

link() { # FILE DIGEST
	mkdir -p "$(dirname "$1")"
	printf '%s' "$2" >"$1"
}

make_store() {
	local want i n=0 sizes=(157286400 62914560 20971520 8388608 2097152 524288)
	[ -n "$size" ] && sizes=("$size" "$size" "$size" "$size" "$size" "$size")
	local repo cfg m layers d s total=0 tmp=$dir/tmp
	want=$(awk -v g="$gb" 'BEGIN {printf "%.0f", g * 1e9}')
	mkdir -p "$V/blobs" "$V/repositories"
	while [ "$total" -lt "$want" ]; do
		n=$((n + 1))
		repo=bench/app$n
		layers='[]'
		for s in "${sizes[@]}"; do
			head -c "$s" /dev/urandom >"$tmp"
			d=$(put_blob "$tmp")
			link "$V/repositories/$repo/_layers/sha256/${d#sha256:}/link" "$d"
			layers=$(jq -c --arg d "$d" --argjson s "$s" '. + [{mediaType:
			    "application/vnd.oci.image.layer.v1.tar+gzip",
			    digest: $d, size: $s}]' <<<"$layers")
			total=$((total + s))
		done
		printf '{"architecture":"amd64","os":"linux","n":%d}' "$n" >"$tmp"
		s=$(stat -c %s "$tmp")
		cfg=$(put_blob "$tmp")
		link "$V/repositories/$repo/_layers/sha256/${cfg#sha256:}/link" "$cfg"
		jq -cj --arg c "$cfg" --argjson s "$s" --argjson l "$layers" -n \
		    '{schemaVersion: 2,
		      mediaType: "application/vnd.oci.image.manifest.v1+json",
		      config: {mediaType: "application/vnd.oci.image.config.v1+json",
		               digest: $c, size: $s}, layers: $l}' >"$tmp"
		m=$(put_blob "$tmp")
		link "$V/repositories/$repo/_manifests/revisions/sha256/${m#sha256:}/link" "$m"
		link "$V/repositories/$repo/_manifests/tags/latest/index/sha256/${m#sha256:}/link" "$m"
		link "$V/repositories/$repo/_manifests/tags/latest/current/link" "$m"
	done
	echo "$params" >"$dir/.done"
}

params="gb=$gb size=${size:-mix}"
if [ ! -f "$dir/.done" ] || [ "$(cat "$dir/.done")" != "$params" ]; then
	echo "fsck-bench: writing a ${gb} GB store to $root (once)" >&2
	rm -rf "$root"
	mkdir -p "$dir"
	make_store
fi
nblobs=$(find "$V/blobs" -name data -type f | wc -l)
bytes=$(find "$V/blobs" -name data -type f -printf '%s\n' |
    awk '{s += $1} END {printf "%.0f\n", s}')
gbytes=$(awk -v b="$bytes" 'BEGIN {printf "%.2f", b / 1e9}')

# warm page cache
find "$V/blobs" -name data -type f -print0 | xargs -0 cat >/dev/null

best() { # COMMAND...: the best wall time of $runs runs, in seconds; the
	# best run's user and system CPU seconds go to $dir/best.cpu
	local i t b="" TIMEFORMAT='%3R %3U %3S'
	for ((i = 0; i < runs; i++)); do
		t=$( { time "$@" >/dev/null 2>&1; } 2>&1) || true
		if [ -z "$b" ] || awk -v t="${t%% *}" -v b="$b" \
		    'BEGIN {exit !(t < b)}'; then
			b=${t%% *}
			echo "${t#* }" >"$dir/best.cpu"
		fi
	done
	echo "$b"
}
gbps() { awk -v b="$bytes" -v t="$1" 'BEGIN {printf "%.2f", b / t / 1e9}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

if [ "$wait_idle" = 1 ]; then
	for ((i = 0; i < 180; i++)); do
		awk '{exit !($1 < 0.5)}' /proc/loadavg && break
		sleep 5
	done
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)
up0=$(uptime)

# openssl, single core, 1 MiB blocks
ossl=$(openssl speed -seconds 3 -bytes 1048576 -evp sha256 2>/dev/null |
    awk '/^sha256/ {v = $2; sub("k", "", v); printf "%.2f", v * 1000 / 1e9}')
ceiling=$(awk -v o="$ossl" -v c="$cores" 'BEGIN {printf "%.2f", o * c}')
# what the cores really give together (shared caches, memory, SMT)
omulti=$(openssl speed -multi "$cores" -seconds 3 -bytes 1048576 -evp sha256 \
    2>/dev/null | awk '/^sha256/ {v = $2; sub("k", "", v);
    printf "%.2f", v * 1000 / 1e9}')

pipeline() {
	find "$V/blobs" -name data -type f -print0 |
		xargs -0 -P"$cores" -n 4 sha256sum >/dev/null
}
t_sum=$(best pipeline)
t_fsck=$(best "$fsck" --no-progress "$root")
read -r u_fsck s_fsck <"$dir/best.cpu"
"$fsck" --no-progress --json "$dir/full.json" "$root" >/dev/null || true
# peak RSS (KiB): the kernel's high-water mark, file-backed pages included
peak=${DRYDOCK_TOOLS:-$src/build/plain/tests/tools}/peak-rss
rss_fsck=-
if [ -x "$peak" ]; then
	"$peak" "$dir/rss" "$fsck" --no-progress "$root" >/dev/null 2>&1 || true
	rss_fsck=$(awk '{printf "%.0f", $1 / 1024}' "$dir/rss")
fi
hash_s=$(jq -r '.summary.hash_seconds' "$dir/full.json" |
    awk '{printf "%.3f", $1}')
fsck_rc=$(jq .exit_code "$dir/full.json")

rm -f "$dir/state.sqlite"
"$fsck" --no-progress --state "$dir/state.sqlite" "$root" >/dev/null || true
t_changed=$(best "$fsck" --no-progress --state "$dir/state.sqlite" \
    --verify changed "$root")
"$fsck" --no-progress --state "$dir/state.sqlite" --verify changed \
    --json "$dir/changed.json" "$root" >/dev/null || true
t_none=$(best "$fsck" --no-progress --verify none "$root")

# the walk on a store of many small objects (gen-tree: 1,000 repositories,
# ~7,400 manifests, ~36,000 blobs), where --verify changed costs a state
# lookup per blob on top of the walk
gen=${DRYDOCK_TOOLS:-$src/build/plain/tests/bench}/gen-tree
many=$dir/many
if [ -x "$gen" ]; then
	if [ ! -f "$many.done" ]; then
		rm -rf "$many"
		"$gen" -q --repos 1000 "$many" >/dev/null && touch "$many.done"
	fi
	m_blobs=$(find "$many/docker/registry/v2/blobs" -name data -type f | wc -l)
	rm -f "$dir/many.sqlite"
	"$fsck" --no-progress --state "$dir/many.sqlite" "$many" >/dev/null || true
	m_full=$(best "$fsck" --no-progress "$many")
	m_changed=$(best "$fsck" --no-progress --state "$dir/many.sqlite" \
	    --verify changed "$many")
	m_none=$(best "$fsck" --no-progress --verify none "$many")
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)
up1=$(uptime)

g_fsck=$(gbps "$t_fsck")
g_hash=$(gbps "$hash_s")
g_sum=$(gbps "$t_sum")
row() { # LABEL SECONDS GBPS
	printf '%-46s %9s %8s %7s\n' "$1" "$2" "$3" \
	    "$([ "$3" = - ] && echo - || ratio "$3" "$ceiling")"
}
cat <<EOF
drydock-fsck benchmark: $(uname -m), $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
store: $root: $nblobs blobs ($params), $gbytes GB, warm page cache; best of $runs
$(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $load0; after: $load1
before: $up0
after:  $up1

EOF
printf '%-46s %9s %8s %7s\n' "" seconds GB/s "ratio"
row "openssl speed -evp sha256, 1 core" - "$ossl"
row "  x $cores cores: the ceiling" - "$ceiling"
row "openssl speed -multi $cores (all cores at once)" - "$omulti"
row "find | xargs -P$cores sha256sum" "$t_sum" "$g_sum"
row "drydock-fsck, whole run (exit $fsck_rc)" "$t_fsck" "$g_fsck"
row "drydock-fsck, hashing phase" "$hash_s" "$g_hash"
row "drydock-fsck --verify changed, unchanged" "$t_changed" -
row "drydock-fsck --verify none (walk only)" "$t_none" -
cat <<EOF

--verify changed on the unchanged store hashed $(jq .summary.bytes_hashed "$dir/changed.json") bytes
fsck / (cores x openssl):   $(ratio "$g_fsck" "$ceiling")  (target >= 0.80)
fsck / openssl -multi:      $(ratio "$g_fsck" "$omulti")
fsck / sha256sum pipeline:  $(ratio "$g_fsck" "$g_sum")x (target > 1)
fsck CPU, best run:         $u_fsck s user + $s_fsck s system
  GB per CPU second:        $(awk -v b="$bytes" -v u="$u_fsck" -v s="$s_fsck" \
    'BEGIN {printf "%.2f (per user second %.2f)", b / (u + s) / 1e9,
    b / u / 1e9}'); openssl on 1 core: $ossl
fsck peak RSS:              $rss_fsck MiB
--verify changed / full:    $(ratio "$t_changed" "$t_fsck") of the time
EOF
if [ -n "${m_full:-}" ]; then
	cat <<EOF

many small objects: $many: $m_blobs blobs (gen-tree --repos 1000)
$(printf '%-46s %9s\n' "drydock-fsck, full verification" "$m_full")
$(printf '%-46s %9s\n' "drydock-fsck --verify changed, unchanged" "$m_changed")
$(printf '%-46s %9s\n' "drydock-fsck --verify none (walk only)" "$m_none")
--verify changed / walk only: $(ratio "$m_changed" "$m_none")
EOF
fi
