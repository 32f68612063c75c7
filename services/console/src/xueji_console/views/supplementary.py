"""学前档案信息补录 (chapter 5, the school registrar): the children whose preschool record is matched
and whose registration has not started, and the record form of one of them (居民身份证 or 港澳台和外籍,
the identity fields as entered in 学前调档), saved with PreschoolTransfers.SubmitSupplementaryEntry,
which submits the primary freshman registration. The service checks the form and the transfer."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Route

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import code_tables, labels, student_form, uploads
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 学籍注册 -> 学前档案信息补录"
FIXED = (
    "student.name",
    "student.gender",
    "student.birth_date",
    "student.document.type",
    "student.document.number",
)


@page
async def candidates(request, session, form):
    query = dict(request.query_params)
    listing = r.ListPreschoolTransfersRequest(
        name=query.get("name", "").strip(),
        match_statuses=[r.PRESCHOOL_MATCH_STATUS_MATCHED],
        registration_started=False,
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.transfers.ListPreschoolTransfers,
        listing,
        session.access_token,
    )
    return render(
        request,
        session,
        "supplementary.html",
        transfers=response.transfers,
        page_info=response,
        query=query,
        labels=labels,
        crumbs=CRUMBS,
    )


async def _render(request, session, transfer, status=200, *, values, errors=None, message="", photo=()):
    category = (
        transfer.category
        if transfer.category in student_form.DOCUMENT_TYPES
        else c.DOCUMENT_CATEGORY_RESIDENT
    )
    errors = errors or {}
    paths = {i.path for i in student_form.all_inputs(category)} | {uploads.PHOTO_FIELD}
    return render(
        request,
        session,
        "supplementary_form.html",
        status,
        transfer=transfer,
        sections=student_form.sections(category, await code_tables.for_form(request, session)),
        values=values,
        errors=errors,
        fixed=FIXED,
        photo=photo,
        other_errors=[reason for path, reason in errors.items() if path not in paths],
        message=message,
        request_id=uuid.uuid4().hex,
        category_title=labels.CATEGORY.get(category, ""),
        crumbs=CRUMBS + " -> 学籍信息补录",
    )


def _get(console, session, transfer_id: str) -> r.PreschoolTransfer:
    return call(
        console.backend.transfers.GetPreschoolTransfer,
        r.GetPreschoolTransferRequest(transfer_id=transfer_id),
        session.access_token,
    )


@page
async def form_page(request, session, form):
    transfer = await run_in_threadpool(
        _get, request.app.state.console, session, request.path_params["transfer_id"]
    )
    return await _render(request, session, transfer, values=student_form.from_identity(transfer.identity))


@page
async def submit(request, session, form):
    console, transfer_id = request.app.state.console, request.path_params["transfer_id"]
    transfer = await run_in_threadpool(_get, console, session, transfer_id)
    category = (
        transfer.category
        if transfer.category in student_form.DOCUMENT_TYPES
        else c.DOCUMENT_CATEGORY_RESIDENT
    )
    # The identity is the transfer's (shown read-only): what the registrar may not change is not read.
    values = {**student_form.typed(form, category), **student_form.from_identity(transfer.identity)}
    photo, refused = await uploads.take_photo(request, session, form)
    if refused:
        errors = {uploads.PHOTO_FIELD: refused}
        return await _render(request, session, transfer, 400, values=values, errors=errors, photo=photo)
    message, unreadable = student_form.to_message(values, category)
    if photo:
        message.photo.file_id = photo[0][0]
    if unreadable:
        return await _render(request, session, transfer, 400, values=values, errors=unreadable, photo=photo)
    version = str(form.get("expected_version", ""))
    try:
        application = await run_in_threadpool(
            call,
            console.backend.transfers.SubmitSupplementaryEntry,
            r.SubmitSupplementaryEntryRequest(
                transfer_id=transfer_id,
                student=message,
                expected_version=int(version) if version.isdigit() else 0,
                request_id=str(form.get("request_id", "")),
            ),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        return await _render(
            request,
            session,
            transfer,
            failure.status,
            values=values,
            errors={uploads.field_of(path): reason for path, reason in failure.fields.items()},
            message=failure.message,
            photo=photo,
        )
    done = quote(f"{application.student.name} 学籍信息补录已保存并提交")
    return RedirectResponse(f"/applications/{application.application_id}?done={done}", status_code=303)


ROUTES = [
    Route("/supplementary", candidates),
    Route("/supplementary/{transfer_id}", form_page),
    Route("/supplementary/{transfer_id}", submit, methods=["POST"]),
]
