"""update_mask (AIP-134): required, "*" for every updatable field, unknown paths refused by name."""

from __future__ import annotations

import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from xueji_common import fieldmask
from xueji_common.errors import InvalidArgument

UPDATABLE = ("display_name", "role", "org_unit_code")


def refused(paths: list[str], **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(InvalidArgument) as error:
        fieldmask.paths(FieldMask(paths=paths), UPDATABLE, **kwargs)
    return [(v.field, v.description) for v in error.value.violations]


def test_the_named_paths_are_returned_in_order_once():
    assert fieldmask.paths(FieldMask(paths=["role", "display_name", "role"]), UPDATABLE) == [
        "role",
        "display_name",
    ]


def test_a_star_names_every_updatable_field_or_the_given_full_set():
    assert fieldmask.paths(FieldMask(paths=["*"]), UPDATABLE) == list(UPDATABLE)
    assert fieldmask.paths(FieldMask(paths=["*"]), ("a", "a.b"), full=("a",)) == ["a"]


def test_a_prefix_naming_the_resource_is_accepted():
    assert fieldmask.paths(FieldMask(paths=["info.role", "role"]), UPDATABLE, prefix="info.") == ["role"]


def test_an_empty_mask_is_refused_naming_update_mask():
    [(field, reason)] = refused([])
    assert field == "update_mask" and "要修改的字段" in reason


def test_unknown_paths_are_each_refused_naming_update_mask():
    problems = refused(["role", "password_hash", "login_name"])
    assert [f for f, _ in problems] == ["update_mask", "update_mask"]
    assert "password_hash" in problems[0][1] and "login_name" in problems[1][1]


def test_a_star_with_other_paths_is_refused():
    assert [f for f, _ in refused(["*", "role"])] == ["update_mask"]
