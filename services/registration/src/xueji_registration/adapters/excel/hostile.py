"""Hostile workbooks for the tests and the benchmark, generated (none is checked in): each shape a
registrar's upload can take that once cost quadratic time, unbounded memory or an UNKNOWN answer
(issue 13 §1). The sheet XML is written directly (inline strings, streamed into the package), so
that a file of 50,000 rows or 64 MB of XML takes a second, not openpyxl's minute.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from xueji_registration.adapters.excel.reader import META_SHEET, column_letter
from xueji_registration.adapters.excel.writer import header_texts
from xueji_registration.domain.template.columns import Template

MB = 1024 * 1024
_NS = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType'
    '="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
    '"worksheets/sheet2.xml"/></Relationships>'
)


def package(template: Template, sheet: Iterable[bytes], *, level: int = 1, shared: list[str] = ()) -> bytes:
    """A workbook of the template's data sheet (its XML given in pieces) and the marker sheet, and
    the `shared` strings (cells t="s" refer to them by index)."""
    book = (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        f'<sheet name="{template.sheet}" sheetId="1" r:id="rId1"/><sheet name="{META_SHEET}" sheetId="2" '
        'state="veryHidden" r:id="rId2"/></sheets></workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        out.writestr("[Content_Types].xml", _TYPES)
        out.writestr("_rels/.rels", _RELS)
        out.writestr("xl/workbook.xml", book)
        out.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        if shared:
            out.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                f'main" count="{len(shared)}">'
                + "".join(f"<si><t>{escape(t)}</t></si>" for t in shared)
                + "</sst>",
            )
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for piece in sheet:
                part.write(piece)
        out.writestr(
            "xl/worksheets/sheet2.xml",
            _NS.decode() + '<sheetData><row r="1"><c r="A1" t="inlineStr">'
            f"<is><t>{template.key}</t></is></c></row></sheetData></worksheet>",
        )
    return buffer.getvalue()


def row_xml(number: int, cells: Iterable[object], first_column: int = 0) -> bytes:
    out = [f'<row r="{number}">']
    for i, value in enumerate(cells, start=first_column):
        if value not in ("", None):
            out.append(
                f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
            )
    out.append("</row>")
    return "".join(out).encode()


def sheet(template: Template, rows: Iterable[list], head: bytes = b"") -> Iterator[bytes]:
    """A data sheet: the template's header in row 1, then `rows` from row 2."""
    yield _NS + head + b"<sheetData>" + row_xml(1, header_texts(template))
    for number, cells in enumerate(rows, start=2):
        yield row_xml(number, cells)
    yield b"</sheetData></worksheet>"


def no_sheet_data(template: Template, megabytes: float) -> bytes:
    """A sheet of `megabytes` of XML and no <sheetData> at all (once quadratic to look through)."""
    filler = b'<sheetFormatPr defaultRowHeight="15"/>' * 27000  # ~1 MB
    return package(template, [_NS, *[filler] * int(megabytes), b"</worksheet>"])


def head_of(megabytes: float) -> bytes:
    """XML that may stand before <sheetData> (column widths), about `megabytes` long."""
    col = b'<col min="1" max="1" width="12.5" customWidth="1"/>'
    return b"<cols>" + col * int(megabytes * MB / len(col)) + b"</cols>"


def giant_row(template: Template, good_row: list, megabytes: float) -> bytes:
    """A good row, then one row of `megabytes` of text in cells of 30,000 characters (each under
    Excel's limit), from column A on; the text does not compress (hexadecimal digits)."""
    text = random.Random(7).randbytes(int(megabytes * MB) // 2).hex()
    cells = [text[i : i + 30_000] for i in range(0, len(text), 30_000)]
    return package(template, sheet(template, [good_row, cells]))


def failing_rows(template: Template, good_rows: list[list], failing: int) -> bytes:
    """The good rows, then `failing` rows that repeat the first one's document number."""
    return package(template, sheet(template, [*good_rows, *([good_rows[0]] * failing)]))


def far_cell(template: Template, good_row: list, column: int) -> bytes:
    """A good row with one more cell at `column` (0-based; 16383 is XFD, Excel's last)."""
    cells = [*good_row, *[""] * (column - len(good_row)), "备注"]
    return package(template, sheet(template, [cells]))


def shared_bomb(template: Template, good_row: list, rows: int) -> bytes:
    """`rows` rows whose every cell beyond the first nine refers to one shared string of 30,000
    characters: a small sheet that python-calamine would expand to 2 GB per 1,000 rows."""
    cells = "".join(
        f'<c r="{column_letter(i)}{{n}}" t="s"><v>0</v></c>' for i in range(9, len(template.columns))
    )

    def numbered(n: int) -> bytes:
        return row_xml(n, good_row[:9])[:-6] + cells.replace("{n}", str(n)).encode() + b"</row>"

    head = _NS + b"<sheetData>" + row_xml(1, header_texts(template))
    return package(
        template,
        [head, *(numbered(n) for n in range(2, rows + 2)), b"</sheetData></worksheet>"],
        shared=["长" * 30_000],
    )


def whitespace_bomb(template: Template, megabytes: float) -> bytes:
    """A sheet that unpacks to `megabytes` of spaces between its rows (about 1000:1)."""
    blank = b" " * MB
    return package(
        template,
        [
            _NS + b"<sheetData>" + row_xml(1, header_texts(template)),
            *[blank] * int(megabytes),
            b"</sheetData></worksheet>",
        ],
        level=9,
    )


# Damaged packages: a good file's data sheet member with its fields changed, in the local header and
# in the central directory alike (offsets of the ZIP format, APPNOTE 4.3.7 and 4.3.12).
_LOCAL_CRC, _CENTRAL_CRC = 14, 16


def damaged(
    content: bytes,
    *,
    crc: int | None = None,
    packed: int | None = None,
    unpacked: int | None = None,
    member: str = "xl/worksheets/sheet1.xml",
) -> bytes:
    """`content` with the member's CRC, compressed or uncompressed size replaced by the given value."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(member)
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(member)] != member.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    for value, offset in ((crc, 0), (packed, 4), (unpacked, 8)):
        if value is not None:
            struct.pack_into("<I", data, info.header_offset + _LOCAL_CRC + offset, value)
            struct.pack_into("<I", data, central + _CENTRAL_CRC + offset, value)
    return bytes(data)
