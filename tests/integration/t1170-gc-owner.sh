#!/usr/bin/env bash
# t1170-gc-owner --- drydock-gc --restore run as root beside a
# docker-registry that runs as its own user.  gc -m --quarantine takes an
# untagged image (pushed by digest) and with it its whole repository,
# which it removes up to repositories/; --restore makes those directories
# again, and they must take the owner, group and mode the registry gives
# its own, so that the registry can push into the restored repository and
# DELETE the restored image.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { diag "skipped: needs root to run the registry as another user"; finish; }
REG_USER=$(registry_user)

L=$T/layouts
mkimage -s own-keep -l 1 -r keep "$L" >/dev/null
mkimage -s own-loose -l 2 -r loose "$L" >/dev/null
mkimage -s own-more -l 1 -r more "$L" >/dev/null
loose=$("$MKIMAGE" --digest "$L" loose)
root=$T/root
R=$(v2 "$root")/repositories
start_registry "$root"
push_oci "$L" keep keep/app:1.0
push_layout_curl "$L" loose solo/app
pull_ok "solo/app@$loose" "setup: the image pushed by digest pulls"
assert_eq "" "$(not_registry_owned "$root")" "setup: the registry's root is its own"
# gc never removes what changed in the last 2 s, whatever --grace says
age_tree "$root" "10 minutes ago"

run_gc --grace 0 -m --quarantine "$T/q" "$root"
assert_rc 0 "gc -m --quarantine as root"
assert_file_absent "$R/solo" "the emptied repository went, its parent too"
run_gc --restore "$T/q" "$root"
assert_rc 0 "gc --restore as root"
assert_file_present "$R/solo/app/_manifests/revisions/sha256/${loose#sha256:}/link" \
    "the revision is back"
assert_eq "" "$(not_registry_owned "$root" | head -n 5)" \
    "what --restore made belongs to the registry's user and group"
assert_eq "" "$(find "$root" -type d ! -perm 755 | head -n 5)" \
    "its directories are 0755, as the registry makes them"
pull_ok "solo/app@$loose" "the restored image pulls"
if _skopeo_push "oci:$L:more" "docker://$REG/solo/app:2.0"; then
	pass "push into the restored repository"
else
	fail "push into the restored repository"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$ACCEPT" \
    "http://$REG/v2/solo/app/manifests/$loose")
assert_eq 202 "$code" "manifest DELETE of the restored image"
stop_registry
finish
