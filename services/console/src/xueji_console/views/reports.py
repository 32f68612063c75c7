"""小学新生注册上报 / 非小学新生注册上报 (chapters 10, 11; the school registrar): the waiting counts per
document category, the cases of a category, 上报 of the selected ones and 全部上报, with each refused
student named and why. Which case may be reported is the review service's decision."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import common_pb2 as c
from xueji.v1 import review_pb2 as v
from xueji_console import labels
from xueji_console.backend import call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

KINDS = {
    c.REGISTRATION_KIND_PRIMARY_FRESHMAN: "小学新生注册上报",
    c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN: "非小学新生注册上报",
}


def _kind(value) -> int:
    return _int(str(value or ""), KINDS) or c.REGISTRATION_KIND_PRIMARY_FRESHMAN


def _worklist(console, session, kind: int, category: int, page_token: str):
    token, school = session.access_token, session.org_unit_code
    summary = call(
        console.backend.reports.GetReportSummary,
        v.GetReportSummaryRequest(school_code=school, kind=kind),
        token,
    )
    cases = call(
        console.backend.reports.ListReportableCases,
        v.ListReportableCasesRequest(
            school_code=school, kind=kind, category=category, page_size=PAGE_SIZE, page_token=page_token
        ),
        token,
    )
    return summary, cases


@page
async def worklist(request, session, form):
    query = dict(request.query_params)
    kind, category = _kind(query.get("kind")), _int(query.get("category", ""), labels.CATEGORY)
    summary, cases = await run_in_threadpool(
        _worklist, request.app.state.console, session, kind, category, query.get("page_token", "")
    )
    counts = {item.category: item.count for item in summary.by_category}
    return render(
        request,
        session,
        "reports.html",
        kind=kind,
        title=KINDS[kind],
        category=category,
        summary=summary,
        counts=counts,
        cases=cases.cases,
        page_info=cases,
        query=query,
        labels=labels,
        done=query.get("done", ""),
        crumbs=f"学籍管理 -> 学籍注册 -> {KINDS[kind]}",
    )


def _result(request, session, kind: int, result):
    return render(
        request,
        session,
        "report_result.html",
        kind=kind,
        title=KINDS[kind],
        reported=[x.student_name for x in result.reported],
        refused=[(x.student_name, x.reason) for x in result.refused],
        crumbs=f"学籍管理 -> 学籍注册 -> {KINDS[kind]} -> 上报结果",
    )


@page
async def report_selected(request, session, form):
    kind = _kind(form.get("kind"))
    selected = []
    for item in form.getlist("case"):
        case_id, _, version = str(item).partition(":")
        selected.append(
            v.CaseVersion(case_id=case_id, expected_version=int(version) if version.isdigit() else 0)
        )
    if not selected:
        return RedirectResponse(
            f"/reports?kind={kind}&done=" + quote("请先勾选要上报的学生"), status_code=303
        )
    result = await run_in_threadpool(
        call,
        request.app.state.console.backend.reports.ReportCases,
        v.ReportCasesRequest(school_code=session.org_unit_code, cases=selected),
        session.access_token,
    )
    return _result(request, session, kind, result)


@page
async def report_all(request, session, form):
    kind = _kind(form.get("kind"))
    category = _int(str(form.get("category", "")), labels.CATEGORY)
    result = await run_in_threadpool(
        call,
        request.app.state.console.backend.reports.ReportAll,
        v.ReportAllRequest(school_code=session.org_unit_code, kind=kind, category=category),
        session.access_token,
    )
    return _result(request, session, kind, result)
