#!/usr/bin/env bash
# t5070-s3-tls --- the S3 driver over https, against a real radosgw serving
# a certificate of a private CA (tests/s3/radosgw.sh with RGW_TLS=1):
#   - secure (the default) and no CA given: drydock-gc, -fsck and -migrate
#     each stop with exit 8 and one line naming the endpoint, that its
#     certificate could not be verified, and AWS_CA_BUNDLE and skipverify;
#     the bucket is the same key for key afterwards (gc would have swept
#     a planted orphan, migrate would have written another prefix);
#   - a CA of another (self-signed) CA in AWS_CA_BUNDLE: the same, and the
#     message names that file; a missing file or one without a
#     certificate: exit 8, one line naming the variable and the path;
#   - AWS_CA_BUNDLE=ca.pem: migrate a filesystem registry into the bucket
#     and back out of it (docker-registry serves the copy, skopeo pulls it
#     with the same digests), gc -n counts the planted orphan and removes
#     nothing, gc removes it and nothing else, fsck finds nothing wrong;
#   - SSL_CERT_FILE=ca.pem alone works too, and AWS_CA_BUNDLE comes first;
#   - a regionendpoint without a scheme goes https (secure: true); the
#     right CA with a host name the certificate does not name (localhost)
#     is refused, the line says so;
#   - skipverify: true without any CA: all three work;
#   - docker-registry's own s3 driver, with SSL_CERT_FILE=ca.pem (it cannot
#     take AWS_CA_BUNDLE), serves over that TLS what drydock put in the
#     bucket; without the CA it cannot (x509 in its log); with
#     AWS_CA_BUNDLE set it does not start at all (why drydock reads
#     SSL_CERT_FILE too).
. "$(dirname "$0")/lib.sh"

# this machine sets both to the system's bundle: "no CA given" is neither
unset AWS_CA_BUNDLE SSL_CERT_FILE
RGW_TLS=1 start_s3 registry
case $S3_ENDPOINT in
https://127.0.0.1:*) ;;
*) bail "radosgw.sh RGW_TLS=1 gave $S3_ENDPOINT, not https" ;;
esac
[ -s "${S3_CA_FILE:-}" ] || bail "radosgw.sh RGW_TLS=1 gave no S3_CA_FILE"
CA=$S3_CA_FILE
HOSTPORT=${S3_ENDPOINT#https://}
# curl (lib.sh's s3 and s3_keys) trusts the CA through CURL_CA_BUNDLE
export CURL_CA_BUNDLE=$CA
v2=reg/docker/registry/v2
keys() { s3_keys registry; }

# the test bed: the server speaks TLS with a certificate the system's CAs
# do not cover, and the CA made for it does
assert_false "curl without the CA refuses the endpoint" \
    env -u CURL_CA_BUNDLE curl -s -o /dev/null "$S3_ENDPOINT/"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/")" \
    "curl with the CA reaches the endpoint"
make_tls "$T/wrong" || bail "openssl could not make a second CA"

# s3cfg FILE ROOTDIR [LINE...]: a registry config for the bucket, secure
# left to its default (true); LINEs go into storage.s3
s3cfg() {
	local f=$1 root=$2 l
	shift 2
	{
		echo "version: 0.1"
		echo "storage:"
		echo "  s3:"
		echo "    region: $S3_REGION"
		echo "    regionendpoint: ${ENDPOINT:-$S3_ENDPOINT}"
		echo "    bucket: registry"
		echo "    accesskey: $S3_ACCESS_KEY"
		echo "    secretkey: $S3_SECRET_KEY"
		echo "    rootdirectory: $root"
		for l in "$@"; do echo "    $l"; done
		echo "  delete: {enabled: true}"
		echo "  redirect: {disable: true}"
		echo "http: {addr: 127.0.0.1:5000}"
	} >"$f"
}
s3cfg "$T/cfg.yml" /reg
s3cfg "$T/cfg-other.yml" /other
s3cfg "$T/cfg-skip.yml" /reg "skipverify: true"
ENDPOINT=$HOSTPORT s3cfg "$T/cfg-bare.yml" /reg

# --- a filesystem registry with two images ---------------------------------------
start_registry "$T/fs"
L=$T/layout
mkimage -s tls-a -b tls-base -r a "$L" >/dev/null
mkimage -s tls-b -b tls-base -r b "$L" >/dev/null
push_oci "$L" a app:1
push_oci "$L" b app:2
REFS="app:1 app:2"
digests_of() {
	local r
	for r in $REFS; do
		echo "$r $(manifest_digest "${r%%:*}" "${r#*:}")"
	done
}
digests_of >"$T/digests"
stop_registry

# --- with the CA: into the bucket --------------------------------------------------
AWS_CA_BUNDLE=$CA run_migrate --json "$T/in.json" "registry:$T/fs" \
    "registry:$T/cfg.yml"
assert_mig_rc 0 "AWS_CA_BUNDLE: drydock-migrate filesystem -> the bucket over https"
assert_jq "$T/in.json" '[.summary.tags, .summary.failed]' '[2,0]' \
    "both tags went in"
# an orphan blob, as a registry leaves one: gc's to sweep
printf 'orphan over tls %s\n' "$$" >"$T/orphan"
ORPHAN=$(sha256sum "$T/orphan" | cut -d' ' -f1)
OKEY=$v2/blobs/sha256/${ORPHAN:0:2}/$ORPHAN/data
s3 PUT "registry/$OKEY" --data-binary "@$T/orphan" -o /dev/null ||
	bail "cannot plant the orphan blob"
# gc keeps what changed in the last 2 s whatever --grace says
sleep 3
keys >"$T/keys.before"
grep -qx "$OKEY" "$T/keys.before" || bail "the orphan is not in the bucket"
[ "$(grep -c "^$v2/" "$T/keys.before")" -gt 5 ] ||
	bail "migrate left too little in the bucket"

# --- refused: each tool, one line, nothing changed --------------------------------

# refused LABEL WANT [VAR=VALUE...]: drydock-gc (a real run: it would sweep
# the orphan), -fsck and -migrate (into /other: it would write there) with
# the variables, each: exit 8, the certificate's line with WANT in it
refused() {
	local label=$1 want=$2 tool err first n
	shift 2
	for tool in gc fsck migrate; do
		case $tool in
		gc) env "$@" "$GC" --config "$T/cfg.yml" --grace 0 \
			>"$T/r.out" 2>"$T/r.err" ;;
		fsck) env "$@" "$FSCK" --config "$T/cfg.yml" \
			>"$T/r.out" 2>"$T/r.err" ;;
		migrate) env "$@" "$MIGRATE" "registry:$T/fs" \
			"registry:$T/cfg-other.yml" >"$T/r.out" 2>"$T/r.err" ;;
		esac
		assert_eq 8 "$?" "$label: drydock-$tool exits 8"
		first=$(head -n 1 "$T/r.err")
		diag "$first"
		if [ "$tool" = migrate ]; then
			# the reason, then that the run stopped (as t5020)
			n=$(grep -c . "$T/r.err")
			assert_eq 2 "$n" "$label: drydock-migrate: the reason and that it stopped"
			assert_eq "drydock-migrate: the run stopped before it copied anything" \
			    "$(sed -n 2p "$T/r.err")" \
			    "$label: drydock-migrate: ... before it copied anything, not 'resumes it'"
		else
			assert_eq 1 "$(wc -l <"$T/r.err")" \
			    "$label: drydock-$tool: one line"
			assert_eq "" "$(cat "$T/r.out")" \
			    "$label: drydock-$tool: nothing on stdout"
		fi
		err="drydock-$tool: cannot open 's3://registry/"
		err="${err}$([ "$tool" = migrate ] && echo other || echo reg)': "
		err="${err}$S3_ENDPOINT: the server's certificate could not be verified"
		assert_eq "$err" "${first:0:${#err}}" \
		    "$label: drydock-$tool names the endpoint and the certificate"
		assert_true "$label: drydock-$tool: ... $want" \
		    grep -qF -- "$want" <<<"$first"
		assert_true "$label: drydock-$tool: ... and what to do" \
		    grep -qF "; trust its CA with SSL_CERT_FILE=FILE or AWS_CA_BUNDLE=FILE (PEM), or set skipverify: true in storage.s3" \
		    <<<"$first"
	done
	keys >"$T/keys.now"
	assert_same_lines "$T/keys.before" "$T/keys.now" \
	    "$label: the bucket is as it was, key for key"
}

refused "no CA" "(SSL certificate problem: unable to get local issuer certificate)"
refused "another CA" \
    "verified with the CAs of AWS_CA_BUNDLE '$T/wrong/ca.crt' (SSL certificate problem" \
    AWS_CA_BUNDLE="$T/wrong/ca.crt"
refused "the system's CAs as SSL_CERT_FILE" \
    "with the CAs of SSL_CERT_FILE '/etc/ssl/certs/ca-certificates.crt'" \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
refused "AWS_CA_BUNDLE before SSL_CERT_FILE" \
    "with the CAs of AWS_CA_BUNDLE '$T/wrong/ca.crt'" \
    AWS_CA_BUNDLE="$T/wrong/ca.crt" SSL_CERT_FILE="$CA"

# a bundle that cannot be used: named, before any request
for bad in missing notpem; do
	case $bad in
	missing) f=$T/no/such/ca.pem want="cannot open AWS_CA_BUNDLE '$f': No such file or directory" ;;
	notpem) f=$T/cfg.yml want="AWS_CA_BUNDLE '$f' holds no PEM certificate (-----BEGIN CERTIFICATE-----)" ;;
	esac
	AWS_CA_BUNDLE=$f run_gc --config "$T/cfg.yml" -n
	assert_rc 8 "a CA bundle $bad: drydock-gc exits 8"
	assert_eq "drydock-gc: $want" "$(cat "$T/gc.err")" \
	    "a CA bundle $bad: one line naming AWS_CA_BUNDLE and the path"
done
keys >"$T/keys.now"
assert_same_lines "$T/keys.before" "$T/keys.now" "still the same bucket"

# --- with the CA: every tool works ------------------------------------------------
AWS_CA_BUNDLE=$CA run_gc --config "$T/cfg.yml" -n --grace 0 --json "$T/dry.json"
assert_rc 0 "AWS_CA_BUNDLE: drydock-gc -n"
assert_jq "$T/dry.json" '[.removed[] | select(.kind == "blob") | .digest]' \
    "[\"sha256:$ORPHAN\"]" "the dry run would remove the orphan, only it"
keys >"$T/keys.now"
assert_same_lines "$T/keys.before" "$T/keys.now" "the dry run removed nothing"

SSL_CERT_FILE=$CA run_gc --config "$T/cfg.yml" -n --grace 0
assert_rc 0 "SSL_CERT_FILE alone: drydock-gc -n"
AWS_CA_BUNDLE=$CA run_gc --config "$T/cfg-bare.yml" -n --grace 0
assert_rc 0 "regionendpoint without a scheme, secure by default: https with the CA"
# the certificate names IP 127.0.0.1 only: the right CA, the wrong name
ENDPOINT=https://localhost:${HOSTPORT#*:} s3cfg "$T/cfg-name.yml" /reg
AWS_CA_BUNDLE=$CA run_gc --config "$T/cfg-name.yml" -n --grace 0
assert_rc 8 "the CA, but a host name the certificate does not name: exit 8"
assert_true "... the certificate could not be verified: the name ($(head -c 400 "$T/gc.err"))" \
    grep -q "^drydock-gc: cannot open 's3://registry/reg': https://localhost:${HOSTPORT#*:}: the server's certificate could not be verified with the CAs of AWS_CA_BUNDLE '$CA' (SSL: no alternative certificate subject name matches target host name 'localhost')" \
    "$T/gc.err"

AWS_CA_BUNDLE=$CA run_fsck --config "$T/cfg.yml" --json "$T/fsck1.json"
assert_fsck_rc 0 "AWS_CA_BUNDLE: drydock-fsck finds nothing wrong"
assert_jq "$T/fsck1.json" '.summary.findings.problem' 0 "fsck: no problem"

AWS_CA_BUNDLE=$CA run_gc --config "$T/cfg.yml" --grace 0 --json "$T/gc.json"
assert_rc 0 "AWS_CA_BUNDLE: drydock-gc sweeps"
keys >"$T/keys.after"
assert_eq "$OKEY" "$(comm -23 "$T/keys.before" "$T/keys.after")" \
    "gc removed the orphan's key and no other"
assert_eq "" "$(comm -13 "$T/keys.before" "$T/keys.after")" \
    "gc added nothing"

AWS_CA_BUNDLE=$CA run_fsck --config "$T/cfg.yml"
assert_fsck_rc 0 "drydock-fsck after the sweep"

AWS_CA_BUNDLE=$CA run_migrate --verify "registry:$T/cfg.yml" "registry:$T/back"
assert_mig_rc 0 "AWS_CA_BUNDLE: drydock-migrate the bucket -> a filesystem root, --verify"
start_registry "$T/back"
assert_eq "$(cat "$T/digests")" "$(digests_of)" \
    "the copy out of the bucket has the source's digests"
for r in $REFS; do
	pull_ok "$r" "skopeo pulls $r from the copy"
done
stop_registry

# --- skipverify: true, no CA at all ----------------------------------------------
run_gc --config "$T/cfg-skip.yml" -n --grace 0
assert_rc 0 "skipverify: drydock-gc -n without a CA"
run_fsck --config "$T/cfg-skip.yml"
assert_fsck_rc 0 "skipverify: drydock-fsck without a CA"
run_migrate "registry:$T/cfg-skip.yml" "oci:$T/oci-skip"
assert_mig_rc 0 "skipverify: drydock-migrate the bucket -> oci: without a CA"
want=$(awk '$1 == "app:1" {print $2}' "$T/digests")
assert_eq "$want" "$(skopeo_oci_digest "$T/oci-skip" app:1)" \
    "skopeo reads app:1 from that layout with its digest"

# --- docker-registry's s3 driver over the same TLS --------------------------------
if [ "${DRYDOCK_VARIANT:-plain}" != plain ] && [ "${DRYDOCK_VARIANT:-plain}" != dev ]; then
	skip "docker-registry over TLS tests no drydock code: plain build only"
else
	SSL_CERT_FILE=$CA REG_S3_BUCKET=registry REG_S3_ROOTDIR=/reg \
	    start_registry "$T/unused"
	assert_eq "$(cat "$T/digests")" "$(digests_of)" \
	    "docker-registry (SSL_CERT_FILE=ca.pem) serves what drydock put in the bucket"
	for r in $REFS; do
		pull_ok "$r" "skopeo pulls $r through docker-registry's s3 driver over TLS"
	done
	stop_registry
	REG_S3_BUCKET=registry REG_S3_ROOTDIR=/reg start_registry "$T/unused"
	pull_fails app:1 "without the CA docker-registry cannot read the bucket"
	stop_registry
	assert_true "... because it cannot verify radosgw's certificate" \
	    grep -q "x509: certificate signed by unknown authority" \
	    "$T/registry.log"
	# why drydock reads SSL_CERT_FILE too: the registry cannot take
	# AWS_CA_BUNDLE (aws-sdk-go and the driver's own transport)
	timeout 20 env AWS_CA_BUNDLE="$CA" docker-registry serve \
	    "$T/registry.yml" >"$T/reg-aws.log" 2>&1
	assert_true "docker-registry with AWS_CA_BUNDLE set stops at start (rc $?)" \
	    grep -q LoadCustomCABundleError "$T/reg-aws.log"
fi
finish
