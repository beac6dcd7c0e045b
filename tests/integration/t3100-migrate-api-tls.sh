#!/usr/bin/env bash
# t3100-migrate-api-tls --- docker:// as a source, against docker-registry
# serving https (a CA and a certificate made here with openssl) behind
# htpasswd Basic auth (bcrypt, apache2-utils' htpasswd -B): the CA from
# --src-cert-dir and from certs.d/127.0.0.1:PORT, --tls-verify=false,
# credentials from --creds, --authfile, REGISTRY_AUTH_FILE and a
# credential helper of ~/.docker/config.json; docker:// -> registry:ROOT
# (docker-registry serves the result with every digest kept) and ->
# oci:DIR (what skopeo's own copy writes); a wrong password, no
# credentials, an unknown CA: clear errors, nothing written; no secret in
# any output.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
. "$T/f/expect.sh"
PASS='s3cret-Pa55'
make_tls "$T/tls" || bail "openssl could not make a CA"
htpasswd -Bbc "$T/htpasswd" alice "$PASS" 2>/dev/null || bail "htpasswd -B"
REG_TLS=$T/tls
REG_AUTH="auth: {htpasswd: {realm: drydock-test, path: $T/htpasswd}}"
start_registry "$T/f/root"
mkdir -p "$T/certs" && cp "$T/tls/ca.crt" "$T/certs/"
SRC="docker://$REG"

# 1. the whole repository, --src-cert-dir and --creds
run_migrate -v --verify --json "$T/r1.json" --src-cert-dir "$T/certs" \
    --creds "alice:$PASS" "$SRC/team/app" "registry:$T/out"
assert_mig_rc 0 "docker:// (https, Basic) -> registry:ROOT with --verify"
assert_jq "$T/r1.json" '[.summary.tags, .summary.failed, .verify.ok]' \
    '[2,0,true]' "both tags of team/app carried and verified"
for t in team/app:1.0 team/app:2.0; do
	want=$(awk -v t="$t" '$1 == t {print $2}' "$T/f/tags")
	assert_eq "team/app ${t#*:} $want" \
	    "$(tag_links "$T/out" | grep "^team/app ${t#*:} ")" \
	    "$t: the tag names the source's digest"
done
assert_jq "$T/r1.json" '.network.pulled > 0' true "blobs came over the network"
assert_false "the password appears in no output" \
    grep -rq -- "$PASS" "$T/mig.out" "$T/mig.all.err" "$T/r1.json"

# 2. a rerun pulls nothing
run_migrate --json "$T/r2.json" --src-cert-dir "$T/certs" \
    --creds "alice:$PASS" "$SRC/team/app" "registry:$T/out"
assert_mig_rc 0 "rerun"
assert_jq "$T/r2.json" '.network.pulled' 0 "rerun: every blob is there already"

# 3. certs.d/HOST:PORT, --authfile, an index to oci:, compared with skopeo
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" \
    "$(printf 'alice:%s' "$PASS" | base64 -w0)" >"$T/auth.json"
mkdir -p "$T/certs.d/$REG" && cp "$T/tls/ca.crt" "$T/certs.d/$REG/"
need_test_hooks
DRYDOCK_TEST_CERTS_D=$T/certs.d run_migrate --verify \
    --authfile "$T/auth.json" "$SRC/team/multi:1.0" "oci:$T/lay"
assert_mig_rc 0 "certs.d/$REG and --authfile: an index -> oci:"
want=$(awk '$1 == "team/multi:1.0" {print $2}' "$T/f/tags")
assert_eq "$want" "$(skopeo_oci_digest "$T/lay" team/multi:1.0)" \
    "skopeo reads oci:DIR:team/multi:1.0 with the source's digest"
skopeo copy -q --all --src-cert-dir "$T/certs" \
    --src-creds "alice:$PASS" "$SRC/team/multi:1.0" \
    "oci:$T/sk:team/multi:1.0" >>"$T/skopeo.log" 2>&1 ||
	fail "skopeo copy of the same image"
assert_same_lines <(cd "$T/sk/blobs/sha256" && ls | sort) \
    <(cd "$T/lay/blobs/sha256" && ls | sort) \
    "the same blobs as skopeo's own copy of the image"
skopeo_copy_ok "oci:$T/lay:team/multi:1.0" \
    "skopeo copies every platform out of the layout"

# 4. REGISTRY_AUTH_FILE, --tls-verify=false
REGISTRY_AUTH_FILE=$T/auth.json run_migrate --tls-verify=false \
    "$SRC/library/docker:1.0" "registry:$T/out"
assert_mig_rc 0 "REGISTRY_AUTH_FILE and --tls-verify=false"

# 5. a credential helper named by ~/.docker/config.json's credHelpers
mkdir -p "$T/bin" "$T/home/.docker"
cat >"$T/bin/docker-credential-drytest" <<EOF
#!/bin/sh
read -r server
echo "\$1 \$server" >>"$T/helper.log"
printf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}\n' "\$server" '$PASS'
EOF
chmod +x "$T/bin/docker-credential-drytest"
printf '{"credHelpers":{"%s":"drytest"}}\n' "$REG" >"$T/home/.docker/config.json"
HOME=$T/home PATH=$T/bin:$PATH run_migrate --src-cert-dir "$T/certs" \
    "$SRC/library/single:1.0" "registry:$T/out"
assert_mig_rc 0 "credentials from docker-credential-drytest get"
assert_eq "get $REG" "$(sort -u "$T/helper.log")" \
    "the helper was asked for this host"

# 6. what goes wrong says so, and writes nothing
run_migrate --src-cert-dir "$T/certs" --creds "alice:wrong" \
    "$SRC/team/app" "registry:$T/bad1"
assert_mig_rc 8 "a wrong password stops the run"
assert_true "it says so" grep -q "wrong user name or password" "$T/mig.err"
assert_file_absent "$T/bad1" "a wrong password writes nothing"
assert_false "not even the wrong password is printed" grep -q wrong: "$T/mig.err"
assert_true "nothing was written, it says, and credentials are the cure" grep -q \
    "the registry refused access: nothing was written; run it again with credentials" \
    "$T/mig.err"
assert_false "not 'the same command resumes it'" grep -q resumes "$T/mig.err"
HOME=$T/nohome run_migrate --src-cert-dir "$T/certs" "$SRC/team/app" \
    "registry:$T/bad2"
assert_mig_rc 8 "no credentials"
assert_true "authentication required, and none" \
    grep -q "authentication required" "$T/mig.err"
assert_file_absent "$T/bad2" "no credentials: nothing written"
assert_true "and it says so" grep -q \
    "the registry refused access: nothing was written" "$T/mig.err"
run_migrate --creds "alice:$PASS" "$SRC/team/app" "registry:$T/bad3"
assert_mig_rc 8 "an unknown CA is refused"
assert_true "the certificate is named" grep -qi "certificate" "$T/mig.err"
assert_file_absent "$T/bad3" "an unknown CA: nothing written"
run_migrate "docker://$REG/Bad//name" "registry:$T/bad4"
assert_mig_rc 16 "a malformed docker:// reference is a usage error"

# 7. docker-registry serves what was written, with the source's digests
stop_registry
unset REG_TLS REG_AUTH
start_registry "$T/out"
for t in team/app:1.0 team/app:2.0 library/docker:1.0 library/single:1.0; do
	want=$(awk -v t="$t" '$1 == t {print $2}' "$T/f/tags")
	assert_eq "$want" "$(manifest_digest "${t%:*}" "${t#*:}")" \
	    "docker-registry serves $t with the source's digest"
	assert_true "skopeo pulls $t (every blob checked)" skopeo copy -q \
	    --all --src-tls-verify=false "docker://$REG/$t" \
	    "dir:$T/pulled-${t//[:\/]/_}"
done
# the reports of pushes and pulls follow the JSON Schema
assert_schema drydock-migrate "$T"/r*.json
finish
