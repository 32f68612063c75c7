"""gRPC entrypoint of accounts: translate requests, delegate to the service layer."""

from __future__ import annotations

from xueji.v1 import accounts_pb2, accounts_pb2_grpc
from xueji_accounts.domain.model import User, UserState
from xueji_accounts.entrypoints.jwks_http import jwks_document
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_accounts.service_layer import admin, signin
from xueji_common import fieldmask
from xueji_common.auth import Role
from xueji_common.db.engine import now
from xueji_common.grpcserver.convert import timestamp
from xueji_common.grpcserver.guard import caller
from xueji_common.grpcserver.server import GrpcBinding
from xueji_common.paging import Page

PUBLIC = frozenset(
    f"/xueji.v1.Accounts/{m}"
    for m in ("SignIn", "Refresh", "SignOut", "ChangePassword", "GetSigningKeys", "IssueServiceToken")
)
_UPDATE_PATHS = {
    "display_name": "display_name",
    "role": "role",
    "org_unit_code": "org_unit",
}  # mask → use case
_STATES = {
    UserState.ACTIVE: accounts_pb2.USER_STATE_ACTIVE,
    UserState.LOCKED: accounts_pb2.USER_STATE_LOCKED,
    UserState.DISABLED: accounts_pb2.USER_STATE_DISABLED,
}


def user_pb(user: User, tree) -> accounts_pb2.User:
    at = now()
    state = UserState.LOCKED if user.locked_at(at) else user.state
    message = accounts_pb2.User(
        login_name=user.login_name,
        display_name=user.display_name,
        role=user.role.proto,
        org_unit_code=user.org_unit,
        org_unit_name=tree.get(user.org_unit).name if user.org_unit in tree else "",
        state=_STATES[state],
        must_change_password=user.must_change_password,
    )
    for name, value in (
        ("last_sign_in_time", user.last_sign_in),
        ("create_time", user.created_at),
        ("locked_until", user.locked_until if user.locked_at(at) else None),
    ):
        if value is not None:
            getattr(message, name).CopyFrom(timestamp(value))
    return message


def _source(context) -> str:
    """The caller's address (the peer; a proxy's X-Forwarded-For when one is in front)."""
    forwarded = dict(context.invocation_metadata()).get("x-forwarded-for", "")
    return forwarded.split(",")[0].strip() or context.peer()


class AccountsServicer(accounts_pb2_grpc.AccountsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    @property
    def _acc(self):
        return accounts_of(self._rt)

    def _pair(self, tokens: signin.Tokens) -> accounts_pb2.TokenPair:
        return accounts_pb2.TokenPair(
            access_token=tokens.access_token,
            expires_in_seconds=tokens.expires_in,
            refresh_token=tokens.refresh_token,
            refresh_expires_in_seconds=tokens.refresh_expires_in,
            user=user_pb(tokens.user, self._rt.tree),
        )

    def SignIn(self, request, context):
        return self._pair(signin.sign_in(self._acc, request.login_name, request.password, _source(context)))

    def Refresh(self, request, context):
        return self._pair(signin.refresh(self._acc, request.refresh_token))

    def SignOut(self, request, context):
        signin.sign_out(self._acc, request.refresh_token)
        return accounts_pb2.SignOutResponse()

    def ChangePassword(self, request, context):
        signin.change_password(
            self._acc, request.login_name, request.current_password, request.new_password, _source(context)
        )
        return accounts_pb2.ChangePasswordResponse()

    def WhoAmI(self, request, context):
        principal = caller()
        with self._acc.uow() as uow:
            user = uow.repo.user(principal.user_id)
        if user is None:  # a service identity, or a development token
            return accounts_pb2.User(
                login_name=principal.user_id,
                role=principal.role.proto,
                org_unit_code=principal.org_unit,
                state=accounts_pb2.USER_STATE_ACTIVE,
                org_unit_name=self._rt.tree.get(principal.org_unit).name
                if principal.org_unit in self._rt.tree
                else "",
            )
        return user_pb(user, self._rt.tree)

    def GetSigningKeys(self, request, context):
        return accounts_pb2.GetSigningKeysResponse(
            issuer=self._rt.settings.token_issuer, jwks_json=jwks_document(self._rt).decode()
        )

    def IssueServiceToken(self, request, context):
        token, ttl = signin.service_token(self._acc, request.client_id, request.client_secret)
        return accounts_pb2.IssueServiceTokenResponse(access_token=token, expires_in_seconds=ttl)

    # -- administration -------------------------------------------------------------------------
    def CreateUser(self, request, context):
        principal = caller()
        user, password = admin.create_user(
            self._acc,
            principal,
            request.login_name,
            request.display_name,
            Role.from_proto(request.role),
            request.org_unit_code.strip(),
        )
        return accounts_pb2.UserWithPassword(user=user_pb(user, self._rt.tree), temporary_password=password)

    def UpdateUser(self, request, context):
        principal = caller()
        given = {
            "display_name": request.display_name,
            "role": Role.from_proto(request.role),
            "org_unit": request.org_unit_code,
        }
        chosen = fieldmask.paths(request.update_mask, _UPDATE_PATHS)
        changes = {_UPDATE_PATHS[path]: given[_UPDATE_PATHS[path]] for path in chosen}
        return user_pb(admin.update_user(self._acc, principal, request.login_name, changes), self._rt.tree)

    def ResetPassword(self, request, context):
        user, password = admin.reset_password(self._acc, caller(), request.login_name)
        return accounts_pb2.UserWithPassword(user=user_pb(user, self._rt.tree), temporary_password=password)

    def _state(self, request, action: str):
        return user_pb(admin.set_state(self._acc, caller(), request.login_name, action), self._rt.tree)

    def LockUser(self, request, context):
        return self._state(request, "lock")

    def UnlockUser(self, request, context):
        return self._state(request, "unlock")

    def DisableUser(self, request, context):
        return self._state(request, "disable")

    def ListUsers(self, request, context):
        principal = caller()
        page = Page.of(request)
        state = next((s for s, n in _STATES.items() if n == request.state), None)
        users, total = admin.list_users(
            self._acc,
            principal,
            request.org_unit_code,
            Role.from_proto(request.role),
            state,
            request.login_name_contains,
            page,
        )
        return accounts_pb2.ListUsersResponse(
            users=[user_pb(u, self._rt.tree) for u in users],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def ListSignInAttempts(self, request, context):
        page = Page.of(request)
        rows, total = admin.list_attempts(self._acc, caller(), request.login_name, page)
        return accounts_pb2.ListSignInAttemptsResponse(
            attempts=[
                accounts_pb2.SignInAttempt(
                    time=timestamp(r["at"]),
                    login_name=r["login_name"],
                    source_address=r["source_address"],
                    outcome=r["outcome"],
                )
                for r in rows
            ],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def ListAccountChanges(self, request, context):
        page = Page.of(request)
        rows, total = admin.list_changes(self._acc, caller(), request.login_name, page)
        return accounts_pb2.ListAccountChangesResponse(
            changes=[
                accounts_pb2.AccountChange(
                    time=timestamp(r["at"]),
                    actor=r["actor"],
                    login_name=r["login_name"],
                    action=r["action"],
                    detail=r["detail"],
                )
                for r in rows
            ],
            next_page_token=page.next_token(total),
            total_size=total,
        )


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding(
            "xueji.v1.Accounts", accounts_pb2_grpc.add_AccountsServicer_to_server, AccountsServicer(runtime)
        )
    ]
