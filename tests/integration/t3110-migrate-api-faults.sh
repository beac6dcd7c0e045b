#!/usr/bin/env bash
# t3110-migrate-api-faults --- docker:// as a source when the network
# misbehaves: a small proxy (regproxy.py) in front of the real
# docker-registry flips a byte of a blob (refused, never named, the image
# fails and the rest is carried), cuts a blob's body after 10 bytes (the
# pull resumes with a Range request and every digest is kept), answers 429
# with Retry-After: 1 (waited for, then carried) and 503 (retried), and
# wants credentials for one blob (the run stops, says what it wrote and
# that credentials are wanted, and the same command then carries the
# rest).
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
start_registry "$T/f/root"

# layer N of a manifest, and its config
mf=$(curl -s -H "$ACCEPT" "http://$REG/v2/team/app/manifests/1.0")
CFG=$(jq -r .config.digest <<<"$mf")
LAYER=$(jq -r '.layers[-1].digest' <<<"$mf")
want1=$(awk '$1 == "team/app:1.0" {print $2}' "$T/f/tags")
want2=$(awk '$1 == "team/app:2.0" {print $2}' "$T/f/tags")

# 1. a blob whose bytes do not match its digest
start_proxy --corrupt "$CFG"
run_migrate --json "$T/r1.json" "docker://$PROXY/team/app" "registry:$T/out1"
assert_mig_rc 4 "a blob with wrong bytes fails its image"
assert_jq "$T/r1.json" '[.images[] | select(.tag == "1.0") | .status]' \
    '["failed"]' "team/app:1.0 failed"
assert_jq "$T/r1.json" '[.images[] | select(.tag == "1.0") | .error
    | test("do not hash")]' '[true]' "the report says the bytes do not hash"
assert_jq "$T/r1.json" '[.images[] | select(.tag == "2.0") | .status]' \
    '["ok"]' "team/app:2.0 carried all the same"
assert_file_absent "$(blob_dir "$T/out1" "$CFG")" \
    "the bad blob has no name (not even a directory) at the destination"
assert_eq "team/app 2.0 $want2" "$(tag_links "$T/out1")" \
    "only the good tag is written"

# 2. a connection that drops in the middle of a blob
: >"$T/proxy.log"
start_proxy --drop "$LAYER:10"
run_migrate --verify --json "$T/r2.json" "docker://$PROXY/team/app:1.0" \
    "registry:$T/out2"
assert_mig_rc 0 "a body cut after 10 bytes is resumed"
assert_true "the first GET was cut" grep -q "GET .*$LAYER - -> 200 cut at 10" \
    "$T/proxy.log"
assert_true "the rest came with Range: bytes=10-" \
    grep -q "GET .*$LAYER bytes=10- -> 206" "$T/proxy.log"
assert_eq "team/app 1.0 $want1" "$(tag_links "$T/out2")" "the digest is kept"
assert_jq "$T/r2.json" '.verify.ok' true "and it verifies"

# 3. 429 with Retry-After, 503
: >"$T/proxy.log"
start_proxy --throttle "tags/list:2" --fail "/blobs/:1"
t0=$(date +%s.%N)
run_migrate --json "$T/r3.json" "docker://$PROXY/team/app" "registry:$T/out3"
t1=$(date +%s.%N)
assert_mig_rc 0 "429 twice and a 503, then carried"
assert_eq 2 "$(grep -c 'tags/list.* -> 429' "$T/proxy.log")" \
    "tags/list answered 429 twice"
assert_eq 1 "$(grep -c 'tags/list.* -> 200' "$T/proxy.log")" \
    "then once more, and 200"
assert_true "Retry-After: 1 was waited for (2 s)" \
    awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 2) }'
assert_eq 1 "$(grep -c '/blobs/.* -> 503' "$T/proxy.log")" "a blob got a 503"
assert_eq "team/app 1.0 $want1
team/app 2.0 $want2" "$(tag_links "$T/out3")" "both tags with their digests"

# 4. credentials wanted for one blob, after others were written
mf2=$(curl -s -H "$ACCEPT" "http://$REG/v2/team/app/manifests/2.0")
CFG2=$(jq -r .config.digest <<<"$mf2")
start_proxy --deny "$CFG2"
run_migrate -j 1 --json "$T/r4.json" "docker://$PROXY/team/app" \
    "registry:$T/out4"
assert_mig_rc 8 "a 401 for one blob stops the run"
assert_true "it says credentials are wanted" \
    grep -q "authentication required, and no credentials" "$T/mig.err"
assert_true "what was written stays, and the same command carries the rest" \
    grep -qE "the registry refused access: [1-9][0-9]* blob\(s\) and manifest\(s\) written before that stay; .* the same command carries the rest" \
    "$T/mig.err"
assert_false "no 'nothing was written'" grep -q "nothing was written" "$T/mig.err"
assert_eq "" "$(tag_links "$T/out4")" "no tag is written"
n1=$(jq .network.pulled "$T/r4.json")
start_proxy
run_migrate --json "$T/r5.json" "docker://$PROXY/team/app" "registry:$T/out4"
assert_mig_rc 0 "the same command, once the blob is served, carries the rest"
assert_eq "team/app 1.0 $want1
team/app 2.0 $want2" "$(tag_links "$T/out4")" "both tags with their digests"
assert_true "the blobs of the first run were not pulled again" \
    test "$(jq .network.pulled "$T/r5.json")" -lt "$(jq .network.pulled "$T/r3.json")"
assert_true "the first run had pulled some ($n1)" test "$n1" -gt 0
finish
