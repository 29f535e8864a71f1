#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Opens many idle tunnels at once, for the benchmarks.

For each device certificate given (a directory of ID.crt/ID.key pairs) it
authenticates (POST /, the request openconnect sends), opens the tunnel on a
new TLS connection (CONNECT with the webvpn cookie) and keeps it open. It
prints the set-up rate and latency, then "ready N" and holds every tunnel
until stdin closes, so the caller can measure the gateway meanwhile.

  sessions.py --host H --cafile CA --certs DIR [--count N] [--port P]
"""
import argparse
import glob
import os
import socket
import ssl
import statistics
import sys
import time

BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" type="init" '
        b'aggregate-auth-version="2"><version who="vpn">v9.01-3</version>'
        b'<device-id>linux-64</device-id></config-auth>')


def connect(args, cert, key):
    ctx = ssl.create_default_context(cafile=args.cafile)
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((args.host, args.port), timeout=10)
    tls = ctx.wrap_socket(raw, server_hostname=args.host)
    tls.settimeout(10)
    return tls


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise OSError("connection closed during the reply")
        data += chunk
    return data


def open_tunnel(args, cert, key):
    s = connect(args, cert, key)
    s.sendall(b"POST / HTTP/1.1\r\nHost: %s\r\nUser-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
              b"X-Aggregate-Auth: 1\r\nContent-Type: application/xml; charset=utf-8\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (args.host.encode(), len(BODY), BODY))
    head = read_head(s)
    cookie = head.split(b"webvpn=", 1)[1].split(b";", 1)[0]
    s.close()
    t = connect(args, cert, key)
    t.sendall(b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: %s\r\nCookie: webvpn=%s\r\n"
              b"X-CSTP-Address-Type: IPv4\r\n\r\n" % (args.host.encode(), cookie))
    head = read_head(t)
    if not head.startswith(b"HTTP/1.1 200 "):
        raise OSError("CONNECT refused: " + head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--cafile", required=True)
    p.add_argument("--certs", required=True)
    p.add_argument("--count", type=int, default=100)
    args = p.parse_args()
    certs = sorted(glob.glob(os.path.join(args.certs, "*.crt")))[: args.count]
    tunnels, lat = [], []
    start = time.monotonic()
    for crt in certs:
        t0 = time.monotonic()
        try:
            tunnels.append(open_tunnel(args, crt, crt[:-4] + ".key"))
        except OSError as e:
            print(f"stopped after {len(tunnels)} tunnels: {e}", flush=True)
            break
        lat.append(time.monotonic() - t0)
    total = time.monotonic() - start
    if not tunnels:
        print("ready 0", flush=True)
        sys.stdin.read()
        return
    print(f"tunnels {len(tunnels)} in {total:.2f} s: {len(tunnels) / total:.1f} per second, "
          f"median {statistics.median(lat) * 1000:.1f} ms, "
          f"p95 {sorted(lat)[int(len(lat) * 0.95) - 1] * 1000:.1f} ms", flush=True)
    print(f"ready {len(tunnels)}", flush=True)
    sys.stdin.read()
    for t in tunnels:
        t.close()


if __name__ == "__main__":
    main()
