#!/bin/bash
# SPDX-License-Identifier: MIT
# The sandbox: once set up, posternd and its key holder run under seccomp
# allowlists (Seccomp 2 in /proc, one filter each), without capabilities,
# with no new privileges, as the configured user; posternctl status says
# "sandbox: on". Landlock (where the kernel has it) leaves the network
# process the directories of the files it re-reads and nothing else of the
# filesystem. A device connects and passes traffic under it. Then a
# forbidden system call is made from inside the network process's worker 0
# (gdb calls fork() in it): the filter stops it, one line names the call,
# the network process ends with status 159 (128 + SIGSYS) and its key
# holder with it; the supervisor (posternd's own pid, which parses no
# network input) says why and starts a new network process, sandboxed like
# the first, and the device connects again through it.
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

# sandboxed NET KEYD: the network process and its key holder, as /proc shows
# them (the README prints these lines).
sandboxed() {
	local p status uid
	for p in "$1" "$2"; do
		status=/proc/$p/status
		what=$([ "$p" = "$1" ] && echo "network process" || echo "key holder")
		uid=$([ "$p" = "$1" ] && id -u nobody || echo 0)
		echo "# $what $p: $(grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp|Seccomp_filters):' "$status" |
			tr -s '\t\n' '  ')"
		check "$what: Seccomp 2 (filter), one filter" \
			bash -c "grep -Eq '^Seccomp:[[:space:]]+2$' $status && grep -Eq '^Seccomp_filters:[[:space:]]+1$' $status"
		check "$what: NoNewPrivs 1, CapEff 0, uid $uid" \
			bash -c "grep -Eq '^NoNewPrivs:[[:space:]]+1$' $status && grep -Eq '^CapEff:[[:space:]]+0+$' $status &&
				grep -Eq '^Uid:[[:space:]]+$uid[[:space:]]' $status"
	done
	for t in /proc/"$1"/task/*; do
		check "network process thread $(basename "$t"): filtered (Seccomp 2)" \
			grep -Eq '^Seccomp:[[:space:]]+2$' "$t/status"
	done
}
net=$(pst_gw_net_pid)
keyd=$(pst_gw_keyd_pid)
sandboxed "$net" "$keyd"
echo "# supervisor $PST_GW_PID: $(grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$PST_GW_PID/status" |
	tr -s '\t\n' '  ')"
# The supervisor keeps 10 capabilities (gateway/privs.c), in every set and
# the bounding set: DAC_OVERRIDE DAC_READ_SEARCH KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_ADMIN SYS_RESOURCE BPF; those of them this test
# has (a container may lack some, SYS_RESOURCE here).
sup_caps=$(printf '%016x' $((0x80010015e6 & 0x$(awk '/^CapBnd:/ { print $2 }' /proc/self/status))))
check "supervisor: only the capabilities that set up a network process (CapEff, CapPrm, CapBnd $sup_caps)" \
	bash -c "[ \$(grep -Ec '^(CapEff|CapPrm|CapBnd):[[:space:]]+$sup_caps\$' /proc/$PST_GW_PID/status) = 3 ]"
check "supervisor: no CAP_SYS_ADMIN, CAP_SYS_PTRACE nor CAP_SYS_MODULE" \
	bash -c "(( (0x\$(awk '/^CapBnd:/ { print \$2 }' /proc/$PST_GW_PID/status) >> 16) & 0x29 )) && exit 1 || exit 0"
ops_ctl status || true
check "posternctl status: sandbox on" grep -q '^sandbox:  on (seccomp allowlist' "$OPS_OUT"
check "devA connects under the sandbox" pst_connect devA devA
check "devA reaches the internal host" pst_ping devA "$PST_INT_IP"
check "posternctl reload works under the sandbox" ops_ctl reload

command -v gdb >/dev/null || pst_skip "gdb is not installed"
# gdb attaches to a process that is not dumpable only with CAP_SYS_PTRACE:
# where root runs without it (some containers) the rest cannot be done.
if ! gdb -p "$net" -batch -ex 'print (int)getpid()' 2>&1 | grep -q "^\$1 = $net$"; then
	pst_has_cap "$PST_CAP_SYS_PTRACE" &&
		not_ok "gdb attaches to the network process" "$(gdb -p "$net" -batch 2>&1 | tail -n 1)"
	pst_skip "gdb cannot attach here (no CAP_SYS_PTRACE): Landlock and the forbidden call were not tried"
fi

# ---- no filesystem: the network process opens nothing itself (its open
# is refused, not fatal), and Landlock takes every path away where the
# kernel has it. What it re-reads, the supervisor opens for it: a CRL
# published while it runs is read through the file broker.
if pst_log_has "sandbox on \(seccomp allowlist, no new privileges, landlock ABI [0-9]+: no filesystem"; then
	ok "gateway log: landlock in force, no filesystem"
else
	# Not an error: a kernel without Landlock is named at start, loudly.
	check "no landlock in this kernel: a warning says so" \
		pst_log_has "warning: sandbox on \(seccomp allowlist, .*NO LANDLOCK"
fi
gdb -p "$net" -batch -ex 'call (int)open("/etc/hostname", 0)' \
	-ex "call (int)open(\"$PST_TMP/pki/crl.pem\", 0)" >"$PST_TMP/gdb-ll.log" 2>&1
check "network process: /etc/hostname cannot be opened (got $(grep -o '^\$1 = .*' "$PST_TMP/gdb-ll.log"))" \
	grep -qx '\$1 = -1' "$PST_TMP/gdb-ll.log"
check "network process: nor the CRL, by itself (got $(grep -o '^\$2 = .*' "$PST_TMP/gdb-ll.log"))" \
	grep -qx '\$2 = -1' "$PST_TMP/gdb-ll.log"
check "the network process survived the calls" pst_alive "$net"
pst_issue "$PST_TMP/pki" devZ && "$PST_BUILD/postern-ca" revoke --dir "$PST_TMP/pki" \
	--device devZ >/dev/null 2>&1 || not_ok "postern-ca issues and revokes devZ"
check "a new CRL still reaches it, through the supervisor's broker" \
	pst_log_wait 10 "crl reloaded $(re "$PST_TMP/pki/crl.pem"): 1 revoked"

# ---- a forbidden call: fork() from worker 0 of the network process
# devA stays connected through it: its session outlives the process.
addrA=$(pst_vpn_addr devA)
ups_before=$(pst_log_count "tunnel up device=devA ")
logins_before=$(pst_log_count "auth ok device=devA ")
gdb -p "$net" -batch -ex 'call (long)syscall(57L)' >"$PST_TMP/gdb.log" 2>&1
check "the network process ends on the forbidden call" wait_for 10 pst_gone "$net"
check "gateway log: one line names the forbidden call" \
	pst_log_has "sandbox: forbidden system call fork \(57\) in pid $net: ending the process"
check "the key holder ends with it" wait_for 10 pst_gone "$keyd"
check "posternd itself (the supervisor) keeps running" pst_alive "$PST_GW_PID"
check "the supervisor says why, and that it starts a new one with devA's session" \
	pst_log_has "the network process \(pid $net\) was ended by its sandbox .*: its tunnels dropped; starting it again with the 1 sessions and bans it held.* \(restart 1,"
new_net() { local n; n=$(pst_gw_net_pid); [ -n "$n" ] && [ "$n" != "$net" ]; }
check "a new network process runs" wait_for 10 new_net
check "it serves: a second 'listening on'" wait_for 10 bash -c "[ \$(grep -c 'listening on ' '$PST_GW_LOG') -ge 2 ]"
sandboxed "$(pst_gw_net_pid)" "$(pst_gw_keyd_pid)"
check "the new network process took devA's session back, decided again, with its address" \
	pst_log_has "session resumed device=devA addr=$(re "$addrA") verdict=allow "
check "and says so in one line" pst_log_has "resumed 1 of 1 sessions of the previous network process \(0 ended, 0 unreadable\)"
# The stock client reconnects by itself with its cookie (openconnect retries
# at growing intervals, the first within a second, the next after ten).
check "devA's own client, never restarted, reconnects with its cookie to the same address" \
	wait_for 30 pst_log_more "tunnel up device=devA peer=[^ ]+ addr=$(re "$addrA") " "$ups_before"
check "devA's client is the same process" pst_alive "${PST_OC_PID[devA]}"
check "no second login: devA kept its session" [ "$(pst_log_count "auth ok device=devA ")" = "$logins_before" ]
check "devA reaches the internal host again" wait_for 10 pst_ping devA "$PST_INT_IP"
grep -E "resum|ended by|tunnel (up|down) device=devA|forbidden|listening" "$PST_GW_LOG" | sed "s/^/# /"
ops_ctl status || true
check "posternctl status: the supervisor's pid, the new network process, 1 restart" \
	grep -Eq "^posternd .*, pid $PST_GW_PID \(network process $(pst_gw_net_pid), restarted 1 time\)" "$OPS_OUT"
pst_disconnect devA

# ---- under the installed unit's capability bounding set
# conf/postern.service's CapabilityBoundingSet, applied with setpriv as
# systemd does: what the daemon needs must be in it, or the installed
# service would not start (the supervisor, the key holder's shedding of
# root and the TUN steering program each need their part).
pst_gw_stop
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$PST_ROOT/conf/postern.service")
bset=-all$(for c in $unit_caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
echo "# the unit's bounding set: $unit_caps"
PST_GW_WRAP="setpriv --bounding-set=$bset --inh-caps=-all --" pst_gw_start
check "posternd starts under the unit's bounding set" pst_log_has "listening on "
check "its supervisor's bounding set is within the unit's" \
	bash -c "(( 0x\$(awk '/^CapBnd:/ { print \$2 }' /proc/$PST_GW_PID/status) & ~0x$sup_caps )) && exit 1 || exit 0"
check "devA connects through it" pst_connect devA devA
check "devA reaches the internal host through it" pst_ping devA "$PST_INT_IP"
n_reload=$(pst_log_count "reload: config ")
kill -HUP "$PST_GW_PID"
check "SIGHUP to posternd reaches its network process, which runs as nobody (CAP_KILL)" \
	wait_for 10 pst_log_more "reload: config " "$n_reload"
pst_disconnect devA
pst_finish
