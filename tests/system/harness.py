"""System-test harness: the virtual appliance (namespaces, veths, sbc-dataplane, sbcd) and the
real peers around it (Kamailio as OSV, baresip as the softphone, SIPp), each started in its
namespace and always torn down, whatever the test did.

Everything here is bounded: every wait has a deadline, every process is killed at the end.
"""
from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import subprocess
import tempfile
import time
import traceback
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
        if not self.log.closed:
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
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    # SIGKILL cannot be ignored, but a process leaving the kernel (DPDK
                    # releasing its memory on a loaded machine) may take a while.
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    print(f"harness: {self.name} (pid {self.proc.pid}) survived SIGKILL for 30 s")
        if not self.log.closed:
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


class NetnsWorker:
    """A forked child living in a network namespace that runs functions for the test:
    `worker.call(fn, *args)` runs fn(*args) in the child and returns its (pickled) result.
    Sockets a function opens belong to the namespace, and state a function keeps in module
    globals survives between calls (e.g. an open TLS connection), so a test can interleave
    client steps with actions of its own (killing a peer). fn must be a module-level function.
    """

    CLONE_NEWNET = 0x40000000

    def __init__(self, netns: str):
        self.netns = netns
        parent, child = multiprocessing.Pipe()
        self.pid = os.fork()
        if self.pid == 0:  # child
            parent.close()
            code = 0
            try:
                fd = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.setns(fd, self.CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {netns}")
                os.close(fd)
                while True:
                    msg = child.recv()
                    if msg is None:
                        break
                    fn, args, kwargs = msg
                    try:
                        child.send(("ok", fn(*args, **kwargs)))
                    except BaseException:  # report everything to the test
                        child.send(("err", traceback.format_exc()))
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        child.close()
        self.conn = parent

    def call(self, fn, *args, timeout: float = 60.0, **kwargs):
        self.conn.send((fn, args, kwargs))
        if not self.conn.poll(timeout):
            raise TimeoutError(f"{fn.__name__} in {self.netns} took more than {timeout}s")
        status, value = self.conn.recv()
        if status == "err":
            raise RuntimeError(f"{fn.__name__} in {self.netns} failed:\n{value}")
        return value

    def close(self):
        if self.pid <= 0:
            return
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = 0


class Kamailio:
    """Kamailio as one OSV node (tests/system/peers/kamailio/osv-node.cfg) in the core namespace:
    digest auth against db_text users, the SBC NOT trusted. `registers()` reads what reached it
    from its log, `location()` its location table (kamcmd ul.dump)."""

    def __init__(self, app: "Appliance", name: str, address: str, max_expires: int = 3600,
                 trusted_ip: str = "10.2.0.3"):
        self.app, self.name, self.address = app, name, address
        self.dir = app.rundir / name
        self.dir.mkdir(exist_ok=True)
        shutil.copytree(PEERS_DIR / "kamailio" / "dbtext", self.dir / "dbtext", dirs_exist_ok=True)
        text = (PEERS_DIR / "kamailio" / "osv-node.cfg").read_text()
        for key, value in {"@LISTEN@": address, "@RUNDIR@": str(self.dir),
                           "@MAX_EXPIRES@": str(max_expires), "@TRUSTED_IP@": trusted_ip,
                           "@NAME@": name}.items():
            text = text.replace(key, value)
        self.cfg = self.dir / "kamailio.cfg"
        self.cfg.write_text(text)
        self.ctl = self.dir / "kamailio.ctl"
        self.proc: Process | None = None
        self.runs: list[Process] = []
        self.start()

    def start(self):
        if self.ctl.exists():
            self.ctl.unlink()
        self.proc = self.app.start(f"{self.name}-{len(self.app.procs)}",
                                   ["kamailio", "-f", self.cfg, "-DD", "-E", "-Y", self.dir,
                                    "-w", self.dir, "-m", "64", "-M", "8"], self.app.ns_core)
        self.runs.append(self.proc)
        wait_until(lambda: self.ctl.exists() or not self.proc.alive(), 10, f"{self.name} ready")
        assert self.proc.alive(), self.proc.output()

    def kill(self):
        """Dies as a crashed node would: SIGKILL, its sockets closed by the kernel."""
        self.proc.stop(sig=signal.SIGKILL)

    def output(self) -> str:
        """The log of every run of this node (it may have been killed and started again)."""
        return "".join(p.output() for p in self.runs)

    def registers(self, kind: str = "SAVED") -> list[str]:
        """Log lines REGISTER-IN / REGISTER-CHALLENGED / REGISTER-SAVED of this process."""
        return [l for l in self.output().splitlines() if f"REGISTER-{kind} " in l]

    def location(self) -> list[dict]:
        """[{aor, contact, expires, received, user_agent}] from ul.dump."""
        r = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", "ul.dump"], capture_output=True,
                           text=True, timeout=10)
        out, current = [], {}
        aor = None
        for line in r.stdout.splitlines():
            line = line.strip()
            if line.startswith("AoR:"):
                aor = line.split(":", 1)[1].strip()
            elif line.startswith("Address:"):
                current = {"aor": aor, "contact": line.split(":", 1)[1].strip()}
                out.append(current)
            elif ":" in line and current:
                k, v = line.split(":", 1)
                k = k.strip().lower().replace("-", "_")
                if k in ("expires", "received", "user_agent", "socket"):
                    current[k] = v.strip()
        return out


class Baresip:
    """baresip as a softphone in the access namespace, registering over TLS through the SBC
    (outbound proxy = the SBC's TLS port). baresip also binds sip_port + 1 (TLS): give
    instances ports at least 2 apart."""

    def __init__(self, app: "Appliance", name: str, user: str, password: str, sip_port: int,
                 ctrl_port: int, regint: int = 300, mediaenc: str | None = "srtp-mand",
                 sbc: str = "10.1.0.1:65061", extra_config: str = ""):
        self.app, self.name, self.user = app, name, user
        self.dir = app.rundir / name
        self.dir.mkdir(exist_ok=True)
        self.ctrl_port = ctrl_port
        tone = self.dir / "tone.wav"
        make_tone_wav(tone, 440.0, 2.0)
        (self.dir / "config").write_text(f"""poll_method\t\tepoll
net_interface\t\t10.1.0.2
sip_listen\t\t10.1.0.2:{sip_port}
sip_cafile\t\t{app.rundir}/pki/ca.crt
call_local_timeout\t120
call_max_calls\t\t4
audio_player\t\taubridge,nil_{name}
audio_alert\t\taubridge,nil_{name}
audio_source\t\taufile,{tone}
ausrc_srate\t\t8000
auplay_srate\t\t8000
ausrc_channels\t\t1
auplay_channels\t\t1
audio_level\t\tno
rtp_ports\t\t{20000 + 20 * (sip_port % 100)}-{20019 + 20 * (sip_port % 100)}
rtcp_mux\t\tno
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
module\t\t\tsrtp.so
module_tmp\t\tuuid.so
module_tmp\t\taccount.so
module_app\t\tcontact.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
snd_path\t\t{self.dir}/rec
{extra_config}""")
        media = f";mediaenc={mediaenc}" if mediaenc else ""
        (self.dir / "accounts").write_text(
            f'<sip:{user}@pbx.local;transport=tls>;auth_pass={password};'
            f'outbound="sip:{sbc};transport=tls"{media};audio_codecs=PCMU,PCMA;'
            f'regint={regint};answermode=manual\n')
        self.proc = app.start(name, ["baresip", "-f", self.dir], app.ns_acc)

    def output(self) -> str:
        return self.proc.output()

    def registered(self) -> bool:
        return re.search(rf"{self.user}@pbx.local: .*200 OK", self.output()) is not None

    def stop(self):
        self.proc.stop()


def make_tone_wav(path: Path, freq: float, seconds: float, rate: int = 8000):
    import math
    import struct
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                          for i in range(int(rate * seconds)))
        w.writeframes(frames)


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
        self.workers: list[NetnsWorker] = []

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

    def start_sbcd(self, wait: bool = True, extra: tuple = ()) -> Process:
        self.sbcd = self.start("sbcd", [binary("sbcd"), "--config", self.config_path, *extra],
                               self.ns_sbc)
        if wait:
            wait_until(lambda: self.socket.exists() or not self.sbcd.alive(), 30, "sbcd mgmt socket")
            assert self.sbcd.alive(), self.sbcd.output()
        return self.sbcd

    def up(self) -> "Appliance":
        """Both processes of the appliance, waiting until sbcd answers."""
        self.start_dataplane()
        self.start_sbcd()
        return self

    def kamailio(self, name: str, address: str, **kw) -> Kamailio:
        return Kamailio(self, name, address, **kw)

    def baresip(self, name: str, user: str, password: str, sip_port: int, ctrl_port: int,
                **kw) -> Baresip:
        return Baresip(self, name, user, password, sip_port, ctrl_port, **kw)

    def worker(self, netns: str) -> NetnsWorker:
        """A NetnsWorker in one of the appliance's namespaces (closed at teardown)."""
        w = NetnsWorker(netns)
        self.workers.append(w)
        return w

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

    def registrations(self, aor: str | None = None) -> list[dict]:
        """`sbcctl --json registrations` as a list of {column: value}."""
        args = ["registrations"] + (["--aor", aor] if aor else [])
        rc, out, err = self.sbcctl(*args, json_out=True)
        assert rc == 0, err
        return [dict(zip(out["columns"], row)) for row in out["rows"]]

    def osv_user_rings_and_cancels(self, user: str):
        """An OSV user (SIPp at 10.2.0.3, trusted by Kamailio) calls `user`; Kamailio routes by
        the flow token to the SBC; the caller cancels after the ringing. Asserts SIPp passed."""
        scenario = PEERS_DIR / "sipp" / "uac_cancel.xml"
        err = self.rundir / "sipp_err.log"
        r = subprocess.run(["ip", "netns", "exec", self.ns_core, "sipp", "10.2.0.2:5060",
                            "-sf", scenario, "-s", user, "-i", "10.2.0.3", "-p", "5070",
                            "-t", "t1", "-m", "1", "-timeout", "20s", "-timeout_error",
                            "-trace_err", "-error_file", err],
                           capture_output=True, text=True, timeout=40, cwd=self.rundir)
        assert r.returncode == 0, (r.stdout[-2000:], err.read_text() if err.exists() else "")

    def sip_counters(self) -> dict:
        """`sbcctl --json sip` as {"part.counter": value}."""
        rc, out, err = self.sbcctl("sip", json_out=True)
        assert rc == 0, err
        return {f"{part}.{name}": value for part, name, value in out["rows"]}

    def node_state(self, name: str) -> str:
        for n in self.status()["sip_server"]["nodes"]:
            if n["name"] == name:
                return n["state"]
        raise KeyError(name)

    # -- tear-down ---------------------------------------------------------------------------
    def teardown(self):
        # Whatever fails here, the namespaces and run files still go.
        for w in self.workers:
            try:
                w.close()
            except Exception as e:  # noqa: BLE001
                print(f"harness: closing a worker: {e}")
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # noqa: BLE001
                print(f"harness: stopping {p.name}: {e}")
        subprocess.run([SOURCE_DIR / "tools" / "appliance", "down", self.prefix], check=False)
        shutil.rmtree(f"/var/run/dpdk/sbc-{self.instance}", ignore_errors=True)
        keep = os.environ.get("SBC_KEEP_RUNDIR")
        if keep:
            print(f"run directory kept: {self.rundir}")
        else:
            shutil.rmtree(self.rundir, ignore_errors=True)
