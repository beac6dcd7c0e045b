#!/usr/bin/env bash
# api-bench.sh --- registry to registry and registry to OCI layout over the
# distribution API: a generated tree (about 100 tags) served by one
# docker-registry on 127.0.0.1, copied into a second, empty one and into an
# OCI layout, with drydock-migrate (docker://HOST/ --all-repositories, -j)
# and with `skopeo copy --all` once per tag, the way users script it today.
# Prints wall times, the ratios, and how many tags kept their digest on
# each path (checked against the source registry).  Not part of make check.
#
#   tests/bench/api-bench.sh [--repos N] [--jobs N] [--keep]
#
# Needs the plain build (make all).  Results also go to
# tests/bench/out/api-<UTC time>.txt.
set -u
repos=20
jobs=4
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--repos) repos=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "api-bench: unknown argument $1" >&2; exit 16 ;;
	esac
	shift
done

SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
MIG=$SRC_DIR/build/plain/bin/drydock-migrate
GEN=$SRC_DIR/build/plain/tests/bench/gen-tree
[ -x "$MIG" ] && [ -x "$GEN" ] || { echo "api-bench: make all first" >&2; exit 8; }
export DRYDOCK_BIN=$SRC_DIR/build/plain/bin
# shellcheck source=../integration/lib.sh
. "$SRC_DIR/tests/integration/lib.sh"
[ "$keep" = 1 ] && KEEP=1
mkdir -p "$SRC_DIR/tests/bench/out"
OUT=$SRC_DIR/tests/bench/out/api-$(date -u +%Y%m%dT%H%M%SZ).txt

say() { printf '%s\n' "$*" | tee -a "$OUT"; }
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# a second docker-registry (lib.sh runs one): serve ROOT, print HOST:PORT
DST_PIDS=()
serve() {
	local root=$1 port cfg i
	mkdir -p "$root"
	port=$((20000 + (RANDOM * 32768 + RANDOM + $$) % 40000))
	cfg=$T/reg-$port.yml
	printf '%s\n' "version: 0.1" "log: {level: error, accesslog: {disabled: true}}" \
	    "storage:" "  filesystem: {rootdirectory: $root}" \
	    "  maintenance: {uploadpurging: {enabled: false}}" \
	    "http: {addr: 127.0.0.1:$port, secret: bench}" \
	    "health: {storagedriver: {enabled: false}}" >"$cfg"
	docker-registry serve "$cfg" >>"$T/dst-registry.log" 2>&1 &
	DST_PIDS+=($!)
	BG_PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		[ "$(curl -s "http://127.0.0.1:$port/v2/")" = "{}" ] && break
		sleep 0.05
	done
	echo "127.0.0.1:$port"
}

root=$T/root
"$GEN" --repos "$repos" -q "$root" >"$T/gen.txt" || bail "gen-tree failed"
start_registry "$root"
SRC=$REG
find "$(v2 "$root")/repositories" -path '*/_manifests/tags/*/current/link' |
	sed -n "s|^$(v2 "$root")/repositories/\(.*\)/_manifests/tags/\([^/]*\)/current/link\$|\1:\2|p" |
	sort >"$T/tags.txt"
ntags=$(wc -l <"$T/tags.txt")
while read -r ref; do # the digest each tag has at the source
	printf '%s %s\n' "$ref" "$(manifest_digest "${ref%:*}" "${ref##*:}")"
done <"$T/tags.txt" >"$T/want.txt"
say "api-bench: $(date -u), $(nproc) cores, $(uname -r), load $(load)"
say "source: $repos repositories, $ntags tags, $(grep '^blobs=' "$T/gen.txt" | cut -d= -f2) blobs, $(du -sh "$root" | cut -f1), docker-registry on 127.0.0.1"

# kept HOST: how many tags HOST serves with the source's digest
kept_at() {
	local host=$1 n=0 ref want got
	while read -r ref want; do
		got=$(curl -s -I -H "$ACCEPT" "http://$host/v2/${ref%:*}/manifests/${ref##*:}" |
		    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
		[ "$got" = "$want" ] && n=$((n + 1))
	done <"$T/want.txt"
	echo "$n"
}
# kept_oci DIR: how many tags index.json names with the source's digest
kept_oci() {
	local n=0 ref want got
	while read -r ref want; do
		got=$(jq -r --arg r "$ref" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$1/index.json" | head -n 1)
		[ "$got" = "$want" ] && n=$((n + 1))
	done <"$T/want.txt"
	echo "$n"
}

# registry -> registry
D1=$(serve "$T/dst1")
t0=$(now)
"$MIG" -q -j "$jobs" --all-repositories --json "$T/d1.json" \
    "docker://$SRC/" "docker://$D1/" 2>>"$T/mig.log" || say "drydock-migrate to a registry exited $?"
t_dd_reg=$(echo "$(now) - $t0" | bc)
kept_dd_reg=$(kept_at "$D1")
D2=$(serve "$T/dst2")
t0=$(now)
fails_reg=0
while read -r ref; do
	skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false \
	    "docker://$SRC/$ref" "docker://$D2/$ref" >>"$T/skopeo.log" 2>&1 ||
		fails_reg=$((fails_reg + 1))
done <"$T/tags.txt"
t_sk_reg=$(echo "$(now) - $t0" | bc)
kept_sk_reg=$(kept_at "$D2")

# registry -> OCI layout
t0=$(now)
"$MIG" -q -j "$jobs" --all-repositories --json "$T/d2.json" \
    "docker://$SRC/" "oci:$T/oci-dd" 2>>"$T/mig.log" || say "drydock-migrate to oci: exited $?"
t_dd_oci=$(echo "$(now) - $t0" | bc)
kept_dd_oci=$(kept_oci "$T/oci-dd")
t0=$(now)
fails_oci=0
while read -r ref; do
	skopeo copy -q --all --src-tls-verify=false "docker://$SRC/$ref" \
	    "oci:$T/oci-sk:$ref" >>"$T/skopeo.log" 2>&1 || fails_oci=$((fails_oci + 1))
done <"$T/tags.txt"
t_sk_oci=$(echo "$(now) - $t0" | bc)
kept_sk_oci=$(kept_oci "$T/oci-sk")

ratio() { echo "scale=1; $1 / $2" | bc; }
say ""
say "path                                   wall (s)   tags with the source's digest"
say "$(printf 'registry -> registry  drydock-migrate  %8.2f   %d of %d' "$t_dd_reg" "$kept_dd_reg" "$ntags")"
say "$(printf 'registry -> registry  skopeo copy      %8.2f   %d of %d (%d failed)' "$t_sk_reg" "$kept_sk_reg" "$ntags" "$fails_reg")"
say "$(printf 'registry -> oci:      drydock-migrate  %8.2f   %d of %d' "$t_dd_oci" "$kept_dd_oci" "$ntags")"
say "$(printf 'registry -> oci:      skopeo copy      %8.2f   %d of %d (%d failed)' "$t_sk_oci" "$kept_sk_oci" "$ntags" "$fails_oci")"
say ""
say "skopeo / drydock: registry -> registry $(ratio "$t_sk_reg" "$t_dd_reg")x, registry -> oci: $(ratio "$t_sk_oci" "$t_dd_oci")x (-j $jobs)"
say "drydock: $(jq -c '.summary' "$T/d1.json"), network $(jq -c '.network' "$T/d1.json")"
say "results: $OUT"
for p in "${DST_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
_finished=1
