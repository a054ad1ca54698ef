"""Calls across the border through the virtual appliance with real peers (issue 6): baresip
softphones (TLS, SRTP SDES, srtp-mand) registered through the SBC to Kamailio as OSV, SIPp as
an OSV-side user with plain RTP, sbc-dataplane relaying media on the media veths (af_xdp, the shipped config).

Audio is checked from what the softphones recorded (a 440 Hz tone one way, 1000 Hz the other),
the wire from captures (SRTP on the access side, RTP on the core side), the appliance from
`sbcctl calls` and the call records. Each test makes and removes its own namespaces; the whole
file runs in a few minutes. Longer variants run with SBC_SOAK=1.
"""
from __future__ import annotations

import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Appliance, binary, wait_until  # noqa: E402
from call_support import (Capture, active_calls, calls, ctrl, fast_trunk, recorded,  # noqa: E402
                          records, rekey_call, rtp_header, set_tone, tone_of, wait_media)
from sipp_osv import (ANSWER_BYE, BYE_AND_200, SIPP_REGISTER, Sipp, ack_in_dialog,  # noqa: E402
                      in_dialog, osv_user_setup, rtp_of, sipp_uac_call, sipp_uas_answer,
                      ulaw_tone)

SOAK = os.environ.get("SBC_SOAK") == "1"

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
        # Media both ways on every leg (more than 100 packets, asserted below).
        listing = wait_media(app, 101)
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
        ctrl(app, alice, "resume")
        wait_until(lambda: not any(c["held"] for c in active_calls(app)), 10, "resumed")
        wait_media(app, 50)  # media flows again after the resume
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
        wait_until(lambda: callee.listening() or callee.wait(0) >= 0, 10, "SIPp listening")
        ctrl(app, alice, "dial", "sip:1000@pbx.local")
        wait_until(lambda: active_calls(app) and active_calls(app)[0]["state"] == "confirmed", 15,
                   "call back up")
        wait_media(app, 150)
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
        sbcctl = [str(binary("sbcctl")), "--socket", str(app.socket)]
        out = acc.call(rekey_call, ("10.1.0.1", 65061), str(ca_file), per_key, sbcctl, timeout=60)
        assert out["bye"] == 200, out
        assert out["ports"][0] == out["ports"][1], out
        assert callee.wait(20) == 0, callee.errors()

        def to_osv(cap):
            return [p for p in rtp_of(cap.udp("10.2.1.1"), "10.2.1.1", "10.2.0.3")
                    if rtp_header(p["payload"])["ssrc"] == out["ssrc"]]
        core_cap.stop(until=lambda cap: len(to_osv(cap)) >= out["sent"])
        pkts = to_osv(core_cap)
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
