#!/usr/bin/env bash
# t5050-fsck-s3 --- drydock-fsck on a bucket, against the real thing: Debian's
# docker-registry with its s3 driver on radosgw (tests/s3/radosgw.sh), images
# pushed by skopeo (two sharing a layer, a multi-arch index).  The same
# contract as on a filesystem:
#   - a clean bucket: exit 0, every blob hashed from streaming GETs, the
#     report follows its schema;
#   - a GET that keeps failing is an unreadable blob (an error), never a
#     corrupt one; a GET cut once is resumed and the blob is fine;
#   - a blob overwritten by a direct PUT is found, with the images it breaks;
#     a deleted layer link and a deleted child revision link are found;
#   - -p --quarantine DIR: the links are written again, the corrupt blob
#     goes to the bucket's quarantine prefix with a local journal; the
#     registry serves what is whole; drydock-gc --restore DIR brings it back;
#   - --state keys on ETag, size and LastModified: a second run hashes
#     nothing, a blob rewritten with new bytes is hashed again and found;
#   - wrong credentials: exit 8, one line, nothing changed;
#   - more than 1,000 blobs below one blobs/sha256/<hh>/ (listing pages).
. "$(dirname "$0")/lib.sh"

start_s3_registry
FSCK="$DRYDOCK_BIN/drydock-fsck"

keys() { s3_keys registry "reg/${1:-}" | sort; }
blob_rel() { echo "blobs/sha256/${1:7:2}/${1#sha256:}/data"; }
blob_key() { echo "$v2/$(blob_rel "$1")"; }
has_key() { grep -qx "$1" "$T/keys.now"; }
s3get() { "$S3TOOL" -c "$CFG" get "$1"; }
s3sha() { "$S3TOOL" -c "$CFG" sha256 "$1" | cut -d' ' -f1; }

L=$T/layout
mkimage -s f-a -b f-base -r a "$L" >/dev/null
mkimage -s f-b -b f-base -r b "$L" >/dev/null
mkimage -s f-m -p linux/amd64 -p linux/arm64 -r m "$L" >/dev/null
push_oci "$L" a app:1
push_oci "$L" b app:2
push_oci "$L" m other:multi
A_BLOBS=$(image_blobs app 1)
B_BLOBS=$(image_blobs app 2)
SHARED=$(comm -12 <(tr ' ' '\n' <<<"$A_BLOBS" | sort) \
    <(tr ' ' '\n' <<<"$B_BLOBS" | sort) | head -n 1)
B_ONLY=$(comm -13 <(tr ' ' '\n' <<<"$A_BLOBS" | sort) \
    <(tr ' ' '\n' <<<"$B_BLOBS" | sort) | head -n 1)
[ -n "$SHARED" ] && [ -n "$B_ONLY" ] || bail "app:1 and app:2 share no layer"
INDEX=$(curl -sf -H "$ACCEPT" "http://$REG/v2/other/manifests/multi") ||
	bail "no index"
ARM=$(jq -r '.manifests[] | select(.platform.architecture == "arm64")
    | .digest' <<<"$INDEX")
[ -n "$ARM" ] || bail "no arm64 child"
NBLOBS=$(s3_keys registry "$v2/blobs/" | grep -c '/data$')

# --- a clean bucket ----------------------------------------------------------------
keys >"$T/keys.before"
run_fsck --config "$CFG" -j 4 --json "$T/clean.json"
assert_fsck_rc 0 "a clean bucket: exit 0 ($(head -c 300 "$T/fsck.err"))"
assert_schema drydock-fsck "$T/clean.json"
check_fsck_report "$T/clean.json" clean
assert_jq "$T/clean.json" '.root' '"s3://registry/reg"' "the report names the bucket"
assert_jq "$T/clean.json" '.summary.blobs_hashed' "$NBLOBS" \
    "every blob was hashed from its GET ($NBLOBS)"
assert_jq "$T/clean.json" '.summary.bytes_hashed == .summary.blob_bytes' true \
    "... every byte of them"
assert_jq "$T/clean.json" '[.summary.repositories, .summary.tags]' '[2,3]' \
    "two repositories, three tags"
assert_jq "$T/clean.json" '[.findings[] | select(.severity != "info")] | length' 0 \
    "no problem, no warning"
keys >"$T/keys.now"
assert_true "a check changes nothing in the bucket" \
    cmp -s "$T/keys.before" "$T/keys.now"

# --- failed and cut GETs, through a proxy ----------------------------------------------
# every GET of B_ONLY's data fails (503 past the retries); the first GET of
# SHARED's is cut after 100 bytes (resumed with a Range)
start_s3_proxy --fail "${B_ONLY#sha256:}/data:1000" \
    --cut "${SHARED#sha256:}/data:100"
REGISTRY_STORAGE_S3_REGIONENDPOINT=$PROXY \
    run_fsck --config "$CFG" -j 4 --json "$T/faults.json"
kill "$PROXY_PID" 2>/dev/null
assert_fsck_rc 4 "a blob that cannot be read: problems (exit 4)"
assert_eq "BLOB_UNREADABLE $(blob_rel "$B_ONLY")" \
    "$(fsck_findings "$T/faults.json" problem)" \
    "a GET failing every time: unreadable, and nothing else found"
assert_jq "$T/faults.json" '[.counts.BLOB_DIGEST_MISMATCH,
    .counts.BLOB_TRUNCATED, .counts.BLOB_EMPTY]' '[0,0,0]' \
    "... never reported as corrupt"
assert_true "the cut GET was resumed from where it stopped" \
    grep -q "^GET /registry/$(blob_key "$SHARED") bytes=100- -> 206" \
    "$T/proxy.log"
assert_jq "$T/faults.json" '.summary.blobs_hashed' "$((NBLOBS - 1))" \
    "... and the blob behind it hashed as fine"

# --- a corrupt blob, deleted links ------------------------------------------------------
s3get "$(blob_key "$SHARED")" >"$T/shared.good" || bail "cannot read $SHARED"
head -c "$(stat -c %s "$T/shared.good")" /dev/urandom >"$T/shared.bad"
"$S3TOOL" -c "$CFG" putmem "$(blob_key "$SHARED")" <"$T/shared.bad" ||
	bail "cannot overwrite $SHARED"
LAYER_LINK=$v2/repositories/app/_layers/sha256/${B_ONLY#sha256:}/link
CHILD_LINK=$v2/repositories/other/_manifests/revisions/sha256/${ARM#sha256:}/link
"$S3TOOL" -c "$CFG" rm "$LAYER_LINK" "$CHILD_LINK" >/dev/null ||
	bail "cannot delete the links"
keys >"$T/keys.before"

run_fsck --config "$CFG" -j 4 --json "$T/bad.json"
assert_fsck_rc 4 "corruption found: exit 4"
assert_schema drydock-fsck "$T/bad.json"
check_fsck_report "$T/bad.json" bad
{
	echo "BLOB_DIGEST_MISMATCH $(blob_rel "$SHARED")"
	echo "CHILD_NOT_LINKED ${CHILD_LINK#"$v2/"}"
	echo "LAYER_LINK_MISSING ${LAYER_LINK#"$v2/"}"
} | LC_ALL=C sort >"$T/bad.expect"
fsck_findings "$T/bad.json" problem >"$T/bad.got"
assert_same_lines "$T/bad.expect" "$T/bad.got" \
    "the overwritten blob, the layer link and the child's revision link"
printf 'app:1\napp:2\n' >"$T/img.expect"
fsck_images "$T/bad.json" BLOB_DIGEST_MISMATCH >"$T/img.got"
assert_same_lines "$T/img.expect" "$T/img.got" \
    "the shared layer breaks both images that use it"
assert_eq "other:multi [linux/arm64]" \
    "$(fsck_images "$T/bad.json" CHILD_NOT_LINKED)" \
    "the unlinked child breaks the index's arm64 platform"
keys >"$T/keys.now"
assert_true "a check changed nothing" cmp -s "$T/keys.before" "$T/keys.now"

# --- -p --quarantine DIR ------------------------------------------------------------------
run_fsck --config "$CFG" -p --json "$T/p.json"
assert_fsck_rc 16 "-p on a bucket without --quarantine: a usage error"
assert_true "... saying the journal must be local" \
    grep -q -- "--quarantine DIR" "$T/fsck.err"
q=$T/quarantine
run_fsck --config "$CFG" -p --quarantine "$q" -j 4 --json "$T/p1.json"
assert_fsck_rc 5 "-p: repaired (1) and problems left (4)"
assert_schema drydock-fsck "$T/p1.json"
assert_jq "$T/p1.json" '.summary.repair_changes' 3 \
    "-p: three changes (two links written, one blob moved)"
assert_jq "$T/p1.json" '.summary.repair_failures' 0 "-p: no failure"
keys >"$T/keys.now"
assert_true "-p wrote the layer link again" has_key "$LAYER_LINK"
assert_eq "$B_ONLY" "$(s3get "$LAYER_LINK")" "... naming its blob"
assert_true "-p wrote the child's revision link again" has_key "$CHILD_LINK"
assert_eq "$ARM" "$(s3get "$CHILD_LINK")" "... naming the child"
assert_false "-p: the corrupt data left blobs/" has_key "$(blob_key "$SHARED")"
QKEY=$(grep "^reg/docker/registry/drydock-quarantine/.*/${SHARED#sha256:}/data$" \
    "$T/keys.now")
assert_ne "" "$QKEY" "-p: it is in the bucket's quarantine prefix"
assert_eq "$(sha256sum <"$T/shared.bad" | cut -d' ' -f1)" \
    "$([ -n "$QKEY" ] && s3sha "$QKEY")" "... byte for byte"
assert_eq 1 "$(sqlite3 "$q/journal.sqlite" 'select count(*) from entries' \
    2>/dev/null || echo "no journal")" "-p: the local journal records the move"
pull_ok other:multi "the registry serves the index and both children again"
pull_ok "other@$ARM" "... the arm64 child by digest"
pull_fails app:2 "app:2 lacks the quarantined layer"

run_fsck --config "$CFG" -p --quarantine "$q" --json "$T/p2.json"
assert_fsck_rc 4 "second -p: nothing it can do, the layer is missing"
fsck_images "$T/p2.json" BLOB_MISSING >"$T/img.got"
assert_same_lines "$T/img.expect" "$T/img.got" \
    "second -p: the missing layer names both images"

# --- drydock-gc --restore DIR -----------------------------------------------------------
"$GC" --restore "$q" --config "$CFG" >"$T/restore.out" 2>&1
assert_eq 0 "$?" "drydock-gc --restore reads fsck's quarantine on the bucket ($(head -c 300 "$T/restore.out"))"
keys >"$T/keys.now"
assert_true "the object is back in blobs/" has_key "$(blob_key "$SHARED")"
assert_eq "$(sha256sum <"$T/shared.bad" | cut -d' ' -f1)" \
    "$(s3sha "$(blob_key "$SHARED")")" "... with the bytes it had"
assert_eq 0 "$(grep -c '^reg/docker/registry/drydock-quarantine/' "$T/keys.now")" \
    "... and the quarantine prefix is empty"
# the good bytes again, as a push would bring them
"$S3TOOL" -c "$CFG" putmem "$(blob_key "$SHARED")" <"$T/shared.good" ||
	bail "cannot write $SHARED back"
pull_ok app:2 "app:2 pulls with its layer back"

# --- --state: ETag, size, LastModified -------------------------------------------------
st=$T/fsck.state
run_fsck --config "$CFG" --state "$st" --verify changed --json "$T/s1.json"
assert_fsck_rc 0 "--state, first run: clean"
assert_jq "$T/s1.json" '.summary.blobs_hashed' "$NBLOBS" "first run hashes every blob"
run_fsck --config "$CFG" --state "$st" --verify changed --json "$T/s2.json"
assert_fsck_rc 0 "--state, second run: clean"
assert_jq "$T/s2.json" '[.summary.blobs_hashed, .summary.blobs_unchanged]' \
    "[0,$NBLOBS]" "second run hashes nothing: every ETag, size and date the same"
# a rewrite in place with other bytes of the same size
sleep 1.1
"$S3TOOL" -c "$CFG" putmem "$(blob_key "$SHARED")" <"$T/shared.bad"
run_fsck --config "$CFG" --state "$st" --verify changed --json "$T/s3.json"
assert_fsck_rc 4 "a blob rewritten in place is found"
assert_jq "$T/s3.json" '.summary.blobs_hashed' 1 "... hashed again, alone"
assert_eq "BLOB_DIGEST_MISMATCH $(blob_rel "$SHARED")" \
    "$(fsck_findings "$T/s3.json" problem)" "... as a digest mismatch"
"$S3TOOL" -c "$CFG" putmem "$(blob_key "$SHARED")" <"$T/shared.good"

# --- wrong credentials ---------------------------------------------------------------------
sed 's/secretkey: [^,}]*/secretkey: wrong-secret/' "$CFG" >"$T/wrong.yml"
keys >"$T/keys.before"
run_fsck --config "$T/wrong.yml" -p --quarantine "$T/q2" --json "$T/wrong.json"
assert_fsck_rc 8 "wrong credentials: exit 8"
assert_eq 1 "$(wc -l <"$T/fsck.err")" "... one line ($(cat "$T/fsck.err"))"
assert_true "... saying the secret key is wrong" grep -q "secret key" "$T/fsck.err"
keys >"$T/keys.now"
assert_true "... nothing changed in the bucket" cmp -s "$T/keys.before" "$T/keys.now"
assert_false "... no quarantine made" test -e "$T/q2/journal.sqlite"

# --- more than 1,000 blobs below one prefix ------------------------------------------------
"$S3TOOL" -c "$CFG" -j 8 fill \
    "$v2/blobs/sha256/ee/ee$(printf '%057d' 0)" 1100 /data >/dev/null ||
	bail "cannot fill the bucket"
start=$(date +%s.%N)
run_fsck --config "$CFG" -j 8 --json "$T/many.json"
secs=$(echo "$(date +%s.%N) - $start" | bc)
assert_fsck_rc 4 "1,100 junk blobs: problems"
assert_jq "$T/many.json" '.summary.blobs' "$((NBLOBS + 1100))" \
    "every blob below blobs/sha256/ee/ was walked (pages of 1,000)"
assert_jq "$T/many.json" '.counts.BLOB_DIGEST_MISMATCH' 1100 \
    "... and hashed: each does not match its digest"
assert_jq "$T/many.json" '[.findings[] | select(.severity == "problem"
    and (.path | startswith("blobs/sha256/ee/") | not))] | length' 0 \
    "... and nothing else is wrong"
diag "$((NBLOBS + 1100)) blobs checked in ${secs}s with -j 8"

finish
