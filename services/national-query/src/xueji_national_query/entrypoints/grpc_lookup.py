"""gRPC entrypoint of NationalQuery: captcha, lookup (and the bulk load from grpc_bulk_load)."""

from __future__ import annotations

from xueji.v1 import national_query_pb2, national_query_pb2_grpc
from xueji_common.grpcserver.client_address import client_address
from xueji_common.grpcserver.convert import timestamp
from xueji_common.grpcserver.guard import caller
from xueji_common.masking import lookup_student_number
from xueji_national_query.adapters.audit_sinks import audit_sink
from xueji_national_query.adapters.audit_writer import BufferedAuditWriter
from xueji_national_query.adapters.captcha_image import draw_png
from xueji_national_query.adapters.lookup_reader import record_reader
from xueji_national_query.domain.lookup import shown_document_number
from xueji_national_query.entrypoints.convert import lookup_result
from xueji_national_query.entrypoints.grpc_bulk_load import BulkLoadMethod
from xueji_national_query.service_layer import lookup


class NationalQueryServicer(BulkLoadMethod, national_query_pb2_grpc.NationalQueryServicer):
    """全国学籍查询. People (school and department users) sign in and solve a captcha per lookup
    (the manual's menu is for signed-in users); ministry systems call with the system role."""

    def __init__(self, runtime, policy: lookup.LookupPolicy) -> None:
        self._rt = runtime
        self._policy = policy
        self._reader = record_reader(runtime)
        self._audit = BufferedAuditWriter(audit_sink(runtime))
        self._stores = lookup.LookupStores(
            uow_factory=runtime.uow_factory,
            reader=self._reader,
            write_audit=self._audit.write,
            hash_key=runtime.settings.hash_key,
        )

    def close(self) -> None:
        """After the server stopped: commits the queued audit entries, closes the lookup's connections."""
        self._audit.close()
        self._reader.close()

    def CreateCaptcha(self, request, context):
        who = lookup.Caller(caller(), client_address(context, self._policy.trusted_proxies))
        issued = lookup.create_captcha(self._rt.uow_factory(), who, self._policy, draw_png)
        return national_query_pb2.Captcha(
            captcha_id=issued.captcha_id, png=issued.png, expire_time=timestamp(issued.expire_time)
        )

    def LookupStudent(self, request, context):
        principal = caller()
        who = lookup.Caller(principal, client_address(context, self._policy.trusted_proxies))
        ask = lookup.LookupRequest(
            name=request.name,
            document_number=request.document_number,
            national_student_number=request.national_student_number,
            captcha_id=request.captcha_id,
            captcha_answer=request.captcha_answer,
        )
        query, found = lookup.lookup_student(self._stores, ask, who, self._policy)
        return national_query_pb2.LookupStudentResponse(
            results=[
                lookup_result(
                    r,
                    shown_document_number(query, principal.role, r.document_masked),
                    lookup_student_number(
                        r.national_student_number,
                        supplied_number=query.national_student_number,
                        supplied_document=query.document_number,
                    ),
                )
                for r in found
            ]
        )
