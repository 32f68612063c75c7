"""The province tier's gate check of a batch of submitted applications (issue 16 steps 2 and 3,
docs/FLOWS.md#batches-on-the-bus): what service_layer/province.py::application_submitted decides for
one, decided for each item with a constant number of calls and statements.

In the consumer's unit of work, whose inbox claim of the batch is deferred (adapters/unit_of_work.py
::DedupUnitOfWork.claim_events): registration asked for the clear numbers of the residents in one
call (GetDocumentNumbers), before any read; the stored checks and the province index read for all
items outside a transaction (two statements); then, no transaction open, one call of the register
(VerifyIdentities, retried while it is down, then PeerUnavailable for the whole batch: nothing is
committed and the bus delivers the batch again) and one of the national tier (ReserveIdentities);
then the claim, the checks stored in one statement (guarded by revision: a newer revision stored
meanwhile wins, nothing published for that item) and the DedupCompleted events in one statement.
The consumer commits.

Each item decides as the single use case would: a revision registration has moved past, or one
already checked, changes nothing. Two cases go back to the single path (`OneByOne`, a refusal: the
consumer rolls back and handles the events one by one): an announcement of a hash-key rotation
(rekeying needs the single use case's key check and rekeying) and an application that appears twice
in the batch (the second check depends on what the first one stored). Both are rare in a batch of
submissions.
"""

from __future__ import annotations

from collections.abc import Sequence

from xueji_common.db.engine import now
from xueji_common.errors import PreconditionFailed
from xueji_common.orgunits import OrgTree
from xueji_dedup.adapters import events
from xueji_dedup.domain import checks
from xueji_dedup.domain.checks import CheckResult, Holding, Outcome
from xueji_dedup.service_layer.ports import ClearNumber, Identity, Peers, ToReserve
from xueji_dedup.service_layer.province import (
    REGISTER_RETRY_DELAYS,
    Submitted,
    check_row,
    held,
    register_retrying,
)
from xueji_dedup.service_layer.unit_of_work import DedupUoW, IndexedApplication


class OneByOne(PreconditionFailed):
    """The batch holds an item the single use case must decide: the consumer falls back to it."""


def applications_submitted(
    uow: DedupUoW,
    apps: Sequence[Submitted],
    *,
    peers: Peers,
    tree: OrgTree,
    retry_delays: Sequence[float] | None = None,
    rotation_announced: Sequence[bool] = (),
) -> list[CheckResult | None]:
    """Check each application of the batch; per item its result, None when it changed nothing (a
    stale or repeated revision). Does not commit (the consumer does)."""
    if any(rotation_announced):
        raise OneByOne("hash-key rotation announcements are handled one by one")
    if len({a.application_id for a in apps}) < len(apps):
        raise OneByOne("an application announced twice in one batch is handled one by one")
    residents = [a.application_id for a in apps if a.category == "resident"]
    numbers = peers.registration.application_numbers(residents) if residents else {}  # before any read
    current = [a for a in apps if a.category != "resident" or _current(numbers.get(a.application_id), a)]

    uow.read_outside_transaction()
    previous = uow.province.applications_by_ids([a.application_id for a in current])
    fresh = [a for a in current if not _seen(previous.get(a.application_id), a)]
    documents = sorted({(a.document_type, a.document_hash) for a in fresh if a.category != "no_document"})
    holdings = uow.province.record_holdings_of_each(documents)
    uow.end_reads()

    for a in fresh:  # a corrected document gives up the reservation of the former one
        p = previous.get(a.application_id)
        if p is not None and p.reservation_id and p.document_hash != a.document_hash:
            peers.national.release(p.reservation_id, "CORRECTED")
    decided = _decide(fresh, numbers, holdings, previous, peers, tree, retry_delays)

    uow.claim_now()
    at = now()
    stored = uow.province.save_checks([check_row(a, r, rid, at) for a, (r, rid) in zip(fresh, decided)])
    results = {a.application_id: r for a, (r, _) in zip(fresh, decided) if a.application_id in stored}
    uow.publish_many(
        (events.dedup_completed(a.application_id, a.revision, a.category, r), a.application_id)
        for a in fresh
        if (r := results.get(a.application_id)) is not None and r.outcome is not Outcome.NOT_REQUIRED
    )
    return [results.get(a.application_id) for a in apps]


def _current(number: ClearNumber | None, app: Submitted) -> bool:
    """Registration still has the application at this revision (else a newer announcement decides)."""
    return number is not None and number.revision == app.revision


def _seen(previous: IndexedApplication | None, app: Submitted) -> bool:
    return previous is not None and previous.revision >= app.revision


def _decide(
    apps: list[Submitted],
    numbers: dict[str, ClearNumber],
    holdings: dict[tuple[str, str], list[Holding]],
    previous: dict[str, IndexedApplication],
    peers: Peers,
    tree: OrgTree,
    retry_delays: Sequence[float] | None,
) -> list[tuple[CheckResult, str]]:
    """(result, reservation id) of each, in order: as province._check decides one (the register,
    then the province index, then the national reservation), with one call of each peer."""
    residents = [a for a in apps if a.category == "resident"]
    refusals: dict[str, str] = {}
    if residents:
        delays = REGISTER_RETRY_DELAYS if retry_delays is None else retry_delays
        retrying = register_retrying(delays, {"applications": len(residents)})
        answers = retrying(
            peers.register.verify_many,
            [Identity(a.name, a.gender, a.birth_date, numbers[a.application_id].number) for a in residents],
        )
        refusals = {a.application_id: r for a, r in zip(residents, answers) if r}

    out: dict[str, tuple[CheckResult, str]] = {}
    to_reserve: list[Submitted] = []
    for a in apps:
        in_province = [
            h
            for h in holdings.get((a.document_type, a.document_hash), [])
            if h.application_id != a.application_id
        ]
        if a.category == "no_document":
            p = previous.get(a.application_id)
            out[a.application_id] = (CheckResult(Outcome.NOT_REQUIRED), p.reservation_id if p else "")
        elif a.application_id in refusals:
            out[a.application_id] = (
                checks.register_refusal(refusals[a.application_id], a.document_masked),
                "",
            )
        elif in_province:
            out[a.application_id] = (held(in_province, a, tree), "")
        else:
            to_reserve.append(a)
    if to_reserve:
        got = peers.national.reserve_many([_to_reserve(a, tree) for a in to_reserve])
        for a, g in zip(to_reserve, got):
            out[a.application_id] = (held([g], a, tree), "") if isinstance(g, Holding) else (checks.PASSED, g)
    return [out[a.application_id] for a in apps]


def _to_reserve(a: Submitted, tree: OrgTree) -> ToReserve:
    province = tree.province_of(a.school_code)
    return ToReserve(
        a.document_type, a.document_hash, a.application_id, province.code if province else "", a.school_code
    )
