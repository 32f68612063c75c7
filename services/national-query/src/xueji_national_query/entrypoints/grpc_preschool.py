"""gRPC entrypoint of PreschoolRecords: matching for the registration service (system role)."""

from __future__ import annotations

from xueji.v1 import national_query_pb2, national_query_pb2_grpc
from xueji_common.documents import DocumentError, DocumentType
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.grpcserver.guard import caller
from xueji_national_query.entrypoints.convert import formal_holder, preschool_candidate
from xueji_national_query.service_layer import preschool


class PreschoolRecordsServicer(national_query_pb2_grpc.PreschoolRecordsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def MatchPreschoolRecord(self, request, context):
        preschool.admit(caller())
        uow = self._rt.uow_factory()
        key = request.WhichOneof("key")
        if key == "document":
            try:
                doc_type = DocumentType.from_proto(request.document.type)
            except DocumentError as exc:
                raise InvalidArgument(FieldViolation("document.type", exc.message)) from None
            found, formal = preschool.match_by_document(uow, doc_type, request.document.number)
        elif key == "person":
            person = request.person
            try:
                birth_date = date_from_pb(person.birth_date)
            except ValueError:
                raise InvalidArgument(FieldViolation("person.birth_date", "出生日期不是有效日期")) from None
            found, formal = preschool.match_by_person(uow, person.name, person.gender, birth_date), []
        else:
            raise InvalidArgument(FieldViolation("key", "请提供身份证件，或姓名、性别和出生日期"))
        return national_query_pb2.MatchPreschoolRecordResponse(
            candidates=[preschool_candidate(r) for r in found],
            formal_records=[formal_holder(r) for r in formal],
        )
