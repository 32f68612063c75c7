"""Review cases: what review knows of an application, and where it stands in the approval chain.

No framework imports. Issue #5 grows the chain (report, department levels); the foundation holds
the case as it arrives from registration.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class CaseState(str, enum.Enum):
    AWAITING_SCHOOL_REVIEW = "awaiting_school_review"   # 待学校审核
    AWAITING_REPORT = "awaiting_report"                 # 待上报
    AWAITING_DEPARTMENT_REVIEW = "awaiting_department_review"  # 待教育部门审核
    APPROVED = "approved"                               # 审核通过
    RETURNED = "returned"                               # 退回
    WITHDRAWN = "withdrawn"                             # 撤销


class GateStatus(str, enum.Enum):
    """The dedup or authentication result that gates school review."""

    NOT_REQUIRED = "not_required"   # no-document: identity confirmed offline
    PENDING = "pending"             # 未查重认证 / 查重中
    PASSED = "passed"
    FAILED = "failed"


@dataclass
class ReviewCase:
    application_id: str
    revision: int
    school_code: str
    county_code: str
    kind: str          # primary_freshman | non_primary_freshman
    category: str      # resident | hmt_foreign | no_document
    name: str
    gender: int
    birth_date: dt.date | None
    document_type: str
    document_masked: str
    state: CaseState = CaseState.AWAITING_SCHOOL_REVIEW
    gate: GateStatus = GateStatus.PENDING
    handling_unit: str = ""
    version: int = 1
    submitted_at: dt.datetime | None = None

    @classmethod
    def open(cls, *, submitted_at: dt.datetime, **identity) -> "ReviewCase":
        case = cls(submitted_at=submitted_at, **identity)
        case.gate = GateStatus.NOT_REQUIRED if case.category == "no_document" else GateStatus.PENDING
        case.handling_unit = case.school_code
        return case

    def resubmitted(self, revision: int, submitted_at: dt.datetime, **identity) -> bool:
        """A corrected application came back: review starts again at the school. Stale revisions
        (an older event arriving late) change nothing; returns whether the case changed."""
        if revision <= self.revision:
            return False
        for key, value in identity.items():
            setattr(self, key, value)
        self.revision = revision
        self.state = CaseState.AWAITING_SCHOOL_REVIEW
        self.gate = GateStatus.NOT_REQUIRED if self.category == "no_document" else GateStatus.PENDING
        self.handling_unit = self.school_code
        self.submitted_at = submitted_at
        self.version += 1
        return True

    def withdraw(self) -> None:
        self.state = CaseState.WITHDRAWN
        self.handling_unit = ""
        self.version += 1


@dataclass(frozen=True)
class PendingSummary:
    school_code: str
    total: int
    by_category: dict[str, int]
