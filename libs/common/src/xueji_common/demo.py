"""Deterministic synthetic data for the embedded demo and the tests.

* ``population_register`` — the synthetic population database (基础数据库): school-age children with
  realistic names (Faker ``zh_CN``, gender-matched) and resident ID numbers built here from a county
  division code of the tree + birth date + a 3-digit sequence of the right parity (odd = male) + the
  GB 11643 MOD 11-2 check digit, so number, birth date and gender always agree.
* ``preschool_records`` — the national preschool records (学前学籍) of the coming freshmen: most of
  the 6-7 year olds, some children without any document (type ``Z``, temporary ``L`` number) and a
  few children holding two records for one document number (matching finds several → 待确认).

Everything depends only on the seed and the day ages are counted on (``today``), never on global
random state. That day defaults to ``reference_day()``, the 1 September that opened the current school
year, not to the current date: processes started on different days of one school year (a test run
that crosses midnight, a worker restarted the next morning) must generate the same people.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from .documents import resident_id_check_digit
from .orgunits import OrgLevel, OrgTree, OrgUnit

__all__ = [
    "Person",
    "PreschoolRecord",
    "age_on",
    "make_resident_id",
    "population_register",
    "preschool_records",
    "resident_id_check_digit",
]

GENDER_MALE = "1"
GENDER_FEMALE = "2"

# Counties outside the demo tree: children of migrant families registered elsewhere
# (合肥市瑶海区, 南昌市东湖区, 郑州市中原区, 成都市锦江区, 长沙市芙蓉区, 周口市川汇区).
OTHER_COUNTIES = ("340102", "360102", "410102", "510104", "430102", "411602")
OUTSIDE_SHARE = 0.08  # share of children whose ID was issued outside the tree
MOVED_SHARE = 0.10  # share whose household moved to another county of the tree

KINDERGARTEN_STEMS = (
    "阳光",
    "蓝天",
    "春苗",
    "星星",
    "彩虹",
    "实验",
    "向日葵",
    "育才",
    "启明",
    "小天鹅",
    "金色童年",
    "绿洲",
)


@dataclass(frozen=True)
class Person:
    name: str
    gender: str  # "1" male, "2" female
    birth_date: date
    resident_id: str
    household_division: str


@dataclass(frozen=True)
class PreschoolRecord:
    record_id: str
    name: str
    gender: str
    birth_date: date
    document_type: str  # "1" resident ID card, "Z" no document
    document_number: str  # "" for "Z"
    kindergarten_name: str
    county_code: str
    national_student_number: str


def reference_day(day: date | None = None) -> date:
    """1 September of the school year that ``day`` (default: the current date) falls in."""
    day = day or date.today()
    return date(day.year if (day.month, day.day) >= (9, 1) else day.year - 1, 9, 1)


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def make_resident_id(division: str, birth: date, sequence: int) -> str:
    """An 18-character resident ID: division + YYYYMMDD + 3-digit sequence + check digit.

    The sequence's last digit gives the gender: odd male, even female.
    """
    if len(division) != 6 or not division.isdigit() or not 0 <= sequence <= 999:
        raise ValueError("division must be 6 digits and sequence 0..999")
    first17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _random_birth(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    """A birth date whose age on ``today`` is within [min_age, max_age]."""
    latest = _years_before(today, min_age)
    earliest = _years_before(today, max_age + 1) + timedelta(days=1)
    birth = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
    while not min_age <= age_on(birth, today) <= max_age:  # leap-day edge cases
        birth += timedelta(days=1)
    return birth


def _faker(seed: int) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return fake


def _name(fake: Faker, gender: str) -> str:
    return fake.name_male() if gender == GENDER_MALE else fake.name_female()


def _counties(tree: OrgTree) -> list[OrgUnit]:
    counties = tree.units(OrgLevel.COUNTY)
    if not counties:
        raise ValueError("the org-unit tree has no counties")
    return counties


def population_register(
    tree: OrgTree,
    *,
    size: int = 2000,
    seed: int = 2018,
    min_age: int = 6,
    max_age: int = 18,
    today: date | None = None,
) -> list[Person]:
    """``size`` synthetic school-age people with unique, valid resident ID numbers."""
    today = today or reference_day()
    rng = random.Random(seed)
    fake = _faker(seed)
    county_codes = [c.code for c in _counties(tree)]
    used: set[str] = set()
    people: list[Person] = []
    while len(people) < size:
        gender = rng.choice((GENDER_MALE, GENDER_FEMALE))
        birth = _random_birth(rng, today, min_age, max_age)
        if rng.random() < OUTSIDE_SHARE:
            division = rng.choice(OTHER_COUNTIES)
        else:
            division = rng.choice(county_codes)
        household = division
        if rng.random() < MOVED_SHARE:
            household = rng.choice(county_codes)
        parity = 1 if gender == GENDER_MALE else 0
        sequence = rng.randrange(0, 500) * 2 + parity
        resident_id = make_resident_id(division, birth, sequence)
        if resident_id in used:
            continue
        used.add(resident_id)
        people.append(Person(_name(fake, gender), gender, birth, resident_id, household))
    return people


def _kindergarten(tree: OrgTree, county: OrgUnit, rng: random.Random) -> str:
    city = tree.get(county.parent_code) if county.parent_code else None
    prefix = (city.name if city else "") + county.name
    return f"{prefix}{rng.choice(KINDERGARTEN_STEMS)}幼儿园"


def _temporary_number(division: str, birth: date, rng: random.Random, used: set[str]) -> str:
    """``L`` + 6-digit division + YYYYMMDD + 4 random digits, unique within ``used``."""
    while True:
        number = f"L{division}{birth:%Y%m%d}{rng.randrange(10000):04d}"
        if number not in used:
            used.add(number)
            return number


def preschool_records(
    tree: OrgTree,
    people: Sequence[Person],
    *,
    share: float = 0.6,
    seed: int = 2018,
    no_document: int = 20,
    duplicates: int = 5,
    today: date | None = None,
) -> list[PreschoolRecord]:
    """Preschool records of the coming freshmen (people aged 6 or 7 on ``today``).

    * ``share`` of them get one record (type ``1``, formal ``G`` number, kindergarten in their
      household county, or a random county of the tree when that county is not in it);
    * ``no_document`` more children, not in the register, get a type ``Z`` record with no number and
      a temporary ``L`` number;
    * ``duplicates`` of the recorded children get a second record with the same document number in
      another kindergarten, under a temporary ``L`` number (a problem record).
    """
    today = today or reference_day()
    rng = random.Random(f"preschool-{seed}")
    fake = _faker(seed + 1)
    counties = {c.code: c for c in _counties(tree)}
    county_list = list(counties.values())
    numbers: set[str] = set()
    records: list[PreschoolRecord] = []

    def county_for(division: str) -> OrgUnit:
        return counties.get(division) or rng.choice(county_list)

    def add(
        name: str, gender: str, birth: date, doc_type: str, doc_number: str, county: OrgUnit, nsn: str
    ) -> None:
        numbers.add(nsn)
        records.append(
            PreschoolRecord(
                f"XQ{len(records) + 1:07d}",
                name,
                gender,
                birth,
                doc_type,
                doc_number,
                _kindergarten(tree, county, rng),
                county.code,
                nsn,
            )
        )

    freshmen = [p for p in people if age_on(p.birth_date, today) in (6, 7)]
    chosen_idx = sorted(rng.sample(range(len(freshmen)), round(share * len(freshmen))))
    chosen = [freshmen[i] for i in chosen_idx]
    first_county: dict[str, OrgUnit] = {}
    for person in chosen:
        county = first_county[person.resident_id] = county_for(person.household_division)
        add(
            person.name,
            person.gender,
            person.birth_date,
            "1",
            person.resident_id,
            county,
            "G" + person.resident_id,
        )

    for _ in range(no_document):
        gender = rng.choice((GENDER_MALE, GENDER_FEMALE))
        birth = _random_birth(rng, today, 6, 7)
        county = rng.choice(county_list)
        nsn = _temporary_number(county.code, birth, rng, numbers)
        add(_name(fake, gender), gender, birth, "Z", "", county, nsn)

    for person in rng.sample(chosen, min(duplicates, len(chosen))):
        first = first_county[person.resident_id]
        others = [c for c in county_list if c.code != first.code] or county_list
        county = rng.choice(others)
        nsn = _temporary_number(county.code, person.birth_date, rng, numbers)
        add(person.name, person.gender, person.birth_date, "1", person.resident_id, county, nsn)
    return records
