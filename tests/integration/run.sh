#!/usr/bin/env bash
# run.sh [TEST...] --- run the integration tests (tests/integration/t*.sh, or
# the ones named: "t1000-gc-basic.sh", "t1000-gc-basic" or a path), at most
# JOBS (default 2) at a time, each with its own registry port and temp dir.
# Prints ok / not ok per script (with the failing lines of a failed one) and
# ends with "integration: N passed, M failed"; exits 1 when any failed.
#
# Environment: DRYDOCK_BIN, DRYDOCK_TOOLS (set by the Makefile), VALGRIND=1,
# JOBS, KEEP=1 (keep every test's temp dir), VERBOSE=1 (print every log).
set -u

here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-2}

tests=()
if [ $# -eq 0 ]; then
	for t in "$here"/t*.sh; do
		[ -f "$t" ] && tests+=("$t")
	done
else
	for a in "$@"; do
		case "$a" in
		*/*) t=$a ;;
		*.sh) t=$here/$a ;;
		*) t=$here/$a.sh ;;
		esac
		[ -f "$t" ] || { echo "run.sh: no test $a" >&2; exit 2; }
		tests+=("$t")
	done
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "integration: 0 passed, 0 failed"
	exit 0
fi

for tool in docker-registry skopeo curl jq; do
	command -v "$tool" >/dev/null ||
		{ echo "run.sh: $tool is not installed (tests/deps.sh)" >&2; exit 2; }
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/drydock-it-run.XXXXXX")
export DRYDOCK_IT_CACHE=$logs/fixtures
mkdir -p "$DRYDOCK_IT_CACHE"
cleanup() {
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0 fail=0
declare -A name_of start_of

report() { # PID RC
	local n=${name_of[$1]} rc=$2 secs
	secs=$(($(date +%s) - ${start_of[$1]}))
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $n (${secs}s)"
		[ "${VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$logs/$n.log"
	else
		fail=$((fail + 1))
		echo "not ok - $n (exit $rc, ${secs}s)"
		if [ "${VERBOSE:-0}" = 1 ]; then
			sed 's/^/    /' "$logs/$n.log"
		else
			grep -A8 -E '^(not ok|Bail out)' "$logs/$n.log" |
				head -n 60 | sed 's/^/    /'
			grep -E '^# kept' "$logs/$n.log" | sed 's/^/    /'
		fi
	fi
}

running=0
for t in "${tests[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n -p done_pid
		rc=$?
		report "$done_pid" "$rc"
		running=$((running - 1))
	fi
	n=$(basename "$t" .sh)
	bash "$t" >"$logs/$n.log" 2>&1 &
	name_of[$!]=$n
	start_of[$!]=$(date +%s)
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n -p done_pid
	rc=$?
	report "$done_pid" "$rc"
	running=$((running - 1))
done

echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
