"""Authorization: one check (xueji_common.authz.authorize) that use cases make; entrypoints make none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.errors import PermissionDenied
from xueji_common.orgunits import load_default_tree

ROOT = Path(__file__).resolve().parents[4]
SCHOOL = "1330102001"
REGISTRAR = Principal("r1", Role.SCHOOL_REGISTRAR, SCHOOL)


def test_a_caller_of_an_allowed_role_within_its_area_is_returned():
    assert authorize(REGISTRAR, (Role.SCHOOL_REGISTRAR,), tree=load_default_tree(), unit=SCHOOL) is REGISTRAR


def test_no_caller_is_refused_whatever_the_roles():
    with pytest.raises(PermissionDenied, match="需要登录后操作"):
        authorize(None)


def test_a_role_not_allowed_is_refused_naming_the_roles_that_are():
    leader = Principal("l1", Role.SCHOOL_LEADER, SCHOOL)
    with pytest.raises(PermissionDenied, match="学校学籍管理员"):
        authorize(leader, (Role.SCHOOL_REGISTRAR,))
    with pytest.raises(PermissionDenied, match=r"^只有学校学籍管理员可以上报$"):
        authorize(leader, (Role.SCHOOL_REGISTRAR,), refusal="只有学校学籍管理员可以上报")


def test_a_unit_outside_the_callers_area_is_refused():
    tree = load_default_tree()
    with pytest.raises(PermissionDenied, match="超出本单位管辖范围"):
        authorize(REGISTRAR, (Role.SCHOOL_REGISTRAR,), tree=tree, unit="1320102001")
    with pytest.raises(PermissionDenied, match=r"^elsewhere$"):
        authorize(REGISTRAR, tree=tree, unit="no-such-unit", out_of_area="elsewhere")


def test_the_nations_system_role_acts_on_every_unit_a_provinces_on_its_own():
    tree = load_default_tree()
    authorize(Principal("service:nq", Role.SYSTEM, "000000"), (Role.SYSTEM,), tree=tree, unit="1320102001")
    with pytest.raises(PermissionDenied):
        authorize(
            Principal("service:zj", Role.SYSTEM, "330000"), (Role.SYSTEM,), tree=tree, unit="1320102001"
        )


CHECKS_IN_ENTRYPOINTS = re.compile(
    r"\b(require_role|require_jurisdiction|authorize|may_act_on)\b|raise PermissionDenied"
)


def test_entrypoints_leave_authorization_to_the_service_layer():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(ROOT.glob("services/*/src/*/entrypoints/*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CHECKS_IN_ENTRYPOINTS.search(line)
    ]
    assert offenders == []
