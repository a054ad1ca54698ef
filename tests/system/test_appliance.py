"""The virtual appliance's processes (issue 2): sbc-dataplane and sbcd start in their namespace on
one config, attach to each other, answer sbcctl, and stop cleanly on SIGTERM leaving nothing
behind; sbcd refuses a dataplane of another contract version and waits for one that starts late."""
import os
import signal
import struct
import subprocess
from pathlib import Path

import pytest

from harness import Appliance, binary, wait_until

PREFIX = "sbt2"


def leftovers(app: Appliance) -> list[str]:
    found = []
    for p in (Path(f"/dev/shm/sbc-{app.instance}"), Path(f"/var/run/dpdk/sbc-{app.instance}"), app.socket):
        if p.exists():
            found.append(str(p))
    return found


def test_both_processes_attach_answer_sbcctl_and_stop_cleanly():
    with Appliance(PREFIX) as app:
        app.start_dataplane()
        app.start_sbcd()
        st = wait_until(lambda: (s := app.status())["dataplane"].get("ports") and s, 10, "status with ports")
        assert st["instance"] == app.instance
        assert st["config_source"] == str(app.config_path)
        dp = st["dataplane"]
        assert dp["attached"] is True and dp["state"] == "running"
        assert dp["pid"] == int(Path(f"/dev/shm/sbc-{app.instance}").exists() and dp["pid"])
        assert len(dp["ports"]) == 2 and all(p["up"] for p in dp["ports"])
        assert dp["heartbeat_age_ms"] < 2000
        assert {r["name"] for r in st["realms"]} == {"access", "core"}

        # Something reaches the media ports: an ARP for the access media address from the
        # softphone side is answered by the dataplane (the kernel there learns its MAC).
        subprocess.run(["ip", "netns", "exec", app.ns_acc, "ping", "-c", "1", "-W", "1", "10.1.1.1"],
                       capture_output=True, timeout=10)
        neigh = subprocess.run(["ip", "-n", app.ns_acc, "neigh", "show", "10.1.1.1"],
                               capture_output=True, text=True).stdout
        assert dp["ports"][0]["mac"] in neigh, neigh

        rc, text, err = app.sbcctl("status")
        assert rc == 0, err
        assert "dataplane   attached" in text and "realm access" in text
        rc, counters, err = app.sbcctl("counters", json_out=True)
        assert rc == 0, err
        assert counters["columns"][0] == "reason"
        assert any(row[0] == "no_flow" for row in counters["rows"])
        rc, cfg, err = app.sbcctl("config", "show", json_out=True)
        assert rc == 0 and f'instance = "{app.instance}"' in cfg["toml"]

        assert app.sbcd.stop(signal.SIGTERM) == 0, app.sbcd.output()
        assert app.dataplane.stop(signal.SIGTERM) == 0, app.dataplane.output()
        assert leftovers(app) == []


def test_sbcd_waits_for_a_late_dataplane():
    with Appliance(PREFIX) as app:
        app.start_sbcd(wait=False)
        wait_until(lambda: "attaching to dataplane" in app.sbcd.output(), 10,
                   "sbcd to wait for the dataplane")
        assert app.sbcd.alive(), app.sbcd.output()
        assert not app.socket.exists()  # not serving before it is attached
        app.start_dataplane()
        wait_until(lambda: app.socket.exists(), 20, "sbcd to attach and open its socket")
        assert app.status()["dataplane"]["attached"] is True


def test_sbcd_gives_up_with_a_clear_message_when_no_dataplane_comes():
    with Appliance(PREFIX) as app:
        p = app.start("sbcd", [binary("sbcd"), "--config", app.config_path, "--dataplane-wait", "1"],
                      app.ns_sbc)
        rc = p.proc.wait(15)
        assert rc == 1
        assert f"/dev/shm/sbc-{app.instance} does not exist" in p.output()


def test_sbcd_refuses_a_dataplane_of_another_contract_version():
    with Appliance(PREFIX) as app:
        # A region that looks like ours but speaks contract version 999.
        region = Path(f"/dev/shm/sbc-{app.instance}")
        header = struct.pack("<QII", 0x314D485343425300, 999, 4096) + bytes(4096 - 16)
        region.write_bytes(header)
        try:
            p = app.start("sbcd", [binary("sbcd"), "--config", app.config_path, "--dataplane-wait", "10"],
                          app.ns_sbc)
            rc = p.proc.wait(8)  # refused at once, not after the wait
            assert rc == 1
            out = p.output()
            assert "version mismatch" in out and "999" in out, out
        finally:
            region.unlink(missing_ok=True)


def test_dataplane_refuses_bad_config_before_starting():
    with Appliance(PREFIX, config_edit=lambda t: t.replace("burst = 32", "burst = 1000")) as app:
        p = app.start("dataplane", [binary("sbc-dataplane"), "--config", app.config_path], app.ns_sbc)
        rc = p.proc.wait(15)
        assert rc != 0
        assert "dataplane.burst" in p.output()
        assert leftovers(app) == []
