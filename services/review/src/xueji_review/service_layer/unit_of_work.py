"""The review unit of work as the use cases see it: cases, their history and the dedup results
parked until their submission arrives, in one transaction with the events published.

`ReviewUoW` is what the use cases see (a protocol: the SQL one is adapters/unit_of_work.py, the
in-memory one tests/unit/review_fakes.py); `ReviewCases`, `History` and `GateResults` are its
repositories, and `CaseQuery` says which cases a list, a count or a batch is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from xueji_common.db.uow import EventToPublish, UnitOfWork
from xueji_common.orgunits import OrgLevel
from xueji_review.domain.model import CaseEvent, CaseState, GateStatus, ReviewCase


@dataclass(frozen=True)
class CaseQuery:
    """Which cases a list, a count or a batch is about. Empty fields do not filter."""

    states: tuple[CaseState, ...]
    school_codes: tuple[str, ...] = ()
    handling_unit: str = ""
    level: OrgLevel | None = None
    category: str = ""
    kind: str = ""


class ReviewCases(Protocol):
    """Each read returns the case as stored (its own copy); a change is kept by `save`/`save_all`."""

    def get(self, application_id: str) -> ReviewCase | None: ...
    def get_many(self, application_ids: list[str], *, lock: bool = False) -> dict[str, ReviewCase]: ...
    def add(self, case: ReviewCase) -> None: ...
    def save(self, case: ReviewCase, expected_version: int) -> None:
        """Raises ConcurrentModification when the stored version is no longer `expected_version`."""

    def save_all(self, changes: list[tuple[ReviewCase, int]]) -> None:
        """`save` of many (case, expected version) pairs: all of them, or ConcurrentModification."""

    def find(
        self, query: CaseQuery, *, offset: int = 0, limit: int | None = None, lock: bool = False
    ) -> list[ReviewCase]:
        """The matching cases in list order (submit time, then case id)."""

    def count(self, query: CaseQuery) -> int: ...
    def counts(self, query: CaseQuery) -> list[tuple[str, str, str, GateStatus, int]]:
        """(school, category, kind, gate, count) of the matching cases."""


class History(Protocol):
    def add_all(self, events: list[CaseEvent]) -> None: ...
    def for_application(self, application_id: str) -> list[CaseEvent]:
        """Every entry of the case, oldest first, across all revisions."""


class GateResults(Protocol):
    def park(self, application_id: str, revision: int, passed: bool, reason: str, at: dt.datetime) -> None:
        """Keep a dedup result for a revision not here yet (a second one of the same revision is ignored)."""

    def take(self, application_id: str, revision: int) -> tuple[bool, str] | None:
        """The parked result of this revision, removed with those of older revisions; or None."""


class ReviewUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository classes fulfil them.
    @property
    def cases(self) -> ReviewCases: ...
    @property
    def history(self) -> History: ...
    @property
    def gate_results(self) -> GateResults: ...

    def publish_many(self, events: Iterable[EventToPublish]) -> int: ...
    def serialize(self, key: str) -> None:
        """Handlers of the same case in two workers take turns until this transaction ends."""
