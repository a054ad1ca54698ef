#!/usr/bin/python3
"""End-to-end media through the virtual appliance: packets per second both ways with zero loss
on the af_packet path, and the dataplane's own busy cycles per packet at that load.

The appliance's namespaces and veths (tools/appliance), sbc-dataplane on them from
config/default.toml (net_af_packet on the media veths, one worker), and cp_media_load as the
controller: it sets calls up with the media manager (SDES SRTP softphone offer, plain RTP OSV
answer, flows programmed and acknowledged), then sends G.711/20 ms streams both ways for a
while (SRTP from the access namespace, RTP from the core namespace, one socket per stream at
its SDP address) and counts what arrives. The call count grows step by step; the table shows
each step, and the last one with no loss at all is the result.

    bench/controlplane/calls/media_bench.py [--steps 100,200,400,800] [--seconds 10]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2]
PREFIX = "mbn"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", default="100,200,400,800")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--build", default=str(SOURCE / "build"))
    args = ap.parse_args()
    build = Path(args.build)
    run = Path(tempfile.mkdtemp(prefix="sbc-mbench-"))
    dp = None
    try:
        subprocess.run([SOURCE / "tools/appliance", "up", PREFIX], check=True)
        t = (SOURCE / "config/default.toml").read_text()
        t = re.sub(r'(?m)^instance = .*$', 'instance = "mbench"', t)
        t = re.sub(r"(?m)^media_port_max = 40999$", "media_port_max = 49999", t)
        t = re.sub(r"(?m)^media_port_max = 50999$", "media_port_max = 59999", t)
        cfg = run / "sbc.toml"
        cfg.write_text(t)
        log = open(run / "dataplane.log", "wb")
        dp = subprocess.Popen(["ip", "netns", "exec", f"{PREFIX}-sbc", build / "dataplane/sbc-dataplane",
                               "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if Path("/dev/shm/sbc-mbench").exists():
                break
            time.sleep(0.1)
        time.sleep(1.5)  # af_packet ports forward about a second after start
        results = []
        for n in [int(x) for x in args.steps.split(",")]:
            r = subprocess.run([build / "bench/controlplane/calls/cp_media_load", "--config", cfg,
                                "--instance", "mbench", "--acc", f"{PREFIX}-acc", "--core",
                                f"{PREFIX}-core", "--calls", str(n), "--seconds",
                                str(args.seconds)], capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                print(f"{n} calls: failed: {r.stderr.strip()}", file=sys.stderr)
                break
            j = json.loads(r.stdout)
            a2c, c2a = j["access_to_core"], j["core_to_access"]
            j["lost"] = (a2c["sent"] - a2c["received"]) + (c2a["sent"] - c2a["received"])
            results.append(j)
            print(f'{n:5d} calls  {j["pps_each_way"]:9.0f} pps each way  '
                  f'SRTP->RTP {a2c["received"]}/{a2c["sent"]}  RTP->SRTP {c2a["received"]}/{c2a["sent"]}  '
                  f'lost {j["lost"]}  dataplane {j["dataplane_busy_cycles_per_packet"]:.0f} cycles/pkt  '
                  f'drops {j["drops"]} rx_missed {j["port_rx_missed"]}', flush=True)
            time.sleep(1)
        clean = [j for j in results if j["lost"] == 0]
        if clean:
            best = clean[-1]
            print(json.dumps({"zero_loss_pps_each_way": best["pps_each_way"],
                              "zero_loss_pps_total": 2 * best["pps_each_way"],
                              "calls": best["calls"],
                              "dataplane_busy_cycles_per_packet":
                                  round(best["dataplane_busy_cycles_per_packet"], 1)}))
        return 0
    finally:
        if dp is not None:
            dp.terminate()
            try:
                dp.wait(10)
            except subprocess.TimeoutExpired:
                dp.kill()
        subprocess.run([SOURCE / "tools/appliance", "down", PREFIX], check=False)
        shutil.rmtree("/var/run/dpdk/sbc-mbench", ignore_errors=True)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
