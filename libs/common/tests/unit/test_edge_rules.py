"""The edge's rules without a server: token claim shapes, the request walk (page tokens: test_paging)."""

from __future__ import annotations

import pytest

from xueji.v1 import common_pb2, dedup_pb2, registration_pb2
from xueji_common.auth import Principal, Role
from xueji_common.grpcserver.claims import claims_problem
from xueji_common.grpcserver.validation import violations
from xueji_common.orgunits import load_default_tree

TREE = load_default_tree()


@pytest.mark.parametrize(
    "role,org,ok",
    [
        (Role.SCHOOL_REGISTRAR, "1330102001", True),
        (Role.SCHOOL_LEADER, "1330102001", True),
        (Role.DEPARTMENT_REGISTRAR, "330102", True),
        (Role.DEPARTMENT_REGISTRAR, "330000", True),
        (Role.DEPARTMENT_REGISTRAR, "000000", True),
        (Role.SYSTEM, "000000", True),
        (Role.SCHOOL_REGISTRAR, "", False),
        (Role.SCHOOL_REGISTRAR, None, False),
        (Role.SCHOOL_REGISTRAR, ["1330102001"], False),
        (Role.SCHOOL_REGISTRAR, "330102", False),
        (Role.SCHOOL_LEADER, "330102", False),
        (Role.SCHOOL_LEADER, "1339999999", False),
        (Role.DEPARTMENT_REGISTRAR, "1330102001", False),
        (Role.SYSTEM, "330000", True),
        (Role.SYSTEM, "330100", False),
        (Role.SYSTEM, "", False),
        (Role.USER_ADMIN, "330102", True),
        (Role.USER_ADMIN, "1330102001", False),
    ],
)
def test_the_org_must_be_a_unit_of_the_level_the_role_acts_at(role, org, ok):
    assert (claims_problem(Principal("u", role, org), TREE) is None) is ok


def test_the_subject_must_be_a_non_empty_string():
    assert claims_problem(Principal("", Role.SYSTEM, "000000"), TREE) is not None
    assert claims_problem(Principal(None, Role.SYSTEM, "000000"), TREE) is not None


def test_the_walk_names_every_bad_field_with_its_path():
    request = dedup_pb2.ListProblemGroupsRequest(
        name="张" * 1001, kinds=[1, 999], page_size=-1, page_token="bzp4"
    )
    assert sorted(v.field for v in violations(request)) == ["kinds[1]", "name", "page_size", "page_token"]


def test_nested_dates_and_timestamps_are_checked():
    request = registration_pb2.CreateApplicationRequest(
        student=registration_pb2.StudentRecordForm(birth_date=common_pb2.Date(year=2015, month=2, day=30))
    )
    assert [v.field for v in violations(request)] == ["student.birth_date"]
    request.student.birth_date.day = 28
    assert violations(request) == []


def test_a_repeated_field_is_bounded_in_items():
    from xueji.v1 import review_pb2
    from xueji_common.grpcserver.validation import MAX_ITEMS

    request = review_pb2.ApproveAllRequest(school_codes=["1330102001"] * (MAX_ITEMS + 1))
    assert [v.field for v in violations(request)] == ["school_codes"]
    del request.school_codes[MAX_ITEMS:]
    assert violations(request) == []
