"""学前学籍匹配 (manual chapter 4): which stored records answer a child's key. The one place of the
rule: the single match and the batch both decide here, over the records read for the key.

By document: the preschool records holding the number's keyed hash (several when the child is a
problem record, 一人多籍), and the formal records holding it (the child is already a formal student,
manual 4.5). By name, gender and birth date: for a child without a document, the preschool records
without one (several children may share the key); no formal records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.domain.vocabulary import Stage

NO_DOCUMENT = "Z"  # the stored document type of a record without a number (document_hash "")
_PRESCHOOL = Stage.PRESCHOOL.value


@dataclass(frozen=True)
class ByDocument:
    document_hash: str  # keyed hash of (type, number): xueji_common.hashing.document_hash


@dataclass(frozen=True)
class ByPerson:
    name: str  # stripped
    gender: int
    birth_date: dt.date


MatchKey = ByDocument | ByPerson


@dataclass(frozen=True)
class PreschoolMatch:
    candidates: list[NationalRecord]  # in national student number order
    formal: list[NationalRecord]  # newest change first (number order within a time)


def keys_of(record: NationalRecord) -> tuple[ByDocument, ByPerson]:
    """The keys a read returns the record for (the adapters read by these columns only; `match`
    applies the whole rule)."""
    return ByDocument(record.document_hash), ByPerson(record.name, record.gender, record.birth_date)


def _by_number(records: Iterable[NationalRecord]) -> list[NationalRecord]:
    return sorted(records, key=lambda r: r.national_student_number)


def match(key: MatchKey, records: Iterable[NationalRecord]) -> PreschoolMatch:
    """The answer for `key` among `records` (any superset of what a read for the key returns)."""
    found = [r for r in records if key in keys_of(r)]
    if isinstance(key, ByDocument):
        formal = _by_number(r for r in found if r.stage != _PRESCHOOL)
        return PreschoolMatch(
            _by_number(r for r in found if r.stage == _PRESCHOOL),
            sorted(formal, key=lambda r: r.changed_at, reverse=True),  # stable: number order within a time
        )
    return PreschoolMatch(
        _by_number(r for r in found if r.stage == _PRESCHOOL and r.document_type == NO_DOCUMENT), []
    )


def match_each(keys: list[MatchKey], records: Iterable[NationalRecord]) -> list[PreschoolMatch]:
    """`match` of each key, in order, over the records read for all of them (grouped by key first:
    a batch of 500 does not compare every key with every record)."""
    of_key: dict[MatchKey, list[NationalRecord]] = {k: [] for k in keys}
    for record in records:
        for k in keys_of(record):
            if k in of_key:
                of_key[k].append(record)
    return [match(k, of_key[k]) for k in keys]
