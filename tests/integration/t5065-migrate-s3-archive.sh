#!/usr/bin/env bash
# t5065-migrate-s3-archive --- archives in and out of a registry on S3
# (registry:CONFIG.yml with a storage.s3 section), and from S3 to the
# registry API, against radosgw (tests/s3/radosgw.sh), docker-registry's
# s3 driver and skopeo:
#   - images pushed through docker-registry on a filesystem root (an OCI
#     image, a multi-arch index, a Docker schema2 image, one layer of 1 MiB,
#     580 KiB compressed: more than a pipe holds), written into archives by
#     skopeo;
#   - oci-archive -> S3: docker-registry's s3 driver serves every image with
#     the digest the first registry gave it; skopeo inspects and copies it;
#   - docker-archive -> S3 (plain and --compress): served with the original
#     config (image ID) and the manifest digest the same archive gets in a
#     filesystem root; skopeo copies it;
#   - S3 -> oci-archive (and .tar.gz, and "-"): blobs streamed from the
#     bucket into the tar; skopeo inspects and copies every image from it;
#   - S3 -> docker-archive: each layer is read twice (a pipe from S3 cannot
#     be): skopeo copies every image with its config;
#   - S3 -> docker://HOST/REPO of a second docker-registry (filesystem):
#     blobs streamed from the bucket are pushed with their sizes, whole and
#     in chunks; skopeo pulls every image with the same digest;
#   - a corrupt layer in the bucket (same size, other bytes) fails its
#     image, pushed or exported, and nothing of it reaches the registry.
. "$(dirname "$0")/lib.sh"

start_s3 registry
need_test_hooks
S3TOOL=$DRYDOCK_TOOLS/s3tool
# blobs bound for the bucket are staged here (drydock-migrate: $TMPDIR)
export TMPDIR=$T/stage
mkdir -p "$TMPDIR"

# skopeo_digest REF: sha256 of the manifest skopeo reads at REF (empty when
# it cannot)
skopeo_digest() {
	local raw
	raw=$(mktemp "$T/raw.XXXXXX")
	if skopeo inspect --raw --tls-verify=false "$1" >"$raw" \
	    2>>"$T/skopeo.log"; then
		echo "sha256:$(sha256sum "$raw" | cut -d' ' -f1)"
	fi
	rm -f "$raw"
}

# skopeo_config REF: the config digest (image ID) of the manifest at REF
skopeo_config() {
	skopeo inspect --raw --tls-verify=false "$1" 2>>"$T/skopeo.log" |
		jq -r '.config.digest'
}

# served_ok REF DIGEST WHAT: the running registry serves REF (REPO:TAG) as
# DIGEST to skopeo, and skopeo copies it (every digest checked)
served_ok() {
	assert_eq "$2" "$(skopeo_digest "docker://$REG/$1")" \
	    "$3: skopeo inspect $1: digest $2"
	pull_ok "$1" "$3: skopeo copy --all $1"
}

# --- images in a filesystem registry, and skopeo's archives of them ----------------
OCI_REFS="app:1 multi:1 big:1"
L=$T/layout
mkimage -s s-a -b s-base -r a "$L" >/dev/null
mkimage -s s-m -p linux/amd64 -p linux/arm64 -r m "$L" >/dev/null
mkimage -s s-d -b s-base -r d "$L" >/dev/null
mkimage -s s-big -l 1 -z $((1 << 20)) -r big "$L" >/dev/null
start_registry "$T/fs"
push_oci "$L" a app:1
push_oci "$L" m multi:1
push_oci "$L" big big:1
push_docker "$L" d dock:1
for r in $OCI_REFS dock:1; do
	echo "$r $(manifest_digest "${r%%:*}" "${r#*:}")"
done >"$T/digests"
for r in $OCI_REFS; do
	skopeo copy -q --all --src-tls-verify=false "docker://$REG/$r" \
	    "oci-archive:$T/oa-${r%%:*}.tar:$r" >>"$T/skopeo.log" 2>&1 ||
		bail "skopeo copy $r to an oci-archive"
done
for r in app:1 dock:1 big:1; do
	skopeo copy -q --src-tls-verify=false "docker://$REG/$r" \
	    "docker-archive:$T/da-${r%%:*}.tar:$r" >>"$T/skopeo.log" 2>&1 ||
		bail "skopeo copy $r to a docker-archive"
	skopeo_config "docker://$REG/$r" >"$T/config.${r%%:*}"
done
stop_registry
digest_of() { awk -v r="$1" '$1 == r {print $2}' "$T/digests"; }
config_of() { cat "$T/config.${1%%:*}"; }
[ -s "$T/config.app" ] && [ "$(config_of dock:1)" != null ] ||
    bail "no config digests from skopeo"

# --- oci-archive -> S3 ------------------------------------------------------------
s3cfg "$T/cfg-oa.yml" /oa
for r in $OCI_REFS; do
	run_migrate --json "$T/oa-${r%%:*}.json" \
	    "oci-archive:$T/oa-${r%%:*}.tar" "registry:$T/cfg-oa.yml"
	assert_mig_rc 0 "skopeo's oci-archive of $r -> registry:cfg-oa.yml"
done
assert_jq "$T/oa-multi.json" '[.summary.failed, .images[0].repository, .images[0].tag,
    .images[0].digest == .images[0].dest_digest]' '[0,"multi","1",true]' \
    "the archive's multi:1 went in, its digest kept"
assert_jq "$T/oa-big.json" '.blobs.bytes.copied > 500000' true \
    "big:1's layer went in (more than a pipe holds)"
s3_keys registry oa/ >"$T/keys.oa"
assert_eq "" "$(grep -v '^oa/docker/registry/v2/' "$T/keys.oa")" \
    "nothing beside v2/ in the bucket (the lock object is gone)"
assert_eq "" "$(ls -A "$TMPDIR")" "no staging directory left behind"
run_migrate --json "$T/oa-again.json" "oci-archive:$T/oa-app.tar" "registry:$T/cfg-oa.yml"
assert_mig_rc 0 "the same import again"
assert_jq "$T/oa-again.json" '.blobs.copied' 0 "... finds every blob in the bucket"
serve_s3 /oa
for r in $OCI_REFS; do
	served_ok "$r" "$(digest_of "$r")" "oci-archive -> S3"
done
stop_registry

# --- docker-archive -> S3 -----------------------------------------------------------
# skopeo names them docker.io/library/NAME:TAG: imported as library/NAME:TAG
s3cfg "$T/cfg-da.yml" /da
s3cfg "$T/cfg-dz.yml" /dz
for r in app:1 dock:1 big:1; do
	n=${r%%:*}
	run_migrate --verify --json "$T/da-$n.json" "docker-archive:$T/da-$n.tar" \
	    "registry:$T/cfg-da.yml"
	assert_mig_rc 0 "skopeo's docker-archive of $r -> registry:cfg-da.yml, verified"
	assert_jq "$T/da-$n.json" '[.verify.ok, .images[0].repository, .images[0].tag]' \
	    "[true,\"library/$n\",\"1\"]" "... as library/$r, read back from the bucket"
	run_migrate --json "$T/df-$n.json" "docker-archive:$T/da-$n.tar" "registry:$T/fs-da"
	assert_mig_rc 0 "... and into a filesystem root"
	run_migrate --compress --json "$T/dz-$n.json" "docker-archive:$T/da-$n.tar" \
	    "registry:$T/cfg-dz.yml"
	assert_mig_rc 0 "... and --compress into registry:cfg-dz.yml"
	jq -r '.images[0].dest_digest' "$T/da-$n.json" >"$T/dd.$n"
	jq -r '.images[0].dest_digest' "$T/dz-$n.json" >"$T/dz.$n"
	assert_eq "$(jq -r '.images[0].dest_digest' "$T/df-$n.json")" \
	    "$(cat "$T/dd.$n")" "$r: the same manifest in the bucket as in a root"
done
assert_eq "" "$(ls -A "$TMPDIR")" "no staging directory left behind"
serve_s3 /da
for r in app:1 dock:1 big:1; do
	served_ok "library/$r" "$(cat "$T/dd.${r%%:*}")" "docker-archive -> S3"
	assert_eq "$(config_of "$r")" "$(skopeo_config "docker://$REG/library/$r")" \
	    "docker-archive -> S3: library/$r keeps its config (image ID)"
done
stop_registry
serve_s3 /dz
for r in app:1 dock:1 big:1; do
	served_ok "library/$r" "$(cat "$T/dz.${r%%:*}")" "docker-archive --compress -> S3"
done
assert_eq '["application/vnd.oci.image.layer.v1.tar+gzip"]' \
    "$(curl -s -H "$ACCEPT" "http://$REG/v2/library/big/manifests/1" |
	jq -c '[.layers[].mediaType] | unique')" "--compress: gzip layers in the bucket"
stop_registry

# --- S3 -> oci-archive -------------------------------------------------------------
for x in tar tar.gz; do
	run_migrate --verify --json "$T/x-$x.json" "registry:$T/cfg-oa.yml" \
	    "oci-archive:$T/x.$x"
	assert_mig_rc 0 "registry:cfg-oa.yml -> oci-archive:x.$x with --verify"
	assert_jq "$T/x-$x.json" '[.summary.failed, .verify.ok]' '[0,true]' \
	    "x.$x: nothing failed, verified"
	assert_jq "$T/x-$x.json" '[.images[] | select(.digest != .dest_digest)] | length' \
	    0 "x.$x: every digest kept"
done
for r in $OCI_REFS; do
	assert_eq "$(digest_of "$r")" "$(skopeo_digest "oci-archive:$T/x.tar:$r")" \
	    "skopeo inspect oci-archive:x.tar:$r: the first registry's digest"
	skopeo_copy_ok "oci-archive:$T/x.tar:$r" "skopeo copy --all oci-archive:x.tar:$r"
done
assert_eq "$(digest_of multi:1)" "$(skopeo_digest "oci-archive:$T/x.tar.gz:multi:1")" \
    "skopeo inspect oci-archive:x.tar.gz:multi:1"
# streamed: a pipe, no temporary file to rename
run_migrate "registry:$T/cfg-oa.yml" oci-archive:-
assert_mig_rc 0 "registry:cfg-oa.yml -> oci-archive:- (stdout)"
assert_eq "$(digest_of big:1)" "$(skopeo_digest "oci-archive:$T/mig.out:big:1")" \
    "skopeo reads big:1 from the archive written to stdout"

# --- S3 -> docker-archive ----------------------------------------------------------
run_migrate --verify --json "$T/xd.json" "registry:$T/cfg-oa.yml" "docker-archive:$T/xd.tar"
assert_mig_rc 0 "registry:cfg-oa.yml -> docker-archive with --verify"
assert_jq "$T/xd.json" '[.summary.failed, .verify.ok]' '[0,true]' \
    "xd.tar: nothing failed, verified"
for r in app:1 big:1; do
	skopeo_copy_ok "docker-archive:$T/xd.tar:$r" "skopeo copy docker-archive:xd.tar:$r"
	assert_eq "$(config_of "$r")" "$(skopeo_config "docker-archive:$T/xd.tar:$r")" \
	    "docker-archive:xd.tar:$r: the original config (image ID)"
done
run_migrate --image library/dock:1 "registry:$T/cfg-da.yml" "docker-archive:$T/xd2.tar"
assert_mig_rc 0 "registry:cfg-da.yml -> docker-archive: the imported Docker image"
assert_eq "$(config_of dock:1)" \
    "$(skopeo_config "docker-archive:$T/xd2.tar:library/dock:1")" \
    "docker-archive:xd2.tar:library/dock:1: the original config after the round trip"

# --- S3 -> docker://HOST/REPO -------------------------------------------------------
start_registry "$T/pushed"
for r in $OCI_REFS; do
	run_migrate --verify --json "$T/p-${r%%:*}.json" --image "$r" \
	    "registry:$T/cfg-oa.yml" "docker://$REG/${r%%:*}"
	assert_mig_rc 0 "registry:cfg-oa.yml -> docker://$REG/${r%%:*} ($r), --verify"
	assert_jq "$T/p-${r%%:*}.json" '[.summary.failed, .verify.ok]' '[0,true]' \
	    "... nothing failed, the registry holds every blob"
done
assert_jq "$T/p-big.json" '[.network.uploaded, .network.uploaded_bytes > 500000]' \
    '[2,true]' "big:1's config and layer uploaded"
for r in $OCI_REFS; do
	served_ok "$r" "$(digest_of "$r")" "S3 -> docker://"
done
# in chunks: PATCH with Content-Range, each from the stream in order
DRYDOCK_TEST_CHUNK=300000 run_migrate --image big:1 \
    "registry:$T/cfg-oa.yml" "docker://$REG/chunked"
assert_mig_rc 0 "S3 -> docker:// in chunks of 300000 bytes"
served_ok chunked:1 "$(digest_of big:1)" "S3 -> docker:// in chunks"

# --- a corrupt layer in the bucket ---------------------------------------------------
LAYER=$(jq -r '.layers[0].digest' \
    "$L/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "big") | .digest' "$L/index.json" | cut -d: -f2)")
case $LAYER in sha256:*) ;; *) bail "no layer digest for big:1" ;; esac
KEY=oa/docker/registry/v2/blobs/sha256/${LAYER:7:2}/${LAYER#sha256:}/data
SIZE=$("$S3TOOL" -c "$T/cfg-oa.yml" stat "$KEY" | awk '{print $1}')
[ "$SIZE" -gt 500000 ] || bail "no $KEY in the bucket"
head -c "$SIZE" /dev/zero | "$S3TOOL" -c "$T/cfg-oa.yml" putmem "$KEY" >/dev/null ||
    bail "cannot overwrite $KEY"
stop_registry
start_registry "$T/pushed-bad"
run_migrate --image big:1 --image app:1 --json "$T/bad-push.json" \
    "registry:$T/cfg-oa.yml" "docker://$REG/"
assert_mig_rc 4 "S3 -> docker://HOST/ with a corrupt layer: exit 4"
assert_jq "$T/bad-push.json" '[.images[] | [.repository, .status]]' \
    '[["app","ok"],["big","failed"]]' "... big:1 alone fails"
assert_true "... saying digest mismatch of that layer" \
    grep -q "big:1: FAILED: .*${LAYER#sha256:}.*digest mismatch" "$T/mig.err"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -I \
    "http://$REG/v2/big/blobs/$LAYER")" "... and the registry never got it"
pull_fails big:1 "... big:1 is not there"
pull_ok app:1 "... app:1 is"
stop_registry
run_migrate --image big:1 --image app:1 --json "$T/bad-xd.json" \
    "registry:$T/cfg-oa.yml" "docker-archive:$T/bad.tar"
assert_mig_rc 4 "S3 -> docker-archive with a corrupt layer: exit 4, the run goes on"
assert_jq "$T/bad-xd.json" '[.images[] | [.repository, .status]]' \
    '[["app","ok"],["big","failed"]]' "... big:1 alone fails"
skopeo_copy_ok "docker-archive:$T/bad.tar:app:1" "... and skopeo copies app:1 from that archive"
assert_eq "" "$(ls -A "$TMPDIR")" "no temporary file left in \$TMPDIR"
finish
