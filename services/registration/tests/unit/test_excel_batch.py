"""The column-by-column check of a chunk (excel.batch) gives every row exactly what RowParser.parse
gives it: the same reasons in the same order, the same identity, the same stored form."""

import datetime as dt
import gc
import json

import pytest
from test_excel_cells import ODD_VALUES

from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.batch import BatchParser, Chunk
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE, Kind, registration_template
from xueji_registration.domain.template.rows import RowParser, form_cells
from xueji_registration.testing import family_member, resident_id, sample_form

RESIDENT = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
HMT = registration_template(RegistrationKind.PRIMARY_FRESHMAN, DocumentCategory.HMT_FOREIGN)
TODAY = dt.date.today()


def outcome(row):
    return (
        row.row_number,
        [(e.column, e.field, e.message) for e in row.errors],
        row.identity,
        json.dumps(row.stored_form, ensure_ascii=False),
    )


def check_same(template, rows):
    """Both paths over `rows` (twice: the second time from the remembered outcomes); returns how
    many rows the batch path took on its own, which must be every row that passes."""
    parser = RowParser(template)
    batch = BatchParser(RowParser(template))
    assert batch.enabled
    numbers = list(range(2, len(rows) + 2))
    expected = [outcome(parser.parse(n, list(v))) for n, v in zip(numbers, rows)]
    for _ in range(2):
        got = batch.parse(Chunk(numbers, [list(v) for v in rows], list(zip(*rows))))
        assert [outcome(r) for r in got] == expected
    taken = [r for r in got if not r.form]  # RowParser fills `form`; the batch path leaves it empty
    assert len(taken) == sum(1 for r in got if r.ok)
    return len(taken)


def variants(template, good):
    """`good` with one cell changed, for every column and every odd value (and every choice)."""
    for j, column in enumerate(template.columns):
        values = list(ODD_VALUES) + list(template.choices(column)) + [v for v, _ in column.options]
        if column.kind is Kind.DATE:
            values += ["2030-01-01", "1890-01-01", "2009-12-31", "2010-01-02", "2100-12-31"]
        for value in values:
            row = list(good)
            row[j] = value
            yield row


def test_every_single_cell_change_gets_the_reasons_row_parser_gives():
    good = next(samples.student_rows(RESIDENT, 1))
    assert check_same(RESIDENT, list(variants(RESIDENT, good))) > 1000


def test_hmt_foreign_rows_and_their_cell_changes():
    form = {
        **sample_form("hmt_foreign"),
        "name": "陈大文",
        "gender": "GENDER_MALE",
        "birthDate": {"year": 2016, "month": 5, "day": 4},
        "document": {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": "A123456(3)"},
    }
    good = form_cells(HMT, form)
    assert check_same(HMT, list(variants(HMT, good))) > 1000


def relation_forms():
    born = {"year": 2015, "month": 6, "day": 1}  # resident_id() is born 2015-06-01
    yield dict(admissionYearMonth="201409")  # before the birth year
    yield dict(admissionYearMonth="201509")
    yield dict(
        documentValidFrom={"year": 2020, "month": 1, "day": 1},
        documentValidUntil={"year": 2020, "month": 1, "day": 1},
    )
    yield dict(
        documentValidFrom={"year": 2020, "month": 1, "day": 1},
        documentValidUntil={"year": 2030, "month": 1, "day": 1},
    )
    yield dict(documentValidUntil={"year": 2010, "month": 1, "day": 1})
    for disability in (None, "DISABILITY_TYPE_VISUAL", "DISABILITY_TYPE_HEARING", "DISABILITY_TYPE_PHYSICAL"):
        for inclusive in (
            None,
            "INCLUSIVE_EDUCATION_NONE",
            "INCLUSIVE_EDUCATION_VISUAL",
            "INCLUSIVE_EDUCATION_OTHER",
        ):
            yield dict(disabilityType=disability, inclusiveEducation=inclusive)
    yield dict(familyMembers=[])
    yield dict(familyMembers=[{}, family_member()])
    yield dict(familyMembers=[family_member(), family_member(name="李四", relationshipCode="52")])
    yield dict(familyMembers=[family_member(name="")])
    yield dict(familyMembers=[family_member(relationshipCode="")])
    yield dict(familyMembers=[{"phone": "13800000000"}])
    yield dict(familyMembers=[family_member(document={})])
    yield dict(
        familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_PASSPORT", "number": "E12345678"})]
    )
    yield dict(familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": "1"})])
    yield dict(familyMembers=[family_member(document={"number": resident_id("19800101", "013")})])
    yield dict(familyMembers=[family_member(document={"type": "DOCUMENT_TYPE_OTHER"})])
    yield dict(birthDate=born, gender="GENDER_MALE")
    yield dict(birthDate=born, gender="GENDER_FEMALE")
    yield dict(birthDate={"year": 2015, "month": 6, "day": 2})
    yield dict(name=" 张三 ")
    yield dict(document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id("20300101")})
    yield dict(document={"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id().lower()[:-1] + "x"})
    yield dict(document={"type": "DOCUMENT_TYPE_PASSPORT", "number": "E12345678"})


def test_rules_relating_cells_identity_and_family_members():
    base = {
        **sample_form(),
        "name": "张三",
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id()},
    }
    rows = [
        form_cells(RESIDENT, {k: v for k, v in {**base, **change}.items() if v is not None})
        for change in relation_forms()
    ]
    assert check_same(RESIDENT, rows) >= 8


def test_a_chunk_mixing_good_and_failed_rows_keeps_their_order():
    good = list(samples.student_rows(RESIDENT, 6))
    bad = list(good[2])
    bad[5] = "火星族"
    assert check_same(RESIDENT, [good[0], good[1], bad, good[3], [""] * 5 + good[4][5:], good[5]]) == 4


@pytest.mark.parametrize("template", [PRESCHOOL_TEMPLATE])
def test_other_templates_go_row_by_row(template):
    assert not BatchParser(RowParser(template)).enabled


def test_checking_failing_rows_leaves_no_reference_cycle():
    """An import pauses the garbage collector (service_layer.import_loop): what a row leaves behind
    must be freed by reference counting alone."""
    good = next(samples.student_rows(RESIDENT, 1))
    rows = list(variants(RESIDENT, good))
    batch = BatchParser(RowParser(RESIDENT))
    gc.collect()
    gc.disable()
    try:
        for start in range(0, len(rows), 1000):
            part = [list(v) for v in rows[start : start + 1000]]
            parsed = batch.parse(Chunk(list(range(2, len(part) + 2)), part, list(zip(*part))))
            assert any(not r.ok for r in parsed)
        assert gc.collect() < 50  # ~30 a failing row when an error kept its traceback
    finally:
        gc.enable()
