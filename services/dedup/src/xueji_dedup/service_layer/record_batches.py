"""StudentRecordCreated in batches at the province tier (issue 16 step 3, docs/FLOWS.md#batches-on-the-bus):
`records_created` decides each record as service_layer/records.py::record_created does, with the
records and applications read in one statement each, one CommitReservations and one CheckDocuments
call to the nation, and the index written in bulk.

A committed record whose reservation holds the document as the record would (same document,
application, school) holds it already: CheckDocuments tells whether other records hold it too.
Where one does (一人多籍), or the commit was refused or had nothing to commit, the record registers
its holding as the single path does (RegisterRecord, whose answer orders the group's students), and
the problem rules are the single path's, per item (records.problems_of). Two records of the batch
holding one document, or one record twice, would see each other in an order bulk calls cannot
keep: the batch then raises ConcurrentModification and the consumer goes one by one. So does an
index row whose version moved meanwhile.

The consumer claimed the events with one statement before calling this, so its transaction is open
while the nation answers (no `end_reads`, which would roll the claims back), and it commits.
"""

from __future__ import annotations

from xueji_common.errors import ConcurrentModification
from xueji_common.orgunits import OrgTree
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.service_layer import records
from xueji_dedup.service_layer.ports import CommitAsked, Committed, Peers
from xueji_dedup.service_layer.records import RecordSnapshot
from xueji_dedup.service_layer.unit_of_work import DedupUoW, IndexedRecord


def records_created(uow: DedupUoW, recs: list[RecordSnapshot], *, peers: Peers, tree: OrgTree) -> None:
    ids = [r.record_id for r in recs]
    if len(set(ids)) < len(ids):
        raise ConcurrentModification("同一批中有同一学籍的多个事件")
    previous = {p.record_id: p for p in uow.province.records_by_ids(ids)}
    fresh = [r for r in recs if not _stale(previous.get(r.record_id), r)]
    if not fresh:
        return
    apps = uow.province.applications_of(sorted({r.application_id for r in fresh}))
    documented = [r for r in fresh if r.category != "no_document"]
    if len({(r.document_type, r.document_hash) for r in documented}) < len(documented) or any(
        previous[r.record_id].category == "no_document" for r in documented if r.record_id in previous
    ):
        raise ConcurrentModification("同一批中有多条学籍持有同一证件")

    committing = [r for r in documented if (a := apps.get(r.application_id)) is not None and a.reservation_id]
    asked = [
        CommitAsked(apps[r.application_id].reservation_id, r.record_id, r.national_student_number)
        for r in committing
    ]
    committed = dict(zip([r.record_id for r in committing], peers.national.commit_each(asked), strict=True))
    held = [r for r in documented if _holds_as_registered(committed.get(r.record_id), r)]
    checked = peers.national.check_each([(r.document_type, r.document_hash, r.application_id) for r in held])
    alone = {r.record_id for r, found in zip(held, checked, strict=True) if not _records_sharing(found, r)}
    others = {r.record_id: [] if r.record_id in alone else records.register(peers, r) for r in documented}
    shared = {r.record_id: records.shared_document(uow, r, others.get(r.record_id, []), tree) for r in fresh}
    for r in fresh:
        records.raise_at_nation(peers, r, shared[r.record_id], tree)

    rows = [(records.index_values(r, tree), previous.get(r.record_id)) for r in documented]
    uow.province.write_records(
        [(values, p.snapshot_version) for values, p in rows if p is not None],
        [values for values, p in rows if p is None],
    )
    for r in fresh:
        if r.category == "no_document":
            records.index(uow, r, tree)  # in order: a no-document record's twins are those indexed before it
        records.problems_of(uow, r, apps.get(r.application_id), shared[r.record_id], tree)


def _stale(previous: IndexedRecord | None, rec: RecordSnapshot) -> bool:
    return previous is not None and previous.snapshot_version >= rec.version


def _holds_as_registered(committed: Committed | None, rec: RecordSnapshot) -> bool:
    """The committed reservation's holding is the one RegisterRecord would write for the record."""
    return committed is not None and committed == Committed(
        rec.document_type, rec.document_hash, rec.application_id, rec.province_code, rec.school_code
    )


def _records_sharing(found: list[Holding], rec: RecordSnapshot) -> bool:
    return any(h.kind is HoldingKind.RECORD and h.holder_id != rec.record_id for h in found)
