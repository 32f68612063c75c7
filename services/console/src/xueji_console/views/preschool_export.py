"""学前调档管理 -> 导出全部查询结果: every child matching the list's current filters as the
category's registration template (.xlsx), from `PreschoolTransfers.ExportPreschoolTransferQuery`.
The workbook is passed on piece by piece as the service streams it (the console holds one piece
at a time); a refusal (no category chosen, a child that cannot be exported, nothing to export)
comes before the first piece and is shown above the list, as the service words it."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.routing import Route

from xueji.v1 import registration_pb2 as r
from xueji_console.backend import Failure, stream
from xueji_console.views import preschool
from xueji_console.web import page

EXPORT_TIMEOUT_SECONDS = 10 * 60


@page
async def export_query(request, session, form):
    query = dict(request.query_params)
    listed = preschool._list_request(session, query)
    whole = r.ExportPreschoolTransferQueryRequest(
        name=listed.name,
        document_number=listed.document_number,
        category=listed.category,
        match_statuses=listed.match_statuses,
    )
    pieces = stream(
        request.app.state.console.backend.transfers.ExportPreschoolTransferQuery,
        whole,
        session.access_token,
        EXPORT_TIMEOUT_SECONDS,
    )
    try:
        first = await run_in_threadpool(next, pieces)
    except Failure as failure:
        pieces.close()
        if failure.status not in (400, 409):
            raise
        return await preschool._list(
            request, session, query, failure.status, failure.message or "；".join(failure.fields.values())
        )

    def content():
        yield first.data
        for piece in pieces:
            yield piece.data

    disposition = f"attachment; filename*=UTF-8''{quote(first.file_name)}"
    return StreamingResponse(
        content(), media_type=first.content_type, headers={"content-disposition": disposition}
    )


ROUTES = [Route("/preschool/export-all", export_query)]
