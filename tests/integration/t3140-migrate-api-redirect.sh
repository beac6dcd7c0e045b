#!/usr/bin/env bash
# t3140-migrate-api-redirect --- blob GETs that a registry redirects, as
# registries with S3, GCS or Azure storage do: regproxy.py asks for Basic
# credentials in front of the real docker-registry and answers one blob's
# GET with 307 to another origin (its second listener, on 127.0.0.2: the
# "storage"), another's with 307 to the same origin.  Authorization goes
# with the same-origin redirect and never to the other host; both blobs
# arrive, are checked and verify; a body the storage cuts short is resumed
# from the registry's URL again (a signed URL may have expired).
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
start_registry "$T/f/root"
PASS='r3direct-Pa55'
mf=$(curl -s -H "$ACCEPT" "http://$REG/v2/team/app/manifests/1.0")
CFG=$(jq -r .config.digest <<<"$mf")
LAYER=$(jq -r '.layers[-1].digest' <<<"$mf")
want1=$(awk '$1 == "team/app:1.0" {print $2}' "$T/f/tags")

# 1. one blob to another host, one to the same origin
start_proxy --auth "alice:$PASS" --redirect "$LAYER" --redirect-home "$CFG"
assert_true "the storage listens on another host ($PROXY_STORAGE)" \
    test "${PROXY_STORAGE%:*}" != 127.0.0.1
run_migrate --verify --json "$T/r1.json" --creds "alice:$PASS" \
    "docker://$PROXY/team/app:1.0" "registry:$T/out1"
assert_mig_rc 0 "docker:// with redirected blobs -> registry:ROOT, verified"
assert_eq "team/app 1.0 $want1" "$(tag_links "$T/out1")" "the digest is kept"
assert_jq "$T/r1.json" '.verify.ok' true "and it verifies"
assert_file_present "$(blob_dir "$T/out1" "$LAYER")/data" \
    "the blob the storage served is written"
assert_true "the registry got the credentials and redirected the layer" \
    grep -q "^GET /v2/team/app/blobs/$LAYER - -> 307 listener=main auth=Basic$" \
    "$T/proxy.log"
assert_true "the storage served the layer, and got no Authorization" \
    grep -q "^GET /v2/team/app/blobs/$LAYER?sig=[^ ]* - -> 200 listener=storage auth=-$" \
    "$T/proxy.log"
assert_false "no request to the storage carried Authorization" \
    grep -q "listener=storage auth=[^-]" "$T/proxy.log"
assert_true "the same-origin redirect kept the credentials" \
    grep -q "^GET /_home/v2/team/app/blobs/$CFG?sig=h0me - -> 200 listener=main auth=Basic$" \
    "$T/proxy.log"
assert_false "no secret in any output" \
    grep -rqE -- "$PASS|s3cr3t|h0me" "$T/mig.out" "$T/mig.err" "$T/r1.json"

# 2. the storage cuts the body: the pull starts again at the registry
: >"$T/proxy.log"
start_proxy --auth "alice:$PASS" --redirect "$LAYER" --drop "$LAYER:10"
run_migrate --verify --json "$T/r2.json" --creds "alice:$PASS" \
    "docker://$PROXY/team/app:1.0" "registry:$T/out2"
assert_mig_rc 0 "a redirected body cut after 10 bytes is resumed"
assert_true "the storage's first answer was cut" \
    grep -q "$LAYER?sig=[^ ]* - -> 200 cut at 10 listener=storage auth=-$" \
    "$T/proxy.log"
assert_true "the rest was asked for at the registry, with Range" \
    grep -q "^GET /v2/team/app/blobs/$LAYER bytes=10- -> 307 listener=main auth=Basic$" \
    "$T/proxy.log"
assert_true "and came from the storage, without Authorization" \
    grep -q "$LAYER?sig=[^ ]* bytes=10- -> 206 listener=storage auth=-$" \
    "$T/proxy.log"
assert_eq "team/app 1.0 $want1" "$(tag_links "$T/out2")" "the digest is kept"
assert_jq "$T/r2.json" '.verify.ok' true "and it verifies"
finish
