"""The registration unit of work: applications + outbox/inbox in one transaction."""
from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_registration.adapters.repository import ApplicationRepository
from xueji_registration.adapters.tables import inbox, outbox


class RegistrationUnitOfWork(SqlAlchemyUnitOfWork):
    applications: ApplicationRepository

    def __init__(self, session_factory, on_commit=None) -> None:
        super().__init__(session_factory, "registration", outbox, inbox, on_commit)

    def _open(self, session) -> None:
        self.applications = ApplicationRepository(session)
