#!/usr/bin/env bash
# t3060-migrate-live --- a backup taken while docker-registry serves
# pushes: every export run exits 0 and verifies (a tag being written is
# either skipped with a warning or carried complete), the registry keeps
# serving, and a final export after the pushes carries every tag.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
root=$T/f/root
L=$T/layouts
for i in 1 2 3 4 5 6; do
	mkimage -s "live-$i" -b B1 -r "live$i" "$L" >/dev/null
done
start_registry "$root"
(
	for round in 1 2 3; do
		for i in 1 2 3 4 5 6; do
			skopeo copy -q --dest-tls-verify=false "oci:$L:live$i" \
			    "docker://$REG/live/app:r$round-$i" >/dev/null 2>&1
			skopeo copy -q --dest-tls-verify=false "oci:$L:live$(( (i % 6) + 1 ))" \
			    "docker://$REG/live/app:moving" >/dev/null 2>&1
		done
	done
) &
pusher=$!
BG_PIDS+=("$pusher")
runs=0
bad=0
while kill -0 "$pusher" 2>/dev/null && [ "$runs" -lt 20 ]; do
	runs=$((runs + 1))
	run_migrate --verify --json "$T/live-$runs.json" "registry:$root" "oci:$T/lay-$runs"
	if [ "$MIG_RC" != 0 ] || [ "$(jq '.verify.ok' "$T/live-$runs.json")" != true ]; then
		bad=$((bad + 1))
		diag "run $runs: exit $MIG_RC"
		head -n 5 "$T/mig.err" | sed 's/^/#   /'
	fi
done
wait "$pusher"
assert_true "several exports ran during the pushes ($runs)" test "$runs" -ge 2
assert_eq 0 "$bad" "every export during the pushes exited 0 and verified"
pull_ok library/single:1.0 "the registry still serves"
run_migrate --verify --json "$T/final.json" "registry:$root" "oci:$T/final"
assert_mig_rc 0 "the export after the pushes"
assert_jq "$T/final.json" '[.images[] | select(.repository == "live/app") | .tag] | length' 19 \
    "it carries all 18 pushed tags and the moving one"
assert_eq "$(manifest_digest live/app moving)" \
    "$(oci_entry "$T/final" live/app:moving | cut -d' ' -f2)" \
    "the moving tag as the registry has it now"
stop_registry
finish
