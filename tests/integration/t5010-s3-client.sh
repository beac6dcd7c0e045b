#!/usr/bin/env bash
# t5010-s3-client --- libdrydock's S3 client (lib/s3*.c, driven by
# tests/tools/s3tool) against a real radosgw on 127.0.0.1 that checks every
# SigV4 signature: more than 1,000 keys under one prefix listed page by
# page (with and without a delimiter, several listings in flight), removed
# with DeleteObjects in batches (radosgw takes 1,000 keys a request at
# most) with each key's result; ranged and whole GETs; a 12 MB object
# written as a multipart upload and streamed back to the right SHA-256;
# CopyObject, and a copy in parts; 503s and a connection cut mid-body
# retried and resumed (regproxy.py); an incomplete multipart upload listed,
# measured and aborted, one of our own and the one docker-registry's s3
# driver leaves under _uploads/<id>/data when a push is abandoned after its
# first PATCH; a wrong secret key or access key said plainly, with nothing
# read, written or deleted; 404s; connections kept open with 8 requests
# in flight.  Prints the objects removed per second.
. "$(dirname "$0")/lib.sh"

S3TOOL=$DRYDOCK_TOOLS/s3tool
[ -x "$S3TOOL" ] || bail "no s3tool at $S3TOOL (make all)"
start_s3 registry other
export S3_BUCKET=registry

# s3t ARGS...: s3tool, its stdout in $T/out, stderr in $T/err, exit in $RC
s3t() {
	"$S3TOOL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/all.err"
}
s3t_ok() { # MESSAGE ARGS...
	local m=$1
	shift
	s3t "$@"
	if [ "$RC" = 0 ]; then
		pass "$m"
	else
		fail "$m"
		diag "s3tool $* exited $RC: $(head -c 600 "$T/err")"
	fi
}

# --- listing: more than 1,000 keys under one prefix ---------------------------------

# closed connections of the S3 port (TIME-WAIT), when ss is there
closed() {
	local port=${S3_ENDPOINT##*:}
	ss -tan 2>/dev/null | awk -v p=":$port" \
	    '$1 == "TIME-WAIT" && (index($4, p) || index($5, p))' | wc -l
}
before=$(closed)
s3t_ok "2,500 objects written (8 PUTs in flight)" -j 8 fill many/k 2500
if command -v ss >/dev/null; then
	n=$(($(closed) - before))
	assert_true "... over kept connections ($n closed, not one a PUT)" \
	    test "$n" -lt 100
else
	skip "ss is not installed: connection reuse not checked"
fi
s3t_ok "and listed" ls many/
awk '{print $1}' "$T/out" >"$T/listed"
assert_eq 2500 "$(wc -l <"$T/listed")" "ListObjectsV2 followed 3 pages"
s3_keys registry many/ >"$T/curl-listed"
assert_true "the same keys as curl lists" cmp -s "$T/listed" "$T/curl-listed"
assert_eq "many/k00000 9" "$(head -n 1 "$T/out")" "... in order, with sizes"
s3t_ok "a delimited listing" ls many/ /
assert_eq 2500 "$(wc -l <"$T/out")" "... has no common prefix there"

s3t_ok "1,200 'directories' written" -j 8 fill dirs/ 1200 /x
s3t_ok "a delimited listing of them" ls dirs/ /
assert_eq 1200 "$(grep -c '^P dirs/[0-9]\{5\}/$' "$T/out")" \
    "1,200 common prefixes over 2 pages"
printf 'a' | "$S3TOOL" putmem dirs/file
s3t_ok "a delimited listing with a key among them" ls dirs/ /
assert_eq "dirs/file 1" "$(grep -v '^P ' "$T/out")" "... the key, once"
s3t_ok "three listings in flight" -j 3 lsmany "" many/k00 many/k01 many/k02
assert_eq 2500 "$(wc -l <"$T/out")" "... give every key once"
assert_true "... the same keys" cmp -s "$T/out" "$T/listed"
s3t_ok "many delimited listings in flight" -j 4 lsmany / dirs/0 dirs/f
assert_eq 1201 "$(wc -l <"$T/out")" "... the prefixes and the key"

# --- reads -----------------------------------------------------------------------------

seq 1 20000 >"$T/seq"
s3t_ok "a file written with one PUT" put text/seq "$T/seq"
s3t_ok "read whole" get text/seq
assert_true "... the same bytes" cmp -s "$T/out" "$T/seq"
s3t_ok "a range read" get text/seq 1000 250
assert_eq "$(tail -c +1001 "$T/seq" | head -c 250 | sha256sum)" \
    "$(sha256sum <"$T/out")" "... bytes 1000-1249 exactly"
s3t_ok "a range to the end" get text/seq 108000 -1
assert_eq "$(tail -c +108001 "$T/seq" | sha256sum)" "$(sha256sum <"$T/out")" \
    "... the last bytes"
s3t_ok "a range past the end" get text/seq 999999 10
assert_eq 0 "$(wc -c <"$T/out")" "... reads nothing"
s3t_ok "HEAD" stat text/seq
read -r size etag mtime <"$T/out"
assert_eq "$(wc -c <"$T/seq") $(md5sum <"$T/seq" | cut -c1-32)" \
    "$size $etag" "... size and ETag (the MD5 of a single PUT)"
now=$(date +%s)
assert_true "... LastModified is now ($mtime)" \
    test "$mtime" -gt $((now - 600)) -a "$mtime" -le $((now + 600))

head -c 12000000 /dev/urandom >"$T/big"
s3t_ok "a 12 MB file written in 5 MiB parts" -P 5242880 put big/obj "$T/big"
s3t_ok "its HEAD" stat big/obj
assert_true "... a multipart ETag of 3 parts: $(cut -d' ' -f2 "$T/out")" \
    grep -qE '^12000000 [0-9a-f]{32}-3 ' "$T/out"
s3t_ok "streamed back" sha256 big/obj
read -r got bytes calls <"$T/out"
assert_eq "$(sha256sum <"$T/big" | cut -d' ' -f1) 12000000" "$got $bytes" \
    "... to the right SHA-256 ($calls chunks)"
assert_true "... in chunks, not in one buffer" test "$calls" -gt 10
assert_eq "$(sha256sum <"$T/big")" \
    "$(s3 GET registry/big/obj | sha256sum)" "curl reads the same object"

# --- copies ------------------------------------------------------------------------------

s3t_ok "CopyObject" cp big/obj big/copy
s3t_ok "the copy" stat big/copy
assert_true "... keeps the size and multipart ETag" grep -qE '^12000000 [0-9a-f]{32}-3 ' "$T/out"
s3t sha256 big/copy
assert_eq "$got" "$(cut -d' ' -f1 "$T/out")" "... and the bytes"
s3t_ok "a copy in 5 MiB parts" -C 5242880 cp big/obj big/copy2
s3t sha256 big/copy2
assert_eq "$got" "$(cut -d' ' -f1 "$T/out")" "... the same bytes"
s3t cp big/nosuch big/copy3
assert_eq 2 "$RC" "copying a missing key: not found (exit 2)"
assert_true "... said so" grep -q "registry/big/nosuch: no such key" "$T/err"

# --- retries through a proxy: 503s, a cut connection ---------------------------------

start_s3_proxy --fail "/registry/text/seq:2" --fail "list-type:1" \
    --fail "delete=:1" --cut "/registry/big/obj:3000000"
S3_ENDPOINT=$PROXY s3t_ok "a GET answered 503 twice" get text/seq
assert_true "... read after the retries" cmp -s "$T/out" "$T/seq"
assert_eq 2 "$(grep -c '^GET /registry/text/seq .* -> 503' "$T/proxy.log")" \
    "... two 503s, then 200"
S3_ENDPOINT=$PROXY s3t_ok "a listing page answered 503" ls dirs/ /
assert_eq 1201 "$(wc -l <"$T/out")" "... listed whole after a retry"
S3_ENDPOINT=$PROXY s3t_ok "a stream cut after 3 MB" sha256 big/obj
assert_eq "$got" "$(cut -d' ' -f1 "$T/out")" "... resumed to the right SHA-256"
assert_true "... with a Range from where it stopped" \
    grep -q '^GET /registry/big/obj bytes=3000000- -> 206' "$T/proxy.log"
printf 'x' | S3_ENDPOINT=$PROXY "$S3TOOL" putmem gone/1
S3_ENDPOINT=$PROXY s3t_ok "a DeleteObjects answered 503" rm gone/1
assert_eq "deleted gone/1" "$(head -n 1 "$T/out")" "... sent again: the key is gone"
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null

# --- wrong credentials: a clear error, nothing changed ------------------------------

S3_SECRET_KEY=wrong-secret s3t ls many/
assert_eq 3 "$RC" "a wrong secret key: refused (exit 3)"
assert_true "... said plainly: $(cat "$T/err")" \
    grep -q "the secret key is wrong (HTTP 403 SignatureDoesNotMatch)" "$T/err"
assert_eq "" "$(cat "$T/out")" "... nothing listed"
S3_SECRET_KEY=wrong-secret s3t rm many/k00000 many/k00001
assert_eq 3 "$RC" "a removal signed with a wrong secret: refused"
printf 'new' | S3_SECRET_KEY=wrong-secret "$S3TOOL" putmem wrong/new 2>/dev/null
assert_eq 3 "$?" "a write signed with a wrong secret: refused"
S3_ACCESS_KEY=NOSUCHKEY s3t stat many/k00000
assert_eq 3 "$RC" "an unknown access key: refused"
S3_ACCESS_KEY=NOSUCHKEY s3t get many/k00000
assert_true "... said plainly: $(cat "$T/err")" \
    grep -q "does not know the access key (HTTP 403 InvalidAccessKeyId)" "$T/err"
assert_false "no message holds a secret" \
    grep -q -e "$S3_SECRET_KEY" -e wrong-secret "$T/all.err"
assert_eq 2500 "$(s3_keys registry many/ | wc -l)" "nothing was removed"
assert_eq "" "$(s3_keys registry wrong/)" "nothing was written"

# --- 404s ------------------------------------------------------------------------------------

s3t stat many/nosuch
assert_eq 2 "$RC" "HEAD of a missing key: not found (exit 2)"
S3_BUCKET=nosuchbucket s3t ls ""
assert_eq 2 "$RC" "a missing bucket: not found"
assert_true "... said so: $(cat "$T/err")" \
    grep -q "bucket 'nosuchbucket' does not exist (NoSuchBucket)" "$T/err"

# --- removal in batches, each key's result -------------------------------------------

{
	cat "$T/listed"
	echo "many/never-was"
	printf 'odd/a&b<c>"d\n'
	printf 'odd/ctl\001key\n'
} >"$T/keys"
printf 'odd' | "$S3TOOL" putmem 'odd/a&b<c>"d'
s3t_ok "2,503 keys removed, one request at a time (batches of 1,000)" \
    -j 1 rm - <"$T/keys"
assert_eq "removed 2502 failed 1" "$(tail -n 1 "$T/out" | cut -d' ' -f1-4)" \
    "... each key's result"
assert_eq 2502 "$(grep -c '^deleted ' "$T/out")" \
    "... 'deleted' for each (one that never was too, as S3 says)"
assert_true "... a key XML cannot carry is an error of its own" \
    grep -q '^error odd/ctl.key InvalidKey ' "$T/out"
assert_true "... an escaped key is removed" grep -qx 'deleted odd/a&b<c>"d' "$T/out"
assert_eq "" "$(s3_keys registry many/; s3_keys registry odd/)" \
    "... and gone from the bucket"

# the benchmark number of the gc sweep (issue 12: >= 1,000/s on loopback)
s3t_ok "5,000 objects written for the rate" -j 8 fill rate/k 5000
awk '{print $1}' <(s3_keys registry rate/) >"$T/rate"
S3TOOL_QUIET=1 s3t_ok "5,000 removed, 8 batches in flight" -j 8 rm - <"$T/rate"
diag "DeleteObjects on loopback: $(tail -n 1 "$T/out")"
assert_eq "" "$(s3_keys registry rate/)" "... all gone"

# --- incomplete multipart uploads -----------------------------------------------------

head -c 6000000 "$T/big" >"$T/part"
s3t_ok "an upload left incomplete after one part" abandon up/x/data "$T/part"
id=$(cat "$T/out")
s3t_ok "ListMultipartUploads" uploads up/
assert_eq "up/x/data $id 6000000 1" "$(cut -d' ' -f1-4 "$T/out")" \
    "... lists it with its bytes and parts (ListParts)"
s3t_ok "AbortMultipartUpload" abort up/x/data "$id"
s3t_ok "listed again" uploads up/
assert_eq "" "$(cat "$T/out")" "... it is gone"
s3t abort up/x/data "$id"
assert_eq 2 "$RC" "aborting it again: not found (exit 2)"
assert_true "... NoSuchUpload" grep -q "no such multipart upload (NoSuchUpload)" "$T/err"

# docker-registry's s3 driver: POST creates a multipart upload at once
# (Writer(append=false) in registry/storage/driver/s3-aws/s3.go), each
# PATCH closes its writer after a part; the commit completes it, a
# cancel aborts it; an abandoned push leaves it, and the registry's
# upload purging removes startedat and hashstates (Delete lists objects)
# but never the multipart upload
REG_S3_BUCKET=other start_registry "$T/unused"
uid=$(start_upload abandoned/app 1048576)
stop_registry
v2=docker/registry/v2/repositories/abandoned/app/_uploads/$uid
export S3_BUCKET=other
s3t_ok "the uploads of the registry's bucket" uploads docker/registry/v2/repositories/
assert_eq "$v2/data 1048576 1" "$(cut -d' ' -f1,3,4 "$T/out")" \
    "an abandoned push left an incomplete multipart upload at _uploads/<id>/data, holding its PATCH"
rid=$(cut -d' ' -f2 "$T/out")
assert_true "... beside its startedat object" \
    grep -qx "$v2/startedat" <(s3_keys other "$v2/")
assert_eq "" "$(s3_keys other "$v2/data")" "... and no data object"
s3t_ok "aborted" abort "$v2/data" "$rid"
s3t uploads docker/
assert_eq "" "$(cat "$T/out")" "... nothing incomplete is left"

# --- the registry's config.yml as drydock reads it ------------------------------------

s3t_ok "the client from the registry's config.yml" -c "$T/registry.yml" ls docker/ /
assert_eq "P docker/registry/" "$(cat "$T/out")" "... lists its bucket"
finish
