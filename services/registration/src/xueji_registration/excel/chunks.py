"""Reading a large data sheet a slice at a time, so that memory stays bounded.

python-calamine parses a whole sheet into memory before the first row can be read (for the
registration template about 4.5 KB per row: 450 MB for 100,000 rows). Here the sheet's XML is
streamed out of the package and cut after every `rows` rows; each slice goes back into a copy of
the package (every other part as it was: shared strings, styles, the workbook) that python-calamine
reads as a small workbook. Cell references keep their row and column, so rows keep their numbers.
The next slice is cut and parsed in a background thread while the caller works on the current one
(python-calamine parses without holding the GIL): at most three slices are alive at a time.

The XML is cut only right after a row's end tag (`</row>`, or `</x:row>` with a namespace prefix);
text never holds a literal `<`, so such a tag cannot appear inside a cell.
"""
from __future__ import annotations

import io
import queue
import re
import threading
import zipfile
from collections.abc import Iterator
from typing import NamedTuple

from python_calamine import CalamineWorkbook

from xueji_registration.excel.cells import EXCEL_CELL_LIMIT

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")   # the whole sheet's size: not a slice's
_LAST_ROW = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]+[0-9]+)"')
_SHARED_END = re.compile(rb"</(?:\w+:)?si>")
_READ = 1 << 20
FIRST_ROWS = 250


class FormulaFound(Exception):
    """A cell of the sheet holds a formula; `cell` is its reference ("" when not found near it)."""

    def __init__(self, cell: str) -> None:
        super().__init__(cell)
        self.cell = cell


class TooManyRows(Exception):
    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows   # data rows: row end tags less the header


class SheetScan:
    """The whole-file checks of a sheet's XML, fed its 1 MiB reads in order: counts the rows (row
    end tags) and raises FormulaFound at the first formula."""

    def __init__(self) -> None:
        self.rows = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        seam = self._tail[-3:] + chunk[:3]   # what spans the previous read and this one
        self.rows += chunk.count(b"row>") + seam.count(b"row>")   # "</row>", "</x:row>"
        # Every match holds "<f" or ":f" (a prefixed tag): fast byte searches spare the regex (and
        # the copy of the read behind the previous one's end) in the usual case of no formula.
        if b"<f" in chunk or b":f" in chunk or b"<f" in seam or b":f" in seam:
            window = self._tail + chunk
            found = _FORMULA.search(window)
            if found:
                refs = _CELL_REF.findall(window, 0, found.start())
                raise FormulaFound(refs[-1].decode() if refs else "")
        self._tail = (self._tail + chunk)[-4096:] if len(chunk) < 4096 else chunk[-4096:]


def scan_sheet(content: bytes, part: str) -> int:
    """The whole sheet scanned (FormulaFound at the first formula); returns its rows (end tags)."""
    scan = SheetScan()
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        while chunk := stream.read(_READ):
            scan.feed(chunk)
    return scan.rows


def declared_rows(content: bytes, part: str) -> int | None:
    """The last row the sheet's <dimension> declares (Excel writes it; some libraries do not)."""
    with zipfile.ZipFile(io.BytesIO(content)) as package, package.open(part) as stream:
        head = stream.read(1 << 16)
    head = head[:head.find(b"sheetData")] if b"sheetData" in head else head
    found = _LAST_ROW.search(head)
    return int(found[1]) if found else None


class Slice(NamedTuple):
    sheet: object      # a CalamineSheet
    long_text: bool    # whether a cell may hold EXCEL_CELL_LIMIT characters or more (else none can)


def sheet_slices(content: bytes, part: str, sheet: str, rows: int, max_rows: int) -> Iterator[Slice]:
    """The sheet `sheet` (stored in `part`) in slices of at most `rows` rows each (the first of fewer,
    so that the caller starts sooner), in order; the next one is made in a background thread while
    the current one is used. The same pass scans the sheet: FormulaFound where a formula is,
    TooManyRows (after scanning the rest for formulas) as soon as the rows are more than `max_rows`
    data rows."""
    return prefetched(_sheet_slices(content, part, sheet, rows, max_rows))


def _sheet_slices(content: bytes, part: str, sheet: str, rows: int, max_rows: int) -> Iterator[Slice]:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        others = [(info.filename, package.read(info.filename)) for info in package.infolist()
                  if info.filename != part]
        # A cell's text is in its row (inline) or in the shared strings (<si> elements): one shorter
        # in bytes than the limit cannot hold that many characters.
        shared = max((max(map(len, _SHARED_END.split(data))) for _, data in others if b"si>" in data), default=0)
        with package.open(part) as stream:
            for xml, longest_row in _xml_slices(_scanned(stream, max_rows), rows):
                yield Slice(_workbook(others, part, xml).get_sheet_by_name(sheet),
                            max(longest_row, shared) >= EXCEL_CELL_LIMIT)


def _scanned(stream, max_rows: int) -> Iterator[bytes]:
    """The stream's 1 MiB reads, each scanned before it is used."""
    scan = SheetScan()
    while data := stream.read(_READ):
        scan.feed(data)
        if scan.rows - 1 > max_rows:
            while data := stream.read(_READ):   # a formula further on is the first problem to name
                scan.feed(data)
            raise TooManyRows(scan.rows - 1)
        yield data


def _workbook(others: list[tuple[str, bytes]], part: str, xml: bytes) -> CalamineWorkbook:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, data in others:
            package.writestr(name, data)
        package.writestr(part, xml)
    buffer.seek(0)
    return CalamineWorkbook.from_filelike(buffer)


def _xml_slices(reads: Iterator[bytes], rows: int) -> Iterator[tuple[bytes, int]]:
    """Complete worksheet documents, each with the next `rows` rows of the sheet data (the first with
    the header and FIRST_ROWS rows at most), and the length of the longest of those rows (bytes)."""
    buffer = bytearray()
    while (found := _SHEET_DATA.search(buffer)) is None:
        data = next(reads, b"")
        if not data:
            return
        buffer += data
    if found[2]:  # <sheetData/>: no rows at all
        for _ in reads:   # the rest is scanned all the same
            pass
        return
    head = _DIMENSION.sub(b"", bytes(buffer[:found.end()]))
    root = re.search(rb"<((?:\w+:)?worksheet)\b", head)
    tail = b"</" + found[1] + b"sheetData></" + (root[1] if root else b"worksheet") + b">"
    row_end = b"</" + found[1] + b"row>"
    del buffer[:found.end()]
    # Rows are counted and cut by whole reads and slices (bytes.count, bytes.split), not one by one:
    # this thread then seldom needs the GIL while the rows already read are checked.
    counted = scanned = 0   # row end tags in buffer[:scanned]
    wanted = min(rows, FIRST_ROWS + 1)   # the header and FIRST_ROWS data rows: the first chunk's
    while True:
        counted += buffer.count(row_end, max(0, scanned - len(row_end) + 1))   # one across the seam too
        scanned = len(buffer)
        while counted >= wanted:
            yield _cut(buffer, wanted, head, row_end, tail)
            counted, scanned, wanted = counted - wanted, len(buffer), rows
        data = next(reads, b"")
        if not data:
            break
        buffer += data
    if counted:
        yield _cut(buffer, counted, head, row_end, tail)


def _cut(buffer: bytearray, rows: int, head: bytes, row_end: bytes, tail: bytes) -> tuple[bytes, int]:
    """The worksheet of the first `rows` rows of `buffer` (taken out of it), and the longest row's
    length."""
    lengths = list(map(len, buffer.split(row_end, rows)[:rows]))
    cut = sum(lengths) + rows * len(row_end)
    xml = head + buffer[:cut] + tail
    del buffer[:cut]
    return xml, max(lengths)


_DONE = object()


def prefetched(items: Iterator, ahead: int = 1) -> Iterator:
    """`items` made in a background thread, at most `ahead` of them waiting; an exception raised
    there is raised here, in order. Closing this iterator early stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=ahead)
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
        while thread.is_alive():   # let a producer blocked on a full queue see the stop
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass


def _put(ready: queue.Queue, entry: tuple, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            ready.put(entry, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False
