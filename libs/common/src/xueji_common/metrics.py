"""Prometheus metrics shared by every process, and the HTTP endpoint that serves them."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from wsgiref.simple_server import make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app, start_http_server
from prometheus_client.exposition import ThreadingWSGIServer, _SilentHandler

log = logging.getLogger(__name__)

GRPC_STARTED = Counter("xueji_grpc_server_started_total", "RPCs started", ["grpc_service", "grpc_method"])
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
    "xueji_events_published_total", "Events published from the outbox", ["xueji_service", "event_type"]
)
EVENTS_CONSUMED = Counter(
    "xueji_events_consumed_total",
    "Events handled by consumers, by result (handled, duplicate, refused, unreadable, failed, "
    "conflict: an optimistic-lock conflict the redelivery resolves, not a failure)",
    ["xueji_service", "event_type", "result"],
)
OUTBOX_BACKLOG = Gauge("xueji_outbox_backlog", "Outbox rows not yet published", ["xueji_service"])
PUBLISH_FAILURES = Counter(
    "xueji_outbox_publish_failures_total", "Failed attempts to publish the outbox", ["xueji_service"]
)


def serve_metrics(
    port: int, host: str = "localhost", health: Callable[[], tuple[bool, dict]] | None = None
) -> None:
    """Expose /metrics on host:port (port 0 disables it; the host is Settings.metrics_bind_host());
    with `health`, /healthz answers 200 or 503 with its detail as JSON (the worker's liveness probe:
    messaging.liveness)."""
    if not port:
        return
    if health is None:
        start_http_server(port, addr=host)
    else:
        _serve_with_health(host, port, health)
    log.info("metrics endpoint listening", extra={"fields": {"host": host, "port": port}})


def _serve_with_health(host: str, port: int, health: Callable[[], tuple[bool, dict]]) -> None:
    metrics_app = make_wsgi_app()

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            return metrics_app(environ, start_response)
        ok, detail = health()
        start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
        return [json.dumps(detail).encode()]

    httpd = make_server(host, port, app, ThreadingWSGIServer, handler_class=_SilentHandler)
    threading.Thread(target=httpd.serve_forever, name="metrics-http", daemon=True).start()
