"""Review use cases. Each takes plain values and a unit of work; none knows about gRPC or the bus."""
from __future__ import annotations

import datetime as dt

from xueji_review.domain.model import PendingSummary, ReviewCase
from xueji_review.service_layer.unit_of_work import ReviewUnitOfWork


def open_case(uow: ReviewUnitOfWork, *, application_id: str, revision: int, submitted_at: dt.datetime, **identity) -> None:
    """An application was submitted: open its case, or restart it when a correction came back."""
    case = uow.cases.get(application_id)
    if case is None:
        uow.cases.add(ReviewCase.open(application_id=application_id, revision=revision,
                                      submitted_at=submitted_at, **identity))
    else:
        expected = case.version
        if case.resubmitted(revision, submitted_at, **identity):
            uow.cases.save(case, expected)
    uow.commit()


def withdraw_case(uow: ReviewUnitOfWork, application_id: str) -> None:
    case = uow.cases.get(application_id)
    if case is None:
        return  # withdrawn before its submission reached review: nothing to do
    expected = case.version
    case.withdraw()
    uow.cases.save(case, expected)
    uow.commit()


def pending_summary(uow: ReviewUnitOfWork, school_code: str, category: str | None) -> PendingSummary:
    with uow:
        return uow.cases.pending_summary(school_code, category)
