"""A dataplane restart under a live call (DESIGN: "A dataplane restart is repaired by sbcd
replaying its flows"): sbc-dataplane is killed with SIGKILL mid-call and started again; sbcd
notices, re-attaches to the new region, replays the call's flows, and the media that the
softphone keeps sending reaches the PBX side again from the same SBC port."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipclient  # noqa: E402
from harness import Appliance, wait_until  # noqa: E402
from call_support import (Capture, fast_trunk, rtp_header, sip_request, wait_media,  # noqa: E402
                          srtp_call_setup)
from sipp_osv import SIPP_REGISTER, Sipp, osv_user_setup, rtp_of, sipp_uas_answer  # noqa: E402

PACKETS, PPS = 600, 50  # 12 s of G.711 at 20 ms


def steady_call(server: tuple, cafile: str, packets: int, pps: int) -> dict:
    """Inside the access namespace: alice calls 1000 with SRTP and sends `packets` packets at
    `pps` whatever happens to the SBC meanwhile, then hangs up."""
    import socket as _socket
    import struct as _struct
    import pylibsrtp
    c = sipclient.SipTlsClient(server, cafile)
    assert c.register("alice", "alicepw", ua="ZoomPbxPhone_Windows 6.0.0").status == 200
    rtp = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    rtp.bind(("10.1.0.2", 0))
    key = os.urandom(30)
    d = srtp_call_setup(c, rtp.getsockname()[1], key)
    session = pylibsrtp.Session(policy=pylibsrtp.Policy(
        key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    t0 = time.monotonic()
    for seq in range(packets):
        pkt = _struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x5EED) + b"\xff" * 160
        rtp.sendto(session.protect(pkt), ("10.1.1.1", d["sbc_port"]))
        time.sleep(max(0.0, t0 + (seq + 1) / pps - time.monotonic()))
    c.send(sip_request(c, "BYE", d["target"], d["cseq"] + 1, d["to_tag"]))
    bye = c.response(10)
    c.close()
    return {"bye": bye.status if bye else 0, "sbc_port": d["sbc_port"], "started": t0}


def test_dataplane_killed_mid_call_is_repaired_by_replaying_flows():
    with Appliance("drs", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        pcap, ca_file = osv_user_setup(app)
        Sipp(app, "sipp-reg", SIPP_REGISTER, ["10.2.0.2:5060", "-m", "1", "-timeout", "20s"],
             port=5085, wait=True)
        callee = Sipp(app, "sipp-uas", sipp_uas_answer(pcap), ["-m", "1", "-timeout", "60s"],
                      port=5090)
        core_cap = Capture(app, app.ns_core, "c-med", "core")
        acc = app.worker(app.ns_acc)
        result = {}
        caller = threading.Thread(target=lambda: result.update(
            acc.call(steady_call, ("10.1.0.1", 65061), str(ca_file), PACKETS, PPS, timeout=90)))
        caller.start()

        wait_until(lambda: app.status()["dataplane"].get("flows", 0) >= 2, 20, "the call's flows")
        old_pid = app.status()["dataplane"]["pid"]
        wait_media(app, 25)  # media flows before the kill
        app.dataplane.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        app.start_dataplane()
        st = wait_until(lambda: (s := app.status())["dataplane"].get("reattaches", 0) >= 1 and
                        s["dataplane"].get("attached") and s["dataplane"].get("flows", 0) >= 2 and s,
                        20, "sbcd to re-attach and replay the flows")
        repaired_at = time.monotonic()
        assert st["dataplane"]["pid"] != old_pid

        caller.join(100)
        assert not caller.is_alive()
        assert result.get("bye") == 200, result
        assert callee.wait(20) == 0, callee.errors()

        def seqs_of(cap):
            return sorted({rtp_header(p["payload"])["seq"]
                           for p in rtp_of(cap.udp("10.2.1.1"), "10.2.1.1", "10.2.0.3")
                           if rtp_header(p["payload"])["ssrc"] == 0x5EED})
        core_cap.stop(until=lambda cap: PACKETS - 1 in seqs_of(cap))
        seqs = seqs_of(core_cap)
        # Everything sent from one second after the repair to the end arrived (the first packet
        # to the PBX after the restart may be spent resolving its MAC).
        first_after = int((repaired_at + 1.0 - result["started"]) * PPS)
        assert first_after < PACKETS - 100, "the repair took too long to leave packets to check"
        missing = sorted(set(range(first_after, PACKETS)) - set(seqs))
        assert missing == [], (missing[:20], first_after, len(seqs))
        # Media flowed before the kill too, and some was lost while no dataplane ran.
        assert any(s < int((killed_at - result["started"]) * PPS) for s in seqs)
        calls = app.sbcctl("calls", json_out=True)[1]
        assert calls["media"]["replays"] >= 1, calls["media"]
