#!/usr/bin/env bash
# mkimage.sh --- build small test images OFFLINE into an OCI image layout,
# deterministically from a seed.  Same options, same bytes, same digests, on
# every run and every machine (an integer LCG, tar with fixed metadata,
# gzip -n).
#
#   mkimage.sh [OPTIONS] LAYOUT
#
# LAYOUT is created when missing; an existing layout gets one more entry in
# index.json (an entry with the same --ref is replaced).  The digest of the
# top-level manifest or index is printed on stdout.
#
#   -s, --seed SEED        content seed (default "0"); different seeds give
#                          different layers and configs
#   -l, --layers N         own layers per image (default 2, may be 0)
#   -z, --size BYTES       payload bytes per layer before compression
#                          (default 4096)
#   -b, --base SEED        prepend a shared base layer built from SEED: every
#                          image built with the same base SEED (and --size)
#                          carries the very same blob
#   -p, --platform OS/ARCH[/VARIANT]
#                          repeatable; two or more (or --index) make a
#                          multi-arch index whose children are the per-platform
#                          manifests (default linux/amd64)
#   -i, --index            produce an index even for one platform
#   -r, --ref NAME         org.opencontainers.image.ref.name (default latest)
#   -d, --docker           Docker media types (schema2 manifest, manifest list,
#                          Docker config and layer types) instead of OCI
#       --subject TYPE@DIGEST@SIZE
#                          build an OCI artifact manifest whose subject is that
#                          descriptor: artifactType --artifact-type, config the
#                          empty descriptor {} and one layer of a few hundred
#                          bytes derived from the seed
#       --artifact-type T  (default application/vnd.drydock.test.sbom.v1)
#   -h, --help
#
# Helpers for tests (no image is built):
#   mkimage.sh --blobs LAYOUT REF     every digest the entry REF needs (itself,
#                                     children, configs, layers), one a line
#   mkimage.sh --digest LAYOUT REF    the top-level digest of entry REF
set -euo pipefail

die() {
	echo "mkimage: $*" >&2
	exit 2
}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip
OCI_EMPTY=application/vnd.oci.empty.v1+json
D_MANIFEST=application/vnd.docker.distribution.manifest.v2+json
D_LIST=application/vnd.docker.distribution.manifest.list.v2+json
D_CONFIG=application/vnd.docker.container.image.v1+json
D_LAYER=application/vnd.docker.image.rootfs.diff.tar.gzip

# --- helpers on a layout ------------------------------------------------------

blobpath() { # LAYOUT DIGEST
	printf '%s/blobs/%s/%s\n' "$1" "${2%%:*}" "${2#*:}"
}

entry_digest() { # LAYOUT REF
	jq -r --arg r "$2" '[.manifests[] |
	    select(.annotations["org.opencontainers.image.ref.name"] == $r)]
	    | if length == 1 then .[0].digest else empty end' "$1/index.json"
}

list_blobs() { # LAYOUT DIGEST: the digest and everything under it
	local f t c
	echo "$2"
	f=$(blobpath "$1" "$2")
	[ -f "$f" ] || die "missing blob $2 in $1"
	t=$(jq -r 'if .manifests then "index" else "manifest" end' "$f")
	if [ "$t" = index ]; then
		for c in $(jq -r '.manifests[].digest' "$f"); do
			list_blobs "$1" "$c"
		done
	else
		jq -r '.config.digest, .layers[].digest' "$f"
	fi
}

if [ "${1:-}" = --blobs ] || [ "${1:-}" = --digest ]; then
	[ $# -eq 3 ] || die "usage: $0 $1 LAYOUT REF"
	d=$(entry_digest "$2" "$3")
	[ -n "$d" ] || die "no entry named '$3' in $2/index.json"
	if [ "$1" = --digest ]; then
		echo "$d"
	else
		list_blobs "$2" "$d" | sort -u
	fi
	exit 0
fi

# --- options --------------------------------------------------------------------

seed=0 nlayers=2 size=4096 base="" ref=latest docker=0 force_index=0
subject="" atype=application/vnd.drydock.test.sbom.v1
platforms=()
while [ $# -gt 0 ]; do
	case "$1" in
	-s | --seed) seed=$2; shift ;;
	-l | --layers) nlayers=$2; shift ;;
	-z | --size) size=$2; shift ;;
	-b | --base) base=$2; shift ;;
	-p | --platform) platforms+=("$2"); shift ;;
	-i | --index) force_index=1 ;;
	-r | --ref) ref=$2; shift ;;
	-d | --docker) docker=1 ;;
	--subject) subject=$2; shift ;;
	--artifact-type) atype=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || die "usage: mkimage.sh [OPTIONS] LAYOUT (see --help)"
out=$1
case "$nlayers" in '' | *[!0-9]*) die "--layers: not a number: $nlayers" ;; esac
case "$size" in '' | *[!0-9]*) die "--size: not a number: $size" ;; esac
[ ${#platforms[@]} -gt 0 ] || platforms=(linux/amd64)

if [ "$docker" = 1 ]; then
	MT_MANIFEST=$D_MANIFEST MT_INDEX=$D_LIST MT_CONFIG=$D_CONFIG
	MT_LAYER=$D_LAYER
else
	MT_MANIFEST=$OCI_MANIFEST MT_INDEX=$OCI_INDEX MT_CONFIG=$OCI_CONFIG
	MT_LAYER=$OCI_LAYER
fi

mkdir -p "$out/blobs/sha256"
[ -f "$out/oci-layout" ] ||
	printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
[ -f "$out/index.json" ] ||
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[]}' \
	    "$OCI_INDEX" >"$out/index.json"

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT

# put_blob FILE: store FILE in the layout, print its digest
put_blob() {
	local h
	h=$(sha256sum "$1" | cut -d' ' -f1)
	[ -f "$out/blobs/sha256/$h" ] || cp "$1" "$out/blobs/sha256/$h"
	echo "sha256:$h"
}

# payload SEED BYTES: deterministic pseudo-random text (hex digits of a
# Park-Miller generator, exact in any awk's doubles)
payload() {
	local n
	n=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
	awk -v x="$n" -v want="$2" 'BEGIN {
		x = x % 2147483646 + 1; n = 0; line = ""
		while (n < want) {
			x = (x * 16807) % 2147483647
			s = sprintf("%08x", x)
			if (n + 8 > want) s = substr(s, 1, want - n)
			line = line s; n += length(s)
			if (length(line) >= 64 || n >= want) {
				printf "%s", line; line = ""
			}
		}
	}'
}

# mklayer SEED: build one layer; sets L_DIGEST L_SIZE L_DIFFID
mklayer() {
	local d="$work/layer" name
	rm -rf "$d"
	mkdir -p "$d"
	name=$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_')
	payload "$1" "$size" >"$d/$name"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	    --mode=0644 --format=gnu -cf "$work/layer.tar" -C "$d" "$name"
	L_DIFFID=$(put_blob_hash_only "$work/layer.tar")
	gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
	L_DIGEST=$(put_blob "$work/layer.tar.gz")
	L_SIZE=$(stat -c %s "$work/layer.tar.gz")
}

put_blob_hash_only() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# mkmanifest PLATFORM SEED: one image; sets M_DIGEST M_SIZE
mkmanifest() {
	local plat=$1 s=$2 os arch variant i diffids="[]" layers="[]" cfg
	os=${plat%%/*}
	arch=${plat#*/}
	variant=""
	case "$arch" in */*) variant=${arch#*/}; arch=${arch%%/*} ;; esac
	if [ -n "$base" ]; then
		mklayer "base:$base"
		diffids=$(jq -c --arg d "$L_DIFFID" '. + [$d]' <<<"$diffids")
		layers=$(jq -c --arg t "$MT_LAYER" --arg d "$L_DIGEST" \
		    --argjson n "$L_SIZE" \
		    '. + [{mediaType: $t, digest: $d, size: $n}]' <<<"$layers")
	fi
	for ((i = 0; i < nlayers; i++)); do
		mklayer "$s:$plat:$i"
		diffids=$(jq -c --arg d "$L_DIFFID" '. + [$d]' <<<"$diffids")
		layers=$(jq -c --arg t "$MT_LAYER" --arg d "$L_DIGEST" \
		    --argjson n "$L_SIZE" \
		    '. + [{mediaType: $t, digest: $d, size: $n}]' <<<"$layers")
	done
	jq -cn --arg os "$os" --arg arch "$arch" --arg v "$variant" \
	    --arg s "$s" --argjson ids "$diffids" '
	    {created: "1970-01-01T00:00:00Z", architecture: $arch}
	    + (if $v != "" then {variant: $v} else {} end)
	    + {os: $os,
	       config: {Env: ["PATH=/bin"], Labels: {"drydock.test.seed": $s}},
	       rootfs: {type: "layers", diff_ids: $ids}}' | tr -d '\n' \
	    >"$work/config.json"
	cfg=$(put_blob "$work/config.json")
	jq -cn --arg mt "$MT_MANIFEST" --arg ct "$MT_CONFIG" --arg cd "$cfg" \
	    --argjson cs "$(stat -c %s "$work/config.json")" \
	    --argjson layers "$layers" '
	    {schemaVersion: 2, mediaType: $mt,
	     config: {mediaType: $ct, digest: $cd, size: $cs},
	     layers: $layers}' | tr -d '\n' >"$work/manifest.json"
	M_DIGEST=$(put_blob "$work/manifest.json")
	M_SIZE=$(stat -c %s "$work/manifest.json")
}

# mkartifact: an OCI artifact manifest with a subject; sets M_DIGEST M_SIZE
mkartifact() {
	local st sd ss layer
	IFS=@ read -r st sd ss <<<"$subject"
	[ -n "$st" ] && [ -n "$sd" ] && [ -n "$ss" ] ||
		die "--subject wants MEDIATYPE@DIGEST@SIZE"
	printf '{}' >"$work/empty.json"
	put_blob "$work/empty.json" >/dev/null
	jq -cn --arg s "$seed" --arg sub "$sd" \
	    '{spdxVersion: "SPDX-2.3", name: ("sbom " + $s), subject: $sub,
	      packages: [{name: ("pkg-" + $s), versionInfo: "1.0"}]}' |
		tr -d '\n' >"$work/sbom.json"
	layer=$(put_blob "$work/sbom.json")
	jq -cn --arg mt "$OCI_MANIFEST" --arg at "$atype" --arg et "$OCI_EMPTY" \
	    --arg ld "$layer" --argjson ls "$(stat -c %s "$work/sbom.json")" \
	    --arg st "$st" --arg sd "$sd" --argjson ss "$ss" '
	    {schemaVersion: 2, mediaType: $mt, artifactType: $at,
	     config: {mediaType: $et, size: 2,
	       digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
	     layers: [{mediaType: "application/spdx+json", digest: $ld,
	       size: $ls}],
	     subject: {mediaType: $st, digest: $sd, size: $ss}}' |
		tr -d '\n' >"$work/manifest.json"
	M_DIGEST=$(put_blob "$work/manifest.json")
	M_SIZE=$(stat -c %s "$work/manifest.json")
}

if [ -n "$subject" ]; then
	mkartifact
	top_type=$OCI_MANIFEST top_digest=$M_DIGEST top_size=$M_SIZE
elif [ ${#platforms[@]} -eq 1 ] && [ "$force_index" = 0 ]; then
	mkmanifest "${platforms[0]}" "$seed"
	top_type=$MT_MANIFEST top_digest=$M_DIGEST top_size=$M_SIZE
else
	children="[]"
	for p in "${platforms[@]}"; do
		mkmanifest "$p" "$seed"
		os=${p%%/*} arch=${p#*/} variant=""
		case "$arch" in */*) variant=${arch#*/}; arch=${arch%%/*} ;; esac
		children=$(jq -c --arg t "$MT_MANIFEST" --arg d "$M_DIGEST" \
		    --argjson n "$M_SIZE" --arg os "$os" --arg arch "$arch" \
		    --arg v "$variant" '. + [{mediaType: $t, digest: $d,
		    size: $n, platform: ({architecture: $arch, os: $os}
		    + (if $v != "" then {variant: $v} else {} end))}]' \
		    <<<"$children")
	done
	jq -cn --arg mt "$MT_INDEX" --argjson c "$children" \
	    '{schemaVersion: 2, mediaType: $mt, manifests: $c}' | tr -d '\n' \
	    >"$work/index.json"
	top_type=$MT_INDEX
	top_digest=$(put_blob "$work/index.json")
	top_size=$(stat -c %s "$work/index.json")
fi

jq -c --arg r "$ref" --arg t "$top_type" --arg d "$top_digest" \
    --argjson n "$top_size" '
    .manifests = ([.manifests[] |
	select(.annotations["org.opencontainers.image.ref.name"] != $r)]
      + [{mediaType: $t, digest: $d, size: $n,
	  annotations: {"org.opencontainers.image.ref.name": $r}}])' \
    "$out/index.json" >"$work/top.json"
mv "$work/top.json" "$out/index.json"
echo "$top_digest"
