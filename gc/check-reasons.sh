#!/bin/sh
# check-reasons.sh --- every (kind, reason) pair of gc/reasons.h is listed in
# drydock-gc(8) under "Kinds and their reasons", and the man page lists no
# pair that does not exist.  Prints what is wrong and exits 1; exits 0 when
# both lists agree.
#
#   gc/check-reasons.sh [REASONS_H [MAN_PAGE]]
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
h=${1:-$dir/reasons.h}
man=${2:-$dir/drydock-gc.8}
. "$dir/../tests/doc-table.sh"
doc_table_begin check-reasons

# X(ID, "kind") in GC_KINDS, X(ID, "reason", KIND) in GC_REASONS
sed -n 's/^[[:space:]]*X(\([A-Z_]*\), "\([a-z-]*\)")[[:space:]\\]*$/\1 \2/p' \
    "$h" >"$tmp/kinds"
sed -n 's/^[[:space:]]*X([A-Z_]*, "\([a-z-]*\)", \([A-Z_]*\))[[:space:]\\]*$/\2 \1/p' \
    "$h" | while read -r kid reason; do
	kind=$(awk -v k="$kid" '$1 == k {print $2}' "$tmp/kinds")
	echo "${kind:-?$kid} $reason"
done | LC_ALL=C sort >"$tmp/code"

# between "Kinds and their reasons:" and the next .SH: ".TP", ".B kind",
# then ".BR reason ," / ".B reason" lines
sed -n '/^Kinds and their reasons:/,/^\.SH /p' "$man" |
	sed 's/\\-/-/g' | awk '
	/^\.TP/ { want_kind = 1; next }
	/^\.BR? / {
		w = $2
		if (want_kind) { kind = w; want_kind = 0; next }
		print kind, w
	}' | LC_ALL=C sort >"$tmp/man"

doc_table_compare reason "$tmp/code" "$tmp/man" "$h" "$man"
[ -f "$tmp/bad" ] && exit 1
echo "check-reasons: all $(wc -l <"$tmp/code") reasons are listed in $(basename "$man")"
