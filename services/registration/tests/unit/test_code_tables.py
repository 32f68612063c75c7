"""The code tables served to forms (Registrations.ListCodeTables) are the import template's drop-down
lists: the same values, accepted by the same cells, and their protobuf and paging mapping."""

from __future__ import annotations

import pytest

from xueji.v1 import registration_pb2
from xueji_common.auth import Principal, Role
from xueji_common.errors import InvalidArgument, PermissionDenied
from xueji_common.grpcserver.context import reset_principal, set_principal
from xueji_registration.domain import codes
from xueji_registration.domain.template import cells
from xueji_registration.domain.template.code_tables import CODE_TABLES
from xueji_registration.domain.template.columns import STUDENT_COLUMNS, Kind
from xueji_registration.domain.template.labels import YES_NO
from xueji_registration.entrypoints.grpc_code_tables import CodeTableMethods, code_table_pb

BY_ID = {t.id: t for t in CODE_TABLES}


def _field(column) -> str:
    return column.field.replace("[0]", "").replace("[1]", "")


def test_every_coded_column_of_the_template_takes_exactly_one_table():
    coded = {
        _field(c) for c in STUDENT_COLUMNS if c.kind in (Kind.CODE, Kind.CHOICE) and c.options is not YES_NO
    }
    served = [f for t in CODE_TABLES for f in t.fields]
    assert sorted(served) == sorted(coded)
    assert {"ethnicity_code", "family_members.ethnicity_code"} <= set(BY_ID["ethnicity"].fields)
    assert BY_ID["relationship"].fields == ("family_members.relationship_code",)


def test_every_entry_is_a_value_the_template_cell_accepts():
    columns = {_field(c): c for c in STUDENT_COLUMNS}
    for table in CODE_TABLES:
        column = columns[table.fields[0]]
        for entry in table.entries:
            assert cells.parse(column, entry.code) == entry.value, (table.id, entry)
            if entry.name:
                assert cells.parse(column, entry.name) == entry.value, (table.id, entry)


def test_tables_keep_the_template_order_and_names():
    assert BY_ID["ethnicity"].title == "民族"
    first = BY_ID["ethnicity"].entries[0]
    assert (first.value, first.code, first.name) == ("01", "01", "汉族")
    assert [e.name for e in BY_ID["health-status"].entries][:2] == ["健康或良好", "一般或较弱"]
    assert BY_ID["health-status"].entries[0].code == "10"


def test_nationality_offers_every_iso_code_the_template_accepts_named_ones_first():
    entries = BY_ID["nationality"].entries
    assert entries[0].value == "CHN" and entries[0].name == "中国"
    assert {e.value for e in entries} == codes.NATIONALITY
    unnamed = [e for e in entries if not e.name]
    assert unnamed and entries.index(unnamed[0]) > max(entries.index(e) for e in entries if e.name)


def test_a_table_maps_to_its_resource_name_fields_and_entries():
    message = code_table_pb(BY_ID["health-status"])
    assert message.name == "codeTables/health-status"
    assert message.title == "健康状况"
    assert list(message.fields) == ["health_status"]
    assert (message.entries[0].value, message.entries[0].code, message.entries[0].display_name) == (
        "HEALTH_STATUS_HEALTHY",
        "10",
        "健康或良好",
    )


@pytest.fixture
def signed_in():
    token = set_principal(Principal("u1", Role.SCHOOL_LEADER, "1330102001"))
    yield
    reset_principal(token)


def test_list_pages_through_every_table(signed_in):
    servicer, seen, token = CodeTableMethods(), [], ""
    while True:
        response = servicer.ListCodeTables(
            registration_pb2.ListCodeTablesRequest(page_size=5, page_token=token), None
        )
        assert response.total_size == len(CODE_TABLES)
        seen += [t.name for t in response.code_tables]
        token = response.next_page_token
        if not token:
            break
    assert seen == [f"codeTables/{t.id}" for t in CODE_TABLES]
    everything = servicer.ListCodeTables(registration_pb2.ListCodeTablesRequest(), None)
    assert len(everything.code_tables) == len(CODE_TABLES) and not everything.next_page_token


def test_a_token_of_another_request_is_refused(signed_in):
    with pytest.raises(InvalidArgument):
        CodeTableMethods().ListCodeTables(registration_pb2.ListCodeTablesRequest(page_token="garbled"), None)


def test_no_caller_no_tables():
    with pytest.raises(PermissionDenied):
        CodeTableMethods().ListCodeTables(registration_pb2.ListCodeTablesRequest(), None)
