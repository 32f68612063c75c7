"""The national tier's per-province outbox of problem events, and a province's cursor over it (SQL).

`append` takes the next sequence of the province under the lock of its head row, held until the
transaction ends: two transactions writing events for one province take turns, so sequences commit
in order and a reader never sees sequence n+1 while n may still come.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xueji_dedup.adapters.tables import national_deliveries as deliveries
from xueji_dedup.adapters.tables import national_delivery_heads as heads
from xueji_dedup.adapters.tables import province_delivery_cursor as cursors
from xueji_dedup.service_layer.unit_of_work import Delivery


def _insert(session: Session, table):
    return (postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert)(table)


class DeliveryStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- national tier ---------------------------------------------------------------------------

    def append(self, province_code: str, event_type: str, payload: bytes, at: dt.datetime) -> Delivery:
        self._s.execute(
            _insert(self._s, heads)
            .values(province_code=province_code, last_sequence=0)
            .on_conflict_do_nothing()
        )
        last = self._s.execute(
            select(heads.c.last_sequence).where(heads.c.province_code == province_code).with_for_update()
        ).scalar_one()
        sequence = last + 1
        self._s.execute(
            update(heads).where(heads.c.province_code == province_code).values(last_sequence=sequence)
        )
        row = Delivery(sequence, str(uuid.uuid4()), event_type, payload)
        self._s.execute(
            deliveries.insert().values(
                province_code=province_code,
                create_time=at,
                sequence=sequence,
                event_id=row.event_id,
                event_type=event_type,
                payload=payload,
            )
        )
        return row

    def after(self, province_code: str, after_sequence: int, limit: int) -> list[Delivery]:
        d = deliveries
        rows = self._s.execute(
            select(d.c.sequence, d.c.event_id, d.c.event_type, d.c.payload)
            .where(d.c.province_code == province_code, d.c.sequence > after_sequence)
            .order_by(d.c.sequence)
            .limit(limit)
        ).all()
        return [Delivery(r.sequence, r.event_id, r.event_type, bytes(r.payload)) for r in rows]

    # -- province tier ---------------------------------------------------------------------------

    def cursor(self, province_code: str, *, for_update: bool = False) -> int:
        query = select(cursors.c.after_sequence).where(cursors.c.province_code == province_code)
        value = self._s.execute(query.with_for_update() if for_update else query).scalar()
        return value or 0

    def move_cursor(self, province_code: str, after_sequence: int, at: dt.datetime) -> None:
        stmt = _insert(self._s, cursors).values(
            province_code=province_code, after_sequence=after_sequence, update_time=at
        )
        self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=["province_code"], set_=dict(after_sequence=after_sequence, update_time=at)
            )
        )
