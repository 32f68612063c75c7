"""An application back with the school registrar (审核不通过，已退回 or 查重不通过, chapters 6-9:
"退回学校学籍管理员处理"): its form corrected (Registrations.UpdateApplication) and submitted again
(ResubmitApplication), or 撤销 (WithdrawApplication). Which state allows what is the registration
service's: a refusal comes back with the form as typed."""

from __future__ import annotations

from urllib.parse import quote

from google.protobuf import field_mask_pb2
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Route

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import code_tables, labels, student_form, uploads
from xueji_console.backend import Failure, call
from xueji_console.views.applications import _detail
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 学籍注册 -> 学籍注册查询 -> 修改"


def _category(application) -> int:
    return (
        application.category
        if application.category in student_form.DOCUMENT_TYPES
        else c.DOCUMENT_CATEGORY_RESIDENT
    )


def _get(console, session, application_id: str) -> r.Application:
    return call(
        console.backend.registrations.GetApplication,
        r.GetApplicationRequest(application_id=application_id),
        session.access_token,
    )


async def _render(request, session, application, status=200, *, values, errors=None, message="", photo=()):
    category = _category(application)
    errors = errors or {}
    paths = {i.path for i in student_form.all_inputs(category)} | {uploads.PHOTO_FIELD}
    return render(
        request,
        session,
        "correction.html",
        status,
        app=application,
        sections=student_form.sections(category, await code_tables.for_form(request, session)),
        values=values,
        errors=errors,
        other_errors=[reason for path, reason in errors.items() if path not in paths],
        message=message,
        photo=photo,
        crumbs=CRUMBS,
    )


@page
async def correction_page(request, session, form):
    application = await run_in_threadpool(
        _get, request.app.state.console, session, request.path_params["application_id"]
    )
    return await _render(
        request,
        session,
        application,
        values=student_form.from_message(application.student, _category(application)),
    )


def _save(console, session, application, message, resubmit: bool) -> r.Application:
    registrations, token = console.backend.registrations, session.access_token
    updated = call(
        registrations.UpdateApplication,
        r.UpdateApplicationRequest(
            application_id=application.application_id,
            student=message,
            update_mask=field_mask_pb2.FieldMask(paths=["student"]),
            expected_version=application.version,
        ),
        token,
    )
    if not resubmit:
        return updated
    return call(
        registrations.ResubmitApplication,
        r.ResubmitApplicationRequest(application_id=updated.application_id, expected_version=updated.version),
        token,
    )


@page
async def correction_save(request, session, form):
    console = request.app.state.console
    application = await run_in_threadpool(_get, console, session, request.path_params["application_id"])
    version = str(form.get("expected_version", ""))
    if version.isdigit():
        application.version = int(version)  # the version the registrar read: a change meanwhile is ABORTED
    category = _category(application)
    values = student_form.typed(form, category)
    # A new photo replaces the stored one; without one the stored photo is kept (as every field the
    # page has no input for).
    photo, refused = await uploads.take_photo(request, session, form)
    if refused:
        errors = {uploads.PHOTO_FIELD: refused}
        return await _render(request, session, application, 400, values=values, errors=errors, photo=photo)
    message, unreadable = student_form.to_message(values, category, base=application.student)
    if photo:
        message.photo.file_id = photo[0][0]
    if unreadable:
        return await _render(
            request, session, application, 400, values=values, errors=unreadable, photo=photo
        )
    resubmit = form.get("action") == "resubmit"
    try:
        saved = await run_in_threadpool(_save, console, session, application, message, resubmit)
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        return await _render(
            request,
            session,
            application,
            failure.status,
            values=values,
            errors={uploads.field_of(path): reason for path, reason in failure.fields.items()},
            message=failure.message,
            photo=photo,
        )
    done = f"{saved.student.name} " + ("已修改并重新提交" if resubmit else "已保存修改，尚未重新提交")
    return RedirectResponse(f"/applications/{saved.application_id}?done={quote(done)}", status_code=303)


@page
async def withdraw(request, session, form):
    console, application_id = request.app.state.console, request.path_params["application_id"]
    version = str(form.get("expected_version", ""))
    try:
        withdrawn = await run_in_threadpool(
            call,
            console.backend.registrations.WithdrawApplication,
            r.WithdrawApplicationRequest(
                application_id=application_id,
                reason=str(form.get("reason", "")),
                expected_version=int(version) if version.isdigit() else 0,
            ),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        application, history = await run_in_threadpool(_detail, console, session, application_id)
        return render(
            request,
            session,
            "application.html",
            failure.status,
            app=application,
            history=history,
            refused=failure.message or "；".join(failure.fields.values()),
            crumbs="学籍管理 -> 学籍注册 -> 学籍注册查询 -> 查看",
        )
    done = f"{withdrawn.student.name} {labels.APPLICATION_STATE.get(withdrawn.state, '')}"
    return RedirectResponse(f"/applications/{application_id}?done={quote(done)}", status_code=303)


ROUTES = [
    Route("/applications/{application_id}/correct", correction_page),
    Route("/applications/{application_id}/correct", correction_save, methods=["POST"]),
    Route("/applications/{application_id}/withdraw", withdraw, methods=["POST"]),
]
