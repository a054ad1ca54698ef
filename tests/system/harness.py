"""System-test harness: the virtual appliance (namespaces, veths, sbc-dataplane, sbcd) and the
real peers around it (Kamailio as OSV, baresip as the softphone, SIPp), each started in its
namespace and always torn down, whatever the test did.

Everything here is bounded: every wait has a deadline, every process is killed at the end.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("SBC_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BINARY_DIR = Path(os.environ.get("SBC_BINARY_DIR", SOURCE_DIR / "build" / "release"))
PEERS_DIR = Path(os.environ.get("SBC_PEERS_DIR", SOURCE_DIR / "tests" / "system" / "peers"))


def binary(name: str) -> Path:
    for sub in ("dataplane", "controlplane", "mgmt", "."):
        p = BINARY_DIR / sub / name
        if p.exists():
            return p
    raise FileNotFoundError(f"{name} not built under {BINARY_DIR}")


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """A child process in a namespace with its output in a log file."""

    def __init__(self, name: str, argv: list[str], log: Path, netns: str | None = None,
                 env: dict | None = None, cwd: Path | None = None):
        self.name = name
        self.log_path = log
        full = (["ip", "netns", "exec", netns] if netns else []) + [str(a) for a in argv]
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(full, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode


def default_config_text() -> str:
    return (SOURCE_DIR / "config" / "default.toml").read_text()


def set_key(toml_text: str, section: str | None, key: str, value: str) -> str:
    """Replaces `key = ...` in [section] (None: top level) with `key = value` (value as TOML)."""
    lines = toml_text.splitlines()
    current = None
    for i, line in enumerate(lines):
        m = re.match(r"^\s*\[+([^\]]+)\]+\s*(#.*)?$", line)
        if m:
            current = m.group(1).strip()
            continue
        if current == section and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            lines[i] = f"{key} = {value}"
            return "\n".join(lines) + "\n"
    raise KeyError(f"{section}.{key} not in config")


class Appliance:
    """The virtual appliance under test. Use as a context manager."""

    def __init__(self, prefix: str = "sbt", config_edit=None):
        self.prefix = prefix
        self.ns_acc, self.ns_sbc, self.ns_core = f"{prefix}-acc", f"{prefix}-sbc", f"{prefix}-core"
        self.rundir = Path(tempfile.mkdtemp(prefix=f"sbc-{prefix}-"))
        self.instance = prefix
        self.socket = self.rundir / "sbcd.sock"
        self.procs: list[Process] = []
        self.config_edit = config_edit
        self.dataplane: Process | None = None
        self.sbcd: Process | None = None

    # -- set-up ------------------------------------------------------------------------------
    def __enter__(self):
        subprocess.run([SOURCE_DIR / "tools" / "appliance", "up", self.prefix], check=True)
        subprocess.run([SOURCE_DIR / "tools" / "pki", self.rundir / "pki"], check=True)
        text = default_config_text()
        text = set_key(text, None, "instance", f'"{self.instance}"')
        text = set_key(text, "mgmt", "socket", f'"{self.socket}"')
        text = text.replace("/run/sbc/pki/", f"{self.rundir}/pki/")
        text = text.replace("/run/sbc/default.cdr", f"{self.rundir}/cdr.jsonl")
        if self.config_edit:
            text = self.config_edit(text)
        self.config_path = self.rundir / "sbc.toml"
        self.config_path.write_text(text)
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    def start(self, name: str, argv: list, netns: str | None, **kw) -> Process:
        p = Process(name, argv, self.rundir / f"{name}.log", netns=netns, **kw)
        self.procs.append(p)
        return p

    def start_dataplane(self, wait: bool = True) -> Process:
        self.dataplane = self.start("dataplane", [binary("sbc-dataplane"), "--config", self.config_path],
                                    self.ns_sbc)
        if wait:
            shm = Path(f"/dev/shm/sbc-{self.instance}")
            wait_until(lambda: shm.exists() or not self.dataplane.alive(), 30, "dataplane region")
            assert self.dataplane.alive(), self.dataplane.output()
        return self.dataplane

    def start_sbcd(self, wait: bool = True) -> Process:
        self.sbcd = self.start("sbcd", [binary("sbcd"), "--config", self.config_path], self.ns_sbc)
        if wait:
            wait_until(lambda: self.socket.exists() or not self.sbcd.alive(), 30, "sbcd mgmt socket")
            assert self.sbcd.alive(), self.sbcd.output()
        return self.sbcd

    # -- operating ---------------------------------------------------------------------------
    def sbcctl(self, *args, json_out: bool = False, timeout: float = 15):
        argv = [str(binary("sbcctl")), "--socket", str(self.socket)] + (["--json"] if json_out else []) \
            + [str(a) for a in args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if json_out and r.returncode == 0:
            return r.returncode, json.loads(r.stdout), r.stderr
        return r.returncode, r.stdout, r.stderr

    def status(self) -> dict:
        rc, out, err = self.sbcctl("status", json_out=True)
        assert rc == 0, err
        return out

    # -- tear-down ---------------------------------------------------------------------------
    def teardown(self):
        for p in reversed(self.procs):
            p.stop()
        subprocess.run([SOURCE_DIR / "tools" / "appliance", "down", self.prefix], check=False)
        shutil.rmtree(f"/var/run/dpdk/sbc-{self.instance}", ignore_errors=True)
        keep = os.environ.get("SBC_KEEP_RUNDIR")
        if keep:
            print(f"run directory kept: {self.rundir}")
        else:
            shutil.rmtree(self.rundir, ignore_errors=True)
