#!/bin/sh
# check-exports.sh --- libdrydock.so exports exactly its public API: the
# functions that the headers of include/drydock/ declare with
# DRYDOCK_EXTERN (docs/conventions.md).  Fails when
#   - the library exports a symbol that is not such a function: an
#     internal (drydock_<module>__<verb>), a name without the drydock_
#     prefix, a function no public header declares, or any variable;
#   - a function declared DRYDOCK_EXTERN is not exported (not defined in
#     lib/, or hidden);
#   - a public header declares a function without DRYDOCK_EXTERN (the
#     -fvisibility=hidden build would hide it), or declares an internal.
# Prints what is wrong and exits 1; exits 0 when the two lists agree.
# Run by make lint; tests/integration/t4020-lib-exports.sh tests it.
#
#   tests/check-exports.sh [LIBRARY [INCLUDE_DIR]]
#
# LIBRARY defaults to build/plain/libdrydock.so.*.*.*, INCLUDE_DIR to
# include/drydock.  NM names nm(1).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
so=${1:-}
inc=${2:-$src/include/drydock}
nm=${NM:-nm}
if [ -z "$so" ]; then
	for f in "$src"/build/plain/libdrydock.so.*.*.*; do
		so=$f
	done
fi
if [ ! -f "$so" ]; then
	echo "check-exports: no library '$so' (make lib)" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bad() {
	echo "check-exports: $*" >&2
	echo x >>"$tmp/bad"
}

# What the headers declare.  A declaration starts at column 0; its name is
# the last word before its first '('.  "extern NAME" for those that start
# with DRYDOCK_EXTERN, "bare FILE:LINE NAME" for one that does not (a
# static inline function is defined in the header and exports nothing).
awk '
	FNR == 1 { on = 0 }
	/^(DRYDOCK_EXTERN|static)[ \t]/ {
		kind = $1; decl = ""; where = FILENAME ":" FNR; on = 1
	}
	!on && /^[A-Za-z_]/ && !/^typedef/ && /drydock_[a-z0-9_]*[ \t]*\(/ {
		kind = "bare"; decl = ""; where = FILENAME ":" FNR; on = 1
	}
	on {
		decl = decl " " $0
		if (index(decl, "(") == 0)
			next
		on = 0
		sub(/[ \t]*\(.*/, "", decl)
		n = split(decl, w, /[ \t*]+/)
		if (kind == "DRYDOCK_EXTERN")
			print "extern", w[n]
		else if (kind == "bare")
			print "bare", where, w[n]
	}
' "$inc"/*.h >"$tmp/decls"
awk '$1 == "extern" { print $2 }' "$tmp/decls" | LC_ALL=C sort >"$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
	echo "check-exports: no DRYDOCK_EXTERN declaration in $inc" >&2
	exit 1
fi
awk '$1 == "bare" { print $2, $3 }' "$tmp/decls" | while read -r where name; do
	bad "$where: $name is declared without DRYDOCK_EXTERN" \
	    "(hidden from libdrydock.so)"
done
grep -v '^drydock_[a-z][a-z0-9_]*$' "$tmp/declared" | while read -r name; do
	bad "$name is declared DRYDOCK_EXTERN: not a public name (drydock_...)"
done
grep '__' "$tmp/declared" | while read -r name; do
	bad "$name is declared in a public header: an internal belongs in lib/*_int.h"
done

# What the library exports: every defined dynamic symbol, with its nm type.
"$nm" -D --defined-only "$so" >"$tmp/nm"
awk 'NF >= 3 { print $3, $2 }' "$tmp/nm" | LC_ALL=C sort >"$tmp/exported.types"
cut -d' ' -f1 "$tmp/exported.types" >"$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
	echo "check-exports: $so exports nothing ($nm -D failed?)" >&2
	exit 1
fi
while read -r name type; do
	case $type in
	T | t | W | w | i) ;;
	*)
		bad "$so exports $name (nm type $type): libdrydock exports functions only"
		continue
		;;
	esac
	case $name in
	drydock_*__*)
		bad "$so exports $name: an internal (lib/*_int.h), not part of the API" ;;
	drydock_[a-z]*) ;;
	*)
		bad "$so exports $name: not a drydock_ name, not part of the API" ;;
	esac
done <"$tmp/exported.types"
LC_ALL=C comm -23 "$tmp/exported" "$tmp/declared" | while read -r name; do
	case $name in
	drydock_[a-z]*)
		case $name in
		*__*) ;; # said above
		*) bad "$so exports $name, which no header in $inc declares with DRYDOCK_EXTERN" ;;
		esac
		;;
	esac
done
LC_ALL=C comm -13 "$tmp/exported" "$tmp/declared" | while read -r name; do
	bad "$name is declared DRYDOCK_EXTERN but $so does not export it"
done

if [ -f "$tmp/bad" ]; then
	exit 1
fi
echo "check-exports: $(basename "$so") exports the $(wc -l <"$tmp/declared")" \
    "functions its headers declare with DRYDOCK_EXTERN, and nothing else"
