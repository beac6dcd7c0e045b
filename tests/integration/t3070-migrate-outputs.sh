#!/usr/bin/env bash
# t3070-migrate-outputs --- where an export goes, and what stops it.  A
# docker-archive round trip keeps a repository whose first component
# docker would take for a registry host (lvl1.a/...), and an import says
# which repository each RepoTag with a host became.
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

# docker-archive round trip of lvl1.a/lvl2__b/app: a RepoTag docker reads
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
