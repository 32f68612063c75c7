"""Matrix entries of dedup (Dedup, ProblemRecords, PopulationRegister), national-query (NationalQuery,
PreschoolRecords) and special-ed (security_rpcs has the rules).

The system-only RPCs aim at nothing ("none"): one cell per caller, a well-formed request with fresh ids
(ReserveIdentity, RegisterRecord...) or the reservations security_world made for the system."""

from __future__ import annotations

import secrets
import uuid

import grpc
from google.protobuf import field_mask_pb2
from tests.e2e.actors import PEOPLE, PRESCHOOL, png
from tests.e2e.security_rpcs_registration import system
from tests.e2e.security_table import ALL, DR, MINISTRY_REGISTRAR, SL, SR, SYS, Rpc
from tests.e2e.security_world import COUNTY, MINISTRY, OTHER, SCHOOL

from xueji.v1 import (
    common_pb2 as cm,
)
from xueji.v1 import (
    dedup_pb2 as dd,
)
from xueji.v1 import (
    events_pb2,
    national_query_pb2_grpc,
    special_ed_pb2_grpc,
)
from xueji.v1 import (
    national_query_pb2 as nq,
)
from xueji.v1 import (
    population_register_pb2 as pr,
)
from xueji.v1 import (
    special_ed_pb2 as sp,
)

SOLVED_LOOKUP = (DR, OTHER)  # the one lookup that answers its captcha: a 浙江 county finding a 江苏 student
_PERSON = PEOPLE[0]
_RESIDENT = cm.DOCUMENT_TYPE_RESIDENT_ID
CORROBORATE = events_pb2.PROBLEM_RESOLUTION_CORROBORATE
VISUAL = cm.INCLUSIVE_EDUCATION_VISUAL


def _hash() -> str:
    return secrets.token_hex(32)


def resolve(site, caller) -> dd.ResolveProblemGroupRequest:
    """佐证 every record of the group: the school's registrar resolves "problem", the county's
    (above the school) "problem2"."""
    group_id = site.group("problem2" if caller.role is DR else "problem")
    group = site.actor.problems.GetProblemGroup(
        dd.GetProblemGroupRequest(group_id=group_id), metadata=system(site), timeout=10
    )
    return dd.ResolveProblemGroupRequest(
        group_id=group.group_id,
        opinion="核对户口簿，学籍属实",
        expected_version=group.version,
        resolutions=[
            dd.RecordResolution(record_id=s.record_id, resolution=CORROBORATE) for s in group.students
        ],
        proof_files=[cm.FileContent(file_name="户口簿.png", content_type="image/png", content=png())],
    )


def _lookup(w, c, u):
    """A record of `u` by name and national student number. People answer a captcha: one cell
    solves it (seconds of hashing); the others answer wrong, which shows the caller got past the
    role check (INVALID_ARGUMENT on captcha_answer, never PERMISSION_DENIED)."""
    site = w.site(u)
    name, number = site.lookup
    request = nq.LookupStudentRequest(name=name, national_student_number=number)
    if c.role is not SYS:
        stub = national_query_pb2_grpc.NationalQueryStub(site.actor.channel("national-query"))
        md = site.actor.md(c.role, c.unit, f"matrix-{c.role.value}-{c.unit}")
        captcha = stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=md, timeout=10)
        request.captcha_id, request.captcha_answer = captcha.captcha_id, "0000"
        if (c.role, u) == SOLVED_LOOKUP:
            from tests.e2e.test_flows_national_lookup import read_captcha

            request.captcha_answer = read_captcha(site.actor.cluster, captcha.captcha_id)
    return request


def _lookup_code(caller, jurisdiction):
    solved = (caller.role, jurisdiction) == (SOLVED_LOOKUP[0], "other_province")
    return grpc.StatusCode.OK if caller.role is SYS or solved else grpc.StatusCode.INVALID_ARGUMENT


def _csv_header() -> list:
    from xueji_national_query.domain.load_rows import COLUMNS

    return [
        nq.BulkLoadRecordsRequest(header=nq.BulkLoadHeader(file_name="records.csv", format=1)),
        nq.BulkLoadRecordsRequest(chunk=",".join(c.header for c in COLUMNS).encode() + b"\n"),
    ]


def _special_ed_version(site) -> int:
    stub = special_ed_pb2_grpc.SpecialEdStub(site.actor.channel("special-ed"))
    return stub.GetSpecialEdInfo(
        sp.GetSpecialEdInfoRequest(record_id=site.records["info"]), metadata=site.actor.md(SR), timeout=10
    ).version


def _update_info(w, c, u):
    site = w.site(u)
    return sp.UpdateSpecialEdInfoRequest(
        info=sp.SpecialEdInfo(
            record_id=site.records["info"],
            symptom_description="视力低下",
            proof_type=sp.DISABILITY_PROOF_TYPE_OBVIOUS_SYMPTOMS,
            inclusive_education=cm.INCLUSIVE_EDUCATION_VISUAL,
        ),
        update_mask=field_mask_pb2.FieldMask(paths=["proof_type", "symptom_description"]),
        expected_version=_special_ed_version(site),
    )


DEDUP = [
    Rpc(
        "Dedup",
        "CheckDocument",
        (SYS,),
        "none",
        lambda w, c, u: dd.CheckDocumentRequest(document_type=_RESIDENT, document_hash=_hash()),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "CheckDocuments",
        (SYS,),
        "none",
        lambda w, c, u: dd.CheckDocumentsRequest(
            documents=[dd.CheckDocumentRequest(document_type=_RESIDENT, document_hash=_hash())]
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReserveIdentity",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReserveIdentityRequest(
            document_type=_RESIDENT,
            document_hash=_hash(),
            application_id=str(uuid.uuid4()),
            province_code="330000",
            school_code=SCHOOL,
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReserveIdentities",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReserveIdentitiesRequest(
            identities=[
                dd.ReserveIdentityRequest(
                    document_type=_RESIDENT,
                    document_hash=_hash(),
                    application_id=str(uuid.uuid4()),
                    province_code="330000",
                    school_code=SCHOOL,
                )
            ]
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "CommitReservation",
        (SYS,),
        "none",
        lambda w, c, u: dd.CommitReservationRequest(
            reservation_id=w.reservations["commit"], record_id=str(uuid.uuid4())
        ),
        "dedup-national",
    ),
    Rpc(  # an unknown reservation: its item answers NOT_FOUND, nothing is written
        "Dedup",
        "CommitReservations",
        (SYS,),
        "none",
        lambda w, c, u: dd.CommitReservationsRequest(
            reservations=[
                dd.CommitReservationRequest(reservation_id=str(uuid.uuid4()), record_id=str(uuid.uuid4()))
            ]
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReleaseReservation",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReleaseReservationRequest(
            reservation_id=w.reservations["release"], reason="WITHDRAWN"
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReserveStudentNumber",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReserveStudentNumberRequest(
            kind=cm.STUDENT_NUMBER_KIND_TEMPORARY,
            owner_id=str(uuid.uuid4()),
            division_code=COUNTY,
            birth_date=cm.Date(year=2012, month=5, day=6),
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReserveStudentNumbers",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReserveStudentNumbersRequest(
            numbers=[
                dd.ReserveStudentNumberRequest(
                    kind=cm.STUDENT_NUMBER_KIND_TEMPORARY,
                    owner_id=str(uuid.uuid4()),
                    division_code=COUNTY,
                    birth_date=cm.Date(year=2012, month=5, day=6),
                )
                for _ in range(2)
            ]
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "RegisterRecord",
        (SYS,),
        "none",
        lambda w, c, u: dd.RegisterRecordRequest(
            record_id=str(uuid.uuid4()),
            document_type=_RESIDENT,
            document_hash=_hash(),
            application_id=str(uuid.uuid4()),
            province_code="330000",
            school_code=SCHOOL,
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "UnregisterRecord",
        (SYS,),
        "none",
        lambda w, c, u: dd.UnregisterRecordRequest(record_id=str(uuid.uuid4()), reason="DELETED"),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "ReportProblemGroup",
        (SYS,),
        "none",
        lambda w, c, u: dd.ReportProblemGroupRequest(
            province_code="330000",
            group=dd.ProblemGroup(
                group_id=str(uuid.uuid4()),
                kind=events_pb2.PROBLEM_KIND_SHARED_DOCUMENT,
                version=1,
                status=dd.PROBLEM_GROUP_STATUS_PENDING,
                resolver_level=cm.ORG_UNIT_LEVEL_MINISTRY,
                resolver_unit_code=MINISTRY,
            ),
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "RaiseProblemGroup",
        (SYS,),
        "none",
        lambda w, c, u: dd.RaiseProblemGroupRequest(
            kind=events_pb2.PROBLEM_KIND_SHARED_DOCUMENT,
            match_key=_hash(),
            reason="一人多籍",
            students=[
                dd.ProblemStudent(record_id=str(uuid.uuid4()), school_code=SCHOOL, province_code="330000"),
                dd.ProblemStudent(
                    record_id=str(uuid.uuid4()), school_code="1320102001", province_code="320000"
                ),
            ],
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "PullProblemEvents",
        (SYS,),
        "none",
        lambda w, c, u: dd.PullProblemEventsRequest(limit=10),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "RefreshProblemStudent",
        (SYS,),
        "none",
        lambda w, c, u: dd.RefreshProblemStudentRequest(
            request_id=str(uuid.uuid4()),
            student=dd.ProblemStudent(
                record_id=str(uuid.uuid4()), name="张珊", school_code=SCHOOL, province_code="330000"
            ),
        ),
        "dedup-national",
    ),
    Rpc(
        "Dedup",
        "LoadRecordHoldings",
        (SYS,),
        "none",
        lambda w, c, u: [dd.RecordHoldingBatch()],
        "dedup-national",
        streaming=True,
    ),
    Rpc(
        "ProblemRecords",
        "ListProblemGroups",
        (SR, DR, SYS),
        "unit",
        lambda w, c, u: dd.ListProblemGroupsRequest(org_unit_code=u),
        "dedup",
    ),
    Rpc(
        "ProblemRecords",
        "GetProblemGroup",
        (SR, DR, SYS),
        "school",
        lambda w, c, u: dd.GetProblemGroupRequest(group_id=w.site(u).group()),
        "dedup",
    ),
    Rpc(
        "ProblemRecords",
        "ResolveProblemGroup",
        (SR, DR),
        "school",
        lambda w, c, u: resolve(w.site(u), c),
        "dedup",
    ),
    Rpc(
        "PopulationRegister",
        "VerifyIdentity",
        (SYS,),
        "none",
        lambda w, c, u: pr.VerifyIdentityRequest(
            name=_PERSON.name,
            gender=int(_PERSON.gender),
            resident_id_number=_PERSON.resident_id,
            birth_date=cm.Date(
                year=_PERSON.birth_date.year, month=_PERSON.birth_date.month, day=_PERSON.birth_date.day
            ),
        ),
        "population-register",
    ),
    Rpc(
        "PopulationRegister",
        "VerifyIdentities",
        (SYS,),
        "none",
        lambda w, c, u: pr.VerifyIdentitiesRequest(
            identities=[
                pr.VerifyIdentityRequest(
                    name=_PERSON.name,
                    gender=int(_PERSON.gender),
                    resident_id_number=_PERSON.resident_id,
                    birth_date=cm.Date(
                        year=_PERSON.birth_date.year,
                        month=_PERSON.birth_date.month,
                        day=_PERSON.birth_date.day,
                    ),
                )
            ]
        ),
        "population-register",
    ),
]

# People look students up in every province (chapter 16): LookupStudent is `cross`.
# BulkLoadRecords: the system role and the ministry's department registrars (not a county's).
NATIONAL = [
    Rpc(
        "NationalQuery",
        "CreateCaptcha",
        (SR, SL, DR),
        "none",
        lambda w, c, u: nq.CreateCaptchaRequest(),
        "national-query",
    ),
    Rpc(
        "NationalQuery",
        "LookupStudent",
        ALL,
        "school",
        _lookup,
        "national-query",
        cross=True,
        allowed_code=_lookup_code,
    ),
    Rpc(
        "NationalQuery",
        "BulkLoadRecords",
        (SYS,),
        "none",
        lambda w, c, u: _csv_header(),
        "national-query",
        streaming=True,
        extra_callers=((MINISTRY_REGISTRAR, True),),
    ),
    Rpc(
        "PreschoolRecords",
        "MatchPreschoolRecord",
        (SYS,),
        "none",
        lambda w, c, u: nq.MatchPreschoolRecordRequest(
            document=cm.IdentityDocument(
                type=_RESIDENT, number=next(r.document_number for r in PRESCHOOL if r.document_number)
            )
        ),
        "national-query",
    ),
    Rpc(
        "PreschoolRecords",
        "MatchPreschoolRecords",
        (SYS,),
        "none",
        lambda w, c, u: nq.MatchPreschoolRecordsRequest(
            identities=[
                nq.MatchPreschoolRecordRequest(
                    document=cm.IdentityDocument(type=_RESIDENT, number=r.document_number)
                )
                for r in [r for r in PRESCHOOL if r.document_number][:3]
            ]
        ),
        "national-query",
    ),
]

SPECIAL_ED = [
    Rpc(
        "SpecialEd",
        "ListSpecialEdStudents",
        (SR, DR),
        "unit",
        lambda w, c, u: sp.ListSpecialEdStudentsRequest(org_unit_code=u),
        "special-ed",
    ),
    Rpc(
        "SpecialEd",
        "ListCandidates",
        (SR,),
        "school_code",
        lambda w, c, u: sp.ListCandidatesRequest(school_code=u),
        "special-ed",
    ),
    Rpc(
        "SpecialEd",
        "CreateSpecialEdInfo",
        (SR,),
        "school",
        lambda w, c, u: sp.CreateSpecialEdInfoRequest(
            info=sp.SpecialEdInfo(
                record_id=w.site(u).records["problem"],
                inclusive_education=VISUAL,
                proof_type=sp.DISABILITY_PROOF_TYPE_OTHER,
            )
        ),
        "special-ed",
    ),
    Rpc("SpecialEd", "UpdateSpecialEdInfo", (SR,), "school", _update_info, "special-ed"),
    Rpc(
        "SpecialEd",
        "GetSpecialEdInfo",
        (SR, DR),
        "school",
        lambda w, c, u: sp.GetSpecialEdInfoRequest(record_id=w.site(u).records["info"]),
        "special-ed",
    ),
]
