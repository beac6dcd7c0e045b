#!/usr/bin/env bash
# t2100-fsck-big-blob --- drydock-fsck's memory does not grow with a blob's
# size: a 2 GiB blob (sparse, so reading it costs no disk) is verified with
# a peak RSS under 100 MB.  Hashing a whole-file mapping made the peak RSS
# the blob's size (file-backed pages count), 2.1 GB here: a kill waiting to
# happen under a unit's memory limit.
#
# Why 2 GiB: whole-file mapping makes the RSS about the blob's size, so any
# size well above the bound tells the two apart; 2 GiB is 21 times the
# bound and crosses 2^31, where a 32-bit signed length would break.  It
# takes a second or two to hash; 5 GiB would cost twice as long and 3 GiB
# more page cache, and prove nothing more (the read buffer is the same for
# every size).  Under ASan the runtime adds its own memory (17 MB here
# against 7 MB): the bound is doubled there.
. "$(dirname "$0")/lib.sh"

PEAK=$DRYDOCK_TOOLS/peak-rss
[ -x "$PEAK" ] || bail "no peak-rss at $PEAK (make all)"

root=$T/root
V=$root/docker/registry/v2
mkdir -p "$V/repositories"
# the sha256 of 2 GiB of zero bytes (openssl dgst -sha256 of the file)
h=a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51
mkdir -p "$V/blobs/sha256/${h:0:2}/$h"
truncate -s 2147483648 "$V/blobs/sha256/${h:0:2}/$h/data"

bound=100000000
if grep -q __asan_init "$FSCK"; then
	bound=$((2 * bound))
	diag "ASan build: the bound is doubled to $bound bytes"
fi

"$PEAK" "$T/rss" "$FSCK" --json "$T/big.json" "$root" >"$T/big.out" 2>&1
rc=$?
assert_eq 0 "$rc" "a 2 GiB blob that matches its digest: exit 0"
assert_jq "$T/big.json" '[.summary.blobs_hashed, .summary.bytes_hashed]' \
    '[1,2147483648]' "all 2 GiB were hashed"
assert_jq "$T/big.json" '[.findings[] | select(.severity != "info")]
    | length' 0 "and found good"
kib=$(cat "$T/rss")
diag "peak RSS: $((kib / 1024)) MiB"
assert_true "peak RSS $((kib * 1024)) bytes < $bound" \
    test $((kib * 1024)) -lt "$bound"
finish
