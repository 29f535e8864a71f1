#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tiny TCP and UDP endpoints for the integration tests.

A TCP transfer end prints one line, "sha256 HEX bytes N", for the data it
sent or received, so that the test compares digests of both ends instead of
trusting either. Every socket operation has a time-out; a run never hangs.

  xfer.py serve-recv ADDR PORT            accept one connection, read to EOF
  xfer.py serve-send ADDR PORT FILE       accept one connection, send FILE
  xfer.py send ADDR PORT FILE [--rate B]  connect, send FILE (at most B bytes/s)
  xfer.py recv ADDR PORT                  connect, read to EOF
  xfer.py udp-listen ADDR PORT            print "SRC PAYLOAD" per datagram
"""
import argparse
import hashlib
import socket
import sys
import time

CHUNK = 64 * 1024


def report(digest, total):
    print(f"sha256 {digest.hexdigest()} bytes {total}", flush=True)


def receive_all(sock):
    digest, total = hashlib.sha256(), 0
    while True:
        data = sock.recv(CHUNK)
        if not data:
            break
        digest.update(data)
        total += len(data)
    report(digest, total)


def send_file(sock, path, rate):
    """Sends the file, paced to `rate` bytes per second when non-zero, then
    half-closes and waits for the peer's EOF, so that a successful return
    means the peer read everything."""
    digest, total, start = hashlib.sha256(), 0, time.monotonic()
    with open(path, "rb") as f:
        while True:
            data = f.read(CHUNK)
            if not data:
                break
            sock.sendall(data)
            digest.update(data)
            total += len(data)
            if rate:
                ahead = total / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(CHUNK):
        pass
    report(digest, total)


def accept_one(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.addr, args.port))
    srv.listen(1)
    srv.settimeout(args.timeout)
    conn, peer = srv.accept()
    srv.close()
    print(f"peer {peer[0]}:{peer[1]}", flush=True)
    conn.settimeout(args.timeout)
    return conn


def connect(args):
    return socket.create_connection((args.addr, args.port), timeout=args.timeout)


def udp_listen(args):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.addr, args.port))
    sock.settimeout(args.timeout)
    while True:
        try:
            data, peer = sock.recvfrom(2048)
        except socket.timeout:
            return
        text = data.decode("ascii", "replace").strip()
        print(f"{peer[0]} {text}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["serve-recv", "serve-send", "send", "recv", "udp-listen"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("file", nargs="?")
    p.add_argument("--rate", type=int, default=0, help="bytes per second when sending")
    p.add_argument("--timeout", type=float, default=60, help="seconds per socket operation")
    args = p.parse_args()
    if args.mode in ("serve-send", "send") and not args.file:
        p.error(f"{args.mode} needs a FILE")
    try:
        if args.mode == "udp-listen":
            udp_listen(args)
            return 0
        sock = accept_one(args) if args.mode.startswith("serve-") else connect(args)
        with sock:
            if args.mode.endswith("send"):
                send_file(sock, args.file, args.rate)
            else:
                receive_all(sock)
    except OSError as e:
        print(f"xfer: {args.mode} {args.addr}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
