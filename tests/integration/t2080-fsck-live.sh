#!/usr/bin/env bash
# t2080-fsck-live --- drydock-fsck beside a registry that is serving pushes:
# while skopeo pushes new images (new layers, configs, manifests, an index,
# tags moved), fsck runs again and again on the same storage.  The registry
# writes data before the links that name it, so no run may report a
# problem; at the end a quiet run sees every pushed image and exits 0.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
L=$T/layouts
for i in 1 2 3 4 5 6; do
	mkimage -s "live$i" -b live-base -l 3 -z 200000 -r "l$i" "$L" >/dev/null
done
mkimage -s live-m -b live-base -p linux/amd64 -p linux/arm64/v8 -r m "$L" \
    >/dev/null

start_registry "$root"
(
	for i in 1 2 3 4 5 6; do
		push_oci "$L" "l$i" "live/app$((i % 3)):v$i"
		push_oci "$L" "l$i" "live/app$((i % 3)):latest"
	done
	push_oci "$L" m live/multi:1
	touch "$T/pushed"
) >"$T/pusher.log" 2>&1 &
pusher=$!
BG_PIDS+=("$pusher")

runs=0 bad=0
while [ ! -f "$T/pushed" ] && [ "$runs" -lt 200 ]; do
	runs=$((runs + 1))
	run_fsck --json "$T/live.json" "$root"
	if [ "$FSCK_RC" != 0 ] ||
	    [ "$(jq '.summary.findings.problem' "$T/live.json")" != 0 ]; then
		bad=$((bad + 1))
		cp "$T/live.json" "$T/live-bad-$bad.json"
		[ "$bad" -le 3 ] && jq -c '.findings[] | select(.severity ==
		    "problem") | [.id, .path, .detail]' "$T/live.json" |
			head -n 5 | sed 's/^/# /'
	fi
done
wait "$pusher"
assert_eq 0 "$?" "the pushes succeeded"
assert_true "fsck ran during the pushes ($runs runs)" test "$runs" -ge 3
assert_eq 0 "$bad" "no run during the pushes reported a problem"

run_fsck --json "$T/end.json" "$root"
assert_fsck_rc 0 "after the pushes: exit 0"
assert_jq "$T/end.json" '.summary.tags' 18 \
    "the final run sees the 8 old and 10 new tags"
for i in 1 2 3 4 5 6; do
	pull_ok "live/app$((i % 3)):v$i"
done
pull_ok live/multi:1
stop_registry
finish
