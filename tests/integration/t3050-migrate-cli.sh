#!/usr/bin/env bash
# t3050-migrate-cli --- drydock-migrate's command line: --help, --version,
# usage errors (16), operational errors (8: missing source, lock held by
# another run), --dry-run writing nothing, --json - on stdout with the
# summary on stderr, and SIGINT (32) followed by a rerun that converges.
. "$(dirname "$0")/lib.sh"

use_fixture migzoo "$T/f"
root=$T/f/root

run_migrate --help
assert_mig_rc 0 "--help"
assert_true "--help prints the locations" grep -q "oci-archive:FILE" "$T/mig.out"
check_man_page "$T/mig.out" "$(dirname "$0")/../../migrate/drydock-migrate.8"
run_migrate --version
assert_mig_rc 0 "--version"
assert_eq "drydock-migrate (drydock) 0.1.0" "$(cat "$T/mig.out")" "--version text"

for args in "" "registry:$root" "foo:/x oci:$T/o" "registry:$root oci:" \
    "docker-archive:$T/x.tar oci-archive:$T/y.tar" \
    "oci-archive:$T/x.tar docker-archive:$T/y.tar" \
    "--link bogus registry:$root oci:$T/o" "--bogus registry:$root oci:$T/o" \
    "verify --to-oci-types registry:$root oci:$T/o" \
    "verify registry:$root docker-archive:$T/o.tar" \
    "registry:$root registry:$root"; do
	# shellcheck disable=SC2086
	run_migrate $args
	assert_mig_rc 16 "usage error: '${args//$T/T}'"
done
assert_false "no output directory was created by a usage error" test -e "$T/o"
run_migrate "foo:/x" "oci:$T/o"
assert_true "a bad location is named" grep -q "'foo:/x': not a location" "$T/mig.err"

run_migrate "registry:$T/nosuch" "oci:$T/o"
assert_mig_rc 8 "a missing source root"
assert_true "... is named" grep -q "$T/nosuch" "$T/mig.err"

# the destination's lock, as drydock-gc takes it
mkdir -p "$T/dst"
flock "$T/dst" sleep 5 &
BG_PIDS+=($!)
sleep 0.3
run_migrate "registry:$root" "registry:$T/dst"
assert_mig_rc 8 "a destination root locked by another run"
assert_true "... says so" grep -q "another drydock run holds the lock" "$T/mig.err"
run_migrate --link copy "registry:$root" "oci:$T/lay"
assert_mig_rc 0 "an OCI layout"
flock "$T/lay" sleep 5 &
BG_PIDS+=($!)
sleep 0.3
run_migrate "registry:$root" "oci:$T/lay"
assert_mig_rc 8 "a layout locked by another run"

# --link hard where it cannot be: an operational error, said clearly
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" != "$(stat -f -c %T "$T")" ] &&
    [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/drydock-t3050.XXXXXX)
	run_migrate --link hard "registry:$root" "oci:$shm/lay"
	assert_mig_rc 8 "--link hard across filesystems"
	assert_true "... says to use copy or auto" grep -q "use --link copy or auto" "$T/mig.err"
	run_migrate --verify "registry:$root" "oci:$shm/lay"
	assert_mig_rc 0 "--link auto across filesystems copies"
	rm -rf "$shm"
fi

# a registry destination is never made inside a directory holding other things
mkdir -p "$T/home"
echo precious >"$T/home/notes.txt"
run_migrate "registry:$root" "registry:$T/home"
assert_mig_rc 8 "a non-empty directory without docker/ is refused as a registry root"
assert_true "... saying so" grep -q "holds no registry storage" "$T/mig.err"
assert_false "nothing written there" test -e "$T/home/docker"

# registry:CONFIG.yml reads the root from the registry's own config
write_registry_config "$T/config.yml" "$root"
run_migrate --json "$T/cfg.json" "registry:$T/config.yml" "oci:$T/fromcfg"
assert_mig_rc 0 "registry:config.yml as the source"
assert_jq "$T/cfg.json" '.summary.tags' 7 "... reads the configured root"
printf 'storage: [unclosed\n' >"$T/bad.yml"
run_migrate "registry:$T/bad.yml" "oci:$T/frombad"
assert_mig_rc 8 "an unreadable config.yml"

# --dry-run and --json -
run_migrate -n --json - "registry:$root" "oci:$T/dry"
assert_mig_rc 0 "--dry-run"
assert_false "--dry-run creates nothing" test -e "$T/dry"
assert_jq "$T/mig.out" '[.mode, (.images | length), ([.images[].status] | unique)]' \
    '["dry-run",9,["planned"]]' "--json - on stdout: the plan"
assert_true "the summary went to stderr" grep -q "9 image(s) would go from" "$T/mig.err"

# skopeo's oci:DIR:REF names one image of a layout: as a source it selects
# it (before: a directory named "DIR:REF", "0 image(s)" and exit 8); as a
# destination it is refused, since entries are named REPO:TAG by drydock
ref=$(jq -r '[.manifests[].annotations."org.opencontainers.image.ref.name" |
    select(. != null)][0]' "$T/lay/index.json")
assert_true "the layout has a named entry" test -n "$ref" -a "$ref" != null
run_migrate --json "$T/one.json" "oci:$T/lay:$ref" "registry:$T/one"
assert_mig_rc 0 "oci:DIR:REF as a source"
assert_jq "$T/one.json" '[.images[] | select(.status == "ok")] | length' 1 \
    "... carries exactly that image"
assert_eq "$ref" "$(jq -r '.images[0] | "\(.repository):\(.tag)"' "$T/one.json")" \
    "... the one named"
run_migrate -n "oci:$T/lay:$ref" "registry:$T/one2"
assert_mig_rc 0 "oci:DIR:REF with --dry-run"
assert_true "... plans one image" grep -q "1 image(s) would go" "$T/mig.out"
run_migrate "registry:$root" "oci-archive:$T/arch.tar"
assert_mig_rc 0 "an oci-archive to take one image from"
run_migrate --json "$T/one-a.json" "oci-archive:$T/arch.tar:$ref" \
    "registry:$T/one-a"
assert_mig_rc 0 "oci-archive:FILE:REF as a source"
assert_eq "$ref" "$(jq -r '[.images[] | "\(.repository):\(.tag)"] | join(" ")' \
    "$T/one-a.json")" "... carries exactly the image REF names"
run_migrate "oci:$T/lay:nosuch:tag" "registry:$T/one3"
assert_mig_rc 4 "oci:DIR:REF naming no image"
run_migrate "registry:$root" "oci:$T/lay2:app:1"
assert_mig_rc 16 "oci:DIR:REF as a destination"
assert_true "... says how to write it" grep -q "give oci:$T/lay2" "$T/mig.err"
assert_false "... and writes nothing" test -e "$T/lay2"

# --metrics FILE: the same textfile shape as gc and fsck, counts that match
# the JSON inventory; a path that cannot be written stops the run first
run_migrate --link copy --json "$T/m.json" --metrics "$T/mig.prom" \
    "registry:$root" "oci:$T/met"
assert_mig_rc 0 "--metrics FILE"
assert_eq "" "$(grep -v '^#' "$T/mig.prom" |
    grep -v '^drydock_migrate_[a-z_]*\({[a-z_]*="[^"]*"}\)\{0,1\} [0-9.e+-]*$')" \
    "every sample line is Prometheus text: drydock_migrate_NAME{LABELS} VALUE"
for g in last_run_timestamp_seconds duration_seconds exit_code; do
	assert_true "drydock_migrate_$g, as gc and fsck write it" \
	    grep -q "^drydock_migrate_$g " "$T/mig.prom"
done
assert_eq "$(jq '[.images[] | select(.status == "ok")] | length' "$T/m.json")" \
    "$(sed -n 's/^drydock_migrate_images{status="ok"} //p' "$T/mig.prom")" \
    "images ok in the metrics = in the inventory"
assert_true "some blobs were copied, and the metrics say so" \
    test "$(sed -n 's/^drydock_migrate_blobs{how="copied"} //p' "$T/mig.prom")" -gt 0
run_migrate --link copy --metrics "$T/nodir/m.prom" "registry:$root" "oci:$T/met2"
assert_mig_rc 8 "--metrics into a missing directory"
assert_false "... writes nothing" test -e "$T/met2"
run_migrate --link copy --json "$T" "registry:$root" "oci:$T/met3"
assert_mig_rc 8 "--json naming a directory"
assert_false "... writes nothing" test -e "$T/met3"

# SIGINT: exit 32, the report says so, a rerun converges
"${DRYDOCK_TOOLS%/tools}/bench/gen-tree" --repos 60 -q "$T/big" >/dev/null ||
	bail "gen-tree failed"
hit=0
for try in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$T/int"
	"$MIGRATE" -q --link copy --json "$T/int.json" "registry:$T/big" "oci:$T/int" \
	    >/dev/null 2>"$T/int.err" &
	pid=$!
	sleep "0.0$try"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	if [ "$rc" = 32 ]; then
		hit=1
		break
	fi
done
assert_eq 1 "$hit" "SIGINT mid-run exits 32"
assert_jq "$T/int.json" '.exit_code' 32 "the report records the interruption"
run_migrate --verify --link copy --json "$T/int2.json" "registry:$T/big" "oci:$T/int"
assert_mig_rc 0 "the rerun finishes"
assert_jq "$T/int2.json" '.verify.ok' true "and verifies"
finish
