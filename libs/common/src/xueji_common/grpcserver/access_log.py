"""Access logs of the gRPC server: one line per call at INFO, summarised for the bulk paths.

A person's call (a registrar's upload, a leader's approve-all) gets its own line: method, status,
milliseconds; the request id, user and trace come with every line (logs.context_fields). Calls
made in bulk would drown those lines: the services' own calls to each other (role system: a dedup
check, a reservation, a verification per student of an import), ministry systems' lookups, health
checks and reflection. Those are counted per method and status and written as one "rpc summary"
line per method every `interval` seconds (XUEJI_ACCESS_LOG_SUMMARY_SECONDS), when the next call
ends after it or when the server stops. An unexpected error is logged on its own anyway, with its
error id (interceptor.internal_error).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass, field

from xueji_common.auth import Principal, Role

log = logging.getLogger("xueji.access")

ALWAYS_SUMMARISED = ("grpc.health.v1.Health/", "grpc.reflection.")  # methods as "service/Method"


def summarised(method: str, principal: Principal | None) -> bool:
    """Whether a call is on a bulk path: health, reflection, or a system's (a service's) call."""
    if principal is None:
        return method.startswith(ALWAYS_SUMMARISED)
    return principal.role == Role.SYSTEM


@dataclass
class _Tally:
    calls: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    codes: dict[str, int] = field(default_factory=dict)

    def add(self, code: str, ms: float) -> None:
        self.calls += 1
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)
        self.codes[code] = self.codes.get(code, 0) + 1


class AccessLog:
    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._tallies: dict[str, _Tally] = {}
        self._since = time.monotonic()

    def call_ended(self, method: str, code: str, seconds: float, principal: Principal | None) -> None:
        ms = round(seconds * 1000, 1)
        if not summarised(method, principal):
            log.info("rpc", extra={"fields": {"method": method, "code": code, "ms": ms}})
            return
        with self._lock:
            tally = self._tallies.get(method)
            if tally is None:
                tally = self._tallies[method] = _Tally()
            tally.add(code, ms)
            due = time.monotonic() - self._since >= self.interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the summaries gathered so far (one line per method) and start again."""
        with self._lock:
            tallies, self._tallies = self._tallies, {}
            seconds = time.monotonic() - self._since
            self._since = time.monotonic()
        # Outside the call that happens to end the period: its request id, user and trace are not
        # those of the calls summarised.
        contextvars.Context().run(self._write, tallies, seconds)

    @staticmethod
    def _write(tallies: dict[str, _Tally], seconds: float) -> None:
        for method, t in sorted(tallies.items()):
            log.info(
                "rpc summary",
                extra={
                    "fields": {
                        "method": method,
                        "calls": t.calls,
                        "codes": t.codes,
                        "seconds": round(seconds, 1),
                        "mean_ms": round(t.total_ms / t.calls, 1),
                        "max_ms": t.max_ms,
                    }
                },
            )
