"""The province tier's index in SQL: the applications it checks and the records of the province."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.errors import ConcurrentModification
from xueji_dedup.adapters.tables import problem_students
from xueji_dedup.adapters.tables import province_applications as apps
from xueji_dedup.adapters.tables import province_national_members as members
from xueji_dedup.adapters.tables import province_records as recs
from xueji_dedup.domain.checks import Holding, HoldingKind

# A record deleted as a duplicate (问题学籍 删除, here or by the ministry at the national tier) stays in
# the index but holds nothing.
_LIVE = recs.c.record_id.not_in(
    select(problem_students.c.record_id)
    .where(problem_students.c.status == "deleted")
    .union(select(members.c.record_id).where(members.c.status == "deleted"))
)
_RECORD_UPDATED = [c.name for c in recs.columns if c.name != "record_id"]


class ProvinceStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    def application(self, application_id: str):
        return self._s.execute(select(apps).where(apps.c.application_id == application_id)).first()

    def applications_of(self, application_ids: list[str]) -> dict:
        rows = self._s.execute(select(apps).where(apps.c.application_id.in_(application_ids)))
        return {row.application_id: row for row in rows}

    def save_application(self, values: dict) -> None:
        if self.application(values["application_id"]) is None:
            self._s.execute(insert(apps).values(**values))
        else:
            self._s.execute(
                update(apps).where(apps.c.application_id == values["application_id"]).values(**values)
            )

    def save_check(self, values: dict) -> bool:
        dialect_insert = postgresql.insert if self._s.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = dialect_insert(apps).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[apps.c.application_id],
            set_={k: stmt.excluded[k] for k in values if k != "application_id"},
            where=apps.c.revision < stmt.excluded.revision,
        ).returning(apps.c.application_id)
        return self._s.execute(stmt).first() is not None

    def applications_by_ids(self, application_ids) -> dict:
        if not application_ids:
            return {}
        rows = self._s.execute(select(apps).where(apps.c.application_id.in_(sorted(set(application_ids)))))
        return {r.application_id: r for r in rows}

    def save_checks(self, rows: list[dict]) -> set[str]:
        """save_check of each, one INSERT ... ON CONFLICT DO UPDATE ... WHERE older revision, its rows
        given as parameters (SQLAlchemy's insertmanyvalues: one cached statement, a multi-row VALUES
        built per call cost more CPU to compile than the database took to run it)."""
        if not rows:
            return set()
        dialect_insert = postgresql.insert if self._s.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = dialect_insert(apps)
        stmt = stmt.on_conflict_do_update(
            index_elements=[apps.c.application_id],
            set_={k: stmt.excluded[k] for k in rows[0] if k != "application_id"},
            where=apps.c.revision < stmt.excluded.revision,
        ).returning(apps.c.application_id)
        return set(self._s.execute(stmt, rows).scalars())

    def update_application(self, application_id: str, **values) -> None:
        self._s.execute(update(apps).where(apps.c.application_id == application_id).values(**values))

    def lock_record(self, record_id: str) -> None:
        """Until the transaction ends, the record's problem groups are this transaction's to change
        (PostgreSQL advisory lock; SQLite serializes writers anyway)."""
        if self._s.bind.dialect.name == "postgresql":
            self._s.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"dedup:record-groups:{record_id}"},
            )

    def note_national_member(self, group_id: str, record_id: str, status: str) -> None:
        insert_ = postgresql.insert if self._s.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = insert_(members).values(group_id=group_id, record_id=record_id, status=status)
        self._s.execute(
            stmt.on_conflict_do_update(index_elements=["group_id", "record_id"], set_={"status": status})
            if status != "pending"
            else stmt.on_conflict_do_nothing()
        )

    def national_groups_of(self, record_id: str, *, status: str | None = None) -> list[str]:
        query = select(members.c.group_id).where(members.c.record_id == record_id)
        return list(self._s.execute(query.where(members.c.status == status) if status else query).scalars())

    def record(self, record_id: str):
        return self._s.execute(select(recs).where(recs.c.record_id == record_id)).first()

    def save_record(self, values: dict) -> None:
        if self.record(values["record_id"]) is None:
            self._s.execute(insert(recs).values(**values))
        else:
            self._s.execute(update(recs).where(recs.c.record_id == values["record_id"]).values(**values))

    def write_records(self, updated: list[tuple[dict, int]], inserted: list[dict]) -> None:
        if updated:
            result = self._s.execute(
                update(recs)
                .where(
                    recs.c.record_id == bindparam("b_id"), recs.c.snapshot_version == bindparam("b_version")
                )
                .values({k: bindparam(f"v_{k}") for k in _RECORD_UPDATED}),
                [
                    {"b_id": values["record_id"], "b_version": version}
                    | {f"v_{k}": values[k] for k in _RECORD_UPDATED}
                    for values, version in updated
                ],
            )
            if result.rowcount != len(updated):
                raise ConcurrentModification("学籍索引已被并发修改")
        insert_rows(self._s, recs, inserted)

    def record_holdings(
        self, document_type: str, document_hash: str, *, except_application: str = "", except_record: str = ""
    ) -> list[Holding]:
        rows = self._s.execute(
            select(recs).where(
                recs.c.document_type == document_type, recs.c.document_hash == document_hash, _LIVE
            )
        ).all()
        return [
            Holding(
                HoldingKind.RECORD,
                r.record_id,
                "",
                r.school_code,
                r.national_student_number,
                r.application_id,
            )
            for r in rows
            if r.record_id != except_record and r.application_id != except_application
        ]

    def record_holdings_of_each(self, documents) -> dict[tuple[str, str], list[Holding]]:
        if not documents:
            return {}
        wanted = set(documents)
        rows = self._s.execute(
            select(recs).where(recs.c.document_hash.in_(sorted({h for _, h in wanted})), _LIVE)
        ).all()
        out: dict[tuple[str, str], list[Holding]] = {}
        for r in rows:
            if (r.document_type, r.document_hash) in wanted:
                out.setdefault((r.document_type, r.document_hash), []).append(
                    Holding(
                        HoldingKind.RECORD,
                        r.record_id,
                        "",
                        r.school_code,
                        r.national_student_number,
                        r.application_id,
                    )
                )
        return out

    def records_by_ids(self, record_ids: list[str]) -> list:
        return (
            self._s.execute(select(recs).where(recs.c.record_id.in_(record_ids))).all() if record_ids else []
        )

    def no_document_twins(
        self, name: str, gender: int, birth_date: dt.date, county_code: str, record_id: str
    ) -> list:
        """No-document records of the same name, gender and birth date in the same county."""
        return [
            r
            for r in self._s.execute(
                select(recs).where(
                    recs.c.category == "no_document",
                    recs.c.name == name,
                    recs.c.gender == gender,
                    recs.c.birth_date == birth_date,
                    recs.c.county_code == county_code,
                    _LIVE,
                )
            ).all()
            if r.record_id != record_id
        ]
