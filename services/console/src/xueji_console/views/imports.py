"""小学新生注册 -> Excel导入 (chapters 6, 7.1.2): the template of the chosen document category, the
upload, the report (校验通过 / 校验失败 counts, each failed row's reasons) and the failed rows as a
workbook to fix. The rows are checked by the registration service, not here."""
from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r

from xueji_console.backend import Failure, call
from xueji_console.web import page, render

KIND = c.REGISTRATION_KIND_PRIMARY_FRESHMAN
# Excel import exists for these two entries; 无证件 is manual entry only (the manual).
CATEGORIES = {c.DOCUMENT_CATEGORY_RESIDENT: "居民身份证", c.DOCUMENT_CATEGORY_HMT_FOREIGN: "港澳台和外籍"}
CRUMBS = "学籍管理 -> 学籍注册 -> 小学新生注册 -> Excel导入"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _category(value) -> int:
    value = str(value or "")
    return int(value) if value.isdigit() and int(value) in CATEGORIES else c.DOCUMENT_CATEGORY_RESIDENT


def _download(content: c.FileContent) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(content.file_name)}"
    return Response(content.content, media_type=content.content_type or "application/octet-stream",
                    headers={"content-disposition": disposition})


@page
async def import_page(request, session, form):
    category = _category(request.query_params.get("category"))
    return render(request, session, "imports.html", categories=CATEGORIES, category=category, errors={},
                  message="", crumbs=CRUMBS)


@page
async def template(request, session, form):
    content = await run_in_threadpool(
        call, request.app.state.console.backend.registrations.DownloadTemplate,
        r.DownloadTemplateRequest(kind=KIND, category=_category(request.query_params.get("category"))),
        session.access_token)
    return _download(content)


@page
async def upload(request, session, form):
    category = _category(form.get("category"))
    upload = form.get("file")
    data = await upload.read(MAX_UPLOAD_BYTES + 1) if hasattr(upload, "read") else b""
    errors = {}
    if not data:
        errors["file"] = "请选择要导入的Excel文件"
    elif len(data) > MAX_UPLOAD_BYTES:
        errors["file"] = "文件过大（不超过 20 MB）"
    if errors:
        return render(request, session, "imports.html", 400, categories=CATEGORIES, category=category, errors=errors,
                      message="", crumbs=CRUMBS)
    file = c.FileContent(file_name=upload.filename or "import.xlsx", content=data,
                         content_type=upload.content_type or "application/octet-stream")
    try:
        report = await run_in_threadpool(
            call, request.app.state.console.backend.registrations.ImportApplications,
            r.ImportApplicationsRequest(school_code=session.org_unit_code, kind=KIND, category=category, file=file),
            session.access_token)
    except Failure as failure:
        if failure.status != 400:
            raise
        # A wrong or unreadable file: the reason next to the file input (whatever field it names).
        reason = failure.message or "；".join(failure.fields.values())
        return render(request, session, "imports.html", 400, categories=CATEGORIES, category=category,
                      errors={"file": reason}, message="", crumbs=CRUMBS)
    return render(request, session, "import_report.html", report=report, crumbs=CRUMBS + " -> 导入结果")


@page
async def report_page(request, session, form):
    report = await run_in_threadpool(
        call, request.app.state.console.backend.registrations.GetImportReport,
        r.GetImportReportRequest(import_id=request.path_params["import_id"]), session.access_token)
    return render(request, session, "import_report.html", report=report, crumbs=CRUMBS + " -> 导入结果")


@page
async def failed_rows(request, session, form):
    content = await run_in_threadpool(
        call, request.app.state.console.backend.registrations.DownloadFailedRows,
        r.DownloadFailedRowsRequest(import_id=request.path_params["import_id"]), session.access_token)
    return _download(content)
