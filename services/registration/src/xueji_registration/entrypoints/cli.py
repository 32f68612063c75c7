"""`xueji registration ...`: operator commands of the registration service (added to the `xueji` CLI by
entry point). The query commands (list, show, records) are here; the Excel commands register
themselves on the same `cli` group."""

from __future__ import annotations

import sys

import click
import grpc
from rich.console import Console
from rich.table import Table

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc
from xueji_common.cli.context import caller_options, make_context, print_rpc_error
from xueji_registration.domain.model import ApplicationState, AuthenticationStatus

console = Console()

_CATEGORY = {"resident": 1, "hmt_foreign": 2, "no_document": 3}
_CATEGORY_ZH = {1: "居民身份证", 2: "港澳台和外籍", 3: "无证件"}
_KIND = {"freshman": 1, "non_freshman": 2}
_KIND_ZH = {1: "小学新生", 2: "非小学新生"}
_STAGE_ZH = {1: "学前", 2: "小学", 3: "初中", 4: "高中", 5: "特殊教育"}


def _state_zh(value: int) -> str:
    name = registration_pb2.ApplicationState.Name(value).removeprefix("APPLICATION_STATE_")
    return ApplicationState[name].label_zh if name in ApplicationState.__members__ else name


def _auth_zh(value: int) -> str:
    name = common_pb2.AuthenticationStatus.Name(value).removeprefix("AUTHENTICATION_STATUS_")
    return AuthenticationStatus[name].label_zh if name in AuthenticationStatus.__members__ else ""


def _time(ts) -> str:
    return ts.ToDatetime().strftime("%Y-%m-%d %H:%M") if ts.seconds else ""


def _call(ctx, method: str, request):
    stub = registration_pb2_grpc.RegistrationsStub(ctx.channel())
    try:
        return getattr(stub, method)(request, metadata=ctx.metadata(), timeout=60)
    except grpc.RpcError as exc:
        print_rpc_error(exc, console)
        sys.exit(1)


@click.group(name="registration", help="学籍注册: applications, imports, templates, records.")
def cli() -> None:
    pass


@cli.command(name="list", help="学籍注册查询: applications in the caller's area, newest first.")
@click.option("--unit", "unit", default="", help="School or department code (default: the caller's unit).")
@click.option(
    "--state", "states", multiple=True, type=click.Choice([s.name.lower() for s in ApplicationState])
)
@click.option("--category", type=click.Choice(list(_CATEGORY)))
@click.option("--kind", type=click.Choice(list(_KIND)))
@click.option(
    "--auth", type=click.Choice([s.name.lower() for s in AuthenticationStatus]), help="Authentication status."
)
@click.option("--name", default="", help="Name prefix (姓名).")
@click.option("--document-number", default="", help="Exact document number (matched by its keyed hash).")
@click.option("--handling-unit", default="", help="Current handling unit (当前处理单位).")
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def list_applications(
    unit,
    states,
    category,
    kind,
    auth,
    name,
    document_number,
    handling_unit,
    page_size,
    page_token,
    address,
    token,
    role,
    org,
    user,
) -> None:
    ctx = make_context(address, token, role, org, user)
    request = registration_pb2.ListApplicationsRequest(
        org_unit_code=unit,
        states=[registration_pb2.ApplicationState.Value("APPLICATION_STATE_" + s.upper()) for s in states],
        category=_CATEGORY.get(category, 0),
        kind=_KIND.get(kind, 0),
        authentication_status=common_pb2.AuthenticationStatus.Value("AUTHENTICATION_STATUS_" + auth.upper())
        if auth
        else 0,
        name=name,
        document_number=document_number,
        current_handling_unit_code=handling_unit,
        page_size=page_size,
        page_token=page_token,
    )
    response = _call(ctx, "ListApplications", request)
    table = Table(
        "申请编号",
        "姓名",
        "身份证件号",
        "证件类别",
        "注册类型",
        "学校",
        "注册状态",
        "查重认证状态",
        "当前处理单位",
        "全国学籍号",
        "提交时间",
        title=f"学籍注册查询（共 {response.total_size} 条）",
    )
    for a in response.applications:
        table.add_row(
            a.application_id[:8],
            a.student.name,
            a.student.document.number,
            _CATEGORY_ZH.get(a.category, ""),
            _KIND_ZH.get(a.kind, ""),
            a.school_name,
            _state_zh(a.state),
            _auth_zh(a.authentication_status),
            a.current_handling_unit.name or a.current_handling_unit.code,
            a.national_student_number,
            _time(a.submit_time),
        )
    console.print(table)
    if response.next_page_token:
        console.print(f"下一页: --page-token {response.next_page_token}")


@cli.command(help="学生基本信息明细: one application with its form, review and dedup information.")
@click.argument("application_id")
@caller_options
def show(application_id, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    a = _call(ctx, "GetApplication", registration_pb2.GetApplicationRequest(application_id=application_id))
    s = a.student
    table = Table("项目", "内容", title=f"{s.name}（{a.school_name}）", show_header=False)
    rows = [
        ("申请编号", a.application_id),
        ("注册类型", _KIND_ZH.get(a.kind, "")),
        ("证件类别", _CATEGORY_ZH.get(a.category, "")),
        ("注册状态", _state_zh(a.state)),
        ("查重认证状态", _auth_zh(a.authentication_status)),
        ("当前处理单位", a.current_handling_unit.name),
        ("全国学籍号", a.national_student_number),
        ("姓名", s.name),
        ("性别", {1: "男", 2: "女"}.get(s.gender, "")),
        ("出生日期", f"{s.birth_date.year:04d}-{s.birth_date.month:02d}-{s.birth_date.day:02d}"),
        ("身份证件号", s.document.number),
        ("民族", s.ethnicity_code),
        ("国籍/地区", s.nationality_code),
        ("年级", s.grade),
        ("班级", s.class_name),
        ("入学年月", s.admission_year_month),
        ("现住址", s.current_address),
        ("联系电话", s.phone),
        ("邮政编码", s.postal_code),
        ("家庭成员", "、".join(m.name for m in s.family_members)),
        ("证明材料", str(len(a.proof_materials))),
        ("查重不通过原因", a.dedup_failure_reason),
        ("提交时间", _time(a.submit_time)),
        ("版本", str(a.version)),
    ]
    if a.HasField("last_rejection"):
        r = a.last_rejection
        rows += [
            ("驳回单位", r.org_unit_name or r.org_unit_code),
            ("驳回用户", r.user_id),
            ("驳回时间", _time(r.time)),
            ("审核意见", r.opinion),
        ]
    for label, value in rows:
        if value:
            table.add_row(label, value)
    console.print(table)


@cli.command(help="Student records (学籍) in the caller's area.")
@click.option("--unit", "unit", default="", help="School or department code (default: the caller's unit).")
@click.option("--problem/--no-problem", default=None, help="Only problem records, or only the others.")
@click.option("--name", default="")
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def records(unit, problem, name, page_size, page_token, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    request = registration_pb2.ListStudentRecordsRequest(
        org_unit_code=unit, name=name, page_size=page_size, page_token=page_token
    )
    if problem is not None:
        request.problem_record = problem
    response = _call(ctx, "ListStudentRecords", request)
    table = Table(
        "全国学籍号",
        "姓名",
        "身份证件号",
        "学校",
        "证件类别",
        "就读学段",
        "问题学籍",
        "生成时间",
        title=f"学籍（共 {response.total_size} 条）",
    )
    for r in response.records:
        table.add_row(
            r.national_student_number,
            r.student.name,
            r.student.document.number,
            r.school_name,
            _CATEGORY_ZH.get(r.category, ""),
            _STAGE_ZH.get(r.stage, ""),
            "是" if r.problem_record else "否",
            _time(r.create_time),
        )
    console.print(table)
    if response.next_page_token:
        console.print(f"下一页: --page-token {response.next_page_token}")


# The Excel commands (import, template, failed-rows, preschool ...) register themselves on `cli`,
# and so do the hash-key rotation's (rehash, republish) and the worker's periodic jobs (rematch,
# purge-uploads).
from xueji_registration.entrypoints import cli_demo, cli_imports, cli_maintenance, cli_rehash  # noqa: E402,F401
