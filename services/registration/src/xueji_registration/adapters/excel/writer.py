"""Workbooks the registrar downloads: empty templates, exports, and failed rows to fix (openpyxl).

Every workbook has the data sheet (headers in the manual's words, ★ and a fill colour on required
columns, a comment with the rule where one helps, drop-down lists for the code tables, text format
for numbers that must not become numbers), an instruction sheet 说明, the code tables on a hidden
sheet 代码表 (drop-downs longer than Excel's 255-character inline limit need a range), and the
template's key on a very hidden sheet 模板信息 (so that another template is recognised on import).
A failed-rows workbook adds the reasons: a comment and a red fill on each failing cell, and a last
column 错误原因 that the import ignores, so the registrar fixes the cells and imports the file again.
It is written row by row (openpyxl's write-only mode) into a file: its memory does not grow with the
failed rows, of which an import may have 100,000 (only the first MAX_COMMENTS reasons also become
comments, which openpyxl holds until the end; every reason is in the 错误原因 column).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from xueji_registration.adapters.excel.reader import META_SHEET, column_letter
from xueji_registration.domain.template.columns import REASON_HEADER, Column, Kind, Template

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALIDATED_ROWS = 20000  # drop-downs and text format reach this row
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
_TEXT_KINDS = (Kind.TEXT, Kind.DOC_NUMBER, Kind.DIVISION, Kind.YEAR_MONTH)
MAX_COMMENTS = 10_000  # reasons also shown as cell comments (about 0.5 KB each until the file is saved)


@dataclass(frozen=True)
class FailedRow:
    row_number: int  # in the uploaded file
    cells: list[str]  # as uploaded, in template column order
    errors: list[tuple[str, str]]  # (column header or "", message)


def template_workbook(template: Template, rows: Iterable[Sequence[object]] = ()) -> bytes:
    """The template, optionally filled with rows (the preschool export)."""
    workbook, sheet = _new(template)
    for values in rows:
        sheet.append(list(values))
    return _save(workbook)


def failed_rows_workbook(template: Template, failed: Iterable[FailedRow]) -> bytes:
    buffer = io.BytesIO()
    write_failed_rows(template, failed, buffer)
    return buffer.getvalue()


def write_template_rows(template: Template, rows: Iterable[Sequence[object]], out: IO[bytes]) -> None:
    """The template filled with `rows`, written into `out` row by row (memory does not grow with
    the rows: the preschool export of a whole query)."""
    workbook, sheet = _write_only(template)
    sheet.append([_cell(sheet, *_header_style(template, c), c.note) for c in template.columns])
    for values in rows:
        sheet.append(list(values))
    workbook.save(out)


def _write_only(template: Template) -> tuple[Any, Any]:
    """A write-only workbook of the template, its data sheet without the header row yet."""
    workbook = Workbook(write_only=True)
    _instructions(workbook.create_sheet("说明"), template)
    sheet = workbook.create_sheet(template.sheet)
    codes = workbook.create_sheet("代码表")
    workbook.create_sheet(META_SHEET).append([template.key])
    workbook.worksheets[-1].sheet_state = "veryHidden"
    codes.sheet_state = "hidden"
    workbook.active = 1
    lists = _header(sheet, template, write_only=True)
    for values in zip_longest(*lists, fillvalue=None):
        codes.append(list(values))
    sheet.freeze_panes = "B2"
    return workbook, sheet


def write_failed_rows(template: Template, failed: Iterable[FailedRow], out: IO[bytes]) -> None:
    """The failed rows in the template, with their reasons, written into `out` row by row."""
    workbook, sheet = _write_only(template)
    reason_col = len(template.columns) + 1
    sheet.column_dimensions[column_letter(reason_col - 1)].width = 60
    header = [_cell(sheet, *_header_style(template, c), c.note) for c in template.columns]
    head = WriteOnlyCell(sheet, value=REASON_HEADER)
    head.font, head.fill = Font(bold=True, color="C00000"), _HEADER_FILL
    sheet.append([*header, head])
    position = {c.header: i for i, c in enumerate(template.columns)}
    comments = 0
    for row in failed:
        cells: list[Any] = [
            text if text != "" else None for text in row.cells
        ]  # plain values: written fastest
        cells += [None] * (len(template.columns) - len(cells))
        reasons = []
        for column, message in row.errors:
            reasons.append(f"{column}：{message}" if column else message)
            at = position.get(column)
            if at is None:
                continue
            cell = cells[at] = cells[at] if isinstance(cells[at], Cell) else _cell(sheet, cells[at])
            cell.fill = _ERROR_FILL
            if comments < MAX_COMMENTS:
                previous = cell.comment.text + "\n" if cell.comment else ""
                comments += cell.comment is None
                cell.comment = Comment(previous + message, "学籍系统")
        note = _cell(sheet, f"原第{row.row_number}行：" + "；".join(reasons))
        note.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([*cells, note])
    workbook.save(out)


def _cell(
    sheet: Any, value: object, font: Font | None = None, fill: PatternFill | None = None, note: str = ""
) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font, cell.fill = font, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if note:
        cell.comment = Comment(note, "学籍系统")
    return cell


def _header_style(template: Template, column: Column) -> tuple[str, Font, PatternFill]:
    required = template.marked(column)
    return (
        column.header + ("★" if required else ""),
        Font(bold=True, color="C00000" if required else "000000"),
        _REQUIRED_FILL if required else _HEADER_FILL,
    )


def _new(template: Template) -> tuple[Any, Any]:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = template.sheet
    codes = workbook.create_sheet("代码表")
    _instructions(workbook.create_sheet("说明", 0), template)
    workbook.active = 1
    meta = workbook.create_sheet(META_SHEET)
    meta["A1"] = template.key
    meta.sheet_state = "veryHidden"
    for i, choices in enumerate(_header(sheet, template, write_only=False), start=1):
        _code_list(codes, i, choices[0], choices[1:])
    for i, column in enumerate(template.columns):
        value, font, fill = _header_style(template, column)
        cell = sheet.cell(row=1, column=i + 1, value=value)
        cell.font, cell.fill = font, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.note:
            cell.comment = Comment(column.note, "学籍系统")
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 32
    codes.sheet_state = "hidden"
    return workbook, sheet


def _header(sheet: Any, template: Template, *, write_only: bool) -> list[list[str]]:
    """Column widths, text formats and drop-down lists of the data sheet; returns the code lists
    (title first) for the sheet 代码表, in order."""
    lists: list[list[str]] = []
    for i, column in enumerate(template.columns):
        letter = column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        if column.kind in _TEXT_KINDS:
            sheet.column_dimensions[letter].number_format = "@"
        choices = template.choices(column)
        if choices:
            lists.append([column.header, *choices])
            code_letter = column_letter(len(lists) - 1)
            validation = DataValidation(
                type="list",
                formula1=f"'代码表'!${code_letter}$2:${code_letter}${len(choices) + 1}",
                allow_blank=True,
                showErrorMessage=not column.field.endswith("nationality_code"),
                errorTitle="无效的值",
                error=f"请从下拉列表中选择{column.header}",
            )
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
            if write_only:
                sheet.data_validations.append(validation)
            else:
                sheet.add_data_validation(validation)
    return lists


def _code_list(codes: Any, col: int, title: str, choices: list[str]) -> None:
    codes.cell(row=1, column=col, value=title).font = Font(bold=True)
    for row, text in enumerate(choices, start=2):
        codes.cell(row=row, column=col, value=text)


def _instructions(sheet: Any, template: Template) -> None:
    required = "、".join(c.header for c in template.columns if template.marked(c))
    lines = [
        (template.title, True),
        ("", False),
        ("填写说明", True),
        (
            f"1. 在工作表“{template.sheet}”中从第2行起每行填写一名学生，"
            "不要修改表头、工作表名称，不要增加、删除或移动列。",
            False,
        ),
        (f"2. 表头带★并以黄色标出的列为必填项：{required}。", False),
        ("3. 带下拉列表的列请从列表中选择（也可填写代码，如民族填“01”）。", False),
        ("4. 日期填写为 YYYY-MM-DD（如 2015-06-01），入学年月填写为 YYYYMM（如 202409）。", False),
        ("5. 身份证件号请按文本格式填写，不要输入为数字，否则末几位会丢失。", False),
        (
            "6. 身份证件类型为居民身份证时，性别和出生日期由身份证件号自动生成，可不填；"
            "填写时须与证件号一致。",
            False,
        ),
        ("7. 不要使用公式；从其他表格复制时请“选择性粘贴为数值”。", False),
        ("8. 同一身份证件号在文件中只能出现一次，已录入或已有注册申请的学生不能重复导入。", False),
        (
            "9. 导入后系统逐行校验：校验通过的行完成导入，未通过的行可下载“失败数据”，"
            "按“错误原因”列和单元格批注修改后直接再次导入（“错误原因”列导入时忽略）。",
            False,
        ),
    ]
    if template.purpose == "registration" and template.kind and template.category:
        lines += [
            ("10. 家庭成员最多两名，填写某名家庭成员时其姓名和关系必填。", False),
            (
                f"11. 本模板只用于{template.kind.label_zh}的{template.category.label_zh}学生；"
                "无证件学生请在系统中逐个录入。",
                False,
            ),
        ]
        if template.category.value == "hmt_foreign":
            lines.append(
                ("12. 港澳台和外籍学生的国籍/地区不能为中国（CHN），港澳台侨外不能为“00 否”。", False)
            )
    else:
        lines.append(("10. 证件类型为“其他”（无证件）的学生可不填身份证件号，但性别和出生日期必填。", False))
    sheet.column_dimensions["A"].width = 120
    for row, (text, bold) in enumerate(lines, start=1):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=bold, size=14 if row == 1 else 11)
        sheet.append([cell])


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def header_texts(template: Template) -> list[str]:
    return [c.header + ("★" if template.marked(c) else "") for c in template.columns]
