"""Registration applications: identity rules, the six flows (docs/DOMAIN.md#the-six-flows), correction.

No framework imports. Transitions driven by other services' events (dedup, review) ignore input
for another revision (docs/FLOWS.md: stale events change nothing) and return whether anything changed.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xueji_common.documents import DocumentCategory
from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed, PreconditionViolation
from xueji_common.gate import gated_before_school_review
from xueji_common.holders import held_reason_for
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.identity import (  # re-exported
    Identity as Identity,
)
from xueji_registration.domain.identity import (
    check_identity as check_identity,
)
from xueji_registration.domain.identity import (
    identity_problems as identity_problems,
)


class ApplicationState(str, enum.Enum):
    AWAITING_DEDUP = "awaiting_dedup"  # 待查重
    DEDUP_FAILED = "dedup_failed"  # 查重不通过
    AWAITING_SCHOOL_REVIEW = "awaiting_school_review"  # 待学校审核
    AWAITING_REPORT = "awaiting_report"  # 学校审核通过，待上报
    AWAITING_COUNTY_REVIEW = "awaiting_county_review"  # 待区县教育部门审核
    AWAITING_CITY_REVIEW = "awaiting_city_review"  # 待地市教育部门审核
    AWAITING_PROVINCE_REVIEW = "awaiting_province_review"  # 待省级教育部门审核
    RETURNED = "returned"  # 审核不通过，已退回
    APPROVED = "approved"  # 注册完成
    WITHDRAWN = "withdrawn"  # 已撤销

    @property
    def label_zh(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    ApplicationState.AWAITING_DEDUP: "待查重",
    ApplicationState.DEDUP_FAILED: "查重不通过",
    ApplicationState.AWAITING_SCHOOL_REVIEW: "待学校审核",
    ApplicationState.AWAITING_REPORT: "待上报",
    ApplicationState.AWAITING_COUNTY_REVIEW: "待区县审核",
    ApplicationState.AWAITING_CITY_REVIEW: "待地市审核",
    ApplicationState.AWAITING_PROVINCE_REVIEW: "待省级审核",
    ApplicationState.RETURNED: "审核不通过",
    ApplicationState.APPROVED: "注册完成",
    ApplicationState.WITHDRAWN: "已撤销",
}


class AuthenticationStatus(str, enum.Enum):
    NOT_REQUIRED = "not_required"  # 无需认证 (no document: identity confirmed offline)
    NOT_AUTHENTICATED = "not_authenticated"  # 未查重认证
    PASSED = "passed"  # 认证通过 / 查重通过
    FAILED = "failed"  # 认证失败 / 查重不通过

    @property
    def label_zh(self) -> str:
        return {
            "not_required": "无需认证",
            "not_authenticated": "未查重认证",
            "passed": "认证通过",
            "failed": "认证失败",
        }[self.value]


class EntryChannel(str, enum.Enum):
    MANUAL = "manual"  # 录入
    IMPORT = "import"  # 导入
    SUPPLEMENTARY = "supplementary"  # 学前档案信息补录


ACTIVE_STATES = frozenset(ApplicationState) - {ApplicationState.WITHDRAWN}


@dataclass(frozen=True)
class DocumentHolder:
    """An application not withdrawn that carries a document number: approved, it is a record (学籍)."""

    school_code: str
    province_code: str
    state: str

    def refusal(self, tree: OrgTree, number: str) -> str:
        """The refusal of an entry of the same number, naming this holder (one wording:
        xueji_common.holders)."""
        return held_reason_for(
            tree,
            self.state == ApplicationState.APPROVED.value,
            self.school_code,
            self.province_code or "",
            number,
        )


def first_holders(rows: Iterable[tuple[str, str, str, str]]) -> dict[str, DocumentHolder]:
    """document hash → DocumentHolder from (hash, school, province, state) rows; a record first."""
    found: dict[str, DocumentHolder] = {}
    for digest, school, province, state in rows:
        if digest not in found or state == ApplicationState.APPROVED.value:
            found[digest] = DocumentHolder(school, province, state)
    return found


# The review chain in order: a ReviewProgressed only ever moves an application forward along it.
REVIEW_CHAIN = (
    ApplicationState.AWAITING_SCHOOL_REVIEW,
    ApplicationState.AWAITING_REPORT,
    ApplicationState.AWAITING_COUNTY_REVIEW,
    ApplicationState.AWAITING_CITY_REVIEW,
    ApplicationState.AWAITING_PROVINCE_REVIEW,
)
# Review's steps may reach this service before the DedupCompleted that opened the gate (separate
# queues): review moves a gated case only once the gate passed, so a step of the same revision found
# in AWAITING_DEDUP is applied, and DedupCompleted, when it comes, records the authentication.
REVIEWED_FROM = (ApplicationState.AWAITING_DEDUP, *REVIEW_CHAIN)
CORRECTABLE = frozenset({ApplicationState.RETURNED, ApplicationState.DEDUP_FAILED})
# Withdrawal (撤销) is possible until the school reports the application to its department.
WITHDRAWABLE = frozenset(
    {
        ApplicationState.AWAITING_DEDUP,
        ApplicationState.DEDUP_FAILED,
        ApplicationState.AWAITING_SCHOOL_REVIEW,
        ApplicationState.AWAITING_REPORT,
        ApplicationState.RETURNED,
    }
)


def first_state(kind: RegistrationKind, category: DocumentCategory) -> ApplicationState:
    """Where a (re)submitted application goes (docs/DOMAIN.md#the-six-flows, "gate before school review"):
    AWAITING_DEDUP when the gate must pass first (xueji_common.gate), school review at once otherwise."""
    if gated_before_school_review(kind, category):
        return ApplicationState.AWAITING_DEDUP
    return ApplicationState.AWAITING_SCHOOL_REVIEW


@dataclass(frozen=True)
class Stamp:
    """Who did something, where and when, with the opinion (审核意见) if any."""

    unit_code: str
    user_id: str
    role: str
    time: dt.datetime
    opinion: str = ""


@dataclass
class Application:
    application_id: str
    school_code: str
    kind: RegistrationKind
    category: DocumentCategory
    identity: Identity
    form: dict[str, Any]  # 学生基本信息 without the identity block (protobuf JSON)
    state: ApplicationState
    authentication: AuthenticationStatus
    created_by: str
    created_at: dt.datetime
    document_hash: str = ""  # keyed hash of (type, number), for uniqueness checks
    entry_channel: EntryChannel = EntryChannel.MANUAL
    proof_material_ids: tuple[str, ...] = ()
    preschool_transfer_id: str = ""
    import_id: str = ""
    request_id: str = ""  # idempotency key of the create request, if any
    handling_unit_code: str = ""  # 当前处理单位; empty when approved or withdrawn
    county_code: str = ""  # the school's departments (jurisdiction of department lists)
    city_code: str = ""
    province_code: str = ""
    dedup_failure_reason: str = ""
    last_rejection: Stamp | None = None
    withdrawal: Stamp | None = None
    record_id: str = ""
    submitted_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
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
        form: dict[str, Any],
        document_hash: str,
        created_by: str,
        now: dt.datetime,
        entry_channel: EntryChannel = EntryChannel.MANUAL,
        proof_material_ids: tuple[str, ...] = (),
        preschool_transfer_id: str = "",
        import_id: str = "",
        request_id: str = "",
    ) -> Application:
        require_category(identity, category)
        return cls(
            application_id=str(uuid.uuid4()),
            school_code=school_code,
            kind=kind,
            category=category,
            identity=identity,
            form=form,
            state=first_state(kind, category),
            authentication=_initial_authentication(category),
            created_by=created_by,
            created_at=now,
            document_hash=document_hash,
            entry_channel=entry_channel,
            proof_material_ids=tuple(proof_material_ids),
            preschool_transfer_id=preschool_transfer_id,
            import_id=import_id,
            request_id=request_id,
            handling_unit_code=school_code,
            submitted_at=now,
            updated_at=now,
        )

    # -- events of dedup and review ------------------------------------------------------------

    def dedup_completed(self, revision: int, passed: bool, reason: str, now: dt.datetime) -> bool:
        """The gate or the parallel authentication finished (docs/FLOWS.md step 3)."""
        if revision != self.revision or self.state is ApplicationState.WITHDRAWN:
            return False
        if self.authentication is AuthenticationStatus.NOT_REQUIRED:
            return False
        if self.record_id:
            # The record's number was settled by the result known at approval; after that only a
            # problem record's correction authenticates again, and dedup's DedupCompleted for it may
            # come before or after its ProblemResolved (another queue) and may be about key data this
            # application does not hold yet. ProblemResolved carries the passed result itself
            # (correction_authenticated), so this one changes nothing.
            return False
        self.authentication = AuthenticationStatus.PASSED if passed else AuthenticationStatus.FAILED
        self.dedup_failure_reason = "" if passed else reason
        if self.state is ApplicationState.AWAITING_DEDUP:
            self.state = ApplicationState.AWAITING_SCHOOL_REVIEW if passed else ApplicationState.DEDUP_FAILED
        self.updated_at = now
        return True

    def review_progressed(
        self, revision: int, state: ApplicationState, unit_code: str, now: dt.datetime
    ) -> bool:
        if revision != self.revision or self.state not in REVIEWED_FROM or state not in REVIEW_CHAIN:
            return False
        if REVIEWED_FROM.index(state) <= REVIEWED_FROM.index(self.state):
            return False  # a late or repeated step
        self.state, self.handling_unit_code, self.updated_at = state, unit_code, now
        return True

    def returned(self, revision: int, rejection: Stamp, now: dt.datetime) -> bool:
        if revision != self.revision or self.state not in REVIEWED_FROM:
            return False
        self.state, self.last_rejection = ApplicationState.RETURNED, rejection
        self.handling_unit_code, self.updated_at = self.school_code, now
        return True

    def approved(self, revision: int, now: dt.datetime) -> bool:
        if revision != self.revision or self.state not in REVIEWED_FROM:
            return False
        self.state, self.handling_unit_code, self.updated_at = ApplicationState.APPROVED, "", now
        return True

    def correction_authenticated(self, identity: Identity, document_hash: str, now: dt.datetime) -> None:
        """A problem record's key data corrected (ProblemResolved CORRECT). Dedup resolves a
        correction only after the corrected key data passed authentication again (a failed one stays
        unresolved and announces nothing), so the application takes the new key data as authenticated."""
        self.identity, self.document_hash = identity, document_hash
        if self.authentication is not AuthenticationStatus.NOT_REQUIRED:
            self.authentication, self.dedup_failure_reason = AuthenticationStatus.PASSED, ""
        self.updated_at = now

    # -- the school registrar's corrections -----------------------------------------------------

    def correct(
        self,
        *,
        identity: Identity,
        document_hash: str,
        form: dict[str, Any],
        proof_material_ids: tuple[str, ...],
        now: dt.datetime,
    ) -> None:
        """UpdateApplication: only a returned or dedup-failed application; key data locked by a record."""
        self._require_correctable()
        if self.record_id and identity.key() != self.identity.key():
            message = (
                "已生成学籍的学生，姓名、性别、出生日期、身份证件类型和号码不能在此修改（须走关键信息变更）"
            )
            raise PreconditionFailed(
                message, [PreconditionViolation("KEY_DATA_LOCKED", self.application_id, message)]
            )
        if identity.document.category is not self.category:
            raise InvalidArgument(
                FieldViolation("student.document.type", f"身份证件类型应属于“{self.category.label_zh}”类别")
            )
        self.identity, self.document_hash, self.form = identity, document_hash, form
        self.proof_material_ids, self.updated_at = tuple(proof_material_ids), now

    def resubmit(self, now: dt.datetime) -> None:
        """Revision + 1 and the flow of chapter 3 starts again (dedup and review restart for it)."""
        self._require_correctable()
        self.revision += 1
        self.state = first_state(self.kind, self.category)
        self.authentication = _initial_authentication(self.category)
        self.dedup_failure_reason, self.last_rejection = "", None
        self.handling_unit_code, self.submitted_at, self.updated_at = self.school_code, now, now

    def withdraw(self, stamp: Stamp) -> None:
        if self.state not in WITHDRAWABLE:
            code, reason = {
                ApplicationState.APPROVED: ("APPROVED", "已注册完成的申请不能撤销"),
                ApplicationState.WITHDRAWN: ("WITHDRAWN", "该申请已撤销"),
            }.get(self.state, ("ALREADY_REPORTED", "已上报教育部门的申请不能撤销"))
            raise PreconditionFailed(reason, [PreconditionViolation(code, self.application_id, reason)])
        self.state, self.withdrawal = ApplicationState.WITHDRAWN, stamp
        self.handling_unit_code, self.updated_at = "", stamp.time

    def _require_correctable(self) -> None:
        if self.state not in CORRECTABLE:
            reason = f"只有审核不通过或查重不通过的申请可以修改、重新提交（当前状态：{self.state.label_zh}）"
            raise PreconditionFailed(
                reason, [PreconditionViolation("NOT_RETURNED", self.application_id, reason)]
            )


def require_category(identity: Identity, category: DocumentCategory) -> None:
    """The entry page (证件类别) chosen must fit the student's document."""
    if identity.document.category is not category:
        raise InvalidArgument(
            FieldViolation(
                "category", f"证件类别应为“{identity.document.category.label_zh}”，与身份证件类型一致"
            )
        )


def _initial_authentication(category: DocumentCategory) -> AuthenticationStatus:
    if category is DocumentCategory.NO_DOCUMENT:
        return AuthenticationStatus.NOT_REQUIRED
    return AuthenticationStatus.NOT_AUTHENTICATED
