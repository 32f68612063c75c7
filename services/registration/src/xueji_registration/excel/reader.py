"""Opening an uploaded workbook: the whole-file checks, then the data rows one at a time.

Whole-file problems are one INVALID_ARGUMENT on `file.content` with a Chinese message, raised
before any row is read where possible: empty, too big, not an .xlsx (zip) workbook, unpacking to
more than the limit (zip bomb), the template's sheet missing, another template, formulas in the data
sheet (their values are not stored by every program: 请粘贴为数值), wrong headers. Two problems can
only show while streaming, so the rows iterator raises them; callers import in one transaction so
that nothing of such a file stays: a cell at Excel's own limit of 32767 characters (python-calamine
cuts longer ones there; no registrar types that much), and no data row at all.

python-calamine parses the sheet (about 10× faster than openpyxl), a slice of `Limits.slice_rows`
rows at a time (`excel.chunks`): memory does not grow with the number of rows.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from python_calamine import CalamineError, CalamineWorkbook

from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_registration.excel.cells import EXCEL_CELL_LIMIT
from xueji_registration.excel.chunks import sheet_slices
from xueji_registration.excel.columns import REASON_HEADER, Template, template_by_key

META_SHEET = "模板信息"  # very hidden sheet of every template: A1 holds Template.key
FIELD = "file.content"
BROKEN = "文件不是有效的Excel工作簿（.xlsx），可能已损坏，请使用下载的模板重新填写"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 60 * 1024 * 1024            # below the 64 MiB gRPC message limit
    max_rows: int = 100_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    slice_rows: int = 2000                       # rows python-calamine holds at a time (excel.chunks)


def rejected(message: str) -> InvalidArgument:
    return InvalidArgument(FieldViolation(FIELD, message), message)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def normalise_header(value: object) -> str:
    return re.sub(r"[\s★*＊]", "", str(value or ""))


class TemplateRows:
    """The data rows of an uploaded file checked against `template`: iterate for (row number, cells)."""

    def __init__(self, content: bytes, template: Template, limits: Limits = Limits()) -> None:
        self.template = template
        if not content:
            raise rejected("文件为空，请选择填写好的导入模板")
        if len(content) > limits.max_bytes:
            raise rejected(f"文件过大（{len(content) / 1048576:.1f} MB），上限为 {limits.max_bytes // 1048576} MB，请分批导入")
        sheets = _check_package(content, limits)
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))  # reads a sheet only when asked
            _check_template_marker(workbook, template)
        except CalamineError:
            raise rejected(BROKEN) from None
        except Exception as exc:  # python-calamine raises its own types for broken parts
            if isinstance(exc, InvalidArgument):
                raise
            raise rejected(BROKEN) from None
        if template.sheet not in sheets:
            shown = "、".join(f"“{n}”" for n in list(sheets)[:5])
            raise rejected(f"找不到工作表“{template.sheet}”（文件中的工作表：{shown}）。请使用下载的{template.title}")
        rows = _check_no_formulas(content, sheets[template.sheet], template)
        if rows - 1 > limits.max_rows:
            raise rejected(f"数据行数（{rows - 1}）超过上限 {limits.max_rows} 行，请分批导入")
        self._rows = _numbered_rows(sheet_slices(content, sheets[template.sheet], template.sheet, limits.slice_rows))
        header = next(self._rows, None)
        self._check_header(header[1] if header else None)

    def _check_header(self, header: list | None) -> None:
        expected = [c.header for c in self.template.columns]
        found = [normalise_header(v) for v in (header or [])]
        while found and found[-1] in ("", REASON_HEADER):
            found.pop()
        if found == expected:
            return
        for i, want in enumerate(expected):
            got = found[i] if i < len(found) else ""
            if got != want:
                raise rejected(f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(i)}列应为"
                               f"“{want}”，实际为“{got[:30] or '空'}”。请使用下载的模板，不要增删或移动列")
        raise rejected(f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(len(expected))}"
                       f"列起有多余的列“{found[len(expected)][:30]}”。请使用下载的模板，不要增删或移动列")

    def __iter__(self) -> Iterator[tuple[int, list]]:
        width = len(self.template.columns)
        seen = 0
        for offset, values in self._rows:
            # A slice's range is as wide as its own widest row: every row gets the template's width.
            values = values[:width] if len(values) >= width else values + [""] * (width - len(values))
            if values.count("") + values.count(None) == len(values):
                continue
            # python-calamine cuts longer cells at Excel's limit: reaching it means the cell held more.
            if len("".join([v for v in values if type(v) is str])) >= EXCEL_CELL_LIMIT and any(
                    type(v) is str and len(v) >= EXCEL_CELL_LIMIT for v in values):
                i = next(i for i, v in enumerate(values) if type(v) is str and len(v) >= EXCEL_CELL_LIMIT)
                raise rejected(f"第{offset}行“{self.template.columns[i].header}”的内容达到或超过Excel单元格上限"
                               f"（{EXCEL_CELL_LIMIT}个字符）：文件不是正常填写的模板，未导入任何数据")
            seen += 1
            yield offset, values
        if not seen:
            raise rejected(f"{self.template.title}中没有学生数据（表头下方没有填写任何行）")


def _numbered_rows(slices: Iterator) -> Iterator[tuple[int, list]]:
    """(row number as Excel shows it, cells from column A) of every row of the sheet's slices."""
    following = 1
    try:
        for sheet in slices:
            if sheet.start is None:
                continue   # a slice of empty rows
            first, column = sheet.start
            # Row numbers come from the cell references; a writer may leave them out (then every
            # slice would start again at its first row): count on from the previous slice.
            number = max(first + 1, following)
            for values in sheet.to_python(skip_empty_area=True):
                yield number, [""] * column + values if column else values
                number += 1
            following = number
    except CalamineError:
        raise rejected(BROKEN) from None


def _check_package(content: bytes, limits: Limits) -> dict[str, str]:
    """Zip-level checks; returns sheet name → XML part."""
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
        names = set(package.namelist())
        unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise rejected("文件不是有效的Excel工作簿（.xlsx），可能已损坏或不是模板文件，请使用下载的模板重新填写") from None
    if "xl/workbook.xml" not in names:
        raise rejected("文件不是Excel工作簿（.xlsx），请使用下载的模板")
    if unpacked > limits.max_unpacked_bytes:
        raise rejected("文件解压后过大，不是正常填写的模板，请使用下载的模板")
    try:
        sheets = _sheet_parts(package)
    except (KeyError, zipfile.BadZipFile, OSError, UnicodeDecodeError):
        raise rejected(BROKEN) from None
    return sheets


def _sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part, from workbook.xml and its relationships."""
    workbook = package.read("xl/workbook.xml").decode("utf-8")
    rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]+)"', rel[0]), re.search(r'\bTarget="([^"]+)"', rel[0])
        if rid and target:
            path = target[1].lstrip("/")
            targets[rid[1]] = path if path.startswith("xl/") else f"xl/{path}"
    parts = {}
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name, rid = re.search(r'\bname="([^"]*)"', sheet[0]), re.search(r'\br:id="([^"]+)"', sheet[0])
        if name and rid and rid[1] in targets:
            parts[html.unescape(name[1])] = targets[rid[1]]
    return parts


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]+[0-9]+)"')


def _check_no_formulas(content: bytes, part: str, template: Template) -> int:
    """Formulas in the data sheet are refused: streamed in 1 MiB chunks, stops at the first one.
    Returns the number of rows (row end tags) of the sheet."""
    rows = 0
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        tail = b""
        while chunk := stream.read(1 << 20):
            rows += (tail[-3:] + chunk).count(b"row>")   # "</row>", "</x:row>"; one across two chunks once
            window = tail + chunk
            # Every match holds "<f" or ":f" (a prefixed tag): two fast byte searches spare the regex.
            found = _FORMULA.search(window) if b"<f" in window or b":f" in window else None
            if found:
                refs = _CELL_REF.findall(window, 0, found.start())
                where = f"单元格{refs[-1].decode()}" if refs else "数据"
                raise rejected(f"工作表“{template.sheet}”的{where}是公式：请复制后“选择性粘贴为数值”，再导入")
            tail = window[-4096:]
    return rows


def _check_template_marker(workbook: CalamineWorkbook, template: Template) -> None:
    """A workbook made from another template (e.g. HMT/foreign uploaded as resident) is refused by name."""
    if META_SHEET not in workbook.sheet_names:
        return  # the registrar may have copied the sheet into a new workbook: the headers decide
    rows = workbook.get_sheet_by_name(META_SHEET).to_python()
    key = str(rows[0][0]) if rows and rows[0] else ""
    if key and key != template.key:
        other = template_by_key(key)
        shown = f"“{other.title}”" if other else "其他模板"
        raise rejected(f"上传的文件是{shown}，此处需要“{template.title}”，请下载正确的模板")
