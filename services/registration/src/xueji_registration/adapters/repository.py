"""Applications in SQL."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from xueji_common.db.engine import utc
from xueji_common.documents import DocumentCategory, DocumentType, Gender, ValidDocument, category_of
from xueji_common.errors import ConcurrentModification
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.tables import applications as t
from xueji_registration.domain.model import (
    ACTIVE_STATES,
    Application,
    ApplicationState,
    AuthenticationStatus,
    Identity,
)


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
    )


def _from_row(row) -> Application:
    doc_type = DocumentType(row.document_type)
    document = ValidDocument(
        type=doc_type, number=row.document_number, category=category_of(doc_type),
        gender=None, birth_date=None, division_code=None,
    )
    return Application(
        application_id=row.application_id,
        school_code=row.school_code,
        kind=RegistrationKind(row.kind),
        category=DocumentCategory(row.category),
        identity=Identity(row.name, Gender(row.gender), row.birth_date, document),
        form=row.form,
        state=ApplicationState(row.state),
        authentication=AuthenticationStatus(row.authentication),
        created_by=row.created_by,
        created_at=utc(row.created_at),
        document_hash=row.document_hash,
        revision=row.revision,
        version=row.version,
    )


class ApplicationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, app: Application) -> None:
        self._session.execute(insert(t).values(**_to_row(app)))

    def get(self, application_id: str) -> Application | None:
        row = self._session.execute(select(t).where(t.c.application_id == application_id)).first()
        return _from_row(row) if row else None

    def active_with_document(self, document_hash: str) -> Application | None:
        """An application not withdrawn that carries this document, if any."""
        row = self._session.execute(
            select(t).where(
                t.c.document_hash == document_hash,
                t.c.state.in_([s.value for s in ACTIVE_STATES]),
            ).limit(1)
        ).first()
        return _from_row(row) if row else None

    def save(self, app: Application, expected_version: int) -> None:
        result = self._session.execute(
            update(t)
            .where(t.c.application_id == app.application_id, t.c.version == expected_version)
            .values(**_to_row(app))
        )
        if result.rowcount != 1:
            raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")
