#!/usr/bin/env bash
# t4000-units --- the systemd units of systemd/ (as make install-systemd
# writes them, pointing at the tools under test):
#   - systemd-analyze verify passes on each, with nothing to say;
#   - systemd-analyze security rates each service's exposure under 3;
#   - what the issue asks of them: timers nightly, Persistent=true and
#     RandomizedDelaySec=; the registry's user; ProtectSystem=strict,
#     ReadWritePaths= with "-" for optional paths (gc: the root and the
#     metrics; fsck: the metrics, its root stays read-only), PrivateTmp=,
#     NoNewPrivileges=, SyslogIdentifier=; /etc/default/drydock read;
#     fsck with --state; gc with the textfile-collector metrics; no
#     [Install] in a service (only the timers are enabled, by the operator);
#   - their commands, run without systemd (tests/integration/unitexec.py
#     splits them as systemd does) with /etc/default/drydock's settings on
#     a test root: the metrics are written only when their directory
#     exists, gc's report decides the registry restart (only when blobs
#     went), fsck keeps its state; a registry before its first push passes.
# Without systemd-analyze (not a systemd host) the checks that need it are
# skipped, saying so.
. "$(dirname "$0")/lib.sh"

UNITS=(drydock-gc.service drydock-gc.timer drydock-fsck.service drydock-fsck.timer)
D=$T/inst
make -s -C "$SRC_DIR" install-systemd DESTDIR="$D" SBINDIR="$DRYDOCK_BIN" \
    SYSTEMDUNITDIR=/units SYSCONFDIR=/etc >"$T/make.log" 2>&1 ||
	{ sed 's/^/#   /' "$T/make.log"; bail "make install-systemd failed"; }
for u in "${UNITS[@]}"; do
	assert_file_present "$D/units/$u" "install-systemd: $u"
done
assert_file_present "$D/etc/default/drydock" "install-systemd: /etc/default/drydock"
assert_false "the installed units name the tools under test, not /usr/sbin" \
    grep -q /usr/sbin/drydock "$D"/units/*
U=$D/units

# --- systemd-analyze --------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# Documentation=man:drydock-*(8) must resolve
	mkdir -p "$T/man/man8"
	cp "$SRC_DIR"/gc/*.8 "$SRC_DIR"/fsck/*.8 "$T/man/man8/"
	for u in "${UNITS[@]}"; do
		MANPATH=$T/man systemd-analyze verify "$U/$u" >"$T/verify.out" 2>&1
		rc=$?
		assert_eq 0 "$rc" "systemd-analyze verify $u: exit 0"
		assert_eq "" "$(cat "$T/verify.out")" "systemd-analyze verify $u: no complaint"
	done
	for u in drydock-gc.service drydock-fsck.service; do
		systemd-analyze security --offline=true "$U/$u" >"$T/sec.out" 2>&1
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$T/sec.out")
		diag "systemd-analyze security $u: ${score:-?}"
		assert_true "$u: exposure ${score:-?} is under 3" \
		    awk -v s="${score:-99}" 'BEGIN { exit !(s < 3) }'
	done
else
	skip "systemd-analyze is not installed (not a systemd host): units not verified"
fi

# --- what the units say -------------------------------------------------------------
for t in gc fsck; do
	tm=$U/drydock-$t.timer s=$U/drydock-$t.service
	assert_true "$t timer: nightly" grep -qE '^OnCalendar=\*-\*-\* [0-9]{2}:[0-9]{2}$' "$tm"
	assert_true "$t timer: Persistent=true" grep -qx 'Persistent=true' "$tm"
	assert_true "$t timer: RandomizedDelaySec=" grep -qE '^RandomizedDelaySec=[0-9]+m$' "$tm"
	assert_true "$t timer: WantedBy=timers.target" grep -qx 'WantedBy=timers.target' "$tm"
	assert_false "$t service: no [Install] (never enabled by itself)" \
	    grep -q '^\[Install\]' "$s"
	for kv in User=docker-registry Group=docker-registry Type=oneshot \
	    ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes \
	    SyslogIdentifier=drydock-$t EnvironmentFile=-/etc/default/drydock \
	    StateDirectory=drydock; do
		assert_true "$t service: $kv" grep -qx "$kv" "$s"
	done
done
assert_true "gc service: ReadWritePaths= the root and the metrics, optional" \
    grep -qx 'ReadWritePaths=-/var/lib/docker-registry -/var/lib/prometheus/node-exporter' \
    "$U/drydock-gc.service"
assert_true "fsck service: ReadWritePaths= the metrics, optional; the root read-only" \
    grep -qx 'ReadWritePaths=-/var/lib/prometheus/node-exporter' "$U/drydock-fsck.service"
assert_true "fsck service: --state under /var/lib/drydock" \
    grep -q -- '--state /var/lib/drydock/fsck.sqlite' "$U/drydock-fsck.service"
assert_true "gc service: textfile-collector metrics" \
    grep -qx 'Environment=DRYDOCK_GC_METRICS=/var/lib/prometheus/node-exporter/drydock-gc.prom' \
    "$U/drydock-gc.service"

# --- their commands, without systemd ----------------------------------------------------
# The units' fixed paths are moved into $T; systemctl becomes a logger.
mkdir -p "$T/bin" "$T/state"
printf '#!/bin/sh\necho "$@" >>"%s/systemctl.log"\n' "$T" >"$T/bin/systemctl"
chmod +x "$T/bin/systemctl"
for u in drydock-gc.service drydock-fsck.service; do
	sed -e "s|/var/lib/drydock/|$T/state/|g" \
	    -e "s|/var/lib/prometheus/node-exporter/|$T/prom/|g" \
	    -e "s|/etc/default/drydock|$T/default|g" "$U/$u" >"$T/$u"
done
sed -e "s|/var/lib/prometheus/node-exporter/|$T/prom/|g" \
    "$D/etc/default/drydock" >"$T/default"
# the operator's setting: the test root, and gc without grace
write_registry_config "$T/config.yml" "$T/root"
sed -i -e "s|^DRYDOCK_REGISTRY_CONFIG=.*|DRYDOCK_REGISTRY_CONFIG=$T/config.yml|" \
    -e 's|^DRYDOCK_GC_OPTS=.*|DRYDOCK_GC_OPTS=--grace 0 -m|' "$T/default"

# run_unit UNIT: its ExecStartPre, ExecStart, then ExecStopPost, in the
# unit's environment; UNIT_RC is ExecStart's exit status
run_unit() {
	local u=$T/$1 key cmd env=() line
	while IFS= read -r line; do env+=("$line"); done \
	    < <(python3 "$IT_DIR/unitexec.py" "$u" env)
	UNIT_RC=
	for key in ExecStartPre ExecStart ExecStopPost; do
		while IFS= read -r line; do
			eval "cmd=($line)"
			env -i PATH="$T/bin:/usr/sbin:/usr/bin:/sbin:/bin" "${env[@]}" \
			    "${cmd[@]}" >>"$T/unit.out" 2>&1
			rc=$?
			[ "$key" = ExecStart ] && UNIT_RC=$rc
		done < <(python3 "$IT_DIR/unitexec.py" "$u" "$key")
	done
}

# a registry before its first push: both units succeed
mkdir -p "$T/root"
run_unit drydock-gc.service
assert_eq 0 "$UNIT_RC" "gc unit, root without docker/registry/v2: exit 0"
run_unit drydock-fsck.service
assert_eq 0 "$UNIT_RC" "fsck unit, root without docker/registry/v2: exit 0"

# an image pushed, then deleted: garbage for gc
start_registry "$T/root"
L=$T/layout
mkimage -s units-a -r a "$L" >/dev/null
mkimage -s units-b -r b "$L" >/dev/null
push_oci "$L" a team/app:a
push_oci "$L" b team/app:b
api_delete_manifest team/app "$(manifest_digest team/app b)"
stop_registry
age_tree "$T/root" "2 hours ago"

# no node_exporter directory: no --metrics, and the run succeeds
rm -f "$T/systemctl.log"
run_unit drydock-gc.service
assert_eq 0 "$UNIT_RC" "gc unit, no metrics directory: exit 0"
assert_file_absent "$T/prom" "gc unit: no metrics directory made"
assert_jq "$T/state/gc.json" '.summary.removed.blob > 0' true \
    "gc unit: the report in the state directory, blobs removed"
assert_eq "try-restart docker-registry.service" "$(cat "$T/systemctl.log" 2>/dev/null)" \
    "gc unit: blobs went, the registry is restarted"

# with the directory: metrics written; nothing removed, no restart
mkdir "$T/prom"
rm -f "$T/systemctl.log"
run_unit drydock-gc.service
assert_eq 0 "$UNIT_RC" "gc unit, second run: exit 0"
assert_true "gc unit: metrics written where node_exporter reads them" \
    grep -qx 'drydock_gc_exit_code 0' "$T/prom/drydock-gc.prom"
assert_file_absent "$T/systemctl.log" "gc unit: nothing removed, no restart"
sed -i 's|^DRYDOCK_GC_RESTART_REGISTRY=.*|DRYDOCK_GC_RESTART_REGISTRY=no|' "$T/default"

run_unit drydock-fsck.service
assert_eq 0 "$UNIT_RC" "fsck unit: exit 0"
assert_file_present "$T/state/fsck.sqlite" "fsck unit: --state kept"
assert_jq "$T/state/fsck.json" '.exit_code' 0 "fsck unit: its report"
assert_true "fsck unit: metrics written" \
    grep -qx 'drydock_fsck_exit_code 0' "$T/prom/drydock-fsck.prom"

start_registry "$T/root"
pull_ok team/app:a "the kept image still pulls"

finish
