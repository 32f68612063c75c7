"""Students and their special-education information in SQL. Info updates check the version."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.engine import utc
from xueji_common.errors import ConcurrentModification
from xueji_special_ed.adapters.tables import special_ed_infos as i
from xueji_special_ed.adapters.tables import students as s
from xueji_special_ed.domain.codes import Degree, DisabilityType, InclusiveEducation, ProofType
from xueji_special_ed.domain.model import SpecialEdInfo, Stamp, Student

_STUDENT_UPDATED = [c.name for c in s.columns if c.name != "record_id"]


def _student(row) -> Student:
    return Student(**{c.name: row._mapping[c.name] for c in s.columns})


def _info(row) -> SpecialEdInfo:
    m = row._mapping
    return SpecialEdInfo(
        record_id=m["record_id"],
        disability_type=DisabilityType(m["disability_type"]),
        proof_type=ProofType(m["proof_type"]),
        degree=Degree(m["degree"]) if m["degree"] else None,
        certificate_number=m["certificate_number"],
        symptom_description=m["symptom_description"],
        inclusive_education=InclusiveEducation(m["inclusive_education"]),
        version=m["version"],
        updated=Stamp(m["updated_org_unit"], m["updated_user_id"], m["updated_role"], utc(m["updated_at"])),
        created_at=utc(m["created_at"]),
    )


def _info_values(info: SpecialEdInfo) -> dict:
    return dict(
        record_id=info.record_id,
        disability_type=info.disability_type.value,
        proof_type=info.proof_type.value,
        degree=info.degree.value if info.degree else "",
        certificate_number=info.certificate_number,
        symptom_description=info.symptom_description,
        inclusive_education=info.inclusive_education.value,
        version=info.version,
        updated_org_unit=info.updated.org_unit,
        updated_user_id=info.updated.user_id,
        updated_role=info.updated.role,
        updated_at=info.updated.time,
        created_at=info.created_at,
    )


class SpecialEdRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- students (projection) ------------------------------------------------------------------

    def student(self, record_id: str) -> Student | None:
        row = self._session.execute(select(s).where(s.c.record_id == record_id)).first()
        return _student(row) if row else None

    def versions(self, record_ids: list[str]) -> dict[str, int]:
        rows = self._session.execute(
            select(s.c.record_id, s.c.version)
            .where(s.c.record_id.in_(record_ids))
            .order_by(s.c.record_id)
            .with_for_update()
        )
        return {record_id: version for record_id, version in rows}

    def write_students(self, updated: list[tuple[Student, int]], inserted: list[Student]) -> None:
        if updated:
            rows = [
                {"b_id": student.record_id, "b_version": version}
                | {f"v_{k}": value for k, value in asdict(student).items() if k != "record_id"}
                for student, version in updated
            ]
            result = self._session.execute(
                update(s)
                .where(s.c.record_id == bindparam("b_id"), s.c.version == bindparam("b_version"))
                .values({k: bindparam(f"v_{k}") for k in _STUDENT_UPDATED}),
                rows,
            )
            if result.rowcount != len(rows):
                raise ConcurrentModification("学生记录已被并发修改")
        insert_rows(self._session, s, [asdict(student) for student in inserted])

    # -- information ----------------------------------------------------------------------------

    def info(self, record_id: str) -> SpecialEdInfo | None:
        row = self._session.execute(select(i).where(i.c.record_id == record_id)).first()
        return _info(row) if row else None

    def add_info(self, info: SpecialEdInfo) -> None:
        self._session.execute(insert(i).values(**_info_values(info)))

    def save_info(self, info: SpecialEdInfo, expected_version: int) -> None:
        result = self._session.execute(
            update(i)
            .where(i.c.record_id == info.record_id, i.c.version == expected_version)
            .values(**_info_values(info))
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该学生的特教信息已被他人修改，请刷新后重试")

    # -- lists ----------------------------------------------------------------------------------

    def with_info(
        self, school_codes: list[str], name_prefix: str, disability_type: str | None, offset: int, limit: int
    ) -> tuple[list[tuple[SpecialEdInfo, Student]], int]:
        query = select(i, *[c.label(f"s_{c.name}") for c in s.columns]).join(
            s, s.c.record_id == i.c.record_id
        )
        query = query.where(s.c.school_code.in_(school_codes))
        if name_prefix:
            query = query.where(s.c.name.startswith(name_prefix, autoescape=True))
        if disability_type:
            query = query.where(i.c.disability_type == disability_type)
        total = self._session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self._session.execute(query.order_by(s.c.name, s.c.record_id).offset(offset).limit(limit))
        return [
            (_info(r), Student(**{c.name: r._mapping[f"s_{c.name}"] for c in s.columns})) for r in rows
        ], total

    def candidates(
        self, school_code: str, name_prefix: str, offset: int, limit: int
    ) -> tuple[list[Student], int]:
        has_info = select(i.c.record_id).where(i.c.record_id == s.c.record_id).exists()
        query = select(s).where(
            s.c.school_code == school_code,
            s.c.enrolled.is_(True),
            s.c.disability_type.notin_(["", DisabilityType.NONE.value]),
            ~has_info,
        )
        if name_prefix:
            query = query.where(s.c.name.startswith(name_prefix, autoescape=True))
        total = self._session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self._session.execute(query.order_by(s.c.name, s.c.record_id).offset(offset).limit(limit))
        return [_student(r) for r in rows], total
