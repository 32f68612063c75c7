"""Server-side sessions: an opaque id in the cookie, everything else (tokens, CSRF secret) here.

Two stores with one interface: in-process (embedded mode, one process) and Redis (production, so
that every replica behind the Service sees the same sessions). Both expire a session after the idle
timeout: every request that finds a session stores it again with a fresh expiry.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass


def new_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Session:
    sid: str
    csrf: str
    # Empty until sign-in: an anonymous session only carries the CSRF secret of the sign-in form.
    access_token: str = ""
    access_expires_at: float = 0.0
    refresh_token: str = ""
    login_name: str = ""
    display_name: str = ""
    role: int = 0
    org_unit_code: str = ""
    org_unit_name: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(self.access_token)

    @classmethod
    def fresh(cls) -> Session:
        return cls(sid=new_id(), csrf=secrets.token_urlsafe(32))


class MemoryStore:
    """Embedded mode: sessions in this process."""

    def __init__(self, idle_timeout: int) -> None:
        self._idle = idle_timeout
        self._data: dict[str, tuple[float, dict]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, sid: str) -> Session | None:
        with self._guard:
            found = self._data.get(sid)
            if found is None or found[0] <= time.time():
                self._data.pop(sid, None)
                return None
            return Session(**found[1])

    def get_touched(self, sid: str) -> Session | None:
        """The session, its idle timeout started again (one step: a page's first need)."""
        session = self.get(sid)
        if session is not None:
            self.touch(sid)
        return session

    def put(self, session: Session) -> None:
        with self._guard:
            self._data[session.sid] = (time.time() + self._idle, asdict(session))

    def touch(self, sid: str) -> None:
        with self._guard:
            found = self._data.get(sid)
            if found is not None:
                self._data[sid] = (time.time() + self._idle, found[1])

    def delete(self, sid: str) -> None:
        with self._guard:
            self._data.pop(sid, None)
            self._locks.pop(sid, None)

    @contextmanager
    def lock(self, sid: str):
        with self._guard:
            lock = self._locks.setdefault(sid, threading.Lock())
        with lock:
            yield


class RedisStore:
    """Production: sessions in Redis under `xueji:console:session:<id>`, expiring after the idle timeout."""

    PREFIX = "xueji:console:session:"

    def __init__(self, url: str, idle_timeout: int) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._idle = idle_timeout

    def get(self, sid: str) -> Session | None:
        raw = self._redis.get(self.PREFIX + sid)
        return Session(**json.loads(raw)) if raw else None

    def get_touched(self, sid: str) -> Session | None:
        """The session, its idle timeout started again: one round trip (GETEX)."""
        raw = self._redis.getex(self.PREFIX + sid, ex=self._idle)
        return Session(**json.loads(raw)) if raw else None

    def put(self, session: Session) -> None:
        self._redis.set(self.PREFIX + session.sid, json.dumps(asdict(session)), ex=self._idle)

    def touch(self, sid: str) -> None:
        self._redis.expire(self.PREFIX + sid, self._idle)

    def delete(self, sid: str) -> None:
        self._redis.delete(self.PREFIX + sid)

    @contextmanager
    def lock(self, sid: str):
        # A refresh token is good for one use: two replicas refreshing one session at once would
        # present it twice, and the accounts service then revokes the whole sign-in.
        with self._redis.lock(self.PREFIX + sid + ":lock", timeout=15, blocking_timeout=15):
            yield


MEMORY_URL = "memory://"  # XUEJI_REDIS_URL of a single-replica console that keeps sessions in-process


def make_store(redis_url: str, idle_timeout: int):
    """Redis, shared by replicas; in-process without a URL (embedded mode) or with `memory://`
    (a production-mode console of one replica: the chart's evaluation profile)."""
    if redis_url and redis_url != MEMORY_URL:
        return RedisStore(redis_url, idle_timeout)
    return MemoryStore(idle_timeout)
