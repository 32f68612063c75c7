"""The special-ed unit of work on SQLAlchemy: students, information + outbox/inbox in one transaction
(service_layer/unit_of_work.py::SpecialEdUoW is the protocol it fulfils). It carries the key of
document hashes (the record events' numbers are hashed, never stored)."""

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_special_ed.adapters.repository import SpecialEdRepository
from xueji_special_ed.adapters.tables import inbox, outbox
from xueji_special_ed.service_layer.unit_of_work import SpecialEdRepo


class SpecialEdUnitOfWork(SqlAlchemyUnitOfWork):
    repo: SpecialEdRepo

    def __init__(self, session_factory, on_commit=None, *, hash_key: str) -> None:
        super().__init__(session_factory, "special-ed", outbox, inbox, on_commit)
        self.hash_key = hash_key

    def _open(self, session) -> None:
        self.repo = SpecialEdRepository(session)
