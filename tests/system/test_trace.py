"""The SIP trace as an operator uses it (issue 16): baresip alice calls bob through the SBC and
OSV (Kamailio); `sbcctl trace sip --aor ... --pcap FILE` writes the decrypted signalling and
tshark finds the call's INVITE / 200 / ACK on both realms with the addresses they had on the wire
(the softphone's TLS connection to the SBC's access address, the SBC's TCP connection to OSV).
SDES keys and digest responses are masked unless --with-keys, which sbcd logs as an audit event.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Appliance, wait_until  # noqa: E402
from call_support import fast_trunk, softphones_call_and_hang_up  # noqa: E402

SBC_ACCESS = "10.1.0.1"
ALICE = "10.1.0.2"
SBC_CORE = "10.2.0.1"
OSV = "10.2.0.2"


def tshark(path, *fields) -> list[list[str]]:
    argv = ["tshark", "-r", str(path), "-d", "udp.port==65061,sip", "-Y", "sip", "-T", "fields",
            "-E", "separator=|"]
    for f in fields:
        argv += ["-e", f]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [line.split("|") for line in r.stdout.splitlines()]


def test_trace_pcap_has_the_call_on_both_realms_and_keys_stay_masked():
    with Appliance("tr1", config_edit=fast_trunk) as app:
        app.kamailio("osv1", OSV)
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        softphones_call_and_hang_up(app)

        pcap = app.rundir / "alice.pcap"
        rc, out, err = app.sbcctl("trace", "sip", "--aor", "sip:alice@pbx.local", "--pcap", pcap)
        assert rc == 0, err
        rows = tshark(pcap, "ip.src", "ip.dst", "udp.srcport", "udp.dstport", "sip.Method",
                      "sip.Status-Code", "sip.CSeq.method", "sip.Call-ID")
        assert rows, out

        def seen(src, dst, method="", status="", cseq="INVITE"):
            return [r for r in rows if r[0] == src and r[1] == dst and r[4] == method and
                    r[5] == status and r[6] == cseq]

        # Access realm: alice's INVITE over TLS to the SBC's access address, the SBC's 200 back,
        # alice's ACK; the softphone's side of the TLS connection on its real port.
        invite = seen(ALICE, SBC_ACCESS, method="INVITE")
        assert invite, rows
        assert invite[-1][3] == "65061", invite
        call_id = invite[-1][7]
        assert [r for r in seen(SBC_ACCESS, ALICE, status="200") if r[7] == call_id], rows
        assert [r for r in seen(ALICE, SBC_ACCESS, method="ACK", cseq="ACK") if r[7] == call_id]
        # Core realm: the SBC's INVITE to OSV over TCP, OSV's 200, the SBC's ACK.
        core_invite = seen(SBC_CORE, OSV, method="INVITE")
        assert core_invite and core_invite[-1][3] == "5060", rows
        core_call = core_invite[-1][7]
        assert core_call != call_id  # a B2BUA: each leg its own Call-ID
        assert [r for r in seen(OSV, SBC_CORE, status="200") if r[7] == core_call], rows
        assert [r for r in seen(SBC_CORE, OSV, method="ACK", cseq="ACK") if r[7] == core_call]

        # Text, by Call-ID: alice's leg only, keys masked; peer bytes escaped for the terminal.
        rc, text, err = app.sbcctl("trace", "sip", "--call-id", call_id)
        assert rc == 0, err
        assert f"Call-ID: {call_id}" in text and "INVITE sip:bob@pbx.local" in text, text
        assert "inline:masked" in text, text
        assert not re.search(r"inline:[A-Za-z0-9+/]{30}", text), text
        assert "\x1b" not in text
        assert "audit: SIP trace with keys" not in app.sbcd.output()

        # With keys: the SDES keys are there, and sbcd's log says who asked for them.
        rc, text, err = app.sbcctl("trace", "sip", "--call-id", call_id, "--with-keys")
        assert rc == 0, err
        assert re.search(r"inline:[A-Za-z0-9+/]{30}", text), text
        wait_until(lambda: "audit: SIP trace with keys" in app.sbcd.output(), 5, "audit line")
