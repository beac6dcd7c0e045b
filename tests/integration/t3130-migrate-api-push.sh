#!/usr/bin/env bash
# t3130-migrate-api-push --- docker:// as a destination, and as both
# sides, against the real docker-registry: registry:ROOT -> docker://HOST/
# keeps every repository's name and every digest (skopeo reads each tag
# back, the referrers are there by digest), shared blobs are mounted from
# the repository that got them first, a rerun uploads nothing (HEAD),
# chunked uploads (PATCH with Content-Range) give the same digests,
# docker:// -> docker:// renames a repository and a tag, verify reads a
# docker:// destination, --all-repositories lists _catalog, and a
# 2,000-tag repository is listed page by page.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
. "$T/f/expect.sh"
start_registry "$T/dst"
D="docker://$REG"

# 1. every repository, names kept
run_migrate --verify --json "$T/r1.json" "registry:$T/f/root" "$D/"
assert_mig_rc 0 "registry:ROOT -> docker://HOST/ with --verify"
assert_jq "$T/r1.json" '[.summary.tags, .summary.referrers,
    .summary.digests_changed, .verify.ok]' '[7,2,0,true]' \
    "7 tags, 2 referrers, no digest changed, verified at the registry"
while read -r t d _; do
	assert_eq "$d" "$(manifest_digest "${t%:*}" "${t#*:}")" \
	    "docker-registry serves $t with the source's digest"
	raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/$t" |
	    sha256sum | cut -d' ' -f1)
	assert_eq "$d" "sha256:$raw" "skopeo inspect --raw $t: the same bytes"
done <"$T/f/tags"
for r in "$R1" "$R2"; do
	assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "$ACCEPT" \
	    "http://$REG/v2/team/app/manifests/$r")" "referrer $r pushed by digest"
done
assert_jq "$T/r1.json" '.network.mounted > 0' true \
    "a blob shared between repositories is mounted, not uploaded again"
up1=$(jq .network.uploaded "$T/r1.json")
nman=$(revision_links "$T/dst" | awk '{print $2}' | sort -u | wc -l)
assert_eq "$((up1 + nman))" "$(find "$T/dst/docker/registry/v2/blobs" \
    -name data | wc -l | tr -d ' ')" \
    "each blob uploaded once (the registry holds them and the manifests)"
assert_true "skopeo copies team/dmulti (every platform, every blob)" \
    skopeo copy -q --all --src-tls-verify=false "$D/team/dmulti:1.0" \
    "dir:$T/sk1"

# 2. a rerun uploads nothing
run_migrate --json "$T/r2.json" "registry:$T/f/root" "$D/"
assert_mig_rc 0 "rerun"
assert_jq "$T/r2.json" '[.network.uploaded, .network.mounted]' '[0,0]' \
    "rerun: the registry has every blob (HEAD)"

# 3. chunked uploads, docker:// -> docker:// under another name and tag
need_test_hooks
DRYDOCK_TEST_CHUNK=100 run_migrate --verify --json "$T/r3.json" \
    "$D/team/multi:1.0" "$D/copy/multi:v1"
assert_mig_rc 0 "docker:// -> docker://, 100-byte chunks"
want=$(awk '$1 == "team/multi:1.0" {print $2}' "$T/f/tags")
assert_eq "$want" "$(manifest_digest copy/multi v1)" \
    "copy/multi:v1 has team/multi:1.0's digest"
assert_jq "$T/r3.json" '[.network.uploaded > 0, .verify.ok]' '[true,true]' \
    "blobs uploaded in chunks and verified"
run_migrate "$D/team/app" "$D/copy/app:one"
assert_mig_rc 8 "two tags cannot go to one"
assert_true "and it says so" grep -q "names one tag" "$T/mig.err"
run_migrate "$D/team/app" "$D/x@$want"
assert_mig_rc 16 "a destination by digest is a usage error"

# 4. drydock-migrate verify against a docker:// destination
run_migrate verify --json "$T/r4.json" "registry:$T/f/root" "$D/"
assert_mig_rc 0 "verify registry:ROOT docker://HOST/"
assert_jq "$T/r4.json" '[.verify.checked, .verify.ok]' '[9,true]' \
    "every image checked at the registry"
api_delete_manifest team/app "$(awk '$1 == "team/app:1.0" {print $2}' "$T/f/tags")"
run_migrate verify --json "$T/r5.json" "registry:$T/f/root" "$D/"
assert_mig_rc 4 "a deleted manifest fails verify"
assert_jq "$T/r5.json" '[.images[] | select(.verified == false) | .tag]
    | index("1.0") != null' true "team/app:1.0 did not verify"

# 5. referrers through the tag schema: sha256-<hex> tags naming indexes
fallback() { # SUBJECT REFERRER: tag sha256-<subject hex> -> index of REFERRER
	local size mt
	size=$(curl -s -H "$ACCEPT" "http://$REG/v2/team/app/manifests/$2" | wc -c)
	mt=$(curl -s -H "$ACCEPT" "http://$REG/v2/team/app/manifests/$2" | jq -r .mediaType)
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%d}]}' \
	    "$MT_OCI_INDEX" "$mt" "$2" "$size" |
		curl -s -f -o /dev/null -X PUT -H "Content-Type: $MT_OCI_INDEX" \
		    --data-binary @- "http://$REG/v2/team/app/manifests/sha256-${1#sha256:}"
}
APP1=$(awk '$1 == "team/app:1.0" {print $2}' "$T/f/tags")
run_migrate --image team/app:1.0 "registry:$T/f/root" "$D/" # deleted in 4.
assert_mig_rc 0 "team/app:1.0 pushed again"
fallback "$APP1" "$R1" && fallback "$R1" "$R2" || bail "fallback tags"
run_migrate --verify --json "$T/r8.json" "$D/team/app:1.0" "oci:$T/refs"
assert_mig_rc 0 "docker://.../team/app:1.0 with its referrers -> oci:"
assert_jq "$T/r8.json" '[.summary.tags, .summary.referrers, .verify.ok]' \
    '[1,2,true]' "both referrers found through sha256-<hex> tags, and verified"
for r in "$R1" "$R2"; do
	assert_eq "team/app@$r" "$(jq -r --arg d "$r" '.manifests[] |
	    select(.digest == $d) | .annotations["io.containerd.image.name"]' \
	    "$T/refs/index.json")" "referrer $r is in the layout"
done

# 6. --all-repositories, and 2,000 tags listed page by page
mf=$(curl -s -H "Accept: $MT_OCI_MANIFEST" "http://$REG/v2/library/single/manifests/1.0")
for ((i = 0; i < 2000; i++)); do
	printf 'url = "http://%s/v2/many/tags/manifests/t%04d"\n' "$REG" "$i"
	printf 'request = "PUT"\nheader = "Content-Type: %s"\n' "$MT_OCI_MANIFEST"
	printf 'data-binary = "@%s"\noutput = /dev/null\nnext\n' "$T/mf.json"
done | sed '$d' >"$T/curl.cfg" # no "next" after the last
printf '%s' "$mf" >"$T/mf.json"
blobs=$(jq -r '.config.digest, .layers[].digest' <<<"$mf")
for b in $blobs; do # the new repository needs its own links
	curl -s -o /dev/null -X POST \
	    "http://$REG/v2/many/tags/blobs/uploads/?mount=$b&from=library/single"
done
curl -sS -f -K "$T/curl.cfg" 2>"$T/curl.err" ||
	bail "could not push 2,000 tags: $(head -c 300 "$T/curl.err")"
run_migrate -n --json "$T/r6.json" "$D/many/tags" "oci:$T/many"
assert_mig_rc 0 "a 2,000-tag repository"
assert_jq "$T/r6.json" '.summary.tags' 2000 "all 2,000 tags listed (two pages and more)"
run_migrate -n --all-repositories --json "$T/r7.json" "$D/" "oci:$T/all"
assert_mig_rc 0 "--all-repositories"
assert_jq "$T/r7.json" '[.images[].repository] | unique | length >= 7' true \
    "every repository of _catalog"
run_migrate -n "$D/" "oci:$T/none"
assert_mig_rc 8 "docker://HOST/ as a source needs --all-repositories"
# the reports of pushes and pulls follow the JSON Schema
assert_schema drydock-migrate "$T"/r*.json
finish
