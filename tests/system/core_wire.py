"""What reached the OSV stand-in, checked on its side (issue 10, finding 2): a capture of the
core realm's SIP (tshark on the OSV namespace's veth, pcap format), the TCP streams toward OSV
reassembled here (no dependency beyond the standard library), split into SIP messages by
Content-Length, and every message checked against RFC 3261's grammar for what a header line may
hold and against the appliance's [sip_server] limits toward the PBX.
"""
from __future__ import annotations

import re
import struct
import time
from pathlib import Path

from harness import Appliance, wait_until

# [sip_server] defaults (config/default.toml does not set them; config/README.md documents them).
LIMITS = {"max_message_bytes": 12288, "max_headers": 64, "max_header_bytes": 2048,
          "max_sdp_line_bytes": 1024}


class CoreCapture:
    """tshark on the OSV side of the core signalling veth, SIP over TCP and UDP port 5060."""

    def __init__(self, app: Appliance, name: str = "core-sip"):
        self.path = app.rundir / f"{name}.pcap"
        self.proc = app.start(f"tshark-{name}",
                              ["tshark", "-q", "-i", "c-sig", "-F", "pcap", "-f", "port 5060",
                               "-w", self.path], app.ns_core)
        wait_until(lambda: self.path.exists() or not self.proc.alive(), 10, f"capture {name}")
        time.sleep(0.5)

    def stop(self):
        self.proc.stop()

    def messages_to(self, address: str, port: int = 5060) -> list[bytes]:
        return sip_messages(tcp_payloads(self.path, address, port))


def tcp_payloads(pcap: Path, dst_ip: str, dst_port: int) -> dict[tuple, bytes]:
    """Bytes sent to dst_ip:dst_port, per TCP connection (source address and port), in sequence
    order (retransmissions dropped). Ethernet, IPv4, classic pcap only: what tshark -F pcap
    writes on a veth."""
    data = pcap.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    pos = 24
    want = bytes(int(x) for x in dst_ip.split("."))
    segments: dict[tuple, dict[int, bytes]] = {}
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6 or ip[16:20] != want:
            continue
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        if dport != dst_port:
            continue
        off = (tcp[12] >> 4) * 4
        payload = tcp[off:]
        if payload:
            key = (".".join(str(b) for b in ip[12:16]), sport)
            segments.setdefault(key, {})[seq] = payload
    out = {}
    for key, by_seq in segments.items():
        stream = b""
        expect = None
        for seq in sorted(by_seq):
            chunk = by_seq[seq]
            if expect is not None and seq < expect:
                chunk = chunk[expect - seq:]  # overlap with what we have
            stream += chunk
            expect = seq + len(by_seq[seq]) if expect is None else max(expect, seq + len(by_seq[seq]))
        out[key] = stream
    return out


def sip_messages(streams: dict[tuple, bytes]) -> list[bytes]:
    """Each stream split into messages by its Content-Length (RFC 3261 §18.3); CRLF keep-alives
    skipped. A stream that cannot be framed yields what was framed and its unframed rest."""
    out = []
    for stream in streams.values():
        rest = stream
        while rest:
            stripped = rest.lstrip(b"\r\n")
            if not stripped:
                break
            rest = stripped
            end = rest.find(b"\r\n\r\n")
            if end < 0:
                out.append(rest)
                break
            m = re.search(rb"(?im)^(content-length|l)[ \t]*:[ \t]*(\d+)", rest[:end])
            length = int(m.group(2)) if m else 0
            out.append(rest[:end + 4 + length])
            rest = rest[end + 4 + length:]
    return out


def faults(msg: bytes, limits: dict = LIMITS) -> list[str]:
    """What is wrong with one message sent to OSV (empty: nothing)."""
    found = []
    if len(msg) > limits["max_message_bytes"]:
        found.append(f"message of {len(msg)} bytes")
    end = msg.find(b"\r\n\r\n")
    if end < 0:
        return found + ["no end of head"]
    head, body = msg[:end], msg[end + 4:]
    lines = head.split(b"\r\n")
    if not re.match(rb"^([A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3} .*)$", lines[0]):
        found.append(f"start line {lines[0][:80]!r}")
    headers = 0
    current = 0
    for line in lines:
        if any(b < 0x20 and b != 9 or b == 0x7F for b in line):
            found.append(f"control character in {line[:60]!r}")
        if line[:1] in (b" ", b"\t"):
            current += 2 + len(line)
        else:
            headers += 1
            current = len(line)
            if headers > 1 and b":" not in line:
                found.append(f"header line without a colon {line[:60]!r}")
        if headers > 1 and current > limits["max_header_bytes"]:
            found.append(f"header line of {current} bytes")
    if headers - 1 > limits["max_headers"]:
        found.append(f"{headers - 1} headers")
    m = re.search(rb"(?im)^(content-length|l)[ \t]*:[ \t]*(\d+)", head)
    if m and int(m.group(2)) != len(body):
        found.append("Content-Length does not match the body")
    if re.search(rb"(?im)^(content-type|c)[ \t]*:[ \t]*application/sdp", head):
        for line in body.split(b"\n"):
            line = line[:-1] if line.endswith(b"\r") else line
            if len(line) > limits["max_sdp_line_bytes"]:
                found.append(f"SDP line of {len(line)} bytes")
            if b"\x00" in line or b"\r" in line:
                found.append(f"NUL or CR in SDP line {line[:60]!r}")
    return found
