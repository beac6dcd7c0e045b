# lib.sh --- shared helpers of the integration tests: the real docker-registry
# (CNCF distribution 2.8.2) on 127.0.0.1, skopeo pushes and pulls, storage
# inspection, a drydock-gc runner and TAP-ish assertions.
#
# A test script does:
#     . "$(dirname "$0")/lib.sh"
#     start_registry "$T/root"
#     ...assertions...
#     finish
#
# Environment:
#   DRYDOCK_BIN     directory holding drydock-gc (set by the Makefile)
#   DRYDOCK_TOOLS   directory of compiled test tools (set by the Makefile)
#   VALGRIND=1      run drydock-gc under valgrind (leaks and errors fail)
#   DRYDOCK_IT_CACHE  directory where fixtures are built once and shared by
#                   the scripts of one run.sh (optional)
#   KEEP=1          keep the temp dir of the test (also kept when it fails)
# shellcheck shell=bash disable=SC2034

set -u
set -o pipefail

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$IT_DIR/../.." && pwd)
MKIMAGE="$SRC_DIR/tests/tools/mkimage.sh"
: "${DRYDOCK_BIN:=$SRC_DIR/build/plain/bin}"
: "${DRYDOCK_TOOLS:=$SRC_DIR/build/plain/tests/tools}"
GC="$DRYDOCK_BIN/drydock-gc"
TEST_NAME=$(basename "$0" .sh)

MT_OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json
MT_D_MANIFEST=application/vnd.docker.distribution.manifest.v2+json
MT_D_LIST=application/vnd.docker.distribution.manifest.list.v2+json
ACCEPT="Accept: $MT_OCI_MANIFEST, $MT_OCI_INDEX, $MT_D_MANIFEST, $MT_D_LIST"
EMPTY_JSON_DIGEST=sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a

T=$(mktemp -d "${TMPDIR:-/tmp}/drydock-it.$TEST_NAME.XXXXXX")
T=$(cd "$T" && pwd -P)
# the tools' per-run log line goes to a socket of the test's (fe/syslog.c),
# not to the host's journal; nobody listens unless a test does
export DRYDOCK_TEST_SYSLOG="$T/syslog.sock"
REG_PID=""
REG_PORT=""
REG=""
REG_ROOT=""
BG_PIDS=()
MOUNTS=()
_n=0
_failed=0
_finished=0

# --- TAP-ish output -------------------------------------------------------------

diag() { printf '# %s\n' "$*"; }

pass() {
	_n=$((_n + 1))
	printf 'ok %d - %s\n' "$_n" "$*"
}

# skip REASON: a check that cannot run here, said so (counts as passed)
skip() {
	_n=$((_n + 1))
	printf 'ok %d # skip %s\n' "$_n" "$*"
}

fail() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	printf 'not ok %d - %s\n' "$_n" "$*"
}

# bail MESSAGE: the test cannot go on (setup failed)
bail() {
	printf 'Bail out! %s\n' "$*"
	_failed=$((_failed + 1))
	exit 1
}

# finish: print the plan, exit 0 when every assertion passed
finish() {
	_finished=1
	printf '1..%d\n' "$_n"
	if [ "$_failed" -ne 0 ]; then
		diag "$_failed of $_n failed; files kept in $T"
		exit 1
	fi
	exit 0
}

_cleanup() {
	local rc=$? p
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	stop_registry
	[ -z "${S3_DIR:-}" ] || "$SRC_DIR/tests/s3/radosgw.sh" stop "$S3_DIR"
	for p in "${MOUNTS[@]}"; do
		umount -l "$p" 2>/dev/null
	done
	if [ "$_finished" = 0 ] && [ "$rc" -eq 0 ]; then
		echo "Bail out! script ended without finish"
		rc=1
	fi
	if [ "$rc" -ne 0 ] || [ "$_failed" -ne 0 ] || [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		chmod -R u+rwX "$T" 2>/dev/null
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# --- assertions -----------------------------------------------------------------

assert_eq() { # EXPECTED ACTUAL MESSAGE
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "expected: $1"
		diag "     got: $2"
	fi
}

assert_ne() { # UNEXPECTED ACTUAL MESSAGE
	if [ "$1" != "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "did not expect: $1"
	fi
}

assert_true() { # MESSAGE COMMAND...
	local m=$1
	shift
	if "$@"; then pass "$m"; else fail "$m"; diag "false: $*"; fi
}

assert_false() { # MESSAGE COMMAND...
	local m=$1
	shift
	if "$@"; then fail "$m"; diag "true: $*"; else pass "$m"; fi
}

assert_file_present() { # PATH [MESSAGE]
	if [ -e "$1" ] || [ -L "$1" ]; then
		pass "${2:-present: ${1#"$T"/}}"
	else
		fail "${2:-present: ${1#"$T"/}}"
		diag "missing: $1"
	fi
}

assert_file_absent() { # PATH [MESSAGE]
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "${2:-absent: ${1#"$T"/}}"
		diag "still there: $1"
	else
		pass "${2:-absent: ${1#"$T"/}}"
	fi
}

# assert_same_lines EXPECTED_FILE ACTUAL_FILE MESSAGE: same sorted lines
assert_same_lines() {
	local d
	if d=$(diff <(sort -u "$1") <(sort -u "$2")); then
		pass "$3"
	else
		fail "$3"
		printf '%s\n' "$d" | head -n 20 | sed 's/^/#   /'
	fi
}

# assert_rc EXPECTED MESSAGE: compare with $GC_RC of the last run_gc
assert_rc() {
	if [ "$GC_RC" = "$1" ]; then
		pass "$2 (exit $GC_RC)"
	else
		fail "$2"
		diag "expected exit $1, got $GC_RC; stderr:"
		head -n 20 "$T/gc.err" | sed 's/^/#   /'
	fi
}

# assert_jq FILE FILTER EXPECTED MESSAGE: jq -c output of FILTER equals
assert_jq() {
	local got
	got=$(jq -c "$2" "$1" 2>&1)
	assert_eq "$3" "$got" "$4"
}

# --- registry ---------------------------------------------------------------------

_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# the registry answers /v2/: {} when open, 401 behind REG_AUTH
_registry_ready() {
	local code
	if [ -n "${REG_TLS:-}" ]; then
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    --cacert "$REG_TLS/ca.crt" "https://127.0.0.1:$REG_PORT/v2/")
	else
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$REG_PORT/v2/")
	fi
	[ "$code" = 200 ] || { [ -n "${REG_AUTH:-}" ] && [ "$code" = 401 ]; }
}

# make_tls DIR: a CA (DIR/ca.crt) and a certificate for 127.0.0.1 and
# localhost it signed (DIR/server.crt, DIR/server.key), made with openssl
make_tls() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj "/CN=drydock test CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
	    2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/san.ext" \
	    -out "$d/server.crt" 2>/dev/null
}

# start_registry ROOT: run docker-registry on ROOT (created if missing) on a
# free loopback port kept for the whole test; sets REG=127.0.0.1:PORT.
# REG_CACHE=inmemory turns on the blob descriptor cache.  REG_USER=NAME
# runs it as that user and its primary group, without supplementary groups
# (as Debian's package runs it): a ROOT created here is given to it, an
# existing one is left as it is (give_root does that), so that a test sees
# what the tools left behind.  REG_TLS=DIR (make_tls) serves https;
# REG_AUTH adds its lines (an auth: section) to the configuration.
start_registry() {
	local root=$1 try i run=()
	if [ -n "${REG_USER:-}" ]; then
		[ -d "$root" ] || { mkdir -p "$root" && give_root "$root"; }
		# the user must reach ROOT and read the config below $T
		chmod o+x "$T"
		run=(setpriv --reuid="$(id -u "$REG_USER")" \
		    --regid="$(id -g "$REG_USER")" --clear-groups)
	fi
	mkdir -p "$root"
	root=$(cd "$root" && pwd -P)
	[ -z "$REG_PID" ] || stop_registry
	for try in 1 2 3 4 5 6 7 8; do
		if [ -z "$REG_PORT" ] || [ "$try" -gt 1 ]; then
			REG_PORT=$((20000 + (RANDOM * 32768 + RANDOM + $$) % 40000))
			_port_busy "$REG_PORT" && continue
		fi
		{
			echo "version: 0.1"
			echo "log: {level: info, formatter: text, accesslog: {disabled: true}}"
			echo "storage:"
			if [ -n "${REG_S3_BUCKET:-}" ]; then
				echo "  s3: {region: $S3_REGION, regionendpoint: $S3_ENDPOINT,"
				echo "       bucket: $REG_S3_BUCKET, accesskey: $S3_ACCESS_KEY,"
				echo "       secretkey: $S3_SECRET_KEY, secure: false, v4auth: true,"
				echo "       rootdirectory: ${REG_S3_ROOTDIR:-/}}"
				echo "  redirect: {disable: true}"
			else
				echo "  filesystem: {rootdirectory: $root}"
			fi
			echo "  delete: {enabled: true}"
			echo "  maintenance:"
			echo "    uploadpurging: {enabled: false}"
			[ -n "${REG_CACHE:-}" ] &&
				echo "  cache: {blobdescriptor: $REG_CACHE}"
			echo "http:"
			echo "  addr: 127.0.0.1:$REG_PORT"
			echo "  secret: drydock-integration-tests"
			[ -n "${REG_TLS:-}" ] &&
				echo "  tls: {certificate: $REG_TLS/server.crt, key: $REG_TLS/server.key}"
			echo "health: {storagedriver: {enabled: false}}"
			[ -n "${REG_AUTH:-}" ] && printf '%s\n' "$REG_AUTH"
		} >"$T/registry.yml"
		echo "=== serve $root on $REG_PORT" >>"$T/registry.log"
		: >"$T/registry.cur.log"
		# aws-sdk-go panics on an AWS_CA_BUNDLE it cannot load
		"${run[@]}" env -u AWS_CA_BUNDLE docker-registry serve \
		    "$T/registry.yml" >"$T/registry.cur.log" 2>&1 &
		REG_PID=$!
		for ((i = 0; i < 200; i++)); do
			if ! kill -0 "$REG_PID" 2>/dev/null; then
				break
			fi
			if grep -q 'listening on' "$T/registry.cur.log" &&
			    _registry_ready; then
				REG="127.0.0.1:$REG_PORT"
				REG_ROOT=$root
				return 0
			fi
			sleep 0.05
		done
		cat "$T/registry.cur.log" >>"$T/registry.log"
		kill -9 "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		REG_PID=""
		grep -q 'address already in use' "$T/registry.cur.log" || break
	done
	REG_ROOT=$root
	diag "registry log tail:"
	tail -n 5 "$T/registry.log" | cut -c1-300 | sed 's/^/#   /'
	bail "docker-registry did not start on $root"
}

# registry_user: the user docker-registry runs as on Debian (its package
# makes it), else nobody
registry_user() {
	if getent passwd docker-registry >/dev/null; then
		echo docker-registry
	else
		echo nobody
	fi
}

# give_root ROOT: ROOT and everything in it belong to $REG_USER and its
# primary group, as the package sets up /var/lib/docker-registry
give_root() {
	chown -R "$(id -u "$REG_USER"):$(id -g "$REG_USER")" "$1" ||
		bail "chown of $1 to $REG_USER"
}

# not_registry_owned ROOT: every path below ROOT whose owner or group is
# not $REG_USER's, with its owner (empty when all are the registry's)
not_registry_owned() {
	find "$1" \( ! -uid "$(id -u "$REG_USER")" -o ! -gid "$(id -g "$REG_USER")" \) \
	    -printf '%u:%g %M %P\n' | LC_ALL=C sort
}

# as_registry_user CMD...: run CMD as $REG_USER (what the registry may do)
as_registry_user() {
	setpriv --reuid="$(id -u "$REG_USER")" --regid="$(id -g "$REG_USER")" \
	    --clear-groups "$@"
}

stop_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
		cat "$T/registry.cur.log" >>"$T/registry.log" 2>/dev/null
		REG_PID=""
	fi
	REG=""
}

restart_registry() { # [ROOT] (default: the current one)
	local root=${1:-$REG_ROOT}
	stop_registry
	start_registry "$root"
}

# start_proxy ARGS...: regproxy.py (its rules in ARGS) before the registry,
# in place of one started before; sets PROXY (HOST:PORT) and PROXY_STORAGE
# (the address of its second listener, the blob storage of --redirect)
start_proxy() {
	local i
	[ -n "${PROXY_PID:-}" ] && { kill "$PROXY_PID"; wait "$PROXY_PID"; } 2>/dev/null
	: >"$T/proxy.out"
	python3 "$IT_DIR/regproxy.py" --listen 0 --upstream "${PROXY_UPSTREAM:-$REG}" \
	    --log "$T/proxy.log" "$@" >"$T/proxy.out" 2>&1 &
	PROXY_PID=$!
	BG_PIDS+=("$PROXY_PID")
	for ((i = 0; i < 100; i++)); do
		if grep -q listening "$T/proxy.out"; then
			PROXY=127.0.0.1:$(awk '$1 == "listening" {print $2}' "$T/proxy.out")
			PROXY_STORAGE=$(awk '$1 == "storage" {print $2}' "$T/proxy.out")
			return
		fi
		sleep 0.05
	done
	bail "regproxy.py did not start: $(cat "$T/proxy.out")"
}

# start_s3_proxy [RULE...]: start_proxy in front of the S3 server (start_s3),
# the Host header kept for SigV4; PROXY is its endpoint (http://HOST:PORT)
start_s3_proxy() {
	PROXY_UPSTREAM=${S3_ENDPOINT#http://} start_proxy --keep-host "$@"
	PROXY=http://$PROXY
}

# peers_only: this script tests the peers and the test bed, not drydock's
# code: once, with the plain build (the sanitizer build would only repeat it)
peers_only() {
	if [ "${DRYDOCK_VARIANT:-plain}" != plain ] &&
	    [ "${DRYDOCK_VARIANT:-plain}" != dev ]; then
		skip "tests no drydock code: run with the plain build only"
		finish
	fi
}

# schema_ok TOOL REPORT...: each report validates against
# docs/schemas/TOOL.report.schema.json; violations in $T/schema.err.
# Debian's python3-jsonschema first: another python3 on the PATH may lack it.
schema_ok() {
	local tool=$1 py=python3
	shift
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null && py=/usr/bin/python3
	"$py" -c 'import jsonschema' 2>/dev/null ||
		bail "python3-jsonschema is not installed (tests/deps.sh)"
	"$py" "$SRC_DIR/tests/tools/check-schema.py" \
	    "$SRC_DIR/docs/schemas/$tool.report.schema.json" "$@" \
	    2>"$T/schema.err"
}

# assert_schema TOOL REPORT...: schema_ok, as a check
assert_schema() {
	local tool=$1
	shift
	if schema_ok "$tool" "$@"; then
		pass "$tool: $# report(s) follow docs/schemas/$tool.report.schema.json"
	else
		fail "$tool: reports follow docs/schemas/$tool.report.schema.json"
		head -n 10 "$T/schema.err" | sed 's/^/#   /'
	fi
}

# start_s3 [BUCKET...]: a real S3 server (tests/s3/radosgw.sh: Ceph radosgw on
# 127.0.0.1) with the buckets, for this script; S3_ENDPOINT, S3_REGION,
# S3_ACCESS_KEY and S3_SECRET_KEY name it.  Skips the script (exit 0 with a
# reason) where radosgw is not installed.
start_s3() {
	local rc try
	# one radosgw start at a time on this host: two clusters starting
	# together raced for the ports each had found free (run.sh runs two
	# scripts); once up, its ports are its own and the next may start
	exec 9>"${TMPDIR:-/tmp}/drydock-radosgw.lock"
	flock -w 900 9 || bail "cannot lock ${TMPDIR:-/tmp}/drydock-radosgw.lock"
	S3_DIR=$T/rgw
	# (its daemons must not inherit the lock: 9>&-); a port another
	# script's server took meanwhile fails a start: once more, on others
	for try in 1 2 3; do
		"$SRC_DIR/tests/s3/radosgw.sh" start "$S3_DIR" "$@" \
		    >"$T/s3.env" 2>"$T/s3.err" 9>&-
		rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 77 ] && break
		"$SRC_DIR/tests/s3/radosgw.sh" stop "$S3_DIR" 9>&-
		mv "$S3_DIR" "$S3_DIR.failed.$try"
	done
	if [ "$rc" = 77 ]; then
		skip "radosgw is not installed (tests/deps.sh installs it)"
		finish
	fi
	exec 9>&-
	[ "$rc" = 0 ] || bail "radosgw did not start: $(cat "$T/s3.err")"
	set -a
	# shellcheck disable=SC1091
	. "$T/s3.env"
	set +a
}

# start_s3_registry: start_s3 with a bucket "registry", and docker-registry
# with its s3 driver on it below rootdirectory /reg; CFG is its config.yml,
# S3TOOL the s3tool, v2 the key prefix of its docker/registry/v2
start_s3_registry() {
	start_s3 registry
	REG_S3_BUCKET=registry REG_S3_ROOTDIR=/reg start_registry "$T/unused"
	CFG=$T/registry.yml
	S3TOOL=$DRYDOCK_TOOLS/s3tool
	v2=reg/docker/registry/v2
}

# s3cfg FILE ROOTDIR [BUCKET]: a registry config.yml naming a bucket of the
# S3 server (start_s3; default "registry") below that rootdirectory, as
# drydock reads it (registry:FILE)
s3cfg() {
	cat >"$1" <<EOF
version: 0.1
storage:
  s3:
    region: $S3_REGION
    regionendpoint: $S3_ENDPOINT
    bucket: ${3:-registry}
    accesskey: $S3_ACCESS_KEY
    secretkey: $S3_SECRET_KEY
    secure: false
    rootdirectory: $2
  redirect: {disable: true}
http: {addr: 127.0.0.1:5000}
EOF
}

# serve_s3 ROOTDIR [BUCKET]: docker-registry with its s3 driver on that
# rootdirectory of the bucket (start_registry; REG names it)
serve_s3() {
	REG_S3_BUCKET=${2:-registry} REG_S3_ROOTDIR=$1 start_registry "$T/unused"
}

# s3 METHOD PATH [CURL ARGS...]: a SigV4-signed request to the S3 server
s3() {
	local m=$1 path=$2
	shift 2
	curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" \
	    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
	    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X "$m" "$@" \
	    "$S3_ENDPOINT/$path"
}

# s3_keys BUCKET [PREFIX]: every key under PREFIX, sorted (ListObjectsV2,
# paged; the query sorted by name, as curl signs it as it is)
s3_keys() {
	local b=$1 prefix=${2:-} token="" out
	while :; do
		out=$(s3 GET "$b?${token:+continuation-token=$(jq -rn --arg t "$token" '$t|@uri')&}list-type=2&prefix=$(jq -rn --arg p "$prefix" \
		    '$p|@uri')")
		grep -o '<Key>[^<]*</Key>' <<<"$out" | sed 's/<[^>]*>//g'
		grep -q '<IsTruncated>true</IsTruncated>' <<<"$out" || break
		token=$(grep -o '<NextContinuationToken>[^<]*' <<<"$out" |
		    sed 's/.*>//')
	done | LC_ALL=C sort
}

# write_registry_config FILE ROOT: a config.yml as an operator would have it
write_registry_config() {
	cat >"$1" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:5000
EOF
}

# --- building and pushing images --------------------------------------------------

# mkimage ARGS...: tests/tools/mkimage.sh, bails on failure, prints the digest
mkimage() {
	"$MKIMAGE" "$@" || bail "mkimage $* failed"
}

_skopeo_push() {
	if ! skopeo copy -q --retry-times 2 --dest-tls-verify=false "$@" \
	    >>"$T/skopeo.log" 2>&1; then
		tail -n 5 "$T/skopeo.log" | sed 's/^/#   /'
		return 1
	fi
}

# push_oci LAYOUT REF REPO:TAG: push with skopeo, OCI media types kept
push_oci() {
	_skopeo_push --all "oci:$1:$2" "docker://$REG/$3" ||
		bail "skopeo push of $1:$2 to $3 failed"
}

# push_docker LAYOUT REF REPO:TAG: push with skopeo, converted to Docker
# schema2 (an index becomes a Docker manifest list)
push_docker() {
	_skopeo_push --all --format v2s2 "oci:$1:$2" "docker://$REG/$3" ||
		bail "skopeo push (v2s2) of $1:$2 to $3 failed"
}

# push_blob REPO FILE: monolithic upload with curl; prints the digest
push_blob() {
	local d loc code
	d="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
	loc=$(curl -s -o /dev/null -D - -X POST \
	    "http://$REG/v2/$1/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[ -n "$loc" ] || bail "blob upload POST to $1 failed"
	case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
	case "$loc" in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$2" "$loc")
	[ "$code" = 201 ] || bail "blob upload PUT of $d to $1 answered $code"
	echo "$d"
}

# push_manifest REPO REF FILE MEDIATYPE: PUT a manifest (REF a tag or digest)
push_manifest() {
	local code
	code=$(curl -s -o "$T/put.out" -w '%{http_code}' -X PUT \
	    -H "Content-Type: $4" --data-binary "@$3" \
	    "http://$REG/v2/$1/manifests/$2")
	[ "$code" = 201 ] ||
		bail "manifest PUT $1:$2 answered $code: $(head -c 300 "$T/put.out")"
}

# push_layout_curl LAYOUT REF REPO [TAG]: push an entry of an OCI layout with
# curl only (blobs, children, then the manifest by digest, then the tag).
# Used for artifacts with a subject, which must go by digest.
push_layout_curl() {
	local layout=$1 ref=$2 repo=$3 tag=${4:-} d t
	d=$("$MKIMAGE" --digest "$layout" "$ref") || bail "no $ref in $layout"
	t=$(jq -r --arg d "$d" '.manifests[] | select(.digest == $d)
	    | .mediaType' "$layout/index.json" | head -n 1)
	_push_tree "$layout" "$d" "$t" "$repo"
	[ -z "$tag" ] || push_manifest "$repo" "$tag" \
	    "$layout/blobs/sha256/${d#sha256:}" "$t"
}

_push_tree() { # LAYOUT DIGEST MEDIATYPE REPO
	local f=$1/blobs/sha256/${2#sha256:} c ct b
	if jq -e '.manifests' "$f" >/dev/null; then
		while read -r c ct; do
			_push_tree "$1" "$c" "$ct" "$4"
		done < <(jq -r '.manifests[] | "\(.digest) \(.mediaType)"' "$f")
	else
		for b in $(jq -r '.config.digest, .layers[].digest' "$f"); do
			push_blob "$4" "$1/blobs/sha256/${b#sha256:}" >/dev/null
		done
	fi
	push_manifest "$4" "$2" "$f" "$3"
}

# --- registry API -----------------------------------------------------------------

# manifest_digest REPO REF: Docker-Content-Digest of a tag or digest
manifest_digest() {
	curl -s -I -H "$ACCEPT" "http://$REG/v2/$1/manifests/$2" |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

# manifest_desc REPO REF: MEDIATYPE@DIGEST@SIZE (for mkimage --subject)
manifest_desc() {
	curl -s -o "$T/desc.body" -D "$T/desc.hdr" -H "$ACCEPT" \
	    "http://$REG/v2/$1/manifests/$2" || bail "GET manifest $1:$2"
	printf '%s@%s@%s\n' \
	    "$(tr -d '\r' <"$T/desc.hdr" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')" \
	    "$(tr -d '\r' <"$T/desc.hdr" |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')" \
	    "$(stat -c %s "$T/desc.body")"
}

# image_blobs REPO REF: every digest the image needs, from the registry
# (the manifest, children of an index, configs, layers), sorted
image_blobs() {
	_image_blobs "$1" "$2" | sort -u
}

_image_blobs() {
	local body c
	body=$(curl -sf -H "$ACCEPT" "http://$REG/v2/$1/manifests/$2") ||
		bail "GET manifest $1:$2 failed"
	case "$2" in
	sha256:*) echo "$2" ;;
	*) manifest_digest "$1" "$2" ;;
	esac
	if jq -e '.manifests' >/dev/null <<<"$body"; then
		for c in $(jq -r '.manifests[].digest' <<<"$body"); do
			_image_blobs "$1" "$c"
		done
	else
		jq -r '.config.digest, .layers[].digest' <<<"$body"
	fi
}

# api_delete_manifest REPO DIGEST
api_delete_manifest() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "$ACCEPT" \
	    "http://$REG/v2/$1/manifests/$2")
	[ "$code" = 202 ] || bail "DELETE $1@$2 answered $code"
}

# start_upload REPO [BYTES]: POST + one PATCH, never finished; prints the
# upload id
start_upload() {
	local loc id code
	loc=$(curl -s -o /dev/null -D - -X POST \
	    "http://$REG/v2/$1/blobs/uploads/" | tr -d '\r' |
		sed -n 's/^[Ll]ocation: //p')
	[ -n "$loc" ] || bail "upload POST to $1 failed"
	case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
	id=${loc##*/uploads/}
	id=${id%%\?*}
	head -c "${2:-1000}" /dev/zero | tr '\0' 'x' >"$T/upload.part"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$T/upload.part" "$loc")
	[ "$code" = 202 ] || bail "upload PATCH to $1 answered $code"
	echo "$id"
}

# age_upload ROOT REPO ID [WHEN]: make an upload look started long ago
age_upload() {
	local d when=${4:-2000-01-02T03:04:05Z}
	d=$(v2 "$1")/repositories/$2/_uploads/$3
	[ -d "$d" ] || bail "no upload $3 in $2"
	printf '%s' "$when" >"$d/startedat"
	find "$d" -exec touch -h -d "$when" {} +
}

# --- pulling ---------------------------------------------------------------------

# pull REF: skopeo copy --all of REPO:TAG or REPO@DIGEST into a throwaway
# dir: (no conversion); every digest is verified, any missing blob fails
pull() {
	local dst
	dst=$(mktemp -d "$T/pull.XXXXXX")
	skopeo copy -q --all --src-tls-verify=false "docker://$REG/$1" \
	    "dir:$dst" >"$dst.log" 2>&1
	local rc=$?
	rm -rf "$dst"
	return $rc
}

pull_ok() { # REF [MESSAGE]
	if pull "$1"; then
		pass "${2:-pulls: $1}"
	else
		fail "${2:-pulls: $1}"
		tail -n 3 "$T"/pull.*.log 2>/dev/null | grep -v '^$' | tail -n 3 |
			sed 's/^/#   /'
	fi
	rm -f "$T"/pull.*.log
}

pull_fails() { # REF [MESSAGE]
	if pull "$1"; then
		fail "${2:-does not pull: $1}"
	else
		pass "${2:-does not pull: $1}"
	fi
	rm -f "$T"/pull.*.log
}

# --- the storage ------------------------------------------------------------------

v2() { printf '%s/docker/registry/v2\n' "$1"; }

blob_dir() { # ROOT DIGEST
	local h=${2#sha256:}
	printf '%s/blobs/sha256/%s/%s\n' "$(v2 "$1")" "${h:0:2}" "$h"
}

blob_exists() { # ROOT DIGEST
	[ -f "$(blob_dir "$1" "$2")/data" ]
}

count_blobs() { # ROOT
	find "$(v2 "$1")/blobs" -name data -type f 2>/dev/null | wc -l
}

# list_blobs ROOT: every blob digest on disk
list_blobs() {
	find "$(v2 "$1")/blobs" -name data -type f 2>/dev/null |
		sed -n 's|.*/blobs/sha256/../\([0-9a-f]\{64\}\)/data$|sha256:\1|p' |
		sort
}

# layer_links ROOT: "repo digest" of every _layers link
layer_links() {
	local v
	v=$(v2 "$1")
	find "$v/repositories" -path '*/_layers/sha256/*/link' 2>/dev/null |
		sed -n "s|^$v/repositories/\(.*\)/_layers/sha256/\([0-9a-f]*\)/link\$|\1 sha256:\2|p" |
		sort
}

# snapshot ROOT FILE: names, sizes, mtimes, modes and content hashes of the
# whole tree (for "nothing changed")
snapshot() {
	(
		cd "$1" || exit 1
		find . -printf '%p %s %T@ %m %y\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
		find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
	) >"$2"
}

# content_snapshot ROOT FILE: names, types and content, no times (for "same
# final tree"); files_snapshot ROOT FILE: the same without directories
content_snapshot() {
	(
		cd "$1" || exit 1
		find . -printf '%p %y\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
	) >"$2"
}

files_snapshot() {
	(
		cd "$1" || exit 1
		find . ! -type d -printf '%p %y\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
	) >"$2"
}

# age_tree ROOT WHEN: set every mtime in the tree to WHEN (e.g. "2 hours ago")
age_tree() {
	find "$1" -exec touch -h -d "$2" {} +
}

# --- drydock-gc --------------------------------------------------------------------

# run_gc ARGS...: drydock-gc, stdout in $T/gc.out, stderr in $T/gc.err, exit
# code in GC_RC; under VALGRIND=1 inside valgrind (an error or a definite
# leak exits 99)
run_gc() {
	[ -x "$GC" ] || bail "no drydock-gc at $GC (build it: make all)"
	if [ "${VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		    --error-exitcode=99 --suppressions="$SRC_DIR/tests/valgrind.supp" \
		    "$GC" "$@" >"$T/gc.out" 2>"$T/gc.err"
	else
		"$GC" "$@" >"$T/gc.out" 2>"$T/gc.err"
	fi
	GC_RC=$?
	cat "$T/gc.err" >>"$T/gc.all.err"
	return 0
}

# syslog_listen: collect the datagrams sent to $DRYDOCK_TEST_SYSLOG, one a
# line, in $T/syslog.log (until the test ends)
syslog_listen() {
	rm -f "$DRYDOCK_TEST_SYSLOG" "$T/syslog.log"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
while True:
    d = s.recv(65536)
    with open(sys.argv[2], "ab") as f:
        f.write(d + b"\n")
' "$DRYDOCK_TEST_SYSLOG" "$T/syslog.log" &
	BG_PIDS+=($!)
	for _ in $(seq 50); do
		[ -S "$DRYDOCK_TEST_SYSLOG" ] && [ -f "$T/syslog.log" ] && return 0
		sleep 0.1
	done
	bail "the syslog listener did not start"
}

# syslog_wait N: wait until $T/syslog.log has N lines
syslog_wait() {
	for _ in $(seq 50); do
		[ "$(wc -l <"$T/syslog.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 0
}

# need_test_hooks: bail unless drydock-gc was built with its test hooks
# (DRYDOCK_GC_TEST_*: TEST_HOOKS=1, which DEVELOPER=1 implies)
need_test_hooks() {
	grep -qa DRYDOCK_GC_TEST_ABORT_AFTER "$GC" ||
		bail "$GC has no test hooks: build with make DEVELOPER=1 (or TEST_HOOKS=1)"
}

# gc_paused PHASE ARGS...: drydock-gc ARGS in the background, stopped at
# PHASE (DRYDOCK_GC_TEST_PAUSE: recheck, sweep, tag, aside; see gc/gc.h)
# until gc_resume or gc_kill; its pid in GC_PID
gc_paused() {
	local phase=$1
	shift
	rm -f "$T/pause"
	DRYDOCK_GC_TEST_PAUSE="$phase:$T/pause" "$GC" "$@" \
	    >"$T/gc.out" 2>"$T/gc.err" &
	GC_PID=$!
	BG_PIDS+=("$GC_PID")
	for _ in $(seq 300); do
		[ -e "$T/pause" ] && return 0
		kill -0 "$GC_PID" 2>/dev/null ||
			bail "gc ended before $phase: $(cat "$T/gc.err")"
		sleep 0.1
	done
	bail "gc never reached $phase"
}

# gc_resume: the paused drydock-gc goes on; its exit code in GC_RC
gc_resume() {
	rm -f "$T/pause"
	for _ in $(seq 600); do
		kill -0 "$GC_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$GC_PID" 2>/dev/null && bail "gc did not finish"
	wait "$GC_PID"
	GC_RC=$?
	cat "$T/gc.err" >>"$T/gc.all.err"
}

# gc_kill: SIGKILL for the drydock-gc of gc_paused, wherever it is
gc_kill() {
	kill -9 "$GC_PID" 2>/dev/null
	wait "$GC_PID" 2>/dev/null
	rm -f "$T/pause"
}

# ci_app_store ROOT LAYOUT SEED: a fresh registry on ROOT holding ci/app:
# ci-1 (M1, layers of its own), ci-2 (M2) and stable (sharing M2's base
# layer), all 30 days old; images built from SEED into LAYOUT
ci_app_store() {
	stop_registry
	rm -rf "$1"
	start_registry "$1"
	mkimage -s "$3-m1" -r m1 "$2" >/dev/null
	mkimage -s "$3-m2" -b "$3-base" -r m2 "$2" >/dev/null
	mkimage -s "$3-ms" -b "$3-base" -r ms "$2" >/dev/null
	push_oci "$2" m1 ci/app:ci-1
	push_oci "$2" m2 ci/app:ci-2
	push_oci "$2" ms ci/app:stable
	M1=$(manifest_digest ci/app ci-1)
	M2=$(manifest_digest ci/app ci-2)
	age_tree "$1" "30 days ago"
}

# tags_served REPO: the tags /v2/REPO/tags/list names that a GET of the
# manifest does not answer with 200 (none: every listed tag pulls), a line
# each; "tags/list: CODE" when the listing itself fails
tags_served() {
	local t code
	code=$(curl -s -o "$T/tags.json" -w '%{http_code}' \
	    "http://$REG/v2/$1/tags/list")
	[ "$code" = 200 ] || { echo "tags/list: $code"; return; }
	for t in $(jq -r '.tags // [] | .[]' "$T/tags.json"); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "$ACCEPT" \
		    "http://$REG/v2/$1/manifests/$t")
		[ "$code" = 200 ] || echo "$t $code"
	done
}

# tags_of REPO: the tags /v2/REPO/tags/list names, sorted, on one line
tags_of() {
	curl -s "http://$REG/v2/$1/tags/list" | jq -r '.tags // [] | sort | join(" ")'
}

# linked ROOT REPO: every digest REPO links (_layers and revisions), sorted
linked() {
	find "$(v2 "$1")/repositories/$2/_layers" \
	    "$(v2 "$1")/repositories/$2/_manifests/revisions" \
	    -path "*/repositories/$2/_*/sha256/*/link" 2>/dev/null |
		sed -n 's|.*/sha256/\([0-9a-f]\{64\}\)/link$|sha256:\1|p' |
		sort -u
}

# check_man_page HELP_OUTPUT MAN: every long option --help printed (in the
# file HELP_OUTPUT) is in the man page MAN, and MAN renders without warnings
check_man_page() {
	local help=$1 man=$2 o missing=""
	for o in $(grep -o -- '--[a-z][a-z-]*' "$help" | sort -u); do
		grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$man" ||
			missing="$missing $o"
	done
	assert_eq "" "$missing" "every long option of --help is in the man page"
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$man" >/dev/null 2>"$T/man.warn"
		assert_eq "" "$(cat "$T/man.warn")" \
		    "the man page renders without warnings"
	fi
}

# removed_of REPORT KIND: the "removed" entries of one kind, one JSON a line
removed_of() {
	jq -c --arg k "$2" '.removed[] | select(.kind == $k)' "$1"
}

# report_blobs REPORT: digests of removed blobs, sorted
report_blobs() {
	jq -r '.removed[] | select(.kind == "blob") | .digest' "$1" | sort
}

# report_items REPORT: "kind path reason" of every removed item, sorted
report_items() {
	jq -r '.removed[] | "\(.kind) \(.path) \(.reason)"' "$1" | sort
}

# check_report_consistent REPORT LABEL: summary counts match the list, each
# item appears once, paths are relative
check_report_consistent() {
	local r=$1 l=$2 k
	assert_jq "$r" '.schema_version' 1 "$l: schema_version 1"
	assert_jq "$r" '.tool' '"drydock-gc"' "$l: tool"
	for k in blob layer-link revision tag-history upload repository tag; do
		assert_eq "$(removed_of "$r" "$k" | wc -l)" \
		    "$(jq --arg k "$k" '.summary.removed[$k]' "$r")" \
		    "$l: summary.removed.$k matches the list"
	done
	assert_jq "$r" '[.removed[].path] | length == (unique | length)' true \
	    "$l: every removed path appears once"
	assert_jq "$r" '[.removed[].path | select(startswith("/")
	    or startswith("docker/") or (split("/") | any(. == ".." or
	    . == "." or . == "")))] | length' 0 \
	    "$l: paths are relative to docker/registry/v2"
	assert_jq "$r" '(.problems | length) == (.problems | unique | length)' \
	    true "$l: every problem is reported once"
	assert_jq "$r" '.summary.problems == (.problems | length)' true \
	    "$l: summary.problems matches the list"
	assert_jq "$r" '.summary.removed_bytes ==
	    ([.removed[] | select(.kind == "blob") | .size] | add // 0)
	    or .summary.removed_bytes >=
	    ([.removed[] | select(.kind == "blob") | .size] | add // 0)' true \
	    "$l: removed_bytes covers the removed blobs"
}

# --- fixtures ---------------------------------------------------------------------

# use_fixture NAME DEST: copy the fixture NAME (built by build_fixture_NAME
# DIR, once per run.sh when DRYDOCK_IT_CACHE is set) to DEST
use_fixture() {
	local name=$1 dest=$2 dir
	if [ -n "${DRYDOCK_IT_CACHE:-}" ]; then
		dir=$DRYDOCK_IT_CACHE/$name
		(
			flock 9
			if [ ! -f "$dir/.done" ]; then
				rm -rf "$dir"
				mkdir -p "$dir"
				"build_fixture_$name" "$dir" >&2 || exit 1
				touch "$dir/.done"
			fi
		) 9>"$DRYDOCK_IT_CACHE/$name.lock" || bail "fixture $name"
	else
		dir=$T/fixture-$name
		if [ ! -f "$dir/.done" ]; then
			mkdir -p "$dir"
			"build_fixture_$name" "$dir" || bail "fixture $name"
			touch "$dir/.done"
		fi
	fi
	rm -rf "$dest"
	cp -a "$dir" "$dest" || bail "copy of fixture $name"
	rm -f "$dest/.done"
}


# build_fixture_zoo DIR: the registry state most gc tests start from, built
# with the real registry and skopeo.  DIR/root is the storage, DIR/expect.sh
# names what is in it, DIR/*.blobs are digest sets:
#   library/oci:1.0        OCI image, shared base layer B1
#   library/docker:1.0     the same kind of image pushed as Docker schema2
#   team/app:1.0, :latest  OCI, B1; referrer R1 (artifact, subject = 1.0)
#   team/app:2.0           overwritten: APP2_OLD is now untagged, APP2_NEW
#   team/app:tmp           pushed with referrer R2, then deleted by digest
#                          (R2 stays, untagged, its subject gone)
#   team/app               a stray blob (uploaded, never used), an upload
#                          abandoned in 2000 (UP_OLD) and a fresh one in
#                          library/oci (UP_NEW)
#   team/app/sub:1.0       nested repository, B1
#   team/multi:1.0         OCI index, 2 platforms, untagged children, base B2
#   team/dmulti:1.0        Docker manifest list (skopeo --format v2s2 --all)
#   team/gone              one image, deleted by digest: nothing of it is
#                          shared, so the whole repository is garbage
#   library/oci            a dangling _layers link (DANGLING, no blob)
# Blob sets: keep.blobs (needed by tags and R1: always kept), untagged.blobs
# (only APP2_OLD and R2 need them: kept without -m, removed with -m),
# orphan.blobs (removed in every mode).
build_fixture_zoo() {
	local F=$1 L=$1/layouts root=$1/root r
	mkdir -p "$F"
	start_registry "$root"
	mkimage -s oci1 -b B1 -r oci1 "$L" >/dev/null
	mkimage -s dock1 -b B1 -r dock1 "$L" >/dev/null
	mkimage -s app1 -b B1 -r app1 "$L" >/dev/null
	mkimage -s app2old -b B1 -r app2old "$L" >/dev/null
	mkimage -s app2new -b B1 -r app2new "$L" >/dev/null
	mkimage -s sub1 -b B1 -l 1 -r sub1 "$L" >/dev/null
	mkimage -s multi -b B2 -p linux/amd64 -p linux/arm64/v8 -r multi \
	    "$L" >/dev/null
	mkimage -s dmulti -p linux/amd64 -p linux/arm/v7 -r dmulti "$L" >/dev/null
	mkimage -s gone -l 3 -r gone "$L" >/dev/null
	mkimage -s tmp -b B1 -r tmp "$L" >/dev/null

	push_oci "$L" oci1 library/oci:1.0
	push_docker "$L" dock1 library/docker:1.0
	push_oci "$L" app1 team/app:1.0
	push_oci "$L" app1 team/app:latest
	push_oci "$L" app2old team/app:2.0
	local app2old gone tmp r1 r2 stray up_old up_new dangling
	app2old=$(manifest_digest team/app 2.0)
	image_blobs team/app 2.0 >"$F/app2old.img"
	push_oci "$L" app2new team/app:2.0
	push_oci "$L" sub1 team/app/sub:1.0
	push_oci "$L" multi team/multi:1.0
	push_docker "$L" dmulti team/dmulti:1.0
	push_oci "$L" gone team/gone:1.0
	push_oci "$L" tmp team/app:tmp
	gone=$(manifest_digest team/gone 1.0)
	tmp=$(manifest_digest team/app tmp)
	image_blobs team/gone 1.0 >"$F/gone.img"
	image_blobs team/app tmp >"$F/tmp.img"

	r1=$(mkimage -s r1 --subject "$(manifest_desc team/app 1.0)" -r r1 "$L")
	push_layout_curl "$L" r1 team/app
	r2=$(mkimage -s r2 --subject "$(manifest_desc team/app tmp)" -r r2 "$L")
	push_layout_curl "$L" r2 team/app
	image_blobs team/app "$r2" >"$F/r2.img"

	api_delete_manifest team/gone "$gone"
	api_delete_manifest team/app "$tmp"
	printf 'a blob nobody references\n' >"$F/stray.txt"
	stray=$(push_blob team/app "$F/stray.txt")
	up_old=$(start_upload team/app 3000)
	up_new=$(start_upload library/oci 500)

	: >"$F/keep.img"
	for r in library/oci:1.0 library/docker:1.0 team/app:1.0 team/app:2.0 \
	    team/app:latest team/app/sub:1.0 team/multi:1.0 team/dmulti:1.0; do
		image_blobs "${r%:*}" "${r##*:}" >>"$F/keep.img"
	done
	image_blobs team/app "$r1" >>"$F/keep.img"
	stop_registry

	dangling=sha256:$(printf 'no such blob\n' | sha256sum | cut -d' ' -f1)
	mkdir -p "$(v2 "$root")/repositories/library/oci/_layers/sha256/${dangling#sha256:}"
	printf '%s' "$dangling" >"$(v2 "$root")/repositories/library/oci/_layers/sha256/${dangling#sha256:}/link"
	# drydock-gc never removes what changed in the last 2 s, whatever
	# --grace says: make the whole store 10 minutes old (still younger
	# than the default grace of 1h)
	age_tree "$root" "10 minutes ago"
	age_upload "$root" team/app "$up_old"

	sort -u "$F/keep.img" >"$F/keep.blobs"
	sort -u "$F/app2old.img" "$F/r2.img" | comm -23 - "$F/keep.blobs" \
	    >"$F/untagged.blobs"
	{ cat "$F/gone.img" "$F/tmp.img"; echo "$stray"; } | sort -u |
		comm -23 - "$F/keep.blobs" | comm -23 - "$F/untagged.blobs" \
	    >"$F/orphan.blobs"
	cat >"$F/expect.sh" <<EOT
APP2_OLD=$app2old
APP2_NEW=$(cd "$F" && "$MKIMAGE" --digest layouts app2new)
GONE=$gone
TMP=$tmp
R1=$r1
R2=$r2
STRAY=$stray
UP_OLD=$up_old
UP_NEW=$up_new
DANGLING=$dangling
KEEP_TAGS="library/oci:1.0 library/docker:1.0 team/app:1.0 team/app:latest team/app:2.0 team/app/sub:1.0 team/multi:1.0 team/dmulti:1.0"
EOT
	# sanity: the sets are what the tests expect them to be
	[ "$(wc -l <"$F/orphan.blobs")" -eq 10 ] || return 1
	[ "$(wc -l <"$F/untagged.blobs")" -eq 6 ] || return 1
	grep -qx "$stray" "$F/orphan.blobs" || return 1
	grep -qx "$EMPTY_JSON_DIGEST" "$F/keep.blobs" || return 1
}

# --- drydock-fsck ------------------------------------------------------------------

FSCK="$DRYDOCK_BIN/drydock-fsck"

# run_fsck ARGS...: drydock-fsck, stdout in $T/fsck.out, stderr in
# $T/fsck.err, exit code in FSCK_RC; under VALGRIND=1 inside valgrind (an
# error or a definite leak exits 99)
run_fsck() {
	[ -x "$FSCK" ] || bail "no drydock-fsck at $FSCK (build it: make all)"
	if [ "${VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		    --error-exitcode=99 --suppressions="$SRC_DIR/tests/valgrind.supp" \
		    "$FSCK" "$@" >"$T/fsck.out" 2>"$T/fsck.err"
	else
		"$FSCK" "$@" >"$T/fsck.out" 2>"$T/fsck.err"
	fi
	FSCK_RC=$?
	cat "$T/fsck.err" >>"$T/fsck.all.err"
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|^==[0-9]+== ' \
	    "$T/fsck.err"; then
		fail "drydock-fsck $*: a sanitizer or valgrind report"
		head -n 20 "$T/fsck.err" | sed 's/^/#   /'
	fi
	return 0
}

# assert_fsck_rc EXPECTED MESSAGE: compare with $FSCK_RC of the last run_fsck
assert_fsck_rc() {
	if [ "$FSCK_RC" = "$1" ]; then
		pass "$2 (exit $FSCK_RC)"
	else
		fail "$2"
		diag "expected exit $1, got $FSCK_RC; output:"
		head -n 30 "$T/fsck.out" "$T/fsck.err" | sed 's/^/#   /'
	fi
}

# fsck_findings REPORT [SEVERITY]: "ID path" of every finding (of SEVERITY),
# sorted
fsck_findings() {
	jq -r --arg s "${2:-}" '.findings[] | select($s == "" or .severity == $s)
	    | "\(.id) \(.path)"' "$1" | LC_ALL=C sort
}

# fsck_images REPORT ID [PATH]: the images the findings ID (at PATH) break,
# one ref a line, sorted and unique
fsck_images() {
	jq -r --arg id "$2" --arg p "${3:-}" '.findings[] | select(.id == $id)
	    | select($p == "" or .path == $p) | .images[].ref' "$1" |
		LC_ALL=C sort -u
}

# check_fsck_report REPORT LABEL: the report is consistent with itself
check_fsck_report() {
	local r=$1 l=$2
	assert_jq "$r" '[.schema_version, .tool]' '[1,"drydock-fsck"]' \
	    "$l: schema_version 1, tool"
	assert_jq "$r" '.summary.findings.problem + .summary.findings.warning
	    + .summary.findings.info == (.findings | length)' true \
	    "$l: summary.findings matches the list"
	assert_jq "$r" '([.counts[]] | add) == (.findings | length)' true \
	    "$l: counts by id match the list"
	assert_jq "$r" '[.findings[] | select(.path != null) | .path
	    | select(startswith("/") or startswith("docker/") or
	    (split("/") | any(. == ".." or . == "." or . == "")))] | length' 0 \
	    "$l: paths are relative to docker/registry/v2"
	assert_jq "$r" '[.findings[] | select((.images | length) > 0
	    and .severity != "problem")] | length' 0 \
	    "$l: a finding that breaks an image is a problem"
	assert_jq "$r" '(.findings | map(.key) | length) ==
	    (.findings | map(.key) | unique | length)' true \
	    "$l: finding keys are unique"
}

# --- drydock-migrate -----------------------------------------------------------------

MIGRATE="$DRYDOCK_BIN/drydock-migrate"

# run_migrate ARGS...: drydock-migrate, stdout in $T/mig.out, stderr in
# $T/mig.err, exit code in MIG_RC; under VALGRIND=1 inside valgrind (an
# error or a definite leak exits 99)
run_migrate() {
	[ -x "$MIGRATE" ] || bail "no drydock-migrate at $MIGRATE (make all)"
	if [ "${VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		    --error-exitcode=99 --suppressions="$SRC_DIR/tests/valgrind.supp" \
		    "$MIGRATE" "$@" >"$T/mig.out" 2>"$T/mig.err"
	else
		"$MIGRATE" "$@" >"$T/mig.out" 2>"$T/mig.err"
	fi
	MIG_RC=$?
	cat "$T/mig.err" >>"$T/mig.all.err"
	return 0
}

# mount_tmpfs DIR [OPTIONS]: a tmpfs (default size=1m) at DIR, created, and
# unmounted when the script ends; returns 1 where mounting is not allowed
mount_tmpfs() {
	mkdir -p "$1" || return 1
	mount -t tmpfs -o "${2:-size=1m}" tmpfs "$1" 2>/dev/null || return 1
	MOUNTS+=("$1")
}

# assert_mig_rc EXPECTED MESSAGE: compare with $MIG_RC of the last run_migrate
assert_mig_rc() {
	if [ "$MIG_RC" = "$1" ]; then
		pass "$2 (exit $MIG_RC)"
	else
		fail "$2"
		diag "expected exit $1, got $MIG_RC; stderr:"
		head -n 20 "$T/mig.err" | sed 's/^/#   /'
	fi
}

# oci_entry LAYOUT NAME: "mediaType digest" of the index.json entry whose
# ref.name is NAME
oci_entry() {
	jq -r --arg n "$2" '.manifests[] |
	    select(.annotations["org.opencontainers.image.ref.name"] == $n)
	    | "\(.mediaType) \(.digest)"' "$1/index.json"
}

# skopeo_oci_digest LAYOUT REF: sha256 of the manifest skopeo reads as
# oci:LAYOUT:REF (empty when skopeo cannot read it)
skopeo_oci_digest() {
	local raw
	raw=$(mktemp "$T/raw.XXXXXX")
	if skopeo inspect --raw "oci:$1:$2" >"$raw" 2>>"$T/skopeo.log"; then
		echo "sha256:$(sha256sum "$raw" | cut -d' ' -f1)"
	fi
	rm -f "$raw"
}

# skopeo_copy_ok SRCREF MESSAGE: skopeo copy --all SRCREF into a throwaway
# dir: (every digest verified by skopeo)
skopeo_copy_ok() {
	local dst
	dst=$(mktemp -d "$T/scopy.XXXXXX")
	if skopeo copy -q --all "$1" "dir:$dst" >>"$T/skopeo.log" 2>&1; then
		pass "$2"
	else
		fail "$2"
		tail -n 3 "$T/skopeo.log" | sed 's/^/#   /'
	fi
	rm -rf "$dst"
}

# tag_links ROOT: "repo tag digest" of every tag's current link
tag_links() {
	local v f r
	v=$(v2 "$1")
	find "$v/repositories" -path '*/_manifests/tags/*/current/link' 2>/dev/null |
		while read -r f; do
			r=${f#"$v/repositories/"}
			r=${r%/current/link}
			printf '%s %s %s\n' "${r%/_manifests/tags/*}" "${r##*/}" "$(cat "$f")"
		done | sort
}

# revision_links ROOT: "repo digest" of every revision link
revision_links() {
	local v
	v=$(v2 "$1")
	find "$v/repositories" -path '*/_manifests/revisions/sha256/*/link' 2>/dev/null |
		sed -n "s|^$v/repositories/\(.*\)/_manifests/revisions/sha256/\([0-9a-f]*\)/link\$|\1 sha256:\2|p" |
		sort
}

# build_fixture_migzoo DIR: a varied registry for the migrate tests, built
# with the real registry and skopeo.  DIR/root is the storage, DIR/tags
# lists "repo:tag digest mediatype" of every tag, DIR/expect.sh names:
#   library/single:1.0   OCI image, base layer B1 shared with the others
#   library/docker:1.0   Docker schema2 image (skopeo --format v2s2), B1
#   team/multi:1.0       OCI index, linux/amd64 + linux/arm64/v8
#   team/dmulti:1.0      Docker manifest list, linux/amd64 + linux/arm/v7
#   team/app:1.0         OCI, B1; referrer R1 (subject 1.0) and R2 (subject
#                        R1), both untagged
#   team/app:2.0         overwritten: APP2_OLD is untagged now
#   team/app/sub:1.0     nested repository, B1
build_fixture_migzoo() {
	local F=$1 L=$1/layouts root=$1/root r1 r2 old t
	mkdir -p "$F"
	start_registry "$root"
	mkimage -s m-single -b B1 -r single "$L" >/dev/null
	mkimage -s m-docker -b B1 -r docker "$L" >/dev/null
	mkimage -s m-multi -b B2 -p linux/amd64 -p linux/arm64/v8 -r multi \
	    "$L" >/dev/null
	mkimage -s m-dmulti -p linux/amd64 -p linux/arm/v7 -r dmulti \
	    "$L" >/dev/null
	mkimage -s m-app1 -b B1 -r app1 "$L" >/dev/null
	mkimage -s m-app2old -b B1 -r app2old "$L" >/dev/null
	mkimage -s m-app2new -b B1 -r app2new "$L" >/dev/null
	mkimage -s m-sub -b B1 -l 1 -r sub "$L" >/dev/null
	push_oci "$L" single library/single:1.0
	push_docker "$L" docker library/docker:1.0
	push_oci "$L" multi team/multi:1.0
	push_docker "$L" dmulti team/dmulti:1.0
	push_oci "$L" app1 team/app:1.0
	push_oci "$L" app2old team/app:2.0
	old=$(manifest_digest team/app 2.0)
	push_oci "$L" app2new team/app:2.0
	push_oci "$L" sub team/app/sub:1.0
	r1=$(mkimage -s m-r1 --subject "$(manifest_desc team/app 1.0)" -r r1 "$L")
	push_layout_curl "$L" r1 team/app
	r2=$(mkimage -s m-r2 --subject "$(manifest_desc team/app "$r1")" \
	    --artifact-type application/vnd.drydock.test.sig.v1 -r r2 "$L")
	push_layout_curl "$L" r2 team/app
	: >"$F/tags"
	for t in library/single:1.0 library/docker:1.0 team/multi:1.0 \
	    team/dmulti:1.0 team/app:1.0 team/app:2.0 team/app/sub:1.0; do
		printf '%s %s\n' "$t" "$(manifest_desc "${t%:*}" "${t##*:}" |
		    awk -F@ '{print $2, $1}')" >>"$F/tags"
	done
	stop_registry
	cat >"$F/expect.sh" <<EOT
R1=$r1
R2=$r2
APP2_OLD=$old
EOT
	[ "$(wc -l <"$F/tags")" -eq 7 ] || return 1
	grep -q "$MT_D_LIST" "$F/tags" || return 1
}
