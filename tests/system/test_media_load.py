"""No loss on the shipped config (issue 11): the virtual appliance exactly as tools/demo starts
it (the embedded default's [dataplane]: af_xdp on the media veths, one worker), 200 calls
programmed through the command ring the way sbcd programs them (bench/media/media_load), G.711
timing both ways for 20 s: SRTP from the access namespace, RTP from the core namespace.

Always asserted, whatever the host: nothing arrives damaged (every RTP payload checked byte for
byte, the SRTP of one call in 64 decrypted with libsrtp2), the dataplane drops nothing, and every
packet lost has a counted cause (the kernel rings' drops in the port counters, the kernel's
backlog, the generator's own) — loss before the SBC is never invisible. Zero loss is asserted
when the host gives the appliance its CPUs: on a 2-vCPU machine with a load average of several
per CPU from other work, the kernel's share of each packet (veth, XDP, softirq) and the worker
wait their turn for longer than any ring holds, and the test then reports the counted loss as
an expected failure (bench/media/RESULTS.md has the measurements). Counts, not timing."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import BINARY_DIR, Appliance  # noqa: E402

CALLS, SECONDS = 200, 20
# Runnable tasks per CPU above which the appliance does not get its CPUs (see above).
OVERSUBSCRIBED = 1.5


def media_load() -> str:
    path = BINARY_DIR / "bench" / "media" / "media_load"
    if not path.exists():
        raise FileNotFoundError(f"{path} not built (SBC_BENCH=ON builds it)")
    return str(path)


def generator_veth_drops(app: Appliance) -> int:
    """Drops on the generator's ends of the media veths (its namespaces' kernel)."""
    total = 0
    for ns, dev in ((app.ns_acc, "a-med"), (app.ns_core, "c-med")):
        out = subprocess.run(["ip", "-n", ns, "-j", "-s", "link", "show", "dev", dev],
                             capture_output=True, text=True, check=True).stdout
        stats = json.loads(out)[0]["stats64"]
        total += stats["rx"]["dropped"] + stats["tx"]["dropped"]
    return total


def test_200_real_timing_calls_for_20_s_lose_nothing_on_the_shipped_config():
    with Appliance("sml") as app:
        app.start_dataplane()
        argv = [media_load(), "--config", str(app.config_path), "--instance", app.instance,
                "--acc", app.ns_acc, "--core", app.ns_core, "--calls", str(CALLS),
                "--pps", "0", "--seconds", str(SECONDS)]
        load_before = os.getloadavg()[0]
        veth_before = generator_veth_drops(app)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        veth_drops = generator_veth_drops(app) - veth_before
        load = max(load_before, os.getloadavg()[0]) / os.cpu_count()
        assert r.returncode == 0, r.stderr + app.dataplane.output()
        j = json.loads(r.stdout)
        why = json.dumps(j, indent=1)  # every count and the loss by cause, when one fails
        each_way = CALLS * 50 * SECONDS
        assert j["access_to_core"]["sent"] == each_way, why
        assert j["core_to_access"]["sent"] == each_way, why
        assert j["bad"] == 0, why
        causes = j["loss_by_cause"]
        assert causes["dataplane_drops"] == 0, why
        accounted = (causes["kernel_ring_drops"] + causes["kernel_backlog_drops"] +
                     causes["generator_socket_drops"] + causes["generator_send_failed"] +
                     causes["port_rx_nombuf"] + veth_drops)
        assert j["lost"] <= accounted, "packets lost without a counted cause:\n" + why
        assert j["generator"]["access"]["decrypted_sample"] >= 3 * 50 * SECONDS, why
        out = app.dataplane.output()
        assert "packets may wait for the worker" in out, out
        if j["lost"] != 0 and load > OVERSUBSCRIBED:
            pytest.xfail(f"host oversubscribed ({load:.1f} runnable per CPU): {j['lost']} of "
                         f"{j['sent']} packets lost, {causes['kernel_ring_drops']} counted in the "
                         f"kernel rings")
        assert j["lost"] == 0 and j["received"] == 2 * each_way, why
        assert causes["kernel_ring_drops"] == 0 and causes["port_rx_missed"] == 0, why
