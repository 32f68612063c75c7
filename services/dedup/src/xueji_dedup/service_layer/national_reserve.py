"""ReserveIdentities set-based (issue 16 step 3): the items of one call in ONE unit of work with a
constant number of statements whatever their number (≤ 500): the stale reservations of all their
documents expired (one UPDATE), the holding reservations and the record holdings of the documents
read (one SELECT each), every item decided in memory in the order asked exactly as
service_layer.national.reserve_identity decides it, the new reservations inserted with one multi-row
INSERT ... ON CONFLICT DO NOTHING RETURNING, the holders of those that lost to a concurrent
reservation read with one SELECT, the own active reservations' expiry extended with one UPDATE, one
commit (docs/FLOWS.md#batches-on-the-bus).

Two calls of the single use case in the order of the items are the reference: a document reserved
by an earlier item of the batch holds it against a later item of another application (that item's
answer is the RESERVATION holding), and a later item of the same application gets that reservation.
One difference, with no effect on an answer: the single use case rolls back when it refuses an item
(its stale reservations' expiry undone), the batch commits the expiry of all its documents (the
state any later reader would write anyway).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from xueji_common.db.engine import now
from xueji_dedup.domain.checks import Holding, HoldingKind, first_holding
from xueji_dedup.service_layer.national import RESERVATION_TTL, ReserveIdentity, check_identities_size
from xueji_dedup.service_layer.unit_of_work import DedupUoW, Document, Reservation, Values

# (the document's holder for this item, True when the reservation is this batch's new one)
Claim = Callable[[ReserveIdentity], tuple[Reservation, bool]]


def reserve_identities(uow: DedupUoW, cmds: Sequence[ReserveIdentity]) -> list[Reservation | Holding]:
    """reserve_identity of each, in the order asked: the reservation, or the holding that keeps the
    document from the application (HeldElsewhere's). One transaction (see the module's docstring)."""
    check_identities_size(len(cmds))
    if not cmds:
        return []
    at = now()
    documents = sorted({(c.document_type, c.document_hash) for c in cmds})
    with uow:
        store = uow.national
        store.expire_stale_of(documents, at)
        held = store.holding_reservations(documents)
        records = store.record_holdings_of(documents)
        rows: list[Values] = []

        def plan(cmd: ReserveIdentity) -> tuple[Reservation, bool]:
            row = _new_row(cmd, at)
            rows.append(row)
            return Reservation(reservation_id="", **row), True  # type: ignore[arg-type]

        # Two passes of the same decisions: the first finds the documents to reserve (the holders
        # evolve item by item as the answers would), the second gives the answers once the insert
        # told which of them were won and which lost to a concurrent reservation (and to whom).
        _decide(cmds, held, records, at, plan)
        inserted = store.try_reserve_many(rows) if rows else {}
        asked = [(str(r["document_type"]), str(r["document_hash"])) for r in rows]
        lost = [d for d in asked if d not in inserted]
        winners = store.holding_reservations(lost) if lost else {}

        def settled(cmd: ReserveIdentity) -> tuple[Reservation, bool]:
            document = (cmd.document_type, cmd.document_hash)
            if document in inserted:
                return inserted[document], True
            holder = winners.get(document)
            assert holder is not None  # the reservation the insert lost to (it waited for its commit)
            return holder, False

        outcomes, refreshed = _decide(cmds, held, records, at, settled)
        if refreshed:
            store.save_reservations(refreshed)
        uow.commit()
        return outcomes


def _decide(
    cmds: Sequence[ReserveIdentity],
    held: dict[Document, Reservation],
    records: dict[Document, list[Holding]],
    at: dt.datetime,
    claim: Claim,
) -> tuple[list[Reservation | Holding], list[Reservation]]:
    """Each item as reserve_identity decides it, the holders evolving item by item; `claim` gives
    the holder of a document an item may reserve. Returns the answers and the stored reservations
    whose expiry is extended (the last version of each)."""
    holder: dict[Document, Reservation] = dict(held)
    new: set[str] = set()  # ids of this batch's new reservations (inserted with their expiry)
    refreshed: dict[str, Reservation] = {}
    out: list[Reservation | Holding] = []
    for cmd in cmds:
        document = (cmd.document_type, cmd.document_hash)
        current = holder.get(document)
        if current is not None and current.application_id == cmd.application_id:
            if current.state == "active":
                current = dataclasses.replace(current, expire_time=at + RESERVATION_TTL, update_time=at)
                holder[document] = current
                if current.reservation_id not in new:
                    refreshed[current.reservation_id] = current
            out.append(current)
            continue
        record = first_holding(
            [
                h
                for h in records.get(document, [])
                if not (cmd.application_id and h.application_id == cmd.application_id)
            ]
        )
        if record is not None:
            out.append(record)
            continue
        if current is None:
            current, won = claim(cmd)
            holder[document] = current
            if won:
                new.add(current.reservation_id)
            if won or current.application_id == cmd.application_id:  # ours, or our concurrent repeat's
                out.append(current)
                continue
        out.append(holding_of(current))
    return out, list(refreshed.values())


def holding_of(r: Reservation) -> Holding:
    """A reservation as the holding that keeps its document from another application."""
    return Holding(
        HoldingKind.RESERVATION, r.reservation_id, r.province_code, r.school_code, "", r.application_id
    )


def _new_row(cmd: ReserveIdentity, at: dt.datetime) -> Values:
    return dict(
        document_type=cmd.document_type,
        document_hash=cmd.document_hash,
        application_id=cmd.application_id,
        province_code=cmd.province_code,
        school_code=cmd.school_code,
        state="active",
        record_id="",
        national_student_number="",
        release_reason="",
        create_time=at,
        expire_time=at + RESERVATION_TTL,
        update_time=at,
    )
