#!/usr/bin/env python3
"""A mutation fuzzer of SIP over TLS for the system fuzz soak (test_fuzz_soak.py): from many
source addresses of the access namespace it opens TLS connections to the appliance and sends
mutated INVITE, REGISTER and in-dialog requests (bytes flipped, 0xFF/CR/NUL/LF/ESC/overlong
UTF-8 inserted, headers duplicated, stretched or dropped, Content-Length lied about, bodies of
odd types, lines of 20 kB, truncation), reading whatever comes back.

Bounded in count and in time (whichever ends first), and in rate per source (under the DoS
guard's default 50 a second, so that sources are blacklisted for what they send, not for how
fast). Only ever talks to the --server address. Prints a JSON summary as its last line.

  fuzz_client.py --server 10.1.0.1:65061 --ca CA --sources 10.1.0.100-159 \
                 --count 500 --seconds 60 --seed 1
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import re
import select
import socket
import ssl
import sys
import time


def key(r: random.Random) -> str:
    return base64.b64encode(bytes(r.randrange(256) for _ in range(30))).decode()


def sdp(r: random.Random, src: str) -> bytes:
    return ("v=0\r\no=zoom 1 1 IN IP4 {s}\r\ns=zoom\r\nc=IN IP4 {s}\r\nt=0 0\r\n"
            "m=audio {p} RTP/SAVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{k}\r\na=sendrecv\r\n"
            ).format(s=src, p=4000 + 2 * r.randrange(1000), k=key(r)).encode()


def request(r: random.Random, src: str, port: int) -> bytes:
    n = r.randrange(1 << 30)
    user = r.choice(["alice", "bob", "1000", "fuzz%d" % r.randrange(50)])
    method = r.choice(["INVITE", "INVITE", "REGISTER", "REGISTER", "BYE", "UPDATE", "OPTIONS",
                       "CANCEL", "ACK", "MESSAGE", "INFO", "PRACK", "REFER", "NOTIFY"])
    to_tag = ";tag=t%d" % n if method in ("BYE", "UPDATE", "INFO", "PRACK", "REFER", "NOTIFY") \
        or (method == "INVITE" and r.random() < 0.2) else ""
    ruri = "sip:pbx.local" if method == "REGISTER" else "sip:%s@pbx.local" % r.choice(
        ["bob", "alice", "933", "1000"])
    h = ["Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK%x;rport" % (src, port, n),
         "Max-Forwards: %d" % r.choice([70, 70, 0, 1, 255]),
         'From: "%s" <sip:%s@pbx.local>;tag=f%d' % (user, user, n),
         "To: <sip:%s@pbx.local>%s" % (user if method == "REGISTER" else "bob", to_tag),
         "Call-ID: %x@%s" % (n, src),
         "CSeq: %d %s" % (r.randrange(1, 100), method),
         "Contact: <sip:%s@%s:%d;transport=tls>" % (user, src, port),
         "User-Agent: ZoomPbxPhone/6.0 (fuzz)"]
    if method == "REGISTER":
        h.append("Expires: %d" % r.choice([0, 60, 300, 3600]))
        if r.random() < 0.5:
            h.append('Authorization: Digest username="%s", realm="pbx.local", nonce="%x", '
                     'uri="sip:pbx.local", response="%032x", algorithm=MD5' % (user, n, n))
    body = b""
    if method in ("INVITE", "UPDATE") and r.random() < 0.8:
        body = sdp(r, src)
        h.append("Content-Type: application/sdp")
    if method in ("MESSAGE", "INFO"):
        body = b"hello"
        h.append("Content-Type: text/plain")
    head = "%s %s SIP/2.0\r\n" % (method, ruri) + "\r\n".join(h) + "\r\n"
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


INSERTS = [b"\xff", b"\r", b"\x00", b"\n", b"\x1b", b"\xc0\xaf", b"\xed\xa0\x80", b"\r\n ",
           b"\xfe\xff", b";", b"<", b"\"", b"%00"]


def pick(r: random.Random, lo: int, hi: int) -> int:
    """A random int in [lo, hi), or lo when the range is empty (a message cut short)."""
    return r.randrange(lo, hi) if hi > lo else lo


def mutate(r: random.Random, msg: bytes) -> bytes:
    m = bytearray(msg)
    for _ in range(r.randrange(1, 4)):
        kind = r.randrange(10)
        pos = pick(r, 0, len(m))
        if kind == 0 and m:
            m[pos] ^= 1 << r.randrange(8)
        elif kind == 1:
            m[pos:pos] = r.choice(INSERTS)
        elif kind == 2:  # duplicate a header line
            lines = bytes(m).split(b"\r\n")
            if len(lines) > 3:
                i = pick(r, 1, len(lines) - 2)
                lines.insert(i, lines[i])
                m = bytearray(b"\r\n".join(lines))
        elif kind == 3:  # stretch a header value or an SDP line
            lines = bytes(m).split(b"\r\n")
            i = pick(r, 0, len(lines))
            lines[i] += b"x" * r.choice([100, 2000, 7000, 20000])
            m = bytearray(b"\r\n".join(lines))
        elif kind == 4:  # lie about the body
            m = bytearray(bytes(m).replace(b"Content-Length: ", b"Content-Length: %d" %
                                           r.choice([0, 1, 99999, 10 ** 12]) + b"x", 1))
        elif kind == 5:  # drop a header
            lines = bytes(m).split(b"\r\n")
            if len(lines) > 3:
                del lines[pick(r, 1, len(lines) - 2)]
                m = bytearray(b"\r\n".join(lines))
        elif kind == 6:  # an odd body type
            m = bytearray(bytes(m).replace(b"application/sdp", r.choice(
                [b"application/x-odd", b"multipart/mixed;boundary=x", b"application/SDP"]), 1))
        elif kind == 7:  # many headers
            extra = b"".join(b"X-F%d: v\r\n" % i for i in range(r.choice([10, 80, 200])))
            at = bytes(m).find(b"\r\n") + 2
            m[at:at] = extra
        elif kind == 8:
            del m[pos:]
        elif m:
            m[pos:pos + 1] = bytes([r.randrange(256)])
    return bytes(m)


def sources(spec: str) -> list[str]:
    base, _, last = spec.rpartition(".")
    lo, _, hi = last.partition("-")
    return [f"{base}.{i}" for i in range(int(lo), int(hi or lo) + 1)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=20.0, help="messages a second per source")
    a = ap.parse_args()
    host, _, port = a.server.partition(":")
    server = (host, int(port))
    r = random.Random(a.seed)
    ctx = ssl.create_default_context(cafile=a.ca)
    srcs = sources(a.sources)
    last_sent = {s: 0.0 for s in srcs}
    stats = {"sent": 0, "connections": 0, "connect_failures": 0, "closed_by_peer": 0,
             "answers": {}}
    end = time.monotonic() + a.seconds
    while stats["sent"] < a.count and time.monotonic() < end:
        src = r.choice(srcs)
        wait = last_sent[src] + 1.0 / a.rate - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, 0.05))
            continue
        try:
            raw = socket.create_connection(server, timeout=3, source_address=(src, 0))
            s = ctx.wrap_socket(raw, server_hostname="sbc.local")
        except (OSError, ssl.SSLError):
            stats["connect_failures"] += 1
            last_sent[src] = time.monotonic() + 1.0  # listed, probably: leave it a while
            continue
        stats["connections"] += 1
        port_ = s.getsockname()[1]
        try:
            for _ in range(r.randrange(1, 6)):
                if stats["sent"] >= a.count:
                    break
                msg = request(r, src, port_)
                if r.random() < 0.85:
                    msg = mutate(r, msg)
                s.sendall(msg)
                stats["sent"] += 1
                last_sent[src] = time.monotonic()
            deadline = time.monotonic() + 0.3
            buf = b""
            while time.monotonic() < deadline:
                ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                chunk = s.recv(65536)
                if not chunk:
                    stats["closed_by_peer"] += 1
                    break
                buf += chunk
            for c in re.findall(rb"SIP/2\.0 (\d)\d\d ", buf):
                k = c.decode() + "xx"
                stats["answers"][k] = stats["answers"].get(k, 0) + 1
        except (OSError, ssl.SSLError):
            stats["closed_by_peer"] += 1
        except Exception as e:  # noqa: BLE001 -- a bug of ours must not end the soak unreported
            stats.setdefault("client_errors", []).append(repr(e)[:200])
        finally:
            try:
                s.close()
            except OSError:
                pass
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
