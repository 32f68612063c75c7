"""The cohort of the end-to-end benchmark: N students of one county, the files a registrar uploads for
them, and the rows the national registers must hold for them (population register, preschool records).

Shares of the cohort (a county's September): primary freshmen with a resident ID 40 %, primary
freshmen with an HMT/foreign document 5 %, older students with a resident ID 35 % and with an
HMT/foreign document 15 %, students without a document 5 % (entered one by one with a proof file).
Every student is valid and unknown to the system, so every one must end with a numbered record.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass

from faker import Faker
from python_calamine import CalamineWorkbook

from xueji_common.demo import make_resident_id
from xueji_common.documents import DocumentCategory, DocumentType, mask_document_number
from xueji_common.hashing import document_hash, student_number_hash
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.form import identity_block
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE, registration_template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.testing import sample_form

COUNTY = "330102"  # 杭州市上城区
SCHOOLS = [f"1{COUNTY}{i:03d}" for i in range(1, 6)]  # its five schools in the demo tree
PRIMARY, OLDER = RegistrationKind.PRIMARY_FRESHMAN, RegistrationKind.NON_PRIMARY_FRESHMAN
RESIDENT, HMT, NO_DOC = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN, DocumentCategory.NO_DOCUMENT
SHARES = (
    (PRIMARY, RESIDENT, 0.40),
    (PRIMARY, HMT, 0.05),
    (OLDER, RESIDENT, 0.35),
    (OLDER, HMT, 0.15),
    (PRIMARY, NO_DOC, 0.02),
    (OLDER, NO_DOC, 0.03),
)


@dataclass(frozen=True)
class Student:
    kind: RegistrationKind
    category: DocumentCategory
    school: str
    name: str
    gender: int  # 1 male, 2 female
    birth: dt.date
    document_type: DocumentType
    number: str  # "" without a document

    def identity(self) -> dict:
        """The identity block of the form (protobuf JSON names)."""
        return identity_block(self.name, self.gender, self.birth, self.document_type.value, self.number)

    def form(self) -> dict:
        changes = {"grade": "11"} if self.kind is PRIMARY else {}
        return {
            **sample_form("hmt_foreign" if self.category is HMT else "resident", **changes),
            **self.identity(),
        }


def cohort(size: int, seed: int = 9) -> list[Student]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = {1: [fake.name_male() for _ in range(400)], 2: [fake.name_female() for _ in range(400)]}
    out: list[Student] = []
    counts = [round(size * share) for *_, share in SHARES[:-1]]
    counts.append(size - sum(counts))
    serial = 0
    for (kind, category, _), count in zip(SHARES, counts):
        first_birth = dt.date(2019, 12, 1) if kind is PRIMARY else dt.date(2012, 1, 1)
        for i in range(count):
            serial += 1
            school = SCHOOLS[serial % len(SCHOOLS)]
            birth = first_birth + dt.timedelta(days=i // 1000)
            if category is RESIDENT:
                sequence = i % 1000
                gender, doc = 1 if sequence % 2 else 2, DocumentType.RESIDENT_ID
                number = make_resident_id(COUNTY, birth, sequence)
            else:
                gender = 1 + serial % 2
                doc, number = (
                    (DocumentType.HK, f"H{30000000 + serial:08d}")
                    if category is HMT
                    else (DocumentType.OTHER, "")
                )
            out.append(
                Student(kind, category, school, names[gender][serial % 400], gender, birth, doc, number)
            )
    return out


@dataclass
class Files:
    """Per school: the preschool transfer workbook (primary freshmen with a document) and one workbook
    per (kind, category) of the students with a document; the manual entries without one."""

    preschool: dict[str, bytes]
    imports: dict[str, list[tuple[RegistrationKind, DocumentCategory, bytes, int]]]
    manual: list[Student]

    def workbooks(self) -> list[tuple[str, bytes]]:
        """(sheet, content) of every file, for the raw read baseline."""
        out = [(PRESCHOOL_TEMPLATE.sheet, c) for c in self.preschool.values()]
        for books in self.imports.values():
            out += [(registration_template(k, c).sheet, content) for k, c, content, _ in books]
        return out


def files(students: list[Student]) -> Files:
    by_school: dict[str, dict[tuple, list[Student]]] = defaultdict(lambda: defaultdict(list))
    for s in students:
        if s.category is not NO_DOC:
            by_school[s.school][(s.kind, s.category)].append(s)
    preschool, imports = {}, {}
    for school, groups in by_school.items():
        freshmen = [s for (kind, _), group in groups.items() if kind is PRIMARY for s in group]
        preschool[school] = samples.workbook(
            PRESCHOOL_TEMPLATE, [form_cells(PRESCHOOL_TEMPLATE, s.identity()) for s in freshmen]
        )
        imports[school] = []
        for (kind, category), group in groups.items():
            template = registration_template(kind, category)
            content = samples.workbook(template, [form_cells(template, s.form()) for s in group])
            imports[school].append((kind, category, content, len(group)))
    return Files(preschool, imports, [s for s in students if s.category is NO_DOC])


def raw_read_seconds(f: Files) -> float:
    """Baseline: python-calamine opening every workbook of the run and iterating its rows."""
    import time

    started = time.perf_counter()
    for sheet, content in f.workbooks():
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sum(1 for _ in book.get_sheet_by_name(sheet).iter_rows())
    return time.perf_counter() - started


def population_rows(students: list[Student], hash_key: str) -> list[dict]:
    """基础数据库 rows: every student with a resident ID (identity authentication passes)."""
    return [
        {
            "document_hash": document_hash(hash_key, "1", s.number),
            "name": s.name,
            "gender": s.gender,
            "birth_date": s.birth,
            "household_division": COUNTY,
        }
        for s in students
        if s.category is RESIDENT
    ]


def preschool_rows(students: list[Student], hash_key: str, stamp: dt.datetime) -> list[dict]:
    """National preschool records of the freshmen with a resident ID (their transfer matches one)."""
    return [
        {
            "record_id": str(uuid.uuid4()),
            "national_student_number": "G" + s.number,
            "national_student_number_hash": student_number_hash(hash_key, "G" + s.number),
            "name": s.name,
            "gender": s.gender,
            "birth_date": s.birth,
            "document_type": "1",
            "document_hash": document_hash(hash_key, "1", s.number),
            "document_masked": mask_document_number(s.number),
            "province_code": "330000",
            "school_code": "",
            "school_name": "杭州市上城区阳光幼儿园",
            "stage": "preschool",
            "enrolment_status": "graduated",
            "problem": False,
            "version": 1,
            "changed_at": stamp,
        }
        for s in students
        if s.kind is PRIMARY and s.category is RESIDENT
    ]
