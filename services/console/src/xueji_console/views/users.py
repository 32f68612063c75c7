"""用户管理 (the unit's user administrator): the users of its unit and the units below, 新增,
重置密码, 锁定, 解锁, 停用, and the sign-in audit (登录日志). The accounts service decides who may
manage whom and refuses the rest; the console shows its refusals."""
from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from xueji.v1 import accounts_pb2 as a

from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

CRUMBS = "系统管理 -> 用户管理"
# What each button asks of the service, and the word for the outcome.
ACTIONS = {"lock": ("LockUser", "已锁定"), "unlock": ("UnlockUser", "已解锁"), "disable": ("DisableUser", "已停用")}


@page
async def user_list(request, session, form):
    query = dict(request.query_params)
    list_request = a.ListUsersRequest(
        org_unit_code=query.get("org_unit_code", "").strip(), role=_int(query.get("role", ""), labels.ROLE),
        state=_int(query.get("state", ""), labels.USER_STATE),
        login_name_contains=query.get("login_name", "").strip(),
        page_size=PAGE_SIZE, page_token=query.get("page_token", ""))
    try:
        response = await run_in_threadpool(call, request.app.state.console.backend.accounts.ListUsers, list_request,
                                           session.access_token)
        users, page_info, errors = response.users, response, {}
    except Failure as failure:
        if failure.status != 400:
            raise
        users, page_info, errors = [], a.ListUsersResponse(), failure.fields   # e.g. an unknown unit code
    return render(request, session, "users.html", users=users, page_info=page_info, query=query, errors=errors,
                  labels=labels, done=query.get("done", ""), crumbs=CRUMBS)


def _new_form(request, session, status=200, typed=None, errors=None, message=""):
    typed = typed or {"org_unit_code": session.org_unit_code}
    return render(request, session, "user_new.html", status, typed=typed, errors=errors or {}, message=message,
                  labels=labels, crumbs=CRUMBS + " -> 新增")


@page
async def new_user(request, session, form):
    return _new_form(request, session)


@page
async def create_user(request, session, form):
    typed = {k: str(form.get(k, "")).strip() for k in ("login_name", "display_name", "role", "org_unit_code")}
    create = a.CreateUserRequest(login_name=typed["login_name"], display_name=typed["display_name"],
                                 role=_int(typed["role"], labels.ROLE), org_unit_code=typed["org_unit_code"])
    try:
        created = await run_in_threadpool(call, request.app.state.console.backend.accounts.CreateUser, create,
                                          session.access_token)
    except Failure as failure:
        if failure.status not in (400, 403, 409):
            raise
        return _new_form(request, session, failure.status, typed, failure.fields, failure.message)
    return render(request, session, "user_password.html", user=created.user, password=created.temporary_password,
                  verb="新增", crumbs=CRUMBS)


@page
async def reset_password(request, session, form):
    ref = a.UserRef(login_name=request.path_params["login_name"])
    reset = await run_in_threadpool(call, request.app.state.console.backend.accounts.ResetPassword, ref,
                                    session.access_token)
    return render(request, session, "user_password.html", user=reset.user, password=reset.temporary_password,
                  verb="重置密码", crumbs=CRUMBS)


@page
async def change_state(request, session, form):
    login, action = request.path_params["login_name"], request.path_params["action"]
    if action not in ACTIONS:
        raise Failure(404, "记录不存在")
    method, outcome = ACTIONS[action]
    try:
        user = await run_in_threadpool(call, getattr(request.app.state.console.backend.accounts, method),
                                       a.UserRef(login_name=login), session.access_token)
        done = f"{user.login_name} {outcome}"
    except Failure as failure:
        if failure.status != 409:
            raise
        done = failure.message                                  # e.g. 不能锁定或停用自己的账号
    # Back to the list showing that user, with the outcome.
    return RedirectResponse(f"/users?login_name={quote(login)}&done={quote(done)}", status_code=303)


@page
async def sign_ins(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call, request.app.state.console.backend.accounts.ListSignInAttempts,
        a.ListSignInAttemptsRequest(login_name=query.get("login_name", "").strip(),
                                    page_size=PAGE_SIZE, page_token=query.get("page_token", "")),
        session.access_token)
    return render(request, session, "sign_ins.html", attempts=response.attempts, page_info=response, query=query,
                  labels=labels, crumbs="系统管理 -> 登录日志")
