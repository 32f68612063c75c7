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
rows at a time (`excel.chunks`): memory does not grow with the number of rows, nor with the shape of
the sheet (`Limits.memory_bytes` bounds what one import holds; docs/excel-import.md has the figures).
A row or the XML before the rows beyond its limit is refused by number as soon as it is met; a
damaged package (bad checksum, lying size fields, cut short, unpacking far beyond its size) is
refused as not a valid workbook. python-calamine never reads the upload itself, only the parts
zipfile has read and checked. `checkpoint` (called between slices) raises when the caller has gone.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from python_calamine import CalamineError

from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_registration.adapters.excel.chunks import (
    DAMAGED,
    FIRST_ROWS,
    NEEDED_PARTS,
    Bounds,
    FormulaFound,
    SheetTooLarge,
    Slice,
    TooManyRows,
    calamine_workbook,
    declared_rows,
    needed_parts,
    scan_sheet,
    sheet_slices,
)
from xueji_registration.config import RegistrationSettings
from xueji_registration.domain.template.batch import Chunk
from xueji_registration.domain.template.cells import EXCEL_CELL_LIMIT
from xueji_registration.domain.template.columns import REASON_HEADER, Template, template_by_key

META_SHEET = "模板信息"  # very hidden sheet of every template: A1 holds Template.key
FIELD = "file.content"
BROKEN = "文件不是有效的Excel工作簿（.xlsx），可能已损坏，请使用下载的模板重新填写"


MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 60 * MB  # below the 64 MiB gRPC message limit
    max_rows: int = 100_000
    max_unpacked_bytes: int = 1024 * MB
    slice_rows: int = 2000  # rows python-calamine holds at a time (excel.chunks)
    max_row_bytes: int = 1 * MB  # XML of one row (a template row is about 3 KB)
    max_ratio: int = 200  # unpacked / packed size of a member over 1 MB
    # What one import holds besides the upload, at most: three slices python-calamine holds (each
    # about 5× its XML), the chunk being checked, the shared strings and styles (excel.chunks).
    memory_bytes: int = 256 * MB

    @property
    def slice_bytes(self) -> int:
        return self.memory_bytes // 32

    @property
    def chunk_bytes(self) -> int:
        return self.memory_bytes // 16

    @property
    def max_parts_bytes(self) -> int:
        return self.memory_bytes // 6

    @classmethod
    def from_env(cls) -> Limits:
        """The default limits, the memory bound from XUEJI_IMPORT_MEMORY_MB when it is set."""
        memory_mb = RegistrationSettings.from_env().import_memory_mb
        return cls() if memory_mb is None else cls(memory_bytes=memory_mb * MB)


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

    def __init__(
        self,
        content: bytes,
        template: Template,
        limits: Limits = Limits(),
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self.template = template
        if not content:
            raise rejected("文件为空，请选择填写好的导入模板")
        if len(content) > limits.max_bytes:
            raise rejected(
                f"文件过大（{len(content) / MB:.1f} MB），上限为 {limits.max_bytes // MB} MB，请分批导入"
            )
        sheets = _check_package(content, limits)
        try:
            others = needed_parts(content)
            _check_template_marker(content, others, sheets.get(META_SHEET), template)
        except InvalidArgument:
            raise
        except Exception:  # zipfile's and python-calamine's own types for broken parts (chunks.DAMAGED)
            raise rejected(BROKEN) from None
        if template.sheet not in sheets:
            shown = "、".join(f"“{n}”" for n in list(sheets)[:5])
            raise rejected(
                f"找不到工作表“{template.sheet}”（文件中的工作表：{shown}）。请使用下载的{template.title}"
            )
        self._content, self._part, self._max_rows = content, sheets[template.sheet], limits.max_rows
        self._checkpoint = checkpoint or (lambda: None)
        self._chunk_bytes = limits.chunk_bytes
        try:
            declared = declared_rows(content, self._part)
        except DAMAGED:
            raise rejected(BROKEN) from None
        # data rows the sheet declares (without the header): what a progress bar counts to; 0 unknown
        self.declared_rows = max(0, declared - 1) if declared is not None else 0
        self._long_text = False  # whether a slice read so far may hold a cell at Excel's limit
        if declared is not None and declared - 1 > limits.max_rows:
            self._scan_whole()  # the file says it is too big: refused before any row is read
        bounds = Bounds(limits.slice_rows, limits.max_rows, limits.slice_bytes, limits.max_row_bytes)
        self._blocks = self._numbered(sheet_slices(content, self._part, template.sheet, others, bounds))
        try:
            first = next(self._blocks, None)
            problem = self._header_problem(first[1][0] if first else None)
            if problem:
                self._refuse(problem)
        except BaseException:
            self._blocks.close()  # the background reading stops now, not when this object is collected
            raise
        # the data rows read with the header
        self._first = (first[0] + 1, first[1][1:], first[2]) if first else None

    def _scan_whole(self) -> None:
        """Formulas, then too many rows: the problems named before any other (the slices scan the
        sheet as they go; a problem found before them asks for the whole sheet at once)."""
        try:
            rows = scan_sheet(self._content, self._part, self._checkpoint)
        except FormulaFound as found:
            raise self._formula(found) from None
        except DAMAGED:
            raise rejected(BROKEN) from None
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

    def _header_problem(self, header: list[Any] | None) -> InvalidArgument | None:
        expected = [c.header for c in self.template.columns]
        found = [normalise_header(v) for v in (header or [])]
        while found and found[-1] in ("", REASON_HEADER):
            found.pop()
        if found == expected:
            return None
        for i, want in enumerate(expected):
            got = found[i] if i < len(found) else ""
            if got != want:
                return rejected(
                    f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(i)}列应为"
                    f"“{want}”，实际为“{got[:30] or '空'}”。请使用下载的模板，不要增删或移动列"
                )
        return rejected(
            f"工作表“{self.template.sheet}”的表头与{self.template.title}不符：第{column_letter(len(expected))}"
            f"列起有多余的列“{found[len(expected)][:30]}”。请使用下载的模板，不要增删或移动列"
        )

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        for chunk in self.chunks(1000):
            yield from zip(chunk.numbers, chunk.rows)

    def chunks(self, wanted: int) -> Iterator[Chunk]:
        """The data rows, `wanted` at a time, each as wide as the template; empty rows are skipped."""
        size = min(wanted, FIRST_ROWS)  # the first chunk as small as the first slice: checking starts sooner
        try:
            yield from self._chunks(wanted, size)
        finally:
            self._blocks.close()

    def _chunks(self, wanted: int, size: int) -> Iterator[Chunk]:
        numbers: list[int] = []
        rows: list[list[Any]] = []
        held = 0  # bytes the rows in `rows` took in their slices (excel.chunks.Slice.size)
        seen = False
        blocks = self._blocks if self._first is None else itertools.chain([self._first], self._blocks)
        self._first = None
        for first, block, weight in blocks:
            kept, values = self._data_rows(first, block)
            numbers += kept
            rows += values
            held += weight
            # A chunk of `size` rows, or fewer when they are long: memory stays within chunk_bytes.
            while len(rows) >= size or (rows and held >= self._chunk_bytes):
                taken = min(size, len(rows))
                yield self._checked(numbers[:taken], rows[:taken])
                held = held * (len(rows) - taken) // len(rows)
                del numbers[:taken], rows[:taken]
                seen, size = True, wanted
        if rows:
            yield self._checked(numbers, rows)
        elif not seen:
            raise rejected(f"{self.template.title}中没有学生数据（表头下方没有填写任何行）")

    def _data_rows(self, first: int, block: list[list[Any]]) -> tuple[list[int], list[list[Any]]]:
        """The row numbers and cells of a slice's rows that are not empty, each as wide as the template
        (a slice's range is as wide as its own widest row)."""
        width = len(self.template.columns)
        if set(map(len, block)) - {width}:
            block = [v[:width] if len(v) > width else v + [""] * (width - len(v)) for v in block]
        filled = list(map(any, block))  # one C call a row: a row with any true cell is not empty
        if all(filled):
            return list(range(first, first + len(block))), block
        # A row of falsy cells is empty when they are all "" or None (0 and FALSE are values).
        kept = [i for i, (v, f) in enumerate(zip(block, filled)) if f or v.count("") + v.count(None) != width]
        return [first + i for i in kept], [block[i] for i in kept]

    def _checked(self, numbers: list[int], rows: list[list[Any]]) -> Chunk:
        """python-calamine cuts longer cells at Excel's limit: reaching it means the cell held more.
        Looked for column by column (one pass in C for a column of text) once a slice may hold such a
        cell (excel.chunks); the first such row is named."""
        columns = list(zip(*rows))
        for column in columns if self._long_text else ():
            try:
                longest = max(map(len, column))
            except TypeError:  # numbers, dates or booleans among the cells
                longest = max((len(v) for v in column if type(v) is str), default=0)
            if longest >= EXCEL_CELL_LIMIT:
                for offset, values in zip(numbers, rows):
                    for i, v in enumerate(values):
                        if type(v) is str and len(v) >= EXCEL_CELL_LIMIT:
                            self._refuse(
                                rejected(
                                    f"第{offset}行“{self.template.columns[i].header}”的内容达到或超过Excel"
                                    f"单元格上限（{EXCEL_CELL_LIMIT}个字符）：文件不是正常填写的模板，未导入任何数据"
                                )
                            )
        return Chunk(numbers, rows, columns)

    def _numbered(
        self, slices: Generator[Slice, None, None]
    ) -> Generator[tuple[int, list[list[Any]], int], None, None]:
        """(row number as Excel shows it of the first row, the rows' cells from column A, the bytes
        they may take) of each slice of the sheet that holds any row."""
        following = 1
        try:
            for sheet, long_text, size in slices:
                self._checkpoint()
                self._long_text = self._long_text or long_text
                if sheet.start is None:
                    continue  # a slice of empty rows
                first, column = sheet.start
                # Row numbers come from the cell references; a writer may leave them out (then every
                # slice would start again at its first row): count on from the previous slice.
                number = max(first + 1, following)
                block = sheet.to_python(skip_empty_area=True)
                if column:
                    block = [[""] * column + values for values in block]
                if block:
                    yield number, block, size
                following = number + len(block)
        except CalamineError:
            raise rejected(BROKEN) from None
        except FormulaFound as found:
            raise self._formula(found) from None
        except TooManyRows as too_many:
            raise self._too_many(too_many.rows) from None
        except SheetTooLarge as too_large:
            raise rejected(too_large.message) from None
        except DAMAGED:  # the sheet's bytes in the package are damaged or lie about their size
            raise rejected(BROKEN) from None
        finally:
            slices.close()  # the background reading stops now, not when the slices are collected


def _check_package(content: bytes, limits: Limits) -> dict[str, str]:
    """Zip-level checks; returns sheet name → XML part."""
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
        members = package.infolist()
    except DAMAGED:
        raise rejected(
            "文件不是有效的Excel工作簿（.xlsx），可能已损坏或不是模板文件，请使用下载的模板重新填写"
        ) from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise rejected("文件不是Excel工作簿（.xlsx），请使用下载的模板")
    # The declared sizes: zipfile reads no more than them (and then checks the CRC), so what they
    # promise bounds what is unpacked.
    if sum(m.file_size for m in members) > limits.max_unpacked_bytes or any(
        m.file_size > MB and m.file_size > limits.max_ratio * max(m.compress_size, 1) for m in members
    ):
        raise rejected("文件解压后过大，不是正常填写的模板，请使用下载的模板")
    try:
        sheets = _sheet_parts(package)
    except DAMAGED:
        raise rejected(BROKEN) from None
    parts = sum(m.file_size for m in members if m.filename in NEEDED_PARTS)
    if parts > limits.max_parts_bytes:
        raise rejected(
            f"文件的共享字符串和样式超过{limits.max_parts_bytes // MB} MB，不是正常填写的模板，请分批导入"
        )
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


def _check_template_marker(
    content: bytes, others: list[tuple[str, bytes]], part: str | None, template: Template
) -> None:
    """A workbook made from another template (e.g. HMT/foreign uploaded as resident) is refused by name."""
    if part is None:
        return  # the registrar may have copied the sheet into a new workbook: the headers decide
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        if package.getinfo(part).file_size > 64 * 1024:
            return  # not the one-cell sheet of a template: the headers decide
        marker = package.read(part)
    rows = calamine_workbook([*others, (part, marker)]).get_sheet_by_name(META_SHEET).to_python()
    key = str(rows[0][0]) if rows and rows[0] else ""
    if key and key != template.key:
        other = template_by_key(key)
        shown = f"“{other.title}”" if other else "其他模板"
        raise rejected(f"上传的文件是{shown}，此处需要“{template.title}”，请下载正确的模板")
