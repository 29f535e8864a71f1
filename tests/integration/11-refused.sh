#!/bin/bash
# SPDX-License-Identifier: MIT
# Devices the gateway must refuse: a revoked certificate, a certificate from
# another CA, an expired certificate, and no certificate at all. Each time
# the client is told why (the reason comes back in the auth XML), exits
# non-zero and gets no tunnel, and the gateway logs the refusal.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 [pst0 198.18.100.1] --int0-- int 198.18.2.2
#   (openconnect runs in devA's netns with each bad credential in turn)
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pki=$PST_TMP/pki other=$PST_TMP/other-pki
pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$pki" && pst_issue "$pki" good && pst_issue "$pki" revoked &&
	pst_issue "$pki" expired --not-before 2020-01-01 --days 30 ||
	pst_bail "PKI" "postern-ca failed"
out=$("$PST_BUILD/postern-ca" revoke --dir "$pki" --device revoked 2>&1) ||
	pst_bail "PKI" "postern-ca revoke failed: $out"
pst_pki "$other" && pst_issue "$other" stranger || pst_bail "second PKI" "postern-ca failed"
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on $PST_GW_IP:$PST_PORT' in the log"

# Control: the set-up does let a good device in, so the refusals below are
# about the certificates and nothing else.
if pst_connect devA good; then
	ok "control: a valid device certificate connects"
else
	not_ok "control: a valid device certificate connects" "no tunnel for device 'good'"
fi
pst_disconnect devA
wait_for 10 bash -c "! ip -n $(pst_ns devA) link show vpn0 >/dev/null 2>&1"

peer="$(re "$(pst_device_ip devA)"):[0-9]+"

# refused CASE DEVICE_RE REASON CERT KEY: runs openconnect in the foreground
# (at most 30 s) with CERT/KEY ("-" for none) and checks every sign of a refusal.
refused() {
	local case=$1 device_re=$2 reason=$3 cert=$4 key=$5 log rc
	local -a creds=()
	log=$PST_TMP/openconnect-$case.log
	PST_OC_LOG[$case]=$log
	[ "$cert" != - ] && creds=(-c "$cert" -k "$key")
	pst_in devA env PST_ENV_DUMP="$PST_TMP/$case.env" timeout 30 \
		openconnect --non-inter --no-passwd --no-dtls "${creds[@]}" \
		--cafile "$pki/ca.crt" --script "$PST_HELPERS/vpnc-wrapper.sh" -i vpn0 \
		"https://$PST_GW_IP/" </dev/null >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		ok "$case: openconnect exits non-zero"
		echo "# $case: openconnect exit status $rc"
	else
		not_ok "$case: openconnect exits non-zero" "exit status $rc (124 = still running after 30 s)"
	fi
	check "$case: openconnect prints \"$reason\"" grep -qF -- "$reason" "$log"
	check "$case: gateway logs the refusal" \
		pst_log_wait 5 "refused peer=$peer device=$device_re: $(re "$reason")"
	check "$case: no address on vpn0" [ -z "$(pst_vpn_addr devA)" ]
	check "$case: the script never ran connect" [ ! -e "$PST_TMP/$case.env" ]
}

refused revoked revoked "device certificate has been revoked" \
	"$(pst_cert revoked)" "$(pst_key revoked)"
# The gateway cannot trust the id in a foreign certificate: it may log it or "-".
refused other-ca '(stranger|-)' "device certificate was not issued by this gateway's CA" \
	"$other/devices/stranger.crt" "$other/devices/stranger.key"
refused expired expired "device certificate has expired" \
	"$(pst_cert expired)" "$(pst_key expired)"
refused no-cert - "a device certificate is required" - -

check "no session was ever opened for a refused device" \
	bash -c "! grep -Eq 'tunnel up device=(revoked|stranger|expired|-) ' '$PST_GW_LOG'"
check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
