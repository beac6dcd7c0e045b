#!/usr/bin/env bash
# t3120-migrate-api-token --- the Bearer token flow against docker-registry
# configured with auth.token, and a token issuer started here
# (tokenissuer.py: RS256 JWTs whose certificate the registry trusts):
# the challenge's realm, service and the repository's scope, one token
# kept for a whole run, anonymous tokens for a public repository, access
# denied for a private one, a wrong password refused by the token server;
# an identity token (a docker config.json auths entry's identitytoken)
# traded for access tokens with the OAuth2 refresh grant (POST
# grant_type=refresh_token), and a stale one refused; no password or
# token printed.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
PASS='t0ken-Pa55'
REFRESH='1dent1ty-R3fresh'
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=drydock token" \
    -keyout "$T/tok.key" -out "$T/tok.crt" 2>/dev/null || bail "openssl"
python3 "$IT_DIR/tokenissuer.py" --listen 0 --key "$T/tok.key" \
    --cert "$T/tok.crt" --user "alice:$PASS" --service drydock-test \
    --issuer drydock-issuer --log "$T/token.log" --public team/multi \
    --refresh-token "$REFRESH" \
    >"$T/issuer.out" 2>&1 &
ISSUER_PID=$!
BG_PIDS+=("$ISSUER_PID")
for ((i = 0; i < 100; i++)); do
	grep -q listening "$T/issuer.out" && break
	sleep 0.05
done
grep -q listening "$T/issuer.out" || bail "tokenissuer.py: $(cat "$T/issuer.out")"
tport=$(awk '$1 == "listening" {print $2}' "$T/issuer.out")
REG_AUTH="auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: drydock-test
    issuer: drydock-issuer
    rootcertbundle: $T/tok.crt"
start_registry "$T/f/root"
: >"$T/token.log"

# 1. with credentials: one token for the repository's pull scope
run_migrate -v --verify --json "$T/r1.json" --creds "alice:$PASS" \
    "docker://$REG/team/app" "registry:$T/out"
assert_mig_rc 0 "docker:// behind auth.token, with credentials"
assert_jq "$T/r1.json" '[.summary.tags, .verify.ok]' '[2,true]' \
    "both tags carried and verified"
for t in team/app:1.0 team/app:2.0; do
	want=$(awk -v t="$t" '$1 == t {print $2}' "$T/f/tags")
	assert_eq "team/app ${t#*:} $want" \
	    "$(tag_links "$T/out" | grep "^team/app ${t#*:} ")" \
	    "$t: the source's digest"
done
assert_true "the token was asked for repository:team/app:pull as alice" \
    grep -q "^alice repository:team/app:pull -> 200$" "$T/token.log"
n=$(grep -c '^alice' "$T/token.log")
assert_true "one token serves the whole run ($n asked for)" test "$n" -le 2
assert_false "neither the password nor a token is printed or reported" \
    grep -rqE -- "$PASS|eyJ" "$T/mig.out" "$T/mig.all.err" "$T/r1.json"

# 2. anonymous: a public repository
run_migrate "docker://$REG/team/multi:1.0" "oci:$T/lay"
assert_mig_rc 0 "an anonymous token for a public repository"
assert_true "asked for without credentials" \
    grep -q "^- repository:team/multi:pull -> 200$" "$T/token.log"
assert_eq "$(awk '$1 == "team/multi:1.0" {print $2}' "$T/f/tags")" \
    "$(skopeo_oci_digest "$T/lay" team/multi:1.0)" "its digest kept"

# 3. anonymous on a private repository; a wrong password
run_migrate "docker://$REG/team/app" "registry:$T/bad1"
assert_mig_rc 8 "no credentials for a private repository"
assert_true "access denied, with the scope" \
    grep -q "access denied.*repository:team/app:pull" "$T/mig.err"
assert_file_absent "$T/bad1" "nothing written"
assert_true "and it says so, instead of offering a rerun" grep -q \
    "the registry refused access: nothing was written; run it again with credentials" \
    "$T/mig.err"
assert_false "no 'the same command resumes it'" grep -q resumes "$T/mig.err"
run_migrate --creds alice:nope "docker://$REG/team/app" "registry:$T/bad2"
assert_mig_rc 8 "a wrong password"
assert_true "the token server refused the credentials" \
    grep -q "token server .* refused the credentials" "$T/mig.err"
assert_file_absent "$T/bad2" "nothing written"
assert_true "and it says so" grep -q \
    "the registry refused access: nothing was written" "$T/mig.err"
# a push refused: anonymous
run_migrate "registry:$T/f/root" "docker://$REG/"
assert_mig_rc 8 "an anonymous push"
assert_true "access denied, with the push scope" \
    grep -q "access denied.*:pull,push" "$T/mig.err"
assert_true "nothing was written, it says" grep -q \
    "the registry refused access: nothing was written" "$T/mig.err"

# 4. an identity token from ~/.docker/config.json: the refresh grant
mkdir -p "$T/home/.docker" "$T/stale/.docker"
printf '{"auths":{"%s":{"identitytoken":"%s"}}}\n' "$REG" "$REFRESH" \
    >"$T/home/.docker/config.json"
: >"$T/token.log"
HOME=$T/home run_migrate --verify --json "$T/r4.json" \
    "docker://$REG/team/app" "registry:$T/out4"
assert_mig_rc 0 "an identity token of config.json's auths"
assert_jq "$T/r4.json" '[.summary.tags, .verify.ok]' '[2,true]' \
    "both tags carried and verified"
assert_eq "$(tag_links "$T/out")" "$(tag_links "$T/out4")" \
    "the same tags and digests as with a password"
assert_true "tokens came from POST grant_type=refresh_token as alice" \
    grep -q "^alice repository:team/app:pull -> 200 grant=refresh_token client_id=drydock$" \
    "$T/token.log"
assert_false "never a GET with a password" grep -q -- '-> [0-9]*$' "$T/token.log"
assert_false "neither the identity token nor a token is printed or reported" \
    grep -rqE -- "$REFRESH|eyJ" "$T/mig.out" "$T/mig.err" "$T/r4.json"
printf '{"auths":{"%s":{"identitytoken":"stale-R3fresh"}}}\n' "$REG" \
    >"$T/stale/.docker/config.json"
HOME=$T/stale run_migrate "docker://$REG/team/app" "registry:$T/bad3"
assert_mig_rc 8 "a stale identity token"
assert_true "the token server refused the identity token, and it says so" \
    grep -q "token server .* refused the identity token (HTTP 400: invalid_grant)" \
    "$T/mig.err"
assert_true "the refusal was the refresh grant's" \
    grep -q -- "-> 400 grant=refresh_token" "$T/token.log"
assert_file_absent "$T/bad3" "nothing written"
kill "$ISSUER_PID" && wait "$ISSUER_PID" 2>/dev/null
finish
