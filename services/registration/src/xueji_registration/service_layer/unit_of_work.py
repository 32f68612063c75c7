"""The registration unit of work: applications, records, files + outbox/inbox in one transaction."""

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_registration.adapters.files import FileRepository
from xueji_registration.adapters.record_repository import RecordRepository
from xueji_registration.adapters.repository import ApplicationRepository
from xueji_registration.adapters.tables import inbox, outbox


class RegistrationUnitOfWork(SqlAlchemyUnitOfWork):
    applications: ApplicationRepository
    records: RecordRepository
    files: FileRepository

    def __init__(self, session_factory, on_commit=None, collaborators=None) -> None:
        super().__init__(session_factory, "registration", outbox, inbox, on_commit)
        # Org tree, hash key, student-number service (service_layer.ports.Collaborators).
        self.collaborators = collaborators

    def _open(self, session) -> None:
        self.applications = ApplicationRepository(session)
        self.records = RecordRepository(session)
        self.files = FileRepository(session)
