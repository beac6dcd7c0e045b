#!/usr/bin/env bash
# migrate-bench.sh --- registry -> OCI layout on one generated tree, three
# ways: drydock-migrate --link hard, drydock-migrate --link copy, and the
# path users take today (serve the root with docker-registry, then
# `skopeo copy --all` every tag into oci:).  Prints wall times, ratios, the
# machine's load around each measurement, and how many tags kept their
# registry digest on each path.  Not part of make check.
#
#   tests/bench/migrate-bench.sh [--repos N] [--runs N] [--keep]
#
# Needs the plain build (make all): build/plain/bin/drydock-migrate and
# build/plain/tests/bench/gen-tree.  Results also go to
# tests/bench/out/migrate-<UTC time>.txt.
set -u
repos=100
runs=3
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--repos) repos=$2; shift ;;
	--runs) runs=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "migrate-bench: unknown argument $1" >&2; exit 16 ;;
	esac
	shift
done

SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
MIG=$SRC_DIR/build/plain/bin/drydock-migrate
GEN=$SRC_DIR/build/plain/tests/bench/gen-tree
[ -x "$MIG" ] && [ -x "$GEN" ] || { echo "migrate-bench: make all first" >&2; exit 8; }
export DRYDOCK_BIN=$SRC_DIR/build/plain/bin
# the integration helpers run docker-registry for the skopeo path
# shellcheck source=../integration/lib.sh
. "$SRC_DIR/tests/integration/lib.sh"
[ "$keep" = 1 ] && KEEP=1
mkdir -p "$SRC_DIR/tests/bench/out"
OUT=$SRC_DIR/tests/bench/out/migrate-$(date -u +%Y%m%dT%H%M%SZ).txt

say() { printf '%s\n' "$*" | tee -a "$OUT"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
# "median min max" of the numbers on stdin
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[1], a[NR]}'; }

root=$T/root
"$GEN" --repos "$repos" -q "$root" >"$T/gen.txt" || bail "gen-tree failed"
tags=$(grep '^tags=' "$T/gen.txt" | cut -d= -f2)
say "migrate-bench: $(date -u), $(nproc) cores, $(uname -r)"
say "tree: $repos repositories, $tags tags, $(grep '^manifests=' "$T/gen.txt" | cut -d= -f2) manifests, $(grep '^blobs=' "$T/gen.txt" | cut -d= -f2) blobs, $(du -sh "$root" | cut -f1) on disk ($(df -T "$T" | awk 'NR == 2 {print $2}'))"
cat "$root"/docker/registry/v2/blobs/sha256/*/*/data >/dev/null # warm the cache

time_drydock() { # MODE: median wall seconds over $runs fresh exports
	local mode=$1 i t0 t1
	for ((i = 0; i < runs; i++)); do
		rm -rf "$T/oci-$mode"
		t0=$(now)
		"$MIG" -q --link "$mode" --json "$T/$mode.json" "registry:$root" 2>>"$T/mig.log" \
		    "oci:$T/oci-$mode" || bail "drydock-migrate --link $mode failed"
		t1=$(now)
		echo "$t1 - $t0" | bc
	done | median
}

l0=$(load)
read -r t_hard h_min h_max < <(time_drydock hard)
l1=$(load)
read -r t_copy c_min c_max < <(time_drydock copy)
l2=$(load)
"$MIG" verify -q "registry:$root" "oci:$T/oci-hard" || bail "verify of the hard-link export failed"
"$MIG" verify -q "registry:$root" "oci:$T/oci-copy" || bail "verify of the copy export failed"
imgs=$(jq '.summary.images' "$T/hard.json")
kept_dd=$(jq '[.images[] | select(.kind == "tag" and .digest == .dest_digest)] | length' "$T/hard.json")

# the skopeo path: every tag through the registry API
start_registry "$root"
find "$(v2 "$root")/repositories" -path '*/_manifests/tags/*/current/link' |
	sed -n "s|^$(v2 "$root")/repositories/\(.*\)/_manifests/tags/\([^/]*\)/current/link\$|\1:\2|p" |
	sort >"$T/tags.txt"
l3=$(load)
t0=$(now)
fails=0
while read -r ref; do
	skopeo copy -q --all --src-tls-verify=false "docker://$REG/$ref" \
	    "oci:$T/oci-skopeo:$ref" >>"$T/skopeo.log" 2>&1 || fails=$((fails + 1))
done <"$T/tags.txt"
t1=$(now)
l4=$(load)
t_skopeo=$(echo "$t1 - $t0" | bc)
kept_sk=0
while read -r ref; do
	want=$(cat "$(v2 "$root")/repositories/${ref%:*}/_manifests/tags/${ref##*:}/current/link")
	got=$(jq -r --arg r "$ref" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$T/oci-skopeo/index.json")
	[ "$want" = "$got" ] && kept_sk=$((kept_sk + 1))
done <"$T/tags.txt"
stop_registry

ratio() { echo "scale=1; $1 / $2" | bc; }
say ""
say "path                           wall (s, median [min-max])   load before -> after"
say "$(printf 'drydock-migrate --link hard   %8.3f [%.3f-%.3f]   %s -> %s' "$t_hard" "$h_min" "$h_max" "$l0" "$l1")"
say "$(printf 'drydock-migrate --link copy   %8.3f [%.3f-%.3f]   %s -> %s' "$t_copy" "$c_min" "$c_max" "$l1" "$l2")"
say "$(printf 'docker-registry + skopeo copy %8.3f (one run)         %s -> %s' "$t_skopeo" "$l3" "$l4")"
say ""
say "skopeo path / --link hard: $(ratio "$t_skopeo" "$t_hard")x   skopeo path / --link copy: $(ratio "$t_skopeo" "$t_copy")x   copy / hard: $(ratio "$t_copy" "$t_hard")x"
say "drydock (median of $runs): $imgs images ($tags tags + referrers), $kept_dd of $tags tags kept their registry digest, verify passed"
say "skopeo path (1 run): $(wc -l <"$T/tags.txt") tags, $fails failed, $kept_sk kept their registry digest (Docker schema2 is converted to OCI), referrers not carried"
[ "$fails" -gt 0 ] && say "skopeo failures: $(grep -c 'Invalid destination name' "$T/skopeo.log") are names skopeo refuses as an oci: reference (registry names may hold '__', the OCI ref.name grammar may not)"
say "results: $OUT"
_finished=1
