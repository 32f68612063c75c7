"""The other services a dedup use case calls, in memory (service_layer/ports.py::Peers).

`FakeNationalTier` is the national tier as a province reaches it: the national use cases run on a
unit of work of their own (tests/unit/dedup_fakes.py, another database), so a province's test sees
what the nation keeps; `down` makes every call answer PeerUnavailable. The population register
answers from its `people`; registration gives the clear numbers it was told.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dedup_fakes import FakeDedupUoW, FakeNationalHoldings
from grpc import StatusCode

from xueji_common.auth import MINISTRY, Principal, Role
from xueji_common.errors import DomainError
from xueji_common.orgunits import OrgTree
from xueji_dedup.domain import numbers
from xueji_dedup.domain.checks import Holding
from xueji_dedup.domain.problems import ProblemGroup, ProblemKind, ProblemStudent
from xueji_dedup.service_layer import national, national_problems, national_reserve
from xueji_dedup.service_layer.ports import (
    ClearNumber,
    CommitAsked,
    Committed,
    Identity,
    PeerRefused,
    PeerUnavailable,
    ToReserve,
)
from xueji_dedup.service_layer.unit_of_work import Delivery


def _refused(exc: DomainError) -> PeerRefused:
    return PeerRefused(getattr(StatusCode, exc.status, StatusCode.FAILED_PRECONDITION), exc.message)


class FakeNationalTier:
    """The national Dedup surface over the national use cases on `tier` (its own database)."""

    def __init__(self, tier: FakeDedupUoW) -> None:
        self.tier = tier
        self.identity = Principal("dedup", Role.SYSTEM, MINISTRY)  # whom the tier sees calling
        self.down = False
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise PeerUnavailable("UNAVAILABLE")

    def check(self, document_type: str, document_hash: str, application_id: str = "") -> list[Holding]:
        self._call("check")
        return FakeHoldingsReader(self.tier.national).holdings(
            document_type, document_hash, national.now(), application_id
        )

    def reserve(
        self,
        document_type: str,
        document_hash: str,
        application_id: str,
        province_code: str,
        school_code: str,
    ) -> str | Holding:
        self._call("reserve")
        cmd = national.ReserveIdentity(
            document_type, document_hash, application_id, province_code, school_code
        )
        try:
            return national.reserve_identity(self.tier, cmd).reservation_id
        except national.HeldElsewhere as exc:
            return exc.holding

    def reserve_many(self, items: Sequence[ToReserve]) -> list[str | Holding]:
        self._call("reserve_many")
        cmds = [national.ReserveIdentity(*i) for i in items]
        return [
            got if isinstance(got, Holding) else got.reservation_id
            for got in national_reserve.reserve_identities(self.tier, cmds)
        ]

    def commit(self, reservation_id: str, record_id: str, national_student_number: str) -> None:
        self._call("commit")
        try:
            national.commit_reservation(self.tier, reservation_id, record_id, national_student_number)
        except DomainError as exc:
            raise _refused(exc) from None

    def commit_each(self, asked: list[CommitAsked]) -> list[Committed | None]:
        self._call("commit_each")
        items = [national.CommitItem(*a) for a in asked]
        return [
            None
            if isinstance(r, DomainError)
            else Committed(r.document_type, r.document_hash, r.application_id, r.province_code, r.school_code)
            for r in national.commit_reservations(self.tier, items)
        ]

    def check_each(self, documents: list[tuple[str, str, str]]) -> list[list[Holding]]:
        self._call("check_each")
        checks = [national.DocumentCheck(*d) for d in documents]
        return national.check_documents(FakeHoldingsReader(self.tier.national), checks)

    def release(self, reservation_id: str, reason: str) -> None:
        self._call("release")
        try:
            national.release_reservation(self.tier, reservation_id, reason)
        except DomainError as exc:
            raise _refused(exc) from None

    def register_record(self, **values: str) -> list[Holding]:
        self._call("register_record")
        return national.register_record(self.tier, national.RegisterRecord(**values))

    def unregister_record(self, record_id: str, reason: str) -> bool:
        self._call("unregister_record")
        return national.unregister_record(self.tier, record_id, reason)

    def rekey_formal_number(self, owner_id: str, number: str) -> None:
        self._call("rekey_formal_number")
        cmd = national.ReserveNumber(numbers.NumberKind.FORMAL, owner_id, resident_id=number[1:])
        try:
            national.reserve_student_number(self.tier, cmd, self.tier.hash_key)
        except DomainError as exc:
            raise _refused(exc) from None

    def report_group(self, group: ProblemGroup, actions: Any, tree: OrgTree, province_code: str) -> bool:
        self._call("report_group")
        reported = replace(copy.deepcopy(group), reporting_province=province_code)
        rows = [
            {f.name: getattr(a, f.name) for f in fields(a) if f.name not in ("id", "group_id")}
            for a in actions
        ]
        return national.report_group(self.tier, reported, rows)

    def raise_group(
        self, kind: ProblemKind, match_key: str, students: list[ProblemStudent], reason: str, tree: OrgTree
    ) -> str:
        self._call("raise_group")
        cmd = national_problems.RaiseGroup(kind, match_key, copy.deepcopy(students), reason)
        return national_problems.raise_group(self.tier, cmd, tree=tree)[0].group_id

    def refresh_student(self, student: ProblemStudent, request_id: str, tree: OrgTree) -> list[str]:
        self._call("refresh_student")
        cmd = national_problems.RefreshStudent(request_id, copy.deepcopy(student))
        try:
            return national_problems.refresh_student(self.tier, cmd, principal=self.identity, tree=tree)[0]
        except DomainError as exc:
            raise _refused(exc) from None

    def pull(self, province_code: str, after_sequence: int, limit: int) -> tuple[str, list[Delivery]]:
        self._call("pull")
        return province_code, national_problems.pull(self.tier, province_code, after_sequence, limit)


class FakeHoldingsReader:
    """The national tier's read-only checks over its holdings (adapters/holdings_reads.py)."""

    def __init__(self, holdings: FakeNationalHoldings) -> None:
        self._holdings = holdings

    def holdings(
        self, document_type: str, document_hash: str, now: dt.datetime, except_application: str = ""
    ) -> list[Holding]:
        return self._holdings.holdings(
            document_type, document_hash, now, except_application=except_application
        )

    def holdings_of_each(
        self, documents: list[tuple[str, str]], now: dt.datetime
    ) -> dict[tuple[str, str], list[Holding]]:
        return {d: self._holdings.holdings(*d, now) for d in documents}


@dataclass
class Person:
    name: str
    gender: int
    birth_date: dt.date
    cancelled: bool = False


@dataclass
class FakePopulationRegister:
    """People by resident ID; `down_for` calls answer PeerUnavailable first."""

    people: dict[str, Person] = field(default_factory=dict)
    down_for: int = 0
    calls: int = 0
    batch_calls: int = 0

    def verify(self, name: str, gender: int, birth_date: dt.date | None, resident_id: str) -> str:
        self.calls += 1
        if self.down_for:
            self.down_for -= 1
            raise PeerUnavailable("UNAVAILABLE")
        person = self.people.get(resident_id)
        if person is None:
            return "NOT_FOUND"
        if person.cancelled:
            return "CANCELLED"
        if person.name != name:
            return "NAME_MISMATCH"
        if person.gender != gender:
            return "GENDER_MISMATCH"
        return "" if person.birth_date == birth_date else "BIRTH_DATE_MISMATCH"

    def verify_many(self, identities: Sequence[Identity]) -> list[str]:
        """One call: down for the whole batch, or every identity answered."""
        self.batch_calls += 1
        if self.down_for:
            self.down_for -= 1
            raise PeerUnavailable("UNAVAILABLE")
        down, self.down_for = self.down_for, 0
        answers = [self.verify(*i) for i in identities]
        self.calls -= len(identities)  # counted as batch calls
        self.down_for = down
        return answers


@dataclass
class FakeRegistration:
    """The clear numbers registration holds, by application and by record."""

    applications: dict[str, ClearNumber] = field(default_factory=dict)
    records: dict[str, ClearNumber] = field(default_factory=dict)
    batch_calls: int = 0

    def application_number(self, application_id: str) -> ClearNumber | None:
        return self.applications.get(application_id)

    def application_numbers(self, application_ids: Sequence[str]) -> dict[str, ClearNumber]:
        self.batch_calls += 1
        return {a: self.applications[a] for a in application_ids if a in self.applications}

    def record_number(self, record_id: str) -> ClearNumber | None:
        return self.records.get(record_id)


class FakePeers:
    def __init__(self, nation: FakeDedupUoW) -> None:
        self.national = FakeNationalTier(nation)
        self.register = FakePopulationRegister()
        self.registration = FakeRegistration()
