"""PostgreSQL helpers of the bulk load: rows as COPY text, and the indexes of a first load.

COPY text: columns separated by tabs, one line per row; a backslash, tab, newline or carriage
return inside a value is escaped with a backslash. Only the free-text columns can hold one (the
others are checked codes, digits and hex, and the national student number comes encrypted: base64url
text), and NUL never reaches here (the row check refuses it).
"""

from __future__ import annotations

import datetime as dt

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(value: str) -> str:
    return value.translate(_ESCAPES)


class CopyLines:
    """Rows of RowParser.ROW_FIELDS → COPY text. Dates and times repeat a lot: their text is cached."""

    _CACHE_LIMIT = 200_000

    def __init__(self) -> None:
        self._dates: dict[dt.date, str] = {}
        self._times: dict[dt.datetime, str] = {}

    def encode(self, rows: list[tuple], sealed_numbers: list[str]) -> bytes:
        """`sealed_numbers`: the rows' national student numbers as stored (encrypted), in row order."""
        dates, times, line = self._dates, self._times, self._line
        if len(dates) > self._CACHE_LIMIT or len(times) > self._CACHE_LIMIT:
            dates.clear()
            times.clear()
        return "".join(
            [line(row, sealed, dates, times) for row, sealed in zip(rows, sealed_numbers)]
        ).encode()

    @staticmethod
    def _line(row: tuple, nsn: str, dates: dict, times: dict) -> str:
        (
            record_id,
            _,
            nsn_hash,
            name,
            gender,
            birth,
            doc_type,
            doc_hash,
            masked,
            province,
            school_code,
            school_name,
            stage,
            status,
            problem,
            version,
            changed,
        ) = row
        birth_text = dates.get(birth)
        if birth_text is None:
            birth_text = dates[birth] = birth.isoformat()
        changed_text = times.get(changed)
        if changed_text is None:
            changed_text = times[changed] = changed.isoformat()
        free_text = name + masked + school_name
        if not free_text.isprintable() or "\\" in free_text:
            name, masked, school_name = _escaped(name), _escaped(masked), _escaped(school_name)
        return (
            f"{record_id}\t{nsn}\t{nsn_hash}\t{name}\t{gender}\t{birth_text}\t{doc_type}\t{doc_hash}\t{masked}\t"
            f"{province}\t{school_code}\t{school_name}\t{stage}\t{status}\t{'t' if problem else 'f'}\t"
            f"{version}\t{changed_text}\n"
        )
