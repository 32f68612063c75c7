"""The review unit of work on SQLAlchemy: cases, history, parked dedup results + outbox/inbox in one
transaction (service_layer/unit_of_work.py::ReviewUoW is the protocol it fulfils)."""

from sqlalchemy import text

from xueji_common.db.uow import SqlAlchemyUnitOfWork
from xueji_review.adapters.history import GateResultRepository, HistoryRepository
from xueji_review.adapters.repository import ReviewCaseRepository
from xueji_review.adapters.tables import inbox, outbox
from xueji_review.service_layer.unit_of_work import GateResults, History, ReviewCases

# The advisory locks of `serialize` (same key, same lock), many in one statement. The array is
# sorted here and unnest() yields it in order, so that every batch takes its locks in one order
# and two batches sharing applications wait for each other instead of deadlocking.
_LOCK_MANY = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0))) FROM unnest(CAST(:keys AS text[])) AS key"
)


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

    def serialize_many(self, keys: list[str]) -> None:
        """`serialize` of every key (PostgreSQL; SQLite's transaction already holds the database)."""
        if keys and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(_LOCK_MANY, {"keys": sorted(set(keys))})
