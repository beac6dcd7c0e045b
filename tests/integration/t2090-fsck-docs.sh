#!/usr/bin/env bash
# t2090-fsck-docs --- drydock-fsck's documentation is in step with the code:
# fsck/check-findings.sh finds every finding ID of fsck/findings.h, with its
# default severity and its remedy, in drydock-fsck(8) (and fails when one is
# missing, has another severity or remedy, or does not exist);
# --list-findings prints the same table; every long option of --help is in
# the man page; the man page renders without warnings.
. "$(dirname "$0")/lib.sh"

CF=$SRC_DIR/fsck/check-findings.sh
H=$SRC_DIR/fsck/findings.h
MAN=$SRC_DIR/fsck/drydock-fsck.8

assert_true "check-findings: every ID is in the man page" "$CF" "$H" "$MAN"

sed '/^\.BR LAYER_LINK_MISSING " (problem)"$/d' "$MAN" >"$T/missing.8"
assert_false "check-findings fails when an ID is not explained" \
    "$CF" "$H" "$T/missing.8"
assert_true "and names it" sh -c "'$CF' '$H' '$T/missing.8' 2>&1 |
    grep -q LAYER_LINK_MISSING"
sed 's/^\.BR SYMLINK " (warning)"$/.BR SYMLINK " (info)"/' "$MAN" >"$T/sev.8"
assert_false "check-findings fails on a wrong severity" "$CF" "$H" "$T/sev.8"
sed '/^rewrites it\.$/d' "$MAN" >"$T/remedy.8"
assert_false "check-findings fails when the man page does not say what -p does" \
    "$CF" "$H" "$T/remedy.8"
assert_true "and names the finding" sh -c "'$CF' '$H' '$T/remedy.8' 2>&1 |
    grep -q LINK_WHITESPACE"
sed 's/X(DESCRIPTOR_SIZE_MISMATCH, PROBLEM, NONE,/X(DESCRIPTOR_SIZE_MISMATCH, PROBLEM, RELINK,/' \
    "$H" >"$T/remedy.h"
assert_false "check-findings fails on a remedy the man page does not give" \
    "$CF" "$T/remedy.h" "$MAN"
sed 's/^\.BR IO_ERROR " (problem)"$/.BR IO_ERROR " (problem)"\nA.\n.TP\n.BR NO_SUCH_FINDING " (info)"/' \
    "$MAN" >"$T/extra.8"
assert_false "check-findings fails on an ID that does not exist" \
    "$CF" "$H" "$T/extra.8"

run_fsck --list-findings
assert_fsck_rc 0 "--list-findings"
awk '{print $1, $2}' "$T/fsck.out" | LC_ALL=C sort >"$T/list"
sed -n '/^\.SH FINDINGS/,/^\.SH /p' "$MAN" |
	sed -n 's/^\.BR \([A-Z0-9_]*\) " (\([a-z]*\))"$/\1 \2/p' |
	LC_ALL=C sort >"$T/man"
assert_same_lines "$T/man" "$T/list" \
    "--list-findings (the binary's table) agrees with the man page"
assert_eq "$(wc -l <"$T/man")" "$(wc -l <"$T/fsck.out")" \
    "as many IDs in the binary as in the man page"

run_fsck --help
check_man_page "$T/fsck.out" "$MAN"
finish
