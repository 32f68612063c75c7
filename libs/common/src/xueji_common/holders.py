"""Who holds a document number, in the words a registrar reads: one wording for every refusal.

A registration at entry (registration's own store), a province dedup check and the national dedup
tier all refuse a number held elsewhere; each names the holder the same way: whether it is a
student record (学籍) or a live registration application (学籍注册申请), its school and province, and
the number masked (xueji_common.documents.mask_document_number), e.g.
该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用（330***********1234）.
"""

from __future__ import annotations

from xueji_common.documents import mask_document_number
from xueji_common.orgunits import OrgTree


def describe_school(tree: OrgTree, school_code: str, province_code: str = "") -> str:
    """浙江省杭州市上城区胜利小学; a school outside this tree: its province and code."""
    if school_code in tree:
        name = tree.get(school_code).name
        above = [u.name for u in reversed(tree.ancestors(school_code)) if u.level > 1 and u.name not in name]
        return "".join(above) + name
    province = tree.get(province_code).name if province_code in tree else f"省份{province_code}"
    return f"{province}学校（学校标识码 {school_code}）"


def held_reason(by_record: bool, place: str, masked_number: str) -> str:
    """The refusal of a number held by a record or by another application at `place`."""
    if by_record:
        return f"该身份证件号已被{place}的学籍使用（{masked_number}）"
    return f"该身份证件号已被{place}的学籍注册申请占用（{masked_number}）"


def held_reason_for(tree: OrgTree, by_record: bool, school_code: str, province_code: str, number: str) -> str:
    """`held_reason` from the holder's school and the number in clear (masked here)."""
    return held_reason(
        by_record, describe_school(tree, school_code, province_code), mask_document_number(number)
    )
