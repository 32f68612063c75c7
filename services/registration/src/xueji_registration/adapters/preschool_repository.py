"""Preschool transfers in SQL. The registration started for a child is the application (not
withdrawn) carrying its transfer id, read by an outer join: a withdrawal or an approval shows here
without any bookkeeping on this side."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.documents import DocumentType, Gender, ValidDocument, category_of
from xueji_common.errors import ConcurrentModification
from xueji_registration.adapters.preschool_tables import preschool_transfers as t
from xueji_registration.adapters.tables import applications as a
from xueji_registration.domain.model import Identity
from xueji_registration.domain.preschool import (
    WITHDRAWN,
    Candidate,
    FormalRecord,
    MatchStatus,
    PreschoolTransfer,
)
from xueji_registration.service_layer.repositories import DuplicateTransfer
from xueji_registration.service_layer.repositories import TransferFilter as TransferFilter  # re-exported

_SELECT = select(t, a.c.application_id, a.c.state.label("registration_state")).select_from(
    t.outerjoin(a, (a.c.preschool_transfer_id == t.c.transfer_id) & (a.c.state != WITHDRAWN))
)


def _to_row(x: PreschoolTransfer) -> dict:
    doc = x.identity.document
    return dict(
        transfer_id=x.transfer_id,
        school_code=x.school_code,
        name=x.identity.name,
        gender=int(x.identity.gender),
        birth_date=x.identity.birth_date,
        document_type=doc.type.value,
        document_number=doc.number,
        document_hash=x.document_hash,
        category=x.category.value,
        match_status=x.match_status.value,
        candidates=[c.to_json() for c in x.candidates],
        matched_record=x.matched_record.to_json() if x.matched_record else None,
        match_confirmed_by=x.match_confirmed_by,
        import_id=x.import_id,
        created_by=x.created_by,
        created_at=x.created_at,
        updated_at=x.updated_at,
        version=x.version,
        formal_record=x.formal_record.to_json() if x.formal_record else None,
        request_id=x.request_id,
    )


def _from_row(row) -> PreschoolTransfer:
    doc_type = DocumentType(row.document_type)
    document = ValidDocument(doc_type, row.document_number, category_of(doc_type))
    return PreschoolTransfer(
        transfer_id=row.transfer_id,
        school_code=row.school_code,
        identity=Identity(row.name, Gender(row.gender), row.birth_date, document),
        document_hash=row.document_hash,
        created_by=row.created_by,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        match_status=MatchStatus(row.match_status),
        candidates=[Candidate.from_json(c) for c in row.candidates],
        matched_record=Candidate.from_json(row.matched_record) if row.matched_record else None,
        match_confirmed_by=row.match_confirmed_by,
        application_id=row.application_id,
        registration_state=row.registration_state,
        import_id=row.import_id,
        version=row.version,
        formal_record=FormalRecord.from_json(row.formal_record) if row.formal_record else None,
        request_id=row.request_id,
    )


class PreschoolRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_many(self, transfers: list[PreschoolTransfer]) -> None:
        if transfers:
            try:
                self._session.execute(insert(t), [_to_row(x) for x in transfers])
            except IntegrityError as exc:  # the same number (or request) added at the same moment
                raise DuplicateTransfer() from exc

    def get(self, transfer_id: str) -> PreschoolTransfer | None:
        row = self._session.execute(_SELECT.where(t.c.transfer_id == transfer_id)).first()
        return _from_row(row) if row else None

    def get_many(self, transfer_ids: list[str]) -> list[PreschoolTransfer]:
        rows = self._session.execute(_SELECT.where(t.c.transfer_id.in_(transfer_ids))).all()
        return [_from_row(r) for r in rows]

    def by_hashes(self, school_code: str, hashes: list[str]) -> dict[str, PreschoolTransfer]:
        """The school's transfers holding these document hashes (one query per batch)."""
        if not hashes:
            return {}
        rows = self._session.execute(
            _SELECT.where(t.c.school_code == school_code, t.c.document_hash.in_(hashes))
        ).all()
        return {r.document_hash: _from_row(r) for r in rows}

    def by_request(self, school_code: str, request_id: str) -> PreschoolTransfer | None:
        """The transfer a CreatePreschoolTransfer with this request id added (a retry's first outcome)."""
        row = self._session.execute(
            _SELECT.where(t.c.school_code == school_code, t.c.request_id == request_id)
        ).first()
        return _from_row(row) if row else None

    def holder_of(self, school_code: str, document_hash: str) -> str | None:
        return self._session.execute(
            select(t.c.transfer_id).where(t.c.school_code == school_code, t.c.document_hash == document_hash)
        ).scalar()

    def pending(
        self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[PreschoolTransfer]:
        """Transfers still 匹配中 whose last matching is older than `updated_before`, oldest first,
        from after the (created_at, transfer_id) of the last one of the previous batch."""
        query = _SELECT.where(*self._pending(updated_before, after))
        rows = self._session.execute(query.order_by(t.c.created_at, t.c.transfer_id).limit(limit)).all()
        return [_from_row(r) for r in rows]

    def count_pending(self, updated_before: dt.datetime, after: tuple[dt.datetime, str] | None) -> int:
        query = select(func.count()).select_from(t).where(*self._pending(updated_before, after))
        return self._session.execute(query).scalar_one()

    @staticmethod
    def _pending(updated_before: dt.datetime, after: tuple[dt.datetime, str] | None) -> list:
        conditions = [t.c.match_status == MatchStatus.PENDING.value, t.c.updated_at < updated_before]
        if after is not None:
            conditions.append(tuple_(t.c.created_at, t.c.transfer_id) > tuple_(*after))
        return conditions

    def save(self, x: PreschoolTransfer, expected_version: int) -> None:
        values = {**_to_row(x), "version": expected_version + 1}
        try:
            result = self._session.execute(
                update(t)
                .where(t.c.transfer_id == x.transfer_id, t.c.version == expected_version)
                .values(**values)
            )
        except IntegrityError as exc:
            raise DuplicateTransfer() from exc
        if result.rowcount != 1:
            raise ConcurrentModification("该学前调档信息已被他人修改，请刷新后重试")
        x.version = expected_version + 1

    def delete(self, x: PreschoolTransfer, expected_version: int) -> None:
        result = self._session.execute(
            delete(t).where(t.c.transfer_id == x.transfer_id, t.c.version == expected_version)
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该学前调档信息已被他人修改，请刷新后重试")

    def list(self, f: TransferFilter, offset: int, limit: int) -> tuple[list[PreschoolTransfer], int]:
        conditions = []
        if f.school_codes is not None:
            conditions.append(t.c.school_code.in_(f.school_codes))
        if f.name_prefix:
            conditions.append(t.c.name.startswith(f.name_prefix, autoescape=True))
        if f.document_hashes:
            conditions.append(t.c.document_hash.in_(f.document_hashes))
        if f.category:
            conditions.append(t.c.category == f.category)
        if f.match_statuses:
            conditions.append(t.c.match_status.in_(f.match_statuses))
        if f.registration_started is not None:
            started = a.c.application_id.is_not(None)
            conditions.append(started if f.registration_started else ~started)
        query = _SELECT.where(*conditions)
        total = self._session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self._session.execute(
            query.order_by(t.c.created_at.desc(), t.c.transfer_id).offset(offset).limit(limit)
        ).all()
        return [_from_row(r) for r in rows], total
