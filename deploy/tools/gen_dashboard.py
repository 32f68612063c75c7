"""Write the Grafana dashboard of Xueji (deploy/helm/xueji/files/dashboard.json) from the panel list.

The JSON is generated so that panels stay uniform; edit PANELS and run
`.venv/bin/python deploy/tools/gen_dashboard.py` (deploy/tests checks the file is current).
Series carry `xueji_service` (the app's own label on event and domain metrics, the pod's on the
others) and `component`, added by the chart's ServiceMonitor; never `service`, which prometheus-operator
sets to the Kubernetes Service name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "helm" / "xueji" / "files" / "dashboard.json"
SEL = 'namespace=~"$namespace", xueji_service=~"$service"'

# (row title, [(panel title, unit, [(expr, legend)])])
PANELS = [
    (
        "gRPC calls",
        [
            (
                "Calls per second by method",
                "reqps",
                [
                    (
                        "sum by (xueji_service, grpc_method) "
                        f"(rate(xueji_grpc_server_handled_total{{{SEL}}}[5m]))",
                        "{{xueji_service}} {{grpc_method}}",
                    )
                ],
            ),
            (
                "Errors per second by code",
                "reqps",
                [
                    (
                        f"sum by (xueji_service, grpc_code) (rate(xueji_grpc_server_handled_total{{{SEL}, "
                        f'grpc_code!="OK"}}[5m]))',
                        "{{xueji_service}} {{grpc_code}}",
                    )
                ],
            ),
            (
                "Server error ratio",
                "percentunit",
                [
                    (
                        f"sum by (xueji_service) (rate(xueji_grpc_server_handled_total{{{SEL}, "
                        f'grpc_code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"}}[5m]))'
                        f" / sum by (xueji_service) (rate(xueji_grpc_server_handled_total{{{SEL}}}[5m]))",
                        "{{xueji_service}}",
                    )
                ],
            ),
            (
                "Latency p95 by method",
                "s",
                [
                    (
                        "histogram_quantile(0.95, sum by (xueji_service, grpc_method, le) "
                        f"(rate(xueji_grpc_server_handling_seconds_bucket{{{SEL}}}[5m])))",
                        "{{xueji_service}} {{grpc_method}}",
                    )
                ],
            ),
            (
                "Latency p50 by method",
                "s",
                [
                    (
                        "histogram_quantile(0.5, sum by (xueji_service, grpc_method, le) "
                        f"(rate(xueji_grpc_server_handling_seconds_bucket{{{SEL}}}[5m])))",
                        "{{xueji_service}} {{grpc_method}}",
                    )
                ],
            ),
            (
                "Calls in flight (started - handled)",
                "short",
                [
                    (
                        f"sum by (xueji_service) (xueji_grpc_server_started_total{{{SEL}}}) - sum by "
                        f"(xueji_service) (xueji_grpc_server_handled_total{{{SEL}}})",
                        "{{xueji_service}}",
                    )
                ],
            ),
        ],
    ),
    (
        "Events",
        [
            (
                "Events published per second",
                "ops",
                [
                    (
                        "sum by (xueji_service, event_type) "
                        f"(rate(xueji_events_published_total{{{SEL}}}[5m]))",
                        "{{xueji_service}} {{event_type}}",
                    )
                ],
            ),
            (
                "Events consumed per second by result",
                "ops",
                [
                    (
                        "sum by (xueji_service, event_type, result) "
                        f"(rate(xueji_events_consumed_total{{{SEL}}}[5m]))",
                        "{{xueji_service}} {{event_type}} {{result}}",
                    )
                ],
            ),
            (
                "Outbox backlog",
                "short",
                [(f"max by (xueji_service) (xueji_outbox_backlog{{{SEL}}})", "{{xueji_service}}")],
            ),
            (
                "Outbox publish failures per second",
                "ops",
                [
                    (
                        f"sum by (xueji_service) (rate(xueji_outbox_publish_failures_total{{{SEL}}}[5m]))",
                        "{{xueji_service}}",
                    )
                ],
            ),
        ],
    ),
    (
        "Registration and dedup",
        [
            # Domain counters (ASSUMED names, see OPERATIONS.md "Metrics"); the event-based panels beside
            # them work with the shared metrics alone.
            (
                "Dedup outcomes per second",
                "ops",
                [
                    (
                        f"sum by (kind, outcome) (rate(xueji_dedup_outcomes_total{{{SEL}}}[5m]))",
                        "{{kind}} {{outcome}}",
                    ),
                    (
                        f"sum by (event_type) (rate(xueji_events_published_total{{{SEL}, "
                        f'event_type=~"DedupCompleted|ProblemRaised|ProblemResolved"}}[5m]))',
                        "events: {{event_type}}",
                    ),
                ],
            ),
            (
                "Applications by state",
                "short",
                [(f"sum by (state) (xueji_registration_applications{{{SEL}}})", "{{state}}")],
            ),
            (
                "Registration flow per second",
                "ops",
                [
                    (
                        f"sum by (event_type) (rate(xueji_events_published_total{{{SEL}, "
                        'event_type=~"ApplicationSubmitted|RegistrationApproved|RegistrationReturned|'
                        'StudentRecordCreated|ApplicationWithdrawn"}[5m]))',
                        "{{event_type}}",
                    )
                ],
            ),
            (
                "Pods up",
                "short",
                [(f"sum by (xueji_service, component) (up{{{SEL}}})", "{{xueji_service}} {{component}}")],
            ),
        ],
    ),
]


def _panel(pid: int, title: str, unit: str, targets, x: int, y: int) -> dict:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "expr": expr,
                "legendFormat": legend,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
            }
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def _variable(name: str, label: str, query: str) -> dict:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "query": query,
        "refresh": 2,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
    }


def dashboard() -> dict:
    panels, pid, y = [], 1, 0
    for row_title, row in PANELS:
        panels.append(
            {
                "id": pid,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        pid, y = pid + 1, y + 1
        for i, (title, unit, targets) in enumerate(row):
            panels.append(_panel(pid, title, unit, targets, 12 * (i % 2), y + 8 * (i // 2)))
            pid += 1
        y += 8 * ((len(row) + 1) // 2)
    return {
        "uid": "xueji-overview",
        "title": "Xueji services",
        "tags": ["xueji"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"},
                _variable(
                    "namespace", "Namespace", "label_values(xueji_grpc_server_started_total, namespace)"
                ),
                _variable("service", "Service", 'label_values(up{xueji_service!=""}, xueji_service)'),
            ]
        },
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT}", file=sys.stderr)
