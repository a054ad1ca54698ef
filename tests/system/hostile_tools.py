"""A hostile SIP-over-TLS client for test_hostile.py, run inside the access namespace through
harness.NetnsWorker.call (module-level functions; open clients live in CLIENTS). It sends bytes
as they are (0xFF, CR, NUL), and reads answers without answering anything.
"""
from __future__ import annotations

import base64
import re
import secrets
import socket
import ssl
import time

CLIENTS: dict[str, "RawClient"] = {}


class RawClient:
    def __init__(self, server: tuple[str, int], cafile: str, local_ip: str):
        raw = socket.create_connection(server, timeout=5, source_address=(local_ip, 0))
        self.sock = ssl.create_default_context(cafile=cafile).wrap_socket(
            raw, server_hostname="sbc.local")
        self.ip, self.port = self.sock.getsockname()[:2]
        self.buf = b""
        self.finals: list[int] = []

    def read(self, timeout: float) -> list[int]:
        """Status codes of the responses that arrive within `timeout`."""
        codes = []
        deadline = time.monotonic() + timeout
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"(?im)^(content-length|l)\s*:\s*(\d+)", self.buf[:end])
                total = end + 4 + (int(m.group(2)) if m else 0)
                if len(self.buf) >= total:
                    start = self.buf[:self.buf.find(b"\r\n")]
                    self.buf = self.buf[total:]
                    s = re.match(rb"SIP/2\.0 (\d{3})", start)
                    if s:
                        codes.append(int(s.group(1)))
                        if int(s.group(1)) >= 200:
                            self.finals.append(int(s.group(1)))
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return codes
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return codes
            if not data:
                return codes
            self.buf += data


def message(c: RawClient, method: str, extra: bytes = b"", body: bytes = b"",
            content_type: bytes = b"application/sdp", callee: bytes = b"bob",
            display: bytes = b"") -> bytes:
    n = secrets.token_hex(6)
    ruri = b"sip:pbx.local" if method == "REGISTER" else b"sip:%s@pbx.local" % callee
    to = b"<sip:evil@pbx.local>" if method == "REGISTER" else b"<sip:%s@pbx.local>" % callee
    head = (method.encode() + b" " + ruri + b" SIP/2.0\r\n"
            b"Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK%s;rport\r\n" % (c.ip.encode(), c.port, n.encode())
            + b"Max-Forwards: 70\r\n"
            + (b'From: "%s" ' % display if display else b"From: ")
            + b"<sip:evil@pbx.local>;tag=%s\r\n" % n.encode()
            + b"To: " + to + b"\r\n"
            b"Call-ID: %s@evil\r\n" % n.encode()
            + b"CSeq: 1 " + method.encode() + b"\r\n"
            b"Contact: <sip:evil@%s:%d;transport=tls>\r\n" % (c.ip.encode(), c.port) + extra)
    if body:
        head += b"Content-Type: " + content_type + b"\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def sdp(c: RawClient, extra: bytes = b"", connection: bytes = b"", session: bytes = b"-") -> bytes:
    key = base64.b64encode(secrets.token_bytes(30))
    connection = connection or b"IN IP4 " + c.ip.encode()
    return (b"v=0\r\no=evil 1 1 IN IP4 %s\r\ns=%s\r\nc=%s\r\nt=0 0\r\n"
            b"m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
            % (c.ip.encode(), session, connection, key) + extra + b"a=sendrecv\r\n")


def open_client(name: str, server: tuple[str, int], cafile: str, local_ip: str):
    CLIENTS[name] = RawClient(server, cafile, local_ip)


def send_each(name: str) -> dict[str, int]:
    """The robustness run's oversized and not-SIP requests, one at a time: each one's final
    status (0: none within 5 s)."""
    c = CLIENTS[name]
    cases = {
        "register_18k": message(c, "REGISTER", body=b"b" * 18000, content_type=b"text/plain"),
        "sdp_line_20k": message(c, "INVITE", body=sdp(c, b"a=x-pad:" + b"x" * 20000 + b"\r\n")),
        "accept_8x7k": message(c, "REGISTER", b"".join(b"Accept: " + b"a" * 7000 + b"\r\n"
                                                       for _ in range(8))),
        "sdp_line_1500": message(c, "INVITE", body=sdp(c, b"a=x-pad:" + b"x" * 1500 + b"\r\n")),
        "accept_1500": message(c, "REGISTER", b"Accept: " + b"a" * 3000 + b"\r\n"),
        "bare_cr": message(c, "REGISTER", b"User-Agent: Zoom\rPhone\r\n"),
        "nul": message(c, "REGISTER", b"User-Agent: Zoom\x00Phone\r\n"),
    }
    out = {}
    for what, data in cases.items():
        c.sock.sendall(data)
        codes = [x for x in c.read(5.0) if x >= 200]
        out[what] = codes[0] if codes else 0
    return out


def send_invite(name: str, extra: bytes = b"", callee: bytes = b"bob", display: bytes = b"",
                connection: bytes = b"", session: bytes = b"-") -> tuple[int, str]:
    """One INVITE (its SDP's c= and s= lines, From display name and extra headers as given,
    bytes as they are); returns its final status within 10 s (0: none) and its Call-ID. A 2xx
    is not expected (nobody answers) and left alone."""
    c = CLIENTS[name]
    c.read(0.1)
    c.finals = []
    data = message(c, "INVITE", extra, sdp(c, connection=connection, session=session),
                   callee=callee, display=display)
    c.sock.sendall(data)
    deadline = time.monotonic() + 10
    while not c.finals and time.monotonic() < deadline:
        c.read(0.5)
    call_id = re.search(rb"(?m)^Call-ID: (\S+)\r$", data).group(1).decode()
    return (c.finals[0] if c.finals else 0), call_id


def send_dropped_invites(name: str, count: int):
    """INVITEs the OSV stand-in drops unanswered (Subject: drop-me, osv-node.cfg)."""
    c = CLIENTS[name]
    c.read(0.1)
    c.finals = []
    for _ in range(count):
        c.sock.sendall(message(c, "INVITE", b"Subject: drop-me\r\n", sdp(c)))


def final_answers(name: str) -> int:
    c = CLIENTS[name]
    c.read(0.2)
    return len(c.finals)


def final_codes(name: str) -> list[int]:
    c = CLIENTS[name]
    c.read(0.2)
    return list(c.finals)
