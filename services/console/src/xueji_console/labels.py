"""The manual's words for the contracts' enum values, as the pages show them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from xueji.v1 import accounts_pb2 as a
from xueji.v1 import common_pb2 as c
from xueji.v1 import dedup_pb2 as d
from xueji.v1 import events_pb2 as e
from xueji.v1 import registration_pb2 as r
from xueji.v1 import review_pb2 as v
from xueji.v1 import special_ed_pb2 as s
from xueji_common.vocabulary import PROVINCES

KIND = {
    c.REGISTRATION_KIND_PRIMARY_FRESHMAN: "小学新生",
    c.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN: "非小学新生",
}
CATEGORY = {
    c.DOCUMENT_CATEGORY_RESIDENT: "居民身份证",
    c.DOCUMENT_CATEGORY_HMT_FOREIGN: "港澳台和外籍",
    c.DOCUMENT_CATEGORY_NO_DOCUMENT: "无证件",
}
# 所在省份: the GB/T 2260 province codes the services take (ListProblemGroupsRequest.province_code).
PROVINCE = PROVINCES
GENDER = {c.GENDER_MALE: "男", c.GENDER_FEMALE: "女"}
AUTHENTICATION = {
    c.AUTHENTICATION_STATUS_NOT_AUTHENTICATED: "未查重认证",
    c.AUTHENTICATION_STATUS_IN_PROGRESS: "认证中",
    c.AUTHENTICATION_STATUS_PASSED: "认证通过",
    c.AUTHENTICATION_STATUS_FAILED: "认证失败",
    c.AUTHENTICATION_STATUS_NOT_REQUIRED: "无需认证",
}
APPLICATION_STATE = {
    r.APPLICATION_STATE_SUBMITTED: "已提交",
    r.APPLICATION_STATE_AWAITING_DEDUP: "待查重",
    r.APPLICATION_STATE_DEDUP_FAILED: "查重不通过",
    r.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW: "待学校审核",
    r.APPLICATION_STATE_AWAITING_REPORT: "学校审核通过，待上报",
    r.APPLICATION_STATE_AWAITING_COUNTY_REVIEW: "待区县教育部门审核",
    r.APPLICATION_STATE_AWAITING_CITY_REVIEW: "待地市教育部门审核",
    r.APPLICATION_STATE_AWAITING_PROVINCE_REVIEW: "待省级教育部门审核",
    r.APPLICATION_STATE_RETURNED: "审核不通过，已退回",
    r.APPLICATION_STATE_APPROVED: "注册完成",
    r.APPLICATION_STATE_WITHDRAWN: "已撤销",
}
CASE_EVENT = {
    v.CASE_EVENT_TYPE_SUBMITTED: "提交",
    v.CASE_EVENT_TYPE_DEDUP_PASSED: "查重认证通过",
    v.CASE_EVENT_TYPE_DEDUP_FAILED: "查重认证不通过",
    v.CASE_EVENT_TYPE_APPROVED: "审核通过",
    v.CASE_EVENT_TYPE_REJECTED: "审核不通过",
    v.CASE_EVENT_TYPE_REPORTED: "上报",
    v.CASE_EVENT_TYPE_WITHDRAWN: "撤销",
}
LEVEL = {
    c.ORG_UNIT_LEVEL_MINISTRY: "教育部",
    c.ORG_UNIT_LEVEL_PROVINCE: "省级",
    c.ORG_UNIT_LEVEL_CITY: "地市级",
    c.ORG_UNIT_LEVEL_COUNTY: "区县级",
    c.ORG_UNIT_LEVEL_SCHOOL: "学校",
}
ROLE = {
    c.ROLE_SCHOOL_REGISTRAR: "学校学籍管理员",
    c.ROLE_SCHOOL_LEADER: "学校学籍主管领导",
    c.ROLE_DEPARTMENT_REGISTRAR: "教育部门学籍管理员",
    c.ROLE_USER_ADMIN: "用户管理员",
}


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
    return {
        "label": lambda value, table: globals()[table].get(value, ""),
        "date": _date,
        "time": _time,
        "urlencode_without": _query_without,
    }


# 用户管理 (accounts.proto).
USER_STATE = {a.USER_STATE_ACTIVE: "正常", a.USER_STATE_LOCKED: "锁定", a.USER_STATE_DISABLED: "停用"}
# Outcomes of the sign-in audit (the accounts service's codes).
SIGN_IN_OUTCOME = {
    "succeeded": "登录成功",
    "bad_password": "密码错误",
    "unknown_login": "用户名不存在",
    "locked": "账号已锁定",
    "disabled": "账号已停用",
    "must_change_password": "须修改密码",
    "password_changed": "已修改密码",
    "bad_password_locked": "密码错误（账号已锁定）",
    "bad_password_disabled": "密码错误（账号已停用）",
}

# 问题学籍 (dedup.proto, events.proto).
PROBLEM_KIND = {
    e.PROBLEM_KIND_AUTHENTICATION_FAILED: "身份证件号认证不通过",
    e.PROBLEM_KIND_SHARED_DOCUMENT: "一人多籍",
    e.PROBLEM_KIND_NO_DOCUMENT_DUPLICATE: "无证件学生姓名性别出生日期相同",
    e.PROBLEM_KIND_DOCUMENT_CHANGED: "证件号变更",
}
PROBLEM_STATUS = {
    d.PROBLEM_GROUP_STATUS_PENDING: "待处理",
    d.PROBLEM_GROUP_STATUS_IN_PROGRESS: "处理中",
    d.PROBLEM_GROUP_STATUS_RESOLVED: "已处理",
}
PROBLEM_STUDENT_STATUS = {
    d.PROBLEM_STUDENT_STATUS_PENDING: "待处理",
    d.PROBLEM_STUDENT_STATUS_CORROBORATED: "已佐证",
    d.PROBLEM_STUDENT_STATUS_REAUTHENTICATING: "已修正，认证中",
    d.PROBLEM_STUDENT_STATUS_CORRECTED: "已修正，认证通过",
    d.PROBLEM_STUDENT_STATUS_CORRECTION_FAILED: "已修正，认证失败",
    d.PROBLEM_STUDENT_STATUS_DELETED: "已删除",
}
PROBLEM_RESOLUTION = {
    e.PROBLEM_RESOLUTION_CORROBORATE: "佐证",
    e.PROBLEM_RESOLUTION_CORRECT: "修正",
    e.PROBLEM_RESOLUTION_DELETE: "删除",
    e.PROBLEM_RESOLUTION_REFRESHED: "信息更新",  # the record's key data changed in its province
}

# 全国学籍查询 (events.proto).
STAGE = {
    e.SCHOOL_STAGE_PRESCHOOL: "学前",
    e.SCHOOL_STAGE_PRIMARY: "小学",
    e.SCHOOL_STAGE_JUNIOR_SECONDARY: "初中",
    e.SCHOOL_STAGE_SENIOR_SECONDARY: "高中",
    e.SCHOOL_STAGE_SPECIAL: "特殊教育",
}
ENROLMENT = {
    e.ENROLMENT_STATUS_ENROLLED: "在读",
    e.ENROLMENT_STATUS_LEFT: "离校",
    e.ENROLMENT_STATUS_GRADUATED: "毕业",
}

# 特教学生信息 (common.proto, special_ed.proto).
DISABILITY = {
    c.DISABILITY_TYPE_VISUAL: "视力残疾",
    c.DISABILITY_TYPE_HEARING: "听力残疾",
    c.DISABILITY_TYPE_SPEECH: "言语残疾",
    c.DISABILITY_TYPE_PHYSICAL: "肢体残疾",
    c.DISABILITY_TYPE_INTELLECTUAL: "智力残疾",
    c.DISABILITY_TYPE_MENTAL: "精神残疾",
    c.DISABILITY_TYPE_MULTIPLE: "多重残疾",
    c.DISABILITY_TYPE_OTHER: "其他残疾",
}
INCLUSIVE = {
    c.INCLUSIVE_EDUCATION_NONE: "非随班就读",
    c.INCLUSIVE_EDUCATION_VISUAL: "视力残疾随班就读",
    c.INCLUSIVE_EDUCATION_HEARING: "听力残疾随班就读",
    c.INCLUSIVE_EDUCATION_INTELLECTUAL: "智力残疾随班就读",
    c.INCLUSIVE_EDUCATION_OTHER: "其他残疾随班就读",
}
PROOF_TYPE = {
    s.DISABILITY_PROOF_TYPE_CERTIFICATE: "残疾证",
    s.DISABILITY_PROOF_TYPE_HOSPITAL_PROOF: "医院残疾证明",
    s.DISABILITY_PROOF_TYPE_OBVIOUS_SYMPTOMS: "有明显残疾症状",
    s.DISABILITY_PROOF_TYPE_OTHER: "其他",
}
DEGREE = {
    s.DISABILITY_DEGREE_GRADE_1: "一级",
    s.DISABILITY_DEGREE_GRADE_2: "二级",
    s.DISABILITY_DEGREE_GRADE_3: "三级",
    s.DISABILITY_DEGREE_GRADE_4: "四级",
}
