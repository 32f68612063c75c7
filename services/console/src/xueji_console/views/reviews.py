"""学校审核 (chapter 8, the school leader): the worklist of the school, one case with its history and
通过 / 不通过 with an opinion, the selected cases approved each on its own, and 全部审核通过 with the
students the service refused and why. Every decision is the review service's."""
from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from xueji.v1 import common_pb2 as c
from xueji.v1 import review_pb2 as v

from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 学籍注册 -> 学校审核"


@page
async def worklist(request, session, form):
    query = dict(request.query_params)
    console = request.app.state.console
    list_request = v.ListPendingCasesRequest(
        school_code=session.org_unit_code, kind=_int(query.get("kind", ""), labels.KIND),
        category=_int(query.get("category", ""), labels.CATEGORY),
        page_size=PAGE_SIZE, page_token=query.get("page_token", ""))
    response = await run_in_threadpool(call, console.backend.reviews.ListPendingCases, list_request,
                                       session.access_token)
    return render(request, session, "reviews.html", cases=response.cases, page_info=response, query=query,
                  labels=labels, done=query.get("done", ""), crumbs=CRUMBS)


def _case(console, session, case_id: str):
    token = session.access_token
    case = call(console.backend.reviews.GetCase, v.GetCaseRequest(case_id=case_id), token)
    history = call(console.backend.reviews.GetCaseHistory, v.GetCaseHistoryRequest(case_id=case_id), token).entries
    return case, history


@page
async def case_page(request, session, form):
    case, history = await run_in_threadpool(_case, request.app.state.console, session, request.path_params["case_id"])
    return render(request, session, "case.html", case=case, history=history, opinion="", errors={}, message="",
                  crumbs=CRUMBS + " -> 审核")


def _decide(console, session, case_id: str, decision: str, opinion: str, version: int):
    reviews, token = console.backend.reviews, session.access_token
    if decision == "approve":
        return call(reviews.ApproveCase, v.ApproveCaseRequest(case_id=case_id, opinion=opinion,
                                                              expected_version=version), token)
    return call(reviews.RejectCase, v.RejectCaseRequest(case_id=case_id, opinion=opinion, expected_version=version),
                token)


@page
async def case_decide(request, session, form):
    console, case_id = request.app.state.console, request.path_params["case_id"]
    decision, opinion = str(form.get("decision", "")), str(form.get("opinion", ""))
    version = int(form.get("expected_version", "0") or 0)
    try:
        decided = await run_in_threadpool(_decide, console, session, case_id, decision, opinion, version)
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        # Refused: the same page, what was typed kept, the reason next to its field or above.
        case, history = await run_in_threadpool(_case, console, session, case_id)
        return render(request, session, "case.html", failure.status, case=case, history=history, opinion=opinion,
                      errors=failure.fields, message=failure.message, crumbs=CRUMBS + " -> 审核")
    verdict = "审核通过" if decision == "approve" else "审核不通过"
    return RedirectResponse(f"/reviews?done={quote(decided.student.name + ' ' + verdict)}", status_code=303)


def _approve_selected(console, session, selected: list[str], opinion: str):
    """Each selected case approved on its own: (approved names, [(name, reason)] refused)."""
    approved, refused = [], []
    for item in selected:
        case_id, _, version = item.partition(":")
        try:
            case = _decide(console, session, case_id, "approve", opinion, int(version or 0))
            approved.append(case.student.name)
        except Failure as failure:
            if failure.status >= 500:
                raise
            try:
                name = call(console.backend.reviews.GetCase, v.GetCaseRequest(case_id=case_id),
                            session.access_token).student.name
            except Failure:
                name = case_id
            refused.append((name, failure.message or "；".join(failure.fields.values())))
    return approved, refused


@page
async def approve_selected(request, session, form):
    console = request.app.state.console
    selected = [str(s) for s in form.getlist("case")]
    if not selected:
        return RedirectResponse("/reviews?done=" + quote("请先勾选要审核的学生"), status_code=303)
    approved, refused = await run_in_threadpool(_approve_selected, console, session, selected,
                                                str(form.get("opinion", "")))
    return render(request, session, "review_result.html", approved=approved, refused=refused, crumbs=CRUMBS)


@page
async def approve_all(request, session, form):
    console = request.app.state.console
    result = await run_in_threadpool(call, console.backend.reviews.ApproveAll,
                                     v.ApproveAllRequest(school_codes=[session.org_unit_code],
                                                         opinion=str(form.get("opinion", ""))),
                                     session.access_token)
    return render(request, session, "review_result.html", approved=[a.student_name for a in result.approved],
                  refused=[(x.student_name, x.reason) for x in result.refused], crumbs=CRUMBS)
