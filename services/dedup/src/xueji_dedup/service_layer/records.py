"""Student records reaching the province index, and the problem records (问题学籍) they reveal.

On StudentRecordCreated: the reservation of its application is committed nationally and the record's
holding registered (which answers with the document's other holdings, in any province); then
problem groups are raised: a failed authentication (freshman resident), a document held by several
records, no-document records sharing name, gender and birth date in the same county (the groups go
out as ProblemRaised). A document held by records of several provinces is a cross-province group:
its one home is the national tier (RaiseProblemGroup, called before this tier writes anything); the
province hears it back with every other province holding a member (service_layer.national_inbox).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from xueji_common.db.engine import now
from xueji_common.orgunits import OrgTree
from xueji_dedup.adapters import events
from xueji_dedup.domain.checks import Holding, HoldingKind
from xueji_dedup.domain.problems import (
    ProblemGroup,
    ProblemKind,
    ProblemStudent,
    no_document_key,
    resolver_for,
    school_chain,
)
from xueji_dedup.service_layer import reporting, rotation
from xueji_dedup.service_layer.ports import PeerRefused, Peers
from xueji_dedup.service_layer.reporting import Report
from xueji_dedup.service_layer.unit_of_work import DedupUoW, IndexedApplication


@dataclass(frozen=True)
class RecordSnapshot:
    record_id: str
    application_id: str
    school_code: str
    province_code: str
    category: str
    document_type: str
    document_hash: str
    document_masked: str
    national_student_number: str  # masked
    temporary_number: bool
    name: str
    gender: int
    birth_date: dt.date | None
    version: int


def record_created(uow: DedupUoW, rec: RecordSnapshot, *, peers: Peers, tree: OrgTree) -> list[ProblemGroup]:
    """Index the record, register its holding nationally, raise problems; returns the groups raised.
    The batch of these is service_layer/record_batches.py::records_created."""
    previous = uow.province.record(rec.record_id)
    if previous is not None and previous.snapshot_version >= rec.version:
        uow.commit()
        return []
    app = uow.province.application(rec.application_id)
    uow.end_reads()

    others: list[Holding] = []
    if rec.category != "no_document":
        if app is not None and app.reservation_id:
            try:
                peers.national.commit(app.reservation_id, rec.record_id, rec.national_student_number)
            except PeerRefused:
                pass  # released or expired meanwhile: the record still registers its holding below
        others = register(peers, rec)
    shared = shared_document(uow, rec, others, tree)
    uow.end_reads()  # read before the first write (SQLite: no read transaction upgraded to a write)
    raise_at_nation(peers, rec, shared, tree)
    uow.claim_now()
    index(uow, rec, tree)
    raised = problems_of(uow, rec, app, shared, tree)
    uow.commit()
    return raised


def register(peers: Peers, rec: RecordSnapshot) -> list[Holding]:
    """The record's holding registered nationally; the document's other holdings."""
    return peers.national.register_record(
        record_id=rec.record_id,
        document_type=rec.document_type,
        document_hash=rec.document_hash,
        application_id=rec.application_id,
        province_code=rec.province_code,
        school_code=rec.school_code,
        national_student_number=rec.national_student_number,
    )


Shared = tuple[list[ProblemStudent], str]


def shared_document(
    uow: DedupUoW, rec: RecordSnapshot, others: list[Holding], tree: OrgTree
) -> Shared | None:
    """The 一人多籍 group's students and reason when other records hold the document (reads the index)."""
    records_sharing = [h for h in others if h.kind is HoldingKind.RECORD]
    return _shared_document(uow, rec, records_sharing, tree) if records_sharing else None


def raise_at_nation(peers: Peers, rec: RecordSnapshot, shared: Shared | None, tree: OrgTree) -> None:
    """A cross-province group's home is the national tier: raised there (before this tier writes
    anything), heard back through the province's deliveries."""
    if shared is not None and _cross_province(shared[0], tree):
        peers.national.raise_group(ProblemKind.SHARED_DOCUMENT, rec.document_hash, *shared, tree)


def problems_of(
    uow: DedupUoW, rec: RecordSnapshot, app: IndexedApplication | None, shared: Shared | None, tree: OrgTree
) -> list[ProblemGroup]:
    """The province's groups the indexed record raises (no statement for a record that raises none
    and holds a document)."""
    raised = []
    if shared is not None:
        if not _cross_province(shared[0], tree):
            raised.append(_group(uow, ProblemKind.SHARED_DOCUMENT, rec.document_hash, *shared, tree))
    elif (
        rec.category == "resident"
        and app is not None
        and app.outcome == "failed"
        and not _in_national_group(uow, rec.record_id)
    ):
        raised.append(
            _group(
                uow,
                ProblemKind.AUTHENTICATION_FAILED,
                rec.record_id,
                [_student(rec, tree, app.reason)],
                app.reason,
                tree,
            )
        )
    if rec.category == "no_document":
        group = _no_document_twins(uow, rec, tree)
        if group is not None:
            raised.append(group)
    return raised


@dataclass(frozen=True)
class Announced:
    """What a hash-key rotation's announcement of a record carries (the G number is keyed anew)."""

    national_student_number: str


def record_changed(
    uow: DedupUoW, rec: RecordSnapshot, *, peers: Peers, tree: OrgTree, announced: Announced | None = None
) -> None:
    """Key data or number changed (e.g. a correction): the index and the national holding follow (a
    record deleted as a duplicate holds nothing), and so do the groups it is in. A cross-province
    group's new version is reported before it is written: a retried event reports again, and the
    national tier keeps the newest version. A record in a national group (noted from the deliveries, or
    held with another province's record) refreshes that group's copy at the nation
    (RefreshProblemStudent; a failure fails the handler before anything is written, and the event comes
    again). Announced by a hash-key rotation: see rotation (the key check asks registration for the
    number: before any read, so no transaction is held)."""
    number = peers.registration.record_number(rec.record_id) if announced is not None else None
    previous = uow.province.record(rec.record_id)
    if previous is not None and previous.snapshot_version >= rec.version:
        uow.commit()
        return
    if number is not None and number.version == rec.version:  # else a newer announcement follows
        rotation.check_key(uow.hash_key, rec.document_type, number.number, rec.document_hash)
    in_national = uow.province.national_groups_of(rec.record_id)
    deleted = uow.problems.record_deleted(rec.record_id) or bool(
        uow.province.national_groups_of(rec.record_id, status="deleted")
    )
    reports: list[Report] = []
    for group in uow.problems.groups_of_record(rec.record_id):
        report = reporting.cross_province_report(uow, group) if _refresh(group, rec) else None
        if report:
            group.version, group.update_time = group.version + 1, now()  # as saved below
            reports.append(report)
    uow.end_reads()
    if announced is not None:
        rotation.rekey_formal_number(peers, rec.record_id, announced.national_student_number)
    if rec.category != "no_document" and deleted:
        peers.national.unregister_record(rec.record_id, "DELETED")
    elif rec.category != "no_document":
        others = peers.national.register_record(
            record_id=rec.record_id,
            document_type=rec.document_type,
            document_hash=rec.document_hash,
            application_id=rec.application_id,
            province_code=rec.province_code,
            school_code=rec.school_code,
            national_student_number=rec.national_student_number,
        )
        # another province's record holds the document: the record may be in a national group this
        # province has not pulled the news of yet (the nation answers no group when it is in none)
        in_national = in_national or [
            h.holder_id
            for h in others
            if h.kind is HoldingKind.RECORD and h.province_code != rec.province_code
        ]
    if in_national:
        # the national group's copy follows, as the province's own groups do below; a failure fails
        # the handler before anything is committed, and the bus delivers the event again
        peers.national.refresh_student(
            _student(rec, tree, ""), refresh_request_id(rec.record_id, rec.version), tree
        )
    for group, actions, province in reports:
        peers.national.report_group(group, actions, tree, province)
    uow.claim_now()
    index(uow, rec, tree)
    if announced is not None and previous is not None:
        rotation.rekey_shared_groups(uow, previous.document_hash, rec.document_hash)
    for group in uow.problems.groups_of_record(rec.record_id):
        if _refresh(group, rec):
            group.update_time = now()
            uow.problems.save(group, group.version)
    uow.commit()


def refresh_request_id(record_id: str, version: int) -> str:
    """RefreshProblemStudent's request id: one per record version, so that a retried event repeats it."""
    return str(uuid.uuid5(_REFRESH_IDS, f"{record_id}:{version}"))


_REFRESH_IDS = uuid.UUID("5b0c7f0e-2f4e-4d7a-9a35-3a4f1f3c2b61")


def _refresh(group: ProblemGroup, rec: RecordSnapshot) -> bool:
    return group.refresh_student(
        rec.record_id,
        national_student_number=rec.national_student_number,
        temporary_number=rec.temporary_number,
        name=rec.name,
        gender=rec.gender,
        birth_date=rec.birth_date,
        document_type=rec.document_type,
        document_masked=rec.document_masked,
    )


def index(uow: DedupUoW, rec: RecordSnapshot, tree: OrgTree) -> None:
    uow.province.save_record(index_values(rec, tree))


def index_values(rec: RecordSnapshot, tree: OrgTree) -> dict[str, object]:
    """The record's row of the province index."""
    county = tree.county_of(rec.school_code) if rec.school_code in tree else None
    return dict(
        record_id=rec.record_id,
        application_id=rec.application_id,
        school_code=rec.school_code,
        county_code=county.code if county else "",
        category=rec.category,
        document_type=rec.document_type,
        document_hash=rec.document_hash,
        document_masked=rec.document_masked,
        national_student_number=rec.national_student_number,
        temporary_number=rec.temporary_number,
        name=rec.name,
        gender=rec.gender,
        birth_date=rec.birth_date,
        snapshot_version=rec.version,
        update_time=now(),
    )


def _student(rec: RecordSnapshot, tree: OrgTree, reason: str) -> ProblemStudent:
    return ProblemStudent(
        record_id=rec.record_id,
        application_id=rec.application_id,
        national_student_number=rec.national_student_number,
        temporary_number=rec.temporary_number,
        name=rec.name,
        gender=rec.gender,
        birth_date=rec.birth_date,
        document_type=rec.document_type,
        document_masked=rec.document_masked,
        reason=reason,
        record_version=rec.version,
        **school_chain(tree, rec.school_code, rec.province_code),
    )


def _in_national_group(uow: DedupUoW, record_id: str) -> bool:
    """Already in the national group of its document (its province heard it first, see
    national_inbox): no failed-authentication group of its own, one open group per document."""
    uow.province.lock_record(record_id)
    return bool(uow.province.national_groups_of(record_id))


def _cross_province(students: list[ProblemStudent], tree: OrgTree) -> bool:
    return resolver_for(tree, [s.school_code for s in students], [s.province_code for s in students])[0] == 1


def _shared_document(
    uow: DedupUoW, rec: RecordSnapshot, sharing: list[Holding], tree: OrgTree
) -> tuple[list[ProblemStudent], str]:
    """The students of a 一人多籍 group and its reason (read from the index)."""
    count = len(sharing) + 1
    reason = f"一人多籍：该身份证件号被{count}条学籍使用（{rec.document_masked}）"
    students = [_student(rec, tree, reason)]
    known = {r.record_id: r for r in uow.province.records_by_ids([h.holder_id for h in sharing])}
    for h in sharing:
        r = known.get(h.holder_id)
        students.append(
            ProblemStudent(
                record_id=h.holder_id,
                application_id=h.application_id,
                national_student_number=h.national_student_number,
                temporary_number=r.temporary_number if r else h.national_student_number.startswith("L"),
                name=r.name if r else "",
                gender=r.gender if r else 0,
                birth_date=r.birth_date if r else None,
                document_type=rec.document_type,
                document_masked=rec.document_masked,
                reason=reason,
                **school_chain(tree, h.school_code, h.province_code),
            )
        )
    return students, reason


def _no_document_twins(uow: DedupUoW, rec: RecordSnapshot, tree: OrgTree) -> ProblemGroup | None:
    county = tree.county_of(rec.school_code) if rec.school_code in tree else None
    if rec.birth_date is None or county is None:
        return None
    twins = uow.province.no_document_twins(rec.name, rec.gender, rec.birth_date, county.code, rec.record_id)
    if not twins:
        return None
    reason = "无证件学生姓名、性别、出生日期相同（同校或同区县）"
    key = no_document_key(uow.hash_key, rec.name, rec.gender, rec.birth_date, county.code)
    students = [_student(rec, tree, reason)]
    for t in twins:
        students.append(
            _student(
                RecordSnapshot(
                    t.record_id,
                    t.application_id,
                    t.school_code,
                    rec.province_code,
                    t.category,
                    t.document_type,
                    t.document_hash,
                    t.document_masked,
                    t.national_student_number,
                    t.temporary_number,
                    t.name,
                    t.gender,
                    t.birth_date,
                    t.snapshot_version,
                ),
                tree,
                reason,
            )
        )
    return _group(uow, ProblemKind.NO_DOCUMENT_DUPLICATE, key, students, reason, tree)


def _group(
    uow: DedupUoW,
    kind: ProblemKind,
    match_key: str,
    students: list[ProblemStudent],
    reason: str,
    tree: OrgTree,
) -> ProblemGroup:
    """Add the students to the group of the same kind and key, or open one; publishes ProblemRaised."""
    at = now()
    group = uow.problems.open_group(kind, match_key)
    if group is None:
        group = ProblemGroup(str(uuid.uuid4()), kind, match_key, 0, "", create_time=at)
        expected = None
    else:
        expected = group.version
    changed = [s for s in students if group.add(s)]
    group.resolver_level, group.resolver_unit_code = resolver_for(
        tree, [s.school_code for s in group.students], [s.province_code for s in group.students]
    )
    group.update_time = at
    if expected is None:
        uow.problems.add(group)
    elif changed:
        uow.problems.save(group, expected)
    if expected is None or changed:
        uow.publish(events.problem_raised(group, reason), aggregate_id=group.group_id)
    return group
