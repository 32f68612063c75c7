"""Per-caller rate limits: what a limit is, and the refusal. Where the counts live (Redis, shared
by every replica; memory in embedded mode) is adapters.rate_limits.

A limit is "N/SECONDS": at most N calls in any window of SECONDS seconds, per key (a user, a
client address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from xueji_common.errors import DomainError


class RateLimited(DomainError):
    status = "RESOURCE_EXHAUSTED"


@dataclass(frozen=True)
class Limit:
    calls: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit | None:
        """ "20/60" → 20 calls per 60 s; "0" or "" → no limit."""
        text = text.strip()
        if text in ("", "0"):
            return None
        calls, _, seconds = text.partition("/")
        limit = cls(int(calls), int(seconds or 1))
        if limit.calls < 1 or limit.seconds < 1:
            raise ValueError(f"bad rate limit {text!r}")
        return limit


class RateLimiter(Protocol):
    def allow(self, *keys: str) -> bool:
        """Count one call against every key; False (and the call refused) when a key is over."""
        ...
