#!/usr/bin/env bash
# t3010-migrate-archive --- oci-archive both ways (plain, .gz, .zst),
# read by skopeo, imported into a root docker-registry serves, and to and
# from an OCI layout; then hostile tars (path traversal, absolute names,
# symlink and hard link escapes, a blob whose bytes do not match its name,
# oversized JSON) are refused with the entry's name and the reason, and
# nothing lands outside the destination or as metadata inside it.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
root=$T/f/root
. "$T/f/expect.sh"

# 1. export to every compression; skopeo reads each OCI-typed tag
for ext in tar tar.gz tar.zst; do
	run_migrate --verify --json "$T/x-$ext.json" "registry:$root" "oci-archive:$T/x.$ext"
	assert_mig_rc 0 "registry -> oci-archive:x.$ext with --verify"
	assert_jq "$T/x-$ext.json" '[.summary.tags, .summary.referrers, .verify.ok]' \
	    '[7,2,true]' "x.$ext: 7 tags, 2 referrers, verified"
	assert_eq "" "$(ls "$T" | grep -e "^x\.$ext\.tmp\." -e "^x\.$ext\.drydock-")" \
	    "x.$ext: no temporary file left"
done
assert_true "x.tar.gz is gzip" sh -c "gzip -t '$T/x.tar.gz'"
assert_true "x.tar.zst is zstd" sh -c "zstd -tq '$T/x.tar.zst'"
assert_eq "" "$(tar tvf "$T/x.tar" | awk '$2 != "0/0" && $2 != "root/root"')" \
    "entries owned by 0/0"
while read -r ref d mt; do
	case "$mt" in application/vnd.oci.*) ;; *) continue ;; esac
	raw=$(skopeo inspect --raw "oci-archive:$T/x.tar:$ref" 2>>"$T/skopeo.log" |
	    sha256sum | cut -d' ' -f1)
	assert_eq "$d" "sha256:$raw" "skopeo inspect oci-archive:x.tar:$ref"
done <"$T/f/tags"
skopeo_copy_ok "oci-archive:$T/x.tar:team/multi:1.0" "skopeo copy --all oci-archive:x.tar:team/multi:1.0"

# 2. import each into an empty root; docker-registry serves every tag
for ext in tar tar.zst; do
	run_migrate --verify --json "$T/i-$ext.json" "oci-archive:$T/x.$ext" "registry:$T/root-$ext"
	assert_mig_rc 0 "oci-archive:x.$ext -> registry"
	assert_same_lines <(tag_links "$root") <(tag_links "$T/root-$ext") \
	    "x.$ext import: the original tags"
done
start_registry "$T/root-tar.zst"
while read -r ref d mt; do
	assert_eq "$d" "$(manifest_digest "${ref%:*}" "${ref##*:}")" "served: $ref digest"
	pull_ok "$ref"
done <"$T/f/tags"
pull_ok "team/app@$R2" "referrer R2 pulls"
stop_registry
run_migrate "oci-archive:$T/x.tar.zst" "registry:$T/root-tar.zst"
assert_mig_rc 0 "rerun of the archive import"
assert_jq <(cat "$T/i-tar.zst.json") '.summary.failed' 0 "no failure"

# 3. oci-archive <-> oci
run_migrate --verify "oci-archive:$T/x.tar.gz" "oci:$T/lay"
assert_mig_rc 0 "oci-archive -> oci"
run_migrate --verify "oci:$T/lay" "oci-archive:$T/y.tar"
assert_mig_rc 0 "oci -> oci-archive"
assert_same_lines <(tar tf "$T/x.tar" | sort) <(tar tf "$T/y.tar" | sort) \
    "the round trip holds the same entries"
assert_eq "$(jq -S . <(tar xOf "$T/x.tar" index.json))" \
    "$(jq -S . <(tar xOf "$T/y.tar" index.json))" "... and the same index.json"

# 4. hostile archives
H=$T/hostile
mkdir -p "$H" "$T/outside"
good_blob=$(awk '$1 == "library/single:1.0" {print substr($2, 8)}' "$T/f/tags")
python3 - "$H" "$T/x.tar" "$T/outside" "$good_blob" <<'PY'
import io, sys, tarfile
out, src, outside, good = sys.argv[1:5]
base = tarfile.open(src)
members = [(m, base.extractfile(m).read() if m.isfile() else None)
           for m in base.getmembers()]

def write(name, extra, drop=()):
    with tarfile.open(f"{out}/{name}.tar", "w", format=tarfile.GNU_FORMAT) as t:
        for m, data in members:
            if m.name in drop:
                continue
            t.addfile(m, io.BytesIO(data) if data is not None else None)
        for e in extra:
            kind, n = e[0], e[1]
            ti = tarfile.TarInfo(n)
            if kind == "file":
                ti.size = len(e[2])
                t.addfile(ti, io.BytesIO(e[2]))
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e[2]
                t.addfile(ti)
            elif kind == "hard":
                ti.type = tarfile.LNKTYPE
                ti.linkname = e[2]
                t.addfile(ti)

evil = b"owned\n"
write("traversal", [("file", "../../outside/evil", evil)])
write("dotdot-inner", [("file", "blobs/../../outside/evil", evil)])
write("absolute", [("file", outside + "/evil", evil)])
write("symlink", [("sym", "blobs/sha256/" + "a" * 64, outside + "/evil")])
write("symlink-rel", [("sym", "evil", "../outside/evil")])
write("hardlink", [("hard", "blobs/sha256/" + "b" * 64, outside + "/evil")])
write("mismatch", [("file", "blobs/sha256/" + good, b"not the manifest\n")],
      drop=("blobs/sha256/" + good,))
write("big-layout", [("file", "oci-layout", b" " * (65 << 10) + b"{}")],
      drop=("oci-layout",))
write("badname", [("file", "blobs/sha256/NOTHEX", b"x")])
PY
check_refused() { # NAME REASON_REGEX
	local dst=$T/hroot-$1
	run_migrate --json "$T/h-$1.json" "oci-archive:$H/$1.tar" "registry:$dst"
	assert_mig_rc 4 "hostile $1: refused"
	assert_true "hostile $1: the error names the entry and why" \
	    grep -Eq "$2" "$T/mig.err"
	assert_eq "" "$(ls -A "$T/outside")" "hostile $1: nothing written outside"
	assert_eq "" "$(find "$dst" -name link 2>/dev/null)" \
	    "hostile $1: no link or tag written"
	assert_eq "" "$(find "$dst" -type l 2>/dev/null)" "hostile $1: no symlink created"
}
check_refused traversal "entry '\.\./\.\./outside/evil' refused: '\.\.' in the path"
check_refused dotdot-inner "entry 'blobs/\.\./\.\./outside/evil' refused: '\.\.' in the path"
check_refused absolute "refused: absolute path"
check_refused symlink "blobs/sha256/a{64}' refused: symlink"
check_refused symlink-rel "entry 'evil' refused: symlink"
check_refused hardlink "blobs/sha256/b{64}' refused: hard link"
check_refused mismatch "entry 'blobs/sha256/$good_blob': .*digest mismatch"
check_refused big-layout "entry 'oci-layout': .*larger than 65536 bytes"
check_refused badname "entry 'blobs/sha256/NOTHEX': not a valid blob name"
assert_false "mismatch: the bad bytes never land under the digest" \
    blob_exists "$T/hroot-mismatch" "sha256:$good_blob"
assert_eq "" "$(find "$T/hroot-mismatch" -name '*.tmp')" "mismatch: no temporary file left"
# the same into an OCI layout
run_migrate "oci-archive:$H/traversal.tar" "oci:$T/hlay"
assert_mig_rc 4 "hostile traversal into oci: refused"
assert_eq "" "$(ls -A "$T/outside")" "nothing outside after the oci attempt"
assert_false "no index.json written into the layout" test -s "$T/hlay/index.json"
finish
