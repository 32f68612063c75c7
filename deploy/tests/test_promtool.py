"""`promtool test rules` on the chart's alerts and on every dashboard query, against series labelled
as prometheus-operator stores them (operator_series.py) for pods as the chart labels them.

promtool comes from Debian's `prometheus` package (deploy/tools/get_promtool.py; `.ci/run` fetches
it): missing, these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from conftest import CHART, DEPLOY, PROFILE_VALUES
from operator_series import Pod, input_series
from test_chart_behaviour import named

sys.path.insert(0, str(DEPLOY / "tools"))
import get_promtool

from xueji_common import metrics

NS = "xueji"  # helm template --namespace in conftest
RUNBOOKS = "https://github.com/xueji/xueji/blob/main/deploy/OPERATIONS.md"  # runbookBaseUrl's default
# The label the app puts its service in, as the code declares it (the operator's rules apply to it).
APP = metrics.OUTBOX_BACKLOG._labelnames[0]
OPERATIONS = DEPLOY / "OPERATIONS.md"
SELECTED = "registration|dedup"  # the dashboard's $service with two services picked (Grafana: a|b)


@pytest.fixture(scope="module")
def promtool() -> str:
    found = get_promtool.find()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is required under CI: python deploy/tools/get_promtool.py (.ci/run does)")
        pytest.skip("promtool not found: python deploy/tools/get_promtool.py fetches it")
    return str(found)


@pytest.fixture(scope="module")
def province(helm_cli):
    docs = helm_cli.render(PROFILE_VALUES["province"])
    return {
        "monitor": named(docs, "ServiceMonitor", f"{NS}-metrics"),
        "rule": named(docs, "PrometheusRule", f"{NS}-alerts"),
    }


def grpc_pod(
    svc: str,
    method: str,
    *,
    errors: bool = False,
    backlog: str = "0x40",
    failures: str = "0x40",
    event: str = "",
    up: str = "1x40",
    slow: bool = False,
    extra=(),
) -> Pod:
    g = {"grpc_service": f"xueji.v1.{svc.title()}", "grpc_method": method}
    fast, _le_slow = ("0+60x40", "0x40") if not slow else ("0x40", "0+60x40")
    exposed = [
        ("xueji_grpc_server_started_total", g, "0+70x40" if errors else "0+60x40"),
        ("xueji_grpc_server_handled_total", {**g, "grpc_code": "OK"}, "0+60x40"),
        ("xueji_grpc_server_handling_seconds_bucket", {**g, "le": "0.1"}, fast),
        ("xueji_grpc_server_handling_seconds_bucket", {**g, "le": "1"}, fast),
        ("xueji_grpc_server_handling_seconds_bucket", {**g, "le": "2.5"}, "0+60x40"),
        ("xueji_grpc_server_handling_seconds_bucket", {**g, "le": "+Inf"}, "0+60x40"),
        ("xueji_outbox_backlog", {APP: svc}, backlog),
        ("xueji_outbox_publish_failures_total", {APP: svc}, failures),
        ("xueji_events_published_total", {APP: svc, "event_type": event}, "0+5x40"),
        *extra,
    ]
    if errors:
        exposed.append(("xueji_grpc_server_handled_total", {**g, "grpc_code": "INTERNAL"}, "0+10x40"))
    return Pod(
        NS,
        f"{NS}-{svc}",
        f"{NS}-{svc}-abc12",
        {"xueji.io/service": svc, "app.kubernetes.io/component": "grpc"},
        up=up,
        exposed=exposed,
    )


def worker_pod(svc: str, consumed: list, up: str = "1x40", extra=()) -> Pod:
    exposed = [
        ("xueji_events_consumed_total", {APP: svc, "event_type": e, "result": r}, v) for e, r, v in consumed
    ] + list(extra)
    return Pod(
        NS,
        f"{NS}-{svc}-worker",
        f"{NS}-{svc}-worker-def34",
        {"xueji.io/service": svc, "app.kubernetes.io/component": "worker"},
        up=up,
        exposed=exposed,
    )


# The province release: registration fails 1 call in 7 and its outbox grows; dedup is slow and
# cannot publish; review's worker is down; special-ed's gRPC pods are not scraped at all.
PODS = [
    grpc_pod(
        "registration",
        "SubmitApplication",
        errors=True,
        backlog="200+10x40",
        event="ApplicationSubmitted",
        extra=[("xueji_registration_applications", {APP: "registration", "state": "approved"}, "3x40")],
    ),
    worker_pod(
        "registration", [("DedupCompleted", "handled", "0+5x40"), ("DedupCompleted", "failed", "0+1x40")]
    ),
    grpc_pod("dedup", "CheckDocument", slow=True, failures="0+1x40", event="DedupCompleted"),
    worker_pod(
        "dedup",
        [("ApplicationSubmitted", "handled", "0+5x40")],
        extra=[
            (
                "xueji_dedup_outcomes_total",
                {APP: "dedup", "kind": "document_number", "outcome": "passed"},
                "0+5x40",
            )
        ],
    ),
    grpc_pod("review", "ApproveApplication", event="RegistrationApproved"),
    worker_pod("review", [("RegistrationApproved", "handled", "0+5x40")], up="0x40"),
    worker_pod("special-ed", [("StudentRecordCreated", "handled", "0+1x40")]),
    grpc_pod("accounts", "SignIn"),  # no worker: no absent() alert expects one
    Pod(
        NS,
        f"{NS}-console",
        f"{NS}-console-ghi56",
        {"xueji.io/service": "console", "app.kubernetes.io/component": "web"},
        up="1x40",
        exposed=[
            ("xueji_console_requests_total", {"route": "/", "method": "GET", "status": "200"}, "0+5x40")
        ],
    ),
]


def alert(name: str, summary: str, description: str, severity: str = "critical", **labels) -> dict:
    """An expected alert; its runbook is the OPERATIONS.md section named after it."""
    return {
        "exp_labels": {"severity": severity, **labels},
        "exp_annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{RUNBOOKS}#{name.lower()}",
        },
    }


EXPECTED_ALERTS = {
    "XuejiGrpcErrorRateHigh": [
        alert(
            "XuejiGrpcErrorRateHigh",
            "registration: more than 5% of gRPC calls fail with server errors",
            "Server-side error ratio 14.29% over 5 minutes. Check the service's logs (XUEJI_LOG_FORMAT=json)"
            " and its database.",
            namespace=NS,
            xueji_service="registration",
        )
    ],
    "XuejiGrpcLatencyHigh": [
        alert(
            "XuejiGrpcLatencyHigh",
            "dedup CheckDocument: p95 latency above 1 s",
            "95th percentile 2.425s over 5 minutes.",
            severity="warning",
            namespace=NS,
            xueji_service="dedup",
            grpc_method="CheckDocument",
        )
    ],
    "XuejiGrpcServerDown": [],
    "XuejiTargetsAbsent": [],
    "XuejiWorkerDown": [
        alert(
            "XuejiWorkerDown",
            "review: no worker is up; its events wait in RabbitMQ",
            "No worker pod of the service is scraped. Events are not lost (durable queues) but nothing "
            "reacts to them.",
            namespace=NS,
            xueji_service="review",
        )
    ],
    "XuejiOutboxBacklogGrowing": [
        alert(
            "XuejiOutboxBacklogGrowing",
            "registration: outbox backlog keeps growing (500 rows)",
            "The relay in the gRPC pods does not keep up with, or cannot reach, RabbitMQ.",
            severity="warning",
            namespace=NS,
            xueji_service="registration",
        )
    ],
    "XuejiOutboxPublishFailing": [
        alert(
            "XuejiOutboxPublishFailing",
            "dedup: publishing the outbox to RabbitMQ fails",
            "Check XUEJI_AMQP_URI, the broker and the NetworkPolicy egress to it.",
            namespace=NS,
            xueji_service="dedup",
        )
    ],
    "XuejiEventHandlingFailing": [
        alert(
            "XuejiEventHandlingFailing",
            "registration: handling DedupCompleted keeps failing",
            "Failed events are redelivered; a handler that always fails blocks the flow of those "
            "applications.",
            severity="warning",
            namespace=NS,
            xueji_service="registration",
            event_type="DedupCompleted",
        )
    ],
    "XuejiTargetAbsent": [
        alert(
            "XuejiTargetAbsent",
            "special-ed grpc: Prometheus scrapes no pod of it",
            f"No `up` series for the special-ed grpc pods in {NS}: the Deployment has no pods or the "
            "ServiceMonitor"
            " does not select them.",
            namespace=NS,
            xueji_service="special-ed",
            component="grpc",
        )
    ],
}

# Each dashboard query, with $service = "registration|dedup": the legends it draws.
EXPECTED_LEGENDS = {
    "Calls per second by method": [
        [
            {"xueji_service": "registration", "grpc_method": "SubmitApplication"},
            {"xueji_service": "dedup", "grpc_method": "CheckDocument"},
        ]
    ],
    "Errors per second by code": [[{"xueji_service": "registration", "grpc_code": "INTERNAL"}]],
    "Server error ratio": [[{"xueji_service": "registration"}]],
    "Latency p95 by method": [
        [
            {"xueji_service": "registration", "grpc_method": "SubmitApplication"},
            {"xueji_service": "dedup", "grpc_method": "CheckDocument"},
        ]
    ],
    "Latency p50 by method": [
        [
            {"xueji_service": "registration", "grpc_method": "SubmitApplication"},
            {"xueji_service": "dedup", "grpc_method": "CheckDocument"},
        ]
    ],
    "Calls in flight (started - handled)": [[{"xueji_service": "registration"}, {"xueji_service": "dedup"}]],
    "Events published per second": [
        [
            {"xueji_service": "registration", "event_type": "ApplicationSubmitted"},
            {"xueji_service": "dedup", "event_type": "DedupCompleted"},
        ]
    ],
    "Events consumed per second by result": [
        [
            {"xueji_service": "registration", "event_type": "DedupCompleted", "result": "handled"},
            {"xueji_service": "registration", "event_type": "DedupCompleted", "result": "failed"},
            {"xueji_service": "dedup", "event_type": "ApplicationSubmitted", "result": "handled"},
        ]
    ],
    "Outbox backlog": [[{"xueji_service": "registration"}, {"xueji_service": "dedup"}]],
    "Outbox publish failures per second": [[{"xueji_service": "registration"}, {"xueji_service": "dedup"}]],
    "Dedup outcomes per second": [
        [{"kind": "document_number", "outcome": "passed"}],
        [{"event_type": "DedupCompleted"}],
    ],
    "Applications by state": [[{"state": "approved"}]],
    "Registration flow per second": [[{"event_type": "ApplicationSubmitted"}]],
    "Pods up": [
        [{"xueji_service": s, "component": c} for s in ("registration", "dedup") for c in ("grpc", "worker")]
    ],
}


def run_promtool(promtool: str, tmp_path, rules: dict, tests: dict) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False, allow_unicode=True))
    (tmp_path / "test.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], **tests}, sort_keys=False)
    )
    done = subprocess.run(
        [promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_alerts_fire_with_the_service_named_on_series_as_the_operator_stores_them(
    promtool, province, tmp_path
):
    rules = province["rule"]["spec"]
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert names == set(EXPECTED_ALERTS), names ^ set(EXPECTED_ALERTS)  # every alert is tested
    tests = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": input_series(province["monitor"], PODS),
                "alert_rule_test": [
                    {"eval_time": "30m", "alertname": name, "exp_alerts": expected}
                    for name, expected in EXPECTED_ALERTS.items()
                ],
            }
        ],
    }
    run_promtool(promtool, tmp_path, rules, tests)


def test_targets_absent_alert_fires_when_no_xueji_pod_is_scraped(promtool, province, tmp_path):
    rules = province["rule"]["spec"]
    expected = alert(
        "XuejiTargetsAbsent",
        "Prometheus scrapes no Xueji pod at all",
        'No series `up{xueji_service!=""}`: the ServiceMonitor selects nothing, or every Xueji'
        " Deployment is gone.",
    )
    other = Pod(NS, "other", "other-1", {"app": "other"}, exposed=[])  # someone else's target only
    tests = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": input_series(province["monitor"], [other]),
                "alert_rule_test": [
                    {"eval_time": "15m", "alertname": "XuejiTargetsAbsent", "exp_alerts": [expected]}
                ],
            }
        ],
    }
    run_promtool(promtool, tmp_path, rules, tests)


def legend_labels(legend: str) -> list[str]:
    return re.findall(r"\{\{\s*(\w+)\s*\}\}", legend)


def _samples(expected: list[dict]) -> list[dict]:
    return [
        {"labels": "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(e.items())) + "}", "value": 1}
        for e in expected
    ]


def test_every_dashboard_query_draws_its_legends_for_the_selected_services(promtool, province, tmp_path):
    dashboard = json.loads((CHART / "files" / "dashboard.json").read_text())
    panels = {p["title"]: p for p in dashboard["panels"] if p["type"] != "row"}
    assert set(panels) == set(EXPECTED_LEGENDS), set(panels) ^ set(EXPECTED_LEGENDS)
    expr_tests = []
    for title, per_target in EXPECTED_LEGENDS.items():
        targets = panels[title]["targets"]
        assert len(targets) == len(per_target), title
        for target, expected in zip(targets, per_target):
            expr = target["expr"].replace("$namespace", NS).replace("$service", SELECTED)
            by = ", ".join(legend_labels(target["legendFormat"]))
            expr_tests.append(
                {"expr": f"group by ({by}) ({expr})", "eval_time": "30m", "exp_samples": _samples(expected)}
            )
    tests = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": input_series(province["monitor"], PODS),
                "promql_expr_test": expr_tests,
            }
        ],
    }
    run_promtool(promtool, tmp_path, {"groups": []}, tests)


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_has_a_runbook_url_at_an_operations_anchor_that_exists(province):
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", OPERATIONS.read_text(), re.M)}
    rules = [r for g in province["rule"]["spec"]["groups"] for r in g["rules"]]
    for rule in rules:
        url = rule["annotations"].get("runbook_url", "")
        page, _, anchor = url.partition("#")
        assert page.endswith("/deploy/OPERATIONS.md") and anchor in anchors, (rule["alert"], url)


def test_runbook_base_url_is_a_setting(helm_cli):
    docs = helm_cli.render(
        PROFILE_VALUES["province"], "--set", "metrics.prometheusRule.runbookBaseUrl=https://wiki.example/ops"
    )
    rules = [r for g in named(docs, "PrometheusRule", f"{NS}-alerts")["spec"]["groups"] for r in g["rules"]]
    assert {r["annotations"]["runbook_url"].split("#")[0] for r in rules} == {"https://wiki.example/ops"}
