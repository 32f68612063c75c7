"""Unit tests for the synthetic demo data (xueji_common.demo)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from xueji_common.demo import (
    OTHER_COUNTIES,
    age_on,
    make_resident_id,
    population_register,
    preschool_records,
    reference_day,
)
from xueji_common.orgunits import OrgLevel, load_default_tree

TODAY = date(2018, 6, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.fixture(scope="module")
def tree():
    return load_default_tree()


@pytest.fixture(scope="module")
def people(tree):
    return population_register(tree, size=800, seed=7, today=TODAY)


def test_make_resident_id_known_value():
    # The GB 11643 example number 11010519491231002X.
    assert make_resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    with pytest.raises(ValueError):
        make_resident_id("11010", date(2010, 1, 1), 1)


def test_age_on():
    assert age_on(date(2012, 6, 1), TODAY) == 6
    assert age_on(date(2012, 6, 2), TODAY) == 5


def test_population_numbers_are_valid(tree, people):
    counties = {c.code for c in tree.units(OrgLevel.COUNTY)}
    assert len(people) == 800
    assert len({p.resident_id for p in people}) == 800
    for p in people:
        rid = p.resident_id
        assert len(rid) == 18 and rid[:17].isdigit()
        assert rid[17] == check_digit(rid[:17])
        assert rid[6:14] == p.birth_date.strftime("%Y%m%d")
        assert p.gender == ("1" if int(rid[16]) % 2 else "2")
        assert rid[:6] in counties or rid[:6] in OTHER_COUNTIES
        assert 6 <= age_on(p.birth_date, TODAY) <= 18
        assert len(p.household_division) == 6 and p.household_division.isdigit()
        assert 2 <= len(p.name) <= 4
    in_tree = sum(p.resident_id[:6] in counties for p in people)
    assert in_tree > 0.8 * len(people)
    assert Counter(p.gender for p in people).keys() == {"1", "2"}


def test_population_is_deterministic(tree, people):
    again = population_register(tree, size=800, seed=7, today=TODAY)
    assert again == people
    other = population_register(tree, size=800, seed=8, today=TODAY)
    assert other != people


def test_reference_day_is_the_school_year_start():
    assert reference_day(date(2026, 11, 28)) == reference_day(date(2026, 11, 29)) == date(2026, 9, 1)
    assert reference_day(date(2027, 8, 31)) == date(2026, 9, 1)
    assert reference_day(date(2026, 9, 1)) == date(2026, 9, 1)


def test_the_default_day_is_the_school_year_start_not_the_current_date(tree):
    # Processes started either side of midnight must generate the same register (a CI run that crossed
    # midnight once matched no child against the preschool records).
    default = population_register(tree, size=50, seed=3)
    assert default == population_register(tree, size=50, seed=3, today=reference_day())
    assert preschool_records(tree, default, seed=3) == preschool_records(
        tree, default, seed=3, today=reference_day()
    )


def test_age_range_is_respected(tree):
    six = population_register(tree, size=200, seed=1, min_age=6, max_age=6, today=date(2020, 2, 29))
    assert {age_on(p.birth_date, date(2020, 2, 29)) for p in six} == {6}


def test_preschool_records(tree, people):
    records = preschool_records(tree, people, seed=7, today=TODAY, no_document=20, duplicates=5)
    assert records == preschool_records(tree, people, seed=7, today=TODAY, no_document=20, duplicates=5)
    by_id = {p.resident_id: p for p in people}
    counties = {c.code for c in tree.units(OrgLevel.COUNTY)}
    freshmen = [p for p in people if age_on(p.birth_date, TODAY) in (6, 7)]

    assert len({r.record_id for r in records}) == len(records)
    assert len({r.national_student_number for r in records}) == len(records)
    with_id = [r for r in records if r.document_type == "1"]
    without = [r for r in records if r.document_type == "Z"]
    assert len(without) == 20
    assert len(with_id) == round(0.6 * len(freshmen)) + 5
    for r in records:
        assert r.county_code in counties
        assert r.kindergarten_name.endswith("幼儿园")
        assert tree.get(r.county_code).name in r.kindergarten_name
        assert len(r.national_student_number) == 19
        assert age_on(r.birth_date, TODAY) in (6, 7)
    for r in with_id:
        person = by_id[r.document_number]
        assert (r.name, r.gender, r.birth_date) == (person.name, person.gender, person.birth_date)
        assert r.national_student_number[0] in "GL"
        if r.national_student_number[0] == "G":
            assert r.national_student_number == "G" + r.document_number
    for r in without:
        nsn = r.national_student_number
        assert r.document_number == ""
        assert nsn.startswith("L" + r.county_code + r.birth_date.strftime("%Y%m%d"))
        assert nsn[15:].isdigit()

    counts = Counter(r.document_number for r in with_id)
    several = [number for number, n in counts.items() if n > 1]
    assert len(several) == 5
    for number in several:
        pair = [r for r in with_id if r.document_number == number]
        assert sorted(r.national_student_number[0] for r in pair) == ["G", "L"]
        assert pair[0].county_code != pair[1].county_code


def test_preschool_share_zero(tree, people):
    records = preschool_records(tree, people, share=0, seed=1, today=TODAY, no_document=3, duplicates=5)
    assert [r.document_type for r in records] == ["Z"] * 3
