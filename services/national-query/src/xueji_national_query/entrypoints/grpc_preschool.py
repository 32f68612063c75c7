"""gRPC entrypoint of PreschoolRecords: matching for the registration service (system role).

MatchPreschoolRecords is the batch of MatchPreschoolRecord (issue 16 step 2): each item is read as
the single call reads its request, a bad item's fields named identities[i].field, and each answer
is converted (and so masked) as the single call's."""

from __future__ import annotations

from xueji.v1 import national_query_pb2, national_query_pb2_grpc
from xueji_common.documents import DocumentError, DocumentType
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.grpcserver.guard import caller
from xueji_national_query.domain.preschool import MatchKey, PreschoolMatch
from xueji_national_query.entrypoints.convert import formal_holder, preschool_candidate
from xueji_national_query.service_layer import preschool


def _key(hash_key: str, request: national_query_pb2.MatchPreschoolRecordRequest) -> MatchKey:
    """The child's key, or InvalidArgument naming the request's fields."""
    key = request.WhichOneof("key")
    if key == "document":
        try:
            doc_type = DocumentType.from_proto(request.document.type)
        except DocumentError as exc:
            raise InvalidArgument(FieldViolation("document.type", exc.message)) from None
        return preschool.document_key(hash_key, doc_type, request.document.number)
    if key == "person":
        person = request.person
        try:
            birth_date = date_from_pb(person.birth_date)
        except ValueError:
            raise InvalidArgument(FieldViolation("person.birth_date", "出生日期不是有效日期")) from None
        return preschool.person_key(person.name, person.gender, birth_date)
    raise InvalidArgument(FieldViolation("key", "请提供身份证件，或姓名、性别和出生日期"))


def _answer(found: PreschoolMatch) -> national_query_pb2.MatchPreschoolRecordResponse:
    return national_query_pb2.MatchPreschoolRecordResponse(
        candidates=[preschool_candidate(r) for r in found.candidates],
        formal_records=[formal_holder(r) for r in found.formal],
    )


class PreschoolRecordsServicer(national_query_pb2_grpc.PreschoolRecordsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def MatchPreschoolRecord(self, request, context):
        preschool.admit(caller())
        uow = self._rt.uow_factory()
        [found] = preschool.match_keys(uow, [_key(uow.hash_key, request)])
        return _answer(found)

    def MatchPreschoolRecords(self, request, context):
        preschool.admit(caller())
        preschool.check_batch_size(len(request.identities))  # before reading 10,000 items one by one
        uow = self._rt.uow_factory()
        keys, problems = [], []
        for i, item in enumerate(request.identities):
            try:
                keys.append(_key(uow.hash_key, item))
            except InvalidArgument as exc:
                problems += [
                    FieldViolation(f"identities[{i}].{v.field}", v.description) for v in exc.violations
                ]
        if problems:
            raise InvalidArgument(problems)
        return national_query_pb2.MatchPreschoolRecordsResponse(
            results=[_answer(found) for found in preschool.match_keys(uow, keys)]
        )
