"""登录, 修改密码 (forced at first sign-in), 退出. The sign-in forms are protected by the CSRF secret
of an anonymous session; a successful sign-in replaces it with a new session id (no fixation)."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from xueji.v1 import accounts_pb2
from xueji_console.backend import Failure, call_public
from xueji_console.sessions import Session
from xueji_console.web import COOKIE, csrf_ok, refused_csrf, render, set_cookie


def _source(request: Request) -> list[tuple[str, str]]:
    # The accounts service records where a sign-in came from: the browser, not the console.
    return [("x-forwarded-for", request.client.host if request.client else "")]


async def _anonymous(request: Request) -> Session:
    store = request.app.state.console.store
    sid = request.cookies.get(COOKIE, "")
    session = await run_in_threadpool(store.get, sid) if sid else None
    if session is None:
        session = Session.fresh()
        await run_in_threadpool(store.put, session)
    return session


async def signin_page(request: Request):
    session = await _anonymous(request)
    if session.signed_in:
        return RedirectResponse("/", status_code=303)
    expired = "登录已超时，请重新登录" if request.query_params.get("expired") else ""
    response = render(request, session, "signin.html", message=expired, login_name="")
    set_cookie(request, response, session)
    return response


async def _sign_in(request: Request, old: Session, login_name: str, password: str):
    """Sign in; on success a NEW session (new id, new CSRF secret) replaces the anonymous one."""
    console = request.app.state.console
    pair = await run_in_threadpool(
        call_public,
        console.backend.accounts.SignIn,
        accounts_pb2.SignInRequest(login_name=login_name, password=password),
        _source(request),
    )
    user = pair.user
    session = Session.fresh()
    session.access_token, session.refresh_token = pair.access_token, pair.refresh_token
    session.access_expires_at = time.time() + pair.expires_in_seconds
    session.login_name, session.display_name = user.login_name, user.display_name
    session.role, session.org_unit_code, session.org_unit_name = (
        user.role,
        user.org_unit_code,
        user.org_unit_name,
    )
    await run_in_threadpool(console.store.delete, old.sid)
    await run_in_threadpool(console.store.put, session)
    response = RedirectResponse("/", status_code=303)
    set_cookie(request, response, session)
    return response


async def signin_submit(request: Request):
    session = await _anonymous(request)
    form = await request.form()
    if not csrf_ok(session, form):
        return refused_csrf(request, None)
    login_name, password = str(form.get("login_name", "")).strip(), str(form.get("password", ""))
    try:
        return await _sign_in(request, session, login_name, password)
    except Failure as failure:
        if failure.status == 409:  # must change the password first (first sign-in, or after a reset)
            return render(
                request,
                session,
                "change_password.html",
                login_name=login_name,
                message=failure.message,
                errors={},
            )
        return render(
            request,
            session,
            "signin.html",
            failure.status,
            message=failure.message,
            login_name=login_name,
            errors=failure.fields,
        )


async def password_submit(request: Request):
    session = await _anonymous(request)
    form = await request.form()
    if not csrf_ok(session, form):
        return refused_csrf(request, None)
    login_name = str(form.get("login_name", "")).strip()
    current, new = str(form.get("current_password", "")), str(form.get("new_password", ""))
    if new != str(form.get("confirm_password", "")):
        return render(
            request,
            session,
            "change_password.html",
            400,
            login_name=login_name,
            message="",
            errors={"confirm_password": "两次输入的新密码不一致"},
        )
    console = request.app.state.console
    try:
        await run_in_threadpool(
            call_public,
            console.backend.accounts.ChangePassword,
            accounts_pb2.ChangePasswordRequest(
                login_name=login_name, current_password=current, new_password=new
            ),
            _source(request),
        )
        return await _sign_in(request, session, login_name, new)
    except Failure as failure:
        return render(
            request,
            session,
            "change_password.html",
            failure.status,
            login_name=login_name,
            message=failure.message,
            errors=failure.fields,
        )


async def signout(request: Request):
    console = request.app.state.console
    sid = request.cookies.get(COOKIE, "")
    session = await run_in_threadpool(console.store.get, sid) if sid else None
    if session is None:
        return RedirectResponse("/signin", status_code=303)
    form = await request.form()
    if not csrf_ok(session, form):
        return refused_csrf(request, session)
    if session.refresh_token:
        try:
            await run_in_threadpool(
                call_public,
                console.backend.accounts.SignOut,
                accounts_pb2.SignOutRequest(refresh_token=session.refresh_token),
                [],
            )
        except Failure:
            pass  # the session ends here either way; the refresh token expires on its own
    await run_in_threadpool(console.store.delete, session.sid)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
