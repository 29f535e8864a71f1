#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end test of the postern-ca command line: init, server, issue, list,
# revoke and crl in a scratch directory, checked with the openssl CLI (which
# only reads what postern-ca wrote) and, where it is installed, with a TLS
# handshake between the stock openconnect client (GnuTLS) and an
# `openssl s_server` that checks device certificates against ca.crt and
# crl.pem. Also: key file modes, no overwriting, every bad input refused
# with one line and the right exit status, failed runs leaving nothing
# behind, and concurrent issue runs all landing in the ledger.
# Prints "ok - NAME" / "not ok - NAME" lines; exits 1 when any failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
PCA=${POSTERN_CA:-$PWD/build/postern-ca}
tmp=$(mktemp -d /tmp/postern-ca-test.XXXXXX) || exit 2
server_pid= port=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
D=$tmp/ca

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# refused NAME STATUS PATTERN CMD...: CMD must exit STATUS with exactly one
# line on stderr that matches PATTERN (grep -E).
refused() {
	local name=$1 want=$2 pattern=$3 rc
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -Eq -- "$pattern" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name (exit $rc, stderr: $(head -c 300 "$tmp/err"))"
	fi
}

# quiet CMD...: runs CMD with its stdout (the success message) discarded.
quiet() { "$@" >/dev/null; }
mode_of() { stat -c %a "$1"; }
digest() { sha256sum "$1" | cut -d' ' -f1; }
cert_text() { openssl x509 -in "$1" -noout -text; }
json_count() { "$PCA" list --dir "$D" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

if [ ! -x "$PCA" ]; then
	not_ok "postern-ca built ($PCA missing: run make)"
	exit 1
fi

# --- init ----------------------------------------------------------------
check "init creates a CA" quiet "$PCA" init --dir "$D" --name "Test Device CA"
check "init wrote ca.crt ca.key crl.pem ledger.db devices/" \
	test -f "$D/ca.crt" -a -f "$D/ca.key" -a -f "$D/crl.pem" -a -f "$D/ledger.db" -a -d "$D/devices"
check "ca.key is 0600, ca.crt 0644" test "$(mode_of "$D/ca.key")-$(mode_of "$D/ca.crt")" = 600-644
ca_text=$(cert_text "$D/ca.crt")
check "CA is a critical CA:TRUE with keyCertSign and cRLSign" bash -c '
	grep -A1 "Basic Constraints: critical" <<<"$1" | grep -q "CA:TRUE" &&
	grep -A1 "Key Usage: critical" <<<"$1" | grep -q "Certificate Sign, CRL Sign" &&
	grep -q "Subject Key Identifier" <<<"$1" && grep -q "Subject: CN = Test Device CA" <<<"$1"' _ "$ca_text"
check "empty CRL verifies against the CA" bash -c \
	'openssl crl -in "$1/crl.pem" -CAfile "$1/ca.crt" -noout 2>&1 | grep -q "verify OK"' _ "$D"
key_sum=$(digest "$D/ca.key")
refused "second init refuses an existing ca.key" 1 "ca.key already exists" "$PCA" init --dir "$D"
check "second init left ca.key alone" test "$(digest "$D/ca.key")" = "$key_sum"

# --- server --------------------------------------------------------------
check "server issues a gateway certificate" \
	quiet "$PCA" server --dir "$D" --name vpn.test --ip 127.0.0.1 --ip ::1
srv_text=$(cert_text "$D/server.crt")
check "server SAN has DNS and both IPs, EKU serverAuth" bash -c '
	grep -q "DNS:vpn.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" <<<"$1" &&
	grep -q "TLS Web Server Authentication" <<<"$1" &&
	grep -q "Authority Key Identifier" <<<"$1"' _ "$srv_text"
check "server.crt verifies for sslserver" bash -c \
	'openssl verify -purpose sslserver -CAfile "$1/ca.crt" "$1/server.crt" | grep -q ": OK"' _ "$D"
check "server.key is 0600" test "$(mode_of "$D/server.key")" = 600
key_sum=$(digest "$D/server.key")
refused "second server refuses an existing server.key" 1 "server.key already exists" \
	"$PCA" server --dir "$D" --name vpn.test
check "second server left server.key alone" test "$(digest "$D/server.key")" = "$key_sum"

# --- issue ---------------------------------------------------------------
check "issue a corporate device" quiet "$PCA" issue --dir "$D" --device dev-a --owner "Zoë Müller"
check "issue a BYOD device in a group" \
	quiet "$PCA" issue --dir "$D" --device dev-b --owner 'Bob "B" \ Smith' --group field --byod
check "device keys are 0600, certs 0644" test \
	"$(mode_of "$D/devices/dev-a.key")-$(mode_of "$D/devices/dev-b.key")-$(mode_of "$D/devices/dev-a.crt")" = 600-600-644
dev_text=$(cert_text "$D/devices/dev-b.crt")
check "device cert carries id, ownership, group and clientAuth" bash -c '
	grep -q "URI:urn:postern:device:dev-b, URI:urn:postern:ownership:byod" <<<"$1" &&
	grep -q "Subject: O = Test Device CA, OU = field, CN = dev-b" <<<"$1" &&
	grep -q "TLS Web Client Authentication" <<<"$1" &&
	grep -A1 "Key Usage: critical" <<<"$1" | grep -q "Digital Signature"' _ "$dev_text"
check "corporate is the default ownership" bash -c \
	'openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "urn:postern:ownership:corporate"' \
	_ "$D/devices/dev-a.crt"
check "device key is PKCS#8 PEM" grep -q "^-----BEGIN PRIVATE KEY-----$" "$D/devices/dev-a.key"
check "device serial matches the ledger" bash -c \
	's=$(openssl x509 -in "$2/devices/dev-a.crt" -noout -serial | cut -d= -f2);
	 "$1" list --dir "$2" | grep -q "^dev-a	.*	$s	"' _ "$PCA" "$D"
key_sum=$(digest "$D/devices/dev-a.key")
refused "duplicate device id is refused" 1 "device dev-a already exists \(status valid\)" \
	"$PCA" issue --dir "$D" --device dev-a --owner Other
check "duplicate left the key alone" test "$(digest "$D/devices/dev-a.key")" = "$key_sum"
check "issue --rsa makes an RSA key" bash -c \
	'"$1" issue --dir "$2" --device dev-rsa --owner R --rsa >/dev/null &&
	 openssl pkey -in "$2/devices/dev-rsa.key" -noout -text | grep -q "Private-Key: (3072 bit"' _ "$PCA" "$D"
check "issue --not-before 2020-01-01 --days 30 is expired" bash -c \
	'"$1" issue --dir "$2" --device dev-old --owner O --not-before 2020-01-01 --days 30 >/dev/null &&
	 openssl x509 -in "$2/devices/dev-old.crt" -noout -startdate -enddate | tr "\n" " " |
	 grep -q "notBefore=Jan  1 00:00:00 2020 GMT notAfter=Jan 31 00:00:00 2020 GMT" &&
	 openssl verify -CAfile "$2/ca.crt" "$2/devices/dev-old.crt" 2>&1 | grep -q "certificate has expired"' \
	_ "$PCA" "$D"

# --- list ----------------------------------------------------------------
check "list prints one line per device" test "$("$PCA" list --dir "$D" | wc -l)" -eq 4
check "list shows owner, group, ownership, status" bash -c '
	out=$("$1" list --dir "$2");
	grep -q "^dev-b	Bob \"B\" \\\\ Smith	field	byod	[0-9A-F]*	[0-9T:-]*Z	valid$" <<<"$out" &&
	grep -q "^dev-old	O	default	corporate	.*	2020-01-31T00:00:00Z	expired$" <<<"$out"' _ "$PCA" "$D"
check "list --json is valid JSON" bash -c '"$1" list --dir "$2" --json | python3 -m json.tool >/dev/null' _ "$PCA" "$D"
check "list --json has every key, escaped owners" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
devs = {d[\"device_id\"]: d for d in json.load(sys.stdin)}
keys = {\"device_id\", \"owner\", \"group\", \"ownership\", \"serial\", \"not_before\",
        \"not_after\", \"status\", \"revoked_at\", \"reason\"}
assert all(set(d) == keys for d in devs.values()), devs
assert devs[\"dev-b\"][\"owner\"] == \"Bob \\\"B\\\" \\\\ Smith\", devs[\"dev-b\"]
assert devs[\"dev-a\"][\"owner\"] == \"Zo\u00eb M\u00fcller\"
assert devs[\"dev-b\"][\"ownership\"] == \"byod\" and devs[\"dev-b\"][\"group\"] == \"field\"
assert devs[\"dev-old\"][\"status\"] == \"expired\"
assert devs[\"dev-old\"][\"not_before\"] == \"2020-01-01T00:00:00Z\"
assert devs[\"dev-a\"][\"revoked_at\"] is None
"' _ "$PCA" "$D"

# --- revoke and CRL ------------------------------------------------------
check "revoke dev-b for keyCompromise" quiet "$PCA" revoke --dir "$D" --device dev-b --reason keyCompromise
check "openssl -crl_check: dev-b is revoked" bash -c \
	'openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$1/devices/dev-b.crt" 2>&1 |
	 grep -q "certificate revoked"' _ "$D"
check "openssl -crl_check: dev-a is OK" bash -c \
	'openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$1/devices/dev-a.crt" |
	 grep -q "dev-a.crt: OK"' _ "$D"
crl_text=$(openssl crl -in "$D/crl.pem" -noout -text)
check "CRL v2 with number 2, AKI, reason, SHA-256" bash -c '
	grep -q "Version 2" <<<"$1" && grep -A1 "CRL Number" <<<"$1" | grep -q "^ *2$" &&
	grep -q "Authority Key Identifier" <<<"$1" && grep -q "Key Compromise" <<<"$1" &&
	grep -q "Signature Algorithm: ecdsa-with-SHA256" <<<"$1"' _ "$crl_text"
check "list shows dev-b revoked with its reason" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
d = [x for x in json.load(sys.stdin) if x[\"device_id\"] == \"dev-b\"][0]
assert d[\"status\"] == \"revoked\" and d[\"reason\"] == \"keyCompromise\" and d[\"revoked_at\"]
"' _ "$PCA" "$D"
crl_sum=$(digest "$D/crl.pem")
refused "revoking twice is refused" 1 "already revoked" "$PCA" revoke --dir "$D" --device dev-b
check "a refused revoke leaves the CRL untouched" test "$(digest "$D/crl.pem")" = "$crl_sum"
refused "revoking an unknown device is refused" 1 "unknown device nobody" \
	"$PCA" revoke --dir "$D" --device nobody
refused "a duplicate of a revoked id is refused" 1 "device dev-b already exists \(status revoked\)" \
	"$PCA" issue --dir "$D" --device dev-b --owner B
check "crl --days 7 re-issues with the next number" bash -c \
	'"$1" crl --dir "$2" --days 7 >/dev/null &&
	 t=$(openssl crl -in "$2/crl.pem" -noout -text) &&
	 grep -A1 "CRL Number" <<<"$t" | grep -q "^ *3$" && grep -q "Key Compromise" <<<"$t" &&
	 next=$(openssl crl -in "$2/crl.pem" -noout -nextupdate | cut -d= -f2) &&
	 [ $(( $(date -d "$next" +%s) - $(date +%s) )) -gt $((6 * 86400)) ] &&
	 [ $(( $(date -d "$next" +%s) - $(date +%s) )) -le $((7 * 86400)) ]' _ "$PCA" "$D"
check "crl.pem stays 0644" test "$(mode_of "$D/crl.pem")" = 644

# --- bad input -----------------------------------------------------------
refused "missing CA directory" 1 "$tmp/none/ca.crt" "$PCA" issue --dir "$tmp/none" --device x --owner y
refused "device id ../x" 2 "--device: '\.\./x' is not a device id" \
	"$PCA" issue --dir "$D" --device ../x --owner y
check "device id ../x wrote nothing" test ! -e "$D/x.key" -a ! -e "$D/devices/../x.crt"
refused "device id starting with a dot" 2 "not a device id" "$PCA" issue --dir "$D" --device .x --owner y
refused "device id of 65 chars" 2 "not a device id" \
	"$PCA" issue --dir "$D" --device "$(printf 'a%.0s' {1..65})" --owner y
refused "owner with a control character" 2 "--owner" "$PCA" issue --dir "$D" --device x --owner $'a\tb'
refused "group with a slash" 2 "--group" "$PCA" issue --dir "$D" --device x --owner y --group a/b
refused "--days abc" 2 "--days: 'abc' is not a whole number" "$PCA" issue --dir "$D" --device x --owner y --days abc
refused "--days 0" 2 "--days: '0'" "$PCA" issue --dir "$D" --device x --owner y --days 0
refused "--days -5" 2 "--days: '-5'" "$PCA" issue --dir "$D" --device x --owner y --days -5
refused "--days 99999" 2 "--days: '99999'" "$PCA" crl --dir "$D" --days 99999
refused "--days 12x" 2 "--days: '12x'" "$PCA" init --dir "$tmp/ca2" --days 12x
refused "--not-before 2021-02-30" 2 "--not-before" \
	"$PCA" issue --dir "$D" --device x --owner y --not-before 2021-02-30
refused "--ip 300.1.1.1" 2 "--ip: '300.1.1.1'" "$PCA" server --dir "$D" --name gw --ip 300.1.1.1
refused "--name with a comma" 2 "--name" "$PCA" server --dir "$D" --name 'gw,DNS:evil'
refused "--reason bogus" 2 "--reason: unknown reason 'bogus'" "$PCA" revoke --dir "$D" --device dev-a --reason bogus
refused "missing --owner" 2 "missing --owner" "$PCA" issue --dir "$D" --device x
refused "missing --dir" 2 "missing --dir" "$PCA" list
refused "missing option value" 2 "option '--device' needs a value" "$PCA" issue --dir "$D" --device
refused "unknown option" 2 "unknown option '--bogus'" "$PCA" list --dir "$D" --bogus
refused "option of another command" 2 "unknown option '--byod'" "$PCA" init --dir "$tmp/ca2" --byod
refused "stray argument" 2 "unexpected argument 'extra'" "$PCA" list --dir "$D" extra
refused "option given twice" 2 "--device given twice" "$PCA" issue --dir "$D" --device a --device b --owner y
refused "unknown command" 2 "unknown command 'frobnicate'" "$PCA" frobnicate
check "no command prints usage and exits 2" bash -c '"$1" 2>&1 >/dev/null | grep -q "^usage:"; [ "${PIPESTATUS[0]}" = 2 ]' _ "$PCA"
check "refused runs left no device behind" test "$(json_count)" -eq 4
check "nothing was created by the refused init" test ! -e "$tmp/ca2"
for c in init server issue revoke crl list; do
	check "$c --help" bash -c '"$1" "$2" --help | grep -q "^usage: postern-ca $2"' _ "$PCA" "$c"
done

# --- a failed run removes what it created --------------------------------
: >"$D/devices/dev-c.crt"
refused "issue stops at an existing certificate file" 1 "dev-c.crt already exists" \
	"$PCA" issue --dir "$D" --device dev-c --owner C
check "the failed issue removed its key and recorded nothing" bash -c \
	'[ ! -e "$2/devices/dev-c.key" ] && ! "$1" list --dir "$2" | grep -q "^dev-c	"' _ "$PCA" "$D"
rm -f "$D/devices/dev-c.crt"
check "a retry then works" bash -c '"$1" issue --dir "$2" --device dev-c --owner C >/dev/null' _ "$PCA" "$D"
mkdir -p "$tmp/ca3" && : >"$tmp/ca3/ledger.db"
refused "init stops at an existing ledger" 1 "ledger.db already exists" "$PCA" init --dir "$tmp/ca3"
check "the failed init removed its key and certificate" \
	test ! -e "$tmp/ca3/ca.key" -a ! -e "$tmp/ca3/ca.crt" -a -e "$tmp/ca3/ledger.db"
check "init --rsa and server --rsa: RSA with keyEncipherment" bash -c \
	'rm -f "$2/ledger.db" && "$1" init --dir "$2" --rsa >/dev/null &&
	 "$1" server --dir "$2" --name gw.test --rsa >/dev/null &&
	 openssl x509 -in "$2/server.crt" -noout -text | grep -A1 "Key Usage: critical" |
	 grep -q "Digital Signature, Key Encipherment" &&
	 openssl x509 -in "$2/ca.crt" -noout -text | grep -q "sha256WithRSAEncryption"' _ "$PCA" "$tmp/ca3"

# --- concurrent issue ----------------------------------------------------
# Ten pairs: the two runs of a pair start together and race for the
# ledger's write lock.
before=$(json_count)
par_failed=0
for i in $(seq 1 10); do
	"$PCA" issue --dir "$D" --device "par-$i-a" --owner "P $i" >/dev/null 2>>"$tmp/par.err" &
	pid_a=$!
	"$PCA" issue --dir "$D" --device "par-$i-b" --owner "P $i" >/dev/null 2>>"$tmp/par.err" &
	pid_b=$!
	wait "$pid_a" || par_failed=$((par_failed + 1))
	wait "$pid_b" || par_failed=$((par_failed + 1))
done
check "10 pairs of concurrent issue runs all succeeded" test "$par_failed" -eq 0
check "all 20 landed in the ledger" test "$(json_count)" -eq $((before + 20))
pids=()
for i in 1 2 3 4; do
	"$PCA" issue --dir "$D" --device race --owner R >/dev/null 2>/dev/null &
	pids+=($!)
done
race_ok=0
for p in "${pids[@]}"; do wait "$p" && race_ok=$((race_ok + 1)); done
check "of 4 concurrent runs for one id exactly one wins" test "$race_ok" -eq 1
check "the race left one key, one cert, one row" bash -c \
	'[ "$("$1" list --dir "$2" | grep -c "^race	")" = 1 ] &&
	 openssl x509 -in "$2/devices/race.crt" -noout -serial | grep -q "$("$1" list --dir "$2" | grep "^race	" | cut -f5)" &&
	 openssl x509 -in "$2/devices/race.crt" -noout -pubkey | cmp -s - <(openssl pkey -in "$2/devices/race.key" -pubout)' \
	_ "$PCA" "$D"

# --- the stock openconnect client (GnuTLS) against OpenSSL ---------------
# s_server stands in for the gateway: it requires a device certificate and
# checks it against ca.crt and crl.pem. Only the TLS handshake is tested:
# openconnect then waits for an HTTP answer s_server never gives, so each
# run is bounded with timeout and judged by what it and s_server printed.
# Starts s_server on a random port, another one if that is taken; sets
# port and server_pid once s_server says it accepts. Not run in a subshell,
# so that cleanup knows the pid.
start_server() {
	local attempt i
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		openssl s_server -accept "127.0.0.1:$port" -cert "$D/server.crt" -key "$D/server.key" \
			-Verify 1 -verify_return_error -CAfile "$D/ca.crt" -crl_check -CRL "$D/crl.pem" \
			-www >"$tmp/s_server.log" 2>&1 &
		server_pid=$!
		for i in $(seq 1 100); do
			grep -q '^ACCEPT' "$tmp/s_server.log" && return 0
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	done
	return 1
}
if ! command -v openconnect >/dev/null; then
	ok "openconnect handshake # SKIP openconnect not installed"
elif ! start_server; then
	not_ok "openssl s_server started ($(head -c 300 "$tmp/s_server.log"))"
else
	check "openconnect accepts server.crt at --ip 127.0.0.1 and uses the device cert" bash -c \
		'out=$(timeout 5 openconnect --non-inter --authenticate --cafile "$1/ca.crt" \
			-c "$1/devices/dev-a.crt" -k "$1/devices/dev-a.key" "https://127.0.0.1:$2/" 2>&1);
		 grep -q "Connected to HTTPS on 127.0.0.1" <<<"$out" &&
		 ! grep -qi "verify failed" <<<"$out" &&
		 grep -q "CN = dev-a" "$3/s_server.log"' _ "$D" "$port" "$tmp"
	check "openconnect uses an RSA device key" bash -c \
		'timeout 5 openconnect --non-inter --authenticate --cafile "$1/ca.crt" \
			-c "$1/devices/dev-rsa.crt" -k "$1/devices/dev-rsa.key" "https://127.0.0.1:$2/" >/dev/null 2>&1;
		 grep -q "CN = dev-rsa" "$3/s_server.log"' _ "$D" "$port" "$tmp"
	check "openconnect refuses server.crt under another CA" bash -c \
		'timeout 5 openconnect --non-inter --authenticate --cafile "$1/ca.crt" \
			"https://127.0.0.1:$2/" 2>&1 | grep -qi "certificate.*\(fail\|not trusted\|error\)"' \
		_ "$tmp/ca3" "$port"
	check "the revoked device is refused by OpenSSL with the CRL" bash -c \
		'timeout 5 openconnect --non-inter --authenticate --cafile "$1/ca.crt" \
			-c "$1/devices/dev-b.crt" -k "$1/devices/dev-b.key" "https://127.0.0.1:$2/" >/dev/null 2>&1;
		 grep -q "certificate revoked" "$3/s_server.log"' _ "$D" "$port" "$tmp"
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
fi

exit "$failed"
