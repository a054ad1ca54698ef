"""Calls across the border through the virtual appliance with real peers (issue 6): baresip
softphones (TLS, SRTP SDES, srtp-mand) registered through the SBC to Kamailio as OSV, SIPp as
an OSV-side user with plain RTP, sbc-dataplane relaying media on af_packet veths.

Audio is checked from what the softphones recorded (a 440 Hz tone one way, 1000 Hz the other),
the wire from captures (SRTP on the access side, RTP on the core side), the appliance from
`sbcctl calls` and the call records. Each test makes and removes its own namespaces; the whole
file runs in a few minutes. Longer variants run with SBC_SOAK=1.
"""
from __future__ import annotations

import glob
import json
import math
import os
import re
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import sipclient  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402

SOAK = os.environ.get("SBC_SOAK") == "1"
SIPP_DIR = harness.PEERS_DIR / "sipp"


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
        wait_until(lambda: self.path.exists() or not self.proc.alive(), 10, f"capture {name}")
        time.sleep(0.5)

    def stop(self):
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



# -- plain RTP for the OSV side (SIPp) -----------------------------------------------------

def write_tone_pcap(path: Path, freq: float, seconds: float, src=("10.2.0.3", 6000),
                    dst=("10.2.1.1", 6000)):
    """RTP (PCMU, 20 ms) of a tone as a pcap SIPp's play_pcap_audio sends from its media port."""
    import audioop
    rate, ptime = 8000, 160
    pcm = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                   for i in range(int(rate * seconds)))
    ulaw = audioop.lin2ulaw(pcm, 2)

    def ip_csum(h: bytes) -> int:
        t = sum(struct.unpack("!10H", h))
        t = (t & 0xFFFF) + (t >> 16)
        return (~((t & 0xFFFF) + (t >> 16))) & 0xFFFF

    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    sip_, dip = (bytes(map(int, a.split("."))) for a in (src[0], dst[0]))
    for n in range(len(ulaw) // ptime):
        rtp = struct.pack("!BBHII", 0x80, 0, n, n * ptime, 0x51BB) + ulaw[n * ptime:(n + 1) * ptime]
        udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0, sip_, dip)
        ip = ip[:10] + struct.pack("!H", ip_csum(ip)) + ip[12:]
        frame = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + udp
        t = n * 0.02
        out.append(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


def ulaw_tone(pkts: list[dict]) -> dict:
    """Power at 440/1000 Hz of the PCMU payloads of captured RTP packets."""
    import audioop
    payload = b"".join(bytes.fromhex(p["payload"])[12:] for p in pkts)
    pcm = audioop.ulaw2lin(payload, 2)
    samples = list(struct.unpack(f"<{len(pcm) // 2}h", pcm))[:32000]
    return {"440": goertzel(samples, 8000, 440.0), "1000": goertzel(samples, 8000, 1000.0)}


SIPP_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
"""

SDP_PCMU = """v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a={direction}
"""


def sipp_uac_call(pcap: Path, middle: str, extra_headers: str = "") -> str:
    """An OSV user calls [service] through Kamailio with plain RTP, plays `pcap`, runs `middle`
    (refreshes, re-INVITEs, waits), then hangs up unless `middle` ends the call itself."""
    return SIPP_HEAD + f"""<scenario name="osv user calls">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@pbx.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "OSV user" <sip:1000@pbx.local>;tag=[pid]T[call_number]
To: <sip:[service]@pbx.local>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:1000@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
{extra_headers}Content-Type: application/sdp
Content-Length: [len]

{SDP_PCMU.format(direction="sendrecv")}]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true" rtd="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: "OSV user" <sip:1000@pbx.local>;tag=[pid]T[call_number]
To: <sip:[service]@pbx.local>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
{middle}
</scenario>
"""


def in_dialog(method: str, cseq: int, headers: str = "", sdp_direction: str | None = None) -> str:
    body = SDP_PCMU.format(direction=sdp_direction) if sdp_direction else ""
    ctype = "Content-Type: application/sdp\n" if sdp_direction else ""
    return f"""  <send retrans="500"><![CDATA[
{method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: "OSV user" <sip:1000@pbx.local>;tag=[pid]T[call_number]
To: <sip:[service]@pbx.local>[peer_tag_param]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:1000@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
{headers}{ctype}Content-Length: [len]

{body}]]></send>
"""


def ack_in_dialog(cseq: int) -> str:
    return f"""  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: "OSV user" <sip:1000@pbx.local>;tag=[pid]T[call_number]
To: <sip:[service]@pbx.local>[peer_tag_param]
Call-ID: [call_id]
CSeq: {cseq} ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"""


BYE_AND_200 = in_dialog("BYE", 20) + """  <recv response="200"/>
"""

ANSWER_BYE = """  <recv request="BYE" timeout="30000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""


def sipp_uas_answer(pcap: Path, reinvites: int = 0) -> str:
    """An OSV user (registered as 1000 by another SIPp) answers a call with plain RTP, plays
    `pcap`, answers `reinvites` re-INVITEs, and takes the BYE."""
    again = ("""  <recv request="INVITE" crlf="true"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:1000@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + SDP_PCMU.format(direction="sendrecv") + """]]></send>
  <recv request="ACK" crlf="true"/>
""") * reinvites
    return SIPP_HEAD + f"""<scenario name="osv user answers">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]U[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:1000@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]U[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:1000@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

{SDP_PCMU.format(direction="sendrecv")}]]></send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
{again}{ANSWER_BYE}
</scenario>
"""


SIPP_REGISTER = SIPP_HEAD + """<scenario name="register 1000 for the UAS">
  <send retrans="500"><![CDATA[
REGISTER sip:pbx.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <sip:1000@pbx.local>;tag=[call_number]
To: <sip:1000@pbx.local>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:1000@10.2.0.3:5090;transport=tcp>
Expires: 600
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:pbx.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <sip:1000@pbx.local>;tag=[call_number]
To: <sip:1000@pbx.local>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:1000@10.2.0.3:5090;transport=tcp>
[authentication username=1000 password=secret1000]
Expires: 600
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""


class Sipp:
    """SIPp in the core namespace on 10.2.0.3 (the caller Kamailio trusts), talking to
    Kamailio over TCP."""

    def __init__(self, app: Appliance, name: str, scenario: str, args: list[str],
                 port: int = 5070, wait: bool = False):
        self.app, self.name = app, name
        self.xml = app.rundir / f"{name}.xml"
        self.xml.write_text(scenario)
        self.err = app.rundir / f"{name}_err.log"
        argv = ["sipp"] + args + ["-sf", self.xml, "-i", "10.2.0.3", "-p", str(port), "-t", "t1",
                                  "-mi", "10.2.0.3", "-mp", "6000", "-nostdin",
                                  "-trace_err", "-error_file", self.err]
        self.proc = app.start(name, argv, app.ns_core, cwd=app.rundir)
        if wait:
            assert self.wait(30) == 0, self.errors()

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return -1

    def errors(self) -> str:
        return (self.err.read_text() if self.err.exists() else "") + self.proc.output()[-3000:]


def osv_user_setup(app: Appliance) -> tuple[Path, Path]:
    """Kamailio up, a 1000 Hz RTP pcap for SIPp and alice (440 Hz) registered."""
    pcap = app.rundir / "tone1000.pcap"
    write_tone_pcap(pcap, 1000.0, 8.0)
    return pcap, app.rundir / "pki" / "ca.crt"


def rtp_of(pkts: list[dict], src: str, dst: str) -> list[dict]:
    return [p for p in pkts if p["src"] == src and p["dst"] == dst and p["len"] >= 12 and
            rtp_header(p["payload"])["version"] == 2 and rtp_header(p["payload"])["pt"] == 0]


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
             f"To: <sip:1000@pbx.local>" + (f";tag={to_tag}" if to_tag else ""),
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


def rekey_call(server: tuple, cafile: str, per_key: int) -> dict:
    """Inside the access namespace: register alice, call 1000 with SRTP under key 1, send
    `per_key` packets, re-INVITE with key 2 while still sending, switch to key 2 when the 200
    arrives, send `per_key` more, hang up. Returns what the test checks."""
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
    while state["sent"] < per_key:
        time.sleep(0.01)
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
    time.sleep(0.3)
    cseq += 1
    c.send(sip_request(c, "BYE", target, cseq, to_tag))
    bye = c.response(10)
    c.close()
    return {"sent": total, "switched_at": switched_at, "ports": [sbc_port, sbc_port2],
            "bye": bye.status if bye else 0, "ssrc": 0x2E4E}


# -- tests ------------------------------------------------------------------------------------

def test_softphones_call_each_other_through_osv_with_audio_both_ways():
    """alice (440 Hz) calls bob (1000 Hz): SBC -> Kamailio -> SBC -> bob. Both hear the other's
    tone; the access side carries SRTP; hold and resume; BYE; counters and call records."""
    with Appliance("cl1", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445)
        set_tone(alice, 440.0)
        set_tone(bob, 1000.0)
        wait_until(lambda: alice.registered() and bob.registered(), 15, "baresip registered")
        cap = Capture(app, app.ns_acc, "a-med", "access")

        ctrl(app, alice, "dial", "sip:bob@pbx.local")
        wait_until(lambda: re.search(r"[Ii]ncoming call", bob.output()), 10, "bob rings")
        ctrl(app, bob, "accept")
        wait_until(lambda: len(active_calls(app)) == 2 and
                   all(c["state"] == "confirmed" for c in active_calls(app)), 10, "two calls up")
        time.sleep(4)
        listing = active_calls(app)
        by_dir = {c["direction"]: c for c in listing}
        out_call, in_call = by_dir["access->core"], by_dir["core->access"]
        assert out_call["from"] == "sip:alice@pbx.local"
        for c, access_side in ((out_call, 0), (in_call, 1)):
            leg = c["legs"][access_side]["media"]
            assert leg["protocol"] == "srtp" and leg["suite"] == "AES_CM_128_HMAC_SHA1_80", leg
            assert leg["profile"] == "SRTP_SDES"
            assert leg["rx_packets"] > 100, leg
            # A packet in flight before the answer reached the phone may fail; a stream may not.
            assert leg["srtp_failures"] <= 2, leg
            core = c["legs"][1 - access_side]["media"]
            assert core["protocol"] == "rtp" and core["profile"] == "OSV_RTP"
            # OSV joined two of our subscribers without anchoring media: the core legs point at
            # each other and the SBC relays access leg to access leg.
            assert "looped_to" in core, core

        # Hold and resume from alice.
        ctrl(app, alice, "hold")
        wait_until(lambda: all(c["held"] for c in active_calls(app)), 10, "held")
        time.sleep(1)
        ctrl(app, alice, "resume")
        wait_until(lambda: not any(c["held"] for c in active_calls(app)), 10, "resumed")
        time.sleep(2)
        rc, text, err = app.sbcctl("calls", "--detail")
        assert rc == 0 and "srtp AES_CM_128_HMAC_SHA1_80" in text, (text, err)

        ctrl(app, alice, "hangup")
        wait_until(lambda: not active_calls(app), 10, "calls ended")
        cap.stop()
        alice.stop()
        bob.stop()

        heard_by_bob, heard_by_alice = tone_of(recorded(bob)), tone_of(recorded(alice))
        assert heard_by_bob["440"] > 20 * heard_by_bob["1000"], heard_by_bob
        assert heard_by_alice["1000"] > 20 * heard_by_alice["440"], heard_by_alice

        # The access wire carries SRTP: every RTP packet of 20 ms PCMU/PCMA is 12 + 160 bytes
        # plus the 10-byte HMAC-SHA1-80 tag.
        pkts = [p for p in cap.udp("10.1.1.1")
                if p["len"] >= 12 and rtp_header(p["payload"])["version"] == 2 and
                rtp_header(p["payload"])["pt"] in (0, 8)]
        assert len(pkts) > 200, len(pkts)
        assert {p["len"] for p in pkts} == {182}, {p["len"] for p in pkts}

        # OSV challenged alice's first INVITE (the SBC is not trusted): that attempt has its record.
        recs = records(app)
        assert [r["final_status"] for r in recs].count(407) == 1, recs
        recs = [r for r in recs if r["final_status"] != 407]
        assert len(recs) == 2, recs
        for r in recs:
            assert r["final_status"] == 200 and r["duration_s"] > 5
            assert r["end_reason"].startswith("bye from"), r
            access = [l for l in r["legs"] if l["realm"] == "access"][0]
            assert access["protocol"] == "srtp" and access["rx_packets"] > 200
        st = calls(app)
        assert st["counters"]["answered"] == 2 and st["counters"]["reinvites"] >= 4
        assert st["media"]["flows_programmed"] >= 4 and st["media"]["nacks"] == 0
        assert app.status()["dataplane"]["flows"] == 0


def test_osv_user_and_softphone_call_each_other_rtp_core_srtp_access():
    """SIPp as an OSV user (plain RTP, 1000 Hz) calls alice (SRTP, 440 Hz), re-INVITEs her to
    hold and back (the ports stay), and alice calls the OSV user back. The core wire carries
    plain RTP with alice's tone in it, the access wire SRTP; alice hears the 1000 Hz tone."""
    with Appliance("cl2", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        pcap, _ = osv_user_setup(app)
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        set_tone(alice, 440.0)
        wait_until(alice.registered, 15, "alice registered")
        core_cap = Capture(app, app.ns_core, "c-med", "core")
        access_cap = Capture(app, app.ns_acc, "a-med", "access")

        # OSV user -> alice, with a hold/resume re-INVITE pair in the middle.
        middle = ("  <pause milliseconds=\"3000\"/>\n" +
                  in_dialog("INVITE", 2, sdp_direction="sendonly") +
                  '  <recv response="100" optional="true"/>\n  <recv response="200"/>\n' +
                  ack_in_dialog(2) + '  <pause milliseconds="1000"/>\n' +
                  in_dialog("INVITE", 3, sdp_direction="sendrecv") +
                  '  <recv response="100" optional="true"/>\n  <recv response="200"/>\n' +
                  ack_in_dialog(3) + '  <pause milliseconds="2500"/>\n' + BYE_AND_200)
        caller = Sipp(app, "sipp-uac", sipp_uac_call(pcap, middle), ["10.2.0.2:5060", "-s", "alice",
                                                                  "-m", "1", "-timeout", "60s"])
        wait_until(lambda: re.search(r"[Ii]ncoming call", alice.output()), 10, "alice rings")
        ctrl(app, alice, "accept")
        wait_until(lambda: active_calls(app) and active_calls(app)[0]["state"] == "confirmed", 10,
                   "call up")
        c = active_calls(app)[0]
        assert c["direction"] == "core->access"
        core_leg, access_leg = c["legs"][0]["media"], c["legs"][1]["media"]
        assert core_leg["protocol"] == "rtp" and access_leg["protocol"] == "srtp"
        assert caller.wait(40) == 0, caller.errors()
        wait_until(lambda: not active_calls(app), 10, "call over")
        st = calls(app)["counters"]
        assert st["reinvites"] == 2 and st["answered"] == 1

        # alice -> OSV user (registered at Kamailio as 1000).
        Sipp(app, "sipp-reg", SIPP_REGISTER, ["10.2.0.2:5060", "-m", "1", "-timeout", "20s"],
             port=5085, wait=True)
        callee = Sipp(app, "sipp-uas", sipp_uas_answer(pcap), ["-m", "1", "-timeout", "60s"],
                      port=5090)
        time.sleep(0.5)
        ctrl(app, alice, "dial", "sip:1000@pbx.local")
        wait_until(lambda: active_calls(app) and active_calls(app)[0]["state"] == "confirmed", 15,
                   "call back up")
        time.sleep(4)
        ctrl(app, alice, "hangup")
        assert callee.wait(20) == 0, callee.errors()
        wait_until(lambda: not active_calls(app), 10, "second call over")
        core_cap.stop()
        access_cap.stop()
        alice.stop()

        # Core side: plain RTP both ways, alice's 440 Hz readable in the clear.
        core = core_cap.udp("10.2.1.1")
        to_osv = rtp_of(core, "10.2.1.1", "10.2.0.3")
        from_osv = rtp_of(core, "10.2.0.3", "10.2.1.1")
        assert len(to_osv) > 200 and len(from_osv) > 200, (len(to_osv), len(from_osv))
        assert {p["len"] for p in to_osv} == {172}
        tone = ulaw_tone(to_osv)
        assert tone["440"] > 20 * tone["1000"], tone
        # The SBC's core port stayed the same through the hold and resume re-INVITEs.
        first_call = [p for p in to_osv if p["dport"] == 6000]
        assert len({p["sport"] for p in first_call}) == 2, {p["sport"] for p in first_call}
        # Access side: SRTP (tag after the 160-byte payload) both ways.
        acc = [p for p in access_cap.udp("10.1.1.1") if p["len"] >= 12 and
               rtp_header(p["payload"])["version"] == 2 and rtp_header(p["payload"])["pt"] == 0]
        assert len(acc) > 400 and {p["len"] for p in acc} == {182}, {p["len"] for p in acc}
        heard = tone_of(recorded(alice))
        assert heard["1000"] > 20 * heard["440"], heard
        recs = [r for r in records(app) if r["final_status"] == 200]
        assert {r["direction"] for r in recs} == {"core->access", "access->core"}, recs


def test_session_refreshed_by_update_survives_and_unrefreshed_one_is_torn_down():
    """The OSV user asks for a 6 s session interval; alice (baresip) does not do session timers,
    so the SBC tells the OSV user to refresh (refresher=uac) and answers its UPDATEs. A call
    refreshed by UPDATE lasts past the interval; a call that is not refreshed is ended on both
    legs with a Reason when the interval runs out."""
    se = "Supported: timer\nSession-Expires: 6;refresher=uac\n"
    with Appliance("cl3", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        pcap, _ = osv_user_setup(app)
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        set_tone(alice, 440.0)
        wait_until(alice.registered, 15, "alice registered")

        refresh = "".join('  <pause milliseconds="2500"/>\n' +
                          in_dialog("UPDATE", 10 + i, headers=se) +
                          '  <recv response="200"/>\n' for i in range(3))
        caller = Sipp(app, "sipp-refresh", sipp_uac_call(pcap, refresh + BYE_AND_200, se),
                      ["10.2.0.2:5060", "-s", "alice", "-m", "1", "-timeout", "60s"])
        wait_until(lambda: re.search(r"[Ii]ncoming call", alice.output()), 10, "alice rings")
        ctrl(app, alice, "accept")
        assert caller.wait(40) == 0, caller.errors()  # 7.5 s of call on a 6 s interval
        wait_until(lambda: not active_calls(app), 10, "call over")
        st = calls(app)["counters"]
        assert st["updates"] == 3 and st["refreshes_answered"] == 3, st
        assert st["session_timer_expiries"] == 0
        rec = [r for r in records(app) if r["final_status"] == 200][-1]
        assert rec["end_reason"] == "bye from caller" and rec["duration_s"] > 7, rec

        # No refresh: the SBC ends the call after 6 s, BYE with a Reason to both sides.
        caller = Sipp(app, "sipp-norefresh", sipp_uac_call(pcap, ANSWER_BYE, se),
                      ["10.2.0.2:5060", "-s", "alice", "-m", "1", "-timeout", "60s"])
        wait_until(lambda: len(re.findall(r"[Ii]ncoming call", alice.output())) >= 2, 10,
                   "alice rings again")
        ctrl(app, alice, "accept")
        assert caller.wait(30) == 0, caller.errors()
        wait_until(lambda: not active_calls(app), 10, "torn down")
        st = calls(app)["counters"]
        assert st["session_timer_expiries"] == 1, st
        rec = [r for r in records(app) if r["final_status"] == 200][-1]
        assert rec["end_reason"] == "session timer", rec
        assert 5 < rec["duration_s"] < 9, rec


def test_rekey_mid_call_loses_no_packet_and_keeps_the_port():
    """A softphone of our own changes its SRTP key with a re-INVITE while it keeps sending: every
    packet reaches the OSV side (counted on the core wire), before, during and after the key
    change, from the same SBC port, and the SBC's port toward the phone does not change."""
    per_key = 250 if SOAK else 150
    with Appliance("cl4", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        pcap, ca_file = osv_user_setup(app)
        Sipp(app, "sipp-reg", SIPP_REGISTER, ["10.2.0.2:5060", "-m", "1", "-timeout", "20s"],
             port=5085, wait=True)
        callee = Sipp(app, "sipp-uas", sipp_uas_answer(pcap, reinvites=1),
                      ["-m", "1", "-timeout", "60s"], port=5090)
        core_cap = Capture(app, app.ns_core, "c-med", "core")
        acc = app.worker(app.ns_acc)
        out = acc.call(rekey_call, ("10.1.0.1", 65061), str(ca_file), per_key, timeout=60)
        assert out["bye"] == 200, out
        assert out["ports"][0] == out["ports"][1], out
        assert callee.wait(20) == 0, callee.errors()
        time.sleep(0.5)
        core_cap.stop()
        pkts = [p for p in rtp_of(core_cap.udp("10.2.1.1"), "10.2.1.1", "10.2.0.3")
                if rtp_header(p["payload"])["ssrc"] == out["ssrc"]]
        seqs = sorted(rtp_header(p["payload"])["seq"] for p in pkts)
        assert seqs == list(range(1000, 1000 + out["sent"])), (len(seqs), out)
        assert len({p["sport"] for p in pkts}) == 1
        assert 0 < out["switched_at"] < out["sent"]
        st = calls(app)
        assert st["media"]["rekeys"] == 1, st["media"]
        rec = [r for r in records(app) if r["final_status"] == 200][-1]
        access = [l for l in rec["legs"] if l["realm"] == "access"][0]
        assert access["srtp_failures"] == 0 and access["key_switches"] == 1, access


@pytest.mark.skipif(not SOAK, reason="SBC_SOAK=1 runs the long call")
def test_long_call_with_repeated_holds_soak():
    """Three minutes of alice calling bob through OSV with a hold and resume every 20 s: media
    keeps flowing both ways through every renegotiation, nothing times out, no SRTP failure."""
    with Appliance("cl5", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445)
        set_tone(alice, 440.0, 240.0)
        set_tone(bob, 1000.0, 240.0)
        wait_until(lambda: alice.registered() and bob.registered(), 15, "baresip registered")
        ctrl(app, alice, "dial", "sip:bob@pbx.local")
        wait_until(lambda: re.search(r"[Ii]ncoming call", bob.output()), 10, "bob rings")
        ctrl(app, bob, "accept")
        wait_until(lambda: len(active_calls(app)) == 2, 10, "two calls up")
        before = None
        for _ in range(9):
            time.sleep(10)
            ctrl(app, alice, "hold")
            wait_until(lambda: all(c["held"] for c in active_calls(app)), 10, "held")
            time.sleep(10)
            ctrl(app, alice, "resume")
            wait_until(lambda: not any(c["held"] for c in active_calls(app)), 10, "resumed")
            legs = [c["legs"][i]["media"] for c in active_calls(app) for i in (0, 1)
                    if c["legs"][i]["realm"] == "access"]
            ports = sorted(l["local"] for l in legs)
            assert before is None or ports == before, (before, ports)
            before = ports
            assert all(l["srtp_failures"] <= 2 for l in legs), legs
        time.sleep(3)
        ctrl(app, alice, "hangup")
        wait_until(lambda: not active_calls(app), 10, "calls ended")
        alice.stop()
        bob.stop()
        assert tone_of(recorded(bob))["440"] > 20 * tone_of(recorded(bob))["1000"]
        assert tone_of(recorded(alice))["1000"] > 20 * tone_of(recorded(alice))["440"]
        st = calls(app)["counters"]
        assert st["media_timeouts"] == 0 and st["reinvites"] >= 36, st
