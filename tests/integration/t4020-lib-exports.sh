#!/usr/bin/env bash
# t4020-lib-exports --- tests/check-exports.sh (run by make lint) holds
# libdrydock.so to its public API.  It passes on the library built here,
# and fails, naming what is wrong, on:
#   - lib/ built again without -fvisibility=hidden: the internals
#     (drydock_store__* ...) are exported, as they were before issue 10;
#   - a library that exports an internal, a name without the drydock_
#     prefix, an undeclared drydock_ function or a variable, or that lacks
#     a declared function (small libraries made here from the API's names);
#   - headers that declare a function without DRYDOCK_EXTERN (on one line,
#     or with the return type on its own line) or declare an internal.
. "$(dirname "$0")/lib.sh"

CE=$SRC_DIR/tests/check-exports.sh
INC=$SRC_DIR/include/drydock
CC=${CC:-cc}
so=""
for f in "$DRYDOCK_BIN"/../libdrydock.so.*.*.*; do
	[ -f "$f" ] && so=$f
done
[ -n "$so" ] || bail "no libdrydock.so.X.Y.Z beside $DRYDOCK_BIN"

# fails_naming MESSAGE PATTERN LIBRARY [INCLUDE_DIR]: check-exports fails
# and its complaint matches PATTERN (grep -E)
fails_naming() {
	local m=$1 pat=$2 lib=$3 inc=${4:-$INC} rc=0
	"$CE" "$lib" "$inc" >"$T/ce.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$m (check-exports passed)"
		sed 's/^/#   /' "$T/ce.out"
	elif ! grep -Eq -- "$pat" "$T/ce.out"; then
		fail "$m (no complaint matches '$pat')"
		sed 's/^/#   /' "$T/ce.out"
	else
		pass "$m"
	fi
}

assert_true "the library built here exports its API and nothing else" \
    "$CE" "$so" "$INC"

# lib/ as one shared object without -fvisibility=hidden (-O0: quick)
# shellcheck disable=SC2046
$CC -shared -fPIC -O0 -w -std=c11 -pthread -D_GNU_SOURCE -I"$SRC_DIR/include" \
    $(pkg-config --cflags jansson libarchive sqlite3 libcrypto yaml-0.1 2>/dev/null) \
    -o "$T/visible.so" "$SRC_DIR"/lib/*.c || bail "cannot build lib/ without hiding"
fails_naming "lib/ built without -fvisibility=hidden: fails on its internals" \
    'exports drydock_store__open_raw: an internal' "$T/visible.so"

# fake NAME OMIT C_CODE: a library that defines every function the real
# one exports, except OMIT, plus C_CODE
nm -D --defined-only "$so" | awk '{ print $3 }' >"$T/api"
fake() {
	awk -v omit="$2" '$1 != omit { printf "void %s(void) {}\n", $1 }' \
	    "$T/api" >"$T/$1.c"
	printf '%s\n' "$3" >>"$T/$1.c"
	$CC -shared -fPIC -w -o "$T/$1.so" "$T/$1.c" || bail "cannot build $1.so"
}
fake same "" ""
assert_true "a library with the same exports passes (the fakes are faithful)" \
    "$CE" "$T/same.so" "$INC"
fake internal "" "void drydock_store__peek(void) {}"
fails_naming "an exported internal fails" \
    'exports drydock_store__peek: an internal' "$T/internal.so"
fake noprefix "" "int sqldb_helper(void) { return 0; }"
fails_naming "an exported name without drydock_ fails" \
    'exports sqldb_helper: not a drydock_ name' "$T/noprefix.so"
fake undeclared "" "void drydock_store_peek(void) {}"
fails_naming "an exported drydock_ function no header declares fails" \
    'exports drydock_store_peek, which no header' "$T/undeclared.so"
fake variable "" "int drydock_counter = 1;"
fails_naming "an exported variable fails" \
    'exports drydock_counter \(nm type [DB]\)' "$T/variable.so"
fake missing drydock_error_clear ""
fails_naming "a declared function the library lacks fails" \
    'drydock_error_clear is declared DRYDOCK_EXTERN but .* does not export it' \
    "$T/missing.so"

# headers: a copy of include/drydock, changed
headers() { # DIR
	cp -r "$INC" "$T/$1"
}
headers bare
sed -i 's/^DRYDOCK_EXTERN void drydock_error_clear(void);$/void drydock_error_clear(void);/' \
    "$T/bare/errors.h"
assert_true "(the test removed DRYDOCK_EXTERN from drydock_error_clear)" \
    grep -qx 'void drydock_error_clear(void);' "$T/bare/errors.h"
fails_naming "a declaration without DRYDOCK_EXTERN fails" \
    'errors.h:[0-9]+: drydock_error_clear is declared without DRYDOCK_EXTERN' \
    "$so" "$T/bare"
headers knf
printf '%s\n' '/* x */' 'const char *' 'drydock_store_peek(' '    int x);' \
    >"$T/knf/peek.h"
fails_naming "one with its return type on a line of its own fails too" \
    'peek.h:3: drydock_store_peek is declared without DRYDOCK_EXTERN' \
    "$so" "$T/knf"
headers internal
printf '%s\n' 'DRYDOCK_EXTERN int drydock_store__peek(void);' >"$T/internal/peek.h"
fails_naming "a public header declaring an internal fails" \
    'drydock_store__peek is declared in a public header' "$so" "$T/internal"
headers inline
printf '%s\n' 'static inline int' 'drydock_store_peek(void)' '{' \
    '	return 0;' '}' >"$T/inline/peek.h"
assert_true "a static inline function in a header is not an export" \
    "$CE" "$so" "$T/inline"
finish
