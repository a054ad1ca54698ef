"""sbcctl as an operator uses it: exit codes, error messages, local config commands."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ["SBC_BINARY_DIR"]) / "mgmt" / "sbcctl"
SRC = Path(os.environ["SBC_SOURCE_DIR"])


def run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=30)


def test_no_command_is_a_usage_error():
    r = run()
    assert r.returncode == 2
    assert "usage: sbcctl" in r.stderr


def test_help_lists_the_commands():
    r = run("--help")
    assert r.returncode == 0
    for name in ("status", "config validate", "config show", "counters"):
        assert name in r.stdout


def test_unknown_command_and_bad_option():
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = run("--socket")
    assert r.returncode == 2


def test_unreachable_sbcd_is_exit_3_with_the_path():
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "nobody.sock"
        r = run("--socket", sock, "status")
        assert r.returncode == 3
        assert str(sock) in r.stderr and "is sbcd running?" in r.stderr


def test_status_rejects_extra_arguments():
    r = run("status", "now")
    assert r.returncode == 2 and "unexpected argument 'now'" in r.stderr


def test_config_show_default_prints_the_embedded_config():
    r = run("config", "show", "--default")
    assert r.returncode == 0
    assert "# source: embedded default" in r.stdout
    assert 'instance = "default"' in r.stdout


def test_config_validate_reports_every_error_with_position():
    with tempfile.TemporaryDirectory() as d:
        bad = Path(d) / "bad.toml"
        text = (SRC / "config" / "default.toml").read_text()
        text = text.replace('instance = "default"', 'instance = "default"\nbogus_key = 1', 1)
        text = text.replace("sip_tls_port = 65061", 'sip_tls_port = "tls"', 1)
        bad.write_text(text)
        r = run("config", "validate", bad)
        assert r.returncode == 1
        lines = [l for l in r.stdout.splitlines() if l.startswith(str(bad) + ":")]
        assert any("bogus_key" in l for l in lines), r.stdout
        assert any("realm.access.sip_tls_port" in l for l in lines), r.stdout
        # every error names file:line:column
        for l in lines[:-1]:
            parts = l.split(":")
            assert parts[1].isdigit() and parts[2].isdigit(), l
        r = run("--json", "config", "validate", bad)
        assert r.returncode == 1
        j = json.loads(r.stdout)
        assert j["valid"] is False and len(j["errors"]) >= 2
        assert all(e["line"] > 0 for e in j["errors"] if e["key"] in ("bogus_key", "realm.access.sip_tls_port"))


def test_config_validate_missing_file():
    r = run("config", "validate", "/nonexistent/sbc.toml")
    assert r.returncode == 1
    assert "/nonexistent/sbc.toml" in r.stdout


def test_config_validate_needs_exactly_one_file():
    assert run("config", "validate").returncode == 2
    assert run("config", "validate", "a", "b").returncode == 2


def test_security_commands_are_listed_and_checked_before_calling_sbcd():
    r = run("--help")
    assert "security" in r.stdout and "blacklist" in r.stdout
    r = run("security", "now")
    assert r.returncode == 2 and "unexpected argument 'now'" in r.stderr
    r = run("blacklist", "--limit", "many")
    assert r.returncode == 2
    with tempfile.TemporaryDirectory() as d:
        r = run("--socket", Path(d) / "nobody.sock", "blacklist", "--limit", "5")
        assert r.returncode == 3
