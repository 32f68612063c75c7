"""Prometheus metrics shared by every process, and the HTTP endpoint that serves them."""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

GRPC_STARTED = Counter(
    "xueji_grpc_server_started_total", "RPCs started", ["grpc_service", "grpc_method"]
)
GRPC_HANDLED = Counter(
    "xueji_grpc_server_handled_total",
    "RPCs completed, by status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "xueji_grpc_server_handling_seconds",
    "RPC handling time",
    ["grpc_service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "xueji_events_published_total", "Events published from the outbox", ["service", "event_type"]
)
EVENTS_CONSUMED = Counter(
    "xueji_events_consumed_total",
    "Events handled by consumers, by result (handled, duplicate, failed)",
    ["service", "event_type", "result"],
)
OUTBOX_BACKLOG = Gauge("xueji_outbox_backlog", "Outbox rows not yet published", ["service"])
PUBLISH_FAILURES = Counter(
    "xueji_outbox_publish_failures_total", "Failed attempts to publish the outbox", ["service"]
)


def serve_metrics(port: int) -> None:
    """Expose /metrics on the port (0 disables it)."""
    if port:
        start_http_server(port)
        log.info("metrics endpoint listening", extra={"fields": {"port": port}})
