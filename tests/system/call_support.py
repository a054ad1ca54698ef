"""What the call tests share: appliance-edit helpers, tone detection on recorded audio, sbcctl
views of calls and records, wire captures, and a softphone of our own (pylibsrtp SRTP, SIP by hand
over TLS) for the tests that need packet-exact control."""
from __future__ import annotations

import glob
import json
import math
import os
import struct
import subprocess
import sys
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import sipclient  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402


def fast_trunk(t: str) -> str:
    return set_key(t, "sip_server", "options_interval_s", "1")


def edits(*fns):
    def apply(text):
        for fn in fns:
            text = fn(text)
        return text
    return apply


# -- audio ------------------------------------------------------------------------------------

def goertzel(samples: list[int], rate: int, freq: float) -> float:
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - k * s1 * s2


def tone_of(path: str) -> dict:
    """The power at 440 and 1000 Hz of a recorded WAV (after its first half second)."""
    with wave.open(path, "rb") as w:
        rate, n = w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    samples = list(struct.unpack(f"<{len(raw) // 2}h", raw))[rate // 2:]
    samples = samples[: rate * 4]
    return {"440": goertzel(samples, rate, 440.0), "1000": goertzel(samples, rate, 1000.0),
            "seconds": len(samples) / rate}


def recorded(phone: harness.Baresip) -> str:
    """The WAV a baresip wrote of what it received (sndfile's decoder dump)."""
    files = sorted(glob.glob(str(phone.dir / "rec" / "dump-*-dec.wav")))
    assert files, f"{phone.name} recorded nothing: {os.listdir(phone.dir)}"
    return files[-1]


def set_tone(phone: harness.Baresip, freq: float, seconds: float = 60.0):
    """baresip ends the call when its audio file ends: give it a long one, and a folder for
    sndfile to record into."""
    harness.make_tone_wav(phone.dir / "tone.wav", freq, seconds)
    (phone.dir / "rec").mkdir(exist_ok=True)


# -- peers ------------------------------------------------------------------------------------

def ctrl(app: Appliance, phone: harness.Baresip, command: str, params: str = "") -> str:
    r = subprocess.run(["ip", "netns", "exec", app.ns_acc, "/usr/bin/python3",
                        str(harness.PEERS_DIR / "baresip" / "ctrl.py"), str(phone.ctrl_port),
                        command] + ([params] if params else []),
                       capture_output=True, text=True, timeout=15)
    return r.stdout


def calls(app: Appliance) -> dict:
    rc, out, err = app.sbcctl("calls", json_out=True)
    assert rc == 0, err
    return out


def active_calls(app: Appliance) -> list[dict]:
    return calls(app)["calls"]


def wait_media(app: Appliance, packets: int, timeout: float = 15) -> list[dict]:
    """Until every leg of every active call that carries media has received `packets` more
    packets than when this was called (the media flows, rather than a fixed sleep for it to). A
    leg `looped_to` another (OSV joined two of our subscribers without anchoring media) carries
    none: the SBC relays access leg to access leg."""
    def rx():
        return {(c["call"], i): leg["media"].get("rx_packets", 0)
                for c in active_calls(app) for i, leg in enumerate(c["legs"])
                if "media" in leg and "looped_to" not in leg["media"]}
    before = rx()
    assert before, "no call with media"
    wait_until(lambda: all(n >= before.get(k, 0) + packets for k, n in rx().items()), timeout,
               f"{packets} packets on every leg")
    return active_calls(app)


def records(app: Appliance) -> list[dict]:
    p = app.rundir / "cdr.jsonl"
    if not p.exists():
        return []
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()]


class Capture:
    """tshark on one interface of a namespace, written to a pcap."""

    def __init__(self, app: Appliance, netns: str, iface: str, name: str):
        self.path = app.rundir / f"{name}.pcap"
        self.proc = app.start(f"tshark-{name}", ["tshark", "-q", "-i", iface, "-f", "udp", "-w",
                                                  self.path], netns)
        # The file exists before the interface is open: tshark says when it is capturing.
        wait_until(lambda: "Capturing on" in self.proc.output() or not self.proc.alive(), 10,
                   f"capture {name}")

    def stop(self, until=None, timeout: float = 5):
        """Stops capturing; with `until`, first waits (at most `timeout`) for what was captured
        to satisfy it: packets still in flight or not yet written by tshark."""
        if until is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not until(self):
                time.sleep(0.1)
        self.proc.stop()

    def udp(self, host: str) -> list[dict]:
        """UDP packets to or from `host`: src, dst, sport, dport, payload length, payload hex."""
        r = subprocess.run(["tshark", "-r", self.path, "-Y", f"ip.addr=={host} && udp",
                            "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.srcport",
                            "-e", "udp.dstport", "-e", "udp.length", "-e", "udp.payload"],
                           capture_output=True, text=True, timeout=60)
        out = []
        for line in r.stdout.splitlines():
            f = line.split("\t")
            if len(f) >= 6:
                out.append({"src": f[0], "dst": f[1], "sport": int(f[2]), "dport": int(f[3]),
                            "len": int(f[4]) - 8, "payload": f[5]})
        return out


def rtp_header(hexpayload: str) -> dict:
    b = bytes.fromhex(hexpayload[:24])
    return {"version": b[0] >> 6, "pt": b[1] & 0x7F, "seq": struct.unpack(">H", b[2:4])[0],
            "ssrc": struct.unpack(">I", b[8:12])[0]}


# -- a softphone of our own for the rekey: SRTP from pylibsrtp, signalling by hand -------------

def sdes_sdp(port: int, key: bytes, version: int) -> str:
    import base64
    return (f"v=0\r\no=zoom 42 {version} IN IP4 10.1.0.2\r\ns=-\r\nc=IN IP4 10.1.0.2\r\n"
            f"t=0 0\r\nm=audio {port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{base64.b64encode(key).decode()}\r\n"
            f"a=sendrecv\r\n")


def sip_request(c: "sipclient.SipTlsClient", method: str, uri: str, cseq: int, to_tag: str,
                body: str = "", extra: str = "", branch: str | None = None) -> str:
    import secrets
    host, port = c.local[0], c.local[1]
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/TLS {host}:{port};branch={branch or 'z9hG4bK' + secrets.token_hex(8)}",
             "Max-Forwards: 70",
             f"From: <sip:alice@pbx.local>;tag={c.tag}",
             "To: <sip:1000@pbx.local>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: call-{c.call_id}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:alice@{host}:{port};transport=tls>",
             "User-Agent: ZoomPbxPhone_Windows 6.0.0"]
    if body:
        lines.append("Content-Type: application/sdp")
    return "\r\n".join(lines) + "\r\n" + extra + f"Content-Length: {len(body)}\r\n\r\n" + body


def srtp_call_setup(c: "sipclient.SipTlsClient", port: int, key: bytes) -> dict:
    """As alice on `c` (registered): INVITE 1000 offering SRTP under `key` on `port`, answering
    OSV's digest challenge; ACKs the 200. Returns the dialog's target, To-tag, CSeq and the SBC's
    media port."""
    import re as _re
    uri = "sip:1000@pbx.local"
    inv = sip_request(c, "INVITE", uri, 1, "", sdes_sdp(port, key, 1))
    c.send(inv)
    r = c.response(10)
    cseq = 1
    if r is not None and r.status in (401, 407):
        branch = _re.search(r"branch=([^;\s]+)", inv).group(1)
        to_tag = _re.search(r"tag=([^;\s]+)", r.header("To")).group(1)
        c.send(sip_request(c, "ACK", uri, 1, to_tag, branch=branch))
        digest_hdr = r.header("Proxy-Authenticate") or r.header("WWW-Authenticate")
        name = "Proxy-Authorization" if r.status == 407 else "Authorization"
        auth = sipclient.digest(digest_hdr, "INVITE", uri, "alice", "alicepw")
        cseq = 2
        c.send(sip_request(c, "INVITE", uri, cseq, "", sdes_sdp(port, key, 1),
                           f"{name}: {auth}\r\n"))
        r = c.response(15)
    assert r is not None and r.status == 200, r.summary() if r else None
    to_tag = _re.search(r"tag=([^;\s]+)", r.header("To")).group(1)
    target = _re.search(r"<([^>]+)>", r.header("Contact")).group(1)
    sbc_port = int(_re.search(r"m=audio (\d+) RTP/SAVP", r.body).group(1))
    c.send(sip_request(c, "ACK", target, cseq, to_tag))
    return {"target": target, "to_tag": to_tag, "cseq": cseq, "sbc_port": sbc_port}


def rekey_call(server: tuple, cafile: str, per_key: int, sbcctl: list[str]) -> dict:
    """Inside the access namespace: register alice, call 1000 with SRTP under key 1, send
    `per_key` packets, re-INVITE with key 2 while still sending, switch to key 2 when the 200
    arrives, send `per_key` more, and hang up once the SBC relayed them all (`sbcctl`: the argv
    that reaches sbcd's mgmt socket, a file the namespace shares). Returns what the test
    checks."""
    import re as _re
    import socket as _socket
    import threading
    import pylibsrtp
    c = sipclient.SipTlsClient(server, cafile)
    assert c.register("alice", "alicepw", ua="ZoomPbxPhone_Windows 6.0.0").status == 200
    rtp = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    rtp.bind(("10.1.0.2", 0))
    port = rtp.getsockname()[1]
    keys = [os.urandom(30), os.urandom(30)]
    d = srtp_call_setup(c, port, keys[0])
    target, to_tag, cseq, sbc_port = d["target"], d["to_tag"], d["cseq"], d["sbc_port"]

    state = {"session": pylibsrtp.Session(policy=pylibsrtp.Policy(
        key=keys[0], ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)), "sent": 0}
    lock = threading.Lock()
    total = 2 * per_key

    def sender():
        t0 = time.monotonic()
        for seq in range(total):
            pkt = struct.pack("!BBHII", 0x80, 0, 1000 + seq, seq * 160, 0x2E4E) + b"\xff" * 160
            with lock:
                out = state["session"].protect(pkt)
            rtp.sendto(out, ("10.1.1.1", sbc_port))
            state["sent"] += 1
            time.sleep(max(0.0, t0 + 0.02 * (seq + 1) - time.monotonic()))

    th = threading.Thread(target=sender)
    th.start()
    wait_until(lambda: state["sent"] >= per_key, 30, "the first key's packets sent")
    cseq += 1
    c.send(sip_request(c, "INVITE", target, cseq, to_tag, sdes_sdp(port, keys[1], 2)))
    r2 = c.response(10)
    assert r2 is not None and r2.status == 200, r2.summary() if r2 else None
    with lock:  # RFC 4568 §7.1.4: the new key once the answer is in
        state["session"] = pylibsrtp.Session(policy=pylibsrtp.Policy(
            key=keys[1], ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
        switched_at = state["sent"]
    c.send(sip_request(c, "ACK", target, cseq, to_tag))
    sbc_port2 = int(_re.search(r"m=audio (\d+) RTP/SAVP", r2.body).group(1))
    th.join()

    def relayed() -> int:
        r = subprocess.run(sbcctl + ["--json", "calls"], capture_output=True, text=True)
        listing = json.loads(r.stdout)["calls"] if r.returncode == 0 else []
        return sum(leg["media"].get("fwd_packets", 0) for c in listing for leg in c["legs"]
                   if leg["realm"] == "access" and "media" in leg)
    # The last packets are through the SBC before the BYE removes its flows.
    wait_until(lambda: relayed() >= total, 10, "every packet relayed")
    cseq += 1
    c.send(sip_request(c, "BYE", target, cseq, to_tag))
    bye = c.response(10)
    c.close()
    return {"sent": total, "switched_at": switched_at, "ports": [sbc_port, sbc_port2],
            "bye": bye.status if bye else 0, "ssrc": 0x2E4E}
