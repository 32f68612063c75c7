"""Dashboard and alert rules: current with their generator, and built on metrics that exist."""

from __future__ import annotations

import json
import re
import sys

import yaml
from conftest import CHART, DEPLOY

sys.path.insert(0, str(DEPLOY / "tools"))
import gen_dashboard

ROOT = DEPLOY.parent
DASHBOARD = CHART / "files" / "dashboard.json"
ALERTS = CHART / "files" / "alerts.yaml"
# Domain metrics the dashboard reads although no service exports them yet (OPERATIONS.md "Metrics").
ASSUMED: set[str] = set()


def exported_metrics() -> set[str]:
    """Metric names declared with prometheus_client in libs/common and the services."""
    names = set()
    for path in [*ROOT.glob("libs/common/src/xueji_common/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        for kind, name in re.findall(
            r"\b(Counter|Gauge|Histogram|Summary)\(\s*[\"'](\w+)[\"']", path.read_text()
        ):
            names.add(name)
            if kind == "Histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            if kind == "Counter" and not name.endswith("_total"):
                names.add(f"{name}_total")
    # Custom collectors (counted on scrape) name their metric in a module constant.
    for path in ROOT.glob("services/*/src/**/metrics.py"):
        names |= set(re.findall(r"^NAME = [\"'](xueji_\w+)[\"']", path.read_text(), re.M))
    return names


def metric_names(expr: str) -> set[str]:
    return {m for m in re.findall(r"\b(xueji_\w+)\b(?=\s*[{\[)])", expr) if m != "xueji_service"}


def test_dashboard_json_is_current():
    assert DASHBOARD.read_text() == gen_dashboard.render(), "run deploy/tools/gen_dashboard.py"


def test_dashboard_covers_the_issue_panels_and_uses_existing_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    titles = " | ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in (
        "calls",
        "errors",
        "latency",
        "published",
        "consumed",
        "outbox backlog",
        "dedup outcomes",
        "applications by state",
    ):
        assert topic in titles, topic
    known = exported_metrics() | ASSUMED
    used = set().union(*(metric_names(t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])))
    assert used and used <= known, used - known
    assert (exported_metrics() & used) >= {"xueji_grpc_server_handled_total", "xueji_outbox_backlog"}


def test_alert_rules_cover_errors_latency_backlog_and_down_workers():
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    rules = {r["alert"]: r for g in groups for r in g["rules"]}
    assert {
        "XuejiGrpcErrorRateHigh",
        "XuejiGrpcLatencyHigh",
        "XuejiOutboxBacklogGrowing",
        "XuejiWorkerDown",
    } <= set(rules)
    known = exported_metrics() | {"up"}
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"] and rule["for"], name
        assert metric_names(rule["expr"]) <= known, name


# Labels prometheus-operator's targets carry: an app label of one of these names is renamed
# exported_<name> on scrape (and `service` is the Kubernetes Service's name, not ours).
OPERATOR_TARGET_LABELS = {"job", "namespace", "service", "pod", "container", "endpoint", "instance"}


def declared_label_names() -> dict[str, set[str]]:
    """Label names of every metric declared in the code: file → names."""
    out = {}
    call = re.compile(r"\b(?:Counter|Gauge|Histogram|Summary|GaugeMetricFamily|CounterMetricFamily)\(")
    for path in [*ROOT.glob("libs/common/src/xueji_common/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        text = path.read_text()
        for m in call.finditer(text):
            window = text[m.end() : m.end() + 400]
            for names in re.findall(r"\[\s*((?:[\"']\w+[\"']\s*,?\s*)+)\]", window.split("\n\n")[0]):
                out.setdefault(str(path.relative_to(ROOT)), set()).update(
                    re.findall(r"[\"'](\w+)[\"']", names)
                )
    return out


def test_metrics_name_their_service_xueji_service_never_a_label_the_operator_sets():
    declared = declared_label_names()
    assert any("xueji_service" in names for names in declared.values()), declared
    clashing = {
        path: names & OPERATOR_TARGET_LABELS
        for path, names in declared.items()
        if names & OPERATOR_TARGET_LABELS
    }
    assert not clashing, clashing
