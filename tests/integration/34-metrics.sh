#!/bin/bash
# SPDX-License-Identifier: MIT
# The metrics endpoint (metrics-listen = "127.0.0.1:9187", inside the
# gateway's netns) after traffic that moves every kind of counter: an
# allowed device's bytes, a quarantined device pinging outside its profile
# (dropped outside_profile), a revoked certificate (refused revoked), a
# personal device (decision deny, refused policy_deny), a kick and a reload.
# Then, at a quiet moment (stats identical before and after the scrape):
# - the body is valid Prometheus text 0.0.4 (tests/fixtures/ops/promcheck.py:
#   HELP and TYPE before the samples, counter, gauge or histogram, counters
#   *_total, histograms whole) and `promtool check metrics` (Prometheus's
#   own linter: names, units, suffixes) finds nothing to say;
# - every counter equals `posternctl stats --json`, label for key, and the
#   gauges equal `posternctl status --json`: sessions, pool, and the CRL's
#   and certificates' dates, number and state (36-crl-certs.sh checks those
#   against openssl);
# - what only the metrics have holds real values: decisions by verdict and
#   rule (adding up to posternctl's by verdict), quarantines by reason, the
#   latency histograms, postern_build_info, and process_* of the sandboxed
#   network process (read through what it opened before its sandbox);
# - every metric the shipped Grafana dashboard and alert rules use
#   (conf/) is in the scrape.
# Without promtool (tests/deps.sh installs Debian's prometheus package) the
# rest runs and the test ends as skipped.
#
#   devA 198.18.0.11 (compliant)                    --\
#   devB 198.18.0.12 (old-os: quarantine)           ---br0-- gw 198.18.0.1:443 [pst0; 127.0.0.1:9187 /metrics] -- int 198.18.2.2
#   devC 198.18.0.13 (revoked "gone", byod "personal") /                                                           int 198.18.3.2
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pki=$PST_TMP/pki
pst_topology devA devB devC || pst_bail "topology" "could not build the namespaces"
pst_remediation_host || pst_bail "remediation host" "could not add 198.18.3.2"
pst_pki "$pki" && pst_issue "$pki" devA --group field && pst_issue "$pki" devB --group field &&
	pst_issue "$pki" personal --byod && pst_issue "$pki" gone ||
	pst_bail "PKI" "postern-ca failed"
out=$("$PST_BUILD/postern-ca" revoke --dir "$pki" --device gone 2>&1) || pst_bail "PKI" "revoke: $out"
cp "$PST_FIXTURES/policy.conf" "$PST_TMP/policy.conf"
ops_gw_conf policy="$PST_TMP/policy.conf" routes="$PST_INT_NET $PST_REM_NET"
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
check "gateway log: metrics on $OPS_METRICS" pst_log_has "metrics on $(re "$OPS_METRICS")"

# ---- the HTTP side
code=$(ops_metrics "$PST_TMP/m0.txt")
check "GET /metrics: 200 (got $code)" [ "$code" = 200 ]
check "GET /metrics: Content-Type text/plain; version=0.0.4" \
	grep -qiE '^content-type: *text/plain; *version=0\.0\.4' "$PST_TMP/m0.txt.headers"
code=$(ops_metrics "$PST_TMP/m404.txt" nosuch)
check "GET /nosuch: 404 (got $code)" [ "$code" = 404 ]

# ---- traffic
PST_ROUTES=$PST_INT_NET
pst_posture_connect devA devA "$PST_FIXTURES/compliant.facts" "$PST_INT_NET" ||
	pst_bail "devA connects" "$(tail -5 "${PST_OC_LOG[devA]}")"
check "devA pings the internal host" pst_ping devA "$PST_INT_IP"
pst_posture_connect devB devB "$PST_FIXTURES/old-os.facts" "$PST_REM_NET" ||
	pst_bail "devB connects" "$(tail -5 "${PST_OC_LOG[devB]}")"
check "devB: quarantined" pst_log_has "posture decision device=devB peer=[^ ]+ verdict=quarantine "
# The quarantined device pings the internal host (its route may have been
# pushed, see the spec's Routes; otherwise it makes one): dropped.
pst_in devB ip route replace "$PST_INT_NET" dev vpn0
check "quarantined devB does not reach the internal host" ops_no_ping devB "$PST_INT_IP"
check "gateway log: devB's pings dropped outside the profile" \
	pst_log_wait 5 "dropped packet to $(re "$PST_INT_IP"), outside profile remediation, device=devB"
ops_oc_once revoked devC gone
check "revoked certificate refused (openconnect exit $OPS_OC_RC)" [ "$OPS_OC_RC" -eq 1 ]
pst_agent_env personal "$PST_FIXTURES/compliant.facts"
ops_oc_once personal devC personal --csd-wrapper "$PST_AGENT"
PST_OC_ENV=()
check "personal device denied (openconnect exit $OPS_OC_RC)" [ "$OPS_OC_RC" -eq 1 ]
ops_ctl kick devB
check "kick devB: exit 0" [ "$OPS_RC" -eq 0 ]
pst_log_wait 5 "session end device=devB " || not_ok "devB's session ends after the kick"
ops_ctl reload
check "reload: exit 0" [ "$OPS_RC" -eq 0 ]
check "devA still pings the internal host" pst_ping devA "$PST_INT_IP"
pst_oc_wait devB 10

# ---- a quiet moment: stats, scrape, stats, until the two stats agree
# (but for the uptime and the CRL's age, which count seconds)
quiet=0
for try in 1 2 3 4 5 6 7 8 9 10; do
	ops_ctl --json stats && cp "$OPS_OUT" "$PST_TMP/stats-1.json" || continue
	ops_ctl --json status && cp "$OPS_OUT" "$PST_TMP/status.json" || continue
	code=$(ops_metrics "$PST_TMP/metrics.txt")
	ops_ctl --json stats && cp "$OPS_OUT" "$PST_TMP/stats-2.json" || continue
	if [ "$code" = 200 ] && ops_py "$PST_TMP/stats-1.json" '
d2 = json.load(open(a[0]))
for x in (d, d2):
    x.pop("uptime", None)
    x.get("crl", {}).pop("age", None)
assert d == d2' "$PST_TMP/stats-2.json" 2>/dev/null; then
		quiet=1
		echo "# quiet scrape on try $try"
		break
	fi
	sleep 0.5
done
check "a scrape between two equal stats (10 tries)" [ "$quiet" -eq 1 ]

if ops_prom_parse "$PST_TMP/metrics.txt" "$PST_TMP/metrics.json" 2>"$PST_TMP/promcheck.err"; then
	ok "the metrics are valid Prometheus text"
else
	not_ok "the metrics are valid Prometheus text" "$(head -20 "$PST_TMP/promcheck.err")"
fi
promtool=$(command -v promtool || true)
if [ -n "$promtool" ]; then
	"$promtool" check metrics <"$PST_TMP/metrics.txt" >"$PST_TMP/promtool.out" 2>&1
	rc=$?
	check "promtool check metrics: exit 0, not a word (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ ! -s '$PST_TMP/promtool.out' ]" ||
		sed 's/^/#   /' "$PST_TMP/promtool.out"
fi

# openconnect makes two TLS connections for one attempt (its first POST and
# the XML POST), and the gateway refuses each: the refusal counters are to
# equal the gateway's "refused" lines.
n_revoked=$(pst_log_count "refused peer=[^ ]+ device=gone: device certificate has been revoked")
n_denied=$(pst_log_count "refused peer=[^ ]+ device=personal: ")
echo "# refused lines: $n_revoked for the revoked certificate, $n_denied for the personal device"
ops_check "the traffic moved each counter (stats)" "$PST_TMP/stats-1.json" '
assert d["handshakes"] >= 4 and d["accepted"] >= 2, d
assert d["refused"]["revoked"] == int(a[0]) >= 1, ("revoked", d["refused"], "refused lines", a[0])
assert d["refused"]["policy_deny"] == int(a[1]) >= 1, ("policy_deny", d["refused"], "refused lines", a[1])
assert d["decisions"] == {"allow": 1, "quarantine": 1, "deny": 1}, d["decisions"]
assert d["dropped"]["outside_profile"] >= 3, d["dropped"]
assert d["bytes"]["rx"] > 0 and d["bytes"]["tx"] > 0, d["bytes"]
assert d["packets"]["rx"] > 0 and d["packets"]["tx"] > 0, d["packets"]
assert d["reports"]["accepted"] >= 2, d["reports"]  # devA, devB; a denied device is not scanned
assert d["reloads"] == {"ok": 1, "failed": 0}, d["reloads"]
assert d["sessions_ended"]["kicked"] == 1, d["sessions_ended"]' "$n_revoked" "$n_denied"

check "every counter in /metrics equals posternctl stats" python3 - \
	"$PST_TMP/stats-1.json" "$PST_TMP/metrics.json" <<'PY'
import json, sys
st, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = {"postern_tls_handshakes_total": st["handshakes"],
        "postern_connections_accepted_total": st["accepted"]}
labelled = {"refused": ("postern_refusals_total", "reason"),
            "shed": ("postern_connections_shed_total", "reason"),
            "quarantines": ("postern_quarantines_total", "reason"),
            "dropped": ("postern_dropped_packets_total", "reason"),
            "bytes": ("postern_bytes_total", "direction"),
            "packets": ("postern_packets_total", "direction"),
            "reports": ("postern_posture_reports_total", "result"),
            "reloads": ("postern_reloads_total", "result"),
            "sessions_ended": ("postern_sessions_ended_total", "reason")}
for key, (name, label) in labelled.items():
    for k, v in st[key].items():
        want[f"{name}{{{label}={k}}}"] = v
# Beyond the spec's list: counters the gateway also has in stats.
if "reevaluated" in st:
    want["postern_reevaluations_total"] = st["reevaluated"]
want["postern_crl_reload_failures_total"] = st["crl"]["reload_failures"]
want["postern_network_process_restarts_total"] = st["restarts"]
want["postern_worker_restarts_total"] = st["worker_restarts"]
want["postern_sessions_resumed_total"] = st["resumed"]
want["postern_connections_handed_over_total"] = st["handoffs"]
want["postern_accept_pauses_total"] = st["accept_pauses"]
dt = st["dtls"]
want["postern_dtls_handshakes_total{result=ok}"] = dt["handshakes"]
want["postern_dtls_handshakes_total{result=failed}"] = dt["handshake_failures"]
want["postern_dtls_cookie_challenges_total"] = dt["cookie_challenges"]
want["postern_dtls_roams_total"] = dt["roams"]
want["postern_dtls_records_total{direction=rx}"] = dt["records_rx"]
want["postern_dtls_records_total{direction=tx}"] = dt["records_tx"]
for r in ("no_peer", "bad_cookie", "unknown_app_id", "peers_full", "bad_record", "truncated"):
    want[f"postern_dtls_dropped_datagrams_total{{reason={r}}}"] = dt["dropped_" + r]
want["postern_dtls_send_errors_total"] = dt["send_errors"]
bad = [f"{k}: metrics {m.get(k)} != stats {v}" for k, v in want.items() if m.get(k) != v]
# The metrics' own (checked below): decisions by rule, the process's CPU.
counters = {k for k in m if k.split("{")[0].endswith("_total") and
            not k.startswith(("postern_decisions_total{", "process_"))}
extra = counters - want.keys()
assert not bad and not extra, "; ".join(bad) + (f"; series not in stats: {sorted(extra)}" if extra else "")
PY

check "the gauges equal posternctl status" python3 - \
	"$PST_TMP/status.json" "$PST_TMP/metrics.json" <<'PY'
import json, sys
st, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = {f"postern_sessions{{verdict={v}}}": st["sessions"][v] for v in ("allow", "quarantine", "deny")}
want["postern_tunnels"] = st["sessions"]["tunnels"]
want["postern_pool_addresses_in_use{family=ipv4}"] = st["pool"]["ipv4"]["used"]
want["postern_pool_addresses{family=ipv4}"] = st["pool"]["ipv4"]["size"]
bad = [f"{k}: metrics {m.get(k)} != status {v}" for k, v in want.items() if m.get(k) != v]
assert not bad, "; ".join(bad)
assert st["sessions"]["allow"] == 1 and st["sessions"]["tunnels"] == 1, st["sessions"]
# devA's tunnel holds the one address in use; the pool is a /24 less what
# is not leasable.
assert m["postern_pool_addresses_in_use{family=ipv4}"] == 1, m
assert m["postern_pool_addresses{family=ipv4}"] > 100, m
PY

check "the CRL and certificate gauges equal posternctl status" python3 - \
	"$PST_TMP/status.json" "$PST_TMP/metrics.json" <<'PY'
import datetime, json, sys
st, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def ts(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp())
c, certs = st["crl"], st["certificates"]
want = {"postern_crl_last_update_timestamp_seconds": ts(c["last_update"]),
        "postern_crl_next_update_timestamp_seconds": ts(c["next_update"]),
        "postern_crl_number": c["number"],
        "postern_crl_stale": 0,
        "postern_crl_reload_failures_total": c["reload_failures"],
        "postern_server_certificate_expiry_timestamp_seconds": ts(certs["server"]["not_after"]),
        "postern_ca_certificate_expiry_timestamp_seconds": ts(certs["ca"]["not_after"])}
bad = [f"{k}: metrics {m.get(k)} != status {v}" for k, v in want.items() if m.get(k) != v]
assert not bad, "; ".join(bad)
assert c["state"] == "ok" and c["problem"] is None, c
# The revocation of "gone" made CRL number 2 (init made 1).
assert c["number"] == 2 and c["reload_failures"] == 0, c
assert abs(m["postern_crl_age_seconds"] - c["age"]) <= 2, (m["postern_crl_age_seconds"], c["age"])
PY

check "every metric the shipped dashboard and alert rules name is in the scrape" python3 - \
	"$PST_TMP/metrics.json" "$PST_ROOT/conf/grafana-dashboard.json" "$PST_ROOT/conf/postern-alerts.yml" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1]))
served = {k.split("{")[0] for k in m} | {"up"}
text = json.dumps(json.load(open(sys.argv[2]))) + open(sys.argv[3]).read()
used = set(re.findall(r"\b(?:postern|process)_[a-z0-9_]+\b", text))
assert used and not used - served, sorted(used - served)
PY
check "decisions by verdict and rule: devA's, devB's and the personal device's" python3 - \
	"$PST_TMP/stats-1.json" "$PST_TMP/metrics.json" <<'PY'
import json, sys
st, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
dec = {k: v for k, v in m.items() if k.startswith("postern_decisions_total{")}
# The fixture's rules: corporate allows (or quarantines), personal denies;
# "-" is no rule. The reload (the same policy) kept the counts by name.
want = {"postern_decisions_total{rule=corporate,verdict=allow}": 1,
        "postern_decisions_total{rule=corporate,verdict=quarantine}": 1,
        "postern_decisions_total{rule=personal,verdict=deny}": 1,
        "postern_decisions_total{rule=-,verdict=deny}": 0}
assert dec == want, dec
for v in ("allow", "quarantine", "deny"):
    got = sum(n for k, n in dec.items() if f"verdict={v}" in k)
    assert got == st["decisions"][v], (v, got, st["decisions"])
PY
check "quarantines by reason: devB's old OS, nothing else" python3 - \
	"$PST_TMP/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
q = {k: v for k, v in m.items() if k.startswith("postern_quarantines_total{")}
assert len(q) == 14, sorted(q)
assert q.pop("postern_quarantines_total{reason=os_version}") == 1, q
assert not any(q.values()), q
PY
check "latency histograms: every handshake, the logins and the control plane's holds counted" python3 - \
	"$PST_TMP/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
hs = m["postern_tls_handshake_duration_seconds_count"]
assert hs == m["postern_tls_handshakes_total"] >= 4, (hs, m["postern_tls_handshakes_total"])
assert m["postern_tls_handshake_duration_seconds_bucket{le=+Inf}"] == hs
assert 0 < m["postern_tls_handshake_duration_seconds_sum"] < hs * 20, m
# devA's and devB's logins, the personal device's deny, the revoked
# certificate's refusals: each answered once.
n = m["postern_login_duration_seconds_count"]
assert 4 <= n <= hs, (n, hs)
assert m["postern_login_duration_seconds_bucket{le=30}"] == n, m
assert 0 < m["postern_login_duration_seconds_sum"] < n * 30, m
# The control plane holds every worker at least for each second's watches
# and for each posternctl command this test ran.
h = m["postern_control_hold_duration_seconds_count"]
assert h >= 1 and m["postern_control_hold_duration_seconds_bucket{le=+Inf}"] == h, m
assert 0 < m["postern_control_hold_duration_seconds_sum"], m
PY
check "postern_build_info 1 and process_* of the sandboxed network process" python3 - \
	"$PST_TMP/metrics.json" "$(date +%s)" <<'PY'
import json, sys
m, now = json.load(open(sys.argv[1])), int(sys.argv[2])
info = [k for k in m if k.startswith("postern_build_info{")]
assert len(info) == 1 and m[info[0]] == 1 and "version=" in info[0] and "openssl=3" in info[0], info
start = m["process_start_time_seconds"]
assert now - 300 < start <= now + 1, (start, now)
assert 0 < m["process_cpu_seconds_total"] < 300, m["process_cpu_seconds_total"]
assert m["process_resident_memory_bytes"] > 1 << 20, m["process_resident_memory_bytes"]
assert m["process_virtual_memory_bytes"] > m["process_resident_memory_bytes"]
assert 10 <= m["process_open_fds"] < m["process_max_fds"], (m["process_open_fds"], m["process_max_fds"])
PY

# The metrics port has slots of its own: idle connections that fill them
# (a scanner, a stuck scraper) never lock posternctl out.
check "20 idle connections held open to the metrics port, posternctl status still answers" \
	pst_in gw python3 - "${OPS_METRICS%:*}" "${OPS_METRICS##*:}" "$PST_BUILD/posternctl" \
	"$OPS_SOCK" <<'PY'
import socket, subprocess, sys
host, port, ctl, sock = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
idle = [socket.create_connection((host, port), timeout=5) for _ in range(20)]
r = subprocess.run([ctl, "-s", sock, "status"], capture_output=True, timeout=20)
for s in idle:
    s.close()
assert r.returncode == 0, (r.returncode, r.stderr)
assert b"sessions:" in r.stdout, r.stdout
PY
check "gateway log: a metrics client past its 16 slots was turned away" \
	pst_log_has "metrics: too many clients at once"
check "gateway still running" pst_alive "$PST_GW_PID"
pst_disconnect devA
if [ -z "$promtool" ]; then
	pst_gw_stop
	echo "# $PST_PASSED passed, $PST_FAILED failed"
	[ "$PST_FAILED" -eq 0 ] || exit 1
	pst_skip "promtool is not installed (tests/deps.sh installs prometheus): the metrics were not linted"
fi
pst_finish
