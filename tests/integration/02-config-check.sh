#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end check of the configuration loader through the real daemon:
# `posternd -t -c FILE` must accept the shipped sample (conf/posternd.conf)
# next to a PKI made by postern-ca, and must refuse, with "FILE:LINE:" on
# stderr and a non-zero exit, a copy of it with an unknown key, a bad CIDR,
# a missing certificate file, or a server key readable by others. No network
# namespace is needed: `-t` only loads and checks the file.
# Prints "ok - NAME" / "not ok - NAME"; exits 77 when a binary is not built.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
posternd=$root/build/posternd
ca=$root/build/postern-ca
sample=$root/conf/posternd.conf
passed=0 failed=0

for bin in "$posternd" "$ca"; do
	if [ ! -x "$bin" ]; then
		echo "skipped: $bin is not built (make all)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/postern-02-config.XXXXXX) || exit 1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	failed=$((failed + 1))
}

# line_of FILE KEY: the line number on which KEY is set in FILE.
line_of() {
	grep -n -m1 -E "^[[:space:]]*$2[[:space:]]*(=|\+=)" "$1" | cut -d: -f1
}

# variant NAME SED-SCRIPT: a copy of the sample with an edit, beside it.
variant() {
	local f=$tmp/$1.conf
	sed -e "$2" "$sample" >"$f"
	echo "$f"
}

# expect_ok NAME FILE: the daemon accepts FILE.
expect_ok() {
	local out rc
	out=$("$posternd" -t -c "$2" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qF "$2: configuration OK" <<<"$out"; then
		ok "$1"
	else
		not_ok "$1" "exit $rc, output:" "$out"
	fi
}

# expect_fail NAME FILE LINE [TEXT]: the daemon refuses FILE and names LINE
# (and TEXT, when given) on stderr.
expect_fail() {
	local name=$1 file=$2 line=$3 text=${4:-} err rc
	err=$("$posternd" -t -c "$file" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$name" "exit 0, expected a failure"
	elif ! grep -qF "$file:$line:" <<<"$err"; then
		not_ok "$name" "no '$file:$line:' on stderr:" "$err"
	elif [ -n "$text" ] && ! grep -qF -- "$text" <<<"$err"; then
		not_ok "$name" "no '$text' on stderr:" "$err"
	else
		ok "$name"
	fi
}

# The PKI the sample names: pki/ca.crt, crl.pem, server.crt, server.key.
make_pki() {
	local out
	if ! out=$("$ca" init --dir "$tmp/pki" 2>&1) ||
		! out=$("$ca" server --dir "$tmp/pki" --name vpn.postern.test --ip 198.18.0.1 2>&1); then
		not_ok "pki" "postern-ca failed:" "$out"
		return 1
	fi
	for f in ca.crt crl.pem server.crt server.key; do
		if [ ! -s "$tmp/pki/$f" ]; then
			not_ok "pki" "postern-ca made no pki/$f"
			return 1
		fi
	done
	ok "pki"
}

if make_pki; then
	good=$tmp/posternd.conf
	# The sample names no user: the default, postern, must exist.
	cp "$sample" "$tmp/as-is.conf"
	if getent passwd postern >/dev/null; then
		expect_ok "sample config (user postern exists)" "$tmp/as-is.conf"
	else
		out=$("$posternd" -t -c "$tmp/as-is.conf" 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ] && grep -qF "the default user 'postern' does not exist" <<<"$out" &&
			grep -qF 'adduser --system --group postern' <<<"$out"; then
			ok "sample config without a user postern: refused, never root by default"
		else
			not_ok "sample config without a user postern: refused, never root by default" \
				"exit $rc, output:" "$out"
		fi
	fi
	# nobody re-reads the config and the CRL: it must reach them.
	chmod 0711 "$tmp" "$tmp/pki"
	sed -e 's|^#user = .*|user = "nobody"|' "$sample" >"$good"
	expect_ok "sample config with user nobody" "$good"
	f=$(variant as-root 's|^#user = .*|user = "root"|')
	out=$("$posternd" -t -c "$f" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qF 'warning:' <<<"$out" && grep -qF 'user = "root"' <<<"$out"; then
		ok "user = \"root\" is accepted, with a warning"
	else
		not_ok "user = \"root\" is accepted, with a warning" "exit $rc, output:" "$out"
	fi

	# shellcheck disable=SC2016 # '$a' is sed's "append after the last line"
	f=$(variant unknown-key '$a bogus-key = 1')
	expect_fail "unknown key" "$f" "$(wc -l <"$f")" "bogus-key"

	f=$(variant bad-cidr 's|^ipv4-pool = .*|ipv4-pool = "198.18.100.1/24"|')
	expect_fail "bad cidr" "$f" "$(line_of "$f" ipv4-pool)" "did you mean 198.18.100.0/24?"

	f=$(variant missing-cert 's|^ca-cert = .*|ca-cert = "pki/missing.crt"|')
	expect_fail "missing certificate file" "$f" "$(line_of "$f" ca-cert)" "pki/missing.crt"

	chmod 0644 "$tmp/pki/server.key"
	expect_fail "server key mode 0644" "$good" "$(line_of "$good" server-key)" "chmod 600"
	chmod 0600 "$tmp/pki/server.key"

	if "$posternd" -t -c "$tmp/no-such.conf" >/dev/null 2>&1; then
		not_ok "missing config file" "exit 0, expected a failure"
	else
		ok "missing config file"
	fi
fi

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
