"""The national-query unit of work: read model, captchas, audit + outbox/inbox in one transaction.

It also carries the key of the document hashes: the event handlers that receive it compute the
hash of each record's document number themselves, the record repository that of each national
student number.
"""

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_national_query.adapters.lookups import AuditLog, CaptchaRepository
from xueji_national_query.adapters.records import RecordRepository
from xueji_national_query.adapters.tables import inbox, outbox


class NationalQueryUnitOfWork(SqlAlchemyUnitOfWork):
    records: RecordRepository
    captchas: CaptchaRepository
    audit: AuditLog

    def __init__(self, session_factory, on_commit=None, *, hash_key: str, tree=None) -> None:
        super().__init__(session_factory, "national-query", outbox, inbox, on_commit)
        self.hash_key = hash_key
        self.tree = tree

    def _open(self, session) -> None:
        self.records = RecordRepository(session, self.hash_key)
        self.captchas = CaptchaRepository(session)
        self.audit = AuditLog(session)
