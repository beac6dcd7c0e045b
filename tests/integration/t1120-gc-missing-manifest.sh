#!/usr/bin/env bash
# t1120-gc-missing-manifest --- a manifest whose data file is gone is the
# extreme case of an unparseable one: nobody can tell what it referenced.
# Reached from a tag, from a revision (untagged, with -m) or from a kept
# index, it is reported (exit 4) and every blob and link its repository has
# is kept, so that putting the manifest back (from a backup, or a push)
# heals the image.  Before the fix gc removed that image's config and
# layers with exit 0.  In both modes; the rest of the store is still
# collected (DANGLING, a link the fixture made to a blob that never was,
# is no blob to keep).
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

V0=$(v2 "$F/root")
OCI_MF=$(cat "$V0/repositories/library/oci/_manifests/tags/1.0/current/link")
MULTI=$(cat "$V0/repositories/team/multi/_manifests/tags/1.0/current/link")
CHILD=$(jq -r '.manifests[1].digest' "$(blob_dir "$F/root" "$MULTI")/data")

# case NAME REPO DIGEST MODE PULLREF: remove DIGEST's data, run gc in MODE
# (0 default, 1 -m), check, put the data back, pull PULLREF
check_case() {
	local name=$1 repo=$2 dg=$3 m=$4 ref=$5 root label missing
	label="$name $([ "$m" = 1 ] && echo -m || echo default)"
	root=$T/$name.$m
	cp -a "$F/root" "$root"
	cp "$(blob_dir "$root" "$dg")/data" "$T/$name.saved"
	rm "$(blob_dir "$root" "$dg")/data"
	linked "$root" "$repo" >"$T/$name.$m.linked"
	local args=(--grace 0)
	[ "$m" = 1 ] && args+=(-m)
	run_gc "${args[@]}" --json "$T/$name.$m.json" "$root"
	assert_rc 4 "$label: a missing manifest is a problem left: exit 4"
	assert_jq "$T/$name.$m.json" "[.problems[] |
	    select(.path | contains(\"${dg#sha256:}\"))] | length" 1 \
	    "$label: the missing manifest is reported once, by its path"
	assert_jq "$T/$name.$m.json" "[.problems[] |
	    select(.path | contains(\"${dg#sha256:}\")) | .message |
	    contains(\"missing\")] | all" true "$label: the problem says missing"
	check_report_consistent "$T/$name.$m.json" "$label"
	missing=""
	while read -r d; do
		case $d in "$dg" | "$DANGLING") continue ;; esac
		blob_exists "$root" "$d" || missing="$missing $d"
	done <"$T/$name.$m.linked"
	assert_eq "" "$missing" "$label: every blob $repo links is kept"
	linked "$root" "$repo" >"$T/$name.$m.after"
	assert_same_lines "$T/$name.$m.linked" "$T/$name.$m.after" \
	    "$label: every link of $repo is kept"
	assert_eq "" "$(list_blobs "$root" | comm -12 - <(sort "$F/gone.img"))" \
	    "$label: the rest of the store is still collected"
	cp "$T/$name.saved" "$(blob_dir "$root" "$dg")/data"
	start_registry "$root"
	pull_ok "$ref" "$label: with the manifest back, $ref pulls"
	stop_registry
}

for m in 0 1; do
	check_case tag library/oci "$OCI_MF" "$m" library/oci:1.0
	check_case child team/multi "$CHILD" "$m" team/multi:1.0
done
# an untagged revision is a root only without -m; with -m it is read to
# look for a subject, and its missing data must keep its blobs too
check_case untagged team/app "$APP2_OLD" 1 "team/app@$APP2_OLD"
finish
