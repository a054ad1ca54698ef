"""sbcctl as an operator uses it: exit codes, error messages, local config commands."""
import json
import os
import socket
import subprocess
import tempfile
import threading
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


def listed_commands():
    r = run("--help")
    assert r.returncode == 0
    lines = r.stdout.split("commands:\n", 1)[1].splitlines()
    # "  config validate       check a config file ..." -> "config validate"
    return [l[2:24].strip() for l in lines if l.startswith("  ")]


def test_every_command_has_help_with_its_options():
    commands = listed_commands()
    assert {"status", "calls", "config validate", "blacklist", "help", "man"} <= set(commands)
    for name in commands:
        words = name.split()
        r = run(*words, "--help")
        assert r.returncode == 0, (name, r.stderr)
        assert r.stdout.startswith("usage: sbcctl " + name), r.stdout
        # `help COMMAND` says the same; global options before the command still work
        assert run("help", *words).stdout == r.stdout
        assert run("--json", *words, "-h").stdout == r.stdout
    r = run("calls", "--help")
    assert "--detail" in r.stdout and "--limit N (=200)" in r.stdout
    r = run("blacklist", "--help")
    assert "--remove ADDRESS" in r.stdout


def test_global_options_work_after_the_command_too():
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "nobody.sock"
        r = run("status", "--socket", sock)
        assert r.returncode == 3 and str(sock) in r.stderr
    r = run("config", "show", "--default", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["source"] == "embedded default"


def test_help_and_operand_errors_are_precise():
    r = run("help", "frobnicate")
    assert r.returncode == 2 and "no command 'frobnicate'" in r.stderr
    r = run("config", "validate")
    assert r.returncode == 2 and "missing FILE" in r.stderr
    assert "usage: sbcctl config validate FILE" in r.stderr
    r = run("config", "validate", "a.toml", "b.toml")
    assert r.returncode == 2 and "unexpected argument 'b.toml'" in r.stderr
    r = run("calls", "--limit", "many")
    assert r.returncode == 2 and "--limit" in r.stderr
    r = run("calls", "--bogus")
    assert r.returncode == 2 and "bogus" in r.stderr
    r = run("completion", "zsh")
    assert r.returncode == 2 and "only bash" in r.stderr


def complete(line):
    """What bash completes for `line` (the words after sbcctl; a trailing space starts a new
    word) with the script `sbcctl completion bash` prints."""
    words = line.split(" ")
    script = run("completion", "bash").stdout
    arr = " ".join("'" + w + "'" for w in [str(BIN)] + words)
    prog = (script + f"\nCOMP_WORDS=({arr}); COMP_CWORD={len(words)}; _sbcctl; "
            + 'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return [l for l in r.stdout.splitlines() if l]


def test_bash_completion_completes_commands_and_options():
    assert complete("st") == ["status"]
    assert complete("config ") == ["apply", "history", "rollback", "show", "validate"]
    assert complete("--json conf") == ["config"]
    assert complete("--socket /tmp/x.sock reg") == ["registrations"]
    assert complete("calls --") == ["--detail", "--help", "--limit"]
    assert complete("--j") == ["--json"]
    # a value or a FILE operand: nothing, so bash falls back to file names
    assert complete("blacklist --remove ") == []
    assert complete("config validate ") == []
    assert complete("--socket ") == []
    assert complete("frobnicate ") == []


def test_man_page_renders_cleanly_and_lists_every_command_with_options():
    page = run("man")
    assert page.returncode == 0
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=page.stdout,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou"], input=page.stdout,
                          capture_output=True, text=True, timeout=30).stdout
    # groff justifies a synopsis that wraps ("sbcctl   trace   sip ..."): compare words.
    words = " ".join(text.split())
    for name in listed_commands():
        assert "sbcctl " + name in words, name
    assert "--limit N" in text and "(default 200)" in text
    # the build installs the same page it generates from the binary
    built = Path(os.environ["SBC_BINARY_DIR"]) / "mgmt" / "sbcctl.8"
    assert built.read_text() == page.stdout


def test_cloudlink_commands_check_their_arguments_before_calling_sbcd():
    assert {"cloudlink status", "cloudlink link", "cloudlink unlink",
            "cloudlink push"} <= set(listed_commands())
    assert complete("cloudlink ") == ["link", "push", "status", "unlink"]
    assert complete("cloudlink link --") == ["--help", "--password-stdin", "--username", "--wait"]
    assert "--push" in run("registrations", "--help").stdout
    r = run("cloudlink", "push")
    assert r.returncode == 2 and "missing AOR" in r.stderr
    r = run("cloudlink", "status", "now")
    assert r.returncode == 2 and "unexpected argument 'now'" in r.stderr
    r = run("cloudlink", "link", "--wait", "soon")
    assert r.returncode == 2 and "--wait" in r.stderr
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "nobody.sock"
        link = [str(BIN), "--socket", str(sock), "cloudlink", "link", "--password-stdin"]
        # No password on stdin: refused before anything is sent.
        r = subprocess.run(link, input="admin\n", capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "username and password are required" in r.stderr
        r = subprocess.run(link, input="admin\nsecret\n", capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 3 and str(sock) in r.stderr
        assert "secret" not in r.stderr + r.stdout
        r = run("--socket", sock, "registrations", "--push")
        assert r.returncode == 3


def answer_once(sock: Path, result):
    """A stand-in for sbcd on `sock`: answers one request with `result`; the request it got is
    in the returned list once a command has run."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(1)
    srv.settimeout(30)
    got = []

    def serve():
        conn, _ = srv.accept()
        with conn, conn.makefile("rwb") as f:
            got.append(json.loads(f.readline()))
            f.write((json.dumps({"ok": True, "result": result}) + "\n").encode())
        srv.close()
    threading.Thread(target=serve, daemon=True).start()
    return got


def test_cloudlink_status_renders_what_sbcd_answers_whatever_its_shape():
    status = {"state": "connected", "state_text": "linked, last exchange succeeded",
              "tenant": {"id": "tenant-1001", "name": "Acme Corp"}, "linked_at": "2026-01-02",
              "base_url": "https://10.3.0.2:8443", "installation_id": "ef76428b",
              "proxy": {"source": "config", "proxy": "http://10.1.0.2:8888",
                        "no_proxy": ["localhost", "10.3.0.0/24"]},
              "last_inventory": {"at": "2026-01-02", "result": "accepted", "reports": 4,
                                 "interval_s": 3},
              "clock_offset_s": 120, "clock_error": "clock 120 s behind: configure NTP",
              "link_attempt": {"id": 2, "result": "ok", "message": "linked"}, "last_error": "",
              "push": {"counters": {"sent": 3, "failed": 1}}}
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "sbcd.sock"
        got = answer_once(sock, status)
        r = run("--socket", sock, "cloudlink", "status")
        assert r.returncode == 0, r.stderr
        assert got[0]["command"] == "cloudlink_status"
        assert "Acme Corp (tenant-1001)" in r.stdout and "bypass: localhost 10.3.0.0/24" in r.stdout
        assert "CLOCK ERROR      clock 120 s behind: configure NTP" in r.stdout
        assert "last error       -" in r.stdout
        assert "sent          3" in r.stdout
        # Members of unexpected types or missing: dashes, never a crash.
        for odd in ({}, [], None, {"proxy": [], "push": {"counters": [1]}, "tenant": "x",
                                   "last_inventory": 5, "link_attempt": {"result": {}}}):
            sock.unlink(missing_ok=True)
            answer_once(sock, odd)
            r = run("--socket", sock, "cloudlink", "status")
            assert r.returncode == 0, (odd, r.stderr)
            assert r.stdout.startswith("state            -"), r.stdout


def test_config_apply_sends_an_absolute_path_and_renders_the_outcome():
    assert {"config apply", "config rollback", "config history"} <= set(listed_commands())
    r = run("config", "apply")
    assert r.returncode == 2 and "FILE" in r.stderr + r.stdout
    refused = {"applied": False, "version": 1,
               "errors": [{"text": "/x.toml:3:1: frobnicate: unknown key"}],
               "changes": [{"key": "realm.access.sip_tls_port", "from": "65061", "to": "65071",
                            "live": False, "why": "needs a restart: the realm's ports"},
                           {"key": "user_agent[0].pattern", "from": "\"a\"", "to": "\"b\x1b[2J\"",
                            "live": True, "why": "the next call"}],
               "refusals": ["realm.access.sip_tls_port: needs a restart: the realm's ports"]}
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "sbcd.sock"
        got = answer_once(sock, refused)
        r = subprocess.run([str(BIN), "--socket", str(sock), "config", "apply", "new.toml"],
                           capture_output=True, text=True, timeout=30, cwd=d)
        assert r.returncode == 1, r.stderr
        assert got[0]["command"] == "config_apply"
        assert got[0]["args"]["file"] == str(Path(d) / "new.toml")
        assert "/x.toml:3:1: frobnicate: unknown key" in r.stdout
        assert "  realm.access.sip_tls_port: 65061 -> 65071  (needs a restart" in r.stdout
        assert "refused: realm.access.sip_tls_port: needs a restart" in r.stdout
        assert "nothing changed: version 1 is still running" in r.stdout
        assert "\x1b" not in r.stdout
        sock.unlink()
        answer_once(sock, {"applied": True, "version": 2, "errors": [], "refusals": [],
                           "changes": [{"key": "log.level", "from": "\"info\"",
                                        "to": "\"debug\"", "live": True, "why": "next line"}]})
        r = run("--socket", sock, "config", "rollback")
        assert r.returncode == 0, r.stderr
        assert "applied: version 2 is running" in r.stdout
        # Members of unexpected types or missing: dashes, never a crash.
        for odd in ({}, [], None, {"changes": [1, None, {"key": 5}], "refusals": [{}],
                                   "errors": "x", "version": []}):
            sock.unlink(missing_ok=True)
            answer_once(sock, odd)
            r = run("--socket", sock, "config", "rollback")
            assert r.returncode in (0, 1), (odd, r.stderr)
            assert "version" in r.stdout, (odd, r.stdout)
        sock.unlink(missing_ok=True)
        answer_once(sock, {"current": 2, "versions": [
            {"version": 1, "at": "2026-12-07T16:00:00Z", "origin": "start", "source": "/s.toml",
             "changes": []},
            {"version": 2, "at": "2026-12-07T16:05:00Z", "origin": "sighup", "source": "/s.toml",
             "changes": [{"key": "certificate_profile[0].certificate"}]}]})
        r = run("--socket", sock, "config", "history")
        assert r.returncode == 0, r.stderr
        assert "2 (running)" in r.stdout and "certificate_profile[0].certificate" in r.stdout
        assert "sighup" in r.stdout
E911_STATUS = {
    "emergency_numbers": {"access": ["911", "933"], "core": ["911", "933"]},
    "emergency_port_reserve": 16,
    "remote_endpoints": [{
        "name": "e911", "ssp_profile": "E911_SSP", "media_profile": "E911_RTP",
        "core_realm": "core", "core_realm_port": 5070, "access_realm": "access",
        "access_realm_port": 5080, "options_interval_s": 30, "failover_timeout_ms": 2000,
        "location_domains": [
            {"index": 0, "url": "lis1.provider.example", "port": 5060, "transport": "udp",
             "address": "10.1.0.10:5060", "state": "down", "since_s": 12,
             "reason": "OPTIONS: 503 Service Unavailable", "calls_tried": 2, "calls_failed": 1,
             "options_sent": 9, "options_answered": 7, "options_failed": 2, "went_down": 1},
            {"index": 1, "url": "lis2.provider.example", "port": 5061, "transport": "tls",
             "address": "10.1.0.11:5061", "state": "up", "since_s": 300, "reason": "",
             "calls_tried": 1, "calls_failed": 0, "options_sent": 10, "options_answered": 10,
             "options_failed": 0, "went_down": 0}],
        "failures": [{"time": 1767225600, "call": 7, "status": 503,
                      "attempts": "udp:10.1.0.10:5060: 503 Service Unavailable; "
                                  "tls:10.1.0.11:5061: \x1b[2Jtimeout"}]}],
    "counters": {"active": 1, "calls_from_access": 4, "calls_to_provider": 3, "answered": 2, "failed": 1,
                 "failovers": 1, "over_session_limit": 0},
}


def test_e911_shows_each_location_domain_its_health_and_the_last_failures():
    assert "e911" in listed_commands()
    assert run("e911", "now").returncode == 2
    with tempfile.TemporaryDirectory() as d:
        sock = Path(d) / "sbcd.sock"
        got = answer_once(sock, E911_STATUS)
        r = run("--socket", sock, "e911")
        assert r.returncode == 0, r.stderr
        assert got[0]["command"] == "e911"
        out = r.stdout
        assert "emergency numbers   access: 911, 933; core: 911, 933" in out
        assert "remote endpoint e911: from core realm core port 5070 to access realm access " \
               "port 5080" in out
        lines = out.splitlines()
        down = next(l for l in lines if "lis1.provider.example" in l)
        assert "udp:lis1.provider.example:5060" in down and " down " in down
        assert "OPTIONS: 503 Service Unavailable" in down and "9/7/2" in down and "2/1" in down
        up = next(l for l in lines if "lis2.provider.example" in l)
        assert " up " in up and "10/10/0" in up
        assert "calls no location domain took: 1 (newest last)" in out
        assert "2026-01-01 00:00:00Z call 7: 503 to the caller; udp:10.1.0.10:5060: 503" in out
        # The provider's text reaches the terminal escaped, never as a control sequence.
        assert "\x1b" not in out and "\\x1b[2Jtimeout" in out
        assert "e911: active 1, calls_from_access 4, calls_to_provider 3, answered 2, failed 1" \
            in out
        sock.unlink()
        answer_once(sock, E911_STATUS)
        r = run("--socket", sock, "--json", "e911")
        assert r.returncode == 0 and json.loads(r.stdout) == E911_STATUS
        # No location domain: said loudly. Members of unexpected types or missing: dashes.
        bare = {"remote_endpoints": [{"name": "e911", "location_domains": []}]}
        for odd, expect in ((bare, "NO LOCATION DOMAIN"), ({}, "no remote endpoint configured"),
                            ([], "no remote endpoint configured"), (None, "access: -"),
                            ({"remote_endpoints": [5, {"location_domains": [[1], None],
                                                       "failures": [{"time": "x"}, 3]}],
                              "emergency_numbers": [], "counters": []}, "call -: -")):
            sock.unlink(missing_ok=True)
            answer_once(sock, odd)
            r = run("--socket", sock, "e911")
            assert r.returncode == 0, (odd, r.stderr)
            assert expect in r.stdout, (odd, r.stdout)
