"""An in-memory unit of work for use-case tests (no database, no I/O): what a use case published
and whether it committed, with the inbox's redelivery rule. A service's fake subclasses it and puts
its in-memory repositories on it (e.g. services/accounts/tests/unit/accounts_fakes.py)."""

from __future__ import annotations

import uuid
from typing import Self

from google.protobuf.message import Message

from xueji_common.db.uow import AlreadyHandled


class FakeUnitOfWork:
    """Repositories change in place (as the book's fakes do); `commits` counts commits, and what
    was published since the last commit is dropped by a rollback, as the outbox would be."""

    def __init__(self, producer: str = "test") -> None:
        self.producer = producer
        self.commits = 0
        self.published: list[tuple[Message, str]] = []  # committed events: (event, aggregate id)
        self._pending: list[tuple[Message, str]] = []
        self._claimed: set[tuple[str, str]] = set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rollback()

    def commit(self) -> None:
        self.commits += 1
        self.published += self._pending
        self._pending = []

    def rollback(self) -> None:
        self._pending = []

    def publish(self, event: Message, *, aggregate_id: str = "", correlation_id: str = "") -> str:
        self._pending.append((event, aggregate_id))
        return str(uuid.uuid4())

    def claim_event(self, event_id: str, consumer: str, event_type: str) -> None:
        if (event_id, consumer) in self._claimed:
            raise AlreadyHandled(event_id)
        self._claimed.add((event_id, consumer))

    def claim_events(self, event_ids: list[str], consumer: str, event_type: str) -> set[str]:
        new = {event_id for event_id in event_ids if (event_id, consumer) not in self._claimed}
        self._claimed |= {(event_id, consumer) for event_id in new}
        return new
