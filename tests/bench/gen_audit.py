#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a synthetic gateway audit log (one JSON object per line, the
record gateway/audit.c writes) for the fleet report's tests and benchmark
(tests/bench/report.sh).

A fleet of --devices devices (platform, group, ownership fixed per device)
logs in over --days days from --start, in time order. Each device is in or
out of compliance; it falls out and comes back at random, less often out as
the days go by (so the report's trend is "better"). Out, it is quarantined
for one to three failed checks (with varying numbers in their words, as the
engine writes them) or, rarely, denied. The policy changes twice. --bad N
replaces N lines, spread through the file, with broken ones (cut short, not
JSON, a bad verdict), as a full disk or a hand edit would leave them.

The same --seed gives the same file. --expect FILE writes what the report
must find, as JSON: lines, records, bad, per-verdict decisions, devices.
"""
import argparse
import datetime
import json
import random
import sys

PLATFORMS = [("ios", "17.4", "apple-ios"), ("android", "14", "android"),
             ("linux", "12", "linux-64"), ("windows", "10.0.22631", "win"),
             ("macos", "14.4", "mac-intel")]
GROUPS = ["field", "office", "contractors", "exec"]
OWNERSHIP = ["corporate", "byod"]
POLICIES = [("/etc/postern/policy.conf", "%064x" % (0xa11ce + i)) for i in range(3)]


def reasons_for(rng, platform):
    pool = [
        lambda: "OS version %d is below the minimum %d for %s; update the operating system"
        % (rng.randint(8, 11), 12, platform),
        lambda: "device is not enrolled in MDM",
        lambda: "no passcode is set",
        lambda: "disk encryption is off",
        lambda: "posture report is too old (reported %d s ago; the policy accepts 3600 s); "
        "run the posture agent again" % rng.randint(3700, 90000),
        lambda: "security patch level 2024-0%d-01 is older than the required 2024-06-01; "
        "install the latest security update" % rng.randint(1, 5),
    ]
    return [f() for f in rng.sample(pool, rng.randint(1, 3))]


def record(t, dev, verdict, reasons, policy, rng):
    name, version, client = dev["platform"]
    facts = [("os.name", client, "client"), ("os.version", version, "client"),
             ("device.type", "x", "client"), ("os.name", name, "agent"),
             ("os.version", version, "agent"), ("mdm.enrolled", "true", "agent"),
             ("passcode.set", "true", "agent"), ("disk.encrypted", "true", "agent"),
             ("device.hostname", dev["id"], "agent")]
    fact_json = ",".join('{"name":"%s","value":"%s","source":"%s","age":%d}'
                         % (n, v, s, rng.randint(0, 30)) for n, v, s in facts)
    allow = verdict == "allow"
    return ('{"time":"%s","event":"%s","device":"%s","serial":"%s","group":"%s",'
            '"ownership":"%s","client":"198.18.%d.%d:%d","verdict":"%s","rule":%s,'
            '"profile":"%s","reasons":%s,"report":"received","address":"198.18.100.%d",'
            '"address6":null,"facts":[%s],"policy":"%s","policy_sha256":"%s",'
            '"inventory":null,"inventory_sha256":null}'
            % (t.strftime("%Y-%m-%dT%H:%M:%SZ"), "login" if rng.random() < 0.9 else "reload",
               dev["id"], dev["serial"], dev["group"], dev["ownership"],
               rng.randint(0, 255), rng.randint(1, 254), rng.randint(1024, 65535), verdict,
               '"%s"' % dev["group"] if verdict != "deny" else "null",
               "internal" if allow else "remediation", json.dumps(reasons),
               rng.randint(2, 254), fact_json, policy[0], policy[1]))


BROKEN = [
    lambda line: line[: len(line) // 2],                   # cut short
    lambda line: "this is not JSON",
    lambda line: line.replace('"verdict":"', '"verdict":"maybe', 1),
    lambda line: "",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", default="2026-01-01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bad", type=int, default=0)
    ap.add_argument("--expect")
    ap.add_argument("--output", default="-")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    start = datetime.datetime.fromisoformat(a.start).replace(tzinfo=datetime.timezone.utc)
    span = a.days * 86400
    devs = [{"id": "dev-%05d" % i, "serial": "%040X" % (i * 7919),
             "platform": rng.choice(PLATFORMS), "group": rng.choice(GROUPS),
             "ownership": rng.choice(OWNERSHIP), "out": rng.random() < 0.3, "reasons": None}
            for i in range(a.devices)]
    bad_at = set(rng.sample(range(a.lines), a.bad)) if a.bad else set()
    expect = {"lines": a.lines, "records": 0, "bad": 0,
              "allow": 0, "quarantine": 0, "deny": 0, "devices": set()}
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    for i in range(a.lines):
        t = start + datetime.timedelta(seconds=span * i // a.lines)
        progress = i / a.lines
        dev = rng.choice(devs)
        if dev["out"] and rng.random() < 0.2 + 0.3 * progress:
            dev["out"], dev["reasons"] = False, None
        elif not dev["out"] and rng.random() < 0.08 * (1 - progress):
            dev["out"] = True
        if dev["out"] and not dev["reasons"]:
            dev["reasons"] = reasons_for(rng, dev["platform"][0])
            dev["verdict"] = "deny" if rng.random() < 0.1 else "quarantine"
        verdict = dev["verdict"] if dev["out"] else "allow"
        reasons = dev["reasons"] if dev["out"] else []
        if verdict == "deny":
            reasons = ["device is reported lost in the MDM inventory; contact IT"]
        line = record(t, dev, verdict, reasons, POLICIES[min(2, int(progress * 3))], rng)
        if i in bad_at:
            line = BROKEN[i % len(BROKEN)](line)
            expect["bad"] += 1
        else:
            expect["records"] += 1
            expect[verdict] += 1
            expect["devices"].add(dev["id"])
        out.write(line + "\n")
    out.close()
    if a.expect:
        expect["devices"] = len(expect["devices"])
        with open(a.expect, "w") as f:
            json.dump(expect, f)


if __name__ == "__main__":
    main()
