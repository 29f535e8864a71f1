#!/bin/bash
# SPDX-License-Identifier: MIT
# Fail loud, not open: a gateway that drops to `user = "nobody"` must be
# able to re-read its CRL (and config, policy, inventory) and reopen its
# audit log as nobody, or a revocation would silently never take effect.
# - postern-ca makes pki/ mode 0700: `posternd -t` exits 1 naming the CRL,
#   the user, the directory nobody cannot search and the chmod that fixes
#   it (and the audit log nobody could not reopen, with its install
#   command); the config, which nobody can read, is not named; the daemon
#   refuses to start the same way, before it creates its TUN device;
# - with pki/ 0711 and the audit log made as logrotate makes it, both pass
#   and the gateway runs as nobody;
# - at run time: pki/ back to 0700 makes the CRL unreadable: status (JSON
#   and text) and the metrics say "stale" with the reason, and count the
#   failure; a revocation made meanwhile does not bite (the stale state is
#   the warning); once pki/ is 0711 again the new CRL is loaded, the
#   revoked device's session ends and the state is ok again;
# - a CRL file of mode 0600 (seen by its change time: a chmod) and a CRL
#   file that is not a CRL make it stale too, each counted; a good CRL
#   makes it ok.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 [posternd as nobody; pki/ 0700 or 0711]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki
pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$pki" && pst_issue "$pki" devA || pst_bail "PKI" "postern-ca failed"
# Only pki/ stands in the way: the test's directory is searchable, the
# config (written 0644) readable.
chmod 0711 "$PST_TMP"
audit=$PST_TMP/audit.log
ops_gw_conf user=nobody audit-log="$audit"
nogroup=$(id -gn nobody)
check "postern-ca made pki/ mode 0700" [ "$(stat -c %a "$pki")" = 700 ]

# ---- posternd -t
"$PST_BUILD/posternd" -t -c "$PST_GW_CONF" >"$PST_TMP/t1.out" 2>"$PST_TMP/t1.err"
rc=$?
check "posternd -t with pki/ 0700: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "posternd -t: names the CRL, user nobody and the directory it cannot search" \
	grep -qF "$pki/crl.pem: not readable by user nobody (Permission denied: it cannot search the directory $pki)" "$PST_TMP/t1.err"
check "posternd -t: says what breaks (revocations)" \
	grep -qF "the CRL is re-read as nobody when it changes: revocations would never take effect" "$PST_TMP/t1.err"
check "posternd -t: says how to fix it (chgrp/chmod on pki/)" \
	grep -qF "Fix: chgrp $nogroup $pki && chmod g+x $pki" "$PST_TMP/t1.err"
check "posternd -t: names the audit log nobody could not reopen, with the install command" \
	grep -qF "Fix: install -m 0660 -o root -g $nogroup /dev/null $audit" "$PST_TMP/t1.err"
check "posternd -t: the config, which nobody can read, is not named" \
	ops_not grep -qF "$PST_GW_CONF: not readable" "$PST_TMP/t1.err"
check "posternd -t: no 'configuration OK'" ops_not grep -q "configuration OK" "$PST_TMP/t1.out"

# ---- start-up: refused, before the TUN device exists
pst_in gw timeout 10 "$PST_BUILD/posternd" -c "$PST_GW_CONF" >"$PST_TMP/start1.log" 2>&1 </dev/null
rc=$?
check "posternd with pki/ 0700: exits 1 at once (got $rc; 124 = it ran)" [ "$rc" -eq 1 ]
check "start-up: the same message, and 'not starting'" \
	bash -c "grep -qF '$pki/crl.pem: not readable by user nobody' '$PST_TMP/start1.log' &&
		grep -qF 'not starting' '$PST_TMP/start1.log'"
check "start-up: refused before the TUN device was made" \
	bash -c "! ip -n '$(pst_ns gw)' link show pst0 2>/dev/null"
check "start-up: never listened" ops_not grep -q "listening on" "$PST_TMP/start1.log"

# ---- readable: both pass
chmod 0711 "$pki"
install -m 0660 -o root -g "$nogroup" /dev/null "$audit"
"$PST_BUILD/posternd" -t -c "$PST_GW_CONF" >"$PST_TMP/t2.out" 2>"$PST_TMP/t2.err"
rc=$?
check "posternd -t with pki/ 0711 and the audit log group-writable: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "posternd -t: configuration OK" grep -q "configuration OK" "$PST_TMP/t2.out"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "gateway log: running as user nobody" pst_log_has "running as user nobody"
pst_connect devA devA || pst_bail "devA connects" "$(tail -5 "${PST_OC_LOG[devA]}")"

# crl_is STATE: status --json says the CRL's state is STATE.
crl_is() {
	ops_ctl --json status >/dev/null &&
		ops_py "$OPS_OUT" 'assert d["crl"]["state"] == a[0], d["crl"]' "$1" 2>/dev/null
}

# metrics_agree STALE: /metrics says stale = STALE and counts the failures
# status counts (at least MIN).
metrics_agree() {
	local stale=$1 min=$2 code
	ops_ctl --json status && cp "$OPS_OUT" "$PST_TMP/status-m.json" || return 1
	code=$(ops_metrics "$PST_TMP/m.txt")
	[ "$code" = 200 ] && ops_prom_parse "$PST_TMP/m.txt" "$PST_TMP/m.json" || return 1
	ops_py "$PST_TMP/status-m.json" '
m = json.load(open(a[0]))
assert m["postern_crl_stale"] == int(a[1]), m["postern_crl_stale"]
n = m["postern_crl_reload_failures_total"]
assert n == d["crl"]["reload_failures"] >= int(a[2]), (n, d["crl"])' "$PST_TMP/m.json" "$stale" "$min"
}

ops_ctl --json status
ops_check "status: the CRL is ok, no failures" "$OPS_OUT" '
assert d["crl"]["state"] == "ok" and d["crl"]["problem"] is None, d["crl"]
assert d["crl"]["reload_failures"] == 0 and d["crl"]["number"] == 1, d["crl"]'
check "metrics: postern_crl_stale 0, no failures" metrics_agree 0 0

# ---- at run time: pki/ 0700 again
chmod 0700 "$pki"
check "status says stale within 3 s of pki/ becoming 0700" wait_for 3 crl_is stale
ops_ctl --json status
ops_check "status --json: the reason names the CRL and Permission denied, one failure" "$OPS_OUT" '
c = d["crl"]
assert a[0] in c["problem"] and "Permission denied" in c["problem"], c
assert c["reload_failures"] == 1 and c["number"] == 1, c
iso(c["problem_since"])' "$pki/crl.pem"
ops_ctl status
check "status (text): STALE with the reason" \
	grep -qE "state STALE since .*\(1 failed reloads\): $(re "$pki/crl.pem"): Permission denied" "$OPS_OUT"
check "metrics: postern_crl_stale 1, the failure counted" metrics_agree 1 1
check "gateway log: the CRL is not reloaded, new revocations do not take effect" \
	pst_log_has "crl not reloaded: $(re "$pki/crl.pem"): Permission denied; .*new revocations do not take effect"

# A revocation while the CRL is unreadable does not bite: that is what
# the stale state warns about.
out=$("$PST_BUILD/postern-ca" revoke --dir "$pki" --device devA 2>&1) || not_ok "revoke devA" "$out"
wait_for 3 pst_log_has "session end device=devA "
check "while stale, devA's session goes on after its revocation" ops_not pst_log_has "session end device=devA "
check "status is still stale" crl_is stale

chmod 0711 "$pki"
check "pki/ 0711 again: the new CRL is loaded (number 2, 1 revoked) within 3 s" \
	pst_log_wait 3 "crl reloaded $(re "$pki/crl.pem"): 1 revoked, CRL number 2"
check "devA's session ends: its revocation bites now" pst_log_wait 3 "session end device=devA .*certificate revoked"
check "status: ok again" crl_is ok
ops_ctl --json status
ops_check "status --json: number 2, no problem, the failure still counted" "$OPS_OUT" '
c = d["crl"]
assert c["number"] == 2 and c["revoked"] == 1 and c["problem"] is None, c
assert c["problem_since"] is None and c["reload_failures"] == 1, c'
check "metrics: postern_crl_stale 0" metrics_agree 0 1
pst_disconnect devA

# ---- the CRL file itself made unreadable (a chmod: its change time)
chmod 0600 "$pki/crl.pem"
check "crl.pem 0600: stale within 3 s" wait_for 3 crl_is stale
ops_ctl --json status
ops_check "status: cannot open, Permission denied, 2 failures" "$OPS_OUT" '
c = d["crl"]
assert "cannot open: Permission denied" in c["problem"] and c["reload_failures"] == 2, c'
chmod 0644 "$pki/crl.pem"
check "crl.pem 0644 again: ok within 3 s" wait_for 3 crl_is ok
check "gateway log: readable again" pst_log_has "crl $(re "$pki/crl.pem"): readable again"

# ---- a file that is not a CRL
cp "$pki/crl.pem" "$PST_TMP/good-crl.pem"
printf 'not a CRL\n' >"$pki/crl.tmp" && chmod 0644 "$pki/crl.tmp" && mv -f "$pki/crl.tmp" "$pki/crl.pem"
check "garbage in crl.pem: stale within 3 s" wait_for 3 crl_is stale
ops_ctl --json status
ops_check "status: not a PEM CRL, 3 failures, number 2 still in force" "$OPS_OUT" '
c = d["crl"]
assert "not a PEM CRL" in c["problem"] and c["reload_failures"] == 3 and c["number"] == 2, c'
check "metrics: stale 1, 3 failures" metrics_agree 1 3
out=$("$PST_BUILD/postern-ca" crl --dir "$pki" 2>&1) || not_ok "postern-ca crl" "$out"
check "a new CRL from postern-ca: ok within 3 s" wait_for 3 crl_is ok
check "gateway log: CRL number 3 loaded" pst_log_has "crl reloaded $(re "$pki/crl.pem"): 1 revoked, CRL number 3"

check "gateway still running" pst_alive "$PST_GW_PID"
pst_finish
