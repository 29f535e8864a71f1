#!/bin/bash
# SPDX-License-Identifier: MIT
# The control socket and posternctl, with two devices connected:
# - the socket is a 0600 socket; root gets answers, a wrong socket path is
#   exit 3, user nobody is refused (by the file mode, and by the gateway's
#   peer-credential check once the mode would let it in);
# - status, sessions (JSON fields checked against what the devices really
#   have: owner from postern-ca issue --owner, group, ownership, vpn0 address,
#   outside address, verdict/rule/profile, growing byte counters), show
#   (facts with sources and ages, history), stats, each also as text;
# - bad input: an unknown command, show/kick of a device without a session;
# - kick devA: its session ends ("kicked by operator"), its client exits and
#   its cookie is dead, while devB's transfer running meanwhile completes
#   intact and devB keeps its session.
#
#   devA 198.18.0.11 (group field, corporate) --\
#                                                br0 -- gw 198.18.0.1:443 [pst0, control.sock] -- int 198.18.2.2
#   devB 198.18.0.12 (group sales, byod) -------/                                                  :5001 sink
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki
pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA --group field && pst_issue "$pki" devB --group sales --byod ||
	pst_bail "PKI" "postern-ca failed"
cp "$OPS_FIXTURES/policy-control.conf" "$PST_TMP/policy.conf"
ops_gw_conf policy="$PST_TMP/policy.conf" routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
PST_ROUTES=$PST_INT_NET

# ---- the socket itself
check "gateway log: control socket $OPS_SOCK" pst_log_has "control socket $(re "$OPS_SOCK")"
check "the control socket is a socket" [ -S "$OPS_SOCK" ]
mode=$(stat -c %a "$OPS_SOCK" 2>/dev/null)
check "the control socket's mode is 0600 (got $mode)" [ "$mode" = 600 ]
check "the control socket is owned by root" [ "$(stat -c %u "$OPS_SOCK" 2>/dev/null)" = 0 ]

# ---- two devices; devA's cookie is kept to try it after the kick
cookie=$(ops_authenticate devA devA)
[ -n "$cookie" ] || pst_bail "devA authenticates" "no COOKIE: $(cat "$PST_TMP/authenticate-devA.err")"
pst_connect devA devA -C "$cookie" || pst_bail "devA connects" "no tunnel: $(tail -5 "${PST_OC_LOG[devA]}")"
pst_connect devB devB || pst_bail "devB connects" "no tunnel: $(tail -5 "${PST_OC_LOG[devB]}")"
a=$(pst_vpn_addr devA) b=$(pst_vpn_addr devB)
check "devA pings the internal host" pst_ping devA "$PST_INT_IP"
check "devB pings the internal host" pst_ping devB "$PST_INT_IP"

# ---- sessions
ledger=$PST_TMP/ledger.json
"$PST_BUILD/postern-ca" list --dir "$pki" --json >"$ledger" 2>/dev/null
if ops_ctl --json sessions; then
	ok "sessions --json: exit 0"
else
	not_ok "sessions --json: exit 0" "exit $OPS_RC: $(cat "$OPS_ERR")"
fi
cp "$OPS_OUT" "$PST_TMP/sessions-1.json"
ops_check "sessions --json: exactly devA and devB" "$OPS_OUT" \
	'assert sorted(s["device"] for s in d["sessions"]) == ["devA", "devB"], d'
# session_ok DEV GROUP OWNERSHIP RULE ADDRESS: every field of DEV's session.
session_ok() {
	ops_check "sessions --json: $1's fields (owner, group $2, ownership $3, rule $4, address $5, peer, ...)" \
		"$PST_TMP/sessions-1.json" '
dev, group, ownership, rule, addr, peer_ip, ledger = a
s = sess(dev)
want = {"device", "owner", "group", "ownership", "serial", "peer", "address", "address6",
        "verdict", "rule", "profile", "rx_bytes", "tx_bytes", "connected_since",
        "posture_age", "tunnel"}
assert want <= s.keys(), f"missing {want - s.keys()}"
assert s["owner"] == "owner-" + dev, ("owner", s["owner"])
assert s["group"] == group, ("group", s["group"])
assert s["ownership"] == ownership, ("ownership", s["ownership"])
assert s["address"] == addr, (s["address"], addr)
assert s["address6"] is None, ("address6", s["address6"])
assert s["peer"] == peer_ip or s["peer"].startswith(peer_ip + ":"), ("peer", s["peer"])
assert (s["verdict"], s["rule"], s["profile"]) == ("allow", rule, "internal"), s
assert s["tunnel"] is True, ("tunnel", s["tunnel"])
assert isinstance(s["rx_bytes"], int) and s["rx_bytes"] > 0, ("rx_bytes", s["rx_bytes"])
assert isinstance(s["tx_bytes"], int) and s["tx_bytes"] > 0, ("tx_bytes", s["tx_bytes"])
since = iso(s["connected_since"])
import time
assert time.time() - 120 < since <= time.time() + 1, ("connected_since", s["connected_since"])
assert s["posture_age"] is None or isinstance(s["posture_age"], int), ("posture_age", s["posture_age"])
norm = lambda x: str(x).lower().replace(":", "").lstrip("0")
led = [r for r in json.load(open(ledger)) if r["device_id"] == dev]
assert led, f"{dev} not in postern-ca list --json"
assert norm(s["serial"]) == norm(led[0]["serial"]), (s["serial"], led[0]["serial"])
' "$1" "$2" "$3" "$4" "$5" "$(pst_device_ip "$1")" "$ledger"
}
session_ok devA field corporate corporate "$a"
session_ok devB sales byod personal "$b"

# Byte counters grow with traffic: devA pings, devB starts a paced 16 MiB
# upload (about 8 s) that is to run through the kick below.
src=$PST_TMP/upload.bin
pst_make_file "$src" 16
want=$(pst_sha256 "$src")
pst_serve up 5001 recv || pst_bail "receiver listens on the internal host" "$(cat "$PST_TMP/up.err")"
ip netns exec "$(pst_ns devB)" timeout 60 python3 "$PST_HELPERS/xfer.py" send \
	"$PST_INT_IP" 5001 "$src" --rate $((2 * 1024 * 1024)) >"$PST_TMP/up-client.out" 2>&1 &
sender=$!
pst_spawn "$sender"
wait_for 10 grep -q '^peer ' "$PST_TMP/up.out" || not_ok "devB's transfer starts" "no connection on the sink"
pst_ping devA "$PST_INT_IP"
grown() {
	ops_ctl --json sessions && ops_py "$OPS_OUT" '
old = json.load(open(a[0]))
for dev in ("devA", "devB"):
    n, o = sess(dev), sess(dev, old)
    assert n["rx_bytes"] > o["rx_bytes"] and n["tx_bytes"] > o["tx_bytes"], (dev, o, n)
    assert n["connected_since"] == o["connected_since"] and n["address"] == o["address"], (o, n)
' "$PST_TMP/sessions-1.json" 2>/dev/null
}
check "sessions --json: rx_bytes and tx_bytes grow for both devices" wait_for 5 grown

# Text: one line per session naming the device and its address.
if ops_ctl sessions; then
	ok "sessions (text): exit 0"
else
	not_ok "sessions (text): exit 0" "exit $OPS_RC: $(cat "$OPS_ERR")"
fi
check "sessions (text): a line with devA and its address $a" grep -Eq "devA.*$(re "$a")([^0-9]|$)" "$OPS_OUT"
check "sessions (text): a line with devB and its address $b" grep -Eq "devB.*$(re "$b")([^0-9]|$)" "$OPS_OUT"
check "sessions (text): not JSON" ops_not grep -q '^{' "$OPS_OUT"

# ---- status
ops_ctl --json status
check "status --json: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "status --json: pid, sessions, pool, config, policy, crl" "$OPS_OUT" '
pid, conf, policy, sha, crl = a
assert isinstance(d["version"], str) and d["version"], d["version"]
assert d["pid"] == int(pid), (d["pid"], pid)
assert isinstance(d["uptime"], int) and 0 <= d["uptime"] < 300, d["uptime"]
s = d["sessions"]
assert (s["allow"], s["quarantine"], s["deny"], s["total"], s["tunnels"]) == (2, 0, 0, 2, 2), s
p = d["pool"]["ipv4"]
assert p["used"] == 2 and p["size"] >= 250, p
assert d["pool"]["ipv6"] is None, d["pool"]
assert d["config"]["path"] == conf, d["config"]
iso(d["config"]["loaded"])
assert d["policy"]["path"] == policy and d["policy"]["sha256"] == sha, d["policy"]
iso(d["policy"]["loaded"])
assert d["crl"]["path"] == crl and d["crl"]["revoked"] == 0, d["crl"]
iso(d["crl"]["loaded"])
assert d["inventory"] is None, d["inventory"]
' "$PST_GW_PID" "$PST_GW_CONF" "$PST_TMP/policy.conf" "$(pst_sha256 "$PST_TMP/policy.conf")" "$pki/crl.pem"
ops_ctl status
check "status (text): exit 0 and names the daemon's pid" grep -qw "$PST_GW_PID" "$OPS_OUT"

# ---- show
ops_ctl --json show devA
check "show devA --json: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "show devA --json: the session, facts with sources and ages, the login in its history" \
	"$OPS_OUT" '
addr = a[0]
s = d.get("session", d)
assert s["device"] == "devA" and s["address"] == addr and s["verdict"] == "allow", s
facts = {f["name"]: f for f in d["facts"]}
for f in d["facts"]:
    assert {"name", "value", "source", "age"} <= f.keys(), f
    assert f["source"] in ("agent", "client", "mdm", "cert"), f
    assert isinstance(f["age"], int) and 0 <= f["age"] < 300, f
assert facts["os.name"]["value"] == "linux" and facts["os.name"]["source"] == "client", facts
assert isinstance(d["reasons"], list) and d["reasons"] == [], d["reasons"]
h = d["history"]
assert h and h[0]["event"] == "login", h
assert (h[0]["verdict"], h[0]["rule"], h[0]["profile"]) == ("allow", "corporate", "internal"), h[0]
iso(h[0]["time"])
' "$a"
ops_ctl show devA
check "show devA (text): exit 0, names the device, its address and facts" \
	bash -c "[ $OPS_RC -eq 0 ] && grep -q devA '$OPS_OUT' && grep -q '$a' '$OPS_OUT' && grep -q os.name '$OPS_OUT'"

# ---- stats
ops_ctl --json stats
check "stats --json: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "stats --json: every key, counters moved by two logins" "$OPS_OUT" '
keys = {"refused": {"revoked", "expired", "not_yet_valid", "unknown_ca", "crl_out_of_date",
                    "not_client_cert", "no_certificate", "bad_certificate", "policy_deny",
                    "pool_exhausted", "resources"},
        "decisions": {"allow", "quarantine", "deny"},
        "dropped": {"spoofed", "outside_profile", "lateral", "gateway", "unroutable", "malformed",
                    "queue_full"},
        "bytes": {"rx", "tx"}, "packets": {"rx", "tx"}, "reports": {"accepted", "refused"},
        "reloads": {"ok", "failed"}, "sessions_ended": {"kicked", "revoked", "lost", "policy"}}
for k, sub in keys.items():
    assert set(d[k]) >= sub, (k, "missing", sub - set(d[k]))
    assert all(isinstance(v, int) and v >= 0 for v in d[k].values()), d[k]
assert d["handshakes"] >= 3 and d["accepted"] >= 2, d
assert d["decisions"]["allow"] >= 2, d["decisions"]
assert sum(d["refused"].values()) == 0, d["refused"]
assert d["bytes"]["rx"] > 0 and d["bytes"]["tx"] > 0 and d["packets"]["rx"] > 0, d
assert d["sessions_ended"]["kicked"] == 0, d["sessions_ended"]
'
ops_ctl stats
check "stats (text): exit 0, not empty" bash -c "[ $OPS_RC -eq 0 ] && [ -s '$OPS_OUT' ]"

# ---- bad input
ops_ctl frobnicate
check "unknown command: exit 1 or 2 (got $OPS_RC)" ops_one_of "$OPS_RC" 1 2
check "unknown command: the message names it" grep -qiE "frobnicate|unknown command" "$OPS_ERR"
ops_ctl show nosuch
check "show of a device without a session: exit 1 (got $OPS_RC)" [ "$OPS_RC" -eq 1 ]
check "show of a device without a session: \"no live session\"" grep -q "no live session" "$OPS_ERR"
ops_ctl kick nosuch
check "kick of a device without a session: exit 1 (got $OPS_RC)" [ "$OPS_RC" -eq 1 ]
check "kick of a device without a session: \"no live session for device nosuch\"" \
	grep -q "no live session for device nosuch" "$OPS_ERR"
ops_ctl_raw -s "$PST_TMP/no-such.sock" status
check "a wrong socket path: exit 3 (got $OPS_RC)" [ "$OPS_RC" -eq 3 ]
check "a wrong socket path: the message names it" grep -qF "$PST_TMP/no-such.sock" "$OPS_ERR"
ops_ctl_raw -c "$PST_GW_CONF" --json status
ops_check "-c CONFIG finds the socket from the gateway's config (exit $OPS_RC)" \
	"$OPS_OUT" 'assert d["pid"] == int(a[0])' "$PST_GW_PID"

# ---- user nobody. Our temporary directory is opened to others for the
# test (and closed again), so that only the socket itself stands in the way.
ctl_copy=$PST_TMP/posternctl
cp "$OPS_CTL" "$ctl_copy" && chmod 755 "$ctl_copy" && chmod o+x "$PST_TMP"
ops_ctl_as nobody "$ctl_copy" -s "$OPS_SOCK" --json status
check "user nobody, socket mode 0600: refused with exit 3 (got $OPS_RC)" [ "$OPS_RC" -eq 3 ]
if [ -S "$OPS_SOCK" ] && chmod 666 "$OPS_SOCK"; then
	ops_ctl_as nobody "$ctl_copy" -s "$OPS_SOCK" --json status
	check "user nobody on a world-writable socket: the gateway refuses (exit $OPS_RC)" \
		bash -c "[ $OPS_RC -ne 0 ] && ! grep -q '\"pid\"' '$OPS_OUT'"
	check "gateway log: the control socket refused user nobody" \
		pst_log_wait 5 "control socket: refused "
	ops_ctl_as nobody "$ctl_copy" -s "$OPS_SOCK" kick devB
	check "user nobody cannot kick devB (exit $OPS_RC)" \
		bash -c "[ $OPS_RC -ne 0 ] && ! grep -q 'session end device=devB ' '$PST_GW_LOG'"
	chmod 600 "$OPS_SOCK"
	ops_ctl --json status
	check "root still gets answers after user nobody's attempts" [ "$OPS_RC" -eq 0 ]
else
	not_ok "user nobody on a world-writable socket: the gateway refuses" "no socket to open up"
fi
chmod o-x "$PST_TMP"

# ---- kick devA while devB's transfer runs
check "devB's transfer is still running before the kick" pst_alive "$sender"
ops_ctl --json kick devA
check "kick devA: exit 0" [ "$OPS_RC" -eq 0 ]
ops_check "kick devA: {\"kicked\": \"devA\"}" "$OPS_OUT" 'assert d == {"kicked": "devA"}, d'
check "gateway log: devA's session ended, kicked by operator" \
	pst_log_wait 5 "session end device=devA addr=$(re "$a") verdict=allow: .*kicked by operator"
if pst_oc_wait devA 10; then
	ok "devA's openconnect exits after the kick (status $PST_OC_RC)"
else
	not_ok "devA's openconnect exits after the kick" "still running 10 s later"
fi
check "devA's client got the server terminate frame" \
	grep -q "received server terminate packet" "${PST_OC_LOG[devA]}"
check "no tunnel came back for devA" [ "$(ops_tunnel_ups devA)" -eq 1 ]
check "devB's transfer was still running after the kick" pst_alive "$sender"
ops_cookie_dead "kicked devA" devA devA "$cookie"

wait_for 40 pst_gone "$sender"
wait "$sender"
rc=$?
wait_for 10 pst_gone "$PST_SERVE_PID"
got=$(pst_out_sha256 up)
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
	ok "devB's 16 MiB transfer across the kick arrives intact (sha256 equal)"
else
	not_ok "devB's 16 MiB transfer across the kick arrives intact (sha256 equal)" \
		"sender rc=$rc, sent $want, received '$got': $(cat "$PST_TMP/up-client.out" "$PST_TMP/up.err")"
fi
check "devB still pings the internal host" pst_ping devB "$PST_INT_IP"
check "devB's client still runs" pst_alive "${PST_OC_PID[devB]}"
check "devB's session did not end" ops_not pst_log_has "session end device=devB "
ops_ctl --json sessions
ops_check "sessions --json after the kick: devB alone, same address and start" "$OPS_OUT" '
assert [s["device"] for s in d["sessions"]] == ["devB"], d
old = sess("devB", json.load(open(a[0])))
assert sess("devB")["address"] == old["address"] and \
    sess("devB")["connected_since"] == old["connected_since"], (old, d)
' "$PST_TMP/sessions-1.json"
ops_ctl --json stats
ops_check "stats --json: sessions_ended.kicked = 1" "$OPS_OUT" \
	'assert d["sessions_ended"]["kicked"] == 1, d["sessions_ended"]'
ops_ctl --json show devA
check "show devA after the kick: no live session (exit 1) or a history ending in kick/end" \
	bash -c "grep -q 'no live session' '$OPS_ERR' || python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"session\"] is None and d[\"history\"][-1][\"event\"] in (\"kick\", \"end\")' '$OPS_OUT'"

check "gateway still running" pst_alive "$PST_GW_PID"
pst_disconnect devB
pst_finish
