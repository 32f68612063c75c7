"""The review unit of work: cases, history, parked dedup results + outbox/inbox in one transaction."""
from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_review.adapters.history import GateResultRepository, HistoryRepository
from xueji_review.adapters.repository import ReviewCaseRepository
from xueji_review.adapters.tables import inbox, outbox


class ReviewUnitOfWork(SqlAlchemyUnitOfWork):
    cases: ReviewCaseRepository
    history: HistoryRepository
    gate_results: GateResultRepository

    def __init__(self, session_factory, on_commit=None) -> None:
        super().__init__(session_factory, "review", outbox, inbox, on_commit)

    def _open(self, session) -> None:
        self.cases = ReviewCaseRepository(session)
        self.history = HistoryRepository(session)
        self.gate_results = GateResultRepository(session)
