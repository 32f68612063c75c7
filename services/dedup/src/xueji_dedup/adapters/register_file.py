"""Loading the default population register (基础数据库, the `population_register` table) from a CSV
file: UTF-8, header `resident_id,name,gender,birth_date,household_division` (gender 1/2 or 男/女,
birth date YYYY-MM-DD). The file replaces the table whole, in one transaction, with the numbers hashed
with the current XUEJI_HASH_KEY (a first load, or again after a rotation of the key). Rows that fail a
check are reported (row number, reason) and left out."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert

from xueji_common.documents import DocumentError, DocumentType, validate_document
from xueji_common.hashing import document_hash
from xueji_dedup.adapters.tables import population

COLUMNS = ("resident_id", "name", "gender", "birth_date", "household_division")
_GENDERS = {"1": 1, "2": 2, "男": 1, "女": 2}
BATCH = 5000


@dataclass
class RegisterLoad:
    rows_total: int = 0
    rows_loaded: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason), first 1000


def load_register(engine, path: Path, hash_key: str, progress=None) -> RegisterLoad:
    report, seen = RegisterLoad(), set()
    with path.open(newline="", encoding="utf-8-sig") as f, engine.begin() as conn:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"文件缺少列：{', '.join(missing)}")
        conn.execute(delete(population))
        batch = []
        for number, row in enumerate(reader, start=2):
            report.rows_total += 1
            values = _row(row, hash_key)
            if isinstance(values, str) or values["document_hash"] in seen:
                if len(report.problems) < 1000:
                    report.problems.append((number, values if isinstance(values, str) else "身份证件号重复"))
                continue
            seen.add(values["document_hash"])
            batch.append(values)
            if len(batch) >= BATCH:
                conn.execute(insert(population), batch)
                report.rows_loaded, batch = report.rows_loaded + len(batch), []
                if progress:
                    progress(report.rows_total)
        if batch:
            conn.execute(insert(population), batch)
            report.rows_loaded += len(batch)
    return report


def _row(row: dict, hash_key: str) -> dict | str:
    """The table row, or the reason the row is refused."""
    try:
        doc = validate_document(DocumentType.RESIDENT_ID, row["resident_id"])
    except DocumentError as exc:
        return f"居民身份证号无效：{exc.message}"
    name, division = (row["name"] or "").strip(), (row["household_division"] or "").strip()
    gender = _GENDERS.get((row["gender"] or "").strip())
    try:
        birth = dt.date.fromisoformat((row["birth_date"] or "").strip())
    except ValueError:
        return "出生日期无效（应为YYYY-MM-DD）"
    if not name or gender is None or not (len(division) == 6 and division.isdigit()):
        return "姓名不能为空，性别应为1/2或男/女，户籍所在地应为6位行政区划代码"
    return dict(
        document_hash=document_hash(hash_key, DocumentType.RESIDENT_ID.value, doc.number),
        name=name,
        gender=gender,
        birth_date=birth,
        household_division=division,
    )
