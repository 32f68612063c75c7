"""Authorization: the one check every use case makes (docs/ARCHITECTURE.md#authorization).

The pattern, in every service: the entrypoint only hands over the authenticated caller
(`grpcserver.guard.caller()`); the use case in `service_layer/` calls `authorize(principal, ROLES,
tree=..., unit=...)` with the roles it allows and the org unit it acts on, before it reads or writes
anything. Refusals are PERMISSION_DENIED with Chinese text; a missing caller is refused (fails closed).
No framework imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from xueji_common.auth import MINISTRY, Principal, Role
from xueji_common.errors import PermissionDenied

if TYPE_CHECKING:
    from xueji_common.orgunits import OrgTree


def authorize(
    principal: Principal | None,
    roles: Iterable[Role] = (),
    *,
    tree: OrgTree | None = None,
    unit: str | None = None,
    refusal: str = "",
    out_of_area: str = "",
) -> Principal:
    """The caller, when their role is one of `roles` (any role when empty) and, with `unit`, their
    jurisdiction covers it (`require_jurisdiction`). `refusal` / `out_of_area` replace the default
    wording of a role / area refusal where the manual words it for this action."""
    principal = require_role(principal, roles, refusal)
    if unit is not None:
        if tree is None:
            raise TypeError("authorize: a unit is checked against the org tree, and none was given")
        require_jurisdiction(tree, principal, unit, out_of_area)
    return principal


def require_role(principal: Principal | None, roles: Iterable[Role] = (), refusal: str = "") -> Principal:
    if principal is None:
        raise PermissionDenied("需要登录后操作")
    roles = tuple(roles)
    if roles and principal.role not in roles:
        allowed = "、".join(r.label_zh for r in roles)
        raise PermissionDenied(
            refusal or f"当前角色（{principal.role.label_zh}）无权执行此操作，需要：{allowed}"
        )
    return principal


def require_jurisdiction(tree: OrgTree, principal: Principal, unit_code: str, out_of_area: str = "") -> None:
    """A caller acts on its own unit and the units below it; the system role of the nation on every
    unit, a province's system role (its services' identity) on that province only."""
    if principal.role == Role.SYSTEM and principal.org_unit == MINISTRY:
        return
    if not tree.may_act_on(principal.org_unit, unit_code):
        raise PermissionDenied(out_of_area or f"无权访问单位 {unit_code} 的数据（超出本单位管辖范围）")
