"""Production's session store on the machine's Redis: what one replica writes another reads, the
idle timeout is Redis's expiry, and the refresh lock is shared."""

from __future__ import annotations

import os
import threading
import time

import pytest

from xueji_console.sessions import RedisStore, Session

REDIS_URL = os.environ.get("XUEJI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def stores():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis required under CI: {exc}")
        pytest.skip(f"Redis not running: {exc}")
    return RedisStore(REDIS_URL, idle_timeout=1800), RedisStore(REDIS_URL, idle_timeout=1800)


def test_a_session_written_by_one_replica_is_read_by_another(stores):
    one, two = stores
    session = Session.fresh()
    session.access_token, session.login_name, session.role = "jwt", "registrar", 1
    one.put(session)
    assert two.get(session.sid) == session
    two.delete(session.sid)
    assert one.get(session.sid) is None


def test_the_idle_timeout_is_the_keys_expiry_and_a_request_restarts_it(stores):
    one, _ = stores
    session = Session.fresh()
    one.put(session)
    key = RedisStore.PREFIX + session.sid
    one._redis.expire(key, 5)
    one.touch(session.sid)
    assert 1790 < one._redis.ttl(key) <= 1800
    one.delete(session.sid)


def test_reading_a_session_for_a_page_restarts_its_expiry_in_the_same_call(stores):
    one, two = stores
    session = Session.fresh()
    one.put(session)
    key = RedisStore.PREFIX + session.sid
    one._redis.expire(key, 5)
    assert two.get_touched(session.sid) == session
    assert 1790 < one._redis.ttl(key) <= 1800
    one.delete(session.sid)
    assert two.get_touched(session.sid) is None


def test_only_one_replica_at_a_time_refreshes_a_sessions_tokens(stores):
    one, two = stores
    sid, inside, overlaps = Session.fresh().sid, [], []

    def refresh(store):
        with store.lock(sid):
            inside.append(1)
            overlaps.append(len(inside))
            time.sleep(0.2)
            inside.pop()

    threads = [threading.Thread(target=refresh, args=(s,)) for s in (one, two)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert overlaps == [1, 1]
