"""A rotation of XUEJI_HASH_KEY at the dedup tiers (deploy/OPERATIONS.md §8).

Dedup keeps keyed hashes only, so it cannot re-hash by itself. Registration (`xueji registration
rehash`) announces again, with hashes of the new key and an envelope correlation id starting with
`rehash:`, every record (StudentRecordChanged, version + 1) and every application still in flight
(ApplicationSubmitted, same revision). Here:

- such an application, already checked at that revision, moves its index row and its national
  reservation to the new hash (reserved anew, the old one released as REHASHED); the check does not
  run again and nothing is published;
- such a record changes as usual (index, national holding, which takes the record's committed
  reservation along), and besides its G number is keyed anew at the national tier and the groups of
  one person with several records (一人多籍) keyed by its old hash take the new one;
- an announcement whose hash this tier's key did not make is not applied (KeyMismatch: the bus
  delivers it again until the worker runs with the key registration used).

`rekey_and_purge` (`xueji dedup rehash --since ...`, once every announcement has been consumed):
what dedup re-keys alone (student numbers kept in clear, no-document groups), then the purge of
every row nothing refreshed since the rotation began.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from xueji_common.db.engine import now
from xueji_common.hashing import document_hash
from xueji_common.messaging.envelope import ROTATION_CORRELATION_PREFIX
from xueji_common.orgunits import OrgTree
from xueji_dedup.domain.checks import Holding
from xueji_dedup.domain.problems import no_document_key
from xueji_dedup.service_layer.ports import PeerRefused, Peers
from xueji_dedup.service_layer.unit_of_work import DedupUoW, IndexedApplication

if TYPE_CHECKING:  # province imports this module
    from xueji_dedup.service_layer.province import Submitted

log = logging.getLogger(__name__)

CORRELATION_PREFIX = ROTATION_CORRELATION_PREFIX
BATCH = 5000
Progress = Callable[[int], None]  # rows done since the last call


class KeyMismatch(Exception):
    """A rotation's announcement made with another key than this tier's (not a DomainError: retried)."""


class Envelope(Protocol):
    @property
    def correlation_id(self) -> str: ...


def announced_by_rotation(envelope: Envelope | None) -> bool:
    return envelope is not None and envelope.correlation_id.startswith(CORRELATION_PREFIX)


def check_key(hash_key: str, document_type: str, number: str, digest: str) -> None:
    if document_hash(hash_key, document_type, number) != digest:
        raise KeyMismatch("the announced document hash was not made with this service's XUEJI_HASH_KEY")


def application_rekeyed(
    uow: DedupUoW, app: Submitted, previous: IndexedApplication, *, peers: Peers, tree: OrgTree
) -> None:
    """`app` (province.Submitted) announced again under the current key at the revision already checked."""
    if previous.document_hash == app.document_hash:
        uow.commit()
        return
    uow.end_reads()
    reservation_id = previous.reservation_id
    if reservation_id and previous.state != "withdrawn":
        province = tree.province_of(app.school_code)
        got = peers.national.reserve(
            app.document_type,
            app.document_hash,
            app.application_id,
            province.code if province else "",
            app.school_code,
        )
        if isinstance(got, Holding):  # taken meanwhile under the new key: the record raises it later
            log.warning(
                "document held by another under the new key",
                extra={"fields": {"application_id": app.application_id, "holder_id": got.holder_id}},
            )
            got = ""
        if got != reservation_id:
            peers.national.release(reservation_id, "REHASHED")
        reservation_id = got
    uow.claim_now()
    uow.province.update_application(
        app.application_id, document_hash=app.document_hash, reservation_id=reservation_id, update_time=now()
    )
    uow.commit()


def rekey_formal_number(peers: Peers, record_id: str, national_student_number: str) -> None:
    """A G number (in clear in the announcement, never kept) keyed anew at the national tier."""
    if not national_student_number.startswith("G"):
        return
    try:
        peers.national.rekey_formal_number(record_id, national_student_number)
    except PeerRefused as exc:  # left to the purge; the record's other rows still follow
        log.error(
            "formal number not keyed anew",
            extra={"fields": {"record_id": record_id, "status": exc.code.name}},
        )


def rekey_shared_groups(uow: DedupUoW, old_hash: str, new_hash: str) -> None:
    if old_hash and old_hash != new_hash:
        uow.rotation.rekey_groups("shared_document", old_hash, new_hash, now())


def rekey_and_purge(
    uow: DedupUoW, since: dt.datetime, *, dry_run: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """Counts per step and table. One transaction; `dry_run` counts and rolls back."""
    at = now()
    with uow:
        counts = {
            "student_numbers rekeyed": _rekey_numbers(uow, at, progress),
            "problem_groups rekeyed": _rekey_no_document_groups(uow, at),
        }
        counts.update({f"{table} purged": n for table, n in uow.rotation.purge(since, at).items()})
        if not dry_run:
            uow.commit()
    return counts


def _rekey_numbers(uow: DedupUoW, at: dt.datetime, progress: Progress | None) -> int:
    changed, after = 0, ("", "")
    while rows := uow.rotation.clear_numbers(after, BATCH):
        pairs = [(r.number_hash, document_hash(uow.hash_key, "NSN", r.national_student_number)) for r in rows]
        pairs = [(old, new) for old, new in pairs if old != new]
        uow.rotation.rekey_numbers(pairs, at)
        changed += len(pairs)
        after = (rows[-1].owner_id, rows[-1].kind)
        if progress:
            progress(len(rows))
    return changed


def _rekey_no_document_groups(uow: DedupUoW, at: dt.datetime) -> int:
    changed = 0
    for group_id, (key, name, gender, birth_date, county) in uow.rotation.no_document_groups().items():
        new = no_document_key(uow.hash_key, name, gender, birth_date, county)
        if new != key:
            uow.rotation.set_group_key(group_id, new, at)
            changed += 1
    return changed
