#!/usr/bin/env bash
# t1050-gc-problems --- bad input is reported and everything it might need is
# kept, the run goes on with the rest, and the exit code is 4:
#   - library/oci: the _layers link of its config ends with a newline (the
#     registry answers 500 for it: distribution's own GC aborts); gc reads
#     no _layers link (a link is no root: the manifest keeps the config),
#     so gc says nothing of it and drydock-fsck reports it;
#   - team/app: the blob of an untagged manifest (old 2.0) is garbage, so
#     nothing tells what it references: every blob and revision team/app
#     links must stay (even the otherwise unreferenced stray blob);
#   - team/app/sub: the tag's current link has a CR LF, so which revision
#     the tag means is unknown: with -m its revision must stay.
# Once the damage is repaired by hand, the images pull again: gc removed
# nothing they needed.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
cfg=$(jq -r .config.digest \
    "$F/layouts/blobs/sha256/$("$MKIMAGE" --digest "$F/layouts" oci1 |
    cut -d: -f2)")
sub=$("$MKIMAGE" --digest "$F/layouts" sub1)

damage() { # ROOT
	local V
	V=$(v2 "$1")
	printf '%s\n' "$cfg" \
	    >"$V/repositories/library/oci/_layers/sha256/${cfg#sha256:}/link"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.im' \
	    >"$(blob_dir "$1" "$APP2_OLD")/data"
	printf '%s\r\n' "$sub" \
	    >"$V/repositories/team/app/sub/_manifests/tags/1.0/current/link"
}

repair() { # ROOT
	local V
	V=$(v2 "$1")
	printf '%s' "$cfg" \
	    >"$V/repositories/library/oci/_layers/sha256/${cfg#sha256:}/link"
	printf '%s' "$sub" \
	    >"$V/repositories/team/app/sub/_manifests/tags/1.0/current/link"
}

for m in 0 1; do
	label=$([ "$m" = 1 ] && echo "-m" || echo "default")
	root=$T/root$m
	cp -a "$F/root" "$root"
	damage "$root"
	V=$(v2 "$root")
	linked "$root" team/app >"$T/app.linked.$m"
	cp "$V/repositories/library/oci/_layers/sha256/${cfg#sha256:}/link" \
	    "$T/badlink.$m"
	args=(--grace 0)
	[ "$m" = 1 ] && args+=(-m)
	run_gc "${args[@]}" --json "$T/r$m.json" "$root"
	r=$T/r$m.json
	assert_rc 4 "$label: problems found and left: exit 4"
	assert_jq "$r" '.exit_code' 4 "$label: report exit_code 4"
	assert_jq "$r" "[.problems[] | select(.path | contains(\"${cfg#sha256:}\"))]
	    | length" 0 \
	    "$label: gc does not read _layers links (a live blob's malformed link is fsck's)"
	assert_jq "$r" "[.problems[] | select(.path | contains(\"${APP2_OLD#sha256:}\"))
	    | .code] | unique" '["ECORRUPT"]' \
	    "$label: the unparseable manifest is reported (ECORRUPT)"
	assert_jq "$r" "[.problems[] | select(.path | contains(\"team/app/sub/_manifests/tags/1.0\"))]
	    | length > 0" true "$label: the malformed tag link is reported"
	assert_jq "$r" '[.problems[] | select((.message | length) == 0)]
	    | length' 0 "$label: every problem has a message"
	check_report_consistent "$r" "$label"
	assert_true "$label: the bad link is left as it was" \
	    cmp -s "$T/badlink.$m" \
	    "$V/repositories/library/oci/_layers/sha256/${cfg#sha256:}/link"
	assert_true "$label: the config it names is kept" \
	    blob_exists "$root" "$cfg"
	run_fsck --json "$T/f$m.json" "$root"
	assert_jq "$T/f$m.json" "[.findings[] | select(.path |
	    contains(\"_layers/sha256/${cfg#sha256:}\")) | .id]" \
	    '["LINK_WHITESPACE"]' "$label: drydock-fsck reports the malformed _layers link"
	missing=""
	while read -r d; do
		blob_exists "$root" "$d" || missing="$missing $d"
	done <"$T/app.linked.$m"
	assert_eq "" "$missing" \
	    "$label: every blob team/app links is kept (unparseable manifest there)"
	linked "$root" team/app >"$T/app.linked.after.$m"
	assert_same_lines "$T/app.linked.$m" "$T/app.linked.after.$m" \
	    "$label: every link of team/app is kept"
	assert_true "$label: the stray blob of team/app is kept" \
	    blob_exists "$root" "$STRAY"
	assert_true "$label: the unparseable manifest itself is kept" \
	    blob_exists "$root" "$APP2_OLD"
	assert_file_present "$V/repositories/team/app/sub/_manifests/revisions/sha256/${sub#sha256:}/link" \
	    "$label: the revision of the unreadable tag is kept"
	# the run went on with the rest
	assert_eq "" "$(list_blobs "$root" | comm -12 - <(sort "$F/gone.img"))" \
	    "$label: the deleted image's blobs in team/gone are still removed"
	assert_file_absent "$V/repositories/team/gone" \
	    "$label: the emptied repository is still removed"
	assert_file_absent "$V/repositories/team/app/_uploads/$UP_OLD" \
	    "$label: the stale upload is still purged"

	repair "$root"
	start_registry "$root"
	for ref in $KEEP_TAGS; do
		pull_ok "$ref" "$label: after the repair, pulls $ref"
	done
	pull_ok "team/app@$R1" "$label: after the repair, the referrer pulls"
	stop_registry
done
finish
