"""Shared vocabulary of the domain that is not about documents (see documents/ for those)."""

from __future__ import annotations

import enum


class RegistrationKind(str, enum.Enum):
    PRIMARY_FRESHMAN = "primary_freshman"  # 小学新生注册
    NON_PRIMARY_FRESHMAN = "non_primary_freshman"  # 非小学新生注册

    @property
    def label_zh(self) -> str:
        return "小学新生注册" if self is RegistrationKind.PRIMARY_FRESHMAN else "非小学新生注册"

    def to_proto(self) -> int:
        return 1 if self is RegistrationKind.PRIMARY_FRESHMAN else 2

    @classmethod
    def from_proto(cls, value: int) -> RegistrationKind:
        try:
            return {1: cls.PRIMARY_FRESHMAN, 2: cls.NON_PRIMARY_FRESHMAN}[value]
        except KeyError:
            raise ValueError(f"unknown registration kind {value}") from None
