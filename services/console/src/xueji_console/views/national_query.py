"""全国学籍查询 (chapter 16): name + document number, or name + national student number, and the
captcha (验证码). The captcha is the national-query service's: it draws the image, binds the
challenge to the signed-in user, allows one lookup per challenge and checks the answer. The page
shows the image inline (a data: URL, allowed by the CSP's img-src) with the challenge id in the form:
another user cannot redeem it and it cannot be used twice, so the console keeps no captcha state."""

from __future__ import annotations

import base64

from starlette.concurrency import run_in_threadpool

from xueji.v1 import national_query_pb2 as nq
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.web import page, render

CRUMBS = "学籍管理 -> 综合查询 -> 全国学籍查询"
KEYS = {"document_number": "身份证件号", "national_student_number": "全国学籍号"}
NOT_FOUND = "未查询到符合条件的学籍信息"


def _captcha(console, session) -> tuple[str, str]:
    """(captcha id, the image as a data: URL) of a new challenge."""
    captcha = call(
        console.backend.national_query.CreateCaptcha, nq.CreateCaptchaRequest(), session.access_token
    )
    return captcha.captcha_id, "data:image/png;base64," + base64.b64encode(captcha.png).decode()


async def _page(request, session, status=200, typed=None, results=(), errors=None, message=""):
    captcha_id, image = await run_in_threadpool(_captcha, request.app.state.console, session)
    return render(
        request,
        session,
        "national_query.html",
        status,
        typed=typed or {"key": "document_number"},
        results=results,
        errors=errors or {},
        message=message,
        captcha_id=captcha_id,
        image=image,
        keys=KEYS,
        labels=labels,
        crumbs=CRUMBS,
    )


@page
async def query_page(request, session, form):
    return await _page(request, session)


@page
async def lookup(request, session, form):
    typed = {k: str(form.get(k, "")).strip() for k in ("name", "key", "value")}
    key = typed["key"] if typed["key"] in KEYS else "document_number"
    lookup_request = nq.LookupStudentRequest(
        name=typed["name"],
        captcha_id=str(form.get("captcha_id", "")),
        captcha_answer=str(form.get("captcha_answer", "")).strip(),
        **{key: typed["value"]},
    )
    try:
        response = await run_in_threadpool(
            call,
            request.app.state.console.backend.national_query.LookupStudent,
            lookup_request,
            session.access_token,
        )
    except Failure as failure:
        if failure.status not in (400, 404, 429):
            raise
        message = NOT_FOUND if failure.status == 404 else failure.message
        errors = {("value" if f in KEYS else f): reason for f, reason in failure.fields.items()}
        return await _page(
            request,
            session,
            200 if failure.status == 404 else failure.status,
            typed,
            errors=errors,
            message=message,
        )
    # The captcha is spent whatever the result: the page comes back with a new one.
    return await _page(request, session, typed=typed, results=response.results)
