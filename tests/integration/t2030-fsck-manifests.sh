#!/usr/bin/env bash
# t2030-fsck-manifests --- faults -p cannot repair, in the zoo the real
# registry wrote:
#   - library/oci:1.0's manifest blob deleted;
#   - team/multi's arm64 child manifest blob deleted;
#   - team/app:latest's current/link names a manifest the repository has
#     no revision of;
#   - the untagged revision APP2_OLD's manifest overwritten with a torn
#     write (does not parse, does not match its digest);
#   - team/app:2.0's tag directory without current/link (a crash between
#     the registry's two writes of a tag: listed, but it does not pull).
# Each is found with the images it breaks (exit 4); -p quarantines the torn
# manifest only and leaves the rest (exit 5, then 4 with nothing to do);
# pushing the images again heals the store (exit 0) and they pull.
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
ARM=$(jq -r '.manifests[] | select(.platform.architecture == "arm64")
    | .digest' "$L/blobs/sha256/${multi#sha256:}")
NOREV=sha256:$(printf 'never pushed\n' | sha256sum | cut -d' ' -f1)

rm "$V/$(bp "$oci1")"
rm "$V/$(bp "$ARM")"
printf '%s' "$NOREV" >"$R/team/app/_manifests/tags/latest/current/link"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.ima' \
    >"$V/$(bp "$APP2_OLD")"
rm -r "$R/team/app/_manifests/tags/2.0/current"

run_fsck --json "$T/r.json" "$root"
assert_fsck_rc 4 "manifest faults: problems left"
check_fsck_report "$T/r.json" "manifests"
cat >"$T/expect" <<EOF
BLOB_DIGEST_MISMATCH $(bp "$APP2_OLD")
MANIFEST_MISSING $(bp "$ARM")
MANIFEST_MISSING $(bp "$oci1")
MANIFEST_UNPARSABLE $(bp "$APP2_OLD")
TAG_NO_CURRENT repositories/team/app/_manifests/tags/2.0/current
TAG_REVISION_MISSING repositories/team/app/_manifests/tags/latest/current/link
EOF
fsck_findings "$T/r.json" problem >"$T/got"
assert_same_lines "$T/expect" "$T/got" "exactly the expected problems"
assert_eq "library/oci:1.0" \
    "$(fsck_images "$T/r.json" MANIFEST_MISSING "$(bp "$oci1")")" \
    "missing manifest: library/oci:1.0"
assert_eq "team/multi:1.0 [linux/arm64/v8]" \
    "$(fsck_images "$T/r.json" MANIFEST_MISSING "$(bp "$ARM")")" \
    "missing child manifest: the arm64 platform of team/multi:1.0"
assert_eq "team/app:latest" "$(fsck_images "$T/r.json" TAG_REVISION_MISSING)" \
    "tag naming a missing revision: that tag"
assert_jq "$T/r.json" '.findings[] | select(.id == "TAG_REVISION_MISSING")
    | [.repository, .tag, .digest]' "[\"team/app\",\"latest\",\"$NOREV\"]" \
    "the tag finding names repository, tag and digest"
assert_eq "team/app@$APP2_OLD" \
    "$(fsck_images "$T/r.json" MANIFEST_UNPARSABLE)" \
    "torn manifest: the untagged revision, by digest"
assert_jq "$T/r.json" '[.findings[] | select(.id == "TAG_NO_CURRENT")
    | [.severity, .tag, [.images[].ref]]]' '[["problem","2.0",["team/app:2.0"]]]' \
    "a tag without current/link breaks that tag: a problem"

run_fsck -p --json "$T/p1.json" "$root"
assert_fsck_rc 5 "first -p: the torn manifest quarantined, the rest left"
assert_jq "$T/p1.json" '.summary.repair_changes' 1 "first -p: one change"
assert_false "the torn manifest left the store" blob_exists "$root" "$APP2_OLD"
assert_file_present "$root/drydock-fsck-quarantine/journal.sqlite" \
    "the default quarantine is beside docker/, outside the registry's tree"
run_fsck -p --json "$T/p2.json" "$root"
assert_fsck_rc 4 "second -p: nothing it can do"
assert_jq "$T/p2.json" '.summary.repair_changes' 0 "second -p: no change"
assert_eq "team/app@$APP2_OLD" \
    "$(fsck_images "$T/p2.json" MANIFEST_MISSING "$(bp "$APP2_OLD")")" \
    "second -p: the quarantined manifest is now missing"

# pushes heal it all
rmdir "$R/team/app/_manifests/tags/2.0" 2>/dev/null ||
    rm -r "$R/team/app/_manifests/tags/2.0"
start_registry "$root"
push_oci "$L" oci1 library/oci:1.0
push_oci "$L" multi team/multi:1.0
push_oci "$L" app1 team/app:latest
push_oci "$L" app2new team/app:2.0
push_layout_curl "$L" app2old team/app
stop_registry
run_fsck --json "$T/h.json" "$root"
assert_fsck_rc 0 "after the pushes: exit 0"
assert_jq "$T/h.json" '[.findings[] | select(.severity != "info") | .id]' \
    '["UPLOAD_STALE"]' "after the pushes: only the old upload warning"
start_registry "$root"
for r in $KEEP_TAGS "team/app@$APP2_OLD"; do
	pull_ok "$r" "healed: $r pulls"
done
stop_registry
finish
