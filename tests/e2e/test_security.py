"""Security across the real processes of the whole system: a matrix of RPCs × roles × jurisdictions
(own unit, a sibling, the parent, a child, another province), bad tokens, and masked logs.

Each cell calls the RPC on the unit of that jurisdiction; outside the caller's reach it must be
PERMISSION_DENIED and change nothing (the service's outbox does not grow)."""
from __future__ import annotations

import grpc
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.actors import PEOPLE
from tests.e2e.coverage import coverage
from xueji.v1 import common_pb2, registration_pb2, review_pb2
from xueji_common.auth import Role, TokenService
from xueji_common.grpcserver.client import bearer

pytestmark = pytest.mark.slow
SCHOOL, SIBLING_SCHOOL, OTHER_PROVINCE_SCHOOL = "1330102001", "1330102002", "1320102001"
COUNTY, SIBLING_COUNTY, CITY, PROVINCE, OTHER_PROVINCE = "330102", "330105", "330100", "330000", "320000"

# target unit of each jurisdiction, per caller kind (school callers: their school; departments: the county)
JURISDICTIONS = {
    "school": {"own": SCHOOL, "sibling": SIBLING_SCHOOL, "parent": COUNTY, "other_province": OTHER_PROVINCE_SCHOOL},
    "county": {"own": COUNTY, "sibling": SIBLING_COUNTY, "parent": CITY, "child": SCHOOL,
               "other_province": OTHER_PROVINCE},
}
# caller role, caller unit kind, service, rpc, request builder (unit → request)
CALLS = [
    (Role.SCHOOL_LEADER, "school", "review", "Reviews", "GetPendingSummary",
     lambda u: review_pb2.GetPendingSummaryRequest(school_code=u)),
    (Role.SCHOOL_REGISTRAR, "school", "review", "Reports", "GetReportSummary",
     lambda u: review_pb2.GetReportSummaryRequest(school_code=u)),
    (Role.SCHOOL_REGISTRAR, "school", "registration", "Registrations", "ListApplications",
     lambda u: registration_pb2.ListApplicationsRequest(org_unit_code=u)),
    (Role.SCHOOL_REGISTRAR, "school", "registration", "Registrations", "ListStudentRecords",
     lambda u: registration_pb2.ListStudentRecordsRequest(org_unit_code=u)),
    (Role.SCHOOL_REGISTRAR, "school", "registration", "PreschoolTransfers", "CreatePreschoolTransfer",
     lambda u: registration_pb2.CreatePreschoolTransferRequest(school_code=u, identity=_identity())),
    (Role.SCHOOL_REGISTRAR, "school", "registration", "Registrations", "UploadProofMaterial",
     lambda u: registration_pb2.UploadProofMaterialRequest(
         school_code=u, purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
         file=common_pb2.FileContent(file_name="a.png", content_type="image/png", content=_png()))),
    (Role.DEPARTMENT_REGISTRAR, "county", "registration", "Registrations", "ListApplications",
     lambda u: registration_pb2.ListApplicationsRequest(org_unit_code=u)),
    (Role.DEPARTMENT_REGISTRAR, "county", "review", "Reviews", "GetPendingSummary",
     lambda u: review_pb2.GetPendingSummaryRequest(department_code=u) if len(u) == 6
     else review_pb2.GetPendingSummaryRequest(school_code=u)),
    (Role.DEPARTMENT_REGISTRAR, "county", "dedup", "ProblemRecords", "ListProblemGroups",
     lambda u: __import__("xueji.v1.dedup_pb2", fromlist=["x"]).ListProblemGroupsRequest(org_unit_code=u)),
]
ALLOWED = {"own", "child"}


def _identity():
    p = PEOPLE[1999]
    return common_pb2.StudentIdentity(
        name=p.name, gender=int(p.gender),
        birth_date=common_pb2.Date(year=p.birth_date.year, month=p.birth_date.month, day=p.birth_date.day),
        document=common_pb2.IdentityDocument(type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=p.resident_id))


def _png():
    from tests.e2e.actors import png
    return png()


def outbox_size(cluster, svc: str) -> int:
    engine = create_engine(cluster.db[f"zj-{svc}"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    finally:
        engine.dispose()


def call(zj, svc, service, method, request, metadata):
    rpc = zj.channel(svc).unary_unary(f"/xueji.v1.{service}/{method}",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=lambda b: b)
    return rpc(request, metadata=metadata, timeout=10)


CELLS = [(c, j) for c in CALLS for j in JURISDICTIONS[c[1]]]


@pytest.mark.parametrize("spec,jurisdiction", CELLS,
                         ids=[f"{c[4]}-{c[0].value}-{j}" for c, j in CELLS])
def test_rpc_role_jurisdiction_matrix(zj, spec, jurisdiction):
    role, kind, svc, service, method, build = spec
    caller_unit = SCHOOL if kind == "school" else COUNTY
    target = JURISDICTIONS[kind][jurisdiction]
    metadata = bearer(zj.cluster.token(role, caller_unit, f"matrix-{role.value}"))
    before = outbox_size(zj.cluster, svc)
    try:
        call(zj, svc, service, method, build(target), metadata)
        outcome = grpc.StatusCode.OK
    except grpc.RpcError as exc:
        outcome = exc.code()
    if jurisdiction in ALLOWED:
        assert outcome != grpc.StatusCode.PERMISSION_DENIED, (method, jurisdiction)
    else:
        assert outcome == grpc.StatusCode.PERMISSION_DENIED, (method, jurisdiction, outcome)
        assert outbox_size(zj.cluster, svc) == before
    coverage.matrix_cells += 1


@pytest.mark.parametrize("bad", ["missing", "forged", "expired", "wrong_audience"])
@pytest.mark.parametrize("svc,service,method,request_", [
    ("registration", "Registrations", "ListApplications", registration_pb2.ListApplicationsRequest()),
    ("review", "Reviews", "GetPendingSummary", review_pb2.GetPendingSummaryRequest(school_code=SCHOOL)),
    ("dedup", "ProblemRecords", "ListProblemGroups",
     __import__("xueji.v1.dedup_pb2", fromlist=["x"]).ListProblemGroupsRequest()),
    ("special-ed", "SpecialEd", "ListCandidates",
     __import__("xueji.v1.special_ed_pb2", fromlist=["x"]).ListCandidatesRequest()),
])
def test_bad_tokens_are_unauthenticated_on_every_server(zj, bad, svc, service, method, request_):
    secret = zj.cluster.token_secret
    metadata = {
        "missing": [],
        "forged": bearer(TokenService("f" * 48).mint("u", Role.SYSTEM, "000000")),
        "expired": bearer(TokenService(secret).mint("u", Role.SYSTEM, "000000", ttl_seconds=-5)),
        "wrong_audience": bearer(TokenService(secret, audience="elsewhere").mint("u", Role.SYSTEM, "000000")),
    }[bad]
    with pytest.raises(grpc.RpcError) as err:
        call(zj, svc, service, method, request_, metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_no_process_logs_an_unmasked_document_number(zj, people):
    """Runs after the flows of the session (the system cluster is shared): every resident ID of the
    demo register and every HK number handed out must be absent from every log."""
    logs = zj.cluster.logs()
    numbers = [p.resident_id for p in PEOPLE]
    for name, text_ in logs.items():
        leaked = [n for n in numbers if n in text_]
        assert not leaked, f"{name} logged {len(leaked)} unmasked document numbers"
        assert '"H2018' not in text_ and " H2018" not in text_, name
