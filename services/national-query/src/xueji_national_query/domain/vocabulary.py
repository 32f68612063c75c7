"""Codes of the national read model: school stages, enrolment statuses, provinces.

Stored as short English words; the Chinese labels are those of the manual (chapter 16) and of the
national code tables, so that a bulk-load file may use either.
"""

from __future__ import annotations

import enum
from typing import TypeVar

_Code = TypeVar("_Code", bound=enum.Enum)


class Stage(str, enum.Enum):
    PRESCHOOL = "preschool"  # 学前
    PRIMARY = "primary"  # 小学
    JUNIOR_SECONDARY = "junior_secondary"  # 初中
    SENIOR_SECONDARY = "senior_secondary"  # 高中
    SPECIAL = "special"  # 特殊教育

    @property
    def label_zh(self) -> str:
        return _STAGE_LABELS[self]

    def to_proto(self) -> int:
        return list(Stage).index(self) + 1

    @classmethod
    def from_proto(cls, value: int) -> Stage:
        if not 1 <= value <= len(cls):
            raise ValueError(f"unknown school stage {value}")
        members: list[Stage] = list(cls)
        return members[value - 1]

    @classmethod
    def parse(cls, text: str) -> Stage:
        """A code ("primary"), the proto number ("2") or the Chinese label ("小学")."""
        return _parse(cls, _STAGE_LABELS, text)


_STAGE_LABELS = {
    Stage.PRESCHOOL: "学前",
    Stage.PRIMARY: "小学",
    Stage.JUNIOR_SECONDARY: "初中",
    Stage.SENIOR_SECONDARY: "高中",
    Stage.SPECIAL: "特殊教育",
}


class EnrolmentStatus(str, enum.Enum):
    ENROLLED = "enrolled"  # 在读
    LEFT = "left"  # 离校
    GRADUATED = "graduated"  # 毕业

    @property
    def label_zh(self) -> str:
        return _STATUS_LABELS[self]

    def to_proto(self) -> int:
        return list(EnrolmentStatus).index(self) + 1

    @classmethod
    def from_proto(cls, value: int) -> EnrolmentStatus:
        if not 1 <= value <= len(cls):
            raise ValueError(f"unknown enrolment status {value}")
        members: list[EnrolmentStatus] = list(cls)
        return members[value - 1]

    @classmethod
    def parse(cls, text: str) -> EnrolmentStatus:
        return _parse(cls, _STATUS_LABELS, text)


_STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: "在读",
    EnrolmentStatus.LEFT: "离校",
    EnrolmentStatus.GRADUATED: "毕业",
}


def _parse(cls: type[_Code], labels: dict[_Code, str], text: str) -> _Code:
    text = (text or "").strip()
    for number, member in enumerate(cls, start=1):
        if text in (member.value, labels[member], str(number)):
            return member
    raise ValueError(text)


# GB/T 2260 province-level divisions: the national lookup shows the province by name (所在省份).
PROVINCES = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "660000": "新疆生产建设兵团",
}


def province_name(code: str) -> str:
    return PROVINCES.get(code, "")
