#!/usr/bin/python3
"""Media through the virtual appliance at load (issue 11): max lossless packet rate and max
real-timing calls of sbc-dataplane on each port kind, loss by cause, CPU per packet, and
rtpengine on the same veths under the same load.

For each port kind (--kinds: af_packet, af_xdp; the ring sizes are the dataplane's own plan from
the media port ranges) the appliance's namespaces and veths are made (tools/appliance),
sbc-dataplane starts on them from config/default.toml with the media port ranges widened to
10,000 calls a realm, and bench/media/media_load sets the calls up through the command ring and
sends SRTP one way and RTP the other. A run is lossless when every packet sent arrived intact.

  max pps:   for each --calls, the offered rate each way doubles from --start-pps until a run
             loses, then is bisected (--bisect steps); --reps searches, median and range.
  real time: calls x 50 pps each way, the call count doubled then bisected the same way.

rtpengine (--rtpengine): the same namespaces, the media veths given the SBC's media addresses
in the kernel, `rtpengine --table=-1 --num-threads=1` (userspace, one worker), calls set up
over its ng protocol (SDES SRTP offer from the softphone side, plain RTP answer from OSV),
the same generator with --calls-file. memif (--kinds memif): the dataplane's ports are memif
servers and media_load is their client (its own DPDK process): no kernel on the path.

  /usr/bin/python3 bench/media/media_bench.py --build build/release [--kinds af_packet,af_xdp]
      [--calls 1000,10000] [--one-way-calls 1000] [--seconds 5] [--reps 3] [--realtime]
      [--rtpengine] [--json OUT]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1]
PREFIX = "mbn"
INSTANCE = "mbench"
sys.path.insert(0, str(SOURCE / "tests" / "system"))
from harness import set_key  # noqa: E402


def log(*a):
    print(*a, flush=True)


def stop(proc: subprocess.Popen | None):
    """SIGTERM, then SIGKILL after 20 s."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def appliance(action: str):
    subprocess.run([SOURCE / "tools/appliance", action, PREFIX], check=action == "up")


def sbc_config(run: Path, kind: str) -> Path:
    t = (SOURCE / "config/default.toml").read_text()
    t = set_key(t, None, "instance", f'"{INSTANCE}"')
    t = set_key(t, "realm.access", "media_port_min", "20000")
    t = set_key(t, "realm.access", "media_port_max", "39999")
    t = set_key(t, "realm.core", "media_port_min", "40000")
    t = set_key(t, "realm.core", "media_port_max", "59999")
    t = set_key(t, "calls", "max_sessions", "20000") if "max_sessions" in t else t
    if kind == "memif":
        t = set_key(t, "dataplane", "ports", f'["memif:{run}/acc.sock", "memif:{run}/core.sock"]')
    else:
        t = set_key(t, "dataplane", "ports", f'["{kind}:s-amed", "{kind}:s-cmed"]')
    cfg = run / f"sbc-{kind}.toml"
    cfg.write_text(t)
    return cfg


class Target:
    """What media_load drives: sbc-dataplane (ring programming) or rtpengine (calls file)."""

    def __init__(self, name: str, base_args: list[str], pid: int):
        self.name, self.base_args, self.pid = name, base_args, pid


RUNS = [0]


def run_load(build: Path, target: Target, calls: int, pps: float, seconds: float,
             direction: str = "both") -> dict | None:
    RUNS[0] += 1
    argv = [str(build / "bench/media/media_load"), *target.base_args, "--run", str(RUNS[0]),
            "--acc", f"{PREFIX}-acc",
            "--core", f"{PREFIX}-core", "--calls", str(calls), "--pps", str(int(pps)),
            "--seconds", str(seconds), "--direction", direction]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        log(f"    media_load failed: {r.stderr.strip()}")
        return None
    j = json.loads(r.stdout)
    j["lossless"] = j["lost"] == 0 and j["bad"] == 0
    c = j["loss_by_cause"]
    log(f'    {target.name:10s} {calls:6d} calls {direction:4s} {pps:9.0f} pps/way: '
        f'sent {j["sent"]} lost {j["lost"]} bad {j["bad"]} | gen send_failed '
        f'{c["generator_send_failed"]} sock {c["generator_socket_drops"]} | kernel ring '
        f'{c["kernel_ring_drops"]} backlog {c.get("kernel_backlog_drops")} missed {c["port_rx_missed"]} '
        f'nombuf {c["port_rx_nombuf"]} '
        f'| dp drops {c["dataplane_drops_by_reason"]} | cpu/pkt '
        f'{j["cpu_ns_per_packet_delivered"]:.0f} ns busy/pkt {j["dataplane_busy_ns_per_packet"]:.0f} ns')
    return j


def search(probe, start: float, limit: float, bisect: int) -> tuple[float, dict | None]:
    """Largest value for which probe(value) is lossless: doubling, then bisection."""
    good, good_run, bad = 0.0, None, None
    v = start
    while v <= limit:
        j = probe(v)
        if j is not None and j["lossless"]:
            good, good_run = v, j
            v *= 2
        else:
            bad = v
            break
    if bad is None:
        return good, good_run
    lo, hi = good, bad
    for _ in range(bisect):
        mid = (lo + hi) / 2
        if hi - lo < max(1.0, 0.05 * hi):
            break
        j = probe(mid)
        if j is not None and j["lossless"]:
            lo, good_run = mid, j
        else:
            hi = mid
    return lo, good_run


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values} if values else {}


def measure(build: Path, target: Target, args) -> dict:
    out = {"max_pps": {}, "realtime_calls": None, "one_way": {}}
    for calls in [int(x) for x in args.calls.split(",")]:
        found, runs = [], []
        for rep in range(args.reps):
            log(f"  {target.name}: max lossless pps, {calls} calls, search {rep + 1}/{args.reps}")
            v, j = search(lambda p: run_load(build, target, calls, p, args.seconds),
                          args.start_pps, args.max_pps, args.bisect)
            found.append(v)
            if j:
                runs.append(j)
        out["max_pps"][calls] = {"pps_each_way": summary(found),
                                 "cpu_ns_per_packet": summary(
                                     [j["cpu_ns_per_packet_delivered"] for j in runs]),
                                 "busy_ns_per_packet": summary(
                                     [j["dataplane_busy_ns_per_packet"] for j in runs])}
        for direction in ("a2c", "c2a") if str(calls) in args.one_way_calls.split(",") else ():
            log(f"  {target.name}: one way {direction}, {calls} calls")
            v, j = search(lambda p: run_load(build, target, calls, p, args.seconds, direction),
                          args.start_pps, args.max_pps, args.bisect)
            out["one_way"][f"{calls} {direction}"] = {
                "pps": v, "cpu_ns_per_packet": j["cpu_ns_per_packet_delivered"] if j else None}
    if args.realtime:
        found = []
        for rep in range(args.reps):
            log(f"  {target.name}: max real-timing calls, search {rep + 1}/{args.reps}")
            v, _ = search(lambda n: run_load(build, target, int(n), 0, args.seconds),
                          args.start_calls, 10000, args.bisect)
            found.append(int(v))
        out["realtime_calls"] = summary(found)
    return out


def run_sbc(build: Path, run: Path, kind: str, args) -> dict:
    memif = kind == "memif"
    if not memif:
        appliance("up")
    dp = None
    try:
        cfg = sbc_config(run, kind)
        logf = open(run / f"dataplane-{kind}.log", "wb")
        netns = [] if memif else ["ip", "netns", "exec", f"{PREFIX}-sbc"]
        dp = subprocess.Popen(netns + [str(build / "dataplane/sbc-dataplane"), "--config", str(cfg)],
                              stdout=logf, stderr=subprocess.STDOUT)
        for _ in range(300):
            if Path(f"/dev/shm/sbc-{INSTANCE}").exists() or dp.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(2)  # kernel-backed ports forward about a second after start
        log((run / f"dataplane-{kind}.log").read_text(errors="replace"))
        extra = ["--memif", f"{run}/acc.sock,{run}/core.sock"] if memif else []
        target = Target(f"sbc/{kind}", ["--config", str(cfg), "--instance", INSTANCE, *extra],
                        dp.pid)
        return measure(build, target, args)
    finally:
        stop(dp)
        appliance("down")
        shutil.rmtree(f"/var/run/dpdk/sbc-{INSTANCE}", ignore_errors=True)


# -- rtpengine over its ng protocol ----------------------------------------------------------

def benc(o) -> bytes:
    if isinstance(o, dict):
        return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(o.items())) + b"e"
    if isinstance(o, list):
        return b"l" + b"".join(benc(x) for x in o) + b"e"
    if isinstance(o, int):
        return b"i%de" % o
    if isinstance(o, str):
        o = o.encode()
    return b"%d:%s" % (len(o), o)


def bdec(b: bytes, i: int = 0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return (out if c == b"l" else dict(zip(out[::2], out[1::2]))), i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


def ng_setup(calls: int, path: str) -> int:
    """Inside the appliance namespace: `calls` calls on rtpengine, one JSON line each."""
    ng = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ng.settimeout(5)

    def cmd(d):
        cookie = os.urandom(4).hex().encode()
        ng.sendto(cookie + b" " + benc(d), ("127.0.0.1", 2223))
        data, _ = ng.recvfrom(65535)
        r = bdec(data.partition(b" ")[2])[0]
        if r.get(b"result") != b"ok":
            raise RuntimeError(r)
        return r

    with open(path, "w") as f:
        for i in range(calls):
            key = bytes((i * 7 + 1 + k) & 0xff for k in range(30))
            sdp_a = ("v=0\r\no=- 1 1 IN IP4 10.1.1.2\r\ns=-\r\nc=IN IP4 10.1.1.2\r\nt=0 0\r\n"
                     f"m=audio {20000 + 2 * (i % 10000)} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                     f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{base64.b64encode(key).decode()}"
                     "\r\na=sendrecv\r\n")
            r = cmd({"command": "offer", "call-id": f"c{i}", "from-tag": "a", "sdp": sdp_a,
                     "transport-protocol": "RTP/AVP", "ICE": "remove",
                     "direction": ["access", "core"]})
            core_port = int(re.search(r"m=audio (\d+)", r[b"sdp"].decode()).group(1))
            sdp_b = ("v=0\r\no=- 2 1 IN IP4 10.2.1.2\r\ns=-\r\nc=IN IP4 10.2.1.2\r\nt=0 0\r\n"
                     f"m=audio {30000 + 2 * (i % 10000)} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                     "a=sendrecv\r\n")
            r = cmd({"command": "answer", "call-id": f"c{i}", "from-tag": "a", "to-tag": "b",
                     "sdp": sdp_b, "ICE": "remove"})
            sdp = r[b"sdp"].decode()
            access_port = int(re.search(r"m=audio (\d+)", sdp).group(1))
            m = re.search(r"a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)", sdp)
            f.write(json.dumps({"access_port": access_port, "core_port": core_port,
                                "client_key": key.hex(),
                                "relay_key": base64.b64decode(m.group(1))[:30].hex()}) + "\n")
    return 0


def rtpengine_call_cap() -> int:
    """rtpengine opens a socket per port, 4 per call: past its descriptor limit it answers "Ran
    out of ports". The limit is raised to the hard limit; where that is below 4 per call (this
    container: 20,000, and no CAP_SYS_RESOURCE to raise it) the call counts are capped, said
    in the log and the JSON."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return (hard - 512) // 4


def raise_fd_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_rtpengine(build: Path, run: Path, args) -> dict:
    appliance("up")
    rtp = None
    try:
        for dev, addr in (("s-amed", "10.1.1.1/24"), ("s-cmed", "10.2.1.1/24")):
            subprocess.run(["ip", "-n", f"{PREFIX}-sbc", "addr", "add", addr, "dev", dev], check=True)
        logf = open(run / "rtpengine.log", "wb")
        rtp = subprocess.Popen(["ip", "netns", "exec", f"{PREFIX}-sbc", "rtpengine",
                                "--config-file=none", "--table=-1", "--num-threads=1",
                                "--interface=access/10.1.1.1", "--interface=core/10.2.1.1",
                                "--listen-ng=127.0.0.1:2223", "--port-min=2000",
                                "--port-max=65000", "--endpoint-learning=immediate",
                                "--foreground", "--log-stderr", "--log-level=4"],
                               stdout=logf, stderr=subprocess.STDOUT,
                               preexec_fn=raise_fd_limit)
        time.sleep(2)
        out = {}
        cap = rtpengine_call_cap()
        for asked in [int(x) for x in args.calls.split(",")]:
            calls = min(asked, cap)
            if calls != asked:
                log(f"rtpengine: {asked} calls need {4 * asked} descriptors; the limit allows "
                    f"{calls} calls")
            path = run / f"rtpengine-{calls}.jsonl"
            # Each search point sets up its own calls (rtpengine keeps per-call stream state).
            subprocess.run(["ip", "netns", "exec", f"{PREFIX}-sbc", "/usr/bin/python3", __file__,
                            "--ng-setup", str(calls), str(path)], check=True, timeout=600)
            target = Target("rtpengine", ["--calls-file", str(path), "--pid", str(rtp.pid)],
                            rtp.pid)
            a = argparse.Namespace(**vars(args))
            a.calls, a.realtime = str(calls), False
            out.update(measure(build, target, a)["max_pps"])
        res = {"max_pps": out, "realtime_calls": None, "call_cap": cap}
        if args.realtime:
            path = run / "rtpengine-rt.jsonl"
            subprocess.run(["ip", "netns", "exec", f"{PREFIX}-sbc", "/usr/bin/python3", __file__,
                            "--ng-setup", str(min(10000, cap)), str(path)], check=True,
                           timeout=900)
            target = Target("rtpengine", ["--calls-file", str(path), "--pid", str(rtp.pid)],
                            rtp.pid)
            found = []
            for _ in range(args.reps):
                v, _ = search(lambda n: run_load(build, target, int(n), 0, args.seconds),
                              args.start_calls, min(10000, cap), args.bisect)
                found.append(int(v))
            res["realtime_calls"] = summary(found)
        return res
    finally:
        stop(rtp)
        appliance("down")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--ng-setup":
        return ng_setup(int(sys.argv[2]), sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(SOURCE / "build" / "release"))
    ap.add_argument("--kinds", default="af_packet,af_xdp")
    ap.add_argument("--calls", default="1000,10000")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--start-pps", type=float, default=10000)
    ap.add_argument("--max-pps", type=float, default=2_000_000)
    ap.add_argument("--start-calls", type=float, default=250)
    ap.add_argument("--bisect", type=int, default=4)
    ap.add_argument("--one-way-calls", default="1000",
                    help="call counts also searched one direction at a time")
    ap.add_argument("--realtime", action="store_true")
    ap.add_argument("--rtpengine", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    build = Path(args.build)
    run = Path(tempfile.mkdtemp(prefix="sbc-mbench-"))
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "cpu": next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                           if l.startswith("model name")),
               "vaes": " vaes" in open("/proc/cpuinfo").read(),
               "sbc": {}}
    try:
        for kind in [k for k in args.kinds.split(",") if k]:
            log(f"== sbc-dataplane, ports {kind}")
            results["sbc"][kind] = run_sbc(build, run, kind, args)
        if args.rtpengine:
            log("== rtpengine --table=-1 --num-threads=1")
            results["rtpengine"] = run_rtpengine(build, run, args)
    finally:
        appliance("down")
        log(json.dumps(results, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        shutil.rmtree(run, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
