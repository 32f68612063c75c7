"""What the province tier tells the national tier about its problem groups (its own ProblemRaised and
ProblemResolved come back to it as events, so this runs after the raise or the resolution committed):

* a record deleted as a duplicate (删除) gives up its national holding (UnregisterRecord), so that
  its document is no longer counted as held twice;
* a cross-province group this tier still holds (one raised before such groups lived at the national
  tier; new ones are raised there, docs/CROSS-PROVINCE-PROBLEMS.md) is reported with its students
  and history (ReportProblemGroup) for the ministry's view.

Like the other handlers: read, end the read, call out (idempotent), then claim and commit. A national
tier that is down fails the handler (PeerUnavailable) and the bus delivers the event again.
"""

from __future__ import annotations

from collections.abc import Sequence

from xueji_common.orgunits import OrgTree
from xueji_dedup.domain.problems import ProblemGroup, Resolution, StudentStatus
from xueji_dedup.service_layer.ports import Peers
from xueji_dedup.service_layer.unit_of_work import DedupUoW

# (group, its audit rows, this tier's province): what ReportProblemGroup sends
Report = tuple[ProblemGroup, Sequence[object], str]


def problem_raised(uow: DedupUoW, group_id: str, *, peers: Peers, tree: OrgTree) -> None:
    report = cross_province_report(uow, uow.problems.get(group_id))
    uow.end_reads()
    if report:
        _report(peers, tree, *report)
    uow.commit()


def problem_resolved(
    uow: DedupUoW,
    group_id: str,
    resolution: Resolution | None,
    record_ids: list[str],
    *,
    peers: Peers,
    tree: OrgTree,
) -> None:
    group = uow.problems.get(group_id)
    report = cross_province_report(uow, group)
    deleted = (
        []
        if group is None or resolution is not Resolution.DELETE
        else [
            s.record_id
            for s in group.students
            if s.record_id in record_ids and s.status is StudentStatus.DELETED
        ]
    )
    uow.end_reads()
    for record_id in deleted:
        peers.national.unregister_record(record_id, "DELETED")
    if report:
        _report(peers, tree, *report)
    uow.commit()


def cross_province_report(uow: DedupUoW, group: ProblemGroup | None) -> Report | None:
    """(group, its audit rows, this tier's province) for a cross-province group, None for any other
    (read in the caller's transaction). This tier's province: that of the group's records it indexed."""
    if group is None or not group.cross_province:
        return None
    local = {r.record_id for r in uow.province.records_by_ids([s.record_id for s in group.students])}
    provinces = sorted({s.province_code for s in group.students if s.record_id in local})
    return group, uow.problems.actions(group.group_id), provinces[0] if provinces else ""


def _report(
    peers: Peers, tree: OrgTree, group: ProblemGroup, actions: Sequence[object], province_code: str
) -> None:
    peers.national.report_group(group, actions, tree, province_code)
