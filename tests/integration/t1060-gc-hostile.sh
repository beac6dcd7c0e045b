#!/usr/bin/env bash
# t1060-gc-hostile --- a store seeded with symlinks that lead out of the root
# and with odd names.  Everything outside is laid out so that a gc following
# a symlink would find garbage there (a stale upload, a dangling link,
# unreferenced blobs) and delete it.  drydock-gc must report each hostile
# entry (problems in the JSON, exit 4), follow none, leave every outside file
# untouched (content, mtime, mode; no file added or removed), go on with
# the rest of the store, and the registry must still serve every image.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
. "$F/expect.sh"
O=$T/outside
old=2000-01-02T03:04:05Z

rnd() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# --- the outside world -----------------------------------------------------
mkdir -p "$O"
echo "top secret" >"$O/secret.txt"
printf 'sha256:%s' "$(rnd linked-from-inside)" >"$O/linkfile"
printf 'sha256:%s' "$(rnd tag-from-inside)" >"$O/tagfile"
echo "outside data" >"$O/datafile"
# a fake repository: a dangling link, a stale upload, an untagged revision
fr=$O/fakerepo
h=$(rnd fake-layer)
mkdir -p "$fr/_layers/sha256/$h" "$fr/_uploads/0b7a5c9e-1111-4222-8333-944455556666" \
    "$fr/_manifests/revisions/sha256/$(rnd fake-rev)" "$fr/_manifests/tags"
printf 'sha256:%s' "$h" >"$fr/_layers/sha256/$h/link"
printf '%s' "$old" >"$fr/_uploads/0b7a5c9e-1111-4222-8333-944455556666/startedat"
echo partial >"$fr/_uploads/0b7a5c9e-1111-4222-8333-944455556666/data"
printf 'sha256:%s' "$(rnd fake-rev)" \
    >"$fr/_manifests/revisions/sha256/$(rnd fake-rev)/link"
# a stale upload directory
mkdir -p "$O/upload"
printf '%s' "$old" >"$O/upload/startedat"
echo partial >"$O/upload/data"
# a tag's history (index/sha256/): an entry naming no revision, which -m
# removes from a tag's own history
mkdir -p "$O/history/$(rnd fake-history)"
printf 'sha256:%s' "$(rnd fake-history)" >"$O/history/$(rnd fake-history)/link"
# an unreferenced blob directory, and a whole <hh> fan-out directory of them
mkdir -p "$O/blobdir"
echo "blob dir data" >"$O/blobdir/data"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
used=$(ls "$V/blobs/sha256")
for hh in $(printf '%02x ' $(seq 0 255)); do
	grep -qx "$hh" <<<"$used" || break
done
fh=$(rnd fanout)
fh=$hh${fh:2}
mkdir -p "$O/fanout/$fh"
echo "fan-out data" >"$O/fanout/$fh/data"
age_tree "$O" "3 days ago"

# --- hostile entries inside the root ------------------------------------------
x=$(rnd symlinked-link)
mkdir -p "$V/repositories/library/oci/_layers/sha256/$x"
ln -s "$O/linkfile" "$V/repositories/library/oci/_layers/sha256/$x/link"
ln -s "$fr" "$V/repositories/evil"
ln -s "$O/fakerepo" "$V/repositories/team/evil2"
d=$(rnd symlinked-data)
mkdir -p "$V/blobs/sha256/${d:0:2}/$d"
ln -s "$O/datafile" "$V/blobs/sha256/${d:0:2}/$d/data"
b=$(rnd symlinked-blob-dir)
mkdir -p "$V/blobs/sha256/${b:0:2}"
ln -s "$O/blobdir" "$V/blobs/sha256/${b:0:2}/$b"
ln -s "$O/fanout" "$V/blobs/sha256/$hh"
mkdir -p "$V/repositories/team/multi/_manifests/tags/evil/current"
ln -s "$O/tagfile" "$V/repositories/team/multi/_manifests/tags/evil/current/link"
ln -s "$O/upload" "$V/repositories/team/app/_uploads/7f3e2d1c-aaaa-4bbb-8ccc-dddddddddddd"
hi=$V/repositories/team/dmulti/_manifests/tags/1.0/index
[ -d "$hi/sha256" ] || bail "the zoo's team/dmulti:1.0 has no tag history"
rm -rf "$hi/sha256"
ln -s "$O/history" "$hi/sha256"
dd=$(rnd dotdot)
mkdir -p "$V/repositories/..x/_layers/sha256/$dd" "$V/repositories/..x/_manifests"
printf 'sha256:%s' "$dd" >"$V/repositories/..x/_layers/sha256/$dd/link"
touch -d "$old" "$V/repositories/..x/_layers/sha256/$dd/link"
snapshot "$O" "$T/outside.0"

expect_problem() { # REPORT LABEL SUBSTRING WHAT
	assert_jq "$1" "[.problems[] | select(.path | contains(\"$3\"))] |
	    length > 0" true "$2: reports $4"
}

check_run() { # LABEL ARGS...
	local label=$1 r=$T/$1.json
	shift
	run_gc "$@" --json "$r" "$root"
	assert_rc 4 "$label: hostile entries found and left: exit 4"
	snapshot "$O" "$T/outside.$label"
	if cmp -s "$T/outside.0" "$T/outside.$label"; then
		pass "$label: nothing outside the root was touched"
	else
		fail "$label: nothing outside the root was touched"
		diff "$T/outside.0" "$T/outside.$label" | head | sed 's/^/#   /'
	fi
	assert_jq "$r" '.exit_code' 4 "$label: report exit_code 4"
	if [ "$label" != no-blind-spot ]; then
		expect_problem "$r" "$label" "library/oci/_layers/sha256/$x" \
		    "the symlinked _layers link"
		expect_problem "$r" "$label" "repositories/evil" \
		    "the symlinked repository"
		expect_problem "$r" "$label" "team/evil2" \
		    "the symlinked nested repository"
		expect_problem "$r" "$label" "tags/evil" \
		    "the symlinked tag link"
		expect_problem "$r" "$label" \
		    "7f3e2d1c-aaaa-4bbb-8ccc-dddddddddddd" "the symlinked upload"
	fi
	# tag history is walked with -m (or a policy) only
	if [ "$label" = dry-run ] || [ "$label" = delete-untagged ]; then
		expect_problem "$r" "$label" "dmulti/_manifests/tags/1.0/index/sha256" \
		    "the symlinked tag history"
	fi
	expect_problem "$r" "$label" "$d" "the symlinked blob data"
	expect_problem "$r" "$label" "$b" "the symlinked blob directory"
	expect_problem "$r" "$label" "blobs/sha256/$hh" \
	    "the symlinked fan-out directory"
	expect_problem "$r" "$label" "..x" "the repository named ..x"
	assert_jq "$r" '[.removed[] | select(.path | contains("..x"))] |
	    length' 0 "$label: nothing under ..x is removed"
	assert_jq "$r" '[.removed[].path | select(contains("evil") or
	    contains("7f3e2d1c"))] | length' 0 \
	    "$label: no removal through a symlinked entry"
	check_report_consistent "$r" "$label"
}

# dry run: exit 4, no change at all, inside or outside
snapshot "$root" "$T/root.0"
check_run dry-run --grace 0 -m -n
snapshot "$root" "$T/root.1"
assert_true "dry-run: the root is unchanged" cmp -s "$T/root.0" "$T/root.1"

list_blobs "$root" >"$T/blobs.0"
check_run default --grace 0
assert_file_absent "$V/repositories/team/app/_uploads/$UP_OLD" \
    "default: the run went on: the stale upload is purged"
check_run delete-untagged --grace 0 -m
assert_file_absent "$V/repositories/team/app/_manifests/revisions/sha256/${APP2_OLD#sha256:}" \
    "delete-untagged: the run went on: an untagged revision is removed"
# a repository that cannot be read might need any blob: no blob may go
list_blobs "$root" >"$T/blobs.1"
assert_same_lines "$T/blobs.0" "$T/blobs.1" \
    "with unreadable (symlinked) repositories no blob is removed"
assert_file_present "$V/repositories/..x/_layers/sha256/$dd/link" \
    "the link under ..x is left"
for l in "$V/repositories/evil" "$V/repositories/team/evil2" \
    "$V/blobs/sha256/$hh" "$V/blobs/sha256/${b:0:2}/$b" \
    "$V/repositories/team/app/_uploads/7f3e2d1c-aaaa-4bbb-8ccc-dddddddddddd" \
    "$V/repositories/library/oci/_layers/sha256/$x/link" "$hi/sha256"; do
	assert_true "still a symlink: ${l#"$V"/}" test -L "$l"
done

start_registry "$root"
for ref in $KEEP_TAGS; do
	pull_ok "$ref"
done
pull_ok "team/app@$R1"
stop_registry

# without the symlinks under repositories/ nothing hides references any
# more: the garbage blobs go; the hostile entries under blobs/ and the
# invalid name ..x are still reported and not followed
rm "$V/repositories/evil" "$V/repositories/team/evil2" \
    "$V/repositories/library/oci/_layers/sha256/$x/link" \
    "$V/repositories/team/multi/_manifests/tags/evil/current/link" \
    "$V/repositories/team/app/_uploads/7f3e2d1c-aaaa-4bbb-8ccc-dddddddddddd" \
    "$hi/sha256"
check_run no-blind-spot --grace 0 -m
assert_eq "" "$(list_blobs "$root" | comm -12 - <(sort "$F/gone.img"))" \
    "no-blind-spot: the deleted image's blobs are removed"
assert_eq "" "$(list_blobs "$root" | comm -23 "$F/keep.blobs" -)" \
    "no-blind-spot: every blob of a kept image is still there"
start_registry "$root"
for ref in $KEEP_TAGS; do
	pull_ok "$ref" "no-blind-spot: pulls $ref"
done
stop_registry

# a symlink among the root's own components: refuse to run at all
mkdir -p "$T/root2/docker/registry"
ln -s "$V" "$T/root2/docker/registry/v2"
snapshot "$root" "$T/root.2"
run_gc --grace 0 -m "$T/root2"
assert_rc 8 "a symlinked docker/registry/v2 is refused"
assert_true "stderr says why" test -s "$T/gc.err"
snapshot "$root" "$T/root.3"
assert_true "the symlink's target is untouched" cmp -s "$T/root.2" "$T/root.3"
finish
