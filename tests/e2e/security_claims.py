"""Matrix cells of claim shapes (issue 13 §3): validly signed tokens whose claims do not describe a
caller the system knows. Each must be UNAUTHENTICATED on every server and change nothing.

    org "" / null         once read as "no bound": every school's applications, records, transfers
    org a list / a number once crashed the handler (UNKNOWN)
    a school role with a county's code   once created applications at / approved every school below
    a department role with a school's code, the system role with a city's code, an unknown code

The request is the one the right caller would send (its builder in security_rpcs_*), aimed at the
school of the matrix (or at no unit, so that an empty org has nothing else to bound it)."""

from __future__ import annotations

import grpc
from tests.e2e.security_table import DR, SL, SR, SYS, Caller, Cell
from tests.e2e.security_world import COUNTY, SCHOOL

from xueji.v1 import dedup_pb2 as dd
from xueji.v1 import registration_pb2 as rg
from xueji.v1 import special_ed_pb2 as sp

UNAUTHENTICATED = (grpc.StatusCode.UNAUTHENTICATED,)
SHAPES = (  # (cell name, role, org claim)
    ("registrar_org_empty", SR, ""),
    ("registrar_org_null", SR, None),
    ("registrar_org_list", SR, [SCHOOL]),
    ("registrar_org_number", SR, int(SCHOOL)),
    ("registrar_org_county", SR, COUNTY),
    ("leader_org_county", SL, COUNTY),
    ("department_org_empty", DR, ""),
    ("department_org_school", DR, SCHOOL),
    ("system_org_empty", SYS, ""),
    ("system_org_city", SYS, "330100"),
    ("registrar_org_unknown", SR, "1339999999"),
)
_EMPTY = {  # "Service/Method" → a request naming no unit (the caller's own is the bound)
    "Registrations/ListApplications": lambda w, c, u: rg.ListApplicationsRequest(),
    "Registrations/ListStudentRecords": lambda w, c, u: rg.ListStudentRecordsRequest(),
    "PreschoolTransfers/ListPreschoolTransfers": lambda w, c, u: rg.ListPreschoolTransfersRequest(),
    "ProblemRecords/ListProblemGroups": lambda w, c, u: dd.ListProblemGroupsRequest(),
    "SpecialEd/ListSpecialEdStudents": lambda w, c, u: sp.ListSpecialEdStudentsRequest(),
}
_AT_SCHOOL = ("Registrations/CreateApplication", "Reviews/ApproveAll", "Reviews/GetPendingSummary")


def claim_cells(rpc_named) -> list[Cell]:
    """Every claim shape × the RPCs above; `rpc_named("Service/Method")` finds an RPC's entry."""
    cells = []
    for name, role, org in SHAPES:
        caller = Caller(name, role, org)
        for path, build in _EMPTY.items():
            cells.append(Cell(rpc_named(path), caller, "claims", SCHOOL, False, build, UNAUTHENTICATED))
        for path in _AT_SCHOOL:
            rpc = rpc_named(path)
            right = Caller("right", rpc.roles[0], SCHOOL)
            cells.append(
                Cell(
                    rpc,
                    caller,
                    "claims",
                    SCHOOL,
                    False,
                    lambda w, c, u, rpc=rpc, right=right: rpc.build(w, right, u),
                    UNAUTHENTICATED,
                )
            )
    return cells
