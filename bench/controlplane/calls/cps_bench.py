#!/usr/bin/python3
"""Call set-ups per second per sbcd core, with media programming.

sbc-dataplane (two net_null ports: the flows are installed, no packets move) and sbcd run on
loopback from a config made from config/default.toml; SIPp plays the softphone (INVITE with an
SRTP SDES offer over TCP to the access realm) and OSV (a SIPp UAS on the sip_server node's
address answering with plain RTP). Every call is INVITE / 180 / 200 / ACK / BYE through the
B2BUA, with the SDP rewritten, two flows programmed and acknowledged before the 200 is relayed,
and both removed at BYE, plus a call record written.

The figure: completed calls divided by the CPU time sbcd used (user + system, from
/proc/PID/stat), i.e. call set-ups per second per sbcd core, whatever else the shared machine
was doing. sbcd is pinned to one CPU, SIPp and the dataplane to the other.

    bench/controlplane/calls/cps_bench.py [--rate 1500] [--calls 30000] [--build build]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2]
sys.path.insert(0, str(SOURCE / "tests" / "system"))

from harness import set_key  # noqa: E402  (the system tests' config editor)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(pred, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise TimeoutError(what)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=1500, help="calls per second offered by SIPp")
    ap.add_argument("--calls", type=int, default=30000)
    ap.add_argument("--build", default=str(SOURCE / "build"))
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    args = ap.parse_args()
    build = Path(args.build)
    run = Path(tempfile.mkdtemp(prefix="sbc-cps-"))
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run([SOURCE / "tools" / "pki", run / "pki"], check=True, capture_output=True)
        t = (SOURCE / "config" / "default.toml").read_text()
        t = set_key(t, None, "instance", '"cpsbench"')
        t = t.replace("/run/sbc/pki/", f"{run}/pki/")
        for k, v in {"signalling_address": '"127.0.0.1"', "sip_tls_port": "0", "sip_udp_port": "0",
                     "sip_tcp_port": "15060", "media_port_min": "20000",
                     "media_port_max": "39999"}.items():
            t = set_key(t, "realm.access", k, v)
        for k, v in {"signalling_address": '"127.0.0.1"', "sip_udp_port": "0",
                     "sip_tcp_port": "15070", "media_port_min": "40000",
                     "media_port_max": "59999"}.items():
            t = set_key(t, "realm.core", k, v)
        t = set_key(t, "sip_server", "options_interval_s", "3600")
        t = set_key(t, "sip_server.node", "address", '"127.0.0.2"')
        t = set_key(t, "sip_server.node", "port", "15080")
        t = set_key(t, "calls", "max_sessions", "100000")
        t = set_key(t, "calls", "cdr_path", f'"{run}/cdr.jsonl"')
        t = set_key(t, "mgmt", "socket", f'"{run}/sbcd.sock"')
        t = set_key(t, "log", "level", '"warn"')
        # The load comes from one source (SIPp on 127.0.0.1): the DoS guard would rightly
        # blacklist it at the default 50 requests/s.
        t = set_key(t, "security.dos", "dynamic_blacklist", "false")
        t = set_key(t, "security.dos", "max_requests_per_source_per_s", "1000000")
        # The media ports: two net_null devices (flows are installed, no packets move).
        t = re.sub(r"(?ms)^eal_args = \[.*?\]", 'eal_args = ["--no-huge", "-m", "512", "--no-pci", '
                   '"--vdev=net_null0", "--vdev=net_null1"]', t)
        cfg = run / "sbc.toml"
        cfg.write_text(t)

        def start(name, argv, cpu):
            log = open(run / f"{name}.log", "wb")
            p = subprocess.Popen(["taskset", "-c", str(cpu)] + [str(a) for a in argv], stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            procs.append(p)
            return p

        # OSV first: sbcd probes it with OPTIONS as it starts.
        uas = start("sipp-uas", ["sipp", "-sf", HERE / "uas_rtp.xml", "-i", "127.0.0.2", "-p", "15080",
                                 "-t", "t1", "-aa", "-nostdin", "-mi", "127.0.0.2", "-mp", "30000"], 0)
        dp = start("dataplane", [build / "dataplane/sbc-dataplane", "--config", cfg], 0)
        wait_for(lambda: Path("/dev/shm/sbc-cpsbench").exists() or dp.poll() is not None, 30,
                 "dataplane")
        sbcd = start("sbcd", [build / "controlplane/sbcd", "--config", cfg], 1)
        wait_for(lambda: (run / "sbcd.sock").exists() or sbcd.poll() is not None, 30, "sbcd")
        if sbcd.poll() is not None:
            print((run / "sbcd.log").read_text(), file=sys.stderr)
            return 1
        time.sleep(1.0)
        cpu0 = cpu_seconds(sbcd.pid)
        t0 = time.monotonic()
        uac = subprocess.run(
            ["taskset", "-c", "0", "sipp", "127.0.0.1:15060", "-sf", HERE / "uac_srtp.xml", "-s", "bob",
             "-i", "127.0.0.3", "-p", "15090", "-t", "t1", "-r", str(args.rate), "-m", str(args.calls),
             "-l", str(args.rate * 2), "-d", "0", "-timeout", "300", "-nostdin", "-mi", "127.0.0.3",
             "-trace_stat", "-stf", run / "uac.csv"],
            cwd=run, capture_output=True, text=True, timeout=900)
        elapsed = time.monotonic() - t0
        cpu1 = cpu_seconds(sbcd.pid)
        calls = json.loads(subprocess.run([build / "mgmt/sbcctl", "--socket", run / "sbcd.sock",
                                           "--json", "calls"], capture_output=True,
                                          text=True).stdout)
        csv = (run / "uac.csv").read_text().splitlines()
        head, last = csv[0].split(";"), csv[-1].split(";")
        stat = dict(zip(head, last))
        ok = int(stat.get("SuccessfulCall(C)", "0"))
        failed = int(stat.get("FailedCall(C)", "0"))
        cpu = cpu1 - cpu0
        result = {
            "offered_rate_cps": args.rate,
            "calls_offered": args.calls,
            "calls_completed": ok,
            "calls_failed": failed,
            "wall_s": round(elapsed, 2),
            "achieved_cps": round(ok / elapsed, 1),
            "sbcd_cpu_s": round(cpu, 2),
            "cps_per_sbcd_core": round(ok / cpu, 1) if cpu > 0 else None,
            "sbcd_cpu_us_per_call": round(cpu / ok * 1e6, 1) if ok else None,
            "b2bua": calls["counters"],
            "media": {k: calls["media"][k] for k in ("flows_programmed", "flows_removed", "nacks",
                                                     "cdr_written", "sessions_created")},
            "sipp_exit": uac.returncode,
        }
        print(json.dumps(result, indent=2))
        return 0 if failed == 0 and ok == args.calls else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree("/var/run/dpdk/sbc-cpsbench", ignore_errors=True)
        if args.keep:
            print(f"run directory: {run}", file=sys.stderr)
        else:
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
