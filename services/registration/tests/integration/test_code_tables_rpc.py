"""Registrations.ListCodeTables over a real socket: any signed-in caller reads the form's code tables,
paged; a caller without a token is refused."""

from __future__ import annotations

import grpc
import pytest
from registration_harness import _system, harness  # noqa: F401 (fixtures)

from xueji.v1 import registration_pb2
from xueji_common.auth import Role


@pytest.mark.parametrize(
    ("role", "org"),
    [
        (Role.SCHOOL_REGISTRAR, "1330102001"),
        (Role.SCHOOL_LEADER, "1330102001"),
        (Role.DEPARTMENT_REGISTRAR, "330102"),
    ],
)
def test_any_signed_in_caller_reads_the_code_tables(harness, role, org):
    response = harness.call("ListCodeTables", registration_pb2.ListCodeTablesRequest(), role=role, org=org)
    tables = {t.name: t for t in response.code_tables}
    assert response.total_size == len(tables) and not response.next_page_token
    ethnicity = tables["codeTables/ethnicity"]
    assert ethnicity.title == "民族" and "family_members.ethnicity_code" in ethnicity.fields
    assert (ethnicity.entries[0].value, ethnicity.entries[0].display_name) == ("01", "汉族")
    health = tables["codeTables/health-status"]
    assert health.entries[0].value == "HEALTH_STATUS_HEALTHY"


def test_pages_follow_each_other_and_a_foreign_token_is_refused(harness):
    first = harness.call("ListCodeTables", registration_pb2.ListCodeTablesRequest(page_size=10))
    assert len(first.code_tables) == 10 and first.next_page_token
    second = harness.call(
        "ListCodeTables",
        registration_pb2.ListCodeTablesRequest(page_size=10, page_token=first.next_page_token),
    )
    names = [t.name for t in (*first.code_tables, *second.code_tables)]
    assert len(names) == len(set(names)) == first.total_size
    with pytest.raises(grpc.RpcError) as refused:
        harness.call("ListCodeTables", registration_pb2.ListCodeTablesRequest(page_token="x" * 20))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_without_a_token_nothing_is_served(harness):
    with pytest.raises(grpc.RpcError) as refused:
        harness.stub.ListCodeTables(registration_pb2.ListCodeTablesRequest(), timeout=10)
    assert refused.value.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
