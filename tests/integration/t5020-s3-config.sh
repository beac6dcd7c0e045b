#!/usr/bin/env bash
# t5020-s3-config --- a registry config with the s3 driver, as the tools
# meet it before they work on S3 (issue 12): libdrydock reads its storage.s3
# section, the REGISTRY_STORAGE_S3_* overrides, AWS's credential
# variables and the CA file (AWS_CA_BUNDLE, else SSL_CERT_FILE) (s3tool
# config prints what it read, secrets only as set or unset); drydock-gc, -fsck and -migrate take it and say that the endpoint
# cannot be reached (exit 8; gc and fsck in one line), migrate writing
# nothing; a driver drydock does
# not know (gcs, azure, swift, inmemory) is one line naming it, exit 8.  No
# S3 server is needed: nothing listens on the config's endpoint.
. "$(dirname "$0")/lib.sh"

S3TOOL=$DRYDOCK_TOOLS/s3tool
[ -x "$S3TOOL" ] || bail "no s3tool at $S3TOOL (make all)"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_ACCESS_KEY AWS_SECRET_KEY AWS_CA_BUNDLE SSL_CERT_FILE
cfg=$T/config.yml
cat >"$cfg" <<EOF
version: 0.1
storage:
  s3:
    region: us-east-1
    regionendpoint: http://127.0.0.1:9
    bucket: registry
    rootdirectory: /prefix
    secure: false
    chunksize: 5242880
  delete: {enabled: true}
  redirect: {disable: true}
http: {addr: 127.0.0.1:5000}
EOF

# --- what libdrydock reads --------------------------------------------------------

"$S3TOOL" -c "$cfg" config >"$T/c1" 2>&1
assert_eq "driver=s3
region=us-east-1
bucket=registry
regionendpoint=http://127.0.0.1:9
rootdirectory=/prefix
accesskey=unset
secretkey=unset
sessiontoken=unset
secure=0
skipverify=0
v4auth=1
chunksize=5242880
cafile=unset" "$(cat "$T/c1")" "storage.s3 as the registry reads it"

AWS_ACCESS_KEY_ID=ENVKEY AWS_SECRET_ACCESS_KEY=env-secret-value \
    AWS_SESSION_TOKEN=env-token REGISTRY_STORAGE_S3_BUCKET=other \
    REGISTRY_STORAGE_S3_SECURE=true REGISTRY_STORAGE_S3_CHUNKSIZE=0x1000000 \
    "$S3TOOL" -c "$cfg" config >"$T/c2" 2>&1
assert_true "REGISTRY_STORAGE_S3_BUCKET overrides the file" \
    grep -qx "bucket=other" "$T/c2"
assert_true "REGISTRY_STORAGE_S3_SECURE and _CHUNKSIZE too" \
    grep -qzE "secure=1.*chunksize=16777216" "$T/c2"
assert_true "AWS_ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _SESSION_TOKEN are the credentials" \
    grep -qzE "accesskey=set.secretkey=set.sessiontoken=set" "$T/c2"
assert_false "no secret is printed" grep -q "env-secret-value\|env-token" "$T/c2"
SSL_CERT_FILE=/x/ssl.pem "$S3TOOL" -c "$cfg" config >"$T/c3" 2>&1
assert_true "SSL_CERT_FILE names the CA file" \
    grep -qx "cafile=/x/ssl.pem (SSL_CERT_FILE)" "$T/c3"
AWS_CA_BUNDLE=/x/aws.pem SSL_CERT_FILE=/x/ssl.pem \
    "$S3TOOL" -c "$cfg" config >"$T/c4" 2>&1
assert_true "AWS_CA_BUNDLE comes before SSL_CERT_FILE" \
    grep -qx "cafile=/x/aws.pem (AWS_CA_BUNDLE)" "$T/c4"
# the endpoint is http: a CA file that is not there is not looked at
AWS_CA_BUNDLE=/nonexistent/ca.pem "$DRYDOCK_BIN/drydock-gc" --config "$cfg" \
    >/dev/null 2>"$T/nocheck.err"
assert_false "a CA file is not read for an http endpoint" \
    grep -q "nonexistent" "$T/nocheck.err"

# --- the tools take it, and cannot reach it ---------------------------------------

for tool in gc fsck migrate; do
	bin=$DRYDOCK_BIN/drydock-$tool
	case $tool in
	migrate) args=("registry:$cfg" "oci:$T/out-$tool") ;;
	*) args=(--config "$cfg") ;;
	esac
	"$bin" "${args[@]}" >"$T/$tool.out" 2>"$T/$tool.err"
	rc=$?
	assert_eq 8 "$rc" "drydock-$tool: an s3 config exits 8"
	if [ "$tool" = migrate ]; then
		# as with a root it cannot open: the reason, then that the
		# run stopped; its (empty) summary on stdout
		assert_true "drydock-$tool: the first line names the bucket: $(head -c 200 "$T/$tool.err")" \
		    grep -q "^drydock-migrate: cannot open 's3://registry/prefix': " "$T/$tool.err"
	else
		assert_eq 1 "$(wc -l <"$T/$tool.err")" \
		    "drydock-$tool: one line: $(head -c 200 "$T/$tool.err")"
		assert_eq "" "$(cat "$T/$tool.out")" "drydock-$tool: nothing on stdout"
	fi
	assert_true "drydock-$tool: ... naming the endpoint it could not reach" \
	    grep -q "127.0.0.1:9" "$T/$tool.err"
	for d in gcs azure swift inmemory; do
		printf 'version: 0.1\nstorage:\n  %s: {bucket: b}\n' "$d" \
		    >"$T/$d.yml"
		case $tool in
		migrate) args=("registry:$T/$d.yml" "oci:$T/out-$tool") ;;
		*) args=(--config "$T/$d.yml") ;;
		esac
		"$bin" "${args[@]}" >/dev/null 2>"$T/$tool-$d.err"
		rc=$?
		assert_eq "8 1" "$rc $(wc -l <"$T/$tool-$d.err")" \
		    "drydock-$tool: driver $d exits 8 with one line"
		assert_true "drydock-$tool: ... naming '$d'" \
		    grep -q "storage driver '$d' is not supported" "$T/$tool-$d.err"
	done
done
assert_file_absent "$T/out-migrate" "drydock-migrate wrote nothing"
finish
