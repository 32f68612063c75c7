"""One cell → the value stored in the form, or the reason it is refused. Pure functions.

Cells arrive as python-calamine gives them: str, int, float, bool, date, datetime, or "" when
empty. What Excel users really type is accepted: dates as date cells, as Excel date serials (a
date typed into a cell formatted as a number: 40787 is 2011-09-01) or as text (2015-06-01,
2015/6/1, 2015.6.1, 20150601, 2015年6月1日), codes with or without their names ("01 汉族", "01",
"1", "汉族"), numbers typed into text columns (a phone number). What cannot be trusted is refused:
a document number stored as a number of 16+ digits has lost its last digits.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from xueji_registration.domain import codes
from xueji_registration.domain.template.columns import Column, Kind

EXCEL_CELL_LIMIT = 32767  # characters Excel can hold in one cell


class CellError(ValueError):
    """The Chinese reason a cell is refused (without the cell's content when it is personal data)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def cell_text(value: object) -> str:
    """A cell as the registrar sees it, to store a failed row and write it back."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def parse(column: Column, value: object) -> object | None:
    """The stored value of a cell (None when blank); CellError when it cannot be accepted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _PARSERS[column.kind](column, value)


def compiled(column: Column) -> Callable[[object], object | None]:
    """`parse` for one column, built once per import: the common cell (a plain string as the
    template's drop-down or a careful registrar writes it) takes a short path, anything else goes
    through `parse` itself, so that both give the same value or the same CellError."""
    fallback = functools.partial(parse, column)
    if column.kind in (Kind.TEXT, Kind.DOC_NUMBER):
        limit = column.max_length

        def text(value: object) -> object | None:
            # isprintable() excludes line breaks, tabs and U+3000, the cases `_text` rewrites.
            if type(value) is str and len(value) <= limit and value.isprintable() and (kept := value.strip()):
                return kept
            return fallback(value)

        return text
    if column.kind in (Kind.CODE, Kind.CHOICE):
        exact = {k: v for k, v in column.accepted.items() if re.sub(r"\s+", " ", k).strip() == k}

        def choice(value: object) -> object | None:
            found = exact.get(value) if type(value) is str else None
            return fallback(value) if found is None else found

        return choice
    if column.kind in (Kind.DATE, Kind.YEAR_MONTH, Kind.DIVISION):
        # Few distinct texts per file (birth dates, division codes): remember each one's outcome.
        remembered = functools.lru_cache(maxsize=4096)(_outcome(fallback))

        def cached(value: object) -> object | None:
            if type(value) is not str:
                return fallback(value)
            result = remembered(value)
            if isinstance(result, CellError):
                raise CellError(result.message)
            return dict(result) if isinstance(result, dict) else result  # dates: a fresh dict per row

        return cached
    return fallback


def _outcome(parse_one: Callable[[object], object]) -> Callable[[str], object]:
    def outcome(text: str) -> object:
        try:
            return parse_one(text)
        except CellError as exc:
            return exc.with_traceback(None)  # kept: its frames would keep the caller's alive, in a cycle

    return outcome


def _text(column: Column, value: object) -> str:
    text = cell_text(value)
    if "\n" in text or "\t" in text or "\u3000" in text:  # Alt+Enter line breaks in an address
        text = re.sub(r"\s+", " ", text).strip()
    if len(text) > column.max_length:
        raise CellError(f"{column.header}不能超过{column.max_length}个字")
    if not text.isprintable():
        raise CellError(f"{column.header}含有不可见字符")
    return text


def _choice(column: Column, value: object) -> object:
    text = re.sub(r"\s+", " ", cell_text(value))
    found = column.accepted.get(text)
    if found is None and column.field.endswith("nationality_code") and text.upper() in codes.NATIONALITY:
        found = text.upper()
    if found is None:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise CellError(f"“{shown}”不是有效的{column.header}，请从下拉列表中选择")
    return found


_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _date(column: Column, value: object) -> dict[str, Any]:
    day = _as_date(value)
    if day is None:
        raise CellError(f"{column.header}不是有效日期，格式应为YYYY-MM-DD（如2015-06-01）")
    if not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise CellError(f"{column.header}超出有效范围")
    return {"year": day.year, "month": day.month, "day": day.day}


# Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is 1900-02-29, a day that never
# was (Lotus 1-2-3's leap-year bug, kept by Excel): serials after it count from 1899-12-30.
_SERIAL_MAX = 2958465  # 9999-12-31, the last date Excel has
_SERIAL_TEXT = re.compile(r"\d{1,5}(\.0+)?")


def excel_serial_date(serial: float) -> dt.date | None:
    """The day of an Excel serial date (its time of day dropped); None for 0, 60 and out of range."""
    whole = int(serial)
    if not 1 <= whole <= _SERIAL_MAX or whole == 60:
        return None
    return dt.date(1899, 12, 31 if whole < 60 else 30) + dt.timedelta(days=whole)


def _serial_of(value: object) -> float | None:
    """A cell holding a number (or its text of up to 5 digits, which no date text is): the serial."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _SERIAL_TEXT.fullmatch(value.strip()):
        return float(value)
    return None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    serial = _serial_of(value)
    if serial is not None and not re.fullmatch(r"\d{8}", text):  # 20150601 typed as a number is a date text
        return excel_serial_date(serial)
    match = _DATE_TEXT.fullmatch(text)
    if match:
        parts = match.groups()
    elif re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    else:
        return None
    try:
        return dt.date(*(int(p) for p in parts))
    except ValueError:
        return None


def _year_month(column: Column, value: object) -> str:
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        text = cell_text(value)
        match = re.fullmatch(r"(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?", text)
        serial = _serial_of(value)
        if serial is not None and not (match and _plausible(int(match[1]), int(match[2]))):
            day = excel_serial_date(serial)  # 45536 (2024-09-01), not the year 4553
            match = re.fullmatch(r"(\d{4})(\d{2})", f"{day:%Y%m}") if day else None
        if not match:
            raise CellError(f"{column.header}格式应为YYYYMM（如202409）")
        year, month = int(match[1]), int(match[2])
    if not _plausible(year, month):
        raise CellError(f"{column.header}不是有效的年月，格式应为YYYYMM（如202409）")
    return f"{year:04d}{month:02d}"


def _plausible(year: int, month: int) -> bool:
    return 1 <= month <= 12 and 1900 <= year <= dt.date.today().year + 1


def _division(column: Column, value: object) -> str:
    text = cell_text(value).split(" ")[0]
    if not codes.is_division_code(text):
        raise CellError(f"{column.header}应为6位行政区划代码（如330102）")
    return text


def _number(column: Column, value: object) -> float:
    try:
        number = float(cell_text(value))
    except ValueError:
        raise CellError(f"{column.header}应为数字") from None
    if not 0 <= number <= 1000:
        raise CellError(f"{column.header}应在0到1000之间")
    return number


def _doc_number(column: Column, value: object) -> str:
    if isinstance(value, float) and abs(value) >= 1e15:
        raise CellError(f"{column.header}被保存为数字，末几位已丢失：请将单元格设为“文本”格式后重新输入")
    return _text(column, value)


_PARSERS = {
    Kind.TEXT: _text,
    Kind.CODE: _choice,
    Kind.CHOICE: _choice,
    Kind.DATE: _date,
    Kind.YEAR_MONTH: _year_month,
    Kind.DIVISION: _division,
    Kind.NUMBER: _number,
    Kind.DOC_NUMBER: _doc_number,
}
