"""The outcome of a document check or an identity authentication, and its reason in Chinese.

No framework imports. A check fails for the first applicable reason, in this order: the population
register refuses the identity (resident ID only), a record holds the document, another application's
reservation holds it. Reasons name the holder's school and province and show the number masked, as
the registrar reads them (e.g. 该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用（330***********1234）).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xueji_common.holders import describe_school, held_reason  # noqa: F401 - describe_school re-exported


class HoldingKind(str, enum.Enum):
    RECORD = "record"  # a student record (学籍)
    RESERVATION = "reservation"  # an open reservation of an application being registered


@dataclass(frozen=True)
class Holding:
    """Something other than the application under check that holds the document."""

    kind: HoldingKind
    holder_id: str
    province_code: str
    school_code: str
    national_student_number: str = ""  # masked
    application_id: str = ""


class Outcome(str, enum.Enum):
    PENDING = "pending"  # 未查重认证 (not yet authenticated)
    PASSED = "passed"
    FAILED = "failed"
    NOT_REQUIRED = "not_required"  # no-document students


# Register verification reasons (population_register.proto) → reason code and text.
REGISTER_REASONS = {
    "NOT_FOUND": "身份证件号不存在（基础数据库中查无此号）",
    "CANCELLED": "户籍已注销",
    "NAME_MISMATCH": "姓名与身份证件号不符",
    "GENDER_MISMATCH": "性别与身份证件号不符",
    "BIRTH_DATE_MISMATCH": "出生日期与身份证件号不符",
}
HELD_BY_RECORD = "HELD_BY_ANOTHER_RECORD"
HELD_BY_APPLICATION = "HELD_BY_ANOTHER_APPLICATION"


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    reason_code: str = ""
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


PASSED = CheckResult(Outcome.PASSED)


def register_refusal(reason_code: str, masked_number: str) -> CheckResult:
    text = REGISTER_REASONS.get(reason_code, "身份证件号未通过基础数据库认证")
    return CheckResult(Outcome.FAILED, reason_code, f"{text}（{masked_number}）")


SHOULD_TRANSFER = "该学生已有学籍，应办理转学，不能重复注册"


def held(holding: Holding, place: str, masked_number: str, *, enrolled_resident: bool = False) -> CheckResult:
    """Failed because `holding` holds the document; `place` names its school (see describe_school).
    A resident ID held by a record, for a non-freshman (`enrolled_resident`): the child has a record
    already and should transfer, not register again (docs/DOMAIN.md#existing-national-records)."""
    by_record = holding.kind is HoldingKind.RECORD
    reason = held_reason(by_record, place, masked_number)
    if by_record and enrolled_resident:
        reason = f"{reason}：{SHOULD_TRANSFER}"
    return CheckResult(Outcome.FAILED, HELD_BY_RECORD if by_record else HELD_BY_APPLICATION, reason)


def first_holding(holdings: list[Holding]) -> Holding | None:
    """Records come before reservations: a record is the stronger claim to name."""
    ordered = sorted(holdings, key=lambda h: h.kind is not HoldingKind.RECORD)
    return ordered[0] if ordered else None
