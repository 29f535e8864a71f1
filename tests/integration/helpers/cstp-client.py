#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A deliberately misbehaving OpenConnect (CSTP) client for the gateway's
robustness tests.

It speaks just enough of the protocol (reference: doc/protocol.md,
sections 1, 4 and 5) to reach the state a test wants, then misbehaves and
waits for the gateway to close the connection:

  http-malformed   TLS with a device cert, then a request with a header
                   line that has no colon
  http-oversized   TLS with a device cert, then more than 64 KiB of headers
  cstp-bad-magic   auth (POST /), CONNECT on a new connection, then a frame
                   that starts "XTF\\x01" instead of "STF\\x01"
  cstp-bad-length  same, then a frame header announcing 65535 bytes (more
                   than one TLS record can carry)
  cstp-no-read     same, then DPD requests by the megabyte without ever
                   reading the answers: the gateway must cut it off rather
                   than queue answers without bound
  cstp-good        same, then a well-formed DPD request: the gateway must
                   answer it with a DPD response (a control for the above)

It prints "peer ADDR:PORT" (its own address, as the gateway logs it) for the
connection that misbehaves, then one result line. Exit status: 0 when the
gateway closed the connection (or, for cstp-good, answered the DPD), 3 when
the connection was still open at the time-out, 2 when the set-up failed.
"""
import argparse
import re
import socket
import ssl
import struct
import sys
import time

USER_AGENT = "Open AnyConnect VPN Agent v9.01-3"
CLOSED = (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError,
          BrokenPipeError, ConnectionAbortedError)


class SetupError(Exception):
    pass


def tls_connect(args):
    ctx = ssl.create_default_context(cafile=args.cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
    try:
        tls = ctx.wrap_socket(raw, server_hostname=args.host)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        raise SetupError(f"TLS handshake failed: {e}") from e
    tls.settimeout(args.timeout)
    return tls


def print_peer(sock):
    addr, port = sock.getsockname()[:2]
    print(f"peer {addr}:{port}", flush=True)


def read_head(sock):
    """Reads up to the blank line; returns (head text, bytes after it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(4096)
        if not data:
            raise SetupError(f"connection closed during the reply head: {buf[:200]!r}")
        buf += data
        if len(buf) > 65536:
            raise SetupError("reply head too long")
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def authenticate(args):
    """POST / with openconnect's init body; returns the webvpn cookie."""
    url = f"https://{args.host}/"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
            '<version who="vpn">v9.01-3</version><device-id>linux-64</device-id>'
            '<capabilities><auth-method>single-sign-on-v2</auth-method>'
            '<auth-method>single-sign-on-external-browser</auth-method></capabilities>'
            f'<group-access>{url}</group-access></config-auth>\n').encode()
    req = (f"POST / HTTP/1.1\r\nHost: {args.host}\r\nUser-Agent: {USER_AGENT}\r\n"
           "Accept: */*\r\nAccept-Encoding: identity\r\nX-Transcend-Version: 1\r\n"
           "X-Aggregate-Auth: 1\r\nX-Support-HTTP-Auth: true\r\nX-Pad: 0000\r\n"
           "Content-Type: application/xml; charset=utf-8\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with tls_connect(args) as tls:
        tls.sendall(req)
        head, rest = read_head(tls)
        m = re.search(r"^Content-Length:\s*(\d+)", head, re.I | re.M)
        length = int(m.group(1)) if m else 0
        while len(rest) < length:
            data = tls.recv(4096)
            if not data:
                break
            rest += data
    status = head.split("\r\n", 1)[0]
    m = re.search(r"^Set-Cookie:\s*webvpn=([^;\s]+)", head, re.I | re.M)
    if not status.startswith("HTTP/1.1 200") or not m or b'<auth id="success">' not in rest:
        raise SetupError(f"authentication failed: {status}: {rest[:300]!r}")
    return m.group(1)


def tunnel(args):
    """Authenticates, then CONNECTs on a new TLS connection; returns it."""
    cookie = authenticate(args)
    tls = tls_connect(args)
    req = (f"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: {args.host}\r\n"
           f"User-Agent: {USER_AGENT}\r\nCookie: webvpn={cookie}\r\n"
           "X-CSTP-Version: 1\r\nX-CSTP-Hostname: cstp-client\r\n"
           "X-CSTP-Base-MTU: 1406\r\nX-CSTP-MTU: 1340\r\n"
           "X-CSTP-Address-Type: IPv4\r\n\r\n").encode()
    tls.sendall(req)
    head, _ = read_head(tls)
    status = head.split("\r\n", 1)[0]
    if not status.startswith("HTTP/1.1 200 "):
        tls.close()
        raise SetupError(f"CONNECT refused: {status}")
    address = re.search(r"^X-CSTP-Address: (\S+)", head, re.M)
    print(f"tunnel {address.group(1) if address else '?'}", flush=True)
    return tls


def frame(ftype, payload, magic=b"STF\x01", length=None):
    n = len(payload) if length is None else length
    return magic + struct.pack(">HBB", n, ftype, 0) + payload


def send_quietly(sock, data):
    """Sends data; the gateway may close while we send, which is fine."""
    try:
        sock.sendall(data)
    except CLOSED:
        return False
    except ssl.SSLError:
        return False
    return True


def wait_for_close(sock, deadline):
    """Reads and discards until EOF. True when the gateway closed."""
    got = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, got
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False, got
        except CLOSED:
            return True, got
        except ssl.SSLError:
            return True, got
        except OSError:
            return True, got
        if not data:
            return True, got
        got += len(data)


def wait_for_dpd_reply(sock, deadline):
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            return False
        buf += data
        while len(buf) >= 8:
            if buf[:4] != b"STF\x01":
                return False
            length, ftype = struct.unpack(">HB", buf[4:7])
            if len(buf) < 8 + length:
                break
            if ftype == 4:
                return True
            buf = buf[8 + length:]
    return False


def misbehave(args):
    deadline = time.monotonic() + args.timeout
    if args.mode.startswith("http-"):
        sock = tls_connect(args)
        print_peer(sock)
        if args.mode == "http-malformed":
            data = (f"POST / HTTP/1.1\r\nHost: {args.host}\r\n"
                    "this header line has no colon\r\nContent-Length: 0\r\n\r\n").encode()
        else:
            line = "X-Oversized-{:03d}: " + "a" * 4000 + "\r\n"
            data = (f"POST / HTTP/1.1\r\nHost: {args.host}\r\n"
                    + "".join(line.format(i) for i in range(18)) + "\r\n").encode()
            assert len(data) > 64 * 1024
        send_quietly(sock, data)
    else:
        sock = tunnel(args)
        print_peer(sock)
        if args.mode == "cstp-good":
            send_quietly(sock, frame(3, b""))
            answered = wait_for_dpd_reply(sock, deadline)
            send_quietly(sock, frame(5, b"\xb0cstp-client done"))
            sock.close()
            print("dpd answered" if answered else "no dpd answer", flush=True)
            return 0 if answered else 3
        if args.mode == "cstp-no-read":
            # Many frames per record is fine for the gateway's parser. At most
            # 256 MiB of requests; the gateway's queue limit is about 1 MiB
            # past what the kernel buffers hold.
            chunk = frame(3, b"") * 8192
            for _ in range(256 * 1024 * 1024 // len(chunk)):
                if time.monotonic() > deadline or not send_quietly(sock, chunk):
                    break
            closed, got = wait_for_close(sock, deadline)
            sock.close()
            print(("closed by the gateway" if closed else "still open") +
                  f" ({got} bytes received)", flush=True)
            return 0 if closed else 3
        ip = bytes.fromhex("450000140000000040110000c6126402c6120202")
        if args.mode == "cstp-bad-magic":
            data = frame(0, ip, magic=b"XTF\x01")
        else:
            data = frame(0, ip, length=0xFFFF)
        send_quietly(sock, data)
    closed, got = wait_for_close(sock, deadline)
    sock.close()
    if closed:
        print(f"closed by the gateway ({got} bytes received before EOF)", flush=True)
        return 0
    print(f"still open after {args.timeout} s ({got} bytes received)", flush=True)
    return 3


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["http-malformed", "http-oversized", "cstp-bad-magic",
                                    "cstp-bad-length", "cstp-no-read", "cstp-good"])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--cafile", required=True)
    p.add_argument("--timeout", type=float, default=10)
    args = p.parse_args()
    try:
        return misbehave(args)
    except (SetupError, OSError) as e:
        print(f"set-up failed: {e}", flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
