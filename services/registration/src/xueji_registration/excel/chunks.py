"""Reading a large data sheet a slice at a time, so that memory stays bounded.

python-calamine parses a whole sheet into memory before the first row can be read (for the
registration template about 4.5 KB per row: 450 MB for 100,000 rows). Here the sheet's XML is
streamed out of the package and cut after every `rows` rows; each slice goes back into a copy of
the package (every other part as it was: shared strings, styles, the workbook) that python-calamine
reads as a small workbook. Cell references keep their row and column, so rows keep their numbers.
Only one slice's XML, package copy and parsed range are alive at a time.

The XML is cut only right after a row's end tag (`</row>`, or `</x:row>` with a namespace prefix);
text never holds a literal `<`, so such a tag cannot appear inside a cell.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from python_calamine import CalamineWorkbook

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")   # the whole sheet's size: not a slice's
_READ = 1 << 20


def sheet_slices(content: bytes, part: str, sheet: str, rows: int) -> Iterator[object]:
    """The sheet `sheet` (stored in `part`) as CalamineSheets of at most `rows` rows each, in order."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        others = [(info.filename, package.read(info.filename)) for info in package.infolist()
                  if info.filename != part]
        with package.open(part) as stream:
            for xml in _xml_slices(stream, rows):
                yield _workbook(others, part, xml).get_sheet_by_name(sheet)


def _workbook(others: list[tuple[str, bytes]], part: str, xml: bytes) -> CalamineWorkbook:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, data in others:
            package.writestr(name, data)
        package.writestr(part, xml)
    buffer.seek(0)
    return CalamineWorkbook.from_filelike(buffer)


def _xml_slices(stream, rows: int) -> Iterator[bytes]:
    """Complete worksheet documents, each with the next `rows` rows of the sheet data."""
    buffer = bytearray()
    while (found := _SHEET_DATA.search(buffer)) is None:
        data = stream.read(_READ)
        if not data:
            return
        buffer += data
    if found[2]:  # <sheetData/>: no rows at all
        return
    head = _DIMENSION.sub(b"", bytes(buffer[:found.end()]))
    root = re.search(rb"<((?:\w+:)?worksheet)\b", head)
    tail = b"</" + found[1] + b"sheetData></" + (root[1] if root else b"worksheet") + b">"
    row_end = b"</" + found[1] + b"row>"
    del buffer[:found.end()]
    taken = cut = 0   # whole rows in buffer[:cut]
    while True:
        while (end := buffer.find(row_end, cut)) >= 0:
            cut, taken = end + len(row_end), taken + 1
            if taken == rows:
                yield head + buffer[:cut] + tail
                del buffer[:cut]
                taken = cut = 0
        data = stream.read(_READ)
        if not data:
            break
        buffer += data
    if taken:
        yield head + buffer[:cut] + tail
