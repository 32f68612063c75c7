"""The national tier's tables in SQL: reservations, record holdings, student numbers.

Reservations are won with INSERT ... ON CONFLICT DO NOTHING on the partial unique index of ACTIVE
and COMMITTED reservations, never check-then-insert: of two concurrent transactions reserving one
document, the second waits for the first and then inserts nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, bindparam, delete, func, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_dedup.adapters.tables import national_records as rec
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.adapters.tables import student_numbers as num
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.service_layer.unit_of_work import Document, Reservation

HOLDING_STATES = ("active", "committed")
_SAVED = ("state", "record_id", "national_student_number", "release_reason", "expire_time", "update_time")
_HOLDING_WHERE = text("state IN ('active', 'committed')")


def _reservation(row) -> Reservation:
    values = dict(row._mapping)
    for key in ("create_time", "expire_time", "update_time"):
        values[key] = utc(values[key])
    return Reservation(**values)


def _insert(session: Session, table):
    return (postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert)(table)


def _of(session: Session, table, documents: list[Document]):
    """The rows of these (document type, hash) pairs (row values: the index of both columns).
    PostgreSQL: the pairs as two arrays unnested, joined on the index. A row-value IN of 500 pairs
    planned as a BitmapOr of 500 index scans took 139 ms a call (pg_stat_statements, 10,000-student
    run); the join takes a few."""
    pairs = tuple_(table.c.document_type, table.c.document_hash)
    if session.bind.dialect.name != "postgresql":
        return pairs.in_(documents)
    asked = (
        func.unnest(
            bindparam(None, [t for t, _ in documents], type_=ARRAY(String)),
            bindparam(None, [h for _, h in documents], type_=ARRAY(String)),
        )
        .table_valued("t", "h")
        .render_derived()
    )
    return pairs.in_(select(asked.c.t, asked.c.h))


class NationalStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- reservations --------------------------------------------------------------------------

    def reservation(self, reservation_id: str, *, for_update: bool = False) -> Reservation | None:
        query = select(res).where(res.c.reservation_id == reservation_id)
        row = self._s.execute(query.with_for_update() if for_update else query).first()
        return _reservation(row) if row else None

    def reservations_of(self, reservation_ids: list[str]) -> dict[str, Reservation]:
        rows = self._s.execute(
            select(res)
            .where(res.c.reservation_id.in_(reservation_ids))
            .order_by(res.c.reservation_id)
            .with_for_update()
        )
        return {row.reservation_id: _reservation(row) for row in rows}

    def holding_reservation(self, document_type: str, document_hash: str) -> Reservation | None:
        row = self._s.execute(
            select(res).where(
                res.c.document_type == document_type,
                res.c.document_hash == document_hash,
                res.c.state.in_(HOLDING_STATES),
            )
        ).first()
        return _reservation(row) if row else None

    def expire_stale(self, document_type: str, document_hash: str, now: dt.datetime) -> None:
        self._s.execute(
            update(res)
            .where(
                res.c.document_type == document_type,
                res.c.document_hash == document_hash,
                res.c.state == "active",
                res.c.expire_time < now,
            )
            .values(state="expired", update_time=now)
        )

    def try_reserve(self, values: dict) -> str | None:
        """Insert a reservation unless the document is held; returns its id, or None if it lost."""
        values = {
            "reservation_id": str(uuid.uuid4()),
            "state": "active",
            "record_id": "",
            "national_student_number": "",
            "release_reason": "",
            **values,
        }
        stmt = (
            _insert(self._s, res)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["document_type", "document_hash"],
                index_where=_HOLDING_WHERE,
            )
            .returning(res.c.reservation_id)
        )
        return self._s.execute(stmt).scalar()  # None when the conflict kept the row out

    # -- the batch of ReserveIdentities (service_layer/national_reserve.py): one statement each --

    def expire_stale_of(self, documents: list[Document], now: dt.datetime) -> None:
        """expire_stale of every document, in one UPDATE."""
        self._s.execute(
            update(res)
            .where(_of(self._s, res, documents), res.c.state == "active", res.c.expire_time < now)
            .values(state="expired", update_time=now)
        )

    def holding_reservations(self, documents: list[Document]) -> dict[Document, Reservation]:
        """holding_reservation of every document (those held), in one SELECT."""
        rows = self._s.execute(
            select(res).where(_of(self._s, res, documents), res.c.state.in_(HOLDING_STATES))
        )
        return {(r.document_type, r.document_hash): _reservation(r) for r in rows}

    def record_holdings_of(self, documents: list[Document]) -> dict[Document, list[Holding]]:
        """The records holding each document (holdings' RECORD part, no exception), in one SELECT."""
        found: dict[Document, list[Holding]] = {}
        for r in self._s.execute(select(rec).where(_of(self._s, rec, documents))):
            found.setdefault((r.document_type, r.document_hash), []).append(_record_holding(r))
        return found

    def try_reserve_many(self, rows: list[dict]) -> dict[Document, Reservation]:
        """try_reserve of each row (one per document, every column but the id), in one multi-row
        INSERT ... ON CONFLICT DO NOTHING RETURNING: the reservations inserted by document (a row
        whose document is held, by a concurrent reservation committed meanwhile, is skipped)."""
        values = [{"reservation_id": str(uuid.uuid4()), **row} for row in rows]
        stmt = (
            _insert(self._s, res)
            .on_conflict_do_nothing(
                index_elements=["document_type", "document_hash"], index_where=_HOLDING_WHERE
            )
            .returning(*res.c)
        )
        # Rows as parameters (insertmanyvalues: one cached statement; see province_store.save_checks).
        return {(r.document_type, r.document_hash): _reservation(r) for r in self._s.execute(stmt, values)}

    def save_reservation(self, r: Reservation) -> None:
        self.save_reservations([r])

    def save_reservations(self, saved: list[Reservation]) -> None:
        self._s.execute(
            update(res)
            .where(res.c.reservation_id == bindparam("b_id"))
            .values({k: bindparam(f"v_{k}") for k in _SAVED}),
            [{"b_id": r.reservation_id} | {f"v_{k}": getattr(r, k) for k in _SAVED} for r in saved],
        )

    # -- record holdings ------------------------------------------------------------------------

    def record_document(self, record_id: str) -> tuple[str, str] | None:
        """(document type, hash) the record holds now; None when it holds nothing."""
        row = self._s.execute(
            select(rec.c.document_type, rec.c.document_hash).where(rec.c.record_id == record_id)
        ).first()
        return tuple(row) if row else None

    def follow_record(
        self, record_id: str, held: tuple[str, str], document_type: str, document_hash: str, now: dt.datetime
    ) -> bool:
        """The record's committed reservation moves with its holding from `held` to the new document
        (a hash-key rotation, a correction). Where another reservation holds that document already,
        the committed one is released instead. True when it moved."""
        where = (
            res.c.record_id == record_id,
            res.c.state == "committed",
            res.c.document_type == held[0],
            res.c.document_hash == held[1],
        )
        try:
            with self._s.begin_nested():
                self._s.execute(
                    update(res)
                    .where(*where)
                    .values(document_type=document_type, document_hash=document_hash, update_time=now)
                )
            return True
        except IntegrityError:
            self._s.execute(
                update(res)
                .where(*where)
                .values(state="released", release_reason="HOLDING_MOVED", update_time=now)
            )
            return False

    def upsert_record(self, values: dict) -> None:
        self.upsert_records([values])

    def upsert_records(self, rows: list[dict]) -> None:
        """Every row with the same keys; one statement (executemany)."""
        stmt = _insert(self._s, rec)
        stmt = stmt.on_conflict_do_update(
            index_elements=["record_id"], set_={k: stmt.excluded[k] for k in rows[0] if k != "record_id"}
        )
        self._s.execute(stmt, rows)

    def remove_record(self, record_id: str) -> bool:
        return self._s.execute(delete(rec).where(rec.c.record_id == record_id)).rowcount > 0

    def release_committed(self, record_id: str, reason: str, now: dt.datetime) -> None:
        """The reservation committed to a record that is gone holds the document no more."""
        self._s.execute(
            update(res)
            .where(res.c.record_id == record_id, res.c.state == "committed")
            .values(state="released", release_reason=reason[:40], update_time=now)
        )

    def holdings(
        self,
        document_type: str,
        document_hash: str,
        now: dt.datetime,
        *,
        except_application: str = "",
        except_record: str = "",
    ) -> list[Holding]:
        """Records holding the document, then open reservations (of other applications)."""
        found = [
            _record_holding(r)
            for r in self._s.execute(
                select(rec).where(rec.c.document_type == document_type, rec.c.document_hash == document_hash)
            ).all()
            if r.record_id != except_record
            and not (except_application and r.application_id == except_application)
        ]
        open_reservations = self._s.execute(
            select(res).where(
                res.c.document_type == document_type,
                res.c.document_hash == document_hash,
                res.c.state == "active",
                res.c.expire_time >= now,
            )
        ).all()
        found += [
            Holding(
                HoldingKind.RESERVATION,
                r.reservation_id,
                r.province_code,
                r.school_code,
                "",
                r.application_id,
            )
            for r in open_reservations
            if r.application_id != except_application
        ]
        return found

    # -- student numbers ------------------------------------------------------------------------

    def number_of_owner(self, owner_id: str, kind: str):
        return self._s.execute(select(num).where(num.c.owner_id == owner_id, num.c.kind == kind)).first()

    def try_take_number(
        self, number_hash: str, kind: str, owner_id: str, number: str, now: dt.datetime
    ) -> bool:
        stmt = _insert(self._s, num).values(
            number_hash=number_hash,
            kind=kind,
            owner_id=owner_id,
            national_student_number=number,
            create_time=now,
            update_time=now,
        )
        stmt = stmt.on_conflict_do_nothing().returning(num.c.number_hash)
        return self._s.execute(stmt).scalar() is not None

    def number_owner(self, number_hash: str) -> str | None:
        return self._s.execute(select(num.c.owner_id).where(num.c.number_hash == number_hash)).scalar()

    def numbers_of_owners(self, owner_ids) -> list:
        ids = list(owner_ids)
        return list(self._s.execute(select(num).where(num.c.owner_id.in_(ids))).all()) if ids else []

    def number_owners(self, number_hashes) -> dict[str, str]:
        hashes = list(number_hashes)
        if not hashes:
            return {}
        rows = self._s.execute(select(num.c.number_hash, num.c.owner_id).where(num.c.number_hash.in_(hashes)))
        return {r.number_hash: r.owner_id for r in rows}

    def take_numbers(self, rows: list[tuple[str, str, str, str]], now: dt.datetime) -> set[tuple[str, str]]:
        """One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING (a row in conflict with one held,
        or with an earlier row of the same statement, is skipped)."""
        if not rows:
            return set()
        values = [
            dict(
                number_hash=h,
                kind=kind,
                owner_id=owner,
                national_student_number=number,
                create_time=now,
                update_time=now,
            )
            for h, kind, owner, number in rows
        ]
        stmt = _insert(self._s, num).on_conflict_do_nothing()
        taken = self._s.execute(stmt.returning(num.c.number_hash, num.c.owner_id), values)
        return {(r.number_hash, r.owner_id) for r in taken}

    def rekey_number(self, old_hash: str, new_hash: str, now: dt.datetime) -> None:
        self._s.execute(
            update(num).where(num.c.number_hash == old_hash).values(number_hash=new_hash, update_time=now)
        )


def _record_holding(r) -> Holding:
    """A national_records row as the holding it is."""
    return Holding(
        HoldingKind.RECORD,
        r.record_id,
        r.province_code,
        r.school_code,
        r.national_student_number,
        r.application_id,
    )
