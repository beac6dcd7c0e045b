#!/usr/bin/env bash
# run.sh DIR --- run every cmocka unit test binary in DIR; VALGRIND=1 runs
# them under valgrind with leak checking.
set -u
dir=$1
fail=0; pass=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o) continue ;; esac
	if [ "${VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		    --error-exitcode=99 --suppressions=tests/valgrind.supp "$t" \
		    >"$t.log" 2>&1
	else
		"$t" >"$t.log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $t (exit $rc)"; cat "$t.log"
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
