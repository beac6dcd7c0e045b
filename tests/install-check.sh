#!/usr/bin/env bash
# install-check.sh --- what make install leaves, as a user of it sees it.
#
# A release build (VARIANT=release: the flags of a plain make, no test
# hooks) is made first with the default PREFIX, as "make" then
# "make install PREFIX=/usr" does, then installed twice into temporary
# DESTDIRs with different paths.  Each time:
#   - the tools are in SBINDIR (they are section 8), none in bin;
#   - libdrydock.pc names this install's prefix, libdir and includedir
#     (it used to keep the PREFIX of the build: /usr/local);
#   - libdrydock.so.0 is the soname, the links are in place;
#   - no installed file holds a test hook (DRYDOCK_*TEST*);
#   - a C program (shared and static) and a C++ program build with
#     pkg-config against the installed headers and library, and run.
# Run by make check (make install-check).
set -u
set -o pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
make=${MAKE:-make}
T=$(mktemp -d "${TMPDIR:-/tmp}/drydock-install-check.XXXXXX")
n=0 failed=0

ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); printf 'not ok %d - %s\n' "$n" "$*"; }
check() { # MESSAGE COMMAND...
	local m=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		ok "$m"
	else
		not_ok "$m"
		sed 's/^/#   /' "$T/out" | head -n 20
	fi
}
cleanup() {
	if [ "$failed" -eq 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT

cat >"$T/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>

#include <drydock/drydock.h>

int
main(void)
{
	struct drydock_digest d;
	char buf[DRYDOCK_DIGEST_STRMAX];
	int64_t secs;

	if (drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, "abc", 3) < 0 ||
	    drydock_duration_parse(&secs, "1h30m") < 0)
		return 1;
	printf("%s %s %lld\n", drydock_version(),
	    drydock_digest_format(buf, &d), (long long)secs);
	return 0;
}
EOF
cat >"$T/prog.cc" <<'EOF'
#include <cstdio>
#include <string>

#include <drydock/drydock.h>

int
main()
{
	drydock_digest d;
	char buf[DRYDOCK_DIGEST_STRMAX];
	int64_t secs;

	if (drydock_digest_buffer(&d, DRYDOCK_DIGEST_SHA256, "abc", 3) < 0 ||
	    drydock_duration_parse(&secs, "1h30m") < 0)
		return 1;
	std::string s = std::string(drydock_version()) + " " +
	    drydock_digest_format(buf, &d) + " " + std::to_string(secs);
	std::puts(s.c_str());
	return 0;
}
EOF
want="$(sed -n 's/^#define DRYDOCK_VERSION "\(.*\)"$/\1/p' "$src/include/drydock/drydock.h") sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 5400"

# make, then make install with other paths
echo "# building (VARIANT=release)"
(cd "$src" && $make -s VARIANT=release lib tools) >"$T/build.log" 2>&1 ||
	{ cat "$T/build.log"; echo "Bail out! the release build failed"; exit 1; }

# install_and_check LABEL PREFIX LIBDIR (empty: the default)
install_and_check() {
	local l=$1 prefix=$2 libdir=${3:-$2/lib} D=$T/$1 pc pcdir m
	local args=(VARIANT=release DESTDIR="$D" PREFIX="$prefix")
	[ -n "${3:-}" ] && args+=(LIBDIR="$3")
	if ! (cd "$src" && $make -s "${args[@]}" install) >"$T/$l.log" 2>&1; then
		not_ok "$l: make install"
		sed 's/^/#   /' "$T/$l.log" | tail -n 20
		return
	fi
	for t in gc fsck migrate; do
		check "$l: drydock-$t in $prefix/sbin, runs" \
		    "$D$prefix/sbin/drydock-$t" --version
		check "$l: drydock-$t.8 in $prefix/share/man/man8" \
		    test -f "$D$prefix/share/man/man8/drydock-$t.8"
	done
	check "$l: nothing in $prefix/bin" test ! -e "$D$prefix/bin"
	pcdir=$D$libdir/pkgconfig
	pc=$pcdir/libdrydock.pc
	check "$l: libdrydock.pc says prefix=$prefix" grep -qx "prefix=$prefix" "$pc"
	check "$l: libdrydock.pc says libdir=$libdir" grep -qx "libdir=$libdir" "$pc"
	check "$l: libdrydock.pc says includedir=$prefix/include" \
	    grep -qx "includedir=$prefix/include" "$pc"
	check "$l: no /usr/local in libdrydock.pc" \
	    sh -c "[ '$prefix' = /usr/local ] || ! grep -q /usr/local '$pc'"
	check "$l: soname libdrydock.so.0" \
	    sh -c "objdump -p '$D$libdir/libdrydock.so.0' | grep -qE 'SONAME +libdrydock.so.0\$'"
	check "$l: libdrydock.so -> libdrydock.so.0" \
	    test "$(readlink "$D$libdir/libdrydock.so")" = libdrydock.so.0
	check "$l: headers in $prefix/include/drydock" \
	    test -f "$D$prefix/include/drydock/drydock.h"
	m=$(grep -rlaE 'DRYDOCK_[A-Z_]*TEST' "$D" 2>/dev/null)
	check "$l: no test hook in any installed file${m:+ (found in $m)}" test -z "$m"

	# programs built as a user would, through pkg-config
	local pk=(env PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_LIBDIR="$pcdir:$(pkg-config --variable pc_path pkg-config)" pkg-config)
	local cflags libs slibs
	# static: libdrydock.a, and its Requires.private shared (what the tools do)
	cflags=$("${pk[@]}" --cflags libdrydock) && libs=$("${pk[@]}" --libs libdrydock) &&
		slibs=$("${pk[@]}" --libs $("${pk[@]}" --print-requires-private libdrydock))
	check "$l: pkg-config --cflags --libs libdrydock" test -n "$libs"
	# shellcheck disable=SC2086
	check "$l: a C program builds (shared)" \
	    cc -std=c11 -Wall -Werror $cflags -o "$T/$l-c" "$T/prog.c" $libs
	check "$l: ... and runs" \
	    test "$(LD_LIBRARY_PATH="$D$libdir" "$T/$l-c")" = "$want"
	# shellcheck disable=SC2086
	check "$l: a C program builds (static)" \
	    cc -std=c11 -Wall -Werror $cflags -o "$T/$l-cs" "$T/prog.c" \
	    "$D$libdir/libdrydock.a" $slibs
	check "$l: ... and runs without libdrydock.so" \
	    test "$("$T/$l-cs")" = "$want"
	# shellcheck disable=SC2086
	check "$l: a C++ program builds and links (extern \"C\")" \
	    c++ -std=c++11 -Wall -Werror $cflags -o "$T/$l-cc" "$T/prog.cc" $libs
	check "$l: ... and runs" \
	    test "$(LD_LIBRARY_PATH="$D$libdir" "$T/$l-cc")" = "$want"
}

install_and_check usr /usr
install_and_check opt /opt/drydock "/opt/drydock/lib/$(cc -print-multiarch 2>/dev/null || echo multiarch)"

printf '1..%d\n' "$n"
if [ "$failed" -ne 0 ]; then
	echo "install-check: $failed of $n failed"
	exit 1
fi
echo "install-check: $n passed"
