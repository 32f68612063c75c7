"""Re-keying the document-number hashes after XUEJI_HASH_KEY changed (deploy/OPERATIONS.md §8).

Registration keeps the numbers (encrypted), so it recomputes every hash it stores (applications,
student records and their national student numbers, preschool transfers) with the current key, in
batches in key order, one transaction each. The services that keep only hashes learn the new ones
from events written in the same transactions (hashes and masked numbers, the national student number
sealed; envelope correlation id `rehash:<run>`, which dedup recognises):

- each record whose hash changed: StudentRecordChanged at version + 1 (dedup, national-query and
  special-ed apply only a newer version); its change time stays, nothing the user sees changed;
- each application still in flight (not withdrawn, no record yet) whose hash changed:
  ApplicationSubmitted again at its revision (dedup moves its national reservation to the new hash;
  review ignores a revision it has).

A second run finds every hash current and changes and announces nothing. `announce_all` (the
republish command) announces every record and application in flight whether or not its hash changed.

The same command rotates XUEJI_DATA_KEY: `reencrypt` rewrites every encrypted value (numbers, forms,
failed-row cells) not under the current key with it (xueji_common.db.reencrypt); the previous key
must stay in XUEJI_DATA_KEY_PREVIOUS until it has run. Nothing is announced: events carry no clear number.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from xueji_common.auth import Principal, Role
from xueji_common.hashing import document_hash, student_number_hash
from xueji_common.messaging.envelope import ROTATION_CORRELATION_PREFIX
from xueji_registration.adapters import events
from xueji_registration.domain.model import ApplicationState
from xueji_registration.service_layer.unit_of_work import (
    ENCRYPTED_TABLES,
    HASHED_TABLES,
    RegistrationUoW,
    Rotation,
    StoredNumber,
)

CORRELATION_PREFIX = ROTATION_CORRELATION_PREFIX
BATCH = 1000
Progress = Callable[[str, int], None]  # (table, rows done in this batch)
UoWFactory = Callable[[], RegistrationUoW]


@dataclass
class Tally:
    examined: int = 0
    changed: int = 0
    announced: int = 0


def rehash(
    uow_factory: UoWFactory,
    hash_key: str,
    *,
    announce_all: bool = False,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> dict[str, Tally]:
    run = CORRELATION_PREFIX + str(uuid.uuid4())
    tallies: dict[str, Tally] = {}
    steps = {"applications": _applications, "student_records": _records, "preschool_transfers": _transfers}
    for table in HASHED_TABLES:
        step, tally, after = steps[table], Tally(), ""
        while True:
            with uow_factory() as uow:
                store = uow.rotation
                rows = store.numbers(table, after, batch)
                if not rows:
                    break
                step(uow, store, rows, hash_key, announce_all, run, tally)
                uow.commit()
            tally.examined += len(rows)
            after = rows[-1].key
            if progress:
                progress(table, len(rows))
        tallies[table] = tally
    return tallies


def reencrypt(uow_factory: UoWFactory, progress: Progress | None = None) -> dict[str, int]:
    """Rows rewritten under the current data key, per table (one transaction per table)."""
    counts = {}
    for table in ENCRYPTED_TABLES:
        with uow_factory() as uow:
            counts[table] = uow.rotation.reencrypt(table, partial(progress, table) if progress else None)
            uow.commit()
    return counts


def _hash(hash_key: str, row: StoredNumber, *, none_without_number: bool = False) -> str | None:
    if none_without_number and not row.document_number:
        return None
    return document_hash(hash_key, row.document_type, row.document_number)


def _changed(
    rows: list[StoredNumber], hash_key: str, tally: Tally, *, none_without_number: bool = False
) -> dict[str, str | None]:
    fresh = {r.key: _hash(hash_key, r, none_without_number=none_without_number) for r in rows}
    changed = {r.key: fresh[r.key] for r in rows if r.document_hash != fresh[r.key]}
    tally.changed += len(changed)
    return changed


def _applications(
    uow: RegistrationUoW,
    store: Rotation,
    rows: list[StoredNumber],
    hash_key: str,
    announce_all: bool,
    run: str,
    tally: Tally,
) -> None:
    changed = _changed(rows, hash_key, tally)
    store.set_hashes("applications", list(changed.items()))
    in_flight = [
        r.key
        for r in rows
        if r.state != ApplicationState.WITHDRAWN.value
        and not r.record_id
        and (announce_all or r.key in changed)
    ]
    announced = []
    for application_id in in_flight:
        app = uow.applications.get(application_id)
        if app is None:  # read in this very transaction: not reached
            continue
        by = Principal(user_id="rehash", role=Role.SYSTEM, org_unit=app.school_code)
        event = events.application_submitted(app, county_code=app.county_code, by=by)
        announced.append((event, application_id))
    store.announce(announced, run)
    tally.announced += len(announced)


def _records(
    uow: RegistrationUoW,
    store: Rotation,
    rows: list[StoredNumber],
    hash_key: str,
    announce_all: bool,
    run: str,
    tally: Tally,
) -> None:
    changed = _changed(rows, hash_key, tally)
    # The national student number's hash too (a G number is G + the resident ID, stored encrypted).
    renumbered = {
        r.key
        for r in rows
        if r.key not in changed
        and r.national_student_number_hash != student_number_hash(hash_key, r.national_student_number)
    }
    tally.changed += len(renumbered)
    records = store.records([r.key for r in rows] if announce_all else sorted({*changed, *renumbered}))
    for record in records:
        record.document_hash = changed.get(record.record_id) or record.document_hash
        record.version += 1
    store.save_records(records, hash_key)
    store.announce([(events.record_changed(r, uow.collaborators), r.record_id) for r in records], run)
    tally.announced += len(records)


def _transfers(
    uow: RegistrationUoW,
    store: Rotation,
    rows: list[StoredNumber],
    hash_key: str,
    announce_all: bool,
    run: str,
    tally: Tally,
) -> None:
    changed = _changed(rows, hash_key, tally, none_without_number=True)
    store.set_hashes("preschool_transfers", list(changed.items()))
