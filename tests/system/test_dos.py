"""The access realm's DoS guard ([security.dos]) through the virtual appliance: floods from
attacker addresses in the access namespace get blacklisted while softphones from another
address keep registering. Kamailio is OSV; baresip and our own TLS client are the softphones.

Attackers are extra addresses on the access namespace's veth (10.1.0.3-5); the softphones use
10.1.0.2. Every flood is bounded in count and time. Run one at a time (label `system`).
"""
from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dos_tools  # noqa: E402
import sipclient  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402

SBC_UDP = ("10.1.0.1", 5060)
SBC_TLS = ("10.1.0.1", 65061)


def config(rate: int, duration: int, initial_registration: bool):
    def edit(t: str) -> str:
        t = set_key(t, "realm.access", "sip_udp_port", "5060")
        t = set_key(t, "sip_server", "options_interval_s", "1")
        t = set_key(t, "security.dos", "max_requests_per_source_per_s", str(rate))
        t = set_key(t, "security.dos", "blacklist_duration_s", str(duration))
        t = set_key(t, "security.dos", "process_initial_registration",
                    "true" if initial_registration else "false")
        return t
    return edit


def add_addresses(app: Appliance, *addresses: str):
    for a in addresses:
        subprocess.run(["ip", "-n", app.ns_acc, "addr", "add", f"{a}/24", "dev", "a-sig"],
                       check=True)


def blacklist(app: Appliance) -> dict:
    rc, out, err = app.sbcctl("blacklist", json_out=True)
    assert rc == 0, err
    return {row[0]: dict(zip(out["columns"], row)) for row in out["rows"]}


def security(app: Appliance) -> dict:
    rc, out, err = app.sbcctl("security", json_out=True)
    assert rc == 0, err
    return out


def ca(app: Appliance) -> str:
    return str(app.rundir / "pki" / "ca.crt")


def test_floods_are_blacklisted_while_a_softphone_registers():
    with Appliance("dos1", config_edit=config(20, 60, True)) as app:
        add_addresses(app, "10.1.0.3", "10.1.0.4")
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        wait_until(alice.registered, 15, "alice registered")
        acc = app.worker(app.ns_acc)

        # A UDP flood from 10.1.0.3: one second's burst is served, then the source is listed
        # and the rest is dropped unanswered. (A slow machine may refill a token or two while
        # the flood is being sent, hence the small range.)
        answers = acc.call(dos_tools.udp_flood, "10.1.0.3", SBC_UDP, 300, timeout=30)
        assert 20 <= answers <= 25, answers
        bl = blacklist(app)
        assert bl["10.1.0.3"]["reason"] == "request_rate"
        assert 0 < bl["10.1.0.3"]["remaining_s"] <= 60
        dropped = bl["10.1.0.3"]["hits"]
        assert dropped == 300 - answers - 1, bl  # everything after the trigger
        # Later datagrams are dropped and counted, never answered.
        assert acc.call(dos_tools.udp_flood, "10.1.0.3", SBC_UDP, 50, 1000, 1.0) == 0
        assert blacklist(app)["10.1.0.3"]["hits"] == dropped + 50

        # A connection flood from 10.1.0.4 on the TLS port: the eleventh concurrent connection
        # lists the source and every connection of it is closed.
        assert acc.call(dos_tools.connection_flood, "10.1.0.4", SBC_TLS, 12) == 12
        assert acc.call(dos_tools.connections_closed_by_peer, 10.0, timeout=20) == 12
        assert blacklist(app)["10.1.0.4"]["reason"] == "connections"
        # New TLS connections from it are closed before the handshake.
        r = acc.call(dos_tools.tls_handshake, "10.1.0.4", SBC_TLS, ca(app))
        assert r.startswith("handshake:"), r

        # Meanwhile, from 10.1.0.2: a new softphone registers, alice stays registered.
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445)
        wait_until(bob.registered, 15, "bob registered")
        regs = {r["aor"] for r in app.registrations()}
        assert regs == {"sip:alice@pbx.local", "sip:bob@pbx.local"}
        assert "10.1.0.2" not in blacklist(app)

        sec = security(app)
        c = sec["counters"]
        assert sec["under_attack"] is True and sec["blacklisted"] == 2
        assert c["blacklisted_request_rate"] == 1 and c["blacklisted_connections"] == 1
        assert c["dropped_datagrams"] == dropped + 50
        assert c["closed_connections"] == 10 and c["dropped_connections"] >= 2
        sip = app.sip_counters()
        assert sip["dos.dropped_datagrams"] == dropped + 50
        assert sip["access.policy_dropped_connections"] >= 2
        assert app.status()["security"]["blacklisted"] == 2
        rc, text, _ = app.sbcctl("blacklist")
        assert rc == 0 and "10.1.0.3" in text and "request_rate" in text
        rc, text, _ = app.sbcctl("security")
        assert rc == 0 and "UNDER ATTACK" in text
        rc, text, _ = app.sbcctl("status")
        assert rc == 0 and "UNDER ATTACK" in text and "2 blacklisted" in text

        # The operator forgives 10.1.0.3: it is served again at once; nonsense is refused.
        rc, text, err = app.sbcctl("blacklist", "--remove", "10.1.0.3")
        assert rc == 0 and "10.1.0.3 removed" in text, err
        assert "10.1.0.3" not in blacklist(app) and "10.1.0.4" in blacklist(app)
        assert acc.call(dos_tools.udp_flood, "10.1.0.3", SBC_UDP, 5, 2000, 1.0) == 5
        rc, _, err = app.sbcctl("blacklist", "--remove", "10.1.0.3")
        assert rc == 1 and "not blacklisted" in err, err
        rc, _, err = app.sbcctl("blacklist", "--remove", "10.1.0")
        assert rc == 1 and "not an IP address" in err, err


def test_initial_registrations_wait_out_an_attack_and_known_subscribers_keep_working():
    with Appliance("dos2", config_edit=config(20, 8, False)) as app:
        add_addresses(app, "10.1.0.3", "10.1.0.5")
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        acc = app.worker(app.ns_acc)
        acc.call(sipclient.open_client, "alice", SBC_TLS, ca(app))
        assert acc.call(sipclient.register, "alice", "alice", "alicepw")["status"] == 200

        # Not under attack: a first registration from anywhere goes through.
        acc.call(sipclient.open_client, "early", SBC_TLS, ca(app), "10.1.0.5")
        assert acc.call(sipclient.register, "early", "1000", "secret1000")["status"] == 200
        acc.call(sipclient.register, "early", "1000", "secret1000", expires=0)
        acc.call(sipclient.close_client, "early")

        assert acc.call(dos_tools.udp_flood, "10.1.0.3", SBC_UDP, 100, timeout=30) >= 20
        assert "10.1.0.3" in blacklist(app)

        # Under attack: a source without a live registration waits; alice's refreshes go on.
        acc.call(sipclient.open_client, "bob", SBC_TLS, ca(app), "10.1.0.5")
        r = acc.call(sipclient.register, "bob", "bob", "bobpw")
        assert r["status"] == 503, r
        retry = [int(v) for k, v in r["headers"] if k == "Retry-After"]
        assert retry and 0 < retry[0] <= 8, r
        assert acc.call(sipclient.register, "alice", "alice", "alicepw")["status"] == 200
        assert security(app)["counters"]["initial_registers_refused"] == 1

        # The attack window passes (blacklist_duration_s = 8): bob gets in, the entry is gone.
        wait_until(lambda: not security(app)["under_attack"], 15, "attack window over", 0.5)
        assert acc.call(sipclient.register, "bob", "bob", "bobpw")["status"] == 200
        assert blacklist(app) == {}
        assert acc.call(dos_tools.udp_flood, "10.1.0.3", SBC_UDP, 5, 2000, 2.0) == 5
