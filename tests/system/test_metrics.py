"""Metrics as an operator uses them (issue 16): Prometheus from Debian scrapes sbcd's endpoint
(`mgmt.metrics_address`/`metrics_port`, loopback by default) inside the appliance's namespace,
two baresip softphones register over TLS and alice calls bob through OSV (Kamailio); PromQL over
Prometheus's HTTP API then returns the call, registration, SIP and node-health figures. The
Grafana dashboard shipped in tools/grafana is checked against the live page: every metric an
expression names is exported, and Prometheus accepts every expression.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SOURCE_DIR, Appliance, wait_until  # noqa: E402
from call_support import fast_trunk, softphones_call_and_hang_up  # noqa: E402

METRICS = "http://127.0.0.1:9464/metrics"  # the default: loopback, port 9464
PROM = "127.0.0.1:19090"
DASHBOARD = SOURCE_DIR / "tools" / "grafana" / "sbc-dashboard.json"


def curl(app: Appliance, url: str) -> str:
    r = subprocess.run(["ip", "netns", "exec", app.ns_sbc, "curl", "-sS", "--max-time", "5", url],
                       capture_output=True, text=True, timeout=15)
    assert r.returncode == 0, r.stderr
    return r.stdout


def promql(app: Appliance, expr: str) -> dict:
    url = f"http://{PROM}/api/v1/query?query=" + urllib.parse.quote(expr)
    return json.loads(curl(app, url))


def value(app: Appliance, expr: str) -> float | None:
    """The single value `expr` has now, or None when it has none (not scraped yet)."""
    r = promql(app, expr)
    assert r["status"] == "success", r
    result = r["data"]["result"]
    if len(result) != 1:
        return None
    return float(result[0]["value"][1])


def exported_names(page: str) -> set[str]:
    return {line.split()[2] for line in page.splitlines() if line.startswith("# TYPE ")}


def start_prometheus(app: Appliance):
    cfg = app.rundir / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "scrape_configs:\n  - job_name: sbc\n    static_configs:\n"
                   "      - targets: ['127.0.0.1:9464']\n")
    prom = app.start("prometheus", ["prometheus", f"--config.file={cfg}",
                                    f"--storage.tsdb.path={app.rundir / 'prom'}",
                                    f"--web.listen-address={PROM}", "--log.level=warn"],
                     app.ns_sbc)
    wait_until(lambda: not prom.alive() or _ready(app), 30, "prometheus ready")
    assert prom.alive(), prom.output()
    return prom


def _ready(app: Appliance) -> bool:
    r = subprocess.run(["ip", "netns", "exec", app.ns_sbc, "curl", "-s", "-o", "/dev/null",
                        "-w", "%{http_code}", f"http://{PROM}/-/ready"],
                       capture_output=True, text=True, timeout=10)
    return r.stdout == "200"


def test_prometheus_scrapes_a_call_and_the_dashboard_names_exported_metrics():
    with Appliance("mt1", config_edit=fast_trunk) as app:
        app.kamailio("osv1", "10.2.0.2")
        app.up()
        start_prometheus(app)
        wait_until(lambda: app.node_state("osv1") == "up", 10, "osv1 up")
        wait_until(lambda: value(app, 'up{job="sbc"}') == 1, 20, "prometheus scrapes sbcd")

        softphones_call_and_hang_up(app)

        # The call went softphone -> SBC -> OSV -> SBC -> softphone: two B2BUA calls, one from
        # each realm, both answered, each with a set-up time.
        expected = {
            "sbc_b2bua_answered_total": 2,
            "sbc_call_setup_seconds_count": 2,
            "sbc_b2bua_active": 0,
            "sbc_registrations": 2,
            'sbc_osv_node_state{node="osv1",state="up"}': 1,
            "sbc_dataplane_attached": 1,
        }
        got: dict = {}

        def settled() -> bool:
            for expr, want in expected.items():
                got[expr] = value(app, expr)
            return all(got[e] == w for e, w in expected.items())

        wait_until(settled, 20, "PromQL shows the call")
        assert settled(), got
        # The same figures as sbcctl's (one definition feeds both).
        rc, st, err = app.sbcctl("calls", json_out=True)
        assert rc == 0, err
        for name in ("calls_from_access", "calls_from_core", "answered", "failed"):
            assert value(app, f"sbc_b2bua_{name}_total") == st["counters"][name], name
        assert st["counters"]["calls_from_access"] >= 1 and st["counters"]["calls_from_core"] >= 1
        for realm, direction in (("access", "in"), ("core", "out"), ("core", "in"),
                                 ("access", "out")):
            assert value(app, f'sbc_sip_requests_total{{realm="{realm}",direction="{direction}",'
                              f'method="INVITE"}}') >= 1, (realm, direction)
        # Each client REGISTERed at least twice (401 then 200), every relay timed.
        assert value(app, "sbc_register_relay_seconds_count") >= 4
        assert value(app, "sbc_registrar_accepted_total") >= 2
        assert value(app, 'sbc_sip_transport_tls_handshakes_total{realm="access"}') >= 2
        assert value(app, 'sum(sbc_sip_responses_total{realm="access",direction="out",'
                          'class="2xx"})') >= 4
        # Set-up times are a person answering: well under the 30 s bucket, over 0.
        assert value(app, 'sbc_call_setup_seconds_bucket{le="30"}') == 2
        assert value(app, "sbc_call_setup_seconds_sum") > 0

        # The dashboard against the live page: every name exported, every expression valid.
        page = curl(app, METRICS)
        names = exported_names(page)
        assert "sbc_dataplane_drops_total" in names and "sbc_call_setup_seconds" in names
        dash = json.loads(DASHBOARD.read_text())
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        assert len(exprs) >= 20
        for expr in exprs:
            for name in re.findall(r"\bsbc_[a-z0-9_]+", expr):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                assert name in names or base in names, (expr, name)
            r = promql(app, expr)
            assert r["status"] == "success", (expr, r)
