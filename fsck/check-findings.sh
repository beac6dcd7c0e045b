#!/bin/sh
# check-findings.sh --- every finding ID in fsck/findings.h is explained in
# fsck/drydock-fsck.8 (section FINDINGS, as '.BR ID " (severity)"') with its
# default severity, and the man page explains no ID that does not exist.
# Prints what is wrong and exits 1; exits 0 when both lists agree.
#
#   fsck/check-findings.sh [FINDINGS_H [MAN_PAGE]]
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
h=${1:-$dir/findings.h}
man=${2:-$dir/drydock-fsck.8}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-findings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# X(ID, SEVERITY, ... in the FSCK_FINDINGS table
sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\),[[:space:]]*\([A-Z]*\).*/\1 \2/p' "$h" |
	sed 's/ PROBLEM$/ problem/; s/ WARNING$/ warning/; s/ INFO$/ info/' |
	LC_ALL=C sort >"$tmp/code"
# .BR ID " (severity)" between .SH FINDINGS and the next .SH
sed -n '/^\.SH FINDINGS/,/^\.SH /p' "$man" |
	sed -n 's/^\.BR \([A-Z0-9_]*\) " (\([a-z]*\))"$/\1 \2/p' |
	LC_ALL=C sort >"$tmp/man"

if [ ! -s "$tmp/code" ]; then
	echo "check-findings: no finding found in $h" >&2
	exit 1
fi
rc=0
LC_ALL=C comm -23 "$tmp/code" "$tmp/man" | while read -r id sev; do
	echo "check-findings: $id ($sev) is not explained in $man" >&2
	echo x >>"$tmp/bad"
done
LC_ALL=C comm -13 "$tmp/code" "$tmp/man" | while read -r id sev; do
	echo "check-findings: $man explains $id ($sev), which $h does not have (or not with that severity)" >&2
	echo x >>"$tmp/bad"
done
dups=$(cut -d' ' -f1 "$tmp/man" | uniq -d)
if [ -n "$dups" ]; then
	echo "check-findings: explained twice: $dups" >&2
	echo x >>"$tmp/bad"
fi
[ -f "$tmp/bad" ] && rc=1
[ "$rc" = 0 ] &&
	echo "check-findings: all $(wc -l <"$tmp/code") finding IDs are explained in $(basename "$man")"
exit "$rc"
