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


# GB/T 2260 province-level divisions (所在省份): the national lookup shows the province by name, the
# problem-group list filters by it, the console offers them to choose from.
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
