#!/bin/bash
# SPDX-License-Identifier: MIT
# posternctl as an operator uses it, with stock openconnect clients:
# - sessions shows both addresses of each device (the outside one and the
#   tunnel's) in columns aligned by display width, although devC's owner
#   is 山田太郎 (two columns a character): in a UTF-8 locale and in the C
#   locale (posternctl then measures with C.UTF-8);
# - show finds a device by id, by tunnel address and by owner (devA and
#   devB share "A. Field": both are listed, in either case); an unknown
#   one is exit 1;
# - events, followed from before the first login as JSON lines and as
#   text, sees the decisions, the tunnels up, a refusal (devD has no
#   certificate), a ban and the session it ends; SIGINT ends posternctl
#   with status 0; a follower that never reads loses lines, is told how
#   many, and never slows the gateway (status answers, devB's tunnel
#   carries pings while thousands of events pile up);
# - ban devA --for 1h ends its session; bans lists it, across `posternctl
#   reload` and SIGHUP; its login is refused with "banned until T", which
#   openconnect prints, and the log, the stats and the audit log say so;
#   unban lets it in again; a bad duration is a usage error (exit 2);
# - history devA reads the audit log: the decisions before a restart of
#   posternd are there after it, when show has forgotten them; a log larger
#   than what history reads says so.
#
#   devA 198.18.0.11 (owner "A. Field") ---\
#   devB 198.18.0.12 (owner "A. Field") ----+ br0 -- gw 198.18.0.1:443 [pst0, control.sock, audit.log] -- int 198.18.2.2
#   devC 198.18.0.13 (owner 山田太郎) -------+
#   devD 198.18.0.14 (no certificate) -----/
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki audit=$PST_TMP/audit.log
owner_c=$(printf '\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e')	# 山田太郎
pst_topology devA devB devC devD || pst_bail "topology" "could not build the namespaces"
issue() { "$PST_BUILD/postern-ca" issue --dir "$pki" --device "$1" --owner "$2" --group field >/dev/null; }
pst_pki "$pki" && issue devA "A. Field" && issue devB "A. Field" && issue devC "$owner_c" ||
	pst_bail "PKI" "postern-ca failed"
cp "$OPS_FIXTURES/policy-control.conf" "$PST_TMP/policy.conf"
ops_gw_conf policy="$PST_TMP/policy.conf" audit-log="$audit"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"

# ---- followers of the events, from before anything happens
follow() {	# follow NAME [--json]: posternctl events in the background
	"$OPS_CTL" -s "$OPS_SOCK" "${@:2}" events >"$PST_TMP/$1" 2>"$PST_TMP/$1.err" &
	pst_spawn $!
}
follow events.jsonl --json
ev_json=$!
follow events.txt
ev_text=$!
check "gateway log: two clients follow the events" \
	wait_for 5 bash -c "[ \$(grep -c 'a client follows the events' '$PST_GW_LOG') -eq 2 ]"

# ---- three devices
for d in devA devB devC; do
	pst_connect "$d" "$d" || pst_bail "$d connects" "no tunnel: $(tail -5 "${PST_OC_LOG[$d]}")"
done
addr_a=$(pst_vpn_addr devA) addr_b=$(pst_vpn_addr devB) addr_c=$(pst_vpn_addr devC)

# ---- sessions: both addresses, aligned by display width
ops_ctl --json sessions
ops_check "sessions --json: each device's outside address and tunnel address" "$OPS_OUT" '
for dev, ip, addr in zip(a[0::3], a[1::3], a[2::3]):
    s = sess(dev)
    assert s["peer"].startswith(ip + ":"), (dev, s["peer"], ip)
    assert s["address"] == addr, (dev, s["address"], addr)
    assert s["address6"] is None, (dev, s["address6"])
' devA "$(pst_device_ip devA)" "$addr_a" devB "$(pst_device_ip devB)" "$addr_b" \
	devC "$(pst_device_ip devC)" "$addr_c"

# aligned FILE: every row of the table in FILE has each cell where its
# header puts the column, counted in display columns (a CJK character is
# two); and devC's row has its PEER cell at another character index than
# the header's, so counting characters (or bytes) would not have done.
aligned() {
	python3 - "$1" <<'PY'
import re, sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head, rows = lines[0], lines[1:]
names = head.split()
assert names[:5] == ["DEVICE", "OWNER", "PEER", "ADDRESS", "ADDRESS6"], names
starts = [m.start() for m in re.finditer(r"\S+", head)]
ends = [m.end() for m in re.finditer(r"\S+", head)]
assert len(rows) == 3, rows
for row in rows:
    cells = [m for m in re.finditer(r"\S+(?: \S+)*", row)]
    assert len(cells) == len(names), (row, len(cells), names)
    for k, (m, name) in enumerate(zip(cells, names)):
        start, end = width(row[:m.start()]), width(row[:m.end()])
        if name in ("RX", "TX"):
            assert end == ends[k], (name, row, end, ends[k])
        else:
            assert start == starts[k], (name, row, start, starts[k])
    if row.startswith("devC"):
        assert cells[2].start() != starts[2], "the CJK row proves nothing"
PY
}
for loc in C.UTF-8 C; do
	LC_ALL=$loc ops_ctl sessions
	check "sessions (LC_ALL=$loc): exit 0" [ "$OPS_RC" -eq 0 ]
	check "sessions (LC_ALL=$loc): columns aligned by display width with owner $owner_c" \
		aligned "$OPS_OUT"
	check "sessions (LC_ALL=$loc): devC's row has the owner, its peer and its address" \
		grep -Eq "^devC +$owner_c +$(re "$(pst_device_ip devC)"):[0-9]+ +$(re "$addr_c") " "$OPS_OUT"
done

# ---- show by id, tunnel address, owner
ops_ctl --json show devC
ops_check "show devC: its session" "$OPS_OUT" \
	'assert d["device"] == "devC" and d["session"]["owner"] == a[0], d' "$owner_c"
ops_ctl --json show "$addr_c"
ops_check "show $addr_c (a tunnel address): devC" "$OPS_OUT" \
	'assert d["device"] == "devC" and d["session"]["address"] == a[0], d' "$addr_c"
ops_ctl --json show "$owner_c"
ops_check "show $owner_c (an owner): devC" "$OPS_OUT" 'assert d["device"] == "devC", d'
ops_ctl --json show "A. Field"
ops_check "show \"A. Field\" (owner of two): devA and devB, each whole" "$OPS_OUT" '
assert d["query"] == "A. Field" and d["truncated"] is False, d
assert sorted(x["device"] for x in d["devices"]) == ["devA", "devB"], d
for x in d["devices"]:
    assert x["session"]["owner"] == "A. Field" and x["history"][0]["event"] == "login", x
'
ops_ctl show "a. field"
check "show \"a. field\" (text): both devices, either case" \
	bash -c "grep -q \"^2 devices for 'a. field':\" '$OPS_OUT' && grep -q '^devA ' '$OPS_OUT' && grep -q '^devB ' '$OPS_OUT'"
ops_ctl show "Nobody Here"
check "show of an unknown owner: exit 1 (got $OPS_RC)" [ "$OPS_RC" -eq 1 ]
check "show of an unknown owner: the message says what it looked for" \
	grep -q "no live session or decision in this run for 'Nobody Here'" "$OPS_ERR"
ops_ctl show 198.18.100.250
check "show of an address nobody leases: exit 1, says so" \
	bash -c "[ $OPS_RC -eq 1 ] && grep -q 'no live session has the tunnel address 198.18.100.250' '$OPS_ERR'"

# ---- a refusal: devD has no certificate
ops_refused "devD without a certificate" devD - "a device certificate is required"

# ---- ban devA for an hour
ops_ctl ban devA --for 1h
check "ban devA --for 1h: exit 0, its session ended" \
	bash -c "[ $OPS_RC -eq 0 ] && grep -q '^devA: banned until 20.*Z; 1 session ended$' '$OPS_OUT'"
check "gateway log: the ban, and devA's session ended for it" \
	pst_log_wait 5 "session end device=devA addr=$(re "$addr_a") verdict=allow: banned until "
if pst_oc_wait devA 10; then
	ok "devA's openconnect exits after the ban (status $PST_OC_RC)"
else
	not_ok "devA's openconnect exits after the ban" "still running 10 s later"
fi
banned_listed() {
	ops_ctl --json bans && ops_py "$OPS_OUT" '
b = d["bans"]
assert [x["device"] for x in b] == ["devA"], b
assert 3000 < b[0]["seconds_left"] <= 3600, b
assert iso(b[0]["until"]) - iso(b[0]["since"]) == 3600, b
' 2>/dev/null
}
check "bans: devA, an hour" banned_listed
ops_ctl bans
check "bans (text): a table with devA" grep -Eq '^devA +20[0-9-]+ [0-9:]+Z +3[0-9]{3} ' "$OPS_OUT"
ops_ctl reload
check "posternctl reload: exit 0" [ "$OPS_RC" -eq 0 ]
check "bans after posternctl reload: devA still" banned_listed
n_hup=$(pst_log_count "SIGHUP: reloading")
kill -HUP "$PST_GW_PID"
wait_for 5 pst_log_more "SIGHUP: reloading" "$n_hup"
check "bans after SIGHUP: devA still" banned_listed
ops_refused "devA while banned" devA devA "banned until 20"
check "gateway log: devA's login refused, banned until" \
	pst_log_has "refused peer=$(re "$(pst_device_ip devA)"):[0-9]+ device=devA: banned until 20"
check "audit log: devA's refused login, a deny with its reason" python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x["device"] == "devA" and x["verdict"] == "deny"]
assert r and r[-1]["reasons"][0].startswith("banned until 20"), r' "$audit"
ops_ctl --json stats
ops_check "stats: refused.banned counts it" "$OPS_OUT" 'assert d["refused"]["banned"] >= 1, d["refused"]'

# bad input: usage errors, nothing banned
for bad in "--for 0" "--for 400d" "--for 5x" "--for -1h" "--for" ""; do
	# shellcheck disable=SC2086
	ops_ctl ban devB $bad
	check "ban devB ${bad:-(no duration)}: usage error, exit 2 (got $OPS_RC)" [ "$OPS_RC" -eq 2 ]
done
check "devB was never banned" ops_not pst_log_has "ban device=devB "
ops_ctl unban devB
check "unban devB (not banned): exit 1, says so" \
	bash -c "[ $OPS_RC -eq 1 ] && grep -q 'device devB is not banned' '$OPS_ERR'"

ops_ctl unban devA
check "unban devA: exit 0" [ "$OPS_RC" -eq 0 ]
ops_ctl bans
check "bans: none left" grep -qx "no device is banned" "$OPS_OUT"
if pst_connect devA devA; then
	ok "devA connects again after unban"
else
	not_ok "devA connects again after unban" "$(tail -5 "${PST_OC_LOG[devA]}")"
fi

# ---- a follower that never reads, while thousands of events come
python3 - "$OPS_SOCK" "$PST_TMP/stuck.out" <<'PY' &
import signal, socket, sys, time
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"json events\n")
signal.sigwait([signal.SIGUSR1])	# the test has made its events: read them
s.settimeout(20)
data = b""
while b'"device":"devZ"' not in data or not data.endswith(b"\n"):	# the test's last
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
open(sys.argv[2], "wb").write(data)
PY
stuck=$!
pst_spawn "$stuck"
check "gateway log: a third client follows the events" \
	wait_for 5 bash -c "[ \$(grep -c 'a client follows the events' '$PST_GW_LOG') -eq 3 ]"
flood=1500
python3 - "$OPS_SOCK" "$flood" >"$PST_TMP/flood.out" 2>&1 <<'PY' &
import socket, sys
for i in range(int(sys.argv[2])):
    for req in (b"text ban devX 1h\n", b"text unban devX\n"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        s.close()
        assert data.startswith(b"ok\n"), data
print("done")
PY
flooder=$!
pst_spawn "$flooder"
wait_for 20 grep -q '"device":"devX"' "$PST_TMP/events.jsonl"
start=$(ops_ms)
ops_ctl --json status
check "status answers while the events pile up ($(ops_ms_since "$start") ms)" \
	bash -c "[ $OPS_RC -eq 0 ] && [ $(ops_ms_since "$start") -lt 2000 ]"
check "devB's tunnel carries pings while the events pile up" pst_ping devB "$PST_INT_IP"
check "the flood of ban and unban requests ends" wait_for 60 pst_gone "$flooder"
check "every request of the flood was answered ok" grep -qx done "$PST_TMP/flood.out"
kill -USR1 "$stuck"
# It reads from now on: once it has room again, a ban of devZ reaches it.
ban_z() { ops_ctl ban devZ --for 1m && wait_for 1 pst_gone "$stuck"; }
check "the follower that never read reads what is left, up to a ban of devZ" wait_for 20 ban_z
check "the follower that never read: whole JSON lines, told how many it lost" python3 -c '
import json, sys
a = sys.argv[1:]
lines = open(a[0], "rb").read().decode().split("\n")
assert lines[0] == "ok" and lines[-1] == "", (lines[:2], lines[-2:])
ev = [json.loads(l) for l in lines[1:-1]]
lost = sum(e["count"] for e in ev if e["event"] == "lost")
got = sum(1 for e in ev if e.get("device") == "devX")
assert lost > 0, "nothing lost: the test did not fill the buffer"
assert got < 2 * int(a[1]) <= got + lost, (got, lost)
assert any(e["event"] == "ban" and e.get("device") == "devZ" for e in ev), ev[-3:]
' "$PST_TMP/stuck.out" "$flood"
ops_ctl unban devZ

# ---- what the followers saw
stop_follower() {	# stop_follower PID NAME: SIGINT, as Ctrl-C; status 0
	local rc
	kill -INT "$1"
	wait_for 5 pst_gone "$1"
	wait "$1"
	rc=$?
	check "$2: SIGINT ends posternctl events with status 0 (got $rc)" [ "$rc" -eq 0 ]
	check "$2: nothing on stderr" [ ! -s "$PST_TMP/$2.err" ]
}
wait_for 5 grep -q '"event":"unban"' "$PST_TMP/events.jsonl"
stop_follower "$ev_json" events.jsonl
stop_follower "$ev_text" events.txt
check "events --json: every line is one JSON object" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    assert isinstance(json.loads(l), dict), l' "$PST_TMP/events.jsonl"
ops_events_has() {	# NAME PYTHON-EXPR: a JSON event e satisfies it
	check "events --json: $1" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert any(eval(sys.argv[2], {"e": e, "a": sys.argv[3:]}) for e in ev), ev[-5:]' \
		"$PST_TMP/events.jsonl" "$2" "${@:3}"
}
for d in devA devB devC; do
	ops_events_has "$d's login decision, allow, rule corporate" \
		'e["event"] == "decision" and e["device"] == a[0] and e["verdict"] == "allow" and e["rule"] == "corporate" and e["cause"] == "login"' "$d"
done
ops_events_has "devC's tunnel up with its outside and tunnel addresses" \
	'e["event"] == "tunnel-up" and e["device"] == "devC" and e["peer"].startswith(a[0] + ":") and e["address"] == a[1]' \
	"$(pst_device_ip devC)" "$addr_c"
ops_events_has "devD's refusal, no certificate" \
	'e["event"] == "refused" and e["peer"].startswith(a[0] + ":") and e["reason"] == "a device certificate is required"' \
	"$(pst_device_ip devD)"
ops_events_has "the ban of devA" 'e["event"] == "ban" and e["device"] == "devA" and e["reason"].startswith("banned until 20")'
ops_events_has "devA's session ended by the ban" \
	'e["event"] == "session-end" and e["device"] == "devA" and e["reason"].startswith("banned until")'
ops_events_has "devA's login refused while banned" \
	'e["event"] == "refused" and e.get("device") == "devA" and e["reason"].startswith("banned until")'
ops_events_has "the unban of devA" 'e["event"] == "unban" and e["device"] == "devA"'
check "events (text): devC's tunnel up, with its addresses" grep -Eq \
	"^20[0-9T:-]+Z tunnel-up device=devC peer=$(re "$(pst_device_ip devC)"):[0-9]+ address=$(re "$addr_c") verdict=allow" \
	"$PST_TMP/events.txt"
check "events (text): the ban" grep -Eq "^20[0-9T:-]+Z ban device=devA: banned until 20" "$PST_TMP/events.txt"

# ---- history from the audit log, across a restart
history_ok() {	# NAME FILE: devA's allowed login, its refusal while banned, its login again
	ops_check "$1" "$2" '
r = d["records"]
assert d["device"] == "devA" and d["audit_log"] == a[0] and d["truncated"] is False, d
v = [(x["event"], x["verdict"]) for x in r]
assert v == [("login", "allow"), ("login", "deny"), ("login", "allow")], v
assert r[1]["reasons"][0].startswith("banned until 20") and r[1]["rule"] is None, r[1]
assert r[0]["rule"] == "corporate" and r[0]["profile"] == "internal", r[0]
assert r[0]["client"].startswith(a[1] + ":") and r[0]["address"] == a[2], r[0]
for x in r:
    iso(x["time"])
' "$audit" "$(pst_device_ip devA)" "$addr_a"
}
ops_ctl --json history devA
history_ok "history devA --json: its three decisions from the audit log" "$OPS_OUT"
ops_ctl history devA
check "history devA (text): a head naming the log, a table of the records" bash -c "
	head -n 1 '$OPS_OUT' | grep -qx 'devA in $audit: 3 records' &&
	grep -Eq '^TIME +EVENT +VERDICT +RULE +PROFILE +CLIENT +ADDRESS +REASONS$' '$OPS_OUT' &&
	grep -Eq '^20[0-9T:-]+Z +login +deny +- +- +[0-9.:]+ +- +banned until 20' '$OPS_OUT'"
for d in devA devB devC; do
	pst_disconnect "$d"
done
pst_gw_stop
pst_gw_start || pst_bail "gateway starts again" "no 'listening on' in the log"
ops_ctl show devA
check "after the restart show has forgotten devA (exit $OPS_RC)" [ "$OPS_RC" -eq 1 ]
ops_ctl --json history devA
history_ok "after the restart history devA still has them" "$OPS_OUT"
ops_ctl_raw -c "$PST_GW_CONF" --json history devA
history_ok "history -c CONFIG (no gateway asked): the same" "$OPS_OUT"
ops_ctl history nosuch
check "history of a device without records: exit 1, says where it looked" \
	bash -c "[ $OPS_RC -eq 1 ] && grep -qx 'posternctl: no record of nosuch in $audit' '$OPS_ERR'"

# A log larger than what history reads: 17 MiB of another device's records,
# then a line naming devA that is no record, then one of devA's.
python3 - "$audit" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
mine = [l for l in lines if '"device":"devA"' in l][-1]
filler = mine.replace('"device":"devA"', '"device":"filler"')
with open(sys.argv[1], "a") as f:
    n = 0
    while n < 17 << 20:
        f.write(filler + "\n")
        n += len(filler) + 1
    f.write('{"time":"2026-12-03T10:00:00Z","device":"devA","verdict":\n')
    f.write(mine + "\n")
PY
ops_ctl --json history devA
ops_check "history of a log past 16 MiB: its tail, truncated, the unreadable line counted" "$OPS_OUT" '
assert d["truncated"] is True and d["bytes_read"] == 16 << 20 < d["size"], d
assert len(d["records"]) == 1 and d["unreadable"] == 1, (d["records"], d["unreadable"])
'
ops_ctl history devA
check "history (text) says what it left unread, and the line it could not read" bash -c "
	head -n 1 '$OPS_OUT' | grep -q '^devA in $audit (its last 16 MiB of [0-9]*: older records not read): 1 record$' &&
	grep -qx '1 line naming devA could not be read' '$OPS_OUT'"

pst_finish
