"""Codes of the national read model: school stages, enrolment statuses, provinces.

Stored as short English words; the Chinese labels are those of the manual (chapter 16) and of the
national code tables, so that a bulk-load file may use either.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from xueji_common.vocabulary import PROVINCES  # GB/T 2260, shared with the problem-group list

__all__ = ["PROVINCES", "EnrolmentStatus", "Stage", "province_name"]

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


def province_name(code: str) -> str:
    return PROVINCES.get(code, "")
