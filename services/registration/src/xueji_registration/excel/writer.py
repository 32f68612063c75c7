"""Workbooks the registrar downloads: empty templates, exports, and failed rows to fix (openpyxl).

Every workbook has the data sheet (headers in the manual's words, ★ and a fill colour on required
columns, a comment with the rule where one helps, drop-down lists for the code tables, text format
for numbers that must not become numbers), an instruction sheet 说明, the code tables on a hidden
sheet 代码表 (drop-downs longer than Excel's 255-character inline limit need a range), and the
template's key on a very hidden sheet 模板信息 (so that another template is recognised on import).
A failed-rows workbook adds the reasons: a comment and a red fill on each failing cell, and a last
column 错误原因 that the import ignores, so the registrar fixes the cells and imports the file again.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from xueji_registration.excel.columns import REASON_HEADER, Kind, Template
from xueji_registration.excel.reader import META_SHEET, column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALIDATED_ROWS = 20000  # drop-downs and text format reach this row
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
_TEXT_KINDS = (Kind.TEXT, Kind.DOC_NUMBER, Kind.DIVISION, Kind.YEAR_MONTH)


@dataclass(frozen=True)
class FailedRow:
    row_number: int                          # in the uploaded file
    cells: list[str]                         # as uploaded, in template column order
    errors: list[tuple[str, str]]            # (column header or "", message)


def template_workbook(template: Template, rows: Iterable[list[object]] = ()) -> bytes:
    """The template, optionally filled with rows (the preschool export)."""
    workbook, sheet = _new(template)
    for values in rows:
        sheet.append(list(values))
    return _save(workbook)


def failed_rows_workbook(template: Template, failed: Iterable[FailedRow]) -> bytes:
    workbook, sheet = _new(template)
    reason_col = len(template.columns) + 1
    head = sheet.cell(row=1, column=reason_col, value=REASON_HEADER)
    head.font, head.fill = Font(bold=True, color="C00000"), _HEADER_FILL
    sheet.column_dimensions[column_letter(reason_col - 1)].width = 60
    position = {c.header: i + 1 for i, c in enumerate(template.columns)}
    for out_row, row in enumerate(failed, start=2):
        for col, text in enumerate(row.cells, start=1):
            if text != "":
                sheet.cell(row=out_row, column=col, value=text)
        reasons = []
        for header, message in row.errors:
            reasons.append(f"{header}：{message}" if header else message)
            if header in position:
                cell = sheet.cell(row=out_row, column=position[header])
                cell.fill = _ERROR_FILL
                previous = cell.comment.text + "\n" if cell.comment else ""
                cell.comment = Comment(previous + message, "学籍系统")
        note = sheet.cell(row=out_row, column=reason_col, value=f"原第{row.row_number}行：" + "；".join(reasons))
        note.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(workbook)


def _new(template: Template):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = template.sheet
    codes = workbook.create_sheet("代码表")
    _instructions(workbook.create_sheet("说明", 0), template)
    workbook.active = 1
    meta = workbook.create_sheet(META_SHEET)
    meta["A1"] = template.key
    meta.sheet_state = "veryHidden"
    code_col = 0
    for i, column in enumerate(template.columns):
        letter = column_letter(i)
        required = template.marked(column)
        cell = sheet.cell(row=1, column=i + 1, value=column.header + ("★" if required else ""))
        cell.font = Font(bold=True, color="C00000" if required else "000000")
        cell.fill = _REQUIRED_FILL if required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.note:
            cell.comment = Comment(column.note, "学籍系统")
        sheet.column_dimensions[letter].width = column.width
        if column.kind in _TEXT_KINDS:
            sheet.column_dimensions[letter].number_format = "@"
        choices = template.choices(column)
        if choices:
            code_col += 1
            _code_list(codes, code_col, column.header, choices)
            code_letter = column_letter(code_col - 1)
            validation = DataValidation(
                type="list", formula1=f"'代码表'!${code_letter}$2:${code_letter}${len(choices) + 1}",
                allow_blank=True, showErrorMessage=not column.field.endswith("nationality_code"),
                errorTitle="无效的值", error=f"请从下拉列表中选择{column.header}",
            )
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 32
    codes.sheet_state = "hidden"
    return workbook, sheet


def _code_list(codes, col: int, title: str, choices: tuple[str, ...]) -> None:
    codes.cell(row=1, column=col, value=title).font = Font(bold=True)
    for row, text in enumerate(choices, start=2):
        codes.cell(row=row, column=col, value=text)


def _instructions(sheet, template: Template) -> None:
    required = "、".join(c.header for c in template.columns if template.marked(c))
    lines = [
        (template.title, True),
        ("", False),
        ("填写说明", True),
        (f"1. 在工作表“{template.sheet}”中从第2行起每行填写一名学生，不要修改表头、工作表名称，不要增加、删除或移动列。", False),
        (f"2. 表头带★并以黄色标出的列为必填项：{required}。", False),
        ("3. 带下拉列表的列请从列表中选择（也可填写代码，如民族填“01”）。", False),
        ("4. 日期填写为 YYYY-MM-DD（如 2015-06-01），入学年月填写为 YYYYMM（如 202409）。", False),
        ("5. 身份证件号请按文本格式填写，不要输入为数字，否则末几位会丢失。", False),
        ("6. 身份证件类型为居民身份证时，性别和出生日期由身份证件号自动生成，可不填；填写时须与证件号一致。", False),
        ("7. 不要使用公式；从其他表格复制时请“选择性粘贴为数值”。", False),
        ("8. 同一身份证件号在文件中只能出现一次，已录入或已有注册申请的学生不能重复导入。", False),
        ("9. 导入后系统逐行校验：校验通过的行完成导入，未通过的行可下载“失败数据”，按“错误原因”列和单元格批注修改后"
         "直接再次导入（“错误原因”列导入时忽略）。", False),
    ]
    if template.purpose == "registration":
        lines += [
            ("10. 家庭成员最多两名，填写某名家庭成员时其姓名和关系必填。", False),
            (f"11. 本模板只用于{template.kind.label_zh}的{template.category.label_zh}学生；无证件学生请在系统中逐个录入。", False),
        ]
        if template.category.value == "hmt_foreign":
            lines.append(("12. 港澳台和外籍学生的国籍/地区不能为中国（CHN），港澳台侨外不能为“00 否”。", False))
    else:
        lines.append(("10. 证件类型为“其他”（无证件）的学生可不填身份证件号，但性别和出生日期必填。", False))
    for row, (text, bold) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = Font(bold=bold, size=14 if row == 1 else 11)
    sheet.column_dimensions["A"].width = 120


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def header_texts(template: Template) -> list[str]:
    return [c.header + ("★" if template.marked(c) else "") for c in template.columns]

