"""Jurisdiction of service identities: the nation's on every unit, a province's on its own only."""

import pytest

from xueji_common.auth import Principal, Role
from xueji_common.errors import PermissionDenied
from xueji_common.grpcserver.guard import require_jurisdiction
from xueji_common.orgunits import load_default_tree


def test_a_provinces_service_token_cannot_act_for_another_provinces_data():
    tree = load_default_tree()
    zj_service = Principal("service:registration-zj", Role.SYSTEM, "330000")
    require_jurisdiction(tree, zj_service, "1330102001")
    for unit in ("1320102001", "320000", "000000"):
        with pytest.raises(PermissionDenied):
            require_jurisdiction(tree, zj_service, unit)
    require_jurisdiction(tree, Principal("service:national-query", Role.SYSTEM, "000000"), "1320102001")
