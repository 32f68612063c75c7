"""Student records (学籍) in SQL."""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.encrypted import hash_key_of
from xueji_common.db.engine import utc
from xueji_common.documents import DocumentCategory, Gender
from xueji_common.errors import ConcurrentModification
from xueji_common.hashing import student_number_hash
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.rows import document
from xueji_registration.adapters.tables import student_records as t
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.records import NumberKind, StudentRecord
from xueji_registration.service_layer.repositories import RecordQuery


def _to_row(r: StudentRecord, regions: dict, hash_key: str) -> dict:
    doc = r.identity.document
    return dict(
        record_id=r.record_id,
        national_student_number=r.national_student_number,
        national_student_number_hash=student_number_hash(hash_key, r.national_student_number),
        number_kind=r.number_kind.value,
        application_id=r.application_id,
        school_code=r.school_code,
        province_code=r.province_code,
        city_code=regions.get("city_code", ""),
        county_code=regions.get("county_code", ""),
        kind=r.kind.value,
        category=r.category.value,
        stage=r.stage,
        enrolment_status=r.enrolment_status,
        name=r.identity.name,
        gender=int(r.identity.gender),
        birth_date=r.identity.birth_date,
        document_type=doc.type.value,
        document_number=doc.number,
        document_hash=r.document_hash,
        form=r.form,
        problem_record=r.problem_record,
        problem_group_id=r.problem_group_id,
        cancelled=r.cancelled,
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        grade=r.form.get("grade", ""),
    )


def _from_row(row) -> StudentRecord:
    return StudentRecord(
        record_id=row.record_id,
        national_student_number=row.national_student_number,
        number_kind=NumberKind(row.number_kind),
        application_id=row.application_id,
        school_code=row.school_code,
        province_code=row.province_code,
        kind=RegistrationKind(row.kind),
        category=DocumentCategory(row.category),
        stage=row.stage,
        identity=Identity(
            row.name, Gender(row.gender), row.birth_date, document(row.document_type, row.document_number)
        ),
        document_hash=row.document_hash,
        form=row.form,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        enrolment_status=row.enrolment_status,
        problem_record=row.problem_record,
        problem_group_id=row.problem_group_id,
        cancelled=row.cancelled,
        version=row.version,
    )


class RecordRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _hash(self, number: str) -> str:
        """Numbers are found by their keyed hash: the column itself holds ciphertext."""
        return student_number_hash(self._hash_key(), number)

    def add(self, record: StudentRecord, *, county_code: str, city_code: str) -> None:
        regions = dict(county_code=county_code, city_code=city_code)
        self._session.execute(insert(t).values(**_to_row(record, regions, self._hash_key())))

    def _hash_key(self) -> str:
        return hash_key_of(self._session.get_bind().dialect)

    def _one(self, condition) -> StudentRecord | None:
        row = self._session.execute(select(t).where(condition)).first()
        return _from_row(row) if row else None

    def get(self, record_id: str) -> StudentRecord | None:
        return self._one(t.c.record_id == record_id)

    def by_number(self, number: str) -> StudentRecord | None:
        return self._one(t.c.national_student_number_hash == self._hash(number))

    def for_application(self, application_id: str) -> StudentRecord | None:
        return self._one(t.c.application_id == application_id)

    def for_applications(self, application_ids) -> dict[str, StudentRecord]:
        ids = list(application_ids)
        if not ids:
            return {}
        rows = self._session.execute(select(t).where(t.c.application_id.in_(ids))).all()
        return {r.application_id: _from_row(r) for r in rows}

    def add_many(self, records) -> None:
        """COPY on PostgreSQL (xueji_common.db.bulk), executemany elsewhere."""
        key = self._hash_key()
        insert_rows(
            self._session,
            t,
            [_to_row(r, dict(county_code=county, city_code=city), key) for r, county, city in records],
        )

    def numbers_of(self, record_ids) -> dict[str, str]:
        if not record_ids:
            return {}
        rows = self._session.execute(
            select(t.c.record_id, t.c.national_student_number).where(t.c.record_id.in_(list(record_ids)))
        ).all()
        return {r.record_id: r.national_student_number for r in rows}

    def save(self, record: StudentRecord, expected_version: int) -> None:
        """Write a changed record; the domain already moved its version on (it travels in events)."""
        row = _to_row(record, {}, self._hash_key())
        del row["county_code"], row["city_code"]
        result = self._session.execute(
            update(t).where(t.c.record_id == record.record_id, t.c.version == expected_version).values(**row)
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该学籍已被他人修改，请刷新后重试")

    def list(self, query: RecordQuery, *, offset: int, limit: int) -> tuple[list[StudentRecord], int]:
        conditions = []
        if query.area_column:
            conditions.append(t.c[query.area_column] == query.area_code)
        if query.category:
            conditions.append(t.c.category == query.category.value)
        if query.number_kind:
            conditions.append(t.c.number_kind == query.number_kind.value)
        if query.problem_record is not None:
            conditions.append(t.c.problem_record == query.problem_record)
        if query.name_prefix:
            escaped = query.name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(t.c.name.like(escaped + "%", escape="\\"))
        if query.national_student_number:
            conditions.append(t.c.national_student_number_hash == self._hash(query.national_student_number))
        if query.grade:
            conditions.append(t.c.grade == query.grade)
        total = self._session.execute(select(func.count()).select_from(t).where(*conditions)).scalar_one()
        rows = self._session.execute(
            select(t)
            .where(*conditions)
            .order_by(t.c.created_at.desc(), t.c.record_id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [_from_row(r) for r in rows], total
