"""小学新生注册 / 非小学新生注册 -> 导入 (chapters 6.1, 6.2, 7.1.2, 7.2.2): the template of the chosen
kind and document category, the upload, the import run in the background while the page polls its
progress, the report (校验通过 / 校验失败 counts, each failed row's reasons) and the failed rows as a
workbook to fix. The rows are checked by the registration service, not here."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import import_jobs
from xueji_console.backend import Failure, call, stream
from xueji_console.web import page, render

KINDS = {
    c.REGISTRATION_KIND_PRIMARY_FRESHMAN: "小学新生注册",
    c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN: "非小学新生注册",
}
# Excel import exists for these two entries; 无证件 is manual entry only (the manual).
CATEGORIES = {c.DOCUMENT_CATEGORY_RESIDENT: "居民身份证", c.DOCUMENT_CATEGORY_HMT_FOREIGN: "港澳台和外籍"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORT_TIMEOUT_SECONDS = 30 * 60  # a whole file of the largest size, on a busy day


def _category(value) -> int:
    value = str(value or "")
    return int(value) if value.isdigit() and int(value) in CATEGORIES else c.DOCUMENT_CATEGORY_RESIDENT


def _kind(value) -> int:
    value = str(value or "")
    return int(value) if value.isdigit() and int(value) in KINDS else c.REGISTRATION_KIND_PRIMARY_FRESHMAN


def _crumbs(kind: int) -> str:
    return f"学籍管理 -> 学籍注册 -> {KINDS[kind]} -> 导入"


def _form(request, session, status: int, kind: int, category: int, errors: dict):
    return render(
        request,
        session,
        "imports.html",
        status,
        categories=CATEGORIES,
        category=category,
        kind=kind,
        kind_title=KINDS[kind],
        errors=errors,
        message="",
        crumbs=_crumbs(kind),
    )


def _download(content: c.FileContent) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(content.file_name)}"
    return Response(
        content.content,
        media_type=content.content_type or "application/octet-stream",
        headers={"content-disposition": disposition},
    )


@page
async def import_page(request, session, form):
    query = request.query_params
    return _form(request, session, 200, _kind(query.get("kind")), _category(query.get("category")), {})


@page
async def template(request, session, form):
    content = await run_in_threadpool(
        call,
        request.app.state.console.backend.registrations.DownloadTemplate,
        r.DownloadTemplateRequest(
            kind=_kind(request.query_params.get("kind")),
            category=_category(request.query_params.get("category")),
        ),
        session.access_token,
    )
    return _download(content)


@page
async def upload(request, session, form):
    kind, category = _kind(form.get("kind")), _category(form.get("category"))
    upload = form.get("file")
    data = await upload.read(MAX_UPLOAD_BYTES + 1) if hasattr(upload, "read") else b""
    errors = {}
    if not data:
        errors["file"] = "请选择要导入的Excel文件"
    elif len(data) > MAX_UPLOAD_BYTES:
        errors["file"] = "文件过大（不超过 20 MB）"
    if errors:
        return _form(request, session, 400, kind, category, errors)
    file = c.FileContent(
        file_name=upload.filename or "import.xlsx",
        content=data,
        content_type=upload.content_type or "application/octet-stream",
    )
    importing = r.ImportApplicationsRequest(
        school_code=session.org_unit_code,
        kind=kind,
        category=category,
        file=file,
        request_id=uuid.uuid4().hex,
    )
    console = request.app.state.console
    job = import_jobs.start(
        console.import_jobs,
        session.sid,
        file.file_name,
        kind,
        category,
        lambda: stream(
            console.backend.registrations.StreamImportApplications,
            importing,
            session.access_token,
            IMPORT_TIMEOUT_SECONDS,
        ),
    )
    return RedirectResponse(f"/imports/jobs/{job.job_id}", status_code=303)


@page
async def job_page(request, session, form):
    """The import's progress while it runs (the page polls it with htmx); its report once done."""
    jobs = request.app.state.console.import_jobs
    job = await run_in_threadpool(import_jobs.get, jobs, request.path_params["job_id"], session.sid)
    if job is None:
        raise Failure(404, "导入任务不存在或已过期，请在学籍注册查询中查看导入结果")
    if job.stale:
        raise Failure(409, "导入已中断（处理该导入的服务已停止），未导入任何数据，请重新导入")
    if request.headers.get("hx-request") and job.finished is not None:
        # Polled and done: the whole page moves on (htmx does not swap an error page in place).
        target = f"/imports/{job.import_id}" if job.import_id else request.url.path
        return Response(status_code=204, headers={"HX-Redirect": target})
    if (failure := job.refusal) is not None:
        if failure.status != 400:
            raise failure
        # A wrong or unreadable file: the reason next to the file input (whatever field it names).
        reason = failure.message or "；".join(failure.fields.values())
        return _form(request, session, 400, job.kind, job.category, {"file": reason})
    if job.import_id:
        return RedirectResponse(f"/imports/{job.import_id}", status_code=303)
    template = "import_progress_part.html" if request.headers.get("hx-request") else "import_progress.html"
    return render(request, session, template, job=job, crumbs=_crumbs(job.kind))


@page
async def report_page(request, session, form):
    report = await run_in_threadpool(
        call,
        request.app.state.console.backend.registrations.GetImportReport,
        r.GetImportReportRequest(
            import_id=request.path_params["import_id"], page_token=request.query_params.get("page_token", "")
        ),
        session.access_token,
    )
    return render(
        request,
        session,
        "import_report.html",
        report=report,
        kind_title=KINDS.get(report.kind, ""),
        crumbs=_crumbs(_kind(report.kind)) + " -> 导入结果",
    )


@page
async def failed_rows(request, session, form):
    content = await run_in_threadpool(
        call,
        request.app.state.console.backend.registrations.DownloadFailedRows,
        r.DownloadFailedRowsRequest(import_id=request.path_params["import_id"]),
        session.access_token,
    )
    return _download(content)
