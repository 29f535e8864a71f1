#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end test of the postern-ca command line: init, server, issue, list
# (table, JSON, --expiring), renew, revoke, lost, crl, export (PKCS#12),
# check, sign and renew --csr (keys made on the device: the request's names
# and extensions never reach the certificate), show and list's filters in a
# scratch directory, checked with the openssl CLI (which only
# reads what postern-ca wrote) and, where it is installed, with a TLS
# handshake between the stock openconnect client (GnuTLS) and an
# `openssl s_server` that checks device certificates against ca.crt and
# crl.pem. Also: the owner in the certificate, key file modes, no
# overwriting, every bad input refused with one line and the right exit
# status, failed runs leaving nothing behind, concurrent issue runs all
# landing in the ledger, and every --help: a usage line that names the same
# options as the command's SYNOPSIS in man/postern-ca.8, and exit 0.
# Prints "ok - NAME" / "not ok - NAME" lines; exits 1 when any failed.
# POSTERN_CA names the program, else PST_BUILD the build directory (build/).
# The CA directory comes from --dir, else POSTERN_PKI, else the built-in
# default: the test sets POSTERN_PKI only where it says so, and only reads
# whether the default exists (it never makes or changes it).
set -u
unset POSTERN_PKI
cd "$(dirname "$0")/../.." || exit 2
PCA=${POSTERN_CA:-${PST_BUILD:-$PWD/build}/postern-ca}
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
# json_count: how many devices the ledger has (a renewed one has several
# certificates, and so several records).
json_count() { "$PCA" list --dir "$D" --json | python3 -c 'import json,sys; print(len({d["device_id"] for d in json.load(sys.stdin)}))'; }
# ledger_serial ID: the serial of the device's current certificate.
ledger_serial() {
	"$PCA" list --dir "$D" --json | python3 -c 'import json, sys
print([d["serial"] for d in json.load(sys.stdin) if d["device_id"] == sys.argv[1] and d["current"]][0])' "$1"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
pubkey_of() { openssl x509 -in "$1" -noout -pubkey; }

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
check "device cert carries the owner as the subject attribute name" bash -c '
	openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_comma_plus_space |
	grep -qx "subject=O=Test Device CA, OU=default, CN=dev-a, name=Zoë Müller" &&
	openssl asn1parse -in "$1" | grep -A1 ":name$" | grep -q "UTF8STRING *:Zoë Müller$"' \
	_ "$D/devices/dev-a.crt"
check "corporate is the default ownership" bash -c \
	'openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "urn:postern:ownership:corporate"' \
	_ "$D/devices/dev-a.crt"
check "device key is PKCS#8 PEM" grep -q "^-----BEGIN PRIVATE KEY-----$" "$D/devices/dev-a.key"
check "device serial matches the ledger" test "$(serial_of "$D/devices/dev-a.crt")" = "$(ledger_serial dev-a)"
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
# table_aligned: standard input is a table whose header names the columns;
# every row's cells start where the header's do (in terminal columns) and
# follow at least two spaces.
table_aligned() {
	python3 -c '
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.read().splitlines()
head = lines[0]
names = ["DEVICE", "OWNER", "GROUP", "OWNERSHIP", "SERIAL", "EXPIRES", "STATUS"]
assert head.split() == names, head
starts = [head.index(n) for n in names]
for line in lines[1:]:
    cols, w = {}, 0
    for i, c in enumerate(line):
        cols[w] = i
        w += width(c)
    for st in starts[1:]:
        i = cols[st]
        assert line[i] != " " and line[i - 2:i] == "  ", (st, line)
'
}
check "list prints a header and one line per device" test "$("$PCA" list --dir "$D" | wc -l)" -eq 5
list_aligned() { "$PCA" list --dir "$D" "$@" | table_aligned; }
check "list is a table with aligned columns" list_aligned
check "list shows owner, group, ownership, serial, expiry, status" bash -c '
	out=$("$1" list --dir "$2");
	grep -Eq "^dev-b +Bob \"B\" \\\\ Smith +field +byod +[0-9A-F]{32} +[0-9T:-]+Z +valid$" <<<"$out" &&
	grep -Eq "^dev-old +O +default +corporate +[0-9A-F]+ +2020-01-31T00:00:00Z +expired$" <<<"$out"' _ "$PCA" "$D"
check "list --json is valid JSON" bash -c '"$1" list --dir "$2" --json | python3 -m json.tool >/dev/null' _ "$PCA" "$D"
check "list --json has every key, escaped owners" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
devs = {d[\"device_id\"]: d for d in json.load(sys.stdin)}
keys = {\"device_id\", \"owner\", \"group\", \"ownership\", \"serial\", \"not_before\",
        \"not_after\", \"status\", \"current\", \"revoked_at\", \"reason\", \"key_origin\"}
assert all(set(d) == keys for d in devs.values()), devs
assert devs[\"dev-b\"][\"owner\"] == \"Bob \\\"B\\\" \\\\ Smith\", devs[\"dev-b\"]
assert devs[\"dev-a\"][\"owner\"] == \"Zo\u00eb M\u00fcller\"
assert devs[\"dev-b\"][\"ownership\"] == \"byod\" and devs[\"dev-b\"][\"group\"] == \"field\"
assert devs[\"dev-old\"][\"status\"] == \"expired\"
assert devs[\"dev-old\"][\"not_before\"] == \"2020-01-01T00:00:00Z\"
assert devs[\"dev-a\"][\"revoked_at\"] is None and devs[\"dev-a\"][\"current\"] is True
assert devs[\"dev-a\"][\"key_origin\"] == \"ca\"
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
refused "missing CA directory" 1 "^postern-ca: no CA in $tmp/none \(given with --dir\): No such file or directory; 'postern-ca init' makes one$" \
	"$PCA" issue --dir "$tmp/none" --device x --owner y
refused "a directory without a ledger" 1 "no CA in $tmp/export-none \(given with --dir\): ledger.db: No such file" \
	bash -c 'mkdir -p "$1" && "$2" list --dir "$1"' _ "$tmp/export-none" "$PCA"
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
# One number rule everywhere (common/number.h): a leading zero is refused.
refused "--days 007" 2 "--days: '007' is not a whole number from 1 to 36500 \(decimal, no leading zero\)" \
	"$PCA" issue --dir "$D" --device x --owner y --days 007
refused "--expiring 030" 2 "--expiring: '030'" "$PCA" list --dir "$D" --expiring 030
refused "--not-before 2021-02-30" 2 "--not-before" \
	"$PCA" issue --dir "$D" --device x --owner y --not-before 2021-02-30
refused "--ip 300.1.1.1" 2 "--ip: '300.1.1.1'" "$PCA" server --dir "$D" --name gw --ip 300.1.1.1
refused "--name with a comma" 2 "--name" "$PCA" server --dir "$D" --name 'gw,DNS:evil'
refused "--reason bogus" 2 "--reason: unknown reason 'bogus'" "$PCA" revoke --dir "$D" --device dev-a --reason bogus
refused "missing --owner" 2 "missing --owner" "$PCA" issue --dir "$D" --device x
# --dir, else POSTERN_PKI, else the default (what --help names).
default_dir=$("$PCA" --help | sed -n 's/^The CA directory is --dir DIR, else \$POSTERN_PKI, else \(.*\)\.$/\1/p')
check "--help names POSTERN_PKI and the default directory" test -n "$default_dir"
check "POSTERN_PKI names the CA directory" bash -c \
	'[ "$(POSTERN_PKI="$2" "$1" list)" = "$("$1" list --dir "$2")" ] &&
	 POSTERN_PKI="$2" "$1" list | grep -q "^dev-a "' _ "$PCA" "$D"
check "--dir wins over POSTERN_PKI" bash -c \
	'POSTERN_PKI="$3" "$1" list --dir "$2" | grep -q "^dev-a "' _ "$PCA" "$D" "$tmp/none"
refused "POSTERN_PKI naming a missing directory" 1 \
	"^postern-ca: no CA in $tmp/none \(from POSTERN_PKI\): No such file or directory; 'postern-ca init' makes one$" \
	env POSTERN_PKI="$tmp/none" "$PCA" list
refused "POSTERN_PKI set but empty" 2 "POSTERN_PKI is set but empty: unset it, or set it to the CA directory" \
	env POSTERN_PKI= "$PCA" list
if [ -z "$default_dir" ] || [ -e "$default_dir" ]; then
	ok "no --dir, no POSTERN_PKI, no CA in the default # SKIP ${default_dir:-?} exists here"
else
	refused "no --dir, no POSTERN_PKI, no CA in the default" 1 \
		"^postern-ca: no CA in $default_dir \(the default, as neither --dir nor POSTERN_PKI names one\): No such file" \
		"$PCA" list
fi
check "init and issue in POSTERN_PKI, without --dir" bash -c \
	'POSTERN_PKI="$2" "$1" init --name "Env CA" | grep -qx "created CA .Env CA. in $2" &&
	 POSTERN_PKI="$2" "$1" issue --device env-1 --owner E >/dev/null &&
	 [ -f "$2/devices/env-1.crt" ] && "$1" list --dir "$2" | grep -q "^env-1 "' _ "$PCA" "$tmp/ca-env"
refused "init in a directory that cannot be made says where its name came from" 1 \
	"cannot create $tmp/none/x \(from POSTERN_PKI\): No such file" env POSTERN_PKI="$tmp/none/x" "$PCA" init
refused "missing option value" 2 "option '--device' needs a value" "$PCA" issue --dir "$D" --device
refused "unknown option" 2 "unknown option '--bogus'" "$PCA" list --dir "$D" --bogus
refused "option of another command" 2 "unknown option '--byod'" "$PCA" init --dir "$tmp/ca2" --byod
refused "stray argument" 2 "unexpected argument 'extra'" "$PCA" list --dir "$D" extra
refused "option given twice" 2 "--device given twice" "$PCA" issue --dir "$D" --device a --device b --owner y
refused "unknown command" 2 "unknown command 'frobnicate'" "$PCA" frobnicate
check "no command prints usage and exits 2" bash -c '"$1" 2>&1 >/dev/null | grep "^usage:" >/dev/null; [ "${PIPESTATUS[0]}" = 2 ]' _ "$PCA"
check "refused runs left no device behind" test "$(json_count)" -eq 4
check "nothing was created by the refused init" test ! -e "$tmp/ca2"
# man_options COMMAND: the options of COMMAND's SYNOPSIS in the manual page,
# sorted, one per line (".Fl -dir Ar dir" gives --dir).
man_options() {
	awk -v c="$1" '
		/^\.Sh / { syn = ($2 == "SYNOPSIS") }
		syn && /^\.Nm/ { on = 0 }
		syn && $0 == ".Cm " c { on = 1 }
		on { for (i = 1; i < NF; i++) if ($i == "Fl" || $i == ".Fl") print "-" $(i + 1) }
	' man/postern-ca.8 | sort -u
}
# help_options TEXT: the options TEXT names, sorted, one per line.
help_options() { grep -o -- '--[a-z0-9-]*' <<<"$1" | grep -vx -- '--help' | sort -u; }
for c in init server issue sign renew revoke lost crl list show export check; do
	page=$("$PCA" "$c" --help)
	rc=$?
	check "$c --help: exit 0, usage line first, points at postern-ca(8)" bash -c \
		'[ "$3" = 0 ] && head -n 1 <<<"$1" | grep -q "^usage: postern-ca $2 \[--dir DIR\]" &&
		 grep -qF "postern-ca(8)" <<<"$1"' _ "$page" "$c" "$rc"
	check "$c --help names the options of postern-ca(8)'s SYNOPSIS" \
		test "$(help_options "$page")" = "$(man_options "$c")" -a -n "$(man_options "$c")"
done
page=$("$PCA" --help)
rc=$?
check "postern-ca --help: exit 0, usage line, points at postern-ca(8)" bash -c \
	'[ "$2" = 0 ] && head -n 1 <<<"$1" | grep -q "^usage: postern-ca COMMAND" &&
	 grep -qF "postern-ca(8)" <<<"$1"' _ "$page" "$rc"
check "postern-ca --help lists every command" bash -c \
	'for c in init server issue sign renew revoke lost crl list show export check; do
		grep -q "^  $c  *[a-z]" <<<"$1" || exit 1; done' _ "$page"

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
	'[ "$("$1" list --dir "$2" --json | grep -c "\"device_id\": \"race\"")" = 1 ] &&
	 [ "$(openssl x509 -in "$2/devices/race.crt" -noout -serial | cut -d= -f2)" = "$3" ] &&
	 openssl x509 -in "$2/devices/race.crt" -noout -pubkey | cmp -s - <(openssl pkey -in "$2/devices/race.key" -pubout)' \
	_ "$PCA" "$D" "$(ledger_serial race)"

# --- renew ---------------------------------------------------------------
# ren-1 is renewed twice: first keeping the old certificate, then with
# --revoke-old; every certificate it had stays in the ledger.
check "issue ren-1" quiet "$PCA" issue --dir "$D" --device ren-1 --owner "Renée Ö" \
	--group field --byod --days 20
ren_s1=$(serial_of "$D/devices/ren-1.crt") ren_p1=$(pubkey_of "$D/devices/ren-1.crt")
check "renew ren-1 --days 400" quiet "$PCA" renew --dir "$D" --device ren-1 --days 400
ren_s2=$(serial_of "$D/devices/ren-1.crt") ren_p2=$(pubkey_of "$D/devices/ren-1.crt")
check "renew made a new serial and a new key" test "$ren_s1" != "$ren_s2" -a "$ren_p1" != "$ren_p2"
check "the new certificate is the ledger's current one" test "$(ledger_serial ren-1)" = "$ren_s2"
check "renew kept device id, owner, group and ownership" bash -c '
	openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_comma_plus_space |
	grep -qx "subject=O=Test Device CA, OU=field, CN=ren-1, name=Renée Ö" &&
	openssl x509 -in "$1" -noout -ext subjectAltName |
	grep -q "URI:urn:postern:device:ren-1, URI:urn:postern:ownership:byod"' _ "$D/devices/ren-1.crt"
check "renew --days 400 is valid for 400 days" bash -c '
	end=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2);
	d=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 )); [ "$d" -ge 399 ] && [ "$d" -le 400 ]' \
	_ "$D/devices/ren-1.crt"
check "the new key belongs to the new certificate" bash -c \
	'openssl pkey -in "$1/ren-1.key" -pubout | cmp -s - <(openssl x509 -in "$1/ren-1.crt" -noout -pubkey)' \
	_ "$D/devices"
check "the old certificate and key are archived under its serial" bash -c \
	'[ "$(openssl x509 -in "$1/archive/ren-1.$2.crt" -noout -serial | cut -d= -f2)" = "$2" ] &&
	 [ "$(stat -c %a "$1/archive/ren-1.$2.key")" = 600 ] &&
	 openssl pkey -in "$1/archive/ren-1.$2.key" -pubout | cmp -s - <(openssl x509 -in "$1/archive/ren-1.$2.crt" -noout -pubkey)' \
	_ "$D/devices" "$ren_s1"
check "both certificates of ren-1 are valid, the new one current" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
r = [d for d in json.load(sys.stdin) if d[\"device_id\"] == \"ren-1\"]
assert [(d[\"serial\"], d[\"status\"], d[\"current\"]) for d in r] == [
    (sys.argv[1], \"valid\", False), (sys.argv[2], \"valid\", True)], r
" "$3" "$4"' _ "$PCA" "$D" "$ren_s1" "$ren_s2"
check "the old certificate still passes the CRL check" bash -c \
	'openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$1/devices/archive/ren-1.$2.crt" |
	 grep -q ": OK"' _ "$D" "$ren_s1"
crl_num() { openssl crl -in "$D/crl.pem" -noout -crlnumber | cut -d= -f2; }
num_before=$(crl_num)
check "renew --revoke-old" bash -c \
	'"$1" renew --dir "$2" --device ren-1 --revoke-old | grep -q "revoked 2 older certificates (superseded)"' \
	_ "$PCA" "$D"
ren_s3=$(serial_of "$D/devices/ren-1.crt")
check "--revoke-old re-issued the CRL" test "$(crl_num)" != "$num_before"
check "the CRL lists both older certificates as superseded, not the new one" bash -c '
	t=$(openssl crl -in "$1" -noout -text);
	grep -A4 "Serial Number: $2" <<<"$t" | grep -q Superseded &&
	grep -A4 "Serial Number: $3" <<<"$t" | grep -q Superseded &&
	! grep -q "Serial Number: $4" <<<"$t"' _ "$D/crl.pem" "$ren_s1" "$ren_s2" "$ren_s3"
check "openssl -crl_check: the new ren-1 certificate is OK" bash -c \
	'openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$1/devices/ren-1.crt" |
	 grep -q ": OK"' _ "$D"
# A revoked certificate that expired more than a CRL lifetime ago leaves the
# CRL (its expiry refuses it anyway); one revoked today stays.
"$PCA" issue --dir "$D" --device crl-old --owner P --not-before 2020-01-01 --days 1 >/dev/null
old_s=$(serial_of "$D/devices/crl-old.crt")
"$PCA" revoke --dir "$D" --device crl-old >/dev/null
check "a certificate that expired in 2020 and was revoked now is not in the CRL" bash -c \
	'! openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2"' _ "$D/crl.pem" "$old_s"
check "the ledger still lists it as revoked" bash -c \
	'"$1" list --dir "$2" --json | python3 -c "import json, sys
print(any(d[\"device_id\"] == \"crl-old\" and d[\"status\"] == \"revoked\" for d in json.load(sys.stdin)))" |
	 grep -qx True' _ "$PCA" "$D"
check "the CRL still lists ren-1's superseded certificate" bash -c \
	'openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2"' _ "$D/crl.pem" "$ren_s1"
check "renew keeps an RSA device RSA" bash -c \
	'"$1" renew --dir "$2" --device dev-rsa >/dev/null &&
	 openssl pkey -in "$2/devices/dev-rsa.key" -noout -text | grep -q "Private-Key: (3072 bit"' _ "$PCA" "$D"
check "an expired device can be renewed" bash -c \
	'"$1" renew --dir "$2" --device dev-old >/dev/null &&
	 openssl verify -CAfile "$2/ca.crt" "$2/devices/dev-old.crt" | grep -q ": OK"' _ "$PCA" "$D"
count_before=$("$PCA" list --dir "$D" --json | grep -c device_id)
crl_sum=$(digest "$D/crl.pem")
refused "renew of an unknown device" 1 "^postern-ca: unknown device nobody$" \
	"$PCA" renew --dir "$D" --device nobody
refused "renew of a revoked device" 1 "device dev-b is revoked \(since .*, reason keyCompromise\): a revoked device is not renewed" \
	"$PCA" renew --dir "$D" --device dev-b
refused "renew without --device" 2 "missing --device" "$PCA" renew --dir "$D"
refused "renew --days 0" 2 "--days: '0'" "$PCA" renew --dir "$D" --device ren-1 --days 0
refused "renew --revoke-old=yes" 2 "option '--revoke-old=yes' takes no value" \
	"$PCA" renew --dir "$D" --device ren-1 --revoke-old=yes
check "refused renewals changed nothing" bash -c \
	'[ "$("$1" list --dir "$2" --json | grep -c device_id)" = "$3" ] &&
	 [ "$(sha256sum <"$2/crl.pem")" = "$4  -" ] && ! ls -A "$2/devices" | grep -q "^\."' \
	_ "$PCA" "$D" "$count_before" "$crl_sum"

# --- lost ----------------------------------------------------------------
check "issue and renew lost-1" bash -c '"$1" issue --dir "$2" --device lost-1 --owner L >/dev/null &&
	"$1" renew --dir "$2" --device lost-1 >/dev/null' _ "$PCA" "$D"
lost_old=$("$PCA" list --dir "$D" --json | python3 -c 'import json, sys
print([d["serial"] for d in json.load(sys.stdin) if d["device_id"] == "lost-1" and not d["current"]][0])')
crl_ino=$(stat -c %i "$D/crl.pem")
num_before=$(crl_num)
check "lost revokes every certificate of the device" bash -c \
	'"$1" lost --dir "$2" --device lost-1 | grep -q "device lost-1 marked lost: 2 certificates revoked (keyCompromise); .*crl.pem re-issued"' \
	_ "$PCA" "$D"
check "the CRL was replaced by a rename (a new file, no temporary left)" bash -c \
	'[ "$(stat -c %i "$1/crl.pem")" != "$2" ] && ! ls "$1" | grep -q tmp &&
	 [ "$(stat -c %a "$1/crl.pem")" = 644 ]' _ "$D" "$crl_ino"
check "the CRL number went up" test "$(crl_num)" != "$num_before"
check "openssl -crl_check: both certificates of lost-1 are revoked for keyCompromise" bash -c '
	for c in "$1/devices/lost-1.crt" "$1/devices/archive/lost-1.$2.crt"; do
		openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$c" 2>&1 |
		grep -q "certificate revoked" || exit 1
	done
	t=$(openssl crl -in "$1/crl.pem" -noout -text)
	grep -A4 "Serial Number: $2" <<<"$t" | grep -q "Key Compromise"' _ "$D" "$lost_old"
check "list shows lost-1 lost, with keyCompromise" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
r = [d for d in json.load(sys.stdin) if d[\"device_id\"] == \"lost-1\"]
assert len(r) == 2 and all(d[\"status\"] == \"lost\" and d[\"reason\"] == \"keyCompromise\" and d[\"revoked_at\"] for d in r), r
"' _ "$PCA" "$D"
check "the table says lost" bash -c '"$1" list --dir "$2" | grep -Eq "^lost-1 .* lost$"' _ "$PCA" "$D"
crl_sum=$(digest "$D/crl.pem")
refused "lost twice is refused" 1 "device lost-1 is already marked lost \(since [0-9T:-]+Z\); the CRL is unchanged" \
	"$PCA" lost --dir "$D" --device lost-1
refused "lost of an unknown device" 1 "^postern-ca: unknown device nobody$" "$PCA" lost --dir "$D" --device nobody
refused "renew of a lost device" 1 "device lost-1 is lost \(since .*\): a lost device is not renewed" \
	"$PCA" renew --dir "$D" --device lost-1
refused "lost without --device" 2 "missing --device" "$PCA" lost --dir "$D"
refused "lost --reason is not an option" 2 "unknown option '--reason'" \
	"$PCA" lost --dir "$D" --device dev-a --reason superseded
refused "revoke of a lost device" 1 "device lost-1 is lost \(since [0-9T:-]+Z\): its certificates are revoked; the CRL is unchanged" \
	"$PCA" revoke --dir "$D" --device lost-1
check "refused lost runs left the CRL untouched" test "$(digest "$D/crl.pem")" = "$crl_sum"
check "a lost device (revoked before) can still be marked lost" bash -c \
	'"$1" lost --dir "$2" --device dev-b | grep -q "0 certificates revoked"' _ "$PCA" "$D"

# --- revoke --serial -----------------------------------------------------
check "issue and renew rs-1" bash -c '"$1" issue --dir "$2" --device rs-1 --owner S >/dev/null &&
	"$1" renew --dir "$2" --device rs-1 >/dev/null' _ "$PCA" "$D"
rs_new=$(ledger_serial rs-1)
rs_old=$("$PCA" list --dir "$D" --json | python3 -c 'import json, sys
print([d["serial"] for d in json.load(sys.stdin) if d["device_id"] == "rs-1" and not d["current"]][0])')
check "revoke --serial revokes that certificate only" bash -c \
	'"$1" revoke --dir "$2" --device rs-1 --serial "$(tr A-F a-f <<<"$3")" --reason superseded |
	 grep -q "1 certificate;" && "$1" list --dir "$2" --json | python3 -c "
import json, sys
r = {d[\"serial\"]: d[\"status\"] for d in json.load(sys.stdin) if d[\"device_id\"] == \"rs-1\"}
assert r == {sys.argv[1]: \"revoked\", sys.argv[2]: \"valid\"}, r
" "$3" "$4"' _ "$PCA" "$D" "$rs_old" "$rs_new"
refused "revoke --serial twice" 1 "certificate $rs_old of device rs-1 is already revoked" \
	"$PCA" revoke --dir "$D" --device rs-1 --serial "$rs_old"
refused "revoke --serial of another device's certificate" 1 "device rs-1 has no certificate with serial $ren_s3" \
	"$PCA" revoke --dir "$D" --device rs-1 --serial "$ren_s3"
refused "revoke --serial xyz" 2 "--serial: 'xyz' is not a serial number" \
	"$PCA" revoke --dir "$D" --device rs-1 --serial xyz

# --- list --expiring -----------------------------------------------------
check "issue exp-10, exp-100, exp-renewed" bash -c '
	"$1" issue --dir "$2" --device exp-10 --owner E --days 10 >/dev/null &&
	"$1" issue --dir "$2" --device exp-100 --owner E --days 100 >/dev/null &&
	"$1" issue --dir "$2" --device exp-renewed --owner E --days 10 >/dev/null &&
	"$1" renew --dir "$2" --device exp-renewed --days 365 >/dev/null &&
	"$1" issue --dir "$2" --device exp-revoked --owner E --days 10 >/dev/null &&
	"$1" revoke --dir "$2" --device exp-revoked >/dev/null' _ "$PCA" "$D"
expiring_ids() { "$PCA" list --dir "$D" --expiring "$1" --json | python3 -c 'import json, sys
print(" ".join(d["device_id"] for d in json.load(sys.stdin)))'; }
check "--expiring 30: valid, within 30 days, not yet renewed" test "$(expiring_ids 30)" = "exp-10"
check "--expiring 200 adds exp-100" test "$(expiring_ids 200)" = "exp-10 exp-100"
check "--expiring 5: none" test "$(expiring_ids 5)" = ""
check "--expiring as a table" bash -c 'out=$("$1" list --dir "$2" --expiring 30);
	[ "$(wc -l <<<"$out")" = 2 ] && grep -Eq "^exp-10 +E +default +corporate +[0-9A-F]+ +[0-9T:-]+Z +valid$" <<<"$out"' \
	_ "$PCA" "$D"
check "--expiring table is aligned" list_aligned --expiring 200
refused "--expiring abc" 2 "--expiring: 'abc' is not a whole number" "$PCA" list --dir "$D" --expiring abc
refused "--expiring 0" 2 "--expiring: '0'" "$PCA" list --dir "$D" --expiring 0

# --- export --------------------------------------------------------------
X=$tmp/export
mkdir -m 700 "$X"
(umask 077; printf 'Pässwort mit Leerzeichen\n' >"$X/pw")
check "export dev-a as PKCS#12" quiet "$PCA" export --dir "$D" --device dev-a --p12 "$X/dev-a.p12" \
	--password-file "$X/pw"
check "the bundle is 0600" test "$(mode_of "$X/dev-a.p12")" = 600
check "openssl pkcs12 -info reads it with the password" bash -c \
	'openssl pkcs12 -info -in "$1" -passin "file:$2" -noout >/dev/null 2>&1' _ "$X/dev-a.p12" "$X/pw"
info=$(openssl pkcs12 -info -in "$X/dev-a.p12" -passin "file:$X/pw" -noout 2>&1)
check "AES-256-CBC under PBES2/PBKDF2 for key and certificates, SHA-256 MAC" bash -c '
	grep -q "^MAC: sha256" <<<"$1" &&
	grep -q "^PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration [0-9]*, PRF hmacWithSHA256" <<<"$1" &&
	grep -q "^Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration [0-9]*, PRF hmacWithSHA256" <<<"$1" &&
	[ "$(grep -c "^Certificate bag" <<<"$1")" = 2 ]' _ "$info"
check "the bundle's key matches its certificate, dev-a's current one" bash -c '
	openssl pkcs12 -in "$1" -passin "file:$2" -nocerts -nodes 2>/dev/null | openssl pkey -pubout >"$4/k.pub" &&
	openssl pkcs12 -in "$1" -passin "file:$2" -clcerts -nokeys 2>/dev/null | openssl x509 >"$4/c.pem" &&
	openssl x509 -in "$4/c.pem" -noout -pubkey | cmp -s - "$4/k.pub" &&
	cmp -s <(openssl x509 -in "$4/c.pem" -outform DER) <(openssl x509 -in "$3/devices/dev-a.crt" -outform DER)' \
	_ "$X/dev-a.p12" "$X/pw" "$D" "$tmp"
check "the bundle carries the CA certificate and the device name" bash -c '
	openssl pkcs12 -in "$1" -passin "file:$2" -cacerts -nokeys 2>/dev/null | openssl x509 -outform DER |
	cmp -s - <(openssl x509 -in "$3/ca.crt" -outform DER) &&
	openssl pkcs12 -in "$1" -passin "file:$2" -clcerts -nokeys 2>/dev/null | grep -q "friendlyName: dev-a"' \
	_ "$X/dev-a.p12" "$X/pw" "$D"
check "a wrong password does not open it" bash -c \
	'! openssl pkcs12 -info -in "$1" -passin pass:wrong -noout 2>/dev/null' _ "$X/dev-a.p12"
check "export never prints the password" bash -c \
	'out=$("$1" export --dir "$2" --device ren-1 --p12 "$3/ren-1.p12" --password-file "$3/pw" 2>&1) &&
	 ! grep -q "Pässwort" <<<"$out" && ! grep -q "Pässwort" "$3/ren-1.p12"' _ "$PCA" "$D" "$X"
check "a renewed device exports its new certificate" bash -c \
	'openssl pkcs12 -in "$1" -passin "file:$2" -clcerts -nokeys 2>/dev/null | openssl x509 -noout -serial |
	 grep -q "=$3$"' _ "$X/ren-1.p12" "$X/pw" "$ren_s3"
p12_sum=$(digest "$X/dev-a.p12")
refused "export refuses an existing file" 1 "dev-a.p12 already exists: refusing to overwrite it" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/dev-a.p12" --password-file "$X/pw"
check "the existing file was left alone" test "$(digest "$X/dev-a.p12")" = "$p12_sum"
ln -s "$X/nowhere.p12" "$X/link.p12"
refused "export refuses a dangling symlink" 1 "link.p12 already exists" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/link.p12" --password-file "$X/pw"
refused "export with a missing password file" 1 "cannot open the password file $X/none: No such file" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/x1.p12" --password-file "$X/none"
(umask 077; : >"$X/empty"; printf '\nsecond line\n' >"$X/first-empty")
refused "export with a 0-byte password file" 1 "the password \(the file's first line\) is empty" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/x2.p12" --password-file "$X/empty"
refused "export with an empty first line" 1 "is empty" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/x3.p12" --password-file "$X/first-empty"
cp "$X/pw" "$X/pw-open" && chmod 644 "$X/pw-open"
refused "export with a password file others can read" 1 "pw-open is accessible by group or others \(mode 0644\)" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/x4.p12" --password-file "$X/pw-open"
refused "export of an unknown device" 1 "^postern-ca: unknown device nobody$" \
	"$PCA" export --dir "$D" --device nobody --p12 "$X/x5.p12" --password-file "$X/pw"
refused "export of a revoked device" 1 "device exp-revoked is revoked: refusing to export it" \
	"$PCA" export --dir "$D" --device exp-revoked --p12 "$X/x6.p12" --password-file "$X/pw"
refused "export of a lost device" 1 "device lost-1 is lost: refusing to export it" \
	"$PCA" export --dir "$D" --device lost-1 --p12 "$X/x7.p12" --password-file "$X/pw"
"$PCA" issue --dir "$D" --device exp-gone --owner E --not-before 2020-01-01 --days 1 >/dev/null
refused "export of an expired device" 1 "device exp-gone is expired: refusing to export it \(renew it first\)" \
	"$PCA" export --dir "$D" --device exp-gone --p12 "$X/x8.p12" --password-file "$X/pw"
refused "export without --p12" 2 "missing --p12" \
	"$PCA" export --dir "$D" --device dev-a --password-file "$X/pw"
refused "export without --password-file" 2 "missing --password-file" \
	"$PCA" export --dir "$D" --device dev-a --p12 "$X/x9.p12"
check "refused exports wrote nothing" bash -c \
	'[ "$(ls -A "$1" | sort | tr "\n" " ")" = "dev-a.p12 empty first-empty link.p12 pw pw-open ren-1.p12 " ]' _ "$X"

# --- check ---------------------------------------------------------------
check "check: the ledger and the files agree" bash -c \
	'"$1" check --dir "$2" | grep -q "ledger.db: ok, [0-9]* devices, [0-9]* certificates; 0 interrupted run files finished, 0 removed"' \
	_ "$PCA" "$D"
cp "$D/devices/dev-a.crt" "$tmp/dev-a.crt.saved"
cp "$D/devices/dev-c.crt" "$D/devices/dev-a.crt"
refused "check finds a certificate file that is not the ledger's" 1 "dev-a.crt has serial [0-9A-F]+, the ledger [0-9A-F]+" \
	"$PCA" check --dir "$D"
cp "$tmp/dev-a.crt.saved" "$D/devices/dev-a.crt"

# --- sign: a key made on the device, or by its MDM -----------------------
# The request asks for another device's id, a DNS name, CA:TRUE, serverAuth
# and a subject of its own: the certificate has none of it.
R=$tmp/req
mkdir -m 700 "$R"
# req NAME KEYSPEC [openssl req options...]: a key and a request, as a
# device or its MDM makes them; the key stays in $R.
req() {
	local name=$1 spec=$2
	shift 2
	openssl req -new -newkey "$spec" -nodes -keyout "$R/$name.key" -out "$R/$name.csr" \
		-subj "/CN=admin/OU=admins" "$@" 2>/dev/null
}
req greedy ec -pkeyopt ec_paramgen_curve:P-256 \
	-addext "subjectAltName=DNS:vpn.test,URI:urn:postern:device:dev-a,URI:urn:postern:ownership:corporate" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "extendedKeyUsage=serverAuth,codeSigning"
check "sign a request whose key the device keeps" bash -c \
	'"$1" sign --dir "$2" --csr "$3/greedy.csr" --device phone-s1 --owner "Sam Lee" --group field --byod |
	 grep -Eq "^signed $2/devices/phone-s1.crt from $3/greedy.csr \(serial [0-9A-F]{32}, valid until [0-9T:-]+Z\); the key stays with the device$"' \
	_ "$PCA" "$D" "$R"
s1_text=$(cert_text "$D/devices/phone-s1.crt")
check "the certificate has our subject and profile, nothing the request asked for" bash -c '
	grep -q "Subject: O = Test Device CA, OU = field, CN = phone-s1, name = Sam Lee" <<<"$1" &&
	[ "$(grep -A1 "Subject Alternative Name" <<<"$1" | tail -n 1 | tr -d " ")" = \
	  "URI:urn:postern:device:phone-s1,URI:urn:postern:ownership:byod" ] &&
	grep -A1 "Basic Constraints: critical" <<<"$1" | grep -q "CA:FALSE" &&
	[ "$(grep -A1 "Extended Key Usage" <<<"$1" | tail -n 1 | tr -d " ")" = "TLSWebClientAuthentication" ] &&
	! grep -Eq "vpn\.test|admin|Code Signing|Server Authentication|CA:TRUE" <<<"$1"' _ "$s1_text"
check "the certificate is for the request's key and verifies against the CA" bash -c \
	'openssl x509 -in "$1/devices/phone-s1.crt" -noout -pubkey | cmp -s - <(openssl pkey -in "$2/greedy.key" -pubout) &&
	 openssl verify -CAfile "$1/ca.crt" -purpose sslclient "$1/devices/phone-s1.crt" | grep -q ": OK"' _ "$D" "$R"
check "no key was written for it; the ledger says the device made it" bash -c \
	'[ ! -e "$2/devices/phone-s1.key" ] && "$1" list --dir "$2" --json | python3 -c "
import json, sys
d = [x for x in json.load(sys.stdin) if x[\"device_id\"] == \"phone-s1\"]
assert len(d) == 1 and d[0][\"key_origin\"] == \"csr\" and d[0][\"ownership\"] == \"byod\" and d[0][\"status\"] == \"valid\", d
"' _ "$PCA" "$D"
req rsa rsa:2048
openssl req -in "$R/rsa.csr" -outform DER -out "$R/rsa.der"
check "sign an RSA 2048 request in DER, --ownership, --days, --not-before" bash -c \
	'"$1" sign --dir "$2" --csr "$3/rsa.der" --device laptop-s2 --owner R --ownership corporate \
		--days 30 --not-before 2030-01-01 >/dev/null &&
	 openssl x509 -in "$2/devices/laptop-s2.crt" -noout -startdate -enddate | tr "\n" " " |
	 grep -q "notBefore=Jan  1 00:00:00 2030 GMT notAfter=Jan 31 00:00:00 2030 GMT" &&
	 openssl x509 -in "$2/devices/laptop-s2.crt" -noout -ext subjectAltName | grep -q "ownership:corporate"' \
	_ "$PCA" "$D" "$R"
req p384 ec -pkeyopt ec_paramgen_curve:P-384
req weak rsa:1024
req p521 ec -pkeyopt ec_paramgen_curve:P-521
req ed ed25519
# A request altered after it was signed: one letter of its subject.
python3 - "$R/p384.csr" "$R/altered.der" <<'PY'
import base64, sys
pem = open(sys.argv[1]).read().split("-----")[2]
der = bytearray(base64.b64decode("".join(pem.split())))
i = der.index(b"admin")
der[i] = ord("b")
open(sys.argv[2], "wb").write(der)
PY
printf 'not a request\n' >"$R/junk.csr"
count_before=$("$PCA" list --dir "$D" --json | grep -c device_id)
refused "sign refuses an RSA 1024 request" 1 "weak.csr: its key is RSA 1024: RSA must have 2048 to 8192 bits" \
	"$PCA" sign --dir "$D" --csr "$R/weak.csr" --device s-x --owner X
refused "sign refuses a P-521 request" 1 "its key is ECDSA on secp521r1: only P-256 and P-384 are accepted" \
	"$PCA" sign --dir "$D" --csr "$R/p521.csr" --device s-x --owner X
refused "sign refuses an Ed25519 request" 1 "its key is ED25519: only RSA \(2048 to 8192 bits\) and ECDSA \(P-256, P-384\)" \
	"$PCA" sign --dir "$D" --csr "$R/ed.csr" --device s-x --owner X
refused "sign refuses an altered request" 1 "altered.der: its signature does not verify under its own key" \
	"$PCA" sign --dir "$D" --csr "$R/altered.der" --device s-x --owner X
refused "sign refuses what is not a request" 1 "junk.csr: not a certificate signing request" \
	"$PCA" sign --dir "$D" --csr "$R/junk.csr" --device s-x --owner X
refused "sign of a missing file" 1 "none.csr: cannot open: No such file or directory" \
	"$PCA" sign --dir "$D" --csr "$R/none.csr" --device s-x --owner X
refused "sign of a device id that exists" 1 "device dev-a already exists \(status valid\)" \
	"$PCA" sign --dir "$D" --csr "$R/p384.csr" --device dev-a --owner X
refused "sign without --csr" 2 "missing --csr" "$PCA" sign --dir "$D" --device s-x --owner X
refused "sign without --owner" 2 "missing --owner" "$PCA" sign --dir "$D" --csr "$R/p384.csr" --device s-x
refused "sign --rsa is not an option" 2 "unknown option '--rsa'" \
	"$PCA" sign --dir "$D" --csr "$R/p384.csr" --device s-x --owner X --rsa
refused "--ownership of another kind" 2 "--ownership: 'guest' is not corporate or byod" \
	"$PCA" sign --dir "$D" --csr "$R/p384.csr" --device s-x --owner X --ownership guest
refused "--byod and --ownership together" 2 "--ownership or --byod given twice" \
	"$PCA" issue --dir "$D" --device s-x --owner X --byod --ownership corporate
check "refused sign runs recorded nothing and wrote nothing" bash -c \
	'[ "$("$1" list --dir "$2" --json | grep -c device_id)" = "$3" ] &&
	 ! ls -A "$2/devices" | grep -q "^s-x\|^\.s-x"' _ "$PCA" "$D" "$count_before"
check "issue --ownership byod" bash -c \
	'"$1" issue --dir "$2" --device own-b --owner O --ownership byod >/dev/null &&
	 openssl x509 -in "$2/devices/own-b.crt" -noout -ext subjectAltName | grep -q "ownership:byod"' _ "$PCA" "$D"
(umask 077; echo pw >"$R/pw")
refused "export of a device that made its own key" 1 \
	"device phone-s1 made its own key \(its certificate was signed from a request\): there is no key here to export; its certificate is $D/devices/phone-s1.crt" \
	"$PCA" export --dir "$D" --device phone-s1 --p12 "$R/s1.p12" --password-file "$R/pw"
refused "renew of such a device without a new request" 1 "device phone-s1 made its own key .*: renew it with --csr FILE" \
	"$PCA" renew --dir "$D" --device phone-s1
refused "renew --csr with --rsa" 2 "--csr and --rsa" \
	"$PCA" renew --dir "$D" --device phone-s1 --csr "$R/p384.csr" --rsa
s1_old=$(serial_of "$D/devices/phone-s1.crt")
check "renew --csr: a new certificate for the new request's key" bash -c \
	'"$1" renew --dir "$2" --device phone-s1 --csr "$3/p384.csr" | grep -q "; the key stays with the device$" &&
	 openssl x509 -in "$2/devices/phone-s1.crt" -noout -pubkey | cmp -s - <(openssl pkey -in "$3/p384.key" -pubout) &&
	 [ "$(openssl x509 -in "$2/devices/phone-s1.crt" -noout -serial | cut -d= -f2)" != "$4" ] &&
	 [ -f "$2/devices/archive/phone-s1.$4.crt" ] && [ ! -e "$2/devices/phone-s1.key" ] &&
	 [ ! -e "$2/devices/archive/phone-s1.$4.key" ] &&
	 openssl x509 -in "$2/devices/phone-s1.crt" -noout -subject | grep -q "OU = field, CN = phone-s1, name = Sam Lee"' \
	_ "$PCA" "$D" "$R" "$s1_old"
# A device whose keys were made here moves to keys its MDM makes.
dc_old=$(serial_of "$D/devices/dev-c.crt")
req move ec -pkeyopt ec_paramgen_curve:P-256
check "renew --csr of a device whose key was made here: its old key goes to the archive" bash -c \
	'"$1" renew --dir "$2" --device dev-c --csr "$3/move.csr" >/dev/null &&
	 [ ! -e "$2/devices/dev-c.key" ] && [ -f "$2/devices/archive/dev-c.$4.key" ] &&
	 openssl x509 -in "$2/devices/dev-c.crt" -noout -pubkey | cmp -s - <(openssl pkey -in "$3/move.key" -pubout)' \
	_ "$PCA" "$D" "$R" "$dc_old"
check "check: devices that made their own keys have no key file, and that is fine" bash -c \
	'"$1" check --dir "$2" | grep -q "ledger.db: ok"' _ "$PCA" "$D"
cp "$R/greedy.key" "$D/devices/phone-s1.key"
refused "check finds a key file beside a certificate signed from a request" 1 \
	"phone-s1.key should not exist: the device made its own key" "$PCA" check --dir "$D"
rm -f "$D/devices/phone-s1.key"
check "revoke a signed device: the CRL lists it" bash -c \
	'"$1" revoke --dir "$2" --device laptop-s2 >/dev/null &&
	 openssl verify -CAfile "$2/ca.crt" -crl_check -CRLfile "$2/crl.pem" "$2/devices/laptop-s2.crt" 2>&1 |
	 grep -q "certificate revoked"' _ "$PCA" "$D"

# --- show ----------------------------------------------------------------
show_of() { "$PCA" show --dir "$D" --device "$1"; }
a_show=$(show_of dev-a)
check "show: the ledger's device and current certificate" bash -c '
	[ "$(sed -n "s/^device  *//p" <<<"$1")" = dev-a ] &&
	grep -qx "owner        Zoë Müller" <<<"$1" && grep -qx "group        default" <<<"$1" &&
	grep -qx "ownership    corporate" <<<"$1" && grep -qx "state        active" <<<"$1" &&
	grep -Eqx "status       valid until [0-9T:-]+Z" <<<"$1" &&
	grep -qx "serial       $2" <<<"$1"' _ "$a_show" "$(ledger_serial dev-a)"
check "show: subject and SHA-256 fingerprint as openssl reads the file" bash -c '
	[ "subject=$(sed -n "s/^subject  *//p" <<<"$1")" = \
	  "$(openssl x509 -in "$2" -noout -subject -nameopt utf8,sep_comma_plus_space)" ] &&
	[ "sha256 Fingerprint=$(sed -n "s/^sha256  *//p" <<<"$1")" = \
	  "$(openssl x509 -in "$2" -noout -fingerprint -sha256)" ]' _ "$a_show" "$D/devices/dev-a.crt"
check "show: where the certificate and key are" bash -c '
	grep -qx "certificate  $2/devices/dev-a.crt" <<<"$1" && grep -qx "key          $2/devices/dev-a.key" <<<"$1"' \
	_ "$a_show" "$D"
ren_show=$(show_of ren-1)
check "show: every certificate of a renewed device, oldest first, with its file and status" bash -c '
	grep -qx "certificates 3, oldest first:" <<<"$1" &&
	grep -Eq "^  $2  .* revoked since [0-9T:-]+Z \(superseded\)  key ca  $5/devices/archive/ren-1\.$2\.crt$" <<<"$1" &&
	grep -Eq "^  $3  .* revoked since [0-9T:-]+Z \(superseded\)  key ca  $5/devices/archive/ren-1\.$3\.crt$" <<<"$1" &&
	grep -Eq "^  $4  .* valid until [0-9T:-]+Z  key ca  $5/devices/ren-1\.crt$" <<<"$1" &&
	[ "$(grep "^  " <<<"$1" | cut -c3-34 | tr "\n" " ")" = "$2 $3 $4 " ]' \
	_ "$ren_show" "$ren_s1" "$ren_s2" "$ren_s3" "$D"
check "show: a lost device, a revoked one and an expired one say since when" bash -c '
	"$1" show --dir "$2" --device lost-1 | grep -Eqx "state        lost since [0-9T:-]+Z" &&
	"$1" show --dir "$2" --device lost-1 | grep -Eqx "status       lost since [0-9T:-]+Z \(revoked, keyCompromise\)" &&
	"$1" show --dir "$2" --device exp-revoked | grep -Eqx "status       revoked since [0-9T:-]+Z \(unspecified\)" &&
	"$1" show --dir "$2" --device exp-gone | grep -qx "status       expired since 2020-01-02T00:00:00Z"' _ "$PCA" "$D"
check "show: a device that made its own key has none here" bash -c '
	"$1" show --dir "$2" --device phone-s1 |
	grep -qx "key          none here: made on the device or by its MDM (signed from a request)"' _ "$PCA" "$D"
check "show --json: the same, for scripts" bash -c '"$1" show --dir "$2" --device phone-s1 --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"device_id\"] == \"phone-s1\" and d[\"owner\"] == \"Sam Lee\" and d[\"group\"] == \"field\", d
assert d[\"ownership\"] == \"byod\" and d[\"state\"] == \"active\" and d[\"status\"] == \"valid\", d
assert d[\"key_origin\"] == \"csr\" and d[\"key_file\"] is None and d[\"key_file_present\"] is False, d
assert d[\"certificate_file\"] == sys.argv[1] + \"/devices/phone-s1.crt\", d
assert d[\"certificate_file_serial\"] == d[\"serial\"] and len(d[\"certificates\"]) == 2, d
assert [c[\"current\"] for c in d[\"certificates\"]] == [False, True], d
assert d[\"certificates\"][0][\"file\"] == sys.argv[1] + \"/devices/archive/phone-s1.\" + d[\"certificates\"][0][\"serial\"] + \".crt\", d
assert d[\"certificates\"][1][\"serial\"] == d[\"serial\"], d
"  "$2"' _ "$PCA" "$D"
cp "$D/devices/dev-c.crt" "$tmp/dev-c.crt.saved"
cp "$D/devices/dev-a.crt" "$D/devices/dev-c.crt"
check "show says when the certificate file is not the ledger's" bash -c \
	'"$1" show --dir "$2" --device dev-c | grep -q "^certificate  $2/devices/dev-c.crt (holds serial .*, not the ledger.s: run .postern-ca check.)$"' \
	_ "$PCA" "$D"
cp "$tmp/dev-c.crt.saved" "$D/devices/dev-c.crt"
refused "show of an unknown device" 1 "^postern-ca: unknown device nobody$" "$PCA" show --dir "$D" --device nobody
refused "show without --device" 2 "missing --device" "$PCA" show --dir "$D"
refused "show of a bad device id" 2 "--device: '\.\./x' is not a device id" "$PCA" show --dir "$D" --device ../x

# --- list filters --------------------------------------------------------
# list_ids ARGS...: "ID:SERIAL" of each certificate list --json ARGS prints,
# sorted; oracle EXPR: the same of the whole ledger where the Python
# expression EXPR holds for d (a record of list --json).
list_ids() {
	"$PCA" list --dir "$D" --json "$@" | python3 -c 'import json, sys
print(" ".join(sorted(d["device_id"] + ":" + d["serial"] for d in json.load(sys.stdin))))'
}
oracle() {
	"$PCA" list --dir "$D" --json | python3 -c 'import json, sys
print(" ".join(sorted(d["device_id"] + ":" + d["serial"] for d in json.load(sys.stdin) if eval(sys.argv[1]))))' "$1"
}
# filtered NAME EXPR ARGS...: list ARGS selects what EXPR does, and something.
filtered() {
	local name=$1 expr=$2 got want
	shift 2
	got=$(list_ids "$@")
	want=$(oracle "$expr")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got', want '$want')"; fi
}
filtered "list --device ID: that device's certificates" 'd["device_id"] == "ren-1"' --device ren-1
filtered "list --device PREFIX*: every device whose id starts so" 'd["device_id"].startswith("exp-")' --device 'exp-*'
filtered "list --group" 'd["group"] == "field"' --group field
filtered "list --ownership byod" 'd["ownership"] == "byod"' --ownership byod
filtered "list --status revoked" 'd["status"] == "revoked"' --status revoked
filtered "list --status lost" 'd["status"] == "lost"' --status lost
filtered "list --status expired" 'd["status"] == "expired"' --status expired
filtered "list --status valid" 'd["status"] == "valid"' --status valid
filtered "filters combine: --group field --ownership byod --status valid" \
	'd["group"] == "field" and d["ownership"] == "byod" and d["status"] == "valid"' \
	--group field --ownership byod --status valid
filtered "filters combine: --device PREFIX* --status revoked" \
	'd["device_id"].startswith("ren-") and d["status"] == "revoked"' --device 'ren-*' --status revoked
check "list --status expiring: --expiring 30's certificates" test \
	"$(list_ids --status expiring)" = "$(list_ids --expiring 30)" -a -n "$(list_ids --status expiring)"
check "--status expiring --expiring 200 --device exp-100" test "$(list_ids --status expiring --expiring 200 --device exp-100 |
	cut -d: -f1)" = exp-100
check "--status revoked --expiring 30: nothing (only a valid certificate expires)" \
	test -z "$(list_ids --status revoked --expiring 30)"
check "a filter that matches nothing: the table's header alone" bash -c \
	'"$1" list --dir "$2" --device no-such-device >"$3/none.out" && [ "$(wc -l <"$3/none.out")" = 1 ] &&
	 [ "$(tr -s " " <"$3/none.out")" = "DEVICE OWNER GROUP OWNERSHIP SERIAL EXPIRES STATUS" ]' _ "$PCA" "$D" "$tmp"
check "a filtered table is aligned" list_aligned --status revoked --device 'ren-*'
refused "list --status bogus" 2 "--status: 'bogus' is not one of valid, revoked, lost, expired, expiring" \
	"$PCA" list --dir "$D" --status bogus
refused "list --device ../x" 2 "--device: '\.\./x' is neither a device id nor the start of one followed by '\*'" \
	"$PCA" list --dir "$D" --device ../x
refused "list --device '*' alone" 2 "--device: '\*' is neither" "$PCA" list --dir "$D" --device '*'
refused "list --device a*b" 2 "--device: 'a\*b' is neither" "$PCA" list --dir "$D" --device 'a*b'
refused "list --ownership guest" 2 "--ownership: 'guest' is not corporate or byod" \
	"$PCA" list --dir "$D" --ownership guest
refused "list --group a/b" 2 "--group: 'a/b' is not a group name" "$PCA" list --dir "$D" --group a/b
refused "list --status twice" 2 "--status given twice" "$PCA" list --dir "$D" --status valid --status lost

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
		: >"$tmp/s_server.log"	# before the loop below reads it
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
	check "openconnect connects with a certificate signed from its own request" bash -c \
		'timeout 5 openconnect --non-inter --authenticate --cafile "$1/ca.crt" \
			-c "$1/devices/phone-s1.crt" -k "$3/p384.key" "https://127.0.0.1:$2/" >/dev/null 2>&1;
		 grep -q "CN = phone-s1" "$4/s_server.log"' _ "$D" "$port" "$R" "$tmp"
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
	# handshake CERT KEY: one openconnect attempt with a device certificate.
	handshake() {
		timeout 5 openconnect --non-inter --authenticate --cafile "$D/ca.crt" \
			-c "$1" -k "$2" "https://127.0.0.1:$port/" >/dev/null 2>&1
	}
	refusals() { grep -c "certificate revoked" "$tmp/s_server.log"; }
	n=$(refusals)
	handshake "$D/devices/exp-renewed.crt" "$D/devices/exp-renewed.key"
	old=$(ls "$D"/devices/archive/exp-renewed.*.crt)
	handshake "$old" "${old%.crt}.key"
	check "a renewed device connects with its new and its previous certificate" bash -c \
		'[ "$(grep -c "CN = exp-renewed" "$1/s_server.log")" -ge 2 ] && [ "$2" = "$3" ]' \
		_ "$tmp" "$n" "$(refusals)"
	handshake "$D/devices/lost-1.crt" "$D/devices/lost-1.key"
	check "the lost device is refused by OpenSSL with the CRL" bash -c \
		'[ "$2" -gt "$3" ] && grep -q "CN = lost-1" "$1/s_server.log"' _ "$tmp" "$(refusals)" "$n"
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
fi

exit "$failed"
