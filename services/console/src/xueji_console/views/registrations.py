"""小学新生注册 and 非小学新生注册 (chapters 6 and 7): the three entries 居民身份证 / 港澳台和外籍 /
无证件, and 录入 with 保存 / 保存并继续 (Registrations.CreateApplication), proof material uploaded
first for a no-document student (Registrations.UploadProofMaterial). Which entry takes which student,
what is required and every refusal are the registration service's."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import code_tables, student_form, uploads
from xueji_console.backend import Failure, call
from xueji_console.web import page, render

KINDS = {
    "primary": (c.REGISTRATION_KIND_PRIMARY_FRESHMAN, "小学新生注册"),
    "nonprimary": (c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN, "非小学新生注册"),
}
CATEGORIES = {
    "resident": (c.DOCUMENT_CATEGORY_RESIDENT, "居民身份证"),
    "hmt": (c.DOCUMENT_CATEGORY_HMT_FOREIGN, "港澳台和外籍"),
    "nodoc": (c.DOCUMENT_CATEGORY_NO_DOCUMENT, "无证件"),
}
# The entries of each page, as the manual lays them out (图20, 图32): 小学新生 居民身份证 and 港澳台和外籍
# come through 学前调档 and are imported; 录入 is for 无证件, and for every 非小学新生.
ENTRIES = {
    "primary": {"resident": ("import",), "hmt": ("import",), "nodoc": ("entry",)},
    "nonprimary": {"resident": ("entry", "import"), "hmt": ("entry", "import"), "nodoc": ("entry",)},
}


def _kind(request):
    key = request.path_params["kind"]
    if key not in KINDS:
        raise Failure(404, "页面不存在")
    return key, *KINDS[key]


def _category(request):
    key = request.path_params["category"]
    if key not in CATEGORIES:
        raise Failure(404, "页面不存在")
    return key, *CATEGORIES[key]


@page
async def entries(request, session, form):
    key, kind, title = _kind(request)
    return render(
        request,
        session,
        "registrations.html",
        kind_key=key,
        kind=kind,
        title=title,
        categories=CATEGORIES,
        entries=ENTRIES[key],
        done=request.query_params.get("done", ""),
        crumbs=f"学籍管理 -> 学籍注册 -> {title}",
    )


async def _render_form(
    request, session, status=200, *, values=None, errors=None, message="", proofs=(), photo=(), done=""
):
    kind_key, _, kind_title = _kind(request)
    category_key, category, category_title = _category(request)
    errors = errors or {}
    paths = {i.path for i in student_form.all_inputs(category)} | {"proof", uploads.PHOTO_FIELD}
    other = [reason for path, reason in errors.items() if path not in paths]
    return render(
        request,
        session,
        "entry.html",
        status,
        kind_key=kind_key,
        kind_title=kind_title,
        category_key=category_key,
        category=category,
        category_title=category_title,
        sections=student_form.sections(category, await code_tables.for_form(request, session)),
        values=values or {},
        errors=errors,
        other_errors=other,
        message=message,
        proofs=list(proofs),
        photo=photo,
        request_id=uuid.uuid4().hex,
        needs_proof=category == c.DOCUMENT_CATEGORY_NO_DOCUMENT,
        done=done,
        crumbs=f"学籍管理 -> 学籍注册 -> {kind_title} -> {category_title} -> 录入",
    )


@page
async def entry_page(request, session, form):
    _kind(request)
    return await _render_form(request, session, done=request.query_params.get("done", ""))


@page
async def entry_save(request, session, form):
    _, kind, _ = _kind(request)
    _, category, _ = _category(request)
    console = request.app.state.console
    values = student_form.typed(form, category)
    # Files already stored on an earlier, refused attempt come back as hidden (id, name) pairs.
    proofs = list(uploads.kept(form, "proof"))
    photo = uploads.kept(form, "photo")[:1]
    try:
        proofs += await run_in_threadpool(
            uploads.store, console, session, await uploads.chosen_files(form, "proof")
        )
    except Failure as failure:
        if failure.status != 400:
            raise
        reason = failure.message or "；".join(failure.fields.values())
        return await _render_form(
            request, session, 400, values=values, errors={"proof": reason}, proofs=proofs, photo=photo
        )
    photo, refused = await uploads.take_photo(request, session, form)
    if refused:
        return await _render_form(
            request,
            session,
            400,
            values=values,
            errors={uploads.PHOTO_FIELD: refused},
            proofs=proofs,
            photo=photo,
        )
    message, unreadable = student_form.to_message(values, category)
    if photo:
        message.photo.file_id = photo[0][0]
    if unreadable:
        return await _render_form(
            request, session, 400, values=values, errors=unreadable, proofs=proofs, photo=photo
        )
    create = r.CreateApplicationRequest(
        school_code=session.org_unit_code,
        kind=kind,
        category=category,
        student=message,
        proof_material_ids=[p[0] for p in proofs],
        request_id=str(form.get("request_id", "")),
    )
    try:
        created = await run_in_threadpool(
            call, console.backend.registrations.CreateApplication, create, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 409):
            raise
        errors = {uploads.field_of(path): reason for path, reason in failure.fields.items()}
        return await _render_form(
            request,
            session,
            failure.status,
            values=values,
            errors=errors,
            message=failure.message,
            proofs=proofs,
            photo=photo,
        )
    done = quote(f"{created.student.name} 已保存并提交")
    if form.get("action") == "continue":  # 保存并继续: an empty form for the next student
        return RedirectResponse(f"{request.url.path}?done={done}", status_code=303)
    return RedirectResponse(f"/applications/{created.application_id}?done={done}", status_code=303)
