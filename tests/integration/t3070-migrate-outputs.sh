#!/usr/bin/env bash
# t3070-migrate-outputs --- where an export goes, and what stops it.  An
# oci-archive or docker-archive destination that is not a regular file is
# never replaced: a FIFO (its reader gets a whole archive), a character
# device, "-" and a symlink to stdout are written as they are; a symlink
# to a file is written through; a directory, a block device or a symlink
# to nothing is refused with exit 16.  A full (ENOSPC) or read-only
# (EROFS) destination stops an export or an import with exit 8, naming
# the destination and the system's reason.  A docker-archive round trip
# keeps a repository whose first component docker would take for a
# registry host (lvl1.a/...), and an import says which repository each
# RepoTag with a host became.
. "$(dirname "$0")/lib.sh"

# nothing a broken build writes by a relative name ("-") lands elsewhere
cd "$T" || bail "cd $T"

BIG=lvl1.a/lvl2__b/app
mkimage -s t3070-big -l 1 -z 3000000 -r "$BIG:1" "$T/lay" >/dev/null ||
	bail "mkimage big"
mkimage -s t3070-small -r team/small:1 "$T/lay" >/dev/null || bail "mkimage small"
run_migrate "oci:$T/lay" "registry:$T/root"
[ "$MIG_RC" = 0 ] || bail "fixture import (exit $MIG_RC)"
root=$T/root
names() { tag_links "$1" | cut -d' ' -f1,2; }
[ "$(names "$root" | wc -l)" = 2 ] || bail "fixture: two tags"

# check_archive TYPE FILE MESSAGE: FILE is a whole archive: drydock imports
# and verifies it to the same names, skopeo reads an image of it
check_archive() {
	local chk rc
	chk=$(mktemp -d "$T/chk.XXXXXX")
	"$MIGRATE" --verify "$1:$2" "registry:$chk/root" >"$chk/out" 2>"$chk/err"
	rc=$?
	assert_eq "0 $(names "$root" | tr '\n' ' ')" \
	    "$rc $(names "$chk/root" | tr '\n' ' ')" "$3: a whole archive, every name"
	if skopeo inspect --raw "$1:$2:team/small:1" >/dev/null 2>>"$T/skopeo.log"; then
		pass "$3: skopeo reads it"
	else
		fail "$3: skopeo reads it"
	fi
}

for type in oci-archive docker-archive; do
	# 1. a FIFO: streamed to its reader, still a FIFO
	fifo=$T/fifo-$type
	mkfifo "$fifo"
	timeout 120 cat "$fifo" >"$T/fifo-$type.got" &
	reader=$!
	BG_PIDS+=("$reader")
	run_migrate "registry:$root" "$type:$fifo"
	assert_mig_rc 0 "$type to a FIFO"
	if [ -p "$fifo" ]; then
		pass "$type: the FIFO is still a FIFO"
		wait "$reader"
	else
		fail "$type: the FIFO is still a FIFO"
		kill "$reader" 2>/dev/null
		wait "$reader" 2>/dev/null
	fi
	check_archive "$type" "$T/fifo-$type.got" "$type: the FIFO's reader"

	# 2. a character device (/dev/null's numbers): written, not replaced
	dev=$T/null-$type
	mknod "$dev" c 1 3 || bail "mknod"
	run_migrate "registry:$root" "$type:$dev"
	assert_mig_rc 0 "$type to a character device"
	assert_eq "character special file 1:3" "$(stat -c '%F %t:%T' "$dev")" \
	    "$type: the device node is still that device"

	# 3. a symlink to a file: the file gets the archive, the link stays
	: >"$T/real-$type.tar"
	ln -s "real-$type.tar" "$T/link-$type.tar"
	run_migrate "registry:$root" "$type:$T/link-$type.tar"
	assert_mig_rc 0 "$type to a symlink"
	assert_eq "real-$type.tar" "$(readlink "$T/link-$type.tar")" \
	    "$type: the symlink is still a symlink to its file"
	check_archive "$type" "$T/real-$type.tar" "$type: the symlink's file"
	assert_eq "" "$(ls "$T" | grep "^real-$type\.tar\.\|^link-$type\.tar\.")" \
	    "$type: no temporary file left beside either"

	# 4. stdout: "-", and a symlink to it as /dev/stdout is
	run_migrate "registry:$root" "$type:-"
	assert_mig_rc 0 "$type to -"
	cp "$T/mig.out" "$T/dash-$type.tar"
	check_archive "$type" "$T/dash-$type.tar" "$type: -"
	assert_true "$type: the summary goes to stderr" grep -q "image(s) from" "$T/mig.err"
	ln -s /proc/self/fd/1 "$T/stdout-$type"
	run_migrate "registry:$root" "$type:$T/stdout-$type"
	assert_mig_rc 0 "$type to a symlink to stdout"
	assert_true "$type: ... still a symlink" test -L "$T/stdout-$type"
	cp "$T/mig.out" "$T/so-$type.tar"
	check_archive "$type" "$T/so-$type.tar" "$type: a symlink to stdout"
	"$MIGRATE" "registry:$root" "$type:-" 2>"$T/pipe.err" | cat >"$T/pipe-$type.tar"
	assert_eq 0 "${PIPESTATUS[0]}" "$type to - through a pipe"
	check_archive "$type" "$T/pipe-$type.tar" "$type: - through a pipe"
	"$MIGRATE" "registry:$root" "$type:-" 2>"$T/pipe.err" | head -c 100 >/dev/null
	assert_eq 8 "${PIPESTATUS[0]}" "$type to a reader that goes away: exit 8"
	assert_true "$type: ... saying so" grep -q "Broken pipe" "$T/pipe.err"

	# 5. refused before anything is written: exit 16, left as they are
	mkdir "$T/dir-$type"
	run_migrate "registry:$root" "$type:$T/dir-$type"
	assert_mig_rc 16 "$type to a directory: refused"
	assert_true "$type: ... saying why" grep -q "is a directory" "$T/mig.err"
	assert_eq "" "$(ls -A "$T/dir-$type")" "$type: ... nothing written in it"
	mknod "$T/blk-$type" b 7 0 || bail "mknod b"
	run_migrate "registry:$root" "$type:$T/blk-$type"
	assert_mig_rc 16 "$type to a block device: refused"
	assert_eq "block special file 7:0" "$(stat -c '%F %t:%T' "$T/blk-$type")" \
	    "$type: ... the node stays"
	ln -s nowhere "$T/dangling-$type"
	run_migrate "registry:$root" "$type:$T/dangling-$type"
	assert_mig_rc 16 "$type to a symlink to nothing: refused"
	assert_eq "nowhere" "$(readlink "$T/dangling-$type")" "$type: ... the link stays"
	assert_file_absent "$T/nowhere"
	mkfifo "$T/vfifo-$type"
	run_migrate --verify "registry:$root" "$type:$T/vfifo-$type"
	assert_mig_rc 16 "$type: --verify cannot read a FIFO back: refused"
	assert_true "$type: ... the FIFO stays" test -p "$T/vfifo-$type"
	run_migrate --json - "registry:$root" "$type:-"
	assert_mig_rc 16 "$type: the archive and --json - cannot share stdout"
done

# 6. out of space (a 1 MiB tmpfs, a 1.6 MB layer): exit 8, naming the
# destination and the reason, not 4 (an image's problem) or 12
M=$T/full
if mount_tmpfs "$M" size=1m; then
	full() { # MESSAGE SRC DEST
		rm -rf "${M:?}"/*
		run_migrate --json "$T/full.json" "$2" "$3"
		assert_mig_rc 8 "$1: out of space"
		assert_true "$1: ... names the destination and the reason" \
		    grep -q "'$M/[^']*'.*No space left on device" "$T/mig.err"
		assert_jq "$T/full.json" '[.exit_code, (.error | test("No space left")),
		    ([.images[].status] | unique)]' '[8,true,["skipped"]]' \
		    "$1: ... in the report too; no image is called ok"
	}
	full "oci: export" "registry:$root" "oci:$M/lay"
	full "oci-archive: export" "registry:$root" "oci-archive:$M/x.tar"
	assert_eq "" "$(ls -A "$M")" "oci-archive: ... no partial archive or temporary file left"
	full "docker-archive: export" "registry:$root" "docker-archive:$M/d.tar"
	full "registry: export" "registry:$root" "registry:$M/root"
	full "oci: import into registry:" "oci:$T/lay" "registry:$M/root"
	cp "$T/real-oci-archive.tar" "$T/in.tar"
	cp "$T/real-docker-archive.tar" "$T/in-docker.tar"
	rm -rf "${M:?}"/*
	run_migrate "oci-archive:$T/in.tar" "registry:$M/root"
	assert_mig_rc 8 "oci-archive: import into registry: out of space"
	assert_true "... names the destination and the reason" \
	    grep -q "'$M/root'.*No space left on device" "$T/mig.err"
	rm -rf "${M:?}"/*
	run_migrate "docker-archive:$T/in-docker.tar" "registry:$M/root"
	assert_mig_rc 8 "docker-archive: import into registry: out of space"
	assert_true "... names the destination and the reason" \
	    grep -q "'$M/root'.*No space left on device" "$T/mig.err"
	rm -rf "${M:?}"/*
	run_migrate "docker-archive:$T/in-docker.tar" "oci:$M/lay"
	assert_mig_rc 8 "docker-archive: import into oci: out of space"

	# 7. read-only: destinations that exist, then mounted read-only
	R=$T/ro
	mount_tmpfs "$R" size=20m || bail "tmpfs"
	run_migrate --image team/small:1 "registry:$root" "oci:$R/lay"
	assert_mig_rc 0 "a small export into what becomes read-only"
	run_migrate --image team/small:1 "registry:$root" "registry:$R/root"
	assert_mig_rc 0 "... and a small import"
	mkdir "$R/empty"
	mount -o remount,ro "$R" || bail "remount ro"
	for dst in "oci:$R/lay" "registry:$R/root" "oci-archive:$R/x.tar" \
	    "docker-archive:$R/empty/d.tar"; do
		run_migrate "registry:$root" "$dst"
		assert_mig_rc 8 "${dst%%:*}: read-only destination"
		assert_true "${dst%%:*}: ... names it and the reason" \
		    grep -q "'$R/[^']*'.*Read-only file system" "$T/mig.err"
	done
	run_migrate "oci:$T/lay" "registry:$R/root"
	assert_mig_rc 8 "oci: import into a read-only registry:"
	run_migrate "docker-archive:$T/in-docker.tar" "registry:$R/root"
	assert_mig_rc 8 "docker-archive: import into a read-only registry:"
else
	diag "cannot mount a tmpfs here (not root?): out-of-space cases skipped"
fi

# 8. docker-archive round trip of lvl1.a/lvl2__b/app: a RepoTag docker reads
# back to the same repository, and our import takes the same
run_migrate --json "$T/rt-x.json" "registry:$root" "docker-archive:$T/rt.tar"
assert_mig_rc 0 "docker-archive export of $BIG"
assert_jq <(tar xOf "$T/rt.tar" manifest.json) '[.[].RepoTags[]] | sort' \
    "[\"localhost/$BIG:1\",\"team/small:1\"]" \
    "RepoTag of $BIG has an explicit host, team/small none"
assert_jq <(tar xOf "$T/rt.tar" repositories) 'keys' \
    "[\"localhost/$BIG\",\"team/small\"]" "repositories: the same names"
assert_true "the export says so" \
    grep -q "$BIG:1 written as RepoTag 'localhost/$BIG:1'" "$T/mig.err"
assert_jq "$T/rt-x.json" "[.images[] | .archive_name] | sort" \
    "[null,\"localhost/$BIG:1\"]" "... and its report"
if skopeo inspect --raw "docker-archive:$T/rt.tar:localhost/$BIG:1" \
    >/dev/null 2>>"$T/skopeo.log"; then
	pass "docker's reference parser (skopeo) finds it by that name"
else
	fail "docker's reference parser (skopeo) finds it by that name"
fi
run_migrate --verify --json "$T/rt-i.json" "docker-archive:$T/rt.tar" "registry:$T/rt-root"
assert_mig_rc 0 "import of the round trip"
assert_same_lines <(names "$root") <(names "$T/rt-root") \
    "the round trip keeps every repository name"
assert_true "the import says which repository the RepoTag became" \
    grep -q "RepoTag 'localhost/$BIG:1' imported as $BIG:1" "$T/mig.err"
assert_jq "$T/rt-i.json" \
    "[.images[] | select(.archive_name) | [.repository, .archive_name]]" \
    "[[\"$BIG\",\"localhost/$BIG:1\"]]" "... in --json too, for that image only"

# an archive from elsewhere, whose RepoTag names a registry host
python3 - "$T/rt.tar" "$T/hosted.tar" <<'PY'
import io, json, sys, tarfile
src, dst = sys.argv[1:3]
with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
    for m in s.getmembers():
        data = s.extractfile(m).read() if m.isfile() else None
        if m.name == "manifest.json":
            man = [e for e in json.loads(data) if "team/small:1" in e["RepoTags"]]
            man[0]["RepoTags"] = ["registry.example.com:5000/team/small:1"]
            data = json.dumps(man).encode()
            m.size = len(data)
        d.addfile(m, io.BytesIO(data) if data is not None else None)
PY
run_migrate --json "$T/h.json" "docker-archive:$T/hosted.tar" "registry:$T/h-root"
assert_mig_rc 0 "import of an archive whose RepoTag has a host"
assert_eq "team/small 1" "$(names "$T/h-root")" "the host is dropped"
assert_true "... and the import says so" grep -q \
    "RepoTag 'registry.example.com:5000/team/small:1' imported as team/small:1" \
    "$T/mig.err"
assert_jq "$T/h.json" '[.images[] | [.repository, .archive_name]]' \
    '[["team/small","registry.example.com:5000/team/small:1"]]' "... and its report"

finish
