"""特教学生信息 (chapter 15, the school registrar; departments read): the school's students with
special-education information, 新增 among the candidates (students whose record names a
disability), and 维护 of the information. Which fields a proof type requires (degree, certificate
number, symptom description) is the special-ed service's rule: the page only shows or hides those
inputs as the proof type changes, and puts the service's reasons next to them."""

from __future__ import annotations

from urllib.parse import quote

from google.protobuf.field_mask_pb2 import FieldMask
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import common_pb2 as c
from xueji.v1 import special_ed_pb2 as s
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 日常管理 -> 特教学生信息管理"
FIELDS = (
    "disability_type",
    "proof_type",
    "degree",
    "certificate_number",
    "symptom_description",
    "inclusive_education",
)


@page
async def info_list(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.special_ed.ListSpecialEdStudents,
        s.ListSpecialEdStudentsRequest(
            name=query.get("name", "").strip(),
            disability_type=_int(query.get("disability_type", ""), labels.DISABILITY),
            page_size=PAGE_SIZE,
            page_token=query.get("page_token", ""),
        ),
        session.access_token,
    )
    return render(
        request,
        session,
        "special_ed.html",
        infos=response.infos,
        page_info=response,
        query=query,
        labels=labels,
        done=query.get("done", ""),
        crumbs=CRUMBS,
        school_user=session.role == c.ROLE_SCHOOL_REGISTRAR,
    )


@page
async def candidates(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.special_ed.ListCandidates,
        s.ListCandidatesRequest(
            school_code=session.org_unit_code,
            name=query.get("name", "").strip(),
            page_size=PAGE_SIZE,
            page_token=query.get("page_token", ""),
        ),
        session.access_token,
    )
    return render(
        request,
        session,
        "special_ed_candidates.html",
        candidates=response.candidates,
        page_info=response,
        query=query,
        labels=labels,
        crumbs=CRUMBS + " -> 添加",
    )


def _candidate(console, session, record_id: str):
    """The candidate of the school with this record id (the service has no Get for candidates)."""
    token = ""
    while True:
        response = call(
            console.backend.special_ed.ListCandidates,
            s.ListCandidatesRequest(school_code=session.org_unit_code, page_size=500, page_token=token),
            session.access_token,
        )
        found = next((x for x in response.candidates if x.record_id == record_id), None)
        if found or not response.next_page_token:
            if found is None:
                raise Failure(404, "记录不存在")
            return found
        token = response.next_page_token


def _form(request, session, student, status=200, typed=None, errors=None, message="", info=None):
    typed = typed or {"disability_type": str(student.recorded_disability_type)}
    return render(
        request,
        session,
        "special_ed_form.html",
        status,
        student=student,
        info=info,
        typed=typed,
        errors=errors or {},
        message=message,
        labels=labels,
        crumbs=CRUMBS + (" -> 信息维护" if info else " -> 添加"),
    )


def _typed_info(record_id: str, typed: dict) -> s.SpecialEdInfo:
    return s.SpecialEdInfo(
        record_id=record_id,
        disability_type=_int(typed.get("disability_type", ""), labels.DISABILITY),
        proof_type=_int(typed.get("proof_type", ""), labels.PROOF_TYPE),
        degree=_int(typed.get("degree", ""), labels.DEGREE),
        certificate_number=typed.get("certificate_number", ""),
        symptom_description=typed.get("symptom_description", ""),
        inclusive_education=_int(typed.get("inclusive_education", ""), labels.INCLUSIVE),
    )


def _errors(fields: dict) -> dict:
    return {path.removeprefix("info."): reason for path, reason in fields.items()}


@page
async def new_info(request, session, form):
    student = await run_in_threadpool(
        _candidate, request.app.state.console, session, request.path_params["record_id"]
    )
    return _form(request, session, student)


@page
async def create_info(request, session, form):
    console, record_id = request.app.state.console, request.path_params["record_id"]
    typed = {k: str(form.get(k, "")).strip() for k in FIELDS}
    try:
        await run_in_threadpool(
            call,
            console.backend.special_ed.CreateSpecialEdInfo,
            s.CreateSpecialEdInfoRequest(info=_typed_info(record_id, typed)),
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        student = await run_in_threadpool(_candidate, console, session, record_id)
        return _form(
            request, session, student, failure.status, typed, _errors(failure.fields), failure.message
        )
    return RedirectResponse("/special-ed?done=" + quote("保存成功"), status_code=303)


def _get(console, session, record_id: str):
    return call(
        console.backend.special_ed.GetSpecialEdInfo,
        s.GetSpecialEdInfoRequest(record_id=record_id),
        session.access_token,
    )


@page
async def info_page(request, session, form):
    info = await run_in_threadpool(_get, request.app.state.console, session, request.path_params["record_id"])
    typed = {k: str(getattr(info, k)) for k in FIELDS}
    return _form(request, session, info.student, typed=typed, info=info)


@page
async def update_info(request, session, form):
    console, record_id = request.app.state.console, request.path_params["record_id"]
    typed = {k: str(form.get(k, "")).strip() for k in FIELDS}
    update = s.UpdateSpecialEdInfoRequest(
        info=_typed_info(record_id, typed),
        update_mask=FieldMask(paths=["*"]),  # the form shows every field
        expected_version=int(form.get("expected_version", "0") or 0),
    )
    try:
        await run_in_threadpool(
            call, console.backend.special_ed.UpdateSpecialEdInfo, update, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        info = await run_in_threadpool(_get, console, session, record_id)
        return _form(
            request,
            session,
            info.student,
            failure.status,
            typed,
            _errors(failure.fields),
            failure.message,
            info=info,
        )
    return RedirectResponse("/special-ed?done=" + quote("保存成功"), status_code=303)
