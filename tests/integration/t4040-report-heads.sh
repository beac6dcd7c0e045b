#!/usr/bin/env bash
# t4040-report-heads --- the three tools' JSON reports start alike
# (fe/jsonhead.c): schema_version, tool, version, and the run's start and end
# as RFC 3339 UTC times with milliseconds, started <= finished, both within
# the test's own run; keys sorted; problems are objects in every report
# (migrate's were strings: its schema_version is 2 since).  gc's "removed"
# comes last, streamed after the head: a million items are never one tree.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
root=$T/zoo/root
t0=$(date -u +%s)

# check_head REPORT TOOL SCHEMA: the common head
check_head() {
	local r=$1 tool=$2 schema=$3 s f
	assert_jq "$r" '[.tool, .schema_version, .version]' \
	    "[\"$tool\",$schema,\"$("$GC" --version | sed 's/.* //')\"]" \
	    "$tool: tool, schema_version, version"
	for k in started finished; do
		assert_true "$tool: $k is RFC 3339 UTC with milliseconds" \
		    jq -e --arg k "$k" '.[$k] | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")' "$r"
	done
	s=$(jq -r '.started | sub("\\.[0-9]+Z$"; "Z") | fromdate' "$r")
	f=$(jq -r '.finished | sub("\\.[0-9]+Z$"; "Z") | fromdate' "$r")
	assert_true "$tool: started <= finished, both during the test ($s, $f)" \
	    test "$t0" -le "$s" -a "$s" -le "$f" -a "$f" -le "$(date -u +%s)"
	# gc streams its long "removed" list last, after the sorted head
	assert_eq "$(jq -S 'del(.removed)' "$r")" "$(jq 'del(.removed)' "$r")" \
	    "$tool: keys are sorted"
}

run_gc -n --grace 0 --json "$T/gc.json" "$root"
assert_rc 0 "gc"
check_head "$T/gc.json" drydock-gc 1

run_fsck --json "$T/fsck.json" "$root"
check_head "$T/fsck.json" drydock-fsck 1

# a repository name that is no OCI ref.name: migrate's warning is a problem
mkdir -p "$T/reg"
cp -a "$root/." "$T/reg/"
mv "$T/reg/docker/registry/v2/repositories/$(ls "$root/docker/registry/v2/repositories" | head -1)" \
    "$T/reg/docker/registry/v2/repositories/a__b"
run_migrate --json "$T/mig.json" "registry:$T/reg" "oci:$T/lay"
check_head "$T/mig.json" drydock-migrate 2
assert_true "migrate's problems are objects with a message" \
    jq -e '(.problems | length) > 0 and all(.problems[]; type == "object" and (.message | type) == "string")' "$T/mig.json"

# every report, in every mode, follows its JSON Schema (docs/schemas/)
cp -a "$root" "$T/r2"
run_gc --grace 0 -m --quarantine "$T/q" --json "$T/gc-m.json" "$T/r2"
mkdir -p "$T/r2/docker/registry/v2/repositories/odd/_layers/sha256/not-a-digest"
run_gc --grace 0 --json "$T/gc-problems.json" "$T/r2"
assert_rc 4 "gc with a problem"
run_gc --restore "$T/q" --json "$T/gc-restore.json" "$T/r2"
# a policy that deletes tags, and pins (one that matches nothing)
printf '%s\n' 'policies:' '  - repositories: ["**"]' '    delete: ".*"' \
    '    keep:' '      - last: 1' >"$T/policy.yml"
printf '%s\n' "nosuch/repo:tag" >"$T/pins"
cp -a "$root" "$T/r3"
run_gc -n --grace 0 --policy "$T/policy.yml" --pin "$T/pins" \
    --json "$T/gc-policy.json" "$T/r3"
reports=("$T/gc.json" "$T/gc-m.json" "$T/gc-problems.json" "$T/gc-policy.json")
[ -s "$T/gc-restore.json" ] && reports+=("$T/gc-restore.json")
assert_schema drydock-gc "${reports[@]}"
assert_true "the -m report holds removed items" \
    jq -e '(.removed | length) > 0' "$T/gc-m.json"
assert_true "the problems report holds problems" \
    jq -e '(.problems | length) > 0' "$T/gc-problems.json"
assert_true "the policy report holds deleted tags, kept candidates, pins" \
    jq -e '([.removed[] | select(.kind == "tag")] | length) > 0 and
        (.pins.unmatched | length) == 1 and (.policy.kept | length) > 0' \
        "$T/gc-policy.json"
# drydock-gc why: its own report, its own schema
run_gc why --grace 0 -m --pin "$T/pins" --policy "$T/policy.yml" \
    --json "$T/gc-why.json" "$root" team/app:1.0 team/app:latest \
    "$(cat "$root/docker/registry/v2/repositories/team/multi/_manifests/tags/1.0/current/link")" \
    nosuch/repo:1
check_head "$T/gc-why.json" drydock-gc 1
assert_schema drydock-gc-why "$T/gc-why.json"
assert_true "the why report holds a chain, a tag that goes and an unknown" \
    jq -e '[.answers[].verdict] == ["kept","goes","kept","unknown"] and
        (.answers[0].chain | length) == 1' "$T/gc-why.json"
jq '.answers[0].chain[0].kind = "tag"' "$T/gc-why.json" >"$T/bad3.json"
assert_false "a chain step of an unknown kind fails the why schema" \
    schema_ok drydock-gc-why "$T/bad3.json"
# drydock-gc du: the same
run_gc du --grace 0 --by tag --policy "$T/policy.yml" --json "$T/gc-du.json" \
    "$root"
check_head "$T/gc-du.json" drydock-gc 1
run_gc du --grace 0 --top 1 --json "$T/gc-du2.json" "$root"
assert_schema drydock-gc-du "$T/gc-du.json" "$T/gc-du2.json"
jq '.store.policy_bytes = "none"' "$T/gc-du.json" >"$T/bad4.json"
assert_false "policy bytes as a string fail the du schema" \
    schema_ok drydock-gc-du "$T/bad4.json"
# drydock-gc plan: the plan file; apply: a run's report, with what it left
cp -a "$root" "$T/r4"
"$GC" plan --grace 0 -m --policy "$T/policy.yml" --pin "$T/pins" "$T/r4" \
    >"$T/gc-plan.json" 2>/dev/null
assert_schema drydock-gc-plan "$T/gc-plan.json"
jq '.items[0].fingerprint.mtime = 1' "$T/gc-plan.json" >"$T/bad5.json"
assert_false "a plan whose mtime is a number fails the plan schema" \
    schema_ok drydock-gc-plan "$T/bad5.json"
rm -rf "$T/r4/docker/registry/v2/$(jq -r '[.items[] | select(.kind == "blob")][-1].path' \
    "$T/gc-plan.json")"
run_gc apply --json "$T/gc-apply.json" "$T/gc-plan.json" "$T/r4"
check_head "$T/gc-apply.json" drydock-gc 1
assert_schema drydock-gc "$T/gc-apply.json"
assert_true "the apply report says what it left" \
    jq -e '.command == "apply" and (.skipped | length) == 1' "$T/gc-apply.json"
run_migrate --verify --to-oci-types --json "$T/mig-v.json" "registry:$root" "oci:$T/lay-v"
run_migrate -n --json "$T/mig-n.json" "registry:$root" "oci:$T/lay-n"
run_migrate verify --json "$T/mig-verify.json" "registry:$root" "oci:$T/lay-v"
run_migrate --json "$T/mig-d.json" "registry:$root" "docker-archive:$T/d.tar"
run_migrate --image nosuch:tag --json "$T/mig-f.json" "registry:$root" "oci:$T/lay-f"
assert_schema drydock-migrate "$T/mig.json" "$T/mig-v.json" "$T/mig-n.json" \
    "$T/mig-verify.json" "$T/mig-d.json" "$T/mig-f.json"

# fsck: clean, with findings that break images, and after -p
cp -a "$root" "$T/r4"
V4=$T/r4/docker/registry/v2
b=$(ls -d "$V4"/blobs/sha256/*/* | head -1)
echo garbage >>"$b/data"
mkdir -p "$V4/repositories/odd/_layers/sha256/not-a-digest"
run_fsck --json "$T/fsck-bad.json" "$T/r4"
run_fsck -p --quarantine "$T/fq" --json "$T/fsck-p.json" "$T/r4"
assert_true "the fsck reports hold findings that break images" \
    jq -e '[.findings[] | select((.images | length) > 0)] | length > 0' "$T/fsck-bad.json"
assert_schema drydock-fsck "$T/fsck.json" "$T/fsck-bad.json" "$T/fsck-p.json"

# and the schemas are strict: an unknown field, or a wrong type, fails
jq '.surprise = 1' "$T/gc.json" >"$T/bad1.json"
jq '.problems = ["a string"]' "$T/mig.json" >"$T/bad2.json"
assert_false "a report with a field the schema lacks fails it" \
    schema_ok drydock-gc "$T/bad1.json"
assert_true "... and says which" grep -q "surprise" "$T/schema.err"
assert_false "schema_version 1's string problems fail schema 2" \
    schema_ok drydock-migrate "$T/bad2.json"
assert_true "... and says where" grep -q "problems/0" "$T/schema.err"
finish
