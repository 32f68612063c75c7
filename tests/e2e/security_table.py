"""The security matrix: every RPC of every service × the callers × the jurisdictions of its target.

A cell is (RPC, caller, jurisdiction). The callers are the four roles at their units: the registrar
and the leader of SCHOOL, the registrar of its county, and a ministry system. The jurisdiction names
the target of the request relative to the caller (security_world has the schools):

    school callers     own SCHOOL · sibling SIBLING · parent COUNTY · other_province OTHER
    county registrar   own COUNTY · child SCHOOL · sibling SIBLING_COUNTY (units) or COUSIN (schools)
                       · parent CITY · other_province OTHER_COUNTY (units) or OTHER (schools)
    system             zj (a 浙江 unit) · js (a 江苏 unit): every unit is within a system's reach

An RPC aims at a resource of a school ("school"), at a school named by code ("school_code": the
"parent" cell puts the department above in that field), at any unit ("unit": a school or department
code), or at nothing ("none": templates, captchas, the system-only dedup and register RPCs: one
cell per caller, jurisdiction "no_target"). The county's "own" applies to unit targets only (no
resource belongs to a department).

Expected: a role the RPC does not admit is PERMISSION_DENIED; an admitted role is allowed on its own
unit and below, and PERMISSION_DENIED elsewhere — unless the RPC is explicitly `cross` (the national
lookup reaches every province). A refused cell must leave the database of the server unchanged.
`reference` cells probe what the grid cannot: the caller's own unit named, another school's
resource carried in another field of the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from tests.e2e.security_world import (
    CITY,
    COUNTY,
    COUSIN,
    MINISTRY,
    OTHER,
    OTHER_COUNTY,
    SCHOOL,
    SIBLING,
    SIBLING_COUNTY,
)

from xueji_common.auth import Role

SR, SL, DR, SYS = Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM
ALL = (SR, SL, DR, SYS)


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    unit: str


CALLERS = (
    Caller("school_registrar", SR, SCHOOL),
    Caller("school_leader", SL, SCHOOL),
    Caller("department_registrar", DR, COUNTY),
    Caller("system", SYS, MINISTRY),
)
MINISTRY_REGISTRAR = Caller("ministry_registrar", DR, MINISTRY)

TARGETS = {  # target kind → caller's unit level → jurisdiction → unit
    "school": {
        "school": {"own": SCHOOL, "sibling": SIBLING, "other_province": OTHER},
        "county": {"child": SCHOOL, "sibling": COUSIN, "other_province": OTHER},
        "ministry": {"zj": SCHOOL, "js": OTHER},
    },
    "school_code": {
        "school": {"own": SCHOOL, "sibling": SIBLING, "parent": COUNTY, "other_province": OTHER},
        "county": {"child": SCHOOL, "sibling": COUSIN, "parent": CITY, "other_province": OTHER},
        "ministry": {"zj": SCHOOL, "js": OTHER},
    },
    "unit": {
        "school": {"own": SCHOOL, "sibling": SIBLING, "parent": COUNTY, "other_province": OTHER},
        "county": {
            "own": COUNTY,
            "child": SCHOOL,
            "sibling": SIBLING_COUNTY,
            "parent": CITY,
            "other_province": OTHER_COUNTY,
        },
        "ministry": {"zj": COUNTY, "js": OTHER},
    },
    "none": {"school": {"no_target": ""}, "county": {"no_target": ""}, "ministry": {"no_target": ""}},
}
WITHIN_REACH = {"own", "child", "zj", "js", "no_target"}


def level(caller: Caller) -> str:
    return "ministry" if caller.unit == MINISTRY else "county" if len(caller.unit) == 6 else "school"


def province_of(unit: str) -> str:
    return "js" if unit.startswith(("132", "32")) else "zj"


@dataclass(frozen=True)
class Rpc:
    """One RPC: who may call it, what it aims at, and the request the matrix sends."""

    service: str  # "Registrations" (package xueji.v1)
    method: str
    roles: tuple  # the roles it admits
    target: str  # "school", "school_code", "unit" or "none"
    build: Callable  # (world, caller, unit) → request message (a list when streaming)
    server: str  # service of security_probe.server_of
    cross: bool = False  # allowed across jurisdictions (stated, never implied)
    streaming: bool = False  # client-streaming request
    replies: bool = False  # server-streaming answer (read to its end)
    last: bool = False  # an allowed cell that sweeps a whole school: run after the others
    extra_callers: tuple = ()  # (caller, allowed) beyond CALLERS
    allowed_code: Callable | None = None  # (caller, jurisdiction) → status of an allowed cell (default OK)
    xfail: dict = field(default_factory=dict)  # (caller name, jurisdiction) → the hole, for the owner

    @property
    def path(self) -> str:
        return f"/xueji.v1.{self.service}/{self.method}"


@dataclass(frozen=True)
class Cell:
    rpc: Rpc
    caller: Caller
    jurisdiction: str
    unit: str
    allowed: bool
    build: Callable | None = None  # a probe's own request (default: the RPC's builder)
    refused_with: tuple = (grpc.StatusCode.PERMISSION_DENIED,)
    hole: str | None = None  # why it fails today: a strict xfail, for the owner

    @property
    def id(self) -> str:
        return f"{self.rpc.service}.{self.rpc.method}-{self.caller.name}-{self.jurisdiction}"

    @property
    def province(self) -> str:
        return province_of(self.unit) if self.unit else province_of(self.caller.unit)

    @property
    def expected(self) -> tuple:
        if not self.allowed:
            return self.refused_with
        return (
            self.rpc.allowed_code(self.caller, self.jurisdiction)
            if self.rpc.allowed_code
            else grpc.StatusCode.OK,
        )

    def request(self, world):
        return (self.build or self.rpc.build)(world, self.caller, self.unit)


def cells_of(rpc: Rpc) -> list[Cell]:
    out = []
    for caller, admitted in [*((c, c.role in rpc.roles) for c in CALLERS), *rpc.extra_callers]:
        for jurisdiction, unit in TARGETS[rpc.target][level(caller)].items():
            within = jurisdiction in WITHIN_REACH or rpc.cross
            out.append(
                Cell(
                    rpc,
                    caller,
                    jurisdiction,
                    unit,
                    admitted and within,
                    hole=rpc.xfail.get((caller.name, jurisdiction)),
                )
            )
    return out


def reference(
    rpc: Rpc,
    caller: Caller,
    what: str,
    build: Callable,
    refused_with=(grpc.StatusCode.PERMISSION_DENIED,),
    hole: str | None = None,
) -> Cell:
    """A probe beyond the matrix: a request naming the caller's own unit that carries, in another
    field, a resource of another school (`what`). Refused as the RPC documents it; nothing changed."""
    return Cell(rpc, caller, what, caller.unit, False, build, tuple(refused_with), hole)


def ordered(rpcs: list[Rpc], references: list[Cell]) -> list[Cell]:
    """Refused cells first (on untouched resources; those failing today last among them, since they
    change things), then the allowed ones, sweeping ones ("approve all") at the very end."""
    cells = [c for r in rpcs for c in cells_of(r)] + references
    refused = [c for c in cells if not c.allowed]
    allowed = [c for c in cells if c.allowed]
    return (
        [c for c in refused if not c.hole]
        + [c for c in refused if c.hole]
        + [c for c in allowed if not c.rpc.last]
        + [c for c in allowed if c.rpc.last]
    )
