"""Cross-province problem groups at their one home, the national tier (docs/CROSS-PROVINCE-PROBLEMS.md).

A province tier raises a group whose records are in several provinces here (RaiseProblemGroup); the
one open group of (kind, match_key) takes the students, whoever raises first: two provinces racing
meet on one row (the partial unique index uq_problem_groups_open, then the row lock). Every change
of such a group is announced, in the transaction that makes it, to each province holding a member:
one row per province in national_deliveries, which the province's dedup worker pulls
(PullProblemEvents) and republishes on its own bus (service_layer.national_inbox).
"""

from __future__ import annotations

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
from xueji_dedup.domain.problems import ProblemGroup, ProblemKind, ProblemStudent, resolver_for
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
