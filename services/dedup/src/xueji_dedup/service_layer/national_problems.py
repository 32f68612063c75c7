"""Cross-province problem groups at their one home, the national tier (docs/CROSS-PROVINCE-PROBLEMS.md).

A province tier raises a group whose records are in several provinces here (RaiseProblemGroup); the
one open group of (kind, match_key) takes the students, whoever raises first: two provinces racing
meet on one row (the partial unique index uq_problem_groups_open, then the row lock). Every change
of such a group is announced, in the transaction that makes it, to each province holding a member:
one row per province in national_deliveries, which the province's dedup worker pulls
(PullProblemEvents) and republishes on its own bus (service_layer.national_inbox). A member's later
key-data change in its province refreshes the group's copy here (RefreshProblemStudent), delivered to
no one: the provinces keep no copy of the students.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from google.protobuf.message import Message

from xueji.v1 import events_pb2
from xueji_common.auth import MINISTRY, Principal, Role
from xueji_common.authz import authorize
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.db.engine import now
from xueji_common.errors import ConcurrentModification, FieldViolation, InvalidArgument, PermissionDenied
from xueji_common.orgunits import OrgTree
from xueji_dedup.adapters import events
from xueji_dedup.domain.problems import (
    KEY_DATA,
    ProblemGroup,
    ProblemKind,
    ProblemStudent,
    Resolution,
    resolver_for,
)
from xueji_dedup.service_layer.unit_of_work import DedupUoW, Delivery

MAX_PULL = 500


@dataclass(frozen=True)
class RaiseGroup:
    kind: ProblemKind
    match_key: str
    students: list[ProblemStudent]
    reason: str


def raise_group(uow: DedupUoW, cmd: RaiseGroup, *, tree: OrgTree) -> tuple[ProblemGroup, bool]:
    """The open group of (kind, key) with the students in it; True when this call changed it."""
    at = now()
    with uow:
        group = uow.problems.open_group_locked(cmd.kind, cmd.match_key)
        created = False
        if group is None:
            fresh = ProblemGroup(
                str(uuid.uuid4()), cmd.kind, cmd.match_key, 0, "", create_time=at, update_time=at
            )
            for student in cmd.students:  # once each, whatever the request repeats
                fresh.add(student)
            _set_resolver(fresh, tree)
            created = uow.problems.try_add(fresh)
            # lost the race: the other province's group, committed meanwhile, takes our students below
            group = fresh if created else uow.problems.open_group_locked(cmd.kind, cmd.match_key)
            if group is None:  # ... and already resolved: the caller's retry opens a new one
                raise ConcurrentModification("问题学籍组正在变更，请稍后重试")
        changed = created or bool([s for s in cmd.students if group.add(s)])
        if changed and not created:
            _set_resolver(group, tree)
            group.update_time = at
            uow.problems.save(group, group.version)
        if changed:
            announce(uow, group, events.problem_raised(group, cmd.reason))
        uow.commit()
        return group, changed


def _set_resolver(group: ProblemGroup, tree: OrgTree) -> None:
    group.resolver_level, group.resolver_unit_code = resolver_for(
        tree, [s.school_code for s in group.students], [s.province_code for s in group.students]
    )


def announce(uow: DedupUoW, group: ProblemGroup, event: Message) -> None:
    """The event, for every province holding a member of the group (in the caller's transaction)."""
    payload, at = event.SerializeToString(), now()
    for province in sorted({s.province_code for s in group.students if s.province_code}):
        uow.deliveries.append(province, type(event).__name__, payload, at)


@dataclass(frozen=True)
class RefreshStudent:
    request_id: str  # a UUID; "" for none
    student: ProblemStudent  # the record as its province now holds it (numbers masked)


def refresh_student(
    uow: DedupUoW, cmd: RefreshStudent, *, principal: Principal | None, tree: OrgTree
) -> tuple[list[str], bool]:
    """A record of the caller's province changed its key data: every national group holding it takes
    the new copy (ProblemGroup.refresh_from), with an audit step, in one transaction. The provinces
    keep no copy of a national group's students (their dedup notes the record's place, registration a
    flag, national-query the group's id: each reads the group here), so nothing is delivered. Returns
    (the ids of the groups holding the record, True when a copy changed).

    A province's service identity refreshes its own records only; the nation's (the embedded mode's
    development identity) any. The request id is claimed in this tier's inbox with the change: a
    repeat changes nothing, and two at once commit one change."""
    system = authorize(principal, (Role.SYSTEM,))
    own = _province_of_caller(system, tree)
    student = cmd.student
    if not student.record_id or not student.province_code:
        raise InvalidArgument(FieldViolation("student", "须有学籍标识和省份代码"))
    if own and student.province_code != own:
        raise PermissionDenied("只能更新本省学籍在跨省问题学籍组中的信息")
    at = now()
    with uow:
        groups = uow.problems.groups_of_record(student.record_id)
        held = [g.student(student.record_id) for g in groups]
        if own and any(s is not None and s.province_code != own for s in held):
            raise PermissionDenied("只能更新本省学籍在跨省问题学籍组中的信息")
        ids = [g.group_id for g in groups]
        if cmd.request_id and not uow.claim_delivery(cmd.request_id, "RefreshProblemStudent"):
            return ids, False  # seen before: the first answer's effect stands
        changed = False
        for group in groups:
            copy = group.student(student.record_id)
            before = copy.record_version if copy else 0
            fields = group.refresh_from(student)
            if not fields:
                if copy and copy.record_version > before:  # newer, same key data: the version alone
                    uow.problems.note_record_version(group.group_id, copy.record_id, copy.record_version)
                continue
            changed = True
            group.update_time = at
            uow.problems.save(group, group.version)
            uow.problems.add_action(_refresh_action(group, student, fields, system, tree, at))
        uow.commit()
        return ids, changed


def _province_of_caller(system: Principal, tree: OrgTree) -> str:
    """The caller's province ("" for the nation's identity); PERMISSION_DENIED for any other."""
    unit = system.org_unit
    if unit == MINISTRY:
        return ""
    province = tree.province_of(unit) if unit in tree else None
    if province is None:
        raise PermissionDenied("只能更新本省学籍在跨省问题学籍组中的信息")
    return province.code


def _refresh_action(
    group: ProblemGroup,
    student: ProblemStudent,
    fields: list[str],
    system: Principal,
    tree: OrgTree,
    at: dt.datetime,
) -> dict[str, object]:
    """The audit step of a refresh: the system of the record's province, what changed (by name), and
    the new key data (document number masked) as a correction's would be shown."""
    unit = system.org_unit
    words = "、".join(KEY_DATA[f] for f in fields)
    return dict(
        group_id=group.group_id,
        record_id=student.record_id,
        resolution=Resolution.REFRESHED.value,
        org_unit_code=unit,
        org_unit_name=tree.get(unit).name if unit in tree else "",
        user_id=system.user_id,
        role=Role.SYSTEM.value,
        time=at,
        opinion=f"学籍关键信息在所在省变更（{words}），本组信息随之更新",
        corrected_name=student.name,
        corrected_gender=student.gender,
        corrected_birth_date=student.birth_date,
        corrected_document_type=student.document_type,
        corrected_document_masked=student.document_masked,
    )


def province_to_pull(principal: Principal | None, tree: OrgTree, asked: str) -> str:
    """Whose deliveries the caller may pull: a province's service identity its own (empty `asked`:
    its own), the nation's (embedded mode pulls for every province) any; "" when there is none."""
    unit = authorize(principal, (Role.SYSTEM,)).org_unit
    province = tree.province_of(unit) if unit in tree else None
    own = "" if unit == MINISTRY else (province.code if province else None)
    if own is None or (own and asked and asked != own):
        raise PermissionDenied("只能拉取本省的问题学籍事件")
    return asked or own or ""


def pull(uow: DedupUoW, province_code: str, after_sequence: int, limit: int) -> list[Delivery]:
    """A province's deliveries after its cursor, in order (read only: the same answer when asked again)."""
    if not 0 <= limit <= MAX_PULL:
        raise InvalidArgument(FieldViolation("limit", f"条数须在 0 到 {MAX_PULL} 之间"))
    if not province_code or not limit:
        return []
    with uow:
        return [
            _opened(uow, d, province_code) for d in uow.deliveries.after(province_code, after_sequence, limit)
        ]


def _opened(uow: DedupUoW, delivery: Delivery, province_code: str) -> Delivery:
    """A correction's number, sealed with this tier's key, opened for the province that holds the
    corrected record (provinces hold other keys) to seal with its own; the answer goes over gRPC only.
    Another province of the group hears the resolution without the number."""
    if delivery.event_type != "ProblemResolved":
        return delivery
    event = events_pb2.ProblemResolved.FromString(delivery.payload)
    if not event.corrected_document_number_sealed:
        return delivery
    group = uow.problems.get(event.problem_group_id)
    holders = {s.province_code for s in group.students if s.record_id in event.record_ids} if group else set()
    if province_code not in holders:
        return delivery
    return replace(
        delivery,
        corrected_number=uow.data_keys.decrypt(event.corrected_document_number_sealed, CORRECTED_NUMBER),
    )
