"""Accounts in the security matrix (served by each province's accounts process).

Public RPCs (sign-in, refresh, sign-out, password change, signing keys, service tokens) answer every
caller alike: the caller's token grants nothing there, the credentials in the request decide (the
matrix sends wrong ones: UNAUTHENTICATED, or OK for a sign-out of nothing). Administration admits the
user administrator only (an extra caller at the county), on its unit and below; the users it acts on
are made first by the ministry's administrator at the cell's unit."""

from __future__ import annotations

import uuid

import grpc
from google.protobuf import field_mask_pb2
from tests.e2e.security_table import ALL, Caller, Rpc, province_of
from tests.e2e.security_world import COUNTY

from xueji.v1 import accounts_pb2 as ac
from xueji.v1 import accounts_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer

UA = Caller("user_admin", Role.USER_ADMIN, COUNTY)
ADMIN = ((UA, True),)
_UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def _role_for(unit: str) -> Role:
    return Role.SCHOOL_REGISTRAR if len(unit) == 10 else Role.DEPARTMENT_REGISTRAR


def _login() -> str:
    return f"matrix-{uuid.uuid4().hex[:12]}"


def _user_at(w, unit: str) -> str:
    """A fresh user at `unit` in its province's accounts service (setup, before the cell's call)."""
    cluster = next(iter(w.sites.values())).actor.cluster
    login = _login()
    with grpc.insecure_channel(cluster.address(f"{province_of(unit)}-accounts")) as channel:
        accounts_pb2_grpc.AccountsStub(channel).CreateUser(
            ac.CreateUserRequest(
                login_name=login, display_name="矩阵用户", role=_role_for(unit).proto, org_unit_code=unit
            ),
            metadata=bearer(cluster.token(Role.USER_ADMIN, "000000", "matrix-ministry-admin")),
            timeout=20,
        )
    return login


def _public(method: str, build, code=_UNAUTH) -> Rpc:
    return Rpc(
        "Accounts",
        method,
        ALL,
        "none",
        build,
        "accounts",
        extra_callers=ADMIN,
        allowed_code=lambda c, j: code,
    )


def _admin(method: str, target: str, build) -> Rpc:
    return Rpc("Accounts", method, (Role.USER_ADMIN,), target, build, "accounts", extra_callers=ADMIN)


ACCOUNTS = [
    _public(
        "SignIn", lambda w, c, u: ac.SignInRequest(login_name="matrix-nobody", password="Wrong.Pass-2026")
    ),
    _public("Refresh", lambda w, c, u: ac.RefreshRequest(refresh_token="not-a-refresh-token")),
    _public(
        "SignOut", lambda w, c, u: ac.SignOutRequest(refresh_token="not-a-refresh-token"), grpc.StatusCode.OK
    ),
    _public(
        "ChangePassword",
        lambda w, c, u: ac.ChangePasswordRequest(
            login_name="matrix-nobody", current_password="Wrong.Pass-2026", new_password="Another.Pass-2027"
        ),
    ),
    _public("GetSigningKeys", lambda w, c, u: ac.GetSigningKeysRequest(), grpc.StatusCode.OK),
    _public(
        "IssueServiceToken",
        lambda w, c, u: ac.IssueServiceTokenRequest(client_id="matrix", client_secret="x"),
    ),
    _public("WhoAmI", lambda w, c, u: ac.WhoAmIRequest(), grpc.StatusCode.OK),
    _admin(
        "CreateUser",
        "unit",
        lambda w, c, u: ac.CreateUserRequest(
            login_name=_login(), display_name="矩阵新用户", role=_role_for(u).proto, org_unit_code=u
        ),
    ),
    _admin(
        "UpdateUser",
        "unit",
        lambda w, c, u: ac.UpdateUserRequest(
            login_name=_user_at(w, u),
            display_name="改名",
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
    ),
    _admin("ResetPassword", "unit", lambda w, c, u: ac.UserRef(login_name=_user_at(w, u))),
    _admin("LockUser", "unit", lambda w, c, u: ac.UserRef(login_name=_user_at(w, u))),
    _admin("UnlockUser", "unit", lambda w, c, u: ac.UserRef(login_name=_user_at(w, u))),
    _admin("DisableUser", "unit", lambda w, c, u: ac.UserRef(login_name=_user_at(w, u))),
    _admin("ListUsers", "unit", lambda w, c, u: ac.ListUsersRequest(org_unit_code=u)),
    _admin("ListSignInAttempts", "none", lambda w, c, u: ac.ListSignInAttemptsRequest()),
    _admin("ListAccountChanges", "none", lambda w, c, u: ac.ListAccountChangesRequest()),
]
