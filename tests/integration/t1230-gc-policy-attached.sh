#!/usr/bin/env bash
# t1230-gc-policy-attached --- what hangs off a tag a --policy deletes,
# end to end with the real registry and skopeo, without -m:
#   ci/app:ci-1  old, deleted by the policy; referrer R_OLD (OCI 1.1 subject
#                = ci-1, untagged, an SBOM) and a referrer of that referrer
#                (R_OLD2, a signature); cosign-style tags sha256-<ci-1>.sig
#                and .att on their own manifests
#   ci/app:ci-2  old, deleted; nothing attached
#   ci/app:keep  not a candidate; referrer R_KEPT and sha256-<keep>.sig
#   ci/app:ci-3  old, deleted, but its manifest is keep's too (re-tagged)
# In the one run: the deleted tags' manifests, their referrers (and the
# referrer's referrer), the attachment tags of a deleted manifest and the
# manifests only they named all go, with every blob only they used; what
# hangs off the kept manifest stays and pulls; the report gives each tag's
# reason (policy, attachment); drydock-gc why said so before the run.
. "$(dirname "$0")/lib.sh"

L=$T/layouts
root=$T/root
start_registry "$root"
for i in 1 2 keep; do
	mkimage -s "ci$i" -b B1 -l 1 -r "ci$i" "$L" >/dev/null
done
push_oci "$L" ci1 ci/app:ci-1
push_oci "$L" ci2 ci/app:ci-2
push_oci "$L" cikeep ci/app:keep
push_oci "$L" cikeep ci/app:ci-3
CI1=$(manifest_digest ci/app ci-1)
CI2=$(manifest_digest ci/app ci-2)
KEEP_D=$(manifest_digest ci/app keep)
R_OLD=$(mkimage -s rold --subject "$(manifest_desc ci/app ci-1)" -r rold "$L")
push_layout_curl "$L" rold ci/app
R_OLD2=$(mkimage -s rold2 --subject "$(manifest_desc ci/app "$R_OLD")" \
    --artifact-type application/vnd.drydock.test.sig.v1 -r rold2 "$L")
push_layout_curl "$L" rold2 ci/app
R_KEPT=$(mkimage -s rkept --subject "$(manifest_desc ci/app keep)" -r rkept "$L")
push_layout_curl "$L" rkept ci/app
mkimage -s sig1 -l 1 -r sig1 "$L" >/dev/null
mkimage -s att1 -l 1 -r att1 "$L" >/dev/null
mkimage -s sigk -l 1 -r sigk "$L" >/dev/null
push_oci "$L" sig1 "ci/app:sha256-${CI1#sha256:}.sig"
push_oci "$L" att1 "ci/app:sha256-${CI1#sha256:}.att"
push_oci "$L" sigk "ci/app:sha256-${KEEP_D#sha256:}.sig"
SIG1=$(manifest_digest ci/app "sha256-${CI1#sha256:}.sig")
ATT1=$(manifest_digest ci/app "sha256-${CI1#sha256:}.att")
SIGK=$(manifest_digest ci/app "sha256-${KEEP_D#sha256:}.sig")
for r in ci-1 ci-2 keep "$R_OLD" "$R_OLD2" "$R_KEPT" "$SIG1" "$ATT1" "$SIGK"; do
	image_blobs ci/app "$r" >"$T/img.${r#sha256:}"
done
stop_registry
age_tree "$root" "2 days ago"

cat >"$T/policy.yml" <<'EOF'
policies:
  - repositories: ["ci/**"]
    delete: "ci-.*"
EOF

# --- why, before the run --------------------------------------------------------
run_gc why --grace 0 --policy "$T/policy.yml" "$root" "ci/app@$R_OLD" \
    "ci/app:sha256-${CI1#sha256:}.sig" "ci/app@$R_KEPT" "ci/app:ci-3" \
    "ci/app@$SIG1"
assert_rc 0 "why"
assert_true "why: a referrer of a released manifest goes with it" \
    grep -qF "ci/app@$R_OLD: goes: a referrer of a manifest the policy releases" "$T/gc.out"
assert_true "why: an attachment tag of a released manifest goes" \
    grep -qE "^ci/app:sha256-${CI1#sha256:}\.sig: goes: an attachment tag: attachment: its subject goes" "$T/gc.out"
assert_true "why: a referrer of the kept manifest stays (without -m, as a revision)" \
    grep -qF "ci/app@$R_KEPT: kept: untagged revision of ci/app, kept without -m -> manifest $R_KEPT" "$T/gc.out"
assert_true "why: the manifest only a going attachment tag named goes" \
    grep -qF "ci/app@$SIG1: goes: the policy deletes the tags of ci/app that named it (sha256-${CI1#sha256:}.sig)" "$T/gc.out"
assert_true "why: ci-3 goes, its manifest stays (keep names it)" \
    grep -qE '^ci/app:ci-3: goes: the policy deletes it' "$T/gc.out"

# --- the run (no -m) --------------------------------------------------------------
run_gc --grace 0 --policy "$T/policy.yml" --json "$T/run.json" "$root"
assert_rc 0 "a policy run without -m"
check_report_consistent "$T/run.json" "policy run"
assert_jq "$T/run.json" '[.removed[] | select(.kind == "tag") |
    "\(.tag) \(.reason)"] | sort' \
    "$(printf '%s\n' "ci-1 policy" "ci-2 policy" "ci-3 policy" \
	"sha256-${CI1#sha256:}.att attachment" "sha256-${CI1#sha256:}.sig attachment" |
	sort | jq -R . | jq -cs .)" \
    "the deleted tags: three by the policy, two attachments of ci-1"
revs=$(revision_links "$root" | awk '{print $2}')
for d in "$CI1" "$CI2" "$R_OLD" "$R_OLD2" "$SIG1" "$ATT1"; do
	grep -qx "$d" <<<"$revs" && fail "revision $d stays"
done
pass "the released manifests, their referrers and the attachments' manifests go"
for d in "$KEEP_D" "$R_KEPT" "$SIGK"; do
	grep -qx "$d" <<<"$revs" || fail "revision $d is gone"
done
pass "the kept manifest, its referrer and its signature stay"
sort -u "$T/img.keep" "$T/img.${R_KEPT#sha256:}" "$T/img.${SIGK#sha256:}" \
    >"$T/live"
for f in ci-1 ci-2 "${R_OLD#sha256:}" "${R_OLD2#sha256:}" "${SIG1#sha256:}" \
    "${ATT1#sha256:}"; do
	for d in $(comm -23 <(sort -u "$T/img.$f") "$T/live"); do
		blob_exists "$root" "$d" && fail "blob $d of $f stays"
	done
done
pass "every blob only they used is free after this one run"
for d in $(cat "$T/live"); do
	blob_exists "$root" "$d" || fail "live blob $d is gone"
done
pass "every blob the kept images need stays"
start_registry "$root"
pull_ok ci/app:keep "ci/app:keep pulls"
pull_ok "ci/app@$R_KEPT" "its referrer pulls"
pull_ok "ci/app:sha256-${KEEP_D#sha256:}.sig" "its signature tag pulls"
assert_eq "keep sha256-${KEEP_D#sha256:}.sig" \
    "$(curl -sf "http://$REG/v2/ci/app/tags/list" | jq -r '.tags | sort | join(" ")')" \
    "tags/list: the kept tags only"
stop_registry
run_gc --grace 0 --policy "$T/policy.yml" --json "$T/again.json" "$root"
assert_jq "$T/again.json" '.removed | length' 0 "a second run finds nothing"
finish
