"""Use cases driven by other services' events: submissions, dedup results, withdrawals.

The event consumer hands each handler an open unit of work (its inbox row already written); the
handler commits. Stale input (an older revision) changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xueji_common.db.engine import now
from xueji_review.domain.model import SYSTEM_ACTOR, Actor, ReviewCase
from xueji_review.service_layer.unit_of_work import ReviewUoW


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
    uow.serialize(application_id)  # against a DedupCompleted parked by another worker meanwhile
    case = uow.cases.get(application_id)
    if case is None:
        case = ReviewCase.open(
            application_id=application_id,
            revision=revision,
            submitted_at=submitted_at,
            submitter=submitter,
            **identity,
        )
        _apply_parked_result(uow, case)
        uow.cases.add(case)
    else:
        expected = case.version
        if not case.resubmitted(revision, submitted_at, submitter, **identity):
            uow.commit()
            return
        _apply_parked_result(uow, case)
        uow.cases.save(case, expected)
    uow.history.add_all(case.events)
    uow.commit()


def _apply_parked_result(uow: ReviewUoW, case: ReviewCase) -> None:
    parked = uow.gate_results.take(case.application_id, case.revision)
    if parked is not None:
        passed, reason = parked
        case.gate_completed(case.revision, passed, reason, now())


def gate_completed(uow: ReviewUoW, *, application_id: str, revision: int, passed: bool, reason: str) -> None:
    """Dedup finished the check of an application revision (DedupCompleted).

    A result for a revision the case has not reached yet (the submission is still on its way) is
    parked and applied when it arrives; a result for an older revision changes nothing.
    """
    uow.serialize(application_id)  # the submission may be handled by another worker right now
    case = uow.cases.get(application_id)
    if case is None or revision > case.revision:
        uow.gate_results.park(application_id, revision, passed, reason, now())
    else:
        expected = case.version
        if case.gate_completed(revision, passed, reason, now()):
            uow.cases.save(case, expected)
            uow.history.add_all(case.events)
    uow.commit()


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
