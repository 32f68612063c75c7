"""gRPC entrypoint of report (Reports, 上报): translation, delegation (the use cases check the caller)."""

from __future__ import annotations

from xueji.v1 import review_pb2, review_pb2_grpc
from xueji_common.grpcserver.guard import caller
from xueji_common.paging import Page
from xueji_review.entrypoints import convert
from xueji_review.service_layer import queries, reports


class ReportsServicer(review_pb2_grpc.ReportsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def _narrowing(self, request) -> dict:
        return dict(
            school_code=request.school_code,
            category=convert.category_from_pb(request.category),
            kind=convert.kind_from_pb(request.kind),
        )

    def GetReportSummary(self, request, context):
        summary = queries.report_summary(
            self._rt.uow_factory(), self._rt.tree, caller(), **self._narrowing(request)
        )
        return convert.summary_to_pb(summary, self._rt.tree, with_schools=False)

    def ListReportableCases(self, request, context):
        page = Page.of(request)
        cases, total = queries.reportable_page(
            self._rt.uow_factory(),
            self._rt.tree,
            caller(),
            offset=page.offset,
            limit=page.size,
            **self._narrowing(request),
        )
        return review_pb2.ListReportableCasesResponse(
            cases=[convert.case_to_pb(c, self._rt.tree) for c in cases],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def ReportCases(self, request, context):
        principal = caller()
        reported, refused = reports.report_cases(
            self._rt.uow_factory(),
            tree=self._rt.tree,
            principal=principal,
            school_code=request.school_code or principal.org_unit,
            selection=[(item.case_id, item.expected_version) for item in request.cases],
        )
        return _response(reported, refused)

    def ReportAll(self, request, context):
        principal = caller()
        reported = reports.report_all(
            self._rt.uow_factory(),
            tree=self._rt.tree,
            principal=principal,
            school_code=request.school_code or principal.org_unit,
            category=convert.category_from_pb(request.category),
            kind=convert.kind_from_pb(request.kind),
        )
        return _response(reported, [])


def _response(reported, refused) -> review_pb2.ReportCasesResponse:
    return review_pb2.ReportCasesResponse(
        reported=[convert.batch_item(c) for c in reported],
        refused=[convert.batch_item(r.case, r.reason_code, r.reason) for r in refused],
    )
