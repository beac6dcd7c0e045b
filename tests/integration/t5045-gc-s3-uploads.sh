#!/usr/bin/env bash
# t5045-gc-s3-uploads --- the incomplete multipart uploads abandoned pushes
# leave on a bucket, purged by drydock-gc --uploads-older-than.
#
# docker-registry's s3 driver writes an upload's data as a multipart upload
# of <repo>/_uploads/<id>/data, completed only by the final PUT: a push that
# stops after its PATCHes leaves it incomplete, with startedat and
# hashstates objects beside it.  The registry's own purge deletes those
# objects and leaves the multipart upload, billed for ever.  drydock's S3
# driver shows it as the upload's data file, so gc's stale upload purge
# finds it, by Initiated, and its removal aborts it:
#   - a dry run counts both stale uploads and their bytes, aborts nothing;
#   - the real run aborts them (ListMultipartUploads is empty of them
#     afterwards), removes their objects, counts >= 2 MiB removed;
#   - one whose startedat/hashstates the registry's purge removed is found
#     all the same;
#   - a young upload stays, and the registry finishes it afterwards.
. "$(dirname "$0")/lib.sh"

start_s3_registry
UP=$v2/repositories/app/_uploads

uploads() { "$S3TOOL" -c "$CFG" uploads "$UP/" | LC_ALL=C sort; }
objects() { s3_keys registry "$UP/"; }

L=$T/layout
mkimage -s u-a -r a "$L" >/dev/null
push_oci "$L" a app:1

MIB=1048576
OLD=$(start_upload app $MIB)
PURGED=$(start_upload app $MIB)
uploads >"$T/up.0"
assert_true "an abandoned push leaves an incomplete multipart upload" \
    grep -q "^$UP/$OLD/data [^ ]* $MIB 1 " "$T/up.0"
assert_true "... for each of the two" \
    grep -q "^$UP/$PURGED/data [^ ]* $MIB 1 " "$T/up.0"
objects >"$T/obj.0"
assert_true "... beside its startedat object" grep -qx "$UP/$OLD/startedat" "$T/obj.0"
assert_false "... and no data object" grep -qx "$UP/$OLD/data" "$T/obj.0"
# what the registry's own purge leaves: the multipart upload alone
grep "^$UP/$PURGED/" "$T/obj.0" | "$S3TOOL" -c "$CFG" rm - >/dev/null ||
	bail "cannot delete the objects of $PURGED"
assert_eq 0 "$(objects | grep -c "^$UP/$PURGED/")" \
    "the registry's purge case: no object left of the second upload"
# young: begun after the others, by POST and PATCH kept here to finish it
sleep 16
printf 'x%.0s' $(seq 1000) >"$T/young.data"
loc=$(curl -s -o /dev/null -D - -X POST "http://$REG/v2/app/blobs/uploads/" |
	tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
loc=$(curl -s -o /dev/null -D - -X PATCH \
    -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/young.data" "$loc" |
	tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
YOUNG=${loc##*/uploads/}
YOUNG=${YOUNG%%\?*}
[ -n "$YOUNG" ] || bail "the young upload did not start"
uploads >"$T/up.1"
objects >"$T/obj.1"
assert_eq 3 "$(wc -l <"$T/up.1")" "three incomplete uploads before gc"

# --- dry run ---------------------------------------------------------------------------
run_gc --config "$CFG" -n --uploads-older-than 15s --json "$T/dry.json"
assert_eq 0 "$GC_RC" "a dry run exits 0 ($(head -c 300 "$T/gc.err"))"
assert_schema drydock-gc "$T/dry.json"
assert_jq "$T/dry.json" '.summary.removed.upload' 2 \
    "the dry run counts the two stale uploads"
assert_jq "$T/dry.json" "[.removed[] | select(.kind == \"upload\") | .path]
    | sort" "$(jq -cn --arg a "repositories/app/_uploads/$OLD" \
    --arg b "repositories/app/_uploads/$PURGED" '[$a, $b] | sort')" \
    "... by their upload directories, the purged one too"
assert_jq "$T/dry.json" ".summary.removed_bytes >= $((2 * MIB))" true \
    "... and their parts' bytes"
uploads >"$T/up.2"
assert_true "a dry run aborts nothing" cmp -s "$T/up.1" "$T/up.2"
objects >"$T/obj.2"
assert_true "... and deletes nothing" cmp -s "$T/obj.1" "$T/obj.2"

# --- the real run -------------------------------------------------------------------------
run_gc --config "$CFG" --uploads-older-than 15s --json "$T/real.json"
assert_eq 0 "$GC_RC" "gc exits 0 ($(head -c 300 "$T/gc.err"))"
assert_schema drydock-gc "$T/real.json"
assert_jq "$T/real.json" '.summary.removed.upload' 2 "gc removed two uploads"
assert_jq "$T/real.json" ".summary.removed_bytes >= $((2 * MIB))" true \
    "... counting the bytes of their parts"
uploads >"$T/up.3"
assert_eq "" "$(grep -v "^$UP/$YOUNG/" "$T/up.3")" \
    "ListMultipartUploads shows no stale upload any more"
assert_true "the young upload's multipart upload stays" \
    grep -q "^$UP/$YOUNG/data " "$T/up.3"
objects >"$T/obj.3"
assert_eq 0 "$(grep -c "^$UP/$OLD/" "$T/obj.3")" \
    "the stale upload's objects are gone"
assert_true "the young upload's startedat stays" \
    grep -qx "$UP/$YOUNG/startedat" "$T/obj.3"
run_gc --config "$CFG" --uploads-older-than 15s -n --json "$T/again.json"
assert_jq "$T/again.json" '.summary.removed.upload' 0 \
    "a second run finds no stale upload"

# the registry finishes the young upload: nothing of it was touched
DIG=sha256:$(sha256sum <"$T/young.data" | cut -d' ' -f1)
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$loc&digest=$DIG")
assert_eq 201 "$code" "the registry completes the young upload after gc"
pull_ok app:1 "app:1 pulls"

finish
