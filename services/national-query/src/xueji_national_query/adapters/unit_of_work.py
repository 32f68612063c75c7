"""The national-query unit of work in SQL (service_layer/unit_of_work.py::NationalQueryUoW): read
model, captchas, audit + outbox/inbox in one transaction.

It also carries the key of the document hashes: the event handlers that receive it compute the
hash of each record's document number themselves, the record repository that of each national
student number.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_common.orgunits import OrgTree
from xueji_national_query.adapters.bulk_writer import writer_for
from xueji_national_query.adapters.lookups import AuditLog, CaptchaRepository
from xueji_national_query.adapters.records import RecordRepository
from xueji_national_query.adapters.tables import inbox, outbox
from xueji_national_query.service_layer.unit_of_work import RowWriter


class NationalQueryUnitOfWork(SqlAlchemyUnitOfWork):
    records: RecordRepository
    captchas: CaptchaRepository
    audit: AuditLog

    def __init__(
        self,
        session_factory: sessionmaker,
        on_commit: Callable[[], None] | None = None,
        *,
        hash_key: str,
        tree: OrgTree | None = None,
    ) -> None:
        super().__init__(session_factory, "national-query", outbox, inbox, on_commit)
        self.hash_key = hash_key
        self.tree = tree

    def _open(self, session: Session) -> None:
        self.records = RecordRepository(session, self.hash_key)
        self.captchas = CaptchaRepository(session)
        self.audit = AuditLog(session)

    def row_writer(self) -> RowWriter:
        assert self.session is not None  # inside `with uow`
        return writer_for(self.session)
