"""A small SIP-over-TLS client for system tests: a softphone whose every REGISTER the test
controls (timing, User-Agent, expiry, hostile content), with RFC 2617/7616 MD5 digest.

Functions at module level run inside the access namespace through harness.NetnsWorker;
open clients live in CLIENTS between calls.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import ssl
import time

CLIENTS: dict[str, "SipTlsClient"] = {}


class Message:
    def __init__(self, raw: str):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                k, v = self.headers[-1]
                self.headers[-1] = (k, v + " " + line.strip())
            elif ":" in line:
                k, v = line.split(":", 1)
                self.headers.append((k.strip(), v.strip()))

    @property
    def is_response(self) -> bool:
        return self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.start.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        return "" if self.is_response else self.start.split()[0]

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def summary(self) -> dict:
        return {"start": self.start, "status": self.status, "method": self.method,
                "headers": self.headers, "raw": self.raw}


def digest(challenge: str, method: str, uri: str, user: str, password: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))
    realm, nonce = params["realm"], params["nonce"]
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    if "qop" in params:
        nc, cnonce = "00000001", secrets.token_hex(8)
        resp = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
                f'response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')
    resp = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", algorithm=MD5')


class SipTlsClient:
    def __init__(self, server: tuple[str, int], cafile: str, local_ip: str = "10.1.0.2",
                 sni: str = "sbc.local", transport: str = "tls"):
        raw = socket.create_connection(server, timeout=5, source_address=(local_ip, 0))
        self.transport = transport
        if transport == "tls":
            ctx = ssl.create_default_context(cafile=cafile)
            self.sock = ctx.wrap_socket(raw, server_hostname=sni)
        else:
            self.sock = raw
        self.local = self.sock.getsockname()
        self.buf = b""
        self.cseq = 0
        self.call_id = secrets.token_hex(8) + "@client"
        self.tag = secrets.token_hex(4)
        self.auth: str | None = None
        self.inbox: list[Message] = []  # requests received (from the SBC)
        self.ringing: Message | None = None  # the INVITE answered 180 by ring()

    def send(self, text: str):
        self.sock.sendall(text.encode())

    def _read_message(self, timeout: float) -> Message | None:
        deadline = time.monotonic() + timeout
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.buf[:head_end].decode(errors="replace")
                m = re.search(r"(?im)^(content-length|l)\s*:\s*(\d+)", head)
                length = int(m.group(2)) if m else 0
                total = head_end + 4 + length
                if len(self.buf) >= total:
                    raw = self.buf[:total].decode(errors="replace")
                    self.buf = self.buf[total:]
                    return Message(raw)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not data:
                return None
            self.buf += data

    def response(self, timeout: float = 5.0) -> Message | None:
        """The next response; requests arriving meanwhile are answered 200 and kept."""
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(max(0.0, deadline - time.monotonic()))
            if m is None or m.is_response:
                if m is not None and m.status < 200:
                    continue
                return m
            self.inbox.append(m)
            if m.method != "ACK":
                self.answer(m, 200)

    def response_head(self, req: Message, code: int, reason: str) -> list[str]:
        """The status line and the headers copied from `req` (RFC 3261 §8.2.6), our To tag."""
        lines = [f"SIP/2.0 {code} {reason}"]
        for k, v in req.headers:
            if k.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq"):
                lines.append(f"{k}: {v}")
            elif k.lower() in ("to", "t"):
                lines.append(f"{k}: {v}" + ("" if "tag=" in v else ";tag=" + self.tag))
        return lines

    def answer(self, req: Message, code: int, reason: str = "OK"):
        lines = self.response_head(req, code, reason)
        lines.append("Content-Length: 0")
        self.send("\r\n".join(lines) + "\r\n\r\n")

    def register_request(self, user: str, expires: int | str | None, ua: str,
                         contact_params: str = "", extra: str = "",
                         contact: str | None = None) -> str:
        self.cseq += 1
        host, port = self.local[0], self.local[1]
        contact = contact or f"<sip:{user}@{host}:{port};transport=tls>{contact_params}"
        lines = [f"REGISTER sip:pbx.local SIP/2.0",
                 f"Via: SIP/2.0/TLS {host}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{user}@pbx.local>;tag={self.tag}",
                 f"To: <sip:{user}@pbx.local>",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {self.cseq} REGISTER",
                 f"Contact: {contact}"]
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if ua:
            lines.append(f"User-Agent: {ua}")
        if self.auth:
            lines.append(f"Authorization: {self.auth}")
        text = "\r\n".join(lines) + "\r\n" + extra
        return text + "Content-Length: 0\r\n\r\n"

    def register(self, user: str, password: str, expires=300, ua: str = "ZoomPbxPhone/6.0",
                 contact_params: str = "", extra: str = "") -> Message | None:
        """REGISTER, answering one digest challenge. The final response (or None)."""
        self.send(self.register_request(user, expires, ua, contact_params, extra))
        r = self.response()
        if r is not None and r.status in (401, 407):
            hdr = r.header("WWW-Authenticate") or r.header("Proxy-Authenticate")
            self.auth = digest(hdr, "REGISTER", "sip:pbx.local", user, password)
            self.send(self.register_request(user, expires, ua, contact_params, extra))
            r = self.response()
        return r

    def next_request(self, wait: float, method: str) -> Message | None:
        """Waits (bounded) for a request of `method`; other requests meanwhile are answered
        200 (ACKs only kept) and kept. The request, or None."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            m = self._read_message(max(0.0, deadline - time.monotonic()))
            if m is None:
                return None
            if m.is_response:
                continue
            self.inbox.append(m)
            if m.method == method:
                return m
            if m.method != "ACK":
                self.answer(m, 200)
        return None

    def answer_with_sdp(self, invite: Message, media_ip: str, media_port: int):
        """200 to `invite` with an SRTP (SDES) answer."""
        key = secrets.token_bytes(30)
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {media_ip}\r\ns=-\r\nc=IN IP4 {media_ip}\r\n"
               f"t=0 0\r\nm=audio {media_port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
               f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{base64.b64encode(key).decode()}"
               f"\r\na=sendrecv\r\n")
        lines = self.response_head(invite, 200, "OK")
        lines.append(f"Contact: <sip:{self.local[0]}:{self.local[1]};transport=tls>")
        lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(sdp)}")
        self.send("\r\n".join(lines) + "\r\n\r\n" + sdp)

    def answer_invite(self, wait: float, media_ip: str, media_port: int) -> Message | None:
        """Waits (bounded) for an INVITE, answers it 200 with an SRTP (SDES) answer; other
        requests meanwhile are answered 200 and kept. The INVITE, or None."""
        m = self.next_request(wait, "INVITE")
        if m is not None:
            self.answer_with_sdp(m, media_ip, media_port)
        return m

    def ring(self, wait: float) -> Message | None:
        """Waits (bounded) for an INVITE and answers 180 only; it is kept as `ringing`."""
        m = self.next_request(wait, "INVITE")
        if m is not None:
            self.ringing = m
            self.answer(m, 180, "Ringing")
        return m

    def until_cancelled(self, wait: float) -> Message | None:
        """Waits (bounded) for the CANCEL of the ringing INVITE: 200 to it, 487 to the INVITE
        (RFC 3261 §9.2). The CANCEL, or None."""
        m = self.next_request(wait, "CANCEL")
        if m is not None:
            self.answer(m, 200)
            self.answer(self.ringing, 487, "Request Terminated")
        return m

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- functions for NetnsWorker.call --------------------------------------------------------

def open_client(name: str, server: tuple[str, int], cafile: str, local_ip: str = "10.1.0.2",
                sni: str = "sbc.local") -> tuple[str, int]:
    CLIENTS[name] = SipTlsClient(server, cafile, local_ip, sni)
    return CLIENTS[name].local


def close_client(name: str):
    CLIENTS.pop(name).close()


def register(name: str, user: str, password: str, **kw) -> dict | None:
    r = CLIENTS[name].register(user, password, **kw)
    return r.summary() if r else None


def refresh_every(name: str, user: str, password: str, interval: float, count: int,
                  **kw) -> list[int]:
    """`count` REGISTERs `interval` s apart; the final status of each (0 = no answer)."""
    out = []
    for i in range(count):
        if i:
            time.sleep(interval)
        r = CLIENTS[name].register(user, password, **kw)
        out.append(r.status if r else 0)
    return out


def send_raw(name: str, text: str, wait: float = 3.0) -> dict | None:
    CLIENTS[name].send(text)
    r = CLIENTS[name].response(wait)
    return r.summary() if r else None


def request_text(name: str, user: str, expires=300, ua: str = "ZoomPbxPhone/6.0",
                 contact_params: str = "", extra: str = "") -> str:
    return CLIENTS[name].register_request(user, expires, ua, contact_params, extra)


def answer_invite(name: str, wait: float, media_ip: str = "10.1.0.2",
                  media_port: int = 4600) -> dict | None:
    m = CLIENTS[name].answer_invite(wait, media_ip, media_port)
    return m.summary() if m else None


def ring(name: str, wait: float) -> dict | None:
    m = CLIENTS[name].ring(wait)
    return m.summary() if m else None


def answer_ringing(name: str, media_ip: str = "10.1.0.2", media_port: int = 4600):
    c = CLIENTS[name]
    c.answer_with_sdp(c.ringing, media_ip, media_port)


def until_cancelled(name: str, wait: float) -> dict | None:
    m = CLIENTS[name].until_cancelled(wait)
    return m.summary() if m else None


def inbox(name: str, wait: float = 0.0) -> list[dict]:
    c = CLIENTS[name]
    if wait:
        c.response(wait)  # reads (and answers) requests until a response or the deadline
    return [m.summary() for m in c.inbox]


def udp_probe(target: tuple[str, int], text: str, local_ip: str = "10.1.0.2") -> str:
    """Sends a datagram and reports what came back: 'answer', 'refused' (ICMP port
    unreachable) or 'nothing'."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local_ip, 0))
    s.connect(target)
    s.settimeout(2.0)
    try:
        s.send(text.encode())
        s.recv(65536)
        return "answer"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "nothing"
    finally:
        s.close()


def tcp_probe(target: tuple[str, int], local_ip: str = "10.1.0.2") -> str:
    try:
        s = socket.create_connection(target, timeout=2, source_address=(local_ip, 0))
        s.close()
        return "connected"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return f"error {e}"
