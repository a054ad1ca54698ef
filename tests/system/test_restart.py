"""sbcd restart (issue 15) with real peers: baresip registering over TLS through the SBC,
Kamailio as OSV, SIPp as an OSV user, sbc-dataplane and sbcd in the appliance namespace.

What is tested here is the part that is built: registrations survive SIGKILL of sbcd (state
store under --state-dir) and keep routing once the client re-registers. Calls across a restart
are not restored yet (README, "sbcd restart").
"""
from __future__ import annotations

import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Appliance, set_key, wait_until  # noqa: E402


def fast_trunk(t):
    return set_key(t, "sip_server", "options_interval_s", "1")


def test_registration_survives_sigkill_of_sbcd_and_routes_after_the_client_reconnects():
    with Appliance("rst", config_edit=fast_trunk) as app:
        state_dir = app.rundir / "state"
        osv = app.kamailio("osv1", "10.2.0.2", trusted_ip="10.2.0.3")
        app.start_dataplane()
        app.start_sbcd(extra=("--state-dir", state_dir))
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        # regint 20: baresip refreshes within seconds, over a new connection after the restart.
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445, regint=20)
        wait_until(lambda: bob.registered(), 15, "bob registered")
        token_contact = [c["contact"] for c in osv.location() if c["aor"] == "bob"]
        assert len(token_contact) == 1, osv.location()
        # The journal is private: it will hold SDES keys of calls.
        assert oct(state_dir.stat().st_mode & 0o777) == "0o700"
        assert oct((state_dir / "state.journal").stat().st_mode & 0o777) == "0o600"

        app.sbcd.stop(signal.SIGKILL)
        app.socket.unlink(missing_ok=True)
        app.start_sbcd(extra=("--state-dir", state_dir))
        st = app.status()
        assert st["restart"]["restored_bindings"] == 1, st["restart"]
        rc, text, _ = app.sbcctl("status")
        assert rc == 0 and re.search(r"restart +restored 1 bindings, removed 0 orphan flows", text), text
        regs = app.registrations()
        assert [r["aor"] for r in regs] == ["sip:bob@pbx.local"], regs
        assert regs[0]["flow"] == "none"  # its TLS connection died with the sbcd before
        # OSV was told nothing: the token it holds is still the binding's.
        assert [c["contact"] for c in osv.location() if c["aor"] == "bob"] == token_contact

        # bob's next REGISTER comes over a new connection: the same binding gets the flow.
        wait_until(lambda: app.registrations()[0]["flow"] == "live", 40, "bob re-registered")
        assert [c["contact"] for c in osv.location() if c["aor"] == "bob"] == token_contact

        # An OSV user calls bob by the same token: it reaches him down the new connection.
        app.osv_user_rings_and_cancels("bob")
        wait_until(lambda: "ncoming call" in bob.output(), 5, "bob saw the call")
