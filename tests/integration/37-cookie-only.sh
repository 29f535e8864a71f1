#!/bin/bash
# SPDX-License-Identifier: MIT
# What NetworkManager's openconnect plugin does, step by step: its auth
# dialog runs `openconnect --authenticate` with the device certificate, and
# its service then runs `openconnect --cookie-on-stdin` with that cookie and
# no certificate. The login alone must not end the device's live tunnel; the
# cookie-only CONNECT must open a tunnel (which then replaces the old one);
# a refused CONNECT names what the gateway knows; cookies are never logged,
# die with the session (revocation) and after cookie-timeout.
#
#   devA  (first tunnel, certificate)  --+
#   devA2 (NM's service: cookie only)  --+-- br0 -- gw -- int 198.18.2.2
#   devB  (another device)             --+
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pst_topology devA devA2 devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB ||
	pst_bail "PKI" "postern-ca failed"
pst_gw_conf cookie-timeout=10
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# authenticate DEV CERT_ID: `openconnect --authenticate` as NetworkManager's
# auth dialog runs it; its shell-style output goes to $PST_TMP/auth-DEV.out.
authenticate() {
	pst_in "$1" timeout 20 openconnect --non-inter --no-passwd --authenticate \
		-c "$(pst_cert "$2")" -k "$(pst_key "$2")" --cafile "$PST_TMP/pki/ca.crt" \
		"https://$PST_GW_IP/" </dev/null >"$PST_TMP/auth-$1.out" 2>"$PST_TMP/auth-$1.err"
}

# auth_value DEV NAME: COOKIE, HOST or FINGERPRINT from that output. The
# cookie is what the client will send back: openconnect 9 puts its own
# openconnect_strapkey before our webvpn=HEX.
auth_value() {
	sed -n "s/^$2='\\{0,1\\}\\([^']*\\)'\\{0,1\\}\$/\\1/p" "$PST_TMP/auth-$1.out" | head -n 1
}

# cookie_connect DEV COOKIE [openconnect options...]: NetworkManager's service:
# the cookie on standard input, the server pinned by its fingerprint, no
# certificate unless the options add one. Sets PST_OC_PID[DEV], PST_OC_LOG[DEV].
cookie_connect() {
	local dev=$1 cookie=$2 log=$PST_TMP/openconnect-$1.log; shift 2
	printf '%s\n' "$cookie" >"$PST_TMP/cookie-$dev"
	(
		trap '' PIPE
		exec ip netns exec "$(pst_ns "$dev")" env PST_ENV_DUMP="$PST_TMP/$dev.env" \
			openconnect --non-inter --no-dtls --timestamp --cookie-on-stdin \
			--servercert "$FINGERPRINT" --script "$PST_HELPERS/vpnc-wrapper.sh" \
			-i vpn0 "$@" "https://$PST_GW_IP/" <"$PST_TMP/cookie-$dev" >>"$log" 2>&1
	) &
	PST_OC_PID[$dev]=$!
	PST_OC_LOG[$dev]=$log
	pst_spawn "$!"
}

# refused: the client of the last pst_oc_wait exited, and not with 0.
refused() { [ "$PST_OC_RC" != running ] && [ "$PST_OC_RC" -ne 0 ]; }

# ---- a live tunnel, then a login of the same device that only authenticates
pst_connect devA devA || pst_bail "devA connects with its certificate" "no tunnel within 20 s"
first_pid=${PST_OC_PID[devA]} first_addr=$(pst_vpn_addr devA)
check "--authenticate with devA's certificate exits 0" authenticate devA devA
COOKIE=$(auth_value devA COOKIE) FINGERPRINT=$(auth_value devA FINGERPRINT)
check "it prints a webvpn cookie and the server's fingerprint" \
	bash -c "[[ '$COOKIE' =~ (^|; )webvpn=[0-9a-f]{64}\$ && -n '$FINGERPRINT' ]]"
check "the first tunnel is untouched: no session of devA ended" \
	bash -c "! grep -q 'session end device=devA ' '$PST_GW_LOG'"
check "the first client still runs" kill -0 "$first_pid"
check "the first tunnel still pings the internal host" pst_ping devA "$PST_INT_IP"
check "the cookie is never logged" bash -c "! grep -qF '${COOKIE##*webvpn=}' '$PST_GW_LOG'"

# ---- NetworkManager's service: the cookie as printed, no certificate
cookie_connect devA2 "$COOKIE"
wait_for 20 pst_tunnel_settled devA2
check "the cookie-only client gets a tunnel" pst_tunnel_ready devA2
check "gateway log: a cookie-only CONNECT of devA" \
	pst_log_wait 5 "cookie-only CONNECT device=devA peer=$(re "$(pst_device_ip devA2)"):"
check "the cookie-only tunnel passes traffic to the internal host" pst_ping devA2 "$PST_INT_IP"
check "the new tunnel replaced the first one (logged)" \
	pst_log_wait 5 "session end device=devA addr=$(re "$first_addr") .*superseded by a new tunnel"
check "the first client was told and exited" wait_for 10 pst_gone "$first_pid"
check "the cookie is still not logged" bash -c "! grep -qF '${COOKIE##*webvpn=}' '$PST_GW_LOG'"
pst_disconnect devA2
wait_for 10 pst_gone "${PST_OC_PID[devA2]}"

# ---- refusals name what the gateway knows
check "--authenticate with devA's certificate again" authenticate devA devA
COOKIE=$(auth_value devA COOKIE)
cookie_connect devB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
pst_oc_wait devB 20
check "a made-up cookie without a certificate is refused (exit $PST_OC_RC)" refused
check "gateway log: the refusal names the peer and that no device is known" \
	pst_log_has "refused peer=$(re "$(pst_device_ip devB)"):[0-9]+ device=-: CONNECT with an unknown or expired cookie and no certificate"
cookie_connect devB "$COOKIE" -c "$(pst_cert devB)" -k "$(pst_key devB)"
pst_oc_wait devB 20
check "devA's cookie with devB's certificate is refused (exit $PST_OC_RC)" refused
check "gateway log: that refusal names devB" \
	pst_log_has "refused peer=$(re "$(pst_device_ip devB)"):[0-9]+ device=devB: CONNECT with a cookie issued to another certificate"

# ---- a cookie dies with its certificate
check "--authenticate with devB's certificate" authenticate devB devB
COOKIE_B=$(auth_value devB COOKIE)
check "postern-ca revokes devB" "$PST_BUILD/postern-ca" revoke --dir "$PST_TMP/pki" --device devB
check "the gateway ends devB's pending session on the new CRL" \
	pst_log_wait 10 "session end device=devB .*revoked"
cookie_connect devB "$COOKIE_B"
pst_oc_wait devB 20
check "devB's cookie opens nothing after the revocation (exit $PST_OC_RC)" refused

# ---- and with cookie-timeout (10 s here) when it is never used
check "gateway log: devA's unused cookie expires after cookie-timeout" \
	pst_log_wait 20 "session end device=devA addr=[^ ]+ verdict=allow: cookie expired"
cookie_connect devA2 "$COOKIE"
pst_oc_wait devA2 20
check "the expired cookie is refused (exit $PST_OC_RC)" refused
check "no cookie was ever logged" \
	bash -c "! grep -qE '[0-9a-f]{64}' '$PST_GW_LOG'"

pst_gw_stop
pst_finish
