#!/bin/bash
# SPDX-License-Identifier: MIT
# What an administrator meets first, without network namespaces:
#   - `make install DESTDIR=D PREFIX=/usr` installs exactly the programs, the
#     manual pages (PREFIX/share/man/man5 and man8), the bash completion
#     scripts (PREFIX/share/bash-completion/completions), the systemd unit (naming
#     PREFIX/sbin/posternd), the logrotate snippet, the two sample
#     configurations, and the Prometheus alert rules and Grafana dashboard
#     (PREFIX/share/postern), with the expected modes; the default PREFIX
#     puts programs, pages, completions, unit, rules and dashboard under /usr/local;
#   - every installed page renders (man -l, and mandoc where installed) with
#     its name and sections, and man(1) finds each by name under PREFIX;
#   - a second install keeps an edited /etc/postern/posternd.conf and puts
#     the shipped one beside it as posternd.conf.sample; `make uninstall`
#     removes everything but that edited file;
#   - the unit passes `systemd-analyze verify` and scores at most 3.0 in
#     `systemd-analyze security --offline` (both only where systemd-analyze
#     is installed), and logrotate parses the snippet (where it is installed);
#   - every program's --help is short (20 lines at most): it
#     starts with its usage line, names its manual page and exits 0;
#     `--version` prints the release on all four; an unknown option gets status 2 and a
#     usage hint on stderr (postern-posture's usage status is 3, as its
#     manual says).
# `make install` runs with `-o all`: it installs what PST_BUILD holds and
# never rebuilds it.
set -u
. "$(dirname "$0")/lib.sh"

for p in posternd posternctl postern-ca postern-posture; do
	[ -x "$PST_BUILD/$p" ] || pst_skip "$PST_BUILD/$p is not built (make all)"
done
command -v make >/dev/null || pst_skip "make is not installed"

# install -d makes the parents of a directory (DESTDIR/lib, ...) by the umask.
umask 022
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-05-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# inst DESTDIR [make arguments...]: make install into DESTDIR. A `make
# check` above us must not hand its flags or jobserver to this make.
inst() {
	local dest=$1; shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$PST_ROOT" --no-print-directory \
		-o all BUILD="$PST_BUILD" DESTDIR="$dest" "$@" install >"$tmp/make.log" 2>&1
}

uninst() {
	local dest=$1; shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$PST_ROOT" --no-print-directory \
		DESTDIR="$dest" "$@" uninstall >"$tmp/make.log" 2>&1
}

# tree DIR: "TYPE MODE PATH" for everything below DIR, sorted.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %P\n' | sort -k3)
}

# same_tree NAME DIR EXPECTED: DIR holds exactly EXPECTED.
same_tree() {
	local got
	got=$(tree "$2")
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected < > installed:" "$(diff <(echo "$3") <(echo "$got") | grep '^[<>]')"
	fi
}

# ---------------------------------------------------------------- make install

PAGES=(postern-policy.5 posternd.conf.5 postern-ca.8 postern-posture.8 posternctl.8 posternd.8)

d=$tmp/usr
if inst "$d" PREFIX=/usr; then
	ok "make install DESTDIR PREFIX=/usr"
else
	not_ok "make install DESTDIR PREFIX=/usr" "$(tail -n 5 "$tmp/make.log")"
fi
same_tree "installs exactly the expected files, with their modes" "$d" \
"d 755 etc
d 755 etc/logrotate.d
f 644 etc/logrotate.d/postern
d 755 etc/postern
f 644 etc/postern/policy.conf
f 644 etc/postern/posternd.conf
d 755 lib
d 755 lib/systemd
d 755 lib/systemd/system
f 644 lib/systemd/system/postern.service
d 755 usr
d 755 usr/bin
f 755 usr/bin/postern-ca
f 755 usr/bin/postern-posture
d 755 usr/sbin
f 755 usr/sbin/posternctl
f 755 usr/sbin/posternd
d 755 usr/share
d 755 usr/share/bash-completion
d 755 usr/share/bash-completion/completions
f 644 usr/share/bash-completion/completions/postern-ca
f 644 usr/share/bash-completion/completions/postern-posture
f 644 usr/share/bash-completion/completions/posternctl
f 644 usr/share/bash-completion/completions/posternd
d 755 usr/share/man
d 755 usr/share/man/man5
f 644 usr/share/man/man5/postern-policy.5
f 644 usr/share/man/man5/posternd.conf.5
d 755 usr/share/man/man8
f 644 usr/share/man/man8/postern-ca.8
f 644 usr/share/man/man8/postern-posture.8
f 644 usr/share/man/man8/posternctl.8
f 644 usr/share/man/man8/posternd.8
d 755 usr/share/postern
f 644 usr/share/postern/grafana-dashboard.json
f 644 usr/share/postern/postern-alerts.yml"

same_files() {
	cmp -s "$PST_BUILD/posternd" "$d/usr/sbin/posternd" &&
		cmp -s "$PST_BUILD/posternctl" "$d/usr/sbin/posternctl" &&
		cmp -s "$PST_BUILD/postern-ca" "$d/usr/bin/postern-ca" &&
		cmp -s "$PST_BUILD/postern-posture" "$d/usr/bin/postern-posture" &&
		cmp -s "$PST_ROOT/conf/posternd.conf" "$d/etc/postern/posternd.conf" &&
		cmp -s "$PST_ROOT/conf/policy.conf" "$d/etc/postern/policy.conf" &&
		cmp -s "$PST_ROOT/conf/postern.logrotate" "$d/etc/logrotate.d/postern" &&
		cmp -s "$PST_ROOT/conf/postern-alerts.yml" "$d/usr/share/postern/postern-alerts.yml" &&
		cmp -s "$PST_ROOT/conf/grafana-dashboard.json" \
			"$d/usr/share/postern/grafana-dashboard.json" || return 1
	for page in "${PAGES[@]}"; do
		cmp -s "$PST_ROOT/man/$page" "$d/usr/share/man/man${page##*.}/$page" || return 1
	done
	for p in posternd posternctl postern-ca postern-posture; do
		cmp -s "$PST_ROOT/conf/completion/$p" "$d/usr/share/bash-completion/completions/$p" ||
			return 1
	done
}
check "installed files are the built programs, the pages, the completions, the shipped samples, rules and dashboard" \
	same_files

# ---------------------------------------------------------------- manual pages

# rendered_ok PAGE TEXT: TEXT is PAGE rendered: its title line, and its
# NAME, SYNOPSIS or DESCRIPTION and SEE ALSO sections, with no warning.
rendered_ok() {
	local title=${1%.*} sec=${1##*.}
	title=${title^^}
	head -n 3 <<<"$2" | grep -q "^$title($sec)" && grep -qx NAME <<<"$2" &&
		grep -qxE 'SYNOPSIS|DESCRIPTION' <<<"$2" && grep -qx 'SEE ALSO' <<<"$2"
}
if command -v man >/dev/null; then
	for page in "${PAGES[@]}"; do
		f=$d/usr/share/man/man${page##*.}/$page
		out=$(MANWIDTH=80 man -l -P cat "$f" 2>"$tmp/man.err")
		check "man -l renders $page" rendered_ok "$page" "$out"
		check "man -l $page: nothing on stderr" test ! -s "$tmp/man.err"
		out=$(MANWIDTH=80 man -M "$d/usr/share/man" -P cat "${page##*.}" "${page%.*}" 2>&1)
		check "man finds ${page%.*}(${page##*.}) under PREFIX/share/man" rendered_ok "$page" "$out"
	done
else
	echo "# skipped: man is not installed, the pages were not rendered by man"
fi
if command -v mandoc >/dev/null; then
	for page in "${PAGES[@]}"; do
		out=$(mandoc -Tutf8 -Wwarning,stop "$d/usr/share/man/man${page##*.}/$page" | sed "s/.\x08//g")
		check "mandoc renders $page" rendered_ok "$page" "$out"
	done
else
	echo "# skipped: mandoc is not installed, the pages were not rendered by mandoc"
fi

unit=$d/lib/systemd/system/postern.service
unit_paths() {
	grep -qx 'ExecStartPre=/usr/sbin/posternd -t -c /etc/postern/posternd.conf' "$unit" &&
		grep -qx 'ExecStart=/usr/sbin/posternd -c /etc/postern/posternd.conf' "$unit" &&
		! grep -q '/usr/local' "$unit"
}
check "the unit runs PREFIX/sbin/posternd" unit_paths

dl=$tmp/local
inst "$dl" || not_ok "make install with the default PREFIX" "$(tail -n 5 "$tmp/make.log")"
local_paths() {
	[ -x "$dl/usr/local/sbin/posternd" ] && [ -x "$dl/usr/local/bin/postern-posture" ] &&
		[ -f "$dl/usr/local/share/man/man8/posternd.8" ] &&
		[ -f "$dl/usr/local/share/man/man5/posternd.conf.5" ] &&
		[ -f "$dl/usr/local/share/bash-completion/completions/posternctl" ] &&
		grep -qx 'ExecStart=/usr/local/sbin/posternd -c /etc/postern/posternd.conf' \
			"$dl/usr/local/lib/systemd/system/postern.service" &&
		[ -f "$dl/etc/postern/posternd.conf" ] && [ ! -e "$dl/lib" ] &&
		[ -f "$dl/usr/local/share/postern/postern-alerts.yml" ] &&
		[ -f "$dl/usr/local/share/postern/grafana-dashboard.json" ]
}
check "default PREFIX: /usr/local, pages in /usr/local/share/man, completions in /usr/local/share/bash-completion/completions, unit in /usr/local/lib/systemd/system, rules in /usr/local/share/postern" \
	local_paths

# ---------------------------------------------------------------- reinstall, uninstall

conf=$d/etc/postern/posternd.conf
echo 'user = "postern"   # edited by the administrator' >>"$conf"
cp "$conf" "$tmp/edited.conf"
inst "$d" PREFIX=/usr || not_ok "second make install" "$(tail -n 5 "$tmp/make.log")"
kept() {
	cmp -s "$tmp/edited.conf" "$conf" &&
		cmp -s "$PST_ROOT/conf/posternd.conf" "$conf.sample" &&
		[ ! -e "$d/etc/postern/policy.conf.sample" ] &&
		grep -q "posternd.conf.sample" "$tmp/make.log"
}
check "a second install keeps the edited posternd.conf, ships posternd.conf.sample" kept
check "the .sample is installed mode 644" test "$(stat -c %a "$conf.sample")" = 644

uninst "$d" PREFIX=/usr || not_ok "make uninstall" "$(tail -n 5 "$tmp/make.log")"
left=$(cd "$d" && find . -type f -printf '%P\n')
check "make uninstall leaves only the edited configuration" \
	test "$left" = "etc/postern/posternd.conf"
check "make uninstall removes PREFIX/share/postern" test ! -e "$d/usr/share/postern"

# ---------------------------------------------------------------- systemd, logrotate

# systemd-analyze checks that the commands exist: point them at the build.
mkdir -p "$tmp/unit"
sed "s|/usr/local/sbin/posternd|$PST_BUILD/posternd|g" \
	"$dl/usr/local/lib/systemd/system/postern.service" >"$tmp/unit/postern.service"
if command -v systemd-analyze >/dev/null; then
	out=$(cd "$tmp/unit" && systemd-analyze verify "$tmp/unit/postern.service" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q 'postern' <<<"$out"; then
		ok "systemd-analyze verify postern.service"
	else
		not_ok "systemd-analyze verify postern.service" "exit $rc: $out"
	fi
	out=$(systemd-analyze security --offline=yes --threshold=30 \
		"$tmp/unit/postern.service" 2>&1)
	rc=$?
	score=$(grep -o 'Overall exposure level for postern.service: [0-9.]*' <<<"$out")
	if [ "$rc" -eq 0 ] && [ -n "$score" ]; then
		ok "systemd-analyze security: ${score##* } (at most 3.0)"
	elif [ -z "$score" ]; then
		echo "# skipped: systemd-analyze security --offline does not work here: $(tail -n 1 <<<"$out")"
	else
		not_ok "systemd-analyze security: at most 3.0" "$score"
	fi
else
	echo "# skipped: systemd-analyze is not installed, the unit was not verified"
fi

check "logrotate: the new audit.log is root's, group postern, mode 0660" \
	grep -qE '^[[:space:]]*create 0660 root postern$' "$PST_ROOT/conf/postern.logrotate"
check "logrotate: SIGUSR1 to the main process only" \
	grep -qE 'systemctl kill --kill-whom=main --signal=USR1 postern.service' \
	"$PST_ROOT/conf/postern.logrotate"
if command -v logrotate >/dev/null; then
	# The log in our directory, and (only where there is no such group) root
	# for postern, which logrotate insists on resolving. -d runs no script.
	group=root
	getent group postern >/dev/null && group=postern
	sed -e "s|/var/log/postern/audit.log|$tmp/audit.log|" \
		-e "s|root postern\$|root $group|" "$PST_ROOT/conf/postern.logrotate" >"$tmp/logrotate.conf"
	echo x >"$tmp/audit.log"
	out=$(logrotate -d -s "$tmp/logrotate.state" "$tmp/logrotate.conf" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -qi 'error' <<<"$out"; then
		ok "logrotate -d parses the snippet"
	else
		not_ok "logrotate -d parses the snippet" "exit $rc: $(grep -i error <<<"$out" | head -n 3)"
	fi
else
	echo "# skipped: logrotate is not installed, the snippet was not parsed"
fi

# ---------------------------------------------------------------- --help

# help_ok PROG: --help exits 0, says nothing on stderr, starts with the usage
# line and points at PROG(8), in at most a screenful (a line per command of
# posternctl's twelve): the manual is the page.
help_ok() {
	"$PST_BUILD/$1" --help >"$tmp/out" 2>"$tmp/err" || return 1
	[ ! -s "$tmp/err" ] && head -n 1 "$tmp/out" | grep -q "^usage: $1 " &&
		grep -qF "$1(8)" "$tmp/out" && [ "$(wc -l <"$tmp/out")" -le 20 ]
}

# usage_error PROG STATUS ARGS...: status STATUS, nothing on stdout, and a
# usage line or a pointer to --help on stderr.
usage_error() {
	local prog=$1 want=$2 rc
	shift 2
	"$PST_BUILD/$prog" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] && [ ! -s "$tmp/out" ] && grep -Eqi 'usage|--help' "$tmp/err"
}

for p in posternd posternctl postern-ca postern-posture; do
	check "$p --help: usage line, points at $p(8); exit 0" help_ok "$p"
done
# version_ok PROG FLAG: exactly "PROG RELEASE" on stdout, nothing on
# stderr, exit 0, and the same release for every program.
version_ok() {
	"$PST_BUILD/$1" "$2" >"$tmp/out" 2>"$tmp/err" || return 1
	[ ! -s "$tmp/err" ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] &&
		grep -Eqx "$1 [0-9]+\.[0-9]+\.[0-9]+" "$tmp/out" &&
		[ "$(cut -d' ' -f2 "$tmp/out")" = "$("$PST_BUILD/posternd" -V | cut -d' ' -f2)" ]
}

for p in posternd posternctl postern-ca postern-posture; do
	check "$p --version: its name and the release; exit 0" version_ok "$p" --version
	check "$p -V: the same" version_ok "$p" -V
done
for p in posternd posternctl postern-ca; do
	check "$p --no-such-option: exit 2, usage on stderr" usage_error "$p" 2 --no-such-option
done
check "postern-posture check --no-such-option: exit 3, usage on stderr" \
	usage_error postern-posture 3 check --no-such-option
no_args() {
	"$PST_BUILD/postern-posture" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 3 ] && [ ! -s "$tmp/out" ] && grep -q '^usage: postern-posture ' "$tmp/err"
}
check "postern-posture without arguments: exit 3, usage on stderr" no_args

pst_finish
