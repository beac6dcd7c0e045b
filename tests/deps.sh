#!/usr/bin/env bash
# deps.sh --- install the Debian packages the build, the tests and the demo
# need, when any is missing.  Runs apt-get as root (or through sudo).
set -eu
pkgs="build-essential pkg-config libjansson-dev libarchive-dev libsqlite3-dev
libssl-dev libcmocka-dev libyaml-dev docker-registry skopeo curl jq faketime
valgrind zstd gzip tar coreutils util-linux procps bsdutils sqlite3 python3
cppcheck"
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
