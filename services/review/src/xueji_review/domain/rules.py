"""The rules of the review chain that do not depend on one case's history (manual chapters 8-13).

No framework imports: plain values in, plain values out.
"""

from __future__ import annotations

import enum

from xueji_common.documents import DocumentCategory
from xueji_common.gate import gated_before_school_review
from xueji_common.orgunits import OrgLevel


class GateStatus(str, enum.Enum):
    """The dedup or authentication result that gates school review (学籍查重认证状态)."""

    NOT_REQUIRED = "not_required"  # no-document: identity confirmed offline
    PENDING = "pending"  # 未查重认证 / 查重中
    PASSED = "passed"
    FAILED = "failed"


# The department levels after the school: every category is reviewed by the supervising county;
# no-document students go on to the city and the province (chapters 12, 13: "如无证件的需要到省级").
_LEVELS = {
    DocumentCategory.NO_DOCUMENT: (OrgLevel.COUNTY, OrgLevel.CITY, OrgLevel.PROVINCE),
}
_DEFAULT_LEVELS = (OrgLevel.COUNTY,)


def required_levels(category: str) -> tuple[OrgLevel, ...]:
    return _LEVELS.get(DocumentCategory(category), _DEFAULT_LEVELS)


def next_level(category: str, level: OrgLevel | None) -> OrgLevel | None:
    """The department level after `level` for this category; None when `level` is the last."""
    levels = required_levels(category)
    if level not in levels:
        return levels[0]
    position = levels.index(level)
    return levels[position + 1] if position + 1 < len(levels) else None


def initial_gate(category: str) -> GateStatus:
    return GateStatus.NOT_REQUIRED if category == DocumentCategory.NO_DOCUMENT else GateStatus.PENDING


def gate_closes_case(kind: str, category: str) -> bool:
    """A failed gate ends the case (查重不通过, not registrable) for every kind whose review waits for
    the gate (xueji_common.gate: HMT/foreign, and non-freshman resident). A freshman resident's review
    goes on: the failed authentication only decides its number (temporary, problem record)."""
    return gated_before_school_review(kind, category)


def school_review_block(kind: str, category: str, gate: GateStatus) -> str | None:
    """Why the school may not review this student yet (Chinese, the manual's words); None when it may.

    Chapter 8 (freshman): resident students may be reviewed before authentication ends; HMT/foreign
    not before document dedup ends; no-document directly. Chapter 9 (non-freshman): resident
    students still 未查重认证 cannot be reviewed; the others as for freshmen. Who waits for the gate:
    xueji_common.gate; this function only words the refusal.
    """
    if not gated_before_school_review(kind, category) or gate is GateStatus.PASSED:
        return None
    if category == DocumentCategory.HMT_FOREIGN:
        return "港澳台和外籍学生未完成证件号查重，不能审核"
    return "学籍查重认证状态为“未查重认证”，不能审核"
