"""学籍注册查询 (chapter 14): applications of the user's unit, filtered and paged by the service,
one application's detail with its review history, and the 审核信息 window of a returned one."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji.v1 import review_pb2 as v
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.web import page, render

PAGE_SIZE = 20


def _int(value: str, allowed) -> int:
    return int(value) if value.isdigit() and int(value) in allowed else 0


def _request(session, query) -> r.ListApplicationsRequest:
    state = _int(query.get("state", ""), labels.APPLICATION_STATE)
    request = r.ListApplicationsRequest(
        name=query.get("name", "").strip(),
        document_number=query.get("document_number", "").strip(),
        grade=query.get("grade", "").strip(),
        kind=_int(query.get("kind", ""), labels.KIND),
        category=_int(query.get("category", ""), labels.CATEGORY),
        authentication_status=_int(query.get("authentication_status", ""), labels.AUTHENTICATION),
        states=[state] if state else [],
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    if query.get("handling") == "mine":
        request.current_handling_unit_code = session.org_unit_code
    return request


@page
async def application_list(request, session, form):
    query = dict(request.query_params)
    console = request.app.state.console
    response = await run_in_threadpool(
        call, console.backend.registrations.ListApplications, _request(session, query), session.access_token
    )
    return render(
        request,
        session,
        "applications.html",
        applications=response.applications,
        page_info=response,
        query=query,
        labels=labels,
        crumbs="学籍管理 -> 学籍注册 -> 学籍注册查询",
        school_user=session.role in (c.ROLE_SCHOOL_REGISTRAR, c.ROLE_SCHOOL_LEADER),
        returned=r.APPLICATION_STATE_RETURNED,
    )


def _detail(console, session, application_id: str):
    token = session.access_token
    application = call(
        console.backend.registrations.GetApplication,
        r.GetApplicationRequest(application_id=application_id),
        token,
    )
    try:
        history = call(
            console.backend.reviews.GetCaseHistory,
            v.GetCaseHistoryRequest(application_id=application_id),
            token,
        ).entries
    except Failure as failure:
        if failure.status != 404:  # no case yet (still at the dedup gate): no history to show
            raise
        history = []
    return application, history


@page
async def application_detail(request, session, form):
    application, history = await run_in_threadpool(
        _detail, request.app.state.console, session, request.path_params["application_id"]
    )
    return render(
        request,
        session,
        "application.html",
        app=application,
        history=history,
        crumbs="学籍管理 -> 学籍注册 -> 学籍注册查询 -> 查看",
    )


@page
async def review_info(request, session, form):
    """审核信息 (a window over the list): the application's handling unit and authentication status,
    and who returned it (unit, user, time, opinion): the application's last rejection."""
    application = await run_in_threadpool(
        call,
        request.app.state.console.backend.registrations.GetApplication,
        r.GetApplicationRequest(application_id=request.path_params["application_id"]),
        session.access_token,
    )
    return render(
        request,
        session,
        "review_info.html",
        app=application,
        crumbs="学籍管理 -> 学籍注册 -> 学籍注册查询 -> 审核信息",
    )
