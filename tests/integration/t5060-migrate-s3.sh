#!/usr/bin/env bash
# t5060-migrate-s3 --- drydock-migrate with a registry on S3 as source and
# as destination (registry:CONFIG.yml with a storage.s3 section), against
# radosgw (tests/s3/radosgw.sh), docker-registry's s3 driver and skopeo:
#   - images pushed through docker-registry on a filesystem root (OCI and
#     Docker types, a multi-arch index, layers shared between images);
#   - filesystem -> S3: the bucket, served by docker-registry's s3 driver,
#     pulls every image with the same digests;
#   - S3 -> oci:DIR: skopeo reads every OCI entry with its digest;
#   - oci:DIR -> a second rootdirectory of the bucket, served and pulled;
#   - S3 -> a filesystem root, served and pulled;
#   - S3 -> S3 on the same endpoint (another rootdirectory of the bucket,
#     and another bucket): blobs copied by the server, only manifests come
#     through this host; --link copy streams them instead;
#   - a corrupt blob in the bucket (same size, other bytes) is refused,
#     the image fails, and nothing of that blob appears at the destination;
#   - wrong credentials: exit 8, one line, nothing written.
. "$(dirname "$0")/lib.sh"

peers_only
start_s3 registry other
S3TOOL=$DRYDOCK_TOOLS/s3tool

REFS="app:1 app:2 multi:1 dock:1 team/tool:x"
# digests_of: "REF DIGEST" of every image as the running registry serves it
digests_of() {
	local r
	for r in $REFS; do
		echo "$r $(manifest_digest "${r%%:*}" "${r#*:}")"
	done
}

# pulls_all WHERE: every image pulls from the running registry, with the
# digest the source registry gave it
pulls_all() {
	local r
	assert_eq "$(cat "$T/digests")" "$(digests_of)" \
	    "$1: every tag names the source's digest"
	for r in $REFS; do
		pull_ok "$r" "$1: skopeo pulls $r"
	done
}

# --- a filesystem registry with images ------------------------------------------
start_registry "$T/fs"
L=$T/layout
mkimage -s s-a -b s-base -r a "$L" >/dev/null
mkimage -s s-b -b s-base -r b "$L" >/dev/null
mkimage -s s-m -p linux/amd64 -p linux/arm64 -r m "$L" >/dev/null
mkimage -s s-t -b s-base -r t "$L" >/dev/null
push_oci "$L" a app:1
push_oci "$L" b app:2
push_oci "$L" m multi:1
push_docker "$L" b dock:1
push_oci "$L" t team/tool:x
digests_of >"$T/digests"
for r in $REFS; do image_blobs "${r%%:*}" "${r#*:}"; done | sort -u \
    >"$T/blobs.all"
NBLOBS=$(wc -l <"$T/blobs.all")
# the manifests, by the registry's _manifests (what comes through here in
# a server-side copy)
find "$T/fs/docker/registry/v2/repositories" -path '*/_manifests/revisions/*/link' \
    -exec sh -c 'for f; do cat "$f"; echo; done' _ {} + | sort -u >"$T/manifests.all"
NMANIFESTS=$(wc -l <"$T/manifests.all")
MBYTES=0
for d in $(cat "$T/manifests.all"); do
	MBYTES=$((MBYTES + $(stat -c %s "$(blob_dir "$T/fs" "$d")/data")))
done
stop_registry
diag "$NBLOBS blobs, $NMANIFESTS manifests ($MBYTES bytes) in the source"

# --- filesystem -> S3 --------------------------------------------------------------
s3cfg "$T/cfg-s3.yml" /mig
t0=$(date +%s.%N)
run_migrate --json "$T/to-s3.json" "registry:$T/fs" "registry:$T/cfg-s3.yml"
t1=$(date +%s.%N)
assert_mig_rc 0 "filesystem -> registry:cfg-s3.yml"
assert_schema drydock-migrate "$T/to-s3.json"
assert_jq "$T/to-s3.json" '[.summary.failed, .blobs.copied]' \
    "[0,$NBLOBS]" "every blob uploaded ($NBLOBS)"
assert_jq "$T/to-s3.json" '.destination' "\"registry:$T/cfg-s3.yml\"" \
    "the report names the destination as given"
BYTES=$(jq '.blobs.bytes.copied' "$T/to-s3.json")
diag "fs -> S3: $BYTES bytes in $(echo "$t1 - $t0" | bc) s"
s3_keys registry mig/docker/registry/ >"$T/keys.mig"
assert_eq "" "$(grep -v '^mig/docker/registry/v2/' "$T/keys.mig")" \
    "nothing beside v2/ (the lock object is gone)"
assert_eq "$NBLOBS" "$(grep -c '/v2/blobs/sha256/../[0-9a-f]*/data$' "$T/keys.mig")" \
    "one data object per blob"
serve_s3 /mig
pulls_all "filesystem -> S3"
stop_registry

# a rerun finds everything present
run_migrate --json "$T/to-s3-2.json" "registry:$T/fs" "registry:$T/cfg-s3.yml"
assert_mig_rc 0 "the same migration again"
assert_jq "$T/to-s3-2.json" '[.blobs.copied, .blobs.present]' "[0,$NBLOBS]" \
    "a rerun uploads nothing"

# a bigger one, for a number: one layer of 64 MiB before compression
mkimage -s s-big -l 1 -z $((64 << 20)) -r big "$L" >/dev/null
start_registry "$T/fs2"
push_oci "$L" big big:1
stop_registry
t0=$(date +%s.%N)
run_migrate --json "$T/big.json" "registry:$T/fs2" "registry:$T/cfg-s3.yml"
t1=$(date +%s.%N)
assert_mig_rc 0 "filesystem -> S3, a bigger image"
BB=$(jq '.blobs.bytes.copied' "$T/big.json")
diag "fs -> S3: $BB bytes in $(echo "$t1 - $t0" | bc) s: $(echo "scale=1; $BB / ($t1 - $t0) / 1048576" | bc) MB/s"

# --- S3 -> oci:DIR ---------------------------------------------------------------
run_migrate --verify --json "$T/to-oci.json" "registry:$T/cfg-s3.yml" "oci:$T/oci"
assert_mig_rc 0 "registry:cfg-s3.yml -> oci:DIR with --verify"
assert_schema drydock-migrate "$T/to-oci.json"
assert_jq "$T/to-oci.json" '[.images[] | select(.digest != .dest_digest)] | length' \
    0 "every digest kept"
assert_jq "$T/to-oci.json" '.verify.ok' true "verify reads every blob back"
while read -r ref d; do
	case $ref in
	dock:*)
		assert_eq "$d" "$(oci_entry "$T/oci" "$ref" | cut -d' ' -f2)" \
		    "index.json: $ref names the registry's digest"
		;;
	*)
		assert_eq "$d" "$(skopeo_oci_digest "$T/oci" "$ref")" \
		    "skopeo inspect oci:DIR:$ref: the registry's digest"
		skopeo_copy_ok "oci:$T/oci:$ref" "skopeo copy --all oci:DIR:$ref"
		;;
	esac
done <"$T/digests"

# --- oci:DIR -> a second rootdirectory --------------------------------------------
s3cfg "$T/cfg-restored.yml" /restored
run_migrate --json "$T/restore.json" "oci:$T/oci" "registry:$T/cfg-restored.yml"
assert_mig_rc 0 "oci:DIR -> registry:cfg-restored.yml"
assert_jq "$T/restore.json" '.blobs.server_copied' 0 \
    "from a layout every byte comes through here"
serve_s3 /restored
# a layout holds only the images, not the source's names for big:1
pulls_all "oci:DIR -> S3"
stop_registry

# --- S3 -> a filesystem root -------------------------------------------------------
run_migrate --json "$T/to-fs.json" "registry:$T/cfg-s3.yml" "registry:$T/back"
assert_mig_rc 0 "registry:cfg-s3.yml -> a filesystem root"
assert_jq "$T/to-fs.json" '.summary.failed' 0 "no image failed"
assert_eq "" "$(find "$T/back" -name '.*drydock-*.tmp')" "no temporary file left"
start_registry "$T/back"
pulls_all "S3 -> filesystem"
pull_ok big:1 "S3 -> filesystem: skopeo pulls big:1"
stop_registry

# --- S3 -> S3 on one endpoint: the server copies -------------------------------------
s3cfg "$T/cfg-copy.yml" /copy
run_migrate --image app:1 --image app:2 --image multi:1 --image dock:1 \
    --image team/tool:x --json "$T/s2s.json" \
    "registry:$T/cfg-s3.yml" "registry:$T/cfg-copy.yml"
assert_mig_rc 0 "S3 -> S3 in the same bucket, another rootdirectory"
assert_schema drydock-migrate "$T/s2s.json"
assert_jq "$T/s2s.json" '[.blobs.server_copied, .blobs.copied]' \
    "[$((NBLOBS - NMANIFESTS)),$NMANIFESTS]" \
    "layers and configs copied by the server, only manifests through here"
assert_jq "$T/s2s.json" '[.blobs.bytes.copied, .blobs.hashed]' \
    "[$MBYTES,0]" "no blob byte but the manifests' came through this host (none streamed)"
assert_true "the summary says so" grep -q "copied by the S3 server" "$T/mig.out"
serve_s3 /copy
pulls_all "S3 -> S3 (server-side copy)"
stop_registry

# another bucket of the same endpoint, the same credentials
s3cfg "$T/cfg-other.yml" /x other
run_migrate --json "$T/s2o.json" "registry:$T/cfg-copy.yml" "registry:$T/cfg-other.yml"
assert_mig_rc 0 "S3 -> S3 into another bucket"
assert_jq "$T/s2o.json" '[.blobs.server_copied, .blobs.copied]' \
    "[$((NBLOBS - NMANIFESTS)),$NMANIFESTS]" "... copied by the server across buckets"
serve_s3 /x other
pulls_all "S3 -> another bucket"
stop_registry

# --link copy: every byte through here, hashed
s3cfg "$T/cfg-streamed.yml" /streamed
run_migrate --link copy --json "$T/s2s-copy.json" \
    "registry:$T/cfg-copy.yml" "registry:$T/cfg-streamed.yml"
assert_mig_rc 0 "S3 -> S3 with --link copy"
assert_jq "$T/s2s-copy.json" '[.blobs.server_copied, .blobs.copied]' \
    "[0,$NBLOBS]" "--link copy streams every blob through this host"
run_migrate --link hard "registry:$T/cfg-copy.yml" "registry:$T/cfg-streamed.yml"
assert_mig_rc 16 "--link hard with S3 is a usage error"

# --- a corrupt blob in the bucket ---------------------------------------------------
# app:1's own layer (not shared with app:2): same size, other bytes
start_registry "$T/fs"
OWN=$(comm -23 <(image_blobs app 1) <(image_blobs app 2) | grep -vxFf "$T/manifests.all" | head -n 1)
stop_registry
[ -n "$OWN" ] || bail "app:1 has no blob of its own"
KEY=copy/docker/registry/v2/blobs/sha256/${OWN:7:2}/${OWN#sha256:}/data
SIZE=$("$S3TOOL" -c "$T/cfg-copy.yml" stat "$KEY" | awk '{print $1}')
head -c "$SIZE" /dev/zero | "$S3TOOL" -c "$T/cfg-copy.yml" putmem "$KEY" >/dev/null ||
    bail "cannot overwrite $KEY"
DKEY=bad/docker/registry/v2/blobs/sha256/${OWN:7:2}/${OWN#sha256:}/data
s3cfg "$T/cfg-bad.yml" /bad
run_migrate --link copy --json "$T/bad.json" \
    "registry:$T/cfg-copy.yml" "registry:$T/cfg-bad.yml"
assert_mig_rc 4 "a corrupt source blob fails its image (exit 4)"
assert_jq "$T/bad.json" '[.images[] | select(.status == "failed") | .repository + ":" + .tag]' \
    '["app:1"]' "... app:1 alone"
assert_true "... saying digest mismatch of that blob" \
    grep -q "app:1: FAILED: .*$OWN.*digest mismatch" "$T/mig.err"
s3_keys registry bad/ >"$T/keys.bad"
assert_false "the corrupt blob is not in the destination" grep -qx "$DKEY" "$T/keys.bad"
assert_false "app:1 is not tagged there" grep -q "/app/_manifests/tags/1/" "$T/keys.bad"
run_migrate "registry:$T/cfg-copy.yml" "registry:$T/back-bad"
assert_mig_rc 4 "into a filesystem root: exit 4 too"
assert_false "... and no data file of it there" \
    test -e "$(blob_dir "$T/back-bad" "$OWN")/data"
assert_eq "" "$(find "$T/back-bad" -name '.*drydock-*.tmp')" "... nor a temporary file"
# the server copies what it is given (a reflink would too): --verify hashes it
s3cfg "$T/cfg-srv.yml" /srv
run_migrate --verify --json "$T/srv.json" "registry:$T/cfg-copy.yml" "registry:$T/cfg-srv.yml"
assert_mig_rc 4 "a server-side copy of the corrupt blob: --verify fails it (exit 4)"
assert_jq "$T/srv.json" '[.images[] | select(.verified == false) | .repository + ":" + .tag]' \
    '["app:1"]' "... app:1 alone does not verify"

# --- wrong credentials ------------------------------------------------------------
s3_keys registry >"$T/keys.before"
REGISTRY_STORAGE_S3_SECRETKEY=wrong run_migrate "registry:$T/cfg-s3.yml" "oci:$T/never"
assert_mig_rc 8 "a wrong secret key on the source exits 8"
assert_eq 1 "$(wc -l <"$T/mig.err")" "... with one line: $(head -c 200 "$T/mig.err")"
assert_false "... and writes nothing" test -e "$T/never"
REGISTRY_STORAGE_S3_SECRETKEY=wrong run_migrate "registry:$T/fs" "registry:$T/cfg-s3.yml"
assert_mig_rc 8 "a wrong secret key on the destination exits 8"
assert_eq 1 "$(wc -l <"$T/mig.err")" "... with one line: $(head -c 200 "$T/mig.err")"
s3_keys registry >"$T/keys.now"
assert_true "... and nothing changed in the bucket" cmp -s "$T/keys.before" "$T/keys.now"
finish
