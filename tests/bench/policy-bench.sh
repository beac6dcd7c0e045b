#!/usr/bin/env bash
# policy-bench.sh --- what issue 13's features cost beside a plain dry run,
# on the generated trees of run.sh: `drydock-gc -n` with a --policy that
# matches every repository, `du`, `du --by tag`, `du --policy` and `why`,
# each against `drydock-gc -n` alone.  CPU time (user + sys), not wall
# time: the bench machines are shared.  Runs alternate, REPEAT times each,
# and the median is taken; prints the ratios and fails when one is above
# LIMIT (default 1.5, issue 13).  Not part of `make check`.
#
#   tests/bench/policy-bench.sh [SIZE...]     SIZE = repositories (5000)
#
# Environment: BENCH_DIR (trees, default /tmp/drydock-bench, shared with
# run.sh), REPEAT (default 5), LIMIT, DRYDOCK_BIN (default build/plain/bin),
# OUT (default tests/bench/out).
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
bin=${DRYDOCK_BIN:-$top/build/plain/bin}
gen=$top/build/plain/tests/bench/gen-tree
dir=${BENCH_DIR:-/tmp/drydock-bench}
out=${OUT:-$top/tests/bench/out}
repeat=${REPEAT:-5}
limit=${LIMIT:-1.5}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5000)

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$bin/drydock-gc" ] || die "no $bin/drydock-gc (make first)"
[ -x "$gen" ] || die "no $gen (make first)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
mkdir -p "$dir" "$out"
# shellcheck source=tests/bench/trees.sh
. "$top/tests/bench/trees.sh"

# every repository matches; gen-tree's tags are latest, stable and 1.N
cat >"$dir/policy.yml" <<'EOF'
policies:
  - repositories: ["**"]
    delete: ".*"
    keep:
      - last: 2
      - tags: "^(latest|stable)$"
    untagged: 7d
EOF

# cpu CMD...: user + sys seconds of one run (its output dropped)
cpu() {
	/usr/bin/time -f '%U %S' -o "$dir/time.pol" "$@" >/dev/null 2>"$dir/err.pol" ||
		die "$* failed: $(tail -n 3 "$dir/err.pol")"
	awk '{printf "%.2f\n", $1 + $2}' "$dir/time.pol"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

table=$out/policy-bench.md
fail=0
{
	echo "| repositories | dry run | --policy | ratio | du | ratio | du --by tag | ratio | du --policy | ratio | why | ratio |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$table.tmp"
for n in "${sizes[@]}"; do
	t=$(tree "$n")
	g=("$bin/drydock-gc")
	o=(--grace 0 --json /dev/null)
	ref=sha256:$(find "$t/docker/registry/v2/blobs/sha256" -name data |
	    head -n 1 | sed 's|.*/\([0-9a-f]\{64\}\)/data$|\1|')
	runs=(
	    "${g[*]} -n ${o[*]} $t"
	    "${g[*]} -n ${o[*]} --policy $dir/policy.yml $t"
	    "${g[*]} du ${o[*]} $t"
	    "${g[*]} du --by tag ${o[*]} $t"
	    "${g[*]} du ${o[*]} --policy $dir/policy.yml $t"
	    "${g[*]} why ${o[*]} $t $ref")
	for i in "${!runs[@]}"; do
		: >"$dir/pol.$i"
		${runs[$i]} >/dev/null 2>&1 || true # warm the cache
	done
	for _ in $(seq "$repeat"); do
		for i in "${!runs[@]}"; do
			# shellcheck disable=SC2086
			cpu ${runs[$i]} >>"$dir/pol.$i"
		done
	done
	row="| $n"
	base=$(median <"$dir/pol.0")
	for i in "${!runs[@]}"; do
		m=$(median <"$dir/pol.$i")
		row+=" | $m s"
		[ "$i" = 0 ] && continue
		r=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
		row+=" | ${r}x"
		if awk -v r="$r" -v l="$limit" 'BEGIN { exit !(r > l) }'; then
			echo "bench: r$n: '${runs[$i]}' costs ${r}x a dry run (limit ${limit}x)" >&2
			fail=1
		fi
	done
	echo "$row |" >>"$table.tmp"
done
mv "$table.tmp" "$table"
echo "issue 13 features beside drydock-gc -n, CPU (user + sys), median of $repeat" \
    "($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
cat "$table"
exit "$fail"
