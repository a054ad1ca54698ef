"""The internet side for CloudLink system tests: the PREFIX-cloud namespace (tools/appliance
cloud) with the CloudLink stand-in (tools/cloudlink-standin, real HTTPS with the test PKI), and
a real HTTP proxy (Debian's tinyproxy, CONNECT tunnelling, Basic authentication) in the
softphones' namespace, between the appliance and the cloud."""
from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

from harness import SOURCE_DIR, Appliance, set_key, wait_until

STANDIN = ("10.3.0.2", 8443)
PROXY = ("10.1.0.2", 8888)
PROXY_USER, PROXY_PASSWORD = "sbc", "proxy-pw-7"


def cloudlink_config(app: Appliance, proxy: bool = True, no_proxy: list[str] | None = None,
                     proxy_password: str = PROXY_PASSWORD, inventory_s: int = 3):
    """A config edit: CloudLink on, through the proxy (or not), state in the run directory."""
    def edit(text: str) -> str:
        text = set_key(text, "cloudlink", "enable", "true")
        text = set_key(text, "cloudlink", "base_url", f'"https://{STANDIN[0]}:{STANDIN[1]}"')
        text = set_key(text, "cloudlink", "state_dir", f'"{app.rundir}/cloudlink"')
        text = set_key(text, "cloudlink", "inventory_interval_s", str(inventory_s))
        text = text.replace('state_dir = ', f'ca = "{app.rundir}/pki/ca.crt"\nstate_dir = ', 1)
        if proxy:
            pw = app.rundir / "proxy.pass"
            pw.write_text(proxy_password + "\n")
            os.chmod(pw, 0o600)
            text = set_key(text, "cloudlink.proxy", "enable", "true")
            text = text.replace(
                "[cloudlink.proxy]\nenable = true\n",
                f'[cloudlink.proxy]\nenable = true\naddress = "{PROXY[0]}"\nport = {PROXY[1]}\n'
                f'username = "{PROXY_USER}"\npassword_file = "{pw}"\n'
                f"no_proxy = {json.dumps(no_proxy or [])}\n")
        return text
    return edit


class Cloud:
    """The stand-in in PREFIX-cloud and tinyproxy in PREFIX-acc, started after `app` entered."""

    def __init__(self, app: Appliance):
        self.app = app
        subprocess.run([SOURCE_DIR / "tools" / "appliance", "cloud", app.prefix], check=True)
        self.control_path = app.rundir / "standin.sock"
        self.standin = app.start(
            "standin", ["/usr/bin/python3", SOURCE_DIR / "tools" / "cloudlink-standin",
                        "--listen", f"{STANDIN[0]}:{STANDIN[1]}",
                        "--cert", app.rundir / "pki" / "cloud.crt",
                        "--key", app.rundir / "pki" / "cloud.key",
                        "--control", self.control_path], f"{app.prefix}-cloud")
        wait_until(lambda: "listening" in self.standin.output() or not self.standin.alive(), 30,
                   "stand-in listening")
        assert self.standin.alive(), self.standin.output()
        tp = app.rundir / "tinyproxy"
        tp.mkdir()
        os.chmod(tp, 0o777)
        (tp / "tinyproxy.conf").write_text(f"""User nobody
Group nogroup
Port {PROXY[1]}
Listen {PROXY[0]}
Timeout 30
MaxClients 20
Allow 10.1.0.0/24
BasicAuth {PROXY_USER} {PROXY_PASSWORD}
ConnectPort {STANDIN[1]}
LogLevel Connect
""")
        self.proxy = app.start("tinyproxy", ["tinyproxy", "-d", "-c", tp / "tinyproxy.conf"],
                               app.ns_acc)
        wait_until(lambda: "Initializing tinyproxy" in self.proxy.output()
                   or not self.proxy.alive(), 15, "tinyproxy up")
        assert self.proxy.alive(), self.proxy.output()

    def control(self, cmd: dict) -> dict:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(str(self.control_path))
        s.sendall((json.dumps(cmd) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def requests(self, path: str) -> list[dict]:
        return [r for r in self.control({"cmd": "records"})["records"] if r["path"] == path]

    def proxy_connects(self) -> list[str]:
        return [l for l in self.proxy.output().splitlines() if "Request" in l and "CONNECT" in l]


def link(app: Appliance, user: str = "admin", password: str = "secret"):
    """`sbcctl cloudlink link` as a script does it: credentials on stdin. (rc, stdout, stderr)"""
    argv = [str(app_binary("sbcctl")), "--socket", str(app.socket), "cloudlink", "link",
            "--password-stdin", "--wait", "30"]
    r = subprocess.run(argv, input=f"{user}\n{password}\n", capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stdout, r.stderr


def app_binary(name: str) -> Path:
    from harness import binary
    return binary(name)


def cloudlink_status(app: Appliance) -> dict:
    rc, out, err = app.sbcctl("cloudlink", "status", json_out=True)
    assert rc == 0, err
    return out
