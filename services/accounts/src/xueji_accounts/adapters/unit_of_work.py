"""The accounts unit of work on SQLAlchemy: users, tokens and audit rows (+ outbox/inbox) in one
transaction (service_layer/unit_of_work.py::AccountsUoW is the protocol it fulfils)."""

from xueji_accounts.adapters.repository import AccountsRepository
from xueji_accounts.adapters.tables import inbox, outbox
from xueji_accounts.service_layer.unit_of_work import AccountsRepo
from xueji_common.db.uow import SqlAlchemyUnitOfWork


class AccountsUnitOfWork(SqlAlchemyUnitOfWork):
    repo: AccountsRepo

    def __init__(self, session_factory, on_commit=None) -> None:
        super().__init__(session_factory, "accounts", outbox, inbox, on_commit)

    def _open(self, session) -> None:
        self.repo = AccountsRepository(session)
