#!/usr/bin/env bash
# radosgw.sh --- a real S3 server for the tests: Debian's Ceph radosgw with one
# mon and one RAM-backed (memstore) osd, every port on 127.0.0.1, all state
# under DIR, SigV4 checked against an rgw user (../shared/docs/s3-test-server.md
# has the facts behind each setting).
#
#   tests/s3/radosgw.sh start DIR [BUCKET...]  start, create the user and the
#                                              buckets; prints the environment
#                                              (S3_ENDPOINT=..., one a line)
#   tests/s3/radosgw.sh stop DIR               stop what start started
#
# RGW_TLS=1 (start): https only.  openssl makes a CA (DIR/tls/ca.pem) and a
# certificate it signed for 127.0.0.1 (subjectAltName IP:127.0.0.1), which
# beast serves on its ssl_endpoint; the environment printed then has
# S3_ENDPOINT=https://127.0.0.1:PORT and S3_CA_FILE=DIR/tls/ca.pem.  Without
# it (the default), plain http, as before.
#
# Ports are chosen free at start (mon, rgw; the osd takes 6800-7300 as Ceph
# does, on 127.0.0.1 only).  Exits 77 when radosgw is not installed
# (tests/deps.sh installs it).
set -eu

usage() {
	echo "usage: radosgw.sh start DIR [BUCKET...] | stop DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
D=$2
shift 2
C="-c $D/ceph.conf"
KEY=DRYDOCKTESTKEY
SECRET=drydock-test-secret-0123456789

free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + (RANDOM * 32768 + RANDOM + $$) % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "radosgw.sh: no free port" >&2
	exit 1
}

# make_tls DIR: DIR/ca.pem (a self-signed CA), DIR/server.pem and
# DIR/server.key (a certificate for IP 127.0.0.1 the CA signed)
make_tls() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj "/CN=drydock radosgw test CA" \
	    -keyout "$d/ca.key" -out "$d/ca.pem" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout "$d/server.key" -out "$d/server.csr" &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
	    >"$d/server.ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 \
	    -extfile "$d/server.ext" -out "$d/server.pem"
}

# wait_for SECONDS WHAT CMD...: until CMD succeeds
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "radosgw.sh: $what did not come up in ${secs}s; logs in $D/log" >&2
	exit 1
}

stop() {
	local f pid
	for f in client.rgw.a osd.0 mon.a; do
		[ -f "$D/run/$f.pid" ] || continue
		pid=$(cat "$D/run/$f.pid")
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}

case $cmd in
stop)
	stop
	exit 0
	;;
start) ;;
*) usage ;;
esac

for b in radosgw ceph-mon ceph-osd monmaptool radosgw-admin ceph; do
	command -v "$b" >/dev/null || {
		echo "radosgw.sh: $b is not installed (tests/deps.sh installs it)" >&2
		exit 77
	}
done
mkdir -p "$D"/{run,log,mon,osd,rgw,crash}
D=$(cd "$D" && pwd -P)
C="-c $D/ceph.conf"
MON_PORT=$(free_port)
RGW_PORT=$(free_port)
SCHEME=http
FRONTEND="endpoint=127.0.0.1:$RGW_PORT"
CURL_CA=()
if [ "${RGW_TLS:-0}" = 1 ]; then
	command -v openssl >/dev/null || {
		echo "radosgw.sh: RGW_TLS=1 needs openssl" >&2
		exit 77
	}
	make_tls "$D/tls" >"$D/log/tls.log" 2>&1 || {
		echo "radosgw.sh: openssl could not make the certificates;" \
		    "see $D/log/tls.log" >&2
		exit 1
	}
	SCHEME=https
	FRONTEND="ssl_endpoint=127.0.0.1:$RGW_PORT"
	FRONTEND="$FRONTEND ssl_certificate=$D/tls/server.pem"
	FRONTEND="$FRONTEND ssl_private_key=$D/tls/server.key"
	CURL_CA=(--cacert "$D/tls/ca.pem")
fi
FSID=$(cat /proc/sys/kernel/random/uuid)
# tcp_nodelay=1: beast writes a response in two segments; without it the
# second waits for the client's delayed ACK (40 ms) on every reused
# connection: a client that keeps its connections (drydock, the registry)
# would measure 40 ms a request, not the server (S3 itself has no such stall).
cat >"$D/ceph.conf" <<EOF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON_PORT
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
run_dir = $D/run
admin_socket = $D/run/\$name.asok
log_file = $D/log/\$name.log
pid_file = $D/run/\$name.pid
crash_dir = $D/crash
mon_data = $D/mon/\$id
osd_data = $D/osd/\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
auth_allow_insecure_global_id_reclaim = false
[client.rgw.a]
rgw_frontends = beast $FRONTEND tcp_nodelay=1
rgw_data = $D/rgw
EOF
# shellcheck disable=SC2086
{
	monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap"
	ceph-mon $C --mkfs -i a --monmap "$D/monmap"
	ceph-mon $C -i a
} >"$D/log/setup.log" 2>&1
# shellcheck disable=SC2086
wait_for 60 "ceph-mon" ceph $C -s
# shellcheck disable=SC2086
{
	ceph $C osd create
	mkdir -p "$D/osd/0"
	ceph-osd $C -i 0 --mkfs
	ceph $C osd crush add osd.0 1.0 root=default
	ceph-osd $C -i 0
} >>"$D/log/setup.log" 2>&1
osd_up() {
	# shellcheck disable=SC2086
	ceph $C osd stat | grep -q '1 up'
}
wait_for 60 "ceph-osd" osd_up
# shellcheck disable=SC2086
radosgw $C -n client.rgw.a >>"$D/log/setup.log" 2>&1
wait_for 90 "radosgw" curl -s "${CURL_CA[@]}" -o /dev/null \
    "$SCHEME://127.0.0.1:$RGW_PORT/"
# shellcheck disable=SC2086
radosgw-admin $C user create --uid=drydock --display-name=drydock \
    --access-key="$KEY" --secret-key="$SECRET" >>"$D/log/setup.log" 2>&1
for b in "$@"; do
	# the first request on a new pool takes a second or two
	wait_for 60 "bucket $b" curl -sSf "${CURL_CA[@]}" \
	    --aws-sigv4 "aws:amz:us-east-1:s3" \
	    --user "$KEY:$SECRET" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	    -X PUT "$SCHEME://127.0.0.1:$RGW_PORT/$b"
done
cat <<EOF
S3_ENDPOINT=$SCHEME://127.0.0.1:$RGW_PORT
S3_REGION=us-east-1
S3_ACCESS_KEY=$KEY
S3_SECRET_KEY=$SECRET
EOF
[ "$SCHEME" = http ] || echo "S3_CA_FILE=$D/tls/ca.pem"
