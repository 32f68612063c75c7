"""Accounts across real processes: people sign in at their province's accounts service and act in
every service of their province and at the national tier; another province's tokens are refused
where that province is not trusted; service identities come from the tier's accounts service."""

from __future__ import annotations

import subprocess

import grpc
import pytest
from tests.e2e.cluster import BIN

from xueji.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    dedup_pb2,
    national_query_pb2,
    registration_pb2,
    review_pb2,
    special_ed_pb2,
)
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer

pytestmark = pytest.mark.slow
ADMIN_PASSWORD, NEW_PASSWORD = "First-Admin.2026x", "Signed-In.2026x"


def _call(cluster, deployment, method, request, metadata):
    channel = grpc.insecure_channel(cluster.address(deployment))
    rpc = channel.unary_unary(
        f"/{method}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=lambda b: b
    )
    try:
        return rpc(request, metadata=metadata, timeout=30)
    finally:
        channel.close()


def _code(cluster, deployment, method, request, metadata) -> grpc.StatusCode:
    try:
        _call(cluster, deployment, method, request, metadata)
        return grpc.StatusCode.OK
    except grpc.RpcError as exc:
        return exc.code()


def _sign_in_first(stub, login, password) -> accounts_pb2.TokenPair:
    with pytest.raises(grpc.RpcError) as err:
        stub.SignIn(accounts_pb2.SignInRequest(login_name=login, password=password), timeout=30)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    stub.ChangePassword(
        accounts_pb2.ChangePasswordRequest(
            login_name=login, current_password=password, new_password=NEW_PASSWORD
        ),
        timeout=30,
    )
    return stub.SignIn(accounts_pb2.SignInRequest(login_name=login, password=NEW_PASSWORD), timeout=30)


def _school_registrar_of(cluster, tier: str, province: str, school: str) -> str:
    """The first administrator from `xueji-accounts create-admin` (as the chart's Job runs it), who
    creates a school registrar; returns that registrar's access token."""
    env = cluster.env(cluster.deployments[cluster.accounts_of(tier)], XUEJI_ADMIN_PASSWORD=ADMIN_PASSWORD)
    done = subprocess.run(
        [str(BIN / "xueji-accounts"), "create-admin", "--login", f"admin-{tier}", "--org", province],
        env=env,
        cwd=cluster.dir,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stub = accounts_pb2_grpc.AccountsStub(grpc.insecure_channel(cluster.address(cluster.accounts_of(tier))))
    admin = bearer(_sign_in_first(stub, f"admin-{tier}", ADMIN_PASSWORD).access_token)
    made = stub.CreateUser(
        accounts_pb2.CreateUserRequest(
            login_name=f"registrar-{tier}",
            display_name="学籍管理员",
            role=Role.SCHOOL_REGISTRAR.proto,
            org_unit_code=school,
        ),
        metadata=admin,
        timeout=30,
    )
    return _sign_in_first(stub, f"registrar-{tier}", made.temporary_password).access_token


@pytest.fixture(scope="module")
def tokens(system_cluster):
    return {
        "zj": _school_registrar_of(system_cluster, "zj", "330000", "1330102001"),
        "js": _school_registrar_of(system_cluster, "js", "320000", "1320104001"),
    }


def test_a_signed_in_school_registrar_acts_in_its_province_and_at_the_national_tier(system_cluster, tokens):
    md = bearer(tokens["zj"])
    assert (
        _code(
            system_cluster,
            "zj-registration",
            "xueji.v1.Registrations/ListApplications",
            registration_pb2.ListApplicationsRequest(),
            md,
        )
        == grpc.StatusCode.OK
    )
    assert (
        _code(
            system_cluster,
            "zj-review",
            "xueji.v1.Reviews/GetPendingSummary",
            review_pb2.GetPendingSummaryRequest(school_code="1330102001"),
            md,
        )
        == grpc.StatusCode.OK
    )
    assert (
        _code(
            system_cluster,
            "zj-special-ed",
            "xueji.v1.SpecialEd/ListCandidates",
            special_ed_pb2.ListCandidatesRequest(),
            md,
        )
        == grpc.StatusCode.OK
    )
    assert (
        _code(
            system_cluster,
            "zj-dedup",
            "xueji.v1.ProblemRecords/ListProblemGroups",
            dedup_pb2.ListProblemGroupsRequest(),
            md,
        )
        == grpc.StatusCode.OK
    )
    # the national tier verifies it with 浙江's public keys, fetched from 浙江's accounts service
    assert (
        _code(
            system_cluster,
            "national-query",
            "xueji.v1.NationalQuery/CreateCaptcha",
            national_query_pb2.CreateCaptchaRequest(),
            md,
        )
        == grpc.StatusCode.OK
    )
    assert (
        _code(
            system_cluster,
            "dedup-national",
            "xueji.v1.Dedup/CheckDocument",
            dedup_pb2.CheckDocumentRequest(),
            md,
        )
        == grpc.StatusCode.PERMISSION_DENIED
    )  # known, not allowed


def test_a_province_does_not_accept_another_provinces_tokens_the_nation_does(system_cluster, tokens):
    js = bearer(tokens["js"])
    for deployment, method, request in (
        (
            "zj-registration",
            "xueji.v1.Registrations/ListApplications",
            registration_pb2.ListApplicationsRequest(),
        ),
        ("zj-review", "xueji.v1.Reviews/GetPendingSummary", review_pb2.GetPendingSummaryRequest()),
        ("zj-dedup", "xueji.v1.ProblemRecords/ListProblemGroups", dedup_pb2.ListProblemGroupsRequest()),
    ):
        assert _code(system_cluster, deployment, method, request, js) == grpc.StatusCode.UNAUTHENTICATED
    assert (
        _code(
            system_cluster,
            "js-registration",
            "xueji.v1.Registrations/ListApplications",
            registration_pb2.ListApplicationsRequest(),
            js,
        )
        == grpc.StatusCode.OK
    )
    assert (
        _code(
            system_cluster,
            "national-query",
            "xueji.v1.NationalQuery/CreateCaptcha",
            national_query_pb2.CreateCaptchaRequest(),
            js,
        )
        == grpc.StatusCode.OK
    )


def test_service_identities_are_issued_by_the_tiers_accounts_service(system_cluster):
    stub = accounts_pb2_grpc.AccountsStub(
        grpc.insecure_channel(system_cluster.address(system_cluster.accounts_of("zj")))
    )
    issued = stub.IssueServiceToken(
        accounts_pb2.IssueServiceTokenRequest(
            client_id="registration", client_secret=system_cluster._client_secrets["zj-registration"]
        ),
        timeout=30,
    )
    md = bearer(issued.access_token)
    me = stub.WhoAmI(accounts_pb2.WhoAmIRequest(), metadata=md, timeout=30)
    assert (me.login_name, me.role, me.org_unit_code) == ("service:registration", Role.SYSTEM.proto, "330000")
    # a system token of 浙江: accepted by the nation (for 浙江), refused by 江苏, which does not trust 浙江
    assert (
        _code(
            system_cluster,
            "dedup-national",
            "xueji.v1.Dedup/CheckDocument",
            dedup_pb2.CheckDocumentRequest(),
            md,
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (
        _code(
            system_cluster,
            "js-dedup",
            "xueji.v1.ProblemRecords/ListProblemGroups",
            dedup_pb2.ListProblemGroupsRequest(),
            md,
        )
        == grpc.StatusCode.UNAUTHENTICATED
    )
    with pytest.raises(grpc.RpcError) as err:
        stub.IssueServiceToken(
            accounts_pb2.IssueServiceTokenRequest(client_id="registration", client_secret="guessed"),
            timeout=30,
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
