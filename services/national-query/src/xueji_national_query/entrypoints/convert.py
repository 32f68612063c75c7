"""National records → protobuf messages of the contract."""
from __future__ import annotations

from xueji.v1 import common_pb2, national_query_pb2
from xueji_common.documents import DocumentType
from xueji_common.grpcserver.convert import date_to_pb, timestamp
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.domain.vocabulary import EnrolmentStatus, Stage, province_name


def document_pb(record: NationalRecord, number: str) -> common_pb2.IdentityDocument:
    try:
        doc_type = DocumentType(record.document_type).to_proto()
    except ValueError:
        doc_type = common_pb2.DOCUMENT_TYPE_UNSPECIFIED
    return common_pb2.IdentityDocument(type=doc_type, number=number)


def lookup_result(record: NationalRecord, document_number: str) -> national_query_pb2.StudentLookupResult:
    return national_query_pb2.StudentLookupResult(
        name=record.name,
        national_student_number=record.national_student_number,
        document=document_pb(record, document_number),
        province_code=record.province_code,
        province_name=province_name(record.province_code),
        stage=Stage(record.stage).to_proto(),
        enrolment_status=EnrolmentStatus(record.enrolment_status).to_proto(),
        problem_record=record.problem,
        last_change_time=timestamp(record.changed_at),
    )


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
