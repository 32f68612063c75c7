"""工作台: what waits for the signed-in user, with counts and links to the lists."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji.v1 import review_pb2 as v
from xueji_console.backend import call
from xueji_console.views import national_problems
from xueji_console.web import is_ministry, page, render


def _count_applications(console, session, state) -> int:
    request = r.ListApplicationsRequest(states=[state], page_size=1)
    return call(console.backend.registrations.ListApplications, request, session.access_token).total_size


def _tiles(console, session) -> list[tuple[str, int, str]]:
    """(title, count, link) of each thing waiting for this role."""
    b, token, unit = console.backend, session.access_token, session.org_unit_code
    if session.role == c.ROLE_SCHOOL_LEADER:
        pending = call(b.reviews.GetPendingSummary, v.GetPendingSummaryRequest(school_code=unit), token)
        return [("待审核", pending.total, "/reviews")]
    if session.role == c.ROLE_SCHOOL_REGISTRAR:
        waiting = [
            (
                kind,
                call(
                    b.reports.GetReportSummary, v.GetReportSummaryRequest(school_code=unit, kind=kind), token
                ).total,
            )
            for kind in (c.REGISTRATION_KIND_PRIMARY_FRESHMAN, c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN)
        ]
        return [
            *(
                (title, count, f"/reports?kind={kind}")
                for (kind, count), title in zip(waiting, ("小学新生待上报", "非小学新生待上报"))
            ),
            (
                "查重认证未通过",
                _count_applications(console, session, r.APPLICATION_STATE_DEDUP_FAILED),
                f"/applications?state={r.APPLICATION_STATE_DEDUP_FAILED}",
            ),
            (
                "审核不通过，已退回",
                _count_applications(console, session, r.APPLICATION_STATE_RETURNED),
                f"/applications?state={r.APPLICATION_STATE_RETURNED}",
            ),
        ]
    if is_ministry(session):
        return national_problems.tiles(console, session)
    if session.role == c.ROLE_DEPARTMENT_REGISTRAR:
        pending = call(b.reviews.GetPendingSummary, v.GetPendingSummaryRequest(), token)
        return [("待审核", pending.total, "/department-reviews")]
    return []


@page
async def workbench(request, session, form):
    tiles = await run_in_threadpool(_tiles, request.app.state.console, session)
    return render(request, session, "workbench.html", tiles=tiles, crumbs="工作台")
