#!/usr/bin/python3
"""Push call flow latency through the virtual appliance (issue 14, guide 7.6, RFC 8599).

The system tests' appliance (tests/system: namespaces, sbc-dataplane, sbcd on a config made from
config/default.toml, Kamailio as OSV, the CloudLink stand-in over HTTPS in its own namespace, a
scripted TLS client with pn-* parameters). Each round: the mobile client's connection is closed
(the app sleeps); an OSV user (SIPp) calls it; the stand-in records the push; the client
re-registers over a new TLS connection (first REGISTER unauthenticated: OSV's challenge is part
of the wake, as for an app whose nonce went stale) and answers the held INVITE; the caller hangs up.

Two figures per round, both from one clock (the host's wall clock: sbcd's SIP trace and the
stand-in's request record):
  invite->push  OSV's INVITE received by sbcd (trace, core realm) -> the push request received
                by CloudLink (stand-in), i.e. sbcd's decision, the HTTPS request and its transit;
  wake->invite  the client's first REGISTER received by sbcd (trace, access realm) -> the held
                INVITE sent to the client (trace), i.e. the REGISTER relayed to OSV and back,
                challenge included, and the INVITE released.
The appliance is otherwise idle (no other calls). Run as root under the system tests' lock:

    flock /tmp/sbc-serial.lock bench/controlplane/push/push_bench.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2]
sys.path.insert(0, str(SOURCE / "tests" / "system"))

import sipclient  # noqa: E402
from cloudlink_net import cloudlink_config  # noqa: E402
from harness import Appliance, set_key, wait_until  # noqa: E402
from call_support import fast_trunk  # noqa: E402
from sipp_osv import BYE_AND_200, Sipp, sipp_uac_call  # noqa: E402
import test_push  # noqa: E402  (the push system test's set-up: link, OSV user, sleeping mobile)


def trace(app: Appliance) -> list[dict]:
    rc, out, err = app.sbcctl("trace", "sip", "--limit", "80", json_out=True)
    assert rc == 0, err
    msgs = []
    for m in out["messages"]:
        text = bytes.fromhex(m["bytes_hex"]).decode(errors="replace")
        msgs.append({"t": m["time_ns"] / 1e9, "realm": m["realm"], "dir": m["direction"],
                     "first": text.split("\r\n", 1)[0]})
    return msgs


def one_round(app, cloud, pcap, ca, acc, n: int) -> tuple[float, float]:
    caller = Sipp(app, f"sipp-bench{n}", sipp_uac_call(pcap, '  <pause milliseconds="300"/>\n' +
                                                         BYE_AND_200),
                  ["10.2.0.2:5060", "-s", "bob", "-m", "1", "-timeout", "30s"])
    wait_until(lambda: len(cloud.requests("/v1/push")) == n + 1, 15, "push at CloudLink")
    push_wall = cloud.requests("/v1/push")[-1]["wall"]
    test_push.register_mobile(acc, ca)
    inv = acc.call(sipclient.answer_invite, "mobile", 15.0)
    assert inv and inv["method"] == "INVITE", inv
    assert caller.wait(30) == 0, caller.errors()
    msgs = trace(app)
    inv_in = [m["t"] for m in msgs if m["realm"] == "core" and m["dir"] == "in"
              and m["first"].startswith("INVITE ") and m["t"] <= push_wall]
    reg_in = [m["t"] for m in msgs if m["realm"] == "access" and m["dir"] == "in"
              and m["first"].startswith("REGISTER ") and m["t"] >= push_wall]
    inv_out = [m["t"] for m in msgs if m["realm"] == "access" and m["dir"] == "out"
               and m["first"].startswith("INVITE ") and reg_in and m["t"] >= reg_in[0]]
    assert inv_in and reg_in and inv_out, msgs
    acc.call(sipclient.close_client, "mobile")
    wait_until(lambda: [r["flow"] for r in app.registrations()] == ["none"], 10, "asleep")
    return push_wall - inv_in[-1], inv_out[0] - reg_in[0]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    if not 1 <= args.rounds <= 200:
        ap.error("--rounds: 1..200")
    os.environ.setdefault("SBC_BINARY_DIR", str(SOURCE / "build" / "release"))
    app = Appliance("pb")
    app.config_edit = lambda t: cloudlink_config(app, proxy=False)(
        set_key(set_key(fast_trunk(t), "push", "invite_wait_s", "20"),
                "push", "max_per_device_per_minute", "600"))
    to_push, to_invite = [], []
    with app:
        cloud, pcap, ca, acc = test_push.linked_with_a_sleeping_mobile(app)
        for n in range(args.rounds):
            a, b = one_round(app, cloud, pcap, ca, acc, n)
            to_push.append(a * 1e3)
            to_invite.append(b * 1e3)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print(f"CPU: {cpu}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"rounds: {args.rounds}")
    for name, xs in (("invite->push", to_push), ("wake->invite", to_invite)):
        print(f"{name:13s} ms: p50 {statistics.median(xs):.1f}  p99 {pct(xs, 99):.1f}  "
              f"min {min(xs):.1f}  max {max(xs):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
