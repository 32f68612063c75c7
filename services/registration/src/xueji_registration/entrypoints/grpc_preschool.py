"""gRPC entrypoint of the PreschoolTransfers service (学前调档, 学前档案信息补录)."""

from __future__ import annotations

from google.protobuf import empty_pb2

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc
from xueji_common import fieldmask
from xueji_common.documents import DocumentCategory, DocumentError, DocumentType, Gender
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb, date_to_pb, message_to_dict, timestamp
from xueji_common.grpcserver.guard import caller
from xueji_common.masking import mask_message
from xueji_common.paging import Page
from xueji_registration.adapters.excel.reader import Limits
from xueji_registration.adapters.excel.writer import CONTENT_TYPE, template_workbook
from xueji_registration.adapters.preschool_records import PreschoolRecords
from xueji_registration.domain.preschool import Candidate, MatchStatus, PreschoolTransfer
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE
from xueji_registration.entrypoints.convert import application_pb
from xueji_registration.entrypoints.grpc_imports import CHUNK_BYTES, checkpoint_of, file_pb, report_pb
from xueji_registration.service_layer import preschool
from xueji_registration.service_layer.access import require_school_registrar, sees_numbers
from xueji_registration.service_layer.preschool_exports import export_query
from xueji_registration.service_layer.preschool_imports import import_preschool_transfers
from xueji_registration.service_layer.repositories import TransferFilter

_STATUS = {
    s: registration_pb2.PreschoolMatchStatus.Value(f"PRESCHOOL_MATCH_STATUS_{s.name}") for s in MatchStatus
}


def identity_input(identity: common_pb2.StudentIdentity, prefix: str = "identity") -> preschool.IdentityInput:
    try:
        birth_date = date_from_pb(identity.birth_date)
    except ValueError:
        raise InvalidArgument(FieldViolation(f"{prefix}.birth_date", "出生日期不是有效日期")) from None
    try:
        doc_type = DocumentType.from_proto(identity.document.type) if identity.document.type else None
    except DocumentError as exc:
        raise InvalidArgument(FieldViolation(f"{prefix}.document.type", exc.message)) from None
    gender = Gender(identity.gender) if identity.gender in (1, 2) else None
    return preschool.IdentityInput(identity.name, gender, birth_date, doc_type, identity.document.number)


_IDENTITY_PATHS = {
    "identity": preschool.IDENTITY_FIELDS,
    **{f"identity.{f}": (f,) for f in preschool.IDENTITY_FIELDS},
}


def _identity_fields(mask) -> set[str]:
    """The identity fields an UpdatePreschoolTransfer's update_mask names (docs/API.md)."""
    paths = fieldmask.paths(mask, _IDENTITY_PATHS, full=("identity",))
    return {field for path in paths for field in _IDENTITY_PATHS[path]}


def candidate_pb(c: Candidate) -> common_pb2.PreschoolRecordCandidate:
    return common_pb2.PreschoolRecordCandidate(
        record_id=c.record_id,
        national_student_number=c.national_student_number,
        name=c.name,
        gender=c.gender,
        birth_date=date_to_pb(c.birth_date),
        document=common_pb2.IdentityDocument(type=c.document_type, number=c.document_number_masked),
        kindergarten_code=c.kindergarten_code,
        kindergarten_name=c.kindergarten_name,
        province_code=c.province_code,
        problem_record=c.problem_record,
    )


def transfer_pb(t: PreschoolTransfer, *, clear: bool) -> registration_pb2.PreschoolTransfer:
    doc = t.identity.document
    message = registration_pb2.PreschoolTransfer(
        transfer_id=t.transfer_id,
        school_code=t.school_code,
        identity=common_pb2.StudentIdentity(
            name=t.identity.name,
            gender=int(t.identity.gender),
            birth_date=date_to_pb(t.identity.birth_date),
            document=common_pb2.IdentityDocument(type=doc.type.to_proto(), number=doc.number),
        ),
        category=t.category.to_proto(),
        match_status=_STATUS[t.match_status],
        candidates=[candidate_pb(c) for c in t.candidates],
        application_id=t.application_id or "",
        has_formal_record=t.has_formal_record,
        version=t.version,
        match_notices=t.match_notices,
        created_by=common_pb2.AuditStamp(
            org_unit_code=t.school_code, user_id=t.created_by, time=timestamp(t.created_at)
        ),
        update_time=timestamp(t.updated_at),
    )
    if t.matched_record:
        message.matched_record.CopyFrom(candidate_pb(t.matched_record))
    if t.formal_record:
        f = t.formal_record
        message.formal_record.CopyFrom(
            common_pb2.FormalRecordHolder(
                national_student_number=f.national_student_number_masked,
                school_code=f.school_code,
                school_name=f.school_name,
                province_code=f.province_code,
            )
        )
    if t.match_confirmed_by:
        by = t.match_confirmed_by
        message.match_confirmed_by.CopyFrom(
            common_pb2.AuditStamp(
                org_unit_code=by.get("org_unit", ""),
                user_id=by.get("user_id", ""),
                opinion="确认都不匹配" if by.get("none_match") else "确认匹配",
            )
        )
    return message if clear else mask_message(message)


class PreschoolTransfersServicer(registration_pb2_grpc.PreschoolTransfersServicer):
    def __init__(self, runtime, matcher=None) -> None:
        self._rt = runtime
        self._matcher = matcher or PreschoolRecords(runtime)

    def _out(self, transfer: PreschoolTransfer, principal) -> registration_pb2.PreschoolTransfer:
        return transfer_pb(transfer, clear=sees_numbers(principal, transfer.school_code))

    def CreatePreschoolTransfer(self, request, context):
        principal = caller()
        transfer = preschool.create_transfer(
            self._rt.uow_factory(),
            request.school_code,
            identity_input(request.identity),
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
            matcher=self._matcher,
            request_id=request.request_id,
        )
        return self._out(transfer, principal)

    def GetPreschoolTransfer(self, request, context):
        principal = caller()
        return self._out(
            preschool.get_transfer(
                self._rt.uow_factory(), request.transfer_id, principal=principal, tree=self._rt.tree
            ),
            principal,
        )

    def UpdatePreschoolTransfer(self, request, context):
        principal = caller()
        transfer = preschool.update_transfer(
            self._rt.uow_factory(),
            request.transfer_id,
            identity_input(request.identity),
            request.expected_version,
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
            matcher=self._matcher,
            fields=_identity_fields(request.update_mask),
        )
        return self._out(transfer, principal)

    def DeletePreschoolTransfer(self, request, context):
        preschool.delete_transfer(
            self._rt.uow_factory(),
            request.transfer_id,
            request.expected_version,
            principal=caller(),
            tree=self._rt.tree,
        )
        return empty_pb2.Empty()

    def _filter(self, request) -> TransferFilter:
        """The filters of a ListPreschoolTransfersRequest or ExportPreschoolTransferQueryRequest."""
        statuses = []
        for value in request.match_statuses:
            found = [s for s, n in _STATUS.items() if n == value]
            if not found:
                raise InvalidArgument(FieldViolation("match_statuses", "匹配状态无效"))
            statuses.append(found[0].value)
        number = request.document_number.strip()
        return TransferFilter(
            name_prefix=request.name.strip(),
            category=_category(request.category),
            match_statuses=tuple(statuses),
            document_hashes=preschool.number_hashes(self._rt.settings.hash_key, number) if number else (),
            registration_started=request.registration_started
            if request.HasField("registration_started")
            else None,
        )

    def ListPreschoolTransfers(self, request, context):
        principal = caller()
        page = Page.of(request)
        items, total = preschool.list_transfers(
            self._rt.uow_factory(),
            self._filter(request),
            request.org_unit_code,
            page.offset,
            page.size,
            principal=principal,
            tree=self._rt.tree,
        )
        return registration_pb2.ListPreschoolTransfersResponse(
            transfers=[self._out(t, principal) for t in items],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def ImportPreschoolTransfers(self, request, context):
        report = import_preschool_transfers(
            self._rt.uow_factory(),
            school_code=request.school_code,
            file_name=request.file.file_name,
            content=request.file.content,
            request_id=request.request_id,
            principal=caller(),
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
            matcher=self._matcher,
            limits=Limits.from_env(),
            checkpoint=checkpoint_of(context),
        )
        return report_pb(report, self._rt.tree)

    def DownloadPreschoolTemplate(self, request, context):
        principal = caller()
        require_school_registrar(principal, self._rt.tree, principal.org_unit)
        return file_pb(PRESCHOOL_TEMPLATE.file_name, template_workbook(PRESCHOOL_TEMPLATE))

    def ExportPreschoolTransfers(self, request, context):
        name, content = preschool.export_transfers(
            self._rt.uow_factory(),
            request.school_code,
            list(request.transfer_ids),
            principal=caller(),
            tree=self._rt.tree,
            matcher=self._matcher,
        )
        return file_pb(name, content)

    def ExportPreschoolTransferQuery(self, request, context):
        name, out = export_query(
            self._rt.uow_factory(),
            self._filter(request),
            request.org_unit_code,
            principal=caller(),
            tree=self._rt.tree,
            matcher=self._matcher,
        )
        with out:
            yield registration_pb2.FileChunk(
                file_name=name, content_type=CONTENT_TYPE, data=out.read(CHUNK_BYTES)
            )
            while data := out.read(CHUNK_BYTES):
                yield registration_pb2.FileChunk(data=data)

    def ConfirmPreschoolMatch(self, request, context):
        principal = caller()
        choice = request.WhichOneof("choice")
        if choice is None or (choice == "none_match" and not request.none_match):
            raise InvalidArgument(
                FieldViolation("candidate_record_id", "请选择一条匹配的学前学籍，或确认都不匹配")
            )
        transfer = preschool.confirm_match(
            self._rt.uow_factory(),
            request.transfer_id,
            request.candidate_record_id if choice == "candidate_record_id" else None,
            request.expected_version,
            principal=principal,
            tree=self._rt.tree,
        )
        return self._out(transfer, principal)

    def SubmitSupplementaryEntry(self, request, context):
        principal = caller()
        app = preschool.submit_supplementary_entry(
            self._rt.uow_factory(),
            request.transfer_id,
            message_to_dict(request.student),
            request.expected_version,
            principal=principal,
            tree=self._rt.tree,
            hash_key=self._rt.settings.hash_key,
            request_id=request.request_id,
        )
        return application_pb(app, self._rt.tree, clear=sees_numbers(principal, app.school_code))


def _category(value: int) -> str:
    if not value:
        return ""
    try:
        return DocumentCategory.from_proto(value).value
    except ValueError:
        raise InvalidArgument(FieldViolation("category", "证件类别无效")) from None
