#!/usr/bin/env bash
# t1010-gc-modes --- the zoo fixture (see build_fixture_zoo in lib.sh: OCI
# and Docker images, an OCI index and a Docker list with untagged children,
# shared layers, nested repositories, an overwritten tag, API deletes, two
# referrers, a stray blob, a dangling link, stale and fresh uploads) under
# drydock-gc --grace 0 and --grace 0 -m, each first as --dry-run:
#   - the dry run changes no byte, no mtime, no mode, and reports exactly
#     what the real run then removes;
#   - the real run removes exactly the garbage (blobs, links, revisions, tag
#     history, uploads, the emptied repository), each with its kind and
#     reason, and the report is consistent;
#   - the real registry then serves every image that must be kept (all
#     tags, all platforms, the referrer of a live image by digest);
#   - a second run finds nothing.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

# check_mode LABEL M: M=1 for -m
check_mode() {
	local label=$1 m=$2 root=$T/$1 V r d repo hex args
	cp -a "$F/root" "$root"
	V=$(v2 "$root")
	args=(--grace 0)
	[ "$m" = 1 ] && args+=(-m)
	diag "--- drydock-gc ${args[*]}"

	# what must go in this mode
	if [ "$m" = 1 ]; then
		sort -u "$F/orphan.blobs" "$F/untagged.blobs" >"$T/$label.gone"
	else
		cp "$F/orphan.blobs" "$T/$label.gone"
	fi
	layer_links "$root" >"$T/$label.links"
	{
		while read -r repo d; do
			grep -qx "$d" "$T/$label.gone" &&
				echo "$repo $d blob-removed"
		done <"$T/$label.links"
		echo "library/oci $DANGLING blob-missing"
	} | sort >"$T/$label.links.gone"

	# dry run: nothing changes
	snapshot "$root" "$T/$label.snap0"
	run_gc "${args[@]}" -n --json "$T/$label.dry.json" "$root"
	assert_rc 0 "$label: dry run"
	snapshot "$root" "$T/$label.snap1"
	if cmp -s "$T/$label.snap0" "$T/$label.snap1"; then
		pass "$label: dry run left the tree byte-for-byte identical"
	else
		fail "$label: dry run left the tree byte-for-byte identical"
		diff "$T/$label.snap0" "$T/$label.snap1" | head | sed 's/^/#   /'
	fi
	assert_jq "$T/$label.dry.json" '[.dry_run, .delete_untagged]' \
	    "[true,$([ "$m" = 1 ] && echo true || echo false)]" \
	    "$label: dry-run report header"
	assert_true "$label: the dry run wrote no lock, journal or state file" \
	    test "$(find "$root" -newer "$T/$label.snap0" | wc -l)" -eq 0

	# the real run
	run_gc "${args[@]}" --json "$T/$label.json" "$root"
	assert_rc 0 "$label: real run"
	r=$T/$label.json
	assert_jq "$r" '[.dry_run, .delete_untagged, .grace_seconds, .exit_code,
	    .uploads_older_than_seconds]' \
	    "[false,$([ "$m" = 1 ] && echo true || echo false),0,0,604800]" \
	    "$label: report header"
	assert_jq "$r" '.root' "\"$root\"" "$label: report root is absolute"
	check_report_consistent "$r" "$label"
	assert_jq "$r" '.problems' '[]' "$label: no problems"
	report_items "$T/$label.dry.json" >"$T/$label.dry.items"
	report_items "$r" >"$T/$label.items"
	assert_same_lines "$T/$label.dry.items" "$T/$label.items" \
	    "$label: the dry run announced exactly what the real run removed"

	# blobs
	report_blobs "$r" >"$T/$label.rblobs"
	assert_same_lines "$T/$label.gone" "$T/$label.rblobs" \
	    "$label: exactly the garbage blobs are removed"
	assert_jq "$r" '[.removed[] | select(.kind == "blob") |
	    select(.reason != "unreferenced" or .size <= 0 or
	    .path != "blobs/sha256/\(.digest[7:9])/\(.digest[7:])")] | length' \
	    0 "$label: blob items: reason unreferenced, path, size"
	list_blobs "$root" >"$T/$label.ondisk"
	assert_eq "" "$(comm -12 "$T/$label.gone" "$T/$label.ondisk")" \
	    "$label: no garbage blob left on disk"
	assert_eq "" "$(comm -23 "$F/keep.blobs" "$T/$label.ondisk")" \
	    "$label: every blob of a kept image still on disk"
	if [ "$m" = 0 ]; then
		assert_eq "" "$(comm -23 "$F/untagged.blobs" "$T/$label.ondisk")" \
		    "$label: blobs of untagged revisions kept without -m"
	fi
	assert_eq "$(($(wc -l <"$F/keep.blobs") + \
	    $([ "$m" = 1 ] && echo 0 || wc -l <"$F/untagged.blobs")))" \
	    "$(wc -l <"$T/$label.ondisk")" "$label: blob count after the run"

	# layer links
	jq -r '.removed[] | select(.kind == "layer-link") |
	    "\(.repository) \(.digest) \(.reason)"' "$r" | sort \
	    >"$T/$label.rlinks"
	assert_same_lines "$T/$label.links.gone" "$T/$label.rlinks" \
	    "$label: _layers links of removed and missing blobs are removed"
	assert_jq "$r" '[.removed[] | select(.kind == "layer-link") | . as $i |
	    select($i.path | startswith("repositories/\($i.repository)/_layers/sha256/\($i.digest[7:])") | not)]
	    | length' 0 "$label: layer-link paths"
	layer_links "$root" | awk '{print $1, $2}' >"$T/$label.links.after"
	awk '{print $1, $2}' "$T/$label.links.gone" |
		comm -12 - "$T/$label.links.after" >"$T/$label.links.left"
	assert_eq "" "$(cat "$T/$label.links.left")" \
	    "$label: no dangling _layers link left"
	local lost=""
	while read -r repo d; do
		grep -qx "$d" "$T/$label.gone" && continue
		[ "$d" = "$DANGLING" ] && continue
		grep -qx "$repo $d" "$T/$label.links.after" ||
			lost="$lost $repo:$d"
	done <"$T/$label.links"
	assert_eq "" "$lost" \
	    "$label: every _layers link of a kept blob is still there"

	# uploads
	assert_jq "$r" '[.removed[] | select(.kind == "upload") |
	    [.repository, .path, .reason]]' \
	    "[[\"team/app\",\"repositories/team/app/_uploads/$UP_OLD\",\"stale-upload\"]]" \
	    "$label: the abandoned upload is purged, the fresh one is not"
	assert_file_absent "$V/repositories/team/app/_uploads/$UP_OLD"
	assert_file_present "$V/repositories/library/oci/_uploads/$UP_NEW/data" \
	    "$label: fresh upload kept"

	# repositories
	assert_jq "$r" '[.removed[] | select(.kind == "repository") |
	    [.repository, .path, .reason]]' \
	    '[["team/gone","repositories/team/gone","empty-repository"]]' \
	    "$label: the emptied repository is removed, no other"
	assert_file_absent "$V/repositories/team/gone"
	for d in library/oci library/docker team/app team/app/sub team/multi \
	    team/dmulti; do
		[ -d "$V/repositories/$d/_manifests" ] ||
			fail "$label: repository $d lost its _manifests"
	done

	# revisions and tag history
	if [ "$m" = 1 ]; then
		assert_jq "$r" '[.removed[] | select(.kind == "revision" and
		    .reason != "empty-revision-dir") |
		    [.repository, .digest, .reason]] | sort' \
		    "$(jq -cn --arg a "$APP2_OLD" --arg b "$R2" \
		    '[["team/app", $a, "untagged"], ["team/app", $b,
		    "untagged"]] | sort')" \
		    "$label: -m removes the untagged revisions (old 2.0, orphan referrer), not index children nor the live referrer"
		assert_jq "$r" '[.removed[] | select(.kind == "revision") |
		    . as $i | select($i.path | startswith("repositories/\($i.repository)/_manifests/revisions/sha256/\($i.digest[7:])") | not)]
		    | length' 0 "$label: revision paths"
		assert_jq "$r" '[.removed[] | select(.kind == "tag-history") |
		    [.repository, .tag, .digest, .reason]]' \
		    "[[\"team/app\",\"2.0\",\"$APP2_OLD\",\"untagged\"]]" \
		    "$label: -m removes the old digest from 2.0's history"
		for hex in "${APP2_OLD#sha256:}" "${R2#sha256:}"; do
			assert_file_absent "$V/repositories/team/app/_manifests/revisions/sha256/$hex"
		done
		assert_file_absent "$V/repositories/team/app/_manifests/tags/2.0/index/sha256/${APP2_OLD#sha256:}"
	else
		assert_jq "$r" '[.removed[] | select((.kind == "revision" and
		    .reason != "empty-revision-dir") or .kind == "tag-history")]
		    | length' 0 \
		    "$label: no revision or tag history removed without -m"
		assert_file_present "$V/repositories/team/app/_manifests/revisions/sha256/${APP2_OLD#sha256:}/link"
		assert_file_present "$V/repositories/team/app/_manifests/revisions/sha256/${R2#sha256:}/link"
	fi
	# the API deletes left empty revision directories (no link): they go
	assert_jq "$r" '[.removed[] | select(.reason == "empty-revision-dir") |
	    [.kind, .repository, .digest]] | sort' \
	    "$(jq -cn --arg t "$TMP" --arg g "$GONE" '[["revision", "team/app",
	    $t], ["revision", "team/gone", $g]] | sort')" \
	    "$label: the empty revision dirs of the API-deleted manifests go"
	assert_file_absent "$V/repositories/team/app/_manifests/revisions/sha256/${TMP#sha256:}"
	assert_file_present "$V/repositories/team/app/_manifests/tags/2.0/index/sha256/${APP2_NEW#sha256:}/link"
	assert_file_present "$V/repositories/team/app/_manifests/revisions/sha256/${R1#sha256:}/link" \
	    "$label: the live image's referrer revision is kept"

	# every reported path existed before and is gone now
	jq -r '.removed[].path' "$r" >"$T/$label.paths"
	local missing_before=0 still_there=0
	while read -r p; do
		grep -q "^\./docker/registry/v2/$p " "$T/$label.snap0" ||
			missing_before=$((missing_before + 1))
		{ [ -e "$V/$p" ] || [ -L "$V/$p" ]; } &&
			still_there=$((still_there + 1))
	done <"$T/$label.paths"
	assert_eq 0 "$missing_before" "$label: every reported path existed"
	assert_eq 0 "$still_there" "$label: every reported path is gone"

	# the registry serves every kept image
	start_registry "$root"
	for ref in $KEEP_TAGS; do
		pull_ok "$ref" "$label: pulls $ref"
	done
	pull_ok "team/app@$R1" "$label: the live image's referrer pulls by digest"
	if [ "$m" = 1 ]; then
		pull_fails "team/app@$APP2_OLD" "$label: old 2.0 is gone"
		pull_fails "team/app@$R2" "$label: orphan referrer is gone"
	else
		pull_ok "team/app@$APP2_OLD" "$label: old 2.0 pulls by digest"
		pull_ok "team/app@$R2" "$label: orphan referrer pulls by digest"
	fi
	stop_registry

	# converged
	run_gc "${args[@]}" --json "$T/$label.again.json" "$root"
	assert_rc 0 "$label: second run"
	assert_jq "$T/$label.again.json" '.removed | length' 0 \
	    "$label: second run finds nothing"
}

check_mode keep-untagged 0
check_mode delete-untagged 1
finish
