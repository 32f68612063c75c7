"""A province tier takes the national tier's problem events for its province
(docs/CROSS-PROVINCE-PROBLEMS.md).

The province's dedup worker pulls them (Dedup.PullProblemEvents, a periodic job) after its cursor
and, for each batch in ONE transaction: claims each event in its inbox, acts on it, republishes it on
its own outbox (its registration and national-query workers then hear it as they hear the province's
own groups), and moves the cursor. A crash before the commit pulls the same events again; the inbox
makes the repeat harmless, and another replica pulling at the same time waits on the cursor's row.

Acting on a ProblemRaised (records joined a national group): a record of this province whose failed
authentication, or whose document, is an open group here closes its place there as merged, so that a
record is in one open group per document; the merge goes out as ProblemResolved (MERGED), which
national-query takes as the end of that group (the record stays a problem record by the national
group)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xueji.v1 import events_pb2
from xueji_common.auth import Role
from xueji_common.datakeys import CORRECTED_NUMBER
from xueji_common.db.engine import now
from xueji_common.orgunits import OrgTree
from xueji_dedup.adapters import events
from xueji_dedup.domain.problems import ProblemKind, Resolution
from xueji_dedup.service_layer.ports import NationalTier
from xueji_dedup.service_layer.unit_of_work import DedupUoW, Delivery

BATCH = 100
_TYPES: dict[str, type[events_pb2.ProblemRaised] | type[events_pb2.ProblemResolved]] = {
    "ProblemRaised": events_pb2.ProblemRaised,
    "ProblemResolved": events_pb2.ProblemResolved,
}


def pull_province(
    make_uow: Callable[[], DedupUoW],
    national: NationalTier,
    province_code: str,
    *,
    tree: OrgTree,
    batch: int = BATCH,
) -> int:
    """Pull and take every delivery of the province after its cursor; returns how many were new."""
    taken = 0
    while True:
        with make_uow() as uow:
            after = uow.deliveries.cursor(province_code)
        _, deliveries = national.pull(province_code, after, batch)
        if not deliveries:
            return taken
        taken += take(make_uow(), province_code, deliveries, tree=tree)
        if len(deliveries) < batch:
            return taken


def take(uow: DedupUoW, province_code: str, deliveries: Sequence[Delivery], *, tree: OrgTree) -> int:
    """One transaction: inbox claims, the events' effects and republication, the cursor moved."""
    taken = 0
    with uow:
        cursor = uow.deliveries.cursor(province_code, for_update=True)
        for d in deliveries:
            if d.sequence <= cursor:
                continue  # taken by another replica meanwhile
            cursor = d.sequence
            if d.event_type not in _TYPES or not uow.claim_delivery(d.event_id, d.event_type):
                continue
            event = _TYPES[d.event_type].FromString(d.payload)
            if d.corrected_number:  # sealed again with this province's key (the nation's is not ours)
                event.corrected_document_number_sealed = uow.data_keys.encrypt(
                    d.corrected_number, CORRECTED_NUMBER
                )
            if isinstance(event, events_pb2.ProblemRaised):
                _merge_failed_authentications(uow, event, tree)
            elif event.resolution == events_pb2.PROBLEM_RESOLUTION_DELETE:
                for record_id in event.record_ids:  # holds nothing here either (ProvinceStore)
                    uow.province.note_national_member(event.problem_group_id, record_id, "deleted")
            uow.publish(event, aggregate_id=event.problem_group_id)
            taken += 1
        uow.deliveries.move_cursor(province_code, cursor, now())
        uow.commit()
    return taken


def _merge_failed_authentications(uow: DedupUoW, joined: events_pb2.ProblemRaised, tree: OrgTree) -> None:
    # the record's failed authentication, and this province's own group of the same kind (the same
    # document: it became cross-province when another province's record joined, and the national
    # group took every record of it)
    merged_kinds = {
        ProblemKind.AUTHENTICATION_FAILED,
        ProblemKind[events_pb2.ProblemKind.Name(joined.kind).removeprefix("PROBLEM_KIND_")],
    }
    at = now()
    stamp = dict(
        org_unit_code=tree.root.code,
        org_unit_name=tree.root.name,
        user_id="system",
        role=Role.SYSTEM.value,
        role_proto=Role.SYSTEM.proto,
        time=at,
        opinion=f"已并入跨省问题学籍组 {joined.problem_group_id}，由教育部处理",
    )
    for record_id in joined.record_ids:
        # taken in turn with record_created (which raises no failed-authentication group for a record
        # noted here): whichever commits first, the other sees it
        uow.province.lock_record(record_id)
        uow.province.note_national_member(joined.problem_group_id, record_id, "pending")
        for group in uow.problems.groups_of_record(record_id):
            if group.kind not in merged_kinds or group.group_id == joined.problem_group_id:
                continue
            expected = group.version
            if not group.merge_into(record_id):
                continue
            group.update_time = at
            uow.problems.save(group, expected)
            uow.problems.add_action(
                dict(
                    group_id=group.group_id,
                    record_id=record_id,
                    resolution=Resolution.MERGED.value,
                    org_unit_code=stamp["org_unit_code"],
                    org_unit_name=stamp["org_unit_name"],
                    user_id="system",
                    role=Role.SYSTEM.value,
                    time=at,
                    opinion=stamp["opinion"],
                    corrected_name="",
                    corrected_gender=0,
                    corrected_birth_date=None,
                    corrected_document_type="",
                    corrected_document_masked="",
                )
            )
            uow.publish(
                events.problem_resolved(group, record_id, Resolution.MERGED, stamp), aggregate_id=record_id
            )
