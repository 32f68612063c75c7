"""Reading a large data sheet a slice at a time, so that memory stays bounded whatever the sheet holds.

python-calamine parses a whole sheet into memory before the first row can be read (for the
registration template about 4.5 KB per row: 450 MB for 100,000 rows). Here the sheet's XML is
streamed out of the package and cut after every `rows` rows; each slice goes back into a copy of
the parts python-calamine needs (workbook, relationships, shared strings, styles) that it reads as a
small workbook. Cell references keep their row and column, so rows keep their numbers. The next
slice is cut and parsed in a background thread while the caller works on the current one
(python-calamine parses without holding the GIL): at most three slices are alive at a time.

Every step is linear in the sheet's size and holds a bounded amount of it (`Bounds`), whatever its
shape: the XML before <sheetData> is looked for in the reads as they come (not searched again from
the start), a slice is cut after `rows` rows or `slice_bytes` bytes, a row longer than `row_bytes`,
with more cells than `MAX_COLUMNS` or a cell beyond that column is refused (python-calamine would
make every row of the slice as wide as the widest), and a slice whose cells may repeat long shared
strings is cut smaller, so that what python-calamine makes of it stays within `slice_bytes`.

The XML is cut only right after a row's end tag (`</row>`, or `</x:row>` with a namespace prefix);
text never holds a literal `<`, so such a tag cannot appear inside a cell.
"""

from __future__ import annotations

import bisect
import html
import io
import itertools
import queue
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, NamedTuple, TypeVar
from xml.sax import saxutils

from python_calamine import CalamineSheet, CalamineWorkbook

from xueji_registration.domain.template.cells import EXCEL_CELL_LIMIT

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")  # the whole sheet's size: not a slice's
_LAST_ROW = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]+[0-9]+)"')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,7})"')
# A cell reference beyond column CZ (MAX_COLUMNS): three letters, or two from DA on.
_FAR_CELL = re.compile(rb' r="(?:[A-Z]{3}|[D-Z][A-Z])[0-9]')
_SHARED_END = re.compile(rb"</(?:\w+:)?si>")
_EMPTY_ROWS = re.compile(rb"(?:\s*<(?:\w+:)?row\b[^>]*/>)*")
_TAG = re.compile(rb"<[^>]*>")
LONG_TEXT = 201  # characters: longer than any field of a template takes (domain.form.MAX_TEXT)
_READ = 1 << 20
_LOOK_BACK = 4096  # bytes of the previous reads searched again for a tag cut by a read's end
FIRST_ROWS = 250
MAX_COLUMNS = 104  # column CZ: the templates have at most 72 columns (BT), a registrar may add a few
HEAD_BYTES = 4 << 20  # the XML before <sheetData> (sheet properties, views, column widths)
# What a zip member may raise when its bytes are damaged or its size fields lie: zipfile reads no
# more than the declared size and checks the CRC at the end.
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    zlib.error,
    OSError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
)
# Parts of the package python-calamine needs to read the data sheet (the others are left out).
NEEDED_PARTS = (
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
)


class FormulaFound(Exception):
    """A cell of the sheet holds a formula; `cell` is its reference ("" when not found near it)."""

    def __init__(self, cell: str) -> None:
        super().__init__(cell)
        self.cell = cell


class TooManyRows(Exception):
    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows  # data rows: row end tags less the header


class SheetTooLarge(Exception):
    """A row or the sheet's head is beyond its limit; `message` names it for the registrar."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Bounds(NamedTuple):
    rows: int  # rows a slice holds at most
    max_rows: int  # data rows of the sheet
    slice_bytes: int  # what a slice may expand to: its XML and the shared strings its cells repeat
    row_bytes: int  # XML of one row


class SheetScan:
    """The whole-file checks of a sheet's XML, fed its 1 MiB reads in order: counts the rows (row
    end tags) and raises FormulaFound at the first formula."""

    def __init__(self) -> None:
        self.rows = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        seam = self._tail[-3:] + chunk[:3]  # what spans the previous read and this one
        self.rows += chunk.count(b"row>") + seam.count(b"row>")  # "</row>", "</x:row>"
        # Every match holds "<f" or ":f" (a prefixed tag): fast byte searches spare the regex (and
        # the copy of the read behind the previous one's end) in the usual case of no formula.
        if b"<f" in chunk or b":f" in chunk or b"<f" in seam or b":f" in seam:
            window = self._tail + chunk
            found = _FORMULA.search(window)
            if found:
                refs = _CELL_REF.findall(window, 0, found.start())
                raise FormulaFound(refs[-1].decode() if refs else "")
        self._tail = (self._tail + chunk)[-4096:] if len(chunk) < 4096 else chunk[-4096:]


def scan_sheet(content: bytes, part: str, checkpoint: Callable[[], None] | None = None) -> int:
    """The whole sheet scanned (FormulaFound at the first formula); returns its rows (end tags)."""
    scan = SheetScan()
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        while chunk := stream.read(_READ):
            scan.feed(chunk)
            if checkpoint:
                checkpoint()
    return scan.rows


def declared_rows(content: bytes, part: str) -> int | None:
    """The last row the sheet's <dimension> declares (Excel writes it; some libraries do not)."""
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        head = stream.read(1 << 16)
    head = head[: head.find(b"sheetData")] if b"sheetData" in head else head
    found = _LAST_ROW.search(head)
    return int(found[1]) if found else None


def needed_parts(content: bytes) -> list[tuple[str, bytes]]:
    """The parts python-calamine needs besides the data sheet, read through zipfile (the CRC checked,
    no more than the declared size); the shared strings shortened (`shortened`)."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        names = set(package.namelist())
        return [
            (name, shortened(package.read(name)) if name == "xl/sharedStrings.xml" else package.read(name))
            for name in NEEDED_PARTS
            if name in names
        ]


def shortened(shared: bytes) -> bytes:
    """The shared strings with every text longer than any field takes (LONG_TEXT characters) cut
    there, unless it reaches Excel's cell limit (refused by row and column, excel.reader).

    Every cell that refers to a shared string gets its own copy of the text: a short sheet repeating
    one long string in all its cells would cost python-calamine gigabytes and minutes. Cut, such a
    string costs what a cell of the longest text a field takes costs, and the cell is still refused
    on its row (every field takes at most 200 characters)."""
    found = _SHARED_END.search(shared)
    if found is None:
        return shared
    end = found[0]  # "</si>", or "</x:si>" with a namespace prefix
    prefix = end[2:-3]
    pieces = shared.split(end)
    for i in [i for i, piece in enumerate(pieces) if len(piece) > LONG_TEXT]:  # the usual case: none
        start = pieces[i].find(b"<" + prefix + b"si")
        if start >= 0:
            text = html.unescape(_TAG.sub(b"", pieces[i][start:]).decode("utf-8", "replace"))
            if LONG_TEXT < len(text) < EXCEL_CELL_LIMIT:
                short = saxutils.escape(text[:LONG_TEXT]).encode()
                pieces[i] = pieces[i][:start] + b"<%ssi><%st>%s</%st>" % (prefix, prefix, short, prefix)
    return end.join(pieces)


def calamine_workbook(parts: list[tuple[str, bytes]]) -> CalamineWorkbook:
    """A workbook of these parts (stored, not compressed) for python-calamine: it never reads the
    upload itself, whose size fields and checksums zipfile has checked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, data in parts:
            package.writestr(name, data)
    buffer.seek(0)
    return CalamineWorkbook.from_filelike(buffer)


class Slice(NamedTuple):
    sheet: CalamineSheet
    long_text: bool  # whether a cell may hold EXCEL_CELL_LIMIT characters or more (else none can)
    size: int  # bytes its values may take: its XML and the shared strings its cells repeat


def sheet_slices(
    content: bytes, part: str, sheet: str, others: list[tuple[str, bytes]], bounds: Bounds
) -> Generator[Slice, None, None]:
    """The sheet `sheet` (stored in `part`) in slices of at most `bounds.rows` rows each (the first of
    fewer, so that the caller starts sooner), in order; the next one is made in a background thread
    while the current one is used. `others`: the parts python-calamine needs besides the sheet. The
    same pass scans the sheet: FormulaFound where a formula is, TooManyRows (after scanning the rest
    for formulas) as soon as the rows are more than `bounds.max_rows` data rows, SheetTooLarge at a
    row beyond its limits."""
    return prefetched(_sheet_slices(content, part, sheet, others, bounds))


def _sheet_slices(
    content: bytes, part: str, sheet: str, others: list[tuple[str, bytes]], bounds: Bounds
) -> Iterator[Slice]:
    # A cell's text is in its row (inline) or in the shared strings (<si> elements): one shorter in
    # bytes than the limit cannot hold that many characters.
    shared = max((max(map(len, _SHARED_END.split(data))) for _, data in others if b"si>" in data), default=0)
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        for xml, longest_row, size in _xml_slices(_scanned(stream, bounds.max_rows), bounds, shared):
            yield Slice(
                calamine_workbook([*(p for p in others if p[0] != part), (part, xml)]).get_sheet_by_name(
                    sheet
                ),
                max(longest_row, shared) >= EXCEL_CELL_LIMIT,
                size,
            )


def _scanned(stream: IO[bytes], max_rows: int) -> Iterator[bytes]:
    """The stream's 1 MiB reads, each scanned before it is used."""
    scan = SheetScan()
    while data := stream.read(_READ):
        scan.feed(data)
        if scan.rows - 1 > max_rows:
            while data := stream.read(_READ):  # a formula further on is the first problem to name
                scan.feed(data)
            raise TooManyRows(scan.rows - 1)
        yield data


def _xml_slices(reads: Iterator[bytes], bounds: Bounds, shared: int) -> Iterator[tuple[bytes, int, int]]:
    """Complete worksheet documents, each with the next rows of the sheet data (the first with the
    header and FIRST_ROWS rows at most), the length of the longest of those rows and the bytes the
    slice may expand to."""
    buffer = bytearray()
    start = 0
    while (found := _SHEET_DATA.search(buffer, start)) is None:
        if len(buffer) > HEAD_BYTES:
            raise SheetTooLarge(
                f"工作表在数据行之前有超过{HEAD_BYTES >> 20} MB的其他内容，不是正常填写的模板，未导入任何数据"
            )
        start = max(0, len(buffer) - _LOOK_BACK)  # only the new read, and a tag it may have cut
        data = next(reads, b"")
        if not data:
            return
        buffer += data
    if found[2]:  # <sheetData/>: no rows at all
        for _ in reads:  # the rest is scanned all the same
            pass
        return
    head = _DIMENSION.sub(b"", bytes(buffer[: found.end()]))
    root = re.search(rb"<((?:\w+:)?worksheet)\b", head)
    cutter = _Cutter(head, found[1], root[1] if root else b"worksheet", bounds, shared)
    del buffer[: found.end()]
    # Rows are counted by whole reads (bytes.count) and cut a slice at a time, with one C call or two
    # a row: this thread then seldom needs the GIL while the rows already read are checked.
    counted = scanned = 0  # row end tags in buffer[:scanned]
    row_end = cutter.row_end
    wanted = min(bounds.rows, FIRST_ROWS + 1)  # the header and FIRST_ROWS data rows: the first chunk's
    while True:
        counted += buffer.count(row_end, max(0, scanned - len(row_end) + 1))  # one across the seam too
        scanned = len(buffer)
        while counted >= wanted or (counted and len(buffer) >= bounds.slice_bytes):
            cut = cutter.cut(buffer, min(counted, wanted))
            yield cut[:3]
            counted, scanned, wanted = counted - cut[3], len(buffer), bounds.rows
        if not counted:  # the buffer holds what follows the last row: a row being read, or the end
            if cutter.data_end in buffer:
                for _ in reads:  # what follows the rows is scanned, not kept
                    pass
                return
            if len(buffer) > bounds.row_bytes:
                # Rows without cells (Excel writes <row r="9" s="1" customFormat="1"/> for a formatted
                # empty row) have no end tag: thousands of them are left out, not a row too long.
                empty = _EMPTY_ROWS.match(buffer)
                if empty is None or not empty.end():
                    raise cutter.too_long(cutter.rows_cut + 1, bytes(buffer[:512]))
                del buffer[: empty.end()]
        data = next(reads, b"")
        if not data:
            break
        buffer += data
    while counted:
        cut = cutter.cut(buffer, counted)
        yield cut[:3]
        counted -= cut[3]


class _Cutter:
    """Cuts complete rows off the front of the buffer into worksheet documents, checking each row."""

    def __init__(self, head: bytes, prefix: bytes, root: bytes, bounds: Bounds, shared: int) -> None:
        self.head, self.bounds, self.shared = head, bounds, shared
        self.row_end = b"</" + prefix + b"row>"
        self.row_start = b"<" + prefix + b"row"
        self.data_end = b"</" + prefix + b"sheetData"
        self.tail = b"</" + prefix + b"sheetData></" + root + b">"
        self._cell = b"<" + prefix + b"c"
        self.rows_cut = 0  # rows cut so far (the header is the first)

    def cut(self, buffer: bytearray, rows: int) -> tuple[bytes, int, int, int]:
        """(the worksheet of the first `rows` rows of `buffer` or fewer, taken out of it; the longest
        row's length; the bytes the slice may expand to; how many rows it holds). Rows are found and
        measured in place (no copy of what follows them: a slice cut short leaves the buffer as it is)."""
        find, count, row_end = buffer.find, buffer.count, self.row_end
        ends = [0]
        for _ in range(rows):
            ends.append(find(row_end, ends[-1]) + len(row_end))
        spans = list(itertools.pairwise(ends))
        lengths = [end - start for start, end in spans]
        if max(lengths) > self.bounds.row_bytes:
            for at, (start, end) in enumerate(spans):
                own = self._own_start(buffer, start, end)
                if end - own > self.bounds.row_bytes:
                    raise self.too_long(self.rows_cut + at + 1, bytes(buffer[own : own + 512]))
        columns = [count(self._cell, start, end) for start, end in spans]  # "<color" of rich text counts too
        cut = ends[-1]
        far = _FAR_CELL.search(buffer, 0, cut)
        if far or max(columns) > MAX_COLUMNS:
            at = (
                bisect.bisect_right(ends, far.start()) - 1
                if far
                else next(i for i, n in enumerate(columns) if n > MAX_COLUMNS)
            )
            own = self._own_start(buffer, ends[at], ends[at + 1])
            raise self.too_wide(self.rows_cut + at + 1, bytes(buffer[own : own + 512]))
        size = cut + (count(b't="s"', 0, cut) * self.shared if self.shared else 0)
        if size > self.bounds.slice_bytes and rows > 1:  # long shared strings, repeated: fewer rows
            expanded, rows = 0, 0
            for start, end in spans:
                expanded += end - start + count(b't="s"', start, end) * self.shared
                if rows and expanded > self.bounds.slice_bytes:
                    break
                rows += 1
            cut = ends[rows]
            size = cut + count(b't="s"', 0, cut) * self.shared
        xml = self.head + buffer[:cut] + self.tail
        del buffer[:cut]
        self.rows_cut += rows
        return xml, max(lengths[:rows]), size, rows

    def _own_start(self, buffer: bytearray, start: int, end: int) -> int:
        """Where the row ending at `end` starts: at its <row> tag (formatted empty rows, <row .../>
        without an end tag, may stand between it and the row before)."""
        return max(start, buffer.rfind(self.row_start, start, end))

    def too_long(self, index: int, row: bytes) -> SheetTooLarge:
        return SheetTooLarge(
            f"第{_row_number(row, index)}行的内容超过{self.bounds.row_bytes >> 10} KB的上限"
            f"（单元格不能超过Excel上限{EXCEL_CELL_LIMIT}个字符），不是正常填写的模板，未导入任何数据"
        )

    def too_wide(self, index: int, row: bytes) -> SheetTooLarge:
        return SheetTooLarge(
            f"第{_row_number(row, index)}行在CZ列之后或超过{MAX_COLUMNS}个单元格中还有内容："
            "请删除模板以外的列后再导入，未导入任何数据"
        )


def _row_number(row: bytes, index: int) -> int:
    """The row's number as Excel shows it (its r attribute), else its place among the rows."""
    found = _ROW_NUMBER.search(row, 0, 512)
    return int(found[1]) if found else index


_DONE = object()
T = TypeVar("T")


def prefetched(items: Iterator[T], ahead: int = 1) -> Generator[T, None, None]:
    """`items` made in a background thread, at most `ahead` of them waiting; an exception raised
    there is raised here, in order. Closing this iterator early stops the thread."""
    ready: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                if not _put(ready, (item, None), stop):
                    return
            _put(ready, (_DONE, None), stop)
        except BaseException as exc:  # handed over to the consumer, raised there
            _put(ready, (_DONE, exc), stop)

    thread = threading.Thread(target=make, name="sheet-slices", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue see the stop
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass


def _put(
    ready: queue.Queue[tuple[Any, BaseException | None]],
    entry: tuple[Any, BaseException | None],
    stop: threading.Event,
) -> bool:
    while not stop.is_set():
        try:
            ready.put(entry, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False
