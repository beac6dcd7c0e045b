#!/usr/bin/env bash
# sweep-bench.sh --- the real run, not the dry run: drydock-gc removing the
# garbage beside `docker-registry garbage-collect` removing it, each on its
# own copy of the same generated tree, in both modes (plain, and -m /
# --delete-untagged).  Prints wall time, peak RSS, the ratio, and what each
# removed (blob count, checked against what the generator planted).  Not
# part of `make check`.
#
#   tests/bench/sweep-bench.sh [SIZE...]   SIZE = repositories (default 1000 5000)
#
# Environment: BENCH_DIR (trees and copies, default /tmp/drydock-bench;
# the source trees are shared with run.sh and kept, the copies removed),
# DRYDOCK_BIN (default build/plain/bin), OUT (default tests/bench/out).
# Each copy of a 5,000-repository tree is about 1.2 million inodes and
# 2.5 GB; two exist at a time.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
bin=${DRYDOCK_BIN:-$top/build/plain/bin}
gen=$top/build/plain/tests/bench/gen-tree
dir=${BENCH_DIR:-/tmp/drydock-bench}
out=${OUT:-$top/tests/bench/out}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000)

die() { echo "sweep-bench: $*" >&2; exit 1; }
[ -x "$bin/drydock-gc" ] || die "no $bin/drydock-gc (make first)"
[ -x "$gen" ] || die "no $gen (make first)"
command -v docker-registry >/dev/null || die "docker-registry is not installed (tests/deps.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
mkdir -p "$dir" "$out"

# shellcheck source=tests/bench/trees.sh
. "$top/tests/bench/trees.sh"

# run LABEL CMD...: one timed run; prints "seconds kb"
run() {
	local label=$1
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$dir/sw.time.$label" "$@" \
	    >"$dir/sw.out.$label" 2>"$dir/sw.err.$label" ||
		die "$label failed: $(tail -n 3 "$dir/sw.err.$label")"
	cat "$dir/sw.time.$label"
}

blobs_in() { find "$1/docker/registry/v2/blobs" -name data | wc -l; }

table=$out/sweep-bench.md
{
	echo "| repositories / blobs | mode | drydock-gc | docker-registry | ratio | blobs removed drydock / docker-registry | peak RSS drydock / docker-registry | drydock-gc removals per second |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$table.tmp"

for n in "${sizes[@]}"; do
	t=$(tree "$n")
	# shellcheck disable=SC1090
	. <(grep -E '^(repositories|blobs|expect_plain_blobs|expect_m_blobs|expect_dr28_m_blobs)=' "$t/expect")
	for mode in plain m; do
		rm -rf "$dir/sw.dd" "$dir/sw.dr"
		cp -a "$t" "$dir/sw.dd"
		cp -a "$t" "$dir/sw.dr"
		config "$dir/sw.dr" >"$dir/sw.yml"
		before=$(blobs_in "$dir/sw.dd")
		dflag=() rflag=()
		if [ "$mode" = m ]; then
			dflag=(-m)
			rflag=(-m)
		fi
		# the page cache holds the source tree; copies are warm as written
		read -r dd_s dd_k < <(run dd "$bin/drydock-gc" --grace 0 -q \
		    "${dflag[@]}" --json "$dir/sw.dd.json" "$dir/sw.dd")
		read -r dr_s dr_k < <(run dr docker-registry garbage-collect \
		    "${rflag[@]}" "$dir/sw.yml")
		dd_gone=$((before - $(blobs_in "$dir/sw.dd")))
		dr_gone=$((before - $(blobs_in "$dir/sw.dr")))
		want=$expect_plain_blobs
		[ "$mode" = m ] && want=$expect_m_blobs
		[ "$dd_gone" = "$want" ] ||
			die "r$n $mode: drydock-gc removed $dd_gone blobs, the generator planted $want"
		items=$(jq '.removed | length' "$dir/sw.dd.json")
		printf '| %s / %s | %s | %s s | %s s | %s | %s / %s | %s / %s MB | %s |\n' \
		    "$repositories" "$blobs" "$([ "$mode" = m ] && echo -m || echo plain)" \
		    "$dd_s" "$dr_s" "$(ratio "$dr_s" "$dd_s")" "$dd_gone" "$dr_gone" \
		    $((dd_k / 1024)) $((dr_k / 1024)) \
		    "$(awk -v i="$items" -v s="$dd_s" 'BEGIN { if (s > 0) printf "%.0f", i / s; else print "-" }')" \
		    >>"$table.tmp"
		echo "sweep-bench: r$n $mode done ($dd_s s vs $dr_s s)" >&2
	done
	rm -rf "$dir/sw.dd" "$dir/sw.dr"
done
mv "$table.tmp" "$table"
echo
echo "drydock-gc vs docker-registry garbage-collect, real runs on copies" \
    "($(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)):"
cat "$table"
