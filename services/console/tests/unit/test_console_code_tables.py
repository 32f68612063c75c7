"""The record forms' drop-downs from Registrations.ListCodeTables: entries read as the template's
lists show them, every field of a table gets its options, the copy is kept for its TTL (and kept
when a refresh fails), and code-table inputs become drop-downs only with the tables."""

from __future__ import annotations

import pytest

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji_console import student_form
from xueji_console.backend import Failure
from xueji_console.code_tables import CodeTables, entry_text, options_by_field

TABLES = [
    r.CodeTable(
        name="codeTables/ethnicity",
        title="民族",
        fields=["ethnicity_code", "family_members.ethnicity_code"],
        entries=[r.CodeTableEntry(value="01", code="01", display_name="汉族")],
    ),
    r.CodeTable(
        name="codeTables/health-status",
        title="健康状况",
        fields=["health_status"],
        entries=[r.CodeTableEntry(value="HEALTH_STATUS_HEALTHY", code="10", display_name="健康或良好")],
    ),
    r.CodeTable(
        name="codeTables/document-type",
        title="身份证件类型",
        fields=["document.type", "family_members.document.type"],
        entries=[
            r.CodeTableEntry(value="DOCUMENT_TYPE_RESIDENT_ID", code="1", display_name="居民身份证"),
            r.CodeTableEntry(value="DOCUMENT_TYPE_PASSPORT", code="A", display_name="护照"),
        ],
    ),
    r.CodeTable(
        name="codeTables/relationship",
        title="关系",
        fields=["family_members.relationship_code"],
        entries=[r.CodeTableEntry(value="51", code="51", display_name="父亲")],
    ),
]


class FakeRegistrations:
    """ListCodeTables answering two pages, or failing."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False

    def ListCodeTables(self, request, metadata, timeout):
        self.calls += 1
        if self.failing:
            raise Failure(500, "系统繁忙")
        if not request.page_token:
            return r.ListCodeTablesResponse(code_tables=TABLES[:2], next_page_token="p2", total_size=4)
        return r.ListCodeTablesResponse(code_tables=TABLES[2:], total_size=4)


def test_entries_read_as_the_template_lists_show_them():
    assert entry_text(TABLES[0].entries[0]) == "01 汉族"
    assert entry_text(TABLES[1].entries[0]) == "健康或良好"
    assert entry_text(r.CodeTableEntry(value="ZWE", code="ZWE")) == "ZWE"


def test_every_field_of_a_table_gets_its_options():
    options = options_by_field(TABLES)
    assert options["ethnicity_code"] == options["family_members.ethnicity_code"] == (("01", "01 汉族"),)


def test_the_tables_are_fetched_page_by_page_once_per_ttl():
    now = [0.0]
    registrations, tables = FakeRegistrations(), CodeTables(ttl=300, clock=lambda: now[0])
    first = tables.options(registrations, "token")
    assert registrations.calls == 2 and "family_members.relationship_code" in first
    now[0] = 299
    assert tables.options(registrations, "token") is first and registrations.calls == 2
    now[0] = 301
    tables.options(registrations, "token")
    assert registrations.calls == 4


def test_a_failed_refresh_keeps_the_copy_and_a_first_failure_is_the_pages():
    now = [0.0]
    registrations, tables = FakeRegistrations(), CodeTables(ttl=300, clock=lambda: now[0])
    first = tables.options(registrations, "token")
    registrations.failing, now[0] = True, 400
    assert tables.options(registrations, "token") == first
    with pytest.raises(Failure):
        CodeTables().options(registrations, "token")


def _inputs(tables):
    return {
        i.path: i for _, inputs in student_form.sections(c.DOCUMENT_CATEGORY_RESIDENT, tables) for i in inputs
    }


def test_code_fields_are_drop_downs_of_the_tables():
    inputs = _inputs(options_by_field(TABLES))
    assert inputs["student.ethnicity_code"].kind == "select"
    assert inputs["student.ethnicity_code"].options == (("01", "01 汉族"),)
    assert inputs["student.family_members[1].relationship_code"].options == (("51", "51 父亲"),)
    # The student's document types are those of the entry's category, named as the table names them.
    assert inputs["student.document.type"].options == (("DOCUMENT_TYPE_RESIDENT_ID", "居民身份证"),)
    assert len(inputs["student.family_members[0].document.type"].options) == 2


def test_without_tables_code_fields_are_read_as_text():
    inputs = _inputs(None)
    assert inputs["student.ethnicity_code"].kind == "text"
    assert inputs["student.gender"].kind == "select"  # its own two values
