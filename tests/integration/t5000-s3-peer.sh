#!/usr/bin/env bash
# t5000-s3-peer --- the S3 test bed the object-storage work stands on: Ceph
# radosgw from Debian on 127.0.0.1 (tests/s3/radosgw.sh) serves Debian's
# docker-registry 2.8 with its s3 driver.  skopeo pushes an image, a
# multi-arch index and an overwritten tag; they pull back with the same
# digests; the bucket holds distribution's layout (the keys drydock's S3
# driver will walk); requests signed with a wrong secret are refused; and
# docker-registry's own garbage-collect runs against the bucket (dry, then
# real), which is what drydock-gc's S3 benchmark is measured against; its
# -m breaks the multi-arch index there as it does on a filesystem.
. "$(dirname "$0")/lib.sh"

peers_only
start_s3 registry
REG_S3_BUCKET=registry start_registry "$T/unused"

L=$T/layout
mkimage -s s3-a -b s3-base -r a "$L" >/dev/null
mkimage -s s3-b -b s3-base -r b "$L" >/dev/null
multi=$(mkimage -s s3-m -p linux/amd64 -p linux/arm64 -r m "$L")
push_oci "$L" a app:1
push_oci "$L" m app:multi
push_oci "$L" b app:1 # overwrites app:1: a's manifest is untagged now
pull_ok app:1 "app:1 pulls from the bucket"
pull_ok app:multi "the multi-arch index pulls from the bucket"
assert_eq "$multi" "$(skopeo inspect --raw --tls-verify=false \
    "docker://$REG/app:multi" | sha256sum | sed 's/^/sha256:/; s/ .*//')" \
    "... with its digest"

s3_keys registry >"$T/keys"
v2=docker/registry/v2
assert_true "blobs at $v2/blobs/sha256/<hh>/<hex>/data" \
    grep -qE "^$v2/blobs/sha256/[0-9a-f]{2}/[0-9a-f]{64}/data$" "$T/keys"
assert_true "tags at .../_manifests/tags/<tag>/current/link" \
    grep -qx "$v2/repositories/app/_manifests/tags/multi/current/link" "$T/keys"
assert_true "revisions and layer links as on a filesystem" \
    grep -qE "^$v2/repositories/app/_(manifests/revisions|layers)/sha256/[0-9a-f]{64}/link$" "$T/keys"
assert_eq "" "$(grep -v "^$v2/" "$T/keys")" "nothing outside docker/registry/v2"
assert_eq "$(grep -c "/blobs/" "$T/keys")" \
    "$(s3_keys registry "$v2/blobs/" | wc -l)" "a prefix lists the same keys"

code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$S3_ACCESS_KEY:wrong" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    "$S3_ENDPOINT/registry?list-type=2")
assert_eq 403 "$code" "a request signed with a wrong secret is refused"

before=$(grep -c "/blobs/" "$T/keys")
env -u AWS_CA_BUNDLE docker-registry garbage-collect --dry-run \
    --delete-untagged "$T/registry.yml" >"$T/dr-gc.out" 2>&1
assert_true "docker-registry garbage-collect --dry-run runs on the bucket" \
    grep -q "blobs marked" "$T/dr-gc.out"
stop_registry
env -u AWS_CA_BUNDLE docker-registry garbage-collect --delete-untagged \
    "$T/registry.yml" >"$T/dr-gc2.out" 2>&1
after=$(s3_keys registry "$v2/blobs/" | wc -l)
assert_true "and its real run deletes objects ($before -> $after blobs)" \
    test "$after" -lt "$before"
REG_S3_BUCKET=registry start_registry "$T/unused"
pull_ok app:1 "app:1 still pulls"
# distribution 2.8 with --delete-untagged removes the children of a kept
# index (peers.md): the defect drydock-gc does not have, seen on S3 too
pull_fails app:multi "app:multi is broken by distribution's -m, as on a filesystem"
finish
