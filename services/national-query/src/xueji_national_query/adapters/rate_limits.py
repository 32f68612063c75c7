"""Rate limits counted with the `limits` library: in Redis (XUEJI_REDIS_URL), so that every
replica of the service counts the same calls, or in the library's memory storage in embedded mode
(one process: the same logic, nothing to run).

Moving windows: at most N calls in any window of SECONDS seconds per key. A refused call counts
against no key.
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from xueji_national_query.domain.rate_limit import Limit

REDIS_TIMEOUT_SECONDS = 2.0


def storage(redis_url: str, key_prefix: str) -> Storage:
    """Redis at `redis_url` (keys under `key_prefix`), or memory when no URL is given."""
    if not redis_url:
        return MemoryStorage()
    return storage_from_string(
        redis_url,
        key_prefix=key_prefix,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


class CountedLimit:
    """One limit (e.g. lookups per user) over a storage; `name` keeps limits of equal size apart."""

    def __init__(self, name: str, limit: Limit | None, where: Storage) -> None:
        self.name, self.limit = name, limit
        self._item = RateLimitItemPerSecond(limit.calls, limit.seconds) if limit else None
        self._strategy = MovingWindowRateLimiter(where)

    def allow(self, *keys: str) -> bool:
        if self._item is None:
            return True
        if len(keys) == 1:  # one Redis round trip: hit() counts only if under
            return self._strategy.hit(self._item, self.name, keys[0])
        if not all(self._strategy.test(self._item, self.name, key) for key in keys):
            return False
        # Two replicas may both pass the test for the last call of a window: hit() decides.
        return all([self._strategy.hit(self._item, self.name, key) for key in keys])
