"""Who may do what with the applications and records of a school (role and jurisdiction), checked
with xueji_common.authz."""

from __future__ import annotations

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize, require_jurisdiction
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.masking import sees_full_numbers
from xueji_common.orgunits import OrgLevel, OrgTree

READERS = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)
_AREA_COLUMN = {
    OrgLevel.SCHOOL: "school_code",
    OrgLevel.COUNTY: "county_code",
    OrgLevel.CITY: "city_code",
    OrgLevel.PROVINCE: "province_code",
    OrgLevel.MINISTRY: "",
}


def require_school_registrar(principal: Principal, tree: OrgTree, school_code: str) -> None:
    """Entry, correction, withdrawal and uploads: the registrar of that very school."""
    authorize(
        principal,
        (Role.SCHOOL_REGISTRAR,),
        tree=tree,
        unit=school_code,
        refusal="只有学校学籍管理员可以录入、修改、撤销注册申请或上传材料",
    )


def require_reader(principal: Principal, tree: OrgTree, school_code: str) -> None:
    authorize(principal, READERS, tree=tree, unit=school_code, refusal="当前角色无权查看学籍注册信息")


def sees_numbers(principal: Principal, school_code: str) -> bool:
    """Full document and student numbers: the masking policy's (docs/MASKING.md)."""
    return sees_full_numbers(principal, school_code)


def area(principal: Principal, tree: OrgTree, unit_code: str) -> tuple[str, str]:
    """(column, code) bounding a list to `unit_code` (default: the caller's unit), within jurisdiction.
    Only the ministry's level is unbounded; an empty unit never means "everything"."""
    authorize(principal, READERS, refusal="当前角色无权查看学籍注册信息")
    unit_code = unit_code or principal.org_unit
    if not unit_code or unit_code not in tree:
        raise InvalidArgument(FieldViolation("org_unit_code", "单位代码不存在"))
    require_jurisdiction(tree, principal, unit_code)
    column = _AREA_COLUMN[tree.get(unit_code).level]
    return column, unit_code if column else ""


def regions(tree: OrgTree, school_code: str) -> dict[str, str]:
    """The departments above a school, as stored with its applications and records."""
    units = (tree.county_of(school_code), tree.city_of(school_code), tree.province_of(school_code))
    return {
        key: unit.code if unit else ""
        for key, unit in zip(("county_code", "city_code", "province_code"), units)
    }
