"""Use cases driven by other services' events: submissions, dedup results, withdrawals.

Submissions and dedup results come in batches (an EventBatch of up to 500, issue 16): `open_cases`
and `gates_completed` take a batch in the consumer's transaction and do not commit, with a constant
number of statements whatever its size (docs/FLOWS.md#batches-on-the-bus). Each item is decided by
the domain model, in order, as if it came alone: stale input (an older revision, a redelivery)
changes nothing and raises nothing. `open_case` and `gate_completed`, the single path, are a batch
of one and commit. A withdrawal is rare: one at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from xueji_common.db.engine import now
from xueji_review.domain.model import SYSTEM_ACTOR, Actor, CaseEvent, ReviewCase
from xueji_review.service_layer.unit_of_work import ParkedKey, ReviewUoW


@dataclass(frozen=True)
class Submission:
    """ApplicationSubmitted: `identity` holds the case's fields that describe the application."""

    application_id: str
    revision: int
    submitted_at: dt.datetime
    submitter: Actor | None = None
    identity: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    """DedupCompleted: the check of an application revision passed or failed."""

    application_id: str
    revision: int
    passed: bool
    reason: str = ""


def open_case(
    uow: ReviewUoW,
    *,
    application_id: str,
    revision: int,
    submitted_at: dt.datetime,
    submitter: Actor | None = None,
    **identity: Any,
) -> None:
    """An application was submitted: open its case, or restart it when a correction came back."""
    open_cases(uow, [Submission(application_id, revision, submitted_at, submitter, identity)])
    uow.commit()


def open_cases(uow: ReviewUoW, submissions: list[Submission]) -> None:
    """Submissions, in order. A dedup result parked for the revision a case reaches is applied."""
    ids = [s.application_id for s in submissions]
    uow.serialize_many(ids)  # against a DedupCompleted parked by another worker meanwhile
    cases = uow.cases.get_many(ids, lock=True)
    stored = {case_id: case.version for case_id, case in cases.items()}
    parked = uow.gate_results.parked_for(ids)
    taken: list[ParkedKey] = []
    entries: list[CaseEvent] = []
    at = now()
    for s in submissions:
        case = cases.get(s.application_id)
        if case is None:
            case = cases[s.application_id] = ReviewCase.open(
                application_id=s.application_id,
                revision=s.revision,
                submitted_at=s.submitted_at,
                submitter=s.submitter,
                **s.identity,
            )
        elif not case.resubmitted(s.revision, s.submitted_at, s.submitter, **s.identity):
            continue
        result = _take(parked, taken, case.application_id, case.revision)
        if result is not None:
            case.gate_completed(case.revision, *result, at)
        entries += _steps(case)
    uow.cases.add_all([c for case_id, c in cases.items() if case_id not in stored])
    uow.cases.save_all(_changed(cases, stored), identity=True)
    uow.gate_results.remove_many(taken)
    uow.history.add_all(entries)


def gate_completed(uow: ReviewUoW, *, application_id: str, revision: int, passed: bool, reason: str) -> None:
    """Dedup finished the check of an application revision (DedupCompleted)."""
    gates_completed(uow, [GateResult(application_id, revision, passed, reason)])
    uow.commit()


def gates_completed(uow: ReviewUoW, results: list[GateResult]) -> None:
    """Dedup results, in order. A result for a revision the case has not reached yet (the submission
    is still on its way) is parked until it arrives; a result for an older revision changes nothing."""
    ids = [r.application_id for r in results]
    uow.serialize_many(ids)  # the submission may be handled by another worker right now
    cases = uow.cases.get_many(ids, lock=True)
    stored = {case_id: case.version for case_id, case in cases.items()}
    parks: list[tuple[ParkedKey, bool, str]] = []
    entries: list[CaseEvent] = []
    at = now()
    for r in results:
        case = cases.get(r.application_id)
        if case is None or r.revision > case.revision:
            parks.append(((r.application_id, r.revision), r.passed, r.reason))
        elif case.gate_completed(r.revision, r.passed, r.reason, at):
            entries += _steps(case)
    uow.gate_results.park_many(parks, at)
    uow.cases.save_all(_changed(cases, stored))
    uow.history.add_all(entries)


def _take(
    parked: dict[ParkedKey, tuple[bool, str]], taken: list[ParkedKey], case_id: str, revision: int
) -> tuple[bool, str] | None:
    """The parked result of this revision, if any; it and those of older revisions are then taken."""
    found = parked.get((case_id, revision))
    if found is not None:
        for key in [k for k in parked if k[0] == case_id and k[1] <= revision]:
            taken.append(key)
            del parked[key]
    return found


def _steps(case: ReviewCase) -> list[CaseEvent]:
    """The steps of the item just applied (a case may see several items of one batch)."""
    steps = list(case.events)
    case.events.clear()
    return steps


def _changed(cases: dict[str, ReviewCase], stored: dict[str, int]) -> list[tuple[ReviewCase, int]]:
    """(case, version read) of the stored cases the batch changed (every change bumps the version)."""
    return [(c, stored[i]) for i, c in cases.items() if i in stored and c.version != stored[i]]


def withdraw_case(uow: ReviewUoW, application_id: str, by: Actor | None = None) -> None:
    uow.serialize(application_id)
    case = uow.cases.get(application_id)
    if case is None:
        uow.commit()
        return  # withdrawn before its submission reached review: nothing to do
    expected = case.version
    if case.withdraw(now(), by or SYSTEM_ACTOR):
        uow.cases.save(case, expected)
        uow.history.add_all(case.events)
    uow.commit()
