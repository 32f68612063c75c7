"""The columns of the import templates: header as printed, form field, kind, code table, required.

The registration templates carry every field of the national student form
(docs/DOMAIN.md#the-student-record-form), two family members included; the preschool template only
the five identity fields. The resident and HMT/foreign templates have the same columns and differ in
what they require and offer (document types, 港澳台侨外, 国籍/地区); the import checks the rows
against the template's category.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.template import labels

RESIDENT, HMT = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN
BOTH = frozenset({RESIDENT, HMT})


class Kind(str, enum.Enum):
    TEXT = "text"
    CODE = "code"  # a code table; shown "01 汉族", stored "01"
    CHOICE = "choice"  # a proto enum or yes/no; shown "健康或良好", stored its enum name / bool
    DATE = "date"  # stored {"year", "month", "day"}
    YEAR_MONTH = "year_month"  # 入学年月, stored "YYYYMM"
    DIVISION = "division"  # GB/T 2260 division code, 6 digits
    NUMBER = "number"  # 上下学距离 (km)
    DOC_NUMBER = "doc_number"  # a document number: text only (a number cell loses digits)


@dataclass(frozen=True)
class Column:
    header: str  # as printed in the template, without the ★
    field: str  # request field path under "student", e.g. "family_members[0].name"
    path: tuple[
        str | int, ...
    ]  # key path in the stored form (protobuf JSON), e.g. ("familyMembers", 0, "name")
    kind: Kind = Kind.TEXT
    options: tuple[tuple[Any, str], ...] = ()  # (stored value, name) of the drop-down list
    required: frozenset[DocumentCategory] = frozenset()  # the categories for which the column is ★
    max_length: int = 100
    width: int = 14
    note: str = ""  # shown as the header cell's comment

    @cached_property
    def choices(self) -> tuple[str, ...]:
        """The texts of the drop-down list."""
        if self.kind is Kind.CODE:
            return tuple(labels.shown(code, name) for code, name in self.options)
        return tuple(name for _, name in self.options)

    @cached_property
    def accepted(self) -> dict[str, object]:
        """Every spelling accepted in a cell → the stored value: "01 汉族", "01", "1", "汉族"; for a
        drop-down of names its code too ("1", "1 就近入学" for 入学方式)."""
        found: dict[str, object] = {}
        for stored, name in self.options:
            found[name] = stored
            if self.kind is Kind.CODE:
                found[stored] = stored
                found[labels.shown(stored, name)] = stored
                found[f"{stored}-{name}"] = stored
                found[f"{stored}{name}"] = stored
                if stored.isdigit():
                    found.setdefault(str(int(stored)), stored)
        if self.kind is Kind.CHOICE:  # the code of each choice (入学方式 "1"), but never over a name
            for stored, name in self.options:
                code = labels.CHOICE_CODES[stored]
                found.setdefault(code, stored)
                found.setdefault(labels.shown(code, name), stored)
        return found


def _c(
    header: str,
    field_: str,
    kind: Kind = Kind.TEXT,
    options: Iterable[tuple[Any, str]] = (),
    required: Iterable[DocumentCategory] = BOTH,
    **more: Any,
) -> Column:
    path = tuple(_camel(part) for part in field_.split("."))
    return Column(header, field_, path, kind, tuple(options), frozenset(required), **more)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _member(n: int) -> list[Column]:
    """The columns of family member n (1 or 2); none required unless the member is filled in."""
    p, i = f"家庭成员{n}", n - 1

    def m(
        header: str, field_: str, kind: Kind = Kind.TEXT, options: Iterable[tuple[Any, str]] = (), **more: Any
    ) -> Column:
        col = _c(p + header, f"family_members.{field_}", kind, options, required=(), **more)
        return Column(
            col.header,
            f"family_members[{i}].{field_}",
            ("familyMembers", i, *col.path[1:]),
            col.kind,
            col.options,
            col.required,
            col.max_length,
            col.width,
            col.note,
        )

    return [
        m("姓名", "name", note="填写家庭成员后，姓名和关系必填"),
        m("关系", "relationship_code", Kind.CODE, labels.RELATIONSHIP),
        m("关系说明", "relationship_description"),
        m("民族", "ethnicity_code", Kind.CODE, labels.ETHNICITY),
        m("工作单位", "employer", max_length=200, width=20),
        m("现住址", "current_address", max_length=200, width=24),
        m("户口所在地", "household_registration_code", Kind.DIVISION, note="6位行政区划代码"),
        m("联系电话", "phone", max_length=30),
        m("是否监护人", "guardian", Kind.CHOICE, labels.YES_NO),
        m("身份证件类型", "document.type", Kind.CHOICE, labels.DOCUMENT_TYPE, width=18),
        m("身份证件号", "document.number", Kind.DOC_NUMBER, max_length=40, width=22),
        m("职务", "job_title"),
    ]


_DERIVED = "居民身份证：可不填，由身份证件号自动生成；填写时须与证件号一致"

STUDENT_COLUMNS: tuple[Column, ...] = (
    # 身份信息
    _c("姓名", "name", max_length=50),
    _c("性别", "gender", Kind.CHOICE, labels.GENDER, required={HMT}, note=_DERIVED),
    _c("出生日期", "birth_date", Kind.DATE, required={HMT}, note=_DERIVED + "。格式：2015-06-01"),
    _c("出生地", "birthplace_code", Kind.DIVISION, note="6位行政区划代码，如 330102"),
    _c("籍贯", "native_place_code", Kind.DIVISION, note="6位行政区划代码"),
    _c("民族", "ethnicity_code", Kind.CODE, labels.ETHNICITY),
    _c(
        "国籍/地区", "nationality_code", Kind.CODE, labels.NATIONALITY, note="ISO 3166-1 三位字母代码，如 CHN"
    ),
    _c("身份证件类型", "document.type", Kind.CHOICE, labels.DOCUMENT_TYPE, width=18),
    _c(
        "身份证件号",
        "document.number",
        Kind.DOC_NUMBER,
        max_length=40,
        width=22,
        note="请按文本格式填写，不要输入为数字（会丢失末位）",
    ),
    _c("港澳台侨外", "overseas_chinese_code", Kind.CODE, labels.OVERSEAS_CHINESE),
    _c("政治面貌", "political_status_code", Kind.CODE, labels.POLITICAL_STATUS, required=()),
    _c("健康状况", "health_status", Kind.CHOICE, labels.HEALTH_STATUS),
    # 辅助信息
    _c("姓名拼音", "name_pinyin", required=()),
    _c("曾用名", "former_name", required=(), max_length=50),
    _c("身份证件有效期开始日期", "document_valid_from", Kind.DATE, required=()),
    _c("身份证件有效期截止日期", "document_valid_until", Kind.DATE, required=(), note="不填表示长期有效"),
    _c("户口所在地", "household_registration_code", Kind.DIVISION, note="6位行政区划代码"),
    _c("户口性质", "household_type_code", Kind.CODE, labels.HOUSEHOLD_TYPE),
    _c("特长", "specialty", required=(), max_length=200),
    # 学籍信息
    _c("学籍辅号", "auxiliary_student_number", required=(), max_length=30),
    _c("班内学号", "class_student_number", required=(), max_length=30),
    _c("年级", "grade", Kind.CODE, labels.GRADE),
    _c("班级", "class_name", max_length=30),
    _c("入学年月", "admission_year_month", Kind.YEAR_MONTH, note="格式：YYYYMM，如 202409"),
    _c("入学方式", "admission_method", Kind.CHOICE, labels.ADMISSION_METHOD),
    _c("就读方式", "attendance_mode", Kind.CHOICE, labels.ATTENDANCE_MODE),
    _c("学生来源", "student_source_code", Kind.CODE, labels.STUDENT_SOURCE, required=()),
    # 联系信息
    _c("现住址", "current_address", max_length=200, width=24),
    _c("通信地址", "mailing_address", max_length=200, width=24),
    _c("家庭地址", "home_address", max_length=200, width=24),
    _c("联系电话", "phone", max_length=30),
    _c("邮政编码", "postal_code", max_length=6, note="6位数字"),
    _c("电子信箱", "email", required=(), max_length=100),
    _c("主页地址", "homepage", required=(), max_length=200),
    # 扩展信息
    _c("是否独生子女", "only_child", Kind.CHOICE, labels.YES_NO),
    _c("是否受过学前教育", "preschool_educated", Kind.CHOICE, labels.YES_NO),
    _c("是否留守儿童", "left_behind", Kind.CHOICE, labels.LEFT_BEHIND, required=()),
    _c("是否进城务工人员随迁子女", "migrant_worker_child", Kind.CHOICE, labels.YES_NO, required=()),
    _c("是否孤儿", "orphan", Kind.CHOICE, labels.YES_NO, required=()),
    _c("是否烈士或优抚子女", "martyr_or_entitled_child", Kind.CHOICE, labels.YES_NO, required=()),
    _c(
        "随班就读",
        "inclusive_education",
        Kind.CHOICE,
        labels.INCLUSIVE_EDUCATION,
        required=(),
        note="须与残疾人类型一致",
    ),
    _c("残疾人类型", "disability_type", Kind.CHOICE, labels.DISABILITY, required=()),
    _c("是否由政府购买学位", "government_purchased_place", Kind.CHOICE, labels.YES_NO, required=()),
    _c("是否需要申请资助", "needs_financial_aid", Kind.CHOICE, labels.YES_NO, required=()),
    _c("是否享受一补", "receives_living_subsidy", Kind.CHOICE, labels.YES_NO, required=()),
    # 交通信息
    _c("上下学距离（公里）", "commute_distance_km", Kind.NUMBER, required=()),
    _c("上下学交通方式", "commute_mode_code", Kind.CODE, labels.COMMUTE_MODE, required=()),
    _c("是否需要乘坐校车", "needs_school_bus", Kind.CHOICE, labels.YES_NO, required=()),
    *_member(1),
    *_member(2),
)

PRESCHOOL_COLUMNS: tuple[Column, ...] = (
    _c("姓名", "name", max_length=50, required=BOTH | {DocumentCategory.NO_DOCUMENT}),
    _c("性别", "gender", Kind.CHOICE, labels.GENDER, required=(), note=_DERIVED + "；其他证件必填"),
    _c("出生日期", "birth_date", Kind.DATE, required=(), note=_DERIVED + "；其他证件必填。格式：2018-06-01"),
    _c(
        "身份证件类型",
        "document.type",
        Kind.CHOICE,
        labels.DOCUMENT_TYPE,
        width=18,
        required=BOTH | {DocumentCategory.NO_DOCUMENT},
    ),
    _c(
        "身份证件号",
        "document.number",
        Kind.DOC_NUMBER,
        max_length=40,
        width=22,
        required=BOTH,
        note="证件类型为“其他”（无证件）时可不填；请按文本格式填写",
    ),
)

REASON_HEADER = "错误原因"  # the last column of a failed-rows workbook, ignored on import


@dataclass(frozen=True)
class Template:
    """One template: the registration template of a kind × category, or the preschool template."""

    purpose: str  # "registration" | "preschool"
    kind: RegistrationKind | None = None
    category: DocumentCategory | None = None
    columns: tuple[Column, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        parts = [self.purpose] + [p.value for p in (self.kind, self.category) if p is not None]
        return ":".join(parts)

    @property
    def sheet(self) -> str:
        return "学前调档" if self.purpose == "preschool" else "学生信息"

    @property
    def title(self) -> str:
        if self.purpose == "preschool":
            return "学前调档导入模板"
        kind, category = (
            self.kind.label_zh if self.kind else "",
            self.category.label_zh if self.category else "",
        )
        return f"{kind}导入模板（{category}学生）"

    @property
    def file_name(self) -> str:
        return f"{self.title}.xlsx"

    def required(self, column: Column, category: DocumentCategory | None = None) -> bool:
        """Whether a row of `category` (the template's own by default) must fill the column."""
        return (category or self.category) in column.required

    def marked(self, column: Column) -> bool:
        """★ in the header: required for every row the template takes."""
        if self.category is not None:
            return self.category in column.required
        return column.required >= set(DocumentCategory)

    def choices(self, column: Column) -> tuple[str, ...]:
        """The drop-down texts; the document types are those of the template's category."""
        if column.field == "document.type" and self.category is not None:
            wanted = {v for v, _ in labels.DOCUMENT_TYPE if _category_of(v) is self.category}
            return tuple(name for value, name in column.options if value in wanted)
        return column.choices


def _category_of(document_type_name: str) -> DocumentCategory:
    if document_type_name == "DOCUMENT_TYPE_RESIDENT_ID":
        return RESIDENT
    return DocumentCategory.NO_DOCUMENT if document_type_name == "DOCUMENT_TYPE_OTHER" else HMT


def registration_template(kind: RegistrationKind, category: DocumentCategory) -> Template:
    if category not in BOTH:
        raise ValueError("no-document students have no import template (manual entry only)")
    return Template("registration", kind, category, STUDENT_COLUMNS)


PRESCHOOL_TEMPLATE = Template("preschool", None, None, PRESCHOOL_COLUMNS)


def template_by_key(key: str) -> Template | None:
    if key == PRESCHOOL_TEMPLATE.key:
        return PRESCHOOL_TEMPLATE
    for kind in RegistrationKind:
        for category in BOTH:
            if key == f"registration:{kind.value}:{category.value}":
                return registration_template(kind, category)
    return None
