"""The bulk-load layout of existing national records and the checks of one row.

A file (CSV or the first sheet of an Excel workbook) has a header row with these column names
(Chinese as printed, or the English field names); the order is free. Bad rows are reported with
their row number (the header is row 1) and skipped; the others are loaded.

Document numbers are taken as written (upper-cased, full-width folded): records whose number fails
the check digit do exist nationally, as problem records, so a bad number is not a reason to refuse
the row. Change times without a zone are Beijing time (UTC+8), as the national system writes them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeVar

from xueji_common.documents import (
    DocumentError,
    DocumentType,
    mask_document_number,
    normalize_document_number,
    validate_document,
)
from xueji_common.hashing import loaded_record_id
from xueji_common.student_numbers import STUDENT_NUMBER
from xueji_national_query.domain.vocabulary import PROVINCES, EnrolmentStatus, Stage


@dataclass(frozen=True)
class Column:
    header: str  # as printed in the file
    field: str  # English name (also accepted as a header)
    required: bool


COLUMNS = (
    Column("全国学籍号", "national_student_number", True),
    Column("姓名", "name", True),
    Column("性别", "gender", True),
    Column("出生日期", "birth_date", True),
    Column("身份证件类型", "document_type", True),
    Column("身份证件号", "document_number", False),
    Column("所在省份", "province_code", False),
    Column("学校标识码", "school_code", False),
    Column("学校名称", "school_name", False),
    Column("就读学段", "stage", True),
    Column("就读状态", "enrolment_status", True),
    Column("是否问题学籍", "problem", False),
    Column("最新学籍变动时间", "changed_at", True),
)
BEIJING = dt.timezone(dt.timedelta(hours=8))
# Record ids of loaded rows derive from the national student number's keyed hash (hashing.
# loaded_record_id), never from the number itself (a G number is G + the resident ID): loading a file
# twice, or two files holding one record, gives one id.

_SCHOOL_CODE = re.compile(r"[0-9]{10}")
_GENDERS = {"1": 1, "男": 1, "2": 2, "女": 2}
_YES_NO = {
    "": False,
    "否": False,
    "0": False,
    "N": False,
    "FALSE": False,
    "是": True,
    "1": True,
    "Y": True,
    "TRUE": True,
}
_TYPES = (
    {t.value: t for t in DocumentType} | {t.label_zh: t for t in DocumentType} | {"a": DocumentType.PASSPORT}
)
_STAGES = {k: s for s in Stage for k in (s.value, s.label_zh, str(s.to_proto()))}
_STATUSES = {k: s for s in EnrolmentStatus for k in (s.value, s.label_zh, str(s.to_proto()))}
_NUL = "不能包含空字符（NUL）"
_UNSEEN = object()
STUDENT_NUMBER_TYPE = "NSN"  # the hasher's type for a national student number (hashing.student_number_hash)
_CODES = {m: m.value for e in (DocumentType, Stage, EnrolmentStatus) for m in e}  # faster than .value


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    column: str
    field: str
    message: str


class HeaderError(ValueError):
    """The header lacks required columns; `missing` names them as printed."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("缺少必需的列：" + "、".join(missing))
        self.missing = missing


def column_positions(header: list[str], province_given: bool) -> dict[str, int]:
    """field → index in the row. Raises HeaderError when a required column is missing."""
    names = [str(h or "").strip() for h in header]
    positions, missing = {}, []
    for col in COLUMNS:
        for name in (col.header, col.field):
            if name in names:
                positions[col.field] = names.index(name)
                break
        else:
            if col.required or (col.field == "province_code" and not province_given):
                missing.append(col.header)
    if missing:
        raise HeaderError(missing)
    return positions


_T = TypeVar("_T")
# (gender, document type, province, stage, status, problem flag) parsed; None where not valid
_Codes = tuple[int | None, DocumentType | None, str, Stage | None, EnrolmentStatus | None, bool | None]


class RowParser:
    """Checks rows and turns good ones into the read model's column tuple (see ROW_FIELDS).

    Written for speed (a national load is millions of rows): one getter per row, inline checks,
    and caches of parsed dates and times (a few thousand distinct birth dates in K-12) and of the
    coded cells (a few thousand combinations of gender, type, province, stage, status, flag).
    """

    ROW_FIELDS = (
        "record_id",
        "national_student_number",
        "national_student_number_hash",
        "name",
        "gender",
        "birth_date",
        "document_type",
        "document_hash",
        "document_masked",
        "province_code",
        "school_code",
        "school_name",
        "stage",
        "enrolment_status",
        "problem",
        "version",
        "changed_at",
    )
    _CACHE_LIMIT = 200_000

    def __init__(
        self,
        positions: dict[str, int],
        hasher: Callable[[str, str], str],
        province_code: str = "",
        text_cells: bool = False,
    ) -> None:
        # Missing optional columns read the empty cell appended to every row (index -1).
        self._get = itemgetter(*[positions.get(c.field, -1) for c in COLUMNS])
        self._width = max(positions.values()) + 1
        self._hash = hasher
        self._province = province_code
        self._text_cells = text_cells  # every cell a str (CSV): the fast path
        self._seen: dict[str, int] = {}  # national student number → row number
        self._dates: dict[str, dt.date | None] = {}
        self._times: dict[str, dt.datetime | None] = {}
        self._codes: dict[tuple[str, ...], _Codes] = {}

    def parse(self, row_number: int, row: list[object]) -> tuple[object, ...] | list[RowProblem]:
        if len(row) < self._width:
            row = row + [""] * (self._width - len(row))
        row.append("")
        (
            nsn,
            name,
            gender,
            birth,
            doc_type,
            number,
            province,
            school_code,
            school_name,
            stage,
            status,
            problem,
            changed,
        ) = self._get(row)
        raw_birth, raw_changed = birth, changed
        if not self._text_cells:  # Excel cells: numbers, None, dates...
            (
                nsn,
                name,
                gender,
                doc_type,
                number,
                province,
                school_code,
                school_name,
                stage,
                status,
                problem,
            ) = (
                _text(v)
                for v in (
                    nsn,
                    name,
                    gender,
                    doc_type,
                    number,
                    province,
                    school_code,
                    school_name,
                    stage,
                    status,
                    problem,
                )
            )
        nsn = nsn.strip().upper()
        name = name.strip()
        coded = (gender, doc_type, province, stage, status, problem)  # few distinct combinations
        codes = self._codes.get(coded)
        if codes is None:
            codes = self._code(coded)
        gender, doc_type, province, stage, status, problem = codes
        number = (
            number.upper() if number.isascii() and number.isalnum() else normalize_document_number(number)
        )
        school_code = school_code.strip()
        birth = self._dates.get(birth, _UNSEEN) if birth.__class__ is str else _UNSEEN
        if birth is _UNSEEN:
            birth = self._cached(self._dates, raw_birth, _date)
        changed = self._times.get(changed, _UNSEEN) if changed.__class__ is str else _UNSEEN
        if changed is _UNSEEN:
            changed = self._cached(self._times, raw_changed, _datetime)
        school_name = school_name.strip()[:200]
        if (
            not STUDENT_NUMBER.fullmatch(nsn)
            or nsn in self._seen
            or not name
            or len(name) > 100
            or gender is None
            or birth is None
            or doc_type is None
            or province not in PROVINCES
            or (not number and doc_type is not DocumentType.OTHER)
            or len(number) > 30
            or (school_code and not _SCHOOL_CODE.fullmatch(school_code))
            or stage is None
            or status is None
            or problem is None
            or changed is None
            or "\x00" in name
            or "\x00" in number
            or "\x00" in school_name
        ):
            return self._problems(
                row_number,
                nsn,
                name,
                gender,
                birth,
                doc_type,
                number,
                province,
                school_code,
                school_name,
                stage,
                status,
                problem,
                changed,
            )
        self._seen[nsn] = row_number
        if doc_type in (DocumentType.HK, DocumentType.MACAO, DocumentType.TAIWAN):
            number = _canonical(doc_type, number)  # identity cards are stored as printed: A123456(3)
        code = _CODES[doc_type]
        nsn_hash = self._hash(STUDENT_NUMBER_TYPE, nsn)
        return (
            loaded_record_id(nsn_hash),
            nsn,
            nsn_hash,
            name,
            gender,
            birth,
            code,
            self._hash(code, number) if number else "",
            mask_document_number(number),
            province,
            school_code,
            school_name,
            _CODES[stage],
            _CODES[status],
            problem,
            0,
            changed,
        )

    def _code(self, cells: tuple[str, ...]) -> _Codes:
        """The coded cells (gender, document type, province, stage, status, problem flag) parsed,
        None where a cell is not valid, remembered for the next row with the same cells."""
        gender, doc_type, province, stage, status, problem = (c.strip() for c in cells)
        codes = (
            _GENDERS.get(gender),
            _TYPES.get(doc_type) or _TYPES.get(doc_type.upper()),
            province or self._province,
            _STAGES.get(stage),
            _STATUSES.get(status),
            _YES_NO.get(problem.upper()),
        )
        if len(self._codes) > self._CACHE_LIMIT:
            self._codes.clear()
        self._codes[cells] = codes
        return codes

    def _cached(self, cache: dict[str, _T], value: object, parse: Callable[[object], _T]) -> _T:
        if not isinstance(value, str):
            return parse(value)
        try:
            return cache[value]
        except KeyError:
            if len(cache) > self._CACHE_LIMIT:
                cache.clear()
            parsed = cache[value] = parse(value)
            return parsed

    def _problems(
        self,
        row_number: int,
        nsn: str,
        name: str,
        gender: int | None,
        birth: object,
        doc_type: DocumentType | None,
        number: str,
        province: str,
        school_code: str,
        school_name: str,
        stage: Stage | None,
        status: EnrolmentStatus | None,
        problem: bool | None,
        changed: object,
    ) -> list[RowProblem]:
        problems: list[RowProblem] = []

        def bad(field: str, message: str) -> None:
            header = next(c.header for c in COLUMNS if c.field == field)
            problems.append(RowProblem(row_number, header, field, message))

        if not STUDENT_NUMBER.fullmatch(nsn):
            bad("national_student_number", "全国学籍号不能为空" if not nsn else "全国学籍号格式不正确")
        elif nsn in self._seen:
            bad("national_student_number", f"全国学籍号与第{self._seen[nsn]}行重复")
        if not name or len(name) > 100:
            bad("name", "姓名不能为空" if not name else "姓名不能超过100个字符")
        elif "\x00" in name:
            bad("name", _NUL)
        if gender is None:
            bad("gender", "性别应为1（男）或2（女）")
        if birth is None:
            bad("birth_date", "出生日期不是有效日期（应为YYYY-MM-DD）")
        if doc_type is None:
            bad("document_type", "身份证件类型无效")
        elif not number and doc_type is not DocumentType.OTHER:
            bad("document_number", "身份证件号不能为空")
        elif len(number) > 30:
            bad("document_number", "身份证件号不能超过30个字符")
        elif "\x00" in number:
            bad("document_number", _NUL)
        if province not in PROVINCES:
            bad("province_code", "所在省份代码无效（应为6位省级行政区划代码）")
        if school_code and not _SCHOOL_CODE.fullmatch(school_code):
            bad("school_code", "学校标识码应为10位数字")
        if "\x00" in school_name:
            bad("school_name", _NUL)
        if stage is None:
            bad("stage", "就读学段无效（学前、小学、初中、高中、特殊教育）")
        if status is None:
            bad("enrolment_status", "就读状态无效（在读、离校、毕业）")
        if problem is None:
            bad("problem", "是否问题学籍应为是或否")
        if changed is None:
            bad("changed_at", "最新学籍变动时间不是有效时间（应为YYYY-MM-DD HH:MM:SS）")
        return problems


def _text(value: object) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel number cells: 1.0 → "1"
        return str(int(value))
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value).replace("/", "-"))
    except ValueError:
        return None


def _datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            moment = dt.datetime.fromisoformat(_text(value).replace("/", "-"))
        except ValueError:
            return None
    # Stored in UTC: SQLite keeps no zone, so every stored time must be in the same one.
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).astimezone(dt.UTC)


def _canonical(doc_type: DocumentType, number: str) -> str:
    try:
        return validate_document(doc_type, number).number
    except DocumentError:
        return number
