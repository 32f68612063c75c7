"""Translations between review's domain values and its protobuf messages (review.proto)."""

from __future__ import annotations

from xueji.v1 import common_pb2, review_pb2
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_to_pb, timestamp
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_review.adapters.events import audit_stamp
from xueji_review.domain.model import CaseEvent, CaseState, GateStatus, PendingSummary, ReviewCase
from xueji_review.service_layer.common import unit_namer

_STATES = {state: review_pb2.ReviewCaseState.Value(f"REVIEW_CASE_STATE_{state.name}") for state in CaseState}
_AUTHENTICATION = {
    GateStatus.NOT_REQUIRED: common_pb2.AUTHENTICATION_STATUS_NOT_REQUIRED,
    GateStatus.PENDING: common_pb2.AUTHENTICATION_STATUS_NOT_AUTHENTICATED,
    GateStatus.PASSED: common_pb2.AUTHENTICATION_STATUS_PASSED,
    GateStatus.FAILED: common_pb2.AUTHENTICATION_STATUS_FAILED,
}


def category_from_pb(value: int, field: str = "category") -> str:
    """The category's domain value; "" for UNSPECIFIED (all)."""
    if not value:
        return ""
    try:
        return DocumentCategory.from_proto(value).value
    except ValueError:
        raise InvalidArgument(FieldViolation(field, "证件类别无效")) from None


def kind_from_pb(value: int, field: str = "kind") -> str:
    if not value:
        return ""
    try:
        return RegistrationKind.from_proto(value).value
    except ValueError:
        raise InvalidArgument(FieldViolation(field, "注册类型无效")) from None


def case_to_pb(
    case: ReviewCase, tree: OrgTree, last_decision: CaseEvent | None = None
) -> review_pb2.ReviewCase:
    name = unit_namer(tree)
    block = case.review_block
    message = review_pb2.ReviewCase(
        case_id=case.application_id,
        application_id=case.application_id,
        revision=case.revision,
        school_code=case.school_code,
        school_name=name(case.school_code),
        kind=RegistrationKind(case.kind).to_proto(),
        category=DocumentCategory(case.category).to_proto(),
        student=common_pb2.StudentIdentity(
            name=case.name,
            gender=case.gender,
            birth_date=date_to_pb(case.birth_date),
            document=common_pb2.IdentityDocument(
                type=DocumentType(case.document_type).to_proto(), number=case.document_masked
            ),
        ),
        grade=case.grade,
        class_name=case.class_name,
        state=_STATES[case.state],
        authentication_status=_AUTHENTICATION[case.gate],
        reviewable=case.state is CaseState.AWAITING_SCHOOL_REVIEW and block is None,
        blocked_reason=block or "",
        current_level=int(case.current_level),
        current_unit_code=case.handling_unit,
        current_unit_name=name(case.handling_unit),
        required_levels=[int(level) for level in case.required_levels],
        version=case.version,
        submit_time=timestamp(case.submitted_at),
        update_time=timestamp(case.updated_at or case.submitted_at),
        dedup_failure_reason=case.gate_reason,
    )
    if last_decision is not None:
        message.last_decision.CopyFrom(audit_stamp(last_decision, name))
    return message


def summary_to_pb(summary: PendingSummary, tree: OrgTree, *, with_schools: bool) -> review_pb2.PendingSummary:
    name = unit_namer(tree)
    return review_pb2.PendingSummary(
        total=summary.total,
        by_category=_category_counts(summary.by_category),
        blocked=summary.blocked,
        schools=[
            review_pb2.SchoolPendingSummary(
                school_code=code,
                school_name=name(code),
                total=sum(counts.values()),
                by_category=_category_counts(counts),
            )
            for code, counts in sorted(summary.by_school.items())
        ]
        if with_schools
        else [],
    )


def _category_counts(counts: dict[str, int]) -> list[common_pb2.CategoryCount]:
    """Every category, those with nothing waiting at 0: the list shows "0", not nothing."""
    return [
        common_pb2.CategoryCount(category=c.to_proto(), count=counts.get(c.value, 0))
        for c in sorted(DocumentCategory, key=DocumentCategory.to_proto)
    ]


def batch_item(case: ReviewCase, reason_code: str = "", reason: str = "") -> review_pb2.BatchItemResult:
    return review_pb2.BatchItemResult(
        case_id=case.application_id,
        application_id=case.application_id,
        student_name=case.name,
        reason_code=reason_code,
        reason=reason,
    )


def history_to_pb(case: ReviewCase, entries: list[CaseEvent], tree: OrgTree) -> review_pb2.CaseHistory:
    name = unit_namer(tree)
    return review_pb2.CaseHistory(
        case_id=case.application_id,
        application_id=case.application_id,
        entries=[
            review_pb2.CaseHistoryEntry(
                type=review_pb2.CaseEventType.Value(f"CASE_EVENT_TYPE_{e.type.name}"),
                level=int(e.level or 0),
                stamp=audit_stamp(e, name),
                revision=e.revision,
            )
            for e in entries
        ],
    )
