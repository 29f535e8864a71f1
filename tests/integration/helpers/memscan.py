#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Looks for a byte string in a process's memory (needs root).

  memscan.py PID HEX

Reads the readable mappings of /proc/PID/mem in 1 MiB chunks (overlapping,
so a match across two chunks is found) and exits 0 when the bytes are
found, 1 when not, 2 when the scan failed. Mappings over 1 GiB are
skipped: they are reservations such as AddressSanitizer's shadow, never
where a key is kept. Used to check that the gateway's network-facing
process does not hold the TLS private key, and (as a control) that the key
holder does.
"""
import re
import sys

CHUNK = 1 << 20
MAX_MAPPING = 1 << 30


def scan(pid, needle):
    read = 0
    maps = open(f"/proc/{pid}/maps").read().splitlines()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
            if not m or "[vvar]" in line or "[vsyscall]" in line:
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            if end - start > MAX_MAPPING:
                continue
            tail = b""
            for pos in range(start, end, CHUNK):
                try:
                    mem.seek(pos)
                    chunk = mem.read(min(CHUNK, end - pos))
                except OSError:
                    tail = b""
                    continue
                read += len(chunk)
                if needle in tail + chunk:
                    return 0
                tail = chunk[-(len(needle) - 1):] if len(needle) > 1 else b""
    return 1 if read else 2


def main():
    try:
        return scan(sys.argv[1], bytes.fromhex(sys.argv[2]))
    except Exception as e:  # a failed scan must never read as "not found"
        print(f"memscan: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
