"""The registration unit of work as the use cases see it: applications, records, uploaded files,
preschool transfers, imports and the hash rotation's rows, in one transaction with the events
published (docs/ARCHITECTURE.md#unit-of-work-outbox-and-inbox).

`RegistrationUoW` is a protocol: the SQL one is adapters/unit_of_work.py::RegistrationUoW,
the in-memory one tests/unit/registration_fakes.py. Its repositories are protocols too
(service_layer/repositories.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from google.protobuf.message import Message

from xueji_common.db.uow import UnitOfWork
from xueji_registration.domain.records import StudentRecord
from xueji_registration.service_layer.ports import Collaborators
from xueji_registration.service_layer.repositories import (
    Applications,
    Files,
    Imports,
    Records,
    Transfers,
)

# The tables whose encrypted values a data-key rotation rewrites (service_layer.rehash.reencrypt).
ENCRYPTED_TABLES = ("applications", "student_records", "preschool_transfers", "import_rows")
# The tables whose document hashes a hash-key rotation recomputes, in the order it does them.
HASHED_TABLES = ("applications", "student_records", "preschool_transfers")


@dataclass(frozen=True)
class StoredNumber:
    """A row's document number as a rotation reads it: `key` is the row's id; the last four are
    the applications' (state, record id) or the records' (number and its hash), else empty."""

    key: str
    document_type: str
    document_number: str
    document_hash: str | None
    state: str = ""
    record_id: str = ""
    national_student_number: str = ""
    national_student_number_hash: str = ""


class Rotation(Protocol):
    """The rows of a key rotation (service_layer.rehash), read and written in bulk."""

    def numbers(self, table: str, after: str, limit: int) -> list[StoredNumber]:
        """The next `limit` rows of one of HASHED_TABLES after key `after`, in key order."""

    def records(self, record_ids: list[str]) -> list[StudentRecord]: ...
    def set_hashes(self, table: str, pairs: list[tuple[str, str | None]]) -> None:
        """(key, new document hash) of rows of one of HASHED_TABLES."""

    def save_records(self, records: list[StudentRecord], hash_key: str) -> None:
        """Hashes and version of records read in this transaction (at version - 1, checked)."""

    def announce(self, events: list[tuple[Message, str]], correlation_id: str) -> None:
        """(event, aggregate id) pairs to the outbox, all with this correlation id."""

    def reencrypt(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        """Rewrite the values of one of ENCRYPTED_TABLES not under the current data key; how many rows."""


class RegistrationUoW(UnitOfWork, Protocol):
    # Read-only members (properties), so that a fake's own repository classes fulfil them.
    @property
    def applications(self) -> Applications: ...
    @property
    def records(self) -> Records: ...
    @property
    def files(self) -> Files: ...
    @property
    def transfers(self) -> Transfers: ...
    @property
    def imports(self) -> Imports: ...
    @property
    def rotation(self) -> Rotation: ...
    @property
    def collaborators(self) -> Collaborators:
        """Org tree, hash key, data keys and the student-number service (service_layer.ports)."""

    def publish_many(self, events: Iterable[tuple[Any, ...]]) -> int:
        """Events (`EventToPublish`, or (event, aggregate id[, traceparent])) to the outbox; how many."""

    def publish_envelopes(self, event_type: str, envelopes: list[tuple[str, str, bytes]]) -> int:
        """Events already serialised: (event id, aggregate id, envelope bytes); how many."""
