"""学前调档管理 (chapter 4, the school registrar): 查询 and the list, 新增 and 修改 (the five identity
fields; a resident ID fills gender and birth date), 删除 after a confirmation, Excel导入 with its
result (pass/fail counts and each failed row's reasons), 调档学生导出 of the selected children, and
确认匹配 / 确认都不匹配 for a child whose preschool record is 待确认学前学籍. Every refusal (a number
entered twice, a child whose registration has started, a mixed export...) is the registration
service's (PreschoolTransfers)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from google.protobuf import json_format
from google.protobuf.field_mask_pb2 import FieldMask
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Route

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import code_tables, labels, student_form
from xueji_console.backend import Failure, call
from xueji_console.views import supplementary
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.views.imports import MAX_UPLOAD_BYTES, _download
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 学籍注册 -> 学前调档管理"
MATCH_STATUS = {
    r.PRESCHOOL_MATCH_STATUS_PENDING: "匹配中",
    r.PRESCHOOL_MATCH_STATUS_MATCHED: "已匹配学前学籍",
    r.PRESCHOOL_MATCH_STATUS_NOT_FOUND: "未查到学前学籍",
    r.PRESCHOOL_MATCH_STATUS_TO_CONFIRM: "待确认学前学籍",
}
DOCUMENT_TYPE = {c.DocumentType.Value(name): text for name, text in student_form.MEMBER_DOCUMENT_TYPES}
IDENTITY = [
    student_form.Input("identity.name", "姓名", required=True),
    student_form.Input(
        "identity.document.type", "身份证件类型", "code", student_form.MEMBER_DOCUMENT_TYPES, required=True
    ),
    student_form.Input(
        "identity.document.number",
        "身份证件号",
        hint="居民身份证：性别和出生日期由证件号自动生成；证件类型为“其他”时可不填",
    ),
    student_form.Input("identity.gender", "性别", "code", student_form.GENDER, required=True),
    student_form.Input("identity.birth_date", "出生日期", "date", required=True),
]


def _list_request(session, query) -> r.ListPreschoolTransfersRequest:
    status = _int(query.get("match_status", ""), MATCH_STATUS)
    return r.ListPreschoolTransfersRequest(
        name=query.get("name", "").strip(),
        document_number=query.get("document_number", "").strip(),
        category=_int(query.get("category", ""), labels.CATEGORY),
        match_statuses=[status] if status else [],
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )


async def _list(request, session, query: dict, status: int = 200, message: str = ""):
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.transfers.ListPreschoolTransfers,
        _list_request(session, query),
        session.access_token,
    )
    return render(
        request,
        session,
        "preschool.html",
        status,
        transfers=response.transfers,
        page_info=response,
        query=query,
        labels=labels,
        match_status=MATCH_STATUS,
        document_type=DOCUMENT_TYPE,
        to_confirm=r.PRESCHOOL_MATCH_STATUS_TO_CONFIRM,
        done=query.get("done", ""),
        message=message,
        crumbs=CRUMBS,
    )


@page
async def transfer_list(request, session, form):
    return await _list(request, session, dict(request.query_params))


# -- 新增 / 修改 -----------------------------------------------------------------------------------


def _identity(values: dict) -> tuple[c.StudentIdentity, dict]:
    tree, unreadable = {}, {}
    for i in IDENTITY:
        value = values.get(i.path, "")
        if not value:
            continue
        try:
            student_form.assign(tree, i.path.removeprefix("identity."), student_form.read(i, value))
        except ValueError as error:
            unreadable[i.path] = str(error)
    try:
        return json_format.ParseDict(tree, c.StudentIdentity()), unreadable
    except json_format.ParseError:  # a choice that is none of the offered ones (a forged post)
        return c.StudentIdentity(), {**unreadable, "identity": "输入有误，请刷新页面后重新填写"}


async def _form(request, session, status=200, *, transfer=None, values=None, errors=None, message=""):
    errors = errors or {}
    other = [reason for path, reason in errors.items() if path not in {i.path for i in IDENTITY}]
    tables = await code_tables.for_form(request, session)
    return render(
        request,
        session,
        "preschool_form.html",
        status,
        transfer=transfer,
        # 性别 and 身份证件类型 named as the registration service's code tables name them
        inputs=[student_form.coded(i, tables) for i in IDENTITY],
        values=values or {},
        errors=errors,
        other_errors=other,
        message=message,
        request_id=uuid.uuid4().hex,
        crumbs=CRUMBS + (" -> 修改" if transfer else " -> 新增"),
    )


def _typed(form) -> dict:
    return {i.path: str(form.get(i.path, "")).strip() for i in IDENTITY}


@page
async def new_page(request, session, form):
    return await _form(request, session)


@page
async def create(request, session, form):
    values = _typed(form)
    identity, unreadable = _identity(values)
    if unreadable:
        return await _form(request, session, 400, values=values, errors=unreadable)
    try:
        created = await run_in_threadpool(
            call,
            request.app.state.console.backend.transfers.CreatePreschoolTransfer,
            r.CreatePreschoolTransferRequest(
                school_code=session.org_unit_code,
                identity=identity,
                request_id=str(form.get("request_id", "")),
            ),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        return await _form(
            request, session, failure.status, values=values, errors=failure.fields, message=failure.message
        )
    done = f"已新增 {created.identity.name}：{MATCH_STATUS.get(created.match_status, '')}"
    return RedirectResponse("/preschool?done=" + quote(done), status_code=303)


def _get(console, session, transfer_id: str) -> r.PreschoolTransfer:
    return call(
        console.backend.transfers.GetPreschoolTransfer,
        r.GetPreschoolTransferRequest(transfer_id=transfer_id),
        session.access_token,
    )


@page
async def edit_page(request, session, form):
    transfer = await run_in_threadpool(
        _get, request.app.state.console, session, request.path_params["transfer_id"]
    )
    values = {
        k.replace("student.", "identity.", 1): v
        for k, v in student_form.from_identity(transfer.identity).items()
    }
    return await _form(request, session, transfer=transfer, values=values)


@page
async def update(request, session, form):
    console, transfer_id = request.app.state.console, request.path_params["transfer_id"]
    values = _typed(form)
    identity, unreadable = _identity(values)
    transfer = await run_in_threadpool(_get, console, session, transfer_id)
    if unreadable:
        return await _form(request, session, 400, transfer=transfer, values=values, errors=unreadable)
    version = str(form.get("expected_version", ""))
    try:
        updated = await run_in_threadpool(
            call,
            console.backend.transfers.UpdatePreschoolTransfer,
            r.UpdatePreschoolTransferRequest(
                transfer_id=transfer_id,
                identity=identity,
                update_mask=FieldMask(paths=["identity"]),  # the whole identity form
                expected_version=int(version) if version.isdigit() else 0,
            ),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        return await _form(
            request,
            session,
            failure.status,
            transfer=transfer,
            values=values,
            errors=failure.fields,
            message=failure.message,
        )
    done = f"已修改 {updated.identity.name}：{MATCH_STATUS.get(updated.match_status, '')}"
    return RedirectResponse("/preschool?done=" + quote(done), status_code=303)


# -- 删除, 调档学生导出 ------------------------------------------------------------------------------


@page
async def delete(request, session, form):
    version = str(form.get("expected_version", ""))
    try:
        await run_in_threadpool(
            call,
            request.app.state.console.backend.transfers.DeletePreschoolTransfer,
            r.DeletePreschoolTransferRequest(
                transfer_id=request.path_params["transfer_id"],
                expected_version=int(version) if version.isdigit() else 0,
            ),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        return await _list(
            request, session, {}, failure.status, failure.message or "；".join(failure.fields.values())
        )
    return RedirectResponse("/preschool?done=" + quote("删除成功"), status_code=303)


@page
async def export(request, session, form):
    selected = [str(t) for t in form.getlist("transfer")]
    try:
        content = await run_in_threadpool(
            call,
            request.app.state.console.backend.transfers.ExportPreschoolTransfers,
            r.ExportPreschoolTransfersRequest(school_code=session.org_unit_code, transfer_ids=selected),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 404, 409):
            raise
        # The whole export is refused: the service names each refused child and why.
        return await _list(
            request, session, {}, failure.status, failure.message or "；".join(failure.fields.values())
        )
    return _download(content)


# -- Excel导入 -------------------------------------------------------------------------------------


@page
async def import_page(request, session, form):
    return render(
        request, session, "preschool_import.html", report=None, errors={}, crumbs=CRUMBS + " -> Excel导入"
    )


@page
async def template(request, session, form):
    content = await run_in_threadpool(
        call,
        request.app.state.console.backend.transfers.DownloadPreschoolTemplate,
        r.DownloadPreschoolTemplateRequest(),
        session.access_token,
    )
    return _download(content)


@page
async def upload(request, session, form):
    upload = form.get("file")
    data = await upload.read(MAX_UPLOAD_BYTES + 1) if hasattr(upload, "read") else b""
    error = (
        "请选择要导入的Excel文件"
        if not data
        else "文件过大（不超过 20 MB）"
        if len(data) > MAX_UPLOAD_BYTES
        else ""
    )
    report = None
    if not error:
        file = c.FileContent(
            file_name=upload.filename or "import.xlsx",
            content=data,
            content_type=upload.content_type or "application/octet-stream",
        )
        try:
            report = await run_in_threadpool(
                call,
                request.app.state.console.backend.transfers.ImportPreschoolTransfers,
                r.ImportPreschoolTransfersRequest(
                    school_code=session.org_unit_code, file=file, request_id=uuid.uuid4().hex
                ),
                session.access_token,
            )
        except Failure as failure:
            if failure.status != 400:
                raise
            error = failure.message or "；".join(failure.fields.values())
    return render(
        request,
        session,
        "preschool_import.html",
        400 if error else 200,
        report=report,
        errors={"file": error} if error else {},
        crumbs=CRUMBS + " -> Excel导入",
    )


# -- 确认匹配 / 确认都不匹配 -------------------------------------------------------------------------


@page
async def confirm_page(request, session, form):
    transfer = await run_in_threadpool(
        _get, request.app.state.console, session, request.path_params["transfer_id"]
    )
    return render(
        request,
        session,
        "preschool_confirm.html",
        transfer=transfer,
        document_type=DOCUMENT_TYPE,
        message="",
        errors={},
        crumbs=CRUMBS + " -> 确认学前学籍",
    )


@page
async def confirm(request, session, form):
    console, transfer_id = request.app.state.console, request.path_params["transfer_id"]
    version = str(form.get("expected_version", ""))
    confirming = r.ConfirmPreschoolMatchRequest(
        transfer_id=transfer_id, expected_version=int(version) if version.isdigit() else 0
    )
    if form.get("action") == "none":
        confirming.none_match = True
    else:
        confirming.candidate_record_id = str(form.get("candidate", ""))
    try:
        confirmed = await run_in_threadpool(
            call, console.backend.transfers.ConfirmPreschoolMatch, confirming, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        transfer = await run_in_threadpool(_get, console, session, transfer_id)
        return render(
            request,
            session,
            "preschool_confirm.html",
            failure.status,
            transfer=transfer,
            document_type=DOCUMENT_TYPE,
            message=failure.message,
            errors=failure.fields,
            crumbs=CRUMBS + " -> 确认学前学籍",
        )
    done = f"{confirmed.identity.name}：{MATCH_STATUS.get(confirmed.match_status, '')}"
    return RedirectResponse("/preschool?done=" + quote(done), status_code=303)


ROUTES = [
    Route("/preschool", transfer_list),
    Route("/preschool/new", new_page),
    Route("/preschool/new", create, methods=["POST"]),
    Route("/preschool/export", export, methods=["POST"]),
    Route("/preschool/import", import_page),
    Route("/preschool/import", upload, methods=["POST"]),
    Route("/preschool/template", template),
    Route("/preschool/{transfer_id}/edit", edit_page),
    Route("/preschool/{transfer_id}/edit", update, methods=["POST"]),
    Route("/preschool/{transfer_id}/delete", delete, methods=["POST"]),
    Route("/preschool/{transfer_id}/confirm", confirm_page),
    Route("/preschool/{transfer_id}/confirm", confirm, methods=["POST"]),
    *supplementary.ROUTES,
]
