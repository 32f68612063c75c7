"""Dedup's domain metrics, in prometheus_client's default registry beside xueji_common.metrics (the same
/metrics endpoint of each process). The dashboard reads
`sum by (kind, outcome) (rate(xueji_dedup_outcomes_total{xueji_service=...}[5m]))`
(deploy/tools/gen_dashboard.py)."""

from __future__ import annotations

from prometheus_client import Counter

from xueji.v1 import events_pb2

DEDUP_OUTCOMES = Counter(
    "xueji_dedup_outcomes_total",
    "Dedup checks completed (DedupCompleted committed), by kind and outcome",
    ["xueji_service", "kind", "outcome"],
)

# Label values: the enum names without their prefix, in lower case (document_number, passed...).
_KINDS = {
    v.number: v.name.removeprefix("DEDUP_KIND_").lower() for v in events_pb2.DedupKind.DESCRIPTOR.values
}
_OUTCOMES = {
    v.number: v.name.removeprefix("DEDUP_OUTCOME_").lower() for v in events_pb2.DedupOutcome.DESCRIPTOR.values
}


def outcome_labels(event: events_pb2.DedupCompleted) -> tuple[str, str]:
    return _KINDS.get(event.kind, "unspecified"), _OUTCOMES.get(event.outcome, "unspecified")


def count_outcomes(service: str, events: list[events_pb2.DedupCompleted]) -> None:
    for event in events:
        DEDUP_OUTCOMES.labels(service, *outcome_labels(event)).inc()
