#!/usr/bin/env bash
# t4010-debian-control --- debian/ stays in step with the tree, without
# building the package (make deb does that, with lintian):
#   - Build-Depends names exactly the -dev packages tests/deps.sh installs,
#     and libdrydock-dev depends on the same, less cmocka (the .pc's
#     Requires.private);
#   - debhelper-compat 13, Standards-Version 4.6.2 (bookworm's);
#   - the units are installed and never enabled or started by the package;
#   - the .install files name the files make install-systemd writes.
. "$(dirname "$0")/lib.sh"

C=$SRC_DIR/debian/control
# field NAME [PARAGRAPH]: a control field's value on one line
field() {
	awk -v f="$1" -v want="${2:-1}" '
	    /^$/ { para++ ; next }
	    /^#/ { next }
	    para + 1 == want && $0 ~ "^" f ":" { on = 1; sub("^" f ":", ""); print; next }
	    on && /^[ \t]/ { print; next }
	    { on = 0 }' "$C" | tr '\n' ' '
}
devs() { tr ', ' '\n\n' | sed 's/<.*//' | grep -E '^lib[a-z0-9.+-]*-dev$' | LC_ALL=C sort -u; }

bd=$(field Build-Depends | devs)
deps=$(sed -n '/^build="/,/"$/p' "$SRC_DIR/tests/deps.sh" | tr -d '"' | sed 's/^build=//' | devs)
diag "tests/deps.sh: $(echo $deps)"
assert_eq 8 "$(wc -w <<<"$deps")" "tests/deps.sh names eight -dev packages"
assert_eq "$deps" "$bd" "Build-Depends: exactly the -dev packages of tests/deps.sh"
dev_para=$(awk '/^$/{p++} /^Package: libdrydock-dev$/{print p + 1}' "$C")
dd=$(field Depends "$dev_para" | devs)
assert_eq "$(grep -v '^libcmocka-dev$' <<<"$deps")" "$dd" \
    "libdrydock-dev: depends on the -dev packages of libdrydock.pc's Requires.private"
assert_true "debhelper-compat 13" grep -q 'debhelper-compat (= 13)' "$C"
assert_eq " 4.6.2 " "$(field Standards-Version)" "Standards-Version 4.6.2"
for p in drydock libdrydock0 libdrydock-dev; do
	assert_true "package $p" grep -qx "Package: $p" "$C"
done
assert_true "rules: units neither enabled nor started" \
    grep -q 'dh_installsystemd --no-enable --no-start' "$SRC_DIR/debian/rules"
assert_true "rules: the library in the multiarch directory" \
    grep -q 'LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH)' "$SRC_DIR/debian/rules"
assert_true "rules: no test hooks" grep -q 'TEST_HOOKS=0' "$SRC_DIR/debian/rules"

# what make install and install-systemd write, against the .install files
D=$T/inst
make -s -C "$SRC_DIR" install-systemd DESTDIR="$D" PREFIX=/usr \
    SBINDIR=/usr/sbin SYSTEMDUNITDIR=/lib/systemd/system >"$T/make.log" 2>&1 ||
	bail "make install-systemd failed"
for f in $(cd "$D" && find . -type f | sed 's|^\./||'); do
	found=0
	for pat in $(cat "$SRC_DIR"/debian/*.install); do
		# shellcheck disable=SC2053
		[[ $f == $pat ]] && found=1
	done
	assert_eq 1 "$found" "debian/*.install ships $f"
done
assert_true "drydock.install: the tools in /usr/sbin" \
    grep -qx 'usr/sbin/drydock-\*' "$SRC_DIR/debian/drydock.install"
assert_true "drydock.install: the man pages" \
    grep -qx 'usr/share/man/man8/drydock-\*.8' "$SRC_DIR/debian/drydock.install"

finish
