"""Review cases: what review knows of an application, and where it stands in the approval chain.

One case per application (its id is the application id); a resubmission (revision + 1) restarts the
same case at the school, and its history keeps every revision. No framework imports.

The chain (manual chapters 8-13, docs/FLOWS.md step 4):
school review (学校学籍主管领导) → AWAITING_REPORT → report (上报, school registrar) → county review
→ for no-document students city review → province review → APPROVED. A rejection at any level
returns the case to the school registrar (RETURNED); the registrar may correct and resubmit.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed, PreconditionViolation
from xueji_common.orgunits import OrgLevel
from xueji_review.domain.rules import (
    GateStatus,
    gate_closes_case,
    initial_gate,
    next_level,
    required_levels,
    school_review_block,
)
from xueji_review.domain.steps import SYSTEM_ACTOR, Actor, CaseEvent, CaseEventType

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "CaseEvent",
    "CaseEventType",
    "CaseState",
    "GateStatus",
    "PendingSummary",
    "ReviewCase",
]


class CaseState(str, enum.Enum):
    AWAITING_SCHOOL_REVIEW = "awaiting_school_review"  # 待学校审核
    AWAITING_REPORT = "awaiting_report"  # 学校审核通过，待上报
    AWAITING_DEPARTMENT_REVIEW = "awaiting_department_review"  # 待教育部门审核 (at current_level)
    APPROVED = "approved"  # 审核通过
    RETURNED = "returned"  # 审核不通过，退回学校
    DEDUP_FAILED = "dedup_failed"  # 查重不通过 (registration returns it)
    WITHDRAWN = "withdrawn"  # 已撤销

    @property
    def label_zh(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    CaseState.AWAITING_SCHOOL_REVIEW: "待学校审核",
    CaseState.AWAITING_REPORT: "学校审核通过，待上报",
    CaseState.AWAITING_DEPARTMENT_REVIEW: "待教育部门审核",
    CaseState.APPROVED: "审核通过",
    CaseState.RETURNED: "审核不通过，已退回学校",
    CaseState.DEDUP_FAILED: "查重不通过",
    CaseState.WITHDRAWN: "已撤销",
}


@dataclass
class ReviewCase:
    application_id: str
    revision: int
    school_code: str
    county_code: str
    kind: str  # RegistrationKind value: primary_freshman | non_primary_freshman
    category: str  # DocumentCategory value: resident | hmt_foreign | no_document
    name: str
    gender: int
    birth_date: dt.date | None
    document_type: str
    document_masked: str
    grade: str = ""
    class_name: str = ""
    state: CaseState = CaseState.AWAITING_SCHOOL_REVIEW
    gate: GateStatus = GateStatus.PENDING
    gate_reason: str = ""
    # The unit that handles the case now and its level (the school until it is reported).
    handling_unit: str = ""
    current_level: OrgLevel = OrgLevel.SCHOOL
    version: int = 1
    submitted_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # Opaque to review: the W3C trace context of the submission's handling ("" while tracing is
    # off). The events of the case's decisions continue it, so that one import is one trace from
    # the upload to the number, across the reviewers' calls (docs/OBSERVABILITY.md#one-trace-per-flow).
    traceparent: str = ""
    # Events of this change, for the history (not stored on the case).
    events: list[CaseEvent] = field(default_factory=list, repr=False, compare=False)

    # -- arrival ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, *, submitted_at: dt.datetime, submitter: Actor | None = None, **identity: Any
    ) -> ReviewCase:
        """`identity`: the case's fields that describe the application (name, category, school...)."""
        case = cls(submitted_at=submitted_at, **identity)
        case._start(submitted_at, submitter)
        return case

    def resubmitted(
        self, revision: int, submitted_at: dt.datetime, submitter: Actor | None = None, **identity: Any
    ) -> bool:
        """A corrected application came back: review starts again at the school. Stale revisions
        (an older event arriving late) change nothing; returns whether the case changed."""
        if revision <= self.revision:
            return False
        for key, value in identity.items():
            setattr(self, key, value)
        self.revision = revision
        self.gate_reason = ""
        self.version += 1
        self._start(submitted_at, submitter)
        return True

    def _start(self, at: dt.datetime, submitter: Actor | None) -> None:
        self.state = CaseState.AWAITING_SCHOOL_REVIEW
        self.gate = initial_gate(self.category)
        self._hand_to(OrgLevel.SCHOOL, self.school_code, at)
        by = submitter or Actor(self.school_code, OrgLevel.SCHOOL, "", "school_registrar")
        self._record(CaseEventType.SUBMITTED, by, at)

    def gate_completed(self, revision: int, passed: bool, reason: str, at: dt.datetime) -> bool:
        """The dedup service finished the check of `revision`. Returns whether the case changed.

        A result for another revision changes nothing. A failure closes the case where the gate
        blocks review (HMT/foreign, non-freshman resident): the student is not registrable and
        registration returns the application with the reason.
        """
        if revision != self.revision or self.gate not in (GateStatus.PENDING,):
            return False
        self.gate = GateStatus.PASSED if passed else GateStatus.FAILED
        self.gate_reason = "" if passed else reason
        if (
            not passed
            and self.state is CaseState.AWAITING_SCHOOL_REVIEW
            and gate_closes_case(self.kind, self.category)
        ):
            self.state = CaseState.DEDUP_FAILED
        self.version += 1
        self.updated_at = at
        kind = CaseEventType.DEDUP_PASSED if passed else CaseEventType.DEDUP_FAILED
        self._record(kind, SYSTEM_ACTOR, at, opinion=self.gate_reason)
        return True

    def withdraw(self, at: dt.datetime | None = None, by: Actor = SYSTEM_ACTOR) -> bool:
        if self.state in (CaseState.WITHDRAWN, CaseState.APPROVED):
            return False  # an approved student has a record: withdrawal is no longer review's business
        self.state = CaseState.WITHDRAWN
        self.handling_unit = ""
        self.version += 1
        self.updated_at = at
        if at is not None:
            self._record(CaseEventType.WITHDRAWN, by, at)
        return True

    @property
    def last_event(self) -> CaseEvent | None:
        """The latest step taken on this object (not read from the history)."""
        return self.events[-1] if self.events else None

    # -- review ----------------------------------------------------------------------------------

    @property
    def review_block(self) -> str | None:
        """Why the school cannot review this case yet; None when it can (or it is past the school)."""
        if self.state is not CaseState.AWAITING_SCHOOL_REVIEW:
            return None
        return school_review_block(self.kind, self.category, self.gate)

    @property
    def required_levels(self) -> tuple[OrgLevel, ...]:
        return required_levels(self.category)

    def awaits(self, unit_code: str, level: OrgLevel | None) -> bool:
        """Whether the case waits for a decision of this unit (the school, or the department at its level)."""
        if level is OrgLevel.SCHOOL:
            return self.state is CaseState.AWAITING_SCHOOL_REVIEW and self.school_code == unit_code
        return (
            self.state is CaseState.AWAITING_DEPARTMENT_REVIEW
            and self.current_level == level
            and self.handling_unit == unit_code
        )

    def check_decidable(self, actor: Actor) -> None:
        if not self.awaits(actor.unit_code, actor.level):
            raise PreconditionFailed(
                f"学生{self.name}当前不在本单位待审核（{self.state.label_zh}），请刷新列表",
                [PreconditionViolation("NOT_PENDING_FOR_CALLER", self.application_id, self.state.label_zh)],
            )
        block = self.review_block
        if block:
            raise PreconditionFailed(
                f"学生{self.name}：{block}",
                [PreconditionViolation("NOT_REVIEWABLE", self.application_id, f"{self.name}：{block}")],
            )

    def approve(
        self, actor: Actor, at: dt.datetime, units_above: dict[OrgLevel, str], opinion: str = ""
    ) -> None:
        """审核通过. The school sends the case to the report list; a department sends it to the next
        required level (`units_above`: the school's county, city and province codes) or completes it."""
        self.check_decidable(actor)
        if actor.level is OrgLevel.SCHOOL:
            self.state = CaseState.AWAITING_REPORT
        else:
            following = next_level(self.category, actor.level)
            if following is None:
                self.state = CaseState.APPROVED
            else:
                self._hand_to(following, units_above[following], at)
        self._decided(CaseEventType.APPROVED, actor, at, opinion)

    def reject(self, actor: Actor, at: dt.datetime, opinion: str) -> None:
        """审核不通过: back to the school registrar with the opinion (required)."""
        if not opinion.strip():
            raise InvalidArgument(FieldViolation("opinion", "审核不通过时必须填写审核意见"))
        self.check_decidable(actor)
        self.state = CaseState.RETURNED
        self._hand_to(OrgLevel.SCHOOL, self.school_code, at)
        self._decided(CaseEventType.REJECTED, actor, at, opinion.strip())

    def report(self, actor: Actor, at: dt.datetime) -> None:
        """上报: the school registrar sends a school-approved case to the supervising county."""
        if self.state is not CaseState.AWAITING_REPORT or self.school_code != actor.unit_code:
            raise PreconditionFailed(
                f"学生{self.name}不在待上报列表中（{self.state.label_zh}），请刷新列表",
                [PreconditionViolation("NOT_REPORTABLE", self.application_id, self.state.label_zh)],
            )
        self.state = CaseState.AWAITING_DEPARTMENT_REVIEW
        self._hand_to(OrgLevel.COUNTY, self.county_code, at)
        self._decided(CaseEventType.REPORTED, actor, at, "")

    # -- helpers ---------------------------------------------------------------------------------

    def _hand_to(self, level: OrgLevel, unit_code: str, at: dt.datetime) -> None:
        self.current_level = level
        self.handling_unit = unit_code
        self.updated_at = at

    def _decided(self, kind: CaseEventType, actor: Actor, at: dt.datetime, opinion: str) -> None:
        self.version += 1
        self.updated_at = at
        self._record(kind, actor, at, opinion=opinion)

    def _record(self, kind: CaseEventType, actor: Actor, at: dt.datetime, opinion: str = "") -> None:
        self.events.append(
            CaseEvent(
                self.application_id,
                self.revision,
                kind,
                actor.level,
                actor.unit_code,
                actor.user_id,
                actor.role,
                at,
                opinion,
            )
        )


@dataclass(frozen=True)
class PendingSummary:
    """Waiting counts: per (school, category), and how many of them cannot be reviewed yet."""

    total: int
    by_category: dict[str, int]
    blocked: int = 0
    by_school: dict[str, dict[str, int]] = field(default_factory=dict)
