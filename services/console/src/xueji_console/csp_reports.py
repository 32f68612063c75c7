"""CSP violation reports (the policy's `report-uri` and `report-to`): logged at WARNING so that a
page broken by the policy, or an injection it blocked, shows up in the logs; at most
`REPORTS_PER_MINUTE` a minute per process (anyone may post here: a flood must not flood the logs).
Nothing of a report is trusted or stored; fields are cut to a length."""

from __future__ import annotations

import json
import logging
import threading
import time

from starlette.requests import Request
from starlette.responses import Response

from xueji_common import logs

log = logging.getLogger(__name__)
PATH = "/csp-report"
REPORTS_PER_MINUTE = 30
MAX_BODY = 16 * 1024
FIELD_LENGTH = 300
# The fields worth a log line, in the two shapes: report-uri's `csp-report` (hyphenated) and the
# Reporting API's `body` (camelCase).
FIELDS = {
    "document-uri": "document",
    "documentURL": "document",
    "violated-directive": "directive",
    "effective-directive": "directive",
    "effectiveDirective": "directive",
    "blocked-uri": "blocked",
    "blockedURL": "blocked",
    "source-file": "source",
    "sourceFile": "source",
    "line-number": "line",
    "lineNumber": "line",
    "disposition": "disposition",
}


class RateLimit:
    """A fixed one-minute window: `allow()` is true for the first `per_minute` calls of each minute."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._window, self._count, self._dropped = 0, 0, 0
        self._lock = threading.Lock()

    def allow(self) -> tuple[bool, int]:
        """(allowed, reports dropped in the window that just ended: logged once with the next one)."""
        with self._lock:
            window = int(self.clock() // 60)
            dropped = 0
            if window != self._window:
                self._window, self._count, dropped, self._dropped = window, 0, self._dropped, 0
            self._count += 1
            if self._count > self.per_minute:
                self._dropped += 1
                return False, dropped
            return True, dropped


def violations(body: bytes) -> list[dict]:
    """The reports in a body of either shape, each as {document, directive, blocked, ...}; [] when
    the body is not a report."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        report = item.get("csp-report") if "csp-report" in item else item.get("body")
        if not isinstance(report, dict):
            continue
        found.append(
            {short: str(report[key])[:FIELD_LENGTH] for key, short in FIELDS.items() if key in report}
        )
    return found


LIMIT = RateLimit(REPORTS_PER_MINUTE)


async def receive_report(request: Request) -> Response:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return Response(status_code=413)
    for report in violations(body):
        allowed, dropped = LIMIT.allow()
        if dropped:
            log.warning("CSP reports dropped by the rate limit", extra=logs.fields(dropped=dropped))
        if not allowed:
            break
        log.warning("CSP violation reported", extra=logs.fields(**report))
    return Response(status_code=204)
