"""The flow after submission as other services drive it (docs/FLOWS.md steps 3-7): dedup results, review
steps, returns, the final approval that generates the student record and its number, problem records.

Event handlers: they receive an open unit of work (inbox claimed) and commit. Events about
applications or records this service does not hold, or for another revision, change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from xueji_common.db.engine import now
from xueji_common.documents import DocumentError, Gender, validate_document
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.hashing import document_hash
from xueji_registration.adapters import events
from xueji_registration.domain.identity import Identity, check_identity
from xueji_registration.domain.model import Application, ApplicationState, Stamp
from xueji_registration.domain.records import (
    NumberKind,
    StudentRecord,
    new_record_id,
    number_has_layout,
    number_kind_due,
)
from xueji_registration.service_layer.ports import NumberTaken
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

log = logging.getLogger(__name__)


def _apply(
    uow: RegistrationUoW, application_id: str, change: Callable[[Application], bool]
) -> Application | None:
    """Load, let `change(app)` decide, then issue a due record and save; commit either way."""
    app = uow.applications.get(application_id)
    if app is not None:
        expected = app.version
        if change(app):
            if app.state is ApplicationState.APPROVED:
                _issue_record(uow, app)
            uow.applications.save(app, expected)
    uow.commit()
    return app


def dedup_completed(
    uow: RegistrationUoW, *, application_id: str, revision: int, passed: bool, reason: str
) -> None:
    _apply(uow, application_id, lambda app: app.dedup_completed(revision, passed, reason, now()))


def review_progressed(
    uow: RegistrationUoW, *, application_id: str, revision: int, state: ApplicationState, unit_code: str
) -> None:
    _apply(uow, application_id, lambda app: app.review_progressed(revision, state, unit_code, now()))


def registration_returned(
    uow: RegistrationUoW, *, application_id: str, revision: int, rejection: Stamp
) -> None:
    _apply(uow, application_id, lambda app: app.returned(revision, rejection, now()))


def registration_approved(uow: RegistrationUoW, *, application_id: str, revision: int) -> None:
    _apply(uow, application_id, lambda app: app.approved(revision, now()))


def _issue_record(uow: RegistrationUoW, app: Application) -> None:
    """Generate the record of an approved application, or give it the formal number now due."""
    due = number_kind_due(app)
    record = uow.records.for_application(app.application_id)
    if due is None:
        return  # freshman resident approved while authentication still runs: DedupCompleted decides
    if record is None:
        record_id = new_record_id(app.application_id)
        number, kind = _reserve(uow, app, record_id, due)
        record = StudentRecord.generate(
            app,
            record_id=record_id,
            number=number,
            kind=kind,
            province_code=app.province_code,
            school_stage=_school_stage(uow, app),
            now=now(),
        )
        record.problem_record = record.problem_record or kind is not due  # G held elsewhere: 一人多籍
        uow.records.add(record, county_code=app.county_code, city_code=app.city_code)
        app.record_id = record.record_id
        uow.publish(
            events.record_created(record, uow.collaborators),
            aggregate_id=record.record_id,
            correlation_id=app.application_id,
        )
        log.info(
            "student record created",
            extra={
                "fields": {
                    "application_id": app.application_id,
                    "record_id": record.record_id,
                    "kind": kind.value,
                }
            },
        )
    elif record.temporary and due is NumberKind.FORMAL and not record.cancelled:
        number, kind = _reserve(uow, app, record.record_id, NumberKind.FORMAL)
        if kind is NumberKind.FORMAL:
            expected = record.version
            record.formal_number(number, now())
            uow.records.save(record, expected)
            uow.publish(events.record_changed(record, uow.collaborators), aggregate_id=record.record_id)


def _reserve(
    uow: RegistrationUoW, app: Application, owner_id: str, kind: NumberKind
) -> tuple[str, NumberKind]:
    """A nationally unique number from the dedup tier; a taken G number falls back to an L number."""
    collab = uow.collaborators
    division = collab.tree.get(app.school_code).division_code
    if kind is NumberKind.FORMAL:
        try:
            number = collab.numbers.reserve(
                kind=kind,
                owner_id=owner_id,
                division_code=division,
                birth_date=app.identity.birth_date,
                resident_id_number=app.identity.document.number,
            )
        except NumberTaken:
            log.warning(
                "formal number held by another record",
                extra={"fields": {"application_id": app.application_id}},
            )
            return _reserve(uow, app, owner_id, NumberKind.TEMPORARY)
    else:
        number = collab.numbers.reserve(
            kind=kind, owner_id=owner_id, division_code=division, birth_date=app.identity.birth_date
        )
    if not number_has_layout(number, kind, identity=app.identity, division_code=division):
        raise RuntimeError(f"the national tier returned a {kind.value} number of the wrong layout")
    return number, kind


def _school_stage(uow: RegistrationUoW, app: Application) -> str:
    tree = uow.collaborators.tree
    return tree.get(app.school_code).stage if app.school_code in tree else ""


# -- problem records (dedup's ProblemRaised / ProblemResolved) ------------------------------------


def problem_raised(
    uow: RegistrationUoW, *, group_id: str, record_ids: Sequence[str], application_ids: Sequence[str]
) -> None:
    for record in _own_records(uow, record_ids, application_ids):
        expected = record.version
        record.problem_raised(group_id, now())
        uow.records.save(record, expected)
        uow.publish(events.record_changed(record, uow.collaborators), aggregate_id=record.record_id)
    uow.commit()


def problem_resolved(
    uow: RegistrationUoW, *, resolution: str, record_ids: Sequence[str], corrected: dict[str, Any] | None
) -> None:
    """CORRECT: new key data, already authenticated again by dedup, and the G number it makes due;
    DELETE: the duplicate is cancelled; CORROBORATE: the record stays, no longer a problem."""
    for record in _own_records(uow, record_ids, ()):
        expected = record.version
        if resolution == "correct":
            identity = _corrected_identity(corrected or {})
            digest = document_hash(
                uow.collaborators.hash_key, identity.document.type.value, identity.document.number
            )
            record.corrected(identity, digest, now())
        elif resolution == "delete":
            record.cancel(now())
        elif resolution == "corroborate":
            record.corroborated(now())
        else:
            continue
        uow.records.save(record, expected)
        uow.publish(events.record_changed(record, uow.collaborators), aggregate_id=record.record_id)
        if resolution == "correct":
            _correction_authenticated(uow, record.application_id, identity, digest)
    uow.commit()


def _own_records(
    uow: RegistrationUoW, record_ids: Sequence[str], application_ids: Sequence[str]
) -> list[StudentRecord]:
    found = {r.record_id: r for r in filter(None, (uow.records.get(i) for i in record_ids))}
    for app_id in application_ids:
        record = uow.records.for_application(app_id)
        if record is not None:
            found.setdefault(record.record_id, record)
    return list(found.values())


def _corrected_identity(corrected: dict[str, Any]) -> Identity:
    try:
        document = validate_document(corrected["document_type"], corrected["document_number"])
    except DocumentError as exc:
        raise InvalidArgument(FieldViolation("corrected_document_number", exc.message)) from None
    gender = Gender(corrected["gender"]) if corrected.get("gender") in (1, 2) else None
    return check_identity(
        corrected.get("name", ""), gender, corrected.get("birth_date"), document, prefix="corrected_identity"
    )


def _correction_authenticated(
    uow: RegistrationUoW, application_id: str, identity: Identity, digest: str
) -> None:
    """The application takes the corrected key data as authenticated and its record the number now
    due (G + the corrected resident ID replaces the L number), in the same transaction. This does not
    wait for dedup's DedupCompleted of the correction: it travels on another queue, and applied first
    it would issue G + the old number; Application.dedup_completed ignores it once a record exists."""
    app = uow.applications.get(application_id)
    if app is None:
        return
    expected = app.version
    app.correction_authenticated(identity, digest, now())
    if app.state is ApplicationState.APPROVED:
        _issue_record(uow, app)  # reads the record saved above
    uow.applications.save(app, expected)
