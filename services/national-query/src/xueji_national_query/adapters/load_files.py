"""Reading bulk-load files: CSV (UTF-8, or GB18030 as Excel saves it in China) and Excel (calamine)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from python_calamine import CalamineWorkbook

CSV, XLSX = "csv", "xlsx"


class UnreadableFile(ValueError):
    pass


def format_of(file_name: str) -> str | None:
    suffix = Path(file_name).suffix.lower()
    return {".csv": CSV, ".xlsx": XLSX, ".xls": XLSX}.get(suffix)


def open_rows(path: Path, fmt: str) -> tuple[list, Iterator[tuple[int, list]], int]:
    """(header, rows numbered from 2, estimated number of data rows)."""
    try:
        return _open_csv(path) if fmt == CSV else _open_xlsx(path)
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise UnreadableFile(f"文件无法读取：{unreadable_reason(exc)}") from None
    except Exception:  # calamine raises its own errors for damaged or non-Excel files
        raise UnreadableFile("文件无法读取，请确认是有效的Excel文件") from None


def unreadable_reason(exc: Exception) -> str:
    """What the user reads about a file that does not read (never the exception's class or text)."""
    if isinstance(exc, UnicodeDecodeError):
        return "文字编码无效（应为 UTF-8 或 GB18030）"
    if isinstance(exc, StopIteration):
        return "文件为空"
    return "CSV 格式错误"


def _encoding(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8-sig"


def _count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def _open_csv(path: Path):
    f = open(path, encoding=_encoding(path), newline="")
    reader = csv.reader(f)
    header = next(reader)

    def rows():
        with f:
            yield from enumerate(reader, start=2)

    return header, rows(), max(_count_lines(path) - 1, 0)


def _open_xlsx(path: Path):
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    iterator = sheet.iter_rows()
    header = next(iterator)
    return header, enumerate(iterator, start=2), max(sheet.height - 1, 0)
