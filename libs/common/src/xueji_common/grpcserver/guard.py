"""Authorization checks servicers make: the caller's role, and jurisdiction over an org unit."""
from __future__ import annotations

from xueji_common.auth import MINISTRY, Principal, Role
from xueji_common.errors import PermissionDenied
from xueji_common.grpcserver.context import current_principal


def require_role(*roles: Role) -> Principal:
    """The caller, when their role is one of `roles`; PERMISSION_DENIED otherwise."""
    principal = current_principal()
    if principal is None:
        raise PermissionDenied("需要登录后操作")
    if roles and principal.role not in roles:
        allowed = "、".join(r.label_zh for r in roles)
        raise PermissionDenied(f"当前角色（{principal.role.label_zh}）无权执行此操作，需要：{allowed}")
    return principal


def require_jurisdiction(tree, principal: Principal, unit_code: str) -> None:
    """A caller acts on its own unit and the units below it; the system role of the nation on every
    unit, a province's system role (its services' identity) on that province only."""
    if principal.role == Role.SYSTEM and principal.org_unit == MINISTRY:
        return
    if not tree.may_act_on(principal.org_unit, unit_code):
        raise PermissionDenied(f"无权访问单位 {unit_code} 的数据（超出本单位管辖范围）")
