#!/bin/sh
# check-findings.sh --- every finding ID in fsck/findings.h is explained in
# fsck/drydock-fsck.8 (section FINDINGS, as '.BR ID " (severity)"') with its
# default severity and its remedy, and the man page explains no ID that does
# not exist.  Prints what is wrong and exits 1; exits 0 when both agree.
#
# The remedy (what -p does) is the one sentence of the explanation that
# says so:
#   "-p moves it into the quarantine and ... writes it anew"  QUARANTINE_RELINK
#   "-p moves it into the quarantine"                         QUARANTINE
#   "-p rewrites it"                                          REWRITE
#   "-p creates the link"                                     RELINK
#   "Repaired as OTHER_ID"                                    OTHER_ID's
#   none of them                                              NONE
#
#   fsck/check-findings.sh [FINDINGS_H [MAN_PAGE]]
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
h=${1:-$dir/findings.h}
man=${2:-$dir/drydock-fsck.8}
. "$dir/../tests/doc-table.sh"
doc_table_begin check-findings

# X(ID, SEVERITY, ... in the FSCK_FINDINGS table
sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\),[[:space:]]*\([A-Z]*\).*/\1 \2/p' "$h" |
	sed 's/ PROBLEM$/ problem/; s/ WARNING$/ warning/; s/ INFO$/ info/' |
	LC_ALL=C sort >"$tmp/code"
# .BR ID " (severity)" between .SH FINDINGS and the next .SH
sed -n '/^\.SH FINDINGS/,/^\.SH /p' "$man" |
	sed -n 's/^\.BR \([A-Z0-9_]*\) " (\([a-z]*\))"$/\1 \2/p' |
	LC_ALL=C sort >"$tmp/man"

# X(ID, SEVERITY, REMEDY, ... in the table
sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\),[[:space:]]*[A-Z]*,[[:space:]]*\([A-Z_]*\).*/\1 \2/p' \
    "$h" | LC_ALL=C sort >"$tmp/code.remedy"
# each ID's explanation on one line, troff fonts and \- undone; its remedy
sed -n '/^\.SH FINDINGS/,/^\.SH /p' "$man" | awk '
function put() {
	if (id == "")
		return
	if (txt ~ /-p moves it into the quarantine and.* writes it anew/)
		r = "QUARANTINE_RELINK"
	else if (txt ~ /-p moves it into the quarantine/)
		r = "QUARANTINE"
	else if (txt ~ /-p rewrites it/)
		r = "REWRITE"
	else if (txt ~ /-p creates the link/)
		r = "RELINK"
	else if (match(txt, /Repaired as [A-Z0-9_]+/))
		r = "as " substr(txt, RSTART + 12, RLENGTH - 12)
	else
		r = "NONE"
	print id, r
	id = ""
}
/^\.BR [A-Z0-9_]+ " \([a-z]+\)"$/ { put(); id = $2; txt = ""; next }
/^\.(TP|SS|SH|PP)/ { put(); next }
id != "" { l = $0; sub(/^\.[BIR]+ /, "", l); gsub(/\\-/, "-", l); txt = txt " " l }
END { put() }' >"$tmp/man.said"
# "Repaired as OTHER_ID": OTHER_ID's remedy, as the man page gives it
awk 'NR == FNR { if ($2 != "as") r[$1] = $2; next }
	$2 == "as" { print $1, ($3 in r ? r[$3] : "unknown:" $3); next }
	{ print }' "$tmp/man.said" "$tmp/man.said" | LC_ALL=C sort >"$tmp/man.remedy"

rc=0
doc_table_compare "finding ID" "$tmp/code" "$tmp/man" "$h" "$man"
# remedies of the IDs both explain
LC_ALL=C join "$tmp/code.remedy" "$tmp/man.remedy" | while read -r id code said; do
	[ "$code" = "$said" ] && continue
	echo "check-findings: $id: $man says -p does $said, $h says $code" >&2
	echo x >>"$tmp/bad"
done
[ -f "$tmp/bad" ] && rc=1
[ "$rc" = 0 ] &&
	echo "check-findings: all $(wc -l <"$tmp/code") finding IDs are explained in $(basename "$man"), with their severities and remedies"
exit "$rc"
