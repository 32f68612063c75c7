"""The registration unit of work on SQLAlchemy: applications, records, files, preschool transfers,
imports and the rotation's rows (+ outbox/inbox) in one transaction
(service_layer/unit_of_work.py::RegistrationUoW is the protocol it fulfils)."""

from sqlalchemy.orm import Session, sessionmaker

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_registration.adapters.files import FileRepository
from xueji_registration.adapters.import_repository import ImportRepository
from xueji_registration.adapters.preschool_repository import PreschoolRepository
from xueji_registration.adapters.record_repository import RecordRepository
from xueji_registration.adapters.rehash_store import RehashStore
from xueji_registration.adapters.repository import ApplicationRepository
from xueji_registration.adapters.tables import inbox, outbox
from xueji_registration.service_layer.ports import Collaborators
from xueji_registration.service_layer.repositories import Applications, Files, Imports, Records, Transfers
from xueji_registration.service_layer.unit_of_work import Rotation


class RegistrationUnitOfWork(SqlAlchemyUnitOfWork):
    applications: Applications
    records: Records
    files: Files
    transfers: Transfers
    imports: Imports
    rotation: Rotation

    def __init__(self, session_factory: sessionmaker, on_commit=None, collaborators=None) -> None:
        super().__init__(session_factory, "registration", outbox, inbox, on_commit)
        # Org tree, hash key, student-number service (service_layer.ports.Collaborators).
        self.collaborators: Collaborators = collaborators

    def _open(self, session: Session) -> None:
        self.applications = ApplicationRepository(session)
        self.records = RecordRepository(session)
        self.files = FileRepository(session)
        self.transfers = PreschoolRepository(session)
        self.imports = ImportRepository(session)
        self.rotation = RehashStore(session)
