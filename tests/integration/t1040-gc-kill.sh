#!/usr/bin/env bash
# t1040-gc-kill --- drydock-gc --grace 0 -m killed with SIGKILL at many
# points (after k removals through DRYDOCK_GC_TEST_ABORT_AFTER, and after
# random delays), on copies of the zoo fixture.  After each kill the real
# registry must still serve every kept image, and a rerun must converge to
# the very tree an uninterrupted run leaves.  A killed --quarantine run,
# resumed and then restored, must give back the original tree.
. "$(dirname "$0")/lib.sh"
need_test_hooks

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

# reference: one uninterrupted run
cp -a "$F/root" "$T/ref"
t0=$(date +%s%N)
run_gc --grace 0 -m --json "$T/ref.json" "$T/ref"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_rc 0 "uninterrupted run"
content_snapshot "$T/ref" "$T/ref.snap"
items=$(jq '.removed | length' "$T/ref.json")
diag "an uninterrupted run removes $items items"
assert_true "the uninterrupted run has enough to remove ($items)" \
    test "${items:-0}" -ge 20

# after_kill LABEL ROOT PULL: registry check (PULL=1), rerun, compare
after_kill() {
	local label=$1 root=$2 ref
	if [ "$3" = 1 ]; then
		start_registry "$root"
		for ref in $KEEP_TAGS "team/app@$R1"; do
			pull_ok "$ref" "$label: pulls $ref after the kill"
		done
		stop_registry
	fi
	# what the killed run touched last is younger than the 2 s that
	# drydock-gc never removes: let time pass
	age_tree "$root" "10 minutes ago"
	run_gc --grace 0 -m --json "$T/$label.rerun.json" "$root"
	assert_rc 0 "$label: rerun"
	content_snapshot "$root" "$T/$label.snap"
	if cmp -s "$T/ref.snap" "$T/$label.snap"; then
		pass "$label: the rerun converged to the uninterrupted run's tree"
	else
		fail "$label: the rerun converged to the uninterrupted run's tree"
		diff "$T/ref.snap" "$T/$label.snap" | head -n 10 | sed 's/^/#   /'
	fi
}

# 1. deterministic kill points
for k in 0 1 2 5 9 14 $((items / 2)) $((items - 2)) $((items - 1)); do
	[ "$k" -ge 0 ] || continue
	root=$T/k$k
	cp -a "$F/root" "$root"
	DRYDOCK_GC_TEST_ABORT_AFTER=$k run_gc --grace 0 -m "$root"
	assert_eq 137 "$GC_RC" "abort after $k removals: killed by SIGKILL"
	# pulling after every point is slow; check a spread of them
	case $k in 0 | 5 | $((items / 2)) | $((items - 1))) p=1 ;; *) p=0 ;; esac
	after_kill "k$k" "$root" "$p"
done

# 2. kills at random instants (whatever phase the run is in then), spread
# over the time an uninterrupted run took; a kill that comes after the run
# ended proves nothing, so try until 4 kills have hit (at most 16 tries)
diag "an uninterrupted run took $ms ms"
[ "$ms" -ge 4 ] || ms=4
killed=0 i=0
while [ "$killed" -lt 4 ] && [ "$i" -lt 16 ]; do
	i=$((i + 1))
	root=$T/rand$i
	cp -a "$F/root" "$root"
	delay=$(printf '0.%03d' $((1 + RANDOM % ms)))
	"$GC" --grace 0 -m "$root" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	diag "rand$i: killed after ${delay}s, exit $rc"
	[ "$rc" = 137 ] && killed=$((killed + 1))
	after_kill "rand$i" "$root" "$([ "$killed" = 1 ] && [ "$rc" = 137 ] && echo 1 || echo 0)"
done
assert_true "random kills hit a running gc ($killed in $i tries)" \
    test "$killed" -ge 2

# 3. SIGTERM in mid-mark (while reading threads run ahead): exit 32 at
# once, nothing removed, no thread left behind; the rerun does the job
root=$T/term
cp -a "$F/root" "$root"
files_snapshot "$root" "$T/term.0"
DRYDOCK_GC_TEST_SIGTERM_AT_REPO=3 timeout 20 "$GC" --grace 0 -m -j 4 \
    --json "$T/term.json" "$root" >"$T/term.out" 2>"$T/term.err"
assert_eq 32 "$?" "SIGTERM while marking: exit 32 (interrupted)"
assert_jq "$T/term.json" '[.exit_code, (.removed | length)]' '[32,0]' \
    "the interrupted run's report: exit 32, nothing removed"
files_snapshot "$root" "$T/term.1"
assert_true "the interrupted mark changed nothing" \
    cmp -s "$T/term.0" "$T/term.1"
run_gc --grace 0 -m "$root"
assert_rc 0 "rerun after SIGTERM"
content_snapshot "$root" "$T/term.snap"
assert_true "the rerun converged to the uninterrupted run's tree" \
    cmp -s "$T/ref.snap" "$T/term.snap"

# 4. an upload is renamed before it is emptied: a kill in mid-removal leaves
# .drydock-gc-<id>, which the next run removes whatever its age (before,
# a half-emptied upload had lost its startedat and looked a week young)
root=$T/upl
cp -a "$F/root" "$root"
left=$(v2 "$root")/repositories/team/app/_uploads/.drydock-gc-0b9d2a4e-1111-4222-8333-444455556666
mkdir -p "$left/hashstates/sha256"
head -c 4096 /dev/urandom >"$left/data"
: >"$left/hashstates/sha256/4096"
run_gc --json "$T/upl.json" "$root"
assert_rc 0 "a run with the default grace after an interrupted upload removal"
assert_file_absent "$left" "the leftover of the interrupted removal is gone"
assert_jq "$T/upl.json" '[.removed[] | select(.kind == "upload" and
    (.path | contains(".drydock-gc-"))) | .reason]' \
    '["interrupted-removal"]' "reported as an interrupted removal"
run_gc --grace 0 -m --json "$T/upl2.json" "$root"
assert_jq "$T/upl2.json" '[.removed[] | select(.kind == "upload")
    | .path | contains(".drydock-gc-")] | any' false \
    "a real run leaves no .drydock-gc- leftover behind"
assert_eq "" "$(find "$root" -name '.drydock-gc-*')" \
    "no leftover of the upload removals on disk"

# 4b. a repository removal killed after its _layers, _manifests and _uploads
# went but before its own rmdir leaves an empty directory that is no
# repository any more: the next run removes it (and its emptied parents)
# once it is older than the grace period, and leaves a young one
root=$T/emptyrepo
cp -a "$F/root" "$root"
mkdir -p "$(v2 "$root")/repositories/gone2/inner" \
    "$(v2 "$root")/repositories/team/young-empty"
age_tree "$root" "10 minutes ago"
touch "$(v2 "$root")/repositories/team/young-empty"
run_gc --grace 1m --json "$T/emptyrepo.json" "$root"
assert_rc 0 "a run over empty leftover directories"
assert_file_absent "$(v2 "$root")/repositories/gone2" \
    "an old empty leftover directory is removed, with its emptied parent"
assert_file_present "$(v2 "$root")/repositories/team/young-empty" \
    "a young empty directory is left (a push may be creating it)"
assert_jq "$T/emptyrepo.json" '[.removed[] | select(.path ==
    "repositories/gone2/inner") | .reason]' '["empty-repository"]' \
    "reported as an empty repository"

# 5. quarantine: killed, resumed into the same quarantine, restored
root=$T/quar
cp -a "$F/root" "$root"
files_snapshot "$root" "$T/orig.snap"
DRYDOCK_GC_TEST_ABORT_AFTER=7 run_gc --grace 0 -m --quarantine "$T/q" "$root"
assert_eq 137 "$GC_RC" "quarantine run killed after 7 moves"
run_gc --grace 0 -m --quarantine "$T/q" --json "$T/quar.json" "$root"
assert_rc 0 "quarantine run resumed"
content_snapshot "$root" "$T/quar.snap"
if cmp -s "$T/ref.snap" "$T/quar.snap"; then
	pass "killed and resumed quarantine run: same tree as a plain run"
else
	fail "killed and resumed quarantine run: same tree as a plain run"
	diff "$T/ref.snap" "$T/quar.snap" | head -n 10 | sed 's/^/#   /'
fi
run_gc --restore "$T/q" "$root"
assert_rc 0 "restore after the killed and resumed run"
files_snapshot "$root" "$T/restored.snap"
if cmp -s "$T/orig.snap" "$T/restored.snap"; then
	pass "restore gave back every file of the original tree"
else
	fail "restore gave back every file of the original tree"
	diff "$T/orig.snap" "$T/restored.snap" | head -n 10 | sed 's/^/#   /'
fi
start_registry "$root"
pull_ok "team/app@$APP2_OLD" "restored: old 2.0 pulls by digest"
pull_ok "team/app@$R2" "restored: orphan referrer pulls by digest"
pull_ok team/multi:1.0 "restored: team/multi:1.0 pulls"
finish
