#!/usr/bin/env bash
# t5040-gc-s3 --- drydock-gc on a bucket, against the real thing: Debian's
# docker-registry with its s3 driver on radosgw (tests/s3/radosgw.sh), images
# pushed by skopeo.  The same contract as on a filesystem:
#   - a dry run removes nothing and counts what would go;
#   - the grace period counts from LastModified;
#   - orphan mode, then -m: the garbage goes, every kept image pulls, the
#     children of a kept multi-arch index and shared layers stay;
#   - more than 1,000 garbage blobs under one prefix (listing pages and
#     DeleteObjects batches) all go;
#   - a push during the run (paused before its re-check) survives;
#   - an untagged manifest pushed again by digest while -m runs keeps it and its
#     blobs (the re-check sees changed revision and layer links);
#   - --quarantine keeps its journal here and the objects in the bucket;
#     --restore puts v2/ back key for key;
#   - a run killed mid-sweep converges on the next;
#   - a second run meets the lock and changes nothing; a lock object another
#     machine holds stops the run; a killed run's lock does not stop the
#     next run on the same machine;
#   - wrong credentials: one clear line, exit 8, nothing deleted.
. "$(dirname "$0")/lib.sh"

peers_only
start_s3_registry

keys() { s3_keys registry "$v2/${1:-}" | sort; }
blob_key() { echo "$v2/blobs/sha256/${1:7:2}/${1#sha256:}/data"; }
has_key() { grep -qx "$1" "$T/keys.now"; }

L=$T/layout
mkimage -s g-a -b g-base -r a "$L" >/dev/null
mkimage -s g-b -b g-base -r b "$L" >/dev/null
mkimage -s g-m -p linux/amd64 -p linux/arm64 -r m "$L" >/dev/null
push_oci "$L" a app:1
A=$(manifest_digest app 1)
A_BLOBS=$(image_blobs app 1)
push_oci "$L" m app:multi
push_oci "$L" b app:1 # overwrites app:1: a is untagged now
B_BLOBS=$(image_blobs app 1)
echo "orphan $$" >"$T/orphan"
ORPHAN=$(push_blob app "$T/orphan")
A_ONLY=$(comm -23 <(tr ' ' '\n' <<<"$A_BLOBS" | sort) \
    <(tr ' ' '\n' <<<"$B_BLOBS" | sort))
[ -n "$A_ONLY" ] || bail "image a has no blob of its own"
# 1,100 garbage blobs below one blobs/sha256/<hh>/: more than a page
"$S3TOOL" -c "$CFG" -j 8 fill \
    "$v2/blobs/sha256/ee/ee$(printf '%057d' 0)" 1100 /data >/dev/null ||
    bail "cannot fill the bucket"
# gc keeps what changed in the two seconds before it began (a push racing
# with it, on storage with coarse times): let those pass
sleep 3
keys >"$T/keys.before"

# --- dry run: nothing moves ------------------------------------------------------
run_gc --config "$CFG" -n -m --grace 0 --json "$T/dry.json"
assert_eq 0 "$GC_RC" "a dry run on the bucket exits 0 ($(head -c 300 "$T/gc.err"))"
keys >"$T/keys.now"
assert_true "a dry run removes nothing" cmp -s "$T/keys.before" "$T/keys.now"
assert_jq "$T/dry.json" '.summary.removed.blob >= 1101' true "the dry run counts the garbage blobs"
assert_jq "$T/dry.json" '.root' '"s3://registry/reg"' "the report names the bucket"
assert_jq "$T/dry.json" '.summary.storage_requests > 10' true \
    "the report counts the requests the run sent"
assert_schema drydock-gc "$T/dry.json"

# --- grace from LastModified -------------------------------------------------------
run_gc --config "$CFG" -m
assert_eq 0 "$GC_RC" "gc with the default grace exits 0"
keys >"$T/keys.now"
assert_true "everything is younger than the grace period: all stays" \
    cmp -s "$T/keys.before" "$T/keys.now"

# --- orphan mode ------------------------------------------------------------------
run_gc --config "$CFG" --grace 0 --json "$T/orphans.json"
assert_eq 0 "$GC_RC" "orphan mode exits 0 ($(head -c 300 "$T/gc.err"))"
# the sweep looks at each blob once more just before it goes: in listings of
# the batch's range (lib/store_s3range.c), not a request each
assert_jq "$T/orphans.json" '.summary.storage_requests < 300' true \
    "1,101 blobs looked at and removed in fewer than 300 requests ($(jq .summary.storage_requests "$T/orphans.json"))"
keys >"$T/keys.now"
assert_false "the orphan blob is gone" has_key "$(blob_key "$ORPHAN")"
assert_eq 0 "$(grep -c "/blobs/sha256/ee/ee0" "$T/keys.now")" \
    "all 1,100 generated garbage blobs are gone"
for d in $A_ONLY; do
	assert_true "untagged a's own blob stays without -m ($d)" has_key "$(blob_key "$d")"
done
pull_ok app:1 "app:1 pulls after orphan mode"
pull_ok app:multi "app:multi pulls after orphan mode"
pull_ok "app@$A" "the untagged manifest still pulls by digest"

# --- -m, with a push during the run -----------------------------------------------
rm -f "$T/pause" "$T/gc.rc"
(
	DRYDOCK_GC_TEST_PAUSE="recheck:$T/pause" "$GC" --config "$CFG" -m \
	    --grace 0 --json "$T/m.json" >"$T/gc.out" 2>"$T/gc.err"
	echo $? >"$T/gc.rc"
) &
for _ in $(seq 300); do
	[ -e "$T/pause" ] || [ -e "$T/gc.rc" ] && break
	sleep 0.1
done
[ -e "$T/pause" ] || bail "gc never paused: $(cat "$T/gc.err")"
# meanwhile a second run on this host meets its lock
"$GC" --config "$CFG" --grace 0 >"$T/gc2.out" 2>"$T/gc2.err"
assert_eq 8 "$?" "a second run while one holds the lock exits 8"
assert_true "... saying the lock is held" grep -q "holds the lock" "$T/gc2.err"
assert_true "the lock object is there while the run holds it" \
    "$S3TOOL" -c "$CFG" stat reg/docker/registry/drydock.lock
# a push of a condemned manifest (a, untagged) under a new tag
push_oci "$L" a app:again
rm -f "$T/pause"
for _ in $(seq 600); do [ -s "$T/gc.rc" ] && break; sleep 0.1; done
assert_eq 0 "$(cat "$T/gc.rc")" "-m exits 0 ($(head -c 300 "$T/gc.err"))"
keys >"$T/keys.now"
pull_ok app:again "the image pushed during the run pulls"
pull_ok app:1 "app:1 pulls after -m"
pull_ok app:multi "app:multi (a multi-arch index) and its children pull after -m"
assert_false "no lock object is left" has_key "reg/docker/registry/drydock.lock"

# --- -m for real, killed mid-sweep, then converged -----------------------------------
push_oci "$L" b app:again # a is untagged again
"$S3TOOL" -c "$CFG" -j 8 fill \
    "$v2/blobs/sha256/ef/ef$(printf '%057d' 0)" 300 /data >/dev/null
sleep 3
DRYDOCK_GC_TEST_ABORT_AFTER=5 run_gc --config "$CFG" -m --grace 0
assert_ne 0 "$GC_RC" "the test hook kills the run mid-sweep"
pull_ok app:1 "app:1 pulls after a killed run"
pull_ok app:multi "app:multi pulls after a killed run"
run_gc --config "$CFG" -m --grace 0 --json "$T/again.json"
assert_eq 0 "$GC_RC" "the next run exits 0"
keys >"$T/keys.now"
assert_eq 0 "$(grep -c "/blobs/sha256/ef/ef0" "$T/keys.now")" \
    "the next run removed what the killed one left"
run_gc --config "$CFG" -m --grace 0 -n --json "$T/clean.json"
assert_jq "$T/clean.json" '.summary.removed.blob' 0 "and a third finds nothing to remove"
pull_ok app:1 "app:1 pulls at the end"
pull_ok app:multi "app:multi pulls at the end"

# --- quarantine in the bucket, journal here, and restore ----------------------------
push_oci "$L" a app:q
push_oci "$L" b app:q # a is untagged once more
sleep 3 # past the two seconds gc keeps whatever changed
keys >"$T/keys.before"
run_gc --config "$CFG" -m --grace 0 --quarantine "$T/q" --json "$T/q.json"
assert_eq 0 "$GC_RC" "-m --quarantine exits 0 ($(head -c 300 "$T/gc.err"))"
keys >"$T/keys.now"
assert_true "the journal is local" test -s "$T/q/journal.sqlite"
assert_true "the quarantined objects are in the bucket, beside v2/" \
    sh -c "'$S3TOOL' -c '$CFG' ls reg/docker/registry/drydock-quarantine/ | grep -q /data"
for d in $A_ONLY; do
	assert_false "a's own blob left v2/ ($d)" has_key "$(blob_key "$d")"
done
pull_ok app:q "app:q pulls after a quarantine run"
run_gc --config "$CFG" --restore "$T/q"
assert_eq 0 "$GC_RC" "--restore exits 0 ($(head -c 300 "$T/gc.err"))"
keys >"$T/keys.now"
assert_true "restore puts every key of v2/ back as it was" \
    cmp -s "$T/keys.before" "$T/keys.now"
pull_ok "app@$A" "the restored untagged manifest pulls by digest"
assert_eq "" "$("$S3TOOL" -c "$CFG" ls reg/docker/registry/drydock-quarantine/ | head -3)" \
    "nothing is left in the bucket's quarantine"

# --- an untagged manifest pushed again by digest during -m: kept ----------------------
# No tag moves: only the repository's revision and layer links are written again,
# which gc's re-check sees only by walking them again (on S3: a directory's
# fingerprint in its prefetched listing tells it they changed)
sleep 3
gc_paused recheck --config "$CFG" -m --grace 0 --json "$T/again2.json"
push_layout_curl "$L" a app
gc_resume
assert_eq 0 "$GC_RC" "-m with a push by digest during its re-check exits 0 ($(head -c 300 "$T/gc.err"))"
keys >"$T/keys.now"
pull_ok "app@$A" "the manifest pushed again during the run pulls by digest"
for d in $A_ONLY; do
	assert_true "... and keeps its own blob ($d)" has_key "$(blob_key "$d")"
done
assert_jq "$T/again2.json" '.summary.cancelled_by_recheck > 0' true \
    "the re-check cancelled the removals the push made wrong"

# --- a tag's current link: known from its ETag, or read ------------------------------
# A listing's ETag of a link is the MD5 of its content: one naming an entry of
# its tag's index is known without a GET (lib/link_etag.c); one naming anything
# else matches none and is read.
sleep 3 # A, pushed again above, is past the two seconds gc keeps
B=$(manifest_digest app 1)
DRYDOCK_S3_TRACE=$T/etag.trace run_gc --config "$CFG" -n -m --grace 0 \
    --json "$T/etag.json"
assert_eq 0 "$GC_RC" "a dry run with the trace exits 0 ($(head -c 300 "$T/gc.err"))"
assert_eq 0 "$(grep -c '^GET [^?]*/_manifests/tags/[^/]*/current/link ' "$T/etag.trace")" \
    "no tag's current link is fetched: each is known from its listing's ETag"
for d in $A_ONLY; do
	assert_jq "$T/etag.json" "[.removed[] | select(.digest == \"$d\")] | length > 0" true \
	    "untagged a's own blob would go ($d)"
done
hand=$v2/repositories/app/_manifests/tags/hand
printf 'sha256:%s' "${B#sha256:}" |
    "$S3TOOL" -c "$CFG" putmem "$hand/index/sha256/${B#sha256:}/link" >/dev/null
printf 'sha256:%s' "${A#sha256:}" |
    "$S3TOOL" -c "$CFG" putmem "$hand/current/link" >/dev/null
sleep 3
rm -f "$T/etag.trace"
DRYDOCK_S3_TRACE=$T/etag.trace run_gc --config "$CFG" -n -m --grace 0 \
    --json "$T/hand.json"
assert_eq 0 "$GC_RC" "a dry run with a hand-made tag exits 0 ($(head -c 300 "$T/gc.err"))"
assert_eq 1 "$(grep -c '^GET [^?]*/_manifests/tags/hand/current/link ' "$T/etag.trace")" \
    "a current link naming no entry of its index is fetched"
for d in $A_ONLY; do
	assert_jq "$T/hand.json" "[.removed[] | select(.digest == \"$d\")] | length" 0 \
	    "the manifest the link holds (a), not its index's (b), keeps its blob ($d)"
done
"$S3TOOL" -c "$CFG" rm "$hand/current/link" "$hand/index/sha256/${B#sha256:}/link" >/dev/null

# --- a lock another machine holds -------------------------------------------------
printf 'drydock lock\nhost: elsewhere\npid: 42\nsince: %s\ntoken: 0123\nmachine: elsewhere 0123\n' \
    "$(date +%s)" | "$S3TOOL" -c "$CFG" putmem reg/docker/registry/drydock.lock
keys >"$T/keys.before"
run_gc --config "$CFG" -m --grace 0
assert_eq 8 "$GC_RC" "a lock object of another machine stops the run (exit 8)"
assert_true "... naming that machine" grep -q "taken by elsewhere (pid 42)" "$T/gc.err"
keys >"$T/keys.now"
assert_true "... and nothing was deleted" cmp -s "$T/keys.before" "$T/keys.now"
"$S3TOOL" -c "$CFG" rm reg/docker/registry/drydock.lock >/dev/null

# --- wrong credentials ------------------------------------------------------------
keys >"$T/keys.before"
REGISTRY_STORAGE_S3_SECRETKEY=wrong run_gc --config "$CFG" -m --grace 0
assert_eq 8 "$GC_RC" "a wrong secret key exits 8"
assert_eq 1 "$(wc -l <"$T/gc.err")" "... with one line: $(head -c 200 "$T/gc.err")"
keys >"$T/keys.now"
assert_true "... and nothing was deleted" cmp -s "$T/keys.before" "$T/keys.now"
finish
