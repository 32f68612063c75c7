"""A list is always bounded by a unit: an empty org never means "every school" (issue 13 §3)."""

from __future__ import annotations

import pytest

from xueji_common.auth import Principal, Role
from xueji_common.errors import InvalidArgument
from xueji_common.orgunits import load_default_tree
from xueji_registration.service_layer.access import area

TREE = load_default_tree()


@pytest.mark.parametrize("role", [Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM])
def test_a_caller_without_an_org_gets_no_unbounded_list(role):
    with pytest.raises(InvalidArgument):
        area(Principal("u", role, ""), TREE, "")


def test_the_caller_s_own_unit_bounds_the_list_by_default():
    assert area(Principal("u", Role.SCHOOL_REGISTRAR, "1330102001"), TREE, "") == (
        "school_code",
        "1330102001",
    )
    assert area(Principal("u", Role.DEPARTMENT_REGISTRAR, "330102"), TREE, "") == ("county_code", "330102")


def test_only_the_root_s_level_is_the_whole_nation():
    assert area(Principal("u", Role.SYSTEM, "000000"), TREE, "") == ("", "")
    assert area(Principal("u", Role.SYSTEM, "000000"), TREE, "330000") == ("province_code", "330000")
