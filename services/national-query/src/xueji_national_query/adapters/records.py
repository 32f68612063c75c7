"""The national read model in SQL: record upserts from events, problem groups, lookups, matching.

The national student number is stored encrypted (the column type opens it) and found by its keyed
hash, computed here from the hash key of the unit of work (the domain's records carry the number).
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows
from xueji_common.db.engine import utc
from xueji_common.errors import ConcurrentModification
from xueji_national_query.adapters.tables import national_records as t
from xueji_national_query.adapters.tables import record_problems as p
from xueji_national_query.domain.doc_hash import hasher
from xueji_national_query.domain.load_rows import STUDENT_NUMBER_TYPE
from xueji_national_query.domain.preschool import ByDocument, ByPerson, MatchKey
from xueji_national_query.domain.records import NationalRecord, StoredHead

_UPDATED = [c.name for c in t.columns if c.name != "record_id"]


def to_record(row) -> NationalRecord:
    values = dict(row._mapping)
    del values["national_student_number_hash"]
    values["changed_at"] = utc(values["changed_at"])
    return NationalRecord(**values)


class RecordRepository:
    def __init__(self, session: Session, hash_key: str) -> None:
        self._session = session
        self._hash = hasher(hash_key)

    def _number_hash(self, number: str) -> str:
        return self._hash(STUDENT_NUMBER_TYPE, number)

    def get(self, record_id: str) -> NationalRecord | None:
        row = self._session.execute(select(t).where(t.c.record_id == record_id)).first()
        return to_record(row) if row else None

    def heads(self, record_ids: list[str], numbers: list[str]) -> list[StoredHead]:
        """Matched on the numbers' keyed hashes, never decrypted: a batch's read costs no AES, and
        rows sealed under a key this process lacks (a retired one) do not stop the batch. A stored row
        whose number is none of the batch's gets a stand-in that equals no number ("#" + its hash)."""
        number_of = {self._number_hash(n): n for n in numbers}
        rows = self._session.execute(
            select(t.c.record_id, t.c.version, t.c.national_student_number_hash)
            .where(or_(t.c.record_id.in_(record_ids), t.c.national_student_number_hash.in_(list(number_of))))
            .order_by(t.c.record_id)
            .with_for_update()
        )
        return [StoredHead(r.record_id, r.version, number_of.get(r[2], "#" + r[2])) for r in rows]

    def _values(self, record: NationalRecord) -> dict:
        values = asdict(record)
        values["national_student_number_hash"] = self._number_hash(record.national_student_number)
        return values

    def write(
        self, deleted: list[str], updated: list[tuple[NationalRecord, int]], inserted: list[NationalRecord]
    ) -> None:
        if deleted:
            self._session.execute(delete(t).where(t.c.record_id.in_(deleted)))
        if updated:
            rows = []
            for record, version in updated:
                values = self._values(record)
                rows.append(
                    {"b_id": record.record_id, "b_version": version} | {f"v_{k}": values[k] for k in _UPDATED}
                )
            result = self._session.execute(
                update(t)
                .where(t.c.record_id == bindparam("b_id"), t.c.version == bindparam("b_version"))
                .values({k: bindparam(f"v_{k}") for k in _UPDATED}),
                rows,
            )
            if result.rowcount != len(rows):
                raise ConcurrentModification("学籍已被并发修改")
        insert_rows(self._session, t, [self._values(r) for r in inserted])

    # -- problem groups -------------------------------------------------------------------------

    def open_group_counts(self, record_ids: list[str]) -> dict[str, int]:
        rows = self._session.execute(
            select(p.c.record_id, func.count()).where(p.c.record_id.in_(record_ids)).group_by(p.c.record_id)
        )
        return {record_id: count for record_id, count in rows}

    def open_group(self, group_id: str, record_ids: list[str]) -> None:
        known = set(
            self._session.execute(
                select(p.c.record_id).where(p.c.problem_group_id == group_id, p.c.record_id.in_(record_ids))
            ).scalars()
        )
        rows = [
            {"record_id": r, "problem_group_id": group_id}
            for r in dict.fromkeys(record_ids)
            if r not in known
        ]
        if rows:
            self._session.execute(insert(p), rows)
        self._session.execute(update(t).where(t.c.record_id.in_(record_ids)).values(problem=True))

    def close_group(self, group_id: str, record_ids: list[str]) -> None:
        """Closes the group for these records (all of its records when none are named)."""
        query = delete(p).where(p.c.problem_group_id == group_id)
        if record_ids:
            query = query.where(p.c.record_id.in_(record_ids))
        affected = record_ids or []
        if not affected:
            affected = list(
                self._session.execute(select(p.c.record_id).where(p.c.problem_group_id == group_id)).scalars()
            )
        self._session.execute(query)
        still_open = select(p.c.record_id).where(p.c.record_id == t.c.record_id).exists()
        self._session.execute(update(t).where(t.c.record_id.in_(affected), ~still_open).values(problem=False))

    # -- lookups -------------------------------------------------------------------------------

    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]:
        rows = self._session.execute(
            select(t).where(t.c.document_hash.in_(hashes), t.c.name == name).order_by(t.c.changed_at.desc())
        )
        return [to_record(r) for r in rows]

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]:
        rows = self._session.execute(
            select(t).where(
                t.c.national_student_number_hash == self._number_hash(student_number), t.c.name == name
            )
        )
        return [to_record(r) for r in rows]

    def preschool_matching(self, keys: list[MatchKey]) -> list[NationalRecord]:
        """One statement over the union of the keys (the document hash index and the name, gender,
        birth date index); the rule is the domain's (domain/preschool.py::match)."""
        hashes = sorted({k.document_hash for k in keys if isinstance(k, ByDocument)})
        persons = sorted({(k.name, k.gender, k.birth_date) for k in keys if isinstance(k, ByPerson)})
        either = []
        if hashes:
            either.append(t.c.document_hash.in_(hashes))
        if persons:
            either.append(tuple_(t.c.name, t.c.gender, t.c.birth_date).in_(persons))
        if not either:
            return []
        return [to_record(r) for r in self._session.execute(select(t).where(or_(*either)))]
