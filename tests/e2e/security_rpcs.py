"""Every RPC of every service in the security matrix, and the probes beyond it (security_table
explains the cells; test_security_matrix checks that no RPC of the protos is missing).

An entry is `Rpc(service, method, roles, target, build, server, ...)`. A builder `(world, caller,
unit)` returns the request the right caller could make on `unit`: the resource of that school made
for the purpose (security_world), at its current version, so that a refusal is the authorization's
and nothing else's. Entries by service: security_rpcs_registration, _review, _national."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2
from tests.e2e.actors import NO_DOC, PRIMARY, identity_form
from tests.e2e.security_claims import claim_cells
from tests.e2e.security_rpcs_accounts import ACCOUNTS
from tests.e2e.security_rpcs_national import CORROBORATE, DEDUP, NATIONAL, SPECIAL_ED, resolve
from tests.e2e.security_rpcs_registration import PRESCHOOL_TRANSFERS, REGISTRATIONS, app_version
from tests.e2e.security_rpcs_review import REVIEWS, case_version
from tests.e2e.security_table import CALLERS, Rpc, reference
from tests.e2e.security_world import COUSIN, SCHOOL, SIBLING

from xueji.v1 import registration_pb2 as rg
from xueji.v1 import review_pb2 as rv

RPCS = [*PRESCHOOL_TRANSFERS, *REGISTRATIONS, *REVIEWS, *DEDUP, *NATIONAL, *SPECIAL_ED, *ACCOUNTS]


def _rpc(name: str) -> Rpc:
    return next(r for r in RPCS if f"{r.service}/{r.method}" == name)


def _created(w, transfer: str = "", proof: str = "") -> rg.CreateApplicationRequest:
    site = w.site(SCHOOL)
    return rg.CreateApplicationRequest(
        school_code=SCHOOL,
        kind=PRIMARY,
        category=NO_DOC,
        preschool_transfer_id=transfer,
        proof_material_ids=[proof or site.spare_proof],
        student=site.actor.form(NO_DOC, identity_form(NO_DOC, name="矩阵引用"), grade="11"),
    )


def _foreign_resolution(w):
    request = resolve(w.site(SCHOOL), _SR)
    del request.resolutions[:]
    request.resolutions.add(record_id=w.site(SIBLING).records["problem"], resolution=CORROBORATE)
    return request


_SR, _SL, _DR = CALLERS[:3]
_DENIED, _INVALID = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT

# Each refused as its RPC documents a foreign resource in that field.
REFERENCES = [
    reference(
        _rpc("Registrations/CreateApplication"),
        _SR,
        "sibling_transfer",
        lambda w, c, u: _created(w, transfer=w.site(SIBLING).transfer("main")),
        refused_with=(_DENIED, _INVALID),
    ),
    reference(
        _rpc("Registrations/CreateApplication"),
        _SR,
        "sibling_proof",
        lambda w, c, u: _created(w, proof=w.site(SIBLING).proof),
        refused_with=(_INVALID,),
    ),
    reference(
        _rpc("Registrations/UpdateApplication"),
        _SR,
        "sibling_proof",
        lambda w, c, u: rg.UpdateApplicationRequest(
            application_id=w.site(SCHOOL).app("update"),
            proof_material_ids=[w.site(SIBLING).proof],
            update_mask=field_mask_pb2.FieldMask(paths=["proof_material_ids"]),
            expected_version=app_version(w.site(SCHOOL), "update"),
        ),
        refused_with=(_INVALID,),
    ),
    reference(
        _rpc("Reports/ReportCases"),
        _SR,
        "sibling_case",
        lambda w, c, u: rv.ReportCasesRequest(
            school_code=SCHOOL,
            cases=[
                rv.CaseVersion(
                    case_id=w.site(SIBLING).app("report"),
                    expected_version=case_version(w.site(SIBLING), "report"),
                )
            ],
        ),
        refused_with=(_INVALID,),
    ),
    reference(
        _rpc("Reviews/ReviewCases"),
        _SL,
        "sibling_in_selection",
        lambda w, c, u: rv.ReviewCasesRequest(
            selected_case_ids=[w.site(SCHOOL).app("review"), w.site(SIBLING).app("main")],
            case_id=w.site(SCHOOL).app("review"),
            decision=rv.REVIEW_DECISION_APPROVE,
        ),
    ),
    reference(
        _rpc("Reviews/ApproveAll"),
        _SL,
        "sibling_among_schools",
        lambda w, c, u: rv.ApproveAllRequest(school_codes=[SCHOOL, SIBLING]),
    ),
    reference(
        _rpc("Reviews/ApproveAll"),
        _DR,
        "cousin_among_schools",
        lambda w, c, u: rv.ApproveAllRequest(school_codes=[SCHOOL, COUSIN]),
    ),
    reference(
        _rpc("PreschoolTransfers/ExportPreschoolTransfers"),
        _SR,
        "sibling_transfer",
        lambda w, c, u: rg.ExportPreschoolTransfersRequest(
            school_code=SCHOOL,
            transfer_ids=[w.site(SCHOOL).transfer("main"), w.site(SIBLING).transfer("main")],
        ),
        refused_with=(grpc.StatusCode.NOT_FOUND,),
    ),
    reference(
        _rpc("ProblemRecords/ResolveProblemGroup"),
        _SR,
        "sibling_record",
        lambda w, c, u: _foreign_resolution(w),
        refused_with=(_INVALID,),
    ),
]
# Validly signed tokens whose claims do not fit a known caller: UNAUTHENTICATED (security_claims).
REFERENCES += claim_cells(_rpc)
