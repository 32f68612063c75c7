"""Tracing in the chart: off unless tracing.otlpEndpoint names a collector; then every process is
told where (XUEJI_OTLP_ENDPOINT) and the NetworkPolicies let the pods reach it (docs/OBSERVABILITY.md)."""

from __future__ import annotations

import pytest
from conftest import PROFILE_VALUES
from test_chart_behaviour import of_kind, settings_of

SERVICES = ("registration", "review", "dedup", "special-ed", "accounts")
COLLECTOR = "http://otel-collector.observability:4317"


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_tracing_is_off_unless_a_collector_is_named(rendered, profile):
    for cm in of_kind(rendered[profile], "ConfigMap"):
        assert "XUEJI_OTLP_ENDPOINT" not in cm.get("data", {}), cm["metadata"]["name"]


def test_every_service_sends_its_spans_to_the_collector_it_may_reach(helm_cli):
    docs = helm_cli.render(
        PROFILE_VALUES["province"],
        "--set",
        f"tracing.otlpEndpoint={COLLECTOR}",
        "--set-json",
        "tracing.sampleRatio=0.25",
        "--set-json",
        'tracing.collectorPeers=[{"namespaceSelector": {"matchLabels": '
        '{"kubernetes.io/metadata.name": "observability"}}}]',
    )
    for service in SERVICES:
        settings = settings_of(docs, service)
        assert (settings["XUEJI_OTLP_ENDPOINT"], settings["XUEJI_TRACE_SAMPLE_RATIO"]) == (COLLECTOR, "0.25")
        assert settings["XUEJI_ACCESS_LOG_SUMMARY_SECONDS"] == "60"
    # the services' policies (the console is not traced; the bundled database's is ingress only)
    policies = [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if p["spec"]["podSelector"]["matchLabels"].get("xueji.io/service") in SERVICES
    ]
    assert len(policies) == len(SERVICES)
    for policy in policies:
        [rule] = [r for r in policy["spec"]["egress"] if r["ports"] == [{"port": 4317, "protocol": "TCP"}]]
        assert rule["to"] == [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
        ]


@pytest.mark.parametrize(
    "setting, complaint",
    [
        ("tracing.sampleRatio=2", "tracing.sampleRatio"),
        ("tracing.otlpEndpoint=collector:4317", "tracing.otlpEndpoint"),
        ("tracing.endpoint=http://c:4317", "Additional property endpoint is not allowed"),
    ],
)
def test_the_schema_checks_the_tracing_values(helm_cli, setting, complaint):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", setting)
    assert done.returncode != 0, setting
    assert complaint in done.stderr, done.stderr
