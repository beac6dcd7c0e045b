#!/usr/bin/env bash
# t1200-gc-why --- drydock-gc why ROOT REF... on the zoo fixture (lib.sh),
# built with the real registry and skopeo; one answer a REF, for every kind
# of chain:
#   - a tag, an index child with its platform, a layer and a config below
#     it, a Docker manifest list's child;
#   - an untagged revision kept without -m; with -m a referrer of a kept
#     manifest (and its layer), and what -m removes (the untagged revision,
#     a blob only it uses, naming it), the stray blob no manifest uses;
#   - pinned (FILE line N), younger than the grace period, a repository
#     with a problem;
#   - --policy: a tag the policy deletes (with its rule), a kept candidate
#     (with the rule that kept it), a manifest only deleted tags named;
#   - a REF that names nothing (exit 4), a malformed REF (exit 16);
#   - nothing changes; --json follows its schema and says the same.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")

blob() { cat "$(blob_dir "$root" "$1")/data"; }
tag_of() { cat "$V/repositories/$1/_manifests/tags/$2/current/link"; }

APP1=$(tag_of team/app 1.0)
MULTI=$(tag_of team/multi 1.0)
ARM=$(blob "$MULTI" | jq -r '.manifests[] |
    select(.platform.architecture == "arm64") | .digest')
ARM_LAYER=$(blob "$ARM" | jq -r '.layers[-1].digest')
ARM_CONFIG=$(blob "$ARM" | jq -r '.config.digest')
DMULTI=$(tag_of team/dmulti 1.0)
ARMV7=$(blob "$DMULTI" | jq -r '.manifests[] |
    select(.platform.variant == "v7") | .digest')
R1_LAYER=$(blob "$R1" | jq -r '.layers[0].digest')
OLD_CONFIG=$(blob "$APP2_OLD" | jq -r '.config.digest')
grep -qx "$OLD_CONFIG" "$F/untagged.blobs" || bail "APP2_OLD's config is shared"
[ -n "$ARM_LAYER" ] && [ -n "$ARMV7" ] || bail "no arm64 child in team/multi"

# why_line REF: the answer line for REF in $T/gc.out
why_line() { grep -F -- "$1: " "$T/gc.out" | head -n 1; }

# --- chains from tags ---------------------------------------------------------
snapshot "$root" "$T/snap0"
run_gc why --grace 0 --json "$T/why1.json" "$root" team/app:1.0 \
    "$ARM_LAYER" "$ARM_CONFIG" "team/multi@$ARM" "$ARMV7" \
    "team/app@$APP2_OLD" "$R1"
assert_rc 0 "why, without -m"
assert_eq "team/app:1.0: kept: tag team/app:1.0 -> manifest $APP1" \
    "$(why_line team/app:1.0)" "a tag: kept, the manifest it names"
assert_eq "$ARM_LAYER: kept: tag team/multi:1.0 -> index $MULTI -> manifest $ARM (linux/arm64/v8) -> layer $ARM_LAYER" \
    "$(why_line "$ARM_LAYER")" \
    "a layer of an index child: tag -> index -> child (platform) -> layer"
assert_eq "$ARM_CONFIG: kept: tag team/multi:1.0 -> index $MULTI -> manifest $ARM (linux/arm64/v8) -> config $ARM_CONFIG" \
    "$(why_line "$ARM_CONFIG")" "... its config"
assert_eq "team/multi@$ARM: kept: tag team/multi:1.0 -> index $MULTI -> manifest $ARM (linux/arm64/v8)" \
    "$(why_line "team/multi@$ARM")" \
    "an untagged index child: through its tagged index, not as a revision"
assert_eq "$ARMV7: kept: tag team/dmulti:1.0 -> index $DMULTI -> manifest $ARMV7 (linux/arm/v7)" \
    "$(why_line "$ARMV7")" "a Docker manifest list's child, with its variant"
assert_eq "team/app@$APP2_OLD: kept: untagged revision of team/app, kept without -m -> manifest $APP2_OLD" \
    "$(why_line "team/app@$APP2_OLD")" "an untagged revision without -m"
assert_eq "$R1: kept: untagged revision of team/app, kept without -m -> manifest $R1" \
    "$(why_line "$R1")" "... a referrer too, without -m"
snapshot "$root" "$T/snap1"
assert_true "why changes nothing" cmp -s "$T/snap0" "$T/snap1"

# --- with -m: referrers, and what goes ----------------------------------------
run_gc why --grace 0 -m --json "$T/why2.json" "$root" "$R1" "$R1_LAYER" \
    "team/app@$APP2_OLD" "$OLD_CONFIG" "$STRAY" "$R2"
assert_rc 0 "why -m"
assert_eq "$R1: kept: tag team/app:1.0 -> manifest $APP1 -> referrer $R1" \
    "$(why_line "$R1")" "-m: a referrer of a kept manifest"
assert_eq "$R1_LAYER: kept: tag team/app:1.0 -> manifest $APP1 -> referrer $R1 -> layer $R1_LAYER" \
    "$(why_line "$R1_LAYER")" "... and its layer"
assert_eq "team/app@$APP2_OLD: goes: untagged revision of team/app, removed with -m: no tag, pin, kept index or kept subject reaches it" \
    "$(why_line "team/app@$APP2_OLD")" "-m: an untagged revision goes, and why"
assert_eq "$OLD_CONFIG: goes: no tag, kept revision, pin or kept referrer reaches it; it is used only by $APP2_OLD (untagged revision of team/app, removed with -m: no tag, pin, kept index or kept subject reaches it)" \
    "$(why_line "$OLD_CONFIG")" "-m: a blob only that revision uses goes, naming it"
assert_eq "$STRAY: goes: no tag, kept revision, pin or kept referrer reaches it" \
    "$(why_line "$STRAY")" "the stray blob goes in every mode"
assert_true "a referrer whose subject is gone goes with -m" \
    grep -qF "$R2: goes: no tag, kept revision, pin or kept referrer reaches it" "$T/gc.out"

# --- pinned, young, a repository with a problem -------------------------------
printf '# production\n\nteam/app@%s\n' "$APP2_OLD" >"$T/pins"
run_gc why --grace 0 -m --pin "$T/pins" "$root" "$OLD_CONFIG"
assert_eq "$OLD_CONFIG: kept: pinned ($T/pins line 3) -> manifest $APP2_OLD -> config $OLD_CONFIG" \
    "$(why_line "$OLD_CONFIG")" "pinned (FILE line N)"
printf '%s\n' "$STRAY" | {
	run_gc why --grace 0 --pin - "$root" "$STRAY"
	assert_eq "$STRAY: kept: pinned (<stdin> line 1)" \
	    "$(why_line "$STRAY")" "a bare digest pinned from stdin"
}
touch "$V/repositories/team/app/_manifests/revisions/sha256/${APP2_OLD#sha256:}/link"
run_gc why --grace 1h -m "$root" "team/app@$APP2_OLD"
assert_eq "team/app@$APP2_OLD: kept: untagged revision of team/app, younger than the grace period -> manifest $APP2_OLD" \
    "$(why_line "team/app@$APP2_OLD")" "younger than the grace period"
touch -d "10 minutes ago" "$V/repositories/team/app/_manifests/revisions/sha256/${APP2_OLD#sha256:}/link"
touch "$(blob_dir "$root" "$STRAY")/data"
run_gc why --grace 1h "$root" "$STRAY"
assert_eq "$STRAY: kept: younger than the grace period" \
    "$(why_line "$STRAY")" "a young blob no manifest uses"
touch -d "10 minutes ago" "$(blob_dir "$root" "$STRAY")/data"

bad=$T/bad
cp -a "$F/root" "$bad"
# R2's manifest no longer parses: what team/app needs is unknown
printf 'garbage' >"$(blob_dir "$bad" "$R2")/data"
run_gc why --grace 0 -m "$bad" "$STRAY" team/app:1.0
assert_rc 4 "a repository with a problem: exit 4"
assert_eq "$STRAY: kept: everything team/app links is kept: a manifest or link in it has a problem -> blob $STRAY" \
    "$(why_line "$STRAY")" "a repository with a problem keeps all it links"
assert_eq "team/app:1.0: kept: tag team/app:1.0 -> manifest $APP1" \
    "$(why_line team/app:1.0)" "... its tags still say so first"

# --- policies -----------------------------------------------------------------
cat >"$T/policy.yml" <<'EOF'
policies:
  - repositories: ["team/app"]
    delete: ".*"
    keep:
      - tags: "^1\\.0$"
    allow_empty: true
EOF
run_gc why --grace 0 --policy "$T/policy.yml" --json "$T/why3.json" "$root" \
    team/app:latest team/app:1.0 team/app:2.0 "team/app@$APP2_NEW" \
    "team/app@$APP2_OLD"
assert_rc 0 "why --policy"
assert_true "a tag the policy deletes, with its rule and age" \
    grep -qE '^team/app:2\.0: goes: the policy deletes it: policies\[0\]\.delete "\.\*"; pushed [0-9]+m ago$' "$T/gc.out"
assert_true "... another (1.0 names its manifest still)" grep -qE \
    '^team/app:latest: goes: the policy deletes it: policies\[0\]\.delete "\.\*"; pushed [0-9]+m ago$' "$T/gc.out"
assert_eq "team/app:1.0: kept: tag team/app:1.0 (kept by policies[0].keep[0] tags: \"^1\\.0\$\") -> manifest $APP1" \
    "$(why_line team/app:1.0)" "a kept candidate, with the rule that kept it"
assert_eq "team/app@$APP2_NEW: goes: the policy deletes the tags of team/app that named it (2.0), and nothing kept reaches it" \
    "$(why_line "team/app@$APP2_NEW")" "a manifest only deleted tags named"
assert_eq "team/app@$APP2_OLD: kept: untagged revision of team/app, kept without -m -> manifest $APP2_OLD" \
    "$(why_line "team/app@$APP2_OLD")" "the policy has no untagged: -m decides"
run_gc -n --grace 0 --policy "$T/policy.yml" --json "$T/dry3.json" "$root"
assert_eq "2.0 latest" \
    "$(jq -r '[.removed[] | select(.kind == "tag") | .tag] | sort | join(" ")' "$T/dry3.json")" \
    "... as the dry run with the policy deletes them"
assert_eq 1 "$(removed_of "$T/dry3.json" revision | grep -c "$APP2_NEW")" \
    "... and APP2_NEW with them"

# --- unknown and malformed ----------------------------------------------------
run_gc why --grace 0 --json "$T/why4.json" "$root" nosuch/repo:1 team/app:nosuch \
    sha256:0000000000000000000000000000000000000000000000000000000000000000 \
    "library/oci@$R1"
assert_rc 4 "a REF that names nothing: exit 4"
assert_true "no such repository" grep -qx 'nosuch/repo:1: no repository nosuch/repo' "$T/gc.out"
assert_true "no such tag" grep -qx 'team/app:nosuch: no tag nosuch in team/app' "$T/gc.out"
assert_true "a digest not in the store" \
    grep -qx 'sha256:0\{64\}: not in this store' "$T/gc.out"
assert_true "a manifest the repository does not link" \
    grep -qx "library/oci@$R1: library/oci does not link it" "$T/gc.out"
run_gc why --grace 0 "$root" 'team/app:bad tag'
assert_rc 16 "a malformed REF is a usage error"
assert_true "... naming it" grep -q "REF:1: 'bad tag' is not a tag" "$T/gc.err"
run_gc why --grace 0 "$root"
assert_rc 16 "why without a REF"
run_gc why --grace 0 --quarantine "$T/q" "$root" team/app:1.0
assert_rc 16 "why takes no --quarantine"

# --- the JSON report ----------------------------------------------------------
assert_schema drydock-gc-why "$T/why1.json" "$T/why2.json" "$T/why3.json" \
    "$T/why4.json"
assert_jq "$T/why1.json" '[.command, .tool, .schema_version, (.answers | length)]' \
    '["why","drydock-gc",1,7]' "the report: command, tool, one answer a REF"
assert_jq "$T/why1.json" \
    '[.answers[1] | .verdict, .repository, .root, [.chain[].kind], .chain[1].platform]' \
    '["kept","team/multi","tag team/multi:1.0",["index","manifest","layer"],"linux/arm64/v8"]' \
    "a chain in JSON: root, each step's kind, a child's platform"
assert_jq "$T/why2.json" \
    '[.answers[] | select(.verdict == "goes") | .ref] | length' 4 \
    "the answers that go say so"
assert_jq "$T/why4.json" '[.answers[].verdict] | unique' '["unknown"]' \
    "unknown REFs are unknown"
assert_jq "$T/why4.json" '.exit_code' 4 "the exit code is in the report"
finish
