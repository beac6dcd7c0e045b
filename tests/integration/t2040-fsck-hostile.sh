#!/usr/bin/env bash
# t2040-fsck-hostile --- symlinks pointing outside the root, special files,
# strays and uploads, planted in the zoo the real registry wrote:
#   - library/oci's config data is a symlink to a copy of the right bytes
#     outside the root (the registry would serve it; fsck cannot vouch for
#     it: a problem naming library/oci:1.0);
#   - team/app:latest's current/link is a symlink to a FIFO outside;
#   - repositories/evil and blobs/sha256/ee are symlinks to directories
#     outside that look like a repository and blobs;
#   - an upload directory is a symlink to a directory outside;
#   - team/multi's arm64 child's config data is a FIFO;
#   - stray files, a temporary file of an interrupted write, an upload
#     without startedat left long ago;
#   - (as nobody, running a copy of drydock-fsck in the test's directory,
#     since the checkout may be closed to others) an unreadable blob,
#     revisions directory and _layers.
# Everything is reported with the right severity and images, the exit code
# is 4 (also after -p, which changes nothing here), and nothing outside the
# root is opened or even listed: the FIFO never gets a reader and no access
# time outside changes.
. "$(dirname "$0")/lib.sh"

bp() { # DIGEST: blobs/sha256/<hh>/<hex>/data
	local h=${1#sha256:}
	printf 'blobs/sha256/%s/%s/data\n' "${h:0:2}" "$h"
}

use_fixture zoo "$T/zoo"
F=$T/zoo
L=$F/layouts
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
R=$V/repositories

oci1=$("$MKIMAGE" --digest "$L" oci1)
multi=$("$MKIMAGE" --digest "$L" multi)
CFG=$(jq -r '.config.digest' "$L/blobs/sha256/${oci1#sha256:}")
B1=$(jq -r ".layers[0].digest" "$L/blobs/sha256/${oci1#sha256:}")
ARM=$(jq -r '.manifests[] | select(.platform.architecture == "arm64")
    | .digest' "$L/blobs/sha256/${multi#sha256:}")
ACFG=$(jq -r '.config.digest' "$L/blobs/sha256/${ARM#sha256:}")
EVILUP=0badc0de-0000-4000-8000-000000000001
NOSTART=0badc0de-0000-4000-8000-000000000002
EE=sha256:ee$(printf 'outside\n' | sha256sum | cut -c3-64)

# the outside world
out=$T/outside
mkdir -p "$out/repo/_manifests/tags/x/current" "$out/blobs/${EE:7:64}" \
    "$out/upload"
mkfifo "$out/fifo"
cp "$V/$(bp "$CFG")" "$out/cfg"
printf '%s' "$oci1" >"$out/repo/_manifests/tags/x/current/link"
cp "$V/$(bp "$oci1")" "$out/blobs/${EE:7:64}/data"
printf '2000-01-02T03:04:05Z' >"$out/upload/startedat"
: >"$out/upload/data"

# the plants
ln -sf "$out/cfg" "$V/$(bp "$CFG")"
ln -sf "$out/fifo" "$R/team/app/_manifests/tags/latest/current/link"
ln -s "$out/repo" "$R/evil"
ln -s "$out/blobs" "$V/blobs/sha256/ee"
ln -s "$out/upload" "$R/team/app/_uploads/$EVILUP"
rm "$V/$(bp "$ACFG")"
mkfifo "$V/$(bp "$ACFG")"
printf 'notes\n' >"$V/blobs/sha256/README"
printf 'notes\n' >"$R/team/app/_manifests/NOTES"
printf 'partial' >"$(dirname "$V/$(bp "$oci1")")/data.6f1e2a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b.tmp"
mkdir -p "$R/team/app/_uploads/$NOSTART"
printf 'x' >"$R/team/app/_uploads/$NOSTART/data"
touch -d "30 days ago" "$R/team/app/_uploads/$NOSTART/data" \
    "$R/team/app/_uploads/$NOSTART"

# who reads outside? a FIFO writer notices a reader; atimes notice the rest
(timeout 60 sh -c "echo x >'$out/fifo' && touch '$T/fifo-was-opened'") &
BG_PIDS+=($!)
outside_paths=("$out" "$out/repo" "$out/repo/_manifests"
    "$out/repo/_manifests/tags" "$out/repo/_manifests/tags/x"
    "$out/repo/_manifests/tags/x/current"
    "$out/repo/_manifests/tags/x/current/link" "$out/blobs"
    "$out/blobs/${EE:7:64}" "$out/blobs/${EE:7:64}/data" "$out/upload"
    "$out/upload/startedat" "$out/upload/data" "$out/cfg")
files_snapshot "$out" "$T/out0"
touch -a -d 2000-01-01 "${outside_paths[@]}"
atimes() { stat -c '%X %n' "${outside_paths[@]}"; }
atimes >"$T/atime0"

run_fsck --json "$T/r.json" "$root"
assert_fsck_rc 4 "hostile tree: problems left"
check_fsck_report "$T/r.json" "hostile"
cat >"$T/expect" <<EOF
BLOB_STRAY blobs/sha256/README
SPECIAL_FILE $(bp "$ACFG")
STRAY_FILE repositories/team/app/_manifests/NOTES
SYMLINK $(bp "$CFG")
SYMLINK blobs/sha256/ee
SYMLINK repositories/evil
SYMLINK repositories/team/app/_manifests/tags/latest/current/link
SYMLINK repositories/team/app/_uploads/$EVILUP
TEMP_FILE $(dirname "$(bp "$oci1")")/data.6f1e2a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b.tmp
UPLOAD_NO_STARTEDAT repositories/team/app/_uploads/$NOSTART
EOF
jq -r '.findings[] | select(.id | test("SYMLINK|SPECIAL|STRAY|TEMP|NO_STARTEDAT"))
    | "\(.id) \(.path)"' "$T/r.json" | LC_ALL=C sort >"$T/got"
assert_same_lines "$T/expect" "$T/got" "every plant is reported, once"
sev_of() { # ID PATH
	jq -r --arg id "$1" --arg p "$2" '.findings[] | select(.id == $id and
	    .path == $p) | "\(.severity) \([.images[].ref] | join(","))"' \
	    "$T/r.json"
}
assert_eq "problem library/oci:1.0" "$(sev_of SYMLINK "$(bp "$CFG")")" \
    "symlinked blob data: a problem for library/oci:1.0"
assert_eq "problem team/app:latest" \
    "$(sev_of SYMLINK repositories/team/app/_manifests/tags/latest/current/link)" \
    "symlinked tag link: a problem for team/app:latest"
assert_eq "problem team/multi:1.0 [linux/arm64/v8]" \
    "$(sev_of SPECIAL_FILE "$(bp "$ACFG")")" \
    "a FIFO as blob data: a problem for the arm64 platform"
assert_eq "warning " "$(sev_of SYMLINK repositories/evil)" \
    "a symlinked repository: a warning"
assert_eq "warning " "$(sev_of SYMLINK blobs/sha256/ee)" \
    "a symlinked blob fan-out directory: a warning"
assert_eq "warning " "$(sev_of UPLOAD_NO_STARTEDAT \
    "repositories/team/app/_uploads/$NOSTART")" \
    "an old upload without startedat: a warning"
assert_eq "info " "$(sev_of TEMP_FILE \
    "$(dirname "$(bp "$oci1")")/data.6f1e2a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b.tmp")" \
    "a temporary file: a note"
assert_jq "$T/r.json" '[.findings[] | select(.repository == "evil" or
    (.path | test("ee/")))] | length' 0 "nothing behind a symlink is walked"
assert_jq "$T/r.json" "[.findings[] | select(.digest == \"$EE\")] | length" 0 \
    "the blob behind the symlinked fan-out is not seen"

run_fsck -p --json "$T/p.json" "$root"
assert_fsck_rc 4 "-p on the hostile tree: nothing safe to do, problems left"
assert_jq "$T/p.json" '.summary.repair_changes' 0 "-p changed nothing"
assert_true "symlinks are left as they are" test -L "$V/$(bp "$CFG")"

# the root itself may be reached through a symlink (an operator's choice)
ln -s "$root" "$T/rootlink"
run_fsck --json "$T/l.json" "$T/rootlink"
assert_fsck_rc 4 "a symlinked root path works"
assert_jq "$T/l.json" '.findings | length' "$(jq '.findings | length' "$T/r.json")" \
    "the same findings through the symlinked root"

# parts the run cannot read (as an unprivileged user): a blob's data, a
# repository's revisions and another's _layers.  What rests on them is in
# doubt: they are problems naming the images, and nothing is claimed from
# the absence of links that could not be read.
# nobody runs a copy of the tool in $T: the checkout's own directories
# (DRYDOCK_BIN) may be closed to others, e.g. below a 0700 home.
nobody_ok=""
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
	chmod a+rx "$T"
	install -d -m 0755 "$T/nobody-bin"
	install -m 0755 "$FSCK" "$T/nobody-bin/drydock-fsck"
	if runuser -u nobody -- "$T/nobody-bin/drydock-fsck" --version >/dev/null 2>&1; then
		nobody_ok=1
	else
		why="nobody cannot run $T/nobody-bin/drydock-fsck (is ${TMPDIR:-/tmp} closed to others?)"
	fi
else
	why="needs root to run as nobody"
fi
if [ -n "$nobody_ok" ]; then
	pr=$T/perm
	cp -a "$F/root" "$pr"
	chmod -R a+rX "$pr"
	PV=$(v2 "$pr")
	chmod 000 "$PV/$(bp "$B1")" "$PV/repositories/team/multi/_manifests/revisions" \
	    "$PV/repositories/library/docker/_layers"
	runuser -u nobody -- "$T/nobody-bin/drydock-fsck" --json - "$pr" \
	    >"$T/perm.json" 2>"$T/perm.err"
	assert_eq 4 "$?" "unreadable parts (as nobody): exit 4"
	jq -r '.findings[] | select(.severity == "problem")
	    | "\(.id) \(.path) \([.images[].ref] | join(","))"' "$T/perm.json" |
		LC_ALL=C sort >"$T/perm.got"
	cat >"$T/perm.expect" <<EOF
BLOB_UNREADABLE $(bp "$B1") library/docker:1.0,library/oci:1.0,team/app/sub:1.0,team/app:1.0,team/app:2.0,team/app:latest,team/app@$APP2_OLD
IO_ERROR repositories/library/docker/_layers library/docker:1.0
IO_ERROR repositories/team/multi/_manifests/revisions team/multi:1.0
EOF
	assert_same_lines "$T/perm.expect" "$T/perm.got" \
	    "unreadable: each reported with the images in doubt, no missing link claimed"
	chmod -R u+rwX "$pr"
else
	skip "unreadable parts: $why"
fi

sleep 0.2
assert_file_absent "$T/fifo-was-opened" "the FIFO outside was never opened"
atimes >"$T/atime1"
assert_true "no file or directory outside the root was read or listed" \
    cmp -s "$T/atime0" "$T/atime1"
files_snapshot "$out" "$T/out1"
assert_true "nothing outside the root changed" cmp -s "$T/out0" "$T/out1"
finish
