#!/usr/bin/env bash
# t1030-gc-concurrent-push --- drydock-gc with the DEFAULT grace period runs
# in a loop (alternately with and without -m) on the store of a running
# registry while skopeo pushes new images into it.  The store's garbage is
# aged past the grace period first, so the runs really delete while the
# pushes go on.  Some pushes reuse blobs that are garbage on disk right
# then (the deleted image pushed again into its emptied repository and into
# a new one, the overwritten image tagged again): the registry dedups them,
# so only a fresh _layers link protects an old blob.  Afterwards every
# pushed image and every image kept before must pull, and a final
# --grace 0 -m run must keep them all.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
age_tree "$root" "3 hours ago"
L=$F/layouts
N=$T/new
for i in 1 2 3 4; do
	mkimage -s "race-$i" -b B1 -r "r$i" "$N" >/dev/null
done
mkimage -s race-multi -b B2 -p linux/amd64 -p linux/ppc64le -r rmulti \
    "$N" >/dev/null
mkimage -s race-dock -l 3 -r rdock "$N" >/dev/null

start_registry "$root"

# the gc loop
: >"$T/loop.rc"
(
	i=0
	while [ ! -f "$T/stop" ]; do
		i=$((i + 1))
		if [ $((i % 2)) = 0 ]; then m=-m; else m=; fi
		"$GC" $m --json "$T/loop.$i.json" "$root" \
		    >/dev/null 2>>"$T/loop.err"
		echo "$i $?" >>"$T/loop.rc"
	done
) &
loop_pid=$!
BG_PIDS+=("$loop_pid")

pushed=()
push_race() { # LAYOUT REF REPO:TAG [docker]
	if [ "${4:-}" = docker ]; then
		push_docker "$1" "$2" "$3"
	else
		push_oci "$1" "$2" "$3"
	fi
	pushed+=("$3")
}
push_race "$N" r1 race/one:1
push_race "$L" gone team/gone:again
push_race "$N" r2 race/two:1
push_race "$L" gone team/gone2:1
push_race "$N" rmulti race/multi:1
push_race "$L" app2old team/app:2.0-again
push_race "$N" r3 team/app:race
push_race "$N" rdock race/dock:1 docker
push_race "$L" tmp race/tmp:1
push_race "$N" r4 race/one:2
# let the loop run at least a few more times over the finished pushes
n0=$(wc -l <"$T/loop.rc")
for _ in $(seq 100); do
	[ "$(wc -l <"$T/loop.rc")" -ge $((n0 + 3)) ] && break
	sleep 0.05
done
touch "$T/stop"
wait "$loop_pid"
BG_PIDS=()

runs=$(wc -l <"$T/loop.rc")
diag "$runs drydock-gc runs during the pushes"
assert_true "drydock-gc ran several times during the pushes ($runs)" \
    test "$runs" -ge 4
assert_eq "" "$(awk '$2 != 0' "$T/loop.rc" | head -n 3 | tr '\n' ' ')" \
    "every run exited 0"
if [ -s "$T/loop.err" ]; then
	diag "stderr of the runs:"
	head -n 5 "$T/loop.err" | sed 's/^/#   /'
fi
removed=$(cat "$T"/loop.*.json 2>/dev/null | jq -s '[.[].removed[]] | length')
assert_true "the runs removed garbage while the pushes went on ($removed)" \
    test "${removed:-0}" -gt 0
assert_file_absent "$(v2 "$root")/repositories/team/app/_uploads/$UP_OLD" \
    "the abandoned upload was purged during the pushes"

for ref in "${pushed[@]}" $KEEP_TAGS; do
	pull_ok "$ref" "after the race: pulls $ref"
done
pull_ok "team/app@$R1" "after the race: referrer pulls"

# every new image is tagged: a full collection must keep them
stop_registry
run_gc --grace 0 -m --json "$T/final.json" "$root"
assert_rc 0 "final drydock-gc --grace 0 -m"
start_registry "$root"
for ref in "${pushed[@]}" $KEEP_TAGS; do
	pull_ok "$ref" "after the final run: pulls $ref"
done
finish
