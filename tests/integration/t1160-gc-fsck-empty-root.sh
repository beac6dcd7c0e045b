#!/usr/bin/env bash
# t1160-gc-fsck-empty-root --- a registry before its first push (Debian's
# docker-registry with its root /var/lib/docker-registry still empty) has no
# docker/registry/v2.  drydock-gc and drydock-fsck take that for an empty,
# clean store: exit 0, a note "no docker/registry/v2 yet: nothing to do"
# (none under -q), reports and metrics as for an empty store, and the root
# left exactly as it was (nothing created).  Before, both exited 8, so the
# nightly timers of a fresh install failed every night.  A root that does
# not exist, or a path that is a file, stays exit 8.
. "$(dirname "$0")/lib.sh"

NOTE='no docker/registry/v2 yet: nothing to do'

# check_empty_outputs LABEL gc|fsck: the last run's outputs ($T/o.*) are
# those of an empty, clean store, and $root is unchanged
check_empty_outputs() {
	local l=$1 tool=$2
	if [ "$tool" = gc ]; then
		check_report_consistent "$T/o.json" "$l"
		assert_jq "$T/o.json" '[.summary.repositories, .summary.blobs,
		    .summary.problems, .exit_code]' '[0,0,0,0]' "$l: empty, clean"
		assert_true "$l: metrics say exit 0" \
		    grep -qx 'drydock_gc_exit_code 0' "$T/o.prom"
	else
		check_fsck_report "$T/o.json" "$l"
		assert_jq "$T/o.json" '[.summary.repositories,
		    (.findings | length), .exit_code]' '[0,0,0]' "$l: empty, clean"
		assert_true "$l: metrics say exit 0" \
		    grep -qx 'drydock_fsck_exit_code 0' "$T/o.prom"
	fi
	snapshot "$root" "$T/s1"
	assert_true "$l: the root is as it was" cmp -s "$T/s0" "$T/s1"
	assert_file_absent "$root/docker/registry/v2" "$l: no docker/registry/v2 made"
}

# an empty root directory, and one where only docker/registry exists
for shape in empty partial; do
	root=$T/root-$shape
	mkdir -p "$root"
	[ "$shape" = partial ] && mkdir -p "$root/docker/registry"
	snapshot "$root" "$T/s0"
	for mode in -n real; do
		args=()
		[ "$mode" = -n ] && args=(-n)
		rm -f "$T/o.json" "$T/o.prom"
		run_gc "${args[@]}" --grace 0 -m --json "$T/o.json" \
		    --metrics "$T/o.prom" "$root"
		assert_rc 0 "gc $mode, $shape root: exit 0"
		assert_true "gc $mode, $shape root: says why" \
		    grep -qF "$NOTE" "$T/gc.err"
		check_empty_outputs "gc $mode, $shape root" gc
	done
	for mode in -n --state -p; do
		case $mode in
		-n) args=(-n) ;;
		--state) args=(--state "$T/state-$shape.sqlite" --verify changed) ;;
		-p) args=(-p --quarantine "$T/q-$shape") ;;
		esac
		rm -f "$T/o.json" "$T/o.prom"
		run_fsck "${args[@]}" --json "$T/o.json" --metrics "$T/o.prom" \
		    "$root"
		assert_fsck_rc 0 "fsck $mode, $shape root: exit 0"
		assert_true "fsck $mode, $shape root: says why" \
		    grep -qF "$NOTE" "$T/fsck.err"
		check_empty_outputs "fsck $mode, $shape root" fsck
	done
	assert_file_absent "$T/q-$shape" "fsck -p, $shape root: no quarantine made"
done

# quiet runs say nothing; --config finds the empty root as well
root=$T/root-empty
write_registry_config "$T/config.yml" "$root"
run_gc -q --config "$T/config.yml"
assert_rc 0 "gc -q --config, empty root: exit 0"
assert_eq "" "$(cat "$T/gc.out" "$T/gc.err")" "gc -q: prints nothing"
run_fsck -q --config "$T/config.yml"
assert_fsck_rc 0 "fsck -q --config, empty root: exit 0"
assert_eq "" "$(cat "$T/fsck.out" "$T/fsck.err")" "fsck -q: prints nothing"

# what is not a root at all stays an operational error
for bad in "$T/missing" "$T/afile"; do
	[ "$bad" = "$T/afile" ] && : >"$bad"
	run_gc -n "$bad"
	assert_rc 8 "gc -n $(basename "$bad"): exit 8"
	run_fsck "$bad"
	assert_fsck_rc 8 "fsck $(basename "$bad"): exit 8"
done
assert_file_absent "$T/missing" "the missing root was not created"

# a restore needs a store to put things back into: still exit 8
run_gc --restore "$T/q-empty" "$T/root-empty"
assert_rc 8 "gc --restore into an empty root: exit 8"

# the real thing: docker-registry serving an empty root, then its first push
root=$T/live
start_registry "$root"
assert_file_absent "$root/docker/registry/v2" \
    "docker-registry serving: still no docker/registry/v2"
run_gc --grace 0 "$root"
assert_rc 0 "gc beside a registry before its first push: exit 0"
run_fsck "$root"
assert_fsck_rc 0 "fsck beside a registry before its first push: exit 0"
L=$T/layout
mkimage -s empty-root-a -r a "$L" >/dev/null
push_oci "$L" a first/app:1
run_gc --grace 0 "$root"
assert_rc 0 "gc after the first push: exit 0"
assert_false "gc after the first push: no note" grep -qF "$NOTE" "$T/gc.err"
assert_true "gc after the first push: sees the repository" \
    grep -q ' 1 repositories' "$T/gc.out"
run_fsck "$root"
assert_fsck_rc 0 "fsck after the first push: exit 0"
pull_ok first/app:1 "the first image still pulls"

finish
