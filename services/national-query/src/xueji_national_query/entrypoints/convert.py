"""National records → protobuf messages of the contract."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import common_pb2, national_query_pb2
from xueji_common.documents import DocumentType
from xueji_common.grpcserver.convert import date_to_pb
from xueji_common.masking import mask_student_number
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.domain.vocabulary import EnrolmentStatus, Stage, province_name

# Stored codes → proto numbers, computed once (a lookup converts every record it answers with).
_DOCUMENT_TYPES = {t.value: t.to_proto() for t in DocumentType}
_STAGES = {s.value: s.to_proto() for s in Stage}
_STATUSES = {s.value: s.to_proto() for s in EnrolmentStatus}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def document_pb(record: NationalRecord, number: str) -> common_pb2.IdentityDocument:
    doc_type = _DOCUMENT_TYPES.get(record.document_type, common_pb2.DOCUMENT_TYPE_UNSPECIFIED)
    return common_pb2.IdentityDocument(type=doc_type, number=number)


def lookup_result(
    record: NationalRecord, document_number: str, student_number: str
) -> national_query_pb2.StudentLookupResult:
    """One result, with the two numbers as the lookup may show them (xueji_common.masking)."""
    return national_query_pb2.StudentLookupResult(
        name=record.name,
        national_student_number=student_number,
        document=document_pb(record, document_number),
        province_code=record.province_code,
        province_name=province_name(record.province_code),
        stage=_STAGES[record.stage],
        enrolment_status=_STATUSES[record.enrolment_status],
        problem_record=record.problem,
        last_change_time=_timestamp(record.changed_at),
    )


def _timestamp(moment: dt.datetime) -> Timestamp:
    """As convert.timestamp (naive means UTC), in integer arithmetic rather than via a time tuple."""
    since = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) - _EPOCH
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def preschool_candidate(record: NationalRecord) -> common_pb2.PreschoolRecordCandidate:
    return common_pb2.PreschoolRecordCandidate(
        record_id=record.record_id,
        national_student_number=record.national_student_number,
        name=record.name,
        gender=record.gender,
        birth_date=date_to_pb(record.birth_date),
        document=document_pb(record, record.document_masked),
        kindergarten_code=record.school_code,
        kindergarten_name=record.school_name,
        province_code=record.province_code,
        problem_record=record.problem,
    )


def formal_holder(record: NationalRecord) -> common_pb2.FormalRecordHolder:
    """Where a formal record is, its number masked (docs/MASKING.md): registration only shows it."""
    return common_pb2.FormalRecordHolder(
        national_student_number=mask_student_number(record.national_student_number),
        school_code=record.school_code,
        school_name=record.school_name,
        province_code=record.province_code,
    )
