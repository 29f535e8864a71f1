#!/bin/bash
# SPDX-License-Identifier: MIT
# The sandbox: once set up, posternd and its key holder run under seccomp
# allowlists (Seccomp 2 in /proc, one filter each), without capabilities,
# with no new privileges, as the configured user; posternctl status says
# "sandbox: on". Landlock (where the kernel has it) leaves the network
# process the directories of the files it re-reads and nothing else of the
# filesystem. Devices connect and pass traffic under it.
#
# Then a forbidden system call (gdb calls fork() in the thread) is made in
# worker 1, devA's home: that thread alone ends, one line names the call;
# the keeper (the network process's first thread, which reads no input)
# closes worker 1's connections and starts it again, in the same network
# process; devB (home worker 0) keeps its tunnel throughout, devA's client
# reconnects with its cookie, without a new login. The same in worker 0,
# which also serves the control plane: it answers again afterwards.
#
# Then in the keeper itself: the network process ends with status 159
# (128 + SIGSYS) and its key holder with it; the supervisor (posternd's own
# pid, which parses no network input) says why and starts a new network
# process, sandboxed like the first, and the device connects again through
# it.
#
#   devA 198.18.0.11 --br0-- gw 198.18.0.1:443 (posternd as nobody, sandboxed,
#   devB 198.18.0.12 -/                         workers = 2)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ops.sh"
ops_init

pst_topology devA devB || pst_bail "topology" "could not build the namespaces"
pst_pki "$PST_TMP/pki" && pst_issue "$PST_TMP/pki" devA && pst_issue "$PST_TMP/pki" devB || pst_bail "PKI" "postern-ca failed"
chmod 0711 "$PST_TMP" "$PST_TMP/pki"
ops_gw_conf user=nobody workers=2
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
# The supervisor keeps 11 capabilities (gateway/privs.c), in every set and
# the bounding set: DAC_OVERRIDE DAC_READ_SEARCH KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_ADMIN SYS_CHROOT SYS_RESOURCE BPF; those of them this test
# has (a container may lack some, SYS_RESOURCE here).
sup_caps=$(printf '%016x' $((0x80010415e6 & 0x$(awk '/^CapBnd:/ { print $2 }' /proc/self/status))))
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

# ---- a SIGSYS that no filter raised (kill) ends nothing
forbidden_before=$(pst_log_count "forbidden system call")
threads_before=$(ls /proc/"$net"/task | wc -l)
kill -SYS "$net"
# What must not happen cannot be polled for: half a second for the handler
# (it runs at once on delivery) to end something if it would.
sleep 0.5
check "a SIGSYS sent with kill: the network process and all its threads run on" \
	bash -c "kill -0 $net && [ \$(ls /proc/$net/task | wc -l) = $threads_before ]"
check "and nothing is logged as a forbidden call" \
	[ "$(pst_log_count "forbidden system call")" = "$forbidden_before" ]

# ---- a forbidden call in a worker: that worker alone ends
# The homes, FNV-1a of the device id modulo 2 (model.h): devA worker 1, devB
# worker 0 (which also serves the control plane).
check "devB connects" pst_connect devB devB
check "devB reaches the internal host" pst_ping devB "$PST_INT_IP"

# worker_fork K HOME OTHER RESTARTS: gdb calls fork() in worker K's thread;
# HOME's device lives on worker K, OTHER's on the other one; RESTARTS: the
# workers started again so far, this one included.
worker_fork() {
	local k=$1 home=$2 other=$3 restarts=$4 tid addr ups_home ups_other logins code
	addr=$(pst_vpn_addr "$home")
	ups_home=$(pst_log_count "tunnel up device=$home ")
	ups_other=$(pst_log_count "tunnel up device=$other ")
	logins=$(pst_log_count "auth ok device=$home ")
	tid=$(grep -lx "posternd-w$k" /proc/"$net"/task/*/comm 2>/dev/null | head -n 1 | cut -d/ -f5)
	check "worker $k is a thread of the network process named posternd-w$k (tid ${tid:-none})" \
		[ -n "$tid" ]
	# In the middle of its turn, holding its lock (the robust lock hands it
	# on): at its second's tick.
	timeout 60 gdb -p "$net" -batch \
		-ex "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == ${tid:-0}]" \
		-ex 'python gdb.Breakpoint("gw_conns_tick").thread = gdb.selected_thread().num' \
		-ex 'continue' -ex 'delete' -ex 'thread' -ex 'call (long)syscall(57L)' \
		>"$PST_TMP/gdb-w$k.log" 2>&1
	sed -n 's/^\(\[Current thread.*\|.*Breakpoint 1,.*\)/# gdb: \1/p' "$PST_TMP/gdb-w$k.log"
	check "the call was made in worker $k's turn (gdb stopped it in gw_conns_tick)" \
		grep -q "Breakpoint 1, .*gw_conns_tick" "$PST_TMP/gdb-w$k.log"
	check "worker $k's thread ends" wait_for 10 bash -c "[ ! -e /proc/$net/task/${tid:-0} ]"
	check "gateway log: one line names the call and the worker" \
		pst_log_has "sandbox: forbidden system call fork \(57\) in worker $k \(thread $tid of pid $net\): ending that thread, the others keep serving"
	check "the keeper says what was closed and starts worker $k again" \
		wait_for 10 pst_log_has "worker $k was ended by its sandbox \(forbidden system call fork\): its [0-9]+ connections closed, their sessions wait for the devices' reconnects; starting worker $k again \(restart 1 of this worker\)"
	check "a new worker $k runs, in the same network process" \
		wait_for 10 bash -c "grep -qx posternd-w$k /proc/$net/task/*/comm"
	check "the network process did not end (pid $net)" [ "$(pst_gw_net_pid)" = "$net" ]
	check "nor its key holder (pid $keyd)" pst_alive "$keyd"
	check "$other (the other worker) passes traffic on" pst_ping "$other" "$PST_INT_IP"
	check "$other kept its tunnel: no new 'tunnel up'" \
		[ "$(pst_log_count "tunnel up device=$other ")" = "$ups_other" ]
	check "$home's client, never restarted, reconnects with its cookie to the same address" \
		wait_for 30 pst_log_more "tunnel up device=$home peer=[^ ]+ addr=$(re "$addr") " "$ups_home"
	check "no second login: $home kept its session" \
		[ "$(pst_log_count "auth ok device=$home ")" = "$logins" ]
	check "$home reaches the internal host again" wait_for 10 pst_ping "$home" "$PST_INT_IP"
	sandboxed "$net" "$keyd"
	ops_ctl status || true
	check "posternctl status: 2 workers, started again $restarts time(s)" \
		grep -Eq "^workers:  2 \(started again $restarts times? after the sandbox ended one" "$OPS_OUT"
	ops_ctl --json status || true
	check "posternctl --json status: worker_restarts $restarts" \
		ops_py "$OPS_OUT" "assert d['worker_restarts'] == $restarts, d"
	code=$(ops_metrics "$PST_TMP/m-w$k.txt")
	check "metrics: postern_worker_restarts_total $restarts (HTTP $code)" \
		grep -qx "postern_worker_restarts_total $restarts" "$PST_TMP/m-w$k.txt"
	grep -E "forbidden|ended by|tunnel (up|down) device=$home" "$PST_GW_LOG" | sed "s/^/# /"
}
worker_fork 1 devA devB 1
# Worker 0: the control plane answers again from its new thread (above).
worker_fork 0 devB devA 2
pst_disconnect devB

# ---- a forbidden call in the keeper, the network process's first thread
# (it reads no input and starts the workers: nothing to contain it in): the
# process ends. devA stays connected through it: its session outlives the
# process.
addrA=$(pst_vpn_addr devA)
ups_before=$(pst_log_count "tunnel up device=devA ")
logins_before=$(pst_log_count "auth ok device=devA ")
gdb -p "$net" -batch \
	-ex "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == $net]" \
	-ex 'thread' -ex 'call (long)syscall(57L)' >"$PST_TMP/gdb.log" 2>&1
sed -n 's/^\(\[Current thread.*\)/# gdb: \1/p' "$PST_TMP/gdb.log"
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

# ---- workers ended again and again: after five restarts within 60 s the
# sixth ends the process instead, and the supervisor's own limit counts.
net=$(pst_gw_net_pid)
for i in 1 2 3 4 5 6; do
	tid=$(grep -lx "posternd-w$((i % 2))" /proc/"$net"/task/*/comm 2>/dev/null | head -n 1 | cut -d/ -f5)
	[ -n "$tid" ] || break
	gdb -p "$net" -batch \
		-ex "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == $tid]" \
		-ex 'call (long)syscall(57L)' >"$PST_TMP/gdb-burst.log" 2>&1
	[ "$i" = 6 ] && break
	wait_for 10 bash -c "grep -qx posternd-w$((i % 2)) /proc/$net/task/*/comm" || break
done
check "five more workers were started again (7 lines in all)" \
	[ "$(pst_log_count "was ended by its sandbox \(forbidden system call fork\): its [0-9]+ connections closed")" = 7 ]
check "the sixth within 60 s ends the network process" \
	pst_log_has "worker [01] was ended by its sandbox \(forbidden system call fork\), the 6th worker so ended within 60 s: ending the network process"
check "which ends" wait_for 10 pst_gone "$net"
check "and the supervisor starts a new one" \
	wait_for 10 bash -c "[ \$(grep -c 'listening on ' '$PST_GW_LOG') -ge 3 ]"

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

# ---- a kernel without Landlock: an empty root directory instead
# POSTERN_NO_LANDLOCK=1 runs the fallback here; under the unit's bounding
# set, which must hold what it needs (CAP_SYS_CHROOT).
pst_gw_stop
PST_GW_WRAP="setpriv --bounding-set=$bset --inh-caps=-all -- env POSTERN_NO_LANDLOCK=1" pst_gw_start
check "without Landlock posternd starts, and warns what is missing" \
	pst_log_has "warning: sandbox on \(seccomp allowlist, no new privileges, an empty root directory, files opened by the supervisor; NO LANDLOCK: no limit on TCP bind or connect"
net=$(pst_gw_net_pid)
keyd=$(pst_gw_keyd_pid)
for p in "$net" "$keyd"; do
	what=$([ "$p" = "$net" ] && echo "network process" || echo "key holder")
	echo "# $what $p: root $(readlink "/proc/$p/root")"
	check "$what: its root is a removed directory" \
		bash -c "readlink /proc/$p/root | grep -Eqx '/tmp/postern-root\.[A-Za-z0-9]{6} \(deleted\)'"
	check "$what: with nothing in it" bash -c "[ -z \"\$(ls -A /proc/$p/root/)\" ]"
	check "$what: still filtered (Seccomp 2)" grep -Eq '^Seccomp:[[:space:]]+2$' "/proc/$p/status"
done
ops_ctl status || true
check "posternctl status says so" \
	grep -q '^sandbox:  on (seccomp allowlist, no new privileges, an empty root directory, .*NO LANDLOCK' "$OPS_OUT"
check "devA connects through it" pst_connect devA devA
check "devA reaches the internal host through it" pst_ping devA "$PST_INT_IP"
check "a reload reads the files, through the supervisor's broker" ops_ctl reload
pst_disconnect devA
pst_finish
