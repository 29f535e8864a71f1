#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile peers while a real device moves 50 MiB through its tunnel: random
# bytes instead of TLS, a malformed and an oversized HTTP request over a
# valid TLS connection, and CSTP frames with a bad magic or a bad length
# after a proper auth and CONNECT, and one that sends DPD requests without
# ever reading the answers. Each bad peer is disconnected (the peer
# sees EOF, the gateway logs "closing connection"), the daemon survives and
# the device's transfer arrives intact.
#
#   devA 198.18.0.11 (openconnect, 50 MiB at 4 MiB/s) --\
#                                                        br0 -- gw 198.18.0.1:443 [pst0] -- int 198.18.2.2
#   devB 198.18.0.12 (nc, cstp-client.py: bad peers) ---/                                   :5001 sink
set -u
. "$(dirname "$0")/lib.sh"
pst_init

pki=$PST_TMP/pki
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$pki" && pst_issue "$pki" devA && pst_issue "$pki" devB || pst_bail "PKI" "postern-ca failed"
for id in rogue-http rogue-good rogue-magic rogue-length rogue-noread; do
	pst_issue "$pki" "$id" || pst_bail "PKI" "postern-ca issue $id failed"
done
pst_gw_conf
pst_gw_start || pst_bail "gateway starts" "no 'listening on $PST_GW_IP:$PST_PORT' in the log"
pst_connect devA devA || pst_bail "devA connects" "no tunnel on devA"

# The transfer is paced (about 12 s) so that every bad peer below runs
# while it is in flight.
src=$PST_TMP/upload.bin
pst_make_file "$src" 50
want=$(pst_sha256 "$src")
pst_serve up 5001 recv || pst_bail "receiver listens on the internal host" "$(cat "$PST_TMP/up.err")"
ip netns exec "$(pst_ns devA)" timeout 180 python3 "$PST_HELPERS/xfer.py" send \
	"$PST_INT_IP" 5001 "$src" --rate $((4 * 1024 * 1024)) >"$PST_TMP/up-client.out" 2>&1 &
sender=$!
pst_spawn "$sender"
wait_for 10 grep -q '^peer ' "$PST_TMP/up.out" || pst_bail "transfer starts" "no connection on the sink"

gw_peer() { echo "$(pst_device_ip devB):$1"; }

# closed_by_gateway NAME PEER: the gateway logged closing PEER.
closed_by_gateway() {
	if pst_log_wait 5 "closing connection peer=$(re "$2")( device=[^ ]*)?: "; then
		ok "$1: gateway logs closing connection for that peer"
		echo "# $(grep -E "closing connection peer=$(re "$2")[ :]" "$PST_GW_LOG" | cut -d' ' -f4-)"
	else
		not_ok "$1: gateway logs closing connection for that peer" "no line for peer=$2"
	fi
}

# (a) Random bytes where a TLS ClientHello belongs. nc waits for the
# gateway to close (no -N, no -q), so a zero exit means the peer saw EOF.
head -c 4096 /dev/urandom |
	pst_in devB timeout 15 nc -p 40443 "$PST_GW_IP" "$PST_PORT" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "random bytes: the peer sees EOF"
else
	not_ok "random bytes: the peer sees EOF" "nc exit status $rc (124 = connection still open after 15 s)"
fi
closed_by_gateway "random bytes" "$(gw_peer 40443)"

# rogue MODE ID: runs cstp-client.py from devB with device certificate ID.
rogue() {
	local mode=$1 id=$2 out=$PST_TMP/rogue-$1.out rc peer
	pst_in devB timeout 30 python3 "$PST_HELPERS/cstp-client.py" "$mode" \
		--host "$PST_GW_IP" --port "$PST_PORT" --cafile "$pki/ca.crt" \
		--cert "$(pst_cert "$id")" --key "$(pst_key "$id")" --timeout 10 >"$out" 2>&1
	rc=$?
	peer=$(awk '$1 == "peer" { print $2 }' "$out")
	if [ "$mode" = cstp-good ]; then
		check "cstp-good (control): a well-formed CSTP peer gets its DPD answered" [ "$rc" -eq 0 ] ||
			echo "    $(tr '\n' ' ' <"$out")" >&2
		return
	fi
	if [ "$rc" -eq 0 ]; then
		ok "$mode: the peer sees EOF"
	else
		not_ok "$mode: the peer sees EOF" "cstp-client.py exit $rc: $(tr '\n' ' ' <"$out")"
	fi
	if [ -n "$peer" ]; then
		closed_by_gateway "$mode" "$peer"
	else
		not_ok "$mode: gateway logs closing connection" "the client never got that far"
	fi
}

# (b) Valid TLS and device certificate, bad HTTP.
rogue http-malformed rogue-http
rogue http-oversized rogue-http
# (c) A proper auth and CONNECT, then bad CSTP. The well-formed run first
# shows the helper itself speaks the protocol.
rogue cstp-good rogue-good
rogue cstp-bad-magic rogue-magic
rogue cstp-bad-length rogue-length
# (d) A peer that asks (DPD) without ever reading the answers.
rogue cstp-no-read rogue-noread

if pst_alive "$sender"; then
	ok "every bad peer ran while the transfer was in flight"
else
	not_ok "every bad peer ran while the transfer was in flight" "the transfer had already ended"
fi
check "posternd is still running after the bad peers" pst_alive "$PST_GW_PID"

wait_for 150 pst_gone "$sender"
wait "$sender"
rc=$?
wait_for 10 pst_gone "$PST_SERVE_PID"
got=$(pst_out_sha256 up)
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
	ok "50 MiB transfer during the attacks: sha256 equal"
else
	not_ok "50 MiB transfer during the attacks: sha256 equal" \
		"sender rc=$rc, sent $want, received '$got': $(cat "$PST_TMP/up-client.out" "$PST_TMP/up.err")"
fi

check "devA still pings the internal host" pst_ping devA "$PST_INT_IP"
check "a new device still connects" pst_connect devB devB
check "posternd is still running at the end" pst_alive "$PST_GW_PID"
pst_finish
