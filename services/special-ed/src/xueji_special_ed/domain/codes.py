"""Code tables of special education (docs/DOMAIN.md#code-tables): 残疾人类型, 随班就读, 残疾证明类型,
残疾程度.

Values are stored as short English words; the order of each enum is the proto's (number = index + 1).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Self


class _Coded(str, enum.Enum):
    @property
    def label_zh(self) -> str:
        return self._labels()[self]

    def to_proto(self) -> int:
        return list(type(self)).index(self) + 1

    @classmethod
    def from_proto(cls, value: int) -> Self | None:
        """The member of a proto number; None for 0 (unspecified) or an unknown number."""
        return list(cls)[value - 1] if 1 <= value <= len(cls) else None

    @classmethod
    def _labels(cls) -> Mapping[Self, str]:
        raise NotImplementedError


class DisabilityType(_Coded):
    NONE = "none"  # 无残疾
    VISUAL = "visual"  # 视力残疾
    HEARING = "hearing"  # 听力残疾
    SPEECH = "speech"  # 言语残疾
    PHYSICAL = "physical"  # 肢体残疾
    INTELLECTUAL = "intellectual"  # 智力残疾
    MENTAL = "mental"  # 精神残疾
    MULTIPLE = "multiple"  # 多重残疾
    OTHER = "other"  # 其他残疾

    @classmethod
    def _labels(cls) -> Mapping[Self, str]:
        return _DISABILITY_LABELS

    @classmethod
    def parse(cls, text: str) -> DisabilityType | None:
        """The student record's 残疾人类型 as the record events carry it: a Chinese label (视力残疾 or
        视力), a code word, a proto name or number. None when empty or unknown."""
        text = (text or "").strip()
        for member in cls:
            label = _DISABILITY_LABELS[member]
            if text in (
                member.value,
                member.name,
                f"DISABILITY_TYPE_{member.name}",
                label,
                label.removesuffix("残疾"),
                str(member.to_proto()),
            ):
                return member
        return None


_DISABILITY_LABELS = {
    DisabilityType.NONE: "无残疾",
    DisabilityType.VISUAL: "视力残疾",
    DisabilityType.HEARING: "听力残疾",
    DisabilityType.SPEECH: "言语残疾",
    DisabilityType.PHYSICAL: "肢体残疾",
    DisabilityType.INTELLECTUAL: "智力残疾",
    DisabilityType.MENTAL: "精神残疾",
    DisabilityType.MULTIPLE: "多重残疾",
    DisabilityType.OTHER: "其他残疾",
}


class InclusiveEducation(_Coded):
    NONE = "none"  # 非随班就读
    VISUAL = "visual"  # 视力残疾随班就读
    HEARING = "hearing"  # 听力残疾随班就读
    INTELLECTUAL = "intellectual"  # 智力残疾随班就读
    OTHER = "other"  # 其他残疾随班就读

    @classmethod
    def _labels(cls) -> Mapping[Self, str]:
        return {
            InclusiveEducation.NONE: "非随班就读",
            InclusiveEducation.VISUAL: "视力残疾随班就读",
            InclusiveEducation.HEARING: "听力残疾随班就读",
            InclusiveEducation.INTELLECTUAL: "智力残疾随班就读",
            InclusiveEducation.OTHER: "其他残疾随班就读",
        }


class ProofType(_Coded):
    CERTIFICATE = "certificate"  # 残疾证
    HOSPITAL_PROOF = "hospital_proof"  # 医院残疾证明
    OBVIOUS_SYMPTOMS = "obvious_symptoms"  # 有明显残疾症状
    OTHER = "other"  # 其他

    @classmethod
    def _labels(cls) -> Mapping[Self, str]:
        return {
            ProofType.CERTIFICATE: "残疾证",
            ProofType.HOSPITAL_PROOF: "医院残疾证明",
            ProofType.OBVIOUS_SYMPTOMS: "有明显残疾症状",
            ProofType.OTHER: "其他",
        }


class Degree(_Coded):
    GRADE_1 = "grade_1"  # 一级 (极重度)
    GRADE_2 = "grade_2"  # 二级 (重度)
    GRADE_3 = "grade_3"  # 三级 (中度)
    GRADE_4 = "grade_4"  # 四级 (轻度)

    @classmethod
    def _labels(cls) -> Mapping[Self, str]:
        return {
            Degree.GRADE_1: "一级",
            Degree.GRADE_2: "二级",
            Degree.GRADE_3: "三级",
            Degree.GRADE_4: "四级",
        }


# 随班就读 must match the disability (docs/DOMAIN.md#code-tables): the visual, hearing and intellectual
# kinds only their own type; 其他残疾随班就读 the types without a kind of their own.
INCLUSIVE_FITS = {
    InclusiveEducation.VISUAL: {DisabilityType.VISUAL},
    InclusiveEducation.HEARING: {DisabilityType.HEARING},
    InclusiveEducation.INTELLECTUAL: {DisabilityType.INTELLECTUAL},
    InclusiveEducation.OTHER: {
        DisabilityType.SPEECH,
        DisabilityType.PHYSICAL,
        DisabilityType.MENTAL,
        DisabilityType.MULTIPLE,
        DisabilityType.OTHER,
    },
}
