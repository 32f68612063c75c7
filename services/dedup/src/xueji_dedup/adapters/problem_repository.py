"""Problem groups, their students, audit and proof files in SQL. Saves check the version column."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.errors import ConcurrentModification
from xueji_dedup.adapters.tables import problem_actions, problem_groups, problem_proofs, problem_students
from xueji_dedup.domain.problems import GroupStatus, ProblemGroup, ProblemKind, ProblemStudent, StudentStatus

_STUDENT_FIELDS = [f.name for f in fields(ProblemStudent)]
_LEVEL_COLUMN = {2: "province_code", 3: "city_code", 4: "county_code", 5: "school_code"}


class ProblemRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, group_id: str) -> ProblemGroup | None:
        row = self._s.execute(select(problem_groups).where(problem_groups.c.group_id == group_id)).first()
        return self._load([row])[0] if row else None

    def open_group(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None:
        row = self._s.execute(
            select(problem_groups)
            .where(problem_groups.c.kind == kind.value, problem_groups.c.match_key == match_key)
            .order_by(problem_groups.c.create_time.desc())
        ).first()
        return self._load([row])[0] if row else None

    def open_group_locked(self, kind: ProblemKind, match_key: str) -> ProblemGroup | None:
        """The one open group of (kind, key), locked until the transaction ends."""
        g = problem_groups
        row = self._s.execute(
            select(g)
            .where(g.c.kind == kind.value, g.c.match_key == match_key, g.c.status != "resolved")
            .with_for_update()
        ).first()
        return self._load([row])[0] if row else None

    def try_add(self, group: ProblemGroup) -> bool:
        """Insert an open group unless another open group of its (kind, key) exists (uq_problem_groups_open:
        on PostgreSQL a concurrent insert waits for the other transaction, then loses); False when it lost."""
        try:
            with self._s.begin_nested():
                self.add(group)
            return True
        except IntegrityError:
            return False

    def groups_of_record(self, record_id: str) -> list[ProblemGroup]:
        ids = (
            self._s.execute(
                select(problem_students.c.group_id).where(problem_students.c.record_id == record_id)
            )
            .scalars()
            .all()
        )
        return [self.get(i) for i in ids]

    def record_deleted(self, record_id: str) -> bool:
        """Deleted as a duplicate in some group (its holding is given up)."""
        s = problem_students
        return (
            self._s.execute(
                select(s.c.group_id).where(s.c.record_id == record_id, s.c.status == "deleted").limit(1)
            ).first()
            is not None
        )

    def held_copy(self, group_id: str):
        """(version, reporting_province) of a group, locked until the transaction ends (two reports of
        one group take turns); None when it is not here."""
        g = problem_groups
        return self._s.execute(
            select(g.c.version, g.c.reporting_province).where(g.c.group_id == group_id).with_for_update()
        ).first()

    def put_reported(self, group: ProblemGroup, actions: list[dict]) -> None:
        """The national tier's copy of a reported group, replaced whole (group, students, history)."""
        for table in (problem_groups, problem_students, problem_actions):
            self._s.execute(delete(table).where(table.c.group_id == group.group_id))
        self.add(group)
        for values in actions:
            self.add_action(dict(values, group_id=group.group_id))

    def add(self, group: ProblemGroup) -> None:
        values = self._group_values(group)
        self._s.execute(insert(problem_groups).values(**values))
        self._write_students(group)

    def save(self, group: ProblemGroup, expected_version: int) -> None:
        group.version = expected_version + 1
        result = self._s.execute(
            update(problem_groups)
            .where(
                problem_groups.c.group_id == group.group_id,
                problem_groups.c.version == expected_version,
            )
            .values(**self._group_values(group))
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该组问题学籍已被他人处理，请刷新后重试")
        self._s.execute(delete(problem_students).where(problem_students.c.group_id == group.group_id))
        self._write_students(group)

    def note_record_version(self, group_id: str, record_id: str, record_version: int) -> None:
        s = problem_students
        self._s.execute(
            update(s)
            .where(s.c.group_id == group_id, s.c.record_id == record_id, s.c.record_version < record_version)
            .values(record_version=record_version)
        )

    def list(
        self,
        *,
        unit_level: int,
        unit_code: str,
        kinds,
        statuses,
        resolver_level: int,
        name: str,
        national_student_number: str,
        province_code: str,
        offset: int,
        limit: int,
    ) -> tuple[list[ProblemGroup], int]:
        g, s = problem_groups, problem_students
        members = select(s.c.group_id)
        if unit_level in _LEVEL_COLUMN:
            members = members.where(s.c[_LEVEL_COLUMN[unit_level]] == unit_code)
        conditions = [g.c.group_id.in_(members)]
        if name:
            conditions.append(
                g.c.group_id.in_(select(s.c.group_id).where(s.c.name.startswith(name, autoescape=True)))
            )
        if national_student_number:
            conditions.append(
                g.c.group_id.in_(
                    select(s.c.group_id).where(s.c.national_student_number == national_student_number)
                )
            )
        if province_code:
            conditions.append(
                g.c.group_id.in_(select(s.c.group_id).where(s.c.province_code == province_code))
            )
        if kinds:
            conditions.append(g.c.kind.in_([k.value for k in kinds]))
        if statuses:
            conditions.append(g.c.status.in_([x.value for x in statuses]))
        if resolver_level:
            conditions.append(g.c.resolver_level == resolver_level)
        total = self._s.execute(select(func.count()).select_from(g).where(*conditions)).scalar_one()
        rows = self._s.execute(
            select(g).where(*conditions).order_by(g.c.create_time, g.c.group_id).offset(offset).limit(limit)
        ).all()
        return self._load(rows), total

    def add_action(self, values: dict) -> None:
        self._s.execute(insert(problem_actions).values(**values))

    def actions(self, group_id: str) -> list:
        return self._s.execute(
            select(problem_actions)
            .where(problem_actions.c.group_id == group_id)
            .order_by(problem_actions.c.id)
        ).all()

    def add_proof(self, values: dict) -> None:
        self._s.execute(insert(problem_proofs).values(**values))

    def proofs(self, group_id: str) -> list:
        p = problem_proofs
        return self._s.execute(
            select(p.c.file_id, p.c.file_name, p.c.content_type, p.c.size_bytes, p.c.action_time).where(
                p.c.group_id == group_id
            )
        ).all()

    # -- mapping ---------------------------------------------------------------------------------

    @staticmethod
    def _group_values(group: ProblemGroup) -> dict:
        return dict(
            group_id=group.group_id,
            kind=group.kind.value,
            match_key=group.match_key,
            status=group.status.value,
            resolver_level=group.resolver_level,
            resolver_unit_code=group.resolver_unit_code,
            version=group.version,
            create_time=group.create_time,
            update_time=group.update_time,
            reporting_province=group.reporting_province,
        )

    def _write_students(self, group: ProblemGroup) -> None:
        for student in group.students:
            values = {name: getattr(student, name) for name in _STUDENT_FIELDS}
            values["status"] = student.status.value
            self._s.execute(insert(problem_students).values(group_id=group.group_id, **values))

    def _load(self, rows) -> list[ProblemGroup]:
        ids = [r.group_id for r in rows]
        students: dict[str, list[ProblemStudent]] = {i: [] for i in ids}
        if ids:
            for r in self._s.execute(
                select(problem_students)
                .where(problem_students.c.group_id.in_(ids))
                .order_by(problem_students.c.school_code, problem_students.c.record_id)
            ).all():
                values = {name: getattr(r, name) for name in _STUDENT_FIELDS}
                values["status"] = StudentStatus(values["status"])
                students[r.group_id].append(ProblemStudent(**values))
        return [
            ProblemGroup(
                group_id=r.group_id,
                kind=ProblemKind(r.kind),
                match_key=r.match_key,
                status=GroupStatus(r.status),
                resolver_level=r.resolver_level,
                resolver_unit_code=r.resolver_unit_code,
                version=r.version,
                create_time=utc(r.create_time),
                update_time=utc(r.update_time),
                students=students[r.group_id],
                reporting_province=r.reporting_province,
            )
            for r in rows
        ]
