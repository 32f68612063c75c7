"""The templates a registrar fills in Excel, and the rows read back from them."""

import io

from openpyxl import load_workbook

from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import reader, samples
from xueji_registration.adapters.excel.writer import (
    FailedRow,
    failed_rows_workbook,
    header_texts,
    template_workbook,
)
from xueji_registration.domain.template import rows
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE, registration_template
from xueji_registration.testing import resident_id, sample_form

RESIDENT = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
HMT = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.HMT_FOREIGN)


def student(number=None, **changes):
    return {
        **sample_form(),
        "name": "张三",
        **changes,
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": number or resident_id()},
    }


def parse_all(template, content, **kw):
    parser = rows.RowParser(template)
    return [parser.parse(n, v, **kw) for n, v in reader.TemplateRows(content, template)]


def test_template_has_instructions_codes_and_marks_required_columns():
    book = load_workbook(io.BytesIO(template_workbook(RESIDENT)))
    assert book.sheetnames[:2] == ["说明", "学生信息"]
    assert book["代码表"].sheet_state == "hidden" and book[reader.META_SHEET].sheet_state == "veryHidden"
    sheet = book["学生信息"]
    headers = {c.value: c for c in sheet[1]}
    assert "姓名★" in headers and "政治面貌" in headers  # optional columns carry no ★
    assert "性别" in headers  # derived from a resident ID: not required
    assert headers["姓名★"].fill.fgColor.rgb.endswith("FFF2CC")
    ranges = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    letter = headers["民族★"].column_letter
    assert ranges[f"{letter}2"].startswith("'代码表'!")
    assert "说明" in book.sheetnames and "必填" in "".join(str(c.value) for c in book["说明"]["A"])


def test_document_type_choices_follow_the_category():
    assert RESIDENT.choices(next(c for c in RESIDENT.columns if c.field == "document.type")) == (
        "居民身份证",
    )
    hmt_types = HMT.choices(next(c for c in HMT.columns if c.field == "document.type"))
    assert "居民身份证" not in hmt_types and "护照" in hmt_types and "其他" not in hmt_types
    assert "性别★" in header_texts(HMT)  # HMT/foreign: gender required


def test_a_filled_template_reads_back_to_the_same_form():
    form = student()
    [row] = parse_all(
        RESIDENT, template_workbook(RESIDENT, [rows.form_cells(RESIDENT, form)]), check_form_rules=True
    )
    assert row.ok, row.errors
    assert row.identity.gender.name == "MALE"  # derived from the number
    assert {k: v for k, v in row.form.items() if k not in ("gender", "birthDate")} == form


def test_every_problem_of_a_row_is_named_with_its_column():
    cells = rows.form_cells(RESIDENT, student(number="330102201506011230"))  # bad check digit
    cells[5] = "火星族"  # 民族
    cells[31] = "12345"  # 邮政编码
    [row] = parse_all(RESIDENT, samples.workbook(RESIDENT, [cells]))
    columns = {e.column for e in row.errors}
    assert {"身份证件号", "民族", "邮政编码"} <= columns
    assert all(e.message for e in row.errors)


def test_the_resident_template_takes_resident_ids_only():
    form = {**student(), "document": {"type": "DOCUMENT_TYPE_PASSPORT", "number": "E12345678"}}
    [row] = parse_all(RESIDENT, samples.workbook(RESIDENT, [rows.form_cells(RESIDENT, form)]))
    assert [e.column for e in row.errors] == ["身份证件类型"]


def test_gender_contradicting_the_resident_id_is_refused():
    cells = rows.form_cells(RESIDENT, student())
    cells[1] = "女"
    [row] = parse_all(RESIDENT, samples.workbook(RESIDENT, [cells]))
    assert [(e.column, e.message) for e in row.errors] == [("性别", "性别与身份证件号不符")]


def test_failed_rows_workbook_puts_reasons_on_cells_and_imports_again():
    cells = rows.form_cells(RESIDENT, student())
    content = failed_rows_workbook(
        RESIDENT, [FailedRow(7, cells, [("民族", "“火星族”不是有效的民族"), ("", "整行问题")])]
    )
    sheet = load_workbook(io.BytesIO(content))["学生信息"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "错误原因"
    assert "原第7行" in sheet.cell(row=2, column=len(header)).value
    assert "火星族" in sheet.cell(row=2, column=6).comment.text
    [row] = parse_all(RESIDENT, content)  # the reason column is ignored on import
    assert row.ok


def test_preschool_template_marks_what_every_child_needs():
    book = load_workbook(io.BytesIO(template_workbook(PRESCHOOL_TEMPLATE)))
    assert [c.value for c in book["学前调档"][1]] == [
        "姓名★",
        "性别",
        "出生日期",
        "身份证件类型★",
        "身份证件号",
    ]


def test_preschool_rows_without_a_number_need_gender_and_birth_date():
    content = samples.workbook(
        PRESCHOOL_TEMPLATE, [["李四", "", "", "其他", ""], ["王五", "女", "2018-03-04", "其他", ""]]
    )
    first, second = parse_all(PRESCHOOL_TEMPLATE, content)
    assert {e.column for e in first.errors} == {"性别", "出生日期"}
    assert second.ok and second.identity.document.number == ""
