"""The lookup rate limits as deployed: counted in one Redis by every replica (so two replicas hold
the same limit as one), keyed by the signed-in user and by the client's own address, also behind a
gateway that names it in x-forwarded-for."""

from __future__ import annotations

import os
import re
import uuid

import grpc
import pytest
import redis
from nq_support import created, policy

from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import national_query_pb2_grpc
from xueji_common.config import ConfigError, Settings
from xueji_national_query.config import lookup_policy_from_env
from xueji_national_query.domain import captcha

REDIS_URL = "redis://127.0.0.1:6379/0"
NUMBER = "33010220150601123X"
ANSWER = "AB3K"


@pytest.fixture(autouse=True)
def known_answers(monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: ANSWER)


@pytest.fixture
def redis_prefix(monkeypatch):
    """A key prefix of this test's own in the machine's Redis, deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"xueji-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("XUEJI_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("XUEJI_RATE_LIMIT_PREFIX", prefix)
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def lookup(stub, meta, forwarded_for: str = ""):
    meta = [*meta, ("x-forwarded-for", forwarded_for)] if forwarded_for else meta
    captcha_id = stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=meta).captcha_id
    return stub.LookupStudent(
        nq.LookupStudentRequest(
            name="张三", document_number=NUMBER, captcha_id=captcha_id, captcha_answer=ANSWER
        ),
        metadata=meta,
    )


def refused(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    return exc.value.code()


def test_two_replicas_sharing_redis_hold_one_limit_per_user(serve, runtime, auth, redis_prefix, monkeypatch):
    monkeypatch.setenv("XUEJI_LOOKUP_RATE_LIMIT", "3/60")
    created(runtime)
    settings = Settings(mode="production", database_url="postgresql://unused")
    # Each replica builds its policy from the environment, as a server process does.
    replicas = [
        national_query_pb2_grpc.NationalQueryStub(serve(lookup_policy_from_env(settings))) for _ in range(2)
    ]
    for call in range(3):
        lookup(replicas[call % 2], auth())
    assert refused(lambda: lookup(replicas[1], auth())) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused(lambda: lookup(replicas[0], auth())) == grpc.StatusCode.RESOURCE_EXHAUSTED
    lookup(replicas[0], auth(user="u2"))  # another user has a count of their own


def test_users_behind_a_trusted_gateway_are_counted_by_their_own_address(
    serve, runtime, auth, redis_prefix, monkeypatch
):
    monkeypatch.setenv("XUEJI_LOOKUP_ADDRESS_RATE_LIMIT", "2/60")
    monkeypatch.setenv("XUEJI_TRUSTED_PROXIES", "127.0.0.0/8")  # the test calls from 127.0.0.1
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(lookup_policy_from_env(Settings())))
    for user, client in (("u1", "203.0.113.1"), ("u2", "203.0.113.2")):
        for _ in range(2):
            lookup(stub, auth(user=user), f"198.51.100.77, {client}")  # the left hop is the client's claim
    assert refused(lambda: lookup(stub, auth(user="u3"), "203.0.113.1")) == grpc.StatusCode.RESOURCE_EXHAUSTED
    serve.stop()  # commits the queued audit entry of the refusal
    with runtime.uow_factory() as uow:
        addresses = [e["client_address"] for e in uow.audit.entries()]
    assert addresses == ["ipv4:203.0.113.1"] * 2 + ["ipv4:203.0.113.2"] * 2 + ["ipv4:203.0.113.1"]


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(serve, runtime, auth):
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(policy(addresses="2/60")))
    lookup(stub, auth(user="u1"), "203.0.113.1")
    lookup(stub, auth(user="u2"), "203.0.113.2")
    assert refused(lambda: lookup(stub, auth(user="u3"), "203.0.113.3")) == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_production_mode_refuses_to_count_in_memory(monkeypatch):
    monkeypatch.delenv("XUEJI_REDIS_URL", raising=False)
    with pytest.raises(ConfigError, match="XUEJI_REDIS_URL"):
        lookup_policy_from_env(Settings(mode="production"))


def test_a_bad_trusted_gateway_names_the_setting(monkeypatch):
    monkeypatch.setenv("XUEJI_TRUSTED_PROXIES", "10.0.0.0/8, gateway")
    with pytest.raises(ConfigError, match="XUEJI_TRUSTED_PROXIES: 'gateway'"):
        lookup_policy_from_env(Settings())


def test_with_redis_unreachable_lookups_are_refused_not_let_through_uncounted(
    serve, runtime, auth, monkeypatch
):
    from xueji_common.testing.infra import free_port

    monkeypatch.setenv("XUEJI_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    created(runtime)
    stub = national_query_pb2_grpc.NationalQueryStub(serve(lookup_policy_from_env(Settings())))
    with pytest.raises(grpc.RpcError) as exc:
        lookup(stub, auth())
    # An unexpected error: INTERNAL, a generic message with an error id, nothing of Redis's text.
    assert exc.value.code() == grpc.StatusCode.INTERNAL
    details = exc.value.details()
    assert re.search(r"错误编号 [0-9a-f]{16}", details), details
    assert not any(word in details.lower() for word in ("redis", "connection", "6379", "traceback", "error "))
    with runtime.uow_factory() as uow:
        assert uow.audit.entries() == []  # nothing was looked up
