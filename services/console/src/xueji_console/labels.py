"""The manual's words for the contracts' enum values, as the pages show them."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r
from xueji.v1 import review_pb2 as v

KIND = {c.REGISTRATION_KIND_PRIMARY_FRESHMAN: "小学新生", c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN: "非小学新生"}
CATEGORY = {c.DOCUMENT_CATEGORY_RESIDENT: "居民身份证", c.DOCUMENT_CATEGORY_HMT_FOREIGN: "港澳台和外籍",
            c.DOCUMENT_CATEGORY_NO_DOCUMENT: "无证件"}
GENDER = {c.GENDER_MALE: "男", c.GENDER_FEMALE: "女"}
AUTHENTICATION = {
    c.AUTHENTICATION_STATUS_NOT_AUTHENTICATED: "未查重认证", c.AUTHENTICATION_STATUS_IN_PROGRESS: "认证中",
    c.AUTHENTICATION_STATUS_PASSED: "认证通过", c.AUTHENTICATION_STATUS_FAILED: "认证失败",
    c.AUTHENTICATION_STATUS_NOT_REQUIRED: "无需认证"}
APPLICATION_STATE = {
    r.APPLICATION_STATE_SUBMITTED: "已提交", r.APPLICATION_STATE_AWAITING_DEDUP: "待查重",
    r.APPLICATION_STATE_DEDUP_FAILED: "查重不通过", r.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW: "待学校审核",
    r.APPLICATION_STATE_AWAITING_REPORT: "学校审核通过，待上报",
    r.APPLICATION_STATE_AWAITING_COUNTY_REVIEW: "待区县教育部门审核",
    r.APPLICATION_STATE_AWAITING_CITY_REVIEW: "待地市教育部门审核",
    r.APPLICATION_STATE_AWAITING_PROVINCE_REVIEW: "待省级教育部门审核",
    r.APPLICATION_STATE_RETURNED: "审核不通过，已退回", r.APPLICATION_STATE_APPROVED: "注册完成",
    r.APPLICATION_STATE_WITHDRAWN: "已撤销"}
CASE_EVENT = {
    v.CASE_EVENT_TYPE_SUBMITTED: "提交", v.CASE_EVENT_TYPE_DEDUP_PASSED: "查重认证通过",
    v.CASE_EVENT_TYPE_DEDUP_FAILED: "查重认证不通过", v.CASE_EVENT_TYPE_APPROVED: "审核通过",
    v.CASE_EVENT_TYPE_REJECTED: "审核不通过", v.CASE_EVENT_TYPE_REPORTED: "上报", v.CASE_EVENT_TYPE_WITHDRAWN: "撤销"}
LEVEL = {c.ORG_UNIT_LEVEL_MINISTRY: "教育部", c.ORG_UNIT_LEVEL_PROVINCE: "省级", c.ORG_UNIT_LEVEL_CITY: "地市级",
         c.ORG_UNIT_LEVEL_COUNTY: "区县级", c.ORG_UNIT_LEVEL_SCHOOL: "学校"}
ROLE = {c.ROLE_SCHOOL_REGISTRAR: "学校学籍管理员", c.ROLE_SCHOOL_LEADER: "学校学籍主管领导",
        c.ROLE_DEPARTMENT_REGISTRAR: "教育部门学籍管理员", c.ROLE_USER_ADMIN: "用户管理员"}


BEIJING = dt.timezone(dt.timedelta(hours=8))


def _date(value) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value and value.year else ""


def _time(value) -> str:
    if not value or not value.seconds:
        return ""
    return value.ToDatetime(tzinfo=dt.UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _query_without(query: dict, key: str) -> str:
    return urlencode([(k, v) for k, v in query.items() if k != key and v])


def filters() -> dict:
    """For the templates: `{{ app.state | label('APPLICATION_STATE') }}`, `| date`, `| time`."""
    return {"label": lambda value, table: globals()[table].get(value, ""), "date": _date, "time": _time,
            "urlencode_without": _query_without}
