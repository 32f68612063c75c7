"""审核 (chapters 8, 9, 12, 13): the school review (学校学籍主管领导) and the department review
(主管部门审核: county, city and province registrars) share these views. A worklist of one school,
one case with its history and 通过 / 不通过 with an opinion, the selected cases approved each on its
own, the selected cases reviewed one after the other (审核: the 审核页面 loads the first, and the
next once one is decided), and 全部审核通过 with the students the service refused and why. Every
decision is the review service's; a department's summary of its schools is in views/department_reviews.py."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import review_pb2 as v
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render


@dataclass(frozen=True)
class Screen:
    """One review menu: its title, its path, and the school whose cases it lists."""

    title: str
    base: str
    crumbs: str
    department: bool  # a department picks the school (`school` in the query); a leader has its own

    def school(self, session, params) -> str:
        return str(params.get("school", "")) if self.department else session.org_unit_code

    def back(self, school: str) -> str:
        """The worklist of `school`."""
        return f"{self.base}?{urlencode({'school': school})}" if self.department else self.base


SCHOOL = Screen("学校审核", "/reviews", "学籍管理 -> 学籍注册 -> 学校审核", department=False)
DEPARTMENT = Screen(
    "主管部门审核", "/department-reviews", "学籍管理 -> 学籍注册 -> 主管部门审核", department=True
)


async def cases_page(request, session, screen: Screen, school: str):
    """The waiting cases of one school, filtered and paged by the service."""
    query = dict(request.query_params)
    console = request.app.state.console
    list_request = v.ListPendingCasesRequest(
        school_code=school,
        kind=_int(query.get("kind", ""), labels.KIND),
        category=_int(query.get("category", ""), labels.CATEGORY),
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    response = await run_in_threadpool(
        call, console.backend.reviews.ListPendingCases, list_request, session.access_token
    )
    return render(
        request,
        session,
        "reviews.html",
        cases=response.cases,
        page_info=response,
        query=query,
        labels=labels,
        done=query.get("done", ""),
        crumbs=screen.crumbs,
        screen=screen,
        school=school,
    )


def _case(console, session, case_id: str):
    token = session.access_token
    case = call(console.backend.reviews.GetCase, v.GetCaseRequest(case_id=case_id), token)
    history = call(
        console.backend.reviews.GetCaseHistory, v.GetCaseHistoryRequest(case_id=case_id), token
    ).entries
    return case, history


def _decide(console, session, case_id: str, decision: str, opinion: str, version: int):
    reviews, token = console.backend.reviews, session.access_token
    if decision == "approve":
        return call(
            reviews.ApproveCase,
            v.ApproveCaseRequest(case_id=case_id, opinion=opinion, expected_version=version),
            token,
        )
    return call(
        reviews.RejectCase,
        v.RejectCaseRequest(case_id=case_id, opinion=opinion, expected_version=version),
        token,
    )


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
                name = call(
                    console.backend.reviews.GetCase, v.GetCaseRequest(case_id=case_id), session.access_token
                ).student.name
            except Failure:
                name = case_id
            refused.append((name, failure.message or "；".join(failure.fields.values())))
    return approved, refused


# A walk through the selected cases (manual 8.1: 审核页面按照列表中的顺序加载第一个学生，审核完毕后，
# 自动加载第二个学生): the ids still to review travel with the page as `queue`, comma-separated.
MAX_QUEUE = 200


def _queue(text: str) -> list[str]:
    return [c for c in text.split(",") if c][:MAX_QUEUE]


def _case_view(request, session, screen: Screen, case, history, queue, status=200, **shown):
    values = {"opinion": "", "errors": {}, "message": "", "done": ""} | shown
    return render(
        request,
        session,
        "case.html",
        status,
        case=case,
        history=history,
        queue=",".join(queue),
        left=len(queue),
        crumbs=screen.crumbs + " -> 审核",
        screen=screen,
        **values,
    )


def views(screen: Screen):
    """The endpoints of one review menu: worklist, case, decision, selected, all, the walk."""

    @page
    async def worklist(request, session, form):
        return await cases_page(request, session, screen, screen.school(session, request.query_params))

    @page
    async def case_page(request, session, form):
        query = request.query_params
        case, history = await run_in_threadpool(
            _case, request.app.state.console, session, request.path_params["case_id"]
        )
        return _case_view(
            request,
            session,
            screen,
            case,
            history,
            _queue(query.get("queue", "")),
            done=query.get("done", ""),
        )

    @page
    async def case_decide(request, session, form):
        console, case_id = request.app.state.console, request.path_params["case_id"]
        decision, opinion = str(form.get("decision", "")), str(form.get("opinion", ""))
        version = int(form.get("expected_version", "0") or 0)
        queue = _queue(str(form.get("queue", "")))
        try:
            decided = await run_in_threadpool(_decide, console, session, case_id, decision, opinion, version)
        except Failure as failure:
            if failure.status not in (400, 409):
                raise
            # Refused: the same page, what was typed kept, the reason next to its field or above.
            case, history = await run_in_threadpool(_case, console, session, case_id)
            return _case_view(
                request,
                session,
                screen,
                case,
                history,
                queue,
                failure.status,
                opinion=opinion,
                errors=failure.fields,
                message=failure.message,
            )
        done = decided.student.name + " " + ("审核通过" if decision == "approve" else "审核不通过")
        if queue:
            return await _next_of_walk(request, session, queue, done)
        back = screen.back(decided.school_code)
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}done={quote(done)}", status_code=303)

    async def _next_of_walk(request, session, queue: list[str], done: str):
        """The next selected case: in the window (htmx) at once; as a page, by a redirect."""
        if request.headers.get("hx-request"):
            case, history = await run_in_threadpool(_case, request.app.state.console, session, queue[0])
            return _case_view(request, session, screen, case, history, queue[1:], done=done)
        rest = urlencode({"queue": ",".join(queue[1:]), "done": done})
        return RedirectResponse(f"{screen.base}/{quote(queue[0], safe='')}?{rest}", status_code=303)

    @page
    async def review_selected(request, session, form):
        """审核 of the selected cases: the first one's 审核页面, the others queued behind it."""
        queue = _queue(",".join(str(s).partition(":")[0] for s in form.getlist("case")))
        if not queue:
            back = screen.back(screen.school(session, form))
            sep = "&" if "?" in back else "?"
            return RedirectResponse(f"{back}{sep}done=" + quote("请先勾选要审核的学生"), status_code=303)
        return await _next_of_walk(request, session, queue, "")

    @page
    async def approve_selected(request, session, form):
        console = request.app.state.console
        selected = [str(s) for s in form.getlist("case")]
        school = screen.school(session, form)
        if not selected:
            back = screen.back(school)
            sep = "&" if "?" in back else "?"
            return RedirectResponse(f"{back}{sep}done=" + quote("请先勾选要审核的学生"), status_code=303)
        approved, refused = await run_in_threadpool(
            _approve_selected, console, session, selected, str(form.get("opinion", ""))
        )
        return render(
            request,
            session,
            "review_result.html",
            approved=approved,
            refused=refused,
            crumbs=screen.crumbs,
            screen=screen,
            back=screen.back(school),
        )

    @page
    async def approve_all(request, session, form):
        """全部审核通过: the school's cases (a leader), or every selected school's (a department)."""
        console = request.app.state.console
        if screen.department:
            schools = [str(s) for s in form.getlist("school") if s]
        else:
            schools = [session.org_unit_code]
        result = await run_in_threadpool(
            call,
            console.backend.reviews.ApproveAll,
            v.ApproveAllRequest(school_codes=schools, opinion=str(form.get("opinion", ""))),
            session.access_token,
        )
        back = screen.back(schools[0]) if len(schools) == 1 else screen.base
        return render(
            request,
            session,
            "review_result.html",
            approved=[a.student_name for a in result.approved],
            refused=[(x.student_name, x.reason) for x in result.refused],
            crumbs=screen.crumbs,
            screen=screen,
            back=back,
        )

    return worklist, case_page, case_decide, approve_selected, approve_all, review_selected
