#!/usr/bin/env bash
# t2070-fsck-oddities --- findings the registry does not make by itself,
# written by hand beside the zoo (which the real registry wrote):
#   - odd/size: a manifest whose layer descriptor says one byte too many
#     (the registry checks presence, not sizes) -> DESCRIPTOR_SIZE_MISMATCH;
#   - odd/big: a 5 MiB manifest -> MANIFEST_TOO_LARGE;
#   - odd/unknown: a manifest of an unknown media type -> a warning only;
#   - odd/foreign: a Docker manifest with a foreign layer -> a note;
#   - odd/nolayers: revisions but no _layers -> REPO_NO_LAYERS;
#   - team/app: a tag history entry naming nothing, a _layers directory
#     without link -> notes;
#   - odd/alias: a layer referenced by sha512 through the registry's alias
#     link -> fine; blobs/sha512: a good and a bad blob;
# and --verify none still checks the structure in full, and a terminal gets
# a progress line.
. "$(dirname "$0")/lib.sh"

use_fixture zoo "$T/zoo"
F=$T/zoo
L=$F/layouts
. "$F/expect.sh"
root=$T/root
cp -a "$F/root" "$root"
V=$(v2 "$root")
R=$V/repositories

hb() { local h=${1#sha256:}; printf 'blobs/sha256/%s/%s/data' "${h:0:2}" "$h"; }
put() { # FILE: store FILE as a blob, print its digest
	local h
	h=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$V/blobs/sha256/${h:0:2}/$h"
	cp "$1" "$V/blobs/sha256/${h:0:2}/$h/data"
	echo "sha256:$h"
}
link() { # REPO KIND DIGEST: _layers or _manifests/revisions link
	mkdir -p "$R/$1/$2/sha256/${3#sha256:}"
	printf '%s' "$3" >"$R/$1/$2/sha256/${3#sha256:}/link"
}
tag() { # REPO TAG DIGEST
	mkdir -p "$R/$1/_manifests/tags/$2/current" \
	    "$R/$1/_manifests/tags/$2/index/sha256/${3#sha256:}"
	printf '%s' "$3" >"$R/$1/_manifests/tags/$2/current/link"
	printf '%s' "$3" >"$R/$1/_manifests/tags/$2/index/sha256/${3#sha256:}/link"
}
image() { # REPO TAG FILE MEDIATYPE-ignored: manifest as revision and tag
	local d
	d=$(put "$3")
	link "$1" _manifests/revisions "$d"
	tag "$1" "$2" "$d"
	echo "$d"
}

oci1=$("$MKIMAGE" --digest "$L" oci1)
M1=$L/blobs/sha256/${oci1#sha256:}
CFG=$(jq -r .config.digest "$M1")
B1=$(jq -r '.layers[0].digest' "$M1")
B1SIZE=$(jq -r '.layers[0].size' "$M1")

# odd/size: B1's descriptor says one byte more
jq -c '.layers[0].size += 1' "$M1" >"$T/size.json"
SIZE=$(image odd/size 1 "$T/size.json")
for d in $(jq -r '.config.digest, .layers[].digest' "$T/size.json"); do
	link odd/size _layers "$d"
done
# odd/big: over the registry's 4 MiB
{ printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","pad":"'
  head -c $((5 << 20)) /dev/zero | tr '\0' 'x'; printf '"}'; } >"$T/big.json"
BIG=$(image odd/big 1 "$T/big.json")
mkdir -p "$R/odd/big/_layers"
# odd/unknown: a media type nobody knows
printf '{"schemaVersion":2,"mediaType":"application/vnd.example.thing.v1+json"}' \
    >"$T/unknown.json"
UNKNOWN=$(image odd/unknown 1 "$T/unknown.json")
mkdir -p "$R/odd/unknown/_layers"
# odd/foreign: a foreign layer, with urls, whose data is elsewhere
FOREIGN=sha256:$(printf 'the base lives on a vendor site\n' | sha256sum | cut -d' ' -f1)
jq -nc --arg c "$CFG" --arg f "$FOREIGN" '{schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: {mediaType: "application/vnd.docker.container.image.v1+json",
             size: 401, digest: $c},
    layers: [{mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
              size: 1234, digest: $f, urls: ["https://example.com/base.tgz"]}]}' \
    >"$T/foreign.json"
FMAN=$(image odd/foreign 1 "$T/foreign.json")
link odd/foreign _layers "$CFG"
# odd/nolayers: an empty index, and no _layers at all
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}' \
    >"$T/empty-index.json"
image odd/nolayers 1 "$T/empty-index.json" >/dev/null
# debris in team/app
NOREV=sha256:$(printf 'never a revision\n' | sha256sum | cut -d' ' -f1)
mkdir -p "$R/team/app/_manifests/tags/1.0/index/sha256/${NOREV#sha256:}"
printf '%s' "$NOREV" \
    >"$R/team/app/_manifests/tags/1.0/index/sha256/${NOREV#sha256:}/link"
EMPTYL=sha256:$(printf 'link removed\n' | sha256sum | cut -d' ' -f1)
mkdir -p "$R/team/app/_layers/sha256/${EMPTYL#sha256:}"

# odd/alias: a layer referenced by its sha512 digest; the registry stores
# it under sha256 and links it twice, the sha512 link naming the sha256 blob
B1_512=sha512:$(sha512sum "$V/$(hb "$B1")" | cut -d' ' -f1)
jq -c --arg d "$B1_512" '.layers[0].digest = $d' "$M1" >"$T/alias.json"
ALIAS=$(image odd/alias 1 "$T/alias.json")
for d in $(jq -r '.config.digest, .layers[].digest' "$T/alias.json"); do
	case $d in sha256:*) link odd/alias _layers "$d" ;; esac
done
mkdir -p "$R/odd/alias/_layers/sha512/${B1_512#sha512:}"
printf '%s' "$B1" >"$R/odd/alias/_layers/sha512/${B1_512#sha512:}/link"
# blobs/sha512: one good, one bad
printf 'a sha512 blob\n' >"$T/s512"
G512=$(sha512sum "$T/s512" | cut -d' ' -f1)
mkdir -p "$V/blobs/sha512/${G512:0:2}/$G512"
cp "$T/s512" "$V/blobs/sha512/${G512:0:2}/$G512/data"
printf 'another\n' >"$T/s512b"
X512=$(sha512sum "$T/s512b" | cut -d' ' -f1)
mkdir -p "$V/blobs/sha512/${X512:0:2}/$X512"
printf 'tampered\n' >"$V/blobs/sha512/${X512:0:2}/$X512/data"

run_fsck --json "$T/r.json" "$root"
assert_fsck_rc 4 "oddities: problems left"
check_fsck_report "$T/r.json" "oddities"
row() { # ID: "severity path images" of each finding ID
	jq -r --arg id "$1" '.findings[] | select(.id == $id)
	    | "\(.severity) \(.path) \([.images[].ref] | join(","))"' "$T/r.json"
}
assert_eq "problem $(hb "$SIZE") odd/size:1" "$(row DESCRIPTOR_SIZE_MISMATCH)" \
    "a descriptor one byte off: a problem for odd/size:1"
assert_jq "$T/r.json" '.findings[] | select(.id == "DESCRIPTOR_SIZE_MISMATCH")
    | [.digest, (.detail | test("says '"$((B1SIZE + 1))"' bytes .* which has '"$B1SIZE"' and matches its digest"))]' \
    "[\"$B1\",true]" "the size finding names the blob, both sizes, and that the data is good"
assert_eq "problem $(hb "$BIG") odd/big:1" "$(row MANIFEST_TOO_LARGE)" \
    "a 5 MiB manifest: a problem for odd/big:1"
assert_eq "warning $(hb "$UNKNOWN") " "$(row MANIFEST_UNSUPPORTED)" \
    "an unknown manifest type: a warning, no image called broken"
assert_eq "info $(hb "$FOREIGN") " "$(row FOREIGN_LAYER_EXTERNAL)" \
    "a foreign layer without data: a note"
assert_jq "$T/r.json" "[.findings[] | select(.repository == \"odd/foreign\" or
    .digest == \"$FMAN\" or .digest == \"$FOREIGN\") | .id]" \
    '["FOREIGN_LAYER_EXTERNAL"]' "the foreign image is otherwise fine"
assert_eq "warning repositories/odd/nolayers " "$(row REPO_NO_LAYERS)" \
    "revisions without _layers: a warning"
assert_eq "info repositories/team/app/_manifests/tags/1.0/index/sha256/${NOREV#sha256:} " \
    "$(row TAG_HISTORY_DANGLING)" "a dangling tag history entry: a note"
assert_eq "info repositories/team/app/_layers/sha256/${EMPTYL#sha256:} " \
    "$(row LAYER_LINK_EMPTY_DIR)" "a _layers directory without link: a note"
assert_jq "$T/r.json" "[.findings[] | select(.repository == \"odd/alias\" or
    .digest == \"$ALIAS\" or .digest == \"$B1_512\") | .id]" '[]' \
    "a layer referenced by sha512 through an alias link is fine"
assert_jq "$T/r.json" '[.findings[] | select(.digest | tostring
    | startswith("sha512:")) | [.id, .digest]] | sort' \
    "[[\"BLOB_DIGEST_MISMATCH\",\"sha512:$X512\"],[\"BLOB_UNREFERENCED\",\"sha512:$G512\"],[\"BLOB_UNREFERENCED\",\"sha512:$X512\"]]" \
    "blobs/sha512: the bad one is found, the good one is only unreferenced"
assert_jq "$T/r.json" '[.findings[] | select(.severity == "problem") | .id]
    | sort' '["BLOB_DIGEST_MISMATCH","DESCRIPTOR_SIZE_MISMATCH","MANIFEST_TOO_LARGE"]' \
    "no other problem"
assert_jq "$T/r.json" '.summary.blobs_hashed == .summary.blobs' true \
    "every blob hashed (the size disagreement is settled by hashing)"

# --verify none: the same structure findings, nothing hashed
run_fsck --verify none --json "$T/n.json" "$root"
assert_fsck_rc 4 "--verify none: exit 4"
assert_jq "$T/n.json" '[.summary.blobs_hashed, .summary.bytes_hashed, .verify]' \
    '[1,'"$(stat -c %s "$V/$(hb "$B1")")"',"none"]' \
    "--verify none hashes nothing but the blob whose size is disputed"
assert_eq "$(jq -c '[.findings[] | select(.id != "BLOB_DIGEST_MISMATCH")
    | .key]' "$T/r.json")" "$(jq -c '[.findings[] | .key]' "$T/n.json")" \
    "--verify none: the same findings, but for the unhashed bad blob"

# a progress line on a terminal, none without one
script -qec "'$FSCK' '$root'" /dev/null >"$T/tty.out" 2>&1
assert_true "on a terminal: a progress line" grep -q $'\r' "$T/tty.out"
run_fsck "$root"
assert_false "without a terminal: no progress line" grep -q $'\r' "$T/fsck.err"
run_fsck --progress "$root"
assert_true "--progress forces it" grep -q $'\r' "$T/fsck.err"
finish
