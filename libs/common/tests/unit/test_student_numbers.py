"""National student numbers: one layout per kind, and the checks the services make with it."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji_common.documents import resident_id_check_digit
from xueji_common.student_numbers import (
    NumberKind,
    formal,
    has_layout,
    is_student_number,
    provincial,
    temporary,
)

BIRTH = dt.date(2015, 6, 1)
RESIDENT_ID = "33010220150601004" + resident_id_check_digit("33010220150601004")


def test_each_kind_is_a_letter_and_18_characters():
    for number in (formal(RESIDENT_ID), temporary("330102", BIRTH, 42), provincial("330102", BIRTH, 7)):
        assert len(number) == 19 and is_student_number(number)
    assert temporary("330102", BIRTH, 42) == "L330102201506010042"
    assert provincial("330102", BIRTH, 7).startswith("J33010220150601007")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "G3301022015060100",
        "X330102201506010042",
        "L33010220150601004Y",
        "l330102201506010042",
        RESIDENT_ID,
    ],
)
def test_other_text_is_no_student_number(text):
    assert not is_student_number(text)


def test_a_reserved_number_is_checked_against_the_students_own_data():
    kw = dict(resident_id=RESIDENT_ID, division_code="330102", birth_date=BIRTH)
    assert has_layout("G" + RESIDENT_ID, NumberKind.FORMAL, **kw)
    assert not has_layout("G" + RESIDENT_ID[:-1] + "0", NumberKind.FORMAL, **kw)
    assert has_layout("L330102201506010042", NumberKind.TEMPORARY, **kw)
    assert not has_layout("L330102201506020042", NumberKind.TEMPORARY, **kw)  # another birth date
    assert not has_layout("L33010220150601004", NumberKind.TEMPORARY, **kw)  # too short
    assert not has_layout("L33010220150601004X", NumberKind.TEMPORARY, **kw)
    j = provincial("330102", BIRTH, 7)
    assert has_layout(j, NumberKind.PROVINCIAL, **kw)
    assert not has_layout(j[:-1] + ("0" if j[-1] != "0" else "1"), NumberKind.PROVINCIAL, **kw)  # check digit
