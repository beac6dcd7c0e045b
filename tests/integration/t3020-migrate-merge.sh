#!/usr/bin/env bash
# t3020-migrate-merge --- registry -> registry: one root merged into
# another that docker-registry already serves.  The destination keeps its
# own images; a tag both roots have moves to the source's image like a
# push would (the old one stays as a revision and in the tag's history);
# everything pulls with the real registry and skopeo; blobs are hard
# links; a rerun places nothing.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
A=$T/f/root
. "$T/f/expect.sh"
B=$T/b
L=$T/layouts
mkimage -s b-app -b B1 -r bapp "$L" >/dev/null
mkimage -s b-other -r bother "$L" >/dev/null
mkimage -s b-app3 -r bapp3 "$L" >/dev/null
start_registry "$B"
push_oci "$L" bapp team/app:1.0
push_oci "$L" bother other/x:1.0
push_oci "$L" bapp3 team/app:3.0
B_APP=$(manifest_digest team/app 1.0)
B_OTHER=$(manifest_digest other/x 1.0)
B_APP3=$(manifest_digest team/app 3.0)
stop_registry
tag_links "$B" >"$T/b.tags"

run_migrate --verify --json "$T/m1.json" "registry:$A" "registry:$B"
assert_mig_rc 0 "merge A into B with --verify"
assert_jq "$T/m1.json" '[.summary.tags, .summary.referrers, .verify.ok]' \
    '[7,2,true]' "merge: 7 tags and 2 referrers, verified"
assert_jq "$T/m1.json" '.blobs.hardlinked + .blobs.reflinked > 20' true \
    "merge: blobs linked on the same filesystem"
assert_jq "$T/m1.json" '.blobs.present >= 1' true \
    "merge: the base layer B already in B is found present"
layer=$(jq -r '.layers[-1].digest' "$(blob_dir "$A" "$(awk '$1 == "library/single:1.0" {print $2}' "$T/f/tags")")/data")
assert_eq "$(stat -c %i "$(blob_dir "$A" "$layer")/data")" \
    "$(stat -c %i "$(blob_dir "$B" "$layer")/data")" "merge: a layer is the same inode"

start_registry "$B"
while read -r ref d mt; do
	assert_eq "$d" "$(manifest_digest "${ref%:*}" "${ref##*:}")" "merged: $ref has A's digest"
	pull_ok "$ref"
done <"$T/f/tags"
pull_ok "team/app@$R1" "merged: referrer R1"
pull_ok "team/app@$R2" "merged: referrer R2"
assert_eq "$B_OTHER" "$(manifest_digest other/x 1.0)" "B's own other/x:1.0 kept"
pull_ok other/x:1.0
assert_eq "$B_APP3" "$(manifest_digest team/app 3.0)" "B's own team/app:3.0 kept"
pull_ok team/app:3.0
pull_ok "team/app@$B_APP" "B's old team/app:1.0 still pulls by digest"
stop_registry
assert_file_present "$(v2 "$B")/repositories/team/app/_manifests/tags/1.0/index/sha256/${B_APP#sha256:}/link" \
    "the moved tag keeps B's old digest in its history"
assert_file_present "$(v2 "$B")/repositories/team/app/_manifests/tags/1.0/index/sha256/$(awk '$1 == "team/app:1.0" {print substr($2, 8)}' "$T/f/tags")/link" \
    "and gains A's"

# a rerun finds everything in place
snapshot "$(v2 "$B")/repositories" "$T/s1"
run_migrate --json "$T/m2.json" "registry:$A" "registry:$B"
assert_mig_rc 0 "rerun of the merge"
assert_jq "$T/m2.json" '[.blobs.hardlinked, .blobs.reflinked, .blobs.copied]' \
    '[0,0,0]' "rerun places nothing"
snapshot "$(v2 "$B")/repositories" "$T/s2"
assert_true "rerun rewrites no link (names, sizes, mtimes)" cmp -s "$T/s1" "$T/s2"

# the same root on both sides is refused
run_migrate "registry:$B" "registry:$B/."
assert_mig_rc 16 "same root on both sides refused"
finish
