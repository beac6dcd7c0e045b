#!/usr/bin/env bash
# deps.sh [deb] --- install the Debian packages the build, the tests and the
# demo need, when any is missing; "deb": only what make deb needs (the build
# and debian/control's Build-Depends, debhelper, lintian), none of the
# test tools.  Runs apt-get as root (or through sudo).
set -eu
# the -dev packages are debian/control's Build-Depends (t4010 checks it)
build="build-essential pkg-config libjansson-dev libarchive-dev libsqlite3-dev
libssl-dev libcmocka-dev libyaml-dev libcurl4-openssl-dev libexpat1-dev"
tests="g++ docker-registry skopeo curl jq faketime valgrind zstd gzip tar
coreutils util-linux procps bsdutils sqlite3 python3 cppcheck
apache2-utils openssl radosgw ceph-mon ceph-osd python3-jsonschema
chromium"
deb="debhelper dpkg-dev lintian"
case ${1:-} in
"") pkgs="$build $tests" ;;
deb) pkgs="$build $deb" ;;
*) echo "usage: tests/deps.sh [deb]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
