"""The console's Prometheus metrics: requests by route template and status, and their latency (the
services count RPCs by method the same way: xueji_common.metrics). The route is the template
(`/users/{login_name}/edit`), never the path: a path holds ids and would make a series per user."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.routing import Match

REQUESTS = Counter(
    "xueji_console_requests_total",
    "Console HTTP requests, by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "xueji_console_request_seconds",
    "Console time to the response's start, by route and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED = "unmatched"


def route_of(routes, scope) -> str:
    """The template of the route that serves `scope` (a Mount: its prefix; a path known for another
    method, answered 405: that path), else `unmatched`."""
    partial = UNMATCHED
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", UNMATCHED) or UNMATCHED
        if match == Match.PARTIAL and partial == UNMATCHED:
            partial = getattr(route, "path", UNMATCHED) or UNMATCHED
    return partial


class RequestMetrics:
    """ASGI middleware: counts every HTTP response and observes its time to the response's start."""

    def __init__(self, app, routes) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}  # an exception before the response counts as 500

        async def send_counted(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                self._observe(scope, status["code"], started)
                status["seen"] = True
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            if "seen" not in status:
                self._observe(scope, status["code"], started)

    def _observe(self, scope, code: int, started: float) -> None:
        labels = (route_of(self.routes, scope), scope["method"], str(code))
        REQUESTS.labels(*labels).inc()
        LATENCY.labels(*labels).observe(time.perf_counter() - started)
