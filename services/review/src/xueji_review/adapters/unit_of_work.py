"""The review unit of work on SQLAlchemy: cases, history, parked dedup results + outbox/inbox in one
transaction (service_layer/unit_of_work.py::ReviewUoW is the protocol it fulfils)."""

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_review.adapters.history import GateResultRepository, HistoryRepository
from xueji_review.adapters.repository import ReviewCaseRepository
from xueji_review.adapters.tables import inbox, outbox
from xueji_review.service_layer.unit_of_work import GateResults, History, ReviewCases


class ReviewUnitOfWork(SqlAlchemyUnitOfWork):
    cases: ReviewCases
    history: History
    gate_results: GateResults

    def __init__(self, session_factory, on_commit=None) -> None:
        super().__init__(session_factory, "review", outbox, inbox, on_commit)

    def _open(self, session) -> None:
        self.cases = ReviewCaseRepository(session)
        self.history = HistoryRepository(session)
        self.gate_results = GateResultRepository(session)
