"""The in-process session store: idle timeout, touch, delete; and the backend's error pages."""

from __future__ import annotations

import grpc
import pytest

from xueji_console import sessions
from xueji_console.backend import failure_of
from xueji_console.sessions import MemoryStore, Session


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sessions.time, "time", clock.time)
    return clock


def test_a_session_ends_after_thirty_idle_minutes_and_each_request_restarts_the_count(clock):
    store = MemoryStore(idle_timeout=1800)
    session = Session.fresh()
    store.put(session)
    clock.now += 1700
    store.touch(session.sid)
    clock.now += 1700
    assert store.get(session.sid) == session  # 3,400 s old, but idle 1,700 s
    clock.now += 1801
    assert store.get(session.sid) is None


def test_reading_a_session_for_a_page_restarts_its_idle_count(clock):
    store = MemoryStore(idle_timeout=1800)
    session = Session.fresh()
    store.put(session)
    clock.now += 1700
    assert store.get_touched(session.sid) == session
    clock.now += 1700
    assert store.get(session.sid) == session
    clock.now += 1801
    assert store.get_touched(session.sid) is None


def test_sessions_have_unguessable_distinct_ids_and_csrf_secrets():
    a, b = Session.fresh(), Session.fresh()
    assert a.sid != b.sid and a.csrf != b.csrf and len(a.sid) >= 40 and a.csrf != a.sid


def test_a_deleted_session_is_gone_and_touching_it_does_not_revive_it(clock):
    store = MemoryStore(idle_timeout=1800)
    session = Session.fresh()
    store.put(session)
    store.delete(session.sid)
    store.touch(session.sid)
    assert store.get(session.sid) is None


class FakeRpcError(grpc.RpcError):
    """A client-side error as grpc raises it, without trailing details."""

    def __init__(self, code, details="internal: stack trace here") -> None:
        self._code, self._details = code, details

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return ()


def test_an_unexpected_service_error_shows_a_generic_message_with_an_error_id():
    failure = failure_of(FakeRpcError(grpc.StatusCode.INTERNAL))
    assert failure.status == 500 and failure.error_id in failure.message
    assert "stack trace" not in failure.message


def test_a_permission_refusal_is_a_403_page_without_the_services_text():
    failure = failure_of(FakeRpcError(grpc.StatusCode.PERMISSION_DENIED, "school 1330105001 not yours"))
    assert failure.status == 403 and "1330105001" not in failure.message


def test_production_cookies_are_secure_and_sessions_need_redis(monkeypatch):
    from xueji_common.config import ConfigError, Settings
    from xueji_console.config import ConsoleSettings

    production = Settings(mode="production")
    monkeypatch.delenv("XUEJI_REDIS_URL", raising=False)
    with pytest.raises(ConfigError, match="XUEJI_REDIS_URL"):
        ConsoleSettings.from_env(production)
    monkeypatch.setenv("XUEJI_REDIS_URL", "redis://redis.internal:6379/0")
    settings = ConsoleSettings.from_env(production)
    assert settings.secure_cookies and settings.redis_url == "redis://redis.internal:6379/0"
    assert not ConsoleSettings.from_env(Settings()).secure_cookies  # embedded: http://localhost


def test_memory_url_keeps_sessions_in_process_and_a_redis_url_uses_redis():
    assert isinstance(sessions.make_store("memory://", 60), MemoryStore)
    assert isinstance(sessions.make_store("", 60), MemoryStore)
    assert isinstance(sessions.make_store("redis://127.0.0.1:6379/0", 60), sessions.RedisStore)


def test_production_mode_accepts_memory_url_and_refuses_no_url(monkeypatch):
    from xueji_common.config import ConfigError, Settings
    from xueji_console.config import ConsoleSettings

    production = Settings(mode="production")
    monkeypatch.setenv("XUEJI_REDIS_URL", "memory://")
    assert ConsoleSettings.from_env(production).redis_url == "memory://"
    monkeypatch.delenv("XUEJI_REDIS_URL")
    with pytest.raises(ConfigError, match="memory://"):
        ConsoleSettings.from_env(production)
