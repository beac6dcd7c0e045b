#!/usr/bin/env bash
# t2120-fsck-owner --- drydock-fsck -p run as root beside a docker-registry
# that runs as its own user: the _layers link it writes again (its
# directory included) and the link it rewrites take the owner, group and
# mode the registry gives its own, so the registry can still DELETE those
# blobs and push the image again.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { diag "skipped: needs root to run the registry as another user"; finish; }
REG_USER=$(registry_user)

L=$T/layouts
mkimage -s own-fsck -b B1 -l 2 -r img "$L" >/dev/null
root=$T/root
start_registry "$root"
push_oci "$L" img fs/app:1.0
push_oci "$L" img fs/two:1.0
man=$(curl -s -H "$ACCEPT" "http://$REG/v2/fs/app/manifests/1.0")
LAYER=$(jq -r '.layers[1].digest' <<<"$man")
CFG=$(jq -r '.config.digest' <<<"$man")
R=$(v2 "$root")/repositories
h() { printf '%s' "${1#sha256:}"; }

# the whole link directory of a layer is gone; a config link has a newline
rm -r "$R/fs/app/_layers/sha256/$(h "$LAYER")"
printf '%s\n' "$CFG" >"$R/fs/two/_layers/sha256/$(h "$CFG")/link"
assert_eq "" "$(not_registry_owned "$root")" "setup: the registry's root is its own"

run_fsck -p --quarantine "$T/q" --json "$T/p.json" "$root"
assert_fsck_rc 1 "-p as root: both repaired"
assert_jq "$T/p.json" '[.findings[] | select(.repaired) | .id] | sort' \
    '["LAYER_LINK_MISSING","LINK_WHITESPACE"]' "the missing link and the newline"
assert_eq "" "$(not_registry_owned "$root" | head -n 5)" \
    "what -p wrote belongs to the registry's user and group"
assert_eq "" "$(find "$root" \( -type d ! -perm 755 \) -o \( -type f ! -perm 644 \) | head -n 5)" \
    "directories 0755 and files 0644, as the registry makes them"
assert_eq "" "$(find "$root" -name '*.drydock-*' | head -n 5)" "no temporary entry left"
pull_ok fs/app:1.0 "the relinked image pulls"

code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE \
    "http://$REG/v2/fs/app/blobs/$LAYER")
assert_eq 202 "$code" "DELETE of the relinked blob"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE \
    "http://$REG/v2/fs/two/blobs/$CFG")
assert_eq 202 "$code" "DELETE of the blob whose link -p rewrote"
if _skopeo_push "oci:$L:img" "docker://$REG/fs/app:1.1"; then
	pass "push of the image again (the registry writes the link anew)"
else
	fail "push of the image again (the registry writes the link anew)"
fi
pull_ok fs/app:1.1
_skopeo_push "oci:$L:img" "docker://$REG/fs/two:1.0" || bail "push to fs/two"
stop_registry
run_fsck "$root"
assert_fsck_rc 0 "the store is clean afterwards"
finish
