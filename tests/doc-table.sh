# doc-table.sh --- sourced by fsck/check-findings.sh and gc/check-reasons.sh,
# which hold a man page to a table in a header: the temporary directory, and
# the comparison of the two sorted lists the scripts extract.
#
#   doc_table_begin NAME   sets $tmp (removed at exit) and $doc_name
#   doc_table_compare NOUN CODE_LIST MAN_LIST HEADER MAN_PAGE
#                          every line of CODE_LIST is in MAN_LIST and the
#                          other way round, no line twice in MAN_LIST;
#                          what differs is said on stderr ($tmp/bad marks it)

doc_table_begin() {
	doc_name=$1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$doc_name.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
}

doc_table_compare() {
	local noun=$1 code=$2 man=$3 h=$4 page=$5 dups
	if [ ! -s "$code" ]; then
		echo "$doc_name: no $noun found in $h" >&2
		echo x >>"$tmp/bad"
		return 0
	fi
	LC_ALL=C comm -23 "$code" "$man" | while read -r line; do
		echo "$doc_name: $line: not in $page" >&2
		echo x >>"$tmp/bad"
	done
	LC_ALL=C comm -13 "$code" "$man" | while read -r line; do
		echo "$doc_name: $page has $line, which $h does not (or not so)" >&2
		echo x >>"$tmp/bad"
	done
	dups=$(LC_ALL=C sort "$man" | uniq -d)
	if [ -n "$dups" ]; then
		echo "$doc_name: twice in $page: $dups" >&2
		echo x >>"$tmp/bad"
	fi
	return 0
}
