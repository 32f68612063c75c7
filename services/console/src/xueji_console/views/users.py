"""用户管理 (the unit's user administrator): the users of its unit and the units below, 新增, 修改,
重置密码, 锁定, 解锁, 停用, the sign-in audit (登录日志) and the account change log (账号变更日志).
The accounts service decides who may manage whom and refuses the rest; the console shows its refusals."""

from __future__ import annotations

import re
from urllib.parse import quote

from google.protobuf.field_mask_pb2 import FieldMask
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from xueji.v1 import accounts_pb2 as a
from xueji_console import labels
from xueji_console.backend import Failure, call
from xueji_console.views.applications import PAGE_SIZE, _int
from xueji_console.web import page, render

CRUMBS = "系统管理 -> 用户管理"
# What each button asks of the service, and the word for the outcome.
ACTIONS = {
    "lock": ("LockUser", "已锁定"),
    "unlock": ("UnlockUser", "已解锁"),
    "disable": ("DisableUser", "已停用"),
}
# The accounts service's words in the change log (AccountChange.action, .detail), in Chinese.
CHANGE_ACTION = {
    "create": "新增",
    "update": "修改",
    "reset_password": "重置密码",
    "lock": "锁定",
    "unlock": "解锁",
    "disable": "停用",
    "change_password": "修改密码",
}
CHANGE_FIELD = {"display_name": "姓名", "role": "角色", "org_unit": "所属机构"}
ROLE_BY_NAME = {
    "school_registrar": "学校学籍管理员",
    "school_leader": "学校学籍主管领导",
    "department_registrar": "教育部门学籍管理员",
    "user_admin": "用户管理员",
}
_DETAIL_KEY = re.compile(r"(?:^|\s)(display_name|role|org_unit)=")


def describe_change(detail: str) -> str:
    """`display_name=钱 二 role=school_leader` -> `姓名：钱 二；角色：学校学籍主管领导` (a name may hold
    spaces, so split at the known keys, not at spaces); any other detail is shown as it is."""
    parts = _DETAIL_KEY.split(detail)
    if len(parts) < 3 or parts[0].strip():
        return detail
    pairs = zip(parts[1::2], (v.strip() for v in parts[2::2]))
    return "；".join(f"{CHANGE_FIELD[k]}：{ROLE_BY_NAME.get(v, v) if k == 'role' else v}" for k, v in pairs)


@page
async def user_list(request, session, form):
    query = dict(request.query_params)
    list_request = a.ListUsersRequest(
        org_unit_code=query.get("org_unit_code", "").strip(),
        role=_int(query.get("role", ""), labels.ROLE),
        state=_int(query.get("state", ""), labels.USER_STATE),
        login_name_contains=query.get("login_name", "").strip(),
        page_size=PAGE_SIZE,
        page_token=query.get("page_token", ""),
    )
    try:
        response = await run_in_threadpool(
            call, request.app.state.console.backend.accounts.ListUsers, list_request, session.access_token
        )
        users, page_info, errors = response.users, response, {}
    except Failure as failure:
        if failure.status != 400:
            raise
        users, page_info, errors = [], a.ListUsersResponse(), failure.fields  # e.g. an unknown unit code
    return render(
        request,
        session,
        "users.html",
        users=users,
        page_info=page_info,
        query=query,
        errors=errors,
        labels=labels,
        done=query.get("done", ""),
        crumbs=CRUMBS,
    )


def _new_form(request, session, status=200, typed=None, errors=None, message=""):
    typed = typed or {"org_unit_code": session.org_unit_code}
    return render(
        request,
        session,
        "user_new.html",
        status,
        typed=typed,
        errors=errors or {},
        message=message,
        labels=labels,
        crumbs=CRUMBS + " -> 新增",
    )


@page
async def new_user(request, session, form):
    return _new_form(request, session)


@page
async def create_user(request, session, form):
    typed = {k: str(form.get(k, "")).strip() for k in ("login_name", "display_name", "role", "org_unit_code")}
    create = a.CreateUserRequest(
        login_name=typed["login_name"],
        display_name=typed["display_name"],
        role=_int(typed["role"], labels.ROLE),
        org_unit_code=typed["org_unit_code"],
    )
    try:
        created = await run_in_threadpool(
            call, request.app.state.console.backend.accounts.CreateUser, create, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 403, 409):
            raise
        return _new_form(request, session, failure.status, typed, failure.fields, failure.message)
    return render(
        request,
        session,
        "user_password.html",
        user=created.user,
        password=created.temporary_password,
        verb="新增",
        crumbs=CRUMBS,
    )


async def _find_user(request, session, login: str):
    """The user's row as the list shows it (there is no GetUser: ListUsers by name, the exact one,
    page after page: other logins may contain this one)."""
    token = ""
    while True:
        found = await run_in_threadpool(
            call,
            request.app.state.console.backend.accounts.ListUsers,
            a.ListUsersRequest(login_name_contains=login, page_size=100, page_token=token),
            session.access_token,
        )
        user = next((u for u in found.users if u.login_name == login), None)
        if user is not None:
            return user
        token = found.next_page_token
        if not token:
            raise Failure(404, "记录不存在")


def _edit_form(request, session, login, typed, status=200, errors=None, message=""):
    return render(
        request,
        session,
        "user_new.html",
        status,
        typed=typed,
        errors=errors or {},
        message=message,
        labels=labels,
        editing=login,
        crumbs=CRUMBS + " -> 修改",
    )


@page
async def edit_user(request, session, form):
    login = request.path_params["login_name"]
    user = await _find_user(request, session, login)
    typed = {
        "login_name": login,
        "display_name": user.display_name,
        "role": str(user.role),
        "org_unit_code": user.org_unit_code,
    }
    return _edit_form(request, session, login, typed)


@page
async def update_user(request, session, form):
    login = request.path_params["login_name"]
    typed = {k: str(form.get(k, "")).strip() for k in ("display_name", "role", "org_unit_code")}
    typed["login_name"] = login
    update = a.UpdateUserRequest(
        login_name=login,
        display_name=typed["display_name"],
        role=_int(typed["role"], labels.ROLE),
        org_unit_code=typed["org_unit_code"],
        # an input left empty keeps the stored value (the form shows them all)
        update_mask=FieldMask(paths=[k for k in ("display_name", "role", "org_unit_code") if typed[k]]),
    )
    try:
        await run_in_threadpool(
            call, request.app.state.console.backend.accounts.UpdateUser, update, session.access_token
        )
    except Failure as failure:
        if failure.status not in (400, 403, 409):
            raise
        return _edit_form(request, session, login, typed, failure.status, failure.fields, failure.message)
    return RedirectResponse(
        f"/users?login_name={quote(login)}&done={quote(login + ' 已修改')}", status_code=303
    )


@page
async def reset_page(request, session, form):
    """重置密码's window: the user, and 确定 (the POST below)."""
    user = await _find_user(request, session, request.path_params["login_name"])
    return render(request, session, "user_reset.html", user=user, crumbs=CRUMBS + " -> 重置密码")


@page
async def reset_password(request, session, form):
    ref = a.UserRef(login_name=request.path_params["login_name"])
    reset = await run_in_threadpool(
        call, request.app.state.console.backend.accounts.ResetPassword, ref, session.access_token
    )
    return render(
        request,
        session,
        "user_password.html",
        user=reset.user,
        password=reset.temporary_password,
        verb="重置密码",
        crumbs=CRUMBS,
    )


@page
async def change_state(request, session, form):
    login, action = request.path_params["login_name"], request.path_params["action"]
    if action not in ACTIONS:
        raise Failure(404, "记录不存在")
    method, outcome = ACTIONS[action]
    try:
        user = await run_in_threadpool(
            call,
            getattr(request.app.state.console.backend.accounts, method),
            a.UserRef(login_name=login),
            session.access_token,
        )
        done = f"{user.login_name} {outcome}"
    except Failure as failure:
        if failure.status != 409:
            raise
        done = failure.message  # e.g. 不能锁定或停用自己的账号
    # Back to the list showing that user, with the outcome.
    return RedirectResponse(f"/users?login_name={quote(login)}&done={quote(done)}", status_code=303)


@page
async def sign_ins(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.accounts.ListSignInAttempts,
        a.ListSignInAttemptsRequest(
            login_name=query.get("login_name", "").strip(),
            page_size=PAGE_SIZE,
            page_token=query.get("page_token", ""),
        ),
        session.access_token,
    )
    return render(
        request,
        session,
        "sign_ins.html",
        attempts=response.attempts,
        page_info=response,
        query=query,
        labels=labels,
        crumbs="系统管理 -> 登录日志",
    )


@page
async def account_changes(request, session, form):
    query = dict(request.query_params)
    response = await run_in_threadpool(
        call,
        request.app.state.console.backend.accounts.ListAccountChanges,
        a.ListAccountChangesRequest(
            login_name=query.get("login_name", "").strip(),
            page_size=PAGE_SIZE,
            page_token=query.get("page_token", ""),
        ),
        session.access_token,
    )
    changes = [
        (x, CHANGE_ACTION.get(x.action, x.action), describe_change(x.detail)) for x in response.changes
    ]
    return render(
        request,
        session,
        "account_changes.html",
        changes=changes,
        page_info=response,
        query=query,
        crumbs="系统管理 -> 账号变更日志",
    )
