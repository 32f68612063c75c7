"""Sign-in through gRPC: tokens, refusals that reveal nothing, lockout, refresh rotation and reuse."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from dataclasses import replace

import grpc
import jwt
from accounts_harness import NEW_PASSWORD, create, first_sign_in, refused
from sqlalchemy import select

from xueji.v1 import accounts_pb2
from xueji_accounts.adapters.hasher import Argon2Hasher
from xueji_accounts.adapters.tables import refresh_tokens
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.signing import JwksKeys


def sign_in(stub, login, password):
    return stub.SignIn(accounts_pb2.SignInRequest(login_name=login, password=password))


def test_sign_in_gives_an_es256_access_token_of_15_minutes_and_a_refresh_token(stub, root):
    pair = first_sign_in(stub, "t.leader", create(stub, root, "t.leader", Role.SCHOOL_LEADER, "1330102001"))
    header = jwt.get_unverified_header(pair.access_token)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["kid"]
    assert claims["sub"] == "t.leader" and claims["role"] == "school_leader" and claims["org"] == "1330102001"
    assert claims["exp"] - claims["iat"] == 15 * 60 and claims["aud"] == "xueji" and claims["jti"]
    assert pair.refresh_token and pair.refresh_expires_in_seconds == 8 * 3600
    assert pair.user.must_change_password is False and pair.user.last_sign_in_time.seconds > 0
    me = stub.WhoAmI(accounts_pb2.WhoAmIRequest(), metadata=bearer(pair.access_token))
    assert (me.login_name, me.role, me.org_unit_code) == ("t.leader", Role.SCHOOL_LEADER.proto, "1330102001")


def test_the_refusal_does_not_say_whether_the_login_exists_and_every_attempt_is_audited(stub, root):
    unknown = refused(sign_in, stub, "nobody-here", "Whatever.123x")
    create(stub, root, "t.known", Role.SCHOOL_REGISTRAR, "1330102001")
    wrong = refused(sign_in, stub, "t.known", "Wrong.Password-1")
    assert unknown == wrong == "用户名或密码错误"
    attempts = stub.ListSignInAttempts(accounts_pb2.ListSignInAttemptsRequest(), metadata=root).attempts
    outcomes = {(a.login_name, a.outcome) for a in attempts}
    assert {("nobody-here", "unknown_login"), ("t.known", "bad_password")} <= outcomes
    assert all(a.source_address.startswith("ipv4:127.0.0.1") and a.time.seconds for a in attempts)


def test_five_failures_lock_the_account_and_an_administrator_can_unlock_it(stub, root):
    password = create(stub, root, "t.locked", Role.SCHOOL_REGISTRAR, "1330102001")
    for _ in range(5):
        assert refused(sign_in, stub, "t.locked", "Wrong.Password-1") == "用户名或密码错误"
    # even the right password is refused now, and only the right password learns why
    assert "锁定" in refused(sign_in, stub, "t.locked", password, code=grpc.StatusCode.UNAUTHENTICATED)
    assert refused(sign_in, stub, "t.locked", "Wrong.Password-1") == "用户名或密码错误"
    listed = stub.ListUsers(
        accounts_pb2.ListUsersRequest(login_name_contains="t.locked"), metadata=root
    ).users
    assert listed[0].state == accounts_pb2.USER_STATE_LOCKED and listed[0].locked_until.seconds
    stub.UnlockUser(accounts_pb2.UserRef(login_name="t.locked"), metadata=root)
    first_sign_in(stub, "t.locked", password)


def test_a_refresh_token_is_rotated_and_its_reuse_revokes_the_whole_sign_in(stub, root):
    first_sign_in(stub, "t.refresh", create(stub, root, "t.refresh", Role.SCHOOL_REGISTRAR, "1330102001"))
    pair = sign_in(stub, "t.refresh", NEW_PASSWORD)
    second = stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token))
    assert second.refresh_token != pair.refresh_token and second.access_token != pair.access_token
    third = stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=second.refresh_token))
    assert "已作废" in refused(stub.Refresh, accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token))
    # the thief's reuse also ended the rightful holder's newer token
    refused(stub.Refresh, accounts_pb2.RefreshRequest(refresh_token=third.refresh_token))
    other = sign_in(stub, "t.refresh", NEW_PASSWORD)  # another sign-in is another family
    stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=other.refresh_token))


def test_sign_out_ends_the_refresh_token(stub, root):
    first_sign_in(stub, "t.out", create(stub, root, "t.out", Role.SCHOOL_REGISTRAR, "1330102001"))
    pair = sign_in(stub, "t.out", NEW_PASSWORD)
    stub.SignOut(accounts_pb2.SignOutRequest(refresh_token=pair.refresh_token))
    refused(stub.Refresh, accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token))


def test_a_new_password_must_meet_the_policy(stub, root):
    password = create(stub, root, "t.policy", Role.SCHOOL_REGISTRAR, "1330102001")
    with_login = "t.policy-Abc123"
    details = refused(
        stub.ChangePassword,
        accounts_pb2.ChangePasswordRequest(
            login_name="t.policy", current_password=password, new_password=with_login
        ),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "登录名" in details


def test_a_hash_made_with_older_parameters_is_upgraded_at_sign_in(system, stub, root):
    accounts = accounts_of(system.runtime("accounts"))
    first_sign_in(stub, "t.rehash", create(stub, root, "t.rehash", Role.SCHOOL_REGISTRAR, "1330102001"))
    weaker = Argon2Hasher(
        accounts.settings.model_copy(update={"argon2_memory_kib": 8192, "argon2_time_cost": 1})
    )
    with accounts.uow() as uow:
        user = uow.repo.user("t.rehash")
        uow.repo.save_user(replace(user, password_hash=weaker.hash(NEW_PASSWORD)))
        uow.commit()
    sign_in(stub, "t.rehash", NEW_PASSWORD)
    with accounts.uow() as uow:
        upgraded = uow.repo.user("t.rehash").password_hash
    assert "m=19456,t=2" in upgraded and not accounts.hasher.needs_rehash(upgraded)


def test_the_public_keys_are_served_as_jwks_over_http_and_grpc(system, stub, root):
    port = system.settings.jwks_port
    served = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/jwks.json"))
    over_grpc = json.loads(stub.GetSigningKeys(accounts_pb2.GetSigningKeysRequest()).jwks_json)
    assert served == over_grpc and len(served["keys"]) == 1
    assert {"kty", "crv", "x", "y", "kid"} <= set(served["keys"][0]) and "d" not in served["keys"][0]
    token = root[0][1].removeprefix("Bearer ")
    keys = JwksKeys(f"http://127.0.0.1:{port}/.well-known/jwks.json")
    assert keys.key(jwt.get_unverified_header(token)["kid"]) is not None


def test_service_identities_get_a_five_minute_system_token_for_their_unit(system, stub):
    import hashlib

    from xueji_accounts.config import ServiceClient

    runtime = system.runtime("accounts")
    accounts = accounts_of(runtime)
    clients = {
        "registration-zj": ServiceClient("registration-zj", "330000", hashlib.sha256(b"s3cret").hexdigest())
    }
    runtime._accounts = replace(
        accounts, settings=accounts.settings.model_copy(update={"service_clients": clients})
    )
    issued = stub.IssueServiceToken(
        accounts_pb2.IssueServiceTokenRequest(client_id="registration-zj", client_secret="s3cret")
    )
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert (claims["role"], claims["org"], claims["sub"]) == ("system", "330000", "service:registration-zj")
    assert issued.expires_in_seconds == 300 == claims["exp"] - claims["iat"]
    refused(
        stub.IssueServiceToken,
        accounts_pb2.IssueServiceTokenRequest(client_id="registration-zj", client_secret="guess"),
    )
    refused(
        stub.IssueServiceToken,
        accounts_pb2.IssueServiceTokenRequest(client_id="nobody", client_secret="s3cret"),
    )


def test_expired_refresh_tokens_are_purged_when_the_user_signs_in_again(system, stub, root):
    accounts = accounts_of(system.runtime("accounts"))
    first_sign_in(stub, "t.purge", create(stub, root, "t.purge", Role.SCHOOL_REGISTRAR, "1330102001"))
    live = sign_in(stub, "t.purge", NEW_PASSWORD)
    stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=live.refresh_token))  # one spent, one live
    with accounts.uow() as uow:  # every token of this user so far has expired
        uow.session.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.login_name == "t.purge")
            .values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
        uow.commit()
    fresh = sign_in(stub, "t.purge", NEW_PASSWORD)
    with accounts.uow() as uow:
        left = uow.session.execute(
            select(refresh_tokens.c.expires_at).where(refresh_tokens.c.login_name == "t.purge")
        ).all()
    assert len(left) == 1 and fresh.refresh_token
    stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=fresh.refresh_token))  # the new one works
