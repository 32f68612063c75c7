"""问题学籍处理 of the ministry (教育部, the national tier): the cross-province problem groups the
national dedup holds (docs/CROSS-PROVINCE-PROBLEMS.md), filtered (所在省份 too) and paged by the
service, each student with its school, number masked by the service, and status. A group opens on the common
page (`/problems/{group}`), where 处理 is offered: the national tier's ResolveProblemGroup decides
whether the ministry resolves it (the resolver of a cross-province group), as it decides who reads
the list (ListProblemGroups for the nation's unit: the ministry only; anyone else is refused)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from xueji.v1 import dedup_pb2 as d
from xueji_common.auth import MINISTRY
from xueji_console import labels
from xueji_console.backend import call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

PATH = "/national-problems"
CRUMBS = "全国 -> 问题学籍处理"


def _request(query: dict, **changes) -> d.ListProblemGroupsRequest:
    status = _int(query.get("status", ""), labels.PROBLEM_STATUS)
    kind = _int(query.get("kind", ""), labels.PROBLEM_KIND)
    province = query.get("province_code", "")
    fields = dict(
        # the nation's unit named: the national dedup's groups (the embedded front routes by it)
        org_unit_code=MINISTRY,
        name=query.get("name", "").strip(),
        national_student_number=query.get("national_student_number", "").strip(),
        # 所在省份: the nation's groups with a student of that province, still asked of the nation's
        # unit (a province's unit would name that province's own dedup)
        province_code=province if province in labels.PROVINCE else "",
        statuses=[status] if status else [],
        kinds=[kind] if kind else [],
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    return d.ListProblemGroupsRequest(**{**fields, **changes})


@page
async def group_list(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.problems.ListProblemGroups,
        _request(query),
        session.access_token,
    )
    return render(
        request,
        session,
        "national_problems.html",
        groups=response.groups,
        page_info=response,
        query=query,
        labels=labels,
        crumbs=CRUMBS,
    )


def tiles(console, session) -> list[tuple[str, int, str]]:
    """工作台 of the ministry: the cross-province groups waiting for it."""
    waiting = call(
        console.backend.problems.ListProblemGroups,
        _request({}, statuses=[d.PROBLEM_GROUP_STATUS_PENDING], page_size=1),
        session.access_token,
    )
    return [("跨省问题学籍待处理", waiting.total_size, f"{PATH}?status={d.PROBLEM_GROUP_STATUS_PENDING}")]


ROUTES = [Route(PATH, group_list)]
