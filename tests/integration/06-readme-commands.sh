#!/bin/bash
# SPDX-License-Identifier: MIT
# Every postern-ca command the README prints works as printed. The commands
# are taken from README.md itself, in the order it gives them: each line of
# a ``` block that starts with "postern-ca " (a trailing "# comment" and
# "\" continuations understood), and each inline `postern-ca ...` span of
# the prose (which may wrap across lines). A bare `postern-ca` names the
# program and is not a command. Each one runs against a scratch CA and must
# exit 0. What the README leaves to the reader is filled in, always the
# same way:
#   - the README's /etc/postern is a scratch directory: the commands run in
#     it, with POSTERN_PKI set to its pki/ (as the README's walkthrough
#     exports), and an argument that starts with /etc/postern/ is moved
#     there too; nothing under /etc is read or written;
#   - ID (an argument, or a file name's stem: ID.p12) is the device the
#     README's first `postern-ca issue` makes;
#   - a --csr FILE that does not exist yet is made first, with a P-256 key,
#     as a device's MDM would make it; a --password-file that does not exist
#     is written (mode 0600).
# Then a few effects are checked (the device ends lost, the signed device
# has no key here) and that the README still prints the commands the issue
# found failing (`postern-ca list --expiring 30`, `postern-ca lost --device
# ID`). Prints "ok - NAME" / "not ok - NAME"; exits 1 when any failed, 77
# when postern-ca is not built or python3 or openssl is missing.
set -u
cd "$(dirname "$0")/../.." || exit 2
PCA=${POSTERN_CA:-${PST_BUILD:-$PWD/build}/postern-ca}
[ -x "$PCA" ] || { echo "skipped: $PCA is not built (make all)"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 77; }
command -v openssl >/dev/null || { echo "skipped: openssl is not installed"; exit 77; }
work=$(mktemp -d /tmp/postern-readme.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

python3 - "$PCA" README.md "$work" <<'PY'
import json, os, re, shlex, subprocess, sys

pca, readme, work = sys.argv[1:4]
failed = 0


def ok(name):
    print("ok - " + name)


def not_ok(name, why=""):
    global failed
    failed = 1
    print("not ok - " + name)
    if why:
        print("#   " + why)


def commands(text):
    """The postern-ca command lines of a Markdown text, in order."""
    found = []
    parts = re.split(r"^```.*$", text, flags=re.M)
    for i, part in enumerate(parts):
        if i % 2:       # inside a ``` block
            joined = re.sub(r"\\\n", " ", part)
            for line in joined.splitlines():
                line = line.strip()
                if line.startswith("postern-ca "):
                    found.append(line)
        else:
            prose = " ".join(part.split("\n"))
            for m in re.finditer(r"`(postern-ca [^`]+)`", prose):
                found.append(" ".join(m.group(1).split()))
    return found


text = open(readme, encoding="utf-8").read()
cmds = commands(text)
printed = [" ".join(shlex.split(c, comments=True)) for c in cmds]
if len(cmds) >= 12:
    ok("the README prints %d postern-ca commands" % len(cmds))
else:
    not_ok("the README prints postern-ca commands", "found only %r" % cmds)
for want in ("postern-ca list --expiring 30", "postern-ca lost --device ID"):
    if want in printed:
        ok("the README prints `%s`" % want)
    else:
        not_ok("the README prints `%s`" % want)

issued = [shlex.split(c, comments=True) for c in cmds if shlex.split(c)[1:2] == ["issue"]]
device = None
if issued and "--device" in issued[0]:
    device = issued[0][issued[0].index("--device") + 1]
if not device:
    not_ok("the README issues a device (its id replaces ID)")
    sys.exit(1)

env = dict(os.environ, POSTERN_PKI=os.path.join(work, "pki"))


def substitute(arg):
    if arg == "ID" or arg.startswith("ID."):
        return device + arg[2:]
    if arg.startswith("/etc/postern/"):
        return os.path.join(work, arg[len("/etc/postern/"):])
    return arg


def prepare(args):
    """The files the README leaves to the reader."""
    for opt, make in (("--csr", make_csr), ("--password-file", make_password)):
        if opt in args[:-1]:
            path = os.path.join(work, args[args.index(opt) + 1])
            if not os.path.exists(path):
                make(path)


def make_csr(path):
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", path + ".key",
                    "-subj", "/CN=device", "-out", path], check=True,
                   capture_output=True)


def make_password(path):
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.write(fd, b"readme test password\n")
    os.close(fd)


for cmd in cmds:
    name = "README: " + shlex.join(shlex.split(cmd, comments=True))
    args = [substitute(a) for a in shlex.split(cmd, comments=True)]
    if any("/etc/" in a for a in args):
        not_ok(name, "refusing to run a command that names /etc: %r" % args)
        continue
    prepare(args)
    run = subprocess.run([pca] + args[1:], cwd=work, env=env, capture_output=True,
                         text=True, timeout=120)
    if run.returncode == 0:
        ok(name)
    else:
        not_ok(name, "exit %d: %s" % (run.returncode, run.stderr.strip()[:300]))


def show(dev):
    run = subprocess.run([pca, "show", "--device", dev, "--json"], cwd=work, env=env,
                         capture_output=True, text=True)
    return json.loads(run.stdout) if run.returncode == 0 else {}


d = show(device)
if d.get("state") == "lost" and d.get("status") == "lost":
    ok("after the README's commands %s is lost" % device)
else:
    not_ok("after the README's commands %s is lost" % device, repr(d)[:300])
signed = [shlex.split(c)[shlex.split(c).index("--device") + 1] for c in cmds
          if shlex.split(c)[1:2] == ["sign"]]
d = show(signed[0]) if signed else {}
if d.get("key_origin") == "csr" and d.get("key_file_present") is False and \
        len(d.get("certificates", [])) >= 1:
    ok("the device the README signs has a certificate and no key here")
else:
    not_ok("the device the README signs has a certificate and no key here", repr(d)[:300])
sys.exit(failed)
PY
