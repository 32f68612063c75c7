"""What the registration use cases need from outside the database (ports), and the bundle of them.

The runtime builds a `Collaborators` once and hands it to every unit of work, so that event
handlers, which receive only the unit of work, reach the org tree, the hash key, the data key ring
and the national student-number service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from xueji_common.datakeys import KeyRing
from xueji_common.errors import DomainError
from xueji_common.orgunits import OrgTree
from xueji_registration.domain.records import NumberKind


class NumberTaken(Exception):
    """The national tier says a formal (G) number already belongs to another record."""


@dataclass(frozen=True)
class NumberRequest:
    """One number of a `reserve_many` call: the arguments of `reserve`."""

    kind: NumberKind
    owner_id: str
    division_code: str
    birth_date: dt.date
    resident_id_number: str = ""  # FORMAL only


class NumberRefused(DomainError):
    """The national tier refused one number of a `reserve_many` call for good (e.g. none left for its
    division and birth date): raised out of a batch handler, the consumer handles the batch one by
    one, so that only that item's event waits (docs/FLOWS.md#batches-on-the-bus)."""


class StudentNumbers(Protocol):
    def reserve(
        self,
        *,
        kind: NumberKind,
        owner_id: str,
        division_code: str,
        birth_date: dt.date,
        resident_id_number: str = "",
    ) -> str:
        """A unique national student number reserved for `owner_id` (idempotent per owner).

        Raises NumberTaken for a FORMAL number held by another record; any other exception means
        "try again later" (the event that asked is redelivered).
        """

    def reserve_many(self, requests: Sequence[NumberRequest]) -> list[str | None]:
        """`reserve` for up to 500 numbers in one call, answered in order: None for a FORMAL number
        held by another record (what `reserve` raises NumberTaken for), each item on its own;
        NumberRefused for an item refused otherwise; any other exception means "try again later"."""


class FileBytes(Protocol):
    """Where uploaded files' bytes live (adapters.files.FileStore): `put` returns the storage key."""

    def put(self, school_code: str, file_id: str, content: bytes) -> str: ...
    def remove(self, key: str) -> None: ...


@dataclass(frozen=True)
class Collaborators:
    tree: OrgTree
    hash_key: str
    numbers: StudentNumbers
    # Opens the corrected number dedup seals into ProblemResolved.
    data_keys: KeyRing | None = None
