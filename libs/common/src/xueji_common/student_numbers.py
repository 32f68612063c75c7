"""National student numbers (全国学籍号): the one definition of their layouts
(docs/DOMAIN.md#national-student-numbers).

- formal (正式学籍号): `G` + the 18-character resident ID number;
- temporary (临时学籍号): `L` + the school's 6-digit division code + birth date YYYYMMDD + 4 digits;
- provincial: `J` + division code + birth date + 3-digit sequence + a MOD 11-2 check digit.

Every kind is a letter and 18 characters (`STUDENT_NUMBER`). The national dedup tier draws numbers
(xueji_dedup.domain.numbers), registration checks what comes back (`has_layout`), national-query
accepts any of them as a lookup key and in loaded rows. No framework imports.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

from xueji_common.documents import resident_id_check_digit


class NumberKind(str, enum.Enum):
    FORMAL = "formal"  # G + resident ID (正式学籍号)
    TEMPORARY = "temporary"  # L + division + birth date + 4 random digits (临时学籍号)
    PROVINCIAL = "provincial"  # J + division + birth date + sequence + check digit


STUDENT_NUMBER = re.compile(r"[GLJ][0-9]{17}[0-9X]")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_THREE_DIGITS = re.compile(r"[0-9]{3}")


def is_student_number(text: str) -> bool:
    """Any kind's layout: a G, L or J and 18 characters."""
    return bool(STUDENT_NUMBER.fullmatch(text))


def formal(resident_id: str) -> str:
    return "G" + resident_id


def temporary_stem(division: str, birth: dt.date) -> str:
    """A temporary number without its last 4 digits."""
    return f"L{division}{birth:%Y%m%d}"


def temporary(division: str, birth: dt.date, serial: int) -> str:
    return f"{temporary_stem(division, birth)}{serial:04d}"


def provincial(division: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return "J" + first17 + resident_id_check_digit(first17)


def has_layout(
    number: str, kind: NumberKind, *, resident_id: str, division_code: str, birth_date: dt.date
) -> bool:
    """Whether `number` is the formal number of `resident_id`, or a temporary or provincial number of
    this division and birth date (what registration checks a reserved number against)."""
    if kind is NumberKind.FORMAL:
        return number == formal(resident_id)
    if kind is NumberKind.PROVINCIAL:
        stem = f"J{division_code}{birth_date:%Y%m%d}"
        return (
            len(number) == 19
            and number.startswith(stem)
            and bool(_THREE_DIGITS.fullmatch(number[15:18]))
            and number == provincial(division_code, birth_date, int(number[15:18]))
        )
    stem = temporary_stem(division_code, birth_date)
    return (
        len(number) == len(stem) + 4 and number.startswith(stem) and bool(_FOUR_DIGITS.fullmatch(number[-4:]))
    )
