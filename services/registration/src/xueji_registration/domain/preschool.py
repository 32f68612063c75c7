"""Preschool transfers (学前调档, chapter 4) and the supplementary entry's preconditions (chapter 5).

No framework imports. A transfer holds the five identity fields of a child entering primary school
and the result of matching the national preschool records: exactly one → MATCHED, none → NOT_FOUND,
several → TO_CONFIRM until the registrar picks one or confirms that none match. Once a registration
application is running for the child (or approved: the child has a record), the transfer can no
longer be changed, deleted or exported; a withdrawn application frees it again.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any

from xueji_common.documents import DocumentCategory
from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed, PreconditionViolation
from xueji_registration.domain.model import Identity

WITHDRAWN, APPROVED = "withdrawn", "approved"  # application states that matter here


class MatchStatus(str, enum.Enum):
    PENDING = "pending"  # 匹配中: national-query did not answer
    MATCHED = "matched"  # 已匹配学前学籍
    NOT_FOUND = "not_found"  # 未查到学前学籍
    TO_CONFIRM = "to_confirm"  # 待确认学前学籍

    @property
    def label_zh(self) -> str:
        return {
            "pending": "匹配中",
            "matched": "已匹配学前学籍",
            "not_found": "未查到学前学籍",
            "to_confirm": "待确认学前学籍",
        }[self.value]


class Refused(PreconditionFailed):
    """A business-rule refusal with its machine code (REGISTRATION_STARTED…) and the transfer id."""

    def __init__(self, code: str, message: str, subject: str = "") -> None:
        super().__init__(message, [PreconditionViolation(code, subject, message)])
        self.code, self.subject = code, subject


@dataclass(frozen=True)
class Candidate:
    """A preschool record that may be the child's (national-query PreschoolRecordCandidate)."""

    record_id: str
    national_student_number: str = ""
    name: str = ""
    gender: int = 0
    birth_date: dt.date | None = None
    document_type: int = 0  # xueji.v1.DocumentType number
    document_number_masked: str = ""
    kindergarten_code: str = ""
    kindergarten_name: str = ""
    province_code: str = ""
    problem_record: bool = False

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        born = data.get("birth_date")
        return cls(**{**data, "birth_date": dt.date.fromisoformat(born) if born else None})


@dataclass(frozen=True)
class FormalRecord:
    """A formal student record (正式学籍) the child already holds somewhere, as national-query knows
    it (common.proto FormalRecordHolder): where, and the number masked."""

    national_student_number_masked: str
    school_code: str
    school_name: str = ""
    province_code: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FormalRecord:
        return cls(**data)

    @property
    def where_zh(self) -> str:
        return f"{self.school_name or self.school_code}，学籍号{self.national_student_number_masked}"


@dataclass(frozen=True)
class MatchAnswer:
    """National-query's answer for one child: the preschool candidates, and the formal records the
    document number already has (by document only)."""

    candidates: list[Candidate]
    formal_records: tuple[FormalRecord, ...] = ()


@dataclass
class PreschoolTransfer:
    transfer_id: str
    school_code: str
    identity: Identity
    document_hash: str | None  # None for a child without a document number
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    match_status: MatchStatus = MatchStatus.PENDING
    candidates: list[Candidate] = field(default_factory=list)
    matched_record: Candidate | None = None
    match_confirmed_by: dict[str, Any] | None = None  # {"user_id", "org_unit", "role", "time", "none_match"}
    application_id: str | None = None  # the application started for the child (not withdrawn)
    registration_state: str | None = None  # its state
    import_id: str | None = None
    version: int = 1
    formal_record: FormalRecord | None = None  # found by the matching at any school (None: none known)
    request_id: str | None = None  # the CreatePreschoolTransfer request that added it

    @classmethod
    def new(
        cls,
        *,
        school_code: str,
        identity: Identity,
        document_hash: str | None,
        created_by: str,
        now: dt.datetime,
        import_id: str | None = None,
    ) -> PreschoolTransfer:
        return cls(
            str(uuid.uuid4()), school_code, identity, document_hash, created_by, now, now, import_id=import_id
        )

    @property
    def category(self) -> DocumentCategory:
        return self.identity.document.category

    @property
    def registration_started(self) -> bool:
        return self.application_id is not None and self.registration_state != WITHDRAWN

    @property
    def registered_here(self) -> bool:
        """Registered through this transfer and approved: the formal record is this school's."""
        return self.registration_state == APPROVED

    @property
    def has_formal_record(self) -> bool:
        return self.registered_here or self.formal_record is not None

    @property
    def match_notices(self) -> list[str]:
        """What the registrar should check: a record found by the document under another name."""
        found = [self.matched_record] if self.matched_record else self.candidates
        return [
            f"学前学籍姓名“{c.name}”与录入的姓名“{self.identity.name}”不一致，请核对"
            for c in found
            if c.name and c.name != self.identity.name
        ]

    def apply_match(self, answer: MatchAnswer | list[Candidate] | None) -> None:
        """The answer of the national preschool records (None: it could not be asked; a bare list:
        candidates only, no formal records)."""
        candidates: list[Candidate] | None
        formal: tuple[FormalRecord, ...] = ()
        if isinstance(answer, MatchAnswer):
            candidates, formal = answer.candidates, answer.formal_records
        else:
            candidates = answer
        self.candidates, self.matched_record, self.match_confirmed_by = list(candidates or []), None, None
        if candidates is not None:
            self.formal_record = formal[0] if formal else None
        if candidates is None:
            self.match_status = MatchStatus.PENDING
        elif not candidates:
            self.match_status = MatchStatus.NOT_FOUND
        elif len(candidates) == 1:
            self.match_status, self.matched_record = MatchStatus.MATCHED, candidates[0]
        else:
            self.match_status = MatchStatus.TO_CONFIRM

    def ensure_changeable(self, action: str) -> None:
        """已发起学籍注册业务或已成为正式学籍学生的信息，不允许修改/删除 (4.3, 4.4). A formal record
        found elsewhere does not lock the transfer: the registrar may have mistyped the number."""
        if self.registered_here:
            raise Refused("HAS_FORMAL_RECORD", f"该学生已有正式学籍，不允许{action}", self.transfer_id)
        if self.registration_started:
            raise Refused("REGISTRATION_STARTED", f"该学生已发起学籍注册，不允许{action}", self.transfer_id)

    def change_identity(self, identity: Identity, document_hash: str | None, now: dt.datetime) -> None:
        self.ensure_changeable("修改")
        self.identity, self.document_hash, self.updated_at = identity, document_hash, now

    def confirm(self, *, candidate_id: str | None, by: dict[str, Any], now: dt.datetime) -> None:
        """Pick one of several candidates (图12), or confirm that none match (candidate_id None, 图13)."""
        if self.match_status is not MatchStatus.TO_CONFIRM:
            raise Refused(
                "NOT_TO_CONFIRM",
                f"该学生的匹配状态为“{self.match_status.label_zh}”，无需确认",
                self.transfer_id,
            )
        if candidate_id is None:
            self.match_status, self.matched_record = MatchStatus.NOT_FOUND, None
        else:
            chosen = next((c for c in self.candidates if c.record_id == candidate_id), None)
            if chosen is None:
                raise InvalidArgument(FieldViolation("candidate_record_id", "所选学前学籍不在候选列表中"))
            self.match_status, self.matched_record = MatchStatus.MATCHED, chosen
        self.match_confirmed_by = {**by, "time": now.isoformat(), "none_match": candidate_id is None}
        self.updated_at = now

    def export_refusal(self) -> Refused | None:
        """Why the child cannot be exported to the registration template (4.5), if it cannot."""
        if self.category is DocumentCategory.NO_DOCUMENT:
            return Refused(
                "NO_DOCUMENT_NOT_EXPORTABLE",
                f"{self.identity.name}：无证件学生不能导出，请在系统中逐个录入",
                self.transfer_id,
            )
        if self.match_status is MatchStatus.TO_CONFIRM:
            return Refused(
                "TO_CONFIRM", f"{self.identity.name}：学前学籍待确认，请先确认后再导出", self.transfer_id
            )
        if self.has_formal_record:
            return Refused(
                "HAS_FORMAL_RECORD",
                f"{self.identity.name}：已成为正式学籍学生的，不允许导出{self._where()}",
                self.transfer_id,
            )
        if self.registration_started:
            return Refused(
                "REGISTRATION_STARTED", f"{self.identity.name}：已发起学籍注册，不能导出", self.transfer_id
            )
        return None

    def ensure_open_for_registration(self) -> None:
        """A freshman import row or a supplementary entry may start this child's registration."""
        if self.match_status is MatchStatus.TO_CONFIRM:
            raise Refused("TO_CONFIRM", "该学生学前学籍待确认，请先在学前调档管理中确认", self.transfer_id)
        self.ensure_registrable("再次注册")

    def ensure_registrable(self, action: str) -> None:
        """`ensure_changeable`. A formal record elsewhere does not refuse the registration here: the
        manual refuses only the export (4.5), and dedup then makes this freshman's record an L-numbered
        cross-province problem record for the national tier to resolve
        (docs/DOMAIN.md#existing-national-records)."""
        self.ensure_changeable(action)

    def _where(self) -> str:
        return f"（{self.formal_record.where_zh}）" if self.formal_record else ""

    def ensure_supplementable(self) -> None:
        """学前档案信息补录 is for matched children with a document (chapter 5)."""
        if self.category is DocumentCategory.NO_DOCUMENT:
            raise Refused(
                "NO_DOCUMENT_USE_MANUAL_ENTRY", "无证件学生请在小学新生注册中逐个录入", self.transfer_id
            )
        if self.match_status is not MatchStatus.MATCHED:
            raise Refused(
                "NOT_MATCHED",
                f"只有已匹配学前学籍的学生可以补录，该学生为“{self.match_status.label_zh}”",
                self.transfer_id,
            )
        self.ensure_registrable("补录")
