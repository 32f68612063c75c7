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

from xueji_common.db.uow import PublishItem, UnitOfWork
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
    def add_all(self, cases: list[ReviewCase]) -> None:
        """`add` of many new cases, in one statement."""

    def save(self, case: ReviewCase, expected_version: int) -> None:
        """Raises ConcurrentModification when the stored version is no longer `expected_version`."""

    def save_all(self, changes: list[tuple[ReviewCase, int]], *, identity: bool = False) -> None:
        """`save` of many (case, expected version) pairs: all of them, or ConcurrentModification.
        Only the review state is written, and the application's identity too with `identity`
        (a resubmission brings corrected fields)."""

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


# A parked dedup result's key and value: (application id, revision) -> (passed, reason).
ParkedKey = tuple[str, int]


class GateResults(Protocol):
    """Dedup results parked until their submission arrives (service_layer/intake.py says when)."""

    def parked_for(self, application_ids: list[str]) -> dict[ParkedKey, tuple[bool, str]]:
        """Every parked result of these applications, in one query."""

    def park_many(self, results: list[tuple[ParkedKey, bool, str]], at: dt.datetime) -> None:
        """Keep these results; one already parked for the same (application, revision) is kept instead."""

    def remove_many(self, keys: list[ParkedKey]) -> None: ...


class ReviewUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository classes fulfil them.
    @property
    def cases(self) -> ReviewCases: ...
    @property
    def history(self) -> History: ...
    @property
    def gate_results(self) -> GateResults: ...

    def publish_many(self, events: Iterable[PublishItem]) -> int: ...
    def serialize(self, key: str) -> None:
        """Handlers of the same case in two workers take turns until this transaction ends."""

    def serialize_many(self, keys: list[str]) -> None:
        """`serialize` of many keys in one statement, taken in one order by every batch (no deadlock)."""
