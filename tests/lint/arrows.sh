#!/bin/bash
# SPDX-License-Identifier: MIT
# The layers' arrows (DESIGN.md, "Layers"; the Makefile links by them),
# checked on the source and on the programs built from it:
#
#   common  <-  conf  <-  posture  <-  gateway        certs -> conf, common
#
# includes   a file in a folder includes our headers only from its own folder
#            and the folders below it (tests/ may include anything);
# libraries  a folder includes the headers of the libraries its layer calls
#            only (common: libc and OpenSSL);
# prints     certs/ library code writes to neither stdout nor stderr;
# links      no program holds code of a folder it must not use (its objects'
#            global symbols, read with nm: no certs code in posternd, no agent
#            collector either, no gateway code in postern-ca or
#            postern-posture), nor depends on a library it does not call
#            (readelf's NEEDED).
#
# Inside gateway/ the same holds between its layers (README, Architecture):
#
#   base <- transport <- endpoints <- sessions <- control plane <- worker <- main
#
# gateway  a gateway file includes gateway headers only of its own layer and
#          the layers below it; a lower layer reports upward through a
#          callback (struct gw_conn_handlers) or a returned action.
#
# Prints "ok - NAME" or "not ok - NAME" lines (tests/run.sh counts them) and
# exits 1 when any check failed. Run after `make`: the links need build/.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
failed=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }

# Each folder: the folders it may use (itself first: the arrows) and the
# libraries its code may call.
declare -A USES LIBS
while read -r dir uses libs; do
	USES[$dir]=${uses//,/ }
	LIBS[$dir]=${libs//,/ }
done <<'TABLE'
common   common                       openssl
conf     conf,common                  confuse
posture  posture,conf,common          openssl,confuse
certs    certs,conf,common            openssl,sqlite3
gateway  gateway,posture,conf,common  openssl,netlink,libmnl
TABLE
FOLDERS="common conf posture certs gateway"
# header pattern (ERE, after "#include <") -> library
LIB_HEADERS="openssl/:openssl confuse\.h:confuse sqlite3\.h:sqlite3 netlink/:netlink libmnl/:libmnl"

# The program entry points: their own code, in no folder's archive
# (postern-ca's commands, certs/cmd_*.c, and posternctl's other files,
# gateway/posternctl_*.c, are their own code too).
MAINS="gateway/main.c gateway/posternctl.c certs/postern-ca.c posture/postern-posture.c"
MAINS="$MAINS $(echo certs/cmd_*.c gateway/posternctl_*.c)"
# The posture agent's own files (and the fleet report's): in libposture.a,
# but only postern-posture may hold them.
AGENT="posture/agent.c posture/collect.c posture/agentconf.c posture/factsfile.c posture/check.c"
AGENT="$AGENT posture/auditrec.c posture/fleet.c posture/fleet_out.c posture/fleet_cmd.c"

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- includes ----

check_includes() {
	local dir=$1 f inc to bad=0

	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		while IFS= read -r inc; do
			to=${inc%%/*}
			in_list "$to" "$FOLDERS" || continue
			if ! in_list "$to" "${USES[$dir]}"; then
				not_ok "includes: $f includes $inc ($dir/ may use ${USES[$dir]// /, })"
				bad=1
			fi
		done < <(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*|\1|p' "$f")
	done
	[ "$bad" -eq 0 ] && ok "includes: $dir/ uses only ${USES[$dir]// /, }"
}

check_libraries() {
	local dir=$1 f pair pat lib bad=0

	for pair in $LIB_HEADERS; do
		pat=${pair%%:*}
		lib=${pair##*:}
		in_list "$lib" "${LIBS[$dir]}" && continue
		for f in $(grep -lE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$pat" \
			"$dir"/*.c "$dir"/*.h 2>/dev/null); do
			not_ok "libraries: $f includes $lib's headers ($dir/ calls ${LIBS[$dir]// /, } only)"
			bad=1
		done
	done
	[ "$bad" -eq 0 ] && ok "libraries: $dir/ includes only ${LIBS[$dir]// /, } headers"
}

# ---- links ----

# The global symbols the objects of these sources define, one a line.
symbols_of() {
	local src obj

	for src in "$@"; do
		obj=$BUILD/obj/${src%.c}.o
		[ -f "$obj" ] && nm --defined-only --extern-only "$obj" | awk '{print $3}'
	done | sort -u
}

# The library sources of a folder (the entry points are not a folder's code).
folder_sources() {
	local f

	for f in "$1"/*.c; do
		in_list "$f" "$MAINS" || echo "$f"
	done
}

# no_code PROGRAM WHAT SOURCES...: the program defines none of their symbols.
no_code() {
	local prog=$1 what=$2 bin=$BUILD/$1 found
	shift 2

	if [ ! -x "$bin" ]; then
		not_ok "links: $bin is missing (run make first)"
		return
	fi
	found=$(comm -12 <(nm --defined-only "$bin" | awk '{print $3}' | sort -u) \
		<(symbols_of "$@") | head -n 5 | tr '\n' ' ')
	if [ -n "$found" ]; then
		not_ok "links: $prog holds $what: ${found% }"
	else
		ok "links: $prog holds no $what"
	fi
}

# no_library PROGRAM LIB...: none of these in the program's NEEDED.
no_library() {
	local prog=$1 bin=$BUILD/$1 needed lib bad=""
	shift

	[ -x "$bin" ] || return
	needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
	for lib in "$@"; do
		grep -q "^$lib\." <<<"$needed" && bad="$bad $lib"
	done
	if [ -n "$bad" ]; then
		not_ok "links: $prog depends on$bad, which it does not call"
	else
		ok "links: $prog depends on none of $*"
	fi
}

# no_printing FOLDER: its library objects name neither standard stream nor
# a function that writes to one (CONTRIBUTING, "Errors": library code never
# prints; the words go into the caller's err buffer).
PRINTERS="stdout|stderr|printf|__printf_chk|vprintf|__vprintf_chk|puts|putchar|perror"
no_printing() {
	local src obj bad=""

	for src in $(folder_sources "$1"); do
		obj=$BUILD/obj/${src%.c}.o
		[ -f "$obj" ] || continue
		nm --undefined-only "$obj" | awk '{print $2}' | grep -qxE "$PRINTERS" && bad="$bad $src"
	done
	if [ -n "$bad" ]; then
		not_ok "prints: library code that prints:$bad"
	else
		ok "prints: $1/ library code never prints"
	fi
}

check_links() {
	no_printing certs
	no_code posternd "certs/ code" $(folder_sources certs)
	no_code posternd "posture agent code ($AGENT)" $AGENT
	no_library posternd libsqlite3
	no_code posternctl "gateway/ code but the command table and the audit reader" \
		$(folder_sources gateway | grep -Ev '^gateway/(ctlcmd|auditread)\.c$')
	no_code posternctl "posture/ code" $(folder_sources posture)
	no_code posternctl "certs/ code" $(folder_sources certs)
	no_library posternctl libssl libcrypto libnl-3 libnl-route-3 libmnl libsqlite3
	no_code postern-ca "gateway/ code" $(folder_sources gateway)
	no_code postern-ca "posture/ code" $(folder_sources posture)
	no_library postern-ca libssl libnl-3 libnl-route-3 libmnl libconfuse
	no_code postern-posture "gateway/ code" $(folder_sources gateway)
	no_code postern-posture "certs/ code" $(folder_sources certs)
	no_library postern-posture libnl-3 libnl-route-3 libmnl libsqlite3
}

# ---- gateway's layers ----

# Each gateway module (a .c and its .h) and its layer, bottom up.
declare -A GW_LAYER
while read -r layer mods; do
	for m in $mods; do GW_LAYER[$m]=$layer; done
done <<'TABLE'
0 model log json memstream events auditread token refusal tally procstat cstp http proxyproto filter pool localaddr tundev landlock broker sandbox keyd privs access crl ctlcmd timer supervise resume_store
1 tls conn dtls dtls_wire dtls_offer udp wbio
2 auth scan tunnel
3 session verdict audit history ban login channel resume
4 control ctlrun ctlshow ctllist ctlban ctlsock reload reeval watch stats stats_tls stats_out metrics restore
5 worker keeper
6 main posternctl posternctl_io posternctl_history
TABLE
GW_NAMES=(base transport endpoints sessions control-plane worker main)

check_gateway_layers() {
	local f mod inc to bad=0

	for f in gateway/*.c gateway/*.h; do
		mod=$(basename "${f%.*}")
		if [ -z "${GW_LAYER[$mod]:-}" ]; then
			not_ok "gateway layers: $f is in no layer (add it to the table in $0)"
			bad=1
			continue
		fi
		while IFS= read -r inc; do
			to=${inc#gateway/}
			to=${to%.h}
			[ "${GW_LAYER[$to]:-9}" -le "${GW_LAYER[$mod]}" ] && continue
			not_ok "gateway layers: $f (${GW_NAMES[${GW_LAYER[$mod]}]}) includes $inc (${GW_NAMES[${GW_LAYER[$to]:-0}]:-?}), a layer above it"
			bad=1
		done < <(sed -n 's/^#include "\(gateway\/[a-z_]*\.h\)".*/\1/p' "$f")
	done
	[ "$bad" = 0 ] && ok "gateway layers: every file includes its own layer and those below"
}

for d in $FOLDERS; do
	check_includes "$d"
	check_libraries "$d"
done
check_gateway_layers
check_links
exit "$failed"
