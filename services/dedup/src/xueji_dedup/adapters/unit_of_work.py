"""The dedup unit of work in SQL (service_layer/unit_of_work.py::DedupUoW): its stores and
repositories, plus the outbox and inbox in one transaction.

The inbox claim of an event, or of a batch's events (`claim_events`), is deferred to the first
write (`claim_now`) or to commit. Event
handlers call other gRPC services (the national tier, the population register, registration). On
SQLite (embedded mode) a transaction holds the file's write lock from its first statement, so a
handler must not hold one while it waits on a remote answer: the dedup's other handlers and calls
would wait behind it. Handlers therefore call out first, then claim and write. Calling out again
for a redelivered event is harmless: the remote calls are idempotent or read only.

A DedupCompleted published here is counted in xueji_dedup_outcomes_total once its transaction
commits (never for a rolled back or redelivered one), wherever the use case that published it runs.
"""

from __future__ import annotations

from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.db.uow import AlreadyHandled, SqlAlchemyUnitOfWork
from xueji_common.errors import ConcurrentModification
from xueji_dedup.adapters import metrics
from xueji_dedup.adapters.deliveries import DeliveryStore
from xueji_dedup.adapters.holdings_load import holdings_writer
from xueji_dedup.adapters.national_store import NationalStore
from xueji_dedup.adapters.peers import Peers
from xueji_dedup.adapters.problem_repository import ProblemRepository
from xueji_dedup.adapters.province_store import ProvinceStore
from xueji_dedup.adapters.rotation_store import RotationStore
from xueji_dedup.adapters.tables import inbox, outbox


def uow_factory(runtime):
    """The spec's make_uow: units of work carrying the runtime's key, org tree and peers."""
    peers, data_keys = Peers(runtime), runtime.settings.data_keyring()
    return lambda: DedupUnitOfWork(
        runtime.session_factory,
        runtime.after_commit,
        hash_key=runtime.settings.hash_key,
        tree=runtime.tree,
        peers=peers,
        scope=runtime.settings.scope,
        data_keys=data_keys,
    )


class DedupUnitOfWork(SqlAlchemyUnitOfWork):
    national: NationalStore
    province: ProvinceStore
    problems: ProblemRepository
    rotation: RotationStore
    deliveries: DeliveryStore

    def __init__(
        self,
        session_factory,
        on_commit=None,
        *,
        hash_key: str = "",
        tree=None,
        peers=None,
        scope: str = "province",
        data_keys=None,
    ) -> None:
        super().__init__(session_factory, "dedup", outbox, inbox, on_commit)
        # What event handlers need besides the database (they receive only the unit of work).
        self.hash_key, self.tree, self.peers, self.scope = hash_key, tree, peers, scope
        self.data_keys = data_keys  # seals a corrected number into ProblemResolved (adapters.events)
        self._claim: tuple[str, str, str] | None = None
        self._claims: tuple[list[str], str, str] | None = None  # a batch's (claim_events)
        self._outcomes: list[events_pb2.DedupCompleted] = []
        self._autocommit_reads = False

    def _open(self, session) -> None:
        self._claim, self._claims, self._outcomes, self._autocommit_reads = None, None, [], False
        self.national = NationalStore(session)
        self.province = ProvinceStore(session)
        self.problems = ProblemRepository(session)
        self.rotation = RotationStore(session)
        self.deliveries = DeliveryStore(session)

    def claim_event(self, event_id: str, consumer: str, event_type: str) -> None:
        self._claim = (event_id, consumer, event_type)

    def claim_events(self, event_ids: list[str], consumer: str, event_type: str) -> set[str]:
        """Deferred as `claim_event` is (a batch handler calls out before it writes): the events not
        in the inbox yet, read now outside any transaction (one statement), their claim written by
        `claim_now` or at commit. The base class claims them with an INSERT, which on SQLite would
        hold the database's write lock while the handler waits on its peers. An event another worker
        claimed between the read and the write makes `claim_now` raise ConcurrentModification: the
        consumer rolls back and handles the events one by one (the inbox then tells which were)."""
        if not event_ids:
            return set()
        self.read_outside_transaction()
        seen = set(
            self.session.execute(
                select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(event_ids))
            ).scalars()
        )
        self.end_reads()
        new = [e for e in event_ids if e not in seen]
        self._claims = (new, consumer, event_type) if new else None
        return set(new)

    def claim_now(self) -> None:
        """Write the deferred inbox claim (AlreadyHandled for a redelivered event). Writes start a
        transaction of their own, even after autocommit reads (read_outside_transaction)."""
        if self._autocommit_reads:
            self.end_reads()
        if self._claim is not None:
            claim, self._claim = self._claim, None
            super().claim_event(*claim)
        if self._claims is not None:
            (ids, consumer, event_type), self._claims = self._claims, None
            if len(super().claim_events(ids, consumer, event_type)) < len(ids):
                raise ConcurrentModification("events of the batch were claimed by another worker meanwhile")

    def claim_delivery(self, event_id: str, event_type: str) -> bool:
        """Claim a delivery of the national tier in the inbox now; False when it was handled before."""
        try:
            SqlAlchemyUnitOfWork.claim_event(self, event_id, "dedup.national-deliveries", event_type)
        except AlreadyHandled:
            return False
        return True

    def holdings_writer(self, at):
        """The bulk writer of record holdings in this transaction (COPY on PostgreSQL)."""
        return holdings_writer(self.session, at)

    def end_reads(self) -> None:
        """End the read-only transaction opened so far (releases SQLite's lock before calling out)."""
        self.session.rollback()  # after autocommit reads: only gives the connection back (no ROLLBACK)
        self._autocommit_reads = False

    def read_outside_transaction(self) -> None:
        """PostgreSQL: the reads until end_reads/claim_now on a connection in autocommit (each
        statement alone: no BEGIN before, no ROLLBACK after; the pool resets the connection's
        isolation level when it comes back, client side). Saves a transaction per handler that
        reads, calls out, then writes (issue 16 step 4). SQLite: a read transaction, as before."""
        if self.session.get_bind().dialect.name == "postgresql" and not self._autocommit_reads:
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            self._autocommit_reads = True

    def publish(self, event, **kwargs) -> str:
        if isinstance(event, events_pb2.DedupCompleted):
            self._outcomes.append(event)
        return super().publish(event, **kwargs)

    def publish_many(self, events) -> int:
        listed = list(events)
        self._outcomes += [e for e, *_ in listed if isinstance(e, events_pb2.DedupCompleted)]
        return super().publish_many(listed)

    def commit(self) -> None:
        self.claim_now()
        super().commit()
        counted, self._outcomes = self._outcomes, []
        metrics.count_outcomes(self.producer, counted)

    def rollback(self) -> None:
        super().rollback()
        self._outcomes = []
