#!/bin/bash
# SPDX-License-Identifier: MIT
# The sandbox: once set up, posternd and its key holder run under seccomp
# allowlists (Seccomp 2 in /proc, one filter each), without capabilities,
# with no new privileges, as the configured user; posternctl status says
# "sandbox: on". A device connects and passes traffic under it. Then a
# forbidden system call is made from inside the gateway's worker 0 (gdb
# calls fork() in it): the filter stops it, the gateway logs one line
# naming the call and ends with status 159 (128 + SIGSYS), for the service
# manager to restart (postern.service: Restart=on-failure), and the key
# holder goes with it.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 (posternd as nobody, sandboxed)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pst_topology devA || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA || pst_bail "PKI" "postern-ca failed"
chmod 0711 "$PST_TMP" "$PST_TMP/pki"
ops_gw_conf user=nobody
pst_gw_start || pst_bail "gateway starts" "no 'listening on' in the log"
if pst_log_has "SANDBOX OFF: off \(built with sanitizers"; then
	# LeakSanitizer needs ptrace at exit: a sanitizer build runs unfiltered
	# and says so; the rest of this test is for the real build.
	check "sanitizer build: posternctl status says the sandbox is off" \
		bash -c "'$OPS_CTL' -s '$OPS_SOCK' status | grep -q '^sandbox:  off (built with sanitizers'"
	pst_finish
fi
check "gateway log: sandbox on" pst_log_has "sandbox on \(seccomp allowlist"
keyd=$(pgrep -P "$PST_GW_PID")
for p in "$PST_GW_PID" "$keyd"; do
	what=$([ "$p" = "$PST_GW_PID" ] && echo gateway || echo "key holder")
	status=/proc/$p/status
	check "$what: Seccomp 2 (filter), one filter" \
		bash -c "grep -Eq '^Seccomp:[[:space:]]+2$' $status && grep -Eq '^Seccomp_filters:[[:space:]]+1$' $status"
	check "$what: NoNewPrivs 1, CapEff 0, uid nobody" \
		bash -c "grep -Eq '^NoNewPrivs:[[:space:]]+1$' $status && grep -Eq '^CapEff:[[:space:]]+0+$' $status &&
			grep -Eq '^Uid:[[:space:]]+$(id -u nobody)[[:space:]]' $status"
done
for t in /proc/"$PST_GW_PID"/task/*; do
	check "gateway thread $(basename "$t"): filtered (Seccomp 2)" grep -Eq '^Seccomp:[[:space:]]+2$' "$t/status"
done
ops_ctl status || true
check "posternctl status: sandbox on" grep -q '^sandbox:  on (seccomp allowlist' "$OPS_OUT"
check "devA connects under the sandbox" pst_connect devA devA
check "devA reaches the internal host" pst_ping devA "$PST_INT_IP"
check "posternctl reload works under the sandbox" ops_ctl reload

# ---- a forbidden call: fork() from worker 0
command -v gdb >/dev/null || pst_skip "gdb is not installed"
gw=$PST_GW_PID
gdb -p "$gw" -batch -ex 'call (long)syscall(57L)' >"$PST_TMP/gdb.log" 2>&1
wait_for 10 pst_gone "$gw"
check "the gateway ends on the forbidden call" pst_gone "$gw"
wait "$gw" 2>/dev/null
rc=$?
check "exit status 159 (128 + SIGSYS), for the service manager to see (got $rc)" [ "$rc" -eq 159 ]
check "gateway log: one line names the forbidden call" \
	pst_log_has "sandbox: forbidden system call fork \(57\) in pid $gw: ending the process"
check "the key holder ends with it" wait_for 10 pst_gone "$keyd"
PST_GW_PID=
pst_finish
