"""Liveness of a worker process: its eventlet hub turns and no event handler is stuck.

The worker's metrics endpoint answers from a real thread, so it answers even when the hub (which
consumes and acknowledges every message) is blocked, or when every handler slot waits forever on a
dead connection. `/healthz` answers from this instead: a heartbeat greenthread the hub must run
every second, and the start time of every handler in flight. Either too old, and the process is
stuck in a way only a restart cures. A database or broker that is down is NOT a failure here:
restarting would not bring it back (the handlers retry, the consumer reconnects).
"""

from __future__ import annotations

import eventlet

_threading = eventlet.patcher.original("threading")  # real locks: handlers run on tpool threads
_time = eventlet.patcher.original("time")


class WorkerLiveness:
    def __init__(self, *, hub_stale_after: float = 30.0, handler_stuck_after: float = 600.0) -> None:
        self.hub_stale_after = hub_stale_after
        self.handler_stuck_after = handler_stuck_after
        self._beat = _time.monotonic()
        self._lock = _threading.Lock()
        self._running: dict[int, tuple[str, float]] = {}  # handler run → (event type, start)
        self._next = 0
        self._heartbeat = None

    def start(self) -> None:
        """Start the heartbeat greenthread (call from the hub's thread, once the worker runs)."""
        self._heartbeat = eventlet.spawn(self._beat_forever)

    def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.kill()

    def _beat_forever(self) -> None:
        while True:
            self._beat = _time.monotonic()
            eventlet.sleep(1.0)

    def handler_started(self, event_type: str) -> int:
        with self._lock:
            self._next += 1
            self._running[self._next] = (event_type, _time.monotonic())
            return self._next

    def handler_ended(self, token: int) -> None:
        with self._lock:
            self._running.pop(token, None)

    def __call__(self) -> tuple[bool, dict]:
        """(alive, detail): for the /healthz endpoint (metrics.serve_metrics)."""
        now = _time.monotonic()
        hub_age = now - self._beat
        with self._lock:
            stuck = sorted(
                {etype for etype, start in self._running.values() if now - start > self.handler_stuck_after}
            )
            in_flight = len(self._running)
        alive = hub_age <= self.hub_stale_after and not stuck
        return alive, {
            "alive": alive,
            "hub_seconds_since_beat": round(hub_age, 1),
            "handlers_in_flight": in_flight,
            "handlers_stuck": stuck,
        }
