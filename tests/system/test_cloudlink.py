"""CloudLink (issue 14, guide 8.2/8.4) through the virtual appliance: sbcd in its namespace, the
CloudLink stand-in in PREFIX-cloud on the "internet" side, a real HTTP proxy (tinyproxy, CONNECT
and Basic authentication) in between, Kamailio as OSV and a TLS client registering with RFC 8599
push parameters. Each test makes its own namespaces and removes them."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipclient  # noqa: E402
from cloudlink_net import (PROXY_PASSWORD, Cloud, cloudlink_config,  # noqa: E402
                           cloudlink_status, link)
from harness import Appliance, set_key, wait_until  # noqa: E402

SBC_TLS = ("10.1.0.1", 65061)


def test_link_through_the_proxy_inventory_clock_backoff_push_and_unlink():
    app = Appliance("cl1")
    app.config_edit = lambda t: cloudlink_config(app)(
        set_key(t, "sip_server", "options_interval_s", "1"))
    with app:
        cloud = Cloud(app)
        osv = app.kamailio("osv1", "10.2.0.2")
        app.up()
        st = cloudlink_status(app)
        assert st["state"] == "unlinked" and len(st["installation_id"]) == 36
        assert st["proxy"]["proxy"] == "http://10.1.0.2:8888"

        rc, out, err = link(app, password="wrong")
        assert rc == 1 and "bad_credentials" in err, (out, err)
        rc, out, err = link(app)
        assert rc == 0, err
        assert "linked to tenant 'Acme Corp'" in out
        # Through the proxy: a CONNECT tunnel, and the stand-in sees the proxy's address.
        links = cloud.requests("/v1/link")
        assert [r["client"] for r in links] == ["10.3.0.1", "10.3.0.1"]
        assert any("CONNECT 10.3.0.2:8443" in l for l in cloud.proxy_connects())

        # Inventory on link and every 3 s (the test's interval).
        wait_until(lambda: len(cloud.requests("/v1/inventory")) >= 3, 20, "three reports")
        times = [r["t"] for r in cloud.requests("/v1/inventory")]
        assert 2.5 <= times[2] - times[1] <= 6, times
        st = cloudlink_status(app)
        assert st["state"] == "connected" and st["tenant"]["name"] == "Acme Corp"
        assert st["last_inventory"]["result"] == "accepted"

        # Failures back off with jitter (base 1 s doubling), observed at the server.
        cloud.control({"cmd": "fault", "path": "/v1/inventory", "status": 503, "count": 2})
        wait_until(lambda: cloudlink_status(app)["state"] == "disconnected", 10, "disconnected")
        wait_until(lambda: cloudlink_status(app)["state"] == "connected", 15, "reconnected")
        times = [r["t"] for r in cloud.requests("/v1/inventory")][-3:]
        assert times[1] - times[0] >= 0.45 and times[2] - times[1] >= 0.95, times

        # The server's clock runs 2 minutes ahead: status says so, with the guide's remedy.
        cloud.control({"cmd": "set", "clock_offset_s": 120})
        wait_until(lambda: "clock_error" in cloudlink_status(app), 10, "clock error reported")
        assert 118 <= cloudlink_status(app)["clock_offset_s"] <= 122
        rc, text, err = app.sbcctl("cloudlink", "status")
        assert rc == 0 and "CLOCK ERROR" in text and "configure NTP" in text, (rc, text, err)

        # A mobile client registers with push parameters; the operator's test push reaches
        # CloudLink with its device token.
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        acc = app.worker(app.ns_acc)
        acc.call(sipclient.open_client, "mobile", SBC_TLS, str(app.rundir / "pki" / "ca.crt"))
        r = acc.call(sipclient.register, "mobile", "bob", "bobpw", expires=600,
                     ua="ZoomPbxPhone_IOS_Phone/6.0",
                     contact_params=";pn-provider=apns;pn-prid=3a8e6f7c2b1d4e5f;pn-param=T.voip")
        assert r and r["status"] == 200, r
        rows = app.registrations()
        assert [row["push"] for row in rows] == ["apns 3a8e6f7c…"]
        rc, out, err = app.sbcctl("registrations", "--push", json_out=True)
        assert rc == 0 and len(out["rows"]) == 1
        rc, _, err = app.sbcctl("cloudlink", "push", "sip:bob@pbx.local")
        assert rc == 0, err
        wait_until(lambda: cloud.requests("/v1/push"), 10, "push at CloudLink")
        pushed = cloud.requests("/v1/push")[0]["body"]["device"]
        assert pushed == {"provider": "apns", "prid": "3a8e6f7c2b1d4e5f", "param": "T.voip"}
        wait_until(lambda: cloudlink_status(app)["push"]["counters"]["sent"] == 1, 10, "sent")
        rc, _, err = app.sbcctl("cloudlink", "push", "sip:nobody@pbx.local")
        assert rc == 1 and "no push-capable binding" in err
        # Malformed push parameters: 400 with the reason, nothing stored.
        acc.call(sipclient.open_client, "bad", SBC_TLS, str(app.rundir / "pki" / "ca.crt"))
        r = acc.call(sipclient.register, "bad", "alice", "alicepw",
                     contact_params=";pn-provider=apns;pn-prid=a%00b")
        assert r and r["status"] == 400, r
        r = acc.call(sipclient.register, "bad", "alice", "alicepw",
                     contact_params=";pn-provider=webpush;pn-prid=abc")
        assert r and r["status"] == 555, r
        assert [row["aor"] for row in app.registrations()] == ["sip:bob@pbx.local"]

        # Unlink: CloudLink is told, the token file goes.
        rc, out, err = app.sbcctl("cloudlink", "unlink")
        assert rc == 0 and "unlinked from 'Acme Corp'" in out, (out, err)
        wait_until(lambda: [r for r in cloud.requests("/v1/link") if r["method"] == "DELETE"],
                   10, "DELETE /v1/link")
        assert not (app.rundir / "cloudlink" / "token.json").exists()
        assert cloudlink_status(app)["state"] == "unlinked"

        # Secrets: neither the admin password nor the proxy's is in sbcd's log or config.
        log = app.sbcd.output()
        assert "secret" not in log and PROXY_PASSWORD not in log
        assert "secret" not in app.config_path.read_text()
        assert osv.proc.alive()


def test_no_proxy_bypass_and_a_refusing_proxy_is_a_clear_status():
    app = Appliance("cl2")
    app.config_edit = cloudlink_config(app, no_proxy=["localhost", "10.3.0.0/24"])
    with app:
        cloud = Cloud(app)
        app.up()
        rc, out, err = link(app)
        assert rc == 0, err
        # NO_PROXY 10.3.0.0/24: straight to the stand-in (routed by the internet namespace).
        assert [r["client"] for r in cloud.requests("/v1/link")] == ["10.1.0.1"]
        assert cloud.proxy_connects() == []

        def restart_sbcd(edit):
            # A clean stop with the link up: the HTTPS worker ends, the mgmt socket goes.
            assert app.sbcd.stop() == 0, app.sbcd.output()
            assert not app.socket.exists()
            app.config_path.write_text(edit(app.config_path.read_text()))
            app.start_sbcd()

        def refused_with(code: int) -> dict:
            wait_until(lambda: cloudlink_status(app)["state"] == "disconnected", 20,
                       "disconnected")
            st = cloudlink_status(app)
            assert f"proxy refused the CONNECT tunnel with {code} (proxy authentication " \
                   "missing or wrong)" in st["last_error"], st
            return st

        # sbcd again without the bypass and with a wrong proxy password: the proxy's refusal is
        # what status says, promptly (tinyproxy answers wrong credentials with 401).
        (app.rundir / "proxy.pass").write_text("not-the-password\n")
        restart_sbcd(lambda t: t.replace('"10.3.0.0/24"', '"10.9.0.0/24"'))
        refused_with(401)
        assert cloud.proxy_connects()
        # The stored token was used, no second link; the proxy saw attempts, the server none.
        assert len(cloud.requests("/v1/link")) == 1
        assert len(cloud.requests("/v1/inventory")) == 1
        # Backing off and trying again, not stuck and not giving up.
        wait_until(lambda: cloudlink_status(app)["consecutive_failures"] >= 2, 15, "a retry")

        # No credentials at all: the proxy's 407.
        restart_sbcd(lambda t: "\n".join(l for l in t.splitlines()
                                         if not l.startswith(("username = ", "password_file = "))))
        refused_with(407)
        assert len(cloud.requests("/v1/inventory")) == 1
