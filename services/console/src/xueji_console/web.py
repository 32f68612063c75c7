"""What every page shares: the session from the cookie, CSRF on every POST, tokens refreshed before
they expire, the menu of the user's role, and services' refusals turned into pages."""

from __future__ import annotations

import functools
import logging
import secrets
import time
import uuid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from xueji.v1 import accounts_pb2
from xueji.v1 import common_pb2 as c
from xueji_common import logs
from xueji_common.auth import MINISTRY
from xueji_console import labels
from xueji_console.backend import Failure, call_public
from xueji_console.sessions import Session

log = logging.getLogger(__name__)
COOKIE = "xueji_session"
REFRESH_BEFORE_SECONDS = 60
# No inline script or style anywhere: the pages load /static files only.
# Violations are reported to /csp-report (csp_reports.py): report-uri for browsers without the
# Reporting API, report-to with the Reporting-Endpoints header for the others.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; report-uri /csp-report; report-to csp"
)
REPORTING_ENDPOINTS = 'csp="/csp-report"'


# Left menu by role, in the manual's words: (title, path).
MENU = {
    c.ROLE_SCHOOL_REGISTRAR: [
        ("工作台", "/"),
        ("学前调档管理", "/preschool"),
        ("学前档案信息补录", "/supplementary"),
        ("小学新生注册", "/register/primary"),
        ("非小学新生注册", "/register/nonprimary"),
        ("小学新生注册上报", "/reports?kind=1"),
        ("非小学新生注册上报", "/reports?kind=2"),
        ("学籍注册查询", "/applications"),
        ("问题学籍处理", "/problems"),
        ("特教学生信息管理", "/special-ed"),
        ("全国学籍查询", "/national-query"),
    ],
    c.ROLE_SCHOOL_LEADER: [
        ("工作台", "/"),
        ("学校审核", "/reviews"),
        ("学籍注册查询", "/applications"),
        ("全国学籍查询", "/national-query"),
    ],
    c.ROLE_DEPARTMENT_REGISTRAR: [
        ("工作台", "/"),
        ("主管部门审核", "/department-reviews"),
        ("学籍注册查询", "/applications"),
        ("问题学籍处理", "/problems"),
        ("特教学生信息管理", "/special-ed"),
        ("全国学籍查询", "/national-query"),
    ],
    c.ROLE_USER_ADMIN: [
        ("工作台", "/"),
        ("用户管理", "/users"),
        ("登录日志", "/sign-ins"),
        ("账号变更日志", "/account-changes"),
    ],
}

# The ministry (a registrar of the nation's unit, 教育部): the national tier's screens (the national
# dedup's cross-province groups, national-query's lookup); the province services' screens are the
# provinces' own consoles.
MINISTRY_MENU = [("工作台", "/"), ("问题学籍处理", "/national-problems"), ("全国学籍查询", "/national-query")]


def is_ministry(session) -> bool:
    """A registrar of the nation's unit: the ministry's menu and 工作台 (what it may see and do is
    the services' decision)."""
    return session.role == c.ROLE_DEPARTMENT_REGISTRAR and session.org_unit_code == MINISTRY


def menu_of(session: Session | None) -> list[tuple[str, str]]:
    if not (session and session.signed_in):
        return []
    return MINISTRY_MENU if is_ministry(session) else MENU.get(session.role, [])


templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
templates.filters.update(labels.filters())


class SecurityHeaders:
    """ASGI middleware: CSP, no framing, no sniffing, no caching of pages with personal data; the
    server's time in Server-Timing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        started = time.perf_counter()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # The server's own time to the response's start (bench/console_worklist.py reads it).
                elapsed = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"reporting-endpoints", REPORTING_ENDPOINTS.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def render(
    request: Request, session: Session | None, name: str, status: int = 200, **context
) -> HTMLResponse:
    menu = menu_of(session)
    html = templates.get_template(name).render(
        request=request, session=session, menu=menu, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status)


def set_cookie(request: Request, response: Response, session: Session) -> None:
    console = request.app.state.console
    response.set_cookie(
        COOKIE, session.sid, httponly=True, samesite="lax", secure=console.settings.secure_cookies, path="/"
    )


def _fresh_tokens(console, session: Session) -> Session | None:
    """The session with an access token good for another minute; None when the sign-in has ended."""
    if session.access_expires_at - time.time() > REFRESH_BEFORE_SECONDS:
        return session
    with console.store.lock(session.sid):
        current = console.store.get(session.sid)  # another request may have refreshed it meanwhile
        if current is None:
            return None
        if current.access_expires_at - time.time() > REFRESH_BEFORE_SECONDS:
            return current
        try:
            pair = call_public(
                console.backend.accounts.Refresh,
                accounts_pb2.RefreshRequest(refresh_token=current.refresh_token),
            )
        except Failure:
            console.store.delete(current.sid)
            return None
        current.access_token, current.refresh_token = pair.access_token, pair.refresh_token
        current.access_expires_at = time.time() + pair.expires_in_seconds
        console.store.put(current)
        return current


def _signed_in(console, sid: str) -> tuple[Session | None, bool]:
    """(the cookie's session with fresh tokens, whether its sign-in has ended), in one trip to a
    worker thread (each trip costs the event loop a hand-off: the worklist bench counts them)."""
    # The idle timeout starts again. Not a put: that could write back tokens another request
    # has just refreshed (the spent refresh token would then end the whole sign-in).
    session = console.store.get_touched(sid) if sid else None
    if session is None or not session.signed_in:
        return None, False
    fresh = _fresh_tokens(console, session)
    return fresh, fresh is None


def to_signin(request: Request, query: str = "") -> Response:
    """Back to the sign-in page; an htmx request (a partial update) is told to leave the page."""
    target = "/signin" + query
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def for_htmx(request: Request, response: Response) -> Response:
    """A redirect answered to htmx (a form posted in a window) as HX-Redirect: the whole page
    follows it, instead of htmx swapping the page redirected to into the window."""
    location = response.headers.get("location")
    if request.headers.get("hx-request") and 300 <= response.status_code < 400 and location:
        return Response(status_code=204, headers={"HX-Redirect": location})
    return response


def csrf_ok(session: Session, form) -> bool:
    sent = form.get("csrf_token", "")
    return bool(sent) and secrets.compare_digest(str(sent), session.csrf)


def refused_csrf(request: Request, session: Session | None) -> HTMLResponse:
    return render(request, session, "error.html", 403, message="页面已过期或请求来源不明，请刷新页面后重试")


def page(handler):
    """A page of a signed-in user: session and fresh tokens, CSRF on POST, refusals as pages.

    The handler is `async def handler(request, session, form)`; `form` is the parsed POST body
    (None on GET)."""

    @functools.wraps(handler)
    async def endpoint(request: Request):
        from starlette.concurrency import run_in_threadpool

        console = request.app.state.console
        session, ended = await run_in_threadpool(_signed_in, console, request.cookies.get(COOKIE, ""))
        if session is None:
            return to_signin(request, "?expired=1" if ended else "")
        form = None
        if request.method == "POST":
            form = await request.form()
            if not csrf_ok(session, form):
                return refused_csrf(request, session)
        try:
            response = await handler(request, session, form)
        except Failure as failure:
            if failure.status == 401:
                await run_in_threadpool(console.store.delete, session.sid)
                return to_signin(request, "?expired=1")
            response = render(request, session, "error.html", failure.status, message=failure.message)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("console page failed", extra=logs.fields(error_id=error_id, path=request.url.path))
            response = render(
                request, session, "error.html", 500, message=f"系统繁忙，请稍后再试（错误编号 {error_id}）"
            )
        return for_htmx(request, response)

    return endpoint
