import time

import jwt
import pytest

KEY = "a-test-signing-key-of-at-least-32-bytes"
OTHER = "another-signing-key-of-32-bytes-or-more"

from xueji_common.auth import Principal, Role, TokenError, TokenService


def test_minted_token_verifies_to_its_principal():
    tokens = TokenService(KEY)
    token = tokens.mint("u1", Role.SCHOOL_LEADER, "1330102001")
    assert tokens.verify(token) == Principal("u1", Role.SCHOOL_LEADER, "1330102001")


def test_token_signed_with_another_key_is_refused():
    token = TokenService(OTHER).mint("u1", Role.SYSTEM, "000000")
    with pytest.raises(TokenError):
        TokenService(KEY).verify(token)


def test_expired_token_is_refused():
    token = TokenService(KEY).mint("u1", Role.SYSTEM, "000000", ttl_seconds=-1)
    with pytest.raises(TokenError, match="expired"):
        TokenService(KEY).verify(token)


def test_wrong_audience_is_refused():
    token = TokenService(KEY, audience="elsewhere").mint("u1", Role.SYSTEM, "000000")
    with pytest.raises(TokenError):
        TokenService(KEY).verify(token)


def test_unknown_role_and_unsigned_tokens_are_refused():
    now = int(time.time())
    claims = {"sub": "u", "role": "janitor", "org": "1", "aud": "xueji", "iss": "xueji", "exp": now + 60}
    with pytest.raises(TokenError):
        TokenService(KEY).verify(jwt.encode(claims, KEY, algorithm="HS256"))
    claims["role"] = "system"
    with pytest.raises(TokenError):
        TokenService(KEY).verify(jwt.encode(claims, None, algorithm="none"))


def test_garbage_is_refused():
    with pytest.raises(TokenError):
        TokenService(KEY).verify("not-a-token")


def test_role_proto_numbers_follow_the_contract():
    from xueji.v1 import common_pb2

    for role in Role:
        assert common_pb2.Role.Name(role.proto) == "ROLE_" + role.name


def test_tokens_of_the_previous_key_stay_valid_during_a_rotation():
    old_token = TokenService(OTHER).mint("u1", Role.SYSTEM, "000000")
    rotated = TokenService(KEY, previous=(OTHER,))
    assert rotated.verify(old_token).user_id == "u1"
    new_token = rotated.mint("u2", Role.SYSTEM, "000000")
    assert TokenService(KEY).verify(new_token).user_id == "u2"  # minted with the new key
    with pytest.raises(TokenError):
        TokenService(OTHER).verify(new_token)
    with pytest.raises(TokenError):
        TokenService(KEY).verify(old_token)  # once the previous key is dropped


def test_a_cached_token_is_refused_once_it_expires(monkeypatch):
    tokens = TokenService(KEY)
    token = tokens.mint("u1", Role.SYSTEM, "000000", ttl_seconds=60)
    assert tokens.verify(token).user_id == "u1"
    assert tokens.verify(token).user_id == "u1"  # from the cache
    later = time.time() + 120
    monkeypatch.setattr("xueji_common.auth.time.time", lambda: later)
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(token)


def test_the_cache_stays_bounded():
    tokens = TokenService(KEY)
    tokens.CACHE_SIZE = 5
    for i in range(20):
        tokens.verify(tokens.mint(f"u{i}", Role.SYSTEM, "000000"))
    assert len(tokens._verified) == 5


def test_service_calls_reuse_their_token_until_shortly_before_it_expires(monkeypatch):
    from xueji_common.grpcserver.client import ServiceCaller

    caller = ServiceCaller(TokenService(KEY), "registration")
    first = caller.metadata()
    assert caller.metadata() == first
    assert TokenService(KEY).verify(first[0][1].removeprefix("Bearer ")).role is Role.SYSTEM
    later = time.time() + ServiceCaller.TTL_SECONDS - ServiceCaller.RENEW_BEFORE_SECONDS + 1
    monkeypatch.setattr("xueji_common.grpcserver.client.time.time", lambda: later)
    assert caller.metadata() != first
