"""Opening an uploaded workbook: the whole-file checks, then the data rows a chunk at a time.

Whole-file problems are one INVALID_ARGUMENT on `file.content` with a Chinese message: empty, too
big, not an .xlsx (zip) workbook, unpacking to more than the limit (zip bomb), the template's sheet
missing, another template, formulas in the data sheet (their values are not stored by every program:
请粘贴为数值), too many rows, wrong headers, a cell at Excel's own limit of 32767 characters
(python-calamine cuts longer ones there; no registrar types that much), no data row at all. Callers
import in one transaction, so that nothing of a refused file stays.

Formulas and the row count are found by scanning the sheet's XML in the same pass that cuts it into
slices (`excel.chunks`): the sheet is decompressed once, and a problem far into the file is raised
when the reading gets there. They are still named before any other problem, as if the whole sheet
had been scanned first: a problem found earlier (the header, a cell too long) first has the rest of
the sheet scanned, and a sheet whose <dimension> already says it is too big is scanned before any
row is read.

python-calamine parses the sheet (about 10× faster than openpyxl), a slice of `Limits.slice_rows`
rows at a time (`excel.chunks`): memory does not grow with the number of rows.
"""
from __future__ import annotations

import html
import io
import itertools
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import NamedTuple, NoReturn

from python_calamine import CalamineError, CalamineWorkbook

from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_registration.excel.cells import EXCEL_CELL_LIMIT
from xueji_registration.excel.chunks import (
    FIRST_ROWS,
    FormulaFound,
    TooManyRows,
    declared_rows,
    scan_sheet,
    sheet_slices,
)
from xueji_registration.excel.columns import REASON_HEADER, Template, template_by_key

META_SHEET = "模板信息"  # very hidden sheet of every template: A1 holds Template.key
FIELD = "file.content"
BROKEN = "文件不是有效的Excel工作簿（.xlsx），可能已损坏，请使用下载的模板重新填写"


class Chunk(NamedTuple):
    """Data rows read together: their row numbers as Excel shows them, their cells, and the same
    cells column by column."""

    numbers: list[int]
    rows: list[list]
    columns: list[tuple]


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
        self._content, self._part, self._max_rows = content, sheets[template.sheet], limits.max_rows
        self._long_text = False   # whether a slice read so far may hold a cell at Excel's limit
        declared = declared_rows(content, self._part)
        if declared is not None and declared - 1 > limits.max_rows:
            self._scan_whole()   # the file says it is too big: refused before any row is read
        self._blocks = self._numbered(sheet_slices(content, self._part, template.sheet, limits.slice_rows,
                                                   limits.max_rows))
        try:
            first = next(self._blocks, None)
            problem = self._header_problem(first[1][0] if first else None)
            if problem:
                self._refuse(problem)
        except BaseException:
            self._blocks.close()   # the background reading stops now, not when this object is collected
            raise
        self._first = (first[0] + 1, first[1][1:]) if first else None   # the data rows read with the header

    def _scan_whole(self) -> None:
        """Formulas, then too many rows: the problems named before any other (the slices scan the
        sheet as they go; a problem found before them asks for the whole sheet at once)."""
        try:
            rows = scan_sheet(self._content, self._part)
        except FormulaFound as found:
            raise self._formula(found) from None
        if rows - 1 > self._max_rows:
            raise self._too_many(rows - 1)

    def _refuse(self, problem: InvalidArgument) -> NoReturn:
        self._scan_whole()
        raise problem

    def _formula(self, found: FormulaFound) -> InvalidArgument:
        where = f"单元格{found.cell}" if found.cell else "数据"
        return rejected(f"工作表“{self.template.sheet}”的{where}是公式：请复制后“选择性粘贴为数值”，再导入")

    def _too_many(self, rows: int) -> InvalidArgument:
        return rejected(f"数据行数（{rows}）超过上限 {self._max_rows} 行，请分批导入")

    def _header_problem(self, header: list | None) -> InvalidArgument | None:
        expected = [c.header for c in self.template.columns]
        found = [normalise_header(v) for v in (header or [])]
        while found and found[-1] in ("", REASON_HEADER):
            found.pop()
        if found == expected:
            return None
        for i, want in enumerate(expected):
            got = found[i] if i < len(found) else ""
            if got != want:
                return rejected(f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(i)}列应为"
                                f"“{want}”，实际为“{got[:30] or '空'}”。请使用下载的模板，不要增删或移动列")
        return rejected(f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(len(expected))}"
                        f"列起有多余的列“{found[len(expected)][:30]}”。请使用下载的模板，不要增删或移动列")

    def __iter__(self) -> Iterator[tuple[int, list]]:
        for chunk in self.chunks(1000):
            yield from zip(chunk.numbers, chunk.rows)

    def chunks(self, wanted: int) -> Iterator[Chunk]:
        """The data rows, `wanted` at a time, each as wide as the template; empty rows are skipped."""
        size = min(wanted, FIRST_ROWS)   # the first chunk as small as the first slice: checking starts sooner
        try:
            yield from self._chunks(wanted, size)
        finally:
            self._blocks.close()

    def _chunks(self, wanted: int, size: int) -> Iterator[Chunk]:
        numbers: list[int] = []
        rows: list[list] = []
        seen = False
        blocks = self._blocks if self._first is None else itertools.chain([self._first], self._blocks)
        self._first = None
        for first, block in blocks:
            kept, values = self._data_rows(first, block)
            numbers += kept
            rows += values
            while len(rows) >= size:
                yield self._checked(numbers[:size], rows[:size])
                del numbers[:size], rows[:size]
                seen, size = True, wanted
        if rows:
            yield self._checked(numbers, rows)
        elif not seen:
            raise rejected(f"{self.template.title}中没有学生数据（表头下方没有填写任何行）")

    def _data_rows(self, first: int, block: list[list]) -> tuple[list[int], list[list]]:
        """The row numbers and cells of a slice's rows that are not empty, each as wide as the template
        (a slice's range is as wide as its own widest row)."""
        width = len(self.template.columns)
        if set(map(len, block)) - {width}:
            block = [v[:width] if len(v) > width else v + [""] * (width - len(v)) for v in block]
        filled = list(map(any, block))   # one C call a row: a row with any true cell is not empty
        if all(filled):
            return list(range(first, first + len(block))), block
        # A row of falsy cells is empty when they are all "" or None (0 and FALSE are values).
        kept = [i for i, (v, f) in enumerate(zip(block, filled)) if f or v.count("") + v.count(None) != width]
        return [first + i for i in kept], [block[i] for i in kept]

    def _checked(self, numbers: list[int], rows: list[list]) -> Chunk:
        """python-calamine cuts longer cells at Excel's limit: reaching it means the cell held more.
        Looked for column by column (one pass in C for a column of text) once a slice may hold such a
        cell (excel.chunks); the first such row is named."""
        columns = list(zip(*rows))
        for column in columns if self._long_text else ():
            try:
                longest = max(map(len, column))
            except TypeError:   # numbers, dates or booleans among the cells
                longest = max((len(v) for v in column if type(v) is str), default=0)
            if longest >= EXCEL_CELL_LIMIT:
                for offset, values in zip(numbers, rows):
                    for i, v in enumerate(values):
                        if type(v) is str and len(v) >= EXCEL_CELL_LIMIT:
                            self._refuse(rejected(f"第{offset}行“{self.template.columns[i].header}”的内容达到或超过Excel"
                                           f"单元格上限（{EXCEL_CELL_LIMIT}个字符）：文件不是正常填写的模板，未导入任何数据"))
        return Chunk(numbers, rows, columns)

    def _numbered(self, slices: Generator) -> Iterator[tuple[int, list[list]]]:
        """(row number as Excel shows it of the first row, the rows' cells from column A) of each
        slice of the sheet that holds any row."""
        following = 1
        try:
            for sheet, long_text in slices:
                self._long_text = self._long_text or long_text
                if sheet.start is None:
                    continue   # a slice of empty rows
                first, column = sheet.start
                # Row numbers come from the cell references; a writer may leave them out (then every
                # slice would start again at its first row): count on from the previous slice.
                number = max(first + 1, following)
                block = sheet.to_python(skip_empty_area=True)
                if column:
                    block = [[""] * column + values for values in block]
                if block:
                    yield number, block
                following = number + len(block)
        except CalamineError:
            raise rejected(BROKEN) from None
        except FormulaFound as found:
            raise self._formula(found) from None
        except TooManyRows as too_many:
            raise self._too_many(too_many.rows) from None
        finally:
            slices.close()   # the background reading stops now, not when the slices are collected


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
