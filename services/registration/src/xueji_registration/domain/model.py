"""Registration applications: identity rules, the channel per kind × category, and the first state.

No framework imports. The flow table is DOMAIN.md's (chapter 3 of the manual); issue #3 adds
correction, resubmission, withdrawal and the record and number at the end of the chain.
"""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from xueji_common.documents import DocumentCategory, DocumentError, Gender, ValidDocument
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.vocabulary import RegistrationKind


class ApplicationState(str, enum.Enum):
    AWAITING_DEDUP = "awaiting_dedup"                    # 待查重
    DEDUP_FAILED = "dedup_failed"                        # 查重不通过
    AWAITING_SCHOOL_REVIEW = "awaiting_school_review"    # 待学校审核
    AWAITING_REPORT = "awaiting_report"                  # 待上报
    AWAITING_COUNTY_REVIEW = "awaiting_county_review"
    AWAITING_CITY_REVIEW = "awaiting_city_review"
    AWAITING_PROVINCE_REVIEW = "awaiting_province_review"
    RETURNED = "returned"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class AuthenticationStatus(str, enum.Enum):
    NOT_REQUIRED = "not_required"      # 无证件: identity confirmed offline
    NOT_AUTHENTICATED = "not_authenticated"  # 未查重认证
    PASSED = "passed"                  # 认证通过 / 查重通过
    FAILED = "failed"                  # 认证失败 / 查重不通过


ACTIVE_STATES = frozenset(ApplicationState) - {ApplicationState.WITHDRAWN}


def first_state(kind: RegistrationKind, category: DocumentCategory) -> ApplicationState:
    """Where a new application goes (DOMAIN.md flow table, "gate before school review").

    Freshman resident: authentication runs in parallel, school review may start at once.
    HMT/foreign (any kind) and non-freshman resident: the dedup / authentication gate must pass first.
    No document: no gate.
    """
    if category is DocumentCategory.NO_DOCUMENT:
        return ApplicationState.AWAITING_SCHOOL_REVIEW
    if category is DocumentCategory.RESIDENT and kind is RegistrationKind.PRIMARY_FRESHMAN:
        return ApplicationState.AWAITING_SCHOOL_REVIEW
    return ApplicationState.AWAITING_DEDUP


@dataclass(frozen=True)
class Identity:
    """The five key fields (姓名, 性别, 出生日期, 身份证件类型, 身份证件号)."""

    name: str
    gender: Gender
    birth_date: dt.date
    document: ValidDocument


def check_identity(
    name: str,
    gender: Gender | None,
    birth_date: dt.date | None,
    document: ValidDocument | DocumentError,
    *,
    prefix: str = "student",
) -> Identity:
    """Validate the identity block; every problem becomes a field violation naming its field.

    For a resident ID card gender and birth date come from the number: a different value given by
    the registrar is refused rather than silently replaced.
    """
    problems: list[FieldViolation] = []
    name = (name or "").strip()
    if not name:
        problems.append(FieldViolation(f"{prefix}.name", "姓名不能为空"))
    elif len(name) > 50:
        problems.append(FieldViolation(f"{prefix}.name", "姓名不能超过50个字"))
    if isinstance(document, DocumentError):
        problems.append(FieldViolation(f"{prefix}.document.{document.field.removeprefix('document_')}", document.message))
    else:
        if document.gender is not None:
            if gender is not None and gender != document.gender:
                problems.append(FieldViolation(f"{prefix}.gender", "性别与身份证件号不符"))
            gender = document.gender
        if document.birth_date is not None:
            if birth_date is not None and birth_date != document.birth_date:
                problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期与身份证件号不符"))
            birth_date = document.birth_date
    if gender is None:
        problems.append(FieldViolation(f"{prefix}.gender", "性别不能为空"))
    if birth_date is None:
        problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期不能为空"))
    elif birth_date > dt.date.today():
        problems.append(FieldViolation(f"{prefix}.birth_date", "出生日期不能晚于今天"))
    if problems:
        raise InvalidArgument(problems)
    return Identity(name, gender, birth_date, document)


@dataclass
class Application:
    application_id: str
    school_code: str
    kind: RegistrationKind
    category: DocumentCategory
    identity: Identity
    form: dict                       # the full 学生基本信息 form, as entered
    state: ApplicationState
    authentication: AuthenticationStatus
    created_by: str
    created_at: dt.datetime
    document_hash: str = ""          # keyed hash of (type, number), for uniqueness checks
    revision: int = 1
    version: int = 1

    @classmethod
    def submit(
        cls,
        *,
        school_code: str,
        kind: RegistrationKind,
        category: DocumentCategory,
        identity: Identity,
        form: dict,
        document_hash: str,
        created_by: str,
        now: dt.datetime,
    ) -> "Application":
        if identity.document.category is not category:
            raise InvalidArgument(FieldViolation(
                "category", f"证件类别应为“{identity.document.category.label_zh}”，与身份证件类型一致"))
        authentication = (
            AuthenticationStatus.NOT_REQUIRED
            if category is DocumentCategory.NO_DOCUMENT
            else AuthenticationStatus.NOT_AUTHENTICATED
        )
        return cls(
            application_id=str(uuid.uuid4()),
            school_code=school_code,
            kind=kind,
            category=category,
            identity=identity,
            form=form,
            state=first_state(kind, category),
            authentication=authentication,
            created_by=created_by,
            created_at=now,
            document_hash=document_hash,
        )
