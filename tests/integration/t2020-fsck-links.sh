#!/usr/bin/env bash
# t2020-fsck-links --- link faults that -p repairs, in the zoo the real
# registry wrote, all at once:
#   - team/app's _layers link of the shared base layer B1 removed;
#   - library/oci's config link ends with a newline (the registry: 500);
#   - team/app/sub's revision link ends with CR LF;
#   - team/multi's revision link of its amd64 child removed;
#   - library/docker's config link emptied (a crash of registry <= 3.0);
#   - team/app:latest's current/link has a trailing space;
#   - team/dmulti's revision link names another digest than its path.
# Each is found with the images it breaks and they do not pull; -p fixes
# every one of them (exit 1), a second -p finds nothing (exit 0), every
# image pulls again with skopeo, and what -p replaced is in the quarantine.
. "$(dirname "$0")/lib.sh"

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
sub=$("$MKIMAGE" --digest "$L" sub1)
B1=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${oci1#sha256:}")
CFG=$(jq -r '.config.digest' "$L/blobs/sha256/${oci1#sha256:}")
AMD=$(jq -r '.manifests[] | select(.platform.architecture == "amd64")
    | .digest' "$L/blobs/sha256/${multi#sha256:}")
start_registry "$root"
dcfg=$(curl -s -H "$ACCEPT" "http://$REG/v2/library/docker/manifests/1.0" |
    jq -r .config.digest)
dmulti=$(manifest_digest team/dmulti 1.0)
app1=$(manifest_digest team/app 1.0)
stop_registry

h() { printf '%s' "${1#sha256:}"; }
rm "$R/team/app/_layers/sha256/$(h "$B1")/link"
printf '%s\n' "$CFG" >"$R/library/oci/_layers/sha256/$(h "$CFG")/link"
printf '%s\r\n' "$sub" \
    >"$R/team/app/sub/_manifests/revisions/sha256/$(h "$sub")/link"
rm "$R/team/multi/_manifests/revisions/sha256/$(h "$AMD")/link"
: >"$R/library/docker/_layers/sha256/$(h "$dcfg")/link"
printf '%s ' "$app1" >"$R/team/app/_manifests/tags/latest/current/link"
printf '%s' "$AMD" \
    >"$R/team/dmulti/_manifests/revisions/sha256/$(h "$dmulti")/link"

start_registry "$root"
for r in team/app:1.0 library/oci:1.0 team/app/sub:1.0 team/multi:1.0 \
    library/docker:1.0 team/app:latest team/dmulti:1.0; do
	pull_fails "$r" "fault is real: $r does not pull"
done
stop_registry

run_fsck --json "$T/r.json" "$root"
assert_fsck_rc 4 "link faults: problems left"
check_fsck_report "$T/r.json" "links"
lp() { printf 'repositories/%s/%s/sha256/%s/link' "$1" "$2" "$(h "$3")"; }
cat >"$T/expect" <<EOF
LAYER_LINK_MISSING $(lp team/app _layers "$B1")
LINK_WHITESPACE $(lp library/oci _layers "$CFG")
LINK_WHITESPACE $(lp team/app/sub _manifests/revisions "$sub")
CHILD_NOT_LINKED $(lp team/multi _manifests/revisions "$AMD")
LINK_UNPARSABLE $(lp library/docker _layers "$dcfg")
LINK_WHITESPACE repositories/team/app/_manifests/tags/latest/current/link
LINK_WRONG_TARGET $(lp team/dmulti _manifests/revisions "$dmulti")
EOF
fsck_findings "$T/r.json" problem >"$T/got"
assert_same_lines "$T/expect" "$T/got" "exactly the seven link problems"

images_of() { # ID PATH-PART
	jq -r --arg id "$1" --arg p "$2" '.findings[] | select(.id == $id)
	    | select(.path | contains($p)) | .images[].ref' "$T/r.json" |
		LC_ALL=C sort -u | tr '\n' ' '
}
# (team/app:latest is not among them: its own current/link is unreadable)
assert_eq "team/app:1.0 team/app:2.0 team/app@$APP2_OLD " \
    "$(images_of LAYER_LINK_MISSING team/app/_layers)" \
    "missing _layers link: team/app's images using B1, not team/app/sub's"
assert_eq "library/oci:1.0 " "$(images_of LINK_WHITESPACE library/oci)" \
    "newline in a layer link: library/oci:1.0"
assert_eq "team/app/sub:1.0 " "$(images_of LINK_WHITESPACE team/app/sub)" \
    "CR LF in a revision link: team/app/sub:1.0"
assert_eq "team/app:latest " "$(images_of LINK_WHITESPACE tags/latest)" \
    "space in a tag's current link: that tag only"
assert_eq "team/multi:1.0 [linux/amd64] " "$(images_of CHILD_NOT_LINKED team/multi)" \
    "unlinked index child: the amd64 platform of team/multi:1.0"
assert_eq "library/docker:1.0 " "$(images_of LINK_UNPARSABLE library/docker)" \
    "empty layer link: library/docker:1.0"
assert_eq "team/dmulti:1.0 " "$(images_of LINK_WRONG_TARGET team/dmulti)" \
    "revision link naming another digest: team/dmulti:1.0"
assert_jq "$T/r.json" '[.findings[] | select(.severity == "problem")
    | .repair] | unique | sort' \
    '["create the link","move the link into quarantine and write it from its path","rewrite the link without whitespace"]' \
    "each problem says what -p would do"

# -p, twice
q=$T/quarantine
run_fsck -p --quarantine "$q" --json "$T/p1.json" "$root"
assert_fsck_rc 1 "first -p: every problem repaired"
assert_jq "$T/p1.json" '[.findings[] | select(.severity == "problem")
    | select(.repaired | not) | .id]' '[]' "first -p: each problem repaired"
assert_jq "$T/p1.json" '[.findings[] | select(.repair_note == null and
    .severity == "problem")] | length' 0 "first -p: each repair logged"
assert_true "the summary logs each repair" \
    grep -q '^    repair: created the link' "$T/fsck.out"
run_fsck -p --quarantine "$q" --json "$T/p2.json" "$root"
assert_fsck_rc 0 "second -p: nothing left"
assert_jq "$T/p2.json" '[.findings[] | select(.severity != "info") | .id]' \
    '["UPLOAD_STALE"]' "second -p: only the old upload warning"
assert_jq "$T/p2.json" '.summary.repair_changes' 0 "second -p: no change"

# links are exact again
for f in "$(lp team/app _layers "$B1")" "$(lp library/oci _layers "$CFG")" \
    "$(lp team/app/sub _manifests/revisions "$sub")" \
    "$(lp team/multi _manifests/revisions "$AMD")" \
    "$(lp library/docker _layers "$dcfg")" \
    repositories/team/app/_manifests/tags/latest/current/link \
    "$(lp team/dmulti _manifests/revisions "$dmulti")"; do
	assert_eq 71 "$(stat -c %s "$V/$f")" "71 bytes, no newline: $f"
done
assert_eq "$app1" "$(cat "$R/team/app/_manifests/tags/latest/current/link")" \
    "the tag link holds its digest"
assert_eq "$dmulti" \
    "$(cat "$R/team/dmulti/_manifests/revisions/sha256/$(h "$dmulti")/link")" \
    "the wrong revision link is written from its path"
assert_eq 2 "$(sqlite3 "$q/journal.sqlite" 'select count(*) from entries')" \
    "the empty and the wrong link went to quarantine (journaled)"
assert_true "the wrong link's content is kept in quarantine" \
    grep -rqx "$AMD" "$q/objects"

start_registry "$root"
for r in $KEEP_TAGS "team/app@$APP2_OLD" "team/multi@$AMD"; do
	pull_ok "$r" "repaired: $r pulls"
done
stop_registry
finish
