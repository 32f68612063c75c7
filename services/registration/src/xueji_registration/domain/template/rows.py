"""One data row of a template → the form and identity it holds, or every reason it is refused.

Pure: the checks that need the database (duplicates against stored applications or transfers) are
the service layer's. Every problem is tied to its column so that the failed-rows workbook can put
the reason on the cell. The rules of the form are `domain.form.check_form`, the ones manual entry
uses, run here once: a registration row that passes carries the checked form to store
(`ParsedRow.stored_form`), and the import stores it without checking it again.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from xueji_common.documents import DocumentError, DocumentType, Gender, ValidDocument, validate_document
from xueji_registration.domain.form import check_form, without_identity
from xueji_registration.domain.identity import Identity, identity_problems
from xueji_registration.domain.template import cells, labels
from xueji_registration.domain.template.columns import Column, Template


@dataclass(frozen=True)
class RowError:
    column: str  # header as printed ("身份证件号"), "" for the whole row
    field: str  # request field path ("student.document.number"), "" if none
    message: str  # Chinese, no personal data


@dataclass
class ParsedRow:
    row_number: int  # 1-based, as Excel shows it (the header is row 1)
    values: list[object]  # the cells as read
    form: dict[str, Any] = field(default_factory=dict)
    identity: Identity | None = None
    errors: list[RowError] = field(default_factory=list)
    stored_form: dict[str, Any] | None = (
        None  # the checked form to store, once every rule passed (registration)
    )

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, message: str, column: str = "", field_: str = "") -> None:
        self.errors.append(RowError(column, field_, message))

    def cell_texts(self, width: int) -> list[str]:
        texts = [cells.cell_text(v) for v in self.values[:width]]
        return texts + [""] * (width - len(texts))


def _put(form: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    if len(path) == 3 and path[0] == "familyMembers":  # the common nested case, spelled out
        members = form.get("familyMembers")
        if members is None:
            members = form["familyMembers"] = []
        index = int(path[1])
        while len(members) <= index:
            members.append({})
        members[index][path[2]] = value
        return
    node: Any = form  # dicts and lists of the protobuf JSON
    for key, following in itertools.pairwise(path):
        if isinstance(key, int):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(key, [] if isinstance(following, int) else {})
    node[path[-1]] = value


class RowParser:
    """Parses the rows of one template; built once per import (column lookups and cell parsers
    compiled once, so that a row costs one call per cell)."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.columns = template.columns
        self._by_field = {f"student.{c.field}": c.header for c in self.columns}
        self._identity = {
            c.field: i
            for i, c in enumerate(self.columns)
            if c.field in ("name", "gender", "birth_date", "document.type", "document.number")
        }
        # (column, its parser, top-level key or None for a nested path (family members, document))
        self._cells = [
            (c, cells.compiled(c), str(c.path[0]) if len(c.path) == 1 else None) for c in self.columns
        ]

    def column_of(self, field_path: str) -> str:
        return self._by_field.get(field_path, "")

    def parse(self, row_number: int, values: list[object], *, check_form_rules: bool = True) -> ParsedRow:
        """`check_form_rules=False`: cells and identity only (the form rules still run for a row that
        already failed, to report all its problems at once); such a row carries no stored_form."""
        row = ParsedRow(row_number, values)
        form = row.form
        failed: set[str] = set()
        if len(values) < len(self._cells):
            values = [*values, *[None] * (len(self._cells) - len(values))]
        for (column, parse, key), raw in zip(self._cells, values):
            if raw == "" or raw is None:
                continue
            try:
                value = parse(raw)
            except cells.CellError as exc:
                row.fail(exc.message, column.header, f"student.{column.field}")
                failed.add(column.field)
                continue
            if value is None:
                continue
            if key is not None:
                form[key] = value
            else:
                _put(form, column.path, value)
        self._identity_of(row, failed)
        category = self.template.category  # every registration template has one
        if self.template.purpose == "registration" and category and (row.errors or check_form_rules):
            stored, kept = stored_form(row.form)
            birth_date = row.identity.birth_date if row.identity else None
            for v in check_form(stored, category=category, birth_date=birth_date):
                field_path = _renumber(v.field, kept)
                if field_path.removeprefix("student.") not in failed:
                    row.fail(v.description, self.column_of(field_path), field_path)
            if row.ok:
                row.stored_form = stored
        return row

    def _identity_of(self, row: ParsedRow, failed: set[str]) -> None:
        """Checks the five identity fields; fills gender and birth date derived from a resident ID."""
        form = row.form
        doc_type_name = (form.get("document") or {}).get("type")
        document = document_of(doc_type_name, (form.get("document") or {}).get("number", ""))
        wanted = self.template.category
        if wanted is not None and not isinstance(document, DocumentError) and document.category is not wanted:
            row.fail(
                f"{self.template.title}只能填写{wanted.label_zh}学生，该行的身份证件类型属于"
                f"“{document.category.label_zh}”",
                "身份证件类型",
                "student.document.type",
            )
            return
        gender = GENDERS.get(form.get("gender") or "")
        born = form.get("birthDate")
        birth_date = dt.date(born["year"], born["month"], born["day"]) if born else None
        problems = identity_problems(form.get("name", ""), gender, birth_date, document)
        for v in problems:
            if v.field.removeprefix("student.") not in failed:
                row.fail(v.description, self.column_of(v.field), v.field)
        if problems or isinstance(document, DocumentError):
            return
        sex, born_on = gender or document.gender, birth_date or document.birth_date
        if sex is None or born_on is None:  # identity_problems reports a missing one
            return
        identity = Identity(form["name"].strip(), sex, born_on, document)
        row.identity = identity
        form["name"] = identity.name
        form["gender"] = "GENDER_MALE" if identity.gender is Gender.MALE else "GENDER_FEMALE"
        form["birthDate"] = {
            "year": identity.birth_date.year,
            "month": identity.birth_date.month,
            "day": identity.birth_date.day,
        }
        form["document"] = {"type": doc_type_name, "number": identity.document.number}


GENDERS = {"GENDER_MALE": Gender.MALE, "GENDER_FEMALE": Gender.FEMALE}


_DOCUMENT_TYPES = {name: DocumentType(code) for name, code in labels.DOCUMENT_TYPE_CODES.items()}


def document_of(
    doc_type_name: str | None, number: str, today: dt.date | None = None
) -> ValidDocument | DocumentError:
    """The student's document from the 身份证件类型 and 身份证件号 cells, or why it is refused
    (`today`: the day birth dates may not be after, by default the current one)."""
    if doc_type_name is None:
        return DocumentError("document_type", "REQUIRED", "身份证件类型不能为空")
    try:
        return validate_document(_DOCUMENT_TYPES[doc_type_name], number, today=today)
    except DocumentError as exc:
        # Without its traceback: the caller keeps the error, and the frames would keep the caller
        # (a reference cycle, freed only by the garbage collector, which an import pauses).
        return exc.with_traceback(None)


def stored_form(form: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The form as an application stores it (identity block apart) and which template family members
    it keeps: a member left empty in the template (member 1 blank, member 2 filled) is dropped."""
    stored = without_identity(form)
    members = form.get("familyMembers")
    if not members:
        return stored, []
    kept = [i for i, m in enumerate(members) if m]
    if kept:
        stored["familyMembers"] = [members[i] for i in kept]
    else:
        stored.pop("familyMembers")
    return stored, kept


def _renumber(field_path: str, kept: list[int]) -> str:
    prefix = "student.family_members["
    if not field_path.startswith(prefix):
        return field_path
    index, rest = field_path[len(prefix) :].split("]", 1)
    return f"{prefix}{kept[int(index)]}]{rest}" if index.isdigit() and int(index) < len(kept) else field_path


def form_cells(template: Template, form: dict[str, Any]) -> list[str]:
    """A stored form (identity block included) as the template's cells: the inverse of parsing, for
    exports (学前调档导出) and for building test files."""
    out = []
    for column in template.columns:
        node: object = form
        for key in column.path:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and len(node) > key else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        out.append(_cell(column, node))
    return out


def _cell(column: Column, value: object) -> str:
    if value is None or value == "":
        return ""
    for stored, name in column.options:
        if stored == value and type(stored) is type(value):
            return labels.shown(str(stored), name) if column.kind.value == "code" else name
    if isinstance(value, dict):  # a Date
        return f"{value['year']:04d}-{value['month']:02d}-{value['day']:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
