"""Live reconfiguration as an operator does it (issue 15): on the running appliance (sbcd,
sbc-dataplane, Kamailio as OSV) a softphone registers over TLS; `sbcctl config apply` with a new
certificate is seen by the next `openssl s_client` while the softphone's connection opened before
stays up and re-registers over it; a certificate rewritten in place is taken on SIGHUP; a file
with errors and a file changing a restart key are refused, naming each, and nothing changes;
`sbcctl config rollback` and `config history`."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipclient  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402
from call_support import fast_trunk  # noqa: E402

SBC_TLS = ("10.1.0.1", 65061)


def peer_subject(name: str) -> str:
    """The SBC certificate's CN on the already open connection `name` (in the worker)."""
    cert = sipclient.CLIENTS[name].sock.getpeercert()
    return dict(x[0] for x in cert["subject"])["commonName"]


def s_client_subject(app: Appliance) -> str:
    """A new TLS handshake with the SBC from the access namespace: the certificate's subject."""
    r = subprocess.run(["ip", "netns", "exec", app.ns_acc, "openssl", "s_client", "-connect",
                        f"{SBC_TLS[0]}:{SBC_TLS[1]}", "-servername", "sbc.local", "-brief"],
                       input="", capture_output=True, text=True, timeout=20)
    out = r.stdout + r.stderr
    for line in out.splitlines():
        if "Peer certificate:" in line or line.startswith("subject="):
            return line
    raise AssertionError(f"no peer certificate in s_client output:\n{out}")


def test_certificate_rotation_refusals_rollback_and_sighup():
    with Appliance("rcf", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        pki = app.rundir / "pki"
        acc = app.worker(app.ns_acc)
        acc.call(sipclient.open_client, "alice", SBC_TLS, str(pki / "ca.crt"))
        assert acc.call(sipclient.register, "alice", "alice", "alicepw")["status"] == 200
        assert acc.call(peer_subject, "alice") == "sbc.local"
        assert "CN = sbc.local" in s_client_subject(app) or "CN=sbc.local" in s_client_subject(app)

        # A new certificate and key (the test PKI's pbx.local pair) under new paths.
        base = app.config_path.read_text()
        rotated = base.replace(f"{pki}/sbc.crt", f"{pki}/server.crt").replace(
            f"{pki}/sbc.key", f"{pki}/server.key")
        assert rotated != base
        new_file = app.rundir / "rotated.toml"
        new_file.write_text(rotated)
        rc, out, err = app.sbcctl("config", "apply", new_file)
        assert rc == 0, out + err
        assert "certificate_profile[0].certificate" in out and "applied: version 2" in out, out
        assert "pbx.local" in s_client_subject(app)
        # The connection opened before: still up, still the old certificate, still served.
        assert acc.call(sipclient.register, "alice", "alice", "alicepw")["status"] == 200
        assert acc.call(peer_subject, "alice") == "sbc.local"

        # Refused whole: errors with their lines; a restart key named with why.
        bad = app.rundir / "bad.toml"
        bad.write_text(set_key(rotated, "security.dos", "max_requests_per_source_per_s",
                               '"many"') + "\n[frobnicate]\nx = 1\n")
        rc, out, err = app.sbcctl("config", "apply", bad)
        assert rc == 1, out + err
        assert f"{bad}:" in out and "security.dos.max_requests_per_source_per_s" in out, out
        assert "frobnicate" in out and "nothing changed" in out, out
        restart = app.rundir / "restart.toml"
        restart.write_text(set_key(set_key(rotated, "realm.access", "sip_tls_port", "65071"),
                                   "security.dos", "max_requests_per_source_per_s", "7"))
        rc, out, err = app.sbcctl("config", "apply", restart)
        assert rc == 1, out + err
        assert "refused: realm.access.sip_tls_port: needs a restart" in out, out
        rc, sec, _ = app.sbcctl("security", json_out=True)
        assert rc == 0 and sec["settings"]["max_requests_per_source_per_s"] != 7, sec
        assert "pbx.local" in s_client_subject(app)

        # Rollback: the first certificate again.
        rc, out, err = app.sbcctl("config", "rollback")
        assert rc == 0 and "applied: version 3" in out, out + err
        assert "sbc.local" in s_client_subject(app)

        # In place: the E911 provider's pair written over sbc.crt/sbc.key, then SIGHUP re-reads
        # the file sbcd was started with (its paths are the first certificate's).
        shutil.copyfile(pki / "provider.crt", pki / "sbc.crt")
        shutil.copyfile(pki / "provider.key", pki / "sbc.key")
        os.kill(app.sbcd.pid, signal.SIGHUP)
        wait_until(lambda: "e911.provider.test" in s_client_subject(app), 10, "SIGHUP rotation")
        assert app.sbcd.alive()

        rc, hist, err = app.sbcctl("config", "history", json_out=True)
        assert rc == 0, err
        assert [v["origin"] for v in hist["versions"]] == ["start", "apply", "rollback",
                                                             "sighup"], hist
        assert hist["current"] == 4
        rc, text, _ = app.sbcctl("config", "history")
        assert rc == 0 and "4 (running)" in text, text
        assert acc.call(sipclient.register, "alice", "alice", "alicepw")["status"] == 200
        acc.call(sipclient.close_client, "alice")
