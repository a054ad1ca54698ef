"""The system-level fuzz soak (issue 10): mutated INVITE, REGISTER and in-dialog requests over
real TLS connections from 60 source addresses of the access namespace (tests/system/
fuzz_client.py) against the running virtual appliance on its default config (DoS guard on),
while a clean baresip softphone registers and calls another through Kamailio as OSV.

Checked: every clean call completes with audio both ways; osv1 is never marked down; sbcd's
heap (RssAnon) stays flat after warm-up (the first call); sbcd is still running and caught no
exception; and nothing malformed or over the [sip_server] limits reaches the OSV stand-in — checked on its side, from a capture
of the core signalling (core_wire.py), and from Kamailio's log (no "buffer overrun").

A short run in every test suite (45 s, 2 calls); SBC_SOAK=1 (tools/test --long) runs 20 minutes
and 20 calls. Bounded in count (the fuzzer's message budget, the number of calls) and in time.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from call_support import active_calls, ctrl, set_tone, tone_of  # noqa: E402
from core_wire import CoreCapture, faults  # noqa: E402
from harness import Appliance, wait_until  # noqa: E402

SOAK = os.environ.get("SBC_SOAK") == "1"
FUZZ_SECONDS = int(os.environ.get("SBC_FUZZ_SOAK_SECONDS", 1200 if SOAK else 45))
FUZZ_MESSAGES = 60000 if SOAK else 1500
CALLS = max(2, FUZZ_SECONDS // 60)
SOURCES = "10.1.0.100-159"
RSS_GROWTH_LIMIT_KB = 16 * 1024


def rss_kb(pid: int) -> int:
    """sbcd's private resident memory: RssAnon (its heap), not the dataplane's shared region,
    whose pages count once touched (RssShmem) and say nothing about growth."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise RuntimeError("no RssAnon")


def newest_recording(phone) -> str | None:
    files = glob.glob(str(phone.dir / "rec" / "dump-*-dec.wav"))
    return max(files, key=os.path.getmtime) if files else None


def call_with_audio(app: Appliance, alice, bob, n: int) -> dict:
    """alice calls bob; both record; returns what each heard."""
    before = (newest_recording(alice), newest_recording(bob))
    ctrl(app, alice, "dial", "sip:bob@pbx.local")
    wait_until(lambda: bob.output().count("ncoming call") > n, 15, f"bob rings ({n})")
    ctrl(app, bob, "accept")
    wait_until(lambda: len(active_calls(app)) == 2 and
               all(c["state"] == "confirmed" for c in active_calls(app)), 15, f"call {n} up")
    time.sleep(4)
    ctrl(app, alice, "hangup")
    wait_until(lambda: not active_calls(app), 15, f"call {n} ended")
    wait_until(lambda: (newest_recording(alice), newest_recording(bob)) != before and
               None not in (newest_recording(alice), newest_recording(bob)), 10, "recordings")
    return {"alice": tone_of(newest_recording(alice)), "bob": tone_of(newest_recording(bob))}


def test_mutated_tls_traffic_from_many_sources_while_softphones_call():
    with Appliance("fzs") as app:
        base, _, last = SOURCES.rpartition(".")
        lo, hi = (int(x) for x in last.split("-"))
        for i in range(lo, hi + 1):
            subprocess.run(["ip", "-n", app.ns_acc, "addr", "add", f"{base}.{i}/24", "dev",
                            "a-sig"], check=True)
        osv = app.kamailio("osv1", "10.2.0.2")
        cap = CoreCapture(app)
        app.up()
        wait_until(lambda: app.node_state("osv1") == "up", 35, "osv1 up")
        alice = app.baresip("alice", "alice", "alicepw", 5100, 4444)
        bob = app.baresip("bob", "bob", "bobpw", 5110, 4445)
        set_tone(alice, 440.0)
        set_tone(bob, 1000.0)
        wait_until(lambda: alice.registered() and bob.registered(), 15, "baresip registered")

        fuzzer = app.start("fuzzer", [
            "/usr/bin/python3", os.path.join(os.path.dirname(__file__), "fuzz_client.py"),
            "--server", "10.1.0.1:65061", "--ca", str(app.rundir / "pki" / "ca.crt"),
            "--sources", SOURCES, "--count", str(FUZZ_MESSAGES), "--seconds", str(FUZZ_SECONDS),
            "--seed", str(int(time.time()))], app.ns_acc)
        pid = app.sbcd.pid
        heard = []
        downs = []
        rss = [rss_kb(pid)]
        started = time.monotonic()
        for n in range(CALLS):
            heard.append(call_with_audio(app, alice, bob, n))
            downs.append(app.status()["sip_server"]["nodes"][0]["went_down"])
            rss.append(rss_kb(pid))
            # Spread the calls over the fuzzing time.
            pause = started + (n + 1) * FUZZ_SECONDS / CALLS - time.monotonic()
            if pause > 0 and n + 1 < CALLS:
                time.sleep(pause)
        wait_until(lambda: not fuzzer.alive(), FUZZ_SECONDS + 120, "the fuzzer finished")
        summary = json.loads(fuzzer.output().strip().splitlines()[-1])
        rss_end = rss_kb(pid)
        # Warm-up is the first call and the fuzzing until then (connections, tables, allocator
        # arenas); from there on sbcd's heap stays flat.
        rss_start = rss[1]

        assert app.sbcd.alive(), app.sbcd.output()[-4000:]
        assert summary["sent"] >= min(FUZZ_MESSAGES, 200), summary
        for i, h in enumerate(heard):
            assert h["bob"]["440"] > 20 * h["bob"]["1000"], (i, h)
            assert h["alice"]["1000"] > 20 * h["alice"]["440"], (i, h)
        n = app.status()["sip_server"]["nodes"][0]
        assert n["state"] == "up" and n["went_down"] == 0 and set(downs) == {0}, n
        assert rss_end - rss_start < RSS_GROWTH_LIMIT_KB, (rss_start, rss_end, summary)
        assert app.status()["exceptions"]["total"] == 0, app.status()["exceptions"]
        alice.stop()
        bob.stop()

        cap.stop()
        msgs = cap.messages_to("10.2.0.2")
        bad = {m[:80]: faults(m) for m in msgs if faults(m)}
        assert not bad, bad
        assert len(msgs) > 10
        assert "buffer overrun" not in osv.output()
        print(f"fuzz soak: {summary}, {len(msgs)} messages to OSV checked, "
              f"sbcd RssAnon {rss_start} -> {rss_end} kB (start and after each call: {rss}), "
              f"{CALLS} calls with audio")
