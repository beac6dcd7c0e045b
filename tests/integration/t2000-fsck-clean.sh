#!/usr/bin/env bash
# t2000-fsck-clean --- stores the real registry wrote, without faults:
#   - a store of freshly pushed images (OCI, Docker schema2, an OCI index,
#     a Docker manifest list) has no finding at all and exits 0, also with
#     --strict; every image pulls;
#   - the zoo (gc's fixture) holds the registry's normal debris: an empty
#     revision dir, a dangling _layers link, unreferenced blobs, a referrer
#     whose subject was deleted, an emptied repository, uploads young and
#     old.  Each is reported as exactly the expected info or warning, the
#     exit code is 0 (4 with --strict), every blob is hashed once, and the
#     read-only run changes nothing, not even a time stamp.
. "$(dirname "$0")/lib.sh"

bp() { # DIGEST: blobs/sha256/<hh>/<hex>/data
	local h=${1#sha256:}
	printf 'blobs/sha256/%s/%s/data\n' "${h:0:2}" "$h"
}

# 1. freshly pushed images: nothing to say
L=$T/layouts
mkimage -s c-a -b c-base -r a "$L" >/dev/null
mkimage -s c-b -b c-base -l 1 -r b "$L" >/dev/null
mkimage -s c-m -b c-base -p linux/amd64 -p linux/arm64/v8 -r m "$L" >/dev/null
clean=$T/clean
start_registry "$clean"
push_oci "$L" a lib/a:1
push_docker "$L" b lib/b:1
push_oci "$L" m team/multi:1
push_docker "$L" m team/dmulti:1
stop_registry
run_fsck --json "$T/c.json" "$clean"
assert_fsck_rc 0 "freshly pushed images: exit 0"
assert_jq "$T/c.json" '.findings' '[]' "freshly pushed images: no finding"
check_fsck_report "$T/c.json" "clean"
assert_jq "$T/c.json" '[.summary.repositories, .summary.tags,
    .summary.blobs_hashed == .summary.blobs, .complete, .exit_code]' \
    '[4,4,true,true,0]' "clean: 4 repositories, 4 tags, every blob hashed"
assert_true "clean: the summary says 0 problems" \
    grep -q '0 problems, 0 warnings, 0 notes; exit 0' "$T/fsck.out"
run_fsck --strict "$clean"
assert_fsck_rc 0 "freshly pushed images: --strict exits 0 too"
start_registry "$clean"
for r in lib/a:1 lib/b:1 team/multi:1 team/dmulti:1; do
	pull_ok "$r" "clean: $r pulls (fsck said so)"
done
stop_registry

# 2. the zoo: normal debris only
use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
snapshot "$root" "$T/s0"

run_fsck --json "$T/r.json" --metrics "$T/fsck.prom" "$root"
assert_fsck_rc 0 "zoo: debris only: exit 0"
check_fsck_report "$T/r.json" "zoo"
cat >"$T/expect" <<EOF
BLOB_UNREFERENCED $(bp "$GONE")
BLOB_UNREFERENCED $(bp "$TMP")
LAYER_LINK_DANGLING repositories/library/oci/_layers/sha256/${DANGLING#sha256:}/link
REPO_EMPTY repositories/team/gone
REVISION_EMPTY_DIR repositories/team/app/_manifests/revisions/sha256/${TMP#sha256:}
REVISION_EMPTY_DIR repositories/team/gone/_manifests/revisions/sha256/${GONE#sha256:}
SUBJECT_MISSING repositories/team/app/_manifests/revisions/sha256/${R2#sha256:}
UPLOAD_IN_PROGRESS repositories/library/oci/_uploads/$UP_NEW
UPLOAD_STALE repositories/team/app/_uploads/$UP_OLD
EOF
fsck_findings "$T/r.json" >"$T/got"
assert_same_lines "$T/expect" "$T/got" "zoo: exactly the expected debris"
assert_jq "$T/r.json" '[.findings[] | select(.severity == "warning") | .id]' \
    '["UPLOAD_STALE"]' "zoo: the abandoned upload is the only warning"
assert_jq "$T/r.json" '[.findings[] | select(.images != [])] | length' 0 \
    "zoo: debris breaks no image"
assert_jq "$T/r.json" ".findings[] | select(.id == \"SUBJECT_MISSING\")
    | [.repository, .digest, .detail]" \
    "[\"team/app\",\"$R2\",\"subject $TMP\"]" \
    "zoo: the orphaned referrer names its subject"
nblobs=$(count_blobs "$root")
nbytes=$(find "$V/blobs" -name data -type f -printf '%s\n' |
    awk '{s += $1} END {print s}')
assert_jq "$T/r.json" '[.summary.repositories, .summary.tags,
    .summary.revisions]' '[7,8,14]' "zoo: 7 repositories, 8 tags, 14 revisions"
assert_jq "$T/r.json" '[.summary.blobs, .summary.blobs_hashed,
    .summary.bytes_hashed]' "[$nblobs,$nblobs,$nbytes]" \
    "zoo: every blob hashed, every byte once ($nblobs blobs, $nbytes bytes)"
assert_jq "$T/r.json" '[.repair, .verify, .complete, .exit_code]' \
    '[false,"all",true,0]' "zoo: report header"

# the metrics textfile tells the same
assert_true "metrics: bytes hashed" \
    grep -qx "drydock_fsck_hashed_bytes $nbytes" "$T/fsck.prom"
assert_true "metrics: blobs hashed" \
    grep -qx "drydock_fsck_blobs_hashed $nblobs" "$T/fsck.prom"
assert_true "metrics: findings by kind" grep -qx \
    'drydock_fsck_findings_by_id{id="REVISION_EMPTY_DIR"} 2' "$T/fsck.prom"
assert_true "metrics: findings by severity" grep -qx \
    'drydock_fsck_findings{severity="problem"} 0' "$T/fsck.prom"
assert_true "metrics: no image broken" \
    grep -qx 'drydock_fsck_images_broken 0' "$T/fsck.prom"
assert_true "metrics: exit code" grep -qx 'drydock_fsck_exit_code 0' \
    "$T/fsck.prom"
assert_true "metrics: duration" \
    grep -qE '^drydock_fsck_duration_seconds [0-9.]+$' "$T/fsck.prom"
assert_eq 0 "$(grep -vcE '^(# (HELP|TYPE) drydock_fsck_[a-z_]+ .*|drydock_fsck_[a-z_]+(\{[a-z]+="[A-Za-z_]+"\})? [0-9.]+)$' "$T/fsck.prom")" \
    "metrics: every line is Prometheus text format"

# the human summary: warnings listed, notes only with -v
assert_true "summary lists the warning" \
    grep -q "^WARNING UPLOAD_STALE repositories/team/app/_uploads/$UP_OLD" \
    "$T/fsck.out"
assert_false "summary hides notes without -v" grep -q '^INFO' "$T/fsck.out"
run_fsck -v "$root"
assert_fsck_rc 0 "-v: exit 0"
assert_eq 8 "$(grep -c '^INFO' "$T/fsck.out")" "-v lists the 8 notes"
run_fsck -q "$root"
assert_eq "" "$(cat "$T/fsck.out")" "-q on a store without problems prints nothing"

run_fsck -q --strict "$root"
assert_true "-q --strict lists the warning that counts" \
    grep -q "^WARNING UPLOAD_STALE" "$T/fsck.out"
run_fsck --strict --json - "$root"
assert_fsck_rc 4 "zoo: --strict counts the warning"
assert_jq "$T/fsck.out" '[.strict, .exit_code]' '[true,4]' \
    "--json -: the report goes to stdout"
assert_true "--json -: the summary goes to stderr" \
    grep -q 'exit 4' "$T/fsck.err"
run_fsck --strict --ignore UPLOAD_STALE "$root"
assert_fsck_rc 0 "--strict --ignore UPLOAD_STALE: exit 0"
run_fsck --error REVISION_EMPTY_DIR --json "$T/e.json" "$root"
assert_fsck_rc 4 "--error REVISION_EMPTY_DIR makes the debris a problem"
assert_jq "$T/e.json" '[.findings[] | select(.severity == "problem") | .id]
    | unique' '["REVISION_EMPTY_DIR"]' "--error: only that kind escalated"

# keys are stable from run to run
run_fsck --json "$T/r2.json" "$root"
assert_eq "$(jq -c '[.findings[] | [.key, .id, .path]]' "$T/r.json")" \
    "$(jq -c '[.findings[] | [.key, .id, .path]]' "$T/r2.json")" \
    "finding keys and order are the same on every run"

# read-only means read-only
snapshot "$root" "$T/s1"
assert_true "a check changes nothing in the store" cmp -s "$T/s0" "$T/s1"
assert_eq "$(ls -a "$root" | tr '\n' ' ')" ". .. docker " \
    "a check writes nothing beside the store (no lock, no quarantine)"
start_registry "$root"
for r in $KEEP_TAGS; do
	pull_ok "$r" "zoo: $r pulls"
done
stop_registry
finish
