"""Which provinces an embedded system runs: `xueji serve --provinces zj,js`.

A province is named by its short key (the ISO 3166-2:CN letters, lower case: zj 浙江, js 江苏...) or
by its division code (330000). The default is every province of the org tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from xueji_common.orgunits import OrgLevel, OrgTree

# ISO 3166-2:CN subdivision letters by the first two digits of the GB/T 2260 division code.
KEYS = {
    "11": "bj",
    "12": "tj",
    "13": "he",
    "14": "sx",
    "15": "nm",
    "21": "ln",
    "22": "jl",
    "23": "hl",
    "31": "sh",
    "32": "js",
    "33": "zj",
    "34": "ah",
    "35": "fj",
    "36": "jx",
    "37": "sd",
    "41": "ha",
    "42": "hb",
    "43": "hn",
    "44": "gd",
    "45": "gx",
    "46": "hi",
    "50": "cq",
    "51": "sc",
    "52": "gz",
    "53": "yn",
    "54": "xz",
    "61": "sn",
    "62": "gs",
    "63": "qh",
    "64": "nx",
    "65": "xj",
    "71": "tw",
    "81": "hk",
    "82": "mo",
}


class ProvinceChoiceError(ValueError):
    """A name in --provinces is not a province of the org tree (the message says which)."""


@dataclass(frozen=True)
class ProvinceChoice:
    key: str  # "zj": its data directory's name
    code: str  # "330000"
    name: str  # "浙江省"


def province_key(code: str) -> str:
    return KEYS.get(code[:2], code)


def choose(tree: OrgTree, names: str | list[str] | None = None) -> list[ProvinceChoice]:
    """The provinces named (keys or codes, comma separated), in the order given; all when none."""
    every = [ProvinceChoice(province_key(u.code), u.code, u.name) for u in tree.units(OrgLevel.PROVINCE)]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    wanted = [n.lower() for n in names or [] if n]
    if not wanted:
        return every
    out = []
    for name in dict.fromkeys(wanted):
        found = [p for p in every if name in (p.key, p.code)]
        if not found:
            known = ", ".join(f"{p.key} ({p.code} {p.name})" for p in every)
            raise ProvinceChoiceError(f"unknown province {name!r}; the org tree has: {known}")
        out += found
    return out
