#!/usr/bin/env bash
# t5030-s3-driver --- the S3 storage driver (lib/store_s3*.c, driven through
# its ops table by tests/tools/storetool) against a real radosgw, beside the
# same registry tree on a filesystem: listings at every level (paged
# getdents, rewind), stat types and sizes, reads, ENOENT/ENOTDIR, prefetch
# then statat and O_PATH opens without a request (the client counts them),
# read_cb ranges, the path calls (unlink, rmdir, remove_tree, rename,
# write_file, write_fd multipart and from an offset), quarantine out and
# back, the lock object held twice, a wrong secret refused with nothing
# deleted, more than 1,000 entries in a directory and below a prefetched
# prefix (paged listings), directory marker objects, an empty store.
# Where S3 cannot answer as a filesystem does, the check says so (unlink of
# a missing key is 0, rmdir of a missing directory is 0).
. "$(dirname "$0")/lib.sh"

ST=$DRYDOCK_TOOLS/storetool
S3TOOL=$DRYDOCK_TOOLS/s3tool
[ -x "$ST" ] || bail "no storetool at $ST (make all)"
start_s3 registry
export S3_BUCKET=registry S3_ROOTDIR=/rd/
V2KEY=rd/docker/registry/v2

# st ARGS...: storetool on the bucket; stdout in $T/out, stderr $T/err
st() {
	"$ST" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}
# fst ARGS...: storetool on the filesystem root; stdout in $T/fout
fst() {
	"$ST" -r "$FS" "$@" >"$T/fout" 2>"$T/ferr"
}
# same_as_fs MESSAGE ARGS...: the bucket answers as the filesystem does
same_as_fs() {
	local m=$1
	shift
	st "$@"
	if [ "$FS_OPS" = 1 ]; then
		fst "$@"
		if cmp -s "$T/out" "$T/fout"; then
			pass "$m (as on a filesystem)"
		else
			fail "$m (as on a filesystem)"
			diff "$T/fout" "$T/out" | head -n 10 | sed 's/^/#   /'
		fi
	fi
}

# --- a registry tree, on a filesystem and in the bucket ---------------------------

FS=$T/fs
V2=$FS/docker/registry/v2
mkdir -p "$V2"
put_both() { # REL CONTENT
	mkdir -p "$(dirname "$V2/$1")"
	printf '%s' "$2" >"$V2/$1"
}
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
layer="layer bytes $(seq 1 300 | tr '\n' ' ')"
config='{"architecture":"amd64","os":"linux"}'
L=$(sha "$layer")
C=$(sha "$config")
manifest="{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:$C\"},\"layers\":[{\"digest\":\"sha256:$L\"}]}"
M=$(sha "$manifest")
for b in "$layer" "$config" "$manifest"; do
	d=$(sha "$b")
	put_both "blobs/sha256/${d:0:2}/$d/data" "$b"
done
R=repositories/lib/app
put_both "$R/_manifests/revisions/sha256/$M/link" "sha256:$M"
put_both "$R/_manifests/tags/v1/current/link" "sha256:$M"
put_both "$R/_manifests/tags/v1/index/sha256/$M/link" "sha256:$M"
put_both "$R/_manifests/tags/v1.0/current/link" "sha256:$M"
put_both "$R/_manifests/tags/v1-old/current/link" "sha256:$M"
put_both "$R/_layers/sha256/$L/link" "sha256:$L"
put_both "$R/_layers/sha256/$C/link" "sha256:$C"
put_both "$R/_uploads/0d7e5a1c-u1/startedat" "2026-12-01T10:00:00Z"
put_both "$R/_uploads/0d7e5a1c-u1/hashstates/sha256/0" "state"
put_both "repositories/other/_manifests/tags/latest/current/link" "sha256:$M"
(cd "$V2" && find . -type f | sed 's|^\./||') | sort >"$T/files"
while read -r f; do
	"$S3TOOL" put "$V2KEY/$f" "$V2/$f" || bail "cannot put $f"
done <"$T/files"
pass "the same tree of $(wc -l <"$T/files") files in the bucket and on disk"
# the fs driver answers through st->ops once main's dispatch is merged
FS_OPS=1
out=$("$ST" -r "$FS" root 2>&1)
case $out in *"no driver ops"*) FS_OPS=0 ;; esac
[ "$FS_OPS" = 1 ] || diag "the filesystem driver has no ops table yet: compared with find(1) only"

# the tree as a filesystem shows it: "d PATH" / "f PATH SIZE SHA256"
expect_dump() { # DIR [-P]
	(cd "$V2/$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
	    while read -r p; do
		q=${1:+$1/}$p
		if [ -d "$p" ]; then
			echo "d $q"
		elif [ "${2:-}" = -P ]; then
			echo "f $q $(stat -c %s "$p")"
		else
			echo "f $q $(stat -c %s "$p") $(sha256sum <"$p" | cut -c1-64)"
		fi
	    done)
}

# --- open, keys -------------------------------------------------------------------

st root
assert_eq "s3://registry/rd 0" "$(cat "$T/out")" "opened: root s3://BUCKET/ROOTDIR"
st key "blobs/sha256/ab/x/data"
assert_eq "$V2KEY/blobs/sha256/ab/x/data" "$(cat "$T/out")" \
    "keys as the registry's s3Path(): rootdirectory '/rd/' trimmed"
S3_ROOTDIR=nothing-here st root
assert_eq "open ENOTFOUND" "$(cat "$T/out")" "a prefix with no key: ENOTFOUND"
S3_ROOTDIR=nothing-here st -e root
assert_eq "s3://registry/nothing-here 1" "$(cat "$T/out")" \
    "... or an empty store with ALLOW_EMPTY"
S3_ROOTDIR=nothing-here st -e stat repositories
assert_eq ENOENT "$(cat "$T/out")" "... where every path is missing"

# --- listings, stats and reads: the whole tree ---------------------------------------

expect_dump "" >"$T/expect"
# same_tree MESSAGE EXPECTED: $T/out, sorted, is EXPECTED
same_tree() {
	LC_ALL=C sort -k2,2 "$T/out" >"$2.got"
	LC_ALL=C sort -k2,2 "$2" >"$2.sorted"
	if cmp -s "$2.sorted" "$2.got"; then
		pass "$1"
	else
		fail "$1"
		diff "$2.sorted" "$2.got" | head -n 10 | sed 's/^/#   /'
	fi
}
st -q dump
same_tree "a walk (getdents, statat, opens, reads) shows the tree" "$T/expect"
ndirs=$(grep -c '^d ' "$T/expect")
nfiles=$(grep -c '^f ' "$T/expect")
# the first listing of an upload directory also lists the store's incomplete
# multipart uploads (store_s3upload.c): one ListMultipartUploads, whatever
# the number of upload directories
nup=$(grep -c '^d [^ ]*/_uploads[/ ]\|^d [^ ]*/_uploads$' "$T/expect")
[ "$nup" -gt 1 ] || bail "the test tree has $nup upload directories; the check needs two or more"
assert_eq "requests $((ndirs + 1 + 1 + nfiles))" "$(cat "$T/err")" \
    "... one listing a directory (and one ListMultipartUploads for the $nup below _uploads) and one GET a file, no more"
same_as_fs "the walk" dump

expect_dump "" -P >"$T/expect-P"
st -q dump -p -P
same_tree "after prefetch: the same tree" "$T/expect-P"
assert_eq "requests 1" "$(cat "$T/err")" \
    "... from one listing: statat and O_PATH opens sent no request"
st -q dump -p "$R"
expect_dump "$R" >"$T/expect-R"
same_tree "prefetch of a repository, then reads" "$T/expect-R"
assert_eq "requests $((3 + $(grep -c '^f ' "$T/expect-R")))" "$(cat "$T/err")" \
    "... a probe of the repository, one listing, one ListMultipartUploads and one GET a file"

# every directory listed alone, with a buffer of 128 bytes (one record of
# a 64-hex name a getdents), then rewound
ok=1
while read -r d; do
	st ls "$d" 128
	(cd "$V2/$d" && for n in $(ls -A | LC_ALL=C sort); do
		if [ -d "$n" ]; then echo "$n d"; else echo "$n f"; fi
	done
	echo "rewind $(ls -A | wc -l)") >"$T/ls-expect"
	if ! cmp -s "$T/ls-expect" "$T/out"; then
		ok=0
		diag "ls $d:"
		diff "$T/ls-expect" "$T/out" | head -n 5 | sed 's/^/#   /'
	fi
done < <(cd "$V2" && find . -type d | sed 's|^\./||; s|^\.$||')
assert_eq 1 "$ok" "each of the $ndirs directories lists its entries and types, paged by a small buffer, and rewinds"

# --- stat, open, read ------------------------------------------------------------------

st stat "$R/_manifests/tags/v1/current/link"
assert_eq "f 71" "$(cut -d' ' -f1,2 "$T/out")" "statat of a file: its size"
st stat "$R/_manifests/tags/v1"
assert_eq d "$(cut -d' ' -f1 "$T/out")" \
    "statat of a directory beside 'v1-old' and 'v1.0' (listed before 'v1/')"
st stat "$R/_manifests/tags/v2"
assert_eq ENOENT "$(cat "$T/out")" "statat of a missing path: ENOENT"
st stat "v1/current/link" "$R/_manifests/tags"
assert_eq "f 71" "$(cut -d' ' -f1,2 "$T/out")" "statat below a directory handle"
for c in "$R/_manifests/tags/v1 path:d" "$R/_manifests/tags/v1 dir:d" \
    "$R/_manifests/tags/v1 read:d" \
    "$R/_manifests/tags/v1/current/link path:f 71" \
    "$R/_manifests/tags/v1/current/link read:f 71" \
    "$R/_manifests/tags/v1/current/link dir:ENOTDIR" \
    "$R/nope read:ENOENT" "$R/nope dir:ENOENT" "$R/nope path:ENOENT"; do
	rel=${c%% *}
	rest=${c#* }
	st open "$rel" "${rest%%:*}"
	assert_eq "${rest#*:}" "$(cat "$T/out")" "open ${rest%%:*} of ${rel#"$R"/}"
done
same_as_fs "open O_DIRECTORY of a file" open "$R/_manifests/tags/v1/current/link" dir
st cat "blobs/sha256/${M:0:2}/$M/data"
assert_eq "$manifest" "$(cat "$T/out")" "a file read in 7-byte reads"

# read_cb: ranges, the size, a missing file
st readcb "blobs/sha256/${L:0:2}/$L/data" 5 20
assert_eq "${layer:5:20}" "$(cat "$T/out")" "read_cb of bytes 5-24"
assert_eq "size ${#layer}" "$(cat "$T/err")" "... and the file's size"
st readcb "blobs/sha256/${L:0:2}/$L/data" 0 -1
assert_eq "$layer" "$(cat "$T/out")" "read_cb of the whole file"
st readcb "blobs/sha256/${L:0:2}/$L/data" 10 -1
assert_eq "${layer:10}" "$(cat "$T/out")" "read_cb from an offset to the end"
st readcb "blobs/sha256/00/none/data" 0 -1
assert_eq ENOTFOUND "$(cat "$T/out")" "read_cb of a missing file: ENOTFOUND"

# st_ino follows the ETag: same bytes, same inode; new bytes, a new one
st stat "$R/_manifests/tags/v1/current/link"
ino1=$(cut -d' ' -f4 "$T/out")
st stat "$R/_manifests/revisions/sha256/$M/link"
assert_eq "$ino1" "$(cut -d' ' -f4 "$T/out")" "st_ino: a hash of the ETag (same bytes, same inode)"
printf 'sha256:%s' "$L" | "$ST" put "$R/_manifests/tags/v1/current/link" >/dev/null
st stat "$R/_manifests/tags/v1/current/link"
assert_ne "$ino1" "$(cut -d' ' -f4 "$T/out")" "... rewritten with other bytes, another"
mt=$(cut -d' ' -f3 "$T/out")
assert_true "... and st_mtime is its LastModified (now)" \
    test $((mt - $(date +%s))) -le 5 -a $(($(date +%s) - mt)) -le 60

# --- the path calls ----------------------------------------------------------------------

st put "$R/_manifests/tags/new/current/link" <<<"hello"
assert_eq 0 "$(cat "$T/out")" "write_file"
st cat "$R/_manifests/tags/new/current/link"
assert_eq hello "$(cat "$T/out")" "... reads back"
st rmdir "$R/_manifests/tags/new"
assert_eq EEXISTS "$(cat "$T/out")" "rmdir of a directory with a key below: EEXISTS"
st prune "$R/_manifests/tags/new"
assert_eq EEXISTS "$(cat "$T/out")" "prune_empty of it: EEXISTS"
st unlink "$R/_manifests/tags/new/current/link"
assert_eq 0 "$(cat "$T/out")" "unlink"
st stat "$R/_manifests/tags/new"
assert_eq ENOENT "$(cat "$T/out")" "... and its directories are gone with it"
st unlink "$R/_manifests/tags/new/current/link"
assert_eq 0 "$(cat "$T/out")" "unlink of a missing key: 0 on S3 (documented; ENOTFOUND on a filesystem)"
st rmdir "$R/_manifests/tags/new"
assert_eq 0 "$(cat "$T/out")" "rmdir of what has nothing below: 0"
st pruneparents "$R/_manifests/tags/new/current/link" repositories
assert_eq 0 "$(cat "$T/out")" "prune_parents: 0"

st rename "$R/_uploads/0d7e5a1c-u1" "leftover-0d7e5a1c-u1"
assert_eq 0 "$(cat "$T/out")" "rename_sibling of a directory"
assert_eq "$V2KEY/$R/_uploads/leftover-0d7e5a1c-u1/hashstates/sha256/0
$V2KEY/$R/_uploads/leftover-0d7e5a1c-u1/startedat" \
    "$(s3_keys registry "$V2KEY/$R/_uploads/")" "... every key copied, the old ones gone"
printf 'x' | "$ST" put "$R/_uploads/u2/startedat" >/dev/null
st rename "$R/_uploads/u2" "leftover-0d7e5a1c-u1"
assert_eq EEXISTS "$(cat "$T/out")" "rename_sibling onto an existing name: EEXISTS"
st rename "$R/_uploads/u3" "x"
assert_eq ENOTFOUND "$(cat "$T/out")" "rename_sibling of a missing path: ENOTFOUND"
st rename "$R/_uploads/u2/startedat" "startedat.old"
assert_eq "0 $V2KEY/$R/_uploads/u2/startedat.old" \
    "$(cat "$T/out") $(s3_keys registry "$V2KEY/$R/_uploads/u2/")" \
    "rename_sibling of a file"

st rmtree "$R/_uploads"
assert_eq 0 "$(cat "$T/out")" "remove_tree"
assert_eq "" "$(s3_keys registry "$V2KEY/$R/_uploads/")" "... no key left below"
st rmtree "$R/_uploads"
assert_eq ENOTFOUND "$(cat "$T/out")" "remove_tree of a missing path: ENOTFOUND"

# write_fd: a multipart upload (12 MiB > the 10 MiB chunksize), and from an
# offset of a file
head -c $((12 << 20)) /dev/urandom >"$T/big"
st putfd "blobs/sha256/bi/big/data" "$T/big"
assert_eq "0
offset $((12 << 20))" "$(cat "$T/out")" "write_fd of 12 MiB (multipart), the fd read to its end"
st readcb "blobs/sha256/bi/big/data" 0 -1
assert_eq "$(sha256sum <"$T/big" | cut -c1-64)" \
    "$(sha256sum <"$T/out" | cut -c1-64)" "... streams back the same bytes"
assert_eq "size $((12 << 20))" "$(cat "$T/err")" "... its size"
st putfd "blobs/sha256/bi/tail/data" "$T/big" $(((12 << 20) - 1000))
st readcb "blobs/sha256/bi/tail/data" 0 -1
assert_eq "$(tail -c 1000 "$T/big" | sha256sum)" "$(sha256sum <"$T/out")" \
    "write_fd from the fd's offset: the bytes after it"
st open "blobs/sha256/bi/big/data" read
assert_eq "f $((12 << 20))" "$(cat "$T/out")" "an O_RDONLY open reads up to 64 MiB"
st rmtree "blobs/sha256/bi"

# --- quarantine: out of the tree, kept in the bucket, and back --------------------------

mkdir -p "$T/q"
st dump "$R"
cp "$T/out" "$T/before"
st moveout "$R/_layers" "$T/q" layers.1
assert_eq 0 "$(cat "$T/out")" "move_out of a directory"
assert_eq "" "$(s3_keys registry "$V2KEY/$R/_layers/")" "... its keys left the tree"
qkey=$(cat "$T/q/layers.1")
case $qkey in
rd/docker/registry/drydock-quarantine/*/"$R"/_layers/)
	pass "... the local record names its quarantine prefix" ;;
*) fail "... the local record names its quarantine prefix: '$qkey'" ;;
esac
assert_eq 2 "$(s3_keys registry "$qkey" | wc -l)" "... where its 2 keys are kept"
st moveout "$R/_layers" "$T/q" layers.2
assert_eq ENOTFOUND "$(cat "$T/out")" "move_out of what is gone: ENOTFOUND"
printf 'sha256:%s' "$L" | "$ST" put "$R/_layers/sha256/$L/link" >/dev/null
st movein "$T/q" layers.1 "$R/_layers"
assert_eq EEXISTS "$(cat "$T/out")" "move_in where the path exists again: EEXISTS"
st unlink "$R/_layers/sha256/$L/link"
st movein "$T/q" layers.1 "$R/_layers"
assert_eq 0 "$(cat "$T/out")" "move_in"
st dump "$R"
assert_true "... the repository is as it was" cmp -s "$T/before" "$T/out"
assert_eq "" "$(s3_keys registry rd/docker/registry/drydock-quarantine/)" \
    "... nothing left in the quarantine prefix"
assert_true "... the local record is gone" test ! -e "$T/q/layers.1"
st moveout "$R/_manifests/tags/v1-old/current/link" "$T/q" link.1
st movein "$T/q" link.1 "$R/_manifests/tags/v1-old/current/link"
st cat "$R/_manifests/tags/v1-old/current/link"
assert_eq "sha256:$M" "$(cat "$T/out")" "a file out and back"
echo "rd/docker/registry/v2/blobs/x" >"$T/q/forged"
st movein "$T/q" forged "$R/forged"
assert_eq ECORRUPT "$(cat "$T/out")" "a record that names no quarantine key is refused"

# --- the lock ------------------------------------------------------------------------------

# held until the checks below are done (a fixed time ran out under ASan)
"$ST" lock "$T/unlock" >"$T/lock1" 2>&1 &
BG_PIDS+=($!)
lockpid=$!
for _ in $(seq 50); do grep -q 0 "$T/lock1" && break; sleep 0.1; done
assert_eq 0 "$(cat "$T/lock1")" "a first run takes the lock"
st lock
assert_eq ELOCKED "$(cat "$T/out")" "a second run on this host: ELOCKED"
assert_true "... by the host's lock (a flock the kernel drops with a dead run)" \
    grep -q "another drydock run on this host holds the lock" "$T/err"
# a run as another user meets the same host lock file (it was once free to
# fall back to another, and then took the live lock object for a dead run's)
REG_USER=$(registry_user)
as_registry_user "$ST" lock >"$T/out" 2>"$T/err"
assert_eq ELOCKED "$(cat "$T/out")" "a second run as user $REG_USER: ELOCKED too ($(head -c 200 "$T/err"))"
assert_true "the holder's lock object names its host, pid and machine" \
    sh -c "'$S3TOOL' get rd/docker/registry/drydock.lock | grep -qx 'pid: $lockpid' &&
        '$S3TOOL' get rd/docker/registry/drydock.lock | grep -q '^machine: $(hostname) '"
touch "$T/unlock"
wait "$lockpid"
assert_eq "" "$(s3_keys registry rd/docker/registry/drydock.lock)" \
    "the first run's close deleted the lock object"
st lock
assert_eq 0 "$(cat "$T/out")" "then the lock can be taken again"
printf 'drydock lock\nhost: gone\npid: 1\nsince: 1000\ntoken: x\nmachine: gone 1\n' |
    "$S3TOOL" putmem rd/docker/registry/drydock.lock
st lock
assert_eq ELOCKED "$(cat "$T/out")" "a lock object of another machine: ELOCKED"
assert_true "... naming it, said to be old" \
    grep -q "taken by gone (pid 1) at 1970.*more than 24 h old: if that run is gone, delete the object" "$T/err"
assert_eq 1 "$(s3_keys registry rd/docker/registry/drydock.lock | wc -l)" \
    "... and not taken over"
m=$(hostname)
printf 'drydock lock\nhost: %s\npid: 1\nsince: %s\ntoken: x\nmachine: %s %s mnt:[1]\n' \
    "$m" "$(date +%s)" "$m" "$(cat /etc/machine-id 2>/dev/null || echo -)" |
    "$S3TOOL" putmem rd/docker/registry/drydock.lock
st lock
assert_eq ELOCKED "$(cat "$T/out")" \
    "this machine's lock from another mount namespace (a container: another lock file): ELOCKED"
printf 'drydock lock\nhost: %s\npid: 1\nsince: 1000\ntoken: x\nmachine: %s %s %s\n' \
    "$m" "$m" "$(cat /etc/machine-id 2>/dev/null || echo -)" "$(readlink /proc/self/ns/mnt)" |
    "$S3TOOL" putmem rd/docker/registry/drydock.lock
st lock
assert_eq 0 "$(cat "$T/out")" "a lock a dead run of this machine left is taken over"
assert_eq "" "$(s3_keys registry rd/docker/registry/drydock.lock)" \
    "... and the new one deleted at close"
s3 DELETE "registry/rd/docker/registry/drydock.lock" >/dev/null 2>&1 || true

# --- the clock -----------------------------------------------------------------------------

st skew
assert_true "clock skew measured from a probe's LastModified ($(cat "$T/out") ms)" \
    test "$(cat "$T/out" | tr -d -)" -lt 2000
assert_eq "" "$(s3_keys registry rd/docker/registry/drydock-clock)" "... the probe deleted"

# --- wrong credentials: refused, nothing deleted -------------------------------------------

s3_keys registry rd/ >"$T/keys-before"
S3_SECRET_KEY=wrong-secret st rmtree "$R"
assert_eq "3 open EAUTH" "$RC $(cat "$T/out")" "a wrong secret key: EAUTH at open"
assert_true "... said plainly" grep -q "the secret key is wrong" "$T/err"
s3_keys registry rd/ >"$T/keys-after"
assert_true "... and nothing deleted" cmp -s "$T/keys-before" "$T/keys-after"

# --- directory markers ---------------------------------------------------------------------

printf '' | "$S3TOOL" putmem "$V2KEY/marked/"
printf 'a' | "$S3TOOL" putmem "$V2KEY/marked/a"
printf '' | "$S3TOOL" putmem "$V2KEY/marked/sub/"
st ls marked
assert_eq "a f
sub d
rewind 2" "$(cat "$T/out")" "a marker object 'K/' is its directory, never an entry"
st stat marked/sub
assert_eq d "$(cut -d' ' -f1 "$T/out")" "... a directory with only its marker stats"
st rmdir marked
assert_eq EEXISTS "$(cat "$T/out")" "... rmdir sees the key below"
st -q dump -p -P marked
assert_eq "f marked/a 1
d marked/sub" "$(cat "$T/out")" "... prefetch sees them the same way"
st rmtree marked
assert_eq "" "$(s3_keys registry "$V2KEY/marked")" "... remove_tree takes the markers too"

# --- more than 1,000: paged listings ---------------------------------------------------------

"$S3TOOL" -j 8 fill "$V2KEY/many/k" 1100 >/dev/null || bail "fill many"
st -q ls many 4096
assert_eq "1100 1100" "$(grep -c ' f$' "$T/out") $(sed -n 's/^rewind //p' "$T/out")" \
    "getdents of 1,100 entries (2 pages), and rewound"
assert_eq "requests 3" "$(cat "$T/err")" \
    "... a probe of 'many' and one listing of 2 pages, replayed by rewind"
"$S3TOOL" -j 8 fill "$V2KEY/deep/d" 1100 /x >/dev/null || bail "fill deep"
st -q dump -p -P deep
assert_eq "2200" "$(wc -l <"$T/out")" "prefetch of 1,100 directories below a prefix"
assert_eq "requests 3" "$(cat "$T/err")" "... a probe and one listing of 2 pages"
st -q dump -P deep
assert_eq "requests 1103" "$(cat "$T/err")" \
    "... where without prefetch each directory costs a listing"
st -q dump -p -P deep
cp "$T/out" "$T/deep.p"
st -q dump -w -P deep
assert_true "a wide prefetch (each subdirectory listed at once) sees the same" \
    cmp -s "$T/deep.p" "$T/out"
assert_eq "requests 1103" "$(cat "$T/err")" \
    "... with a probe, the delimited listing (2 pages) and one listing a subdirectory"
st -q rmtree deep
assert_eq "" "$(s3_keys registry "$V2KEY/deep/")" "remove_tree of 1,100 keys"
assert_eq "requests 6" "$(cat "$T/err")" \
    "... in 2 listing pages and 4 DeleteObjects (spread over the 4 jobs)"

# --- many directories listed together (prefetch_many: gc's re-check) --------------

# 20 repositories, one with another nested below it (its listing
# holds the nested one's keys), one whose name starts another's ("p/r15-x"),
# and one that is not there
pm=()
for i in $(seq 10 29); do
	put_both "pm/r$i/_layers/sha256/a$i/link" "sha256:a$i"
	put_both "pm/r$i/_manifests/tags/t$i/current/link" "sha256:b$i"
	pm+=("pm/r$i")
done
put_both "pm/r15/nested/_layers/sha256/c/link" "sha256:c"
put_both "pm/r15-x/_layers/sha256/d/link" "sha256:d"
pm+=("pm/r15/nested" "pm/r15-x" "pm/gone")
(cd "$V2" && find pm -type f) | while read -r f; do
	"$S3TOOL" put "$V2KEY/$f" "$V2/$f" >/dev/null || echo "cannot put $f"
done | grep . && bail "cannot put the pm tree"
st -j 2 -q openmany -n "${pm[@]}"
cp "$T/out" "$T/pm.alone"
n_alone=$(sed -n 's/^requests //p' "$T/err")
same_as_fs "prefetch_many: each open as on a filesystem" -j 2 -q openmany "${pm[@]}"
assert_true "... and as each open listing its own" cmp -s "$T/pm.alone" "$T/out"
assert_eq "! pm/gone open ENOENT" "$(grep '^!' "$T/out")" \
    "... a directory that is not there is still not there"
n_many=$(sed -n 's/^requests //p' "$T/err")
assert_true "... in fewer requests ($n_many, not $n_alone)" \
    test "$n_many" -lt "$((n_alone / 2))"

finish
