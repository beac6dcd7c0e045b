#!/usr/bin/env bash
# t3080-migrate-owner --- drydock-migrate run as root merges into the live
# root of a docker-registry that runs as its own user (Debian's
# docker-registry): everything it writes takes the owner, group and mode
# the registry gives its own files, so the registry can still push into
# the imported repositories, add tags to a merged one and DELETE imported
# manifests.  A blob whose source belongs to someone else is copied, not
# hard-linked (a hard link would keep the source's owner); --link hard
# refuses it.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { diag "skipped: needs root to run the registry as another user"; finish; }
REG_USER=$(registry_user)
diag "registry user: $REG_USER"

L=$T/layouts
mkimage -s own-live -b B1 -r live "$L" >/dev/null
mkimage -s own-imp1 -b B1 -r imp1 "$L" >/dev/null
mkimage -s own-imp2 -l 1 -r imp2 "$L" >/dev/null
mkimage -s own-new -b B1 -r new "$L" >/dev/null
mkimage -s own-new2 -l 1 -r new2 "$L" >/dev/null
mkimage -s own-oci -l 1 -r oci/app:1.0 "$T/ocilay" >/dev/null
mkimage -s own-hard -l 1 -r hard/app:1.0 "$T/hardlay" >/dev/null

# the source: a root written by a registry running as root
src=$T/src
REG_USER='' start_registry "$src"
push_oci "$L" imp1 imp/app:1.0
push_oci "$L" imp2 imp/other:1.0
push_oci "$L" imp1 live/app:2.0
stop_registry
owners() { find "$1" -printf '%P %u:%g %m %n\n' | LC_ALL=C sort; }
owners "$src" >"$T/src.before"

# the live root: the registry's own, served by it as its user
live=$T/live
start_registry "$live"
push_oci "$L" live live/app:1.0
assert_eq "" "$(not_registry_owned "$live")" "setup: the registry's root is its own"

# (a) a registry root merged in as root, the registry serving
run_migrate --json "$T/m1.json" "registry:$src" "registry:$live"
assert_mig_rc 0 "registry root merged into the live root"
not_registry_owned "$live" >"$T/foreign1"
assert_eq "" "$(head -n 5 "$T/foreign1")" \
    "nothing under the root belongs to another owner than the registry"
assert_eq "" "$(find "$live" \( -type d ! -perm 755 \) -o \( -type f ! -perm 644 \) | head -n 5)" \
    "directories 0755 and files 0644, as the registry makes them"
assert_eq "" "$(find "$live" -name '*.drydock-*' | head -n 5)" "no temporary entry left"
assert_jq "$T/m1.json" '.blobs.hardlinked' 0 \
    "no blob of root's source was hard-linked into the registry's root"
owners "$src" >"$T/src.after"
assert_true "the source keeps its owners, modes and link counts" \
    cmp -s "$T/src.before" "$T/src.after"
pull_ok imp/app:1.0
pull_ok live/app:2.0
if _skopeo_push "oci:$L:new" "docker://$REG/imp/app:2.0"; then
	pass "push of a new tag into an imported repository"
else
	fail "push of a new tag into an imported repository"
fi
if _skopeo_push "oci:$L:new2" "docker://$REG/live/app:3.0"; then
	pass "push of a new tag into the merged repository"
else
	fail "push of a new tag into the merged repository"
fi
pull_ok imp/app:2.0
other=$(manifest_digest imp/other 1.0)
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$ACCEPT" \
    "http://$REG/v2/imp/other/manifests/$other")
assert_eq 202 "$code" "manifest DELETE in an imported repository"
app=$(manifest_digest live/app 2.0)
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$ACCEPT" \
    "http://$REG/v2/live/app/manifests/$app")
assert_eq 202 "$code" "manifest DELETE of a merged tag's image"

# (b) an OCI layout (root's files) imported as root
run_migrate --json "$T/m2.json" "oci:$T/ocilay" "registry:$live"
assert_mig_rc 0 "OCI layout imported into the live root"
assert_eq "" "$(not_registry_owned "$live" | head -n 5)" \
    "still nothing owned by another than the registry"
if _skopeo_push "oci:$L:new" "docker://$REG/oci/app:2.0"; then
	pass "push into the repository imported from a layout"
else
	fail "push into the repository imported from a layout"
fi
oci=$(manifest_digest oci/app 1.0)
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$ACCEPT" \
    "http://$REG/v2/oci/app/manifests/$oci")
assert_eq 202 "$code" "manifest DELETE in the repository imported from a layout"

# (c) --link hard cannot give a blob away: it fails and says why
run_migrate --link hard "oci:$T/hardlay" "registry:$live"
assert_ne 0 "$MIG_RC" "--link hard of root's blobs into the registry's root fails"
assert_true "and says that a hard link keeps the source's owner" \
    grep -q "hard link keeps the source's owner" "$T/mig.err"
assert_eq "" "$(not_registry_owned "$live" | head -n 5)" \
    "the failed run left nothing of another owner"
run_migrate --link hard "oci:$T/hardlay" "registry:$T/rootown"
assert_mig_rc 0 "--link hard where the owners match (a new root of root's)"
stop_registry
finish
