#!/usr/bin/env bash
# t3000-migrate-oci --- registry -> OCI layout -> registry with the real
# peers: a varied registry (OCI and Docker single and multi-arch images,
# referrers of referrers, shared layers, a nested repository) is exported
# to oci:, skopeo reads every OCI-typed tag with the registry's own digest,
# every Docker-typed entry names the registry's digest, the layout is
# imported into an empty root that docker-registry serves, and skopeo
# pulls every tag and referrer there with identical digests.  Also: what
# the import writes equals what the registry wrote, reruns are cheap,
# selection, --untagged, verify catching a damaged blob, --to-oci-types
# byte-identical to skopeo's own conversion.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
root=$T/f/root
. "$T/f/expect.sh"
lay=$T/lay

# 1. export everything; referrers go along, untagged images do not
run_migrate --verify --json "$T/r1.json" "registry:$root" "oci:$lay"
assert_mig_rc 0 "registry -> oci with --verify"
assert_jq "$T/r1.json" '[.summary.tags, .summary.referrers,
    .summary.untagged, .summary.failed, .summary.digests_changed]' \
    '[7,2,0,0,0]' "7 tags and 2 referrers carried, nothing changed"
assert_jq "$T/r1.json" '[.verify.ok, .verify.checked]' '[true,9]' \
    "verify proves all 9 images"
assert_jq "$T/r1.json" '[.images[] | select(.digest != .dest_digest)]
    | length' 0 "every digest kept"
assert_jq "$T/r1.json" '.blobs.hardlinked + .blobs.reflinked > 0' true \
    "same filesystem: blobs linked, not copied"
while read -r ref d mt; do
	assert_eq "$mt $d" "$(oci_entry "$lay" "$ref")" \
	    "index.json: $ref names the registry's digest and media type"
	assert_eq "$ref" "$(jq -r --arg d "$d" '.manifests[] |
	    select(.digest == $d) | .annotations["io.containerd.image.name"]' \
	    "$lay/index.json" | head -n 1)" "index.json: $ref io.containerd.image.name"
	case "$mt" in
	application/vnd.oci.*)
		assert_eq "$d" "$(skopeo_oci_digest "$lay" "$ref")" \
		    "skopeo inspect oci:DIR:$ref: the registry's digest"
		skopeo_copy_ok "oci:$lay:$ref" "skopeo copy --all oci:DIR:$ref"
		;;
	*)
		assert_eq "" "$(skopeo_oci_digest "$lay" "$ref")" \
		    "skopeo 1.9 finds no Docker-typed entry $ref (expected)"
		assert_true "Docker manifest of $ref kept byte-identical" \
		    test "sha256:$(sha256sum "$lay/blobs/sha256/${d#sha256:}" |
		        cut -d' ' -f1)" = "$d"
		;;
	esac
done <"$T/f/tags"
for r in "$R1" "$R2"; do
	assert_eq "team/app@$r" "$(jq -r --arg d "$r" '.manifests[] |
	    select(.digest == $d) | .annotations["io.containerd.image.name"]' \
	    "$lay/index.json")" "referrer $r has an entry naming its repository"
done
assert_jq "$lay/index.json" "[.manifests[] | select(.digest == \"$APP2_OLD\")]
    | length" 0 "the untagged old team/app:2.0 is not carried by default"

# 2. rerun: everything is present, nothing copied, index.json the same
cp "$lay/index.json" "$T/index.1"
run_migrate --json "$T/r2.json" "registry:$root" "oci:$lay"
assert_mig_rc 0 "rerun"
assert_jq "$T/r2.json" '[.blobs.hardlinked, .blobs.reflinked, .blobs.copied]' \
    '[0,0,0]' "rerun places nothing"
assert_jq "$T/r2.json" '.blobs.present > 40' true "rerun finds every blob present"
assert_true "rerun leaves index.json as it was" cmp -s "$T/index.1" "$lay/index.json"

# 3. import into an empty root: exactly what the registry wrote
root2=$T/root2
run_migrate --verify --json "$T/r3.json" "oci:$lay" "registry:$root2"
assert_mig_rc 0 "oci -> empty registry root with --verify"
assert_jq "$T/r3.json" '[.summary.tags, .summary.referrers, .verify.ok]' \
    '[7,2,true]' "import: 7 tags, 2 referrers, verified"
assert_same_lines <(tag_links "$root") <(tag_links "$root2") \
    "import: every tag's current link as in the original"
assert_same_lines <(revision_links "$root" | grep -v "${APP2_OLD#sha256:}") \
    <(revision_links "$root2") "import: the same revision links (minus the untagged one)"
layer_links "$root2" >"$T/ll2"
assert_true "import: every _layers link is one the registry wrote" \
    test -z "$(comm -13 <(layer_links "$root") "$T/ll2")"
assert_eq 0 "$(find "$(v2 "$root2")" -name link -type f ! -size 71c | wc -l)" \
    "import: every link file is 71 bytes (no newline)"
assert_eq "" "$(find "$(v2 "$root2")" -name '*.tmp')" "import: no temporary files left"
while read -r ref d mt; do
	h=${d#sha256:}
	assert_file_present "$(v2 "$root2")/repositories/${ref%:*}/_manifests/tags/${ref##*:}/index/sha256/$h/link" \
	    "import: tag history link of $ref"
done <"$T/f/tags"
start_registry "$root2"
while read -r ref d mt; do
	assert_eq "$d" "$(manifest_digest "${ref%:*}" "${ref##*:}")" \
	    "served by docker-registry: $ref has the original digest"
	pull_ok "$ref" "skopeo pulls $ref from the imported root"
done <"$T/f/tags"
pull_ok "team/app@$R1" "skopeo pulls referrer R1 by digest"
pull_ok "team/app@$R2" "skopeo pulls referrer R2 (subject R1) by digest"
stop_registry

# 4. selection: one tag brings its referrers; --repo; --untagged
run_migrate --image team/app:1.0 --json "$T/r4.json" "registry:$root" "oci:$T/lay4"
assert_mig_rc 0 "--image team/app:1.0"
assert_jq "$T/r4.json" '[.images[] | [.kind, .repository, .tag]]' \
    '[["tag","team/app","1.0"],["referrer","team/app",null],["referrer","team/app",null]]' \
    "--image: the tag and its two referrers"
run_migrate --image team/app:1.0 --all-tags --json "$T/r4b.json" "registry:$root" "oci:$T/lay4b"
assert_mig_rc 0 "--image team/app:1.0 --all-tags"
assert_jq "$T/r4b.json" '[.images[] | select(.kind == "tag") | "\(.repository):\(.tag)"]' \
    '["team/app:1.0","team/app:2.0"]' "--all-tags: every tag of team/app (not team/app/sub)"
run_migrate --repo library/docker --repo team/multi --json "$T/r5.json" \
    "registry:$root" "oci:$T/lay5"
assert_mig_rc 0 "--repo twice"
assert_jq "$T/r5.json" '[.images[] | "\(.repository):\(.tag)"] | sort' \
    '["library/docker:1.0","team/multi:1.0"]' "--repo: exactly those repositories"
run_migrate --image nosuch/repo:1 "registry:$root" "oci:$T/lay6"
assert_mig_rc 4 "--image of a missing tag"
assert_true "... says which" grep -q "nosuch/repo:1: no such tag" "$T/mig.err"
run_migrate --untagged --repo team/app --verify --json "$T/r7.json" \
    "registry:$root" "registry:$T/root7"
assert_mig_rc 0 "--untagged registry -> registry"
assert_jq "$T/r7.json" "[.images[] | select(.kind == \"untagged\") | .digest]" \
    "[\"$APP2_OLD\"]" "--untagged carries the overwritten team/app:2.0"
assert_same_lines <(layer_links "$root" | grep '^team/app ') \
    <(layer_links "$T/root7") "--untagged: every _layers link of team/app"

# 5. verify: a damaged blob at the destination is found and named
run_migrate --link copy "registry:$root" "oci:$T/laycopy"
assert_mig_rc 0 "--link copy export"
run_migrate verify --json "$T/v1.json" "registry:$root" "oci:$T/laycopy"
assert_mig_rc 0 "verify SRC DEST on a good copy"
victim=$(jq -r '.layers[-1].digest' "$T/laycopy/blobs/sha256/$(awk '$1 == "library/single:1.0" {print substr($2, 8)}' "$T/f/tags")")
chmod u+w "$T/laycopy/blobs/sha256/${victim#sha256:}"
printf 'X' | dd of="$T/laycopy/blobs/sha256/${victim#sha256:}" bs=1 seek=20 \
    conv=notrunc 2>/dev/null
run_migrate verify --json "$T/v2.json" "registry:$root" "oci:$T/laycopy"
assert_mig_rc 4 "verify finds the damaged blob"
assert_jq "$T/v2.json" '[.images[] | select(.verified == false) | .repository + ":" + .tag]' \
    '["library/single:1.0"]' "verify names the one image it breaks"
assert_true "verify names the blob" grep -q "${victim#sha256:}" "$T/mig.err"

# a damaged blob in an OCI layout source: a copy refuses it and fails only
# that image; a hard link passes it on, and --verify finds it
run_migrate --link copy --json "$T/v3.json" "oci:$T/laycopy" "registry:$T/root-bad"
assert_mig_rc 4 "import of a layout with a damaged blob, --link copy"
assert_jq "$T/v3.json" '[.images[] | select(.status == "failed") | .repository + ":" + .tag]' \
    '["library/single:1.0"]' "only the image with the damaged blob fails"
assert_true "the error names the blob and the mismatch" \
    grep -q "${victim#sha256:}.*digest mismatch" "$T/mig.err"
assert_false "no tag for the failed image" \
    test -e "$(v2 "$T/root-bad")/repositories/library/single/_manifests/tags/1.0"
run_migrate --link hard --verify "oci:$T/laycopy" "registry:$T/root-bad2"
assert_mig_rc 4 "--link hard --verify of the same layout: verify finds the blob"

# a symlink in a layout source is never followed
cp -a "$T/laycopy" "$T/laysym"
printf 'secret\n' >"$T/secret"
rm -f "$T/laysym/blobs/sha256/${victim#sha256:}"
ln -s "$T/secret" "$T/laysym/blobs/sha256/${victim#sha256:}"
run_migrate --link copy --json "$T/v4.json" "oci:$T/laysym" "registry:$T/root-sym"
assert_mig_rc 4 "a layout whose blob is a symlink"
assert_jq "$T/v4.json" '[.images[] | select(.status == "failed") | .repository + ":" + .tag]' \
    '["library/single:1.0"]' "only that image fails"
assert_true "the error says symlink" grep -q "symlink" "$T/mig.err"
assert_false "the symlink's target is never copied in" \
    grep -rqs secret "$(v2 "$T/root-sym")/blobs"

# a layout as Docker 25 and containerd write it: io.containerd.image.name
# is the full reference, ref.name the tag alone
D=$T/d25
cp -a "$lay" "$D"
d_single=$(awk '$1 == "library/single:1.0" {print $2}' "$T/f/tags")
jq -c --arg d "$d_single" '.manifests = [.manifests[] | select(.digest == $d) |
    .annotations = {"io.containerd.image.name": "docker.io/library/single:1.0",
                    "org.opencontainers.image.ref.name": "1.0"}]' \
    "$D/index.json" >"$T/d25.json" && mv "$T/d25.json" "$D/index.json"
run_migrate --json "$T/d25r.json" "oci:$D" "registry:$T/root-d25"
assert_mig_rc 0 "a Docker 25 style layout imports"
assert_eq "library/single 1.0 $d_single" "$(tag_links "$T/root-d25")" \
    "as library/single:1.0 (the docker.io/ host dropped), same digest"

# 6. --to-oci-types: Docker manifests become OCI ones exactly as skopeo
# converts them, and every changed digest is reported
run_migrate --to-oci-types --verify --json "$T/r8.json" "registry:$root" "oci:$T/lay8"
assert_mig_rc 0 "--to-oci-types"
assert_jq "$T/r8.json" '.digest_changes | length' 4 \
    "4 digests change (Docker image, list and its two children)"
d_docker=$(awk '$1 == "library/docker:1.0" {print $2}' "$T/f/tags")
d_new=$(jq -r --arg d "$d_docker" '.digest_changes[] | select(.from == $d) | .to' "$T/r8.json")
assert_eq "$d_new" "$(skopeo_oci_digest "$T/lay8" library/docker:1.0)" \
    "skopeo reads the converted library/docker:1.0"
skopeo_copy_ok "oci:$T/lay8:team/dmulti:1.0" "skopeo copies the converted list"
start_registry "$root"
skopeo copy -q --src-tls-verify=false "docker://$REG/library/docker:1.0" \
    "oci:$T/sk:d" >>"$T/skopeo.log" 2>&1
skopeo copy -q --all --src-tls-verify=false "docker://$REG/team/dmulti:1.0" \
    "oci:$T/sk:dm" >>"$T/skopeo.log" 2>&1
stop_registry
assert_eq "$(oci_entry "$T/sk" d | cut -d' ' -f2)" "$d_new" \
    "the converted image is byte-identical to skopeo's conversion"
assert_eq "$(oci_entry "$T/sk" dm | cut -d' ' -f2)" \
    "$(oci_entry "$T/lay8" team/dmulti:1.0 | cut -d' ' -f2)" \
    "the converted list is byte-identical to skopeo's conversion"

# 7. an OCI index over Docker manifests: the children are converted and the
# index keeps every field but their new descriptors
M=$T/mixed
dl=$(mkimage -d -s mixed -p linux/amd64 -p linux/arm64 -r mixed "$M")
jq -c --arg mt "$MT_OCI_INDEX" '.mediaType = $mt | .annotations = {"x": "kept"}' \
    "$M/blobs/sha256/${dl#sha256:}" | tr -d '\n' >"$T/mixed.idx"
mi=sha256:$(sha256sum "$T/mixed.idx" | cut -d' ' -f1)
cp "$T/mixed.idx" "$M/blobs/sha256/${mi#sha256:}"
jq -c --arg d "$mi" --argjson s "$(stat -c %s "$T/mixed.idx")" --arg mt "$MT_OCI_INDEX" \
    '.manifests = [{mediaType: $mt, digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": "mix/ed:1"}}]' \
    "$M/index.json" >"$T/mixed.json" && mv "$T/mixed.json" "$M/index.json"
run_migrate --to-oci-types --verify --json "$T/r9.json" "oci:$M" "oci:$T/lay9"
assert_mig_rc 0 "--to-oci-types on an OCI index over Docker manifests"
assert_jq "$T/r9.json" '[.digest_changes[].to_media_type] | sort' \
    "[\"$MT_OCI_INDEX\",\"$MT_OCI_MANIFEST\",\"$MT_OCI_MANIFEST\"]" \
    "both children and the index change"
ni=$(oci_entry "$T/lay9" mix/ed:1 | cut -d' ' -f2)
assert_jq "$T/lay9/blobs/sha256/${ni#sha256:}" '[.annotations.x, ([.manifests[].mediaType] | unique)]' \
    "[\"kept\",[\"$MT_OCI_MANIFEST\"]]" "the index keeps its annotations, children are OCI"
skopeo_copy_ok "oci:$T/lay9:mix/ed:1" "skopeo copies the converted index with all platforms"
finish
