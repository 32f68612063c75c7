"""The review unit of work in memory (service_layer/unit_of_work.py::ReviewUoW).

Cases are stored as copies, as rows would be: a use case changes the one it read, and the store
sees the change only through `save`/`save_all` (which check the version as the SQL does)."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Iterable

from xueji_common.errors import ConcurrentModification
from xueji_common.testing.fake_uow import FakeUnitOfWork
from xueji_review.domain.model import CaseEvent, GateStatus, ReviewCase
from xueji_review.service_layer.unit_of_work import CaseQuery

_STATE = ("state", "gate", "gate_reason", "handling_unit", "current_level", "version", "updated_at")


def _copy(case: ReviewCase) -> ReviewCase:
    stored = copy.deepcopy(case)
    stored.events = []  # a change's steps go to the history, not with the case
    return stored


def _matches(query: CaseQuery, case: ReviewCase) -> bool:
    """The WHERE clause of adapters/repository.py::_where."""
    return (
        case.state in query.states
        and (not query.school_codes or case.school_code in query.school_codes)
        and (not query.handling_unit or case.handling_unit == query.handling_unit)
        and (query.level is None or case.current_level == query.level)
        and (not query.category or case.category == query.category)
        and (not query.kind or case.kind == query.kind)
    )


class FakeReviewCases:
    def __init__(self) -> None:
        self.rows: dict[str, ReviewCase] = {}

    def get(self, application_id: str) -> ReviewCase | None:
        found = self.rows.get(application_id)
        return _copy(found) if found else None

    def get_many(self, application_ids, *, lock=False) -> dict[str, ReviewCase]:
        return {i: _copy(self.rows[i]) for i in application_ids if i in self.rows}

    def add(self, case: ReviewCase) -> None:
        assert case.application_id not in self.rows  # the primary key
        self.rows[case.application_id] = _copy(case)

    def add_all(self, cases: list[ReviewCase]) -> None:
        for case in cases:
            self.add(case)

    def save(self, case: ReviewCase, expected_version: int) -> None:
        if self.rows[case.application_id].version != expected_version:
            raise ConcurrentModification("该学生的审核状态已被他人更新，请刷新后重试")
        self.rows[case.application_id] = _copy(case)

    def save_all(self, changes: list[tuple[ReviewCase, int]], *, identity: bool = False) -> None:
        if any(self.rows[case.application_id].version != expected for case, expected in changes):
            raise ConcurrentModification("该学生的审核状态已被他人更新，请刷新后重试")
        for case, _ in changes:
            if identity:
                self.rows[case.application_id] = _copy(case)
            else:  # the review state only, as the SQL writes it
                stored = self.rows[case.application_id]
                for name in _STATE:
                    setattr(stored, name, getattr(case, name))

    def _found(self, query: CaseQuery) -> list[ReviewCase]:
        return sorted(
            (c for c in self.rows.values() if _matches(query, c)),
            key=lambda c: (c.submitted_at, c.application_id),
        )

    def find(self, query, *, offset=0, limit=None, lock=False) -> list[ReviewCase]:
        found = self._found(query)[offset:]
        return [_copy(c) for c in (found if limit is None else found[:limit])]

    def count(self, query) -> int:
        return len(self._found(query))

    def counts(self, query) -> list[tuple[str, str, str, GateStatus, int]]:
        groups = Counter((c.school_code, c.category, c.kind, c.gate) for c in self._found(query))
        return [(*key, n) for key, n in groups.items()]


class FakeHistory:
    def __init__(self) -> None:
        self.entries: list[CaseEvent] = []

    def add_all(self, events: list[CaseEvent]) -> None:
        self.entries += events

    def for_application(self, application_id: str) -> list[CaseEvent]:
        return [e for e in self.entries if e.application_id == application_id]


class FakeGateResults:
    def __init__(self) -> None:
        self.parked: dict[tuple[str, int], tuple[bool, str]] = {}

    def parked_for(self, application_ids: list[str]) -> dict[tuple[str, int], tuple[bool, str]]:
        return {k: v for k, v in self.parked.items() if k[0] in application_ids}

    def park_many(self, results: list, at: dt.datetime) -> None:
        for key, passed, reason in results:
            self.parked.setdefault(key, (passed, reason))

    def remove_many(self, keys: list[tuple[str, int]]) -> None:
        for key in keys:
            del self.parked[key]


class FakeReviewUoW(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__("review")
        self.cases = FakeReviewCases()
        self.history = FakeHistory()
        self.gate_results = FakeGateResults()
        self.serialized: list[str] = []

    def publish_many(self, events: Iterable[tuple]) -> int:
        pairs = [(event, aggregate_id) for event, aggregate_id, *_ in events]
        self._pending += pairs
        return len(pairs)

    def serialize(self, key: str) -> None:
        self.serialized.append(key)  # one process: nothing to wait for

    def serialize_many(self, keys: list[str]) -> None:
        self.serialized += sorted(set(keys))

    def events(self, name: str | None = None) -> list:
        """The committed events (of one type, by message name), oldest first."""
        return [e for e, _ in self.published if name is None or e.DESCRIPTOR.name == name]
