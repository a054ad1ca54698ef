"""The push call flow (issue 14, guide 7.6, RFC 8599) through the virtual appliance: sbcd linked
to the CloudLink stand-in (real HTTPS, its own namespace), Kamailio as OSV, SIPp as an OSV user
and a TLS client registering with pn-* parameters. The client's connection closes (the app
sleeps); the OSV user calls it; the stand-in receives the push with the device token; the client
re-registers over a new TLS connection, receives the held INVITE and answers. Not covered here:
audio (the client is scripted and sends no media; the media path is the ordinary one, tested in
test_calls.py). A desktop and a mobile client of one user: OSV forks to both contacts (Kamailio's
lookup gives a branch per contact, RFC 3261 parallel forking, as OSV does for a subscriber with
several registered devices); the SBC gives the desktop's branch at once and holds the mobile's
for its push; the first answer wins and OSV cancels the other branch."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipclient  # noqa: E402
from call_support import active_calls, calls, fast_trunk, records  # noqa: E402
from cloudlink_net import Cloud, cloudlink_config, link  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402
from sipp_osv import BYE_AND_200, Sipp, osv_user_setup, sipp_uac_call  # noqa: E402

SBC_TLS = ("10.1.0.1", 65061)
PRID = "3a8e6f7c2b1d4e5f"
PN = (f';pn-provider=apns;pn-prid={PRID};pn-param=T.voip'
      ';+sip.instance="<urn:uuid:5b0f2a94-1c3e-4d5f-8a6b-7c8d9e0f1a2b>";reg-id=1')


def appliance(name: str, invite_wait_s: int) -> Appliance:
    app = Appliance(name)
    app.config_edit = lambda t: cloudlink_config(app, proxy=False)(
        set_key(fast_trunk(t), "push", "invite_wait_s", str(invite_wait_s)))
    return app


def register_mobile(acc, ca) -> dict:
    """bob's app registers over a new TLS connection with its push parameters."""
    acc.call(sipclient.open_client, "mobile", SBC_TLS, str(ca))
    r = acc.call(sipclient.register, "mobile", "bob", "bobpw", expires=600,
                 ua="ZoomPbxPhone_IOS_Phone/6.0", contact_params=PN)
    assert r and r["status"] == 200, r
    return r


def linked_with_a_sleeping_mobile(app: Appliance):
    """Inside `with app`: CloudLink linked, Kamailio up, bob's app registered and asleep."""
    cloud = Cloud(app)
    app.kamailio("osv1", "10.2.0.2")
    app.up()
    rc, out, err = link(app)
    assert rc == 0, err
    wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
    pcap, ca = osv_user_setup(app)
    acc = app.worker(app.ns_acc)
    r = register_mobile(acc, ca)
    feature_caps = [v for k, v in r["headers"] if k.lower() == "feature-caps"]
    assert feature_caps == ['*;+sip.pns="apns"'], r["headers"]
    acc.call(sipclient.close_client, "mobile")  # the app sleeps: its TLS connection closes
    wait_until(lambda: [row["flow"] for row in app.registrations()] == ["none"], 10,
               "binding kept without a flow")
    return cloud, pcap, ca, acc


def test_a_sleeping_mobile_client_is_pushed_woken_and_answers_the_held_call():
    app = appliance("pu1", 30)
    with app:
        cloud, pcap, ca, acc = linked_with_a_sleeping_mobile(app)

        caller = Sipp(app, "sipp-uac", sipp_uac_call(pcap, '  <pause milliseconds="1000"/>\n' +
                                                     BYE_AND_200),
                      ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "60s"])
        wait_until(lambda: cloud.requests("/v1/push"), 15, "push at CloudLink")
        pushed = cloud.requests("/v1/push")[0]["body"]
        assert pushed["device"] == {"provider": "apns", "prid": PRID, "param": "T.voip"}
        held = active_calls(app)
        assert len(held) == 1 and held[0]["state"] == "awaiting_push", held

        # The push woke the app: a new TLS connection, the same instance and device.
        register_mobile(acc, ca)
        inv = acc.call(sipclient.answer_invite, "mobile", 15.0)
        assert inv and inv["method"] == "INVITE", inv
        call_id = [v for k, v in inv["headers"] if k.lower() in ("call-id", "i")][0]
        assert call_id == pushed["call"]["id"]
        assert caller.wait(40) == 0, caller.errors()
        wait_until(lambda: not active_calls(app), 15, "call over")
        st = calls(app)["counters"]
        assert st["push_waits"] == 1 and st["push_woken"] == 1 and st["answered"] == 1, st
        wait_until(lambda: records(app), 10, "call record")
        rec = records(app)[-1]
        assert rec["push"]["result"] == "woken" and rec["final_status"] == 200, rec
        acc.call(sipclient.close_client, "mobile")


def test_no_wake_is_480_after_the_wait_and_cloudlink_down_fails_at_once():
    app = appliance("pu2", 6)
    with app:
        cloud, pcap, _, _ = linked_with_a_sleeping_mobile(app)

        # No re-registration: 480 after the 6 s wait (SIPp's scenario fails on it: exit 1).
        caller = Sipp(app, "sipp-nowake", sipp_uac_call(pcap, ""),
                      ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "30s"])
        assert caller.wait(30) != 0
        assert "480" in caller.errors()
        st = calls(app)["counters"]
        assert st["push_timed_out"] == 1, st
        wait_until(lambda: records(app), 10, "call record")
        assert records(app)[-1]["push"]["result"] == "timed_out"

        # CloudLink down (every push answered 503): 480 at once, not after the wait.
        cloud.control({"cmd": "fault", "path": "/v1/push", "status": 503, "count": 5})
        caller = Sipp(app, "sipp-down", sipp_uac_call(pcap, ""),
                      ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "30s"])
        assert caller.wait(30) != 0
        st = calls(app)["counters"]
        assert st["push_failed"] == 1 and st["push_timed_out"] == 1, st
        wait_until(lambda: len(records(app)) == 2, 10, "second call record")
        rec = records(app)[-1]
        assert rec["push"]["result"] == "failed", rec  # not "timed_out": before the wait


def sleeping_flows(app: Appliance) -> int:
    return sum(1 for row in app.registrations() if row["flow"] == "none")


def test_desktop_and_mobile_of_one_user_ring_together_and_the_first_answer_wins():
    app = appliance("pu3", 30)
    with app:
        cloud, pcap, ca, acc = linked_with_a_sleeping_mobile(app)
        acc.call(sipclient.open_client, "desktop", SBC_TLS, str(ca))
        r = acc.call(sipclient.register, "desktop", "bob", "bobpw", expires=600)
        assert r and r["status"] == 200, r
        assert not [v for k, v in r["headers"] if k.lower() == "feature-caps"], r["headers"]
        assert len(app.registrations()) == 2 and sleeping_flows(app) == 1

        # 1. The desktop rings at once while the mobile's branch waits for its push; the
        # desktop answers; OSV cancels the held branch (487 from the SBC), and a late wake of
        # the mobile gets no INVITE.
        call = sipp_uac_call(pcap, '  <pause milliseconds="1000"/>\n' + BYE_AND_200)
        caller = Sipp(app, "sipp-fork1", call,
                      ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "60s"])
        ringing = acc.call(sipclient.ring, "desktop", 15.0)
        assert ringing and ringing["method"] == "INVITE", ringing
        wait_until(lambda: cloud.requests("/v1/push"), 15, "push for the mobile's branch")
        states = sorted(c["state"] for c in active_calls(app))
        assert "awaiting_push" in states and len(states) == 2, states
        acc.call(sipclient.answer_ringing, "desktop")
        after = acc.call(sipclient.inbox, "desktop", 6.0)  # ACK, then the caller's BYE
        methods = [m["method"] for m in after]
        assert "ACK" in methods and "BYE" in methods, methods
        assert caller.wait(40) == 0, caller.errors()
        wait_until(lambda: not active_calls(app), 15, "both branches over")
        st = calls(app)["counters"]
        assert (st["push_waits"], st["push_cancelled"], st["push_woken"]) == (1, 1, 0), st
        wait_until(lambda: len(records(app)) == 2, 10, "a record per branch")
        results = sorted(str((r.get("push") or {}).get("result")) for r in records(app))
        assert results == ["None", "cancelled"], records(app)
        register_mobile(acc, ca)
        late = acc.call(sipclient.inbox, "mobile", 3.0)
        assert not [m for m in late if m["method"] == "INVITE"], late
        assert calls(app)["counters"]["push_woken"] == 0

        # 2. The mobile sleeps again; this time it wakes and answers first: the desktop's
        # ringing branch is cancelled.
        acc.call(sipclient.close_client, "mobile")
        wait_until(lambda: sleeping_flows(app) == 1, 10, "the mobile asleep again")
        caller = Sipp(app, "sipp-fork2", call,
                      ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "60s"])
        ringing = acc.call(sipclient.ring, "desktop", 15.0)
        assert ringing and ringing["method"] == "INVITE", ringing
        wait_until(lambda: len(cloud.requests("/v1/push")) == 2, 15, "the second push")
        register_mobile(acc, ca)
        inv = acc.call(sipclient.answer_invite, "mobile", 15.0)
        assert inv and inv["method"] == "INVITE", inv
        cancel = acc.call(sipclient.until_cancelled, "desktop", 10.0)
        assert cancel and cancel["method"] == "CANCEL", cancel
        after = acc.call(sipclient.inbox, "mobile", 6.0)
        assert "BYE" in [m["method"] for m in after], [m["method"] for m in after]
        assert caller.wait(40) == 0, caller.errors()
        wait_until(lambda: not active_calls(app), 15, "both branches over")
        st = calls(app)["counters"]
        assert (st["push_waits"], st["push_cancelled"], st["push_woken"]) == (2, 1, 1), st
        assert st["answered"] == 2, st
        acc.call(sipclient.close_client, "mobile")
        acc.call(sipclient.close_client, "desktop")
