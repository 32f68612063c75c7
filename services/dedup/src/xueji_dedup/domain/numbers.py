"""National student numbers (全国学籍号): their layouts, drawn by the national tier.

G + 18-digit resident ID (formal); L + 6-digit division + YYYYMMDD + 4 random digits (temporary);
J + division + YYYYMMDD + 3-digit sequence + MOD 11-2 check digit (provincial).
The rules: docs/DOMAIN.md#national-student-numbers.
"""
from __future__ import annotations

import datetime as dt
import enum
import random
import re
from collections.abc import Iterator

from xueji_common.documents import resident_id_check_digit


class NumberKind(str, enum.Enum):
    FORMAL = "formal"
    TEMPORARY = "temporary"
    PROVINCIAL = "provincial"


_DIVISION = re.compile(r"^\d{6}$")


def check_division(division_code: str) -> None:
    if not _DIVISION.match(division_code or "") or division_code.endswith("0000"):
        raise ValueError("division_code")


def formal(resident_id: str) -> str:
    return "G" + resident_id


def temporary_candidates(division: str, birth: dt.date, rng: random.Random) -> Iterator[str]:
    """Random draws first, then every number in order: all 10,000 are tried before giving up."""
    stem = f"L{division}{birth:%Y%m%d}"
    for _ in range(20):
        yield f"{stem}{rng.randrange(10000):04d}"
    for n in range(10000):
        yield f"{stem}{n:04d}"


def provincial_candidates(division: str, birth: dt.date) -> Iterator[str]:
    stem = f"{division}{birth:%Y%m%d}"
    for sequence in range(1, 1000):
        first17 = f"{stem}{sequence:03d}"
        yield "J" + first17 + resident_id_check_digit(first17)
