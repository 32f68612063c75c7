"""The flow's events of one bus message as one set-based use case (issue 16 step 3,
docs/FLOWS.md#batches-on-the-bus): dedup results, review steps and final approvals for up to 500
applications with a constant number of statements, deciding every item as flow.py's single use
cases (the reference) do.

All the batch's applications are read with one statement (locked, in id order), each item applies
the same domain transition as the single use case (Application.review_progressed, dedup_completed,
approved) in memory and in order, the records due are created with one call for their numbers, one
insert and one outbox write, and the applications written back with one statement guarded by the
version each was read at. A stale, repeated or unknown item changes nothing and raises nothing.
Each item applied moves its application's version on by one, as a save per event would. Nothing is
committed here: the consumer commits the batch (a ConcurrentModification makes it fall back to one
by one).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import NamedTuple

from xueji_common.db.engine import now
from xueji_common.db.uow import EventToPublish
from xueji_registration.adapters import events
from xueji_registration.domain.model import Application, ApplicationState
from xueji_registration.domain.records import (
    NumberKind,
    StudentRecord,
    new_record_id,
    number_has_layout,
    number_kind_due,
)
from xueji_registration.service_layer import flow
from xueji_registration.service_layer.ports import NumberRequest
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

log = logging.getLogger(__name__)


class DedupResult(NamedTuple):
    application_id: str
    revision: int
    passed: bool
    reason: str


class ReviewStep(NamedTuple):
    application_id: str
    revision: int
    state: ApplicationState
    unit_code: str


class Approval(NamedTuple):
    application_id: str
    revision: int


Change = tuple[str, Callable[[Application], bool]]  # (application id, the domain transition)


def dedup_completed(uow: RegistrationUoW, items: Sequence[DedupResult]) -> None:
    at = now()
    _apply(uow, [(i.application_id, _dedup(i, at)) for i in items], approving=False)


def review_progressed(uow: RegistrationUoW, items: Sequence[ReviewStep]) -> None:
    at = now()
    _apply(uow, [(i.application_id, _step(i, at)) for i in items], approving=False)


def registration_approved(uow: RegistrationUoW, items: Sequence[Approval]) -> None:
    at = now()
    _apply(uow, [(i.application_id, _approval(i, at)) for i in items], approving=True)


def _dedup(i: DedupResult, at: dt.datetime) -> Callable[[Application], bool]:
    return lambda app: app.dedup_completed(i.revision, i.passed, i.reason, at)


def _step(i: ReviewStep, at: dt.datetime) -> Callable[[Application], bool]:
    return lambda app: app.review_progressed(i.revision, i.state, i.unit_code, at)


def _approval(i: Approval, at: dt.datetime) -> Callable[[Application], bool]:
    return lambda app: app.approved(i.revision, at)


def _apply(uow: RegistrationUoW, changes: Sequence[Change], *, approving: bool) -> None:
    """flow._apply for every item, the record due issued as flow._issue_record would."""
    apps = uow.applications.get_many(sorted({application_id for application_id, _ in changes}))
    read_at = {application_id: app.version for application_id, app in apps.items()}
    # An application ends APPROVED only by an approval, or is already (a late DedupCompleted).
    maybe = [i for i, app in apps.items() if approving or app.state is ApplicationState.APPROVED]
    records = uow.records.for_applications(maybe) if maybe else {}
    changed: dict[str, Application] = {}
    due_records: list[tuple[Application, NumberKind]] = []
    for application_id, change in changes:
        app = apps.get(application_id)
        if app is None or not change(app):
            continue
        app.version += 1
        changed[application_id] = app
        if app.state is not ApplicationState.APPROVED:
            continue
        due = number_kind_due(app)
        if application_id in records:
            flow._issue_record(uow, app)  # rare (a temporary record now due its G number): one by one
        elif due is not None:
            # Decided now, as the single path would: an application with a record ignores later results.
            app.record_id = new_record_id(application_id)
            due_records.append((app, due))
    _issue_records(uow, due_records)
    if changed:
        uow.applications.save_flow_changes([(app, read_at[i]) for i, app in changed.items()])


def _issue_records(uow: RegistrationUoW, due: list[tuple[Application, NumberKind]]) -> None:
    """The records of newly approved applications: numbers in one call, one insert, one outbox write."""
    if not due:
        return
    numbered = _reserve(uow, due)
    at = now()
    created = []
    for (app, wanted), (number, kind) in zip(due, numbered, strict=True):
        record = StudentRecord.generate(
            app,
            record_id=app.record_id,
            number=number,
            kind=kind,
            province_code=app.province_code,
            school_stage=flow._school_stage(uow, app),
            now=at,
        )
        record.problem_record = record.problem_record or kind is not wanted  # G held elsewhere: 一人多籍
        created.append((record, app.county_code, app.city_code))
    uow.records.add_many(created)
    uow.publish_many(
        EventToPublish(
            events.record_created(r, uow.collaborators), r.record_id, correlation_id=r.application_id
        )
        for r, _, _ in created
    )
    log.info("student records created", extra={"fields": {"records": len(created)}})


def _reserve(uow: RegistrationUoW, due: list[tuple[Application, NumberKind]]) -> list[tuple[str, NumberKind]]:
    """flow._reserve for every record: one call, and one more for the G numbers held elsewhere."""
    collab = uow.collaborators
    divisions = [collab.tree.get(app.school_code).division_code for app, _ in due]
    requests = [
        NumberRequest(
            kind=kind,
            owner_id=app.record_id,
            division_code=division,
            birth_date=app.identity.birth_date,
            resident_id_number=app.identity.document.number if kind is NumberKind.FORMAL else "",
        )
        for (app, kind), division in zip(due, divisions, strict=True)
    ]
    numbers = collab.numbers.reserve_many(requests)
    taken = [i for i, number in enumerate(numbers) if number is None]
    for i in taken:
        log.warning(
            "formal number held by another record",
            extra={"fields": {"application_id": due[i][0].application_id}},
        )
    if taken:
        fallback = [
            dataclasses.replace(requests[i], kind=NumberKind.TEMPORARY, resident_id_number="") for i in taken
        ]
        again = collab.numbers.reserve_many(fallback)
        for i, request, number in zip(taken, fallback, again, strict=True):
            numbers[i], requests[i] = number, request
    out = []
    for (app, _), request, number, division in zip(due, requests, numbers, divisions, strict=True):
        if number is None or not number_has_layout(
            number, request.kind, identity=app.identity, division_code=division
        ):
            raise RuntimeError(
                f"the national tier returned a {request.kind.value} number of the wrong layout"
            )
        out.append((number, request.kind))
    return out
