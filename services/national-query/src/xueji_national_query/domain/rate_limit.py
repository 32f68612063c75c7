"""Per-caller rate limits: token buckets, one per key (a user, a client address).

A limit is "N/SECONDS": up to N calls in a burst, refilled at N per SECONDS. In memory, per server
process: with several replicas behind a load balancer each enforces the limit on its share.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from xueji_common.errors import DomainError


class RateLimited(DomainError):
    status = "RESOURCE_EXHAUSTED"


@dataclass(frozen=True)
class Limit:
    calls: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Limit | None":
        """"20/60" → 20 calls per 60 s; "0" or "" → no limit."""
        text = text.strip()
        if text in ("", "0"):
            return None
        calls, _, seconds = text.partition("/")
        limit = cls(int(calls), float(seconds or 1))
        if limit.calls < 1 or limit.seconds <= 0:
            raise ValueError(f"bad rate limit {text!r}")
        return limit


class RateLimiter:
    """Token buckets by key. `allow(keys)` takes one token from every bucket, or from none."""

    def __init__(self, limit: Limit | None, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, stamp)
        self._lock = threading.Lock()

    def allow(self, *keys: str) -> bool:
        if self.limit is None:
            return True
        rate = self.limit.calls / self.limit.seconds
        with self._lock:
            now = self._clock()
            levels = {}
            for key in keys:
                tokens, stamp = self._buckets.get(key, (float(self.limit.calls), now))
                levels[key] = min(float(self.limit.calls), tokens + (now - stamp) * rate)
            if any(level < 1 for level in levels.values()):
                for key, level in levels.items():
                    self._store(key, level, now)
                return False
            for key, level in levels.items():
                self._store(key, level - 1, now)
            return True

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:  # the least recently seen callers go first
            self._buckets.popitem(last=False)
