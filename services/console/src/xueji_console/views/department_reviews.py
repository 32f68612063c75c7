"""主管部门审核 (chapters 9, 12, 13: county, city and province registrars). The 审核列表 of the area,
one row per school with its waiting counts per category (Reviews/GetPendingSummary); a school's
审核明细列表, its cases and decisions are the review views shared with the school review."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from xueji.v1 import review_pb2 as v
from xueji_console import labels
from xueji_console.backend import call
from xueji_console.views import reviews
from xueji_console.views.applications import _int
from xueji_console.web import page, render

SCREEN = reviews.DEPARTMENT
_worklist, case_page, case_decide, approve_selected, approve_all, review_selected = reviews.views(SCREEN)


@page
async def _summary(request, session, form):
    query = dict(request.query_params)
    summary = await run_in_threadpool(
        call,
        request.app.state.console.backend.reviews.GetPendingSummary,
        v.GetPendingSummaryRequest(kind=_int(query.get("kind", ""), labels.KIND)),
        session.access_token,
    )
    schools = [(s, {c.category: c.count for c in s.by_category}) for s in summary.schools]
    return render(
        request,
        session,
        "department_reviews.html",
        summary=summary,
        schools=schools,
        query=query,
        labels=labels,
        crumbs=SCREEN.crumbs,
        screen=SCREEN,
    )


async def worklist(request):
    """The area's schools; with `school`, that school's waiting cases."""
    if request.query_params.get("school"):
        return await _worklist(request)
    return await _summary(request)
