#!/bin/bash
# SPDX-License-Identifier: MIT
# What the gateway trusts about its CRL and its device certificates.
# - A replayed CRL never un-revokes: devB is revoked (CRL number 2); the
#   CRL from before (number 1), validly signed, is copied back: the gateway
#   refuses it with a warning naming both numbers, status and the metrics
#   say stale and keep number 2, and devB stays refused. A different CRL
#   under the same number 2 (signed with the CA's key by `openssl ca`,
#   revoking nothing) is refused the same way. `postern-ca crl` then
#   numbers above the file on disk (3), which is loaded.
# - Device certificates must be CA:FALSE with clientAuth: certificates the
#   device CA signed with the openssl CLI, each otherwise like a device's,
#   are refused with the reason openconnect prints when CA:TRUE, without
#   any extended key usage, or with serverAuth only; the same recipe with
#   CA:FALSE and clientAuth connects (the control); the refusals are
#   counted as not_client_cert.
# - status and the metrics show the CRL's lastUpdate, nextUpdate and number
#   and the server and CA certificates' notAfter exactly as `openssl crl`
#   and `openssl x509` read them from the files.
#
#   devA 198.18.0.11 --\
#   devB 198.18.0.12 ---br0-- gw 198.18.0.1:443 [crl pki/crl.pem watched; 127.0.0.1:9187 /metrics]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init
command -v openssl >/dev/null || pst_skip "openssl is not installed"

pki=$PST_TMP/pki
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$pki" && pst_issue "$pki" devA && pst_issue "$pki" devB || pst_bail "PKI" "postern-ca failed"
cp "$pki/crl.pem" "$PST_TMP/crl-1.pem"
ops_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# ---- a replayed CRL
out=$("$PST_BUILD/postern-ca" revoke --dir "$pki" --device devB 2>&1) || pst_bail "revoke devB" "$out"
check "revocation of devB loaded: CRL number 2" \
	pst_log_wait 3 "crl reloaded $(re "$pki/crl.pem"): 1 revoked, CRL number 2"
ops_refused "devB revoked" devB devB "device certificate has been revoked"

cp "$PST_TMP/crl-1.pem" "$pki/crl.tmp" && mv -f "$pki/crl.tmp" "$pki/crl.pem"
check "the older CRL copied back: warning naming both numbers within 3 s" \
	pst_log_wait 3 "warning: crl not reloaded: $(re "$pki/crl.pem"): refused: CRL number 1 is older than CRL number 2 in force"
ops_ctl --json status
ops_check "status: CRL number 2 stays in force (1 revoked), stale, the reason names both" "$OPS_OUT" '
c = d["crl"]
assert c["number"] == 2 and c["revoked"] == 1, c
assert c["state"] == "stale" and "CRL number 1 is older than CRL number 2" in c["problem"], c
assert c["reload_failures"] == 1, c'
code=$(ops_metrics "$PST_TMP/m1.txt")
ops_prom_parse "$PST_TMP/m1.txt" "$PST_TMP/m1.json" 2>/dev/null
ops_check "metrics: postern_crl_number 2, postern_crl_stale 1, 1 failure (HTTP $code)" \
	"$PST_TMP/m1.json" '
assert d["postern_crl_number"] == 2 and d["postern_crl_stale"] == 1, d
assert d["postern_crl_reload_failures_total"] == 1, d'
check "gateway log: no 'crl reloaded' with 0 revoked" ops_not pst_log_has "crl reloaded .*: 0 revoked"
ops_refused "devB after the replay" devB devB "device certificate has been revoked"

# The same number with other contents: what someone holding the CA key
# (or a broken CA tool) could make. openssl ca revokes nothing here.
forge=$PST_TMP/forge
mkdir -p "$forge" && : >"$forge/index.txt" && echo 02 >"$forge/crlnumber"
cat >"$forge/ca.cnf" <<EOF
[ ca ]
default_ca = forged
[ forged ]
database = $forge/index.txt
crlnumber = $forge/crlnumber
certificate = $pki/ca.crt
private_key = $pki/ca.key
default_md = sha256
default_crl_days = 30
EOF
openssl ca -batch -gencrl -config "$forge/ca.cnf" -out "$forge/crl.pem" >"$forge/ca.log" 2>&1 ||
	not_ok "openssl ca -gencrl" "$(cat "$forge/ca.log")"
check "the forged CRL is number 2 and revokes nothing" bash -c \
	"openssl crl -in '$forge/crl.pem' -noout -crlnumber | grep -qx 'crlNumber=0x02' &&
	 openssl crl -in '$forge/crl.pem' -noout -text | grep -q 'No Revoked Certificates'"
cp "$forge/crl.pem" "$pki/crl.tmp" && mv -f "$pki/crl.tmp" "$pki/crl.pem"
check "same number, other contents: refused within 3 s" \
	pst_log_wait 3 "crl not reloaded: $(re "$pki/crl.pem"): refused: CRL number 2 is the same as, with other contents than, CRL number 2 in force"
ops_ctl --json status
ops_check "status: still 1 revoked, stale, 2 failures" "$OPS_OUT" '
c = d["crl"]
assert c["number"] == 2 and c["revoked"] == 1 and c["state"] == "stale", c
assert c["reload_failures"] == 2, c'
ops_refused "devB after the same-number CRL" devB devB "device certificate has been revoked"

out=$("$PST_BUILD/postern-ca" crl --dir "$pki" 2>&1) || not_ok "postern-ca crl" "$out"
check "postern-ca crl numbers above the CRL on disk: 3, loaded within 3 s" \
	pst_log_wait 3 "crl reloaded $(re "$pki/crl.pem"): 1 revoked, CRL number 3"
ops_ctl --json status
ops_check "status: CRL number 3, state ok" "$OPS_OUT" '
c = d["crl"]
assert c["number"] == 3 and c["state"] == "ok" and c["problem"] is None, c'

# ---- device certificates made with the openssl CLI, signed by the device CA
# mkcert ID EXTENSIONS: pki/devices/ID.crt and .key, CN=ID, the SAN URIs of
# a device, and the given basicConstraints / keyUsage / extendedKeyUsage.
mkcert() {
	local id=$1 ext=$2 d=$pki/devices
	printf '%b\nsubjectAltName = URI:urn:postern:device:%s, URI:urn:postern:ownership:corporate\n' \
		"$ext" "$id" >"$PST_TMP/$id.ext"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$id.key" 2>/dev/null &&
		openssl req -new -key "$d/$id.key" -subj "/CN=$id/OU=default" -out "$PST_TMP/$id.csr" &&
		openssl x509 -req -in "$PST_TMP/$id.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
			-set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 \
			-extfile "$PST_TMP/$id.ext" -out "$d/$id.crt" 2>/dev/null
}
mkcert good 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth' &&
	mkcert catrue 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature, keyCertSign\nextendedKeyUsage = clientAuth' &&
	mkcert noeku 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature' &&
	mkcert server 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth' ||
	pst_bail "openssl makes the test certificates" "openssl failed"
check "catrue is CA:TRUE with clientAuth" bash -c \
	"openssl x509 -in '$pki/devices/catrue.crt' -noout -text | grep -q 'CA:TRUE' &&
	 openssl x509 -in '$pki/devices/catrue.crt' -noout -text | grep -q 'TLS Web Client Authentication'"
check "noeku has no extended key usage" bash -c \
	"! openssl x509 -in '$pki/devices/noeku.crt' -noout -text | grep -q 'Extended Key Usage'"

pst_connect devA good || not_ok "control: CA:FALSE + clientAuth made the same way connects" \
	"$(tail -5 "${PST_OC_LOG[devA]}")"
check "control: the openssl-made device certificate gets a tunnel" pst_tunnel_ready devA
pst_disconnect devA
ops_refused "CA:TRUE device certificate" devA catrue \
	"certificate is not a device (client) certificate: it is a CA certificate (basicConstraints CA:TRUE)"
check "gateway log: catrue refused as a CA certificate" \
	pst_log_has "refused peer=[^ ]+ device=catrue: certificate is not a device \(client\) certificate: it is a CA certificate"
ops_refused "certificate without EKU" devA noeku \
	"certificate is not a device (client) certificate: it has no extended key usage (clientAuth is required)"
ops_refused "certificate with serverAuth only" devA server \
	"certificate is not a device (client) certificate"
n_refused=$(pst_log_count "refused peer=[^ ]+ device=(catrue|noeku|server): certificate is not a device")
ops_ctl --json stats
ops_check "stats: refused.not_client_cert counts those refusals ($n_refused log lines)" "$OPS_OUT" '
assert d["refused"]["not_client_cert"] == int(a[0]) >= 3, (d["refused"], a[0])' "$n_refused"

# ---- freshness: status and the metrics against openssl
# epoch_of "Mon DD HH:MM:SS YYYY GMT": seconds since the epoch.
epoch_of() { date -u -d "$1" +%s; }
crl_last=$(epoch_of "$(openssl crl -in "$pki/crl.pem" -noout -lastupdate | cut -d= -f2)")
crl_next=$(epoch_of "$(openssl crl -in "$pki/crl.pem" -noout -nextupdate | cut -d= -f2)")
crl_num=$(( $(openssl crl -in "$pki/crl.pem" -noout -crlnumber | cut -d= -f2) ))
srv_end=$(epoch_of "$(openssl x509 -in "$pki/server.crt" -noout -enddate | cut -d= -f2)")
ca_end=$(epoch_of "$(openssl x509 -in "$pki/ca.crt" -noout -enddate | cut -d= -f2)")
echo "# openssl: crl last $crl_last next $crl_next number $crl_num; server $srv_end; ca $ca_end"
ops_ctl --json status && cp "$OPS_OUT" "$PST_TMP/status.json"
code=$(ops_metrics "$PST_TMP/m2.txt")
if ops_prom_parse "$PST_TMP/m2.txt" "$PST_TMP/m2.json" 2>"$PST_TMP/promcheck.err"; then
	ok "the metrics are valid Prometheus text (HTTP $code)"
else
	not_ok "the metrics are valid Prometheus text" "$(head -5 "$PST_TMP/promcheck.err")"
fi
ops_check "status --json: CRL dates and number, certificate expiry equal openssl's" \
	"$PST_TMP/status.json" '
last, nxt, num, srv, ca = map(int, a)
c, certs = d["crl"], d["certificates"]
assert (iso(c["last_update"]), iso(c["next_update"]), c["number"]) == (last, nxt, num), (c, a)
assert iso(certs["server"]["not_after"]) == srv and iso(certs["ca"]["not_after"]) == ca, (certs, a)
assert certs["server"]["path"].endswith("/pki/server.crt"), certs
import time
assert abs(c["age"] - (time.time() - last)) <= 3, (c["age"], last)' \
	"$crl_last" "$crl_next" "$crl_num" "$srv_end" "$ca_end"
ops_check "metrics: the CRL and certificate series equal openssl's" "$PST_TMP/m2.json" '
last, nxt, num, srv, ca = map(int, a)
want = {"postern_crl_last_update_timestamp_seconds": last,
        "postern_crl_next_update_timestamp_seconds": nxt,
        "postern_crl_number": num, "postern_crl_stale": 0,
        "postern_server_certificate_expiry_timestamp_seconds": srv,
        "postern_ca_certificate_expiry_timestamp_seconds": ca}
bad = {k: (d.get(k), v) for k, v in want.items() if d.get(k) != v}
assert not bad, bad
import time
assert abs(d["postern_crl_age_seconds"] - (time.time() - last)) <= 3, d["postern_crl_age_seconds"]' \
	"$crl_last" "$crl_next" "$crl_num" "$srv_end" "$ca_end"
ops_ctl status
check "status (text): the next update as openssl reads it" \
	grep -qF "next update $(date -u -d "@$crl_next" '+%Y-%m-%d %H:%M:%SZ'); state ok" "$OPS_OUT"
check "status (text): the server certificate's expiry" \
	grep -qF "server:   $pki/server.crt (expires $(date -u -d "@$srv_end" '+%Y-%m-%d %H:%M:%SZ'))" "$OPS_OUT"

check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
