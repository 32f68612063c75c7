"""The steps of a case's history: who acted (Actor) and what happened (CaseEvent). No framework imports."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from xueji_common.orgunits import OrgLevel


class CaseEventType(str, enum.Enum):
    SUBMITTED = "submitted"
    DEDUP_PASSED = "dedup_passed"
    DEDUP_FAILED = "dedup_failed"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPORTED = "reported"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Actor:
    """Who acts: their unit (school code or division code), its level, user id and role."""

    unit_code: str
    level: OrgLevel | None  # None: a service (dedup results), not a unit's decision
    user_id: str
    role: str


SYSTEM_ACTOR = Actor("", None, "system", "system")


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's history: what happened, at which level, by whom, when, with which opinion."""

    application_id: str
    revision: int
    type: CaseEventType
    level: OrgLevel | None
    unit_code: str
    user_id: str
    role: str
    at: dt.datetime
    opinion: str = ""
