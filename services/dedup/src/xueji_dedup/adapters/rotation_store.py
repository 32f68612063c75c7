"""SQL of a hash-key rotation at the dedup tiers (service_layer.rotation): the rows dedup can re-key
alone, and the purge of the rows nothing refreshed since the rotation began (set-based statements)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from xueji_dedup.adapters.national_store import HOLDING_STATES
from xueji_dedup.adapters.tables import national_records as rec
from xueji_dedup.adapters.tables import national_reservations as res
from xueji_dedup.adapters.tables import problem_groups as grp
from xueji_dedup.adapters.tables import problem_students as stu
from xueji_dedup.adapters.tables import province_applications, province_records
from xueji_dedup.adapters.tables import student_numbers as num

KEYED_KINDS = ("shared_document", "no_document_duplicate")  # groups whose match key is a keyed hash


class RotationStore:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- what dedup re-keys alone --------------------------------------------------------------

    def clear_numbers(self, after: tuple[str, str], limit: int) -> list:
        """Numbers kept in clear (L, J), in (owner, kind) order after `after`."""
        columns = (num.c.number_hash, num.c.national_student_number, num.c.owner_id, num.c.kind)
        return self._s.execute(
            select(*columns)
            .where(num.c.national_student_number != "", tuple_(num.c.owner_id, num.c.kind) > tuple_(*after))
            .order_by(num.c.owner_id, num.c.kind)
            .limit(limit)
        ).all()

    def rekey_numbers(self, pairs: list[tuple[str, str]], at: dt.datetime) -> None:
        if pairs:
            self._s.execute(
                update(num)
                .where(num.c.number_hash == bindparam("old"))
                .values(number_hash=bindparam("new"), update_time=at),
                [{"old": o, "new": n} for o, n in pairs],
            )

    def no_document_groups(self) -> dict[str, tuple]:
        """Per no-document group held here: (match key, name, gender, birth date, county) of its first
        student that was not corrected (what the group's records share)."""
        rows = self._s.execute(
            select(
                grp.c.group_id, grp.c.match_key, stu.c.name, stu.c.gender, stu.c.birth_date, stu.c.county_code
            )
            .join(stu, stu.c.group_id == grp.c.group_id)
            .where(
                grp.c.kind == "no_document_duplicate",
                grp.c.reporting_province == "",
                stu.c.status != "corrected",
                stu.c.birth_date.is_not(None),
                stu.c.county_code != "",
            )
            .order_by(grp.c.group_id, stu.c.record_id)
        ).all()
        found: dict[str, tuple] = {}
        for r in rows:
            found.setdefault(r.group_id, tuple(r)[1:])
        return found

    def set_group_key(self, group_id: str, match_key: str, at: dt.datetime) -> None:
        self._s.execute(
            update(grp).where(grp.c.group_id == group_id).values(match_key=match_key, update_time=at)
        )

    def rekey_groups(self, kind: str, old_key: str, new_key: str, at: dt.datetime) -> int:
        """Groups held here (not reported copies) keyed by `old_key` take `new_key`."""
        return self._s.execute(
            update(grp)
            .where(grp.c.kind == kind, grp.c.match_key == old_key, grp.c.reporting_province == "")
            .values(match_key=new_key, update_time=at)
        ).rowcount

    # -- the purge -----------------------------------------------------------------------------

    def purge(self, since: dt.datetime, at: dt.datetime) -> dict[str, int]:
        """Rows not refreshed since `since` lose their hash. A holding reservation is released
        (KEY_ROTATED), unless it is committed to a record refreshed since; a formal number (kept only
        as a hash) is forgotten; old reservations released by the rotation (REHASHED) lose theirs."""
        counts = {}
        for table in (province_applications, province_records, rec):
            counts[table.name] = self._s.execute(
                update(table)
                .where(table.c.update_time < since, table.c.document_hash != "")
                .values(document_hash="")
            ).rowcount
        fresh_record = exists().where(rec.c.record_id == res.c.record_id, rec.c.update_time >= since)
        released = self._s.execute(
            update(res)
            .where(
                res.c.state.in_(HOLDING_STATES),
                res.c.update_time < since,
                ~and_(res.c.state == "committed", fresh_record),
            )
            .values(state="released", release_reason="KEY_ROTATED", document_hash="", update_time=at)
        ).rowcount
        blanked = self._s.execute(
            update(res)
            .where(
                res.c.state.not_in(HOLDING_STATES),
                res.c.document_hash != "",
                or_(res.c.update_time < since, res.c.release_reason == "REHASHED"),
            )
            .values(document_hash="")
        ).rowcount
        counts[res.name] = released + blanked
        counts[grp.name] = self._s.execute(
            update(grp)
            .where(
                grp.c.kind.in_(KEYED_KINDS),
                grp.c.reporting_province == "",
                grp.c.match_key != "",
                grp.c.update_time < since,
            )
            .values(match_key="")
        ).rowcount
        counts[num.name] = self._s.execute(
            delete(num).where(
                num.c.national_student_number == "",
                func.coalesce(num.c.update_time, num.c.create_time) < since,
            )
        ).rowcount
        return counts
