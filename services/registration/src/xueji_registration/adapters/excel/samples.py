"""Filled-in workbooks for tests, the benchmark and demos: valid rows, and a corpus of bad files.

Valid rows carry realistic names (Faker zh_CN) and resident ID numbers that are unique and valid
(county division + birth date + sequence + GB 11643 check digit, xueji_common.demo). Files are
written with openpyxl's write-only mode, fast enough for 100,000 rows.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator

from faker import Faker
from openpyxl import Workbook

from xueji_common.demo import make_resident_id
from xueji_registration.adapters.excel.reader import META_SHEET
from xueji_registration.adapters.excel.writer import header_texts, template_workbook
from xueji_registration.domain.template.columns import Template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.testing import sample_form


def resident_numbers(
    count: int, *, division: str = "330102", first_birth: dt.date = dt.date(2012, 1, 1)
) -> Iterator[tuple[str, dt.date]]:
    """`count` distinct valid resident ID numbers: 1000 per birth date, one birth date after another."""
    for i in range(count):
        born = first_birth + dt.timedelta(days=i // 1000)
        yield make_resident_id(division, born, i % 1000), born


def student_rows(
    template: Template,
    count: int,
    *,
    seed: int = 7,
    grade: str | None = None,
    numbers: Iterable[str] | None = None,
) -> Iterator[list[str]]:
    """Valid rows of a resident registration template (grade: the form's, or `grade`)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = [fake.name() for _ in range(min(count, 500))]
    base = sample_form("resident", **({"grade": grade} if grade else {}))
    numbers = iter(numbers) if numbers is not None else (n for n, _ in resident_numbers(count))
    for i in range(count):
        form = {
            **base,
            "name": names[i % len(names)],
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": next(numbers)},
        }
        yield form_cells(template, form)


def workbook(
    template: Template,
    rows: Iterable[list],
    *,
    marker: bool = True,
    header: list | None = None,
    sheet: str | None = None,
) -> bytes:
    """A filled-in template written fast (write-only: no drop-downs or styles, as a registrar's copy)."""
    book = Workbook(write_only=True)
    data = book.create_sheet(sheet or template.sheet)
    data.append(header if header is not None else header_texts(template))
    for row in rows:
        data.append(row)
    if marker:
        book.create_sheet(META_SHEET).append([template.key])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bad_workbooks(template: Template, good_row: list) -> dict[str, bytes]:
    """The corpus: each file must be refused as a whole with one clear error, importing nothing."""
    good = workbook(template, [good_row])
    wrong_header = header_texts(template)
    wrong_header[2] = "生日"
    formula_row = list(good_row)
    formula_row[0] = '=CONCATENATE("张","三")'
    huge_row = list(good_row)
    huge_row[27] = "很" * (1024 * 1024)  # 现住址: 1 MiB in one cell, beyond Excel's 32767
    return {
        "truncated zip": good[: len(good) // 2],
        "not a workbook": "姓名,性别\n张三,男\n".encode(),
        "empty file": b"",
        "wrong headers": workbook(template, [good_row], header=wrong_header),
        "wrong sheet": workbook(template, [good_row], sheet="Sheet1"),
        "formulas": workbook(template, [good_row, formula_row]),
        "1 MB cell after good rows": workbook(template, [good_row, huge_row]),
        "header only": workbook(template, []),
        "zip without workbook": _zip_without_workbook(),
    }


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "not a spreadsheet")
    return buffer.getvalue()


def styled_template(template: Template, rows: Iterable[list]) -> bytes:
    """A filled-in copy of the downloaded template itself (drop-downs, styles and all)."""
    return template_workbook(template, rows)
