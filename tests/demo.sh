#!/usr/bin/env bash
# demo.sh --- `make demo`: a small registry built here and now, made messy
# the way real ones get, then cleaned by drydock-gc while it keeps serving.
#
# Needs docker-registry, skopeo, curl and jq (tests/deps.sh installs them).
# Everything lives in a temp dir, removed at the end (KEEP=1 keeps it).
# DRYDOCK_BIN names the directory of drydock-gc (default build/plain/bin).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
if [ -z "${DRYDOCK_BIN:-}" ]; then
	DRYDOCK_BIN=$src/build/${VARIANT:-plain}/bin
	[ -x "$DRYDOCK_BIN/drydock-gc" ] || DRYDOCK_BIN=$src/gc
fi
export DRYDOCK_BIN
for tool in docker-registry skopeo curl jq; do
	command -v "$tool" >/dev/null || {
		echo "demo: $tool is not installed (run tests/deps.sh)" >&2
		exit 2
	}
done
[ -x "$DRYDOCK_BIN/drydock-gc" ] || {
	echo "demo: no drydock-gc in $DRYDOCK_BIN (run make first)" >&2
	exit 2
}

# the integration tests' helpers: registry, pushes, pulls
. "$here/integration/lib.sh"
GCBIN=$DRYDOCK_BIN/drydock-gc

if [ -t 1 ]; then
	B=$(printf '\033[1m') D=$(printf '\033[2m') G=$(printf '\033[32m')
	R=$(printf '\033[31m') N=$(printf '\033[0m')
else
	B="" D="" G="" R="" N=""
fi
step() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
run() { # show a command, then run it
	printf '   %s$ %s%s\n' "$D" "$*" "$N"
	"$@" 2>&1 | sed 's/^/     /'
	return "${PIPESTATUS[0]}"
}
die() {
	printf '%sdemo failed: %s%s\n' "$R" "$*" "$N"
	exit 1
}
bail() { die "$*"; }
usage_of() { du -sh "$root" | cut -f1; }

root=$T/registry
L=$T/images
V=$(v2 "$root")

step "1. A registry of our own"
say "docker-registry (CNCF distribution 2.8.2), listening on 127.0.0.1 only,"
say "storage in $root"
start_registry "$root"
say "up at http://$REG/v2/"

step "2. Images, built offline and pushed with skopeo"
"$MKIMAGE" -s web-1.0 -b debian -l 2 -z 60000 -r web-1.0 "$L" >/dev/null
"$MKIMAGE" -s web-1.1 -b debian -l 2 -z 60000 -r web-1.1 "$L" >/dev/null
"$MKIMAGE" -s web-1.2 -b debian -l 2 -z 60000 -r web-1.2 "$L" >/dev/null
"$MKIMAGE" -s api-2.0 -b debian -l 3 -z 60000 -r api-2.0 "$L" >/dev/null
"$MKIMAGE" -s tool -b alpine -p linux/amd64 -p linux/arm64/v8 -p linux/s390x \
    -l 2 -z 60000 -r tool "$L" >/dev/null
"$MKIMAGE" -s scratch -l 4 -z 60000 -r scratch "$L" >/dev/null
push_oci "$L" web-1.0 shop/web:1.0
say "shop/web:1.0            OCI image (base layer 'debian' + 2 layers)"
push_oci "$L" web-1.1 shop/web:latest
say "shop/web:latest         first version"
push_oci "$L" web-1.2 shop/web:latest
say "shop/web:latest         pushed again: the first version is now untagged"
push_docker "$L" api-2.0 shop/api:2.0
say "shop/api:2.0            Docker schema 2 image, same base layer"
push_oci "$L" tool tools/multi:1.0
say "tools/multi:1.0         multi-arch index: amd64, arm64, s390x"
push_oci "$L" scratch shop/scratch:tmp
d=$(manifest_digest shop/scratch tmp)
api_delete_manifest shop/scratch "$d"
say "shop/scratch:tmp        pushed, then deleted through the API"
id=$(start_upload shop/api 200000)
say "shop/api                an upload started and never finished"
stop_registry
age_upload "$root" shop/api "$id" "$(date -u -d '10 days ago' +%Y-%m-%dT%H:%M:%SZ)"
say "                        (back-dated 10 days: uploads go after 7 days)"
start_registry "$root"

step "3. What the storage holds now"
before_h=$(usage_of)
before_n=$(count_blobs "$root")
say "$before_h on disk, $before_n blobs"
say "The registry never frees space by itself: a DELETE or an overwritten"
say "tag only unlinks manifests, and abandoned uploads stay forever."
say "distribution's own 'garbage-collect' needs the registry stopped, and"
say "with --delete-untagged it breaks multi-arch images (their children are"
say "untagged)."

step "4. drydock-gc --dry-run: what would go, changing nothing"
say "-m (--delete-untagged) makes tags the only roots: untagged revisions go,"
say "except the children of kept indexes and referrers of kept manifests."
say "--grace 0 because this store is a minute old; the default (1h) never"
say "touches anything younger, which keeps running pushes safe."
sleep 2
run "$GCBIN" --dry-run --grace 0 -m -v "$root" || die "dry run"
say "(nothing changed: still $(usage_of))"

step "5. drydock-gc --grace 0 -m, with the registry still serving"
run "$GCBIN" --grace 0 -m --json "$T/report.json" "$root"
rc=$?
[ "$rc" -eq 0 ] || die "drydock-gc exited $rc"
say ""
say "${G}reclaimed $(numfmt --to=iec "$(jq .summary.removed_bytes \
    "$T/report.json")")${N} of data: $before_h in $before_n blobs before, $(usage_of) in $(count_blobs "$root") blobs now"
say "by kind: $(jq -r '.summary.removed | to_entries |
    map("\(.value) \(.key)") | join(", ")' "$T/report.json")"
say "the machine-readable report (--json) lists every item, e.g.:"
jq -c '.removed[] | select(.kind == "revision" or .kind == "upload")' \
    "$T/report.json" | head -n 3 | sed 's/^/     /'

step "6. Every remaining tag still pulls (skopeo verifies every digest)"
fails=0
for repo in $(curl -s "http://$REG/v2/_catalog" | jq -r '.repositories[]'); do
	for tag in $(curl -s "http://$REG/v2/$repo/tags/list" |
	    jq -r '.tags // [] | .[]'); do
		if pull "$repo:$tag"; then
			say "${G}ok${N}  $repo:$tag"
		else
			say "${R}FAIL${N} $repo:$tag"
			fails=$((fails + 1))
		fi
	done
done
say "(tools/multi:1.0 was pulled with --all: every platform)"
stop_registry
[ "$fails" -eq 0 ] || die "$fails tags did not pull"

step "Done"
say "drydock-gc kept every tagged image whole and removed the rest."
say "Try it on your own registry, first with --dry-run:"
say "  drydock-gc --dry-run --config /etc/docker/registry/config.yml"
[ "${KEEP:-0}" = 1 ] && say "the demo registry is kept in $root"
_finished=1
exit 0
