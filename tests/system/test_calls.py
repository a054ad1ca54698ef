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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
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
