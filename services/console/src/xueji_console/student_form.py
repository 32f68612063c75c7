"""学生基本信息 as a page form: the inputs of StudentRecordForm (manual entry, chapters 6.3 and 7, and
学前档案信息补录, chapter 5) and the posted form back into the message.

Each input is named by its request field path ("student.document.number"), the path the services
name in their field violations, so a refusal lands next to its input. What is required, which codes
are valid and whether the document fits the entry is decided by the registration service; this
module only lays the form out (★ marks what the manual's form marks) and reads what was typed.

Code-table fields (民族, 健康状况, 关系...) are drop-downs of the service's tables
(Registrations.ListCodeTables, through `code_tables`): `sections(category, tables)`. Without the
tables (reading a posted form needs only the paths) they are text inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from google.protobuf import json_format

from xueji.v1 import common_pb2 as c
from xueji.v1 import registration_pb2 as r

YES_NO = (("true", "是"), ("false", "否"))
GENDER = (("GENDER_MALE", "男"), ("GENDER_FEMALE", "女"))
DOCUMENT_TYPES = {
    c.DOCUMENT_CATEGORY_RESIDENT: (("DOCUMENT_TYPE_RESIDENT_ID", "居民身份证"),),
    c.DOCUMENT_CATEGORY_HMT_FOREIGN: (
        ("DOCUMENT_TYPE_HK_PERMIT", "香港特区护照/身份证明"),
        ("DOCUMENT_TYPE_MACAO_PERMIT", "澳门特区护照/身份证明"),
        ("DOCUMENT_TYPE_TAIWAN_PERMIT", "台湾居民来往大陆通行证"),
        ("DOCUMENT_TYPE_FOREIGN_PERMANENT_RESIDENCE", "境外永久居住证"),
        ("DOCUMENT_TYPE_PASSPORT", "护照"),
    ),
    c.DOCUMENT_CATEGORY_NO_DOCUMENT: (("DOCUMENT_TYPE_OTHER", "其他"),),
}
MEMBER_DOCUMENT_TYPES = tuple(t for types in DOCUMENT_TYPES.values() for t in types)


@dataclass(frozen=True)
class Input:
    path: str  # field path under the request, e.g. "student.document.number"
    label: str
    kind: str = "text"  # text | select | date | bool | number | code (a code table's, see coded)
    options: tuple = ()
    required: bool = False  # ★ as the manual's form shows it
    hint: str = ""

    @property
    def id(self) -> str:
        return self.path.replace(".", "-").replace("[", "-").replace("]", "")


def _s(field: str, label: str, kind: str = "text", options=(), required=False, hint="") -> Input:
    return Input(f"student.{field}", label, kind, tuple(options), required, hint)


def identity(category: int) -> list[Input]:
    return [
        _s("name", "姓名", required=True),
        _s("document.type", "身份证件类型", "code", DOCUMENT_TYPES[category], required=True),
        _s(
            "document.number",
            "身份证件号",
            required=category != c.DOCUMENT_CATEGORY_NO_DOCUMENT,
            hint="居民身份证：性别和出生日期由证件号自动生成"
            if category == c.DOCUMENT_CATEGORY_RESIDENT
            else "",
        ),
        _s("gender", "性别", "code", GENDER, required=True),
        _s("birth_date", "出生日期", "date", required=True),
    ]


def table_key(path: str) -> str:
    """The code-table field of an input's path under its request field ("student." of a record
    form, "identity." of 学前调档): "student.family_members[1].relationship_code" ->
    "family_members.relationship_code" (ListCodeTables names every member's field so)."""
    return re.sub(r"\[\d+\]", "", path.split(".", 1)[1])


def coded(i: Input, tables: Mapping[str, tuple] | None) -> Input:
    """A code-table input as a drop-down of the service's table. Inputs with options of their own
    (身份证件类型 of a category, 性别) keep that choice of values, named as the table names them.
    Without tables: a text input, or the input's own options."""
    if i.kind != "code":
        return i
    table = (tables or {}).get(table_key(i.path))
    if table is None:
        return replace(i, kind="select" if i.options else "text")
    if i.options:
        allowed = {v for v, _ in i.options}
        table = tuple(o for o in table if o[0] in allowed)
    return replace(i, kind="select", options=tuple(table))


def sections(category: int, tables: Mapping[str, tuple] | None = None) -> list[tuple[str, list[Input]]]:
    """The form's sections in the manual's order (身份信息, 辅助信息, 学籍信息, 联系信息, 扩展信息, 家庭成员);
    code-table fields as drop-downs of `tables` (field -> options, `code_tables.options_by_field`)."""
    return [(title, [coded(i, tables) for i in inputs]) for title, inputs in _sections(category)]


def _sections(category: int) -> list[tuple[str, list[Input]]]:

    def member(n: int) -> list[Input]:
        """The inputs of family member n (1, 2); ★ on the first: at least one member is asked for."""
        return [
            Input(
                f"student.family_members[{n - 1}].{f}",
                f"家庭成员{n}{label}",
                kind,
                tuple(options),
                req and n == 1,
            )
            for f, label, kind, options, req in (
                ("name", "姓名", "text", (), True),
                ("relationship_code", "关系", "code", (), True),
                ("document.type", "身份证件类型", "code", MEMBER_DOCUMENT_TYPES, False),
                ("document.number", "身份证件号", "text", (), False),
                ("phone", "联系电话", "text", (), False),
                ("guardian", "是否监护人", "bool", YES_NO, False),
            )
        ]

    return [
        (
            "身份信息",
            [
                *identity(category),
                _s("birthplace_code", "出生地", required=True, hint="6位行政区划代码，如 330102"),
                _s("native_place_code", "籍贯", required=True, hint="6位行政区划代码"),
                _s("ethnicity_code", "民族", "code", required=True),
                _s("nationality_code", "国籍/地区", "code", required=True),
                _s("overseas_chinese_code", "港澳台侨外", "code", required=True),
                _s("political_status_code", "政治面貌", "code"),
                _s("health_status", "健康状况", "code", required=True),
            ],
        ),
        (
            "辅助信息",
            [
                _s("name_pinyin", "姓名拼音"),
                _s("former_name", "曾用名"),
                _s("household_registration_code", "户口所在地", required=True, hint="6位行政区划代码"),
                _s("household_type_code", "户口性质", "code", required=True),
                _s("document_valid_from", "身份证件有效期开始日期", "date"),
                _s("document_valid_until", "身份证件有效期截止日期", "date", hint="不填表示长期有效"),
                _s("specialty", "特长"),
            ],
        ),
        (
            "学籍信息",
            [
                _s("grade", "年级", "code", required=True),
                _s("class_name", "班级", required=True),
                _s("class_student_number", "班内学号"),
                _s("auxiliary_student_number", "学籍辅号"),
                _s("student_source_code", "学生来源", "code"),
                _s("admission_year_month", "入学年月", required=True, hint="YYYYMM，如 202609"),
                _s("admission_method", "入学方式", "code", required=True),
                _s("attendance_mode", "就读方式", "code", required=True),
            ],
        ),
        (
            "联系信息",
            [
                _s("current_address", "现住址", required=True),
                _s("mailing_address", "通信地址", required=True),
                _s("home_address", "家庭地址", required=True),
                _s("phone", "联系电话", required=True),
                _s("postal_code", "邮政编码", required=True),
                _s("email", "电子信箱"),
                _s("homepage", "主页地址"),
            ],
        ),
        (
            "扩展信息",
            [
                _s("only_child", "是否独生子女", "bool", YES_NO, required=True),
                _s("preschool_educated", "是否受过学前教育", "bool", YES_NO, required=True),
                _s("left_behind", "是否留守儿童", "code"),
                _s("migrant_worker_child", "是否进城务工人员随迁子女", "bool", YES_NO),
                _s("orphan", "是否孤儿", "bool", YES_NO),
                _s("martyr_or_entitled_child", "是否烈士或优抚子女", "bool", YES_NO),
                _s("disability_type", "残疾人类型", "code"),
                _s("inclusive_education", "随班就读", "code", hint="须与残疾人类型一致"),
                _s("government_purchased_place", "是否由政府购买学位", "bool", YES_NO),
                _s("needs_financial_aid", "是否需要申请资助", "bool", YES_NO),
                _s("receives_living_subsidy", "是否享受一补", "bool", YES_NO),
            ],
        ),
        (
            "交通信息",
            [
                _s("commute_distance_km", "上下学距离（公里）", "number"),
                _s("commute_mode_code", "上下学交通方式", "code"),
                _s("needs_school_bus", "是否需要乘坐校车", "bool", YES_NO),
            ],
        ),
        ("家庭成员", member(1) + member(2)),
    ]


def all_inputs(category: int) -> list[Input]:
    return [i for _, inputs in sections(category) for i in inputs]


def assign(tree: dict, path: str, value) -> None:
    """Put `value` at a field path ("family_members[0].document.type") of a protobuf-JSON dict."""
    node = tree
    parts = path.split(".")
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if "[" in part:
            name, index = part[:-1].split("[")
            items = node.setdefault(name, [])
            while len(items) <= int(index):
                items.append({})
            if last:
                items[int(index)] = value
            node = items[int(index)]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def typed(form, category: int) -> dict[str, str]:
    """What was typed, by path, to show again on a refused form."""
    return {i.path: str(form.get(i.path, "")).strip() for i in all_inputs(category)}


def _discard(tree: dict, path: str) -> None:
    """Remove the value at a field path, if there is one (a blank input of a corrected form)."""
    node = tree
    parts = path.split(".")
    for n, part in enumerate(parts):
        name, _, index = part.partition("[")
        if name not in node:
            return
        if n == len(parts) - 1:
            if not index:
                del node[name]
            return
        node = node[name]
        if index:
            position = int(index[:-1])
            if position >= len(node):
                return
            node = node[position]


def read(i: Input, value: str):
    """A typed value as protobuf JSON wants it; ValueError (Chinese) when it cannot be read at all."""
    if i.kind == "date":
        try:
            year, month, day = (int(p) for p in value.split("-"))
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD") from None
        return {"year": year, "month": month, "day": day}
    if i.kind == "bool":
        return value == "true"
    if i.kind == "number":
        try:
            return float(value)
        except ValueError:
            raise ValueError("请输入数字") from None
    return value


def to_message(
    values: dict[str, str], category: int, base: r.StudentRecordForm | None = None
) -> tuple[r.StudentRecordForm, dict[str, str]]:
    """The typed values as a StudentRecordForm, and the inputs that could not be read at all
    (a date that is not a date): those are named at their input, nothing is sent.

    With `base` (a stored form being corrected), the fields the page has no input for are kept."""
    tree: dict = json_format.MessageToDict(base, preserving_proto_field_name=True) if base else {}
    unreadable: dict[str, str] = {}
    for i in all_inputs(category):
        value = values.get(i.path, "")
        if not value:
            _discard(tree, i.path.removeprefix("student."))
            continue
        try:
            assign(tree, i.path.removeprefix("student."), read(i, value))
        except ValueError as error:
            unreadable[i.path] = str(error)
    # Family members left blank at the end are not sent (the service would name their empty fields);
    # one left blank before a filled one stays, so that the service's paths still match the inputs.
    members = tree.get("family_members", [])
    while members and not members[-1]:
        members.pop()
    message = r.StudentRecordForm()
    try:
        json_format.ParseDict(tree, message, ignore_unknown_fields=False)
    except json_format.ParseError:  # a choice that is none of the offered ones (a forged post)
        unreadable.setdefault("student", "输入有误，请刷新页面后重新填写")
    return message, unreadable


def from_message(form: r.StudentRecordForm, category: int) -> dict[str, str]:
    """A stored form as typed values (the correction of a returned application starts from it)."""
    tree = json_format.MessageToDict(form, preserving_proto_field_name=True)
    values = {}
    for i in all_inputs(category):
        node = tree
        for part in i.path.removeprefix("student.").split("."):
            name, _, index = part.partition("[")
            node = node.get(name) if isinstance(node, dict) else None
            if index and isinstance(node, list):
                node = node[int(index[:-1])] if int(index[:-1]) < len(node) else None
            if node is None:
                break
        if node is None:
            continue
        if i.kind == "date":
            node = f"{node.get('year', 0):04d}-{node.get('month', 0):02d}-{node.get('day', 0):02d}"
        elif i.kind == "bool":
            node = "true" if node else "false"
        values[i.path] = str(node)
    return values


def from_identity(identity: c.StudentIdentity) -> dict[str, str]:
    """The transfer's identity fields as typed values (学前档案信息补录 starts from them)."""
    values = {"student.name": identity.name, "student.document.number": identity.document.number}
    if identity.document.type:
        values["student.document.type"] = c.DocumentType.Name(identity.document.type)
    if identity.gender:
        values["student.gender"] = c.Gender.Name(identity.gender)
    d = identity.birth_date
    if d.year:
        values["student.birth_date"] = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    return values
