#!/usr/bin/env bash
# t1180-gc-pin --- drydock-gc --pin FILE|- on the zoo fixture (lib.sh):
#   - with -m, the untagged APP2_OLD and the referrer R2 go; pinned (by
#     REPO@DIGEST from a file, by a full image reference as kubectl prints
#     an imageID, and by a bare digest from standard input) they stay with
#     everything they reach, and pull by digest afterwards;
#   - a bare digest of a blob no manifest needs (the stray blob) keeps it;
#   - comments and blank lines are ignored; a pin that matches nothing is a
#     warning naming its file and line, and the report lists it;
#   - a malformed pin file is refused as a whole (exit 16) before anything
#     is read, an unreadable one with exit 8, and nothing changes.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"

# --- -m without pins: what the pins must save goes ---------------------------
cp -a "$F/root" "$T/nopin"
run_gc --grace 0 -m -n --json "$T/nopin.json" "$T/nopin"
assert_rc 0 "-m dry run without pins"
assert_eq 1 "$(removed_of "$T/nopin.json" revision |
    jq -r .digest | grep -cx "$APP2_OLD")" \
    "without a pin, -m removes APP2_OLD"
assert_eq 1 "$(removed_of "$T/nopin.json" revision |
    jq -r .digest | grep -cx "$R2")" "without a pin, -m removes R2"

# --- pins from a file and from standard input ---------------------------------
root=$T/pinned
cp -a "$F/root" "$root"
cat >"$T/pins" <<EOF
# what runs in production (kubectl get pods -o jsonpath='{..imageID}')
127.0.0.1:5000/team/app@$APP2_OLD   # a full image reference

team/app:1.0
	library/oci:1.0	# a tag, with a tab before it
team/app:no-such-tag
team/nosuch@$APP2_OLD
EOF
printf '%s\n%s\n' "$R2" "$STRAY" >"$T/pins.stdin"
run_gc --grace 0 -m --pin "$T/pins" --pin - --json "$T/pinned.json" \
    "$root" <"$T/pins.stdin"
assert_rc 0 "-m with pins from a file and from stdin"
r=$T/pinned.json
check_report_consistent "$r" "pinned"
assert_eq "" "$(jq -r '.removed[] | select(.digest != null) | .digest' "$r" |
    grep -x -e "$APP2_OLD" -e "$R2" -e "$STRAY")" \
    "nothing pinned is removed"
for d in $(cat "$F/app2old.img" "$F/r2.img" | sort -u); do
	blob_exists "$root" "$d" || fail "blob $d of a pinned image is gone"
done
pass "every blob of the pinned images stays"
assert_true "the pinned stray blob stays" blob_exists "$root" "$STRAY"
assert_true "... with a warning that a pin of a blob keeps that blob alone" \
    grep -q "<stdin>:2: pin '$STRAY' names a blob no repository holds as a manifest" "$T/gc.err"
assert_eq "$(revision_links "$root" | grep -c -e "$APP2_OLD" -e "$R2")" 2 \
    "the pinned revisions stay"
# what is not pinned still goes
assert_eq "$(($(wc -l <"$F/orphan.blobs") - 1))" \
    "$(report_blobs "$r" | comm -12 - "$F/orphan.blobs" | wc -l)" \
    "every orphan blob but the pinned one is removed"
assert_jq "$r" '.pins.given' 7 "the report counts the pins"
assert_jq "$r" '[.pins.unmatched[] | "\(.line) \(.pin)"]' \
    '["6 team/app:no-such-tag","7 team/nosuch@'"$APP2_OLD"'"]' \
    "the report lists the pins that matched nothing"
assert_eq 2 "$(grep -c "warning: $T/pins:[67]: pin '.*' matches nothing" \
    "$T/gc.err")" "a warning for each pin that matched nothing, with its line"
assert_eq 0 "$(grep -c "<stdin>.*matches nothing" "$T/gc.err")" \
    "no 'matches nothing' for the pins from stdin, which all matched"

start_registry "$root"
pull_ok "team/app@$APP2_OLD" "the pinned APP2_OLD pulls by digest"
pull_ok "team/app@$R2" "the pinned referrer R2 pulls by digest"
for t in $KEEP_TAGS; do
	pull_ok "$t"
done
stop_registry

# --- a second run: the pins still hold, nothing more goes ---------------------
run_gc --grace 0 -m --pin "$T/pins" --pin - --json "$T/again.json" \
    "$root" <"$T/pins.stdin"
assert_rc 0 "second run with the same pins"
assert_jq "$T/again.json" '.removed | length' 0 "the second run removes nothing"

# --- refused before anything is read ------------------------------------------
root=$T/refused
cp -a "$F/root" "$root"
snapshot "$root" "$T/refused.snap0"
for bad in "team/app" "team/app@sha256:1234" "Team/App:1.0" "team/app:-x" \
    "sha256:zz"; do
	printf '# fine\n%s@%s\n%s\n' team/app "$R1" "$bad" >"$T/bad.pins"
	run_gc --grace 0 -m --pin "$T/bad.pins" "$root"
	assert_rc 16 "malformed pin '$bad' refused"
	assert_true "the message names the file and line 3 ('$bad')" \
	    grep -q "$T/bad.pins:3: " "$T/gc.err"
done
printf '%s\n' "not a pin" | run_gc --grace 0 -m --pin - "$root"
assert_rc 16 "a malformed pin on stdin is refused"
assert_true "the message names <stdin>:1" grep -q '<stdin>:1: ' "$T/gc.err"
run_gc --grace 0 -m --pin "$T/no-such-file" "$root"
assert_rc 8 "an unreadable pin file is an operational error"
snapshot "$root" "$T/refused.snap1"
assert_true "refused runs changed nothing" \
    cmp -s "$T/refused.snap0" "$T/refused.snap1"

finish
