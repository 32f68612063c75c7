"""ReserveStudentNumbers: national student numbers for up to 500 records in one call and one
transaction (issue 16 step 2: the records of one approval batch ask once, not once each).

The rule is the single reservation's (national.reserve_number_in); what the batch adds is the bulk
path for the common cases: the owners' numbers read with one statement, the holders of the G numbers
asked with another, and the new numbers (a G number nobody holds, an L/J number's first draw) taken
with one insert that skips what is held. An item that path does not settle (its first draw in use, a
number taken meanwhile, a G number kept under an old key, an owner asked twice) goes through the
single rule, in order, in the same transaction. Each item gets its own outcome: a G number held by
another record is that item's AlreadyExists, the others are reserved all the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from xueji_common.db.engine import now
from xueji_common.errors import DomainError, FieldViolation, InvalidArgument
from xueji_dedup.domain import numbers
from xueji_dedup.service_layer.national import (
    MAX_BATCH,
    ReserveNumber,
    candidates,
    number_key,
    reserve_number_in,
)
from xueji_dedup.service_layer.unit_of_work import DedupUoW


@dataclass(frozen=True)
class NumberOutcome:
    """An item's answer: its number, or the refusal the single call would have raised."""

    number: str = ""
    refusal: DomainError | None = None


def check_size(count: int) -> None:
    if count > MAX_BATCH:
        raise InvalidArgument(FieldViolation("numbers", f"一次最多预留 {MAX_BATCH} 个学籍号"))


def reserve_student_numbers(
    uow: DedupUoW, cmds: list[ReserveNumber], hash_key: str, rng: random.Random | None = None
) -> list[NumberOutcome]:
    """reserve_student_number for each command, in the order asked, committed once."""
    check_size(len(cmds))
    key, rng = number_key(hash_key), rng or random.Random()
    with uow:
        outcomes = _reserve(uow, cmds, key, rng)
        uow.commit()
    return outcomes


def _reserve(
    uow: DedupUoW, cmds: list[ReserveNumber], key: Callable[[str], str], rng: random.Random
) -> list[NumberOutcome]:
    owned = {(n.owner_id, n.kind): n for n in uow.national.numbers_of_owners({c.owner_id for c in cmds})}
    formal = {
        i: numbers.formal(c.resident_id) for i, c in enumerate(cmds) if c.kind is numbers.NumberKind.FORMAL
    }
    holders = uow.national.number_owners([key(n) for n in formal.values()])
    found: dict[int, str] = {}
    wanted: list[tuple[int, str, str]] = []  # (item, number hash, number kept in clear or "")
    asked: set[tuple[str, str]] = set()
    for i, cmd in enumerate(cmds):
        existing = owned.get((cmd.owner_id, cmd.kind.value))
        first = (cmd.owner_id, cmd.kind.value) not in asked
        asked.add((cmd.owner_id, cmd.kind.value))
        if i in formal:
            digest = key(formal[i])
            if existing is not None and existing.number_hash == digest:
                found[i] = formal[i]
            elif first and existing is None and holders.get(digest) is None:
                wanted.append((i, digest, ""))
        elif existing is not None:
            found[i] = existing.national_student_number
        elif first and cmd.birth_date is not None:
            number = next(candidates(cmd, rng), "")
            if number:
                wanted.append((i, key(number), number))
    taken = uow.national.take_numbers(
        [(digest, cmds[i].kind.value, cmds[i].owner_id, clear) for i, digest, clear in wanted], now()
    )
    for i, digest, clear in wanted:
        if (digest, cmds[i].owner_id) in taken:
            found[i] = clear or formal[i]
    outcomes = []
    for i, cmd in enumerate(cmds):
        if i in found:
            outcomes.append(NumberOutcome(found[i]))
            continue
        try:  # the single rule: a redrawn L number, a taken or rekeyed G, an owner asked twice
            outcomes.append(NumberOutcome(reserve_number_in(uow, cmd, key, rng)))
        except DomainError as exc:
            outcomes.append(NumberOutcome(refusal=exc))
    return outcomes
