#!/usr/bin/env bash
# run.sh --- the gc benchmark: drydock-gc --dry-run beside distribution's
# own `docker-registry garbage-collect --dry-run` on the same generated
# trees, warm page cache and cold (after dropping it), at three sizes.
# Prints wall time, peak RSS and the ratios, checks that both tools found
# exactly the garbage the generator planted, and writes the table to
# $OUT/gc-bench.md.  Not part of `make check`.
#
#   tests/bench/run.sh [SIZE...]      SIZE = repositories (default 500 1000 5000)
#
# The scale run is `run.sh 1000 5000 28000`: 28,000 repositories are about
# 1,000,000 blobs, 6.2 million inodes, 14 GB (apparent) and 5 minutes to
# write; a tree of 10,000 repositories or more is removed after its run
# unless KEEP_TREES=1.
#
# Environment: BENCH_DIR (trees, default /tmp/drydock-bench; kept between
# runs, 5,000 repositories take ~800 MB of inodes and ~30 s to write),
# REPEAT (warm runs per tool, median taken; default 3), COLD=0 (skip the
# cold runs), DRYDOCK_BIN (default build/plain/bin), OUT (default
# tests/bench/out).
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
bin=${DRYDOCK_BIN:-$top/build/plain/bin}
gen=$top/build/plain/tests/bench/gen-tree
dir=${BENCH_DIR:-/tmp/drydock-bench}
out=${OUT:-$top/tests/bench/out}
repeat=${REPEAT:-3}
cold=${COLD:-1}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 1000 5000)

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$bin/drydock-gc" ] || die "no $bin/drydock-gc (make first)"
[ -x "$gen" ] || die "no $gen (make first)"
command -v docker-registry >/dev/null || die "docker-registry is not installed (tests/deps.sh)"
if [ ! -x /usr/bin/time ]; then
	[ "$(id -u)" -eq 0 ] || die "/usr/bin/time is missing: apt-get install time"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
mkdir -p "$dir" "$out"

can_drop() { [ "$(id -u)" -eq 0 ] && sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; }
if [ "$cold" = 1 ] && ! can_drop; then
	echo "bench: cannot drop the page cache (not root?): cold runs skipped" >&2
	cold=0
fi

# shellcheck source=tests/bench/trees.sh
. "$top/tests/bench/trees.sh"

# measure LABEL CMD...: one run; prints "seconds kb" and keeps stdout
measure() {
	local label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$dir/time.$label" "$@" >"$dir/out.$label" 2>"$dir/err.$label" ||
		die "$label failed: $(tail -n 3 "$dir/err.$label")"
	cat "$dir/time.$label"
}

# seconds per 1,000 repositories: the figure that must stay flat as trees grow
per1k() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.2f", t * 1000 / n }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

dd=("$bin/drydock-gc" --dry-run --grace 0 --json - -q)
dr=(docker-registry garbage-collect --dry-run)

table=$out/gc-bench.md
{
	echo "| repositories / manifests / blobs | drydock-gc warm | docker-registry warm | ratio | drydock-gc cold | docker-registry cold | ratio | peak RSS drydock / docker-registry | warm per 1,000 repositories drydock / docker-registry |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$table.tmp"

for n in "${sizes[@]}"; do
	t=$(tree "$n")
	# shellcheck disable=SC1090
	. <(grep -E '^(repositories|manifests|blobs|expect_plain_blobs)=' "$t/expect")
	config "$t" >"$dir/r$n.yml"

	# warm: one run each to fill the cache, then REPEAT runs each, alternating
	"${dd[@]}" "$t" >/dev/null 2>&1
	"${dr[@]}" "$dir/r$n.yml" >/dev/null 2>&1
	: >"$dir/dd.warm"
	: >"$dir/dr.warm"
	for _ in $(seq "$repeat"); do
		measure dd "${dd[@]}" "$t" >>"$dir/dd.warm"
		measure dr "${dr[@]}" "$dir/r$n.yml" >>"$dir/dr.warm"
	done
	# both must find exactly the planted garbage
	got=$(jq '[.removed[] | select(.kind == "blob")] | length' "$dir/out.dd")
	[ "$got" = "$expect_plain_blobs" ] ||
		die "r$n: drydock-gc would remove $got blobs, the generator planted $expect_plain_blobs"
	got=$(grep -c '^blob eligible for deletion' "$dir/out.dr" || true)
	[ "$got" = "$expect_plain_blobs" ] ||
		die "r$n: docker-registry would remove $got blobs, the generator planted $expect_plain_blobs"
	dd_w=$(awk '{print $1}' "$dir/dd.warm" | median)
	dr_w=$(awk '{print $1}' "$dir/dr.warm" | median)
	dd_m=$(awk '{print $2}' "$dir/dd.warm" | sort -n | tail -n 1)
	dr_m=$(awk '{print $2}' "$dir/dr.warm" | sort -n | tail -n 1)

	dd_c=- dr_c=-
	if [ "$cold" = 1 ]; then
		can_drop
		dd_c=$(measure dd "${dd[@]}" "$t" | awk '{print $1}')
		can_drop
		dr_c=$(measure dr "${dr[@]}" "$dir/r$n.yml" | awk '{print $1}')
	fi
	secs() { [ "$1" = - ] && echo - || echo "$1 s"; }
	printf '| %s / %s / %s | %s s | %s s | %s | %s | %s | %s | %s / %s MB | %s / %s s |\n' \
	    "$repositories" "$manifests" "$blobs" "$dd_w" "$dr_w" \
	    "$(ratio "$dr_w" "$dd_w")" "$(secs "$dd_c")" "$(secs "$dr_c")" \
	    "$(ratio "$dr_c" "$dd_c")" $((dd_m / 1024)) $((dr_m / 1024)) \
	    "$(per1k "$dd_w" "$repositories")" "$(per1k "$dr_w" "$repositories")" \
	    >>"$table.tmp"
	echo "bench: r$n done (warm $dd_w s vs $dr_w s)" >&2
	if [ "$n" -ge 10000 ] && [ "${KEEP_TREES:-0}" != 1 ]; then
		echo "bench: removing $t (KEEP_TREES=1 keeps it)" >&2
		rm -rf "$t" "$dir/r$n.yml"
	fi
done
mv "$table.tmp" "$table"
echo
echo "drydock-gc --dry-run vs docker-registry garbage-collect --dry-run" \
    "($(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)):"
cat "$table"
