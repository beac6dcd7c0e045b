#!/usr/bin/env bash
# t3030-migrate-kill --- an import killed (SIGKILL) at random points and
# rerun converges: the final root is file for file what one clean run
# writes, no temporary file is left, verify passes and docker-registry
# serves it.  A kill that lands while the run is still going must leave no
# tag whose image is incomplete (metadata is written after the blobs).
. "$(dirname "$0")/lib.sh"

"${DRYDOCK_TOOLS%/tools}/bench/gen-tree" --repos 40 -q "$T/src" >/dev/null ||
	bail "gen-tree failed"
run_migrate --link hard "registry:$T/src" "oci:$T/lay"
assert_mig_rc 0 "fixture: a 40-repository tree exported to oci:"
ntags=$(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"])] | length' "$T/lay/index.json")
assert_true "fixture: many tags ($ntags)" test "$ntags" -gt 100

run_migrate --link copy --json "$T/clean.json" "oci:$T/lay" "registry:$T/clean"
assert_mig_rc 0 "a clean import (the reference)"
# kill anywhere in the run: blobs, links or tags
ms=$(jq '.seconds * 1000 | floor + 1' "$T/clean.json")

hits=0
tries=0
dst=$T/dst
while [ "$hits" -lt 6 ] && [ "$tries" -lt 60 ]; do
	tries=$((tries + 1))
	"$MIGRATE" --link copy -q "oci:$T/lay" "registry:$dst" \
	    >/dev/null 2>"$T/kill.err" &
	pid=$!
	sleep "$(awk -v r="$RANDOM" -v ms="$ms" 'BEGIN { printf "%.3f", (r % ms) / 1000 }')"
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		hits=$((hits + 1))
		# whatever tag exists already must be complete
		rm -f "$T/kv.json"
		"$MIGRATE" verify -q --json "$T/kv.json" "oci:$T/lay" "registry:$dst" \
		    >/dev/null 2>"$T/kv.err"
		if [ ! -f "$T/kv.json" ] &&
		    [ ! -d "$(v2 "$dst")/repositories" ]; then
			# killed before it made the store: nothing to check
			diag "kill $hits after try $tries: before the store existed ($(head -n 1 "$T/kv.err"))"
			continue
		fi
		bad=$(jq '[.images[] | select(.verified == false and
		    (.verify_error | startswith("not found") | not))] | length' "$T/kv.json")
		assert_eq 0 "$bad" "kill $hits: no tag names an incomplete image"
		diag "kill $hits after try $tries: $(jq '[.images[] | select(.verified)] | length' "$T/kv.json") of $(jq '.images | length' "$T/kv.json") images complete"
	else
		wait "$pid"
		rm -rf "$dst" # finished before the kill: start over
	fi
done
assert_eq 6 "$hits" "six kills hit a running import"
run_migrate --link copy --verify --json "$T/final.json" "oci:$T/lay" "registry:$dst"
assert_mig_rc 0 "the rerun finishes"
assert_jq "$T/final.json" '.verify.ok' true "the rerun verifies"
assert_eq "" "$(find "$dst" -name '*.tmp')" "no temporary file left"
files_snapshot "$T/clean" "$T/clean.snap"
files_snapshot "$dst" "$T/dst.snap"
assert_true "file for file what a clean run writes" cmp -s "$T/clean.snap" "$T/dst.snap"
diff "$T/clean.snap" "$T/dst.snap" | head -n 5 | sed 's/^/# /'

start_registry "$dst"
n=0
while read -r ref && [ "$n" -lt 5 ]; do
	pull_ok "$ref"
	n=$((n + 1))
done < <(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' \
    "$T/lay/index.json" | shuf -n 5 --random-source=<(yes))
finish
