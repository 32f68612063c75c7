"""National student numbers (全国学籍号) as the national tier draws them.

The layouts (G formal, L temporary, J provincial) are defined once, in xueji_common.student_numbers;
this module decides the order of the draws. The rules: docs/DOMAIN.md#national-student-numbers.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator

from xueji_common.student_numbers import NumberKind, formal, provincial, temporary

__all__ = ["NumberKind", "check_division", "formal", "provincial_candidates", "temporary_candidates"]

_DIVISION = re.compile(r"^\d{6}$")


def check_division(division_code: str) -> None:
    if not _DIVISION.match(division_code or "") or division_code.endswith("0000"):
        raise ValueError("division_code")


def temporary_candidates(division: str, birth: dt.date, rng: random.Random) -> Iterator[str]:
    """Random draws first, then every number in order: all 10,000 are tried before giving up."""
    for _ in range(20):
        yield temporary(division, birth, rng.randrange(10000))
    for n in range(10000):
        yield temporary(division, birth, n)


def provincial_candidates(division: str, birth: dt.date) -> Iterator[str]:
    for sequence in range(1, 1000):
        yield provincial(division, birth, sequence)
