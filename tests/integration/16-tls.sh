#!/bin/bash
# SPDX-License-Identifier: MIT
# The TLS the gateway accepts: 1.3, and 1.2 with ECDHE + AEAD only. Older
# versions and non-forward-secret or CBC suites are refused at the
# handshake, before any HTTP. Probed with openssl s_client from a device
# namespace, presenting a valid device certificate each time; then the same
# with an RSA server key, whose signatures take the key holder's RSA path.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 (posternd)
set -u
. "$(dirname "$0")/lib.sh"
pst_init
command -v openssl >/dev/null || pst_skip "openssl is not installed (run make deps)"

pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA || pst_bail "PKI" "postern-ca failed"
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# probe OPTIONS...: one handshake; prints what s_client reports.
probe() {
	pst_in devA timeout 10 openssl s_client -connect "$PST_GW_IP:$PST_PORT" \
		-CAfile "$PST_TMP/pki/ca.crt" -cert "$(pst_cert devA)" -key "$(pst_key devA)" \
		-verify_return_error -brief "$@" </dev/null 2>&1
}
accepts() { probe "$@" | grep -q '^CONNECTION ESTABLISHED'; }

check "TLS 1.3 is accepted" accepts -tls1_3
check "TLS 1.2 with ECDHE-ECDSA-AES256-GCM-SHA384 is accepted" \
	accepts -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
check "TLS 1.2 with ECDHE-ECDSA-CHACHA20-POLY1305 is accepted" \
	accepts -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
if accepts -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA; then
	not_ok "TLS 1.2 with a CBC suite is refused"
else
	ok "TLS 1.2 with a CBC suite is refused"
fi
if accepts -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'; then
	not_ok "TLS 1.1 is refused"
else
	ok "TLS 1.1 is refused"
fi
check "the gateway logs the failed handshakes" \
	pst_log_wait 5 "closing connection peer=$(re "$(pst_device_ip devA)"):[0-9]+.*TLS handshake failed"
check "gateway still running" pst_alive "$PST_GW_PID"

# An RSA server key: the key holder's RSA path (PKCS#1 for TLS 1.2, PSS for
# TLS 1.3), with s_client and with the real client.
pst_gw_stop
rm -f "$PST_TMP/pki/server.crt" "$PST_TMP/pki/server.key"
"$PST_BUILD/postern-ca" server --dir "$PST_TMP/pki" --name gw.postern.test --ip "$PST_GW_IP" \
	--rsa >/dev/null 2>&1 || pst_bail "RSA server certificate" "postern-ca server --rsa failed"
pst_gw_start || pst_bail "gateway starts with an RSA key" "no 'listening on' in the log"
check "RSA key: TLS 1.3 is accepted" accepts -tls1_3
check "RSA key: TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384 is accepted" \
	accepts -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -sigalgs RSA+SHA256
check "RSA key: openconnect connects" pst_connect devA devA
pst_disconnect devA
pst_finish
