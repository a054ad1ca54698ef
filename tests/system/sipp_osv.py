"""The OSV side of call tests, played by SIPp with plain RTP: scenarios for a user that calls
through the SBC or answers (and re-INVITEs), a registration for it, G.711 tone pcaps, and the
RTP checks on what SIPp received."""
from __future__ import annotations

import math
import os
import struct
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Appliance  # noqa: E402
from call_support import goertzel, rtp_header  # noqa: E402

SIPP_DIR = harness.PEERS_DIR / "sipp"


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


def _register_1000(cseq: int, auth: str = "") -> str:
    """One REGISTER of user 1000 (the OSV-side SIPp UAS) from SIPp, `auth` before Expires."""
    return f"""  <send retrans="500"><![CDATA[
REGISTER sip:pbx.local SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <sip:1000@pbx.local>;tag=[call_number]
To: <sip:1000@pbx.local>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:1000@10.2.0.3:5090;transport=tcp>
{auth}Expires: 600
Content-Length: 0

]]></send>
"""


SIPP_REGISTER = (SIPP_HEAD + '<scenario name="register 1000 for the UAS">\n' + _register_1000(1)
                 + '  <recv response="401" auth="true"/>\n'
                 + _register_1000(2, "[authentication username=1000 password=secret1000]\n")
                 + '  <recv response="200"/>\n</scenario>\n')


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
        self.port = port
        self.proc = app.start(name, argv, app.ns_core, cwd=app.rundir)
        if wait:
            assert self.wait(30) == 0, self.errors()

    def listening(self) -> bool:
        """SIPp's TCP socket is open (a call sent to it now is taken)."""
        out = subprocess.run(["ip", "netns", "exec", self.app.ns_core, "ss", "-Hltn",
                              f"sport = :{self.port}"], capture_output=True, text=True).stdout
        return bool(out.strip())

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
