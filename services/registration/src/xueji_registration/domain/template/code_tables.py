"""The code tables of the student record form as forms offer them (Registrations.ListCodeTables).

Derived from the registration template's columns, so a form's drop-down offers exactly what the
import template's drop-down list offers and its cells accept (docs/DOMAIN.md#code-tables): one
table per list of `labels`, with every form field that takes it. Yes/no columns are booleans of the
form, not code tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xueji_registration.domain import codes
from xueji_registration.domain.template import labels
from xueji_registration.domain.template.columns import STUDENT_COLUMNS, Column, Kind


@dataclass(frozen=True)
class Entry:
    value: str  # what the form stores: the code ("01") or the enum name ("HEALTH_STATUS_HEALTHY")
    code: str  # the national code: "01"; "10" for HEALTH_STATUS_HEALTHY
    name: str  # 汉族; "" for a code accepted without a name (国籍/地区 beyond the frequent ones)


@dataclass(frozen=True)
class CodeTable:
    id: str  # "ethnicity", "health-status", "document-type"
    title: str  # the column's header without the family member's prefix: 民族
    fields: tuple[str, ...]  # form field paths, family members' as "family_members.ethnicity_code"
    entries: tuple[Entry, ...]


_MEMBER = re.compile(r"^family_members\[\d+\]\.")


def _field(column: Column) -> str:
    return _MEMBER.sub("family_members.", column.field)


def _table_id(field: str) -> str:
    return field.removeprefix("family_members.").removesuffix("_code").replace(".", "-").replace("_", "-")


def _entries(column: Column) -> tuple[Entry, ...]:
    named = tuple(
        Entry(str(value), str(value) if column.kind is Kind.CODE else labels.CHOICE_CODES[value], name)
        for value, name in column.options
    )
    if column.field == "nationality_code":  # every ISO 3166-1 code is accepted, named or not (cells)
        offered = {e.value for e in named}
        named += tuple(Entry(code, code, "") for code in sorted(codes.NATIONALITY - offered))
    return named


def _tables() -> tuple[CodeTable, ...]:
    by_options: dict[int, list[Column]] = {}
    for column in STUDENT_COLUMNS:
        if column.kind in (Kind.CODE, Kind.CHOICE) and column.options is not labels.YES_NO:
            by_options.setdefault(id(column.options), []).append(column)
    tables = []
    for columns in by_options.values():
        first = columns[0]
        fields = tuple(dict.fromkeys(_field(c) for c in columns))
        title = re.sub(r"^家庭成员\d", "", first.header)
        tables.append(CodeTable(_table_id(fields[0]), title, fields, _entries(first)))
    return tuple(tables)


CODE_TABLES: tuple[CodeTable, ...] = _tables()
