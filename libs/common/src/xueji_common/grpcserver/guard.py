"""What a servicer hands its use case: the authenticated caller. The checks themselves are made by
the use case (xueji_common.authz, docs/ARCHITECTURE.md#authorization)."""

from __future__ import annotations

from xueji_common import authz
from xueji_common.auth import Principal, Role
from xueji_common.authz import require_jurisdiction  # noqa: F401 (moved to xueji_common.authz)
from xueji_common.errors import PermissionDenied
from xueji_common.grpcserver.context import current_principal


def caller() -> Principal:
    """The authenticated caller of this RPC; PERMISSION_DENIED when there is none."""
    principal = current_principal()
    if principal is None:
        raise PermissionDenied("需要登录后操作")
    return principal


def require_role(*roles: Role) -> Principal:
    """Kept for callers not yet moved: use cases check roles with xueji_common.authz.authorize."""
    return authz.require_role(current_principal(), roles)
