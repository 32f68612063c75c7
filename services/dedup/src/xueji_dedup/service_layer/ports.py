"""The other services dedup's use cases call, as ports (protocols): the national tier (Dedup and
ProblemRecords of `XUEJI_PEER_DEDUP_NATIONAL`), the population register and registration.

The gRPC clients are adapters/peers.py; tests/unit/dedup_fakes.py has in-memory ones. A peer that
cannot answer now raises PeerUnavailable (not a DomainError: the event handler fails, nothing is
committed, and the bus delivers the event again later); one that refused for a reason retrying
cannot change raises PeerRefused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from grpc import StatusCode

from xueji_common.errors import Unavailable
from xueji_common.orgunits import OrgTree
from xueji_dedup.domain.checks import Holding
from xueji_dedup.domain.problems import ProblemGroup, ProblemKind, ProblemStudent
from xueji_dedup.service_layer.unit_of_work import Delivery, GroupFound

if TYPE_CHECKING:  # problems imports this module
    from xueji_dedup.service_layer.problems import ListQuery


class PeerUnavailable(Unavailable):
    """A peer cannot answer right now; retry later (never carries personal data). An `Unavailable`,
    so that an event consumer treats it as transient (the whole batch is delivered again rather than
    tried event by event against a peer that is down: messaging.consumer) and a caller that meets it
    gets UNAVAILABLE with a message for people; `code` keeps the gRPC status for the logs."""

    def __init__(self, code: str = "") -> None:
        super().__init__("相关服务暂时无法访问，请稍后重试")
        self.code = code

    def __str__(self) -> str:
        return f"peer unavailable: {self.code}"


class PeerRefused(Exception):
    """A peer refused the call for a reason retrying cannot change (code and message kept)."""

    def __init__(self, code: StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code


class Committed(NamedTuple):
    """A reservation committed to a record (CommitReservations): the holding it gave the record."""

    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str


class CommitAsked(NamedTuple):
    reservation_id: str
    record_id: str
    national_student_number: str


class ClearNumber(NamedTuple):
    """A document number in clear as registration holds it, with the revision or version it is of."""

    number: str
    revision: int
    version: int


class Identity(NamedTuple):
    """What the population register verifies (the number in clear: asked for, never kept)."""

    name: str
    gender: int
    birth_date: dt.date | None
    resident_id: str


class ToReserve(NamedTuple):
    """One item of a batch reservation (NationalTier.reserve_many)."""

    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str


class NationalTier(Protocol):
    """The national Dedup surface, as the province tier uses it."""

    def check(self, document_type: str, document_hash: str, application_id: str = "") -> list[Holding]: ...
    def reserve(
        self,
        document_type: str,
        document_hash: str,
        application_id: str,
        province_code: str,
        school_code: str,
    ) -> str | Holding:
        """The reservation id, or the Holding that keeps the document from this application."""

    def reserve_many(self, items: Sequence[ToReserve]) -> list[str | Holding]:
        """`reserve` of each, in one call (Dedup/ReserveIdentities), answered in the order asked."""

    def commit(self, reservation_id: str, record_id: str, national_student_number: str) -> None:
        """PeerRefused when the reservation was released or expired meanwhile."""

    def commit_each(self, asked: list[CommitAsked]) -> list[Committed | None]:
        """CommitReservations (up to 500): each committed (now or before, to the same record), or
        None where `commit` would raise PeerRefused; in the order asked."""

    def check_each(self, documents: list[tuple[str, str, str]]) -> list[list[Holding]]:
        """CheckDocuments (up to 500) of (document type, hash, application id): each document's
        holdings but those of the application, in the order asked."""

    def release(self, reservation_id: str, reason: str) -> None: ...
    def register_record(
        self,
        *,
        record_id: str,
        document_type: str,
        document_hash: str,
        application_id: str,
        province_code: str,
        school_code: str,
        national_student_number: str,
    ) -> list[Holding]:
        """The record holds its document; returns the document's other holdings."""

    def unregister_record(self, record_id: str, reason: str) -> bool: ...
    def rekey_formal_number(self, owner_id: str, number: str) -> None: ...
    def report_group(
        self, group: ProblemGroup, actions: Sequence[object], tree: OrgTree, province_code: str
    ) -> bool: ...
    def raise_group(
        self, kind: ProblemKind, match_key: str, students: list[ProblemStudent], reason: str, tree: OrgTree
    ) -> str:
        """A cross-province group raised at its home (idempotent); returns its id."""

    def refresh_student(self, student: ProblemStudent, request_id: str, tree: OrgTree) -> list[str]:
        """The record's new key data into every national group holding it (idempotent per request
        id); the ids of those groups."""

    def pull(self, province_code: str, after_sequence: int, limit: int) -> tuple[str, list[Delivery]]: ...


class NationalProblems(Protocol):
    """The national tier's problem groups, read only (a province forwards its callers' reads)."""

    def get(self, group_id: str) -> GroupFound | None: ...
    def list(
        self, q: ListQuery, unit_code: str, offset: int, limit: int
    ) -> tuple[list[ProblemGroup], int]: ...


class PopulationRegister(Protocol):
    def verify(self, name: str, gender: int, birth_date: dt.date | None, resident_id: str) -> str:
        """ "" when the identity matches, else the reason code (NOT_FOUND, NAME_MISMATCH...)."""

    def verify_many(self, identities: Sequence[Identity]) -> list[str]:
        """`verify` of each, in one call (PopulationRegister/VerifyIdentities), in the order asked."""


class Registration(Protocol):
    def application_number(self, application_id: str) -> ClearNumber | None: ...
    def application_numbers(self, application_ids: Sequence[str]) -> dict[str, ClearNumber]:
        """`application_number` of each, in one call (Registrations/GetDocumentNumbers); the
        applications registration does not have are left out."""

    def record_number(self, record_id: str) -> ClearNumber | None: ...


class Peers(Protocol):
    @property
    def national(self) -> NationalTier: ...
    @property
    def register(self) -> PopulationRegister: ...
    @property
    def registration(self) -> Registration: ...
