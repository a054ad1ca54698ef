"""Hostile clients of the access realm against the virtual appliance (issue 10): Kamailio is OSV,
baresip the clean softphones, our own TLS client the hostile one.

* A byte that is not UTF-8 in an INVITE's SDP c= line (the robustness run's crash) and in the
  other peer fields that reach JSON (s=, From display name, User-Agent): sbcd answers, keeps
  running, and every mgmt view and the call record file read back as valid JSON.
* What a client sends that OSV could not take (18 kB REGISTER, 20 kB SDP line, eight 7 kB Accept
  headers, a bare CR or NUL in a header value) is answered by the SBC and never reaches OSV.
* Requests that pass the SBC but that OSV drops without an answer (the OSV stand-in drops an
  INVITE with `Subject: drop-me`, osv-node.cfg) cannot get osv1 marked down, however many come from one
  client; from several clients they make the node suspect, and the keep-alive clears it.
* Meanwhile clean softphones keep registering and calling, with audio.

Attackers use extra addresses of the access namespace (10.1.0.3-5). Bounded in count and time.
"""
from __future__ import annotations

import os
import json
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hostile_tools  # noqa: E402
from call_support import active_calls, ctrl, recorded, records, set_tone, tone_of  # noqa: E402
from core_wire import CoreCapture, faults  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402

SBC_TLS = ("10.1.0.1", 65061)


def short_timers(t: str) -> str:
    # T1 100 ms: an INVITE OSV never answers times out (Timer B, 64 x T1) in 6.4 s, not 32 s.
    t = set_key(t, "sip", "t1_ms", "100")
    t = set_key(t, "sip", "t2_ms", "4000")
    return set_key(t, "sip_server", "options_interval_s", "1")


def add_addresses(app: Appliance, *addresses: str):
    for a in addresses:
        subprocess.run(["ip", "-n", app.ns_acc, "addr", "add", f"{a}/24", "dev", "a-sig"],
                       check=True)


def node(app: Appliance) -> dict:
    return app.status()["sip_server"]["nodes"][0]


def call_with_audio(app: Appliance, caller, callee):
    """caller calls callee through OSV; both hear the other's tone; hang up."""
    ctrl(app, caller, "dial", f"sip:{callee.user}@pbx.local")
    wait_until(lambda: re.search(r"[Ii]ncoming call", callee.output()), 10, "callee rings")
    ctrl(app, callee, "accept")
    wait_until(lambda: len(active_calls(app)) == 2 and
               all(c["state"] == "confirmed" for c in active_calls(app)), 10, "two calls up")
    time.sleep(3)
    ctrl(app, caller, "hangup")
    wait_until(lambda: not active_calls(app), 10, "calls ended")


def test_hostile_client_neither_reaches_osv_nor_takes_it_down():
    with Appliance("hos1", config_edit=short_timers) as app:
        add_addresses(app, "10.1.0.3", "10.1.0.4", "10.1.0.5")
        osv = app.kamailio("osv1", "10.2.0.2")
        cap = CoreCapture(app)
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445)
        set_tone(alice, 440.0)
        set_tone(bob, 1000.0)
        wait_until(lambda: alice.registered() and bob.registered(), 15, "baresip registered")
        acc = app.worker(app.ns_acc)
        ca = str(app.rundir / "pki" / "ca.crt")

        # Too large or not SIP: answered by the SBC, nothing reaches OSV.
        acc.call(hostile_tools.open_client, "evil", SBC_TLS, ca, "10.1.0.3")
        answers = acc.call(hostile_tools.send_each, "evil", timeout=60)
        assert answers == {"register_18k": 413, "sdp_line_20k": 413, "accept_8x7k": 413,
                           "sdp_line_1500": 488, "accept_1500": 413, "bare_cr": 400,
                           "nul": 400}, answers

        # Odd but within the limits: OSV drops these INVITEs unanswered. Six from one client,
        # while alice calls bob: osv1 stays up, nobody gets 503.
        acc.call(hostile_tools.send_dropped_invites, "evil", 6, timeout=30)
        call_with_audio(app, alice, bob)
        wait_until(lambda: acc.call(hostile_tools.final_answers, "evil") >= 6, 20,
                   "the six INVITEs timed out")
        n = node(app)
        assert n["state"] == "up" and n["went_down"] == 0, n
        assert n["traffic_failures"] >= 6 and n["suspected"] == 0, n
        assert acc.call(hostile_tools.final_codes, "evil") == [408] * 6

        # From three clients at once they make the node suspect: probed at once, answered, up.
        for i, src in enumerate(("10.1.0.4", "10.1.0.5")):
            acc.call(hostile_tools.open_client, f"evil{i}", SBC_TLS, ca, src)
        for name in ("evil", "evil0", "evil1"):
            acc.call(hostile_tools.send_dropped_invites, name, 1, timeout=30)
        wait_until(lambda: node(app)["suspected"] >= 1, 20, "osv1 suspected")
        wait_until(lambda: not node(app)["suspect"], 10, "the probes cleared osv1")
        n = node(app)
        assert n["state"] == "up" and n["went_down"] == 0, n

        # Clean clients still register and call.
        call_with_audio(app, bob, alice)
        assert alice.registered() and bob.registered()
        alice.stop()
        bob.stop()
        assert tone_of(recorded(alice))["1000"] > 20 * tone_of(recorded(alice))["440"]
        assert tone_of(recorded(bob))["440"] > 20 * tone_of(recorded(bob))["1000"]

        # On OSV's side: every message it got is well-formed and within the limits; Kamailio
        # never had to drop a message for its size.
        cap.stop()
        msgs = cap.messages_to("10.2.0.2")
        assert len(msgs) > 10
        bad = {m[:60]: faults(m) for m in msgs if faults(m)}
        assert not bad, bad
        assert "buffer overrun" not in osv.output()
        sip = app.sip_counters()
        # Seven refused at admission (the bare CR and the NUL possibly by the parser already).
        assert sip["core_limits.in_total"] + sip["access.malformed_requests"] == 7, sip
        assert sip["core_limits.out_total"] == 0, sip
        assert app.status()["exceptions"]["total"] == 0


# What OSV answers an INVITE from the SBC for an unknown user.
OSV_ANSWERS = (404, 407)

# Every view sbcctl has, in JSON and as text.
VIEWS = [["status"], ["counters"], ["sip"], ["registrations"], ["calls"], ["security"],
         ["blacklist"], ["config", "show"]]


def test_non_utf8_bytes_over_tls_leave_sbcd_running_and_every_view_valid():
    with Appliance("hos2") as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 35, "osv1 up")
        acc = app.worker(app.ns_acc)
        acc.call(hostile_tools.open_client, "evil", SBC_TLS, str(app.rundir / "pki" / "ca.crt"),
                 "10.1.0.2")

        # The robustness run's message: refused as bad SDP, not a crash (it was
        # nlohmann::json type_error 316 escaping the event loop).
        code, ff_call = acc.call(hostile_tools.send_invite, "evil",
                                 connection=b"IN\xff IP4 10.1.1.2", timeout=30)
        assert code == 488, code
        assert app.sbcd.alive(), app.sbcd.output()[-4000:]

        # 0xFF and an overlong UTF-8 form in the other fields that reach a view or a record: the
        # INVITE goes to OSV, which answers (407: the SBC is not a trusted peer of the stand-in;
        # 404 if it were) and the call is recorded.
        code, odd_call = acc.call(hostile_tools.send_invite, "evil",
                                  b"User-Agent: Zoom\xffPhone\xc0\xaf/6.0\r\n", callee=b"nobody",
                                  display=b"Ev\xffil", session=b"zo\xffom", timeout=30)
        assert code in OSV_ANSWERS + (400,), code  # 400: a parser that refuses non-UTF-8 values
        assert app.sbcd.alive(), app.sbcd.output()[-4000:]

        for view in VIEWS:
            rc, out, err = app.sbcctl(*view, json_out=True)
            assert rc == 0, (view, err)
            json.dumps(out, ensure_ascii=False).encode("utf-8")  # strict: no lone surrogates
            rc, text, err = app.sbcctl(*view)
            assert rc == 0, (view, err)
            assert "\r" not in text and "\x1b" not in text, view

        # The call records: whole JSON lines, strictly UTF-8, the bad byte replaced (U+FFFD).
        wait_until(lambda: {ff_call} <= {r["call_id"] for r in records(app)}, 10, "records")
        raw = (app.rundir / "cdr.jsonl").read_bytes()
        raw.decode("utf-8")
        assert b"\xff" not in raw
        ff = next(r for r in records(app) if r["call_id"] == ff_call)
        assert "IN\ufffd IP4" in json.dumps(ff, ensure_ascii=False), ff
        assert ff["final_status"] == 488, ff

        # Still serving: a clean INVITE is relayed to OSV and answered by it.
        code, _ = acc.call(hostile_tools.send_invite, "evil", callee=b"nobody", timeout=30)
        assert code in OSV_ANSWERS, code
        assert "terminate called" not in app.sbcd.output()
        assert app.status()["exceptions"]["total"] == 0
        print(f"non-UTF-8: c= call {ff_call} refused 488, odd call {odd_call} answered")
