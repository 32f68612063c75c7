"""Applications in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from xueji_common.db.bulk import insert_rows, insert_shared
from xueji_common.db.bulk_update import update_rows
from xueji_common.db.engine import utc
from xueji_common.documents import DocumentCategory, Gender
from xueji_common.errors import ConcurrentModification
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.rows import document, stamp_from_json, stamp_to_json
from xueji_registration.adapters.tables import applications as t
from xueji_registration.domain.batches import SubmittedBatch
from xueji_registration.domain.model import (
    ACTIVE_STATES,
    Application,
    ApplicationState,
    AuthenticationStatus,
    EntryChannel,
    Identity,
    first_holders,
)
from xueji_registration.service_layer.repositories import ApplicationQuery, ConcurrentEntry, DocumentOf

LIVE_INDEX = "ux_applications_live_document"
# The columns an application of a batch has of its own (domain.batches.Submission), in add_batch's order.
_OWN = (
    "application_id",
    "name",
    "gender",
    "birth_date",
    "document_type",
    "document_number",
    "document_hash",
    "form",
    "grade",
    "preschool_transfer_id",
)


# What Application.dedup_completed, review_progressed and approved change, and the record id.
_FLOW_COLUMNS = (
    "state",
    "authentication",
    "dedup_failure_reason",
    "handling_unit_code",
    "record_id",
    "updated_at",
    "version",
)


def _flow_values(app: Application) -> dict:
    return {
        "application_id": app.application_id,
        "state": app.state.value,
        "authentication": app.authentication.value,
        "dedup_failure_reason": app.dedup_failure_reason or None,
        "handling_unit_code": app.handling_unit_code or None,
        "record_id": app.record_id or None,
        "updated_at": app.updated_at,
        "version": app.version,
    }


def _to_row(app: Application) -> dict:
    doc = app.identity.document
    return dict(
        application_id=app.application_id,
        school_code=app.school_code,
        kind=app.kind.value,
        category=app.category.value,
        name=app.identity.name,
        gender=int(app.identity.gender),
        birth_date=app.identity.birth_date,
        document_type=doc.type.value,
        document_number=doc.number,
        document_hash=app.document_hash,
        state=app.state.value,
        authentication=app.authentication.value,
        form=app.form,
        created_by=app.created_by,
        created_at=app.created_at,
        revision=app.revision,
        version=app.version,
        entry_channel=app.entry_channel.value,
        county_code=app.county_code,
        city_code=app.city_code,
        province_code=app.province_code,
        grade=app.form.get("grade", ""),
        proof_material_ids=list(app.proof_material_ids),
        preschool_transfer_id=app.preschool_transfer_id or None,
        import_id=app.import_id or None,
        request_id=app.request_id or None,
        handling_unit_code=app.handling_unit_code or None,
        dedup_failure_reason=app.dedup_failure_reason or None,
        last_rejection=stamp_to_json(app.last_rejection),
        withdrawal=stamp_to_json(app.withdrawal),
        record_id=app.record_id or None,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
    )


def _from_row(row) -> Application:
    return Application(
        application_id=row.application_id,
        school_code=row.school_code,
        kind=RegistrationKind(row.kind),
        category=DocumentCategory(row.category),
        identity=Identity(
            row.name, Gender(row.gender), row.birth_date, document(row.document_type, row.document_number)
        ),
        form=row.form,
        state=ApplicationState(row.state),
        authentication=AuthenticationStatus(row.authentication),
        created_by=row.created_by,
        created_at=utc(row.created_at),
        document_hash=row.document_hash,
        entry_channel=EntryChannel(row.entry_channel),
        proof_material_ids=tuple(row.proof_material_ids or ()),
        preschool_transfer_id=row.preschool_transfer_id or "",
        import_id=row.import_id or "",
        request_id=row.request_id or "",
        handling_unit_code=row.handling_unit_code or "",
        county_code=row.county_code or "",
        city_code=row.city_code or "",
        province_code=row.province_code or "",
        dedup_failure_reason=row.dedup_failure_reason or "",
        last_rejection=stamp_from_json(row.last_rejection),
        withdrawal=stamp_from_json(row.withdrawal),
        record_id=row.record_id or "",
        submitted_at=utc(row.submitted_at) or utc(row.created_at),
        updated_at=utc(row.updated_at),
        revision=row.revision,
        version=row.version,
    )


@contextmanager
def _one_live_application_per_document() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if _lost_to_concurrent_entry(exc):
            raise ConcurrentEntry() from exc
        raise


def _lost_to_concurrent_entry(exc: BaseException) -> bool:
    for error in (exc, getattr(exc, "orig", None), exc.__cause__):
        if error is None:
            continue
        diag = getattr(error, "diag", None)
        if getattr(error, "sqlstate", "") == "40P01" or (diag and diag.constraint_name == LIVE_INDEX):
            return True  # PostgreSQL: deadlock, or the index
        if "UNIQUE constraint failed: applications.document_hash" in str(error):
            return True  # SQLite
    return False


class ApplicationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, app: Application) -> None:
        with _one_live_application_per_document():
            self._session.execute(insert(t).values(**_to_row(app)))

    def add_many(self, apps: list[Application]) -> None:
        """One statement for a batch (import): COPY on PostgreSQL, much faster than a statement per row."""
        with _one_live_application_per_document():
            insert_rows(self._session, t, [_to_row(a) for a in apps])

    def add_batch(self, batch: SubmittedBatch) -> None:
        """The applications of a batch in one statement, their shared values converted once."""
        with _one_live_application_per_document():
            insert_shared(
                self._session,
                t,
                _to_row(batch.shared),
                _OWN,
                [
                    (
                        r.application_id,
                        r.identity.name,
                        int(r.identity.gender),
                        r.identity.birth_date,
                        r.identity.document.type.value,
                        r.identity.document.number,
                        r.document_hash,
                        r.form,
                        r.form.get("grade", ""),
                        r.preschool_transfer_id or None,
                    )
                    for r in batch.rows
                ],
            )

    def active_holders(self, hashes) -> dict:
        """Which of these document hashes an application not withdrawn already carries:
        hash → DocumentHolder."""
        if not hashes:
            return {}
        return first_holders(
            self._session.execute(
                select(t.c.document_hash, t.c.school_code, t.c.province_code, t.c.state).where(
                    t.c.document_hash.in_(list(hashes)), t.c.state.in_([s.value for s in ACTIVE_STATES])
                )
            ).all()
        )

    def count_by_state(self) -> dict[str, int]:
        """How many applications are in each state (a scan of the (school, state) index on PostgreSQL)."""
        if self._session.get_bind().dialect.name == "postgresql":  # a slow database must not hold a scrape
            self._session.execute(text("SET LOCAL statement_timeout = 5000"))
        return dict(self._session.execute(select(t.c.state, func.count()).group_by(t.c.state)).all())

    def get(self, application_id: str) -> Application | None:
        row = self._session.execute(select(t).where(t.c.application_id == application_id)).first()
        return _from_row(row) if row else None

    def get_many(self, application_ids) -> dict[str, Application]:
        """One SELECT ... WHERE id IN (...) ORDER BY id FOR UPDATE (SQLite: its write lock suffices)."""
        ids = list(application_ids)
        if not ids:
            return {}
        rows = self._session.execute(
            select(t).where(t.c.application_id.in_(ids)).order_by(t.c.application_id).with_for_update()
        ).all()
        return {r.application_id: _from_row(r) for r in rows}

    def save_flow_changes(self, changes) -> None:
        """One UPDATE of the columns the flow's transitions change, each row guarded by the version
        it was read at (xueji_common.db.bulk_update); the versions are the applications' own (the use
        case moved them)."""
        rows = [{**_flow_values(app), "read": read_at} for app, read_at in changes]
        if update_rows(self._session, t, "application_id", "version", _FLOW_COLUMNS, rows) != len(rows):
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")

    def document_numbers(self, application_ids) -> dict[str, DocumentOf]:
        """One SELECT ... WHERE application_id IN (...) of the few columns needed (the number decrypted)."""
        if not application_ids:
            return {}
        rows = self._session.execute(
            select(
                t.c.application_id, t.c.document_type, t.c.document_number, t.c.document_hash, t.c.revision
            ).where(t.c.application_id.in_(sorted(set(application_ids))))
        ).all()
        return {
            r.application_id: DocumentOf(
                document(r.document_type, r.document_number), r.document_hash, r.revision
            )
            for r in rows
        }

    def by_request(self, school_code: str, request_id: str) -> Application | None:
        row = self._session.execute(
            select(t).where(t.c.school_code == school_code, t.c.request_id == request_id)
        ).first()
        return _from_row(row) if row else None

    def active_for_transfer(self, transfer_id: str) -> Application | None:
        """The application not withdrawn that a preschool transfer started (registration started)."""
        row = self._session.execute(
            select(t)
            .where(t.c.preschool_transfer_id == transfer_id, t.c.state.in_([s.value for s in ACTIVE_STATES]))
            .limit(1)
        ).first()
        return _from_row(row) if row else None

    def save(self, app: Application, expected_version: int) -> None:
        """Write a changed application; its version moves on by one (optimistic concurrency)."""
        app.version = expected_version + 1
        try:
            with _one_live_application_per_document():
                result = self._session.execute(
                    update(t)
                    .where(t.c.application_id == app.application_id, t.c.version == expected_version)
                    .values(**_to_row(app))
                )
        except ConcurrentEntry:
            app.version = expected_version
            raise
        if result.rowcount != 1:
            app.version = expected_version
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")

    def list(self, query: ApplicationQuery, *, offset: int, limit: int) -> tuple[list[Application], int]:
        """One page, newest submission first, and the total matching."""
        conditions = _conditions(query)
        total = self._session.execute(select(func.count()).select_from(t).where(*conditions)).scalar_one()
        rows = self._session.execute(
            select(t)
            .where(*conditions)
            .order_by(t.c.submitted_at.desc(), t.c.application_id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [_from_row(r) for r in rows], total


def _conditions(q: ApplicationQuery) -> list:
    found = []
    if q.area_column:
        found.append(t.c[q.area_column] == q.area_code)
    if q.kind:
        found.append(t.c.kind == q.kind.value)
    if q.category:
        found.append(t.c.category == q.category.value)
    if q.states:
        found.append(t.c.state.in_([s.value for s in q.states]))
    if q.authentication:
        found.append(t.c.authentication == q.authentication.value)
    if q.handling_unit_code:
        found.append(t.c.handling_unit_code == q.handling_unit_code)
    if q.name_prefix:
        escaped = q.name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found.append(t.c.name.like(escaped + "%", escape="\\"))
    if q.document_hash:
        found.append(t.c.document_hash == q.document_hash)
    if q.grade:
        found.append(t.c.grade == q.grade)
    if q.submitted_after:
        found.append(t.c.submitted_at >= q.submitted_after)
    if q.submitted_before:
        found.append(t.c.submitted_at < q.submitted_before)
    return found
