#!/usr/bin/env bash
# t1150-gc-docs --- drydock-gc's documentation is in step with the code:
# gc/check-reasons.sh finds every (kind, reason) of gc/reasons.h under
# "Kinds and their reasons" in drydock-gc(8), and fails when one is missing
# or one the code does not have is listed; every reason a real run reports
# is in the table; every long option of --help is in the man page; the man
# page renders without warnings.
. "$(dirname "$0")/lib.sh"

CR=$SRC_DIR/gc/check-reasons.sh
H=$SRC_DIR/gc/reasons.h
MAN=$SRC_DIR/gc/drydock-gc.8

assert_true "check-reasons: every reason is in the man page" "$CR" "$H" "$MAN"

sed '/^\.BR blob\\-removed ,$/d' "$MAN" >"$T/missing.8"
assert_false "check-reasons fails when a reason is not listed" \
    "$CR" "$H" "$T/missing.8"
assert_true "and names it" sh -c "'$CR' '$H' '$T/missing.8' 2>&1 |
    grep -q 'layer-link blob-removed'"
sed 's/^\.B empty\\-repository$/.BR empty\\-repository ,\n.B no\\-such\\-reason/' \
    "$MAN" >"$T/extra.8"
assert_false "check-reasons fails on a reason that does not exist" \
    "$CR" "$H" "$T/extra.8"
sed 's/X(STALE_UPLOAD, "stale-upload", UPLOAD)/X(STALE_UPLOAD, "stale-upload", BLOB)/' \
    "$H" >"$T/moved.h"
assert_false "check-reasons fails when a reason moves to another kind" \
    "$CR" "$T/moved.h" "$MAN"

# what a real run reports is in the table
use_fixture zoo "$T/zoo"
cp -a "$T/zoo/root" "$T/root"
run_gc --grace 0 -m --json "$T/r.json" "$T/root"
assert_rc 0 "a run that removes every kind it can"
jq -r '.removed[] | "\(.kind) \(.reason)"' "$T/r.json" | sort -u >"$T/seen"
sed -n 's/^[[:space:]]*X(\([A-Z_]*\), "\([a-z-]*\)")[[:space:]\\]*$/\1 \2/p' \
    "$H" >"$T/kinds"
sed -n 's/^[[:space:]]*X([A-Z_]*, "\([a-z-]*\)", \([A-Z_]*\))[[:space:]\\]*$/\2 \1/p' \
    "$H" | while read -r kid reason; do
	echo "$(awk -v k="$kid" '$1 == k {print $2}' "$T/kinds") $reason"
done | sort -u >"$T/table"
assert_eq "" "$(comm -23 "$T/seen" "$T/table")" \
    "every (kind, reason) the run reported is in reasons.h"
assert_true "the run reported several reasons" \
    test "$(wc -l <"$T/seen")" -ge 5

# every policy docs/operations.md shows (section 12) is one drydock-gc accepts
awk -v d="$T" '/^## / { s = /^## 12\./ } s && /^```yaml/ { f = 1; n++; next }
    f && /^```/ { f = 0; next } f { print > (d "/doc" n ".yml") }' \
    "$SRC_DIR/docs/operations.md"
mkdir -p "$T/empty"
n=0
for p in "$T"/doc*.yml; do
	[ -f "$p" ] || continue
	n=$((n + 1))
	run_gc -n -q --policy "$p" "$T/empty"
	[ "$GC_RC" = 0 ] || { fail "docs/operations.md: policy $p is refused";
		head -n 3 "$T/gc.err" | sed 's/^/#   /'; }
done
assert_true "docs/operations.md shows policies ($n), each accepted" test "$n" -ge 3

run_gc --help
check_man_page "$T/gc.out" "$MAN"
finish
