"""Security across the real processes of the whole system: bad tokens on every server, and masked
logs. The matrix of RPCs × roles × jurisdictions is test_security_matrix.py."""

from __future__ import annotations

import time

import grpc
import jwt
import pytest
from tests.e2e.actors import PEOPLE

from xueji.v1 import (
    dedup_pb2,
    national_query_pb2,
    population_register_pb2,
    registration_pb2,
    review_pb2,
    special_ed_pb2,
)
from xueji_common.auth import Role, TokenSigner
from xueji_common.grpcserver.client import bearer
from xueji_common.testing.issuer import TestIssuer

pytestmark = pytest.mark.slow
SCHOOL = "1330102001"


def call(zj, svc, service, method, request, metadata):
    rpc = zj.channel(svc).unary_unary(
        f"/xueji.v1.{service}/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=lambda b: b,
    )
    return rpc(request, metadata=metadata, timeout=10)


@pytest.mark.parametrize(
    "bad",
    [
        "missing",
        "forged",
        "expired",
        "wrong_audience",
        "old_shared_key",
        "alg_none",
        "unfit_role",
        "unconfigured_province",
    ],
)
@pytest.mark.parametrize(
    "svc,service,method,request_",
    [
        ("registration", "Registrations", "ListApplications", registration_pb2.ListApplicationsRequest()),
        ("review", "Reviews", "GetPendingSummary", review_pb2.GetPendingSummaryRequest(school_code=SCHOOL)),
        ("dedup", "ProblemRecords", "ListProblemGroups", dedup_pb2.ListProblemGroupsRequest()),
        ("special-ed", "SpecialEd", "ListCandidates", special_ed_pb2.ListCandidatesRequest()),
        ("national-query", "NationalQuery", "CreateCaptcha", national_query_pb2.CreateCaptchaRequest()),
        ("dedup-national", "Dedup", "CheckDocument", dedup_pb2.CheckDocumentRequest()),
        (
            "population-register",
            "PopulationRegister",
            "VerifyIdentity",
            population_register_pb2.VerifyIdentityRequest(),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_tokens_are_unauthenticated_on_every_server(zj, bad, svc, service, method, request_):
    issuer = zj.cluster.issuer
    claims = {
        "sub": "u",
        "role": "system",
        "org": "000000",
        "aud": "xueji",
        "iss": issuer.name,
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "jti": "j",
    }
    metadata = {
        "missing": [],
        "forged": lambda: bearer(
            TestIssuer(issuer.name).mint("u", Role.SYSTEM, "000000")
        ),  # same name, other key
        "expired": lambda: bearer(issuer.mint("u", Role.SYSTEM, "000000", ttl_seconds=-5)),
        "wrong_audience": lambda: bearer(
            TokenSigner(issuer.key, issuer.name, "elsewhere").mint("u", Role.SYSTEM, "000000")
        ),
        "old_shared_key": lambda: bearer(
            jwt.encode(claims, "xueji-development-token-key-not-for-production", algorithm="HS256")
        ),
        "alg_none": lambda: bearer(
            jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.key.kid})
        ),
        "unfit_role": lambda: bearer(issuer.mint("u", Role.SCHOOL_REGISTRAR, "330000")),
        "unconfigured_province": lambda: bearer(TestIssuer("xueji-440000").mint("u", Role.SYSTEM, "000000")),
    }[bad]
    metadata = metadata() if callable(metadata) else metadata
    with pytest.raises(grpc.RpcError) as err:
        call(zj, svc, service, method, request_, metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_no_process_logs_an_unmasked_document_number(zj, people):
    """Runs after the flows of the session (the system cluster is shared; test_security_matrix checks
    again after the matrix)."""
    assert_no_unmasked_document_number(zj.cluster)


def assert_no_unmasked_document_number(cluster) -> None:
    """Every resident ID of the demo register and every HK number handed out is absent from every log."""
    logs = cluster.logs()
    numbers = [p.resident_id for p in PEOPLE]
    for name, text_ in logs.items():
        leaked = [n for n in numbers if n in text_]
        assert not leaked, f"{name} logged {len(leaked)} unmasked document numbers"
        assert '"H2018' not in text_ and " H2018" not in text_, name
