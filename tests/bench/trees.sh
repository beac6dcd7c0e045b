# trees.sh --- sourced by the gc benchmarks (run.sh, sweep-bench.sh): the
# generated trees they share, and a registry config for garbage-collect.
# Needs $dir (where trees live) and $gen (the gen-tree binary).
# shellcheck shell=bash

# tree N: generate the N-repository tree (once) and print its directory
tree() {
	local n=$1 t=$dir/r$1
	if [ ! -f "$t/expect" ]; then
		rm -rf "$t"
		echo "bench: generating $n repositories in $t" >&2
		"$gen" --repos "$n" -q "$t" >"$t.expect.tmp"
		mv "$t.expect.tmp" "$t/expect"
	fi
	printf '%s\n' "$t"
}

# config ROOT: a docker-registry config for garbage-collect on ROOT
config() {
	cat <<EOC
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $1}
  delete: {enabled: true}
  maintenance:
    uploadpurging: {enabled: false}
http:
  addr: 127.0.0.1:0
EOC
}

# ratio A B: A / B as "4.9x", or "-" when A is "-" or B is 0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b > 0) printf "%.1fx", a / b; else print "-" }'; }
