#!/bin/bash
# SPDX-License-Identifier: MIT
# Safety of postern-ca's ledger and device files, without network namespaces:
#   - 20 issue runs started at once all land, each with its files;
#   - runs killed with SIGKILL at chosen points (strace -e inject, where
#     strace is installed): while staging, after the commit before the files
#     are in place, before the CRL's rename, before a renewal from a
#     request removes the key of the certificate before; each leaves a
#     ledger that lists, and `check` (as the next issue, renew or export)
#     finishes a committed run or removes what an uncommitted one staged;
#   - rounds of issue, sign, renew, lost and crl runs started together, some of
#     them killed with SIGKILL at random moments: every run that was not
#     killed succeeds; crl.pem always verifies (it is never half-written);
#     afterwards `list` works, SQLite's integrity_check (through Python's
#     sqlite3, which knows nothing of postern-ca) says ok, and after `check`
#     every device in the ledger has its current key (none when it made its
#     own) and certificate with the ledger's serial, a killed issue that did not commit left no trace (a
#     retry works), no staged file is left, and every revoked serial is in
#     the CRL;
#   - a schema version 1 ledger (one row per device, as postern-ca wrote
#     before renewals) still opens and lists, is migrated in place once even
#     when several runs open it at the same time, and then issues, renews
#     and revokes.
# Uses lib.sh's ok/not_ok/check; exits 77 when postern-ca is not built or
# python3 is missing. PST_BUILD names the build directory (default build/).
set -u
. "$(dirname "$0")/lib.sh"
PCA=$PST_BUILD/postern-ca
[ -x "$PCA" ] || pst_skip "$PCA is not built (make all)"
command -v python3 >/dev/null || pst_skip "python3 is not installed"
ROUNDS=${LEDGER_ROUNDS:-40}

tmp=$(mktemp -d /tmp/postern-04-ledger.XXXXXX) || exit 1
running=()
cleanup() {
	local p
	for p in "${running[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
D=$tmp/ca

# sql DB QUERY: the first column of QUERY's rows, read by Python's sqlite3.
sql() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]):
    print(row[0])
db.commit()' "$1" "$2"
}

# records_json: the ledger as list --json prints it.
records_json() { "$PCA" list --dir "$D" --json; }

# files_match [ERE]: every device of the ledger (whose id matches ERE) has
# devices/ID.crt with the serial of its current certificate and devices/ID.key
# that belongs to it, or no ID.key when the device made its key (signed from
# a request); prints the first device that does not.
files_match() {
	records_json | python3 -c '
import json, os, re, subprocess, sys
d, only = sys.argv[1], re.compile(sys.argv[2])
for r in json.load(sys.stdin):
    if not r["current"] or not only.search(r["device_id"]):
        continue
    crt = d + "/devices/" + r["device_id"] + ".crt"
    key = d + "/devices/" + r["device_id"] + ".key"
    out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-serial", "-pubkey"],
                         capture_output=True, text=True).stdout
    serial = out.split("\n")[0].split("=")[-1]
    if r["key_origin"] == "csr":
        pub = out.split("\n", 1)[-1] if not os.path.lexists(key) else ""
    else:
        pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"],
                             capture_output=True, text=True).stdout
    if serial != r["serial"] or not pub or out.split("\n", 1)[-1] != pub:
        print(r["device_id"], serial, r["serial"])
        sys.exit(1)
' "$D" "${1:-}"
}

# in_ledger ID [JSON]: the ledger (or JSON, what list --json printed) has
# the device.
in_ledger() {
	if [ $# -gt 1 ]; then
		grep -q "\"device_id\": \"$1\"" "$2"
	else
		records_json | grep -q "\"device_id\": \"$1\""
	fi
}

crl_verifies() {
	openssl crl -in "$D/crl.pem" -CAfile "$D/ca.crt" -noout 2>&1 | grep -q "verify OK"
}

# staged: the names of staged files in devices/ (none: empty).
staged() { ls -A "$D/devices" | grep "^\." | tr '\n' ' '; }

# kill_at SYSCALL N CMD...: runs CMD with SIGKILL delivered on its Nth call
# of SYSCALL; true when that is how it ended.
kill_at() {
	local sc=$1 n=$2; shift 2
	{ strace -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$n" "$@" \
		>/dev/null 2>&1; } 2>/dev/null
	[ $? -eq 137 ]
}

# check_out: runs check, keeping what it printed in $tmp/check.out.
check_out() { "$PCA" check --dir "$D" >"$tmp/check.out" 2>&1; }
# The checks below run some of these in `bash -c`.
export PCA D tmp
export -f records_json files_match crl_verifies staged check_out

# --- a CA and devices to work on ------------------------------------------
# base-4 made its own key: it is signed from a request, and renewed from one.
"$PCA" init --dir "$D" --name "Ledger Test CA" >/dev/null || pst_bail "init" "postern-ca init failed"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/dev.key" \
	-subj /CN=device -out "$tmp/dev.csr" 2>/dev/null || pst_bail "a request" "openssl req failed"
for i in 1 2 3; do
	"$PCA" issue --dir "$D" --device "base-$i" --owner "Base $i" >/dev/null ||
		pst_bail "issue base-$i" "postern-ca issue failed"
done
"$PCA" sign --dir "$D" --csr "$tmp/dev.csr" --device base-4 --owner "Base 4" >/dev/null ||
	pst_bail "sign base-4" "postern-ca sign failed"
for r in $(seq 1 "$ROUNDS"); do
	"$PCA" issue --dir "$D" --device "victim-$r" --owner "Victim $r" >/dev/null ||
		pst_bail "issue victim-$r" "postern-ca issue failed"
done

# --- 20 at once ------------------------------------------------------------
pids=()
for i in $(seq 1 20); do
	"$PCA" issue --dir "$D" --device "burst-$i" --owner "Burst $i" --group burst \
		>/dev/null 2>>"$tmp/burst.err" &
	pids+=($!)
done
burst_failed=0
for p in "${pids[@]}"; do wait "$p" || burst_failed=$((burst_failed + 1)); done
check "20 simultaneous issue runs all succeeded" test "$burst_failed" -eq 0
check "all 20 are in the ledger" test "$(records_json | grep -c '"group": "burst"')" -eq 20
check "each has its key and certificate, with the ledger's serial" files_match "^burst-"

# --- killed at chosen points ---------------------------------------------------
# An issue writes and syncs the staged key (fsync 1, then its directory,
# fsync 2) and certificate (fsync 3 and 4), commits, then renames the two
# into place. Killed at fsync 1 or 3, it has committed nothing.
if ! command -v strace >/dev/null; then
	ok "kill points # SKIP strace is not installed"
else
	for n in 1 3; do
		check "issue killed at fsync $n (staging, before the commit)" \
			kill_at fsync "$n" "$PCA" issue --dir "$D" --device "point-$n" --owner P
		check "  the ledger lists, without point-$n" bash -c \
			'"$1" list --dir "$2" >"$3/l" && ! grep -q "^point-$4 " "$3/l"' _ "$PCA" "$D" "$tmp" "$n"
		check "  it left staged files only" bash -c \
			'[ -n "$(ls -A "$1/devices" | grep "^\.point-$2\.")" ] && [ ! -e "$1/devices/point-$2.key" ]' _ "$D" "$n"
		check "  check removes them" bash -c 'check_out && grep -q "^removed .*/\.point-$1\." "$2/check.out" &&
			[ -z "$(staged)" ]' _ "$n" "$tmp"
		check "  a retry works" bash -c '"$1" issue --dir "$2" --device "point-$3" --owner P >/dev/null' \
			_ "$PCA" "$D" "$n"
	done
	check "issue killed at its first rename (committed, files not in place)" \
		kill_at rename 1 "$PCA" issue --dir "$D" --device point-r --owner P
	check "  the ledger lists point-r" bash -c '"$1" list --dir "$2" | grep -q "^point-r "' _ "$PCA" "$D"
	check "  check puts its key and certificate in place" bash -c \
		'check_out && [ "$(grep -c "^finished an interrupted run: .*/point-r\.\(key\|crt\) " "$1/check.out")" = 2 ] &&
		 [ -z "$(staged)" ]' _ "$tmp"
	check "  with the ledger's serial" files_match "^point-r$"
	old=$(openssl x509 -in "$D/devices/base-1.crt" -noout -serial | cut -d= -f2)
	check "renew killed at its first rename (committed, files not in place)" \
		kill_at rename 1 "$PCA" renew --dir "$D" --device base-1
	new=$(records_json | python3 -c 'import json, sys
print([d["serial"] for d in json.load(sys.stdin) if d["device_id"] == "base-1" and d["current"]][0])')
	check "  the ledger has the new certificate, devices/ the old one" test "$old" != "$new" -a \
		"$(openssl x509 -in "$D/devices/base-1.crt" -noout -serial | cut -d= -f2)" = "$old"
	(umask 077; echo pw >"$tmp/pw")
	check "  export finishes the renewal first and exports the new certificate" bash -c \
		'"$1" export --dir "$2" --device base-1 --p12 "$3/base-1.p12" --password-file "$3/pw" >/dev/null &&
		 openssl pkcs12 -in "$3/base-1.p12" -passin "file:$3/pw" -clcerts -nokeys 2>/dev/null |
		 openssl x509 -noout -serial | grep -q "=$4$" && [ -z "$(staged)" ]' _ "$PCA" "$D" "$tmp" "$new"
	check "  the old certificate is archived" test -f "$D/devices/archive/base-1.$old.crt"
	crl_sum=$(sha256sum <"$D/crl.pem")
	check "lost killed before its CRL's rename" \
		kill_at rename 1 "$PCA" lost --dir "$D" --device base-2
	check "  crl.pem is the old one, whole; the device is not lost" bash -c \
		'[ "$(sha256sum <"$1/crl.pem")" = "$2" ] && crl_verifies &&
		 ! "$3" list --dir "$1" | grep -q "^base-2 .* lost$"' _ "$D" "$crl_sum" "$PCA"
	check "  check removes the CRL temporary" bash -c \
		'check_out && grep -q "^removed .*crl.pem.tmp" "$1/check.out" && ! ls "$2" | grep -q tmp' _ "$tmp" "$D"
	check "renew --revoke-old killed after its commit (CRL replaced, key renamed)" \
		kill_at rename 3 "$PCA" renew --dir "$D" --device base-3 --revoke-old
	check "  the CRL lists the superseded certificate the ledger revoked" bash -c '
		s=$("$1" list --dir "$2" --json | python3 -c "import json, sys
print(\" \".join(d[\"serial\"] for d in json.load(sys.stdin) if d[\"device_id\"] == \"base-3\" and d[\"reason\"] == \"superseded\"))");
		[ -n "$s" ] && for x in $s; do openssl crl -in "$2/crl.pem" -noout -text | grep -q "Serial Number: $x$" || exit 1; done' \
		_ "$PCA" "$D"
	check "  check finishes the certificate's rename" bash -c \
		'check_out && grep -q "^finished an interrupted run: .*/base-3\.crt " "$1/check.out"' _ "$tmp"
	check "  and the files match the ledger" files_match "^base-3$"
	# A renewal from a request removes the key of the certificate before,
	# then puts the new certificate in place.
	"$PCA" issue --dir "$D" --device point-k --owner P >/dev/null
	old=$(openssl x509 -in "$D/devices/point-k.crt" -noout -serial | cut -d= -f2)
	check "renew --csr killed before it removed the old key (committed)" \
		kill_at unlink 1 "$PCA" renew --dir "$D" --device point-k --csr "$tmp/dev.csr"
	check "  the old key is still there, the new certificate staged" bash -c \
		'[ -f "$1/devices/point-k.key" ] && [ -n "$(ls -A "$1/devices" | grep "^\.point-k\..*\.crt$")" ]' _ "$D"
	check "  check puts the certificate in place and removes the old key" bash -c \
		'check_out && grep -q "^finished an interrupted run: .*/point-k\.crt " "$1/check.out" &&
		 [ ! -e "$2/devices/point-k.key" ] && [ -f "$2/devices/archive/point-k.$3.key" ] &&
		 [ -z "$(staged)" ]' _ "$tmp" "$D" "$old"
	check "  with the ledger's serial and no key file" files_match "^point-k$"
	check "sign killed at its rename (committed, certificate staged)" \
		kill_at rename 1 "$PCA" sign --dir "$D" --csr "$tmp/dev.csr" --device point-s --owner P
	check "  check puts the certificate in place" bash -c \
		'check_out && grep -q "^finished an interrupted run: .*/point-s\.crt " "$1/check.out" &&
		 [ -z "$(staged)" ]' _ "$tmp"
	check "  with the ledger's serial and no key file" files_match "^point-s$"
fi

# --- killed at random moments ------------------------------------------------
# Each round starts five runs together: an issue, a sign (the key the
# device made), a renewal (of base-4 from a request), a lost and a crl
# (together about 25 ms of work, queued on the ledger's lock); then kills
# three of them (chosen at random) after 0 to 24 ms. A run that was not
# killed must succeed. The "{ wait; } 2>/dev/null" keeps bash's "Killed"
# notes out of the log.
killed=0 survivors_failed=0 crl_broken=0
declare -A issued_killed=()
# bash reports a job killed by a signal on its own standard error whenever
# it happens to reap it: that goes to a file, what we say goes to fd 3.
exec 3>&2 2>>"$tmp/shell.err"
for r in $(seq 1 "$ROUNDS"); do
	base=base-$(((r % 4) + 1))
	renew_csr=()
	[ "$base" = base-4 ] && renew_csr=(--csr "$tmp/dev.csr")
	names=("issue kill-$r-a" "sign kill-$r-b" "renew $base" "lost victim-$r" "crl")
	running=()
	"$PCA" issue --dir "$D" --device "kill-$r-a" --owner "K $r a" >/dev/null 2>>"$tmp/kill.err" &
	running+=($!)
	"$PCA" sign --dir "$D" --csr "$tmp/dev.csr" --device "kill-$r-b" --owner "K $r b" --byod \
		>/dev/null 2>>"$tmp/kill.err" &
	running+=($!)
	"$PCA" renew --dir "$D" --device "$base" "${renew_csr[@]}" >/dev/null 2>>"$tmp/kill.err" &
	running+=($!)
	"$PCA" lost --dir "$D" --device "victim-$r" >/dev/null 2>>"$tmp/kill.err" &
	running+=($!)
	"$PCA" crl --dir "$D" >/dev/null 2>>"$tmp/kill.err" &
	running+=($!)
	printf -v delay '0.%03d' $((RANDOM % 25))
	sleep "$delay"
	victims=" "
	while [ "$(wc -w <<<"$victims")" -lt 3 ]; do
		pick=$((RANDOM % 5))
		case $victims in *" $pick "*) ;; *) victims+="$pick " ;; esac
	done
	for v in $victims; do
		kill -KILL "${running[$v]}" 2>/dev/null
	done
	for i in 0 1 2 3 4; do
		{ wait "${running[$i]}"; } 2>/dev/null
		rc=$?
		case $victims in
		*" $i "*)
			[ "$rc" -eq 137 ] && killed=$((killed + 1))
			[ "$i" -lt 2 ] && issued_killed["kill-$r-$([ "$i" = 0 ] && echo a || echo b)"]=1
			;;
		*)
			if [ "$rc" -ne 0 ]; then
				survivors_failed=$((survivors_failed + 1))
				echo "    round $r: '${names[$i]}' exited $rc" >&3
			fi
			;;
		esac
	done
	running=()
	crl_verifies || crl_broken=$((crl_broken + 1))
done
exec 2>&3 3>&-
echo "# $killed runs were killed before they finished"
check "every run that was not killed succeeded" test "$survivors_failed" -eq 0
check "crl.pem verified after every round" test "$crl_broken" -eq 0
check "list works on what the killed runs left" bash -c '"$1" list --dir "$2" >/dev/null' _ "$PCA" "$D"
check "PRAGMA integrity_check says ok" test "$(sql "$D/ledger.db" "PRAGMA integrity_check")" = ok
check "PRAGMA foreign_key_check finds nothing" test -z "$(sql "$D/ledger.db" "PRAGMA foreign_key_check")"
check "check finishes what the killed runs left and finds the ledger consistent" check_out
sed 's/^/# check: /' "$tmp/check.out"
check "no staged file is left in devices/" bash -c '! ls -A "$1/devices" | grep -q "^\."' _ "$D"
check "no CRL temporary is left" bash -c '! ls -A "$1" | grep -q "\.tmp\."' _ "$D"
check "every device in the ledger has its files, with the ledger's serial" files_match
absent_clean=0 absent_dirty=0 present=0
records_json >"$tmp/after.json"
for id in $(seq 1 "$ROUNDS" | sed 's/.*/kill-&-a kill-&-b/'); do
	if in_ledger "$id" "$tmp/after.json"; then
		present=$((present + 1))
	elif ls -A "$D/devices" | grep -q "^\.\?$id\.\(key\|crt\)$\|^\.$id\."; then
		absent_dirty=$((absent_dirty + 1))
		echo "    $id is not in the ledger but has files" >&2
	else
		absent_clean=$((absent_clean + 1))
	fi
done
echo "# of $((2 * ROUNDS)) issues, $present landed and $absent_clean are cleanly absent"
check "a device whose issue was killed is in the ledger or cleanly absent" test "$absent_dirty" -eq 0
missing=0
for id in $(seq 1 "$ROUNDS" | sed 's/.*/kill-&-a kill-&-b/'); do
	[ -n "${issued_killed[$id]:-}" ] || in_ledger "$id" "$tmp/after.json" || missing=$((missing + 1))
done
check "every issue that was not killed landed" test "$missing" -eq 0
retry=
for id in "${!issued_killed[@]}"; do in_ledger "$id" "$tmp/after.json" || { retry=$id; break; }; done
if [ -n "$retry" ]; then
	check "a retry of a killed issue works ($retry)" bash -c \
		'"$1" issue --dir "$2" --device "$3" --owner R >/dev/null' _ "$PCA" "$D" "$retry"
else
	ok "a retry of a killed issue works # SKIP every killed issue had committed"
fi
check "every revoked serial of the ledger is in crl.pem" bash -c '
	t=$(openssl crl -in "$1/crl.pem" -noout -text)
	for s in $("$2" list --dir "$1" --json | python3 -c "import json, sys
print(\" \".join(d[\"serial\"] for d in json.load(sys.stdin) if d[\"revoked_at\"]))"); do
		grep -q "Serial Number: $s$" <<<"$t" || exit 1
	done' _ "$D" "$PCA"
check "a device marked lost has all its certificates revoked" bash -c '"$1" list --dir "$2" --json | python3 -c "
import json, sys
for d in json.load(sys.stdin):
    if d[\"status\"] == \"lost\":
        assert d[\"reason\"] == \"keyCompromise\" and d[\"revoked_at\"], d
"' _ "$PCA" "$D"
check "the renewed base devices still renew and list" bash -c \
	'"$1" renew --dir "$2" --device base-1 >/dev/null && "$1" list --dir "$2" | grep -q "^base-1 "' _ "$PCA" "$D"

# --- a schema version 1 ledger ------------------------------------------------
# A CA made now, whose ledger is then rewritten the way postern-ca wrote it
# before renewals: one row per device.
V=$tmp/v1
"$PCA" init --dir "$V" >/dev/null &&
	"$PCA" issue --dir "$V" --device old-a --owner "Ólafur A" --group field >/dev/null &&
	"$PCA" issue --dir "$V" --device old-b --owner B --byod >/dev/null &&
	"$PCA" issue --dir "$V" --device old-c --owner C >/dev/null &&
	"$PCA" revoke --dir "$V" --device old-c --reason keyCompromise >/dev/null ||
	pst_bail "a CA to turn into version 1" "postern-ca failed"
"$PCA" list --dir "$V" --json >"$tmp/v1.json"
python3 - "$V/ledger.db" "$tmp/v1.json" <<'PY' || pst_bail "version 1 ledger" "python3 could not write it"
import datetime, json, os, sqlite3, sys
path, records = sys.argv[1], json.load(open(sys.argv[2]))
def epoch(t):
    return None if t is None else int(datetime.datetime.strptime(
        t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
os.close(fd)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
db.executescript("""
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE devices (device_id TEXT PRIMARY KEY, owner TEXT NOT NULL, grp TEXT NOT NULL,
 ownership TEXT NOT NULL CHECK (ownership IN ('corporate', 'byod')),
 serial TEXT NOT NULL UNIQUE, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
 status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
 revoked_at INTEGER, reason TEXT, created_at INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('crl_number', 7);
""")
for r in records:
    db.execute("INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (r["device_id"], r["owner"], r["group"], r["ownership"], r["serial"],
                epoch(r["not_before"]), epoch(r["not_after"]), r["status"],
                epoch(r["revoked_at"]), r["reason"], epoch(r["not_before"])))
db.commit()
db.close()
PY
cp "$V/ledger.db" "$tmp/v1-copy.db"
check "the version 1 ledger is version 1" test "$(sql "$V/ledger.db" \
	"SELECT value FROM meta WHERE key = 'schema_version'")" = 1
check "list reads a version 1 ledger" bash -c '"$1" list --dir "$2" --json >"$3/v1-after.json" &&
	python3 -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a == b, (a, b)
" "$3/v1.json" "$3/v1-after.json"' _ "$PCA" "$V" "$tmp"
check "the ledger was migrated in place to version 3" test "$(sql "$V/ledger.db" \
	"SELECT value FROM meta WHERE key = 'schema_version'")" = 3
check "its certificates' keys are postern-ca's" test "$(sql "$V/ledger.db" \
	"SELECT group_concat(DISTINCT key_origin) FROM certificates")" = ca
check "the migrated ledger passes integrity_check" test "$(sql "$V/ledger.db" "PRAGMA integrity_check")" = ok
check "the migrated ledger is still 0600" test "$(stat -c %a "$V/ledger.db")" = 600
check "the migrated ledger issues, renews and revokes" bash -c '
	"$1" issue --dir "$2" --device new-d --owner D >/dev/null &&
	"$1" renew --dir "$2" --device old-a >/dev/null &&
	"$1" revoke --dir "$2" --device old-b >/dev/null &&
	"$1" check --dir "$2" >/dev/null' _ "$PCA" "$V"
check "the CRL number carried over (7, then revoke: 8)" bash -c \
	'openssl crl -in "$1/crl.pem" -noout -crlnumber | grep -qx "crlNumber=0x08"' _ "$V"
check "a revoke on the migrated ledger keeps the version 1 revocation on the CRL" bash -c \
	'openssl verify -CAfile "$1/ca.crt" -crl_check -CRLfile "$1/crl.pem" "$1/devices/old-c.crt" 2>&1 |
	 grep -q "certificate revoked"' _ "$V"
# Five runs open a version 1 ledger at the same moment: one migrates, the
# others find version 3 once they get the lock.
rm -f "$V/ledger.db-wal" "$V/ledger.db-shm"
cp "$tmp/v1-copy.db" "$V/ledger.db"
pids=()
for i in 1 2 3 4 5; do
	"$PCA" list --dir "$V" >/dev/null 2>>"$tmp/migrate.err" &
	pids+=($!)
done
mig_failed=0
for p in "${pids[@]}"; do wait "$p" || mig_failed=$((mig_failed + 1)); done
check "five simultaneous first opens all succeed" test "$mig_failed" -eq 0
check "and migrated it once: three devices, three certificates" test \
	"$(sql "$V/ledger.db" "SELECT count(*) FROM devices")-$(sql "$V/ledger.db" "SELECT count(*) FROM certificates")" = 3-3
check "no version 1 table is left" test -z "$(sql "$V/ledger.db" \
	"SELECT name FROM sqlite_master WHERE name = 'devices_v1'")"
sql "$V/ledger.db" "UPDATE meta SET value = 9 WHERE key = 'schema_version'" >/dev/null
check "a ledger of an unknown version is refused with one line, exit 1" bash -c \
	'"$1" list --dir "$2" >/dev/null 2>"$3/v9.err"; [ $? = 1 ] && [ "$(wc -l <"$3/v9.err")" = 1 ] &&
	 grep -q "unknown schema version 9" "$3/v9.err"' _ "$PCA" "$V" "$tmp"

pst_finish
