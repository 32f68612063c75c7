"""The org-unit tree: ministry → province → city → county → school.

Education departments (教育部门) are the non-school units; their codes are GB/T 2260 division codes
(the ministry uses ``000000``). A school's code is its 10-digit school code (学校标识码); its
``division_code`` is its county's, and its parent — its supervising department (学校主管教育部门) —
is that county.

Jurisdiction: a caller at unit X sees and acts on X and every unit below it, nothing else.

The tree is read from a CSV file with the columns ``code,name,level,parent_code,division_code,stage``
(``level`` as an English word: ministry, province, city, county, school). ``load_default_tree`` reads
the file named by ``XUEJI_ORG_UNITS_FILE``, else the packaged demo jurisdiction
(``xueji_common/data/org_units_demo.csv``). The demo's synthetic school codes are ``"1"`` + the
county's division code + a 3-digit sequence, e.g. ``1330102001``.
"""

from __future__ import annotations

import csv
import enum
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_ORG_UNITS_FILE",
    "MINISTRY_CODE",
    "SCHOOL_STAGES",
    "OrgLevel",
    "OrgTree",
    "OrgUnit",
    "OrgUnitError",
    "UnknownOrgUnitError",
    "load_default_tree",
]

ENV_ORG_UNITS_FILE = "XUEJI_ORG_UNITS_FILE"
MINISTRY_CODE = "000000"
SCHOOL_STAGES = frozenset({"primary", "junior", "senior", "nine_year", "special", "preschool"})
CSV_COLUMNS = ("code", "name", "level", "parent_code", "division_code", "stage")

_SIX_DIGITS = re.compile(r"^\d{6}$")
_TEN_DIGITS = re.compile(r"^\d{10}$")


class OrgLevel(enum.IntEnum):
    MINISTRY = 1
    PROVINCE = 2
    CITY = 3
    COUNTY = 4
    SCHOOL = 5

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def word(self) -> str:
        """The English word used in the CSV file (``"county"``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: Any) -> OrgLevel:
        """Accept an ``OrgLevel``, its number, its English word or its Chinese label."""
        if isinstance(value, OrgLevel):
            return value
        text = str(value).strip()
        if text.isdigit():
            return cls(int(text))
        for level in cls:
            if text.lower() == level.word or text == level.label_zh:
                return level
        raise ValueError(f"unknown level {text!r}")


_LABELS_ZH = {
    OrgLevel.MINISTRY: "教育部",
    OrgLevel.PROVINCE: "省级",
    OrgLevel.CITY: "地市级",
    OrgLevel.COUNTY: "区县级",
    OrgLevel.SCHOOL: "学校",
}


@dataclass(frozen=True)
class OrgUnit:
    code: str
    name: str
    level: OrgLevel
    parent_code: str | None
    division_code: str
    stage: str = ""

    @property
    def is_school(self) -> bool:
        return self.level is OrgLevel.SCHOOL

    @property
    def is_department(self) -> bool:
        return self.level is not OrgLevel.SCHOOL


class OrgUnitError(ValueError):
    """A bad org-unit file or row (``line`` names it), or an unknown unit code."""

    def __init__(self, problem: str, *, line: int | None = None, source: str | None = None):
        self.problem = problem
        self.line = line
        self.source = source
        where = [w for w in (source, None if line is None else f"line {line}") if w]
        super().__init__(": ".join([*where, problem]))


class UnknownOrgUnitError(OrgUnitError, KeyError):
    """Raised by lookups for a code that is not in the tree (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.problem


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


class OrgTree:
    """An immutable, validated org-unit tree. Build it with ``from_csv`` or ``from_rows``."""

    def __init__(self, units: Iterable[OrgUnit]):
        self._units: dict[str, OrgUnit] = {u.code: u for u in units}
        self._children: dict[str, list[str]] = {code: [] for code in self._units}
        self._root: OrgUnit | None = None
        for unit in self._units.values():
            if unit.parent_code is None:
                self._root = unit
            else:
                self._children[unit.parent_code].append(unit.code)
        for codes in self._children.values():
            codes.sort()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str] | Any) -> OrgTree:
        """Read a CSV file (UTF-8, optional BOM). ``path`` may also be an importlib Traversable."""
        source = str(path)
        handle = Path(path).open if isinstance(path, (str, os.PathLike)) else path.open
        with handle("r", encoding="utf-8-sig", newline="") as f:
            text = f.read()
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise OrgUnitError(f"missing column(s): {', '.join(missing)}", line=1, source=source)
        return cls.from_rows(reader, source=source, first_line=2)

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], *, source: str | None = None, first_line: int = 1
    ) -> OrgTree:
        """Build and validate a tree from dicts with the CSV columns; errors name the row's line."""
        units: dict[str, OrgUnit] = {}
        lines: dict[str, int] = {}
        root_line: int | None = None
        for line, row in enumerate(rows, start=first_line):

            def fail(problem: str, _line: int = line) -> OrgUnitError:
                return OrgUnitError(problem, line=_line, source=source)

            code, name = _text(row, "code"), _text(row, "name")
            if not code:
                raise fail("empty code")
            if not name:
                raise fail(f"unit {code}: empty name")
            try:
                level = OrgLevel.parse(_text(row, "level"))
            except ValueError as exc:
                raise fail(f"unit {code}: {exc}") from None
            if code in units:
                raise fail(f"duplicate code {code} (first on line {lines[code]})")
            parent = _text(row, "parent_code") or None
            stage = _text(row, "stage")
            division = _text(row, "division_code")
            if level is OrgLevel.MINISTRY:
                if root_line is not None:
                    raise fail(f"second ministry root {code} (first on line {root_line})")
                if parent is not None:
                    raise fail(f"ministry {code} must have no parent_code")
                root_line = line
            elif parent is None:
                raise fail(f"unit {code}: missing parent_code")
            if level is OrgLevel.SCHOOL:
                if not _TEN_DIGITS.match(code):
                    raise fail(f"school code {code!r} must be 10 digits")
                if stage not in SCHOOL_STAGES:
                    raise fail(f"school {code}: stage {stage!r} not one of {sorted(SCHOOL_STAGES)}")
            else:
                if not _SIX_DIGITS.match(code):
                    raise fail(f"{level.word} code {code!r} must be a 6-digit division code")
                if stage:
                    raise fail(f"{level.word} {code}: stage must be empty for a department")
                division = division or code
                if level is not OrgLevel.MINISTRY and division != code:
                    raise fail(f"{level.word} {code}: division_code {division} differs from its code")
            if division and not _SIX_DIGITS.match(division):
                raise fail(f"unit {code}: division_code {division!r} must be 6 digits")
            units[code] = OrgUnit(code, name, level, parent, division, stage)
            lines[code] = line

        if root_line is None:
            raise OrgUnitError("no ministry root", source=source)
        # Second pass: parents may appear after their children in the file.
        for code, unit in list(units.items()):
            if unit.parent_code is None:
                continue
            line = lines[code]
            parent_unit = units.get(unit.parent_code)
            if parent_unit is None:
                problem: str | None = f"unit {code}: parent {unit.parent_code} does not exist"
            elif parent_unit.level != unit.level - 1:
                problem = (
                    f"{unit.level.word} {code} cannot sit under {parent_unit.level.word}"
                    f" {parent_unit.code} (its parent must be a {OrgLevel(unit.level - 1).word})"
                )
            else:
                problem = _code_problem(unit, parent_unit)
            if problem:
                raise OrgUnitError(problem, line=line, source=source)
            if unit.is_school and not unit.division_code and parent_unit is not None:
                units[code] = OrgUnit(
                    code, unit.name, unit.level, parent_unit.code, parent_unit.code, unit.stage
                )
        return cls(units.values())

    # -- lookups ---------------------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[OrgUnit]:
        return iter(self._units.values())

    @property
    def root(self) -> OrgUnit:
        assert self._root is not None
        return self._root

    def get(self, code: str) -> OrgUnit:
        try:
            return self._units[code]
        except KeyError:
            raise UnknownOrgUnitError(f"unknown org unit {code!r}") from None

    def units(self, level: OrgLevel | None = None) -> list[OrgUnit]:
        """All units (or those of one level), ordered by code."""
        return sorted((u for u in self if level is None or u.level == level), key=lambda u: u.code)

    def children(self, code: str) -> list[OrgUnit]:
        self.get(code)
        return [self._units[c] for c in self._children[code]]

    def ancestors(self, code: str) -> list[OrgUnit]:
        """The units above ``code``, nearest first (parent, grandparent, ..., ministry)."""
        result: list[OrgUnit] = []
        unit = self.get(code)
        while unit.parent_code is not None:
            unit = self._units[unit.parent_code]
            result.append(unit)
        return result

    def descendants(self, code: str, level: OrgLevel | None = None) -> list[OrgUnit]:
        """Every unit below ``code`` (not itself), depth first, optionally only one level."""
        self.get(code)
        result: list[OrgUnit] = []
        stack = list(reversed(self._children[code]))
        while stack:
            unit = self._units[stack.pop()]
            if level is None or unit.level == level:
                result.append(unit)
            stack.extend(reversed(self._children[unit.code]))
        return result

    def is_within(self, unit_code: str, ancestor_code: str) -> bool:
        """True when ``unit_code`` is ``ancestor_code`` or below it; False for unknown codes."""
        if unit_code not in self._units or ancestor_code not in self._units:
            return False
        if unit_code == ancestor_code:
            return True
        return any(a.code == ancestor_code for a in self.ancestors(unit_code))

    def may_act_on(self, actor_unit_code: str, target_unit_code: str) -> bool:
        """Jurisdiction: an actor at unit X may act on X and every unit below it, nothing else."""
        return self.is_within(target_unit_code, actor_unit_code)

    # -- school and department helpers -------------------------------------------------------

    def _up_to(self, code: str, level: OrgLevel) -> OrgUnit | None:
        unit = self.get(code)
        if unit.level < level:
            return None
        while unit.level > level:
            unit = self._units[unit.parent_code]  # type: ignore[index]
        return unit

    def province_of(self, code: str) -> OrgUnit | None:
        """The province containing ``code`` (itself for a province); None for the ministry."""
        return self._up_to(code, OrgLevel.PROVINCE)

    def city_of(self, code: str) -> OrgUnit | None:
        return self._up_to(code, OrgLevel.CITY)

    def county_of(self, code: str) -> OrgUnit | None:
        """The county of a school (its parent) or a county itself; None above county level."""
        return self._up_to(code, OrgLevel.COUNTY)

    def _school(self, school_code: str) -> OrgUnit:
        unit = self.get(school_code)
        if not unit.is_school:
            raise OrgUnitError(f"{unit.code} ({unit.name}) is not a school")
        return unit

    def supervising_department(self, school_code: str) -> OrgUnit:
        """A school's supervising department (学校主管教育部门): its county."""
        return self._units[self._school(school_code).parent_code]  # type: ignore[index]

    def chain_above(self, school_code: str) -> list[OrgUnit]:
        """The departments above a school up to its province: [county, city, province]."""
        self._school(school_code)
        return [u for u in self.ancestors(school_code) if u.level >= OrgLevel.PROVINCE]

    def schools_in(self, code: str) -> list[OrgUnit]:
        """Every school below a department (empty for a school itself)."""
        return self.descendants(code, OrgLevel.SCHOOL)


def _code_problem(unit: OrgUnit, parent: OrgUnit) -> str | None:
    """Division-code consistency of a unit with its parent; None when fine."""
    code, level = unit.code, unit.level
    if level is OrgLevel.PROVINCE:
        if code[2:] != "0000" or code == MINISTRY_CODE:
            return f"province code {code} must look like NN0000"
    elif level is OrgLevel.CITY:
        if code[4:] != "00" or code[2:4] == "00" or code[:2] != parent.code[:2]:
            return f"city code {code} must be {parent.code[:2]}NN00 under province {parent.code}"
    elif level is OrgLevel.COUNTY:
        if code[4:] == "00" or code[:4] != parent.code[:4]:
            return f"county code {code} must be {parent.code[:4]}NN under city {parent.code}"
    elif level is OrgLevel.SCHOOL:
        if unit.division_code and unit.division_code != parent.division_code:
            return (
                f"school {code}: division_code {unit.division_code} differs from its county's"
                f" {parent.division_code}"
            )
    return None


def load_default_tree() -> OrgTree:
    """The tree from ``$XUEJI_ORG_UNITS_FILE``, else the packaged demo jurisdiction."""
    path = os.environ.get(ENV_ORG_UNITS_FILE, "").strip()
    if path:
        return OrgTree.from_csv(path)
    return OrgTree.from_csv(resources.files("xueji_common.data").joinpath("org_units_demo.csv"))
