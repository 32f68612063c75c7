"""问题学籍处理 (chapter 15): the problem groups of the user's area with their students and handling
status, and their handling in one step: 佐证 (proof, record kept), 修正 (corrected key data,
re-authenticated) and 删除, with an opinion and proof files. The dedup service decides who resolves
a group and refuses the rest."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import common_pb2 as c
from xueji.v1 import dedup_pb2 as d
from xueji.v1 import events_pb2 as e
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 问题学籍处理"
RESOLUTIONS = {
    "corroborate": e.PROBLEM_RESOLUTION_CORROBORATE,
    "correct": e.PROBLEM_RESOLUTION_CORRECT,
    "delete": e.PROBLEM_RESOLUTION_DELETE,
}
MAX_PROOF_BYTES = 11 * 1024 * 1024  # the service's limit is 10 MiB; this only bounds what is read


@page
async def group_list(request, session, form):
    query = dict(request.query_params)
    status = _int(query.get("status", ""), labels.PROBLEM_STATUS)
    kind = _int(query.get("kind", ""), labels.PROBLEM_KIND)
    list_request = d.ListProblemGroupsRequest(
        name=query.get("name", "").strip(),
        national_student_number=query.get("national_student_number", "").strip(),
        statuses=[status] if status else [],
        kinds=[kind] if kind else [],
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    response = await run_in_threadpool(
        call, request.app.state.console.backend.problems.ListProblemGroups, list_request, session.access_token
    )
    return render(
        request,
        session,
        "problems.html",
        groups=response.groups,
        page_info=response,
        query=query,
        labels=labels,
        done=query.get("done", ""),
        crumbs=CRUMBS,
    )


def _group_page(request, session, group, status=200, typed=None, errors=None, message=""):
    return render(
        request,
        session,
        "problem.html",
        status,
        group=group,
        typed=typed or {},
        errors=errors or {},
        message=message,
        labels=labels,
        crumbs=CRUMBS + " -> 处理",
    )


def _get(console, session, group_id: str):
    return call(
        console.backend.problems.GetProblemGroup,
        d.GetProblemGroupRequest(group_id=group_id),
        session.access_token,
    )


@page
async def group_page(request, session, form):
    group = await run_in_threadpool(_get, request.app.state.console, session, request.path_params["group_id"])
    return _group_page(request, session, group)


def _corrected(form, record_id: str, student) -> c.StudentIdentity:
    """The corrected key data typed for one record (the document type stays the record's)."""
    field = lambda name: str(form.get(f"{record_id}.{name}", "")).strip()  # noqa: E731
    identity = c.StudentIdentity(
        name=field("name"),
        gender=_int(field("gender"), labels.GENDER),
        document=c.IdentityDocument(type=student.document.type, number=field("number")),
    )
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", field("birth_date"))
    if match:
        identity.birth_date.year, identity.birth_date.month, identity.birth_date.day = map(
            int, match.groups()
        )
    return identity


async def _proofs(form) -> list[c.FileContent]:
    files = []
    for upload in form.getlist("proof"):
        if getattr(upload, "filename", ""):
            files.append(
                c.FileContent(
                    file_name=upload.filename,
                    content_type=upload.content_type or "",
                    content=await upload.read(MAX_PROOF_BYTES),
                )
            )
    return files


def _errors_by_input(fields: dict[str, str], order: list[str]) -> dict[str, str]:
    """`resolutions[1].corrected_identity.name` -> `<record id>.name`: a reason next to its input."""
    shown = {}
    for path, reason in fields.items():
        match = re.match(r"resolutions\[(\d+)\](?:\.corrected_identity)?\.?(.*)", path)
        if match and int(match.group(1)) < len(order):
            rest = match.group(2).removeprefix("document.") or "resolution"
            shown[f"{order[int(match.group(1))]}.{rest}"] = reason
        else:
            shown[re.sub(r"\[\d+\].*", "", path)] = reason
    return shown


@page
async def resolve(request, session, form):
    console, group_id = request.app.state.console, request.path_params["group_id"]
    group = await run_in_threadpool(_get, console, session, group_id)
    typed = {k: str(v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
    resolutions, order = [], []
    for student in group.students:
        chosen = RESOLUTIONS.get(typed.get(f"{student.record_id}.resolution", ""))
        if not chosen:
            continue
        resolution = d.RecordResolution(record_id=student.record_id, resolution=chosen)
        if chosen == e.PROBLEM_RESOLUTION_CORRECT:
            resolution.corrected_identity.CopyFrom(_corrected(form, student.record_id, student))
        resolutions.append(resolution)
        order.append(student.record_id)
    resolve_request = d.ResolveProblemGroupRequest(
        group_id=group_id,
        resolutions=resolutions,
        opinion=typed.get("opinion", ""),
        proof_files=await _proofs(form),
        expected_version=int(typed.get("expected_version", "0") or 0),
    )
    try:
        await run_in_threadpool(
            call, console.backend.problems.ResolveProblemGroup, resolve_request, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        group = await run_in_threadpool(_get, console, session, group_id)
        return _group_page(
            request,
            session,
            group,
            failure.status,
            typed,
            _errors_by_input(failure.fields, order),
            failure.message,
        )
    return RedirectResponse(f"/problems/{group_id}?done=" + quote("处理完成"), status_code=303)
