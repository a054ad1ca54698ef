"""No loss on the shipped config (issue 11): the virtual appliance exactly as tools/demo starts
it (the embedded default's [dataplane]: af_xdp on the media veths, one worker), 200 calls
programmed through the command ring the way sbcd programs them (bench/media/media_load), G.711
timing both ways for 20 s: SRTP from the access namespace, RTP from the core namespace. Every
packet sent must arrive, checked byte for byte (a sample of the SRTP decrypted with libsrtp2);
the dataplane drops nothing and the kernel rings drop nothing. Counts, not timing: the rate is
what a real call sends, and the assertions are on packet counts."""
from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import BINARY_DIR, Appliance  # noqa: E402

CALLS, SECONDS = 200, 20


def media_load() -> str:
    path = BINARY_DIR / "bench" / "media" / "media_load"
    if not path.exists():
        raise FileNotFoundError(f"{path} not built (SBC_BENCH=ON builds it)")
    return str(path)


def test_200_real_timing_calls_for_20_s_lose_nothing_on_the_shipped_config():
    with Appliance("sml") as app:
        app.start_dataplane()
        argv = [media_load(), "--config", str(app.config_path), "--instance", app.instance,
                "--acc", app.ns_acc, "--core", app.ns_core, "--calls", str(CALLS),
                "--pps", "0", "--seconds", str(SECONDS)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr + app.dataplane.output()
        j = json.loads(r.stdout)
        each_way = CALLS * 50 * SECONDS
        assert j["access_to_core"]["sent"] == each_way, j
        assert j["core_to_access"]["sent"] == each_way, j
        assert j["access_to_core"]["received"] == each_way, j
        assert j["core_to_access"]["received"] == each_way, j
        assert j["lost"] == 0 and j["bad"] == 0, j
        assert j["generator"]["access"]["decrypted_sample"] >= each_way // 64 - CALLS, j
        causes = j["loss_by_cause"]
        assert causes["kernel_ring_drops"] == 0 and causes["dataplane_drops"] == 0, j
        assert causes["port_rx_missed"] == 0 and causes["port_rx_nombuf"] == 0, j
        # The dataplane saw every packet: what it relayed is what arrived.
        assert j["dataplane_rx_packets"] >= 2 * each_way, j
        out = app.dataplane.output()
        assert "packets may wait for the worker" in out, out
