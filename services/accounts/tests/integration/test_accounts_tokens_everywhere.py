"""Tokens of signed-in users against every service: the whole embedded system over one socket, and
a national tier in another process's shoes verifying a province's tokens with its JWKS only."""

from __future__ import annotations

import grpc
import pytest
from accounts_harness import ROOT_PASSWORD, create, first_sign_in

from xueji.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    dedup_pb2,
    national_query_pb2,
    registration_pb2,
    review_pb2,
    special_ed_pb2,
)
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_accounts.service_layer import admin
from xueji_common.auth import Role, TokenError
from xueji_common.config import Settings
from xueji_common.grpcserver.client import bearer
from xueji_common.orgunits import load_default_tree
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer

SCHOOL = "1330102001"
USERS = {  # one user of each role, at a unit of its level
    "e.school_registrar": (Role.SCHOOL_REGISTRAR, SCHOOL),
    "e.school_leader": (Role.SCHOOL_LEADER, SCHOOL),
    "e.county_registrar": (Role.DEPARTMENT_REGISTRAR, "330102"),
    "e.province_registrar": (Role.DEPARTMENT_REGISTRAR, "330000"),
    "e.city_admin": (Role.USER_ADMIN, "330100"),
}
CALLS = [  # one method of every service
    ("xueji.v1.Registrations/ListApplications", registration_pb2.ListApplicationsRequest()),
    ("xueji.v1.Reviews/GetPendingSummary", review_pb2.GetPendingSummaryRequest(school_code=SCHOOL)),
    ("xueji.v1.ProblemRecords/ListProblemGroups", dedup_pb2.ListProblemGroupsRequest()),
    ("xueji.v1.SpecialEd/ListCandidates", special_ed_pb2.ListCandidatesRequest()),
    ("xueji.v1.NationalQuery/CreateCaptcha", national_query_pb2.CreateCaptchaRequest()),
    ("xueji.v1.Accounts/WhoAmI", accounts_pb2.WhoAmIRequest()),
]


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("whole"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        jwks_port=free_port(),
        token_issuer="xueji-330000",
    )
    system = EmbeddedSystem(settings, seed=False)
    system.start()
    admin.create_user(
        accounts_of(system.runtime("accounts")),
        None,
        "root",
        "部用户管理员",
        Role.USER_ADMIN,
        "000000",
        ROOT_PASSWORD,
    )
    with grpc.insecure_channel(settings.grpc_address) as channel:
        stub = accounts_pb2_grpc.AccountsStub(channel)
        root = bearer(first_sign_in(stub, "root", ROOT_PASSWORD).access_token)
        tokens = {
            login: first_sign_in(stub, login, create(stub, root, login, role, unit)).access_token
            for login, (role, unit) in USERS.items()
        }
        yield system, channel, tokens
    system.stop()


def _call(channel, method, request, metadata):
    rpc = channel.unary_unary(
        f"/{method}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=lambda b: b
    )
    return rpc(request, metadata=metadata, timeout=30)


@pytest.mark.parametrize("login", list(USERS))
def test_a_signed_in_user_of_each_role_is_authenticated_by_every_service(whole, login):
    _system, channel, tokens = whole
    for method, request in CALLS:
        try:
            _call(channel, method, request, bearer(tokens[login]))
        except grpc.RpcError as exc:  # the role may be refused the method, but the caller is known
            assert exc.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT), (
                method,
                exc.code(),
                exc.details(),
            )
        tampered = tokens[login][:-4] + ("AAAA" if not tokens[login].endswith("AAAA") else "BBBB")
        with pytest.raises(grpc.RpcError) as err:
            _call(channel, method, request, bearer(tampered))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, method


def test_a_token_of_an_unconfigured_province_or_the_old_shared_key_is_unauthenticated_everywhere(whole):
    import time

    import jwt

    system, channel, _ = whole
    js = TestIssuer("xueji-320000", units=("320000",))
    claims = {
        "sub": "u",
        "role": "system",
        "org": "000000",
        "aud": "xueji",
        "iss": "xueji-330000",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "jti": "j",
    }
    old_shared = jwt.encode(claims, "xueji-development-token-key-not-for-production", algorithm="HS256")
    unfit = accounts_of(system.runtime("accounts")).signer.mint("u", Role.SCHOOL_REGISTRAR, "330000")
    for token in (js.mint("u", Role.SCHOOL_REGISTRAR, "1320102001"), old_shared, unfit):
        for method, request in CALLS:
            with pytest.raises(grpc.RpcError) as err:
                _call(channel, method, request, bearer(token))
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, method


def test_the_national_tier_accepts_a_province_users_token_through_the_provinces_jwks(whole):
    """A national process holds no key of the province: it fetches the JWKS from the province's
    accounts service over HTTP, and accepts only units of that province from it."""
    system, _, tokens = whole
    jwks = f"http://127.0.0.1:{system.settings.jwks_port}/.well-known/jwks.json"
    national = Settings(
        mode="production",
        token_issuer="xueji-national",
        trusted_issuers=(("xueji-330000", jwks, ("330000",)),),
    ).token_service(load_default_tree())
    assert national.signer is None
    principal = national.verify(tokens["e.school_registrar"])
    assert (principal.user_id, principal.org_unit, principal.issuer) == (
        "e.school_registrar",
        SCHOOL,
        "xueji-330000",
    )
    province_signer = accounts_of(system.runtime("accounts")).signer
    with pytest.raises(TokenError, match="does not speak for"):
        national.verify(province_signer.mint("service:registration", Role.SYSTEM, "000000"))
    with pytest.raises(TokenError, match="does not speak for"):
        national.verify(province_signer.mint("u", Role.SCHOOL_REGISTRAR, "1320102001"))
